/* cli.h — what the recur commands share. */
#ifndef RC_CLI_H
#define RC_CLI_H

#include "recur.h"

#include <stdio.h>

/* Exit codes: 0 done, 1 an internal failure, 2 bad input (flags, files). */
enum { EXIT_BAD_INPUT = 2 };

/* Prints "recur CMD: message" on stderr; returns EXIT_BAD_INPUT. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A file written whole or not at all: cli_open_whole gives a stream into
 * memory (open_memstream); cli_close_whole closes it and hands the text to
 * rc_write_file (a temporary file, fsync, rename), unless ok is 0 or a write
 * failed.  0 on success. */
typedef struct {
    FILE *f;
    char *text;
    size_t len;
} cli_whole;
FILE *cli_open_whole(cli_whole *w);
int cli_close_whole(cli_whole *w, const char *path, int ok);

/* The cores this process may run on (its CPU affinity): --threads' default. */
size_t cli_cores(void);
/* This machine's physical memory in bytes (0 when unknown). */
double cli_memory(void);

/* Parses --cell NAME; -1 (with the message printed) when unknown. */
int cli_cell(const char *cmd, const char *name);
/* Every cell's name, NULL-terminated, from the library's registry. */
const char *const *cli_cell_names(void);

/* A repeatable flag's values, in order (OPT_LIST). */
enum { CLI_LIST_MAX = 16 };
typedef struct {
    const char *v[CLI_LIST_MAX];
    size_t n;
} cli_list;

/* Sets each --cell-opt NAME=VALUE of opts on cfg (whose cell is chosen);
 * 0, or EXIT_BAD_INPUT with one line printed. */
int cli_cell_options(const char *cmd, const cli_list *opts, rc_rnn_config *cfg);
/* A cell's name, summary, and options with their defaults and docs. */
void cli_print_cell(FILE *out, int cell);

/* The model file a command was given: path itself, or for a run folder
 * (recur train --out) its model.safetensors, written into buf. */
const char *cli_model_file(const char *path, char *buf, size_t cap);

/* Flags, described once (options.c). */
enum { OPT_FLAG, OPT_SIZE, OPT_U64, OPT_FLOAT, OPT_STRING, OPT_CHOICE, OPT_LIST };

typedef struct {
    const char *name;            /* "--hidden" */
    const char *alias;           /* "-o", or NULL */
    int type;
    void *dest;                  /* int (flag, choice), size_t, uint64_t, double, const char *, cli_list */
    const char *help;
    const char *const *choices;  /* OPT_CHOICE: NULL-terminated names, index into *dest */
} cli_option;

/* Parses argv[0..argc) against opts (terminated by a zeroed entry);
 * arguments not starting with '-' go to positional[max]. */
int cli_parse(const char *cmd, const cli_option *opts, int argc, char **argv, const char **positional,
              int max_positional, int *n_positional);
void cli_usage(FILE *out, const char *synopsis, const char *about, const cli_option *opts);

/* A task's data, found and read (data.c). */
typedef struct {
    int task;
    const char *path;           /* file or folder */
    const char *valid;          /* lm: a separate validation text, or NULL */
    int level;                  /* lm: enum rc_text_level */
    const char *vocab;          /* lm: a saved vocabulary (JSON) to encode with, or NULL */
    double valid_fraction;      /* held out of train when there is no validation split */
    size_t train_limit;         /* classify: use at most this many training items (0: all) */
    int pixels;                 /* classify: pixel by pixel instead of row by row */
    int want_train;             /* read the training split (eval needs only the others) */
    double midi_steps;          /* music from MIDI: steps per quarter note (0: use midi_fps) */
    double midi_fps;            /* music from MIDI: frames per second */
    size_t window, hop;         /* audio: samples read and predicted per step */
} cli_data_options;

typedef struct {
    rc_dataset *train, *valid, *test;
    rc_vocab *vocab;            /* lm */
    unsigned rate;              /* audio: the clips' sample rate */
} cli_data;

int cli_data_load(const char *cmd, const cli_data_options *o, cli_data *d);
void cli_data_free(cli_data *d);

/* The synthetic tasks' flags (tasks.c): NULL or 0 keeps the base setting. */
typedef struct {
    const char *length, *repeats, *items; /* "N" or "N-M" */
    size_t bits, item_length, symbols, copy_length;
} cli_synth_flags;
/* base with the flags applied and checked; 0, or EXIT_BAD_INPUT with the
 * message printed. */
int cli_synth_config(const char *cmd, const rc_synth_config *base, const cli_synth_flags *f, rc_synth_config *out);
/* The metadata line "copy bits=8 length=1-20 ..." and back (0, or -1 when
 * text is not one or describes an invalid task). */
void cli_synth_format(const rc_synth_config *c, char *buf, size_t cap);
int cli_synth_parse(const char *text, rc_synth_config *c);
/* A phrase for people: "copy of 1-20 vectors of 8 bits". */
void cli_synth_describe(const rc_synth_config *c, char *buf, size_t cap);
/* The seeds of the sets every run shares: validation in training, the test
 * set of recur eval. */
#define CLI_SYNTH_VALID_SEED 0x76616c6964ull /* "valid" */
#define CLI_SYNTH_TEST_SEED 0x74657374ull    /* "test" */

/* One row of a learning curve; NAN where there is no figure. */
typedef struct {
    double step, epoch, train, valid, seconds;
} cli_curve;

/* One line of a chart: points (x[i], y[i]), NAN gaps skipped. */
typedef struct {
    const char *name;
    const double *x, *y;
    size_t n;
} cli_series;

/* Writes an SVG chart of the series (colours in order), atomically. */
int cli_chart(const cli_series *series, size_t n_series, const char *title, const char *xlabel,
              const char *ylabel, int log_y, const char *path);
/* Training and validation curves of one run. */
int cli_plot(const cli_curve *rows, size_t n, const char *title, const char *ylabel, const char *path);
/* Reads the rows of a log.csv; *n rows in a malloc'd array (NULL on failure). */
cli_curve *cli_read_log(const char *path, size_t *n);

int cmd_cells(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif /* RC_CLI_H */
