/* train.c — `recur train`: reads a task's data, builds the model, and runs
 * the library's trainer, drawing a progress bar from its callback (plain
 * lines when stdout is not a terminal) and writing, in --out:
 *   model.safetensors       the best model on validation
 *   checkpoint.safetensors  the latest state (crash-safe; --resume continues it)
 *   log.csv                 step, epoch, losses, accuracy, rate, seconds: a row per evaluation,
 *                           and one every --log-every updates (empty validation fields)
 *   curves.svg              the learning curves
 *   args.txt                the flags, so `--out DIR --resume` alone continues */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* --task: the data-reading tasks (their index is their enum rc_task), then
 * the synthetic tasks from FIRST_SYNTH on (index - FIRST_SYNTH is their
 * enum rc_synth_kind), filled in by defaults(). */
enum { FIRST_SYNTH = RC_TASK_AUDIO + 1 };
static const char *tasks[FIRST_SYNTH + RC_SYNTH_COUNT + 1] = {"lm", "music", "classify", "audio"};
static const char *const optimizers[] = {"sgd", "adam", "adamw", "rmsprop", "asgd", NULL};
static const char *const schedules[] = {"constant", "step", "linear", "cosine", "plateau", NULL};
static const char *const levels[] = {"byte", "char", "word", NULL};
static const char *const pointer_models[] = {"pointer", "seq2seq", NULL};

typedef struct {
    int task, cell, optimizer, schedule, level;
    const char *data, *valid, *out, *class_names, *init, *hidden_sizes;
    size_t widths[RC_RNN_MAX_WIDTHS], n_widths; /* --hidden-sizes, parsed */
    size_t hidden, layers, proj, embed, epochs, steps, batch, bptt, nonmono, patience, eval_every,
        checkpoint_every, log_every, threads, train_limit, plateau_patience, window, hop, mixtures, bucket;
    double midi_steps, midi_fps;
    uint64_t seed;
    double lr, lr_end, gamma, step_size, schedule_length, momentum, weight_decay, beta1, beta2, eps, alpha,
        rms_floor, clip, clip_value, clip_update, weight_noise, dropout, layer_dropout, weight_drop, valid_fraction,
        dropout_embed, dropout_input, dropout_hidden, dropout_output, ar, tar;
    int tie_weights, variable_bptt, sha_rnn, sha_no_attention;
    int model;                     /* convex-hull, tsp: 0 the Pointer Network, 1 the seq2seq baseline */
    size_t positions;              /* the baseline's: the most points of the task, + 1 */
    size_t sha_ff, sha_memory;
    cli_synth_flags synth_flags;   /* synthetic tasks: */
    size_t train_size, valid_size; /* examples per epoch, and for validation */
    int bidirectional, peephole, residual, nesterov, centered, nt_asgd, resume, overwrite, pixels, help;
    cli_list cell_opts;
} train_args;

static void defaults(train_args *a)
{
    for (int k = 0; k < RC_SYNTH_COUNT; k++)
        tasks[FIRST_SYNTH + k] = rc_synth_name(k);
    memset(a, 0, sizeof *a);
    a->cell = RC_CELL_LSTM, a->optimizer = RC_OPTIM_ADAM, a->level = RC_TEXT_CHAR;
    a->hidden = 128, a->layers = 1, a->epochs = 10, a->batch = 32, a->bptt = 35, a->nonmono = 5;
    a->threads = cli_cores(), a->log_every = 100, a->seed = 1, a->plateau_patience = 2;
    a->lr = 1e-3, a->gamma = 0.1, a->step_size = 1, a->beta1 = 0.9, a->beta2 = 0.999, a->eps = 1e-8;
    a->alpha = 0.99, a->clip = 5, a->valid_fraction = -1, a->midi_steps = 4;
    a->window = 20, a->hop = 10, a->mixtures = 20;
    a->train_size = 10000, a->valid_size = 1000;
}

/* The synthetic task --task names, or -1. */
static int synth_kind(const train_args *a) { return a->task >= FIRST_SYNTH ? a->task - FIRST_SYNTH : -1; }

/* The task model that learns --task. */
static int model_task(const train_args *a)
{
    if (synth_kind(a) < 0)
        return a->task;
    rc_synth_config c = rc_synth_config_default(synth_kind(a));
    return rc_synth_task(&c);
}

enum { MAX_OPTIONS = 96 };

