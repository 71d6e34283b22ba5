/* registry.c — the cells of RC_CELL_LIST: their descriptors and names,
 * generated from the list, and the cells' options by name. */
#include "cell.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const rc__cell *const cells[RC_CELL_COUNT] = {
#define RC__CELL_ROW(id, token) [id] = &rc__cell_##token,
    RC_CELL_LIST(RC__CELL_ROW)
#undef RC__CELL_ROW
};

static const char *const names[RC_CELL_COUNT] = {
#define RC__CELL_NAME_ROW(id, token) [id] = #token,
    RC_CELL_LIST(RC__CELL_NAME_ROW)
#undef RC__CELL_NAME_ROW
};

const rc__cell *rc__cell_of(int cell) { return cell >= 0 && cell < RC_CELL_COUNT ? cells[cell] : NULL; }

const char *rc_cell_name(int cell) { return cell >= 0 && cell < RC_CELL_COUNT ? names[cell] : NULL; }

int rc_cell_from_name(const char *name) { return rc__name_index(names, RC_CELL_COUNT, name); }

const char *rc_cell_summary(int cell) { return cell >= 0 && cell < RC_CELL_COUNT ? cells[cell]->summary : NULL; }

int rc_cell_fused(int cell)
{
    const rc__cell *c = rc__cell_of(cell);
    return c && c->kernels;
}

static size_t option_count(const rc__cell *c)
{
    size_t n = 0;
    while (c->options && c->options[n].name)
        n++;
    return n;
}

static const rc__cell_option *option_of(int cell, size_t i)
{
    const rc__cell *c = rc__cell_of(cell);
    return c && i < option_count(c) ? &c->options[i] : NULL;
}

const char *rc_cell_option_name(int cell, size_t i)
{
    const rc__cell_option *o = option_of(cell, i);
    return o ? o->name : NULL;
}

const char *rc_cell_option_doc(int cell, size_t i)
{
    const rc__cell_option *o = option_of(cell, i);
    return o ? o->doc : NULL;
}

double rc_cell_option_default(int cell, size_t i)
{
    const rc__cell_option *o = option_of(cell, i);
    return o ? o->fallback : NAN;
}

int rc__cell_option_index(int cell, const char *name)
{
    const rc__cell *c = rc__cell_of(cell);
    for (size_t i = 0; c && name && i < option_count(c); i++)
        if (!strcmp(c->options[i].name, name))
            return (int)i;
    return -1;
}

/* "rounds, rank" or "none": the cell's options, for messages. */
static const char *option_list(int cell, char *buf, size_t cap)
{
    const rc__cell *c = rc__cell_of(cell);
    size_t n = c ? option_count(c) : 0, at = 0;
    snprintf(buf, cap, "%s", n ? "" : "none");
    for (size_t i = 0; i < n && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? ", " : "", c->options[i].name);
    return buf;
}

static int check_value(int cell, const rc__cell_option *o, double value)
{
    if (!(value >= o->min && value <= o->max) || (o->integer && value != floor(value)))
        return rc__fail(RC_EINVAL, "rnn config: %s's option %s = %g is not %s in [%g, %g] (%s)", rc_cell_name(cell),
                        o->name, value, o->integer ? "a whole number" : "a number", o->min, o->max, o->doc);
    return RC_OK;
}

int rc_rnn_config_set(rc_rnn_config *cfg, const char *name, double value)
{
    if (!cfg || !name)
        return rc__fail(RC_EINVAL, "rc_rnn_config_set: configuration or name is NULL");
    if (!rc__cell_of(cfg->cell))
        return rc__fail(RC_EINVAL, "rc_rnn_config_set: cell %d is not one of the %d cells", cfg->cell, RC_CELL_COUNT);
    int i = rc__cell_option_index(cfg->cell, name);
    if (i < 0) {
        char list[256];
        return rc__fail(RC_EINVAL, "rnn config: the cell %s has no option %s (its options: %s)",
                        rc_cell_name(cfg->cell), name, option_list(cfg->cell, list, sizeof list));
    }
    if (check_value(cfg->cell, option_of(cfg->cell, (size_t)i), value))
        return rc_last_status();
    cfg->options[i] = value;
    cfg->options_set |= 1u << i;
    return RC_OK;
}

