/* main.c — the `recur` command.  It parses flags and calls the library; it
 * holds no training logic of its own.  One table names every command, its
 * usage line and what it does: the dispatch and `recur --help` both read it. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    const char *usage;
    const char *about;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"cells", "cells [CELL]", "every recurrent cell: its paper, states and options (--cell-opt)", cmd_cells},
    {"info", "info MODEL", "architecture, sizes, parameter count and tensors of a model file\n"
                           "(a PyTorch RNN/LSTM/GRU state_dict, or recur's)", cmd_info},
    {"run", "run MODEL INPUT -o OUT", "run a network over the tensors of a safetensors file, with\n"
                                      "PyTorch's semantics (lengths, states, batch-first)", cmd_run},
    {"train", "train --task T --data PATH --out DIR", "train a model (lm, music, classify, audio) with a progress bar,\n"
                                                      "checkpoints (--resume), log.csv and curves.svg", cmd_train},
    {"eval", "eval MODEL --data PATH", "a trained model's metrics on a split of its data", cmd_eval},
    {"sample", "sample MODEL", "generate text (lm) or a MIDI file (music)", cmd_sample},
    {"plot", "plot RUN_DIR...", "overlay the learning curves of several runs", cmd_plot},
    {"bench", "bench", "time the fused RNN/LSTM/GRU layers (checked first)", cmd_bench},
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: recur COMMAND [OPTIONS]\n"
                 "       recur --help | --version\n"
                 "\n"
                 "recur is a C library and command-line tool for recurrent neural networks.\n"
                 "\n"
                 "Commands (each takes --help):\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(out, "  %-38s ", commands[i].usage);
        for (const char *c = commands[i].about; *c; c++) {
            if (*c == '\n') /* a continuation line, under the first */
                fprintf(out, "\n  %-38s ", "");
            else
                fputc(*c, out);
        }
        fputc('\n', out);
    }
    fprintf(out, "  %-38s %s\n\n", "version", "print the version and how the library was built");
    fprintf(out, "The library API is in include/recur.h; `make demo` shows the main job.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("%s\n", rc_build_info());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "recur: unknown %s '%s' (see recur --help)\n", cmd[0] == '-' ? "option" : "command", cmd);
    return 2;
}
