/* rnn.c — the Elman RNN (Elman 1990), tanh or relu:
 *   h' = act(W_ih x + b_ih + W_hh h + b_hh)
 * Fused kernel: src/kernels/rnn.c. */
#include "cells.h"

rc_tensor *rc__rnn_step(rc_tape *tp, int cell, const rc__layer *w, rc_tensor *x, rc_tensor *h,
                        rc_tensor *c, rc_tensor **c_out)
{
    (void)c, (void)c_out;
    rc_tensor *a = rc_add(tp, rc_linear(tp, x, w->w_ih, w->b_ih), rc_linear(tp, h, w->w_hh, w->b_hh));
    return cell == RC_CELL_RNN_RELU ? rc_relu(tp, a) : rc_tanh(tp, a);
}
