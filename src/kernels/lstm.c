/* lstm.c — fused LSTM layer with optional diagonal peepholes and projection.
 *
 * Forward (gates i, f, g, o; a = W_ih x + b_ih + W_hh h + b_hh; p_* peepholes):
 *   i = sigmoid(a_i + p_i c_prev)    f = sigmoid(a_f + p_f c_prev)
 *   g = tanh(a_g)                    c = f c_prev + i g
 *   o = sigmoid(a_o + p_o c)         m = o tanh(c)
 *   h = m, or h = m W_hr^T with a projection.
 * Backward, with dh reaching h and dc reaching c from the next step:
 *   dm = dh (or dh W_hr)             da_o = dm tanh(c) o (1 - o)
 *   dc += dm o (1 - tanh(c)^2) + da_o p_o
 *   da_i = dc g i (1 - i)            da_g = dc i (1 - g^2)
 *   da_f = dc c_prev f (1 - f)
 *   dc_prev = dc f + da_i p_i + da_f p_f,   dh_prev = da W_hh
 *   dp_i += da_i c_prev, dp_f += da_f c_prev, dp_o += da_o c,  dW_hr += dh^T m.
 * Cache: h_prev [T, B, Ho], gates i f g o [T, B, 4H], and the cell states
 * [T + 1, B, H] in time order, c0 at the start (the end, in reverse): step
 * t's c_prev and c are two neighbouring slots. */
#include "recurrent.h"

#include "kernels.h"

#include <math.h>
#include <string.h>

typedef struct {
    float *hprev, *gates, *cs; /* the cache, carved */
} lstm_cache;

static lstm_cache carve(const rc__seq_dims *d, float *cache)
{
    size_t TB = d->T * d->B, H = d->H;
    lstm_cache k;
    k.hprev = cache;
    k.gates = k.hprev + TB * rc__seq_hout(d);
    k.cs = k.gates + TB * 4 * H;
    return k;
}

/* The cell states [B, H] before and after step t in the cache. */
static float *c_before(const rc__seq_dims *d, const lstm_cache *k, size_t t)
{
    return k->cs + (d->reverse ? t + 1 : t) * d->B * d->H;
}

static float *c_after(const rc__seq_dims *d, const lstm_cache *k, size_t t)
{
    return k->cs + (d->reverse ? t : t + 1) * d->B * d->H;
}

void rc__lstm_forward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                      const float *h0, const float *c0, float *y, float *h_n, float *c_n,
                      float *cache, float *work)
{
    size_t T = d->T, B = d->B, H = d->H, Ho = rc__seq_hout(d), G = 4 * H;
    float *gx = work;           /* [T, B, 4H] */
    float *a = gx + T * B * G;  /* [B, 4H] */
    float *h = a + B * G;       /* [B, Ho] state */
    float *c = h + B * Ho;      /* [B, H] state */
    float *m = c + B * H;       /* [B, H] o tanh(c) */
    float *hp = m + B * H;      /* [B, Ho] projected m */
    const float *p_i = w->w_ph, *p_f = w->w_ph ? w->w_ph + H : NULL, *p_o = w->w_ph ? w->w_ph + 2 * H : NULL;
    lstm_cache k = cache ? carve(d, cache) : (lstm_cache){0};

    rc__seq_input_projection(d, w, x, G, 1, gx, rc__seq_input_scratch(d, work, 0));
    const float *P = rc__seq_packed_w_hh(d, w->w_hh, work, 0);
    memcpy(h, h0, B * Ho * sizeof(float));
    memcpy(c, c0, B * H * sizeof(float));
    memset(y, 0, T * B * Ho * sizeof(float));
    if (cache && T)
        memcpy(c_before(d, &k, rc__seq_time(d, 0)), c, B * H * sizeof(float));
    for (size_t s = 0; s < T; s++) {
        size_t t = rc__seq_time(d, s), at = t * B;
        if (cache)
            memcpy(k.hprev + at * Ho, h, B * Ho * sizeof(float));
        memcpy(a, gx + at * G, B * G * sizeof(float));
        if (P)
            rc__gemm_packed(B, G, Ho, h, Ho, P, 1.0f, a, G);
        else
            rc__sgemm(0, 1, B, G, Ho, 1.0f, h, Ho, w->w_hh, Ho, 1.0f, a, G);
        for (size_t b = 0; b < B; b++) {
            if (!rc__seq_active(d, t, b))
                continue;
            float *ab = a + b * G, *cb = c + b * H, *mb = m + b * H;
            float *gates = cache ? k.gates + (at + b) * G : NULL;
            if (p_i)
                for (size_t j = 0; j < H; j++) {
                    ab[j] += p_i[j] * cb[j];
                    ab[H + j] += p_f[j] * cb[j];
                }
            rc__sigmoid(2 * H, ab, ab);             /* i, f */
            rc__tanh(H, ab + 2 * H, ab + 2 * H);    /* g */
            for (size_t j = 0; j < H; j++)
                cb[j] = ab[H + j] * cb[j] + ab[j] * ab[2 * H + j];
            if (p_o)
                for (size_t j = 0; j < H; j++)
                    ab[3 * H + j] += p_o[j] * cb[j];
            rc__sigmoid(H, ab + 3 * H, ab + 3 * H); /* o */
            rc__tanh(H, cb, mb);
            for (size_t j = 0; j < H; j++)
                mb[j] *= ab[3 * H + j];
            if (gates)
                memcpy(gates, ab, G * sizeof(float));
        }
        if (cache) /* every row: a finished sequence's state carries to the next slot */
            memcpy(c_after(d, &k, t), c, B * H * sizeof(float));
        const float *hnew = m;
        if (d->P) {
            rc__sgemm(0, 1, B, Ho, H, 1.0f, m, H, w->w_hr, H, 0.0f, hp, Ho);
            hnew = hp;
        }
        rc__seq_copy_active(d, t, Ho, hnew, h);
        rc__seq_copy_active(d, t, Ho, hnew, y + at * Ho);
    }
    memcpy(h_n, h, B * Ho * sizeof(float));
    memcpy(c_n, c, B * H * sizeof(float));
}

