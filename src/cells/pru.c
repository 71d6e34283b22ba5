/* pru.c — the Pyramidal Recurrent Unit (Mehta, Koncel-Kedziorski,
 * Rastegari & Hajishirzi 2018, "Pyramidal Recurrent Unit for Language
 * Modeling", EMNLP; arXiv:1808.09029), as its reference code
 * (sacmehta/PRU, PRU.py and PRUTransforms.py) computes it; the reading and
 * a side-by-side check are in docs/notes/pru-eru.md.  An LSTM whose input
 * product is a pyramidal transform PT and whose recurrent product is a
 * grouped linear transform GLT:
 *   a^q = PT^q(x_t) + GLT^q(h_{t-1})              q in {i, f, g, o}
 *   c_t = sigmoid(a^f) c_{t-1} + sigmoid(a^i) tanh(a^g),  h_t = sigmoid(a^o) tanh(c_t)
 * PT with K levels (option levels): z_0 = x, z_l = AvgPool(z_{l-1}) over
 * the features (kernel 2(K-l)+1, stride 2, zero padding K-l counted in the
 * mean), y_l = W_l z_l + b_l [4 O_l] with O_l = H / 2^(l+1) for l >= 1 and
 * O_0 the rest of H; gate q of PT is the levels' q-blocks joined in level
 * order, plus x itself when I = H.  GLT with g groups (option groups):
 * h split into g contiguous blocks of d = H/g, block j times its own
 * W_G[j] [d, 4d] (a row vector times the matrix, no mixing between groups)
 * plus b_G[j]; gate q is the groups' q-blocks joined in group order.  Both
 * transforms lay out their four gates as f, g, i, o (the reference's order),
 * which pre and step reorder to the i, f, g, o of lstm.c.
 * Weights per layer and direction (the reference's layouts, so its tensors
 * load unchanged): pt_weight{l} [4 O_l, I / 2^l], pt_bias{l} [4 O_l],
 * glt_weight [g, d, 4d] (flagged recurrent: weight drop masks it),
 * glt_bias [g, 4d]; drawn as the reference draws them: every weight
 * orthogonal (glt_weight flattened to [g, 4 d^2]), biases zero.  States: h
 * [H] (also the output), c [H].  PT depends on x alone and runs for every
 * step at once in pre; no fused kernel. */
#include "cell.h"

#include <stdio.h>

enum { LEVELS, GROUPS };
enum { MAX_LEVELS = 6 };
static const rc__cell_option options[] = {
    [LEVELS] = {"levels", 2, 1, MAX_LEVELS, 1, "levels K of the pyramidal input transform (I and H must divide "
                                               "by 2^K)"},
    [GROUPS] = {"groups", 4, 1, 64, 1, "groups g of the grouped recurrent transform (H must divide by g)"},
    {NULL, 0, 0, 0, 0, NULL},
};

/* Slots, after PyTorch's (which lstm.c's gates read: none declared here):
 * level l's weight and bias, then the GLT's. */
enum { PT_W = RC__TORCH_SLOTS, PT_B = PT_W + MAX_LEVELS, GLT_W = PT_B + MAX_LEVELS, GLT_B };

/* The reference's gate order f, g, i, o: where gate q of lstm.c's i, f, g, o
 * sits in a transform's output blocks. */
static const size_t ref_block[4] = {2, 0, 1, 3};

static size_t levels_of(const rc__cell_dims *c) { return (size_t)c->opt[LEVELS]; }

/* O_l: level l's share of each gate. */
static size_t out_of(const rc__cell_dims *c, size_t l)
{
    size_t K = levels_of(c), H = c->H, rest = H;
    for (size_t m = 1; m < K; m++)
        rest -= H >> (m + 1);
    return l == 0 ? rest : H >> (l + 1);
}

static int declare(rc__cell_decl *d, const rc__cell_dims *c)
{
    size_t K = levels_of(c), g = (size_t)c->opt[GROUPS], H = c->H, I = c->I;
    if (I % ((size_t)1 << K) || H % ((size_t)1 << K))
        return rc__fail(RC_EINVAL, "pru: levels %zu needs the input (%zu) and hidden size (%zu) to divide by %zu", K,
                        I, H, (size_t)1 << K);
    if (H % g)
        return rc__fail(RC_EINVAL, "pru: groups %zu does not divide the hidden size %zu", g, H);
    const rc__init ortho = {RC__INIT_ORTHOGONAL, 0, 0.0f}, zero = {RC__INIT_ZERO, 0, 0.0f};
    int st = RC_OK;
    for (size_t l = 0; !st && l < K; l++) {
        char base[RC__CELL_NAME];
        snprintf(base, sizeof base, "pt_weight%zu", l);
        st = rc__param(d, PT_W + l, base, 2, (size_t[]){4 * out_of(c, l), I >> l}, ortho, 0);
        snprintf(base, sizeof base, "pt_bias%zu", l);
        if (!st && c->bias)
            st = rc__param(d, PT_B + l, base, 1, (size_t[]){4 * out_of(c, l)}, zero, 0);
    }
    size_t dg = H / g;
    if (!st)
        st = rc__param(d, GLT_W, "glt_weight", 3, (size_t[]){g, dg, 4 * dg}, ortho, RC__PARAM_RECURRENT);
    if (!st && c->bias)
        st = rc__param(d, GLT_B, "glt_bias", 2, (size_t[]){g, 4 * dg}, zero, 0);
    if (!st)
        st = rc__state(d, 0, "h", H);
    if (!st)
        st = rc__state(d, 1, "c", H);
    return st;
}

