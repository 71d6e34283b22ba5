/* model_file.c — task models to and from safetensors files: the weights
 * under their names, the task and the network's configuration in the
 * metadata. */
#include "../models/models.h"
#include "io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rc_model_save(const rc_model *m, const char *path, size_t n_meta, const char *const *keys,
                  const char *const *values)
{
    if (!m || !path || (n_meta && (!keys || !values)))
        return rc__fail(RC_EINVAL, "rc_model_save: NULL argument");
    const rc_model_config *c = rc_model_config_of(m);
    rc_params *p = rc_model_params((rc_model *)m);
    size_t n = rc_params_count(p);
    const char **names = malloc(n * sizeof *names);
    const rc_tensor **tensors = malloc(n * sizeof *tensors);
    const char **all_keys = malloc((n_meta + RC__META_MAX) * sizeof *all_keys);
    const char **all_values = malloc((n_meta + RC__META_MAX) * sizeof *all_values);
    int status = RC_ENOMEM;
    if (!names || !tensors || !all_keys || !all_values) {
        rc__fail(RC_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        names[i] = rc_params_name(p, i);
        tensors[i] = rc_params_tensor(p, i);
    }
    rc__meta meta = {0};
    rc__meta_add(&meta, "format", "recur %s", RC_VERSION);
    rc__meta_add(&meta, "task", "%s", rc_task_name(c->task));
    rc__meta_add(&meta, "n_out", "%zu", c->n_out);
    if (c->task == RC_TASK_AUDIO)
        rc__meta_add(&meta, "mixtures", "%zu", c->mixtures);
    rc__meta_model(&meta, c);
    rc__meta_rnn(&meta, &c->rnn);
    memcpy(all_keys, meta.keys, meta.n * sizeof *all_keys);
    memcpy(all_values, meta.values, meta.n * sizeof *all_values);
    for (size_t i = 0; i < n_meta; i++) {
        all_keys[meta.n + i] = keys[i];
        all_values[meta.n + i] = values[i];
    }
    if (!(status = rc__meta_check(&meta, path)))
        status = rc_safetensors_save(path, n, names, tensors, meta.n + n_meta, all_keys, all_values);
done:
    free(names), free(tensors), free(all_keys), free(all_values);
    return status;
}

/* The model's own float settings and their keys. */
#define MODEL_RATES(X)                       \
    X(dropout, "model_dropout")              \
    X(dropout_embed, "model_dropout_embed")  \
    X(dropout_input, "model_dropout_input")  \
    X(dropout_output, "model_dropout_output") \
    X(ar, "model_ar")                        \
    X(tar, "model_tar")

void rc__meta_model(rc__meta *m, const rc_model_config *c)
{
#define RC__PUT(field, key) rc__meta_add(m, key, "%.9g", (double)c->field);
    MODEL_RATES(RC__PUT)
#undef RC__PUT
    rc__meta_add(m, "model_tie_weights", "%d", c->tie_weights);
    if (c->vocab_size && c->vocab_size != c->n_out)
        rc__meta_add(m, "model_vocab_size", "%zu", c->vocab_size);
    if (c->sha_rnn) {
        rc__meta_add(m, "model_sha_rnn", "1");
        rc__meta_add(m, "model_sha_ff", "%zu", c->sha_ff);
        rc__meta_add(m, "model_sha_memory", "%zu", c->sha_memory);
        rc__meta_add(m, "model_sha_no_attention", "%d", c->sha_no_attention);
    }
}

int rc__model_extras_from_file(const rc_safetensors *st, const char *path, rc_model_config *cfg)
{
    struct {
        float *field;
        const char *key;
    } rates[] = {
#define RC__GET(field, key) {&cfg->field, key},
        MODEL_RATES(RC__GET)
#undef RC__GET
    };
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        const char *v = rc_safetensors_metadata(st, rates[i].key);
        char *end;
        if (v && ((*rates[i].field = strtof(v, &end)), end == v || *end))
            return rc__fail(RC_EFORMAT, "%s: metadata %s '%s' is not a number", path, rates[i].key, v);
    }
    const char *tie = rc_safetensors_metadata(st, "model_tie_weights"), *sha = rc_safetensors_metadata(st, "model_sha_rnn");
    cfg->tie_weights = tie && !strcmp(tie, "1");
    cfg->sha_rnn = sha && !strcmp(sha, "1");
    const char *no_attention = rc_safetensors_metadata(st, "model_sha_no_attention");
    cfg->sha_no_attention = no_attention && !strcmp(no_attention, "1");
    const char *keys[3] = {"model_vocab_size", "model_sha_ff", "model_sha_memory"};
    size_t *fields[3] = {&cfg->vocab_size, &cfg->sha_ff, &cfg->sha_memory};
    for (int i = 0; i < 3; i++) {
        const char *v = rc_safetensors_metadata(st, keys[i]);
        if (i ? !cfg->sha_rnn : !v)
            continue;
        char *end = NULL;
        unsigned long long x = v && *v >= '0' && *v <= '9' ? strtoull(v, &end, 10) : 0;
        if (!end || *end || x == 0)
            return rc__fail(RC_EFORMAT, "%s: metadata %s is %s, not a positive size", path, keys[i], v ? v : "missing");
        *fields[i] = (size_t)x;
    }
    return RC_OK;
}

static int size_from(const rc_safetensors *st, const char *path, const char *key, size_t *out)
{
    const char *v = rc_safetensors_metadata(st, key);
    char *end = NULL;
    unsigned long long x = v ? strtoull(v, &end, 10) : 0;
    if (!v || end == v || *end)
        return rc__fail(RC_EFORMAT, "%s: metadata '%s' is missing or not a number: not a recur model "
                                    "file (for a bare network use recur run / rc_rnn_load)",
                        path, key);
    *out = (size_t)x;
    return RC_OK;
}

rc_model *rc_model_load(const char *path, rc_safetensors **st_out)
{
    rc_safetensors *st = rc_safetensors_load(path);
    if (!st)
        return NULL;
    rc_model_config cfg = {0};
    rc_model *m = NULL;
    const char *task = rc_safetensors_metadata(st, "task");
    cfg.task = rc_task_from_name(task);
    if (cfg.task < 0) {
        char known[128] = "";
        for (int k = 0; k < RC_TASK_COUNT; k++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", k ? ", " : "", rc_task_name(k));
        rc__fail(RC_EFORMAT, "%s: metadata 'task' is %s%s%s, not one of %s: not a recur model file", path,
                 task ? "'" : "missing", task ? task : "", task ? "'" : "", known);
        goto done;
    }
    if (rc__model_extras_from_file(st, path, &cfg))
        goto done;
    if (size_from(st, path, "n_out", &cfg.n_out) ||
        (cfg.task == RC_TASK_AUDIO && size_from(st, path, "mixtures", &cfg.mixtures)) ||
        rc__rnn_config_from_file(st, path, "rnn.", -1, &cfg.rnn))
        goto done;
    if (!(m = rc__model_alloc(&cfg))) {
        char detail[256];
        snprintf(detail, sizeof detail, "%s", rc_last_error());
        rc__fail(RC_EFORMAT, "%s: %s", path, detail);
        goto done;
    }
    char what[200];
    rc__describe_rnn(&cfg.rnn, what, sizeof what);
    if (rc__params_from_file(st, path, "", rc_model_params(m), what)) {
        rc_model_free(m);
        m = NULL;
    }
done:
    if (m && st_out)
        *st_out = st;
    else
        rc_safetensors_free(st);
    return m;
}
