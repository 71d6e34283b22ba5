/* simd.c — simd.inc compiled for baseline x86-64 (or any CPU), AVX2 and
 * AVX-512, and the choice among them at run time: the widest the CPU has,
 * unless a test asks for another (rc__simd_use).  The copies round alike, so
 * the choice changes speed, never results. */
#include "kernels.h"

#include <math.h>
#include <stdatomic.h>
#if RC_HAVE_OPENMP
#include <omp.h>
#endif
#include <stdint.h>
#include <string.h>

#define SIMD(name) name##_portable
#include "simd.inc"
#undef SIMD

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define RC_SIMD_X86 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define SIMD(name) name##_avx2
#include "simd.inc"
#undef SIMD
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,fma")
#define SIMD(name) name##_avx512
#include "simd.inc"
#undef SIMD
#pragma GCC pop_options
#else
#define RC_SIMD_X86 0
#endif

typedef struct {
    const char *name;
    void (*sigmoid)(size_t n, const float *x, float *y);
    void (*tanh)(size_t n, const float *x, float *y);
    void (*bce_terms)(size_t n, const float *x, const float *t, float *l);
    void (*normal)(size_t n, uint64_t key, float std, float *out);
    double (*sum_squares)(size_t n, const float *x);
    void (*rmsprop)(size_t n, const float *grad, const float *w, float wd, float alpha, float momentum,
                    float rms_floor, float eps, float *v, float *a, float *b, float *d);
    void (*gemm)(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
                 const float *B, size_t ldb, float beta, float *C, size_t ldc);
    void (*mixture)(size_t rows, size_t K, const float *p, const float *t, float *nll, float *g);
    void (*lstm_cell)(size_t rows, size_t n, float *S, float *c, size_t ldc, const float *p, size_t ldp,
                      const unsigned char *live, float *m);
    void (*lstm_cell_grad)(size_t n, size_t H, const float *gates, const float *cp, const float *cn, const float *dy,
                           const float *p, float *gp, const float *dh, float *dc, float *da);
    void (*gemm_packed)(int trans_a, size_t m, size_t N, size_t K, const float *A, size_t lda, const float *P,
                        float beta, float *C, size_t ldc, size_t pstride);
    double (*log_sum_exp)(size_t n, const float *x);
    void (*softmax_grad)(size_t n, const float *x, double lse, float s, float *g);
} simd_table;

