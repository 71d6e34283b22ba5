/* seqmodel.c — task models: a recurrent network between a task's input
 * and output layers (see "task models" in recur.h).  One parameter set
 * holds every weight, so one optimizer and one file cover the model. */
#include "models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rc_model {
    rc_model_config cfg;
    rc_params *params;
    rc_rnn *rnn;
    rc_tensor *embed;               /* lm: [V, E] (V: vocab_size, or n_out) */
    rc_tensor *head_w, *head_b;     /* [n_out, D*H_out], [n_out] */
    rc__sha *sha;                   /* a SHA-RNN's blocks, or NULL */
    rc__pointer *pointer;           /* a pointer network's decoder and attention, or NULL */
};

static const char *const task_names[RC_TASK_COUNT] = {
#define RC__TASK_NAME(id, name) [id] = name,
    RC_TASK_LIST(RC__TASK_NAME)
#undef RC__TASK_NAME
};

const char *rc_task_name(int task) { return task >= 0 && task < RC_TASK_COUNT ? task_names[task] : NULL; }

int rc_task_from_name(const char *name) { return rc__name_index(task_names, RC_TASK_COUNT, name); }

/* 1 when the head reads the final states, not every step's output. */
static int reads_final_states(int task) { return task == RC_TASK_CLASSIFY || task == RC_TASK_REGRESS; }

static int check_config(const rc_model_config *cfg)
{
    if (!cfg || !rc_task_name(cfg->task))
        return rc__fail(RC_EINVAL, "model: unknown task");
    if (cfg->task == RC_TASK_POINTER && (rc__pointer_check(cfg) || cfg->sha_rnn))
        return cfg->sha_rnn ? rc__fail(RC_EINVAL, "model: a pointer network cannot be a SHA-RNN") : rc_last_status();
    if (cfg->task != RC_TASK_POINTER && (cfg->n_out == 0 || (cfg->task == RC_TASK_MUSIC && cfg->n_out != RC_PIANO_KEYS)))
        return rc__fail(RC_EINVAL, "model: %s needs %s outputs, got %zu", rc_task_name(cfg->task),
                        cfg->task == RC_TASK_MUSIC ? "88" : "at least 1", cfg->n_out);
    if (cfg->task == RC_TASK_MUSIC && cfg->rnn.input_size != RC_PIANO_KEYS)
        return rc__fail(RC_EINVAL, "model: music takes 88 keys as input, the network has input %zu",
                        cfg->rnn.input_size);
    if (cfg->task == RC_TASK_AUDIO && cfg->mixtures == 0)
        return rc__fail(RC_EINVAL, "model: audio needs at least one mixture component per sample");
    if (cfg->task != RC_TASK_AUDIO && cfg->mixtures != 0)
        return rc__fail(RC_EINVAL, "model: mixtures are for the audio task, not %s", rc_task_name(cfg->task));
    const float rates[] = {cfg->dropout, cfg->dropout_embed, cfg->dropout_input, cfg->dropout_output};
    static const char *const names[] = {"dropout", "dropout_embed", "dropout_input", "dropout_output"};
    for (size_t i = 0; i < 4; i++)
        if (!(rates[i] >= 0.0f && rates[i] < 1.0f))
            return rc__fail(RC_EINVAL, "model: %s %g is not in [0, 1)", names[i], (double)rates[i]);
    if (!(cfg->ar >= 0.0f && cfg->tar >= 0.0f && isfinite(cfg->ar) && isfinite(cfg->tar)))
        return rc__fail(RC_EINVAL, "model: ar %g and tar %g must be finite and at least 0", (double)cfg->ar,
                        (double)cfg->tar);
    if (cfg->task != RC_TASK_LM && (cfg->dropout_embed > 0.0f || cfg->tie_weights || cfg->vocab_size))
        return rc__fail(RC_EINVAL, "model: embeddings (their size, dropout, tied weights) are for the lm task, "
                                   "not %s",
                        rc_task_name(cfg->task));
    if (cfg->tie_weights && cfg->vocab_size && cfg->vocab_size != cfg->n_out)
        return rc__fail(RC_EINVAL, "model: tied weights need as many outputs (%zu) as embedding rows (%zu)",
                        cfg->n_out, cfg->vocab_size);
    if (reads_final_states(cfg->task) && (cfg->ar > 0.0f || cfg->tar > 0.0f))
        return rc__fail(RC_EINVAL, "model: ar and tar regularise outputs at every step; %s reads the final "
                                   "states only",
                        rc_task_name(cfg->task));
    if (cfg->sha_rnn && rc__sha_check(cfg))
        return rc_last_status();
    return rc_rnn_config_check(&cfg->rnn);
}

