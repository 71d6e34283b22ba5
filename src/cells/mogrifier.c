/* mogrifier.c — the Mogrifier LSTM (Melis, Kocisky & Blunsom 2020,
 * "Mogrifier LSTM", ICLR; arXiv:1909.01792, eq. 1-2).  Before each LSTM
 * step the input x and the previous output h gate each other for r rounds,
 *   x^i = 2 sigmoid(Q^i h^{i-1}) * x^{i-2}    odd i in 1..r
 *   h^i = 2 sigmoid(R^i x^{i-1}) * h^{i-2}    even i in 1..r
 * with x^{-1} = x and h^0 = h, and the LSTM of lstm.c (gates i, f, g, o,
 * c carried unchanged into it) then reads the last x^i and h^i.  The factor
 * 2 keeps a randomly initialised round close to the identity.  With rank
 * k > 0, Q^i = Q^i_a Q^i_b and R^i = R^i_a R^i_b (the paper's low-rank form,
 * section 2); r = 0 is the LSTM, bit for bit (its input product then leaves
 * the time loop as the LSTM's does).  The base cell is the standard LSTM,
 * not the reference code's variant whose input gate is capped by the
 * forget gate (i = min(i, 1 - f)): the paper's equations, and the LSTM the
 * rest of the library trains.
 * Weights per layer and direction: the LSTM's (PyTorch's names: weight_ih
 * [4H, I], weight_hh [4H, H], bias_ih, bias_hh [4H]), then per round
 *   weight_q{i} [I, H] (odd i), weight_r{i} [H, I] (even i)       full rank
 *   weight_q{i}a [I, k], weight_q{i}b [k, H]; likewise for r        rank k
 * States: h [H] (also the output), c [H].  No fused kernel: x depends on h,
 * so the input product stays in the time loop. */
#include "cell.h"

#include <stdio.h>

enum { ROUNDS, RANK };
static const rc__cell_option options[] = {
    [ROUNDS] = {"rounds", 5, 0, 12, 1, "rounds r of mutual gating of x and h (0: the LSTM)"},
    [RANK] = {"rank", 0, 0, 1 << 20, 1, "rank k of each Q^i and R^i (0: full matrices)"},
    {NULL, 0, 0, 0, 0, NULL},
};

/* Round i's slots, after the LSTM's: the full matrix or factor a, then b. */
static size_t slot(size_t round, size_t factor) { return RC__TORCH_SLOTS + 2 * (round - 1) + factor; }

static size_t rounds_of(const rc__cell_dims *c) { return (size_t)c->opt[ROUNDS]; }

static int declare(rc__cell_decl *d, const rc__cell_dims *c)
{
    size_t k = (size_t)c->opt[RANK];
    int st = rc__lstm_declare(d, c, 0, 0);
    for (size_t i = 1; !st && i <= rounds_of(c); i++) {
        char m = i % 2 ? 'q' : 'r', base[RC__CELL_NAME];
        size_t rows = i % 2 ? c->I : c->H, cols = i % 2 ? c->H : c->I; /* Q^i: h -> [I]; R^i: x -> [H] */
        if (k == 0) {
            snprintf(base, sizeof base, "weight_%c%zu", m, i);
            st = rc__param(d, slot(i, 0), base, 2, (size_t[]){rows, cols}, (rc__init){0}, 0);
            continue;
        }
        snprintf(base, sizeof base, "weight_%c%zua", m, i);
        st = rc__param(d, slot(i, 0), base, 2, (size_t[]){rows, k}, (rc__init){0}, 0);
        snprintf(base, sizeof base, "weight_%c%zub", m, i);
        if (!st)
            st = rc__param(d, slot(i, 1), base, 2, (size_t[]){k, cols}, (rc__init){0}, 0);
    }
    return st;
}

/* With no rounds, the LSTM's input product for every step at once. */
static rc_tensor *pre(rc_tape *tp, const rc__cell_layer *L, rc_tensor *x)
{
    return rounds_of(&L->dims) ? x : rc__torch_pre(tp, L, x);
}

/* 2 sigmoid(M^i v), M^i = Q^i or R^i, or its factors a b. */
static rc_tensor *gate(rc_tape *tp, const rc__cell_layer *L, size_t i, rc_tensor *v)
{
    rc_tensor *a = L->w[slot(i, 0)], *b = L->w[slot(i, 1)];
    rc_tensor *mv = b ? rc_linear(tp, rc_linear(tp, v, b, NULL), a, NULL) : rc_linear(tp, v, a, NULL);
    return rc_scale(tp, rc_sigmoid(tp, mv), 2.0f);
}

/* x_t [B, I] (with no rounds: u_t = W_ih x_t + b_ih [B, 4H]), s = h, c. */
static rc_tensor *step(rc_tape *tp, const rc__cell_layer *L, rc_tensor *x, rc_tensor *const *s, rc_tensor **s_new)
{
    size_t r = rounds_of(&L->dims);
    rc_tensor *h = s[0];
    for (size_t i = 1; i <= r; i++) {
        if (i % 2)
            x = rc_mul(tp, gate(tp, L, i, h), x);
        else
            h = rc_mul(tp, gate(tp, L, i, x), h);
    }
    rc_tensor *u = r ? rc_linear(tp, x, L->w[RC__W_IH], L->w[RC__B_IH]) : x;
    rc_tensor *a = rc_add(tp, u, rc_linear(tp, h, L->w[RC__W_HH], L->w[RC__B_HH]));
    return rc__lstm_gates(tp, L, a, s[1], s_new);
}

RC__CELL(mogrifier) = {
    .summary = "Mogrifier LSTM: x and h gate each other before the LSTM (Melis, Kocisky & Blunsom 2020)",
    .options = options,
    .declare = declare,
    .pre = pre,
    .step = step,
};
