/* seq_kernels.c — the fused sequence kernels of src/kernels/recurrent.h
 * (tanh/relu RNN, LSTM, GRU in both forms) behind the cell-agnostic kernel
 * table, for the cells that declare PyTorch's slots (RC__W_IH ... RC__W_PH)
 * and the states h, then c (the LSTM).  The table's variant is the kernels'
 * RC__SEQ_* kind.
 *
 * Streams keep packed weights (pack): an LSTM without projection for its
 * fused kernel, a GRU (reset after) as W_ih^T and W_hh^T for the packed
 * product in place of the BLAS, whose one-row calls use one thread (GRU-256,
 * one row, 2 threads: 21 -> 11-15 us per step); up to RC__FUSED_MAX_ROWS
 * rows.  A tanh/relu RNN keeps the BLAS: its products are too small to
 * share (RNN-256: 5 us per step on the BLAS, 6 packed, 8 on two threads). */
#include "cell.h"

#include "../kernels/kernels.h"
#include "../kernels/recurrent.h"

static size_t proj_of(const rc__fused_call *c)
{
    return c->variant == RC__SEQ_LSTM ? (size_t)c->dims->opt[RC__LSTM_PROJ_SIZE] : 0;
}

static rc__seq_dims dims_of(const rc__fused_call *c)
{
    return (rc__seq_dims){c->variant, c->T, c->B, c->I, c->dims->H, proj_of(c), c->reverse, c->lengths,
                          c->sparse_x};
}

static rc__seq_weights weights_of(const float *const *w)
{
    return (rc__seq_weights){w[RC__W_IH], w[RC__W_HH], w[RC__B_IH], w[RC__B_HH], w[RC__W_HR], w[RC__W_PH],
                             NULL, NULL};
}

static int takes(const rc__fused_call *c)
{
    (void)c;
    return 1;
}

static size_t cache_size(const rc__fused_call *c)
{
    rc__seq_dims d = dims_of(c);
    return rc__seq_cache_size(&d);
}

enum { PACKED_NONE, PACKED_LSTM, PACKED_PLAIN };

static int packing_of(const rc__fused_call *c)
{
    if (c->B > RC__FUSED_MAX_ROWS || proj_of(c))
        return PACKED_NONE;
    return c->variant == RC__SEQ_LSTM ? PACKED_LSTM : c->variant == RC__SEQ_GRU ? PACKED_PLAIN : PACKED_NONE;
}

static size_t gates_of(const rc__fused_call *c) { return rc__seq_gates(c->variant) * c->dims->H; }

static size_t packed_size(const rc__fused_call *c)
{
    rc__seq_dims d = dims_of(c);
    switch (packing_of(c)) {
    case PACKED_LSTM: return rc__lstm_packed_size(&d);
    case PACKED_PLAIN: return rc__packed_size(gates_of(c), c->I) + rc__packed_size(gates_of(c), c->dims->H);
    default: return 0;
    }
}

static void pack(const rc__fused_call *c, const float *const *w, float *P)
{
    rc__seq_dims d = dims_of(c);
    rc__seq_weights W = weights_of(w);
    size_t GH = gates_of(c);
    if (packing_of(c) == PACKED_LSTM) {
        rc__lstm_pack(&d, &W, P);
    } else if (packing_of(c) == PACKED_PLAIN) {
        rc__pack_b(1, GH, d.I, W.w_ih, d.I, P);
        rc__pack_b(1, GH, d.H, W.w_hh, d.H, P + rc__packed_size(GH, d.I));
    }
}

static size_t work_size(const rc__fused_call *c, int backward)
{
    rc__seq_dims d = dims_of(c);
    if (!c->stream)
        return rc__seq_work_size(&d, backward);
    return packing_of(c) == PACKED_LSTM ? rc__lstm_packed_work_size(&d) : rc__seq_work_bound(&d);
}

static void forward(const rc__fused_call *c, const float *const *w, const float *packed, const float *x,
                    const float *const *s0, float *y, float *const *s_n, float *cache, float *work)
{
    rc__seq_dims d = dims_of(c);
    rc__seq_weights W = weights_of(w);
    int lstm = c->variant == RC__SEQ_LSTM;
    const float *c0 = lstm ? s0[1] : NULL;
    float *c_n = lstm ? s_n[1] : NULL;
    if (packed && packing_of(c) == PACKED_LSTM) {
        rc__lstm_forward_packed(&d, &W, packed, x, s0[0], c0, y, s_n[0], c_n, work);
        return;
    }
    if (packed && packing_of(c) == PACKED_PLAIN) {
        W.p_ih = packed;
        W.p_hh = packed + rc__packed_size(gates_of(c), c->I);
    }
    rc__seq_forward(&d, &W, x, s0[0], c0, y, s_n[0], c_n, cache, work);
}

static void backward(const rc__fused_call *c, const float *const *w, const float *x, const float *cache,
                     const float *dy, const float *const *ds_n, float *g_x, float *const *g_w,
                     float *const *g_s0, float *work)
{
    rc__seq_dims d = dims_of(c);
    rc__seq_weights W = weights_of(w);
    int lstm = c->variant == RC__SEQ_LSTM;
    rc__seq_grads g = {g_x,           g_s0[0],       lstm ? g_s0[1] : NULL, g_w[RC__W_IH], g_w[RC__W_HH],
                       g_w[RC__B_IH], g_w[RC__B_HH], g_w[RC__W_HR],         g_w[RC__W_PH]};
    rc__seq_backward(&d, &W, x, cache, dy, ds_n[0], lstm ? ds_n[1] : NULL, &g, work);
}

#define KERNELS(kind) \
    [kind] = {kind, takes, cache_size, work_size, forward, backward, packed_size, pack}

const rc__cell_kernels rc__seq_kernels[RC__SEQ_KINDS] = {
    KERNELS(RC__SEQ_RNN_TANH), KERNELS(RC__SEQ_RNN_RELU), KERNELS(RC__SEQ_LSTM),
    KERNELS(RC__SEQ_GRU),      KERNELS(RC__SEQ_GRU_RESET_BEFORE),
};
