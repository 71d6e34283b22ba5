/* test_registry.c — the checks every cell of RC_CELL_LIST gets with no test
 * code of its own: for each cell, at small sizes and its default options
 * (and again with each two-valued option at its other value: the LSTM's
 * peepholes, the QRNN's window, which change what a cell declares), in four
 * layouts (one layer; two bidirectional layers with lengths; two
 * residual layers with and without lengths):
 *   - finite differences of the composed path (the cell's step, the
 *     specification) for the input, every initial state and every weight;
 *   - its fused kernel, where it has one, equal to the composed path in the
 *     outputs, every final state and every gradient;
 *   - lengths as packed sequences: each sequence alone over its own length
 *     gives the same outputs and final states, zeros past its end;
 *   - a stream, one step and three steps at a time, equal to the whole pass,
 *     allocating nothing once created;
 *   - save -> load -> the same outputs bit for bit, and a file with one
 *     weight of the wrong shape refused, naming the tensor and the shape.
 * A cell adds tests of its own for what is special about it (its paper's
 * equations against a reference, its options). */
#include "gradcheck.h"
#include "test.h"
#include "../src/cells/cells.h"

#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { T_STEPS = 4, INPUT = 4, HIDDEN = 4, MAX_B = 3 }; /* the PRU's default levels need I and H to divide by 4 */

typedef struct {
    size_t layers;
    int bidirectional, lengths, residual;
    size_t batch;
} layout;

static const layout layouts[] = {
    {1, 0, 0, 0, 3},
    {2, 1, 1, 0, 3},
    {2, 0, 1, 1, 2},
    {2, 0, 0, 1, 2},
};

/* A cell with one option set (name NULL: every option at its default). */
typedef struct {
    int cell;
    const char *opt;
    double value;
} setting;

typedef struct {
    int cell;
    const setting *set;
    const layout *lay;
    rc_params *params;
    rc_rnn *rnn;
    size_t n_states, rows;
    rc_tensor *x, *s0[RC_MAX_STATES]; /* caller-owned, with gradients */
    int32_t lengths[MAX_B];
    int composed;
} net;

static void describe(char *buf, size_t cap, const setting *set, const layout *l)
{
    char opt[48] = "";
    if (set->opt)
        snprintf(opt, sizeof opt, " %s=%g", set->opt, set->value);
    snprintf(buf, cap, "%s%s L=%zu %s B=%zu%s%s", rc_cell_name(set->cell), opt, l->layers,
             l->bidirectional ? "bi" : "uni", l->batch, l->lengths ? " lengths" : "", l->residual ? " residual" : "");
}

/* Options at which the registry runs a cell whose defaults are too large to
 * difference every element of (the NTM's 128 x 20 memory). */
static const setting smaller[] = {
    {RC_CELL_NTM, "slots", 5},
    {RC_CELL_NTM, "width", 3},
};

static rc_rnn_config config_of(const setting *set, const layout *l)
{
    rc_rnn_config cfg = rc_rnn_config_default(set->cell, INPUT, HIDDEN);
    for (size_t i = 0; i < sizeof smaller / sizeof smaller[0]; i++)
        if (smaller[i].cell == set->cell)
            T_CHECK(rc_rnn_config_set(&cfg, smaller[i].opt, smaller[i].value) == RC_OK, "%s", rc_last_error());
    if (set->opt)
        T_CHECK(rc_rnn_config_set(&cfg, set->opt, set->value) == RC_OK, "%s", rc_last_error());
    cfg.num_layers = l->layers;
    cfg.bidirectional = l->bidirectional;
    cfg.residual = l->residual;
    return cfg;
}

/* A network with weights uniform in +-0.6 (larger than the usual
 * initialisation, so every path carries signal), x and every initial state
 * drawn, all with gradients. */
