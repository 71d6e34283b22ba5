/* test_sha.c — the SHA-RNN (src/models/sharnn.c) by its equations and its
 * behaviour:
 *   - a model's logits, final states and memory over four carried windows
 *     against the reference model.py's own (tests/ref/make_sha_ref.py);
 *   - a whole model's logits and carried memory against the reference
 *     model.py's equations written again here in double precision (LSTM,
 *     layer norms, the gated single-head attention over memory and window
 *     with its causal mask, the Boom), with a memory partly filled and one
 *     too short for the window's needs;
 *   - finite-difference gradients of the loss for every weight, the input
 *     states and the memory, with and without dropout;
 *   - two windows with the states and memory carried equal one window of
 *     both (the memory is what the second window sees of the first);
 *   - a saved model loads with its settings and gives the same loss;
 *   - configurations it cannot be are refused, naming why. */
#include "gradcheck.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { V = 7, E = 4, L = 3, F = 8, B = 2, MAXT = 8, MAXK = 16 };

static int no_attention; /* the next tiny() model is the ablation without the attention */

static rc_model *tiny(size_t memory, float dropout, int tie)
{
    rc_model_config mc = {0};
    mc.task = RC_TASK_LM;
    mc.n_out = V;
    mc.tie_weights = tie;
    mc.sha_rnn = 1, mc.sha_ff = F, mc.sha_memory = memory, mc.sha_no_attention = no_attention;
    mc.rnn = rc_rnn_config_default(RC_CELL_LSTM, E, E);
    mc.rnn.num_layers = L;
    mc.rnn.dropout = dropout;
    rc_rng rng;
    rc_rng_seed(&rng, 12, 34);
    rc_model *m = rc_model_new(&mc, &rng);
    T_CHECK(m, "%s", rc_last_error());
    /* away from the reference's near-zero draw, so every path carries signal */
    for (size_t i = 0; m && i < rc_params_count(rc_model_params(m)); i++) {
        rc_tensor *t = rc_params_tensor(rc_model_params(m), i);
        const char *name = rc_params_name(rc_model_params(m), i);
        float lo = strstr(name, "ln") && strstr(name, "weight") ? 0.5f : -0.5f;
        rc_tensor_fill_uniform(t, &rng, lo, lo + 1.0f);
    }
    return m;
}

static const float *w(rc_model *m, const char *name)
{
    const rc_tensor *t = rc_params_find(rc_model_params(m), name);
    T_CHECK(t, "no weight %s", name);
    return t ? t->data : NULL;
}

/* Block k's weight blocks.{k}.<what>. */
static const float *bw(rc_model *m, size_t k, const char *what)
{
    char name[96];
    snprintf(name, sizeof name, "blocks.%zu.%s", k, what);
    return w(m, name);
}

/* Layer k's rnn.<what>_l{k}. */
static const float *rw(rc_model *m, size_t k, const char *what)
{
    char name[96];
    snprintf(name, sizeof name, "rnn.%s_l%zu", what, k);
    return w(m, name);
}

static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

/* y = LN(x) with weight g, bias b over E. */
static void ln(const double *x, const float *g, const float *b, double *y)
{
    double mean = 0, var = 0;
    for (size_t j = 0; j < E; j++)
        mean += x[j] / E;
    for (size_t j = 0; j < E; j++)
        var += (x[j] - mean) * (x[j] - mean) / E;
    for (size_t j = 0; j < E; j++)
        y[j] = (x[j] - mean) / sqrt(var + 1e-12) * g[j] + b[j];
}

/* out [rows] = W [rows, cols] x + b */
static void affine(const float *W, const float *b, const double *x, size_t rows, size_t cols, double *out)
{
    for (size_t r = 0; r < rows; r++) {
        out[r] = b ? b[r] : 0.0;
        for (size_t c = 0; c < cols; c++)
            out[r] += (double)W[r * cols + c] * x[c];
    }
}

/* The model over tokens [T, B] from h0, c0 [L, B, E], memory [N, B, E]
 * with `len` rows filled: logits [T, B, V], and the memory after. */