static int options(train_args *a, cli_option *o)
{
    cli_option table[] = {
        {"--task", NULL, OPT_CHOICE, &a->task,
         "what to learn: a data set's task, or a synthetic one (copy, repeat-copy, assoc-recall: Graves et al. "
         "2014; copy-memory, adding: Arjovsky et al. 2016; convex-hull, tsp: Vinyals et al. 2015, learnt by a "
         "Pointer Network whose encoder and decoder are --cell networks), generated, no --data", tasks},
        {"--data", NULL, OPT_STRING, &a->data, "training data: lm a text file or a folder with train.txt, "
                                               "valid.txt; music a folder of train/valid/test.txt piano rolls; "
                                               "classify a folder of IDX files; audio WAV files (a folder with "
                                               "train/ valid/ test/, or a folder or archive of clips)", NULL},
        {"--valid", NULL, OPT_STRING, &a->valid, "lm: a separate validation text", NULL},
        {"--valid-fraction", NULL, OPT_FLOAT, &a->valid_fraction,
         "share of training data held out when there is no validation split (-1: lm 0.1, classify 1/12)", NULL},
        {"--level", NULL, OPT_CHOICE, &a->level, "lm: tokens", levels},
        {"--pixels", NULL, OPT_FLAG, &a->pixels, "classify: read images pixel by pixel, not row by row", NULL},
        {"--train-limit", NULL, OPT_SIZE, &a->train_limit, "classify: use at most N training images (0: all)", NULL},
        {"--class-names", NULL, OPT_STRING, &a->class_names, "classify: comma-separated names, kept in the model", NULL},
        {"--midi-steps", NULL, OPT_FLOAT, &a->midi_steps, "music from MIDI: steps per quarter note", NULL},
        {"--midi-fps", NULL, OPT_FLOAT, &a->midi_fps, "music from MIDI: frames per second instead (with --midi-steps 0)", NULL},
        {"--window", NULL, OPT_SIZE, &a->window, "audio: samples read per step", NULL},
        {"--hop", NULL, OPT_SIZE, &a->hop, "audio: samples predicted per step (the window moves by as many)", NULL},
        {"--mixtures", NULL, OPT_SIZE, &a->mixtures, "audio: Gaussians per predicted sample", NULL},
        {"--length", NULL, OPT_STRING, &a->synth_flags.length,
         "synthetic: N or N-M, drawn per example: copy, repeat-copy the vectors (1-20, 1-10); copy-memory the gap "
         "(100); adding the steps (100); convex-hull, tsp the points (5-10, 5; tsp at most 20)", NULL},
        {"--bits", NULL, OPT_SIZE, &a->synth_flags.bits, "copy, repeat-copy, assoc-recall: bits per vector (8, 8, 6)",
         NULL},
        {"--repeats", NULL, OPT_STRING, &a->synth_flags.repeats, "repeat-copy: N or N-M copies (1-10)", NULL},
        {"--items", NULL, OPT_STRING, &a->synth_flags.items, "assoc-recall: N or N-M items (2-6)", NULL},
        {"--item-length", NULL, OPT_SIZE, &a->synth_flags.item_length, "assoc-recall: vectors per item (3)", NULL},
        {"--symbols", NULL, OPT_SIZE, &a->synth_flags.symbols, "copy-memory: the alphabet (8)", NULL},
        {"--copy-length", NULL, OPT_SIZE, &a->synth_flags.copy_length, "copy-memory: symbols to remember (10)", NULL},
        {"--train-size", NULL, OPT_SIZE, &a->train_size,
         "synthetic: examples per epoch, new ones every epoch (so --epochs x this are seen)", NULL},
        {"--valid-size", NULL, OPT_SIZE, &a->valid_size,
         "synthetic: validation examples, the same in every run", NULL},
        {"--cell", NULL, OPT_CHOICE, &a->cell, "recurrent cell (recur cells: what each is)", cli_cell_names()},
        {"--cell-opt", NULL, OPT_LIST, &a->cell_opts, "one of the cell's options as NAME=VALUE, repeatable (below)", NULL},
        {"--hidden", NULL, OPT_SIZE, &a->hidden, "hidden units per layer", NULL},
        {"--layers", NULL, OPT_SIZE, &a->layers, "stacked layers", NULL},
        {"--hidden-sizes", NULL, OPT_STRING, &a->hidden_sizes,
         "each layer's own width, comma-separated (e.g. 1150,1150,400 as AWD-LSTM); sets --layers and --hidden "
         "(the first)", NULL},
        {"--bidirectional", NULL, OPT_FLAG, &a->bidirectional, "both directions (not for lm or music)", NULL},
        {"--proj", NULL, OPT_SIZE, &a->proj, "lstm: projection size (0: none)", NULL},
        {"--peephole", NULL, OPT_FLAG, &a->peephole, "lstm: diagonal peepholes", NULL},
        {"--residual", NULL, OPT_FLAG, &a->residual, "residual links between layers", NULL},
        {"--embed", NULL, OPT_SIZE, &a->embed, "lm: embedding size (0: the hidden size)", NULL},
        {"--dropout", NULL, OPT_FLOAT, &a->dropout, "dropout on the network's input (lm) and output", NULL},
        {"--layer-dropout", NULL, OPT_FLOAT, &a->layer_dropout, "dropout between stacked layers", NULL},
        {"--weight-drop", NULL, OPT_FLOAT, &a->weight_drop,
         "DropConnect on the recurrent weights (W_hh), one mask per forward pass (AWD-LSTM)", NULL},
        {"--dropout-embed", NULL, OPT_FLOAT, &a->dropout_embed, "lm: drop whole word types from the embedding",
         NULL},
        {"--dropout-input", NULL, OPT_FLOAT, &a->dropout_input,
         "locked dropout on the network's input (one mask for every step)", NULL},
        {"--dropout-hidden", NULL, OPT_FLOAT, &a->dropout_hidden, "locked dropout between stacked layers", NULL},
        {"--dropout-output", NULL, OPT_FLOAT, &a->dropout_output,
         "locked dropout on the network's output, before the head", NULL},
        {"--ar", NULL, OPT_FLOAT, &a->ar, "activation regularisation: + AR mean(dropped output^2)", NULL},
        {"--tar", NULL, OPT_FLOAT, &a->tar,
         "temporal activation regularisation: + TAR mean((h_t - h_{t-1})^2)", NULL},
        {"--sha-rnn", NULL, OPT_FLAG, &a->sha_rnn,
         "lm: Merity's SHA-RNN: each layer a block (layer norms, the layer, a Boom feed-forward), single-head "
         "attention over a carried memory in the second-to-last (needs --hidden = --embed, 2+ layers)", NULL},
        {"--sha-ff", NULL, OPT_SIZE, &a->sha_ff, "sha-rnn: the Boom's width, a multiple of --embed (0: 4 x)", NULL},
        {"--sha-memory", NULL, OPT_SIZE, &a->sha_memory,
         "sha-rnn: positions the attention sees, the window's included (0: 5000)", NULL},
        {"--sha-no-attention", NULL, OPT_FLAG, &a->sha_no_attention,
         "sha-rnn: the same blocks without the attention (its ablation)", NULL},
        {"--model", NULL, OPT_CHOICE, &a->model,
         "convex-hull, tsp: pointer, the Pointer Network; seq2seq, the paper's sequence-to-sequence baseline (no "
         "attention, a softmax over the positions of the largest training size)", pointer_models},
        {"--tie-weights", NULL, OPT_FLAG, &a->tie_weights,
         "lm: the output layer's weight is the embedding (needs --embed = the output width)", NULL},
        {"--optimizer", NULL, OPT_CHOICE, &a->optimizer, "update rule", optimizers},
        {"--lr", NULL, OPT_FLOAT, &a->lr, "learning rate", NULL},
        {"--momentum", NULL, OPT_FLOAT, &a->momentum, "sgd, asgd, rmsprop: momentum", NULL},
        {"--nesterov", NULL, OPT_FLAG, &a->nesterov, "sgd: Nesterov momentum", NULL},
        {"--weight-decay", NULL, OPT_FLOAT, &a->weight_decay, "L2 (adamw: decoupled) weight decay", NULL},
        {"--beta1", NULL, OPT_FLOAT, &a->beta1, "adam(w)", NULL},
        {"--beta2", NULL, OPT_FLOAT, &a->beta2, "adam(w)", NULL},
        {"--eps", NULL, OPT_FLOAT, &a->eps, "adam(w), rmsprop", NULL},
        {"--alpha", NULL, OPT_FLOAT, &a->alpha, "rmsprop: decay of the squared-gradient average", NULL},
        {"--centered", NULL, OPT_FLAG, &a->centered, "rmsprop: Graves's centred form", NULL},
        {"--rms-floor", NULL, OPT_FLOAT, &a->rms_floor, "rmsprop: floor on the gradient RMS", NULL},
        {"--schedule", NULL, OPT_CHOICE, &a->schedule, "learning-rate schedule", schedules},
        {"--lr-end", NULL, OPT_FLOAT, &a->lr_end, "linear, cosine: final rate", NULL},
        {"--gamma", NULL, OPT_FLOAT, &a->gamma, "step, plateau: decay factor", NULL},
        {"--step-size", NULL, OPT_FLOAT, &a->step_size, "step: epochs between decays", NULL},
        {"--schedule-length", NULL, OPT_FLOAT, &a->schedule_length, "linear, cosine: epochs (0: all)", NULL},
        {"--plateau-patience", NULL, OPT_SIZE, &a->plateau_patience, "plateau: evaluations to wait", NULL},
        {"--epochs", NULL, OPT_SIZE, &a->epochs, "passes over the training data", NULL},
        {"--steps", NULL, OPT_SIZE, &a->steps, "stop after N updates (0: no limit)", NULL},
        {"--batch", NULL, OPT_SIZE, &a->batch, "sequences per update (lm: parallel streams)", NULL},
        {"--bptt", NULL, OPT_SIZE, &a->bptt, "lm: steps per truncated-BPTT window", NULL},
        {"--variable-bptt", NULL, OPT_FLAG, &a->variable_bptt,
         "lm: windows of random length around --bptt, the rate scaled by length (AWD-LSTM)", NULL},
        {"--bucket", NULL, OPT_SIZE, &a->bucket, "music, audio: batch sequences of similar length, sorting runs "
                                                 "of N batches (0: off)", NULL},
        {"--clip", NULL, OPT_FLOAT, &a->clip, "gradient global-norm limit (0: none)", NULL},
        {"--clip-value", NULL, OPT_FLOAT, &a->clip_value, "per-gradient limit (0: none)", NULL},
        {"--clip-update", NULL, OPT_FLOAT, &a->clip_update, "update global-norm limit (0: none)", NULL},
        {"--weight-noise", NULL, OPT_FLOAT, &a->weight_noise, "std of Gaussian weight noise (0: none)", NULL},
        {"--nt-asgd", NULL, OPT_FLAG, &a->nt_asgd, "asgd: average once validation stalls (NT-ASGD)", NULL},
        {"--nonmono", NULL, OPT_SIZE, &a->nonmono, "NT-ASGD window", NULL},
        {"--patience", NULL, OPT_SIZE, &a->patience, "stop after N evaluations without improvement (0: never)", NULL},
        {"--eval-every", NULL, OPT_SIZE, &a->eval_every, "evaluate every N updates (0: each epoch)", NULL},
        {"--checkpoint-every", NULL, OPT_SIZE, &a->checkpoint_every, "checkpoint every N updates (and each epoch)", NULL},
        {"--log-every", NULL, OPT_SIZE, &a->log_every,
         "a log.csv row of the training loss every N updates, between evaluations (0: none)", NULL},
        {"--seed", NULL, OPT_U64, &a->seed, "random seed", NULL},
        {"--threads", NULL, OPT_SIZE, &a->threads,
         "threads (default: the cores available); a run gives the same bits again with the same count", NULL},
        {"--out", "-o", OPT_STRING, &a->out, "output folder", NULL},
        {"--resume", NULL, OPT_FLAG, &a->resume, "continue from --out's checkpoint (its saved flags apply)", NULL},
        {"--overwrite", NULL, OPT_FLAG, &a->overwrite,
         "start over in an --out folder that holds a previous run, replacing its files", NULL},
        {"--init", NULL, OPT_STRING, &a->init,
         "start from this model file's weights (fine-tuning, as AWD-LSTM's restart with ASGD); same architecture "
         "and vocabulary", NULL},
        {"--help", "-h", OPT_FLAG, &a->help, "this help", NULL},
        {0},
    };
    _Static_assert(sizeof table / sizeof table[0] <= MAX_OPTIONS, "train's flags outgrew MAX_OPTIONS");
    memcpy(o, table, sizeof table);
    return (int)(sizeof table / sizeof table[0]);
}

