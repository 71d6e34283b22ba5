/* qrnn.c — the QRNN layer fused (Bradbury et al. 2017; src/cells/qrnn.c
 * gives the equations and is the specification this equals):
 *   - the convolution over time for every step at once, two GEMMs for
 *     window 2 (A = x W_t^T + b, U = x W_{t-1}^T), one for window 1, and
 *     with window 2 a third of B rows for the lookback, the input before
 *     a sequence's first step: U_{-1} = x_{-1} W_{t-1}^T;
 *   - each step's pre-activations A_t + U_{t-1} (U_{-1} at a sequence's
 *     first step), activated for all steps at once by the SIMD tanh and
 *     sigmoid, since none depends on the pooling;
 *   - only the pooling c' = f c + (1 - f) z (ifo: f c + i z), h = o c' is
 *     sequential, one loop over the units of each sequence, which are
 *     independent: sequences run in parallel.
 * Backward, with dc the gradient reaching c', dh reaching h:
 *   dc' = dc + dh o (f: dc + dh),   do = dh c'
 *   f, fo:  dz = dc' (1 - f),   df = dc' (c - z)
 * (with zoneout p in evaluation f = 1 - (1 - s)(1 - p), s the sigmoid, and
 * da_f = df (f - p)(1 - f) / (1 - p))
 *   ifo:    dz = dc' i,         df = dc' c,   di = dc' z
 *   dc (to the previous step) = dc' f;  da = d(gate) * the gate's derivative
 * and da is also the gradient of the previous step's U (it adds to a), at
 * the first step U_{-1}'s; the weight and input gradients are GEMMs over
 * all steps after the loop, x_{-1}'s over its B rows.  The final lookback
 * is the last input itself: its gradient goes straight to that row of dx.
 * Cache: the activated gates [T, B, G], c before each step [T, B, H], then
 * (window 2) x_{-1} [B, I]. */
#include "recurrent.h"

#include "kernels.h"

#include <string.h>

/* Below this many pre-activations one thread is faster (the loops are a
 * few operations per float). */
enum { PARALLEL_FLOATS = 1 << 15 };

static size_t rows(const rc__qrnn_dims *d) { return d->T * d->B; }
static size_t width(const rc__qrnn_dims *d) { return d->gates * d->H; }

size_t rc__qrnn_cache_size(const rc__qrnn_dims *d)
{
    return rows(d) * (width(d) + d->H) + (d->window == 2 ? d->B * d->I : 0);
}

size_t rc__qrnn_work_size(const rc__qrnn_dims *d, int backward)
{
    size_t TB = rows(d), G = width(d), convs = TB * G * d->window; /* A (or dA) and U (or dU) */
    size_t look = d->window == 2 ? d->B * G : 0;                   /* U_{-1} (or its gradient) */
    return backward ? convs + d->B * d->H + look : convs + look;
}

static int active(const rc__qrnn_dims *d, size_t t, size_t b) { return !d->lengths || t < (size_t)d->lengths[b]; }

/* Sequence b's first step in processing order, and its last. */
static size_t first_step(const rc__qrnn_dims *d, size_t b)
{
    return d->reverse ? (d->lengths ? (size_t)d->lengths[b] : d->T) - 1 : 0;
}

static size_t last_step(const rc__qrnn_dims *d, size_t b)
{
    return d->reverse ? 0 : (d->lengths ? (size_t)d->lengths[b] : d->T) - 1;
}

static size_t time_of(const rc__qrnn_dims *d, size_t s) { return d->reverse ? d->T - 1 - s : s; }

void rc__qrnn_forward(const rc__qrnn_dims *d, const float *w, const float *bias, const float *x, const float *c0,
                      const float *look0, float *y, float *c_n, float *look_n, float *cache, float *work)
{
    size_t T = d->T, B = d->B, I = d->I, H = d->H, G = width(d), k = d->window, TB = rows(d);
    float *act = cache ? cache : work + (k - 1) * TB * G; /* [T, B, G] */
    float *u = work;                                        /* [T, B, G] with window 2 */
    float *u0 = work + (cache ? k - 1 : k) * TB * G;        /* [B, G]: U_{-1} with window 2 */
    float *c_before = cache ? cache + TB * G : NULL;        /* [T, B, H] */
    for (size_t r = 0; r < TB; r++)
        rc__copy_or_zero(G, bias, act + r * G);
    rc__sgemm(0, 1, TB, G, I, 1.0f, x, I, w, k * I, 1.0f, act, G);
    if (k == 2) { /* before look_n is written: it may alias look0 */
        rc__sgemm(0, 1, TB, G, I, 1.0f, x, I, w + I, k * I, 0.0f, u, G);
        if (look0)
            rc__sgemm(0, 1, B, G, I, 1.0f, look0, I, w + I, k * I, 0.0f, u0, G);
        if (cache)
            rc__copy_or_zero(B * I, look0, cache + TB * (G + H));
    }
    int parallel = TB * G >= PARALLEL_FLOATS;
    (void)parallel;
    RC_OMP("omp parallel for schedule(static) if (parallel)")
    for (size_t r = 0; r < TB; r++) {
        size_t t = r / B, b = r % B;
        float *a = act + r * G;
        if (!active(d, t, b)) {
            memset(a, 0, G * sizeof(float));
            continue;
        }
        if (k == 2) {
            const float *look = t != first_step(d, b) ? u + ((d->reverse ? t + 1 : t - 1) * B + b) * G
                                : look0 ? u0 + b * G : NULL;
            for (size_t j = 0; look && j < G; j++)
                a[j] += look[j];
        }
        rc__tanh(H, a, a);
        rc__sigmoid(G - H, a + H, a + H);
        for (size_t j = 0; d->zoneout > 0.0f && j < H; j++) /* zoneout's expectation: f' = 1 - (1 - f)(1 - p) */
            a[H + j] = 1.0f - (1.0f - a[H + j]) * (1.0f - d->zoneout);
    }
    if (c_n != c0)
        memcpy(c_n, c0, B * H * sizeof(float));
    RC_OMP("omp parallel for schedule(static) if (parallel)")
    for (size_t b = 0; b < B; b++) {
        float *restrict c = c_n + b * H;
        for (size_t s = 0; s < T; s++) {
            size_t t = time_of(d, s), r = t * B + b;
            float *restrict h = y + r * H;
            if (!active(d, t, b)) {
                memset(h, 0, H * sizeof(float));
                continue;
            }
            const float *z = act + r * G, *f = z + H, *o = f + H, *i = o + H;
            if (c_before)
                memcpy(c_before + r * H, c, H * sizeof(float));
            if (d->gates == 4)
                for (size_t j = 0; j < H; j++)
                    c[j] = f[j] * c[j] + i[j] * z[j];
            else
                for (size_t j = 0; j < H; j++)
                    c[j] = z[j] + f[j] * (c[j] - z[j]);
            if (d->gates == 2)
                memcpy(h, c, H * sizeof(float));
            else
                for (size_t j = 0; j < H; j++)
                    h[j] = o[j] * c[j];
        }
        if (k == 2)
            memcpy(look_n + b * I, x + (last_step(d, b) * B + b) * I, I * sizeof(float));
    }
}

