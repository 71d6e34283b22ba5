/* pointer.c — the Pointer Network (Vinyals, Fortunato & Jaitly 2015,
 * arXiv:1506.03134, section 2.3): a decoder whose output is a distribution
 * over the positions of its input, so the answer's vocabulary grows with
 * the input (convex hulls, travelling-salesman tours).
 *
 *   e_0..e_n = encoder([end; P_1; ..; P_n])       e_j [H], P_j [F]
 *   d_0..d_m = decoder([end; P_C1; ..; P_Cm])     from the encoder's final states
 *   u_ij     = v . tanh(W1 e_j + W2 d_i)          j = 0..n (eq. 3)
 *   p(C_(i+1) = j | C_1..C_i, P) = softmax_j(u_ij)
 *
 * with W1, W2 [A, H] and v [A], A = H (the network's output width).  Input
 * rows are [P_j; 0]; the end marker is [0; 1], which the encoder reads first
 * (so that position 0 is "the end": pointing there ends the answer) and the
 * decoder reads as its first input (the paper's "go" symbol, ⇒).  In training
 * the decoder reads the targets (teacher forcing); decoding feeds it the
 * points it chose.  Positions past an example's points score -1e9 (masks:
 * examples of different sizes share a batch).  The encoder and the decoder
 * are two networks of the model's configuration, any registered cell, one
 * direction (the decoder starts from the encoder's final states).
 *
 * With n_out = K > 0 the same model is the paper's baseline, a
 * sequence-to-sequence network (Sutskever et al. 2014; Vinyals et al.'s
 * "LSTM" rows): no attention, u_i = W_o d_i + b_o over a fixed vocabulary
 * of K positions 0..K-1, so it cannot point past K - 1 (positions beyond
 * score -1e9: an answer that needs them costs about 1e9 nats).  Its decoder
 * reads the chosen points' coordinates as the Pointer Network's does. */
#include "models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rc__pointer {
    rc_rnn *dec;
    rc_tensor *w1, *w2, *v;     /* [A, H], [A, H], [A] (the Pointer Network) */
    rc_tensor *out_w, *out_b;   /* [K, H], [K] (the sequence-to-sequence baseline) */
    size_t dec_first, dec_last; /* the decoder's weights: indices in the model's parameter set */
};

static const float MASKED = -1e9f;

int rc__pointer_check(const rc_model_config *cfg)
{
    if (cfg->rnn.bidirectional)
        return rc__fail(RC_EINVAL, "model: a pointer network's decoder starts from its encoder's final states; "
                                   "the encoder cannot be bidirectional");
    if (cfg->rnn.input_size < 2)
        return rc__fail(RC_EINVAL, "model: a pointer network reads each point and an end-marker channel: input "
                                   "size at least 2, got %zu",
                        cfg->rnn.input_size);
    if (cfg->n_out == 1)
        return rc__fail(RC_EINVAL, "model: a sequence-to-sequence pointer baseline needs at least 2 positions (the "
                                   "end and a point), n_out 1 given");
    if (cfg->dropout_input > 0.0f || cfg->dropout_output > 0.0f || cfg->ar > 0.0f || cfg->tar > 0.0f)
        return rc__fail(RC_EINVAL, "model: a pointer network takes dropout between layers and on its outputs "
                                   "(dropout), not locked dropout, ar or tar");
    return RC_OK;
}

rc__pointer *rc__pointer_new(const rc_model_config *cfg, rc_params *p)
{
    rc__pointer *ptr = calloc(1, sizeof *ptr);
    if (!ptr)
        return rc__fail_null(RC_ENOMEM, "model: out of memory");
    ptr->dec_first = rc_params_count(p);
    if (!(ptr->dec = rc_rnn_new(&cfg->rnn, p, "dec.", NULL))) {
        free(ptr);
        return NULL;
    }
    ptr->dec_last = rc_params_count(p);
    size_t H = rc_rnn_output_size(ptr->dec), K = cfg->n_out;
    if (K) {
        ptr->out_w = rc_params_add(p, "head.weight", 2, (size_t[]){K, H});
        ptr->out_b = rc_params_add(p, "head.bias", 1, (size_t[]){K});
    } else {
        ptr->w1 = rc_params_add(p, "attn.w1", 2, (size_t[]){H, H});
        ptr->w2 = rc_params_add(p, "attn.w2", 2, (size_t[]){H, H});
        ptr->v = rc_params_add(p, "attn.v", 1, (size_t[]){H});
    }
    if (K ? !ptr->out_w || !ptr->out_b : !ptr->w1 || !ptr->w2 || !ptr->v) {
        rc__pointer_free(ptr);
        return NULL;
    }
    return ptr;
}

