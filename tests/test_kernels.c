/* test_kernels.c — every fast kernel equals its portable version. */
#include "test.h"

#include "../src/kernels/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float *random_matrix(rc_rng *rng, size_t n)
{
    float *m = malloc(n * sizeof *m);
    for (size_t i = 0; i < n; i++)
        m[i] = rc_rng_normal(rng);
    return m;
}

/* ------------------------------------------------------------ SIMD kernels */

/* The inputs the SIMD tests use: a sweep over [-lim, lim], the tails and the
 * special values (odd count, so the vector loops' remainders run too). */
enum { N_SWEEP = 40001, N_SPECIAL = 14 };
static size_t simd_inputs(float *x, float lim)
{
    static const float special[N_SPECIAL] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-45f, 88.0f, -88.0f, 89.5f, -104.5f,
                                             -200.0f, 1e30f, -1e30f, INFINITY, -INFINITY};
    for (size_t i = 0; i < N_SWEEP; i++)
        x[i] = -lim + 2.0f * lim * (float)i / (N_SWEEP - 1);
    for (size_t i = 0; i < N_SPECIAL; i++)
        x[N_SWEEP + i] = special[i];
    x[N_SWEEP + N_SPECIAL] = NAN;
    return N_SWEEP + N_SPECIAL + 1;
}

/* |a - b| in units of float's spacing at b (b a double reference). */
static double ulps(float a, double b)
{
    if (isnan(b) || isinf(b))
        return (isnan(b) && isnan(a)) || (double)a == b ? 0.0 : INFINITY;
    double spacing = b == 0.0 ? 1.401298464324817e-45 : ldexp(1.0, ilogb(b) - 23);
    return fabs((double)a - b) / fmax(spacing, 1.401298464324817e-45);
}

/* Bitwise equal, any NaN matching any NaN (their sign and payload carry no
 * meaning and depend on the instruction that made them). */
static int same_bits(const float *a, const float *b, size_t n, size_t *where)
{
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) && !(isnan(a[i]) && isnan(b[i]))) {
            *where = i;
            return 0;
        }
    return 1;
}

/* Runs every SIMD kernel at `level` into out (sigmoid | tanh | bce | normal). */
enum { N_NORMAL = 100001 };
static void simd_run(int level, const float *x, size_t n, const float *t, float *out)
{
    rc__simd_use(level);
    rc__sigmoid(n, x, out);
    rc__tanh(n, x, out + n);
    rc__bce_terms(n, x, t, out + 2 * n);
    rc__normal(N_NORMAL, 0x0123456789abcdefull, 1.0f, out + 3 * n);
    rc__simd_use(-1);
}

/* The packed small-batch product: against double, and every SIMD level
 * against portable, bit for bit; rows past PACK_ROWS, column tails, padded
 * leading dimensions, both layouts of B, beta 0 and not. */
static void packed_gemm_suite(void)
{
    static const size_t shapes[][3] = {{1, 1, 1}, {3, 37, 19}, {4, 64, 8}, {8, 40, 33}, {13, 17, 5}};
    rc_rng rng;
    rc_rng_seed(&rng, 21, 21);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int tb = 0; tb < 2; tb++) {
            size_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2], lda = K + 3, ldb = (tb ? K : N) + 2;
            size_t ldc = N + 1;
            float beta = tb ? 0.0f : 0.3f;
            float *A = random_matrix(&rng, M * lda), *B = random_matrix(&rng, (tb ? N : K) * ldb);
            float *C0 = random_matrix(&rng, M * ldc), *P = malloc(rc__packed_size(N, K) * sizeof *P), *C[3];
            rc__pack_b(tb, N, K, B, ldb, P);
            double worst = 0.0;
            for (int level = RC_SIMD_PORTABLE; level <= RC_SIMD_AVX512; level++) {
                C[level] = malloc(M * ldc * sizeof *C[level]);
                memcpy(C[level], C0, M * ldc * sizeof *C0);
                if (rc__simd_use(level)) {
                    memcpy(C[level], C[0], M * ldc * sizeof *C0);
                    continue;
                }
                rc__gemm_packed(M, N, K, A, lda, P, beta, C[level], ldc);
                rc__simd_use(-1);
            }
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++) {
                    double sum = beta * (double)C0[i * ldc + j], size = fabs(sum);
                    for (size_t k = 0; k < K; k++) {
                        double v = (double)A[i * lda + k] * (tb ? B[j * ldb + k] : B[k * ldb + j]);
                        sum += v, size += fabs(v);
                    }
                    worst = fmax(worst, fabs(C[0][i * ldc + j] - sum) / fmax(size, 1e-30));
                }
            t_case("kernels: packed product %zux%zux%zu%s within 1e-6 of double, SIMD copies bit for bit", M, N, K,
                   tb ? " (B transposed)" : "");
            size_t where = 0;
            T_CHECK(worst <= 1e-6, "worst relative error %.3g", worst);
            T_CHECK(same_bits(C[1], C[0], M * ldc, &where) && same_bits(C[2], C[0], M * ldc, &where),
                    "first difference at %zu", where);
            free(A), free(B), free(C0), free(P), free(C[0]), free(C[1]), free(C[2]);
        }
}

