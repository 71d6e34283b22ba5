/* recurrent.c — dispatch and shared pieces of the fused sequence kernels. */
#include "recurrent.h"

#include "kernels.h"

#include <assert.h>
#include <string.h>

static size_t gates_of(const rc__seq_dims *d) { return rc__seq_gates(d->kind) * d->H; }

/* Packing W_hh pays only over several steps (below). */
enum { PACK_MIN_STEPS = 4 };

size_t rc__seq_cache_size(const rc__seq_dims *d)
{
    size_t TB = d->T * d->B, extra = 0, states = 0;
    if (d->kind == RC__SEQ_LSTM)
        states = (d->T + 1) * d->B * d->H; /* c0 and c after each step */
    else if (d->kind == RC__SEQ_GRU)
        extra = d->H;     /* W_hn h + b_hn of each step */
    /* h before each step, gate activations, the extras */
    return TB * (rc__seq_hout(d) + gates_of(d) + extra) + states;
}

int rc__seq_fused(const rc__seq_dims *d)
{
    return d->kind == RC__SEQ_LSTM && !d->P && rc__packed_wins(d->B) && d->T >= PACK_MIN_STEPS;
}

/* The cell kernels' own scratch; the sparse input path's [I, GH + 1] follows. */
static size_t cell_work_size(const rc__seq_dims *d, int backward)
{
    if (rc__seq_fused(d))
        return rc__lstm_fused_work_size(d, backward);
    size_t TB = d->T * d->B, GH = gates_of(d), H = d->H, Ho = rc__seq_hout(d), B = d->B;
    if (!backward) /* gx for all steps; per step: gates, h, c, and three [B, H] temporaries */
        return TB * GH + B * (GH + 2 * Ho + 4 * H);
    /* gate gradients of every step, then per cell: the GRU a second block
     * (its recurrent side) and r h; the LSTM m and dh of every step when it
     * has a projection (for dW_hr), else of one step; then per-step dh, dc
     * and temporaries */
    size_t blocks = TB * GH;
    if (d->kind == RC__SEQ_GRU || d->kind == RC__SEQ_GRU_RESET_BEFORE)
        blocks += TB * GH + TB * H;
    else if (d->kind == RC__SEQ_LSTM)
        blocks += (d->P ? TB : B) * (H + Ho);
    return blocks + B * (2 * Ho + 3 * H + GH);
}

/* The recurrent matrix packed for rc__gemm_packed: W_hh^T [Ho, GH] for the
 * forward's products, W_hh [GH, Ho] for the backward's; an LSTM with a
 * projection (the fused kernel packs its own).  The packing is redone at
 * every call (it costs about two products), so it pays only over several
 * steps: a stream's one-step call keeps the BLAS (packing W_hh at each step
 * had made an LSTM-256 stream of 8 rows 17% slower). */
static size_t packed_size(const rc__seq_dims *d, int backward)
{
    size_t GH = gates_of(d), Ho = rc__seq_hout(d);
    if (d->kind != RC__SEQ_LSTM || !d->P || !rc__packed_wins(d->B) || d->T < PACK_MIN_STEPS)
        return 0;
    return backward ? rc__packed_size(Ho, GH) : rc__packed_size(GH, Ho);
}

size_t rc__seq_work_size(const rc__seq_dims *d, int backward)
{
    return cell_work_size(d, backward) + d->I * (gates_of(d) + 1) + packed_size(d, backward);
}

size_t rc__seq_work_bound(const rc__seq_dims *d)
{
    rc__seq_dims few = *d; /* below PACK_MIN_STEPS steps the unpacked path, whose needs grow with T */
    few.T = d->T < PACK_MIN_STEPS ? d->T : PACK_MIN_STEPS - 1;
    size_t a = rc__seq_work_size(d, 0), b = rc__seq_work_size(&few, 0);
    return a > b ? a : b;
}

