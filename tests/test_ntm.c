/* test_ntm.c — the Neural Turing Machine (src/cells/ntm.c) against the
 * paper's equations (Graves et al. 2014, eq. 2-9) written again here in
 * double precision, with two read and two write heads and a clip that
 * bites; where its states start (Collier & Beel's recipe, learned through
 * the first step); and what its heads do when their parameters are set by
 * hand: a content key finds its row, a shift moves the focus one row per
 * step, round the end, and a write with e = 1 replaces the focused row. */
#include "gradcheck.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { STEPS = 4, B = 2, IN = 3, H = 4, N = 6, W = 3, R = 2, V = 2, K = 3, HEADS = R + V };
enum { PER_HEAD = W + K + 3, P = HEADS * PER_HEAD + 2 * V * W };
static const double CLIP = 1.5;

static double sigm(double v) { return 1.0 / (1.0 + exp(-v)); }
static double softplus(double v) { return log1p(exp(v)); }
static double clip(double v) { return v < -CLIP ? -CLIP : v > CLIP ? CLIP : v; }

static void softmax(double *v, size_t n)
{
    double top = v[0], sum = 0.0;
    for (size_t i = 1; i < n; i++)
        top = fmax(top, v[i]);
    for (size_t i = 0; i < n; i++)
        sum += (v[i] = exp(v[i] - top));
    for (size_t i = 0; i < n; i++)
        v[i] /= sum;
}

static const float *weight(const rc_params *p, const char *name)
{
    const rc_tensor *t = rc_params_find(p, name);
    T_CHECK(t, "no weight %s", name);
    return t ? t->data : NULL;
}

typedef struct {
    double h[H], c[H], m[N][W], r[R][W], w[HEADS][N];
} machine;

/* One step of eq. 2-9; *clipped counts the head parameters the clip bit. */
static void ref_step(const rc_params *p, const double *x, machine *s, double *out, int *clipped)
{
    const float *wi = weight(p, "weight_ih_l0"), *wh = weight(p, "weight_hh_l0"), *wr = weight(p, "weight_rh_l0");
    const float *bi = weight(p, "bias_ih_l0"), *bh = weight(p, "bias_hh_l0");
    const float *wp = weight(p, "weight_head_l0"), *bp = weight(p, "bias_head_l0");
    double a[4 * H], q[P];
    for (size_t g = 0; g < 4 * H; g++) {
        double v = (double)bi[g] + bh[g];
        for (size_t i = 0; i < IN; i++)
            v += (double)wi[g * IN + i] * x[i];
        for (size_t k = 0; k < H; k++)
            v += (double)wh[g * H + k] * s->h[k];
        for (size_t k = 0; k < R * W; k++)
            v += (double)wr[g * R * W + k] * s->r[k / W][k % W];
        a[g] = v;
    }
    for (size_t k = 0; k < H; k++) { /* PyTorch's gates i, f, g, o */
        s->c[k] = sigm(a[H + k]) * s->c[k] + sigm(a[k]) * tanh(a[2 * H + k]);
        s->h[k] = sigm(a[3 * H + k]) * tanh(s->c[k]);
    }
    for (size_t j = 0; j < P; j++) {
        double v = bp[j];
        for (size_t k = 0; k < H; k++)
            v += (double)wp[j * H + k] * s->h[k];
        *clipped += fabs(v) > CLIP;
        q[j] = clip(v);
    }
    double w[HEADS][N];
    for (size_t j = 0; j < HEADS; j++) {
        const double *hp = q + j * PER_HEAD;
        double key[W], nk = 0.0, beta = softplus(hp[W]), g = sigm(hp[W + 1]), shift[K], gamma = 1.0 + softplus(hp[W + 2 + K]);
        for (size_t k = 0; k < W; k++)
            key[k] = tanh(hp[k]), nk += key[k] * key[k];
        for (size_t d = 0; d < K; d++)
            shift[d] = hp[W + 2 + d];
        softmax(shift, K);
        double content[N], gated[N], moved[N], sum = 0.0;
        for (size_t i = 0; i < N; i++) { /* eq. 5-6 */
            double dot = 0.0, nm = 0.0;
            for (size_t k = 0; k < W; k++)
                dot += key[k] * s->m[i][k], nm += s->m[i][k] * s->m[i][k];
            content[i] = beta * dot / (sqrt(nk) * sqrt(nm) + 1e-8);
        }
        softmax(content, N);
        for (size_t i = 0; i < N; i++) /* eq. 7 */
            gated[i] = g * content[i] + (1.0 - g) * s->w[j][i];
        for (size_t i = 0; i < N; i++) { /* eq. 8: shifts -1, 0, +1 */
            moved[i] = 0.0;
            for (int d = -1; d <= 1; d++)
                moved[i] += shift[d + 1] * gated[((int)i - d + N) % N];
        }
        for (size_t i = 0; i < N; i++) /* eq. 9 */
            sum += (w[j][i] = pow(moved[i], gamma));
        for (size_t i = 0; i < N; i++)
            w[j][i] /= sum;
    }
    for (size_t j = 0; j < R; j++) /* eq. 2, on the memory before this step's writes */
        for (size_t k = 0; k < W; k++) {
            s->r[j][k] = 0.0;
            for (size_t i = 0; i < N; i++)
                s->r[j][k] += w[j][i] * s->m[i][k];
        }
    for (size_t i = 0; i < N; i++) /* eq. 3-4: every erase, then every add */
        for (size_t k = 0; k < W; k++) {
            double kept = s->m[i][k], added = 0.0;
            for (size_t v = 0; v < V; v++) {
                const double *ea = q + HEADS * PER_HEAD + 2 * v * W;
                kept *= 1.0 - w[R + v][i] * sigm(ea[k]);
                added += w[R + v][i] * tanh(ea[W + k]);
            }
            s->m[i][k] = kept + added;
        }
    memcpy(s->w, w, sizeof w);
    memcpy(out, s->h, sizeof s->h);
    memcpy(out + H, s->r, sizeof s->r);
}