/* C_i += A^T B_i over many rows (the weight gradients), one term or two
 * sharing A: against double, every SIMD level against portable and two
 * threads against one, bit for bit; chunks of rows past AT_KC, several
 * pieces of row blocks and a last partial one, rows of C past PACK_ROWS,
 * column tails. */
static void gemm_at_suite(void)
{
    static const size_t shapes[][4] = {{1, 1, 0, 1}, {5, 37, 0, 300}, {8, 64, 20, 256}, {30, 70, 0, 600},
                                       {70, 40, 17, 520}};
    rc_rng rng;
    rc_rng_seed(&rng, 23, 23);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t M = shapes[s][0], K = shapes[s][3], lda = M + 2, terms = shapes[s][2] ? 2 : 1;
        size_t N[2] = {shapes[s][1], shapes[s][2]}, ldb[2] = {N[0] + 3, N[1] + 1}, ldc[2] = {N[0] + 1, N[1] + 2};
        float *A = random_matrix(&rng, K * lda), *B[2], *C0[2], *C[4][2];
        size_t floats = 0;
        for (size_t i = 0; i < terms; i++) {
            B[i] = random_matrix(&rng, K * ldb[i]);
            C0[i] = random_matrix(&rng, M * ldc[i]);
            floats += rc__gemm_at_work(N[i]);
        }
        float *work = malloc(floats * sizeof *work);
        for (int run = 0; run < 4; run++) { /* portable, AVX2, AVX-512; the best on two threads */
            int missing = run < 3 && rc__simd_use(run); /* a level this CPU lacks: portable's result */
            rc__at_term t[2];
            for (size_t i = 0; i < terms; i++) {
                C[run][i] = malloc(M * ldc[i] * sizeof *C[run][i]);
                memcpy(C[run][i], missing ? C[0][i] : C0[i], M * ldc[i] * sizeof *C0[i]);
                t[i] = (rc__at_term){.N = N[i], .ldb = ldb[i], .ldc = ldc[i], .B = B[i], .C = C[run][i]};
            }
            if (missing)
                continue;
            rc_set_num_threads(run == 3 ? 2 : 1);
            rc__gemm_at(M, K, A, lda, terms, t, work);
            rc_set_num_threads(1);
            rc__simd_use(-1);
        }
        double worst = 0.0;
        for (size_t q = 0; q < terms; q++)
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N[q]; j++) {
                    double sum = C0[q][i * ldc[q] + j], size = fabs(sum);
                    for (size_t k = 0; k < K; k++) {
                        double v = (double)A[k * lda + i] * B[q][k * ldb[q] + j];
                        sum += v, size += fabs(v);
                    }
                    worst = fmax(worst, fabs(C[0][q][i * ldc[q] + j] - sum) / size);
                }
        t_case("kernels: A^T B %zux%zux%zu (%zu terms) within 1e-6 of double; SIMD copies and 2 threads bit for bit",
               M, N[0], K, terms);
        size_t where = 0;
        T_CHECK(worst <= 1e-6, "worst relative error %.3g", worst);
        int same = 1;
        for (size_t q = 0; q < terms; q++)
            for (int run = 1; run < 4; run++)
                same = same && same_bits(C[run][q], C[0][q], M * ldc[q], &where);
        T_CHECK(same, "first difference at %zu", where);
        free(A), free(work);
        for (size_t q = 0; q < terms; q++) {
            free(B[q]), free(C0[q]);
            for (int run = 0; run < 4; run++)
                free(C[run][q]);
        }
    }
}

/* The fused LSTM cell == rc__sigmoid, rc__tanh and the cell's arithmetic one
 * after another, bit for bit, at every SIMD level: whole and partial tiles,
 * with and without peepholes, a row left alone. */
