/* assoc_lstm.c — the Associative LSTM (Danihelka, Wayne, Uria, Kalchbrenner
 * & Graves 2016, "Associative Long Short-Term Memory", ICML,
 * arXiv:1602.03032, section 3): an LSTM whose cell is a holographic
 * reduced representation — complex vectors storing values under keys by
 * complex multiplication — kept in S redundant copies whose keys are
 * permuted differently, so that reading averages the interference away.
 * With H complex units (vectors of 2H reals, [re | im]):
 *   [f, i, o, j, r_i, r_o] = W_ih x + b_ih + W_hh h + b_hh   (H, H, H, 2H, 2H, 2H)
 *   f, i, o = sigmoid(.), each applied to real and imaginary parts alike
 *   j, r_i, r_o = bound(.),  bound(z) = z / max(1, |z|) per complex entry
 *   c_s' = f c_s + (P_s r_i) (i j)          for each copy s = 1..S
 *   h'   = o bound(mean_s (P_s r_o) c_s')
 * with complex products entry by entry and P_s fixed random permutations of
 * the H entries (each copy its own: Fisher-Yates from a generator seeded
 * with (1602, s), the same for every layer).  The paper's u is j here; its
 * gates are [g_f, g_i, g_o, r_i, r_o, u].  The ops are src/ops/complex.c's.
 *
 * Weights per layer and direction, PyTorch's LSTM layout with 9H rows in the
 * order above: weight_ih [9H, I], weight_hh [9H, 2H], bias_ih and bias_hh
 * [9H], drawn uniform in +-1/sqrt(H).  States: h [2H] (also the output) and
 * c [S * 2H], the copies one after another.  Option: copies S (default 4;
 * the paper compares 1, 4 and 8).  No fused kernel. */
#include "cell.h"

enum { COPIES };
static const rc__cell_option options[] = {
    [COPIES] = {"copies", 4, 1, 64, 1, "redundant copies S of the associative memory (the paper's N_copies)"},
    {NULL, 0, 0, 0, 0, NULL},
};

static size_t copies(const rc__cell_dims *c) { return (size_t)c->opt[COPIES]; }

static int declare(rc__cell_decl *d, const rc__cell_dims *c)
{
    int st = rc__torch_declare(d, c, 9, 2 * c->H);
    if (!st)
        st = rc__state(d, 0, "h", 2 * c->H);
    return st ? st : rc__state(d, 1, "c", copies(c) * 2 * c->H);
}

/* A real gate [B, H] applied to both halves of a complex vector: [B, 2H]. */
static rc_tensor *both_halves(rc_tape *tp, rc_tensor *g)
{
    rc_tensor *pair[2] = {g, g};
    return g ? rc_concat(tp, pair, 2, 1) : NULL;
}

static rc_tensor *step(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s, rc_tensor **s_new)
{
    size_t H = L->dims.H, S = copies(&L->dims);
    rc_tensor *a = rc_add(tp, u, rc_linear(tp, s[0], L->w[RC__W_HH], L->w[RC__B_HH])), *part[6];
    if (!a || rc_split(tp, a, 1, (size_t[]){H, H, H, 2 * H, 2 * H, 2 * H}, 6, part))
        return NULL;
    rc_tensor *f = both_halves(tp, rc_sigmoid(tp, part[0])), *i = both_halves(tp, rc_sigmoid(tp, part[1]));
    rc_tensor *o = both_halves(tp, rc_sigmoid(tp, part[2])), *j = rc_complex_bound(tp, part[3]);
    rc_tensor *r_in = rc_complex_bound(tp, part[4]), *r_out = rc_complex_bound(tp, part[5]);
    rc_tensor *write = rc_mul(tp, i, j), *cells[64], *read = NULL;
    for (size_t k = 0; k < S; k++) {
        const int32_t *p = rc__fixed_permutation(tp, H, 1602, k);
        rc_tensor *c = rc_slice(tp, s[1], 1, k * 2 * H, 2 * H);
        cells[k] = rc_add(tp, rc_mul(tp, f, c), rc_complex_mul(tp, rc_complex_permute(tp, r_in, p), write));
        rc_tensor *got = rc_complex_mul(tp, rc_complex_permute(tp, r_out, p), cells[k]);
        read = read ? rc_add(tp, read, got) : got;
    }
    s_new[1] = S == 1 ? cells[0] : rc_concat(tp, cells, S, 1);
    return s_new[0] = rc_mul(tp, o, rc_complex_bound(tp, rc_scale(tp, read, 1.0f / (float)S)));
}

RC__CELL(assoc_lstm) = {
    .summary = "Associative LSTM: an LSTM whose cell is a holographic key-value memory of complex vectors in S "
               "permuted copies (Danihelka et al. 2016)",
    .options = options,
    .declare = declare,
    .pre = rc__torch_pre,
    .step = step,
};
