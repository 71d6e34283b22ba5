/* cells.h — what the sequence driver (seq.c) shares with streams and files. */
#ifndef RC_CELLS_H
#define RC_CELLS_H

#include "cell.h"

/* The name prefix of the network's weights in its parameter set. */
const char *rc__rnn_prefix(const rc_rnn *rnn);
/* Layer l, direction d: its cell, sizes and weights by slot. */
const rc__cell_layer *rc__rnn_layer(const rc_rnn *rnn, size_t l, size_t d);
/* Layer l's forward direction over x [T, B, I] from the states s0[i]
 * [B, n_i], step by step through the cell's composed step: y [T, B, O] and
 * s_n[i] [1, B, n_i] (streams of cells without a fused kernel). */
rc_tensor *rc__rnn_layer_composed(rc_tape *tp, const rc_rnn *rnn, size_t l, rc_tensor *x, rc_tensor *const *s0,
                                  rc_tensor **s_n);
/* What layer l's cell declared (its states' widths and flags). */
const rc__cell_decl *rc__rnn_decl(const rc_rnn *rnn, size_t l);
/* State i of layer l, direction d, where the caller gives none: [B, n_i]
 * at the layer's width, the cell's initial() or zeros. */
rc_tensor *rc__rnn_initial_state(rc_tape *tp, const rc_rnn *rnn, size_t l, size_t d, size_t i, size_t B);
/* Locked (variational) dropout: x [..., B, F] times one mask [B, F] of 0
 * and 1/(1-p), the same at every step; x itself without rng or with p = 0. */
rc_tensor *rc__locked_dropout(rc_tape *tp, rc_tensor *x, float p, rc_rng *rng);
/* The widest output of any layer, D * O_l (a stream's buffers). */
size_t rc__rnn_max_output(const rc_rnn *rnn);
/* Draws weight w of the network as its cell declares (rc__init, at its
 * layer's sizes); RC_EINVAL when w is not one of its weights. */
int rc__rnn_draw(const rc_rnn *rnn, rc_tensor *w, rc_rng *rng);
/* What a model puts around each layer of a network (a SHA-RNN's blocks):
 * before(l, input) gives layer l's input, after(l, output) what follows
 * it (the next layer's input, or the network's output); with hooks the
 * driver adds no residual link or dropout between layers of its own.
 * NULL from either (an operation failed) stops the pass. */
typedef struct {
    rc_tensor *(*before)(rc_tape *tp, size_t l, rc_tensor *x, void *ctx);
    rc_tensor *(*after)(rc_tape *tp, size_t l, rc_tensor *y, void *ctx);
    void *ctx;
} rc__rnn_hooks;
/* rc_rnn_forward_states with hooks (NULL: none). */
rc_tensor *rc__rnn_forward_hooked(rc_tape *tp, rc_rnn *rnn, rc_tensor *x, const rc_rnn_options *opts,
                                  rc_tensor **states_n, const rc__rnn_hooks *hooks);
/* Makes rc_rnn_free free the network's parameter set too. */
void rc__rnn_own_params(rc_rnn *rnn);

#endif /* RC_CELLS_H */
