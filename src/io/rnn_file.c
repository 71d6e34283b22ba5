/* rnn_file.c — recurrent networks to and from safetensors files, in
 * PyTorch's state_dict layout. */
#include "io.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 256

/* The cell a file holds: the caller's choice (>= 0), else the metadata's
 * "cell", else -1 (a PyTorch state_dict: the shapes tell). */
static int cell_of_file(const rc_safetensors *st, const char *path, int *cell)
{
    const char *meta_cell = rc_safetensors_metadata(st, "cell");
    if (*cell >= 0 || !meta_cell)
        return RC_OK;
    if ((*cell = rc_cell_from_name(meta_cell)) < 0) {
        char list[512];
        size_t at = 0;
        for (int c = 0; c < RC_CELL_COUNT && at < sizeof list; c++)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", c ? ", " : "", rc_cell_name(c));
        return rc__fail(RC_EFORMAT, "%s: metadata cell '%s' is not one of %s", path, meta_cell, list);
    }
    return RC_OK;
}

/* The name its first parameter has in layer 0 ("weight_ih_l0" for PyTorch's
 * cells): what marks a network of that cell in a file. */
static void first_param(int cell, char *name, size_t cap)
{
    rc__cell_decl d;
    if (cell >= 0 && !rc__cell_declare_default(cell, 8, 8, &d) && d.n_declared)
        snprintf(name, cap, "%s_l0", d.param[d.order[0]].base);
    else
        snprintf(name, cap, "weight_ih_l0");
}

/* The prefix before the network's first parameter (e.g. "" or "rnn."); an
 * error when the file holds none, or several networks. */