/* mkdir -p for the output folder. */
static int make_dirs(const char *path)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static void path_in(char *buf, size_t cap, const char *dir, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

/* ------------------------------------------------------------ progress */

typedef struct {
    const train_args *a;
    int tty;
    double last_draw;
    FILE *log;
    char log_path[1100], svg_path[1100];
    cli_curve *rows;
    size_t n_rows, cap_rows;
    uint64_t every;        /* plain mode: a line every this many updates */
} progress;

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void clock_text(double s, char *buf, size_t cap)
{
    if (!isfinite(s) || s < 0)
        snprintf(buf, cap, "--:--");
    else if (s >= 3600)
        snprintf(buf, cap, "%d:%02d:%02d", (int)(s / 3600), (int)fmod(s / 60, 60), (int)fmod(s, 60));
    else
        snprintf(buf, cap, "%d:%02d", (int)(s / 60), (int)fmod(s, 60));
}

static const char *metric_name(int task)
{
    return task == RC_TASK_LM        ? "NLL/token"
           : task == RC_TASK_MUSIC   ? "NLL/frame"
           : task == RC_TASK_AUDIO   ? "NLL/sample"
           : task == RC_TASK_BITS    ? "NLL/output step"
           : task == RC_TASK_REGRESS ? "MSE"
                                     : "cross-entropy";
}

static void draw_bar(const rc_train_status *s)
{
    double frac = s->total_steps ? (double)s->step / (double)s->total_steps : 0, rate = s->step / fmax(s->seconds, 1e-9);
    char eta[32], valid[48] = "";
    clock_text((double)(s->total_steps - s->step) / fmax(rate, 1e-9), eta, sizeof eta);
    if (!isnan(s->valid))
        snprintf(valid, sizeof valid, "  valid %.4f", s->valid);
    int width = 24, fill = (int)(frac * width);
    char line[256];
    snprintf(line, sizeof line, " epoch %.2f [%.*s%*s] %llu/%llu  %.1f/s  ETA %s  loss %.4f%s", s->epoch, fill,
             "########################", width - fill, "", (unsigned long long)s->step,
             (unsigned long long)s->total_steps, rate, eta, s->loss, valid);
    /* one line of the terminal, whatever its width: a wrapped bar would scroll at every redraw */
    struct winsize ws;
    int cols = ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col : 80;
    printf("\r\033[2K%.*s", cols - 1, line);
    fflush(stdout);
}

/* --hidden-sizes "1150,1150,400": the widths, the layers and --hidden
 * (the first width); 0, or EXIT_BAD_INPUT with one line printed. */
static int parse_widths(train_args *a)
{
    const char *p = a->hidden_sizes;
    if (!p)
        return 0;
    for (a->n_widths = 0; *p; a->n_widths++) {
        char *end = NULL;
        unsigned long long w = *p >= '0' && *p <= '9' ? strtoull(p, &end, 10) : 0;
        if (!end || w == 0 || (*end && *end != ',') || (*end == ',' && !end[1]))
            return cli_fail("train", "--hidden-sizes '%s' is not positive sizes separated by commas (e.g. "
                                     "1150,1150,400)",
                            a->hidden_sizes);
        if (a->n_widths == RC_RNN_MAX_WIDTHS)
            return cli_fail("train", "--hidden-sizes gives more than %d widths", RC_RNN_MAX_WIDTHS);
        a->widths[a->n_widths] = (size_t)w;
        p = *end ? end + 1 : end;
    }
    if (a->n_widths == 0)
        return cli_fail("train", "--hidden-sizes is empty");
    if (a->layers != 1 && a->layers != a->n_widths)
        return cli_fail("train", "--layers %zu but --hidden-sizes gives %zu widths", a->layers, a->n_widths);
    a->layers = a->n_widths, a->hidden = a->widths[0];
    return 0;
}

/* "400" or "1150,1150,400": the widths as given. */
static const char *widths_str(const train_args *a, char *buf, size_t cap)
{
    size_t at = 0;
    snprintf(buf, cap, "%zu", a->hidden);
    for (size_t l = 0; a->n_widths > 1 && l < a->n_widths && at < cap; l++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%zu", l ? "," : "", a->widths[l]);
    return buf;
}

/* SIGINT / SIGTERM during training: the signal's number, read after each
 * update; training then stops, writing its checkpoint. */
static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

/* Installs on_signal for SIGINT and SIGTERM (restore: the previous
 * handlers back). */
static void catch_signals(struct sigaction *old, int restore)
{
    static const int sigs[2] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        if (restore) {
            sigaction(sigs[i], &old[i], NULL);
            continue;
        }
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, &old[i]);
    }
}

