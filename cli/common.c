/* common.c — helpers shared by the commands. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
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

int cli_cell(const char *cmd, const char *name)
{
    int cell = rc_cell_from_name(name);
    if (cell < 0)
        cli_fail(cmd, "unknown cell '%s' (one of lstm, gru, gru_reset_before, rnn_tanh, rnn_relu)",
                 name);
    return cell;
}
