/* qrnn.c — the QRNN layer fused (Bradbury et al. 2017; src/cells/qrnn.c
 * gives the equations and is the specification this equals):
 *   - the convolution over time for every step at once, two GEMMs for
 *     window 2 (A = x W_t^T + b, U = x W_{t-1}^T), one for window 1;
 *   - each step's pre-activations A_t + U_{t-1} (the lookback: the initial
 *     state at a sequence's first step), activated for all steps at once
 *     by the SIMD tanh and sigmoid, since none depends on the pooling;
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
 * and da is also the lookback's gradient (it adds to a), which the previous
 * step's U receives; the weight and input gradients are GEMMs over all
 * steps after the loop.
 * Cache: the activated gates [T, B, G], then c before each step [T, B, H]. */
#include "recurrent.h"

#include "kernels.h"

#include <string.h>

/* Below this many pre-activations one thread is faster (the loops are a
 * few operations per float). */
enum { PARALLEL_FLOATS = 1 << 15 };

static size_t rows(const rc__qrnn_dims *d) { return d->T * d->B; }
static size_t width(const rc__qrnn_dims *d) { return d->gates * d->H; }

size_t rc__qrnn_cache_size(const rc__qrnn_dims *d) { return rows(d) * (width(d) + d->H); }

size_t rc__qrnn_work_size(const rc__qrnn_dims *d, int backward)
{
    size_t TB = rows(d), G = width(d), convs = TB * G * d->window; /* A (or dA) and U (or dU) */
    return backward ? convs + d->B * (d->H + G) : convs;
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
    float *c_before = cache ? cache + TB * G : NULL;        /* [T, B, H] */
    for (size_t r = 0; r < TB; r++)
        rc__copy_or_zero(G, bias, act + r * G);
    rc__sgemm(0, 1, TB, G, I, 1.0f, x, I, w, k * I, 1.0f, act, G);
    if (k == 2)
        rc__sgemm(0, 1, TB, G, I, 1.0f, x, I, w + I, k * I, 0.0f, u, G);
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
                                : look0 ? look0 + b * G : NULL;
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
            memcpy(look_n + b * G, u + (last_step(d, b) * B + b) * G, G * sizeof(float));
    }
}

void rc__qrnn_backward(const rc__qrnn_dims *d, const float *w, const float *x, const float *cache, const float *dy,
                       const float *dc_n, const float *dlook_n, const rc__qrnn_grads *g, float *work)
{
    size_t T = d->T, B = d->B, I = d->I, H = d->H, G = width(d), k = d->window, TB = rows(d);
    const float *act = cache, *c_before = cache + TB * G;
    float *da = work, *du = work + TB * G;             /* [T, B, G] each (du: window 2) */
    float *dc = work + k * TB * G, *dlook = dc + B * H; /* [B, H], [B, G] */
    rc__copy_or_zero(B * H, dc_n, dc);
    if (k == 2)
        rc__copy_or_zero(B * G, dlook_n, dlook);
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
        rc__accumulate(B * G, dlook, g->look0);
    if (g->w) {
        rc__sgemm(1, 0, G, I, TB, 1.0f, da, G, x, I, 1.0f, g->w, k * I);
        if (k == 2)
            rc__sgemm(1, 0, G, I, TB, 1.0f, du, G, x, I, 1.0f, g->w + I, k * I);
    }
    for (size_t r = 0; g->b && r < TB; r++)
        rc__accumulate(G, da + r * G, g->b);
    if (g->x) {
        rc__sgemm(0, 0, TB, I, G, 1.0f, da, G, w, k * I, 1.0f, g->x, I);
        if (k == 2)
            rc__sgemm(0, 0, TB, I, G, 1.0f, du, G, w + I, k * I, 1.0f, g->x, I);
    }
}
