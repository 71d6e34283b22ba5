/* kernels.h — raw loops on float buffers.  No tensors, no tape: a future
 * CUDA backend replaces this layer only.  Every kernel has a portable C
 * version; faster versions must equal it in tests. */
#ifndef RC_KERNELS_H
#define RC_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Row-major C = alpha * op(A) op(B) + beta * C, as cblas_sgemm.
 *   op(A) [M, K], op(B) [K, N], C [M, N]; lda/ldb/ldc are row strides of the
 *   stored matrices.  beta == 0 overwrites C (NaNs in C do not propagate).
 * rc__sgemm uses the BLAS, or rc__sgemm_loops (the SIMD loops of simd.c)
 * when built without one. */
void rc__sgemm(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
               const float *A, size_t lda, const float *B, size_t ldb, float beta,
               float *C, size_t ldc);
void rc__sgemm_loops(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha,
                     const float *A, size_t lda, const float *B, size_t ldb, float beta,
                     float *C, size_t ldc);

/* y[i] = f(x[i]) over n elements; x and y may alias.  sigmoid and tanh are
 * the SIMD kernels of simd.c (a few ulp from the exact value); relu, exp and
 * log are plain loops (exp and log from libm). */
void rc__sigmoid(size_t n, const float *x, float *y);
void rc__tanh(size_t n, const float *x, float *y);
void rc__relu(size_t n, const float *x, float *y);
void rc__exp(size_t n, const float *x, float *y);
void rc__log(size_t n, const float *x, float *y);

/* Bernoulli NLL of logits x[n] against targets t[n], per element, into l[n]:
 *   l = max(x, 0) - x t + log(1 + e^-|x|). */
void rc__bce_terms(size_t n, const float *x, const float *t, float *l);

/* out[n] = std * N(0, 1), a pure function of (key, n): the same key gives
 * the same draws on every CPU and with every SIMD level. */
void rc__normal(size_t n, uint64_t key, float std, float *out);

/* The softmax cross-entropy's kernels, by rows of x [rows, C] (threads
 * split the rows; every SIMD level and thread count gives the same bits):
 * lse[r] = log sum_c e^x[r, c] (the max, then e^(x - max) in 16 lanes in a
 * fixed order; NaN when a logit is), and for rows whose target t[r] is not
 * ignore, g[r, c] += s (e^(x[r, c] - lse[r]) - [c = t[r]]).  e^x is simd.inc's
 * in double (about 1e-14), rounded to float once. */
void rc__log_sum_exp_rows(size_t rows, size_t C, const float *x, double *lse);
void rc__softmax_xent_grad(size_t rows, size_t C, const float *x, const double *lse, const int32_t *t,
                           int32_t ignore, float s, float *g);

/* sum of x[i]^2 over n floats, in double (a fixed order of additions). */
double rc__sum_squares(size_t n, const float *x);

/* RMSProp's update direction into d[n] (see optim.c): v [n] the running
 * mean square; a [n] the running mean gradient (centred form) and b [n]
 * momentum, each NULL when not used; grad, w, v, a, b and d distinct. */
void rc__rmsprop(size_t n, const float *grad, const float *w, float wd, float alpha, float momentum, float rms_floor,
                 float eps, float *v, float *a, float *b, float *d);

/* Products of a few rows against a matrix used at every step of a sequence
 * (the recurrent weights): op(B) [K, N] is packed once by rc__pack_b into
 * P [rc__packed_size(N, K)] floats — panels of PACK_COLS columns, in groups
 * of PACK_GROUP — then each rc__gemm_packed computes C [M, N] = A [M, K]
 * op(B) + beta C with a PACK_ROWS x (PACK_GROUP PACK_COLS) block of C in
 * registers, where OpenBLAS's kernels are made for many rows (M = 8,
 * N = 1024, K = 256: 38 us with 8 x 16 blocks against OpenBLAS's 91 us;
 * the 4 x 64 blocks reach 110-116 GFLOP/s of the 117 peak).
 * rc__packed_wins(M) says when it beats the BLAS in a whole pass: 4 to 64
 * rows (at 1-3 rows the BLAS path is faster; the kernel's one-row form
 * serves streams, whose weights stay packed).  Threads split the rows when
 * there are many, else the column groups. */
enum { PACK_ROWS = 4, PACK_COLS = 16, PACK_GROUP = 4, PACK_GROUP_COLS = PACK_GROUP * PACK_COLS };
size_t rc__packed_size(size_t N, size_t K);
void rc__pack_b(int trans_b, size_t N, size_t K, const float *B, size_t ldb, float *P);
/* Only column group grp (columns [grp, grp + 1) x PACK_GROUP PACK_COLS) of it. */
void rc__pack_group(int trans_b, size_t N, size_t K, const float *B, size_t ldb, size_t grp, float *P);
int rc__packed_wins(size_t M);
void rc__gemm_packed(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *P, float beta, float *C,
                     size_t ldc);
