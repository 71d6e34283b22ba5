/* options.c — a table-driven parser for the commands' flags: one table
 * gives each flag's name, type, destination, default and help, so parsing,
 * validation and --help cannot disagree. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_value(const cli_option *o, const char *v, char *why, size_t cap)
{
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case OPT_STRING:
        *(const char **)o->dest = v;
        return 0;
    case OPT_SIZE:
    case OPT_U64: {
        if (v[0] == '-')
            break;
        unsigned long long x = strtoull(v, &end, 10);
        if (errno || end == v || *end || (o->type == OPT_SIZE && x > SIZE_MAX))
            break;
        if (o->type == OPT_SIZE)
            *(size_t *)o->dest = (size_t)x;
        else
            *(uint64_t *)o->dest = (uint64_t)x;
        return 0;
    }
    case OPT_FLOAT: {
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x))
            break;
        *(double *)o->dest = x;
        return 0;
    }
    case OPT_LIST: {
        cli_list *l = o->dest;
        if (l->n == CLI_LIST_MAX) {
            snprintf(why, cap, "accepted: %s is given at most %d times", o->name, CLI_LIST_MAX);
            return -1;
        }
        l->v[l->n++] = v;
        return 0;
    }
    case OPT_CHOICE:
        for (size_t i = 0; o->choices[i]; i++)
            if (!strcmp(o->choices[i], v)) {
                *(int *)o->dest = (int)i;
                return 0;
            }
        snprintf(why, cap, "one of");
        for (size_t i = 0; o->choices[i]; i++)
            snprintf(why + strlen(why), cap - strlen(why), " %s", o->choices[i]);
        return -1;
    default:
        break;
    }
    snprintf(why, cap, "%s", o->type == OPT_FLOAT ? "a number" : "a non-negative integer");
    return -1;
}

int cli_parse(const char *cmd, const cli_option *opts, int argc, char **argv, const char **positional,
              int max_positional, int *n_positional)
{
    int np = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !a[1]) {
            if (np == max_positional)
                return cli_fail(cmd, "unexpected argument '%s' (see recur %s --help)", a, cmd);
            positional[np++] = a;
            continue;
        }
        const cli_option *o = NULL;
        for (size_t k = 0; opts[k].name; k++)
            if (!strcmp(opts[k].name, a) || (opts[k].alias && !strcmp(opts[k].alias, a)))
                o = &opts[k];
        if (!o)
            return cli_fail(cmd, "unknown option '%s' (see recur %s --help)", a, cmd);
        if (o->type == OPT_FLAG) {
            *(int *)o->dest = 1;
            continue;
        }
        if (i + 1 >= argc)
            return cli_fail(cmd, "%s needs a value", a);
        char why[160];
        if (parse_value(o, argv[++i], why, sizeof why))
            return cli_fail(cmd, "%s: '%s' is not %s", a, argv[i], why);
    }
    if (n_positional)
        *n_positional = np;
    return 0;
}

void cli_usage(FILE *out, const char *synopsis, const char *about, const cli_option *opts)
{
    fprintf(out, "usage: %s\n\n%s\n\noptions (default in brackets):\n", synopsis, about);
    for (size_t k = 0; opts[k].name; k++) {
        const cli_option *o = &opts[k];
        char left[64];
        const char *arg = o->type == OPT_FLAG     ? ""
                          : o->type == OPT_CHOICE ? " CHOICE"
                          : o->type == OPT_STRING ? " TEXT"
                          : o->type == OPT_LIST   ? " K=V"
                                                  : " N";
        if (o->type == OPT_FLOAT)
            arg = " X";
        snprintf(left, sizeof left, "%s%s%s%s", o->alias ? o->alias : "", o->alias ? ", " : "", o->name, arg);
        fprintf(out, "  %-26s %s", left, o->help);
        if (o->type == OPT_CHOICE) {
            fprintf(out, ":");
            for (size_t i = 0; o->choices[i]; i++)
                fprintf(out, " %s", o->choices[i]);
        }
        if (o->type == OPT_CHOICE && *(int *)o->dest >= 0) /* < 0: a default the help text describes */
            fprintf(out, " [%s]", o->choices[*(int *)o->dest]);
        else if (o->type == OPT_SIZE)
            fprintf(out, " [%zu]", *(size_t *)o->dest);
        else if (o->type == OPT_U64)
            fprintf(out, " [%llu]", (unsigned long long)*(uint64_t *)o->dest);
        else if (o->type == OPT_FLOAT)
            fprintf(out, " [%g]", *(double *)o->dest);
        else if (o->type == OPT_STRING && *(const char **)o->dest)
            fprintf(out, " [%s]", *(const char **)o->dest);
        fputc('\n', out);
    }
}
