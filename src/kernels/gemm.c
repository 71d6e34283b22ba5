/* gemm.c — matrix multiply: the BLAS when built with one (sgemv for one
 * row against a large matrix), else the SIMD loops of simd.c.  (Measured:
 * OpenBLAS's small-matrix kernels match or beat those loops even at M = 1,
 * N*K of a few thousand, so small products go to the BLAS too.) */
#include "kernels.h"

#if RC_HAVE_OPENBLAS
#include <cblas.h>
#endif

size_t rc__packed_size(size_t N, size_t K) { return (N + PACK_GROUP_COLS - 1) / PACK_GROUP_COLS * PACK_GROUP_COLS * K; }

int rc__packed_wins(size_t M) { return M >= 4 && M <= 64; }

/* Columns [c0, c0 + n) of op(B) [K, N] into one panel [K, PACK_COLS], zeros past n. */
static void pack_panel(int trans_b, size_t c0, size_t n, size_t K, const float *B, size_t ldb, float *dst)
{
    for (size_t k = 0; k < K; k++, dst += PACK_COLS)
        for (size_t j = 0; j < PACK_COLS; j++)
            dst[j] = j >= n ? 0.0f : trans_b ? B[(c0 + j) * ldb + k] : B[k * ldb + c0 + j];
}

void rc__pack_group(int trans_b, size_t N, size_t K, const float *B, size_t ldb, size_t grp, float *P)
{
    for (size_t p = grp * PACK_GROUP; p < (grp + 1) * PACK_GROUP; p++) {
        size_t c0 = p * PACK_COLS;
        pack_panel(trans_b, c0, c0 >= N ? 0 : N - c0 < PACK_COLS ? N - c0 : PACK_COLS, K, B, ldb,
                   P + p * K * PACK_COLS);
    }
}

void rc__pack_b(int trans_b, size_t N, size_t K, const float *B, size_t ldb, float *P)
{
    for (size_t grp = 0; grp * PACK_GROUP_COLS < N; grp++)
        rc__pack_group(trans_b, N, K, B, ldb, grp, P);
}

size_t rc__packed_gates_size(size_t H, size_t K) { return (H + PACK_COLS - 1) / PACK_COLS * PACK_GROUP_COLS * K; }

void rc__pack_gates(size_t H, size_t K, const float *W, size_t ldw, size_t u, float *P)
{
    size_t c0 = u * PACK_COLS, n = H - c0 < PACK_COLS ? H - c0 : PACK_COLS;
    for (size_t g = 0; g < PACK_GROUP; g++)
        pack_panel(1, g * H + c0, n, K, W, ldw, P + (u * PACK_GROUP + g) * K * PACK_COLS);
}

void rc__sgemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
               const float *A, size_t lda, const float *B, size_t ldb, float beta,
               float *C, size_t ldc)
{
#if RC_HAVE_OPENBLAS
    /* One row against a matrix larger than the L2 cache (1 MB here): the
     * product streams the matrix, which OpenBLAS's sgemv does 4-5x faster
     * than its sgemm with M = 1 once N passes ~1500 (N = 2048, K = 512:
     * 59 us against 328 us); below that the two are within 5%. */
    if (M == 1 && N * K > ((size_t)1 << 18)) {
        if (trans_b) /* C = B a, B [N, K] */
            cblas_sgemv(CblasRowMajor, CblasNoTrans, (blasint)N, (blasint)K, alpha, B, (blasint)ldb, A,
                        (blasint)(trans_a ? lda : 1), beta, C, 1);
        else /* C = B^T a, B [K, N] */
            cblas_sgemv(CblasRowMajor, CblasTrans, (blasint)K, (blasint)N, alpha, B, (blasint)ldb, A,
                        (blasint)(trans_a ? lda : 1), beta, C, 1);
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
                (blasint)M, (blasint)N, (blasint)K, alpha, A, (blasint)lda, B, (blasint)ldb, beta, C, (blasint)ldc);
#else
    rc__sgemm_loops(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
#endif
}
