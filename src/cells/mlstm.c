/* mlstm.c — the multiplicative LSTM (Krause, Lu, Murray & Renals 2016,
 * "Multiplicative LSTM for sequence modelling", arXiv:1609.07959, eq. 18-24,
 * as the authors' code computes it).  An intermediate state m, the product
 * of an input projection and a recurrent one, replaces h in every gate:
 *   m = (W_mx x) * (W_mh h)
 *   [a_i a_f a_g a_o] = W_ih x + b + W_hm m
 *   i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
 *   c' = f * c + i * g      h' = o * tanh(c')
 * so each input chooses its own recurrent transition, as in the mRNN (the
 * paper's eq. 23 writes h^ = W_hx x + W_hm m into c without the tanh; the
 * authors' code, benkrause/mLSTM, passes it through the LSTM's tanh as g,
 * which is what this cell does).  The authors start the forget bias at 1;
 * here every weight starts uniform in +-1/sqrt(H), as the other cells.
 * Weights per layer and direction: weight_ih [4H, I] (rows i, f, g, o),
 * bias_ih [4H], weight_mx [M, I], weight_mh [M, H], weight_hm [4H, M], with
 * M = the option m_size (0: H).  States: h [H] (also the output), c [H].
 * No fused kernel. */
#include "cell.h"

enum { M_SIZE };
static const rc__cell_option options[] = {
    [M_SIZE] = {"m_size", 0, 0, 1 << 20, 1, "width M of the multiplicative state m (0: hidden_size)"},
    {NULL, 0, 0, 0, 0, NULL},
};

enum { W_MX = RC__TORCH_SLOTS, W_MH, W_HM };

static size_t m_of(const rc__cell_dims *c) { return c->opt[M_SIZE] > 0 ? (size_t)c->opt[M_SIZE] : c->H; }

static int declare(rc__cell_decl *d, const rc__cell_dims *c)
{
    size_t I = c->I, H = c->H, M = m_of(c);
    const rc__init torch = {0};
    int st = rc__param(d, RC__W_IH, "weight_ih", 2, (size_t[]){4 * H, I}, torch, 0);
    if (!st && c->bias)
        st = rc__param(d, RC__B_IH, "bias_ih", 1, (size_t[]){4 * H}, torch, 0);
    if (!st)
        st = rc__param(d, W_MX, "weight_mx", 2, (size_t[]){M, I}, torch, 0);
    if (!st)
        st = rc__param(d, W_MH, "weight_mh", 2, (size_t[]){M, H}, torch, RC__PARAM_RECURRENT);
    if (!st)
        st = rc__param(d, W_HM, "weight_hm", 2, (size_t[]){4 * H, M}, torch, RC__PARAM_RECURRENT);
    if (!st)
        st = rc__state(d, 0, "h", H);
    if (!st)
        st = rc__state(d, 1, "c", H);
    return st;
}

/* u = [W_mx x | W_ih x + b] for every step at once: [T, B, M + 4H]. */
static rc_tensor *pre(rc_tape *tp, const rc__cell_layer *L, rc_tensor *x)
{
    return rc__factored_pre(tp, x, L->w[W_MX], L->w[RC__W_IH], L->w[RC__B_IH]);
}

/* m is the mRNN's factored transition (mrnn.c) */
static rc_tensor *step(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s, rc_tensor **s_new)
{
    rc_tensor *a = NULL, *m = rc__factored(tp, u, m_of(&L->dims), L->w[W_MH], s[0], &a);
    return rc__lstm_gates(tp, L, rc_add(tp, a, rc_linear(tp, m, L->w[W_HM], NULL)), s[1], s_new);
}

RC__CELL(mlstm) = {
    .summary = "multiplicative LSTM: an input-chosen transition m = (W_mx x)(W_mh h) drives every gate "
               "(Krause et al. 2016)",
    .options = options,
    .declare = declare,
    .pre = pre,
    .step = step,
};
