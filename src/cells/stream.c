/* stream.c — streaming inference: the fused forward kernels run chunk by
 * chunk on buffers allocated once, with each layer's h (and c) carried
 * between calls.  Layer outputs alternate between two buffers so a residual
 * link can add a layer's input to its output.  Layers keep their weights
 * packed from the stream's creation (packing_of): a one-step call runs the
 * packed kernels, on every thread, without packing them again. */
#include "cells.h"

#include "../kernels/kernels.h"
#include "../kernels/recurrent.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct rc_rnn_stream {
    const rc_rnn *rnn;
    size_t batch, max_steps;
    float *h;       /* [L, B, Ho] */
    float *c;       /* [L, B, H] or NULL */
    float *buf[2];  /* [max_steps, B, Ho] layer outputs */
    float *work;    /* the kernels' scratch for max_steps */
    float *packed;  /* the packed weights of the layers that keep them (packing_of), or NULL */
    size_t *packed_at; /* [L]: each layer's offset in packed, or SIZE_MAX when it has none */
};

static rc__seq_dims layer_dims(const rc_rnn *rnn, size_t layer, size_t steps, size_t batch)
{
    const rc_rnn_config *cfg = rc_rnn_config_of(rnn);
    size_t in = layer == 0 ? cfg->input_size : rc_rnn_state_size(rnn);
    return (rc__seq_dims){cfg->cell, steps, batch, in, cfg->hidden_size, cfg->proj_size, 0, NULL, 0};
}

static rc__seq_weights layer_weights(const rc_rnn *rnn, size_t layer)
{
    const rc__layer *lw = rc__rnn_layer(rnn, layer, 0);
    return (rc__seq_weights){lw->w_ih->data, lw->w_hh->data, lw->b_ih ? lw->b_ih->data : NULL,
                             lw->b_hh ? lw->b_hh->data : NULL, lw->w_hr ? lw->w_hr->data : NULL,
                             lw->w_ph ? lw->w_ph->data : NULL, NULL, NULL};
}

/* How a layer keeps its weights packed: an LSTM without projection for the
 * fused kernel, a GRU (reset after) as W_ih^T and W_hh^T for the packed
 * product in place of the BLAS, whose one-row calls use one thread (GRU-256,
 * one row, 2 threads: 21 -> 11-15 us per step); up to RC__FUSED_MAX_ROWS rows.
 * A tanh/relu RNN keeps the BLAS: its products are too small to share
 * (RNN-256: 5 us per step on the BLAS, 6 packed, 8 on two threads). */
enum { PACKED_NONE, PACKED_LSTM, PACKED_PLAIN };

static int packing_of(const rc__seq_dims *d)
{
    if (d->B > RC__FUSED_MAX_ROWS || d->P)
        return PACKED_NONE;
    return d->cell == RC_CELL_LSTM ? PACKED_LSTM : d->cell == RC_CELL_GRU ? PACKED_PLAIN : PACKED_NONE;
}

static size_t packed_floats(const rc__seq_dims *d)
{
    size_t GH = rc_cell_gates(d->cell) * d->H;
    switch (packing_of(d)) {
    case PACKED_LSTM: return rc__lstm_packed_size(d);
    case PACKED_PLAIN: return rc__packed_size(GH, d->I) + rc__packed_size(GH, d->H);
    default: return 0;
    }
}

