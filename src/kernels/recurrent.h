/* recurrent.h — fused sequence kernels for one layer and one direction of
 * an RNN, LSTM or GRU (the cells reach them through src/cells/seq_kernels.c): forward over all T steps, and the hand-written
 * backward through time; and the QRNN's (src/cells/qrnn.c), at the end.  The standard plan:
 *   - one GEMM for the input projections of all steps,
 *   - per step one GEMM for the recurrent part and one pointwise pass,
 *   - in the backward, the weight and input gradients as single GEMMs over
 *     all steps after the time loop.
 * Steps past a sequence's length keep the state and output zero. */
#ifndef RC_RECURRENT_H
#define RC_RECURRENT_H

#include <stddef.h>
#include <stdint.h>

/* The forms of the fused kernels; each cell's file says which it runs. */
enum { RC__SEQ_RNN_TANH, RC__SEQ_RNN_RELU, RC__SEQ_LSTM, RC__SEQ_GRU, RC__SEQ_GRU_RESET_BEFORE, RC__SEQ_KINDS };

typedef struct {
    int kind;                /* RC__SEQ_* */
    size_t T, B, I, H, P;    /* P: LSTM projection size, 0 for none */
    int reverse;             /* walk t = T-1 .. 0 */
    const int32_t *lengths;  /* [B], each 1..T, or NULL */
    int sparse_x;            /* x mostly zeros (rc__seq_sparse_input): its product stays out of the time loop */
} rc__seq_dims;

/* G: the gates of the kind (1, 4 or 3), the rows of W_ih and W_hh over H. */
static inline size_t rc__seq_gates(int kind)
{
    return kind == RC__SEQ_LSTM ? 4 : kind == RC__SEQ_GRU || kind == RC__SEQ_GRU_RESET_BEFORE ? 3 : 1;
}

/* Width of h: P with a projection, else H. */
static inline size_t rc__seq_hout(const rc__seq_dims *d) { return d->P ? d->P : d->H; }

typedef struct {            /* PyTorch layout; G gates */
    const float *w_ih;       /* [G*H, I] */
    const float *w_hh;       /* [G*H, Ho] */
    const float *b_ih;       /* [G*H] or NULL */
    const float *b_hh;       /* [G*H] or NULL */
    const float *w_hr;       /* [P, H] or NULL */
    const float *w_ph;       /* [3, H] (i, f, o) or NULL */
    /* A stream's GRU (reset after) layers: W_ih^T and W_hh^T packed by
     * rc__pack_b, for rc__gemm_packed in place of the BLAS (forward only);
     * NULL otherwise. */
    const float *p_ih, *p_hh;
} rc__seq_weights;

typedef struct {            /* gradients, accumulated into; NULL: not wanted */
    float *x;                /* [T, B, I] */
    float *h0;               /* [B, Ho] */
    float *c0;               /* [B, H] */
    float *w_ih, *w_hh, *b_ih, *b_hh, *w_hr, *w_ph;
} rc__seq_grads;

/* Floats of the cache a training forward fills for the backward. */
size_t rc__seq_cache_size(const rc__seq_dims *d);
/* Floats of scratch the forward (backward = 0) or backward (1) needs. */
size_t rc__seq_work_size(const rc__seq_dims *d, int backward);
/* The most any forward of 1 to d->T steps needs (a stream's block). */
size_t rc__seq_work_bound(const rc__seq_dims *d);

/* 1 when x [n] (all steps' inputs) is mostly zeros (a tenth or fewer
 * nonzeros): the input products are then taken over its nonzeros before
 * the time loop. */
int rc__seq_sparse_input(size_t n, const float *x);

enum { RC__FUSED_MAX_ROWS = 64 }; /* the most rows (B) the fused LSTM kernel takes */

/* 1 when the layer runs the fused LSTM kernel (lstm.c): threads own blocks
 * of hidden units and compute their gates, pointwise work and state in one
 * pass per step.  Without a projection, for 4 or more steps (the weights
 * are packed at each call) of 4 to 64 rows (at 1-3 rows the BLAS path
 * is faster: T = 200, B = 1, H = 36: 0.18 against 0.34 ms). */
int rc__seq_fused(const rc__seq_dims *d);

/* x [T, B, I], h0 [B, Ho], c0 [B, H] (LSTM; others ignore it) →
 * y [T, B, Ho], h_n [B, Ho], c_n [B, H] (LSTM).  cache may be NULL
 * (inference); work has rc__seq_work_size(d, 0) floats. */
void rc__seq_forward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                     const float *h0, const float *c0, float *y, float *h_n, float *c_n,
                     float *cache, float *work);

/* Given the cache of the forward and the output gradients dy [T, B, Ho],
 * dh_n [B, Ho], dc_n [B, H] (any may be NULL: zeros), accumulates every
 * gradient g asks for.  work has rc__seq_work_size(d, 1) floats. */
void rc__seq_backward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                      const float *cache, const float *dy, const float *dh_n, const float *dc_n,
                      const rc__seq_grads *g, float *work);

/* ---- shared pieces of the cell kernels (recurrent.c) ---- */

/* 1 when step t of sequence b is inside its length. */
static inline int rc__seq_active(const rc__seq_dims *d, size_t t, size_t b)
{
    return !d->lengths || t < (size_t)d->lengths[b];
}

/* The time index of processing step s. */
static inline size_t rc__seq_time(const rc__seq_dims *d, size_t s)
{
    return d->reverse ? d->T - 1 - s : s;
}

/* gx [T*B, GH] = x W_ih^T + b_ih (+ b_hh when fold_hh_bias).  When x is
 * mostly zeros (piano rolls, one-hot codes) the product is taken over its
 * nonzeros, with rows of W_ih^T in scratch [I (GH + 1)]; otherwise by GEMM. */