static rc_rnn *machine_new(rc_params *p, size_t in, size_t hidden, size_t slots, size_t width, size_t reads,
                           size_t writes, double clip_at, rc_rng *rng)
{
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_NTM, in, hidden);
    T_CHECK(rc_rnn_config_set(&cfg, "slots", (double)slots) == RC_OK &&
                rc_rnn_config_set(&cfg, "width", (double)width) == RC_OK &&
                rc_rnn_config_set(&cfg, "reads", (double)reads) == RC_OK &&
                rc_rnn_config_set(&cfg, "writes", (double)writes) == RC_OK &&
                rc_rnn_config_set(&cfg, "clip", clip_at) == RC_OK,
            "%s", rc_last_error());
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, rng);
    T_CHECK(rnn, "%s", rc_last_error());
    return rnn;
}

static void against_equations(void)
{
    t_case("ntm, 2 read and 2 write heads == eq. 2-9 in double precision");
    rc_params *p = rc_params_new();
    rc_rng rng;
    rc_rng_seed(&rng, 14, 10);
    rc_rnn *rnn = machine_new(p, IN, H, N, W, R, V, CLIP, NULL);
    if (!rnn)
        return;
    T_CHECK(rc_rnn_state_count(rnn) == 5 && rc_rnn_state_width(rnn, 2) == N * W &&
                rc_rnn_state_width(rnn, 3) == R * W && rc_rnn_state_width(rnn, 4) == HEADS * N &&
                rc_rnn_output_size(rnn) == H + R * W && rc_params_find(p, "weight_head_l0")->shape[0] == P,
            "states h, c, memory [N W], reads [R W], weightings [(R+V) N]; output [H + R W]; %zu head parameters",
            (size_t)P);
    for (size_t i = 0; i < rc_params_count(p); i++)
        rc_tensor_fill_uniform(rc_params_tensor(p, i), &rng, -0.9f, 0.9f);
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){STEPS, B, IN}), *s0[5];
    size_t widths[5] = {H, H, N * W, R * W, HEADS * N};
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    for (size_t i = 0; i < 5; i++) {
        s0[i] = rc_tape_tensor(tp, 3, (size_t[]){1, B, widths[i]});
        rc_tensor_fill_normal(s0[i], &rng, 0.0f, 0.5f);
    }
    for (size_t b = 0; b < B; b++) /* weightings: each head's a distribution */
        for (size_t j = 0; j < HEADS; j++) {
            double v[N];
            for (size_t i = 0; i < N; i++)
                v[i] = 2.0 * s0[4]->data[(b * HEADS + j) * N + i];
            softmax(v, N);
            for (size_t i = 0; i < N; i++)
                s0[4]->data[(b * HEADS + j) * N + i] = (float)v[i];
        }
    rc_rnn_options o = {0};
    o.states0 = s0;
    rc_tensor *fin[RC_MAX_STATES] = {0}, *y = rc_rnn_forward_states(tp, rnn, x, &o, fin);
    T_CHECK(y, "%s", rc_last_error());
    double worst = 0.0;
    int clipped = 0;
    for (size_t b = 0; y && b < B; b++) {
        machine s;
        for (size_t k = 0; k < H; k++)
            s.h[k] = s0[0]->data[b * H + k], s.c[k] = s0[1]->data[b * H + k];
        for (size_t k = 0; k < N * W; k++)
            s.m[k / W][k % W] = s0[2]->data[b * N * W + k];
        for (size_t k = 0; k < R * W; k++)
            s.r[k / W][k % W] = s0[3]->data[b * R * W + k];
        for (size_t k = 0; k < HEADS * N; k++)
            s.w[k / N][k % N] = s0[4]->data[b * HEADS * N + k];
        for (size_t t = 0; t < STEPS; t++) {
            double xs[IN], out[H + R * W];
            for (size_t i = 0; i < IN; i++)
                xs[i] = x->data[(t * B + b) * IN + i];
            ref_step(p, xs, &s, out, &clipped);
            for (size_t k = 0; k < H + R * W; k++)
                worst = fmax(worst, fabs(out[k] - y->data[(t * B + b) * (H + R * W) + k]));
        }
        for (size_t k = 0; k < N * W; k++)
            worst = fmax(worst, fabs(s.m[k / W][k % W] - fin[2]->data[b * N * W + k]));
        for (size_t k = 0; k < HEADS * N; k++)
            worst = fmax(worst, fabs(s.w[k / N][k % N] - fin[4]->data[b * HEADS * N + k]));
    }
    T_CHECK(worst < 1e-5, "the library differs from the equations by %g", worst);
    T_CHECK(clipped > 0 && clipped < STEPS * B * P, "%d of %d head parameters were clipped: the clip is not tested "
                                                     "on both sides",
            clipped, STEPS * B * P);
    rc_tape_free(tp);
    rc_rnn_free(rnn);
    rc_params_free(p);
}