static int net_init(net *n, const setting *set, const layout *l)
{
    memset(n, 0, sizeof *n);
    int cell = n->cell = set->cell;
    n->set = set;
    n->lay = l;
    rc_rnn_config cfg = config_of(set, l);
    n->params = rc_params_new();
    n->rnn = rc_rnn_new(&cfg, n->params, "rnn.", NULL);
    T_CHECK(n->rnn, "rc_rnn_new: %s", rc_last_error());
    if (!n->rnn)
        return -1;
    rc_rng rng;
    rc_rng_seed(&rng, 41, (uint64_t)cell);
    for (size_t i = 0; i < rc_params_count(n->params); i++)
        rc_tensor_fill_uniform(rc_params_tensor(n->params, i), &rng, -0.6f, 0.6f);
    size_t B = l->batch;
    n->rows = l->layers * (l->bidirectional ? 2 : 1);
    n->n_states = rc_rnn_state_count(n->rnn);
    n->x = rc_tensor_new(3, (size_t[]){T_STEPS, B, INPUT});
    rc_tensor_fill_normal(n->x, &rng, 0.0f, 1.0f);
    rc_tensor_require_grad(n->x);
    for (size_t i = 0; i < n->n_states; i++) {
        n->s0[i] = rc_tensor_new(3, (size_t[]){n->rows, B, rc_rnn_state_width(n->rnn, i)});
        if (rc__rnn_decl(n->rnn, 0)->state_flags[i] & RC__STATE_NONNEGATIVE)
            rc_tensor_fill_uniform(n->s0[i], &rng, 0.05f, 1.0f);
        else
            rc_tensor_fill_normal(n->s0[i], &rng, 0.0f, 0.5f);
        rc_tensor_require_grad(n->s0[i]);
    }
    const int32_t lengths[MAX_B] = {T_STEPS, 2, 1};
    memcpy(n->lengths, lengths, sizeof lengths);
    return 0;
}

static void net_free(net *n)
{
    rc_rnn_free(n->rnn);
    rc_params_free(n->params);
    rc_tensor_free(n->x);
    for (size_t i = 0; i < n->n_states; i++)
        rc_tensor_free(n->s0[i]);
}

static rc_tensor *forward(rc_tape *tp, net *n, rc_rnn *rnn, rc_tensor **states_n)
{
    rc_rnn_options o = {0};
    o.states0 = n->s0;
    o.lengths = n->lay->lengths ? n->lengths : NULL;
    o.composed = n->composed;
    return rc_rnn_forward_states(tp, rnn, n->x, &o, states_n);
}

/* The output and every final state, flattened and joined. */
static rc_tensor *build(rc_tape *tp, void *ctx)
{
    net *n = ctx;
    rc_tensor *fin[RC_MAX_STATES], *parts[1 + RC_MAX_STATES];
    rc_tensor *y = forward(tp, n, n->rnn, fin);
    if (!y)
        return NULL;
    parts[0] = rc_reshape(tp, y, 1, (size_t[]){y->size});
    for (size_t i = 0; i < n->n_states; i++)
        parts[1 + i] = rc_reshape(tp, fin[i], 1, (size_t[]){fin[i]->size});
    return rc_concat(tp, parts, 1 + n->n_states, 0);
}

static size_t wrt_of(net *n, rc_tensor **wrt, const char **names)
{
    size_t k = 0;
    wrt[k] = n->x, names[k++] = "x";
    for (size_t i = 0; i < n->n_states; i++)
        wrt[k] = n->s0[i], names[k++] = rc_rnn_state_name(n->rnn, i);
    for (size_t i = 0; i < rc_params_count(n->params); i++)
        wrt[k] = rc_params_tensor(n->params, i), names[k++] = rc_params_name(n->params, i);
    return k;
}

enum { MAX_WRT = 1 + RC_MAX_STATES + 2 * 2 * RC__CELL_MAX_PARAMS };

static void check_fd(net *n)
{
    rc_tensor *wrt[MAX_WRT];
    const char *names[MAX_WRT];
    size_t k = wrt_of(n, wrt, names);
    n->composed = 1;
    t_gradcheck(build, n, wrt, k, names,
                n->cell == RC_CELL_RNN_RELU || n->cell == RC_CELL_URNN || n->cell == RC_CELL_ASSOC_LSTM);
}

