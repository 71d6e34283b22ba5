/* rnn.c — the Elman RNN (Elman 1990), tanh or relu:
 *   h' = act(W_ih x + b_ih + W_hh h + b_hh)
 * Weights (PyTorch's nn.RNN): weight_ih [H, I], weight_hh [H, H], bias_ih
 * [H], bias_hh [H].  State: h [H], also the output.
 * Fused kernel: src/kernels/rnn.c. */
#include "cell.h"

#include "../kernels/recurrent.h"

static int declare(rc__cell_decl *d, const rc__cell_dims *c)
{
    int st = rc__torch_declare(d, c, 1, c->H);
    return st ? st : rc__state(d, 0, "h", c->H);
}

/* act(u + W_hh h + b_hh), u = W_ih x + b_ih (pre) */
static rc_tensor *preactivation(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s)
{
    return rc_add(tp, u, rc_linear(tp, s[0], L->w[RC__W_HH], L->w[RC__B_HH]));
}

static rc_tensor *step_tanh(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s,
                            rc_tensor **s_new)
{
    return s_new[0] = rc_tanh(tp, preactivation(tp, L, u, s));
}

static rc_tensor *step_relu(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s,
                            rc_tensor **s_new)
{
    return s_new[0] = rc_relu(tp, preactivation(tp, L, u, s));
}

RC__CELL(rnn_tanh) = {
    .summary = "Elman RNN with tanh (Elman 1990; PyTorch's nn.RNN)",
    .declare = declare,
    .pre = rc__torch_pre,
    .step = step_tanh,
    .kernels = &rc__seq_kernels[RC__SEQ_RNN_TANH],
};

RC__CELL(rnn_relu) = {
    .summary = "Elman RNN with relu (PyTorch's nn.RNN, nonlinearity='relu')",
    .declare = declare,
    .pre = rc__torch_pre,
    .step = step_relu,
    .kernels = &rc__seq_kernels[RC__SEQ_RNN_RELU],
};
