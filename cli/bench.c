/* bench.c — `recur bench`: times the fused RNN/LSTM/GRU layers.
 *
 *   infer   a forward pass over [T, B, I], recording nothing
 *   train   forward plus backward of sum(output): gradients for the input and
 *           every weight
 *   stream  one step at a time through rc_rnn_stream (time per step)
 *
 * Before timing, the result is checked against the composed path (the
 * cells' steps written with operations): outputs, and for train the input's
 * and every weight's gradient.  FLOPs count the GEMMs only, per layer,
 * direction and step: 2 B G H (I_layer + H_out), G = 4 / 3 / 1; training
 * counts three times that.  Peak memory is the process's maximum resident
 * size. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/resource.h>
#include <time.h>

static const char *const modes[] = {"infer", "train", "stream", NULL};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One forward (and backward for train) on a fresh tape; the output and the
 * gradients stay readable until the next call. */
static rc_tensor *pass(rc_tape *tp, rc_rnn *rnn, rc_tensor *x, int train, int composed, float *ones)
{
    rc_rnn_options o = {0};
    o.composed = composed;
    rc_tape_reset(tp);
    rc_tape_set_grad_enabled(tp, train);
    if (train) {
        rc_params_zero_grad(rc_rnn_params(rnn));
        rc_tensor_zero_grad(x);
    }
    rc_tensor *y = rc_rnn_forward(tp, rnn, x, &o, NULL, NULL);
    if (y && train && rc_backward_grad(tp, y, ones))
        return NULL;
    return y;
}

static double max_diff(const float *a, const float *b, size_t n, double *scale)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs(a[i] - b[i]));
        *scale = fmax(*scale, fabs(b[i]));
    }
    return worst;
}

/* Peak resident memory of the timed passes: Linux resets the high-water mark
 * when "5" is written to /proc/self/clear_refs and reports it as VmHWM in
 * /proc/self/status; elsewhere getrusage's peak of the whole process.  What
 * the check freed is first handed back to the system (glibc keeps freed
 * heap memory resident otherwise, and it would count as the passes'), and
 * blocks of 1 MB and more are mapped on their own from the start: glibc
 * otherwise raises that threshold as the check frees large blocks, and
 * which of the passes' buffers then land in the heap, and stay resident
 * around them, depended on the order of the check's frees (shape c of the
 * speed issue: 278 or 310 MB for the same passes). */
static void reset_peak(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static double peak_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1.0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kb = strtod(line + 6, NULL);
    if (f)
        fclose(f);
    if (kb < 0.0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        kb = (double)ru.ru_maxrss; /* kilobytes on Linux */
    }
    return kb / 1024.0;
}

/* The stream, one step per call, against the composed path's outputs. */
static double check_stream(rc_rnn *rnn, rc_tensor *x, float *ones)
{
    rc_tape *tp = rc_tape_new();
    rc_tensor *ref = pass(tp, rnn, x, 0, 1, ones);
    size_t T = x->shape[0], B = x->shape[1], I = x->shape[2], W = rc_rnn_output_size(rnn);
    rc_rnn_stream *s = ref ? rc_rnn_stream_new(rnn, B, 1) : NULL;
    float *y = malloc(B * W * sizeof *y);
    double worst = s && y ? 0.0 : INFINITY, scale = 1e-30;
    for (size_t t = 0; s && y && t < T; t++) {
        rc_rnn_stream_run(s, x->data + t * B * I, 1, y);
        worst = fmax(worst, max_diff(y, ref->data + t * B * W, B * W, &scale));
    }
    free(y);
    rc_rnn_stream_free(s);
    rc_tape_free(tp);
    return worst / fmax(scale, 1e-30);
}