rc_model *rc__model_alloc(const rc_model_config *cfg)
{
    if (check_config(cfg))
        return NULL;
    rc_model *m = calloc(1, sizeof *m);
    if (!m || !(m->params = rc_params_new())) {
        free(m);
        return rc__fail_null(RC_ENOMEM, "model: out of memory");
    }
    m->cfg = *cfg;
    size_t V = cfg->vocab_size ? cfg->vocab_size : cfg->n_out;
    if (cfg->task == RC_TASK_LM && !(m->embed = rc_params_add(m->params, "embed.weight", 2, (size_t[]){V, cfg->rnn.input_size})))
        goto fail;
    if (!(m->rnn = rc_rnn_new(&cfg->rnn, m->params, "rnn.", NULL)))
        goto fail;
    if (cfg->sha_rnn) {
        if (!(m->sha = rc__sha_new(cfg, m->params)))
            goto fail;
        m->cfg.sha_ff = cfg->sha_ff ? cfg->sha_ff : 4 * cfg->rnn.input_size;
        m->cfg.sha_memory = rc__sha_memory(m->sha);
    }
    if (cfg->task == RC_TASK_POINTER)
        return (m->pointer = rc__pointer_new(cfg, m->params)) ? m : (rc_model_free(m), NULL);
    size_t width = rc_rnn_output_size(m->rnn), outs = cfg->n_out;
    if (cfg->tie_weights && width != cfg->rnn.input_size) {
        rc__fail(RC_EINVAL, "model: tied weights need the network's output width (%zu) to equal the embedding's "
                            "(%zu)",
                 width, cfg->rnn.input_size);
        goto fail;
    }
    if (cfg->task == RC_TASK_AUDIO && !rc__mul_size(outs, 3 * cfg->mixtures, &outs)) {
        rc__fail(RC_EINVAL, "model: %zu outputs of %zu mixtures are too many", cfg->n_out, cfg->mixtures);
        goto fail;
    }
    m->head_w = cfg->tie_weights ? m->embed : rc_params_add(m->params, "head.weight", 2, (size_t[]){outs, width});
    m->head_b = rc_params_add(m->params, "head.bias", 1, (size_t[]){outs});
    if (!m->head_w || !m->head_b)
        goto fail;
    return m;
fail:
    rc_model_free(m);
    return NULL;
}

rc_model *rc_model_new(const rc_model_config *cfg, rc_rng *rng)
{
    rc_model *m = rc__model_alloc(cfg);
    if (!m || !rng)
        return m;
    float sha_std = m->sha ? 0.1f / sqrtf((float)cfg->rnn.input_size) : 0.0f; /* the reference's draw */
    for (size_t i = 0; i < rc_params_count(m->params); i++) {
        rc_tensor *t = rc_params_tensor(m->params, i);
        int drew = m->pointer ? rc__pointer_draw(m->pointer, i, t, rng) : 0; /* its decoder's, its attention's */
        if (drew < 0) {
            rc_model_free(m);
            return NULL;
        }
        if (drew)
            continue;
        if (m->sha && (t == m->embed || t == m->head_w))
            rc_tensor_fill_normal(t, rng, 0.0f, sha_std);
        else if (m->sha && t == m->head_b)
            rc_tensor_fill(t, 0.0f);
        else if (m->sha && rc__sha_draw(m->sha, t, rng))
            continue;
        else if (t == m->embed)
            rc_tensor_fill_normal(t, rng, 0.0f, 0.1f);
        else if (t == m->head_w || t == m->head_b)
            rc_tensor_fill_uniform(t, rng, -1.0f / sqrtf((float)m->head_w->shape[1]),
                                   1.0f / sqrtf((float)m->head_w->shape[1]));
        else if (rc__rnn_draw(m->rnn, t, rng)) { /* the network's: its cells' own draws, at each layer's sizes */
            rc_model_free(m);
            return NULL;
        }
    }
    return m;
}

void rc_model_free(rc_model *m)
{
    if (!m)
        return;
    rc_rnn_free(m->rnn);
    rc__sha_free(m->sha);
    rc__pointer_free(m->pointer);
    rc_params_free(m->params);
    free(m);
}

