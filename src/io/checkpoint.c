/* checkpoint.c — training checkpoints: one safetensors file with the
 * weights (their own names), the optimizer's blocks ("optim.<name>"), the
 * carried LM states ("carry.<state name>": carry.h, carry.c), the validation history, and in
 * the metadata every counter, every generator's state and a fingerprint of
 * the settings.  Written through a temporary file and renamed. */
#include "../train/train.h"
#include "io.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The settings a resumed run must share with the one it continues. */
static void fingerprint(const rc_model *m, const rc_train_config *cfg, char *buf, size_t cap)
{
    const rc_model_config *c = rc_model_config_of(m);
    int n = snprintf(buf, cap, "task=%s cell=%s hidden=%zu layers=%zu optimizer=%s batch=%zu bptt=%zu seed=%" PRIu64,
                     rc_task_name(c->task), rc_cell_name(c->rnn.cell), c->rnn.hidden_size, c->rnn.num_layers,
                     rc_optim_name(cfg->optim.kind), cfg->batch, cfg->bptt, cfg->seed);
    if (cfg->bucket > 1 && n > 0 && (size_t)n < cap) /* older checkpoints, without buckets, still match */
        n += snprintf(buf + n, cap - (size_t)n, " bucket=%zu", cfg->bucket);
    /* the cell's own options (PyTorch's trio has none beyond the LSTM's proj_size and peephole, which
     * change the weights' shapes and so never pass the weights' check) */
    if (c->sha_rnn && n > 0 && (size_t)n < cap)
        n += snprintf(buf + n, cap - (size_t)n, " sha_ff=%zu sha_memory=%zu%s", c->sha_ff, c->sha_memory,
                      c->sha_no_attention ? " no_attention" : "");
    for (size_t i = 0; rc_cell_option_name(c->rnn.cell, i) && n > 0 && (size_t)n < cap; i++) {
        const char *name = rc_cell_option_name(c->rnn.cell, i);
        if (!rc__cell_option_is_field(name))
            n += snprintf(buf + n, cap - (size_t)n, " %s=%g", name, rc_rnn_config_get(&c->rnn, name));
    }
}

static void put_rng(rc__meta *meta, const char *key, const rc_rng *r)
{
    uint32_t spare;
    memcpy(&spare, &r->spare_normal, sizeof spare);
    rc__meta_add(meta, key, "%" PRIu64 " %" PRIu64 " %d %" PRIu32, r->state, r->inc, r->has_spare, spare);
}

static int get_rng(const rc_safetensors *st, const char *path, const char *key, rc_rng *r)
{
    const char *v = rc_safetensors_metadata(st, key);
    uint32_t spare;
    if (!v || sscanf(v, "%" SCNu64 " %" SCNu64 " %d %" SCNu32, &r->state, &r->inc, &r->has_spare, &spare) != 4)
        return rc__fail(RC_EFORMAT, "%s: generator state '%s' is missing or malformed", path, key);
    memcpy(&r->spare_normal, &spare, sizeof spare);
    return RC_OK;
}

/* A float block as a 1-D tensor view for writing. */
static rc_tensor view(float *data, size_t n)
{
    rc_tensor t = {0};
    t.data = data;
    t.ndim = 1;
    t.shape[0] = t.size = n;
    return t;
}