static int on_event(const rc_train_status *s, void *user)
{
    if (interrupted && s->event == RC_TRAIN_STEP)
        return 1; /* stop: rc_train writes the checkpoint */
    progress *p = user;
    if (s->event == RC_TRAIN_STEP && p->a->log_every && s->step % p->a->log_every == 0) {
        /* no validation figures: they are the evaluations' rows */
        fprintf(p->log, "%llu,%.6f,%.9g,,,%.6g,%.3f\n", (unsigned long long)s->step, s->epoch, s->loss, (double)s->lr,
                s->seconds);
        fflush(p->log);
    }
    if (s->event == RC_TRAIN_STEP) {
        if (p->tty && wall() - p->last_draw > 0.1) {
            draw_bar(s);
            p->last_draw = wall();
        } else if (!p->tty && (s->step % p->every == 0)) {
            printf("step %llu/%llu  epoch %.2f  loss %.4f  lr %.3g  %.1f s\n", (unsigned long long)s->step,
                   (unsigned long long)s->total_steps, s->epoch, s->loss, (double)s->lr, s->seconds);
            fflush(stdout);
        }
    } else if (s->event == RC_TRAIN_EVAL) {
        char acc[40] = "";
        if (!isnan(s->valid_accuracy))
            snprintf(acc, sizeof acc, "  accuracy %.2f%%", 100 * s->valid_accuracy);
        printf("%sepoch %.2f  step %llu  train %.4f  valid %.4f%s%s%s  %.1f s\n", p->tty ? "\r\033[2K" : "", s->epoch,
               (unsigned long long)s->step, s->loss, s->valid, acc, s->improved ? "  (best, saved)" : "",
               s->averaging ? "  [averaging]" : "", s->seconds);
        fflush(stdout);
        fprintf(p->log, "%llu,%.6f,%.9g,%.9g,%.9g,%.6g,%.3f\n", (unsigned long long)s->step, s->epoch, s->loss,
                s->valid, s->valid_accuracy, (double)s->lr, s->seconds);
        fflush(p->log);
        if (p->n_rows == p->cap_rows) {
            size_t cap = p->cap_rows ? 2 * p->cap_rows : 64;
            cli_curve *r = realloc(p->rows, cap * sizeof *r);
            if (!r)
                return 0;
            p->rows = r, p->cap_rows = cap;
        }
        p->rows[p->n_rows++] = (cli_curve){(double)s->step, s->epoch, s->loss, s->valid, s->seconds};
        char units[RC_RNN_MAX_WIDTHS * 21], title[sizeof units + 96];
        snprintf(title, sizeof title, "%s %s, %s units", tasks[p->a->task], rc_cell_name(p->a->cell),
                 widths_str(p->a, units, sizeof units));
        if (cli_plot(p->rows, p->n_rows, title, metric_name(model_task(p->a)), p->svg_path))
            fprintf(stderr, "recur train: cannot write %s\n", p->svg_path);
    } else if (s->event == RC_TRAIN_DONE && !interrupted) { /* interrupted: cmd_train says what happened */
        printf("%sdone: %llu updates, %.2f epochs, %.1f s%s; best validation %s %.4f\n", p->tty ? "\r\033[2K" : "",
               (unsigned long long)s->step, s->epoch, s->seconds, s->stopped_early ? " (stopped early)" : "",
               metric_name(model_task(p->a)), s->best_valid);
    }
    return 0;
}