void rc__seq_input_projection(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                              size_t GH, int fold_hh_bias, float *gx, float *scratch);

/* After the time loop: from the gate gradients DG [T*B, GH] accumulates
 * dW_ih += DG^T x (over the nonzeros of a sparse x, through scratch
 * [I (GH + 1)]), db_ih (and db_hh when with_hh_bias) += column sums,
 * dx += DG W_ih.  The products run on the BLAS, or with packed (NULL or
 * rc__seq_grads_packed_size floats) on the packed kernels, in the caller's
 * thread pool. */
void rc__seq_input_grads(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                         const float *DG, size_t GH, int with_hh_bias, const rc__seq_grads *g, float *scratch,
                         float *packed);
size_t rc__seq_grads_packed_size(size_t I, size_t GH);

/* The I (GH + 1) floats at the end of a forward (backward = 0) or
 * backward work block, for the input pieces above. */
float *rc__seq_input_scratch(const rc__seq_dims *d, float *work, int backward);
/* W_hh [GH, Ho] packed for the per-step products into its place in the
 * work block, when the batch is one rc__gemm_packed beats the BLAS at:
 * op(B) = W_hh^T for the forward's h W_hh^T, W_hh for the backward's
 * da W_hh; NULL when the BLAS is used. */
float *rc__seq_packed_w_hh(const rc__seq_dims *d, const float *w_hh, float *work, int backward);

/* out[b, :] = src[b, :] for active rows of step t (n floats per row). */
void rc__seq_copy_active(const rc__seq_dims *d, size_t t, size_t n, const float *src, float *out);

/* Per-cell kernels (rnn.c, lstm.c, gru.c), same contracts as above. */
void rc__rnn_forward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                     const float *h0, float *y, float *h_n, float *cache, float *work);
void rc__rnn_backward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                      const float *cache, const float *dy, const float *dh_n,
                      const rc__seq_grads *g, float *work);
void rc__lstm_forward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                      const float *h0, const float *c0, float *y, float *h_n, float *c_n,
                      float *cache, float *work);
size_t rc__lstm_fused_work_size(const rc__seq_dims *d, int backward); /* its cell scratch, floats */
/* A stream's LSTM layers without projection (1 to RC__FUSED_MAX_ROWS
 * rows, any T) keep their weights packed for the fused kernel rather than
 * packing them at every call:
 * rc__lstm_packed_size floats filled by rc__lstm_pack; the forward then
 * needs rc__lstm_packed_work_size floats of work (x taken as dense). */
size_t rc__lstm_packed_size(const rc__seq_dims *d);
void rc__lstm_pack(const rc__seq_dims *d, const rc__seq_weights *w, float *P);
size_t rc__lstm_packed_work_size(const rc__seq_dims *d);
void rc__lstm_forward_packed(const rc__seq_dims *d, const rc__seq_weights *w, const float *P, const float *x,
                             const float *h0, const float *c0, float *y, float *h_n, float *c_n, float *work);
void rc__lstm_backward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                       const float *cache, const float *dy, const float *dh_n, const float *dc_n,
                       const rc__seq_grads *g, float *work);
void rc__gru_forward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                     const float *h0, float *y, float *h_n, float *cache, float *work);
void rc__gru_backward(const rc__seq_dims *d, const rc__seq_weights *w, const float *x,
                      const float *cache, const float *dy, const float *dh_n,
                      const rc__seq_grads *g, float *work);

/* ---- the QRNN (qrnn.c): a convolution over time, then only the pooling ---- */

typedef struct {
    size_t T, B, I, H;
    size_t gates;            /* 2: f-pooling, 3: fo, 4: ifo (rows z, f, o, i of the weight) */
    size_t window;           /* 1 or 2 */
    float zoneout;           /* p: evaluation's f' = 1 - (1 - f)(1 - p) (training's draws are not fused) */
    int reverse;             /* walk t = T-1 .. 0 */
    const int32_t *lengths;  /* [B], each 1..T, or NULL */
} rc__qrnn_dims;

typedef struct {            /* gradients, accumulated into; NULL: not wanted */
    float *x;                /* [T, B, I] */
    float *w, *b;            /* [G, window I], [G] */
    float *c0, *look0;       /* [B, H], [B, I] */
} rc__qrnn_grads;

size_t rc__qrnn_cache_size(const rc__qrnn_dims *d);
size_t rc__qrnn_work_size(const rc__qrnn_dims *d, int backward);
/* x [T, B, I], weight w [G, window I] (columns x_t, then x_{t-1}), bias
 * [G] or NULL, c0 [B, H], look0 [B, I] (window 2: the input before the
 * first step, x_{-1}; NULL: zeros) -> y [T, B, H], c_n [B, H], look_n
 * [B, I] (window 2: each sequence's last input; either may alias its
 * initial state).  cache NULL in inference; work has
 * rc__qrnn_work_size(d, 0) floats. */
void rc__qrnn_forward(const rc__qrnn_dims *d, const float *w, const float *bias, const float *x, const float *c0,
                      const float *look0, float *y, float *c_n, float *look_n, float *cache, float *work);
/* From the forward's cache and dy [T, B, H], dc_n [B, H], dlook_n [B, I]
 * (any NULL: zeros), accumulates what g asks for; work has
 * rc__qrnn_work_size(d, 1) floats. */
void rc__qrnn_backward(const rc__qrnn_dims *d, const float *w, const float *x, const float *cache, const float *dy,
                       const float *dc_n, const float *dlook_n, const rc__qrnn_grads *g, float *work);

#endif /* RC_RECURRENT_H */
