/* composed_memory.c — memory and time of one training pass through the
 * composed path (the cells' steps written with operations, rc_rnn_options
 * composed = 1), which `recur bench` only runs once, as its check.  Not part
 * of recur or of `make test`: built by `make bench-composed`.
 *
 *   composed_memory [--cell lstm|gru|rnn_tanh|...] [--seq T] [--batch B]
 *                   [--input I] [--hidden H] [--reps R] [--threads N] [--fused]
 *
 * A pass is forward plus backward of the gradient of sum(output) (input and
 * every weight), on a tape reset before it.  Prints the median time of R
 * passes after one warm-up, the tape's memory (rc_tape_memory: the arena's
 * chunks, its node list and scratch, i.e. its high-water mark, as the arena
 * keeps its chunks) and the process's peak resident size (VmHWM, or
 * getrusage's ru_maxrss where /proc is absent).  --fused times the fused
 * kernels instead, for comparison; --threads sets rc_set_num_threads (the
 * default leaves the library's). */
#include "recur.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

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

static size_t size_arg(const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    return *end || v == 0 ? 0 : (size_t)v;
}

int main(int argc, char **argv)
{
    const char *cell_name = "lstm";
    size_t T = 100, B = 32, I = 256, H = 256, reps = 5, threads = 0;
    int composed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        size_t *dst = !strcmp(a, "--seq") ? &T : !strcmp(a, "--batch") ? &B
                    : !strcmp(a, "--input") ? &I : !strcmp(a, "--hidden") ? &H
                    : !strcmp(a, "--reps") ? &reps : !strcmp(a, "--threads") ? &threads : NULL;
        if (!strcmp(a, "--fused")) {
            composed = 0;
        } else if (!strcmp(a, "--cell") && v) {
            cell_name = v, i++;
        } else if (dst && v && (*dst = size_arg(v))) {
            i++;
        } else {
            fprintf(stderr, "usage: composed_memory [--cell NAME] [--seq T] [--batch B] [--input I] "
                            "[--hidden H] [--reps R] [--threads N] [--fused]\n");
            return 2;
        }
    }
    int cell = rc_cell_from_name(cell_name);
    if (cell < 0) {
        fprintf(stderr, "composed_memory: unknown cell %s\n", cell_name);
        return 2;
    }
    if (threads)
        rc_set_num_threads((int)threads);
    rc_rng rng;
    rc_rng_seed(&rng, 7, 7);
    rc_rnn_config cfg = rc_rnn_config_default(cell, I, H);
    rc_params *p = rc_params_new();
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, &rng);
    rc_tensor *x = rnn ? rc_tensor_new(3, (size_t[]){T, B, I}) : NULL;
    rc_tape *tp = rc_tape_new();
    float *ones = malloc(T * B * H * sizeof *ones);
    double *times = malloc((reps + 1) * sizeof *times);
    if (!x || !tp || !ones || !times || rc_tensor_require_grad(x)) {
        fprintf(stderr, "composed_memory: %s\n", rc_last_error());
        return 1;
    }
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    for (size_t i = 0; i < T * B * H; i++)
        ones[i] = 1.0f;
    rc_rnn_options o = {0};
    o.composed = composed;
    double checksum = 0;
    for (size_t r = 0; r <= reps; r++) { /* the first is a warm-up */
        double t0 = now();
        rc_tape_reset(tp);
        rc_params_zero_grad(p);
        rc_tensor_zero_grad(x);
        rc_tensor *y = rc_rnn_forward(tp, rnn, x, &o, NULL, NULL);
        if (!y || rc_backward_grad(tp, y, ones)) {
            fprintf(stderr, "composed_memory: %s\n", rc_last_error());
            return 1;
        }
        times[r] = (now() - t0) * 1e3;
        checksum = 0;
        for (size_t i = 0; i < x->size; i++)
            checksum += x->grad[i];
    }
    qsort(times + 1, reps, sizeof *times, by_value);
    double median = reps % 2 ? times[1 + reps / 2] : (times[reps / 2] + times[reps / 2 + 1]) / 2;
    printf("{\"cell\": \"%s\", \"path\": \"%s\", \"T\": %zu, \"B\": %zu, \"I\": %zu, \"H\": %zu, "
           "\"reps\": %zu, \"threads\": %zu, \"median_ms\": %.2f, \"min_ms\": %.2f, \"nodes\": %zu, "
           "\"tape_mb\": %.1f, \"peak_rss_mb\": %.1f, \"sum_dx\": %.6g, \"build\": \"%s\"}\n",
           cell_name, composed ? "composed" : "fused", T, B, I, H, reps, threads, median, times[1],
           rc_tape_node_count(tp), (double)rc_tape_memory(tp) / (1024.0 * 1024.0), peak_mb(),
           checksum, rc_build_info());
    free(times);
    free(ones);
    rc_tape_free(tp);
    rc_tensor_free(x);
    rc_rnn_free(rnn);
    rc_params_free(p);
    return 0;
}
