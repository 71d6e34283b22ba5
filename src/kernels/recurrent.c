/* recurrent.c — dispatch and shared pieces of the fused sequence kernels. */
#include "recurrent.h"

#include "kernels.h"
#include "recur.h"

#include <string.h>

static size_t gates_of(const rc__seq_dims *d) { return rc_cell_gates(d->cell) * d->H; }

size_t rc__seq_cache_size(const rc__seq_dims *d)
{
    size_t TB = d->T * d->B, extra = 0;
    if (d->cell == RC_CELL_LSTM)
        extra = 2 * d->H; /* c before and after each step */
    else if (d->cell == RC_CELL_GRU)
        extra = d->H;     /* W_hn h + b_hn of each step */
    /* h before each step, gate activations, the extras */
    return TB * (rc__seq_hout(d) + gates_of(d) + extra);
}

size_t rc__seq_work_size(const rc__seq_dims *d, int backward)
{
    size_t TB = d->T * d->B, GH = gates_of(d), H = d->H, Ho = rc__seq_hout(d), B = d->B;
    if (!backward) /* gx for all steps; per step: gates, h, c, and three [B, H] temporaries */
        return TB * GH + B * (GH + 2 * Ho + 4 * H);
    /* two gate-gradient blocks, one [T, B, H] and one [T, B, Ho] block, and
     * per-step dh, dc and temporaries */
    return 2 * TB * GH + TB * (H + Ho) + B * (2 * Ho + 3 * H + GH);
}

void rc__seq_forward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                     const float *h0, const float *c0, float *y, float *h_n, float *c_n,
                     float *cache, float *work)
{
    switch (d->cell) {
    case RC_CELL_LSTM: rc__lstm_forward(d, w, x, h0, c0, y, h_n, c_n, cache, work); break;
    case RC_CELL_GRU:
    case RC_CELL_GRU_RESET_BEFORE: rc__gru_forward(d, w, x, h0, y, h_n, cache, work); break;
    default: rc__rnn_forward(d, w, x, h0, y, h_n, cache, work); break;
    }
}

void rc__seq_backward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                      const float *cache, const float *dy, const float *dh_n, const float *dc_n,
                      const rc__seq_grads *g, float *work)
{
    switch (d->cell) {
    case RC_CELL_LSTM: rc__lstm_backward(d, w, x, cache, dy, dh_n, dc_n, g, work); break;
    case RC_CELL_GRU:
    case RC_CELL_GRU_RESET_BEFORE: rc__gru_backward(d, w, x, cache, dy, dh_n, g, work); break;
    default: rc__rnn_backward(d, w, x, cache, dy, dh_n, g, work); break;
    }
}

void rc__seq_input_projection(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                              size_t GH, int fold_hh_bias, float *gx)
{
    size_t TB = d->T * d->B;
    for (size_t r = 0; r < TB; r++) {
        float *row = gx + r * GH;
        for (size_t j = 0; j < GH; j++)
            row[j] = (w->b_ih ? w->b_ih[j] : 0.0f) + (fold_hh_bias && w->b_hh ? w->b_hh[j] : 0.0f);
    }
    rc__sgemm(0, 1, TB, GH, d->I, 1.0f, x, d->I, w->w_ih, d->I, 1.0f, gx, GH);
}

void rc__seq_input_grads(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                         const float *DG, size_t GH, int with_hh_bias, const rc__seq_grads *g)
{
    size_t TB = d->T * d->B;
    if (g->w_ih)
        rc__sgemm(1, 0, GH, d->I, TB, 1.0f, DG, GH, x, d->I, 1.0f, g->w_ih, d->I);
    if (g->x)
        rc__sgemm(0, 0, TB, d->I, GH, 1.0f, DG, GH, w->w_ih, d->I, 1.0f, g->x, d->I);
    for (size_t r = 0; r < TB; r++) {
        if (g->b_ih)
            rc__accumulate(GH, DG + r * GH, g->b_ih);
        if (with_hh_bias && g->b_hh)
            rc__accumulate(GH, DG + r * GH, g->b_hh);
    }
}

void rc__seq_copy_active(const rc__seq_dims *d, size_t t, size_t n, const float *src, float *out)
{
    for (size_t b = 0; b < d->B; b++)
        if (rc__seq_active(d, t, b))
            memcpy(out + b * n, src + b * n, n * sizeof(float));
}