/* Keeps the log rows up to the checkpoint's step (a resumed run redoes the
 * rest) and reopens the log for appending. */
static int reload_log(progress *p, uint64_t upto)
{
    size_t n = 0;
    cli_curve *rows = upto ? cli_read_log(p->log_path, &n) : NULL;
    FILE *old = upto ? fopen(p->log_path, "r") : NULL;
    char line[512], *kept = NULL;
    size_t used = 0, cap = 0;
    while (old && fgets(line, sizeof line, old)) { /* the text of the rows kept, header included */
        unsigned long long step;
        if (sscanf(line, "%llu,", &step) == 1 && step > upto)
            continue;
        size_t len = strlen(line);
        char *k = used + len + 1 > cap ? realloc(kept, cap = 2 * (used + len + 1)) : kept;
        if (!k)
            break;
        kept = k;
        memcpy(kept + used, line, len + 1);
        used += len;
    }
    if (old)
        fclose(old);
    for (size_t i = 0; rows && i < n; i++)
        if (rows[i].step <= (double)upto)
            rows[p->n_rows++] = rows[i];
    p->rows = rows;
    p->cap_rows = n;
    p->log = fopen(p->log_path, "w");
    if (p->log)
        fputs(used ? kept : "step,epoch,train_loss,valid_loss,valid_accuracy,lr,seconds\n", p->log);
    free(kept);
    return p->log ? 0 : -1;
}

/* ------------------------------------------------------------ arguments */

/* Reads DIR/args.txt (one argument per line) into a malloc'd argv. */
static char **saved_args(const char *path, int *argc)
{
    size_t len;
    char *text = rc_read_file(path, &len);
    if (!text)
        return NULL;
    int n = 0;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    char **argv = calloc((size_t)n + 2, sizeof *argv);
    int k = 0;
    for (char *line = strtok(text, "\n"); argv && line; line = strtok(NULL, "\n"))
        argv[k++] = strdup(line);
    free(text);
    *argc = k;
    return argv;
}

/* Written whole or not at all: a kill while writing leaves no half file. */
static int save_args(const char *path, int argc, char **argv)
{
    cli_whole w;
    FILE *f = cli_open_whole(&w);
    if (!f)
        return -1;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--resume"))
            fprintf(f, "%s\n", argv[i]);
    return cli_close_whole(&w, path, 1);
}

/* The network's configuration from the flags, for an input of width in. */
static rc_rnn_config rnn_config(const train_args *a, size_t in)
{
    rc_rnn_config c = rc_rnn_config_default(a->cell, in, a->hidden);
    c.num_layers = a->layers;
    memcpy(c.hidden_sizes, a->widths, sizeof c.hidden_sizes);
    c.bidirectional = a->bidirectional;
    c.proj_size = a->proj;
    c.peephole = a->peephole;
    c.residual = a->residual;
    c.dropout = (float)(a->dropout_hidden > 0 ? a->dropout_hidden : a->layer_dropout);
    c.dropout_locked = a->dropout_hidden > 0;
    c.weight_drop = (float)a->weight_drop;
    return c;
}

/* 0 when a model of `weights` floats can be trained here: its weights, gradients and up to
 * two optimizer blocks (16 bytes a weight) within physical memory; else the message, naming
 * the size flags. */
static int fits(const train_args *a, double weights)
{
    double need = 16.0 * weights, have = cli_memory();
    if (have <= 0 || need <= have)
        return 0;
    char units[RC_RNN_MAX_WIDTHS * 21], embed[40] = "";
    if (a->embed)
        snprintf(embed, sizeof embed, ", --embed %zu", a->embed);
    return cli_fail("train", "--hidden %s, --layers %zu%s: a model of %.3g weights needs %.3g GB to train (weights, "
                             "gradients, optimizer state); this machine has %.3g GB",
                    widths_str(a, units, sizeof units), a->layers, embed, weights, need / 1e9, have / 1e9);
}