const rc_model_config *rc_model_config_of(const rc_model *m) { return &m->cfg; }

rc_params *rc_model_params(rc_model *m) { return m->params; }

rc_rnn *rc_model_rnn(rc_model *m) { return m->rnn; }

const rc__pointer *rc__model_pointer(const rc_model *m) { return m->pointer; }

/* 1 when the model carries a SHA-RNN's memory. */
static int has_memory(const rc_model *m) { return m->sha && rc__sha_attention(m->sha); }

size_t rc_model_state_count(const rc_model *m) { return rc_rnn_state_count(m->rnn) + (has_memory(m) ? 2 : 0); }

const char *rc_model_state_name(const rc_model *m, size_t i)
{
    size_t n = rc_rnn_state_count(m->rnn);
    if (i < n)
        return rc_rnn_state_name(m->rnn, i);
    return has_memory(m) && i == n ? "memory" : has_memory(m) && i == n + 1 ? "memory_len" : NULL;
}

int rc_model_state_shape(const rc_model *m, size_t i, size_t B, size_t *shape)
{
    const rc_rnn_config *r = &m->cfg.rnn;
    size_t n = rc_rnn_state_count(m->rnn);
    if (i < n) {
        shape[0] = r->num_layers * (r->bidirectional ? 2 : 1), shape[1] = B, shape[2] = rc_rnn_state_width(m->rnn, i);
        return 0;
    }
    if (!has_memory(m) || i > n + 1)
        return -1;
    shape[0] = i == n ? rc__sha_memory(m->sha) : 1, shape[1] = B, shape[2] = i == n ? r->input_size : 1;
    return 0;
}

rc_tensor *rc__maybe_dropout(rc_tape *tp, rc_tensor *x, float p, rc_rng *rng)
{
    return rng && p > 0.0f ? rc_dropout(tp, x, p, rng) : x;
}

/* The network's input [T, B, I] for the task, before locked dropout. */
static rc_tensor *task_input(rc_tape *tp, rc_model *m, const rc_batch *b, rc_rng *rng)
{
    size_t T = b->T, B = b->B, K = RC_PIANO_KEYS;
    switch (m->cfg.task) {
    case RC_TASK_LM: {
        rc_tensor *w = m->embed;
        if (rng && m->cfg.dropout_embed > 0.0f) /* whole word types: rows of the embedding */
            w = rc_mul(tp, w, rc_dropout_mask(tp, 2, (size_t[]){w->shape[0], 1}, m->cfg.dropout_embed, rng));
        rc_tensor *e = rc_embedding(tp, w, b->tokens, T * B);
        e = rc_reshape(tp, e, 3, (size_t[]){T, B, m->cfg.rnn.input_size});
        return rc__maybe_dropout(tp, e, m->cfg.dropout, rng);
    }
    case RC_TASK_MUSIC: { /* frame t is predicted from frames < t: shift behind a silent frame */
        rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){T, B, K});
        if (x && T > 1)
            memcpy(x->data + B * K, b->frames, (T - 1) * B * K * sizeof(float));
        return x;
    }
    default: {
        rc_tensor *x = rc__tape_output(tp, "rc_model_loss", 3, (size_t[]){T, B, m->cfg.rnn.input_size});
        if (x)
            memcpy(x->data, b->features, x->size * sizeof(float));
        return x;
    }
    }
}

rc_tensor *rc__model_input(rc_tape *tp, rc_model *m, const rc_batch *b, rc_rng *rng)
{
    return rc__locked_dropout(tp, task_input(tp, m, b, rng), m->cfg.dropout_input, rng);
}

/* mean(x^2) over every element. */
static rc_tensor *mean_square(rc_tape *tp, rc_tensor *x) { return rc_mean_all(tp, rc_mul(tp, x, x)); }

/* loss + ar mean(dropped^2) + tar mean((y_t - y_{t-1})^2), y [T, B, W]. */
static rc_tensor *activation_penalties(rc_tape *tp, const rc_model *m, rc_tensor *loss, rc_tensor *y,
                                       rc_tensor *dropped)
{
    if (m->cfg.ar > 0.0f)
        loss = rc_add(tp, loss, rc_scale(tp, mean_square(tp, dropped), m->cfg.ar));
    size_t T = y->shape[0];
    if (m->cfg.tar > 0.0f && T > 1) {
        rc_tensor *step = rc_sub(tp, rc_slice(tp, y, 0, 1, T - 1), rc_slice(tp, y, 0, 0, T - 1));
        loss = rc_add(tp, loss, rc_scale(tp, mean_square(tp, step), m->cfg.tar));
    }
    return loss;
}