static void reference(rc_model *m, size_t T, size_t N, const int32_t *tokens, const float *h0, const float *c0,
                      const float *mem, size_t len, double *logits, double *mem_after, size_t *len_after)
{
    static double h[MAXT][E], keys[MAXK][E];
    size_t used = N > T ? (len < N - T ? len : N - T) : 0, K = used + T;
    for (size_t b = 0; b < B; b++) {
        for (size_t t = 0; t < T; t++)
            for (size_t j = 0; j < E; j++)
                h[t][j] = w(m, "embed.weight")[tokens[t * B + b] * E + j];
        for (size_t k = 0; k < L; k++) {
            double hs[E], cs[E];
            for (size_t j = 0; j < E; j++)
                hs[j] = h0[(k * B + b) * E + j], cs[j] = c0[(k * B + b) * E + j];
            for (size_t t = 0; t < T; t++) { /* LN_start, then the LSTM (PyTorch's gates i, f, g, o) */
                double x[E], a[4 * E], a2[4 * E];
                ln(h[t], bw(m, k, "ln_start.weight"), bw(m, k, "ln_start.bias"), x);
                affine(rw(m, k, "weight_ih"), rw(m, k, "bias_ih"), x, 4 * E, E, a);
                affine(rw(m, k, "weight_hh"), rw(m, k, "bias_hh"), hs, 4 * E, E, a2);
                for (size_t j = 0; j < E; j++) {
                    double i = sigm(a[j] + a2[j]), f = sigm(a[E + j] + a2[E + j]), g = tanh(a[2 * E + j] + a2[2 * E + j]),
                           o = sigm(a[3 * E + j] + a2[3 * E + j]);
                    cs[j] = f * cs[j] + i * g;
                    hs[j] = o * tanh(cs[j]);
                }
                memcpy(h[t], hs, sizeof hs);
            }
            if (k == L - 2 && !no_attention) { /* the attention */
                for (size_t r = 0; r < used; r++)
                    for (size_t j = 0; j < E; j++)
                        keys[r][j] = mem[((len - used + r) * B + b) * E + j];
                for (size_t t = 0; t < T; t++) {
                    double mid[E];
                    ln(h[t], bw(m, k, "ln_mem.weight"), bw(m, k, "ln_mem.bias"), keys[used + t]);
                    ln(h[t], bw(m, k, "ln_mid.weight"), bw(m, k, "ln_mid.bias"), mid);
                    memcpy(h[t], mid, sizeof mid);
                }
                size_t kept = K < N ? K : N;
                for (size_t r = 0; r < N; r++)
                    for (size_t j = 0; j < E; j++)
                        mem_after[(r * B + b) * E + j] = r < kept ? keys[K - kept + r][j] : 0.0;
                *len_after = kept;
                const float *gq = bw(m, k, "attn.gate_q"), *gk = bw(m, k, "attn.gate_k"),
                            *gv = bw(m, k, "attn.gate_v");
                double sv[E], cf[2 * E], vgate[E];
                for (size_t j = 0; j < E; j++)
                    sv[j] = sigm(gv[j]);
                affine(bw(m, k, "attn.vq.weight"), bw(m, k, "attn.vq.bias"), sv, 2 * E, E, cf);
                for (size_t j = 0; j < E; j++)
                    vgate[j] = sigm(cf[E + j]) * tanh(cf[j]);
                double mixed[MAXT][E];
                for (size_t t = 0; t < T; t++) {
                    double qp[E], q[E], s[MAXK], sum = 0, top = -1e300;
                    affine(bw(m, k, "attn.q.weight"), bw(m, k, "attn.q.bias"), h[t], E, E, qp);
                    ln(qp, bw(m, k, "attn.q_ln.weight"), bw(m, k, "attn.q_ln.bias"), q);
                    for (size_t j = 0; j < E; j++)
                        q[j] *= sigm(gq[j]);
                    for (size_t r = 0; r <= used + t; r++) { /* the memory and the window up to t */
                        s[r] = 0;
                        for (size_t j = 0; j < E; j++)
                            s[r] += q[j] * sigm(gk[j]) * keys[r][j];
                        s[r] /= sqrt((double)E);
                        top = fmax(top, s[r]);
                    }
                    for (size_t r = 0; r <= used + t; r++)
                        sum += s[r] = exp(s[r] - top);
                    for (size_t j = 0; j < E; j++) {
                        mixed[t][j] = 0;
                        for (size_t r = 0; r <= used + t; r++)
                            mixed[t][j] += s[r] / sum * vgate[j] * keys[r][j];
                    }
                }
                for (size_t t = 0; t < T; t++)
                    for (size_t j = 0; j < E; j++)
                        h[t][j] += mixed[t][j];
            }
            for (size_t t = 0; t < T; t++) { /* h = LN_ff(h) + boom(LN_xff(h)) */
                double a[E], x[E], up[F];
                ln(h[t], bw(m, k, "ln_ff.weight"), bw(m, k, "ln_ff.bias"), a);
                ln(h[t], bw(m, k, "ln_xff.weight"), bw(m, k, "ln_xff.bias"), x);
                affine(bw(m, k, "boom.weight"), bw(m, k, "boom.bias"), x, F, E, up);
                for (size_t j = 0; j < E; j++) {
                    h[t][j] = a[j];
                    for (size_t c = 0; c < F / E; c++) {
                        double u = up[c * E + j];
                        h[t][j] += u * sigm(1.702 * u);
                    }
                }
            }
        }
        for (size_t t = 0; t < T; t++)
            affine(w(m, "head.weight"), w(m, "head.bias"), h[t], V, E, logits + (t * B + b) * V);
    }
}