static void lstm_cell_suite(void)
{
    enum { R = 5, U = PACK_COLS, LD = 20 };
    rc_rng rng;
    rc_rng_seed(&rng, 29, 29);
    float *S0 = random_matrix(&rng, 4 * R * U), *c0 = random_matrix(&rng, R * LD), *p = random_matrix(&rng, 3 * LD);
    for (size_t i = 0; i < 4 * R * U; i++)
        S0[i] *= 3.0f; /* both arms of tanh and the sigmoid's tails */
    const unsigned char live[R] = {1, 1, 0, 1, 1};
    for (size_t n = U; n > 0; n = n == U ? 5 : 0)
        for (int peep = 0; peep < 2; peep++) {
            /* the composed reference */
            float S[4 * R * U], c[R * LD], m[R * U], a[4 * U];
            memcpy(c, c0, sizeof c);
            for (size_t b = 0; b < R; b++) {
                if (!live[b])
                    continue;
                for (size_t q = 0; q < 4; q++)
                    memcpy(a + q * U, S0 + (q * R + b) * U, U * sizeof *a);
                float *cb = c + b * LD, cn[U], tc[U];
                for (size_t j = 0; j < n && peep; j++) {
                    a[j] += p[j] * cb[j];
                    a[U + j] += p[LD + j] * cb[j];
                }
                rc__sigmoid(2 * U, a, a);
                rc__tanh(U, a + 2 * U, a + 2 * U);
                for (size_t j = 0; j < n; j++)
                    cn[j] = a[U + j] * cb[j] + a[j] * a[2 * U + j];
                for (size_t j = 0; j < n && peep; j++)
                    a[3 * U + j] += p[2 * LD + j] * cn[j];
                rc__sigmoid(U, a + 3 * U, a + 3 * U);
                rc__tanh(n, cn, tc);
                for (size_t j = 0; j < n; j++) {
                    m[b * U + j] = a[3 * U + j] * tc[j];
                    cb[j] = cn[j];
                    for (size_t q = 0; q < 4; q++)
                        S[(q * R + b) * U + j] = a[q * U + j];
                }
            }
            int same = 1;
            for (int level = RC_SIMD_PORTABLE; level <= RC_SIMD_AVX512; level++) {
                if (rc__simd_use(level))
                    continue;
                float Sk[4 * R * U], ck[R * LD], mk[R * U];
                memcpy(Sk, S0, sizeof Sk);
                memcpy(ck, c0, sizeof ck);
                rc__lstm_cell(R, n, Sk, ck, LD, peep ? p : NULL, LD, live, mk);
                rc__simd_use(-1);
                for (size_t b = 0; b < R; b++) {
                    same &= memcmp(ck + b * LD, c + b * LD, (live[b] ? n : LD) * sizeof *ck) == 0;
                    for (size_t j = 0; j < n && live[b]; j++) {
                        same &= memcmp(&mk[b * U + j], &m[b * U + j], sizeof *mk) == 0;
                        for (size_t q = 0; q < 4; q++)
                            same &= memcmp(&Sk[(q * R + b) * U + j], &S[(q * R + b) * U + j], sizeof *Sk) == 0;
                    }
                }
                same &= memcmp(ck + R * LD - (LD - n), c0 + R * LD - (LD - n), (LD - n) * sizeof *ck) == 0;
            }
            t_case("kernels: LSTM cell of %zu units%s == sigmoid, tanh and the arithmetic, every level bit for bit",
                   n, peep ? " with peepholes" : "");
            T_CHECK(same, "the fused cell differs from the composed one");
        }
    free(S0), free(c0), free(p);
}

/* The LSTM cell's backward == its equations written out after rc__tanh, bit
 * for bit, at every SIMD level: with and without dy, peepholes and their
 * gradients, a whole and a partial row of units. */
