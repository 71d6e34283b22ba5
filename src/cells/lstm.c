/* lstm.c — long short-term memory (Hochreiter & Schmidhuber 1997, with the
 * forget gate of Gers et al. 2000), optional diagonal peepholes in the form
 * of Graves 2013 (Chung et al. 2014) and projection (Sak et al. 2014,
 * PyTorch's proj_size):
 *   [a_i a_f a_g a_o] = W_ih x + b_ih + W_hh h + b_hh
 *   i = sigmoid(a_i + p_i * c)     f = sigmoid(a_f + p_f * c)
 *   g = tanh(a_g)                  c' = f * c + i * g
 *   o = sigmoid(a_o + p_o * c')    h' = o * tanh(c')   (then W_hr h' with a projection)
 * Fused kernel: src/kernels/lstm.c. */
#include "cells.h"

/* a + p * c, with p row k of the peephole matrix [3, H]; a when none. */
static rc_tensor *peep(rc_tape *tp, const rc__layer *w, size_t k, rc_tensor *a, rc_tensor *c)
{
    if (!w->w_ph)
        return a;
    return rc_add(tp, a, rc_mul(tp, c, rc_slice(tp, w->w_ph, 0, k, 1)));
}

rc_tensor *rc__lstm_step(rc_tape *tp, int cell, const rc__layer *w, rc_tensor *x, rc_tensor *h,
                         rc_tensor *c, rc_tensor **c_out)
{
    (void)cell;
    size_t H = w->w_ih->shape[0] / 4;
    rc_tensor *a = rc_add(tp, rc_linear(tp, x, w->w_ih, w->b_ih), rc_linear(tp, h, w->w_hh, w->b_hh));
    rc_tensor *part[4];
    if (!a || rc_split(tp, a, 2, (size_t[]){H, H, H, H}, 4, part))
        return NULL;
    rc_tensor *i = rc_sigmoid(tp, peep(tp, w, 0, part[0], c));
    rc_tensor *f = rc_sigmoid(tp, peep(tp, w, 1, part[1], c));
    rc_tensor *g = rc_tanh(tp, part[2]);
    rc_tensor *c_new = rc_add(tp, rc_mul(tp, f, c), rc_mul(tp, i, g));
    rc_tensor *o = rc_sigmoid(tp, peep(tp, w, 2, part[3], c_new));
    rc_tensor *m = rc_mul(tp, o, rc_tanh(tp, c_new));
    *c_out = c_new;
    return w->w_hr ? rc_linear(tp, m, w->w_hr, NULL) : m;
}