/* One path's joined outputs and every gradient of sum(out * R), joined. */
static float *run_path(net *n, int composed, size_t *n_out, float **grads, size_t *n_grads)
{
    rc_tensor *wrt[MAX_WRT];
    const char *names[MAX_WRT];
    size_t k = wrt_of(n, wrt, names);
    n->composed = composed;
    return t_values_and_grads(build, n, wrt, k, n_out, grads, n_grads);
}

static void check_fused(net *n)
{
    size_t nf = 0, nc = 0, gf_n = 0, gc_n = 0;
    float *gf, *gc;
    float *yf = run_path(n, 0, &nf, &gf, &gf_n);
    float *yc = run_path(n, 1, &nc, &gc, &gc_n);
    T_CHECK(yf && yc && gf && gc && nf == nc && gf_n == gc_n, "a path failed: %s", rc_last_error());
    if (yf && yc && gf && gc && nf == nc && gf_n == gc_n) {
        T_CHECK(t_max_diff(yf, yc, nf) <= 2e-5 * fmax(1.0, t_max_abs(yc, nc)), "outputs and states differ by %g",
                t_max_diff(yf, yc, nf));
        T_CHECK(t_max_diff(gf, gc, gf_n) <= 2e-5 * fmax(1.0, t_max_abs(gc, gc_n)), "gradients differ by %g",
                t_max_diff(gf, gc, gf_n));
    }
    free(yf), free(yc), free(gf), free(gc);
}

/* Each sequence alone over its own length: the same outputs and final
 * states; outputs past its end are 0. */
static void check_lengths(net *n)
{
    size_t B = n->lay->batch, O = rc_rnn_output_size(n->rnn);
    rc_tape *tp = rc_tape_new();
    rc_tensor *fin[RC_MAX_STATES];
    rc_tensor *y = forward(tp, n, n->rnn, fin);
    T_CHECK(y, "%s", rc_last_error());
    for (size_t b = 0; y && b < B; b++) {
        size_t Tb = (size_t)n->lengths[b];
        rc_tensor *xb = rc_tape_tensor(tp, 3, (size_t[]){Tb, 1, INPUT}), *sb[RC_MAX_STATES], *fb[RC_MAX_STATES];
        for (size_t t = 0; t < Tb; t++)
            memcpy(xb->data + t * INPUT, n->x->data + (t * B + b) * INPUT, INPUT * sizeof(float));
        for (size_t i = 0; i < n->n_states; i++) {
            size_t w = rc_rnn_state_width(n->rnn, i);
            sb[i] = rc_tape_tensor(tp, 3, (size_t[]){n->rows, 1, w});
            for (size_t r = 0; r < n->rows; r++)
                memcpy(sb[i]->data + r * w, n->s0[i]->data + (r * B + b) * w, w * sizeof(float));
        }
        rc_rnn_options o = {0};
        o.states0 = sb;
        rc_tensor *yb = rc_rnn_forward_states(tp, n->rnn, xb, &o, fb);
        T_CHECK(yb, "%s", rc_last_error());
        double worst = 0.0;
        int zero_tail = 1;
        for (size_t t = 0; yb && t < T_STEPS; t++)
            for (size_t j = 0; j < O; j++) {
                float v = y->data[(t * B + b) * O + j];
                if (t < Tb)
                    worst = fmax(worst, fabs(v - yb->data[t * O + j]));
                else
                    zero_tail &= v == 0.0f;
            }
        for (size_t i = 0; yb && i < n->n_states; i++) {
            size_t w = rc_rnn_state_width(n->rnn, i);
            for (size_t r = 0; r < n->rows; r++)
                for (size_t j = 0; j < w; j++)
                    worst = fmax(worst, fabs(fin[i]->data[(r * B + b) * w + j] - fb[i]->data[r * w + j]));
        }
        T_CHECK(worst < 1e-5, "sequence %zu (length %zu) differs from its own run by %g", b, Tb, worst);
        T_CHECK(zero_tail, "sequence %zu: outputs past its length are not zero", b);
    }
    rc_tape_free(tp);
}