static void lstm_cell_grad_suite(void)
{
    enum { H = 70 };
    rc_rng rng;
    rc_rng_seed(&rng, 31, 31);
    float *gates = random_matrix(&rng, 4 * H), *cp = random_matrix(&rng, H), *cn = random_matrix(&rng, H);
    float *dy = random_matrix(&rng, H), *p = random_matrix(&rng, 3 * H), *dh = random_matrix(&rng, H);
    float *dc0 = random_matrix(&rng, H), *gp0 = random_matrix(&rng, 3 * H);
    for (size_t j = 0; j < 4 * H; j++)
        gates[j] = 1.0f / (1.0f + expf(-gates[j])); /* in (0, 1) like the gates */
    for (size_t n = 64; n > 0; n = n == 64 ? 6 : 0)
        for (int opt = 0; opt < 4; opt++) { /* bit 0: dy; bit 1: peepholes with gradients */
            const float *y = opt & 1 ? dy : NULL, *pp = opt & 2 ? p : NULL;
            float dc[H], da[4 * H], gp[3 * H], tc[H];
            memcpy(dc, dc0, sizeof dc);
            memcpy(gp, gp0, sizeof gp);
            memset(da, 0, sizeof da);
            rc__tanh(n, cn, tc);
            for (size_t j = 0; j < n; j++) {
                float i = gates[j], f = gates[H + j], g = gates[2 * H + j], o = gates[3 * H + j];
                float dm = y ? dh[j] + y[j] : dh[j];
                float dao = dm * tc[j] * o * (1.0f - o);
                float dcj = dc[j] + dm * o * (1.0f - tc[j] * tc[j]);
                if (pp)
                    dcj += dao * pp[2 * H + j];
                float dai = dcj * g * i * (1.0f - i), dag = dcj * i * (1.0f - g * g);
                float daf = dcj * cp[j] * f * (1.0f - f);
                da[j] = dai, da[H + j] = daf, da[2 * H + j] = dag, da[3 * H + j] = dao;
                dc[j] = pp ? dcj * f + (dai * pp[j] + daf * pp[H + j]) : dcj * f;
                if (pp) {
                    gp[j] += dai * cp[j];
                    gp[H + j] += daf * cp[j];
                    gp[2 * H + j] += dao * cn[j];
                }
            }
            int same = 1;
            for (int level = RC_SIMD_PORTABLE; level <= RC_SIMD_AVX512; level++) {
                if (rc__simd_use(level))
                    continue;
                float dck[H], dak[4 * H], gpk[3 * H];
                memcpy(dck, dc0, sizeof dck);
                memcpy(gpk, gp0, sizeof gpk);
                memset(dak, 0, sizeof dak);
                rc__lstm_cell_grad(n, H, gates, cp, cn, y, pp, pp ? gpk : NULL, dh, dck, dak);
                rc__simd_use(-1);
                same &= memcmp(dck, dc, sizeof dck) == 0 && memcmp(dak, da, sizeof dak) == 0 &&
                        memcmp(gpk, gp, sizeof gpk) == 0;
            }
            t_case("kernels: LSTM cell backward, %zu units%s%s == its equations, every level bit for bit", n,
                   y ? ", dy" : "", pp ? ", peepholes" : "");
            T_CHECK(same, "the cell's backward differs from its equations");
        }
    free(gates), free(cp), free(cn), free(dy), free(p), free(dh), free(dc0), free(gp0);
}

/* The mixture NLL and its gradient: portable against double, and every
 * SIMD level against portable, bit for bit; 20 components (the speech
 * models), 3, and 1. */