/* The last layer's final states of both directions: [B, D*H_out]. */
static rc_tensor *last_states(rc_tape *tp, rc_model *m, rc_tensor *h_n, size_t B)
{
    size_t D = m->cfg.rnn.bidirectional ? 2 : 1, L = m->cfg.rnn.num_layers;
    rc_tensor *rows[2];
    for (size_t d = 0; d < D; d++)
        rows[d] = rc_slice(tp, h_n, 0, (L - 1) * D + d, 1);
    rc_tensor *joined = D == 2 ? rc_concat(tp, rows, 2, 2) : rows[0];
    return rc_reshape(tp, joined, 2, (size_t[]){B, rc_rnn_output_size(m->rnn)});
}

/* Audio: out [T, B, hop * 3K] as one mixture per predicted sample,
 * [T * B * hop, 3K], against the samples [T * B * hop]; a padded step's
 * weight covers its hop samples. */
static rc_tensor *mixture_loss(rc_tape *tp, rc_model *m, const rc_batch *b, rc_tensor *out)
{
    size_t H = m->cfg.n_out, rows = b->T * b->B * H;
    rc_tensor *target = rc__tape_output(tp, "rc_model_loss", 1, (size_t[]){rows});
    float *w = b->weights ? rc__tape_alloc(tp, rows, sizeof *w) : NULL;
    if (!target || (b->weights && !w))
        return NULL;
    memcpy(target->data, b->samples, rows * sizeof(float));
    for (size_t r = 0; w && r < rows; r++)
        w[r] = b->weights[r / H];
    rc_tensor *params = rc_reshape(tp, out, 2, (size_t[]){rows, 3 * m->cfg.mixtures});
    return rc_mixture_nll(tp, params, target, w, RC_REDUCE_MEAN);
}

/* 1 when b holds the inputs the model's task reads (and, with targets, its targets). */
static int has_inputs(const rc_model *m, const rc_batch *b, int targets)
{
    switch (m->cfg.task) {
    case RC_TASK_LM: return b->tokens && (!targets || b->targets);
    case RC_TASK_MUSIC: return b->frames != NULL;
    case RC_TASK_CLASSIFY: return b->features && (!targets || b->classes);
    case RC_TASK_AUDIO:
    case RC_TASK_REGRESS: return b->features && (!targets || b->samples);
    case RC_TASK_BITS: return b->features && (!targets || b->frames);
    case RC_TASK_POINTER: return b->features && b->targets; /* the decoder reads the targets */
    default: return b->features && (!targets || b->targets);
    }
}

/* The output layer's values for b; *y the network's output and *dropped what
 * the head read (for AR and TAR), fin the final states. */
static rc_tensor *head_outputs(rc_tape *tp, rc_model *m, const rc_batch *b, rc_rng *dropout_rng,
                               rc_tensor **y_out, rc_tensor **dropped_out, rc_tensor **fin)
{
    rc_rnn_options o = {0};
    o.h0 = b->h0;
    o.c0 = b->c0;
    o.states0 = b->states0;
    o.lengths = b->lengths;
    o.dropout_rng = dropout_rng;
    rc_tensor *x = rc__model_input(tp, m, b, dropout_rng), *y;
    size_t n = rc_rnn_state_count(m->rnn);
    if (m->sha)
        y = x ? rc__sha_forward(tp, m->sha, m->rnn, x, &o, b->states0 && has_memory(m) ? b->states0[n] : NULL,
                                b->states0 && has_memory(m) ? b->states0[n + 1] : NULL, fin)
              : NULL;
    else
        y = rc_rnn_forward_states(tp, m->rnn, x, &o, fin);
    if (!y)
        return NULL;
    rc_tensor *features = reads_final_states(m->cfg.task) ? last_states(tp, m, fin[0], b->B) : y;
    rc_tensor *dropped = rc__locked_dropout(tp, rc__maybe_dropout(tp, features, m->cfg.dropout, dropout_rng),
                                            m->cfg.dropout_output, dropout_rng);
    *y_out = y, *dropped_out = dropped;
    return rc_linear(tp, dropped, m->head_w, m->head_b);
}

