/* cli.h — what the recur commands share. */
#ifndef RC_CLI_H
#define RC_CLI_H

#include "recur.h"

/* Exit codes: 0 done, 1 an internal failure, 2 bad input (flags, files). */
enum { EXIT_BAD_INPUT = 2 };

/* Prints "recur CMD: message" on stderr; returns EXIT_BAD_INPUT. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses --cell NAME; -1 (with the message printed) when unknown. */
int cli_cell(const char *cmd, const char *name);

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);

#endif /* RC_CLI_H */