static int check_args(const train_args *a)
{
    if (!a->data && synth_kind(a) < 0)
        return cli_fail("train", "no --data given (see recur train --help)");
    if (a->data && synth_kind(a) >= 0)
        return cli_fail("train", "--task %s generates its data: --data is not read", tasks[a->task]);
    if (synth_kind(a) >= 0 && (a->train_size == 0 || a->valid_size == 0))
        return cli_fail("train", "--train-size and --valid-size must be positive");
    if (!a->out)
        return cli_fail("train", "no --out folder given");
    if (a->hidden == 0 || a->layers == 0 || a->batch == 0 || a->threads == 0 || !(a->lr > 0))
        return cli_fail("train", "--hidden, --layers, --batch, --threads and --lr must be positive");
    if (a->epochs == 0 && a->steps == 0)
        return cli_fail("train", "give --epochs or --steps");
    if (a->task == RC_TASK_LM && a->bptt == 0)
        return cli_fail("train", "--bptt must be at least 1 (steps per truncated-BPTT window)");
    if (a->model && model_task(a) != RC_TASK_POINTER)
        return cli_fail("train", "--model chooses the model of --task convex-hull or tsp, not of %s", tasks[a->task]);
    if (a->bidirectional && model_task(a) != RC_TASK_CLASSIFY && model_task(a) != RC_TASK_REGRESS)
        return cli_fail("train", "--bidirectional needs --task classify or adding: a %s model predicts from the "
                                 "past only",
                        tasks[a->task]);
    if (a->task == RC_TASK_AUDIO && (a->window == 0 || a->hop == 0 || a->mixtures == 0))
        return cli_fail("train", "--window, --hop and --mixtures must be positive");
    const struct {
        const char *flag;
        double rate;
    } rates[] = {{"--dropout", a->dropout},           {"--layer-dropout", a->layer_dropout},
                 {"--weight-drop", a->weight_drop},   {"--dropout-embed", a->dropout_embed},
                 {"--dropout-input", a->dropout_input}, {"--dropout-hidden", a->dropout_hidden},
                 {"--dropout-output", a->dropout_output}};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        if (!(rates[i].rate >= 0 && rates[i].rate < 1))
            return cli_fail("train", "%s %g: a dropout rate is a probability in [0, 1)", rates[i].flag, rates[i].rate);
    if (a->valid_fraction >= 1)
        return cli_fail("train", "--valid-fraction %g must be below 1", a->valid_fraction);
    if (a->dropout_hidden > 0 && a->layer_dropout > 0)
        return cli_fail("train", "--dropout-hidden (locked) and --layer-dropout are two kinds of the same "
                                 "dropout between layers: give one");
    /* the cell's settings, before any data is read; the whole network when
     * its input width is known (lm: the embedding's), else once the data
     * gives it (build_model, before anything is written) */
    rc_rnn_config cfg = rnn_config(a, a->task == RC_TASK_LM ? (a->embed ? a->embed : a->hidden) : 1);
    if (cli_cell_options("train", &a->cell_opts, &cfg))
        return EXIT_BAD_INPUT;
    if (a->task == RC_TASK_LM && rc_rnn_config_check(&cfg))
        return cli_fail("train", "%s", rc_last_error());
    size_t weights; /* the network's (at least: the input width may come with the data) */
    if (rc_rnn_config_params(&cfg, &weights))
        return cli_fail("train", "%s", rc_last_error());
    return fits(a, (double)weights);
}

/* The model, or NULL with the message printed. */
static rc_model *build_model(const train_args *a, const cli_data *d, rc_rng *rng)
{
    rc_model_config mc = {0};
    mc.task = model_task(a);
    size_t in = a->task == RC_TASK_LM ? (a->embed ? a->embed : a->hidden)
                                      : rc_dataset_features(d->train) + (mc.task == RC_TASK_POINTER); /* + the end marker */
    mc.rnn = rnn_config(a, in);
    cli_cell_options("train", &a->cell_opts, &mc.rnn); /* checked by check_args */
    mc.dropout = (float)a->dropout;
    mc.dropout_embed = (float)a->dropout_embed, mc.dropout_input = (float)a->dropout_input;
    mc.dropout_output = (float)a->dropout_output, mc.ar = (float)a->ar, mc.tar = (float)a->tar;
    mc.tie_weights = a->tie_weights;
    mc.sha_rnn = a->sha_rnn, mc.sha_ff = a->sha_ff, mc.sha_memory = a->sha_memory;
    mc.sha_no_attention = a->sha_no_attention;
    mc.n_out = mc.task == RC_TASK_POINTER && a->model ? a->positions : rc_dataset_outputs(d->train);
    mc.mixtures = a->task == RC_TASK_AUDIO ? a->mixtures : 0;
    size_t net; /* the whole model, now that the data gave its sizes: network, embedding, head */
    if (rc_rnn_config_params(&mc.rnn, &net)) {
        cli_fail("train", "%s", rc_last_error());
        return NULL;
    }
    double width = (double)(mc.rnn.bidirectional ? 2 : 1) * (double)rc_rnn_config_layer_size(&mc.rnn, a->layers - 1);
    double outs = (double)mc.n_out * (mc.mixtures ? 3.0 * (double)mc.mixtures : 1.0);
    if (mc.task == RC_TASK_POINTER) /* the decoder, as large as the encoder, and the attention */
        net *= 2, outs = 2.0 * width + 1.0;
    if (fits(a, (double)net + (a->task == RC_TASK_LM ? (double)mc.n_out * (double)in : 0.0) + outs * (width + 1)))
        return NULL;
    rc_model *m = rc_model_new(&mc, rng);
    if (!m)
        cli_fail("train", "%s", rc_last_error());
    return m;
}

/* --init: every weight of m from the model file at path, which must have
 * the same tensors and shapes (and, for lm, the same vocabulary). */
static int init_from(const char *path, rc_model *m, const char *vocab_json)
{
    rc_safetensors *st = NULL;
    rc_model *src = rc_model_load(path, &st);
    if (!src)
        return cli_fail("train", "--init: %s", rc_last_error());
    int status = 0;
    const char *vocab = rc_safetensors_metadata(st, "vocab");
    if (vocab_json && (!vocab || strcmp(vocab, vocab_json)))
        status = cli_fail("train", "--init: %s was trained on another vocabulary than --data's", path);
    rc_params *to = rc_model_params(m), *from = rc_model_params(src);
    for (size_t i = 0; !status && i < rc_params_count(to); i++) {
        rc_tensor *t = rc_params_tensor(to, i);
        const rc_tensor *s = rc_params_find(from, rc_params_name(to, i));
        char want[64], got[64];
        if (!s)
            status = cli_fail("train", "--init: %s has no tensor %s (another architecture?)", path,
                              rc_params_name(to, i));
        else if (s->size != t->size || s->ndim != t->ndim || memcmp(s->shape, t->shape, sizeof t->shape))
            status = cli_fail("train", "--init: %s's %s is %s, this model's is %s", path, rc_params_name(to, i),
                              rc_shape_str(s, got, sizeof got), rc_shape_str(t, want, sizeof want));
        else
            memcpy(t->data, s->data, t->size * sizeof *t->data);
    }
    if (!status && rc_params_count(from) != rc_params_count(to))
        status = cli_fail("train", "--init: %s has %zu tensors, this model %zu (another architecture?)", path,
                          rc_params_count(from), rc_params_count(to));
    rc_safetensors_free(st);
    rc_model_free(src);
    return status;
}

