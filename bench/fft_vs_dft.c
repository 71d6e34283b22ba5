/* fft_vs_dft.c — the unitary RNN's transform two ways: rc_complex_fft
 * (KissFFT) against the DFT as one real matrix product (rc_matmul of
 * z [B, 2n] by the real form [2n, 2n] of the unitary DFT matrix), forward
 * and backward, for n = 16 .. 1024.  Not part of recur or of `make test`:
 * built by `make bench-fft`.
 *
 *   fft_vs_dft [--batch B] [--reps R]
 *
 * Prints, per n, the median microseconds of a forward and backward pass of
 * each after one warm-up, and the largest difference of their outputs. */
#include "recur.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The real [2n, 2n] form of F (F_jk = e^{-2 pi i jk/n} / sqrt(n)) acting on
 * rows [re | im]: y = z M^T, so M = [[Re F, -Im F], [Im F, Re F]]. */
static void dft_matrix(size_t n, float *m)
{
    for (size_t j = 0; j < n; j++)
        for (size_t k = 0; k < n; k++) {
            double a = -2.0 * 3.14159265358979323846 * (double)((j * k) % n) / (double)n, s = 1.0 / sqrt((double)n);
            float re = (float)(cos(a) * s), im = (float)(sin(a) * s);
            m[j * 2 * n + k] = re, m[j * 2 * n + n + k] = -im;
            m[(n + j) * 2 * n + k] = im, m[(n + j) * 2 * n + n + k] = re;
        }
}

/* Median microseconds of R forward-and-backward passes; *out the output. */
static double time_pass(int dft, rc_tensor *z, rc_tensor *m, size_t reps, float *out)
{
    rc_tape *tp = rc_tape_new();
    double *t = malloc((reps + 1) * sizeof *t), med;
    for (size_t r = 0; r <= reps; r++) {
        rc_tape_reset(tp);
        double t0 = now_us();
        rc_tensor *y = dft ? rc_matmul(tp, z, m, 0, 1) : rc_complex_fft(tp, z, 0);
        if (!y || rc_backward(tp, rc_sum_all(tp, y))) {
            fprintf(stderr, "fft_vs_dft: %s\n", rc_last_error());
            exit(1);
        }
        t[r] = now_us() - t0;
        if (r == 0)
            memcpy(out, y->data, y->size * sizeof(float));
    }
    qsort(t + 1, reps, sizeof *t, cmp);
    med = t[1 + reps / 2];
    free(t);
    rc_tape_free(tp);
    return med;
}

int main(int argc, char **argv)
{
    size_t B = 20, reps = 51;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            B = strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = strtoul(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: fft_vs_dft [--batch B] [--reps R]\n");
            return 2;
        }
    }
    if (B == 0 || reps == 0) {
        fprintf(stderr, "fft_vs_dft: --batch and --reps must be positive\n");
        return 2;
    }
    rc_set_num_threads(1);
    rc_rng rng;
    rc_rng_seed(&rng, 1511, 6464);
    printf("| n | KissFFT (us) | DFT as a GEMM (us) | max difference |\n| --- | --- | --- | --- |\n");
    for (size_t n = 16; n <= 1024; n *= 2) {
        rc_tensor *z = rc_tensor_new(2, (size_t[]){B, 2 * n}), *m = rc_tensor_new(2, (size_t[]){2 * n, 2 * n});
        float *a = malloc(B * 2 * n * sizeof *a), *b = malloc(B * 2 * n * sizeof *b);
        rc_tensor_fill_normal(z, &rng, 0.0f, 1.0f);
        rc_tensor_require_grad(z);
        dft_matrix(n, m->data);
        double fft = time_pass(0, z, m, reps, a), dft = time_pass(1, z, m, reps, b), worst = 0.0;
        for (size_t k = 0; k < B * 2 * n; k++)
            worst = fmax(worst, fabs((double)a[k] - b[k]));
        printf("| %zu | %.1f | %.1f | %.1e |\n", n, fft, dft, worst);
        free(a), free(b);
        rc_tensor_free(z), rc_tensor_free(m);
    }
    return 0;
}