void rc__pointer_free(rc__pointer *ptr)
{
    if (ptr)
        rc_rnn_free(ptr->dec);
    free(ptr);
}

int rc__pointer_draw(const rc__pointer *ptr, size_t index, rc_tensor *t, rc_rng *rng)
{
    if (index >= ptr->dec_first && index < ptr->dec_last)
        return rc__rnn_draw(ptr->dec, t, rng) ? -1 : 1;
    if (!t || (t != ptr->w1 && t != ptr->w2 && t != ptr->v && t != ptr->out_w && t != ptr->out_b))
        return 0;
    float b = 1.0f / sqrtf((float)rc_rnn_output_size(ptr->dec));
    rc_tensor_fill_uniform(t, rng, -b, b);
    return 1;
}

/* Points of example s (n of them) from features [T, B, F], into rows
 * 1..n of x [T + 1, B, F + 1] behind the end marker [0; 1]. */
static void encoder_rows(float *x, const float *features, size_t B, size_t F, size_t s, size_t n)
{
    x[s * (F + 1) + F] = 1.0f;
    for (size_t j = 0; j < n; j++)
        memcpy(x + ((j + 1) * B + s) * (F + 1), features + (j * B + s) * F, F * sizeof(float));
}

/* Runs the encoder over b's points: e [T + 1, B, H] and its final states
 * fin; *lens gets each example's positions, n + 1. */
static rc_tensor *encode(rc_tape *tp, rc_rnn *enc, const rc_batch *b, rc_rng *rng, rc_tensor **fin, int32_t **lens)
{
    size_t T = b->T, B = b->B, F = rc_rnn_input_size(enc) - 1;
    rc_tensor *x = rc__tape_output(tp, "pointer network", 3, (size_t[]){T + 1, B, F + 1});
    int32_t *len = rc__tape_alloc(tp, B, sizeof *len);
    if (!x || !len)
        return NULL;
    memset(x->data, 0, x->size * sizeof(float));
    for (size_t s = 0; s < B; s++) {
        size_t n = b->lengths ? (size_t)b->lengths[s] : T;
        if (n == 0 || n > T)
            return rc__fail_null(RC_EINVAL, "pointer network: example %zu has %zu points, not 1..%zu", s, n, T);
        encoder_rows(x->data, b->features, B, F, s, n);
        len[s] = (int32_t)(n + 1);
    }
    rc_rnn_options o = {0};
    o.lengths = len;
    o.dropout_rng = rng;
    *lens = len;
    return rc_rnn_forward_states(tp, enc, x, &o, fin);
}

/* The keys W1 e_j [B, J, A] of encoder outputs e [J, B, H]; NULL for the
 * baseline, which has none (not an error). */
static rc_tensor *keys_of(rc_tape *tp, const rc__pointer *ptr, rc_tensor *e)
{
    return ptr->w1 ? rc_linear(tp, rc_transpose(tp, e, 0, 1), ptr->w1, NULL) : NULL;
}

/* Scores u [B, I, J] of decoder outputs d [I, B, H]: against keys k [B, J,
 * A], or (the baseline) its K positions, cut or padded to J. */
static rc_tensor *scores(rc_tape *tp, const rc__pointer *ptr, rc_tensor *k, rc_tensor *d, size_t J)
{
    rc_tensor *dt = rc_transpose(tp, d, 0, 1);
    if (!ptr->out_w)
        return rc_additive_attention(tp, k, rc_linear(tp, dt, ptr->w2, NULL), ptr->v);
    rc_tensor *u = rc_linear(tp, dt, ptr->out_w, ptr->out_b);
    size_t K = ptr->out_w->shape[0];
    if (!u || J == K)
        return u;
    if (J < K)
        return rc_slice(tp, u, 2, 0, J);
    rc_tensor *beyond = rc__tape_output(tp, "pointer network", 3, (size_t[]){u->shape[0], u->shape[1], J - K});
    if (!beyond)
        return NULL;
    for (size_t i = 0; i < beyond->size; i++)
        beyond->data[i] = MASKED;
    return rc_concat(tp, (rc_tensor *[]){u, beyond}, 2, 2);
}