static rc_train_config train_config(const train_args *a, const char *ckpt, const char *best)
{
    rc_train_config c = rc_train_config_default();
    c.optim = rc_optim_config_default(a->optimizer);
    c.optim.momentum = (float)a->momentum, c.optim.nesterov = a->nesterov;
    c.optim.weight_decay = (float)a->weight_decay;
    c.optim.beta1 = (float)a->beta1, c.optim.beta2 = (float)a->beta2, c.optim.eps = (float)a->eps;
    c.optim.alpha = (float)a->alpha, c.optim.centered = a->centered, c.optim.rms_floor = (float)a->rms_floor;
    c.optim.clip_update = (float)a->clip_update;
    c.schedule = rc_schedule_init(a->schedule, (float)a->lr);
    c.schedule.lr_end = (float)a->lr_end, c.schedule.gamma = (float)a->gamma, c.schedule.step_size = a->step_size;
    c.schedule.length = a->schedule_length > 0 ? a->schedule_length : (double)(a->epochs ? a->epochs : 1);
    c.schedule.patience = (int)a->plateau_patience;
    c.epochs = a->epochs, c.max_steps = a->steps, c.batch = a->batch, c.bptt = a->bptt, c.bucket = a->bucket;
    c.variable_bptt = a->variable_bptt;
    c.clip_norm = (float)a->clip, c.clip_value = (float)a->clip_value, c.weight_noise = (float)a->weight_noise;
    c.nt_asgd = a->nt_asgd, c.nonmono = a->nonmono, c.patience = a->patience;
    c.eval_every = a->eval_every, c.checkpoint_every = a->checkpoint_every, c.seed = a->seed;
    c.checkpoint = ckpt, c.best_model = best, c.resume = a->resume;
    return c;
}