/* Fused against composed: returns the largest difference relative to scale. */
static double check(rc_rnn *rnn, rc_tensor *x, int train, float *ones)
{
    rc_tape *tp = rc_tape_new();
    rc_params *p = rc_rnn_params(rnn);
    size_t np = rc_params_numel(p);
    rc_tensor *y = pass(tp, rnn, x, train, 1, ones);
    if (!y) {
        rc_tape_free(tp);
        return INFINITY;
    }
    size_t ny = y->size;
    float *ref = malloc((ny + np + x->size) * sizeof *ref);
    memcpy(ref, y->data, ny * sizeof *ref);
    if (train) {
        memcpy(ref + ny, rc_params_grads(p), np * sizeof *ref);
        memcpy(ref + ny + np, x->grad, x->size * sizeof *ref);
    }
    y = pass(tp, rnn, x, train, 0, ones);
    double worst = INFINITY, scale = 1e-30;
    if (y) {
        worst = max_diff(y->data, ref, ny, &scale) / fmax(scale, 1e-30);
        if (train) {
            double gscale = 1e-30;
            double g = fmax(max_diff(rc_params_grads(p), ref + ny, np, &gscale),
                            max_diff(x->grad, ref + ny + np, x->size, &gscale));
            worst = fmax(worst, g / gscale);
        }
    }
    free(ref);
    rc_tape_free(tp);
    return worst;
}

