/* rnn_file.c — recurrent networks to and from safetensors files, in
 * PyTorch's state_dict layout. */
#include "io.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 256

/* The prefix before "weight_ih_l0" (e.g. "" or "rnn."); an error when the
 * file holds none, or several networks. */
static int find_prefix(const rc_safetensors *st, const char *path, char *prefix, size_t cap)
{
    static const char key[] = "weight_ih_l0";
    int found = 0;
    for (size_t i = 0; i < rc_safetensors_count(st); i++) {
        const char *name = rc_safetensors_name(st, i);
        size_t n = strlen(name), k = sizeof key - 1;
        if (n < k || strcmp(name + n - k, key) != 0 || n - k >= cap)
            continue;
        if (found && (strncmp(prefix, name, n - k) != 0 || prefix[n - k] != '\0'))
            return rc__fail(RC_EFORMAT, "%s: holds two recurrent networks ('%s%s' and '%s'); "
                                        "export one of them",
                            path, prefix, key, name);
        memcpy(prefix, name, n - k);
        prefix[n - k] = '\0';
        found = 1;
    }
    if (!found)
        return rc__fail(RC_EFORMAT, "%s: no tensor named weight_ih_l0 (or PREFIX.weight_ih_l0): "
                                    "not an RNN, LSTM or GRU state_dict",
                        path);
    return RC_OK;
}

/* The shape of prefix+name, or -1 dimensions when absent. */
static int shape_of(const rc_safetensors *st, const char *prefix, const char *name, size_t *shape)
{
    char full[NAME_MAX_LEN + 64];
    snprintf(full, sizeof full, "%s%s", prefix, name);
    long i = rc_safetensors_find(st, full);
    return i < 0 ? -1 : rc_safetensors_shape(st, (size_t)i, shape, 8);
}

static int has(const rc_safetensors *st, const char *prefix, const char *name)
{
    size_t shape[8];
    return shape_of(st, prefix, name, shape) >= 0;
}

static int metadata_true(const char *v)
{
    return v && (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "True"));
}

int rc__rnn_config_from_file(const rc_safetensors *st, const char *path, const char *prefix, int cell,
                             rc_rnn_config *cfg)
{
    size_t ih[8], hh[8], hr[8];
    char name[64];
    if (shape_of(st, prefix, "weight_ih_l0", ih) != 2 || shape_of(st, prefix, "weight_hh_l0", hh) != 2)
        return rc__fail(RC_EFORMAT, "%s: %sweight_ih_l0 and %sweight_hh_l0 must both be 2-D "
                                    "matrices",
                        path, prefix, prefix);
    memset(cfg, 0, sizeof *cfg);
    cfg->input_size = ih[1];
    cfg->num_layers = 0;
    for (;; cfg->num_layers++) {
        snprintf(name, sizeof name, "weight_ih_l%zu", cfg->num_layers);
        if (!has(st, prefix, name))
            break;
    }
    cfg->bidirectional = has(st, prefix, "weight_ih_l0_reverse");
    cfg->bias = has(st, prefix, "bias_ih_l0");
    cfg->peephole = has(st, prefix, "weight_ph_l0");
    int hr_dims = shape_of(st, prefix, "weight_hr_l0", hr);
    if (hr_dims >= 0) {
        if (hr_dims != 2 || hr[0] != hh[1])
            return rc__fail(RC_EFORMAT, "%s: %sweight_hr_l0 must be [P, H] with P = %zu, the width "
                                        "of weight_hh_l0",
                            path, prefix, hh[1]);
        cfg->proj_size = hr[0];
        cfg->hidden_size = hr[1];
    } else {
        cfg->hidden_size = hh[1];
    }
    size_t H = cfg->hidden_size, G = H ? hh[0] / H : 0;
    if (!H || hh[0] % H || (G != 1 && G != 3 && G != 4) || ih[0] != hh[0])
        return rc__fail(RC_EFORMAT, "%s: weight_ih_l0 [%zu, %zu] and weight_hh_l0 [%zu, %zu] are not "
                                    "[G*H, I] and [G*H, H] with G = 1, 3 or 4 gates",
                        path, ih[0], ih[1], hh[0], hh[1]);

    const char *meta_cell = rc_safetensors_metadata(st, "cell");
    const char *nonlin = rc_safetensors_metadata(st, "nonlinearity");
    if (cell < 0 && meta_cell) {
        cell = rc_cell_from_name(meta_cell);
        if (cell < 0)
            return rc__fail(RC_EFORMAT, "%s: metadata cell '%s' is not one of lstm, gru, "
                                        "gru_reset_before, rnn_tanh, rnn_relu",
                            path, meta_cell);
    }
    if (cell < 0)
        cell = G == 4 ? RC_CELL_LSTM
               : G == 3 ? RC_CELL_GRU
               : nonlin && !strcmp(nonlin, "relu") ? RC_CELL_RNN_RELU
                                                   : RC_CELL_RNN_TANH;
    if (rc_cell_gates(cell) != G)
        return rc__fail(RC_EFORMAT, "%s: a %s has %zu gates, but weight_hh_l0 has %zu rows for "
                                    "hidden size %zu (%zu gates)",
                        path, rc_cell_name(cell), rc_cell_gates(cell), hh[0], H, G);
    cfg->cell = cell;
    if (metadata_true(rc_safetensors_metadata(st, "peephole")) && !cfg->peephole)
        return rc__fail(RC_EFORMAT, "%s: metadata says peephole but %sweight_ph_l0 is missing",
                        path, prefix);
    /* What no shape tells: recur's own files record it. */
    cfg->residual = metadata_true(rc_safetensors_metadata(st, "residual"));
    const char *dropout = rc_safetensors_metadata(st, "dropout");
    if (dropout) {
        char *end;
        cfg->dropout = strtof(dropout, &end);
        if (end == dropout || *end)
            return rc__fail(RC_EFORMAT, "%s: metadata dropout '%s' is not a number", path, dropout);
    }
    return RC_OK;
}

