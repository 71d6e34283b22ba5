/* kernels.h — raw loops on float buffers.  No tensors, no tape: a future
 * CUDA backend replaces this layer only.  Every kernel has a portable C
 * version; faster versions must equal it in tests. */
#ifndef RC_KERNELS_H
#define RC_KERNELS_H

#include <stddef.h>

/* Row-major C = alpha * op(A) op(B) + beta * C, as cblas_sgemm.
 *   op(A) [M, K], op(B) [K, N], C [M, N]; lda/ldb/ldc are row strides of the
 *   stored matrices.  beta == 0 overwrites C (NaNs in C do not propagate).
 * rc__sgemm uses the configured BLAS; rc__sgemm_portable is plain C. */
void rc__sgemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
               const float *A, size_t lda, const float *B, size_t ldb, float beta,
               float *C, size_t ldc);
void rc__sgemm_portable(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
                        const float *A, size_t lda, const float *B, size_t ldb, float beta,
                        float *C, size_t ldc);

/* y[i] = f(x[i]) over n elements; x and y may alias. */
void rc__sigmoid(size_t n, const float *x, float *y);
void rc__tanh(size_t n, const float *x, float *y);
void rc__relu(size_t n, const float *x, float *y);
void rc__exp(size_t n, const float *x, float *y);
void rc__log(size_t n, const float *x, float *y);

/* One sigmoid, stable for any v (the same arithmetic as rc__sigmoid). */
static inline float rc__sigmoidf(float v)
{
    float s;
    rc__sigmoid(1, &v, &s);
    return s;
}

/* dst = src, or zeros when src is NULL (n floats). */
void rc__copy_or_zero(size_t n, const float *src, float *dst);

/* y += x over n elements. */
void rc__accumulate(size_t n, const float *x, float *y);

#endif /* RC_KERNELS_H */