typedef struct {
    rc_rnn *rnn;
    rc_tensor *x;
} start_run;

/* The output and the final memory from the start (the memory: where the
 * first writes land follows the start weightings directly). */
static rc_tensor *from_start(rc_tape *tp, void *ctx)
{
    start_run *r = ctx;
    rc_tensor *fin[RC_MAX_STATES] = {0}, *y = rc_rnn_forward_states(tp, r->rnn, r->x, NULL, fin);
    if (!y)
        return NULL;
    rc_tensor *parts[2] = {rc_reshape(tp, y, 1, (size_t[]){y->size}), rc_reshape(tp, fin[2], 1, (size_t[]){fin[2]->size})};
    return rc_concat(tp, parts, 2, 0);
}

/* The start: h = c = 0, memory 1e-6, reads tanh(read_start), weightings
 * softmax(weighting_start) head by head; the same from rc_rnn_forward
 * without states and from a reset stream; and learned: the first step's
 * loss reaches both start vectors. */
static void starts(void)
{
    t_case("ntm: states start at Collier & Beel's (memory 1e-6, learned reads and weightings), in passes and streams; "
           "finite differences reach the start vectors");
    rc_params *p = rc_params_new();
    rc_rng rng;
    rc_rng_seed(&rng, 14, 11);
    rc_rnn *rnn = machine_new(p, IN, H, N, W, R, V, 20.0, &rng);
    if (!rnn)
        return;
    const float *r0 = weight(p, "read_start_l0"), *w0 = weight(p, "weighting_start_l0");
    size_t widths[5] = {H, H, N * W, R * W, HEADS * N};
    float *want[5];
    for (size_t i = 0; i < 5; i++)
        want[i] = calloc(B * widths[i], sizeof(float));
    for (size_t b = 0; b < B; b++) {
        for (size_t k = 0; k < N * W; k++)
            want[2][b * N * W + k] = 1e-6f;
        for (size_t k = 0; k < R * W; k++)
            want[3][b * R * W + k] = tanhf(r0[k]);
        for (size_t j = 0; j < HEADS; j++) {
            double v[N];
            for (size_t i = 0; i < N; i++)
                v[i] = w0[j * N + i];
            softmax(v, N);
            for (size_t i = 0; i < N; i++)
                want[4][(b * HEADS + j) * N + i] = (float)v[i];
        }
    }
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){STEPS, B, IN}), *s0[5];
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    for (size_t i = 0; i < 5; i++) {
        s0[i] = rc_tape_tensor(tp, 3, (size_t[]){1, B, widths[i]});
        memcpy(s0[i]->data, want[i], B * widths[i] * sizeof(float));
    }
    rc_rnn_options given = {0};
    given.states0 = s0;
    rc_tensor *y_given = rc_rnn_forward_states(tp, rnn, x, &given, NULL);
    rc_tensor *y_none = rc_rnn_forward(tp, rnn, x, NULL, NULL, NULL);
    T_CHECK(y_given && y_none && t_max_diff(y_given->data, y_none->data, y_none->size) < 1e-6,
            "rc_rnn_forward without states does not start where the recipe says: %s", rc_last_error());
    rc_rnn_stream *s = rc_rnn_stream_new(rnn, B, 2);
    T_CHECK(s, "%s", rc_last_error());
    for (size_t i = 0; s && i < 5; i++)
        T_CHECK(t_max_diff(rc_rnn_stream_state(s, i), want[i], B * widths[i]) < (i == 2 ? 1e-12 : 1e-6),
                "a new stream's state %s",
                rc_rnn_state_name(rnn, i));
    if (s) {
        rc_rnn_stream_run(s, x->data, STEPS, NULL);
        rc_rnn_stream_reset(s);
        T_CHECK(t_max_diff(rc_rnn_stream_state(s, 2), want[2], B * N * W) < 1e-12 &&
                    t_max_diff(rc_rnn_stream_state(s, 4), want[4], B * HEADS * N) < 1e-7,
                "a reset stream's memory and weightings are not the start");
    }
    rc_params_zero_grad(p);
    rc_tensor *loss = rc_sum_all(tp, y_none);
    T_CHECK(loss && rc_backward(tp, loss) == RC_OK, "%s", rc_last_error());
    const rc_tensor *g_r = rc_params_find(p, "read_start_l0"), *g_w = rc_params_find(p, "weighting_start_l0");
    T_CHECK(t_max_abs(g_r->grad, g_r->size) > 1e-4 && t_max_abs(g_w->grad, g_w->size) > 1e-6,
            "the start vectors learn nothing: gradients %g and %g", t_max_abs(g_r->grad, g_r->size),
            t_max_abs(g_w->grad, g_w->size));
    rc_rnn_stream_free(s);
    for (size_t i = 0; i < 5; i++)
        free(want[i]);
    start_run run = {rnn, rc_tensor_new(3, (size_t[]){2, B, IN})};
    rc_tensor_fill_normal(run.x, &rng, 0.0f, 1.0f);
    rc_tensor *wrt[2] = {rc_params_find(p, "read_start_l0"), rc_params_find(p, "weighting_start_l0")};
    t_gradcheck(from_start, &run, wrt, 2, (const char *[]){"read_start", "weighting_start"}, 0);
    rc_tensor_free(run.x);
    rc_tape_free(tp);
    rc_rnn_free(rnn);
    rc_params_free(p);
}

