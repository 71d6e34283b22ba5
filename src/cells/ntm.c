/* ntm.c — the Neural Turing Machine (Graves, Wayne & Danihelka 2014,
 * "Neural Turing Machines", arXiv:1410.5401, section 3) with an LSTM
 * controller, in the stable form of Collier & Beel (2018, "Implementing
 * Neural Turing Machines", arXiv:1807.08518, and their code).
 *
 * A memory M [N, W] per sequence; R read heads and V write heads, each with
 * a weighting w [N] over the memory's rows.  Per step, with r the read
 * vectors of the previous step:
 *   h', c' = LSTM([x; r], h, c)                     the controller
 *   p = clip(W_p h' + b_p, -C, C)                   every head's parameters
 * and for each head, from its slice of p (k [W], beta, g, s [2S+1], gamma):
 *   k = tanh(.)  beta = softplus(.)  g = sigmoid(.)  s = softmax(.)
 *   gamma = 1 + softplus(.)
 *   w_c(i) = softmax_i(beta K(k, M(i)))              eq. 5-6, K the cosine
 *   w_g = g w_c + (1 - g) w_prev                     eq. 7
 *   w~(i) = sum_d s(d) w_g(i - d), d = -S..S         eq. 8 (circular)
 *   w(i) = w~(i)^gamma / sum_j w~(j)^gamma           eq. 9
 * every head addressing the memory of the previous step; then
 *   r_h = sum_i w_h(i) M(i)                          eq. 2, each read head
 *   M' = M prod_v (1 - w_v e_v^T) + sum_v w_v a_v^T  eq. 3-4, e = sigmoid(.),
 *                                                    a = tanh(.)
 * and the cell's output is [h'; r'] (a task's output layer reads both, as
 * the controller's output and the reads feed the NTM's output in the
 * paper's Figure 1).  Sharpening is computed as softmax(gamma log w~): the
 * same values, without underflow for large gamma.  w~ > 0 always: w_c > 0,
 * and g >= sigmoid(-C), so w_g > 0 for any w_prev >= 0.
 *
 * The recipe (Collier & Beel): the memory starts at 1e-6 everywhere, read
 * vectors at tanh(a learned vector), weightings at softmax(a learned
 * vector); keys and add vectors go through tanh; head parameters are
 * clipped to +-C, C = 20.  Where this differs from their code: the
 * memory's start is a constant (their "constant" start is a trainable
 * variable initialised to 1e-6); the controller has one layer (stack NTMs
 * or give hidden layers to the controller by other means); the output
 * layer's clip of their o2o is left to the task model, whose losses take
 * logits; the controller is PyTorch's LSTM (forget bias 0 at the start,
 * where their BasicLSTMCell adds 1), drawn uniform in +-1/sqrt(H).  Several
 * write heads erase then add, as the paper's section 3.2 has them (their
 * code erases and adds head by head; the same for one write head).
 *
 * Weights per layer and direction: the controller's weight_ih [4H, I],
 * weight_hh [4H, H], bias_ih and bias_hh [4H] (PyTorch's LSTM, gates
 * i, f, g, o) and weight_rh [4H, R W] (the previous reads into the gates),
 * weight_head [P, H] and bias_head [P] with
 * P = (R + V)(W + 2S + 4) + 2 V W (heads in order: reads, then writes; then
 * each write head's e and a), read_start [R W] and weighting_start
 * [(R + V) N].  States: h [H], c [H], memory [N W] (row by row), reads
 * [R W] and weightings [(R + V) N] (reads' heads first; nonnegative, each
 * head's summing to 1).  Output: [H + R W].  No fused kernel. */
#include "cell.h"

#include <math.h>

enum { SLOTS, WIDTH, READS, WRITES, SHIFT, CLIP };
static const rc__cell_option options[] = {
    [SLOTS] = {"slots", 128, 2, 65536, 1, "memory rows N (the paper's and Collier & Beel's 128)"},
    [WIDTH] = {"width", 20, 1, 4096, 1, "memory row width W (20)"},
    [READS] = {"reads", 1, 1, 16, 1, "read heads R"},
    [WRITES] = {"writes", 1, 1, 16, 1, "write heads V"},
    [SHIFT] = {"shift", 1, 0, 64, 1, "largest shift S of a head's location step: shifts -S..S, at most (N-1)/2"},
    [CLIP] = {"clip", 20, 0.001, 1e6, 0, "head parameters clipped to +-clip (Collier & Beel's 20)"},
    {NULL, 0, 0, 0, 0, NULL},
};

enum { W_RH = RC__TORCH_SLOTS, W_HEAD, B_HEAD, READ_START, WEIGHTING_START };
enum { S_H, S_C, S_MEMORY, S_READS, S_WEIGHTINGS };

