/* eval.c — `recur eval MODEL --data PATH`: the task's metrics on a split. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const splits[] = {"test", "valid", "train", NULL};

/* Name k of a comma-separated list (or the number). */
static void class_name(const char *names, int k, char *out, size_t cap)
{
    for (int i = 0; names && *names; i++) {
        size_t len = strcspn(names, ",");
        if (i == k) {
            snprintf(out, cap, "%.*s", (int)len, names);
            return;
        }
        names += len + (names[len] == ',');
    }
    snprintf(out, cap, "class %d", k);
}

/* Draws the first n sequences of a classification set as images (one
 * character pair per pixel, darker characters for brighter pixels) with the
 * model's answer and the truth. */
static int show_images(rc_model *m, const rc_dataset *set, size_t n, const char *names)
{
    static const char ramp[] = " .:-=+*#%@";
    size_t T, F = rc_dataset_features(set), C = rc_model_config_of(m)->n_out;
    int32_t label;
    n = n < rc_dataset_size(set) ? n : rc_dataset_size(set);
    if (!rc_dataset_sequence(set, 0, &T, &label))
        return cli_fail("eval", "--show needs a classification set");
    float *x = malloc(T * n * F * sizeof *x);
    int32_t *classes = malloc(n * sizeof *classes);
    rc_tape *tp = rc_tape_new();
    int status = !x || !classes || !tp;
    for (size_t s = 0; !status && s < n; s++) {
        const float *seq = rc_dataset_sequence(set, s, &T, &classes[s]);
        for (size_t t = 0; t < T; t++)
            memcpy(x + (t * n + s) * F, seq + t * F, F * sizeof(float));
    }
    rc_batch b = {0};
    b.T = T, b.B = n, b.features = x, b.classes = classes;
    rc_tensor *logits = NULL;
    if (!status) {
        rc_tape_set_grad_enabled(tp, 0);
        status = !rc_model_loss(tp, m, &b, NULL, &logits, NULL, NULL);
    }
    for (size_t s = 0; !status && s < n; s++) {
        const float *seq = rc_dataset_sequence(set, s, &T, &label), *row = logits->data + s * C;
        int best = 0;
        for (size_t k = 1; k < C; k++)
            best = row[k] > row[best] ? (int)k : best;
        char said[64], truth[64];
        class_name(names, best, said, sizeof said);
        class_name(names, label, truth, sizeof truth);
        printf("\n%s  (the model says: %s)\n", best == label ? "right" : "WRONG", said);
        if (best != label)
            printf("  truth: %s\n", truth);
        for (size_t t = 0; F > 1 && t < T; t += 2) { /* two rows per line keep the aspect */
            fputs("  ", stdout);
            for (size_t f = 0; f < F; f++) {
                float v = (seq[t * F + f] + (t + 1 < T ? seq[(t + 1) * F + f] : 0)) / 2;
                char c = ramp[(int)(v * 9.99f)];
                putchar(c);
            }
            putchar('\n');
        }
    }
    if (status)
        cli_fail("eval", "%s", rc_last_error());
    free(x), free(classes);
    rc_tape_free(tp);
    return status ? EXIT_BAD_INPUT : 0;
}

/* A model trained on a synthetic task, tested on a fresh set of it: the
 * settings it learnt with, changed by the flags (other lengths, counts). */