float *rc__seq_packed_w_hh(const rc__seq_dims *d, const float *w_hh, float *work, int backward)
{
    if (!packed_size(d, backward))
        return NULL;
    size_t GH = gates_of(d), Ho = rc__seq_hout(d);
    float *P = rc__seq_input_scratch(d, work, backward) + d->I * (GH + 1); /* after the input scratch */
    if (backward)
        rc__pack_b(0, Ho, GH, w_hh, Ho, P);
    else
        rc__pack_b(1, GH, Ho, w_hh, Ho, P);
    return P;
}

float *rc__seq_input_scratch(const rc__seq_dims *d, float *work, int backward)
{
    return work + cell_work_size(d, backward);
}

void rc__seq_forward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                     const float *h0, const float *c0, float *y, float *h_n, float *c_n,
                     float *cache, float *work)
{
    switch (d->kind) {
    case RC__SEQ_LSTM: rc__lstm_forward(d, w, x, h0, c0, y, h_n, c_n, cache, work); break;
    case RC__SEQ_GRU:
    case RC__SEQ_GRU_RESET_BEFORE: rc__gru_forward(d, w, x, h0, y, h_n, cache, work); break;
    case RC__SEQ_RNN_TANH:
    case RC__SEQ_RNN_RELU: rc__rnn_forward(d, w, x, h0, y, h_n, cache, work); break;
    default: assert(!"rc__seq_forward: no such kernel");
    }
}

void rc__seq_backward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                      const float *cache, const float *dy, const float *dh_n, const float *dc_n,
                      const rc__seq_grads *g, float *work)
{
    switch (d->kind) {
    case RC__SEQ_LSTM: rc__lstm_backward(d, w, x, cache, dy, dh_n, dc_n, g, work); break;
    case RC__SEQ_GRU:
    case RC__SEQ_GRU_RESET_BEFORE: rc__gru_backward(d, w, x, cache, dy, dh_n, g, work); break;
    case RC__SEQ_RNN_TANH:
    case RC__SEQ_RNN_RELU: rc__rnn_backward(d, w, x, cache, dy, dh_n, g, work); break;
    default: assert(!"rc__seq_backward: no such kernel");
    }
}

/* 1 when at most a tenth of x [n] is nonzero; a dense x is told from its
 * first tenth or so. */
static int mostly_zeros(size_t n, const float *x)
{
    size_t nnz = 0, limit = n / 10;
    for (size_t i = 0; i < n && nnz < limit; i++)
        nnz += x[i] != 0.0f;
    return nnz < limit;
}

/* Inputs that are mostly zeros (piano rolls, one-hot codes) are cheaper as
 * sums over their nonzeros: the rows of W_ih^T for the inputs in use
 * (at most I GH copies) and nnz GH multiply-adds, against T B I GH for the
 * GEMM.  Taken when that is ten times fewer operations (the BLAS runs dense
 * products about that much faster than these loops); the choice depends on
 * the data only.  used [I] marks the inputs that are nonzero somewhere.
 * Unlike a GEMM (0 * NaN = NaN), the sums skip zero inputs, so a NaN or
 * infinite weight of an input that is zero throughout does not reach the
 * output; the trainer stops before any update could make one. */
static int sparse_wins(size_t TB, size_t I, const float *x, float *used)
{
    if (!mostly_zeros(TB * I, x))
        return 0;
    size_t nnz = 0, n_used = 0;
    for (size_t k = 0; k < I; k++)
        used[k] = 0.0f;
    for (size_t r = 0; r < TB; r++)
        for (size_t k = 0; k < I; k++)
            if (x[r * I + k] != 0.0f)
                nnz++, used[k] = 1.0f;
    for (size_t k = 0; k < I; k++)
        n_used += used[k] != 0.0f;
    return 10 * (n_used + nnz) < TB * I;
}

int rc__seq_sparse_input(size_t n, const float *x) { return mostly_zeros(n, x); }

/* For every nonzero x[r, k] of x [TB, I], with rows of GH floats:
 * out[r] += x[r, k] in[k], or with by_input out[k] += x[r, k] in[r]. */