/* Hand-set heads on one machine of 1 read and 1 write head, N = 6, W = 3,
 * no input weights: every head parameter is its bias (weight_head = 0). */
enum { HN = 6, HW = 3, HPER = HW + K + 3 };
enum { KEY = 0, BETA = HW, GATE = HW + 1, SHIFT = HW + 2, GAMMA = HW + 2 + K };

static void heads_by_hand(void)
{
    t_case("ntm heads set by hand: a key finds its row, a shift of +1 moves the focus a row a step, round the end; "
           "e = 1 overwrites the focused row");
    rc_params *p = rc_params_new();
    rc_rnn *rnn = machine_new(p, 1, 2, HN, HW, 1, 1, 20.0, NULL);
    if (!rnn)
        return;
    for (size_t i = 0; i < rc_params_count(p); i++)
        rc_tensor_fill(rc_params_tensor(p, i), 0.0f);
    float *bias = rc_params_find(p, "bias_head_l0")->data;
    const float key[HW] = {2.0f, -2.0f, 0.5f}; /* tanh(key) is closest in direction to row 4 below */
    /* read head: content only (g = 1), sharp (beta 20), no shift, gamma 1 */
    memcpy(bias + KEY, key, sizeof key);
    bias[BETA] = 20.0f, bias[GATE] = 20.0f, bias[SHIFT + 1] = 20.0f, bias[GAMMA] = -20.0f;
    /* write head: location only (g = 0), shift +1, sharpening gamma 21; erase everything, add (1, -1, 1) */
    float *wr = bias + HPER, *ea = bias + 2 * HPER;
    wr[GATE] = -20.0f, wr[SHIFT + 2] = 20.0f, wr[GAMMA] = 20.0f;
    for (size_t k = 0; k < HW; k++)
        ea[k] = 20.0f, ea[HW + k] = k % 2 ? -20.0f : 20.0f;
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){HN + 1, 1, 1}), *s0[5] = {0};
    s0[2] = rc_tape_tensor(tp, 3, (size_t[]){1, 1, HN * HW});
    s0[4] = rc_tape_tensor(tp, 3, (size_t[]){1, 1, 2 * HN});
    const float rows[HN][HW] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {-1, -1, 0}, {1, -1, 0.2f}, {0.3f, 0.3f, 0.3f}};
    memcpy(s0[2]->data, rows, sizeof rows);
    s0[4]->data[0] = 1.0f;      /* the read head at row 0 (content replaces it) */
    s0[4]->data[HN + 4] = 1.0f; /* the write head at row 4 */
    rc_rnn_options o = {0};
    o.states0 = s0;
    rc_tensor *fin[RC_MAX_STATES] = {0}, *y = rc_rnn_forward_states(tp, rnn, x, &o, fin);
    T_CHECK(y, "%s", rc_last_error());
    if (y) {
        /* step 0 reads row 4 (the key's), from the memory before the write */
        const float *read = y->data + 2;
        T_CHECK(fabsf(read[0] - 1) < 1e-2f && fabsf(read[1] + 1) < 1e-2f && fabsf(read[2] - 0.2f) < 1e-2f,
                "step 0 read (%g, %g, %g), not row 4", read[0], read[1], read[2]);
        /* the write head moved 4 -> 5 -> 0 -> ... -> 5 over 7 steps, writing (1, -1, 1) at each row it met */
        const float *w_write = fin[4]->data + HN, *m = fin[2]->data;
        T_CHECK(w_write[(4 + HN + 1) % HN] > 0.99f, "after %d steps the write focus is not at row %d: %g", HN + 1,
                (4 + HN + 1) % HN, w_write[(4 + HN + 1) % HN]);
        double off = 0.0;
        for (size_t i = 0; i < HN; i++)
            for (size_t k = 0; k < HW; k++)
                off = fmax(off, fabs(m[i * HW + k] - (k % 2 ? -1.0 : 1.0)));
        T_CHECK(off < 1e-3, "every row should now hold (1, -1, 1): off by %g", off);
    }
    rc_tape_free(tp);
    rc_rnn_free(rnn);
    rc_params_free(p);

    t_case("ntm: a shift range wider than the memory refused, naming both");
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_NTM, 2, 4);
    rc_rnn_config_set(&cfg, "slots", 4);
    rc_rnn_config_set(&cfg, "shift", 2);
    rc_params *q = rc_params_new();
    T_CHECK(!rc_rnn_new(&cfg, q, NULL, NULL) && strstr(rc_last_error(), "shift 2") &&
                strstr(rc_last_error(), "5 memory slots"),
            "accepted, or unclear: %s", rc_last_error());
    rc_params_free(q);
}

