/* common.c — helpers shared by the commands. */
#define _GNU_SOURCE /* sched_getaffinity */
#include "cli.h"

#include <sys/stat.h>

#include <sched.h>
#include <unistd.h>

#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

int cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "recur %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_BAD_INPUT;
}

size_t cli_cores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (size_t)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (size_t)n : 1;
}

double cli_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (double)pages * (double)page : 0.0;
}

FILE *cli_open_whole(cli_whole *w)
{
    w->text = NULL;
    w->len = 0;
    w->f = open_memstream(&w->text, &w->len);
    return w->f;
}

int cli_close_whole(cli_whole *w, const char *path, int ok)
{
    ok &= !ferror(w->f);
    ok &= fclose(w->f) == 0;
    ok = ok && rc_write_file(path, w->text, w->len) == RC_OK;
    free(w->text);
    return ok ? 0 : -1;
}

const char *const *cli_cell_names(void)
{
    static const char *names[RC_CELL_COUNT + 1];
    for (int c = 0; c < RC_CELL_COUNT; c++)
        names[c] = rc_cell_name(c);
    return names;
}

int cli_cell(const char *cmd, const char *name)
{
    int cell = rc_cell_from_name(name);
    if (cell < 0) {
        char list[512] = "";
        for (int c = 0; c < RC_CELL_COUNT; c++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", c ? ", " : "", rc_cell_name(c));
        cli_fail(cmd, "unknown cell '%s' (one of %s; recur cells lists them)", name, list);
    }
    return cell;
}

int cli_cell_options(const char *cmd, const cli_list *opts, rc_rnn_config *cfg)
{
    for (size_t i = 0; i < opts->n; i++) {
        const char *arg = opts->v[i], *eq = strchr(arg, '=');
        char name[64], *end = NULL;
        double value = eq ? strtod(eq + 1, &end) : 0.0;
        if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof name || end == eq + 1 || *end)
            return cli_fail(cmd, "--cell-opt '%s' is not NAME=NUMBER", arg);
        snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
        if (rc_rnn_config_set(cfg, name, value))
            return cli_fail(cmd, "--cell-opt %s: %s", arg, rc_last_error());
    }
    return 0;
}

void cli_print_cell(FILE *out, int cell)
{
    fprintf(out, "%-18s %s\n", rc_cell_name(cell), rc_cell_summary(cell));
    for (size_t i = 0; rc_cell_option_name(cell, i); i++)
        fprintf(out, "  %-16s %s [%g]\n", rc_cell_option_name(cell, i), rc_cell_option_doc(cell, i),
                rc_cell_option_default(cell, i));
}

const char *cli_model_file(const char *path, char *buf, size_t cap)
{
    struct stat sb;
    if (!path || stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return path;
    snprintf(buf, cap, "%s/model.safetensors", path);
    return buf;
}