void rc__lstm_backward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                       const float *cache, const float *dy, const float *dh_n, const float *dc_n,
                       const rc__seq_grads *g, float *work)
{
    size_t T = d->T, B = d->B, H = d->H, Ho = rc__seq_hout(d), G = 4 * H, TB = T * B;
    lstm_cache k = carve(d, (float *)cache);
    size_t kept = d->P ? TB : B;    /* rows of M and DH: all steps' for dW_hr, else one step's */
    float *DG = work;               /* [T, B, 4H] gate pre-activation gradients */
    float *M = DG + TB * G;         /* [T, B, H] m = o tanh(c) (projection), else [B, H] */
    float *DH = M + kept * H;       /* [T, B, Ho] dh of each step (projection), else [B, Ho] */
    float *dh = DH + kept * Ho;     /* [B, Ho] */
    float *dc = dh + B * Ho;        /* [B, H] */
    float *dm = dc + B * H;         /* [B, H] */
    float *tmp = dm + B * H;        /* [B, max(Ho, 4H)] */
    const float *p_i = w->w_ph, *p_f = w->w_ph ? w->w_ph + H : NULL, *p_o = w->w_ph ? w->w_ph + 2 * H : NULL;
    float *gp_i = g->w_ph, *gp_f = g->w_ph ? g->w_ph + H : NULL, *gp_o = g->w_ph ? g->w_ph + 2 * H : NULL;

    const float *P = rc__seq_packed_w_hh(d, w->w_hh, work, 1);
    rc__copy_or_zero(B * Ho, dh_n, dh);
    rc__copy_or_zero(B * H, dc_n, dc);
    for (size_t s = T; s-- > 0;) {
        size_t t = rc__seq_time(d, s), at = t * B;
        float *DHt = DH + (d->P ? at * Ho : 0), *Mt = M + (d->P ? at * H : 0);
        /* dh of this step's output: carried + from y, active rows only */
        for (size_t b = 0; b < B; b++) {
            float *dhb = DHt + b * Ho;
            if (!rc__seq_active(d, t, b)) {
                memset(dhb, 0, Ho * sizeof(float));
                continue;
            }
            for (size_t j = 0; j < Ho; j++)
                dhb[j] = dh[b * Ho + j] + (dy ? dy[(at + b) * Ho + j] : 0.0f);
        }
        if (d->P)
            rc__sgemm(0, 0, B, H, Ho, 1.0f, DHt, Ho, w->w_hr, H, 0.0f, dm, H);
        else
            memcpy(dm, DHt, B * H * sizeof(float));
        for (size_t b = 0; b < B; b++) {
            float *da = DG + (at + b) * G;
            if (!rc__seq_active(d, t, b)) {
                memset(da, 0, G * sizeof(float));
                memset(Mt + b * H, 0, H * sizeof(float));
                continue;
            }
            const float *gt = k.gates + (at + b) * G;
            const float *cp = c_before(d, &k, t) + b * H, *cn = c_after(d, &k, t) + b * H;
            float *dcb = dc + b * H, *mb = Mt + b * H;
            rc__tanh(H, cn, mb);
            for (size_t j = 0; j < H; j++) {
                float i = gt[j], f = gt[H + j], gg = gt[2 * H + j], o = gt[3 * H + j];
                float tc = mb[j];
                float dmj = dm[b * H + j];
                mb[j] = o * tc;
                float dao = dmj * tc * o * (1.0f - o);
                float dcj = dcb[j] + dmj * o * (1.0f - tc * tc) + (p_o ? dao * p_o[j] : 0.0f);
                float dai = dcj * gg * i * (1.0f - i);
                float dag = dcj * i * (1.0f - gg * gg);
                float daf = dcj * cp[j] * f * (1.0f - f);
                da[j] = dai, da[H + j] = daf, da[2 * H + j] = dag, da[3 * H + j] = dao;
                dcb[j] = dcj * f + (p_i ? dai * p_i[j] + daf * p_f[j] : 0.0f);
                if (gp_i) {
                    gp_i[j] += dai * cp[j];
                    gp_f[j] += daf * cp[j];
                    gp_o[j] += dao * cn[j];
                }
            }
        }
        if (P)
            rc__gemm_packed(B, Ho, G, DG + at * G, G, P, 0.0f, tmp, Ho);
        else
            rc__sgemm(0, 0, B, Ho, G, 1.0f, DG + at * G, G, w->w_hh, Ho, 0.0f, tmp, Ho);
        rc__seq_copy_active(d, t, Ho, tmp, dh);
    }
    if (g->h0)
        rc__accumulate(B * Ho, dh, g->h0);
    if (g->c0)
        rc__accumulate(B * H, dc, g->c0);
    if (g->w_hh)
        rc__sgemm(1, 0, G, Ho, TB, 1.0f, DG, G, k.hprev, Ho, 1.0f, g->w_hh, Ho);
    if (d->P && g->w_hr)
        rc__sgemm(1, 0, Ho, H, TB, 1.0f, DH, Ho, M, H, 1.0f, g->w_hr, H);
    rc__seq_input_grads(d, w, x, DG, G, 1, g, rc__seq_input_scratch(d, work, 1));
}