static void sparse_outer(size_t TB, size_t I, const float *x, size_t GH, const float *in, int by_input, float *out)
{
    for (size_t r = 0; r < TB; r++)
        for (size_t k = 0; k < I; k++) {
            float v = x[r * I + k], *restrict o = out + (by_input ? k : r) * GH;
            const float *restrict s = in + (by_input ? r : k) * GH;
            if (v != 0.0f)
                for (size_t j = 0; j < GH; j++)
                    o[j] += v * s[j];
        }
}

void rc__seq_input_projection(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                              size_t GH, int fold_hh_bias, float *gx, float *scratch)
{
    size_t TB = d->T * d->B, I = d->I;
    float *used = scratch, *wt = scratch + I; /* [I], [I, GH] rows of W_ih^T in use */
    for (size_t r = 0; r < TB; r++) {
        float *row = gx + r * GH;
        for (size_t j = 0; j < GH; j++)
            row[j] = (w->b_ih ? w->b_ih[j] : 0.0f) + (fold_hh_bias && w->b_hh ? w->b_hh[j] : 0.0f);
    }
    if (!sparse_wins(TB, I, x, used)) {
        if (w->p_ih)
            rc__gemm_packed(TB, GH, I, x, I, w->p_ih, 1.0f, gx, GH);
        else
            rc__sgemm(0, 1, TB, GH, I, 1.0f, x, I, w->w_ih, I, 1.0f, gx, GH);
        return;
    }
    for (size_t k = 0; k < I; k++)
        for (size_t j = 0; used[k] != 0.0f && j < GH; j++)
            wt[k * GH + j] = w->w_ih[j * I + k];
    sparse_outer(TB, I, x, GH, wt, 0, gx);
}

void rc__seq_input_grads(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                         const float *DG, size_t GH, int with_hh_bias, const rc__seq_grads *g, float *scratch,
                         float *packed)
{
    size_t TB = d->T * d->B, I = d->I;
    float *used = scratch, *dwt = scratch + I; /* [I], [I, GH] rows of dW_ih^T in use */
    if (g->w_ih && !sparse_wins(TB, I, x, used)) {
        if (packed)
            rc__gemm_at(GH, TB, DG, GH, 1, &(rc__at_term){.N = I, .ldb = I, .ldc = I, .B = x, .C = g->w_ih}, packed);
        else
            rc__sgemm(1, 0, GH, I, TB, 1.0f, DG, GH, x, I, 1.0f, g->w_ih, I);
    } else if (g->w_ih) { /* dW_ih^T[k, :] = sum over rows of x[r, k] DG[r, :] */
        for (size_t k = 0; k < I; k++)
            if (used[k] != 0.0f)
                memset(dwt + k * GH, 0, GH * sizeof(float));
        sparse_outer(TB, I, x, GH, DG, 1, dwt);
        for (size_t k = 0; k < I; k++)
            for (size_t j = 0; used[k] != 0.0f && j < GH; j++)
                g->w_ih[j * I + k] += dwt[k * GH + j];
    }
    if (g->x && packed) {
        rc__pack_b(0, I, GH, w->w_ih, I, packed);
        rc__gemm_packed(TB, I, GH, DG, GH, packed, 1.0f, g->x, I);
    } else if (g->x) {
        rc__sgemm(0, 0, TB, I, GH, 1.0f, DG, GH, w->w_ih, I, 1.0f, g->x, I);
    }
    for (size_t r = 0; r < TB; r++) {
        if (g->b_ih)
            rc__accumulate(GH, DG + r * GH, g->b_ih);
        if (with_hh_bias && g->b_hh)
            rc__accumulate(GH, DG + r * GH, g->b_hh);
    }
}

size_t rc__seq_grads_packed_size(size_t I, size_t GH)
{
    size_t a = rc__gemm_at_work(I), b = rc__packed_size(I, GH);
    return a > b ? a : b;
}

void rc__seq_copy_active(const rc__seq_dims *d, size_t t, size_t n, const float *src, float *out)
{
    for (size_t b = 0; b < d->B; b++)
        if (rc__seq_active(d, t, b))
            memcpy(out + b * n, src + b * n, n * sizeof(float));
}