/* The average pool of z [N, n] to [N, n/2]: kernel 2p+1, stride 2, zero
 * padding p counted in the mean, as a product with a constant matrix. */
static rc_tensor *pool(rc_tape *tp, rc_tensor *z, size_t p)
{
    size_t n = z->shape[1], half = n / 2, k = 2 * p + 1;
    rc_tensor *S = rc_tape_tensor(tp, 2, (size_t[]){half, n});
    for (size_t j = 0; S && j < half; j++)
        for (size_t t = 0; t < k; t++) {
            size_t at = 2 * j + t; /* index 2j + t - p, shifted by p */
            if (at >= p && at - p < n)
                S->data[j * n + at - p] = 1.0f / (float)k;
        }
    return S ? rc_matmul(tp, z, S, 0, 1) : NULL;
}

/* u [T, B, 4H] = PT(x) for every step, gates i, f, g, o. */
static rc_tensor *pre(rc_tape *tp, const rc__cell_layer *L, rc_tensor *x)
{
    size_t T = x->shape[0], B = x->shape[1], I = L->dims.I, H = L->dims.H, K = levels_of(&L->dims);
    rc_tensor *z = rc_reshape(tp, x, 2, (size_t[]){T * B, I}), *X = z;
    rc_tensor *blocks[MAX_LEVELS][4], *gates[4], *parts[MAX_LEVELS];
    for (size_t l = 0; l < K; l++) {
        if (l > 0)
            z = pool(tp, z, K - l);
        size_t O = out_of(&L->dims, l);
        rc_tensor *y = z ? rc_linear(tp, z, L->w[PT_W + l], L->w[PT_B + l]) : NULL;
        if (!y || rc_split(tp, y, 1, (size_t[]){O, O, O, O}, 4, blocks[l]))
            return NULL;
    }
    for (size_t q = 0; q < 4; q++) {
        for (size_t l = 0; l < K; l++)
            parts[l] = blocks[l][ref_block[q]];
        gates[q] = K > 1 ? rc_concat(tp, parts, K, 1) : parts[0];
        if (I == H)
            gates[q] = rc_add(tp, gates[q], X);
        if (!gates[q])
            return NULL;
    }
    return rc_reshape(tp, rc_concat(tp, gates, 4, 1), 3, (size_t[]){T, B, 4 * H});
}

/* a = u_t + GLT(h), then the LSTM's gates: u_t [B, 4H], s = h, c. */
static rc_tensor *step(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s, rc_tensor **s_new)
{
    rc_tensor *W = L->w[GLT_W], *b = L->w[GLT_B];
    size_t g = W->shape[0], dg = W->shape[1];
    rc_tensor *block[4][64], *parts[4], *r[4]; /* g <= 64: the option's range */
    for (size_t j = 0; j < g; j++) {
        rc_tensor *w_j = rc_reshape(tp, rc_slice(tp, W, 0, j, 1), 2, (size_t[]){dg, 4 * dg});
        rc_tensor *r_j = rc_matmul(tp, rc_slice(tp, s[0], 1, j * dg, dg), w_j, 0, 0);
        if (b && r_j)
            r_j = rc_add(tp, r_j, rc_reshape(tp, rc_slice(tp, b, 0, j, 1), 1, (size_t[]){4 * dg}));
        if (!r_j || rc_split(tp, r_j, 1, (size_t[]){dg, dg, dg, dg}, 4, parts))
            return NULL;
        for (size_t q = 0; q < 4; q++)
            block[q][j] = parts[q];
    }
    for (size_t q = 0; q < 4; q++)
        if (!(r[q] = g > 1 ? rc_concat(tp, block[ref_block[q]], g, 1) : block[ref_block[q]][0]))
            return NULL;
    rc_tensor *a = rc_add(tp, u, rc_concat(tp, r, 4, 1));
    return rc__lstm_gates(tp, L, a, s[1], s_new);
}

RC__CELL(pru) = {
    .summary = "Pyramidal Recurrent Unit: an LSTM with pyramidal input and grouped recurrent transforms "
               "(Mehta et al. 2018)",
    .options = options,
    .declare = declare,
    .pre = pre,
    .step = step,
};