static rc_tensor *fail_batch(const char *fn, const rc_model *m)
{
    return rc__fail_null(RC_EINVAL, "%s: the batch lacks what task %s reads", fn, rc_task_name(m->cfg.task));
}

rc_tensor *rc_model_forward(rc_tape *tp, rc_model *m, const rc_batch *b, rc_tensor **states_n)
{
    if (!tp || !m || !b || b->T == 0 || b->B == 0)
        return rc__fail_null(RC_EINVAL, "rc_model_forward: needs a tape, a model and a non-empty batch");
    if (!has_inputs(m, b, 0))
        return fail_batch("rc_model_forward", m);
    rc_tensor *fin[RC_MODEL_MAX_STATES] = {0}, *y, *dropped;
    if (m->pointer) /* no states carried: each batch is whole examples */
        return rc__pointer_logits(tp, m->pointer, m->rnn, b, 0.0f, NULL);
    rc_tensor *out = head_outputs(tp, m, b, NULL, &y, &dropped, fin);
    if (out && states_n)
        memcpy(states_n, fin, rc_model_state_count(m) * sizeof *states_n);
    return out;
}

rc_tensor *rc_model_loss_states(rc_tape *tp, rc_model *m, const rc_batch *b, rc_rng *dropout_rng,
                                rc_tensor **logits, rc_tensor **states_n)
{
    if (!tp || !m || !b || b->T == 0 || b->B == 0)
        return rc__fail_null(RC_EINVAL, "rc_model_loss: needs a tape, a model and a non-empty batch");
    if (!has_inputs(m, b, 1))
        return fail_batch("rc_model_loss", m);
    int task = m->cfg.task;
    rc_tensor *fin[RC_MODEL_MAX_STATES] = {0}, *y, *dropped;
    if (m->pointer) {
        rc_tensor *u = rc__pointer_logits(tp, m->pointer, m->rnn, b, m->cfg.dropout, dropout_rng);
        if (u && logits)
            *logits = u;
        return u ? rc_cross_entropy(tp, rc_reshape(tp, u, 2, (size_t[]){u->shape[0] * b->B, u->shape[2]}), b->targets,
                                    -1, RC_REDUCE_MEAN)
                 : NULL;
    }
    rc_tensor *out = head_outputs(tp, m, b, dropout_rng, &y, &dropped, fin), *loss = NULL;
    if (!out)
        return NULL;
    if (task == RC_TASK_LM || task == RC_TASK_TAG)
        loss = rc_cross_entropy(tp, out, b->targets, -1, RC_REDUCE_MEAN);
    else if (task == RC_TASK_CLASSIFY)
        loss = rc_cross_entropy(tp, out, b->classes, -1, RC_REDUCE_MEAN);
    else if (task == RC_TASK_AUDIO)
        loss = mixture_loss(tp, m, b, out);
    else { /* music, bits: b->frames are the targets; regress: b->samples */
        rc_tensor *target = rc__tape_output(tp, "rc_model_loss", out->ndim, out->shape);
        if (!target)
            return NULL;
        memcpy(target->data, task == RC_TASK_REGRESS ? b->samples : b->frames, target->size * sizeof(float));
        loss = task == RC_TASK_REGRESS ? rc_mse(tp, out, target, RC_REDUCE_MEAN)
                                       : rc_bce_with_logits(tp, out, target, b->weights, RC_REDUCE_MEAN);
    }
    if (loss && dropout_rng && !reads_final_states(task))
        loss = activation_penalties(tp, m, loss, y, dropped);
    if (logits)
        *logits = out;
    if (states_n)
        memcpy(states_n, fin, rc_model_state_count(m) * sizeof *states_n);
    return loss;
}

rc_tensor *rc_model_loss(rc_tape *tp, rc_model *m, const rc_batch *b, rc_rng *dropout_rng,
                         rc_tensor **logits, rc_tensor **h_n, rc_tensor **c_n)
{
    rc_tensor *fin[RC_MODEL_MAX_STATES] = {0};
    rc_tensor *loss = rc_model_loss_states(tp, m, b, dropout_rng, logits, fin);
    long h = rc_rnn_state_index(m->rnn, "h"), c = rc_rnn_state_index(m->rnn, "c");
    if (h_n)
        *h_n = loss && h >= 0 ? fin[h] : NULL;
    if (c_n)
        *c_n = loss && c >= 0 ? fin[c] : NULL;
    return loss;
}