/* A stream, `chunk` steps at a time, equals the whole pass; running
 * allocates nothing. */
static void check_stream(net *n, size_t chunk)
{
    size_t B = n->lay->batch, O = rc_rnn_output_size(n->rnn);
    rc_tape *tp = rc_tape_new();
    rc_tensor *fin[RC_MAX_STATES];
    rc_tensor *y = forward(tp, n, n->rnn, fin);
    rc_rnn_stream *s = rc_rnn_stream_new(n->rnn, B, chunk);
    T_CHECK(y && s, "%s", rc_last_error());
    if (y && s) {
        for (size_t i = 0; i < n->n_states; i++)
            memcpy(rc_rnn_stream_state(s, i), n->s0[i]->data, n->s0[i]->size * sizeof(float));
        float *ys = malloc(T_STEPS * B * O * sizeof *ys);
        rc_rnn_stream_run(s, n->x->data, 1, ys); /* warm-up: BLAS may set up buffers once */
        struct mallinfo2 before = mallinfo2();
        for (size_t t = 1; t < T_STEPS; t += chunk) {
            size_t steps = T_STEPS - t < chunk ? T_STEPS - t : chunk;
            T_CHECK(rc_rnn_stream_run(s, n->x->data + t * B * INPUT, steps, ys + t * B * O) == RC_OK, "%s",
                    rc_last_error());
        }
        struct mallinfo2 after = mallinfo2();
        T_CHECK(after.uordblks == before.uordblks && after.hblkhd == before.hblkhd,
                "running allocated: %zu -> %zu bytes in use", before.uordblks, after.uordblks);
        double worst = t_max_diff(ys, y->data, T_STEPS * B * O);
        for (size_t i = 0; i < n->n_states; i++)
            worst = fmax(worst, t_max_diff(rc_rnn_stream_state(s, i), fin[i]->data, fin[i]->size));
        T_CHECK(worst <= 1e-6, "the stream differs from the whole pass by %g", worst);
        free(ys);
    }
    rc_rnn_stream_free(s);
    rc_tape_free(tp);
}

/* Saved and loaded, the network gives the same outputs bit for bit; a file
 * with one weight of another shape is refused, naming it and the shape. */
static void check_files(net *n)
{
    size_t counted = 0;
    T_CHECK(rc_rnn_config_params(rc_rnn_config_of(n->rnn), &counted) == RC_OK &&
                counted == rc_params_numel(n->params),
            "rc_rnn_config_params counts %zu weights, the network has %zu", counted, rc_params_numel(n->params));
    const char *path = t_path("cell.safetensors");
    T_CHECK(rc_rnn_save(n->rnn, path) == RC_OK, "save: %s", rc_last_error());
    rc_rnn *back = rc_rnn_load(path, -1);
    T_CHECK(back, "load: %s", rc_last_error());
    if (!back)
        return;
    T_CHECK(rc_rnn_config_of(back)->cell == n->cell, "loaded as %s", rc_cell_name(rc_rnn_config_of(back)->cell));
    rc_tape *tp = rc_tape_new();
    rc_tensor *fa[RC_MAX_STATES], *fb[RC_MAX_STATES];
    rc_tensor *ya = forward(tp, n, n->rnn, fa), *yb = forward(tp, n, back, fb);
    T_CHECK(ya && yb && ya->size == yb->size && !memcmp(ya->data, yb->data, ya->size * sizeof(float)),
            "the loaded network's outputs differ");
    rc_tape_free(tp);
    rc_rnn_free(back);

    /* the first weight one row longer, everything else (metadata too) kept */
    rc_safetensors *st = rc_safetensors_load(path);
    T_CHECK(st, "%s", rc_last_error());
    if (!st)
        return;
    size_t nt = rc_safetensors_count(st), nm = rc_safetensors_metadata_count(st);
    const char **names = calloc(nt, sizeof *names), **keys = calloc(nm, sizeof *keys),
               **values = calloc(nm, sizeof *values);
    rc_tensor **ts = calloc(nt, sizeof *ts);
    for (size_t i = 0; i < nt; i++) {
        names[i] = rc_safetensors_name(st, i);
        ts[i] = rc_safetensors_tensor(st, names[i]);
    }
    for (size_t i = 0; i < nm; i++)
        keys[i] = rc_safetensors_metadata_key(st, i), values[i] = rc_safetensors_metadata(st, keys[i]);
    rc_tensor *first = rc_params_tensor(n->params, 0);
    const char *victim = rc_params_name(n->params, 0) + strlen("rnn.");
    size_t shape[RC_MAX_DIMS];
    memcpy(shape, first->shape, sizeof shape);
    shape[0]++;
    char want[64], got[64], needle[256];
    rc_tensor *wrong = rc_tensor_new(first->ndim, shape);
    snprintf(needle, sizeof needle, "'%s' has shape %s but", victim, rc_shape_str(wrong, got, sizeof got));
    for (size_t i = 0; i < nt; i++)
        if (!strcmp(names[i], victim))
            rc_tensor_free(ts[i]), ts[i] = wrong;
    const char *bad = t_path("bad-cell.safetensors");
    T_CHECK(rc_safetensors_save(bad, nt, names, (const rc_tensor *const *)ts, nm, keys, values) == RC_OK, "%s",
            rc_last_error());
    rc_rnn *refused = rc_rnn_load(bad, -1);
    T_CHECK(!refused, "a wrongly shaped %s was accepted", victim);
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, needle);
    T_CHECK(strstr(rc_last_error(), rc_shape_str(first, want, sizeof want)), "the message lacks the shape %s: %s",
            want, rc_last_error());
    rc_rnn_free(refused);
    for (size_t i = 0; i < nt; i++)
        rc_tensor_free(ts[i]);
    free(names), free(keys), free(values), free(ts);
    rc_safetensors_free(st);
}

