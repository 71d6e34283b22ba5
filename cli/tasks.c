/* tasks.c — the synthetic tasks' flags for `recur train` and `recur eval`,
 * and their description in a model file's metadata ("synthetic": the task's
 * name, then NAME=VALUE for each setting, e.g. "copy bits=8 length=1-20"),
 * so that eval tests a model on the task it learnt, at other lengths when
 * asked. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "A" or "A-B" of positive integers into lo, hi. */
static int parse_range(const char *text, size_t *lo, size_t *hi)
{
    char *end;
    errno = 0;
    if (!text || *text < '0' || *text > '9')
        return -1;
    unsigned long long a = strtoull(text, &end, 10), b = a;
    if (*end == '-') {
        const char *rest = end + 1;
        if (*rest < '0' || *rest > '9')
            return -1;
        b = strtoull(rest, &end, 10);
    }
    if (*end || errno || a == 0 || b < a || b > (size_t)-1 / 2)
        return -1;
    *lo = (size_t)a, *hi = (size_t)b;
    return 0;
}

/* The flags each task reads, by kind. */
static const char *const task_flags[RC_SYNTH_COUNT] = {
    [RC_SYNTH_COPY] = "--length --bits",
    [RC_SYNTH_REPEAT_COPY] = "--length --repeats --bits",
    [RC_SYNTH_ASSOC_RECALL] = "--items --item-length --bits",
    [RC_SYNTH_COPY_MEMORY] = "--length --symbols --copy-length",
    [RC_SYNTH_ADDING] = "--length",
    [RC_SYNTH_CONVEX_HULL] = "--length",
    [RC_SYNTH_TSP] = "--length",
};

/* 1 when flag (given) is one of the task's. */
static int reads(int kind, const char *flag)
{
    const char *at = strstr(task_flags[kind], flag);
    return at && (at[strlen(flag)] == ' ' || at[strlen(flag)] == '\0');
}

int cli_synth_config(const char *cmd, const rc_synth_config *base, const cli_synth_flags *f, rc_synth_config *out)
{
    *out = *base;
    const struct {
        const char *flag;
        int given;
    } given[] = {{"--length", f->length != NULL},  {"--repeats", f->repeats != NULL},
                 {"--items", f->items != NULL},    {"--bits", f->bits != 0},
                 {"--item-length", f->item_length != 0}, {"--symbols", f->symbols != 0},
                 {"--copy-length", f->copy_length != 0}};
    for (size_t i = 0; i < sizeof given / sizeof given[0]; i++)
        if (given[i].given && !reads(base->kind, given[i].flag))
            return cli_fail(cmd, "%s is not a setting of task %s, which reads %s", given[i].flag,
                            rc_synth_name(base->kind), task_flags[base->kind]);
    const struct {
        const char *flag, *text;
        size_t *lo, *hi;
    } ranges[] = {
        {"--length", f->length, &out->min_length, &out->max_length},
        {"--repeats", f->repeats, &out->min_repeats, &out->max_repeats},
        {"--items", f->items, &out->min_items, &out->max_items},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (ranges[i].text && parse_range(ranges[i].text, ranges[i].lo, ranges[i].hi))
            return cli_fail(cmd, "%s %s: expected N or N-M, positive integers with N <= M", ranges[i].flag,
                            ranges[i].text);
    if (f->bits)
        out->bits = f->bits;
    if (f->item_length)
        out->item_length = f->item_length;
    if (f->symbols)
        out->symbols = f->symbols;
    if (f->copy_length)
        out->copy_length = f->copy_length;
    if (rc_synth_check(out))
        return cli_fail(cmd, "%s", rc_last_error());
    return 0;
}

void cli_synth_format(const rc_synth_config *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s bits=%zu length=%zu-%zu repeats=%zu-%zu items=%zu-%zu item_length=%zu symbols=%zu "
                       "copy_length=%zu",
             rc_synth_name(c->kind), c->bits, c->min_length, c->max_length, c->min_repeats, c->max_repeats,
             c->min_items, c->max_items, c->item_length, c->symbols, c->copy_length);
}

int cli_synth_parse(const char *text, rc_synth_config *c)
{
    char name[32];
    int used = 0;
    if (!text || sscanf(text, "%31s%n", name, &used) != 1 || rc_synth_from_name(name) < 0)
        return -1;
    memset(c, 0, sizeof *c);
    c->kind = rc_synth_from_name(name);
    int n = sscanf(text + used, " bits=%zu length=%zu-%zu repeats=%zu-%zu items=%zu-%zu item_length=%zu symbols=%zu "
                                "copy_length=%zu",
                   &c->bits, &c->min_length, &c->max_length, &c->min_repeats, &c->max_repeats, &c->min_items,
                   &c->max_items, &c->item_length, &c->symbols, &c->copy_length);
    return n == 10 && rc_synth_check(c) == RC_OK ? 0 : -1;
}

/* "N" or "N-M". */
static const char *range(size_t lo, size_t hi, char *buf, size_t cap)
{
    if (lo == hi)
        snprintf(buf, cap, "%zu", lo);
    else
        snprintf(buf, cap, "%zu-%zu", lo, hi);
    return buf;
}

void cli_synth_describe(const rc_synth_config *c, char *buf, size_t cap)
{
    char a[48], b[48];
    switch (c->kind) {
    case RC_SYNTH_COPY:
        snprintf(buf, cap, "copy of %s vectors of %zu bits", range(c->min_length, c->max_length, a, sizeof a), c->bits);
        break;
    case RC_SYNTH_REPEAT_COPY:
        snprintf(buf, cap, "repeat-copy of %s vectors of %zu bits, %s times",
                 range(c->min_length, c->max_length, a, sizeof a), c->bits,
                 range(c->min_repeats, c->max_repeats, b, sizeof b));
        break;
    case RC_SYNTH_ASSOC_RECALL:
        snprintf(buf, cap, "assoc-recall over %s items of %zu vectors of %zu bits",
                 range(c->min_items, c->max_items, a, sizeof a), c->item_length, c->bits);
        break;
    case RC_SYNTH_COPY_MEMORY:
        snprintf(buf, cap, "copy-memory of %zu symbols of %zu across a gap of %s", c->copy_length, c->symbols,
                 range(c->min_length, c->max_length, a, sizeof a));
        break;
    case RC_SYNTH_CONVEX_HULL:
    case RC_SYNTH_TSP:
        snprintf(buf, cap, "%s of %s points", c->kind == RC_SYNTH_TSP ? "tsp" : "convex-hull",
                 range(c->min_length, c->max_length, a, sizeof a));
        break;
    default: snprintf(buf, cap, "adding over %s steps", range(c->min_length, c->max_length, a, sizeof a)); break;
    }
}