rc_tensor *rc__pointer_logits(rc_tape *tp, const rc__pointer *ptr, rc_rnn *enc, const rc_batch *b, float dropout,
                              rc_rng *rng)
{
    size_t T = b->T, B = b->B, J = T + 1, F = rc_rnn_input_size(enc) - 1;
    rc_tensor *fin[RC_MAX_STATES] = {0};
    int32_t *len;
    rc_tensor *e = encode(tp, enc, b, rng, fin, &len);
    rc_tensor *xd = rc__tape_output(tp, "pointer network", 3, (size_t[]){J, B, F + 1});
    int32_t *dlen = rc__tape_alloc(tp, B, sizeof *dlen);
    if (!e || !xd || !dlen)
        return NULL;
    /* the decoder's inputs: the end marker, then the points the targets chose */
    memset(xd->data, 0, xd->size * sizeof(float));
    for (size_t s = 0; s < B; s++) {
        size_t n = (size_t)len[s] - 1, rows = 0;
        xd->data[s * (F + 1) + F] = 1.0f;
        for (size_t i = 0; i < J && b->targets[i * B + s] >= 0; i++, rows++) {
            int32_t c = b->targets[i * B + s];
            if ((size_t)c > n)
                return rc__fail_null(RC_EINVAL, "pointer network: example %zu points at position %d of %zu", s, c, n);
            if (c == 0) { /* the end: the answer is complete */
                rows++;
                break;
            }
            if (i + 1 < J)
                memcpy(xd->data + ((i + 1) * B + s) * (F + 1), b->features + ((size_t)(c - 1) * B + s) * F,
                       F * sizeof(float));
        }
        for (size_t i = rows; i < J; i++)
            if (b->targets[i * B + s] >= 0)
                return rc__fail_null(RC_EINVAL, "pointer network: example %zu has targets after its end", s);
        dlen[s] = rows ? (int32_t)rows : 1;
    }
    rc_rnn_options o = {0};
    o.states0 = fin;
    o.lengths = dlen;
    o.dropout_rng = rng;
    rc_tensor *d = rc_rnn_forward_states(tp, ptr->dec, xd, &o, NULL);
    e = rc__maybe_dropout(tp, e, dropout, rng), d = rc__maybe_dropout(tp, d, dropout, rng);
    rc_tensor *u = rc_transpose(tp, scores(tp, ptr, keys_of(tp, ptr, e), d, J), 0, 1); /* [I, B, J] */
    rc_tensor *keep = rc__tape_output(tp, "pointer network", 3, (size_t[]){J, B, J});
    rc_tensor *mask = rc__tape_output(tp, "pointer network", 3, (size_t[]){J, B, J});
    if (!u || !keep || !mask)
        return NULL;
    for (size_t i = 0; i < J; i++)
        for (size_t s = 0; s < B; s++)
            for (size_t j = 0; j < J; j++) {
                int in = j < (size_t)len[s];
                keep->data[(i * B + s) * J + j] = in ? 1.0f : 0.0f;
                mask->data[(i * B + s) * J + j] = in ? 0.0f : MASKED;
            }
    return rc_add(tp, rc_mul(tp, u, keep), mask); /* masked: exactly MASKED, no gradient */
}

/* ------------------------------------------------------------ decoding */

/* One candidate answer of one example. */
typedef struct {
    double score;   /* log-probability so far */
    int state;      /* 0 unused, 1 running, 2 ended (pointed at the end), 3 out of steps */
    size_t from;    /* the beam it extends (selection) */
    int32_t choice; /* the position it adds, or -1: carried as it is */
} cand;

/* Candidates in order: the higher score first, ties to the earlier beam
 * and position (deterministic). */
static int cand_before(const cand *a, const cand *b)
{
    if (a->score != b->score)
        return a->score > b->score;
    if (a->from != b->from)
        return a->from < b->from;
    return a->choice < b->choice;
}

/* 1 when tours allow position j for a beam that has visited `seen` (a byte
 * per position) and chosen `count` points of n. */