typedef struct {
    rc_model *m;
    size_t T;
    int32_t tokens[MAXT * B], targets[MAXT * B];
    rc_tensor *s[RC_MODEL_MAX_STATES];
    int dropout;
} run;

static void run_init(run *r, rc_model *m, size_t T, size_t len, uint64_t seed)
{
    memset(r, 0, sizeof *r);
    r->m = m, r->T = T;
    rc_rng rng;
    rc_rng_seed(&rng, seed, 1);
    for (size_t i = 0; i < T * B; i++)
        r->tokens[i] = (int32_t)rc_rng_below(&rng, V), r->targets[i] = (int32_t)rc_rng_below(&rng, V);
    size_t shape[3];
    for (size_t i = 0; i < rc_model_state_count(m); i++) {
        rc_model_state_shape(m, i, B, shape);
        r->s[i] = rc_tensor_new(3, shape);
        if (strcmp(rc_model_state_name(m, i), "memory_len")) {
            rc_tensor_fill_normal(r->s[i], &rng, 0.0f, 0.5f);
            rc_tensor_require_grad(r->s[i]);
        } else {
            rc_tensor_fill(r->s[i], (float)len);
        }
    }
    /* rows past the fill are never read: zeros, as the model keeps them */
    long mem = -1;
    for (size_t i = 0; i < rc_model_state_count(m); i++)
        if (!strcmp(rc_model_state_name(m, i), "memory"))
            mem = (long)i;
    if (mem >= 0)
        memset(r->s[mem]->data + len * B * E, 0, (r->s[mem]->shape[0] - len) * B * E * sizeof(float));
}

static void run_free(run *r)
{
    for (size_t i = 0; i < RC_MODEL_MAX_STATES; i++)
        rc_tensor_free(r->s[i]);
}

static rc_tensor *loss_of(rc_tape *tp, void *ctx)
{
    run *r = ctx;
    rc_rng drop;
    rc_rng_seed(&drop, 5, 5);
    rc_batch b = {0};
    b.T = r->T, b.B = B, b.tokens = r->tokens, b.targets = r->targets, b.states0 = r->s;
    return rc_model_loss_states(tp, r->m, &b, r->dropout ? &drop : NULL, NULL, NULL);
}