rc_rnn_stream *rc_rnn_stream_new(const rc_rnn *rnn, size_t batch, size_t max_steps)
{
    if (!rnn || batch == 0 || max_steps == 0)
        return rc__fail_null(RC_EINVAL, "rc_rnn_stream_new: needs a network, batch >= 1 and "
                                        "max_steps >= 1");
    const rc_rnn_config *cfg = rc_rnn_config_of(rnn);
    if (cfg->bidirectional)
        return rc__fail_null(RC_EINVAL, "rc_rnn_stream_new: a bidirectional network needs the whole "
                                        "sequence and cannot stream");
    size_t L = cfg->num_layers, Ho = rc_rnn_state_size(rnn), H = cfg->hidden_size, work = 0;
    size_t widest = 6 * H + 2 * Ho + cfg->input_size, bound;
    if (!rc__mul_size(max_steps, batch, &bound) || !rc__mul_size(bound, widest, &bound) ||
        !rc__mul_size(bound, 2 * sizeof(float), &bound))
        return rc__fail_null(RC_ENOMEM, "rc_rnn_stream_new: batch %zu x %zu steps is too large",
                             batch, max_steps);
    size_t packed = 0, *packed_at = malloc(L * sizeof *packed_at);
    if (!packed_at)
        return rc__fail_null(RC_ENOMEM, "rc_rnn_stream_new: out of memory");
    for (size_t l = 0; l < L; l++) {
        rc__seq_dims d = layer_dims(rnn, l, max_steps, batch);
        size_t w = packing_of(&d) == PACKED_LSTM ? rc__lstm_packed_work_size(&d) : rc__seq_work_bound(&d);
        work = w > work ? w : work;
        packed_at[l] = packing_of(&d) != PACKED_NONE ? packed : SIZE_MAX;
        packed += packed_floats(&d);
    }
    rc_rnn_stream *s = calloc(1, sizeof *s);
    if (!s) {
        free(packed_at);
        return rc__fail_null(RC_ENOMEM, "rc_rnn_stream_new: out of memory");
    }
    s->packed_at = packed_at;
    s->rnn = rnn;
    s->batch = batch;
    s->max_steps = max_steps;
    size_t out = max_steps * batch * Ho; /* no overflow: checked above */
    s->h = rc__alloc_aligned(L * batch * Ho * sizeof(float));
    s->c = cfg->cell == RC_CELL_LSTM ? rc__alloc_aligned(L * batch * H * sizeof(float)) : NULL;
    s->buf[0] = rc__alloc_aligned(out * sizeof(float));
    s->buf[1] = rc__alloc_aligned(out * sizeof(float));
    s->work = rc__alloc_aligned(work * sizeof(float));
    s->packed = packed ? rc__alloc_aligned(packed * sizeof(float)) : NULL;
    if (!s->h || (cfg->cell == RC_CELL_LSTM && !s->c) || !s->buf[0] || !s->buf[1] || !s->work ||
        (packed && !s->packed)) {
        rc_rnn_stream_free(s);
        return rc__fail_null(RC_ENOMEM, "rc_rnn_stream_new: cannot allocate buffers for batch %zu "
                                        "and %zu steps",
                             batch, max_steps);
    }
    for (size_t l = 0; l < L; l++) {
        rc__seq_dims d = layer_dims(rnn, l, max_steps, batch);
        rc__seq_weights w = layer_weights(rnn, l);
        size_t GH = rc_cell_gates(d.cell) * d.H;
        if (packing_of(&d) == PACKED_LSTM) {
            rc__lstm_pack(&d, &w, s->packed + packed_at[l]);
        } else if (packing_of(&d) == PACKED_PLAIN) {
            rc__pack_b(1, GH, d.I, w.w_ih, d.I, s->packed + packed_at[l]);
            rc__pack_b(1, GH, d.H, w.w_hh, d.H, s->packed + packed_at[l] + rc__packed_size(GH, d.I));
        }
    }
    rc_rnn_stream_reset(s);
    return s;
}

void rc_rnn_stream_free(rc_rnn_stream *s)
{
    if (!s)
        return;
    rc__free_aligned(s->h);
    rc__free_aligned(s->c);
    rc__free_aligned(s->buf[0]);
    rc__free_aligned(s->buf[1]);
    rc__free_aligned(s->work);
    rc__free_aligned(s->packed);
    free(s->packed_at);
    free(s);
}

void rc_rnn_stream_reset(rc_rnn_stream *s)
{
    const rc_rnn_config *cfg = rc_rnn_config_of(s->rnn);
    size_t L = cfg->num_layers;
    memset(s->h, 0, L * s->batch * rc_rnn_state_size(s->rnn) * sizeof(float));
    if (s->c)
        memset(s->c, 0, L * s->batch * cfg->hidden_size * sizeof(float));
}

float *rc_rnn_stream_h(rc_rnn_stream *s) { return s->h; }

float *rc_rnn_stream_c(rc_rnn_stream *s) { return s->c; }

/* One pass of n <= max_steps steps through every layer. */
static void run_pass(rc_rnn_stream *s, const float *x, size_t n, float *y)
{
    const rc_rnn_config *cfg = rc_rnn_config_of(s->rnn);
    size_t L = cfg->num_layers, B = s->batch, Ho = rc_rnn_state_size(s->rnn), H = cfg->hidden_size;
    const float *in = x;
    for (size_t l = 0; l < L; l++) {
        rc__seq_dims d = layer_dims(s->rnn, l, n, B);
        rc__seq_weights w = layer_weights(s->rnn, l);
        float *out = l + 1 == L && y ? y : s->buf[l % 2];
        float *h = s->h + l * B * Ho, *c = s->c ? s->c + l * B * H : NULL;
        const float *P = s->packed_at[l] == SIZE_MAX ? NULL : s->packed + s->packed_at[l];
        if (packing_of(&d) == PACKED_PLAIN) {
            w.p_ih = P;
            w.p_hh = P + rc__packed_size(rc_cell_gates(d.cell) * d.H, d.I);
        }
        if (packing_of(&d) == PACKED_LSTM)
            rc__lstm_forward_packed(&d, &w, P, in, h, c, out, h, c, s->work);
        else
            rc__seq_forward(&d, &w, in, h, c, out, h, c, NULL, s->work);
        if (cfg->residual && l > 0)
            for (size_t i = 0; i < n * B * Ho; i++)
                out[i] += in[i];
        in = out;
    }
}

int rc_rnn_stream_run(rc_rnn_stream *s, const float *x, size_t n_steps, float *y)
{
    if (!s || !x)
        return rc__fail(RC_EINVAL, "rc_rnn_stream_run: stream or input is NULL");
    const rc_rnn_config *cfg = rc_rnn_config_of(s->rnn);
    size_t in_step = s->batch * cfg->input_size, out_step = s->batch * rc_rnn_state_size(s->rnn);
    for (size_t done = 0; done < n_steps;) {
        size_t n = n_steps - done < s->max_steps ? n_steps - done : s->max_steps;
        run_pass(s, x + done * in_step, n, y ? y + done * out_step : NULL);
        done += n;
    }
    return RC_OK;
}