static void mixture_suite(void)
{
    enum { R = 400 };
    static const size_t Ks[] = {20, 3, 1};
    rc_rng rng;
    rc_rng_seed(&rng, 11, 11);
    for (size_t c = 0; c < sizeof Ks / sizeof Ks[0]; c++) {
        size_t K = Ks[c], W = 3 * K;
        float *p = malloc(R * W * sizeof *p), *t = malloc(R * sizeof *t), *out[3];
        for (size_t r = 0; r < R; r++) {
            for (size_t k = 0; k < K; k++) {
                p[r * W + k] = 2.0f * rc_rng_normal(&rng);
                p[r * W + K + k] = rc_rng_normal(&rng);
                p[r * W + 2 * K + k] = -4.0f + 5.0f * rc_rng_uniform(&rng); /* std from 0.018 to 2.7 */
            }
            t[r] = rc_rng_normal(&rng);
        }
        double worst_l = 0.0, worst_g = 0.0;
        for (int level = RC_SIMD_PORTABLE; level <= RC_SIMD_AVX512; level++) {
            out[level] = malloc(R * (W + 1) * sizeof *out[level]);
            if (rc__simd_use(level)) {
                memcpy(out[level], out[0], R * (W + 1) * sizeof *out[level]);
                continue;
            }
            rc__mixture(R, K, p, t, out[level], out[level] + R);
            rc__simd_use(-1);
        }
        for (size_t r = 0; r < R; r++) { /* the same in double */
            const float *l = p + r * W, *m = l + K, *v = m + K;
            double a[20], pi[20], top = -INFINITY, lse = 0.0, best = -INFINITY, sum = 0.0;
            for (size_t k = 0; k < K; k++)
                top = fmax(top, l[k]);
            for (size_t k = 0; k < K; k++)
                lse += exp(l[k] - top);
            lse = top + log(lse);
            for (size_t k = 0; k < K; k++) {
                double z = (t[r] - (double)m[k]) * exp(-(double)v[k]);
                pi[k] = exp(l[k] - lse);
                a[k] = l[k] - lse - 0.5 * z * z - v[k] - 0.91893853320467274178;
                best = fmax(best, a[k]);
            }
            for (size_t k = 0; k < K; k++)
                sum += exp(a[k] - best);
            double L = -(best + log(sum));
            worst_l = fmax(worst_l, fabs(out[0][r] - L) / fmax(1.0, fabs(L)));
            for (size_t k = 0; k < K; k++) {
                double resp = exp(a[k] + L), z = (t[r] - (double)m[k]) * exp(-(double)v[k]);
                double want[3] = {pi[k] - resp, -resp * z * exp(-(double)v[k]), -resp * (z * z - 1.0)};
                for (int j = 0; j < 3; j++) {
                    double got = out[0][R + r * W + (size_t)j * K + k];
                    worst_g = fmax(worst_g, fabs(got - want[j]) / fmax(1.0, fabs(want[j])));
                }
            }
        }
        t_case("kernels: mixture NLL of %zu components within 2e-6 of double, its gradient within 1e-5", K);
        T_CHECK(worst_l <= 2e-6 && worst_g <= 1e-5, "worst NLL %.3g, gradient %.3g (relative to max(1, |x|))",
                worst_l, worst_g);
        t_case("kernels: mixture of %zu components, AVX2 and AVX-512 == portable, bit for bit", K);
        size_t where = 0;
        T_CHECK(same_bits(out[1], out[0], R * (W + 1), &where) && same_bits(out[2], out[0], R * (W + 1), &where),
                "first difference at %zu", where);
        free(p), free(t), free(out[0]), free(out[1]), free(out[2]);
    }
}

