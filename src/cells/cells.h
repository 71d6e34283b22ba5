/* cells.h — the composed steps of the recurrent cells and what the
 * sequence driver shares with them. */
#ifndef RC_CELLS_H
#define RC_CELLS_H

#include "../graph/tape.h"

/* The weights of one layer and direction (PyTorch names and layout). */
typedef struct {
    rc_tensor *w_ih;  /* [G*H, I] */
    rc_tensor *w_hh;  /* [G*H, Ho] */
    rc_tensor *b_ih;  /* [G*H] or NULL */
    rc_tensor *b_hh;  /* [G*H] or NULL */
    rc_tensor *w_hr;  /* [P, H] or NULL (LSTM projection) */
    rc_tensor *w_ph;  /* [3, H] or NULL (LSTM peepholes i, f, o) */
} rc__layer;

/* One step written with differentiable operations — the specification that
 * the fused kernels must equal.  x [1, B, I], h [1, B, Ho], c [1, B, H]
 * (LSTM; NULL otherwise) → the new h [1, B, Ho]; an LSTM writes its new c
 * to *c_out.  NULL on failure. */
typedef rc_tensor *(*rc__step_fn)(rc_tape *tp, int cell, const rc__layer *w, rc_tensor *x,
                                  rc_tensor *h, rc_tensor *c, rc_tensor **c_out);

rc_tensor *rc__rnn_step(rc_tape *tp, int cell, const rc__layer *w, rc_tensor *x, rc_tensor *h,
                        rc_tensor *c, rc_tensor **c_out);
rc_tensor *rc__lstm_step(rc_tape *tp, int cell, const rc__layer *w, rc_tensor *x, rc_tensor *h,
                         rc_tensor *c, rc_tensor **c_out);
rc_tensor *rc__gru_step(rc_tape *tp, int cell, const rc__layer *w, rc_tensor *x, rc_tensor *h,
                        rc_tensor *c, rc_tensor **c_out);

/* The name prefix of the network's weights in its parameter set. */
const char *rc__rnn_prefix(const rc_rnn *rnn);
/* The weights of layer l, direction d. */
const rc__layer *rc__rnn_layer(const rc_rnn *rnn, size_t l, size_t d);
/* Makes rc_rnn_free free the network's parameter set too. */
void rc__rnn_own_params(rc_rnn *rnn);

#endif /* RC_CELLS_H */