/* 1 when name looks like a recurrent weight: (weight|bias)_(ih|hh|hr|ph)_l<k>[_reverse]. */
static int is_rnn_weight(const char *name)
{
    const char *p = !strncmp(name, "weight_", 7) ? name + 7 : !strncmp(name, "bias_", 5) ? name + 5 : NULL;
    if (!p || strlen(p) < 5 || strncmp(p + 2, "_l", 2) != 0)
        return 0;
    if (strncmp(p, "ih", 2) && strncmp(p, "hh", 2) && strncmp(p, "hr", 2) && strncmp(p, "ph", 2))
        return 0;
    p += 4;
    if (!isdigit((unsigned char)*p))
        return 0;
    while (isdigit((unsigned char)*p))
        p++;
    return *p == '\0' || !strcmp(p, "_reverse");
}

void rc__describe_rnn(const rc_rnn_config *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "a %zu-layer%s %s with input %zu and hidden size %zu%s%s", c->num_layers,
             c->bidirectional ? " bidirectional" : "", rc_cell_name(c->cell), c->input_size,
             c->hidden_size, c->proj_size ? " and a projection" : "", c->peephole ? " and peepholes" : "");
}

int rc__params_from_file(const rc_safetensors *st, const char *path, const char *prefix, rc_params *p,
                         const char *what)
{
    char full[NAME_MAX_LEN + 64], want[64], got[64];
    for (size_t i = 0; i < rc_params_count(p); i++) {
        rc_tensor *dst = rc_params_tensor(p, i);
        snprintf(full, sizeof full, "%s%s", prefix, rc_params_name(p, i));
        long k = rc_safetensors_find(st, full);
        if (k < 0)
            return rc__fail(RC_EFORMAT, "%s: tensor '%s' is missing: %s needs it", path, full, what);
        size_t shape[8];
        int nd = rc_safetensors_shape(st, (size_t)k, shape, 8);
        int same = nd == dst->ndim;
        for (int d = 0; same && d < nd; d++)
            same = shape[d] == dst->shape[d];
        if (!same) {
            rc_tensor fake = {0};
            fake.ndim = nd > RC_MAX_DIMS ? RC_MAX_DIMS : nd;
            for (int d = 0; d < fake.ndim; d++)
                fake.shape[d] = shape[d];
            return rc__fail(RC_EFORMAT, "%s: tensor '%s' has shape %s but %s needs %s", path, full,
                            nd ? rc_shape_str(&fake, got, sizeof got) : "[] (a scalar)", what,
                            rc_shape_str(dst, want, sizeof want));
        }
        rc_tensor *src = rc_safetensors_tensor(st, full);
        if (!src)
            return rc_last_status();
        memcpy(dst->data, src->data, dst->size * sizeof(float));
        rc_tensor_free(src);
    }
    return RC_OK;
}

