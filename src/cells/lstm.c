/* lstm.c — long short-term memory (Hochreiter & Schmidhuber 1997, with the
 * forget gate of Gers et al. 2000), optional diagonal peepholes in the form
 * of Graves 2013 (Chung et al. 2014) and projection (Sak et al. 2014,
 * PyTorch's proj_size):
 *   [a_i a_f a_g a_o] = W_ih x + b_ih + W_hh h + b_hh
 *   i = sigmoid(a_i + p_i * c)     f = sigmoid(a_f + p_f * c)
 *   g = tanh(a_g)                  c' = f * c + i * g
 *   o = sigmoid(a_o + p_o * c')    h' = o * tanh(c')   (then W_hr h' with a projection)
 * Weights (PyTorch's nn.LSTM, rows i, f, g, o): weight_ih [4H, I],
 * weight_hh [4H, Ho], bias_ih [4H], bias_hh [4H], weight_hr [P, H] (proj_size
 * P), weight_ph [3, H] (peepholes, rows i, f, o); Ho = P or H.
 * States: h [Ho] (also the output), c [H].
 * Fused kernel: src/kernels/lstm.c. */
#include "cell.h"

#include "../kernels/recurrent.h"

static const rc__cell_option options[] = {
    [RC__LSTM_PROJ_SIZE] = {"proj_size", 0, 0, 1e9, 1, "width P of h after a projection W_hr (0: none, else 1..H-1)"},
    [RC__LSTM_PEEPHOLE] = {"peephole", 0, 0, 1, 1, "1: diagonal peepholes from c into i, f and o (Graves 2013)"},
    {NULL, 0, 0, 0, 0, NULL},
};

int rc__lstm_declare(rc__cell_decl *d, const rc__cell_dims *c, size_t P, int peephole)
{
    size_t H = c->H, Ho = P ? P : H;
    if (P >= H)
        return rc__fail(RC_EINVAL, "rnn config: proj_size %zu must be smaller than hidden_size %zu", P, H);
    const rc__init torch = {0};
    int st = rc__torch_declare(d, c, 4, Ho);
    if (!st && P)
        st = rc__param(d, RC__W_HR, "weight_hr", 2, (size_t[]){P, H}, torch, 0); /* also the output's */
    if (!st && peephole)
        st = rc__param(d, RC__W_PH, "weight_ph", 2, (size_t[]){3, H}, torch, 0);
    if (!st)
        st = rc__state(d, 0, "h", Ho);
    if (!st)
        st = rc__state(d, 1, "c", H);
    return st;
}

static int declare(rc__cell_decl *d, const rc__cell_dims *c)
{
    return rc__lstm_declare(d, c, (size_t)c->opt[RC__LSTM_PROJ_SIZE], c->opt[RC__LSTM_PEEPHOLE] != 0.0);
}

/* a + p * c, with p row k of the peephole matrix [3, H]; a when none. */
static rc_tensor *peep(rc_tape *tp, const rc__cell_layer *L, size_t k, rc_tensor *a, rc_tensor *c)
{
    rc_tensor *w_ph = L->w[RC__W_PH];
    if (!w_ph)
        return a;
    return rc_add(tp, a, rc_mul(tp, c, rc_slice(tp, w_ph, 0, k, 1)));
}

rc_tensor *rc__lstm_gates(rc_tape *tp, const rc__cell_layer *L, rc_tensor *a, rc_tensor *c, rc_tensor **s_new)
{
    size_t H = L->dims.H;
    rc_tensor *part[4];
    if (!a || rc_split(tp, a, 1, (size_t[]){H, H, H, H}, 4, part))
        return NULL;
    rc_tensor *i = rc_sigmoid(tp, peep(tp, L, 0, part[0], c));
    rc_tensor *f = rc_sigmoid(tp, peep(tp, L, 1, part[1], c));
    rc_tensor *g = rc_tanh(tp, part[2]);
    rc_tensor *c_new = rc_add(tp, rc_mul(tp, f, c), rc_mul(tp, i, g));
    rc_tensor *o = rc_sigmoid(tp, peep(tp, L, 2, part[3], c_new));
    rc_tensor *m = rc_mul(tp, o, rc_tanh(tp, c_new));
    s_new[1] = c_new;
    return s_new[0] = L->w[RC__W_HR] ? rc_linear(tp, m, L->w[RC__W_HR], NULL) : m;
}

/* a = u + W_hh h + b_hh, u = W_ih x + b_ih (pre) */
static rc_tensor *step(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s, rc_tensor **s_new)
{
    rc_tensor *a = rc_add(tp, u, rc_linear(tp, s[0], L->w[RC__W_HH], L->w[RC__B_HH]));
    return rc__lstm_gates(tp, L, a, s[1], s_new);
}

RC__CELL(lstm) = {
    .summary = "LSTM (Hochreiter & Schmidhuber 1997; peepholes Graves 2013; projection Sak et al. 2014)",
    .options = options,
    .declare = declare,
    .pre = rc__torch_pre,
    .step = step,
    .kernels = &rc__seq_kernels[RC__SEQ_LSTM],
};
