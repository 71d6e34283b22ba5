/* gru.c — gated recurrent unit (Cho et al. 2014) in both placements of the
 * reset gate:
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
 *   z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
 *   gru:              n = tanh(W_in x + b_in + r * (W_hn h + b_hn))   (PyTorch, cuDNN)
 *   gru_reset_before: n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)   (the paper; Chung et al. 2014)
 *   h' = (1 - z) * n + z * h  =  n + z * (h - n)
 * Weights (PyTorch's nn.GRU, rows r, z, n): weight_ih [3H, I], weight_hh
 * [3H, H], bias_ih [3H], bias_hh [3H].  State: h [H], also the output.
 * Fused kernel: src/kernels/gru.c. */
#include "cell.h"

#include "../kernels/recurrent.h"

static int declare(rc__cell_decl *d, const rc__cell_dims *c)
{
    int st = rc__torch_declare(d, c, 3, c->H);
    return st ? st : rc__state(d, 0, "h", c->H);
}

/* u [B, 3H] = W_ih x + b_ih (pre), cut into its r, z, n thirds. */
static int thirds_of(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, size_t n, rc_tensor **part)
{
    size_t H = L->dims.H;
    return rc_split(tp, u, 1, (size_t[]){H, H, H}, n, part);
}

static rc_tensor *step_after(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s,
                             rc_tensor **s_new)
{
    rc_tensor *ax[3], *ah[3], *h = s[0];
    if (thirds_of(tp, L, u, 3, ax) || thirds_of(tp, L, rc_linear(tp, h, L->w[RC__W_HH], L->w[RC__B_HH]), 3, ah))
        return NULL;
    rc_tensor *r = rc_sigmoid(tp, rc_add(tp, ax[0], ah[0]));
    rc_tensor *z = rc_sigmoid(tp, rc_add(tp, ax[1], ah[1]));
    rc_tensor *n = rc_tanh(tp, rc_add(tp, ax[2], rc_mul(tp, r, ah[2])));
    return s_new[0] = rc_add(tp, n, rc_mul(tp, z, rc_sub(tp, h, n)));
}

static rc_tensor *step_before(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s,
                              rc_tensor **s_new)
{
    /* The r and z rows of W_hh act on h; the n rows act on r * h. */
    size_t H = L->dims.H;
    rc_tensor *w_hh = L->w[RC__W_HH], *b_hh = L->w[RC__B_HH], *ax[3], *ah[2], *h = s[0];
    rc_tensor *w_rz = rc_slice(tp, w_hh, 0, 0, 2 * H), *w_n = rc_slice(tp, w_hh, 0, 2 * H, H);
    rc_tensor *b_rz = b_hh ? rc_slice(tp, b_hh, 0, 0, 2 * H) : NULL;
    rc_tensor *b_n = b_hh ? rc_slice(tp, b_hh, 0, 2 * H, H) : NULL;
    if (thirds_of(tp, L, u, 3, ax) || thirds_of(tp, L, rc_linear(tp, h, w_rz, b_rz), 2, ah))
        return NULL;
    rc_tensor *r = rc_sigmoid(tp, rc_add(tp, ax[0], ah[0]));
    rc_tensor *z = rc_sigmoid(tp, rc_add(tp, ax[1], ah[1]));
    rc_tensor *n = rc_tanh(tp, rc_add(tp, ax[2], rc_linear(tp, rc_mul(tp, r, h), w_n, b_n)));
    return s_new[0] = rc_add(tp, n, rc_mul(tp, z, rc_sub(tp, h, n)));
}

RC__CELL(gru) = {
    .summary = "GRU, reset after the recurrent product (Cho et al. 2014 as in PyTorch's nn.GRU and cuDNN)",
    .declare = declare,
    .pre = rc__torch_pre,
    .step = step_after,
    .kernels = &rc__seq_kernels[RC__SEQ_GRU],
};

RC__CELL(gru_reset_before) = {
    .summary = "GRU, reset before the recurrent product (Cho et al. 2014 as in the paper; Chung et al. 2014)",
    .declare = declare,
    .pre = rc__torch_pre,
    .step = step_before,
    .kernels = &rc__seq_kernels[RC__SEQ_GRU_RESET_BEFORE],
};