/* rc_memory_read and rc_memory_write against the products, repeats and
 * sums they replace (eq. 2-4 composed), values and gradients, 2 heads. */
typedef struct {
    rc_tensor *in[4]; /* m [B, N, W], w [B, V, N], e, a [B, V, W] */
    int composed;
} mem_case;

static rc_tensor *mem_build(rc_tape *tp, void *ctx)
{
    mem_case *c = ctx;
    rc_tensor *m = c->in[0], *w = c->in[1], *e = rc_sigmoid(tp, c->in[2]), *a = c->in[3];
    size_t b = m->shape[0], n = m->shape[1], wd = m->shape[2], v = w->shape[1];
    rc_tensor *w0 = rc_reshape(tp, rc_slice(tp, w, 1, 0, 1), 2, (size_t[]){b, n}), *read, *written;
    if (!c->composed) {
        read = rc_memory_read(tp, m, w0);
        written = rc_memory_write(tp, m, w, e, a);
    } else {
        read = rc_sum(tp, rc_mul(tp, m, rc_reshape(tp, w0, 3, (size_t[]){b, n, 1})), 1);
        rc_tensor *kept = m, *added = NULL;
        for (size_t h = 0; h < v; h++) {
            rc_tensor *col = rc_reshape(tp, rc_slice(tp, w, 1, h, 1), 3, (size_t[]){b, n, 1});
            rc_tensor *eh = rc_reshape(tp, rc_slice(tp, e, 1, h, 1), 2, (size_t[]){b, wd});
            rc_tensor *ah = rc_reshape(tp, rc_slice(tp, a, 1, h, 1), 2, (size_t[]){b, wd});
            rc_tensor *E = rc_reshape(tp, rc_repeat(tp, eh, n), 3, (size_t[]){b, n, wd});
            rc_tensor *A = rc_mul(tp, rc_reshape(tp, rc_repeat(tp, ah, n), 3, (size_t[]){b, n, wd}), col);
            kept = rc_sub(tp, kept, rc_mul(tp, kept, rc_mul(tp, E, col)));
            added = added ? rc_add(tp, added, A) : A;
        }
        written = rc_add(tp, kept, added);
    }
    rc_tensor *parts[2] = {rc_reshape(tp, read, 1, (size_t[]){read->size}),
                           rc_reshape(tp, written, 1, (size_t[]){written->size})};
    return rc_concat(tp, parts, 2, 0);
}