void rc__qrnn_backward(const rc__qrnn_dims *d, const float *w, const float *x, const float *cache, const float *dy,
                       const float *dc_n, const float *dlook_n, const rc__qrnn_grads *g, float *work)
{
    size_t T = d->T, B = d->B, I = d->I, H = d->H, G = width(d), k = d->window, TB = rows(d);
    const float *act = cache, *c_before = cache + TB * G, *look0 = cache + TB * (G + H);
    float *da = work, *du = work + TB * G;             /* [T, B, G] each (du: window 2) */
    float *dc = work + k * TB * G, *dlook = dc + B * H; /* [B, H], [B, G]: U_{-1}'s gradient */
    rc__copy_or_zero(B * H, dc_n, dc);
    if (k == 2)
        memset(dlook, 0, B * G * sizeof(float));
    for (size_t b = 0; k == 2 && dlook_n && g->x && b < B; b++) /* the final lookback is the last input */
        rc__accumulate(I, dlook_n + b * I, g->x + (last_step(d, b) * B + b) * I);
    int parallel = TB * G >= PARALLEL_FLOATS;
    (void)parallel;
    RC_OMP("omp parallel for schedule(static) if (parallel)")
    for (size_t b = 0; b < B; b++) {
        float *restrict dcb = dc + b * H, *restrict dl = dlook + b * G;
        for (size_t s = T; s-- > 0;) {
            size_t t = time_of(d, s), r = t * B + b;
            float *restrict a = da + r * G;
            if (!active(d, t, b)) {
                memset(a, 0, G * sizeof(float));
                if (k == 2)
                    memset(du + r * G, 0, G * sizeof(float));
                continue;
            }
            if (k == 2) /* this step's U is the next step's lookback */
                memcpy(du + r * G, dl, G * sizeof(float));
            const float *z = act + r * G, *f = z + H, *o = f + H, *i = o + H, *c = c_before + r * H;
            const float *dh = dy ? dy + r * H : NULL;
            for (size_t j = 0; j < H; j++) {
                float cn = d->gates == 4 ? f[j] * c[j] + i[j] * z[j] : z[j] + f[j] * (c[j] - z[j]);
                float dhj = dh ? dh[j] : 0.0f, dcn = dcb[j] + (d->gates == 2 ? dhj : dhj * o[j]);
                float dz = d->gates == 4 ? dcn * i[j] : dcn * (1.0f - f[j]);
                float df = d->gates == 4 ? dcn * c[j] : dcn * (c[j] - z[j]);
                a[j] = dz * (1.0f - z[j] * z[j]);
                a[H + j] = df * (f[j] - d->zoneout) * (1.0f - f[j]) / (1.0f - d->zoneout); /* f'(1-f)/(1-p) at p = 0 */
                if (d->gates >= 3)
                    a[2 * H + j] = dhj * cn * o[j] * (1.0f - o[j]);
                if (d->gates == 4)
                    a[3 * H + j] = dcn * z[j] * i[j] * (1.0f - i[j]);
                dcb[j] = dcn * f[j];
            }
            if (k == 2) /* the lookback adds to a: it receives a's gradient */
                memcpy(dl, a, G * sizeof(float));
        }
    }
    if (g->c0)
        rc__accumulate(B * H, dc, g->c0);
    if (k == 2 && g->look0)
        rc__sgemm(0, 0, B, I, G, 1.0f, dlook, G, w + I, k * I, 1.0f, g->look0, I);
    if (g->w) {
        rc__sgemm(1, 0, G, I, TB, 1.0f, da, G, x, I, 1.0f, g->w, k * I);
        if (k == 2) {
            rc__sgemm(1, 0, G, I, TB, 1.0f, du, G, x, I, 1.0f, g->w + I, k * I);
            rc__sgemm(1, 0, G, I, B, 1.0f, dlook, G, look0, I, 1.0f, g->w + I, k * I);
        }
    }
    for (size_t r = 0; g->b && r < TB; r++)
        rc__accumulate(G, da + r * G, g->b);
    if (g->x) {
        rc__sgemm(0, 0, TB, I, G, 1.0f, da, G, w, k * I, 1.0f, g->x, I);
        if (k == 2)
            rc__sgemm(0, 0, TB, I, G, 1.0f, du, G, w + I, k * I, 1.0f, g->x, I);
    }
}
