/* gemm.c — matrix multiply: CBLAS when built with a BLAS, portable C always. */
#include "kernels.h"

#include <string.h>

#if RC_HAVE_OPENBLAS
#include <cblas.h>
#endif

static void scale_c(size_t M, size_t N, float beta, float *C, size_t ldc)
{
    for (size_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (beta == 0.0f)
            memset(c, 0, N * sizeof(float));
        else if (beta != 1.0f)
            for (size_t j = 0; j < N; j++)
                c[j] *= beta;
    }
}

/* The loop orders keep the innermost loop contiguous in memory. */
void rc__sgemm_portable(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
                        const float *A, size_t lda, const float *B, size_t ldb, float beta,
                        float *C, size_t ldc)
{
    scale_c(M, N, beta, C, ldc);
    if (!trans_b) {
        /* C[i, :] += alpha * op(A)[i, k] * B[k, :] */
        for (size_t i = 0; i < M; i++) {
            float *restrict c = C + i * ldc;
            for (size_t k = 0; k < K; k++) {
                float a = alpha * (trans_a ? A[k * lda + i] : A[i * lda + k]);
                const float *restrict b = B + k * ldb;
                for (size_t j = 0; j < N; j++)
                    c[j] += a * b[j];
            }
        }
    } else if (!trans_a) {
        /* C[i, j] += alpha * dot(A[i, :], B[j, :]) */
        for (size_t i = 0; i < M; i++) {
            const float *a = A + i * lda;
            for (size_t j = 0; j < N; j++) {
                const float *b = B + j * ldb;
                float sum = 0.0f;
                for (size_t k = 0; k < K; k++)
                    sum += a[k] * b[k];
                C[i * ldc + j] += alpha * sum;
            }
        }
    } else {
        /* C[i, j] += alpha * sum_k A[k, i] * B[j, k] */
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                const float *b = B + j * ldb;
                float sum = 0.0f;
                for (size_t k = 0; k < K; k++)
                    sum += A[k * lda + i] * b[k];
                C[i * ldc + j] += alpha * sum;
            }
    }
}

void rc__sgemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
               const float *A, size_t lda, const float *B, size_t ldb, float beta,
               float *C, size_t ldc)
{
#if RC_HAVE_OPENBLAS
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)M, (blasint)N, (blasint)K, alpha,
                A, (blasint)lda, B, (blasint)ldb, beta, C, (blasint)ldc);
#else
    rc__sgemm_portable(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}