typedef struct {
    size_t N, W, R, V, K; /* K = 2S + 1 shift taps */
    float clip;
} sizes;

static sizes sizes_of(const rc__cell_dims *c)
{
    sizes z = {(size_t)c->opt[SLOTS], (size_t)c->opt[WIDTH], (size_t)c->opt[READS], (size_t)c->opt[WRITES],
               2 * (size_t)c->opt[SHIFT] + 1, (float)c->opt[CLIP]};
    return z;
}

/* One head's parameters: key, strength, gate, shift, sharpening. */
static size_t per_head(const sizes *z) { return z->W + z->K + 3; }

static int declare(rc__cell_decl *d, const rc__cell_dims *c)
{
    sizes z = sizes_of(c);
    size_t H = c->H, heads = z.R + z.V, P = heads * per_head(&z) + 2 * z.V * z.W;
    if (z.K > z.N)
        return rc__fail(RC_EINVAL, "cell ntm: shift %zu needs at least %zu memory slots, got %zu", z.K / 2, z.K,
                        z.N);
    /* learned_init of Collier & Beel: a dense layer's Glorot-uniform kernel [1, n] */
    rc__init reads0 = {RC__INIT_UNIFORM, 0, sqrtf(6.0f / (float)(1 + z.R * z.W))};
    rc__init weights0 = {RC__INIT_UNIFORM, 0, sqrtf(6.0f / (float)(1 + heads * z.N))};
    int st = rc__torch_declare(d, c, 4, H);
    if (!st)
        st = rc__param(d, W_RH, "weight_rh", 2, (size_t[]){4 * H, z.R * z.W}, (rc__init){0}, RC__PARAM_RECURRENT);
    if (!st)
        st = rc__param(d, W_HEAD, "weight_head", 2, (size_t[]){P, H}, (rc__init){RC__INIT_FAN_IN, H, 0}, 0);
    if (!st && c->bias)
        st = rc__param(d, B_HEAD, "bias_head", 1, (size_t[]){P}, (rc__init){RC__INIT_FAN_IN, H, 0}, 0);
    if (!st)
        st = rc__param(d, READ_START, "read_start", 1, (size_t[]){z.R * z.W}, reads0, 0);
    if (!st)
        st = rc__param(d, WEIGHTING_START, "weighting_start", 1, (size_t[]){heads * z.N}, weights0, 0);
    if (!st)
        st = rc__state(d, S_H, "h", H);
    if (!st)
        st = rc__state(d, S_C, "c", H);
    if (!st)
        st = rc__state(d, S_MEMORY, "memory", z.N * z.W);
    if (!st)
        st = rc__state(d, S_READS, "reads", z.R * z.W);
    if (!st)
        st = rc__state(d, S_WEIGHTINGS, "weightings", heads * z.N);
    if (!st)
        d->state_flags[S_WEIGHTINGS] = RC__STATE_NONNEGATIVE;
    rc__output(d, H + z.R * z.W);
    return st;
}

/* A constant scalar [1]. */
static rc_tensor *constant(rc_tape *tp, float v)
{
    rc_tensor *t = rc_tape_tensor(tp, 1, (size_t[]){1});
    if (t)
        t->data[0] = v;
    return t;
}

/* A [F] vector on every row of [B, F]. */
static rc_tensor *rows(rc_tape *tp, rc_tensor *v, size_t B)
{
    return v ? rc_add(tp, rc_tape_tensor(tp, 2, (size_t[]){B, v->size}), v) : NULL;
}

static rc_tensor *initial(rc_tape *tp, const rc__cell_layer *L, size_t slot, size_t B)
{
    sizes z = sizes_of(&L->dims);
    size_t heads = z.R + z.V;
    rc_tensor *s;
    switch (slot) {
    case S_MEMORY:
        if ((s = rc_tape_tensor(tp, 2, (size_t[]){B, z.N * z.W})))
            rc_tensor_fill(s, 1e-6f);
        return s;
    case S_READS: return rows(tp, rc_tanh(tp, L->w[READ_START]), B);
    case S_WEIGHTINGS:
        s = rc_softmax(tp, rc_reshape(tp, L->w[WEIGHTING_START], 2, (size_t[]){heads, z.N}), -1);
        return rows(tp, s ? rc_reshape(tp, s, 1, (size_t[]){heads * z.N}) : NULL, B);
    default: return rc_tape_tensor(tp, 2, (size_t[]){B, L->dims.H});
    }
}

/* n rows [B, F] side by side: [B, n F] (the row itself when n is 1). */
static rc_tensor *joined(rc_tape *tp, rc_tensor *const *x, size_t n)
{
    return n == 1 ? x[0] : rc_concat(tp, x, n, 1);
}

