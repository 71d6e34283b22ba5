/* stream.c — streaming inference: each layer's fused forward kernel runs
 * chunk by chunk on buffers allocated once, with every state of every layer
 * carried between calls.  Layer outputs alternate between two buffers so a
 * residual link can add a layer's input to its output.  Layers keep their
 * weights packed from the stream's creation when their kernel packs them
 * (pack): a one-step call runs the packed kernels, on every thread, without
 * packing them again.  A layer whose cell has no kernel (or whose kernel
 * declines the call) runs the composed step on the stream's own tape, with
 * recording off; a pass of max_steps at creation sizes the tape's arena, so
 * running allocates nothing then either.  A layer narrower than the
 * widest (hidden_sizes) runs on a packed copy of its rows' leading columns. */
#include "cells.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct rc_rnn_stream {
    const rc_rnn *rnn;
    size_t batch, max_steps, n_states;
    float *state[RC_MAX_STATES]; /* [L, B, n_i] */
    float *narrow[RC_MAX_STATES];/* [B, n_i]: a narrower layer's states, packed; NULL when every layer is as wide */
    float *start[RC_MAX_STATES]; /* [L, B, n_i]: the states' start when the cell has its own (initial), else NULL */
    float *buf[2];               /* [max_steps, B, max O] layer outputs */
    float *work;                 /* the kernels' scratch for max_steps */
    float *packed;               /* the packed weights of the layers that keep them, or NULL */
    size_t *packed_at;           /* [L]: each layer's offset in packed, or SIZE_MAX when it has none */
    rc_tape *tp;                 /* the composed layers' (recording off), or NULL when every layer is fused */
};

/* 1 when layer l runs its cell's fused kernel in a stream's call. */
static int fused(const rc_rnn *rnn, size_t l, const rc__fused_call *c)
{
    const rc__cell_kernels *k = rc__rnn_layer(rnn, l, 0)->cell->kernels;
    return k && k->takes(c);
}

/* A stream's call of layer l's kernel over `steps` steps. */
static rc__fused_call call_of(const rc_rnn *rnn, size_t l, size_t steps, size_t batch)
{
    const rc__cell_layer *L = rc__rnn_layer(rnn, l, 0);
    return (rc__fused_call){steps, batch, L->dims.I, 0, NULL, 0, 1, 0, L->cell->kernels ? L->cell->kernels->variant : 0,
                            &L->dims};
}

/* Layer l's weights by slot. */
static void weights_of(const rc_rnn *rnn, size_t l, const float **w)
{
    const rc__cell_layer *L = rc__rnn_layer(rnn, l, 0);
    for (size_t j = 0; j < RC__CELL_MAX_PARAMS; j++)
        w[j] = L->w[j] ? L->w[j]->data : NULL;
}

/* The cell's own starting states, computed once into s->start (the cell
 * reads its parameters, which a stream takes as they are at creation). */