/* Recurrent weights under prefix that the network does not have. */
static int reject_strays(const rc_safetensors *st, const char *path, const char *prefix,
                         const rc_params *p, const char *what)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < rc_safetensors_count(st); i++) {
        const char *name = rc_safetensors_name(st, i);
        if (strncmp(name, prefix, plen) || !is_rnn_weight(name + plen))
            continue;
        if (!rc_params_find(p, name + plen))
            return rc__fail(RC_EFORMAT, "%s: tensor '%s' does not belong to %s", path, name, what);
    }
    return RC_OK;
}

rc_rnn *rc_rnn_load(const char *path, int cell)
{
    if (cell >= RC_CELL_COUNT)
        return rc__fail_null(RC_EINVAL, "rc_rnn_load: cell %d is not a cell", cell);
    rc_safetensors *st = rc_safetensors_load(path);
    if (!st)
        return NULL;
    char prefix[NAME_MAX_LEN];
    rc_rnn_config cfg;
    rc_rnn *rnn = NULL;
    rc_params *params = NULL;
    if (find_prefix(st, path, prefix, sizeof prefix) ||
        rc__rnn_config_from_file(st, path, prefix, cell, &cfg))
        goto done;
    if (rc_rnn_config_check(&cfg)) {
        char detail[256];
        snprintf(detail, sizeof detail, "%s", rc_last_error());
        rc__fail(RC_EFORMAT, "%s: %s", path, detail);
        goto done;
    }
    params = rc_params_new();
    rnn = params ? rc_rnn_new(&cfg, params, NULL, NULL) : NULL;
    if (!rnn) {
        rc_params_free(params);
        goto done;
    }
    rc__rnn_own_params(rnn);
    char what[160];
    rc__describe_rnn(&cfg, what, sizeof what);
    if (rc__params_from_file(st, path, prefix, params, what) ||
        reject_strays(st, path, prefix, params, what)) {
        rc_rnn_free(rnn);
        rnn = NULL;
    }
done:
    rc_safetensors_free(st);
    return rnn;
}

int rc_rnn_save(const rc_rnn *rnn, const char *path)
{
    if (!rnn || !path)
        return rc__fail(RC_EINVAL, "rc_rnn_save: NULL argument");
    const rc_rnn_config *c = rc_rnn_config_of(rnn);
    rc_params *p = rc_rnn_params(rnn);
    const char *prefix = rc__rnn_prefix(rnn);
    size_t n = 0, plen = strlen(prefix);
    const char **names = malloc(rc_params_count(p) * sizeof *names);
    const rc_tensor **tensors = malloc(rc_params_count(p) * sizeof *tensors);
    if (!names || !tensors) {
        free(names), free(tensors);
        return rc__fail(RC_ENOMEM, "%s: out of memory", path);
    }
    for (size_t i = 0; i < rc_params_count(p); i++) {
        const char *name = rc_params_name(p, i);
        if (strncmp(name, prefix, plen) == 0 && is_rnn_weight(name + plen)) {
            names[n] = name + plen;
            tensors[n++] = rc_params_tensor(p, i);
        }
    }
    rc__meta meta = {0};
    rc__meta_rnn(&meta, c);
    rc__meta_add(&meta, "format", "recur %s", RC_VERSION);
    int status = rc_safetensors_save(path, n, names, tensors, meta.n, meta.keys, meta.values);
    free(names), free(tensors);
    return status;
}

void rc__meta_add(rc__meta *m, const char *key, const char *fmt, ...)
{
    if (m->n == RC__META_MAX)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->store[m->n], sizeof m->store[m->n], fmt, ap);
    va_end(ap);
    m->keys[m->n] = key;
    m->values[m->n] = m->store[m->n];
    m->n++;
}

void rc__meta_rnn(rc__meta *m, const rc_rnn_config *c)
{
    rc__meta_add(m, "cell", "%s", rc_cell_name(c->cell));
    rc__meta_add(m, "input_size", "%zu", c->input_size);
    rc__meta_add(m, "hidden_size", "%zu", c->hidden_size);
    rc__meta_add(m, "num_layers", "%zu", c->num_layers);
    rc__meta_add(m, "bidirectional", "%d", c->bidirectional);
    rc__meta_add(m, "bias", "%d", c->bias);
    rc__meta_add(m, "proj_size", "%zu", c->proj_size);
    rc__meta_add(m, "peephole", "%d", c->peephole);
    rc__meta_add(m, "residual", "%d", c->residual);
    rc__meta_add(m, "dropout", "%.9g", (double)c->dropout);
}