/* A head's weighting from its parameters p [B, W + K + 3], the memory
 * m [B, N, W] and its previous weighting [B, N] (eq. 5-9). */
static rc_tensor *address(rc_tape *tp, const sizes *z, rc_tensor *p, rc_tensor *m, rc_tensor *prev)
{
    rc_tensor *part[5], *one = constant(tp, 1.0f);
    if (!p || rc_split(tp, p, 1, (size_t[]){z->W, 1, 1, z->K, 1}, 5, part))
        return NULL;
    rc_tensor *beta = rc_softplus(tp, part[1]), *g = rc_sigmoid(tp, part[2]);
    rc_tensor *content = rc_softmax(tp, rc_mul(tp, rc_cosine_similarity(tp, m, rc_tanh(tp, part[0]), 1e-8f), beta), -1);
    rc_tensor *gated = rc_add(tp, prev, rc_mul(tp, g, rc_sub(tp, content, prev)));
    rc_tensor *shifted = rc_circular_conv(tp, gated, rc_softmax(tp, part[3], -1));
    rc_tensor *gamma = rc_add(tp, rc_softplus(tp, part[4]), one);
    return rc_softmax(tp, rc_mul(tp, rc_log(tp, shifted), gamma), -1);
}

static rc_tensor *step(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s, rc_tensor **s_new)
{
    sizes z = sizes_of(&L->dims);
    size_t B = u->shape[0], heads = z.R + z.V, N = z.N, W = z.W;
    rc_tensor *a = rc_add(tp, rc_add(tp, u, rc_linear(tp, s[S_H], L->w[RC__W_HH], L->w[RC__B_HH])),
                          rc_linear(tp, s[S_READS], L->w[W_RH], NULL));
    rc_tensor *h = rc__lstm_gates(tp, L, a, s[S_C], s_new);
    rc_tensor *p = rc_clamp(tp, rc_linear(tp, h, L->w[W_HEAD], L->w[B_HEAD]), -z.clip, z.clip);
    rc_tensor *m = rc_reshape(tp, s[S_MEMORY], 3, (size_t[]){B, N, W});
    enum { MAX_HEADS = 32 }; /* the options' R + V */
    rc_tensor *part[2 * MAX_HEADS], *prev[MAX_HEADS], *w[MAX_HEADS], *reads[1 + MAX_HEADS];
    size_t cut[2 * MAX_HEADS], rows_n[MAX_HEADS];
    for (size_t j = 0; j < heads; j++)
        cut[j] = per_head(&z), rows_n[j] = N;
    for (size_t v = 0; v < 2 * z.V; v++)
        cut[heads + v] = W;
    if (!p || !m || rc_split(tp, p, 1, cut, heads + 2 * z.V, part) ||
        rc_split(tp, s[S_WEIGHTINGS], 1, rows_n, heads, prev))
        return NULL;
    for (size_t j = 0; j < heads; j++)
        if (!(w[j] = address(tp, &z, part[j], m, prev[j])))
            return NULL;
    reads[0] = h;
    for (size_t j = 0; j < z.R; j++) /* r = sum_i w(i) M(i) */
        reads[1 + j] = rc_memory_read(tp, m, w[j]);
    rc_tensor *erase[MAX_HEADS], *add[MAX_HEADS];
    for (size_t v = 0; v < z.V; v++)
        erase[v] = rc_sigmoid(tp, part[heads + 2 * v]), add[v] = rc_tanh(tp, part[heads + 2 * v + 1]);
    rc_tensor *m_new = rc_memory_write(tp, m, rc_reshape(tp, joined(tp, w + z.R, z.V), 3, (size_t[]){B, z.V, N}),
                                       rc_reshape(tp, joined(tp, erase, z.V), 3, (size_t[]){B, z.V, W}),
                                       rc_reshape(tp, joined(tp, add, z.V), 3, (size_t[]){B, z.V, W}));
    s_new[S_MEMORY] = m_new ? rc_reshape(tp, m_new, 2, (size_t[]){B, N * W}) : NULL;
    s_new[S_READS] = joined(tp, reads + 1, z.R);
    s_new[S_WEIGHTINGS] = joined(tp, w, heads);
    return s_new[S_READS] ? rc_concat(tp, reads, 1 + z.R, 1) : NULL;
}

RC__CELL(ntm) = {
    .summary = "Neural Turing Machine: an LSTM controller with read and write heads on an N x W memory, "
               "addressed by content and location (Graves et al. 2014; Collier & Beel's stable recipe)",
    .options = options,
    .declare = declare,
    .pre = rc__torch_pre,
    .step = step,
    .initial = initial,
};