static int starts(rc_rnn_stream *s)
{
    size_t L = rc_rnn_config_of(s->rnn)->num_layers, B = s->batch;
    rc_tape *tp = rc_tape_new();
    int st = tp ? RC_OK : rc__fail(RC_ENOMEM, "rc_rnn_stream_new: out of memory");
    if (tp)
        rc_tape_set_grad_enabled(tp, 0);
    for (size_t i = 0; !st && i < s->n_states; i++) {
        size_t width = rc_rnn_state_width(s->rnn, i);
        if (!(s->start[i] = rc__alloc_aligned(L * B * width * sizeof(float)))) {
            st = rc__fail(RC_ENOMEM, "rc_rnn_stream_new: out of memory");
            break;
        }
        memset(s->start[i], 0, L * B * width * sizeof(float));
        for (size_t l = 0; !st && l < L; l++) {
            size_t own = rc_rnn_layer_state_width(s->rnn, l, i);
            rc_tensor *t = rc__rnn_initial_state(tp, s->rnn, l, 0, i, B);
            if (!t)
                st = rc_last_status();
            for (size_t b = 0; t && b < B; b++)
                memcpy(s->start[i] + (l * B + b) * width, t->data + b * own, own * sizeof(float));
        }
    }
    rc_tape_free(tp);
    return st;
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
    const rc__cell_kernels *k = rc__rnn_layer(rnn, 0, 0)->cell->kernels;
    /* Rows x (8H + 2O + I) floats bound every kernel's scratch per row (an
     * LSTM's gates and cell temporaries take 4H + 4H), so the kernels' own
     * size arithmetic cannot overflow once this product fits. */
    size_t L = cfg->num_layers, O = rc__rnn_max_output(rnn), H = 0, n = rc_rnn_state_count(rnn);
    for (size_t l = 0; l < L; l++)
        if (rc_rnn_config_layer_size(cfg, l) > H)
            H = rc_rnn_config_layer_size(cfg, l);
    size_t widest = 8 * H + 2 * O + cfg->input_size, bound, work = 0;
    if (!rc__mul_size(max_steps, batch, &bound) || !rc__mul_size(bound, widest, &bound) ||
        !rc__mul_size(bound, 2 * sizeof(float), &bound))
        return rc__fail_null(RC_ENOMEM, "rc_rnn_stream_new: batch %zu x %zu steps is too large",
                             batch, max_steps);
    size_t packed = 0, *packed_at = malloc(L * sizeof *packed_at);
    if (!packed_at)
        return rc__fail_null(RC_ENOMEM, "rc_rnn_stream_new: out of memory");
    int composed = 0;
    for (size_t l = 0; l < L; l++) {
        rc__fused_call c = call_of(rnn, l, max_steps, batch);
        packed_at[l] = SIZE_MAX;
        if (!fused(rnn, l, &c)) {
            composed = 1;
            continue;
        }
        size_t w = k->work_size(&c, 0), p = k->packed_size(&c);
        work = w > work ? w : work;
        packed_at[l] = p ? packed : SIZE_MAX;
        packed += p;
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
    s->n_states = n;
    size_t out = max_steps * batch * O; /* no overflow: checked above */
    int ok = 1;
    for (size_t i = 0; i < n; i++) {
        size_t width = rc_rnn_state_width(rnn, i);
        ok &= (s->state[i] = rc__alloc_aligned(L * batch * width * sizeof(float))) != NULL;
        for (size_t l = 0; l < L && !s->narrow[i]; l++)
            if (rc_rnn_layer_state_width(rnn, l, i) < width)
                ok &= (s->narrow[i] = rc__alloc_aligned(batch * width * sizeof(float))) != NULL;
    }
    s->buf[0] = rc__alloc_aligned(out * sizeof(float));
    s->buf[1] = rc__alloc_aligned(out * sizeof(float));
    s->work = work ? rc__alloc_aligned(work * sizeof(float)) : NULL;
    s->packed = packed ? rc__alloc_aligned(packed * sizeof(float)) : NULL;
    if (composed && (s->tp = rc_tape_new()))
        rc_tape_set_grad_enabled(s->tp, 0);
    if (!ok || !s->buf[0] || !s->buf[1] || (work && !s->work) || (packed && !s->packed) || (composed && !s->tp)) {
        rc_rnn_stream_free(s);
        return rc__fail_null(RC_ENOMEM, "rc_rnn_stream_new: cannot allocate buffers for batch %zu "
                                        "and %zu steps",
                             batch, max_steps);
    }
    for (size_t l = 0; l < L; l++)
        if (packed_at[l] != SIZE_MAX) {
            rc__fused_call c = call_of(rnn, l, max_steps, batch);
            const float *w[RC__CELL_MAX_PARAMS];
            weights_of(rnn, l, w);
            k->pack(&c, w, s->packed + packed_at[l]);
        }
    if (composed) { /* one pass of max_steps on zeros sizes the tape's arena */
        float *x = calloc(max_steps * batch * cfg->input_size, sizeof *x);
        int st = x ? rc_rnn_stream_run(s, x, max_steps, NULL) : rc__fail(RC_ENOMEM, "rc_rnn_stream_new: out of memory");
        free(x);
        if (st) {
            rc_rnn_stream_free(s);
            return NULL;
        }
    }
    if (rc__rnn_layer(rnn, 0, 0)->cell->initial && starts(s)) {
        rc_rnn_stream_free(s);
        return NULL;
    }
    rc_rnn_stream_reset(s);
    return s;
}

void rc_rnn_stream_free(rc_rnn_stream *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_states; i++) {
        rc__free_aligned(s->state[i]);
        rc__free_aligned(s->narrow[i]);
        rc__free_aligned(s->start[i]);
    }
    rc__free_aligned(s->buf[0]);
    rc__free_aligned(s->buf[1]);
    rc__free_aligned(s->work);
    rc__free_aligned(s->packed);
    free(s->packed_at);
    rc_tape_free(s->tp);
    free(s);
}

void rc_rnn_stream_reset(rc_rnn_stream *s)
{
    size_t L = rc_rnn_config_of(s->rnn)->num_layers;
    for (size_t i = 0; i < s->n_states; i++) {
        size_t bytes = L * s->batch * rc_rnn_state_width(s->rnn, i) * sizeof(float);
        if (s->start[i])
            memcpy(s->state[i], s->start[i], bytes);
        else
            memset(s->state[i], 0, bytes);
    }
}

float *rc_rnn_stream_state(rc_rnn_stream *s, size_t i) { return s && i < s->n_states ? s->state[i] : NULL; }

static float *state_named(rc_rnn_stream *s, const char *name)
{
    long i = s ? rc_rnn_state_index(s->rnn, name) : -1;
    return i < 0 ? NULL : s->state[i];
}

float *rc_rnn_stream_h(rc_rnn_stream *s) { return state_named(s, "h"); }

float *rc_rnn_stream_c(rc_rnn_stream *s) { return state_named(s, "c"); }

