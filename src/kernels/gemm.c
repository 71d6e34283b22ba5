/* gemm.c — matrix multiply: the BLAS when built with one, else the SIMD
 * loops of simd.c.  (Measured: OpenBLAS's small-matrix kernels match or beat
 * those loops even at M = 1, N*K of a few thousand, so there is no
 * small-size switch.) */
#include "kernels.h"

#if RC_HAVE_OPENBLAS
#include <cblas.h>
#endif

void rc__sgemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
               const float *A, size_t lda, const float *B, size_t ldb, float beta,
               float *C, size_t ldc)
{
#if RC_HAVE_OPENBLAS
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                (blasint)M, (blasint)N, (blasint)K, alpha, A, (blasint)lda, B, (blasint)ldb, beta, C, (blasint)ldc);
#else
    rc__sgemm_loops(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}