/* The library's logits and memory against reference(). */
static void check_reference(size_t N, size_t T, size_t len)
{
    rc_model *m = tiny(N, 0.0f, 0);
    if (!m)
        return;
    run r;
    run_init(&r, m, T, len, 3);
    rc_tape *tp = rc_tape_new();
    rc_batch b = {0};
    b.T = T, b.B = B, b.tokens = r.tokens, b.targets = r.targets, b.states0 = r.s;
    rc_tensor *logits = NULL, *fin[RC_MODEL_MAX_STATES] = {0};
    rc_tensor *loss = rc_model_loss_states(tp, m, &b, NULL, &logits, fin);
    T_CHECK(loss && logits, "%s", rc_last_error());
    static double want[MAXT * B * V], mem_after[MAXK * B * E];
    size_t len_after = 0;
    reference(m, T, N, r.tokens, r.s[0]->data, r.s[1]->data, no_attention ? NULL : r.s[2]->data, len, want, mem_after,
              &len_after);
    double worst = 0, worst_mem = 0;
    for (size_t i = 0; logits && i < T * B * V; i++)
        worst = fmax(worst, fabs(logits->data[i] - want[i]));
    for (size_t i = 0; loss && !no_attention && i < N * B * E; i++)
        worst_mem = fmax(worst_mem, fabs(fin[2]->data[i] - mem_after[i]));
    T_CHECK(worst < 2e-5, "logits differ from the equations by %g", worst);
    if (no_attention) {
        T_CHECK(rc_model_state_count(m) == 2 && !rc_params_find(rc_model_params(m), "blocks.1.attn.q.weight"),
                "without attention: %zu states, attention weights present", rc_model_state_count(m));
        rc_tape_free(tp);
        run_free(&r);
        rc_model_free(m);
        return;
    }
    T_CHECK(worst_mem < 2e-5, "the memory after differs by %g", worst_mem);
    T_CHECK(loss && fin[3]->data[0] == (float)len_after && fin[3]->data[B - 1] == (float)len_after,
            "memory_len %g, the equations keep %zu", loss ? (double)fin[3]->data[0] : -1.0, len_after);
    rc_tape_free(tp);
    run_free(&r);
    rc_model_free(m);
}

static void check_gradients(int dropout)
{
    rc_model *m = tiny(6, dropout ? 0.3f : 0.0f, 1);
    if (!m)
        return;
    run r;
    run_init(&r, m, 3, 2, 9);
    r.dropout = dropout;
    rc_tensor *wrt[64];
    const char *names[64];
    size_t k = 0;
    for (size_t i = 0; i < rc_model_state_count(m); i++)
        if (strcmp(rc_model_state_name(m, i), "memory_len"))
            wrt[k] = r.s[i], names[k++] = rc_model_state_name(m, i);
    rc_params *p = rc_model_params(m);
    for (size_t i = 0; i < rc_params_count(p) && k < 64; i++)
        wrt[k] = rc_params_tensor(p, i), names[k++] = rc_params_name(p, i);
    T_CHECK(k < 64, "too many tensors");
    /* with dropout's 1/(1-p) at six sites in a row the loss curves fast
     * enough that the default step misjudges a few LSTM input weights by
     * 1-2 %: those are measured again at smaller steps, where they agree */
    t_gradcheck(loss_of, &r, wrt, k, names, dropout);
    run_free(&r);
    rc_model_free(m);
}

/* Window 1 then window 2, each carrying the states and memory, equal one
 * window of both when the memory holds the first (N >= 2T). */