static void simd_suite(void)
{
    size_t cap = N_SWEEP + N_SPECIAL + 1;
    float *x = malloc(cap * sizeof *x), *t = malloc(cap * sizeof *t);
    float *ref = malloc((3 * cap + N_NORMAL) * sizeof *ref), *got = malloc((3 * cap + N_NORMAL) * sizeof *got);
    size_t n = simd_inputs(x, 30.0f), where = 0;
    for (size_t i = 0; i < n; i++)
        t[i] = (float)(i % 3) * 0.5f; /* targets 0, 1/2, 1 */

    /* Portable against double-precision references. */
    simd_run(RC_SIMD_PORTABLE, x, n, t, ref);
    rc__simd_use(RC_SIMD_PORTABLE);
    double ref_squares = rc__sum_squares(N_SWEEP, x);
    rc__simd_use(-1);
    long double exact = 0.0L;
    for (size_t i = 0; i < N_SWEEP; i++)
        exact += (long double)x[i] * x[i];
    t_case("kernels: sum of squares within 1e-12 of a long double sum");
    T_CHECK(fabs(ref_squares - (double)exact) <= 1e-12 * (double)exact, "%.17g vs %.17Lg", ref_squares, exact);
    double worst_s = 0.0, worst_t = 0.0, worst_b = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = x[i], e = exp(-fabs(v));
        double s = v >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
        worst_s = fmax(worst_s, isnan(v) ? (isnan(ref[i]) ? 0.0 : INFINITY) : ulps(ref[i], s));
        worst_t = fmax(worst_t, ulps(ref[n + i], tanh(v)));
        if (isfinite(v)) { /* relative to the size of the loss terms */
            double l = fmax(v, 0.0) - v * t[i] + log1p(e);
            worst_b = fmax(worst_b, fabs(ref[2 * n + i] - l) / fmax(fabs(v), 1.0));
        }
    }
    if (t_verbose())
        printf("  worst: sigmoid %.2f ulp, tanh %.2f ulp, Bernoulli terms %.3g\n", worst_s, worst_t, worst_b);
    t_case("kernels: sigmoid within 4 ulp of the exact value (also 0, tails, inf, NaN)");
    T_CHECK(worst_s <= 4.0, "worst %.2f ulp", worst_s);
    t_case("kernels: tanh within 4 ulp of the exact value (also 0, tails, inf, NaN)");
    T_CHECK(worst_t <= 4.0, "worst %.2f ulp", worst_t);
    t_case("kernels: Bernoulli NLL terms within 4e-7 (relative to max(|x|, 1))");
    T_CHECK(worst_b <= 4e-7, "worst %.3g", worst_b);

    t_case("kernels: normal draws are standard normal (moments, Kolmogorov-Smirnov, n odd)");
    float *z = ref + 3 * n;
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0;
    for (size_t i = 0; i < N_NORMAL; i++) {
        double v = z[i];
        m1 += v, m2 += v * v, m3 += v * v * v, m4 += v * v * v * v;
    }
    m1 /= N_NORMAL, m2 /= N_NORMAL, m3 /= N_NORMAL, m4 /= N_NORMAL;
    /* the empirical CDF at 41 points against Phi: the KS bound at the 0.1 % level */
    double ks = 0.0;
    for (int k = -20; k <= 20; k++) {
        double q = 0.2 * k;
        size_t below = 0;
        for (size_t i = 0; i < N_NORMAL; i++)
            below += z[i] <= q;
        ks = fmax(ks, fabs((double)below / N_NORMAL - 0.5 * erfc(-q / sqrt(2.0))));
    }
    if (t_verbose())
        printf("  normal: mean %.4f, variance %.4f, m3 %.4f, m4 %.4f, KS %.5f (bound %.5f)\n", m1, m2, m3, m4, ks,
               1.95 / sqrt((double)N_NORMAL));
    T_CHECK(fabs(m1) < 0.01 && fabs(m2 - 1) < 0.01 && fabs(m3) < 0.03 && fabs(m4 - 3) < 0.06 &&
                ks < 1.95 / sqrt((double)N_NORMAL),
            "mean %.4f, variance %.4f, third moment %.4f, fourth %.4f, KS %.5f", m1, m2, m3, m4, ks);
    int finite = 1;
    for (size_t i = 0; i < N_NORMAL; i++)
        finite &= isfinite(z[i]);
    float again[5], other[5];
    rc__normal(5, 0x0123456789abcdefull, 1.0f, again);
    rc__normal(5, 0x0123456789abcdeeull, 1.0f, other);
    t_case("kernels: normal draws are finite, a function of the key, and differ between keys");
    T_CHECK(finite && memcmp(again, other, sizeof again) != 0, "finite %d", finite);

    for (int level = RC_SIMD_AVX2; level <= RC_SIMD_AVX512; level++) {
        static const char *names[] = {"portable", "AVX2", "AVX-512"};
        if (rc__simd_use(level)) {
            printf("  skipped: %s kernels (this CPU lacks them)\n", names[level]);
            continue;
        }
        simd_run(level, x, n, t, got);
        rc__simd_use(level);
        double squares = rc__sum_squares(N_SWEEP, x);
        rc__simd_use(-1);
        t_case("kernels: %s sum of squares == portable, bit for bit", names[level]);
        T_CHECK(memcmp(&squares, &ref_squares, sizeof squares) == 0, "%.17g vs %.17g", squares, ref_squares);
        static const char *what[] = {"sigmoid", "tanh", "Bernoulli NLL terms", "normal draws"};
        for (int k = 0; k < 4; k++) {
            size_t len = k < 3 ? n : N_NORMAL;
            t_case("kernels: %s %s == portable, bit for bit", names[level], what[k]);
            T_CHECK(same_bits(got + k * n, ref + k * n, len, &where), "first difference at %zu: %.9g vs %.9g",
                    where, (double)got[k * n + where], (double)ref[k * n + where]);
        }
    }
    /* RMSProp, centred with momentum and plain, three steps at each level */
    enum { NR = 1001 };
    float *st = malloc(3 * 4 * NR * sizeof *st); /* v, a, b, d for each level (slot 0: portable) */
    for (int level = RC_SIMD_PORTABLE; level <= RC_SIMD_AVX512; level++) {
        float *v = st + level * 4 * NR, *a = v + NR, *b = a + NR, *d = b + NR;
        memset(v, 0, 3 * NR * sizeof *v);
        if (rc__simd_use(level)) {
            memcpy(v, st, 4 * NR * sizeof *v);
            continue;
        }
        for (int step = 0; step < 3; step++) {
            rc__rmsprop(NR, x + step * NR, x + 5 * NR, 0.01f, 0.95f, 0.9f, 1e-2f, 1e-8f, v, a, b, d);
            rc__rmsprop(NR / 2, x + step * NR, x + 5 * NR, 0.0f, 0.9f, 0.0f, 0.0f, 1e-8f, v + NR / 2, NULL, NULL,
                        d + NR / 2);
        }
        rc__simd_use(-1);
    }
    t_case("kernels: RMSProp direction, AVX2 and AVX-512 == portable, bit for bit");
    T_CHECK(!memcmp(st, st + 4 * NR, 4 * NR * sizeof *st) && !memcmp(st, st + 8 * NR, 4 * NR * sizeof *st),
            "the SIMD copies differ");
    free(st);

    mixture_suite();
    packed_gemm_suite();
    gemm_at_suite();
    lstm_cell_suite();
    lstm_cell_grad_suite();

    t_case("kernels: rc__simd_use refuses a level beyond the CPU and -1 restores the best");
    T_CHECK(rc__simd_use(RC_SIMD_AVX512 + 1) == -1 && rc__simd_use(-1) == 0, "levels");
    free(x), free(t), free(ref), free(got);
}

