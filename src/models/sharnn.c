/* sharnn.c — the Single Headed Attention RNN (Merity 2019, "Single
 * Headed Attention RNN: Stop Thinking With Your Head", arXiv:1911.11423),
 * as its reference code (Smerity/sha-rnn, model.py) computes it, around
 * the layers of a network as wide as the embedding E.  Block k of L:
 *   h = LN_start(h)
 *   h = drop(layer_k(h))                       (the reference's residual=False)
 *   if k = L - 2 (the attention block):
 *       m = LN_mem(h);  h = LN_mid(h)
 *       K = [memory; m]                         (memory: the past positions kept)
 *       h = h + drop(attention(h, K))
 *   h = LN_ff(h) + drop(boom(LN_xff(h)))
 * attention(h, K), one head of width E:
 *   q = sigmoid(g_q) * LN_q(W_q h + b_q)
 *   k = sigmoid(g_k) * K
 *   v = sigmoid(f) * tanh(c) * K,  [c | f] = W_v sigmoid(g_v) + b_v   (Overparam)
 *   q and v dropped; A = softmax(q k^T / sqrt(E) + mask) dropped; out = A v
 * the mask letting position t of the window see the memory and the window's
 * positions up to t.  boom(x) = the sum of the E-wide chunks of
 * GELU(W_1 x + b_1) [F] (dropped), GELU(x) = x sigmoid(1.702 x).  Layer norms
 * have eps 1e-12.  The memory holds LN_mem(h) of the last sha_memory
 * positions, oldest first, carried (and detached) like the layers' states;
 * a call uses its last sha_memory - T rows, so the attention sees at most
 * sha_memory positions (none of the memory when sha_memory <= T, where the
 * reference's slice m[-(N - T):] would keep all of it or drop its first
 * rows instead; its own settings, 5000 against windows of at most 1024,
 * never get there).  drop: ordinary dropout at the network's between-layer
 * rate (the reference's dropouth; locked dropout is refused).  The
 * embedding's and the output's dropout are the model's one rate `dropout`
 * (the reference's dropouti and dropout, equal in its published settings).
 * Checked side by side against model.py (float64, weights of +-0.5, windows
 * carried, memories shorter and longer than the window) to 7.4e-6 in the
 * logits: tests/test_sha.c holds the equations it was checked with.  Drawn as the reference draws:
 * linear maps N(0, 0.1/sqrt(E)), their biases 0, layer norms 1 and 0, the
 * gates g 0; the layers as their cell draws them.
 * Weights, beside the layers' rnn.*_l{k}: blocks.{k}.ln_start, ln_ff, ln_xff
 * (.weight, .bias [E]), blocks.{k}.boom.weight [F, E], .bias [F]; the
 * attention block's ln_mid, ln_mem, attn.q.weight [E, E], .bias [E],
 * attn.q_ln (.weight, .bias), attn.gate_q, gate_k, gate_v [E],
 * attn.vq.weight [2E, E], .bias [2E].  sha_no_attention: the same blocks
 * without the attention (nor its weights and memory), the paper's
 * ablation. */
#include "models.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LN_START, LN_FF, LN_XFF, LN_MID, LN_MEM, LN_Q, N_LN };

typedef struct {
    rc_tensor *ln[N_LN][2];       /* weight, bias; LN_MID.. only in the attention block */
    rc_tensor *boom_w, *boom_b;   /* [F, E], [F] */
    rc_tensor *q_w, *q_b;         /* [E, E], [E] */
    rc_tensor *gate[3];           /* q, k, v: [E] */
    rc_tensor *vq_w, *vq_b;       /* [2E, E], [2E] */
} block;

struct rc__sha {
    size_t L, E, F, N;            /* blocks, width, boom width, memory */
    int attention;                /* 0: the blocks without it (sha_no_attention) */
    block *blocks;                /* [L] */
};

static const char *const ln_names[N_LN] = {"ln_start", "ln_ff", "ln_xff", "ln_mid", "ln_mem", "attn.q_ln"};

/* The block with the attention, or L (none). */
static size_t attention_block(const rc__sha *s) { return s->attention ? s->L - 2 : s->L; }