static void fused_memory_ops(void)
{
    t_case("ntm: rc_memory_read and rc_memory_write (2 heads) == their composed products, repeats and sums, "
           "values and gradients");
    rc_rng rng;
    rc_rng_seed(&rng, 14, 12);
    mem_case c = {{rc_tensor_new(3, (size_t[]){3, 7, 4}), rc_tensor_new(3, (size_t[]){3, 2, 7}),
                   rc_tensor_new(3, (size_t[]){3, 2, 4}), rc_tensor_new(3, (size_t[]){3, 2, 4})}, 0};
    for (int i = 0; i < 4; i++) {
        if (i == 1)
            rc_tensor_fill_uniform(c.in[i], &rng, 0.0f, 1.0f);
        else
            rc_tensor_fill_normal(c.in[i], &rng, 0.0f, 1.0f);
        rc_tensor_require_grad(c.in[i]);
    }
    size_t n_out[2], n_g[2];
    float *y[2], *g[2];
    for (int k = 0; k < 2; k++) {
        c.composed = k;
        y[k] = t_values_and_grads(mem_build, &c, c.in, 4, &n_out[k], &g[k], &n_g[k]);
    }
    T_CHECK(y[0] && y[1] && g[0] && g[1] && n_out[0] == n_out[1] && n_g[0] == n_g[1], "%s", rc_last_error());
    if (y[0] && y[1] && g[0] && g[1])
        T_CHECK(t_max_diff(y[0], y[1], n_out[0]) < 1e-5 && t_max_diff(g[0], g[1], n_g[0]) < 1e-4,
                "values differ by %g, gradients by %g", t_max_diff(y[0], y[1], n_out[0]),
                t_max_diff(g[0], g[1], n_g[0]));
    for (int k = 0; k < 2; k++)
        free(y[k]), free(g[k]);
    for (int i = 0; i < 4; i++)
        rc_tensor_free(c.in[i]);
}

void suite_ntm(void)
{
    fused_memory_ops();
    against_equations();
    starts();
    heads_by_hand();
}
