/* main.c — the `recur` command.  It parses flags and calls the library; it
 * holds no training logic of its own. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: recur COMMAND [OPTIONS]\n"
            "       recur --help | --version\n"
            "\n"
            "recur is a C library and command-line tool for recurrent neural networks.\n"
            "\n"
            "Commands:\n"
            "  info MODEL              architecture, sizes, parameter count and tensors of a\n"
            "                          model file (a PyTorch RNN/LSTM/GRU state_dict or recur's)\n"
            "  run MODEL INPUT -o OUT  run a network over the tensors of a safetensors file,\n"
            "                          with PyTorch's semantics (lengths, states, batch-first)\n"
            "  train --task T --data PATH --out DIR\n"
            "                          train a model (lm, music, classify) with a progress bar,\n"
            "                          checkpoints (--resume), log.csv and curves.svg\n"
            "  eval MODEL --data PATH  a trained model's metrics on a split of its data\n"
            "  sample MODEL            generate text (lm) or a MIDI file (music)\n"
            "  plot RUN_DIR...         overlay the learning curves of several runs\n"
            "  bench                   time the fused RNN/LSTM/GRU layers (checked first)\n"
            "  version                 print the version and how the library was built\n"
            "  help                    print this message\n"
            "Each command takes --help.\n"
            "\n"
            "Options:\n"
            "  -h, --help      print this message and exit\n"
            "  -V, --version   print the version and exit\n"
            "\n"
            "The library API is in include/recur.h; `make demo` trains a network on\n"
            "Fashion-MNIST with it.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("%s\n", rc_build_info());
        return 0;
    }
    if (strcmp(cmd, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "train") == 0)
        return cmd_train(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - 1, argv + 1);
    if (strcmp(cmd, "sample") == 0)
        return cmd_sample(argc - 1, argv + 1);
    if (strcmp(cmd, "plot") == 0)
        return cmd_plot(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0)
        return cmd_bench(argc - 1, argv + 1);
    if (cmd[0] == '-')
        fprintf(stderr, "recur: unknown option '%s' (see recur --help)\n", cmd);
    else
        fprintf(stderr, "recur: unknown command '%s' (see recur --help)\n", cmd);
    return 2;
}