int rc__sha_check(const rc_model_config *cfg)
{
    const rc_rnn_config *r = &cfg->rnn;
    size_t E = r->input_size, F = cfg->sha_ff ? cfg->sha_ff : 4 * E;
    if (cfg->task != RC_TASK_LM)
        return rc__fail(RC_EINVAL, "model: a SHA-RNN is a language model (task lm), not %s", rc_task_name(cfg->task));
    if (r->dropout_locked)
        return rc__fail(RC_EINVAL, "model: a SHA-RNN's blocks drop as the reference does, with ordinary dropout "
                                   "(--layer-dropout), not locked dropout (--dropout-hidden)");
    if (r->num_layers < (cfg->sha_no_attention ? 1u : 2u) || r->bidirectional || r->residual)
        return rc__fail(RC_EINVAL, "model: a SHA-RNN needs at least 2 layers (its attention is in the "
                                   "second-to-last), one direction and no residual links of the network's own");
    for (size_t l = 0; l < r->num_layers; l++)
        if (rc_rnn_config_layer_size(r, l) != r->hidden_size)
            return rc__fail(RC_EINVAL, "model: a SHA-RNN's layers all keep the embedding's width; no hidden_sizes");
    if (F % E || F == 0)
        return rc__fail(RC_EINVAL, "model: sha_ff %zu is not a multiple of the embedding size %zu", F, E);
    return RC_OK;
}

static int add(rc_params *p, rc_tensor **t, const char *name, size_t k, size_t rows, size_t cols)
{
    char full[96];
    snprintf(full, sizeof full, "blocks.%zu.%s", k, name);
    *t = cols ? rc_params_add(p, full, 2, (size_t[]){rows, cols}) : rc_params_add(p, full, 1, (size_t[]){rows});
    return *t ? RC_OK : rc_last_status();
}

rc__sha *rc__sha_new(const rc_model_config *cfg, rc_params *p)
{
    rc__sha *s = calloc(1, sizeof *s);
    if (s)
        s->blocks = calloc(cfg->rnn.num_layers, sizeof *s->blocks);
    if (!s || !s->blocks) {
        rc__sha_free(s);
        return rc__fail_null(RC_ENOMEM, "model: out of memory");
    }
    s->L = cfg->rnn.num_layers, s->E = cfg->rnn.input_size;
    s->F = cfg->sha_ff ? cfg->sha_ff : 4 * s->E;
    s->N = cfg->sha_memory ? cfg->sha_memory : 5000;
    s->attention = !cfg->sha_no_attention;
    size_t E = s->E;
    int st = RC_OK;
    for (size_t k = 0; !st && k < s->L; k++) {
        block *b = &s->blocks[k];
        size_t n_ln = k == attention_block(s) ? N_LN : LN_MID;
        for (size_t i = 0; !st && i < n_ln; i++) {
            char name[64];
            snprintf(name, sizeof name, "%s.weight", ln_names[i]);
            st = add(p, &b->ln[i][0], name, k, E, 0);
            snprintf(name, sizeof name, "%s.bias", ln_names[i]);
            if (!st)
                st = add(p, &b->ln[i][1], name, k, E, 0);
        }
        if (!st)
            st = add(p, &b->boom_w, "boom.weight", k, s->F, E);
        if (!st)
            st = add(p, &b->boom_b, "boom.bias", k, s->F, 0);
        if (st || k != attention_block(s))
            continue;
        static const char *const gates[3] = {"attn.gate_q", "attn.gate_k", "attn.gate_v"};
        st = add(p, &b->q_w, "attn.q.weight", k, E, E);
        if (!st)
            st = add(p, &b->q_b, "attn.q.bias", k, E, 0);
        for (size_t g = 0; !st && g < 3; g++)
            st = add(p, &b->gate[g], gates[g], k, E, 0);
        if (!st)
            st = add(p, &b->vq_w, "attn.vq.weight", k, 2 * E, E);
        if (!st)
            st = add(p, &b->vq_b, "attn.vq.bias", k, 2 * E, 0);
    }
    if (st) {
        rc__sha_free(s);
        return NULL;
    }
    return s;
}

void rc__sha_free(rc__sha *s)
{
    if (s)
        free(s->blocks);
    free(s);
}

size_t rc__sha_memory(const rc__sha *s) { return s->N; }

int rc__sha_attention(const rc__sha *s) { return s->attention; }

