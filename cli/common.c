/* common.c — helpers shared by the commands. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

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

FILE *cli_open_whole(const char *path, char *tmp, size_t cap)
{
    snprintf(tmp, cap, "%s.tmp", path);
    return fopen(tmp, "w");
}

int cli_close_whole(FILE *f, const char *tmp, const char *path, int ok)
{
    ok &= !ferror(f);
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

int cli_cell(const char *cmd, const char *name)
{
    int cell = rc_cell_from_name(name);
    if (cell < 0)
        cli_fail(cmd, "unknown cell '%s' (one of lstm, gru, gru_reset_before, rnn_tanh, rnn_relu)",
                 name);
    return cell;
}