static int eval_synth(const char *model_path, rc_model *m, const char *meta, int task_flag,
                      const cli_synth_flags *f, size_t size, uint64_t seed, size_t batch, size_t beam)
{
    rc_synth_config learnt, c;
    if (cli_synth_parse(meta, &learnt))
        return cli_fail("eval", "%s: its metadata 'synthetic' is not a task recur knows: \"%.80s\"", model_path, meta);
    if (task_flag >= 0 && task_flag != learnt.kind)
        return cli_fail("eval", "%s learnt %s, not %s", model_path, rc_synth_name(learnt.kind),
                        rc_synth_name(task_flag));
    if (cli_synth_config("eval", &learnt, f, &c))
        return EXIT_BAD_INPUT;
    rc_dataset *set = rc_dataset_synth(&c, size, seed, 0);
    rc_eval_result r;
    if (!set || rc_evaluate_beam(m, set, batch, 1, beam, &r)) {
        rc_dataset_free(set);
        return cli_fail("eval", "%s", rc_last_error());
    }
    rc_dataset_free(set);
    char what[160];
    cli_synth_describe(&c, what, sizeof what);
    printf("%s: %.0f sequences, %s\n", model_path, r.sequences, what);
    if (c.kind == RC_SYNTH_CONVEX_HULL)
        printf("  %.1f%% of hulls exact, area coverage %.2f%% (over the %.1f%% that are simple polygons; %.1f%% "
               "invalid); %s decoding; %.2f%% of pointers right reading the targets, cross-entropy %.4f\n",
               100 * r.exact, 100 * r.coverage, 100 * (1 - r.invalid), 100 * r.invalid,
               beam > 1 ? "beam" : "greedy", 100 * r.accuracy, r.loss);
    else if (c.kind == RC_SYNTH_TSP)
        printf("  mean tour length %.4f, optimal %.4f (ratio %.4f); %.1f%% of tours optimal; %s decoding of valid "
               "tours; %.2f%% of pointers right reading the targets, cross-entropy %.4f\n",
               r.tour, r.optimal, r.tour / r.optimal, 100 * r.exact, beam > 1 ? "beam" : "greedy", 100 * r.accuracy,
               r.loss);
    else if (c.kind == RC_SYNTH_ADDING)
        printf("  mean squared error %.6g (always guessing 1: %.4f)\n", r.loss, rc_synth_baseline(&c));
    else if (c.kind == RC_SYNTH_COPY_MEMORY)
        printf("  cross-entropy %.6g nats per step (memoryless: %.6f); %.3f%% of steps right, %.1f%% of sequences "
               "exact\n",
               r.loss, rc_synth_baseline(&c), 100 * r.accuracy, 100 * r.exact);
    else
        printf("  %.4f bit errors per sequence, %.1f%% of sequences exact, %.3f%% of bits right; cost %.4f bits per "
               "sequence\n",
               r.errors, 100 * r.exact, 100 * r.accuracy, r.loss * r.units / r.sequences / log(2.0));
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    const char *data = NULL, *model_path = NULL;
    int split = -1, help = 0; /* -1: test, or the held-out validation part when there is no test split */
    size_t batch = 32, bptt = 35, threads = cli_cores(), show = 0, size = 1000, beam = 1;
    uint64_t seed = CLI_SYNTH_TEST_SEED;
    int task_flag = -1;
    cli_synth_flags synth = {0};
    const char *synth_names[RC_SYNTH_COUNT + 1] = {0};
    for (int k = 0; k < RC_SYNTH_COUNT; k++)
        synth_names[k] = rc_synth_name(k);
    cli_option opts[] = {
        {"--data", NULL, OPT_STRING, &data, "the data, laid out as for recur train", NULL},
        {"--split", NULL, OPT_CHOICE, &split, "which part (default: test, or valid when there is no test split)",
         splits},
        {"--batch", NULL, OPT_SIZE, &batch,
         "sequences per pass; lm: the text is cut into this many streams, each starting from zero states, so "
         "fewer streams give the model more context (1: the whole text as one sequence; the window length "
         "does not matter, states are carried)",
         NULL},
        {"--bptt", NULL, OPT_SIZE, &bptt, "lm: window length", NULL},
        {"--threads", NULL, OPT_SIZE, &threads, "threads (default: the cores available)", NULL},
        {"--show", NULL, OPT_SIZE, &show, "classify: draw the first N sequences as images with the model's answers", NULL},
        {"--task", NULL, OPT_CHOICE, &task_flag,
         "a synthetic task (the one the model learnt; no --data): tested on --size new examples", synth_names},
        {"--length", NULL, OPT_STRING, &synth.length,
         "synthetic: N or N-M (copy, repeat-copy: vectors; copy-memory: the gap; adding: steps; convex-hull, tsp: "
         "points)", NULL},
        {"--beam", NULL, OPT_SIZE, &beam,
         "convex-hull, tsp: answers by beam search keeping N candidates (1: greedy; tsp searches valid tours only)",
         NULL},
        {"--repeats", NULL, OPT_STRING, &synth.repeats, "repeat-copy: N or N-M copies", NULL},
        {"--items", NULL, OPT_STRING, &synth.items, "assoc-recall: N or N-M items", NULL},
        {"--item-length", NULL, OPT_SIZE, &synth.item_length, "assoc-recall: vectors per item", NULL},
        {"--copy-length", NULL, OPT_SIZE, &synth.copy_length, "copy-memory: symbols to remember", NULL},
        {"--size", NULL, OPT_SIZE, &size, "synthetic: test examples", NULL},
        {"--seed", NULL, OPT_U64, &seed, "synthetic: the test set's seed (default: the one every run is tested on)",
         NULL},
        {"--help", "-h", OPT_FLAG, &help, "this help", NULL},
        {0},
    };
    int n_pos = 0;
    if (cli_parse("eval", opts, argc - 1, argv + 1, &model_path, 1, &n_pos))
        return EXIT_BAD_INPUT;
    if (help) {
        cli_usage(stdout, "recur eval MODEL.safetensors --data PATH [options]\n"
                          "       recur eval MODEL.safetensors [--task NAME] [--length N[-M]] ... (a synthetic task)",
                  "Prints a trained model's metrics on a split of its task's data: NLL per frame\n"
                  "(music); NLL per token, perplexity and bits per character or word (lm);\n"
                  "accuracy (classify); NLL per predicted sample (audio).  A model of a synthetic\n"
                  "task is tested on new examples, at the lengths it learnt or those given: bit\n"
                  "errors per sequence (copy, repeat-copy, assoc-recall), cross-entropy against the\n"
                  "memoryless baseline (copy-memory), squared error against guessing 1 (adding),\n"
                  "exact hulls and area coverage (convex-hull), tour length against the optimal (tsp).",
                  opts);
        return 0;
    }
    if (!model_path)
        return cli_fail("eval", "expected MODEL --data PATH, or MODEL of a synthetic task (see recur eval --help)");
    char in_dir[1100];
    model_path = cli_model_file(model_path, in_dir, sizeof in_dir);
    if (batch == 0 || bptt == 0 || threads == 0 || size == 0 || beam == 0)
        return cli_fail("eval", "--batch, --bptt, --size, --beam and --threads must be positive");
    rc_set_num_threads((int)threads);
    rc_safetensors *st = NULL;
    rc_model *m = rc_model_load(model_path, &st);
    if (!m)
        return cli_fail("eval", "%s", rc_last_error());
    int task = rc_model_config_of(m)->task, status = 0;
    const char *synthetic = rc_safetensors_metadata(st, "synthetic");
    if (synthetic || !data) {
        status = !synthetic ? cli_fail("eval", "%s was not trained on a synthetic task: give --data", model_path)
                 : data     ? cli_fail("eval", "%s learnt a synthetic task, which makes its own data: --data is not "
                                               "read",
                                       model_path)
                            : eval_synth(model_path, m, synthetic, task_flag, &synth, size, seed, batch, beam);
        goto done;
    }
    const char *layout = rc_safetensors_metadata(st, "layout");
    const char *midi = rc_safetensors_metadata(st, "midi_resolution");
    double midi_steps = 4, midi_fps = 0;
    if (midi && sscanf(midi, "%lf %lf", &midi_steps, &midi_fps) != 2)
        midi_steps = 4, midi_fps = 0;
    cli_data_options o = {task, data, NULL, 0, rc_safetensors_metadata(st, "vocab"),
                          task == RC_TASK_CLASSIFY ? 1.0 / 12 : 0.1, 0,
                          layout && !strcmp(layout, "pixels"), split != 0, midi_steps, midi_fps,
                          rc_model_config_of(m)->rnn.input_size, rc_model_config_of(m)->n_out};
    if (task == RC_TASK_TAG || (task == RC_TASK_LM && !o.vocab)) {
        status = cli_fail("eval", "%s: %s, so recur eval cannot read data for it (an exported PyTorch model? "
                                  "run it with recur run)",
                          model_path, task == RC_TASK_TAG ? "a tag model has no data reader" : "no vocabulary in its metadata");
        goto done;
    }
    cli_data d;
    if ((status = cli_data_load("eval", &o, &d)))
        goto done;
    const char *rate = rc_safetensors_metadata(st, "sample_rate");
    if (task == RC_TASK_AUDIO && rate && strtoul(rate, NULL, 10) != d.rate) {
        status = cli_fail("eval", "%s: the model was trained on %s Hz audio, %s is %u Hz", model_path, rate, data,
                          d.rate);
        cli_data_free(&d);
        goto done;
    }
    if (split < 0 && !d.test)
        fprintf(stderr, "recur eval: %s has no test split; measuring its validation split instead (a single "
                        "file's: the part recur train holds out, its last tenth)\n",
                data);
    split = split >= 0 ? split : d.test ? 0 : 1;
    rc_dataset *set = split == 0 ? d.test : split == 1 ? d.valid : d.train;
    rc_eval_result r;
    if (!set)
        status = cli_fail("eval", "%s: no %s split", data, splits[split]);
    else if (rc_evaluate(m, set, batch, bptt, &r))
        status = cli_fail("eval", "%s", rc_last_error());
    else if (task == RC_TASK_LM) {
        int level = rc_vocab_level(d.vocab);
        printf("%s %s: %.0f tokens, NLL %.4f nats/token, perplexity %.2f, %.4f bits per %s\n", model_path,
               splits[split], r.units, r.loss, exp(r.loss), r.loss / log(2.0),
               level == RC_TEXT_WORD ? "word" : level == RC_TEXT_CHAR ? "character" : "byte");
    } else if (task == RC_TASK_MUSIC) {
        printf("%s %s: %.0f frames, NLL %.4f nats/frame\n", model_path, splits[split], r.units, r.loss);
    } else if (task == RC_TASK_AUDIO) {
        size_t hop = rc_model_config_of(m)->n_out;
        printf("%s %s: %.0f samples, NLL %.4f nats/sample (%.4f per step of %zu samples)\n", model_path,
               splits[split], r.units, r.loss, r.loss * (double)hop, hop);
    } else {
        printf("%s %s: %.0f sequences, accuracy %.2f%%, cross-entropy %.4f\n", model_path, splits[split],
               r.units, 100 * r.accuracy, r.loss);
        if (show)
            status = show_images(m, set, show, rc_safetensors_metadata(st, "class_names"));
    }
    cli_data_free(&d);
done:
    rc_safetensors_free(st);
    rc_model_free(m);
    return status;
}