/* The softmax cross-entropy's kernels: log-sum-exp within 1e-13 of long
 * double (a smooth loss), the gradient within 1e-6 of double; every SIMD
 * level and 2 threads bit for bit; a NaN logit gives NaN. */
static void test_softmax_xent(rc_rng *rng)
{
    enum { ROWS = 37, C = 10007 }; /* a vocabulary past 16 lanes, and a tail */
    float *x = malloc(ROWS * C * sizeof *x), *g[4];
    double lse[4][ROWS];
    int32_t t[ROWS];
    for (size_t i = 0; i < ROWS * C; i++)
        x[i] = 6.0f * rc_rng_normal(rng);
    for (size_t r = 0; r < ROWS; r++)
        t[r] = r == 5 ? -1 : (int32_t)rc_rng_below(rng, C);
    x[3 * C + 17] = 80.0f, x[4 * C] = -90.0f; /* a dominant logit, a vanishing one */
    int levels = 0;
    for (int run = 0; run < 4; run++) { /* portable, AVX2, AVX-512; the best on two threads */
        g[run] = calloc(ROWS * C, sizeof *g[run]);
        int missing = run < 3 && rc__simd_use(run);
        if (missing)
            rc__simd_use(RC_SIMD_PORTABLE);
        levels += !missing;
        rc_set_num_threads(run == 3 ? 2 : 1);
        rc__log_sum_exp_rows(ROWS, C, x, lse[run]);
        rc__softmax_xent_grad(ROWS, C, x, lse[run], t, -1, 0.25f, g[run]);
        rc_set_num_threads(1);
        rc__simd_use(-1);
    }
    t_case("kernels: softmax cross-entropy, log-sum-exp within 1e-13 of long double, gradient within 1e-6");
    double worst_l = 0.0, worst_g = 0.0;
    for (size_t r = 0; r < ROWS; r++) {
        long double m = x[r * C], sum = 0.0L;
        for (size_t c = 0; c < C; c++)
            m = x[r * C + c] > m ? x[r * C + c] : m;
        for (size_t c = 0; c < C; c++)
            sum += expl((long double)x[r * C + c] - m);
        long double want = m + logl(sum);
        worst_l = fmax(worst_l, fabs((double)(lse[0][r] - want)) / fmax(1.0, fabs((double)want)));
        for (size_t c = 0; c < C; c++) {
            double p = 0.25 * ((double)expl((long double)x[r * C + c] - want) - (t[r] == (int32_t)c));
            worst_g = fmax(worst_g, fabs(g[0][r * C + c] - (t[r] < 0 ? 0.0 : p)));
        }
    }
    T_CHECK(worst_l < 1e-13 && worst_g < 1e-6, "log-sum-exp off by %g, gradient by %g", worst_l, worst_g);
    t_case("kernels: softmax cross-entropy, %d SIMD levels and 2 threads bit for bit", levels);
    for (int run = 1; run < 4; run++)
        T_CHECK(!memcmp(lse[0], lse[run], sizeof lse[0]) && !memcmp(g[0], g[run], ROWS * C * sizeof *g[0]),
                "run %d differs", run);
    t_case("kernels: softmax cross-entropy of a row with a NaN logit is NaN");
    x[C + 3] = NAN;
    double one;
    rc__log_sum_exp_rows(1, C, x + C, &one);
    T_CHECK(isnan(one), "log-sum-exp %g", one);
    for (int run = 0; run < 4; run++)
        free(g[run]);
    free(x);
}