static void check_two_windows(void)
{
    enum { T = 3 };
    rc_model *m = tiny(2 * T, 0.0f, 0);
    if (!m)
        return;
    run whole, part;
    run_init(&whole, m, 2 * T, 0, 4);
    run_init(&part, m, T, 0, 4);
    for (size_t i = 0; i < rc_model_state_count(m); i++) { /* both from zeros */
        rc_tensor_fill(whole.s[i], 0.0f);
        rc_tensor_fill(part.s[i], 0.0f);
    }
    rc_tape *tp = rc_tape_new();
    rc_batch b = {0};
    b.T = 2 * T, b.B = B, b.tokens = whole.tokens, b.targets = whole.targets, b.states0 = whole.s;
    rc_tensor *all = NULL, *fin_all[RC_MODEL_MAX_STATES];
    T_CHECK(rc_model_loss_states(tp, m, &b, NULL, &all, fin_all), "%s", rc_last_error());
    double worst = 0;
    for (size_t half = 0; all && half < 2; half++) {
        memcpy(part.tokens, whole.tokens + half * T * B, T * B * sizeof(int32_t));
        memcpy(part.targets, whole.targets + half * T * B, T * B * sizeof(int32_t));
        rc_tensor *logits = NULL, *fin[RC_MODEL_MAX_STATES] = {0};
        b.T = T, b.tokens = part.tokens, b.targets = part.targets, b.states0 = part.s;
        T_CHECK(rc_model_loss_states(tp, m, &b, NULL, &logits, fin), "%s", rc_last_error());
        for (size_t i = 0; logits && i < T * B * V; i++)
            worst = fmax(worst, fabs(logits->data[i] - all->data[half * T * B * V + i]));
        for (size_t i = 0; logits && i < rc_model_state_count(m); i++) /* carried, detached */
            memcpy(part.s[i]->data, fin[i]->data, fin[i]->size * sizeof(float));
    }
    T_CHECK(worst < 1e-5, "two windows differ from one by %g", worst);
    for (size_t i = 0; all && i < rc_model_state_count(m); i++)
        for (size_t j = 0; j < fin_all[i]->size; j++)
            worst = fmax(worst, fabs(fin_all[i]->data[j] - part.s[i]->data[j]));
    T_CHECK(worst < 1e-5, "the final states differ by %g", worst);
    rc_tape_free(tp);
    run_free(&whole);
    run_free(&part);
    rc_model_free(m);
}

/* One token at a time, batch 1 (how recur sample steps a SHA-RNN), equals
 * one window over the same tokens: rows the size of one position must keep
 * their [T, B, E] shape through every broadcast. */
static void check_steps(void)
{
    enum { T = 5 };
    rc_model *m = tiny(8, 0.0f, 1);
    if (!m)
        return;
    int32_t tokens[T] = {1, 4, 2, 6, 3}, targets[T] = {0};
    rc_tensor *s[RC_MODEL_MAX_STATES] = {0};
    size_t shape[3], n = rc_model_state_count(m);
    for (size_t i = 0; i < n; i++) {
        rc_model_state_shape(m, i, 1, shape);
        s[i] = rc_tensor_new(3, shape);
    }
    rc_tape *tp = rc_tape_new();
    rc_batch b = {0};
    b.T = T, b.B = 1, b.tokens = tokens, b.targets = targets, b.states0 = s;
    rc_tensor *whole = NULL, *fin[RC_MODEL_MAX_STATES];
    T_CHECK(rc_model_loss_states(tp, m, &b, NULL, &whole, fin), "%s", rc_last_error());
    double worst = 0;
    for (size_t t = 0; whole && t < T; t++) {
        rc_tensor *logits = NULL;
        b.T = 1, b.tokens = tokens + t, b.targets = targets + t;
        T_CHECK(rc_model_loss_states(tp, m, &b, NULL, &logits, fin), "step %zu: %s", t, rc_last_error());
        if (!logits)
            break;
        for (size_t k = 0; k < V; k++)
            worst = fmax(worst, fabs(logits->data[k] - whole->data[t * V + k]));
        for (size_t i = 0; i < n; i++)
            memcpy(s[i]->data, fin[i]->data, fin[i]->size * sizeof(float));
    }
    T_CHECK(worst < 1e-5, "stepping differs from the window by %g", worst);
    rc_tape_free(tp);
    for (size_t i = 0; i < n; i++)
        rc_tensor_free(s[i]);
    rc_model_free(m);
}

/* tests/ref/sha_rnn_l3: the reference model.py's own outputs (run by
 * tests/ref/make_sha_ref.py in float64) for four windows of batch 2, the
 * states and memory carried: every window's logits, then the final h, c
 * and the memory. */