double rc_rnn_config_get(const rc_rnn_config *cfg, const char *name)
{
    double opt[RC_CELL_MAX_OPTIONS];
    int i = cfg ? rc__cell_option_index(cfg->cell, name) : -1;
    if (i < 0 || rc__cell_options(cfg, opt))
        return NAN;
    return opt[i];
}

/* The PyTorch-spelled fields proj_size and peephole, as the options of
 * those names: a cell without them refuses a nonzero value. */
static int alias(const rc_rnn_config *cfg, const char *name, double value, const char *needs, double *opt)
{
    if (value == 0.0)
        return RC_OK;
    int i = rc__cell_option_index(cfg->cell, name);
    if (i < 0)
        return rc__fail(RC_EINVAL, "rnn config: %s, the cell is %s (it has no option %s)", needs,
                        rc_cell_name(cfg->cell), name);
    if (cfg->options_set >> i & 1u && cfg->options[i] != value)
        return rc__fail(RC_EINVAL, "rnn config: %s is %g in the field and %g as an option", name, value,
                        cfg->options[i]);
    opt[i] = value;
    return check_value(cfg->cell, option_of(cfg->cell, (size_t)i), value);
}

int rc__cell_options(const rc_rnn_config *cfg, double opt[RC_CELL_MAX_OPTIONS])
{
    const rc__cell *c = rc__cell_of(cfg->cell);
    if (!c)
        return rc__fail(RC_EINVAL, "rnn config: cell %d is not one of the %d cells", cfg->cell, RC_CELL_COUNT);
    size_t n = option_count(c);
    for (size_t i = 0; i < RC_CELL_MAX_OPTIONS; i++) {
        opt[i] = i < n ? c->options[i].fallback : 0.0;
        if (!(cfg->options_set >> i & 1u))
            continue;
        if (i >= n)
            return rc__fail(RC_EINVAL, "rnn config: option %zu is set, but the cell %s has %zu options", i,
                            rc_cell_name(cfg->cell), n);
        if (check_value(cfg->cell, &c->options[i], cfg->options[i]))
            return rc_last_status();
        opt[i] = cfg->options[i];
    }
    char needs[96];
    snprintf(needs, sizeof needs, "proj_size %zu needs an LSTM", cfg->proj_size);
    if (alias(cfg, "proj_size", (double)cfg->proj_size, needs, opt) ||
        alias(cfg, "peephole", cfg->peephole ? 1.0 : 0.0, "peepholes need an LSTM", opt))
        return rc_last_status();
    return RC_OK;
}

int rc__cell_declare_default(int cell, size_t I, size_t H, rc__cell_decl *d)
{
    const rc__cell *c = rc__cell_of(cell);
    if (!c)
        return rc__fail(RC_EINVAL, "cell %d is not one of the %d cells", cell, RC_CELL_COUNT);
    double opt[RC_CELL_MAX_OPTIONS] = {0};
    for (size_t i = 0; i < option_count(c); i++)
        opt[i] = c->options[i].fallback;
    rc__cell_dims dims = {I, H, 1, opt};
    memset(d, 0, sizeof *d);
    return c->declare(d, &dims);
}

int rc__cell_option_is_field(const char *name) { return !strcmp(name, "proj_size") || !strcmp(name, "peephole"); }

size_t rc_cell_gates(int cell)
{
    rc__cell_decl d;
    if (rc__cell_declare_default(cell, 1, 1, &d) || d.param[RC__W_HH].ndim != 2 ||
        strcmp(d.param[RC__W_HH].base, "weight_hh"))
        return 0;
    return d.param[RC__W_HH].shape[0];
}