/* The same product on the calling thread only (inside a parallel region),
 * panel p of the result at C + p pstride (PACK_COLS: a plain matrix). */
void rc__gemm_packed_local(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *P, float beta,
                           float *C, size_t ldc, size_t pstride);

/* C_i [M, N_i] += A^T B_i for A [K, M] and each term's B_i [K, N_i], with
 * many rows K (the weight gradients summed over every step; the terms share
 * A, as dW_ih and dW_hh share the gate gradients): B_i packed a chunk of rows
 * at a time into work [the sum of rc__gemm_at_work(N_i)], A transposed a few
 * row blocks at a time, so no operand is copied whole; threads split the
 * rows of C (the same result at any thread count).  At most RC_AT_TERMS
 * terms. */
enum { RC_AT_TERMS = 2 };
typedef struct {
    size_t N, ldb, ldc;
    const float *B;
    float *C;
} rc__at_term;
size_t rc__gemm_at_work(size_t N);
void rc__gemm_at(size_t M, size_t K, const float *A, size_t lda, size_t terms, const rc__at_term *t, float *work);

/* One LSTM step on a tile of rows x PACK_COLS units, n of them real: S
 * [4][rows][PACK_COLS] pre-activations of i f g o in, gates out; the cell
 * states of row b at c + b ldc updated; peepholes [3] at p + q ldp or NULL;
 * m [rows][PACK_COLS] = o tanh(c); rows with live[b] == 0 untouched (live
 * NULL: all).  The same numbers as rc__sigmoid, rc__tanh and the cell's
 * arithmetic done one after another (simd.inc). */
void rc__lstm_cell(size_t rows, size_t n, float *S, float *c, size_t ldc, const float *p, size_t ldp,
                   const unsigned char *live, float *m);

/* The LSTM cell's backward for one row of n <= RC_LSTM_GRAD_MAX units (simd.inc gives the
 * equations): gates i f g o at gates + q H, cell states before (cp) and
 * after (cn), dh (+ dy unless NULL) and dc in → da (at da + q H) and dc
 * (in place); peepholes p [3] at p + q H and their gradients gp (same
 * layout) or NULL. */
enum { RC_LSTM_GRAD_MAX = 64 }; /* the most units one rc__lstm_cell_grad call takes */
void rc__lstm_cell_grad(size_t n, size_t H, const float *gates, const float *cp, const float *cn, const float *dy,
                        const float *p, float *gp, const float *dh, float *dc, float *da);

/* LSTM gate weights W [4H, K] (PyTorch's layout, gates i f g o) packed as
 * op(B) = W^T by blocks of PACK_COLS hidden units: group u holds the four
 * gates of units [u PACK_COLS, (u + 1) PACK_COLS) (zero past H), so one
 * thread computes every gate of its units and can finish them at once.
 * rc__pack_gates packs group u (each thread its own). */
size_t rc__packed_gates_size(size_t H, size_t K);
void rc__pack_gates(size_t H, size_t K, const float *W, size_t ldw, size_t u, float *P);

/* An OpenMP directive, or nothing in a build without OpenMP. */
#if RC_HAVE_OPENMP
#define RC_OMP(directive) _Pragma(directive)
#else
#define RC_OMP(directive)
#endif

/* Mixture-density NLL per row of p [rows, 3K] (K logits, K means, K log
 * standard deviations) against t [rows] into nll [rows], and its gradient
 * with respect to p into g [rows, 3K] unless g is NULL; K <= 256. */
enum { RC_MIXTURE_MAX = 256 };
void rc__mixture(size_t rows, size_t K, const float *p, const float *t, float *nll, float *g);

/* SIMD levels, in the order of simd.c's tables.  rc__simd_best is the widest
 * this CPU runs; rc__simd_use(level) makes every kernel use that level (-1:
 * back to the best), returning -1 if the CPU lacks it.  For tests and
 * benchmarks: the levels give bitwise the same results. */
enum { RC_SIMD_PORTABLE, RC_SIMD_AVX2, RC_SIMD_AVX512 };
int rc__simd_best(void);
int rc__simd_use(int level);
const char *rc__simd_name(void);

/* dst = src, or zeros when src is NULL (n floats). */
void rc__copy_or_zero(size_t n, const float *src, float *dst);

/* y += x over n elements. */
void rc__accumulate(size_t n, const float *x, float *y);

#endif /* RC_KERNELS_H */