int rc__sha_draw(const rc__sha *s, rc_tensor *t, rc_rng *rng)
{
    float std = 0.1f / sqrtf((float)s->E);
    for (size_t k = 0; k < s->L; k++) {
        const block *b = &s->blocks[k];
        for (size_t i = 0; i < N_LN; i++)
            if (t == b->ln[i][0] || t == b->ln[i][1]) {
                rc_tensor_fill(t, t == b->ln[i][0] ? 1.0f : 0.0f);
                return 1;
            }
        if (t == b->boom_w || t == b->q_w || t == b->vq_w) {
            rc_tensor_fill_normal(t, rng, 0.0f, std);
            return 1;
        }
        if (t == b->boom_b || t == b->q_b || t == b->vq_b || t == b->gate[0] || t == b->gate[1] || t == b->gate[2]) {
            rc_tensor_fill(t, 0.0f);
            return 1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------ the pass */

typedef struct {
    const rc__sha *s;
    rc_rng *rng;           /* training: dropout */
    float p;               /* the blocks' dropout */
    rc_tensor *mem0;       /* [N, B, E] */
    size_t mem_len;        /* rows of mem0 filled */
    rc_tensor *mem_n, *len_n;
} pass;

static rc_tensor *drop(rc_tape *tp, const pass *ps, rc_tensor *x)
{
    return ps->rng && ps->p > 0.0f ? rc_dropout(tp, x, ps->p, ps->rng) : x;
}

static rc_tensor *norm(rc_tape *tp, const block *b, int i, rc_tensor *x)
{
    return rc_layer_norm(tp, x, b->ln[i][0], b->ln[i][1], 1e-12f);
}

/* x sigmoid(1.702 x) */
static rc_tensor *gelu(rc_tape *tp, rc_tensor *x) { return rc_mul(tp, x, rc_sigmoid(tp, rc_scale(tp, x, 1.702f))); }

/* h [T, B, E]: the sum of the E-wide chunks of drop(GELU(W_1 h + b_1)). */
static rc_tensor *boom(rc_tape *tp, const pass *ps, const block *b, rc_tensor *h)
{
    size_t T = h->shape[0], B = h->shape[1], E = ps->s->E, F = ps->s->F;
    rc_tensor *x = drop(tp, ps, gelu(tp, rc_linear(tp, h, b->boom_w, b->boom_b)));
    x = rc_sum(tp, rc_reshape(tp, x, 3, (size_t[]){T * B, F / E, E}), 1);
    return rc_reshape(tp, x, 3, (size_t[]){T, B, E});
}

/* Row b of x [n, B, E] as [n, E]. */
static rc_tensor *column(rc_tape *tp, rc_tensor *x, size_t b)
{
    return rc_reshape(tp, rc_slice(tp, x, 1, b, 1), 2, (size_t[]){x->shape[0], x->shape[2]});
}

/* The attention block's middle: h [T, B, E] -> h + drop(attention); the
 * memory carried on in ps. */
static rc_tensor *attend(rc_tape *tp, pass *ps, const block *b, rc_tensor *h)
{
    const rc__sha *s = ps->s;
    size_t T = h->shape[0], B = h->shape[1], E = s->E, N = s->N;
    size_t used = N > T ? (ps->mem_len < N - T ? ps->mem_len : N - T) : 0, K = used + T;
    rc_tensor *m = norm(tp, b, LN_MEM, h);
    h = norm(tp, b, LN_MID, h);
    rc_tensor *keys = m; /* [K, B, E]: the memory's last `used` rows, then this window's */
    if (used && m)
        keys = rc_concat(tp, (rc_tensor *[]){rc_slice(tp, ps->mem0, 0, ps->mem_len - used, used), m}, 2, 0);
    /* the memory after this call: the last min(N, K) positions, zeros after */
    size_t kept = K < N ? K : N;
    rc_tensor *tail = rc_slice(tp, keys, 0, K - kept, kept);
    ps->mem_n = kept < N ? rc_concat(tp, (rc_tensor *[]){tail, rc_tape_tensor(tp, 3, (size_t[]){N - kept, B, E})}, 2, 0)
                         : tail;
    ps->len_n = rc_tape_tensor(tp, 3, (size_t[]){1, B, 1});
    if (!ps->mem_n || !ps->len_n)
        return NULL;
    rc_tensor_fill(ps->len_n, (float)kept);
    /* gates: q and k by sigmoid(g); v by the overparameterised sigmoid(f) tanh(c) */
    rc_tensor *vg = rc_linear(tp, rc_sigmoid(tp, b->gate[2]), b->vq_w, b->vq_b), *cf[2];
    if (!vg || rc_split(tp, vg, 0, (size_t[]){E, E}, 2, cf))
        return NULL;
    rc_tensor *q = rc_mul(tp, rc_sigmoid(tp, b->gate[0]), norm(tp, b, LN_Q, rc_linear(tp, h, b->q_w, b->q_b)));
    rc_tensor *k = rc_mul(tp, rc_sigmoid(tp, b->gate[1]), keys);
    rc_tensor *v = rc_mul(tp, rc_mul(tp, rc_sigmoid(tp, cf[1]), rc_tanh(tp, cf[0])), keys);
    q = drop(tp, ps, q), v = drop(tp, ps, v);
    rc_tensor *mask = rc_tape_tensor(tp, 2, (size_t[]){T, K});
    rc_tensor **mixed = rc__tape_alloc(tp, B, sizeof *mixed);
    if (!q || !k || !v || !mask || !mixed)
        return NULL;
    for (size_t t = 0; t < T; t++) /* window position t sees the memory and positions up to t */
        for (size_t j = used + t + 1; j < K; j++)
            mask->data[t * K + j] = -1e9f;
    for (size_t i = 0; i < B; i++) {
        rc_tensor *scores = rc_add(tp, rc_scale(tp, rc_matmul(tp, column(tp, q, i), column(tp, k, i), 0, 1),
                                                1.0f / sqrtf((float)E)),
                                   mask);
        rc_tensor *a = drop(tp, ps, rc_softmax(tp, scores, 1));
        mixed[i] = rc_reshape(tp, rc_matmul(tp, a, column(tp, v, i), 0, 0), 3, (size_t[]){T, 1, E});
        if (!mixed[i])
            return NULL;
    }
    return rc_add(tp, h, drop(tp, ps, rc_concat(tp, mixed, B, 1)));
}

static rc_tensor *before(rc_tape *tp, size_t l, rc_tensor *x, void *ctx)
{
    pass *ps = ctx;
    return norm(tp, &ps->s->blocks[l], LN_START, x);
}

static rc_tensor *after(rc_tape *tp, size_t l, rc_tensor *y, void *ctx)
{
    pass *ps = ctx;
    const block *b = &ps->s->blocks[l];
    rc_tensor *h = drop(tp, ps, y);
    if (l == attention_block(ps->s))
        h = h ? attend(tp, ps, b, h) : NULL;
    if (!h)
        return NULL;
    return rc_add(tp, norm(tp, b, LN_FF, h), drop(tp, ps, boom(tp, ps, b, norm(tp, b, LN_XFF, h))));
}

rc_tensor *rc__sha_forward(rc_tape *tp, const rc__sha *s, rc_rnn *rnn, rc_tensor *x, const rc_rnn_options *o,
                           rc_tensor *mem0, rc_tensor *len0, rc_tensor **states_n)
{
    size_t B = x->shape[1], n = rc_rnn_state_count(rnn);
    char sh[64];
    if (mem0 && (mem0->ndim != 3 || mem0->shape[0] != s->N || mem0->shape[1] != B || mem0->shape[2] != s->E))
        return rc__fail_null(RC_ESHAPE, "sha-rnn: memory must be [%zu, %zu, %zu], got %s", s->N, B, s->E,
                             rc_shape_str(mem0, sh, sizeof sh));
    int same = 1; /* one fill for every column: the memory's rows are positions of all of them */
    for (size_t b = 1; len0 && len0->size == B && b < B; b++)
        same &= len0->data[b] == len0->data[0];
    if (!mem0 != !len0 || (len0 && (len0->size != B || !same || len0->data[0] < 0.0f || len0->data[0] > (float)s->N ||
                                    len0->data[0] != floorf(len0->data[0]))))
        return rc__fail_null(RC_EINVAL, "sha-rnn: memory_len must come with the memory, [1, %zu, 1], one whole "
                                        "number of positions in 0..%zu in every column",
                             B, s->N);
    pass ps = {s, o->dropout_rng, rc_rnn_config_of(rnn)->dropout, mem0, len0 ? (size_t)len0->data[0] : 0, NULL, NULL};
    if (!mem0 && !(ps.mem0 = rc_tape_tensor(tp, 3, (size_t[]){s->N, B, s->E})))
        return NULL;
    rc__rnn_hooks hooks = {before, after, &ps};
    rc_tensor *y = rc__rnn_forward_hooked(tp, rnn, x, o, states_n, &hooks);
    if (y && states_n && s->attention)
        states_n[n] = ps.mem_n, states_n[n + 1] = ps.len_n;
    return y;
}