/* Every check, in every layout, for one setting of a cell. */
static void battery(const setting *set)
{
    char name[160];
    for (size_t k = 0; k < sizeof layouts / sizeof layouts[0]; k++) {
        const layout *l = &layouts[k];
        describe(name, sizeof name, set, l);
        net n;
        t_case("registry: finite differences, composed: %s", name);
        if (t_selected() && !net_init(&n, set, l)) {
            check_fd(&n);
            net_free(&n);
        }
        if (rc__cell_of(set->cell)->kernels) {
            t_case("registry: fused == composed: %s", name);
            if (t_selected() && !net_init(&n, set, l)) {
                check_fused(&n);
                net_free(&n);
            }
        }
        if (l->lengths) {
            t_case("registry: lengths act as packed sequences: %s", name);
            if (t_selected() && !net_init(&n, set, l)) {
                check_lengths(&n);
                net_free(&n);
            }
        }
        if (!l->bidirectional && !l->lengths)
            for (size_t chunk = 1; chunk <= 3; chunk += 2) {
                t_case("registry: stream, %zu step(s) at a time == whole pass: %s", chunk, name);
                if (t_selected() && !net_init(&n, set, l)) {
                    check_stream(&n, chunk);
                    net_free(&n);
                }
            }
        t_case("registry: save, load, a wrong shape refused, the weights counted before building: %s", name);
        if (t_selected() && !net_init(&n, set, l)) {
            check_files(&n);
            net_free(&n);
        }
    }
}

void suite_registry(void)
{
    for (int cell = 0; cell < RC_CELL_COUNT; cell++) {
        t_case("registry: %s has a descriptor, a summary and a name that maps back", rc_cell_name(cell));
        T_CHECK(rc__cell_of(cell) && rc__cell_of(cell)->step && rc__cell_of(cell)->declare && rc_cell_summary(cell) &&
                    rc_cell_from_name(rc_cell_name(cell)) == cell,
                "incomplete");
        battery(&(setting){cell, NULL, 0});
        const rc__cell_option *o = rc__cell_of(cell)->options;
        for (size_t i = 0; o && o[i].name; i++)
            if (o[i].integer && o[i].max - o[i].min == 1)
                battery(&(setting){cell, o[i].name, o[i].fallback == o[i].min ? o[i].max : o[i].min});
    }
}