int cmd_train(int argc, char **argv)
{
    train_args a;
    cli_option opts[MAX_OPTIONS];
    defaults(&a);
    options(&a, opts);
    /* --resume with --out alone: the first run's flags, then these. */
    char **saved = NULL;
    int n_saved = 0;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--resume"))
            for (int k = 1; k + 1 < argc; k++)
                if (!strcmp(argv[k], "--out") || !strcmp(argv[k], "-o")) {
                    char p[1100];
                    path_in(p, sizeof p, argv[k + 1], "args.txt");
                    saved = saved_args(p, &n_saved);
                }
    int status = saved ? cli_parse("train", opts, n_saved, saved, NULL, 0, NULL) : 0;
    if (!status)
        status = cli_parse("train", opts, argc - 1, argv + 1, NULL, 0, NULL);
    if (a.help) {
        cli_usage(stdout, "recur train --task lm|music|classify|audio --data PATH --out DIR [options]\n"
                          "       recur train --task copy|repeat-copy|assoc-recall|copy-memory|adding|convex-hull|tsp "
                          "--out DIR [options]",
                  "Trains a recurrent model and writes DIR/model.safetensors (best on validation),\n"
                  "DIR/checkpoint.safetensors, DIR/log.csv and DIR/curves.svg.  Interrupt it at any\n"
                  "time; `recur train --out DIR --resume` continues bit for bit.",
                  opts);
        printf("\nthe cell (--cell-opt NAME=VALUE sets an option; default in brackets):\n");
        cli_print_cell(stdout, a.cell);
        status = 0;
        goto done_args;
    }
    if (status || (status = parse_widths(&a)) || (status = check_args(&a)))
        goto done_args;
    if (a.resume && !saved) {
        status = cli_fail("train", "%s/args.txt is missing: nothing to resume there", a.out);
        goto done_args;
    }
    rc_set_num_threads((int)a.threads);
    char ckpt[1100], best[1100], args_path[1100];
    path_in(ckpt, sizeof ckpt, a.out, "checkpoint.safetensors");
    path_in(best, sizeof best, a.out, "model.safetensors");
    path_in(args_path, sizeof args_path, a.out, "args.txt");
    if (a.resume && access(ckpt, R_OK) != 0) {
        status = cli_fail("train", "%s is missing: nothing to resume", ckpt);
        goto done_args;
    }
    if (!a.resume && !a.overwrite && (access(ckpt, F_OK) == 0 || access(best, F_OK) == 0)) {
        status = cli_fail("train", "%s holds a previous run (%s); give --resume to continue it or --overwrite to "
                                   "start over",
                          a.out, access(ckpt, F_OK) == 0 ? "checkpoint.safetensors" : "model.safetensors");
        goto done_args;
    }

    cli_data d = {0};
    char synth_meta[256] = "";
    if (synth_kind(&a) >= 0) { /* generated: new examples every epoch, validation the same in every run */
        rc_synth_config base = rc_synth_config_default(synth_kind(&a)), synth;
        if ((status = cli_synth_config("train", &base, &a.synth_flags, &synth)))
            goto done_args;
        cli_synth_format(&synth, synth_meta, sizeof synth_meta);
        a.positions = rc_synth_max_steps(&synth); /* the seq2seq baseline's: every point of the largest, and the end */
        d.train = rc_dataset_synth(&synth, a.train_size, a.seed, 1);
        d.valid = d.train ? rc_dataset_synth(&synth, a.valid_size, CLI_SYNTH_VALID_SEED, 0) : NULL;
        if (!d.valid) {
            status = cli_fail("train", "%s", rc_last_error());
            cli_data_free(&d);
            goto done_args;
        }
    } else {
        cli_data_options dopt = {a.task, a.data, a.valid, a.level, NULL,
                                 a.valid_fraction >= 0 ? a.valid_fraction : a.task == RC_TASK_CLASSIFY ? 1.0 / 12 : 0.1,
                                 a.train_limit, a.pixels, 1, a.midi_steps, a.midi_fps, a.window, a.hop};
        if ((status = cli_data_load("train", &dopt, &d)))
            goto done_args;
    }
    /* both sets must make batches, found now rather than at the first evaluation */
    const rc_dataset *sets[2] = {d.train, d.valid};
    for (int i = 0; i < 2; i++)
        if (sets[i] && rc_dataset_check_batches(sets[i], a.batch, a.bptt)) {
            status = cli_fail("train", "the %s data%s%s: %s (lower --batch)", i ? "validation" : "training",
                              i && a.valid ? " " : "", i && a.valid ? a.valid : "", rc_last_error());
            cli_data_free(&d);
            goto done_args;
        }
    rc_rng rng;
    rc_rng_seed(&rng, a.seed, 0);
    rc_model *m = build_model(&a, &d, &rng);
    /* the folder only once the flags, the data and the model are known good: a refused run leaves none */
    int no_dir = m && make_dirs(a.out);
    if (!m || no_dir || (!a.resume && save_args(args_path, argc - 1, argv + 1))) {
        status = !m      ? EXIT_BAD_INPUT /* build_model said why */
                 : no_dir ? cli_fail("train", "cannot create the folder %s: %s", a.out, strerror(errno))
                          : cli_fail("train", "cannot write %s", args_path);
        rc_model_free(m);
        cli_data_free(&d);
        goto done_args;
    }
    char *vocab_json = d.vocab ? rc_vocab_to_json(d.vocab) : NULL;
    char midi[64], rate[32];
    snprintf(midi, sizeof midi, "%.9g %.9g", a.midi_steps, a.midi_fps);
    snprintf(rate, sizeof rate, "%u", d.rate);
    const char *meta_keys[6] = {"vocab", "layout", "class_names", "midi_resolution", "sample_rate", "synthetic"};
    const char *meta_values[6] = {vocab_json, a.pixels ? "pixels" : "rows", a.class_names ? a.class_names : "", midi,
                                  rate,       synth_meta};
    rc_train_config cfg = train_config(&a, ckpt, best);
    if (synth_kind(&a) >= 0)
        cfg.n_meta = 1, cfg.meta_keys = meta_keys + 5, cfg.meta_values = meta_values + 5;
    else if (a.task == RC_TASK_LM)
        cfg.n_meta = 1, cfg.meta_keys = meta_keys, cfg.meta_values = meta_values;
    else if (a.task == RC_TASK_CLASSIFY)
        cfg.n_meta = 2, cfg.meta_keys = meta_keys + 1, cfg.meta_values = meta_values + 1;
    else if (a.task == RC_TASK_AUDIO)
        cfg.n_meta = 1, cfg.meta_keys = meta_keys + 4, cfg.meta_values = meta_values + 4;
    else
        cfg.n_meta = 1, cfg.meta_keys = meta_keys + 3, cfg.meta_values = meta_values + 3;
    progress p = {0};
    p.a = &a;
    p.tty = isatty(STDOUT_FILENO);
    path_in(p.log_path, sizeof p.log_path, a.out, "log.csv");
    path_in(p.svg_path, sizeof p.svg_path, a.out, "curves.svg");
    uint64_t upto = 0;
    if (a.resume) {
        rc_safetensors *st = rc_safetensors_load(ckpt);
        const char *step = st ? rc_safetensors_metadata(st, "step") : NULL;
        upto = step ? strtoull(step, NULL, 10) : 0;
        rc_safetensors_free(st);
    }
    if (a.init && !a.resume && (status = init_from(a.init, m, vocab_json))) {
        /* said */
    } else if (reload_log(&p, a.resume ? upto : 0)) {
        status = cli_fail("train", "cannot write %s", p.log_path);
    } else {
        /* plain output: about 20 lines over the run */
        size_t per_epoch = rc_dataset_size(d.train) / (a.task == RC_TASK_LM ? a.batch * a.bptt : a.batch) + 1;
        size_t total = per_epoch * (a.epochs ? a.epochs : 1);
        p.every = (a.steps && a.steps < total ? a.steps : total) / 20 + 1;
        char units[RC_RNN_MAX_WIDTHS * 21];
        printf("%s: %s model, %s, %s hidden x %zu layer%s, %zu parameters; %zu training %s%s\n", a.out,
               tasks[a.task], rc_cell_name(a.cell), widths_str(&a, units, sizeof units), a.layers,
               a.layers > 1 ? "s" : "",
               rc_params_numel(rc_model_params(m)), rc_dataset_size(d.train),
               a.task == RC_TASK_LM ? "tokens" : a.task == RC_TASK_AUDIO ? "clips" : synth_kind(&a) >= 0 ? "sequences (new every epoch)" : "sequences",
               a.resume ? " (resuming)" : "");
        fflush(stdout);
        struct sigaction old[2];
        catch_signals(old, 0);
        int failed = rc_train(m, d.train, d.valid, &cfg, on_event, &p) != RC_OK;
        catch_signals(old, 1);
        if (failed) {
            status = cli_fail("train", "%s", rc_last_error());
        } else if (interrupted) {
            fprintf(stderr, "%srecur train: stopped by %s after the update in progress; %s holds everything so far. "
                            "Continue with: recur train --out %s --resume\n",
                    p.tty ? "\r\033[2K" : "", interrupted == SIGINT ? "SIGINT" : "SIGTERM", ckpt, a.out);
            status = 128 + interrupted; /* 130, 143: the shell's convention for a signal */
        } else {
            printf("wrote %s, %s, %s and %s\n", best, ckpt, p.log_path, p.svg_path);
        }
    }
    if (p.log)
        fclose(p.log);
    free(p.rows);
    free(vocab_json);
    rc_model_free(m);
    cli_data_free(&d);
done_args:
    for (int i = 0; saved && i < n_saved; i++)
        free(saved[i]);
    free(saved);
    return status;
}
