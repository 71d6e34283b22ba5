/* gru.c — gated recurrent unit (Cho et al. 2014) in both placements of the
 * reset gate:
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
 *   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   gru:              n = tanh(W_in x + b_in + r * (W_hn h + b_hn))   (PyTorch, cuDNN)
 *   gru_reset_before: n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)   (the paper; Chung et al. 2014)
 *   h' = (1 - z) * n + z * h  =  n + z * (h - n)
 * Fused kernel: src/kernels/gru.c. */
#include "cells.h"

rc_tensor *rc__gru_step(rc_tape *tp, int cell, const rc__layer *w, rc_tensor *x, rc_tensor *h,
                        rc_tensor *c, rc_tensor **c_out)
{
    (void)c, (void)c_out;
    size_t H = w->w_ih->shape[0] / 3;
    const size_t thirds[3] = {H, H, H};
    rc_tensor *ax[3], *ah[3], *n;
    if (rc_split(tp, rc_linear(tp, x, w->w_ih, w->b_ih), 2, thirds, 3, ax))
        return NULL;
    if (cell == RC_CELL_GRU_RESET_BEFORE) {
        /* The r and z rows of W_hh act on h; the n rows act on r * h. */
        rc_tensor *w_rz = rc_slice(tp, w->w_hh, 0, 0, 2 * H), *w_n = rc_slice(tp, w->w_hh, 0, 2 * H, H);
        rc_tensor *b_rz = w->b_hh ? rc_slice(tp, w->b_hh, 0, 0, 2 * H) : NULL;
        rc_tensor *b_n = w->b_hh ? rc_slice(tp, w->b_hh, 0, 2 * H, H) : NULL;
        if (rc_split(tp, rc_linear(tp, h, w_rz, b_rz), 2, thirds, 2, ah))
            return NULL;
        rc_tensor *r = rc_sigmoid(tp, rc_add(tp, ax[0], ah[0]));
        rc_tensor *z = rc_sigmoid(tp, rc_add(tp, ax[1], ah[1]));
        n = rc_tanh(tp, rc_add(tp, ax[2], rc_linear(tp, rc_mul(tp, r, h), w_n, b_n)));
        return rc_add(tp, n, rc_mul(tp, z, rc_sub(tp, h, n)));
    }
    if (rc_split(tp, rc_linear(tp, h, w->w_hh, w->b_hh), 2, thirds, 3, ah))
        return NULL;
    rc_tensor *r = rc_sigmoid(tp, rc_add(tp, ax[0], ah[0]));
    rc_tensor *z = rc_sigmoid(tp, rc_add(tp, ax[1], ah[1]));
    n = rc_tanh(tp, rc_add(tp, ax[2], rc_mul(tp, r, ah[2])));
    return rc_add(tp, n, rc_mul(tp, z, rc_sub(tp, h, n)));
}