static void check_fixture(void)
{
    rc_safetensors *data = rc_safetensors_load("tests/ref/sha_rnn_l3.data.safetensors");
    rc_model *m = rc_model_load("tests/ref/sha_rnn_l3.model.safetensors", NULL);
    T_CHECK(data && m, "%s", rc_last_error());
    if (!data || !m) {
        rc_safetensors_free(data);
        rc_model_free(m);
        return;
    }
    size_t n = rc_model_state_count(m), shape[3];
    rc_tensor *s[RC_MODEL_MAX_STATES] = {0}, *fin[RC_MODEL_MAX_STATES] = {0};
    for (size_t i = 0; i < n; i++) {
        rc_model_state_shape(m, i, 2, shape);
        s[i] = rc_tensor_new(3, shape);
    }
    rc_tape *tp = rc_tape_new();
    double worst = 0, scale = 0;
    size_t windows = 0;
    for (;; windows++) {
        char name[32];
        snprintf(name, sizeof name, "tokens_w%zu", windows);
        rc_tensor *tok = rc_safetensors_tensor(data, name);
        snprintf(name, sizeof name, "logits_w%zu", windows);
        rc_tensor *want = rc_safetensors_tensor(data, name);
        if (!tok || !want) {
            rc_tensor_free(tok), rc_tensor_free(want);
            break;
        }
        int32_t ids[64], targets[64] = {0};
        for (size_t i = 0; i < tok->size && i < 64; i++)
            ids[i] = (int32_t)tok->data[i];
        rc_batch b = {0};
        b.T = tok->shape[0], b.B = 2, b.tokens = ids, b.targets = targets, b.states0 = s;
        rc_tensor *logits = NULL;
        T_CHECK(rc_model_loss_states(tp, m, &b, NULL, &logits, fin), "window %zu: %s", windows, rc_last_error());
        for (size_t i = 0; logits && i < want->size; i++) {
            worst = fmax(worst, fabs(logits->data[i] - want->data[i]));
            scale = fmax(scale, fabs(want->data[i]));
        }
        for (size_t i = 0; logits && i < n; i++)
            memcpy(s[i]->data, fin[i]->data, fin[i]->size * sizeof(float));
        rc_tensor_free(tok), rc_tensor_free(want);
    }
    T_CHECK(windows == 4, "%zu windows in the fixture", windows);
    T_CHECK(worst <= 1e-5 * fmax(1.0, scale), "logits differ from the reference's by %g (scale %g)", worst, scale);
    rc_tensor *h = rc_safetensors_tensor(data, "h_n"), *c = rc_safetensors_tensor(data, "c_n"),
              *mem = rc_safetensors_tensor(data, "memory");
    double states = 0;
    for (size_t i = 0; h && c && i < h->size; i++)
        states = fmax(states, fmax(fabs(s[0]->data[i] - h->data[i]), fabs(s[1]->data[i] - c->data[i])));
    size_t rows = mem ? mem->shape[0] : 0;
    T_CHECK(mem && s[3]->data[0] == (float)rows, "memory rows: the reference keeps %zu, recur %g", rows,
            (double)s[3]->data[0]);
    for (size_t i = 0; mem && i < mem->size; i++)
        states = fmax(states, fabs(s[2]->data[i] - mem->data[i]));
    T_CHECK(h && c && states <= 1e-5, "final states and memory differ from the reference's by %g", states);
    rc_tensor_free(h), rc_tensor_free(c), rc_tensor_free(mem);
    for (size_t i = 0; i < n; i++)
        rc_tensor_free(s[i]);
    rc_tape_free(tp);
    rc_safetensors_free(data);
    rc_model_free(m);
}