int rc__checkpoint_save(const char *path, rc_model *m, rc_optim *o, const rc__train_state *s,
                        const rc__carry *carry, const rc_train_config *cfg)
{
    rc_params *p = rc_model_params(m);
    size_t np = rc_params_count(p), no = rc_optim_state_count(o), n = 0, cap = np + no + RC_MAX_STATES;
    char cnames[RC_MODEL_MAX_STATES][64];
    const char **names = malloc(cap * sizeof *names);
    const rc_tensor **tensors = malloc(cap * sizeof *tensors);
    rc_tensor *views = malloc((no + 1) * sizeof *views);
    char (*onames)[64] = malloc((no + 1) * sizeof *onames);
    int status = RC_ENOMEM;
    if (!names || !tensors || !views || !onames) {
        rc__fail(RC_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t i = 0; i < np; i++, n++)
        names[n] = rc_params_name(p, i), tensors[n] = rc_params_tensor(p, i);
    for (size_t i = 0; i < no; i++, n++) {
        snprintf(onames[i], sizeof onames[i], "optim.%s", rc_optim_state_name(o, i));
        views[i] = view(rc_optim_state(o, i), rc_params_numel(p));
        names[n] = onames[i], tensors[n] = &views[i];
    }
    for (size_t i = 0; carry && i < carry->n; i++) {
        snprintf(cnames[i], sizeof cnames[i], "carry.%s", rc_model_state_name(m, i));
        names[n] = cnames[i], tensors[n++] = carry->s[i];
    }
    rc__meta meta = {0};
    char print[256];
    fingerprint(m, cfg, print, sizeof print);
    rc__meta_add(&meta, "format", "recur %s checkpoint", RC_VERSION);
    rc__meta_add(&meta, "fingerprint", "%s", print);
    rc__meta_add(&meta, "train_optim", "%s momentum=%g nesterov=%d weight_decay=%g beta1=%g beta2=%g eps=%g "
                                       "alpha=%g centered=%d rms_floor=%g clip_update=%g",
                 rc_optim_name(cfg->optim.kind), (double)cfg->optim.momentum, cfg->optim.nesterov,
                 (double)cfg->optim.weight_decay, (double)cfg->optim.beta1, (double)cfg->optim.beta2,
                 (double)cfg->optim.eps, (double)cfg->optim.alpha, cfg->optim.centered,
                 (double)cfg->optim.rms_floor, (double)cfg->optim.clip_update);
    rc__meta_add(&meta, "train_schedule", "%s lr=%g lr_end=%g gamma=%g step_size=%g length=%g patience=%d",
                 rc_schedule_name(cfg->schedule.kind), (double)cfg->schedule.lr, (double)cfg->schedule.lr_end,
                 (double)cfg->schedule.gamma, cfg->schedule.step_size, cfg->schedule.length,
                 cfg->schedule.patience);
    rc__meta_add(&meta, "train_loop", "epochs=%zu max_steps=%zu batch=%zu bptt=%zu clip_norm=%g clip_value=%g "
                                      "weight_noise=%g nt_asgd=%d nonmono=%zu patience=%zu eval_every=%zu "
                                      "checkpoint_every=%zu",
                 cfg->epochs, cfg->max_steps, cfg->batch, cfg->bptt, (double)cfg->clip_norm,
                 (double)cfg->clip_value, (double)cfg->weight_noise, cfg->nt_asgd, cfg->nonmono, cfg->patience,
                 cfg->eval_every, cfg->checkpoint_every);
    rc__meta_add(&meta, "step", "%" PRIu64, s->step);
    rc__meta_add(&meta, "epoch", "%" PRIu64, s->epoch);
    rc__meta_add(&meta, "pos", "%" PRIu64, s->pos);
    rc__meta_add(&meta, "best", "%.17g", s->best);
    rc__meta_add(&meta, "bad_evals", "%" PRIu64, s->bad_evals);
    rc__meta_add(&meta, "seconds", "%.17g", s->seconds);
    rc__meta_add(&meta, "loss_sum", "%.17g", s->loss_sum);
    rc__meta_add(&meta, "loss_count", "%" PRIu64, s->loss_count);
    rc__meta_add(&meta, "optim", "%" PRIu64 " %d %" PRIu64, rc_optim_steps(o), rc_optim_averaging(o),
                 rc_optim_averaged_steps(o));
    rc__meta_add(&meta, "schedule", "%.17g %d %.9g", s->schedule.best, s->schedule.bad_evals,
                 (double)s->schedule.scale);
    put_rng(&meta, "rng.data", &s->data_rng);
    put_rng(&meta, "rng.epoch", &s->epoch_rng);
    put_rng(&meta, "rng.dropout", &s->dropout_rng);
    put_rng(&meta, "rng.noise", &s->noise_rng);
    const rc_model_config *c = rc_model_config_of(m);
    rc__meta_add(&meta, "task", "%s", rc_task_name(c->task));
    rc__meta_add(&meta, "n_out", "%zu", c->n_out);
    rc__meta_model(&meta, c);
    rc__meta_rnn(&meta, &c->rnn);
    /* The validation history, exactly (NT-ASGD compares against it). */
    size_t hist_cap = 26 * s->n_history + 1, used = 0;
    char *hist = malloc(hist_cap);
    if (!hist)
        goto done;
    hist[0] = '\0';
    for (size_t i = 0; i < s->n_history; i++)
        used += (size_t)snprintf(hist + used, hist_cap - used, "%s%.17g", i ? " " : "", s->history[i]);
    /* then the caller's own metadata (the vocabulary, ...), as the model file has it, so that a
     * checkpoint serves recur eval / sample like a model file */
    size_t extra = cfg->n_meta, total = meta.n + 1 + extra;
    const char **keys = malloc(total * sizeof *keys), **values = malloc(total * sizeof *values);
    if (keys && values && !(status = rc__meta_check(&meta, path))) {
        memcpy(keys, meta.keys, meta.n * sizeof *keys);
        memcpy(values, meta.values, meta.n * sizeof *values);
        keys[meta.n] = "history", values[meta.n] = hist;
        for (size_t i = 0; i < extra; i++)
            keys[meta.n + 1 + i] = cfg->meta_keys[i], values[meta.n + 1 + i] = cfg->meta_values[i];
        status = rc_safetensors_save(path, n, names, tensors, total, keys, values);
    }
    free(keys), free(values), free(hist);
done:
    free(names), free(tensors), free(views), free(onames);
    return status;
}

static int get_u64(const rc_safetensors *st, const char *path, const char *key, uint64_t *out)
{
    const char *v = rc_safetensors_metadata(st, key);
    if (!v || sscanf(v, "%" SCNu64, out) != 1)
        return rc__fail(RC_EFORMAT, "%s: checkpoint field '%s' is missing or malformed", path, key);
    return RC_OK;
}

static int get_double(const rc_safetensors *st, const char *path, const char *key, double *out)
{
    const char *v = rc_safetensors_metadata(st, key);
    if (!v || sscanf(v, "%lf", out) != 1)
        return rc__fail(RC_EFORMAT, "%s: checkpoint field '%s' is missing or malformed", path, key);
    return RC_OK;
}

/* Copies the named tensor of n floats into dst. */
static int get_block(const rc_safetensors *st, const char *path, const char *name, float *dst, size_t n)
{
    rc_tensor *t = rc_safetensors_tensor(st, name);
    if (!t)
        return rc_last_status();
    int ok = t->size == n;
    if (ok)
        memcpy(dst, t->data, n * sizeof(float));
    rc_tensor_free(t);
    return ok ? RC_OK : rc__fail(RC_EFORMAT, "%s: '%s' has the wrong size for this model", path, name);
}

int rc__checkpoint_load(const char *path, rc_model *m, rc_optim *o, rc__train_state *s, rc__carry *carry,
                        const rc_train_config *cfg)
{
    rc_safetensors *st = rc_safetensors_load(path);
    if (!st)
        return rc_last_status();
    int status = RC_OK;
    char print[256], what[200];
    fingerprint(m, cfg, print, sizeof print);
    const char *theirs = rc_safetensors_metadata(st, "fingerprint");
    if (!theirs || strcmp(theirs, print)) {
        status = rc__fail(RC_EINVAL, "%s: the checkpoint was made with [%s], this run is [%s]", path,
                          theirs ? theirs : "no fingerprint: not a recur checkpoint", print);
        goto done;
    }
    rc__describe_rnn(&rc_model_config_of(m)->rnn, what, sizeof what);
    if ((status = rc__params_from_file(st, path, "", rc_model_params(m), what)))
        goto done;
    for (size_t i = 0; i < rc_optim_state_count(o); i++) {
        char name[64];
        snprintf(name, sizeof name, "optim.%s", rc_optim_state_name(o, i));
        if ((status = get_block(st, path, name, rc_optim_state(o, i), rc_params_numel(rc_model_params(m)))))
            goto done;
    }
    for (size_t i = 0; carry && i < carry->n; i++) {
        char name[64];
        snprintf(name, sizeof name, "carry.%s", rc_model_state_name(m, i));
        if ((status = get_block(st, path, name, carry->s[i]->data, carry->s[i]->size)))
            goto done;
        carry->fresh = 0; /* mid-epoch: carried; at an epoch's end the trainer starts the next afresh */
    }
    uint64_t steps, averaged;
    int averaging, bad;
    const char *ov = rc_safetensors_metadata(st, "optim"), *sv = rc_safetensors_metadata(st, "schedule");
    float scale;
    if ((status = get_u64(st, path, "step", &s->step)) || (status = get_u64(st, path, "epoch", &s->epoch)) ||
        (status = get_u64(st, path, "pos", &s->pos)) || (status = get_double(st, path, "best", &s->best)) ||
        (status = get_u64(st, path, "bad_evals", &s->bad_evals)) ||
        (status = get_double(st, path, "seconds", &s->seconds)) ||
        (status = get_double(st, path, "loss_sum", &s->loss_sum)) ||
        (status = get_u64(st, path, "loss_count", &s->loss_count)) ||
        (status = get_rng(st, path, "rng.data", &s->data_rng)) ||
        (status = get_rng(st, path, "rng.epoch", &s->epoch_rng)) ||
        (status = get_rng(st, path, "rng.dropout", &s->dropout_rng)) ||
        (status = get_rng(st, path, "rng.noise", &s->noise_rng)))
        goto done;
    if (!ov || sscanf(ov, "%" SCNu64 " %d %" SCNu64, &steps, &averaging, &averaged) != 3 || !sv ||
        sscanf(sv, "%lf %d %f", &s->schedule.best, &bad, &scale) != 3) {
        status = rc__fail(RC_EFORMAT, "%s: the optimizer or schedule state is malformed", path);
        goto done;
    }
    s->schedule.bad_evals = bad;
    s->schedule.scale = scale;
    rc_optim_restore(o, steps, averaging, averaged);
    const char *hist = rc_safetensors_metadata(st, "history");
    if (!hist) {
        status = rc__fail(RC_EFORMAT, "%s: checkpoint field 'history' is missing", path);
        goto done;
    }
    size_t count = 0;
    for (const char *c = hist; *c; c++)
        count += *c == ' ';
    count += *hist != '\0';
    double *buf = malloc((count ? count : 1) * sizeof *buf);
    if (!buf) {
        status = rc__fail(RC_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    const char *c = hist;
    for (size_t i = 0; i < count; i++) {
        char *end;
        buf[i] = strtod(c, &end);
        c = end;
    }
    free(s->history);
    s->history = buf;
    s->n_history = s->cap_history = count;
done:
    rc_safetensors_free(st);
    return status;
}
