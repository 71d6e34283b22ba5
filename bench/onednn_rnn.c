/* onednn_rnn.c — oneDNN's RNN primitives timed on the shapes `recur bench`
 * takes, for bench/rnn_vs_torch.py.  Not part of recur: built by
 * `make bench-onednn` where Debian's libdnnl-dev is installed.
 *
 *   onednn_rnn --cell lstm|gru|rnn_tanh --mode infer|train|stream --seq T
 *              --batch B --input I --hidden H [--layers L] [--bidirectional]
 *              [--reps R]
 *
 * gru is oneDNN's lbr_gru (the reset gate after the recurrent product, as
 * PyTorch and recur's gru).  One primitive per layer (a stacked
 * bidirectional network feeds 2H channels to its second layer, which one
 * multi-layer primitive cannot take), weights and every buffer in the
 * layout the primitive asks for (format "any"), so no reorder is timed:
 * oneDNN's best case.  train = forward_training + backward with the
 * gradient of the sum of the outputs; stream = a one-step primitive run T
 * times (per-step figures; the state is not copied back between steps, as
 * its values do not change the time).  The threads are
 * OpenMP's (OMP_NUM_THREADS).  Prints one JSON object. */
#include <oneapi/dnnl/dnnl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(call)                                                                     \
    do {                                                                                \
        dnnl_status_t s_ = (call);                                                      \
        if (s_ != dnnl_success) {                                                       \
            fprintf(stderr, "onednn_rnn: %s failed: status %d (line %d)\n", #call, (int)s_, \
                    __LINE__);                                                          \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

enum { MAX_LAYERS = 8, MAX_ARGS = 24 };

typedef struct {
    dnnl_primitive_t prim;
    int n;
    dnnl_exec_arg_t args[MAX_ARGS];
} step;

static dnnl_engine_t engine;
static dnnl_stream_t stream;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static dnnl_memory_desc_t md(int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t d;
    CHECK(dnnl_memory_desc_init_by_tag(&d, ndims, dims, dnnl_f32, tag));
    return d;
}

static dnnl_memory_t alloc(const dnnl_memory_desc_t *d, float value)
{
    dnnl_memory_t m;
    CHECK(dnnl_memory_create(&m, d, engine, DNNL_MEMORY_ALLOCATE));
    void *p;
    CHECK(dnnl_memory_get_data_handle(m, &p));
    size_t n = dnnl_memory_desc_get_size(d) / sizeof(float);
    for (size_t i = 0; i < n; i++)
        ((float *)p)[i] = value;
    return m;
}

/* Binds every argument the primitive takes: the memory in `have` when its
 * descriptor matches, else a new one (kept in `have` for the next user). */
static void bind(step *s, const_dnnl_primitive_desc_t pd, dnnl_memory_t *have)
{
    static const int ids[] = {DNNL_ARG_SRC_LAYER, DNNL_ARG_SRC_ITER, DNNL_ARG_SRC_ITER_C,
                              DNNL_ARG_WEIGHTS_LAYER, DNNL_ARG_WEIGHTS_ITER, DNNL_ARG_BIAS,
                              DNNL_ARG_DST_LAYER, DNNL_ARG_DST_ITER, DNNL_ARG_DST_ITER_C,
                              DNNL_ARG_WORKSPACE, DNNL_ARG_DIFF_SRC_LAYER, DNNL_ARG_DIFF_SRC_ITER,
                              DNNL_ARG_DIFF_SRC_ITER_C, DNNL_ARG_DIFF_WEIGHTS_LAYER,
                              DNNL_ARG_DIFF_WEIGHTS_ITER, DNNL_ARG_DIFF_BIAS, DNNL_ARG_DIFF_DST_LAYER,
                              DNNL_ARG_DIFF_DST_ITER, DNNL_ARG_DIFF_DST_ITER_C};
    s->n = 0;
    for (size_t k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        const dnnl_memory_desc_t *d = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, ids[k]);
        if (!d || d->ndims == 0)
            continue;
        const dnnl_memory_desc_t *h = NULL;
        if (have[k])
            CHECK(dnnl_memory_get_memory_desc(have[k], &h));
        if (!h || !dnnl_memory_desc_equal(h, d))
            have[k] = alloc(d, ids[k] == DNNL_ARG_DIFF_DST_LAYER ? 1.0f : 0.01f);
        s->args[s->n++] = (dnnl_exec_arg_t){ids[k], have[k]};
    }
}

static void run(step *s) { CHECK(dnnl_primitive_execute(s->prim, stream, s->n, s->args)); }

/* The op descriptor of one layer (I inputs, D directions). */
static dnnl_rnn_desc_t layer_desc(int cell, int backward, int training, int T, int B, int I, int H, int D)
{
    dnnl_dims_t src = {T, B, I}, iter = {1, D, B, H}, dst = {T, B, D * H};
    int G = cell == 0 ? 4 : cell == 1 ? 3 : 1;
    dnnl_dims_t wl = {1, D, I, G, H}, wi = {1, D, H, G, H}, bias = {1, D, G + (cell == 1), H};
    dnnl_memory_desc_t s = md(3, src, dnnl_tnc), si = md(4, iter, dnnl_ldnc), d = md(3, dst, dnnl_tnc);
    dnnl_memory_desc_t di = md(4, iter, dnnl_ldnc), w1 = md(5, wl, dnnl_format_tag_any),
                       w2 = md(5, wi, dnnl_format_tag_any), b = md(4, bias, dnnl_ldgo);
    dnnl_memory_desc_t dw1 = md(5, wl, dnnl_format_tag_any), dw2 = md(5, wi, dnnl_format_tag_any);
    dnnl_prop_kind_t prop = backward ? dnnl_backward : training ? dnnl_forward_training : dnnl_forward_inference;
    dnnl_rnn_direction_t dir = D == 2 ? dnnl_bidirectional_concat : dnnl_unidirectional_left2right;
    dnnl_rnn_desc_t r;
    if (cell == 0 && !backward)
        CHECK(dnnl_lstm_forward_desc_init(&r, prop, dir, &s, &si, &si, &w1, &w2, &b, &d, &di, &di, 0));
    else if (cell == 0)
        CHECK(dnnl_lstm_backward_desc_init(&r, prop, dir, &s, &si, &si, &w1, &w2, &b, &d, &di, &di, &s, &si,
                                           &si, &dw1, &dw2, &b, &d, &di, &di, 0));
    else if (cell == 1 && !backward)
        CHECK(dnnl_lbr_gru_forward_desc_init(&r, prop, dir, &s, &si, &w1, &w2, &b, &d, &di, 0));
    else if (cell == 1)
        CHECK(dnnl_lbr_gru_backward_desc_init(&r, prop, dir, &s, &si, &w1, &w2, &b, &d, &di, &s, &si, &dw1, &dw2,
                                              &b, &d, &di, 0));
    else if (!backward)
        CHECK(dnnl_vanilla_rnn_forward_desc_init(&r, prop, dnnl_eltwise_tanh, dir, &s, &si, &w1, &w2, &b, &d, &di,
                                                 0, 0.0f, 0.0f));
    else
        CHECK(dnnl_vanilla_rnn_backward_desc_init(&r, prop, dnnl_eltwise_tanh, dir, &s, &si, &w1, &w2, &b, &d, &di,
                                                  &s, &si, &dw1, &dw2, &b, &d, &di, 0, 0.0f, 0.0f));
    return r;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int cell = 0, mode = 0, T = 100, B = 64, I = 256, H = 256, L = 1, D = 1, reps = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--bidirectional")) {
            D = 2;
            continue;
        }
        if (!strcmp(a, "--cell"))
            cell = !strcmp(v, "lstm") ? 0 : !strcmp(v, "gru") ? 1 : !strcmp(v, "rnn_tanh") ? 2 : -1;
        else if (!strcmp(a, "--mode"))
            mode = !strcmp(v, "infer") ? 0 : !strcmp(v, "train") ? 1 : !strcmp(v, "stream") ? 2 : -1;
        else if (!strcmp(a, "--seq"))
            T = atoi(v);
        else if (!strcmp(a, "--batch"))
            B = atoi(v);
        else if (!strcmp(a, "--input"))
            I = atoi(v);
        else if (!strcmp(a, "--hidden"))
            H = atoi(v);
        else if (!strcmp(a, "--layers"))
            L = atoi(v);
        else if (!strcmp(a, "--reps"))
            reps = atoi(v);
        else {
            fprintf(stderr, "onednn_rnn: unknown option '%s' (see the comment at the top of bench/onednn_rnn.c)\n", a);
            return 2;
        }
        i++;
    }
    if (cell < 0 || mode < 0 || T < 1 || B < 1 || I < 1 || H < 1 || L < 1 || L > MAX_LAYERS || reps < 1 ||
        (mode == 2 && D == 2)) {
        fprintf(stderr, "onednn_rnn: bad arguments (cell lstm|gru|rnn_tanh, mode infer|train|stream, sizes >= 1, "
                        "at most %d layers, stream needs one direction)\n", MAX_LAYERS);
        return 2;
    }
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));

    int train = mode == 1, Tp = mode == 2 ? 1 : T;
    step fwd[MAX_LAYERS], bwd[MAX_LAYERS];
    dnnl_memory_t mem[MAX_LAYERS][19] = {{0}};
    for (int l = 0; l < L; l++) {
        int in = l ? D * H : I;
        dnnl_rnn_desc_t fd = layer_desc(cell, 0, train, Tp, B, in, H, D);
        dnnl_primitive_desc_t fpd;
        CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, engine, NULL));
        if (l) /* this layer reads the previous layer's output */
            mem[l][0] = mem[l - 1][6];
        bind(&fwd[l], fpd, mem[l]);
        CHECK(dnnl_primitive_create(&fwd[l].prim, fpd));
        if (train) {
            dnnl_rnn_desc_t bd = layer_desc(cell, 1, 1, Tp, B, in, H, D);
            dnnl_primitive_desc_t bpd;
            CHECK(dnnl_primitive_desc_create(&bpd, &bd, NULL, engine, fpd));
            bind(&bwd[l], bpd, mem[l]);
            CHECK(dnnl_primitive_create(&bwd[l].prim, bpd));
            CHECK(dnnl_primitive_desc_destroy(bpd));
        }
        CHECK(dnnl_primitive_desc_destroy(fpd));
    }

    double *times = malloc((size_t)(reps + 1) * sizeof *times);
    for (int r = 0; r <= reps; r++) { /* the first is a warm-up */
        double t0 = now();
        for (int t = 0; t < (mode == 2 ? T : 1); t++)
            for (int l = 0; l < L; l++)
                run(&fwd[l]);
        for (int l = L - 1; train && l >= 0; l--)
            run(&bwd[l]);
        CHECK(dnnl_stream_wait(stream));
        times[r] = (now() - t0) * 1e3 / (mode == 2 ? T : 1);
    }
    qsort(times + 1, (size_t)reps, sizeof *times, by_value);
    double median = reps % 2 ? times[1 + reps / 2] : (times[reps / 2] + times[reps / 2 + 1]) / 2;
    const dnnl_version_t *v = dnnl_version();
    printf("{\"median_ms\": %.4f, \"min_ms\": %.4f, \"onednn\": \"%d.%d.%d\"}\n", median, times[1], v->major,
           v->minor, v->patch);
    free(times);
    return 0;
}