static int allowed(int tours, const unsigned char *seen, size_t count, size_t n, size_t j)
{
    if (j > n)
        return 0;
    if (!tours)
        return 1;
    return j == 0 ? count == n : !seen[j];
}

int rc_pointer_decode(rc_model *m, const rc_batch *b, size_t beam, int tours, int32_t *out)
{
    if (!m || !b || !out || !b->features || b->T == 0 || b->B == 0 || beam == 0)
        return rc__fail(RC_EINVAL, "rc_pointer_decode: needs a model, a batch of points, a beam of at least 1 "
                                   "and an output");
    const rc__pointer *ptr = rc__model_pointer(m);
    if (!ptr)
        return rc__fail(RC_EINVAL, "rc_pointer_decode: a %s model is not a pointer network",
                        rc_task_name(rc_model_config_of(m)->task));
    rc_rnn *enc = rc_model_rnn(m);
    size_t T = b->T, B = b->B, J = T + 1, K = beam, R = B * K, F = rc_rnn_input_size(enc) - 1;
    size_t H = rc_rnn_output_size(enc), S = rc_rnn_state_count(ptr->dec);
    rc_tape *tp = rc_tape_new();
    cand *beams = calloc(R, sizeof *beams), *chosen = calloc(R, sizeof *chosen), *pool = malloc((K + K * J) * sizeof *pool);
    int32_t *hist = calloc(R * J, sizeof *hist), *next_hist = calloc(R * J, sizeof *hist);
    unsigned char *seen = calloc(R * J, 1), *next_seen = calloc(R * J, 1);
    size_t *count = calloc(R, sizeof *count), *next_count = calloc(R, sizeof *count);
    int status = RC_ENOMEM;
    if (!tp || !beams || !chosen || !pool || !hist || !next_hist || !seen || !next_seen || !count || !next_count) {
        rc__fail(RC_ENOMEM, "rc_pointer_decode: out of memory for %zu candidates of %zu positions", R, J);
        goto done;
    }
    rc_tape_set_grad_enabled(tp, 0);
    rc_tensor *fin[RC_MAX_STATES] = {0}, *states[RC_MAX_STATES] = {0};
    int32_t *len;
    rc_tensor *e = encode(tp, enc, b, NULL, fin, &len), *k1 = e ? keys_of(tp, ptr, e) : NULL, *keys = NULL, *x;
    if (!e || (ptr->w1 && (!k1 || !(keys = rc_tape_tensor(tp, 3, (size_t[]){R, J, H})))) ||
        !(x = rc_tape_tensor(tp, 3, (size_t[]){1, R, F + 1}))) {
        status = rc_last_status();
        goto done;
    }
    for (size_t r = 0; keys && r < R; r++) /* each beam its example's keys and states */
        memcpy(keys->data + r * J * H, k1->data + (r / K) * J * H, J * H * sizeof(float));
    for (size_t i = 0; i < S; i++) {
        size_t L = fin[i]->shape[0], W = fin[i]->shape[2];
        if (!(states[i] = rc_tape_tensor(tp, 3, (size_t[]){L, R, W}))) {
            status = rc_last_status();
            goto done;
        }
        for (size_t l = 0; l < L; l++)
            for (size_t r = 0; r < R; r++)
                memcpy(states[i]->data + (l * R + r) * W, fin[i]->data + (l * B + r / K) * W, W * sizeof(float));
    }
    for (size_t s = 0; s < B; s++)
        beams[s * K].state = 1; /* one running beam per example; the others empty */
    memset(x->data, 0, x->size * sizeof(float));
    for (size_t r = 0; r < R; r++)
        x->data[r * (F + 1) + F] = 1.0f; /* the go symbol */
    for (size_t t = 0; t < J; t++) {
        int running = 0;
        for (size_t r = 0; r < R; r++)
            running |= beams[r].state == 1;
        if (!running)
            break;
        rc_rnn_options o = {0};
        o.states0 = states;
        rc_tensor *next[RC_MAX_STATES] = {0};
        rc_tensor *y = rc_rnn_forward_states(tp, ptr->dec, x, &o, next);
        rc_tensor *u = y ? scores(tp, ptr, keys, y, J) : NULL; /* [R, 1, J] */
        if (!u) {
            status = rc_last_status();
            goto done;
        }
        for (size_t s = 0; s < B; s++) {
            size_t n = (size_t)len[s] - 1, np = 0;
            cand *c = pool;
            for (size_t k = 0; k < K; k++) {
                size_t r = s * K + k;
                if (beams[r].state >= 2) /* finished: carried as it is */
                    c[np++] = (cand){beams[r].score, beams[r].state, r, -1};
                if (beams[r].state != 1)
                    continue;
                const float *row = u->data + r * J;
                double top = -INFINITY, sum = 0.0;
                for (size_t j = 0; j < J; j++)
                    if (allowed(tours, seen + r * J, count[r], n, j))
                        top = row[j] > top ? row[j] : top;
                for (size_t j = 0; j < J; j++)
                    if (allowed(tours, seen + r * J, count[r], n, j))
                        sum += exp(row[j] - top);
                for (size_t j = 0; j < J; j++)
                    if (allowed(tours, seen + r * J, count[r], n, j))
                        c[np++] = (cand){beams[r].score + row[j] - top - log(sum), j == 0 ? 2 : t == n ? 3 : 1, r,
                                         (int32_t)j};
            }
            /* keep the best K: a partial selection sort, K is small */
            for (size_t k = 0; k < K && k < np; k++) {
                size_t best = k;
                for (size_t q = k + 1; q < np; q++)
                    best = cand_before(&c[q], &c[best]) ? q : best;
                cand tmp = c[k];
                c[k] = c[best], c[best] = tmp;
            }
            for (size_t k = 0; k < K; k++) {
                size_t r = s * K + k;
                chosen[r] = k < np ? c[k] : (cand){0};
                if (k >= np) /* stays empty */
                    continue;
                size_t from = c[k].from;
                memcpy(next_hist + r * J, hist + from * J, J * sizeof *hist);
                memcpy(next_seen + r * J, seen + from * J, J);
                next_count[r] = count[from];
                if (c[k].choice >= 0) {
                    next_hist[r * J + t] = c[k].choice;
                    next_seen[r * J + (size_t)c[k].choice] = 1;
                    next_count[r] += c[k].choice > 0;
                }
            }
        }
        /* the selected beams become the beams: their states, histories and next inputs */
        for (size_t i = 0; i < S; i++) {
            size_t L = next[i]->shape[0], W = next[i]->shape[2];
            for (size_t l = 0; l < L; l++)
                for (size_t r = 0; r < R; r++)
                    if (chosen[r].state)
                        memcpy(states[i]->data + (l * R + r) * W, next[i]->data + (l * R + chosen[r].from) * W,
                               W * sizeof(float));
        }
        for (size_t r = 0; r < R; r++) {
            cand c = chosen[r];
            beams[r] = (cand){c.score, c.state, r, -1};
            if (c.state && c.choice > 0) { /* the point chosen, as the decoder reads it in training */
                memcpy(x->data + r * (F + 1), b->features + ((size_t)(c.choice - 1) * B + r / K) * F,
                       F * sizeof(float));
                x->data[r * (F + 1) + F] = 0.0f;
            }
        }
        int32_t *th = hist;
        hist = next_hist, next_hist = th;
        unsigned char *ts = seen;
        seen = next_seen, next_seen = ts;
        size_t *tc = count;
        count = next_count, next_count = tc;
    }
    /* each example's answer: its best ended beam, else its best one */
    for (size_t s = 0; s < B; s++) {
        size_t best = s * K;
        for (size_t r = s * K + 1; r < (s + 1) * K; r++) {
            const cand *a = &beams[r], *z = &beams[best];
            if (a->state && ((a->state == 2) > (z->state == 2) ||
                             ((a->state == 2) == (z->state == 2) && a->score > z->score)))
                best = r;
        }
        size_t steps = count[best] + (beams[best].state == 2); /* its points, then the end when it pointed there */
        for (size_t t = 0; t < J; t++)
            out[t * B + s] = t < steps ? hist[best * J + t] : -1;
    }
    status = RC_OK;
done:
    rc_tape_free(tp);
    free(beams), free(chosen), free(pool), free(hist), free(next_hist), free(seen), free(next_seen), free(count), free(next_count);
    return status;
}