void suite_kernels(void)
{
    static const size_t sizes[][3] = {{1, 1, 1}, {3, 5, 7}, {17, 33, 9}, {64, 48, 130}, {1, 256, 64}, {2, 70, 33},
                                      {1, 600, 450}}; /* the last one: the sgemv path */
    rc_rng rng;
    rc_rng_seed(&rng, 17, 0);
    test_softmax_xent(&rng);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                size_t M = sizes[s][0], N = sizes[s][1], K = sizes[s][2];
                /* Padded leading dimensions: the kernels must honour strides. */
                size_t lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 2, ldc = N + 1;
                float *A = random_matrix(&rng, (ta ? K : M) * lda);
                float *B = random_matrix(&rng, (tb ? N : K) * ldb);
                float *C0 = random_matrix(&rng, M * ldc);
                float *C[1 + 3]; /* rc__sgemm, then the loops at each SIMD level */
                double *ref = malloc(M * N * sizeof *ref);
                for (size_t i = 0; i < M; i++)
                    for (size_t j = 0; j < N; j++) {
                        double sum = 0.0;
                        for (size_t k = 0; k < K; k++)
                            sum += (double)(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
                        ref[i * N + j] = 0.7 * sum + 0.3 * C0[i * ldc + j];
                    }
                for (int v = 0; v < 4; v++) {
                    C[v] = malloc(M * ldc * sizeof *C[v]);
                    memcpy(C[v], C0, M * ldc * sizeof *C0);
                    if (v == 0)
                        rc__sgemm(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C[v], ldc);
                    else if (rc__simd_use(v - 1) == 0)
                        rc__sgemm_loops(ta, tb, M, N, K, 0.7f, A, lda, B, ldb, 0.3f, C[v], ldc);
                    else
                        memcpy(C[v], C[1], M * ldc * sizeof *C0); /* a level this CPU lacks */
                    rc__simd_use(-1);
                }
                for (int v = 0; v < 2; v++) {
                    t_case("kernels: %s, %zux%zux%zu%s%s, against double sums", v ? "sgemm loops" : "sgemm", M, N,
                           K, ta ? " A^T" : "", tb ? " B^T" : "");
                    double worst = 0.0;
                    int pad_intact = 1;
                    for (size_t i = 0; i < M; i++) {
                        for (size_t j = 0; j < N; j++)
                            worst = fmax(worst, fabs(C[v][i * ldc + j] - ref[i * N + j]) / sqrt((double)K));
                        pad_intact &= C[v][i * ldc + N] == C0[i * ldc + N];
                    }
                    T_CHECK(worst < 1e-5, "max difference %g (per sqrt(K))", worst);
                    T_CHECK(pad_intact, "a kernel wrote past N columns");
                }
                t_case("kernels: sgemm loops %zux%zux%zu%s%s, AVX2 and AVX-512 == portable, bit for bit", M, N, K,
                       ta ? " A^T" : "", tb ? " B^T" : "");
                T_CHECK(!memcmp(C[2], C[1], M * ldc * sizeof *C0) && !memcmp(C[3], C[1], M * ldc * sizeof *C0),
                        "the SIMD copies differ");
                free(A), free(B), free(C0), free(ref);
                for (int v = 0; v < 4; v++)
                    free(C[v]);
            }

    t_case("kernels: beta = 0 overwrites C even when it holds NaN");
    float A[4] = {1, 2, 3, 4}, B[4] = {1, 0, 0, 1}, C[4] = {NAN, NAN, NAN, NAN};
    rc__sgemm_loops(0, 0, 2, 2, 2, 1.0f, A, 2, B, 2, 0.0f, C, 2);
    T_CHECK(C[0] == 1 && C[1] == 2 && C[2] == 3 && C[3] == 4, "got %g %g %g %g", (double)C[0],
            (double)C[1], (double)C[2], (double)C[3]);

    t_case("kernels: sigmoid is exact in both tails");
    float x[4] = {-100.0f, -20.0f, 20.0f, 100.0f}, y[4];
    rc__sigmoid(4, x, y);
    T_CHECK(y[0] >= 0.0f && y[0] < 1e-40f && fabsf(y[1] - 2.0611537e-9f) < 1e-15f && y[2] == 1.0f &&
                y[3] == 1.0f,
            "sigmoid tails %g %g %g %g", (double)y[0], (double)y[1], (double)y[2], (double)y[3]);

    simd_suite();
}