/* Layer l over n steps of in [n, B, I] through the composed step, on the
 * stream's tape: out [n, B, O], the states updated in place. */
static int composed_pass(rc_rnn_stream *s, size_t l, const float *in, size_t n, float *out, float *const *state)
{
    size_t B = s->batch, I = rc__rnn_layer(s->rnn, l, 0)->dims.I;
    rc_tape_reset(s->tp);
    rc_tensor *x = rc_tape_tensor(s->tp, 3, (size_t[]){n, B, I}), *s0[RC_MAX_STATES], *s_n[RC_MAX_STATES];
    if (!x)
        return rc_last_status();
    memcpy(x->data, in, n * B * I * sizeof(float));
    for (size_t i = 0; i < s->n_states; i++) {
        size_t w = rc_rnn_layer_state_width(s->rnn, l, i);
        if (!(s0[i] = rc_tape_tensor(s->tp, 2, (size_t[]){B, w})))
            return rc_last_status();
        memcpy(s0[i]->data, state[i], B * w * sizeof(float));
    }
    rc_tensor *y = rc__rnn_layer_composed(s->tp, s->rnn, l, x, s0, s_n);
    if (!y)
        return rc_last_status();
    memcpy(out, y->data, y->size * sizeof(float));
    for (size_t i = 0; i < s->n_states; i++)
        memcpy(state[i], s_n[i]->data, s_n[i]->size * sizeof(float));
    return RC_OK;
}

/* Copies the leading w of every row of n columns between rows [B, n]
 * and packed rows [B, w]: to = 1 packs, 0 unpacks (and zeroes the rest of
 * each row, as rc_rnn_forward's final states have it). */
static void pack_rows(float *rows, float *packed, size_t B, size_t n, size_t w, int to)
{
    for (size_t b = 0; b < B; b++)
        if (to) {
            memcpy(packed + b * w, rows + b * n, w * sizeof(float));
        } else {
            memcpy(rows + b * n, packed + b * w, w * sizeof(float));
            memset(rows + b * n + w, 0, (n - w) * sizeof(float));
        }
}

/* One pass of n <= max_steps steps through every layer. */
static int run_pass(rc_rnn_stream *s, const float *x, size_t n, float *y)
{
    const rc_rnn_config *cfg = rc_rnn_config_of(s->rnn);
    size_t L = cfg->num_layers, B = s->batch, O = rc_rnn_output_size(s->rnn);
    const float *in = x;
    for (size_t l = 0; l < L; l++) {
        rc__fused_call c = call_of(s->rnn, l, n, B);
        const rc__cell_kernels *k = rc__rnn_layer(s->rnn, l, 0)->cell->kernels;
        const float *w[RC__CELL_MAX_PARAMS], *s0[RC_MAX_STATES] = {0};
        float *state[RC_MAX_STATES] = {0};
        weights_of(s->rnn, l, w);
        for (size_t i = 0; i < s->n_states; i++) {
            size_t width = rc_rnn_state_width(s->rnn, i), own = rc_rnn_layer_state_width(s->rnn, l, i);
            s0[i] = state[i] = s->state[i] + l * B * width;
            if (own < width) {
                pack_rows(state[i], s->narrow[i], B, width, own, 1);
                s0[i] = state[i] = s->narrow[i];
            }
        }
        float *out = l + 1 == L && y ? y : s->buf[l % 2];
        const float *P = s->packed_at[l] == SIZE_MAX ? NULL : s->packed + s->packed_at[l];
        if (!fused(s->rnn, l, &c)) {
            if (composed_pass(s, l, in, n, out, state))
                return rc_last_status();
        } else {
            k->forward(&c, w, P, in, s0, out, state, NULL, s->work);
        }
        for (size_t i = 0; i < s->n_states; i++) {
            size_t width = rc_rnn_state_width(s->rnn, i), own = rc_rnn_layer_state_width(s->rnn, l, i);
            if (own < width)
                pack_rows(s->state[i] + l * B * width, s->narrow[i], B, width, own, 0);
        }
        if (cfg->residual && l > 0)
            for (size_t i = 0; i < n * B * O; i++)
                out[i] += in[i];
        in = out;
    }
    return RC_OK;
}

int rc_rnn_stream_run(rc_rnn_stream *s, const float *x, size_t n_steps, float *y)
{
    if (!s || !x)
        return rc__fail(RC_EINVAL, "rc_rnn_stream_run: stream or input is NULL");
    const rc_rnn_config *cfg = rc_rnn_config_of(s->rnn);
    size_t in_step = s->batch * cfg->input_size, out_step = s->batch * rc_rnn_output_size(s->rnn);
    for (size_t done = 0; done < n_steps;) {
        size_t n = n_steps - done < s->max_steps ? n_steps - done : s->max_steps;
        if (run_pass(s, x + done * in_step, n, y ? y + done * out_step : NULL))
            return rc_last_status();
        done += n;
    }
    return RC_OK;
}
