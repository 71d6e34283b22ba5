/* gru.c — fused GRU layer in both forms (gates r, z, n).
 *
 * After (PyTorch, cuDNN):  hn = W_hn h + b_hn,  n = tanh(W_in x + b_in + r hn)
 * Before (Cho et al. 2014): rh = r h,  n = tanh(W_in x + b_in + W_hn rh + b_hn)
 * Both:  r = sigmoid(a_r), z = sigmoid(a_z), h' = (1 - z) n + z h,
 *        a_{r,z} = W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z}.
 * Per step the recurrent n term (r hn, or W_hn rh) sits in the third block of
 * one [B, 3H] buffer, so the pointwise pass is shared.
 * Backward, with dh reaching h':
 *   dn_pre = dh (1 - z)(1 - n^2),  dz_pre = dh (h - n) z (1 - z),
 *   after:  dr_pre = dn_pre hn r (1 - r); the recurrent-side gradient of the
 *           n block is dn_pre r;  dh_prev = dh z + [dr dz dn r]_pre W_hh
 *   before: drh = dn_pre W_hn,  dr_pre = drh h r (1 - r),
 *           dh_prev = dh z + drh r + [dr dz]_pre W_h{r,z},  dW_hn += dn_pre^T rh
 * Cache: h_prev [T, B, H], gates r z n [T, B, 3H], and for the "after" form
 * hn [T, B, H]. */
#include "recurrent.h"

#include "kernels.h"

#include <math.h>
#include <string.h>

void rc__gru_forward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                     const float *h0, float *y, float *h_n, float *cache, float *work)
{
    size_t T = d->T, B = d->B, H = d->H, G = 3 * H, TB = T * B;
    int before = d->kind == RC__SEQ_GRU_RESET_BEFORE;
    float *gx = work;         /* [T, B, 3H] */
    float *ah = gx + TB * G;  /* [B, 3H] recurrent terms */
    float *h = ah + B * G;    /* [B, H] state */
    float *hnew = h + B * H;  /* [B, H] */
    float *rh = hnew + B * H; /* [B, H] r h (before form) */
    float *hprev_all = cache, *gates_all = cache ? cache + TB * H : NULL;
    float *hn_all = cache && !before ? gates_all + TB * G : NULL;

    rc__seq_input_projection(d, w, x, G, before, gx, rc__seq_input_scratch(d, work, 0));
    memcpy(h, h0, B * H * sizeof(float));
    memset(y, 0, TB * H * sizeof(float));
    for (size_t s = 0; s < T; s++) {
        size_t t = rc__seq_time(d, s), at = t * B;
        if (cache)
            memcpy(hprev_all + at * H, h, B * H * sizeof(float));
        const float *gxt = gx + at * G;
        if (before) {
            rc__sgemm(0, 1, B, 2 * H, H, 1.0f, h, H, w->w_hh, H, 0.0f, ah, G);
        } else {
            for (size_t b = 0; b < B; b++)
                for (size_t j = 0; j < G; j++)
                    ah[b * G + j] = w->b_hh ? w->b_hh[j] : 0.0f;
            if (w->p_hh)
                rc__gemm_packed(B, G, H, h, H, w->p_hh, 1.0f, ah, G);
            else
                rc__sgemm(0, 1, B, G, H, 1.0f, h, H, w->w_hh, H, 1.0f, ah, G);
        }
        for (size_t b = 0; b < B; b++) {
            float *ab = ah + b * G;
            const float *xb = gxt + b * G;
            for (size_t j = 0; j < 2 * H; j++)
                ab[j] += xb[j];
            rc__sigmoid(2 * H, ab, ab); /* r, z in place */
            if (before)
                for (size_t j = 0; j < H; j++)
                    rh[b * H + j] = ab[j] * h[b * H + j];
            else if (hn_all)
                memcpy(hn_all + (at + b) * H, ab + 2 * H, H * sizeof(float));
        }
        if (before) /* W_hn (r h) into the n block */
            rc__sgemm(0, 1, B, H, H, 1.0f, rh, H, w->w_hh + 2 * H * H, H, 0.0f, ah + 2 * H, G);
        for (size_t b = 0; b < B; b++) {
            float *ab = ah + b * G;
            const float *xb = gxt + b * G, *hb = h + b * H;
            float *nb = ab + 2 * H;
            for (size_t j = 0; j < H; j++)
                nb[j] = xb[2 * H + j] + (before ? nb[j] : ab[j] * nb[j]);
            rc__tanh(H, nb, nb);
            for (size_t j = 0; j < H; j++) {
                float z = ab[H + j];
                hnew[b * H + j] = (1.0f - z) * nb[j] + z * hb[j];
            }
            if (gates_all)
                memcpy(gates_all + (at + b) * G, ab, G * sizeof(float));
        }
        rc__seq_copy_active(d, t, H, hnew, h);
        rc__seq_copy_active(d, t, H, hnew, y + at * H);
    }
    memcpy(h_n, h, B * H * sizeof(float));
}

