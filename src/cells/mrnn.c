/* mrnn.c — the multiplicative RNN (Sutskever, Martens & Hinton 2011,
 * "Generating Text with Recurrent Neural Networks", ICML, eq. 3-4): the
 * input chooses the hidden-to-hidden matrix, factored through F factors,
 * W_hh^(x) = W_hf diag(W_fx x) W_fh, so
 *   f = (W_fx x) * (W_fh h)
 *   h' = tanh(W_hx x + W_hf f + b_h)
 * (the output o = W_oh h' + b_o is the model's head).  With one-hot inputs
 * (characters), each input selects its own transition matrix.
 * Weights per layer and direction: weight_hx [H, I], bias_h [H], weight_fx
 * [F, I], weight_fh [F, H], weight_hf [H, F], with F = the option factors
 * (0: H).  State: h [H], also the output.  No fused kernel. */
#include "cell.h"

enum { FACTORS };
static const rc__cell_option options[] = {
    [FACTORS] = {"factors", 0, 0, 1 << 20, 1, "number F of factors of the input-chosen transition (0: hidden_size)"},
    {NULL, 0, 0, 0, 0, NULL},
};

enum { W_HX, B_H, W_FX, W_FH, W_HF };

static size_t f_of(const rc__cell_dims *c) { return c->opt[FACTORS] > 0 ? (size_t)c->opt[FACTORS] : c->H; }

static int declare(rc__cell_decl *d, const rc__cell_dims *c)
{
    size_t I = c->I, H = c->H, F = f_of(c);
    const rc__init torch = {0};
    int st = rc__param(d, W_HX, "weight_hx", 2, (size_t[]){H, I}, torch, 0);
    if (!st && c->bias)
        st = rc__param(d, B_H, "bias_h", 1, (size_t[]){H}, torch, 0);
    if (!st)
        st = rc__param(d, W_FX, "weight_fx", 2, (size_t[]){F, I}, torch, 0);
    if (!st)
        st = rc__param(d, W_FH, "weight_fh", 2, (size_t[]){F, H}, torch, RC__PARAM_RECURRENT);
    if (!st)
        st = rc__param(d, W_HF, "weight_hf", 2, (size_t[]){H, F}, torch, RC__PARAM_RECURRENT);
    return st ? st : rc__state(d, 0, "h", H);
}

rc_tensor *rc__factored_pre(rc_tape *tp, rc_tensor *x, rc_tensor *w_fx, rc_tensor *w, rc_tensor *b)
{
    rc_tensor *parts[2] = {rc_linear(tp, x, w_fx, NULL), rc_linear(tp, x, w, b)};
    return parts[0] && parts[1] ? rc_concat(tp, parts, 2, 2) : NULL;
}

rc_tensor *rc__factored(rc_tape *tp, rc_tensor *u, size_t F, rc_tensor *w_fh, rc_tensor *h, rc_tensor **rest)
{
    rc_tensor *part[2];
    if (rc_split(tp, u, 1, (size_t[]){F, u->shape[1] - F}, 2, part))
        return NULL;
    *rest = part[1];
    return rc_mul(tp, part[0], rc_linear(tp, h, w_fh, NULL));
}

/* u = [W_fx x | W_hx x + b_h] for every step at once: [T, B, F + H]. */
static rc_tensor *pre(rc_tape *tp, const rc__cell_layer *L, rc_tensor *x)
{
    return rc__factored_pre(tp, x, L->w[W_FX], L->w[W_HX], L->w[B_H]);
}

static rc_tensor *step(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s, rc_tensor **s_new)
{
    rc_tensor *a = NULL, *f = rc__factored(tp, u, f_of(&L->dims), L->w[W_FH], s[0], &a);
    return s_new[0] = rc_tanh(tp, rc_add(tp, a, rc_linear(tp, f, L->w[W_HF], NULL)));
}

RC__CELL(mrnn) = {
    .summary = "multiplicative RNN: the input chooses the factored transition W_hf diag(W_fx x) W_fh "
               "(Sutskever, Martens & Hinton 2011)",
    .options = options,
    .declare = declare,
    .pre = pre,
    .step = step,
};