int cmd_bench(int argc, char **argv)
{
    int cell = RC_CELL_LSTM, mode = 0, bidirectional = 0, json = 0, help = 0;
    cli_list cell_opts = {0};
    size_t T = 100, B = 64, I = 256, H = 256, L = 1, threads = 1, reps = 10;
    const char *simd = "auto";
    cli_option opts[] = {
        {"--cell", NULL, OPT_CHOICE, &cell, "the cell", cli_cell_names()},
        {"--cell-opt", NULL, OPT_LIST, &cell_opts, "one of the cell's options as NAME=VALUE, repeatable", NULL},
        {"--mode", NULL, OPT_CHOICE, &mode, "what to time", modes},
        {"--seq", NULL, OPT_SIZE, &T, "T, steps", NULL},
        {"--batch", NULL, OPT_SIZE, &B, "B, sequences", NULL},
        {"--input", NULL, OPT_SIZE, &I, "I, input width", NULL},
        {"--hidden", NULL, OPT_SIZE, &H, "H, hidden units", NULL},
        {"--layers", NULL, OPT_SIZE, &L, "stacked layers", NULL},
        {"--bidirectional", NULL, OPT_FLAG, &bidirectional, "both directions", NULL},
        {"--threads", NULL, OPT_SIZE, &threads, "threads", NULL},
        {"--reps", NULL, OPT_SIZE, &reps, "timed repetitions (after one warm-up)", NULL},
        {"--simd", NULL, OPT_STRING, &simd, "SIMD kernels: auto, portable, avx2, avx512", NULL},
        {"--json", NULL, OPT_FLAG, &json, "print one JSON object", NULL},
        {"--help", "-h", OPT_FLAG, &help, "this help", NULL},
        {0},
    };
    if (cli_parse("bench", opts, argc - 1, argv + 1, NULL, 0, NULL))
        return EXIT_BAD_INPUT;
    if (help) {
        cli_usage(stdout, "recur bench [options]",
                  "Times the fused recurrent layers after checking them against the composed path.", opts);
        return 0;
    }
    if (!T || !B || !I || !H || !L || !threads || !reps)
        return cli_fail("bench", "every size, --threads and --reps must be at least 1");
    if (mode == 2 && bidirectional)
        return cli_fail("bench", "--mode stream needs a unidirectional network");
    if (rc_set_simd(simd))
        return cli_fail("bench", "--simd: %s", rc_last_error());
    rc_set_num_threads((int)threads);
    rc_rng rng;
    rc_rng_seed(&rng, 7, 7);
    rc_rnn_config cfg = rc_rnn_config_default(cell, I, H);
    cfg.num_layers = L;
    cfg.bidirectional = bidirectional;
    if (cli_cell_options("bench", &cell_opts, &cfg))
        return EXIT_BAD_INPUT;
    rc_params *p = rc_params_new();
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, &rng);
    rc_tensor *x = rnn ? rc_tensor_new(3, (size_t[]){T, B, I}) : NULL;
    if (!x) {
        rc_rnn_free(rnn);
        rc_params_free(p);
        return cli_fail("bench", "%s", rc_last_error());
    }
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    rc_tensor_require_grad(x);
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 1 << 20); /* see reset_peak */
#endif
    int train = mode == 1;
    size_t out = rc_rnn_output_size(rnn);
    float *ones = malloc(T * B * out * sizeof *ones);
    for (size_t i = 0; i < T * B * out; i++)
        ones[i] = 1.0f;

    /* Check before timing. */
    double err = mode == 2 ? check_stream(rnn, x, ones) : check(rnn, x, train, ones);
    int status = 0;
    if (!(err <= 1e-4)) {
        status = cli_fail("bench", "the fused result differs from the composed one by %g of its scale", err);
        goto done;
    }
    reset_peak(); /* the check's composed graph is far larger than the timed passes */
    double *times = malloc((reps + 1) * sizeof *times);
    rc_tape *tp = rc_tape_new();
    rc_rnn_stream *s = mode == 2 ? rc_rnn_stream_new(rnn, B, 1) : NULL;
    float *y = mode == 2 ? malloc(B * out * sizeof *y) : NULL;
    for (size_t r = 0; r <= reps; r++) { /* the first is a warm-up */
        double t0 = now();
        if (mode == 2) {
            rc_rnn_stream_reset(s);
            for (size_t t = 0; t < T; t++)
                rc_rnn_stream_run(s, x->data + t * B * I, 1, y);
        } else if (!pass(tp, rnn, x, train, 0, ones)) {
            status = cli_fail("bench", "%s", rc_last_error());
            break;
        }
        times[r] = (now() - t0) * 1e3 / (mode == 2 ? (double)T : 1.0);
    }
    if (!status) {
        qsort(times + 1, reps, sizeof *times, by_value);
        double median = reps % 2 ? times[1 + reps / 2] : (times[reps / 2] + times[reps / 2 + 1]) / 2;
        /* a multiply-add per row for every entry of every matrix, per step (the backward: twice more) */
        double flops = 0;
        for (size_t i = 0; i < rc_params_count(p); i++)
            if (rc_params_tensor(p, i)->ndim == 2)
                flops += 2.0 * (double)B * (double)rc_params_tensor(p, i)->size * (mode == 2 ? 1 : (double)T);
        flops *= train ? 3 : 1;
        double peak = peak_mb();
        const char *unit = mode == 2 ? "ms/step" : "ms";
        if (json)
            printf("{\"cell\": \"%s\", \"mode\": \"%s\", \"T\": %zu, \"B\": %zu, \"I\": %zu, \"H\": %zu, "
                   "\"layers\": %zu, \"bidirectional\": %d, \"threads\": %zu, \"reps\": %zu, "
                   "\"median_ms\": %.4f, \"min_ms\": %.4f, \"gflops\": %.2f, \"peak_mb\": %.1f, "
                   "\"check_error\": %.3g, \"simd\": \"%s\", \"build\": \"%s\"}\n",
                   rc_cell_name(cell), modes[mode], T, B, I, H, L, bidirectional, threads, reps, median, times[1],
                   flops / (median * 1e6), peak, err, rc_simd(), rc_build_info());
        else
            printf("%s %s T=%zu B=%zu I=%zu H=%zu L=%zu%s threads=%zu simd=%s: median %.3f %s, min %.3f %s, "
                   "%.1f GFLOP/s, peak %.0f MB (%s: %.1e)\n",
                   rc_cell_name(cell), modes[mode], T, B, I, H, L, bidirectional ? " bi" : "", threads, rc_simd(), median, unit,
                   times[1], unit, flops / (median * 1e6), peak,
                   rc_cell_fused(cell) ? "checked against the composed path"
                                       : "no fused kernel: the composed path, checked against itself",
                   err);
    }
    free(times);
    free(y);
    rc_rnn_stream_free(s);
    rc_tape_free(tp);
done:
    free(ones);
    rc_tensor_free(x);
    rc_rnn_free(rnn);
    rc_params_free(p);
    return status;
}
