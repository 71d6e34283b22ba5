/* rnn.c — fused Elman RNN layer (tanh or relu), forward and backward.
 *   a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,   h_t = act(a_t)
 * Backward, with dh the gradient reaching h_t:
 *   da_t = dh * act'(a_t)  (tanh: 1 - h_t^2; relu: [h_t > 0]),
 *   dh_{t-1} = da_t W_hh,  and the weight gradients as GEMMs over all t.
 * Cache: h_{t-1} [T, B, H], then h_t [T, B, H]. */
#include "recurrent.h"

#include "kernels.h"

#include <string.h>

void rc__rnn_forward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                     const float *h0, float *y, float *h_n, float *cache, float *work)
{
    size_t T = d->T, B = d->B, H = d->H;
    float *gx = work;              /* [T, B, H] */
    float *a = gx + T * B * H;     /* [B, H] */
    float *h = a + B * H;          /* [B, H] state */
    float *hprev_all = cache, *h_all = cache ? cache + T * B * H : NULL;
    int relu = d->kind == RC__SEQ_RNN_RELU;

    rc__seq_input_projection(d, w, x, H, 1, gx, rc__seq_input_scratch(d, work, 0));
    memcpy(h, h0, B * H * sizeof(float));
    memset(y, 0, T * B * H * sizeof(float));
    for (size_t s = 0; s < T; s++) {
        size_t t = rc__seq_time(d, s);
        if (cache)
            memcpy(hprev_all + t * B * H, h, B * H * sizeof(float));
        memcpy(a, gx + t * B * H, B * H * sizeof(float));
        rc__sgemm(0, 1, B, H, H, 1.0f, h, H, w->w_hh, H, 1.0f, a, H);
        if (relu)
            rc__relu(B * H, a, a);
        else
            rc__tanh(B * H, a, a);
        rc__seq_copy_active(d, t, H, a, h);
        rc__seq_copy_active(d, t, H, a, y + t * B * H);
        if (cache)
            memcpy(h_all + t * B * H, a, B * H * sizeof(float));
    }
    memcpy(h_n, h, B * H * sizeof(float));
}

void rc__rnn_backward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                      const float *cache, const float *dy, const float *dh_n,
                      const rc__seq_grads *g, float *work)
{
    size_t T = d->T, B = d->B, H = d->H;
    const float *hprev_all = cache, *h_all = cache + T * B * H;
    float *DG = work;              /* [T, B, H] gradients of a_t */
    float *dh = DG + T * B * H;    /* [B, H] gradient reaching the state */
    float *tmp = dh + B * H;       /* [B, H] */
    int relu = d->kind == RC__SEQ_RNN_RELU;

    rc__copy_or_zero(B * H, dh_n, dh);
    for (size_t s = T; s-- > 0;) {
        size_t t = rc__seq_time(d, s);
        float *da = DG + t * B * H;
        for (size_t b = 0; b < B; b++) {
            float *dab = da + b * H;
            if (!rc__seq_active(d, t, b)) { /* state passed through untouched */
                memset(dab, 0, H * sizeof(float));
                continue;
            }
            const float *hb = h_all + (t * B + b) * H, *dyb = dy ? dy + (t * B + b) * H : NULL;
            for (size_t j = 0; j < H; j++) {
                float gh = dh[b * H + j] + (dyb ? dyb[j] : 0.0f);
                dab[j] = relu ? (hb[j] > 0.0f ? gh : 0.0f) : gh * (1.0f - hb[j] * hb[j]);
            }
        }
        rc__sgemm(0, 0, B, H, H, 1.0f, da, H, w->w_hh, H, 0.0f, tmp, H);
        rc__seq_copy_active(d, t, H, tmp, dh);
    }
    if (g->h0)
        rc__accumulate(B * H, dh, g->h0);
    if (g->w_hh)
        rc__sgemm(1, 0, H, H, T * B, 1.0f, DG, H, hprev_all, H, 1.0f, g->w_hh, H);
    rc__seq_input_grads(d, w, x, DG, H, 1, g, rc__seq_input_scratch(d, work, 1), NULL);
}