#define TABLE(suffix) \
    {#suffix, sigmoid_##suffix, tanh_##suffix, bce_terms_##suffix, normal_##suffix, sum_squares_##suffix, \
     rmsprop_##suffix, gemm_##suffix, mixture_##suffix, lstm_cell_##suffix, lstm_cell_grad_##suffix, \
     gemm_packed_##suffix, log_sum_exp_##suffix, softmax_grad_##suffix}
static const simd_table tables[] = {
    TABLE(portable),
#if RC_SIMD_X86
    TABLE(avx2),
    TABLE(avx512),
#endif
};
#undef TABLE

static atomic_int current = -1; /* the level in use; -1 until the first call picks the best */

int rc__simd_best(void)
{
#if RC_SIMD_X86
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
        return RC_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return RC_SIMD_AVX2;
#endif
    return RC_SIMD_PORTABLE;
}

int rc__simd_use(int level)
{
    if (level > rc__simd_best())
        return -1;
    atomic_store(&current, level < 0 ? rc__simd_best() : level);
    return 0;
}

/* The CPU is asked once; every kernel call after that is one load. */
static const simd_table *table(void)
{
    int level = atomic_load_explicit(&current, memory_order_relaxed);
    if (level < 0) {
        level = rc__simd_best();
        atomic_store_explicit(&current, level, memory_order_relaxed);
    }
    return &tables[level];
}

const char *rc__simd_name(void) { return table()->name; }

void rc__sigmoid(size_t n, const float *x, float *y) { table()->sigmoid(n, x, y); }

void rc__tanh(size_t n, const float *x, float *y) { table()->tanh(n, x, y); }

void rc__bce_terms(size_t n, const float *x, const float *t, float *l) { table()->bce_terms(n, x, t, l); }

void rc__normal(size_t n, uint64_t key, float std, float *out) { table()->normal(n, key, std, out); }

double rc__sum_squares(size_t n, const float *x) { return table()->sum_squares(n, x); }

/* Rows are independent: split among threads when there is enough work, with
 * the same result at any thread count. */
enum { XENT_PARALLEL = 1 << 16 };

void rc__log_sum_exp_rows(size_t rows, size_t C, const float *x, double *lse)
{
    const simd_table *tb = table();
    int parallel = rows * C >= XENT_PARALLEL;
    (void)parallel;
    RC_OMP("omp parallel for schedule(static) if (parallel)")
    for (size_t r = 0; r < rows; r++)
        lse[r] = tb->log_sum_exp(C, x + r * C);
}

void rc__softmax_xent_grad(size_t rows, size_t C, const float *x, const double *lse, const int32_t *t,
                           int32_t ignore, float s, float *g)
{
    const simd_table *tb = table();
    int parallel = rows * C >= XENT_PARALLEL;
    (void)parallel;
    RC_OMP("omp parallel for schedule(static) if (parallel)")
    for (size_t r = 0; r < rows; r++)
        if (t[r] != ignore) {
            tb->softmax_grad(C, x + r * C, lse[r], s, g + r * C);
            g[r * C + (size_t)t[r]] -= s;
        }
}

/* Column groups of PACK_GROUP panels that N columns take. */
static size_t column_groups(size_t N) { return (N + PACK_GROUP_COLS - 1) / PACK_GROUP_COLS; }

/* Column groups [g0, g1) of the packed product. */
static void packed_groups(const simd_table *tb, size_t M, size_t N, size_t K, const float *A, size_t lda,
                          const float *P, float beta, float *C, size_t ldc, size_t pstride, size_t g0, size_t g1)
{
    size_t n0 = g0 * PACK_GROUP_COLS, n = (g1 * PACK_GROUP_COLS < N ? g1 * PACK_GROUP_COLS : N) - n0;
    tb->gemm_packed(0, M, n, K, A, lda, P + n0 * K, beta, C + n0 / PACK_COLS * pstride, ldc, pstride);
}

/* With several threads each takes a share of the rows or of the column
 * groups: every element is computed the same way whatever the thread count. */
void rc__gemm_packed(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *P, float beta, float *C,
                     size_t ldc)
{
    const simd_table *tb = table();
    size_t groups = column_groups(N);
#if RC_HAVE_OPENMP
    size_t threads = (size_t)omp_get_max_threads(), blocks = (M + PACK_ROWS - 1) / PACK_ROWS;
    if (threads > 1 && blocks >= 16 * threads) { /* many rows: each thread a share of them */
#pragma omp parallel for schedule(static)
        for (size_t c = 0; c < threads; c++) {
            size_t r0 = blocks * c / threads * PACK_ROWS, r1 = blocks * (c + 1) / threads * PACK_ROWS;
            packed_groups(tb, (r1 < M ? r1 : M) - r0, N, K, A + r0 * lda, lda, P, beta, C + r0 * ldc, ldc,
                          PACK_COLS, 0, groups);
        }
        return;
    }
    if (threads > 1 && groups >= 2 * threads && M * N * K >= ((size_t)1 << 16)) {
#pragma omp parallel for schedule(static)
        for (size_t c = 0; c < threads; c++)
            packed_groups(tb, M, N, K, A, lda, P, beta, C, ldc, PACK_COLS, groups * c / threads,
                          groups * (c + 1) / threads);
        return;
    }
#endif
    packed_groups(tb, M, N, K, A, lda, P, beta, C, ldc, PACK_COLS, 0, groups);
}

void rc__gemm_packed_local(size_t M, size_t N, size_t K, const float *A, size_t lda, const float *P, float beta,
                           float *C, size_t ldc, size_t pstride)
{
    packed_groups(table(), M, N, K, A, lda, P, beta, C, ldc, pstride, 0, column_groups(N));
}

/* Rows of A^T in chunks of AT_KC: each term's B chunk packed (256 x N
 * floats: 256 KB at N = 256, in L2) and reused by every block of rows, and
 * A's chunk copied AT_RB row blocks at a time into the kernel's transposed
 * layout ([block][k][PACK_ROWS], 32 KB, in L1), which every term then reads
 * in order: read in place, each k of a block is 16 bytes of a different
 * 4 KB row (M = 1024, N = 256, K = 6400: 92 GFLOP/s, against 105 from the
 * copy). */
enum { AT_KC = 256, AT_RB = 8 };

size_t rc__gemm_at_work(size_t N) { return rc__packed_size(N, AT_KC); }

/* Row blocks [r0, r1) of A's rows [k0, k0 + kc), transposed: At[r - r0][k][q] = A[k0 + k][r PACK_ROWS + q]. */
static void pack_at(size_t M, size_t k0, size_t kc, const float *A, size_t lda, size_t r0, size_t r1, float *At)
{
    for (size_t kt = 0; kt < kc; kt += 16) /* 16 rows at a time: few pages touched, each line read once */
        for (size_t r = r0; r < r1; r++) {
            size_t m = M - r * PACK_ROWS < PACK_ROWS ? M - r * PACK_ROWS : PACK_ROWS, kn = kc - kt < 16 ? kc - kt : 16;
            float *to = At + ((r - r0) * kc + kt) * PACK_ROWS;
            const float *from = A + (k0 + kt) * lda + r * PACK_ROWS;
            for (size_t k = 0; k < kn; k++, to += PACK_ROWS, from += lda)
                if (m == PACK_ROWS)
                    memcpy(to, from, PACK_ROWS * sizeof(float));
                else
                    memcpy(to, from, m * sizeof(float));
        }
}

void rc__gemm_at(size_t M, size_t K, const float *A, size_t lda, size_t terms, const rc__at_term *t, float *work)
{
    const simd_table *tb = table();
    size_t blocks = (M + PACK_ROWS - 1) / PACK_ROWS, pieces = (blocks + AT_RB - 1) / AT_RB, groups = 0, flops = 0;
    float *P[RC_AT_TERMS];
    for (size_t i = 0; i < terms; i++) {
        P[i] = i ? P[i - 1] + rc__gemm_at_work(t[i - 1].N) : work;
        groups += column_groups(t[i].N);
        flops += M * t[i].N * K;
    }
#if RC_HAVE_OPENMP
    int parallel = omp_get_max_threads() > 1 && pieces >= 2 && flops >= ((size_t)1 << 20);
#endif
    RC_OMP("omp parallel if (parallel)")
    for (size_t k0 = 0; k0 < K; k0 += AT_KC) {
        size_t kc = K - k0 < AT_KC ? K - k0 : AT_KC;
        RC_OMP("omp for schedule(static)")
        for (size_t g = 0; g < groups; g++) { /* (term, column group) pairs */
            size_t i = 0, grp = g;
            while (grp >= column_groups(t[i].N))
                grp -= column_groups(t[i].N), i++;
            rc__pack_group(0, t[i].N, kc, t[i].B + k0 * t[i].ldb, t[i].ldb, grp, P[i]);
        }
        RC_OMP("omp for schedule(static)")
        for (size_t piece = 0; piece < pieces; piece++) {
            float At[AT_RB * AT_KC * PACK_ROWS];
            size_t r0 = piece * AT_RB, r1 = r0 + AT_RB < blocks ? r0 + AT_RB : blocks;
            pack_at(M, k0, kc, A, lda, r0, r1, At);
            for (size_t r = r0; r < r1; r++) {
                size_t row = r * PACK_ROWS, m = M - row < PACK_ROWS ? M - row : PACK_ROWS;
                for (size_t i = 0; i < terms; i++)
                    tb->gemm_packed(1, m, t[i].N, kc, At + (r - r0) * kc * PACK_ROWS, PACK_ROWS, P[i], 1.0f,
                                    t[i].C + row * t[i].ldc, t[i].ldc, PACK_COLS);
            }
        }
    }
}

void rc__lstm_cell(size_t rows, size_t n, float *S, float *c, size_t ldc, const float *p, size_t ldp,
                   const unsigned char *live, float *m)
{
    table()->lstm_cell(rows, n, S, c, ldc, p, ldp, live, m);
}

void rc__lstm_cell_grad(size_t n, size_t H, const float *gates, const float *cp, const float *cn, const float *dy,
                        const float *p, float *gp, const float *dh, float *dc, float *da)
{
    table()->lstm_cell_grad(n, H, gates, cp, cn, dy, p, gp, dh, dc, da);
}

void rc__mixture(size_t rows, size_t K, const float *p, const float *t, float *nll, float *g)
{
    table()->mixture(rows, K, p, t, nll, g);
}

void rc__sgemm_loops(int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha, const float *A, size_t lda,
                     const float *B, size_t ldb, float beta, float *C, size_t ldc)
{
    table()->gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void rc__rmsprop(size_t n, const float *grad, const float *w, float wd, float alpha, float momentum, float rms_floor,
                 float eps, float *v, float *a, float *b, float *d)
{
    table()->rmsprop(n, grad, w, wd, alpha, momentum, rms_floor, eps, v, a, b, d);
}