void rc__gru_backward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                      const float *cache, const float *dy, const float *dh_n,
                      const rc__seq_grads *g, float *work)
{
    size_t T = d->T, B = d->B, H = d->H, G = 3 * H, TB = T * B;
    int before = d->kind == RC__SEQ_GRU_RESET_BEFORE;
    const float *hprev_all = cache, *gates_all = cache + TB * H;
    const float *hn_all = before ? NULL : gates_all + TB * G;
    float *DG = work;            /* [T, B, 3H] gate pre-activation gradients (input side) */
    float *DGh = DG + TB * G;    /* [T, B, 3H] recurrent side ("after" form) */
    float *RH = DGh + TB * G;    /* [T, B, H] r h ("before" form) */
    float *dh = RH + TB * H;     /* [B, H] */
    float *drh = dh + B * H;     /* [B, H] */
    float *tmp = drh + B * H;    /* [B, H] */
    const float *w_hn = w->w_hh + 2 * H * H;

    rc__copy_or_zero(B * H, dh_n, dh);
    for (size_t s = T; s-- > 0;) {
        size_t t = rc__seq_time(d, s), at = t * B;
        for (size_t b = 0; b < B; b++) {
            float *dg = DG + (at + b) * G, *dgh = DGh + (at + b) * G;
            if (!rc__seq_active(d, t, b)) {
                memset(dg, 0, G * sizeof(float));
                memset(dgh, 0, G * sizeof(float));
                memset(RH + (at + b) * H, 0, H * sizeof(float));
                continue;
            }
            const float *gt = gates_all + (at + b) * G, *hp = hprev_all + (at + b) * H;
            const float *dyb = dy ? dy + (at + b) * H : NULL;
            float *dhb = dh + b * H;
            for (size_t j = 0; j < H; j++) {
                float r = gt[j], z = gt[H + j], n = gt[2 * H + j];
                float gh = dhb[j] + (dyb ? dyb[j] : 0.0f);
                float dn = gh * (1.0f - z) * (1.0f - n * n);
                dg[H + j] = gh * (hp[j] - n) * z * (1.0f - z);
                dg[2 * H + j] = dn;
                dhb[j] = gh * z; /* the direct path; the matmul paths are added below */
                if (before) {
                    RH[(at + b) * H + j] = r * hp[j];
                } else {
                    float hn = hn_all[(at + b) * H + j];
                    dg[j] = dn * hn * r * (1.0f - r);
                    dgh[j] = dg[j], dgh[H + j] = dg[H + j], dgh[2 * H + j] = dn * r;
                }
            }
        }
        if (before) {
            rc__sgemm(0, 0, B, H, H, 1.0f, DG + at * G + 2 * H, G, w_hn, H, 0.0f, drh, H);
            for (size_t b = 0; b < B; b++) {
                if (!rc__seq_active(d, t, b))
                    continue;
                const float *gt = gates_all + (at + b) * G, *hp = hprev_all + (at + b) * H;
                float *dg = DG + (at + b) * G;
                for (size_t j = 0; j < H; j++) {
                    float r = gt[j];
                    dg[j] = drh[b * H + j] * hp[j] * r * (1.0f - r);
                    drh[b * H + j] *= r; /* now the gradient reaching h through r h */
                }
            }
            rc__sgemm(0, 0, B, H, 2 * H, 1.0f, DG + at * G, G, w->w_hh, H, 0.0f, tmp, H);
            for (size_t i = 0; i < B * H; i++)
                tmp[i] += drh[i];
        } else {
            rc__sgemm(0, 0, B, H, G, 1.0f, DGh + at * G, G, w->w_hh, H, 0.0f, tmp, H);
        }
        for (size_t b = 0; b < B; b++)
            if (rc__seq_active(d, t, b))
                rc__accumulate(H, tmp + b * H, dh + b * H);
    }
    if (g->h0)
        rc__accumulate(B * H, dh, g->h0);
    if (before) {
        if (g->w_hh) {
            rc__sgemm(1, 0, 2 * H, H, TB, 1.0f, DG, G, hprev_all, H, 1.0f, g->w_hh, H);
            rc__sgemm(1, 0, H, H, TB, 1.0f, DG + 2 * H, G, RH, H, 1.0f, g->w_hh + 2 * H * H, H);
        }
        rc__seq_input_grads(d, w, x, DG, G, 1, g, rc__seq_input_scratch(d, work, 1), NULL);
    } else {
        if (g->w_hh)
            rc__sgemm(1, 0, G, H, TB, 1.0f, DGh, G, hprev_all, H, 1.0f, g->w_hh, H);
        for (size_t r = 0; g->b_hh && r < TB; r++)
            rc__accumulate(G, DGh + r * G, g->b_hh);
        rc__seq_input_grads(d, w, x, DG, G, 0, g, rc__seq_input_scratch(d, work, 1), NULL);
    }
}
