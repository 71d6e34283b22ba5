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

int cli_cell(const char *cmd, const char *name)
{
    int cell = rc_cell_from_name(name);
    if (cell < 0)
        cli_fail(cmd, "unknown cell '%s' (one of lstm, gru, gru_reset_before, rnn_tanh, rnn_relu)",
                 name);
    return cell;
}