/* memory_len must be one fill for all columns. */
static void check_memory_len(void)
{
    rc_model *m = tiny(6, 0.0f, 0);
    if (!m)
        return;
    run r;
    run_init(&r, m, 3, 2, 1);
    r.s[3]->data[1] = 3.0f;
    rc_tape *tp = rc_tape_new();
    T_CHECK(!loss_of(tp, &r), "columns with different fills accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "one whole number of positions");
    rc_tape_free(tp);
    run_free(&r);
    rc_model_free(m);
}

static void check_file(void)
{
    rc_model *m = tiny(5, 0.1f, 1);
    if (!m)
        return;
    T_CHECK(rc_model_save(m, t_path("sha.safetensors"), 0, NULL, NULL) == RC_OK, "%s", rc_last_error());
    rc_model *back = rc_model_load(t_path("sha.safetensors"), NULL);
    T_CHECK(back, "%s", rc_last_error());
    if (back) {
        const rc_model_config *c = rc_model_config_of(back);
        T_CHECK(c->sha_rnn && c->sha_ff == F && c->sha_memory == 5 && rc_model_state_count(back) == 4,
                "settings back: sha_rnn %d ff %zu memory %zu", c->sha_rnn, c->sha_ff, c->sha_memory);
        run r;
        run_init(&r, m, 3, 1, 2);
        rc_tape *tp = rc_tape_new();
        rc_tensor *a = loss_of(tp, &r);
        r.m = back;
        rc_tensor *b = loss_of(tp, &r);
        T_CHECK(a && b && a->data[0] == b->data[0], "losses %g and %g", a ? a->data[0] : -1.0, b ? b->data[0] : -1.0);
        rc_tape_free(tp);
        run_free(&r);
    }
    rc_model_free(back);
    rc_model_free(m);
}

static void check_config(void)
{
    rc_model_config mc = {0};
    mc.task = RC_TASK_LM, mc.n_out = V, mc.sha_rnn = 1;
    mc.rnn = rc_rnn_config_default(RC_CELL_LSTM, E, E);
    T_CHECK(!rc_model_new(&mc, NULL), "one layer accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "at least 2 layers");
    mc.rnn.num_layers = 2, mc.sha_ff = 6;
    T_CHECK(!rc_model_new(&mc, NULL), "a Boom of 6 over a width of 4 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "sha_ff 6 is not a multiple of the embedding size 4");
    mc.sha_ff = 0, mc.rnn.dropout = 0.1f, mc.rnn.dropout_locked = 1;
    T_CHECK(!rc_model_new(&mc, NULL), "locked dropout in the blocks accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "not locked dropout");
    mc.rnn.dropout = 0.0f, mc.rnn.dropout_locked = 0, mc.rnn.hidden_sizes[1] = 6;
    T_CHECK(!rc_model_new(&mc, NULL), "layers of another width accepted");
    mc.rnn.hidden_sizes[1] = 0, mc.task = RC_TASK_MUSIC, mc.n_out = 88, mc.rnn.input_size = 88;
    T_CHECK(!rc_model_new(&mc, NULL), "a music SHA-RNN accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "is a language model");
}

void suite_sha(void)
{
    t_case("sha-rnn: == the reference model.py's outputs (tests/ref/sha_rnn_l3, four windows carried)");
    if (t_selected())
        check_fixture();
    static const struct {
        size_t N, T, len;
        const char *what;
    } refs[] = {
        {8, 3, 0, "an empty memory"},
        {8, 3, 4, "a memory of 4 of 8 positions"},
        {5, 3, 5, "a full memory of 5 of which the window of 3 leaves 2"},
        {2, 3, 1, "a memory of 2, shorter than the window: it keeps the window's last 2"},
    };
    for (size_t i = 0; i < sizeof refs / sizeof *refs; i++) {
        t_case("sha-rnn: logits and memory == the reference's equations, %s", refs[i].what);
        if (t_selected())
            check_reference(refs[i].N, refs[i].T, refs[i].len);
    }
    t_case("sha-rnn: without attention (sha_no_attention) == the equations without it, no memory");
    if (t_selected()) {
        no_attention = 1;
        check_reference(8, 3, 0);
        no_attention = 0;
    }
    t_case("sha-rnn: finite differences of the loss (weights, states, memory)");
    if (t_selected())
        check_gradients(0);
    t_case("sha-rnn: finite differences of the loss with dropout");
    if (t_selected())
        check_gradients(1);
    t_case("sha-rnn: two windows with states and memory carried == one window");
    if (t_selected())
        check_two_windows();
    t_case("sha-rnn: one token at a time, batch 1 == one window (how sample steps it)");
    if (t_selected())
        check_steps();
    t_case("sha-rnn: a memory_len that differs between columns is refused");
    if (t_selected())
        check_memory_len();
    t_case("sha-rnn: save and load keep its settings and its loss");
    if (t_selected())
        check_file();
    t_case("sha-rnn: configurations it cannot be are refused");
    if (t_selected())
        check_config();
}
