/* test_kernels.c — every fast kernel equals its portable version. */
#include "test.h"

#include "../src/kernels/kernels.h"

#include <math.h>
#include <stdlib.h>

static float *random_matrix(rc_rng *rng, size_t n)
{
    float *m = malloc(n * sizeof *m);
    for (size_t i = 0; i < n; i++)
        m[i] = rc_rng_normal(rng);
    return m;
}

void suite_kernels(void)
{
    static const size_t sizes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 48, 130}, {1, 256, 64}};
    rc_rng rng;
    rc_rng_seed(&rng, 17, 0);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                size_t M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
                t_case("kernels: sgemm == portable, %zux%zux%zu%s%s", M, N, K, ta ? " A^T" : "",
                       tb ? " B^T" : "");
                /* Padded leading dimensions: the kernels must honour strides. */
                size_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
                float *A = random_matrix(&rng, (ta ? K : M) * lda);
                float *B = random_matrix(&rng, (tb ? N : K) * ldb);
                float *C1 = random_matrix(&rng, M * ldc);
                float *C2 = malloc(M * ldc * sizeof *C2);
                for (size_t i = 0; i < M * ldc; i++)
                    C2[i] = C1[i];
                rc__sgemm(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C1, ldc);
                rc__sgemm_portable(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C2, ldc);
                double worst = 0.0;
                for (size_t i = 0; i < M; i++)
                    for (size_t j = 0; j < N; j++)
                        worst = fmax(worst, fabs(C1[i * ldc + j] - C2[i * ldc + j]) / sqrt((double)K));
                T_CHECK(worst < 1e-5, "max difference %g (per sqrt(K))", worst);
                int pad_intact = 1;
                for (size_t i = 0; i < M; i++)
                    pad_intact &= C1[i * ldc + N] == C2[i * ldc + N];
                T_CHECK(pad_intact, "a kernel wrote past N columns");
                free(A), free(B), free(C1), free(C2);
            }

    t_case("kernels: beta = 0 overwrites C even when it holds NaN");
    float A[4] = {1, 2, 3, 4}, B[4] = {1, 0, 0, 1}, C[4] = {NAN, NAN, NAN, NAN};
    rc__sgemm_portable(0, 0, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2);
    T_CHECK(C[0] == 1 && C[1] == 2 && C[2] == 3 && C[3] == 4, "got %g %g %g %g", (double)C[0],
            (double)C[1], (double)C[2], (double)C[3]);

    t_case("kernels: sigmoid is exact in both tails");
    float x[4] = {-100.0f, -20.0f, 20.0f, 100.0f}, y[4];
    rc__sigmoid(4, x, y);
    T_CHECK(y[0] >= 0.0f && y[0] < 1e-40f && fabsf(y[1] - 2.0611537e-9f) < 1e-15f && y[2] == 1.0f &&
                y[3] == 1.0f,
            "sigmoid tails %g %g %g %g", (double)y[0], (double)y[1], (double)y[2], (double)y[3]);
}