static int find_prefix(const rc_safetensors *st, const char *path, int cell, char *prefix, size_t cap)
{
    char key[RC__CELL_NAME + 8];
    first_param(cell, key, sizeof key);
    int found = 0;
    for (size_t i = 0; i < rc_safetensors_count(st); i++) {
        const char *name = rc_safetensors_name(st, i);
        size_t n = strlen(name), k = strlen(key);
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
        return rc__fail(RC_EFORMAT, "%s: no tensor named %s (or PREFIX.%s): not %s", path, key, key,
                        cell < 0 ? "an RNN, LSTM or GRU state_dict" : "a network of that cell");
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

/* A size from the metadata; RC_EFORMAT when missing or not a number. */
static int meta_size(const rc_safetensors *st, const char *path, const char *key, size_t *out)
{
    const char *v = rc_safetensors_metadata(st, key);
    char *end = NULL;
    unsigned long long x = v && *v != '-' ? strtoull(v, &end, 10) : 0;
    if (!v || !end || end == v || *end) /* end stays NULL for a negative number */
        return rc__fail(RC_EFORMAT, "%s: metadata '%s' is %s%s%s, not a size", path, key, v ? "'" : "missing",
                        v ? v : "", v ? "'" : "");
    *out = (size_t)x;
    return RC_OK;
}

/* 1 when some layer's width is not hidden_size. */
static int ragged(const rc_rnn_config *c)
{
    for (size_t l = 0; l < c->num_layers; l++)
        if (rc_rnn_config_layer_size(c, l) != c->hidden_size)
            return 1;
    return 0;
}

/* The layers that may have their own width: the first RC_RNN_MAX_WIDTHS. */
static size_t sized_layers(const rc_rnn_config *c)
{
    return c->num_layers < RC_RNN_MAX_WIDTHS ? c->num_layers : RC_RNN_MAX_WIDTHS;
}

/* The per-layer widths "1150,1150,400" (absent: every layer hidden_size). */
static int meta_sizes(const rc_safetensors *st, const char *path, rc_rnn_config *cfg)
{
    const char *v = rc_safetensors_metadata(st, "hidden_sizes"), *p = v;
    size_t n = sized_layers(cfg);
    for (size_t l = 0; v && l < n; l++) {
        char *end = NULL;
        unsigned long long x = *p >= '0' && *p <= '9' ? strtoull(p, &end, 10) : 0;
        if (!end || x == 0 || *end != (l + 1 < n ? ',' : '\0'))
            return rc__fail(RC_EFORMAT, "%s: metadata hidden_sizes '%s' is not %zu positive sizes separated by "
                                        "commas",
                            path, v, n);
        cfg->hidden_sizes[l] = (size_t)x;
        p = end + 1;
    }
    return RC_OK;
}

/* A rate from the metadata key (absent: 0). */
static int meta_rate(const rc_safetensors *st, const char *path, const char *key, float *out)
{
    const char *v = rc_safetensors_metadata(st, key);
    if (v) {
        char *end;
        *out = strtof(v, &end);
        if (end == v || *end)
            return rc__fail(RC_EFORMAT, "%s: metadata %s '%s' is not a number", path, key, v);
    }
    return RC_OK;
}

/* What no shape tells: the residual links, the dropout between layers
 * (locked or not) and the weight drop. */
static int meta_extras(const rc_safetensors *st, const char *path, rc_rnn_config *cfg)
{
    cfg->residual = metadata_true(rc_safetensors_metadata(st, "residual"));
    cfg->dropout_locked = metadata_true(rc_safetensors_metadata(st, "dropout_locked"));
    int status = meta_rate(st, path, "dropout", &cfg->dropout);
    return status ? status : meta_rate(st, path, "weight_drop", &cfg->weight_drop);
}

/* The cell's options from the metadata keys "cell.NAME"; a key the cell
 * does not know is an error (a newer file), a missing one its default (an
 * older file). */
static int meta_options(const rc_safetensors *st, const char *path, rc_rnn_config *cfg)
{
    for (size_t i = 0; i < rc_safetensors_metadata_count(st); i++) {
        const char *key = rc_safetensors_metadata_key(st, i), *v = rc_safetensors_metadata(st, key);
        if (strncmp(key, "cell.", 5))
            continue;
        char *end = NULL;
        double x = v ? strtod(v, &end) : 0.0;
        if (!v || end == v || *end)
            return rc__fail(RC_EFORMAT, "%s: metadata '%s' is not a number", path, key);
        if (rc_rnn_config_set(cfg, key + 5, x)) {
            char detail[256];
            snprintf(detail, sizeof detail, "%s", rc_last_error());
            return rc__fail(RC_EFORMAT, "%s: metadata '%s': %s", path, key, detail);
        }
    }
    return RC_OK;
}

/* A recur file describes its network in the metadata. */
static int config_from_metadata(const rc_safetensors *st, const char *path, int cell, rc_rnn_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->cell = cell;
    if (meta_size(st, path, "input_size", &cfg->input_size) || meta_size(st, path, "hidden_size", &cfg->hidden_size) ||
        meta_size(st, path, "num_layers", &cfg->num_layers) || meta_sizes(st, path, cfg))
        return rc_last_status();
    const char *bias = rc_safetensors_metadata(st, "bias");
    cfg->bias = !bias || metadata_true(bias);
    cfg->bidirectional = metadata_true(rc_safetensors_metadata(st, "bidirectional"));
    cfg->peephole = metadata_true(rc_safetensors_metadata(st, "peephole"));
    if (rc_safetensors_metadata(st, "proj_size") && meta_size(st, path, "proj_size", &cfg->proj_size))
        return rc_last_status();
    return meta_extras(st, path, cfg) ? rc_last_status() : meta_options(st, path, cfg);
}

/* A PyTorch state_dict: layers, directions, sizes, projection, bias and
 * peepholes from the tensor names and shapes, the cell from the gate count
 * (and the metadata "nonlinearity") unless given. */
static int config_from_shapes(const rc_safetensors *st, const char *path, const char *prefix, int cell,
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
    const char *nonlin = rc_safetensors_metadata(st, "nonlinearity");
    if (cell >= 0 && rc_cell_gates(cell) == 0)
        return rc__fail(RC_EFORMAT, "%s: a %s network is read from the metadata recur writes (input_size, "
                                    "hidden_size, num_layers), which the file lacks; only PyTorch's RNN, LSTM "
                                    "and GRU are told from their shapes",
                        path, rc_cell_name(cell));
    if (cell < 0)
        cell = rc_cell_from_name(G == 4   ? "lstm"
                                 : G == 3 ? "gru"
                                 : nonlin && !strcmp(nonlin, "relu") ? "rnn_relu"
                                                                     : "rnn_tanh");
    if (rc_cell_gates(cell) != G)
        return rc__fail(RC_EFORMAT, "%s: a %s has %zu gates, but weight_hh_l0 has %zu rows for "
                                    "hidden size %zu (%zu gates)",
                        path, rc_cell_name(cell), rc_cell_gates(cell), hh[0], H, G);
    cfg->cell = cell;
    if (metadata_true(rc_safetensors_metadata(st, "peephole")) && !cfg->peephole)
        return rc__fail(RC_EFORMAT, "%s: metadata says peephole but %sweight_ph_l0 is missing",
                        path, prefix);
    return meta_extras(st, path, cfg);
}

int rc__rnn_config_from_file(const rc_safetensors *st, const char *path, const char *prefix, int cell,
                             rc_rnn_config *cfg)
{
    if (cell_of_file(st, path, &cell))
        return rc_last_status();
    if (cell >= 0 && rc_safetensors_metadata(st, "hidden_size"))
        return config_from_metadata(st, path, cell, cfg);
    return config_from_shapes(st, path, prefix, cell, cfg);
}

/* 1 when name is named as a layer's weight is: <base>_l<k>[_reverse]. */
static int is_layer_weight(const char *name)
{
    const char *p = strstr(name, "_l");
    for (; p; p = strstr(p + 1, "_l")) {
        const char *q = p + 2;
        if (!isdigit((unsigned char)*q))
            continue;
        while (isdigit((unsigned char)*q))
            q++;
        if (*q == '\0' || !strcmp(q, "_reverse"))
            return p > name;
    }
    return 0;
}

void rc__describe_rnn(const rc_rnn_config *c, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "a %zu-layer%s %s with input %zu and hidden size%s ", c->num_layers,
                     c->bidirectional ? " bidirectional" : "", rc_cell_name(c->cell), c->input_size,
                     ragged(c) ? "s" : "");
    size_t at = n > 0 ? (size_t)n : 0, shown = 0;
    for (size_t l = 0; l < (ragged(c) ? c->num_layers : 1) && at < cap; l++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%zu", l ? ", " : "", rc_rnn_config_layer_size(c, l));
    if (at < cap)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", c->proj_size ? " and a projection" : "",
                               c->peephole ? " and peepholes" : "");
    /* the cell's own options, but those spelled as PyTorch's fields above */
    for (size_t i = 0; rc_cell_option_name(c->cell, i) && at < cap; i++) {
        const char *name = rc_cell_option_name(c->cell, i);
        if (!rc__cell_option_is_field(name))
            at += (size_t)snprintf(buf + at, cap - at, "%s%s %g", shown++ ? ", " : " (", name,
                                   rc_rnn_config_get(c, name));
    }
    if (shown && at < cap)
        snprintf(buf + at, cap - at, ")");
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
        if (strncmp(name, prefix, plen) || !is_layer_weight(name + plen))
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
    int file_cell = cell;
    if (cell_of_file(st, path, &file_cell) || find_prefix(st, path, file_cell, prefix, sizeof prefix) ||
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

/* 1 when t is one of the network's weights. */
static int owns(const rc_rnn *rnn, const rc_tensor *t)
{
    const rc_rnn_config *c = rc_rnn_config_of(rnn);
    for (size_t l = 0; l < c->num_layers; l++)
        for (size_t d = 0; d < (c->bidirectional ? 2u : 1u); d++)
            for (size_t j = 0; j < RC__CELL_MAX_PARAMS; j++)
                if (rc__rnn_layer(rnn, l, d)->w[j] == t)
                    return 1;
    return 0;
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
        if (strncmp(name, prefix, plen) == 0 && owns(rnn, rc_params_tensor(p, i))) {
            names[n] = name + plen;
            tensors[n++] = rc_params_tensor(p, i);
        }
    }
    rc__meta meta = {0};
    rc__meta_rnn(&meta, c);
    rc__meta_add(&meta, "format", "recur %s", RC_VERSION);
    int status = rc__meta_check(&meta, path);
    if (!status)
        status = rc_safetensors_save(path, n, names, tensors, meta.n, meta.keys, meta.values);
    free(names), free(tensors);
    return status;
}

void rc__meta_add(rc__meta *m, const char *key, const char *fmt, ...)
{
    if (m->n == RC__META_MAX || strlen(key) >= sizeof m->key_store[0]) {
        m->lost = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(m->store[m->n], sizeof m->store[m->n], fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= sizeof m->store[m->n])
        m->lost = 1;
    snprintf(m->key_store[m->n], sizeof m->key_store[m->n], "%s", key);
    m->keys[m->n] = m->key_store[m->n];
    m->values[m->n] = m->store[m->n];
    m->n++;
}

int rc__meta_check(const rc__meta *m, const char *path)
{
    if (m->lost)
        return rc__fail(RC_EINVAL, "%s: the metadata does not fit (more than %d keys, or a key or value too "
                                   "long); nothing was written",
                        path, RC__META_MAX);
    return RC_OK;
}

void rc__meta_rnn(rc__meta *m, const rc_rnn_config *c)
{
    rc__meta_add(m, "cell", "%s", rc_cell_name(c->cell));
    rc__meta_add(m, "input_size", "%zu", c->input_size);
    rc__meta_add(m, "hidden_size", "%zu", c->hidden_size);
    rc__meta_add(m, "num_layers", "%zu", c->num_layers);
    if (ragged(c)) {
        char sizes[RC_RNN_MAX_WIDTHS * 21];
        size_t at = 0;
        for (size_t l = 0; l < sized_layers(c); l++)
            at += (size_t)snprintf(sizes + at, sizeof sizes - at, "%s%zu", l ? "," : "", rc_rnn_config_layer_size(c, l));
        rc__meta_add(m, "hidden_sizes", "%s", sizes);
    }
    rc__meta_add(m, "bidirectional", "%d", c->bidirectional);
    rc__meta_add(m, "bias", "%d", c->bias);
    rc__meta_add(m, "proj_size", "%zu", c->proj_size);
    rc__meta_add(m, "peephole", "%d", c->peephole);
    rc__meta_add(m, "residual", "%d", c->residual);
    rc__meta_add(m, "dropout", "%.9g", (double)c->dropout);
    rc__meta_add(m, "dropout_locked", "%d", c->dropout_locked);
    rc__meta_add(m, "weight_drop", "%.9g", (double)c->weight_drop);
    /* the cell's own options as cell.NAME, but those spelled as PyTorch's fields above */
    for (size_t i = 0; rc_cell_option_name(c->cell, i); i++) {
        const char *name = rc_cell_option_name(c->cell, i);
        char key[64];
        if (rc__cell_option_is_field(name))
            continue;
        snprintf(key, sizeof key, "cell.%s", name);
        rc__meta_add(m, key, "%.17g", rc_rnn_config_get(c, name));
    }
}
