/* eval.c — `recur eval MODEL --data PATH`: the task's metrics on a split. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const splits[] = {"test", "valid", "train", NULL};

int cmd_eval(int argc, char **argv)
{
    const char *data = NULL, *model_path = NULL;
    int split = 0, help = 0;
    size_t batch = 32, bptt = 35, threads = 1;
    cli_option opts[] = {
        {"--data", NULL, OPT_STRING, &data, "the data, laid out as for recur train", NULL},
        {"--split", NULL, OPT_CHOICE, &split, "which part", splits},
        {"--batch", NULL, OPT_SIZE, &batch, "sequences per pass (lm: streams)", NULL},
        {"--bptt", NULL, OPT_SIZE, &bptt, "lm: window length", NULL},
        {"--threads", NULL, OPT_SIZE, &threads, "threads", NULL},
        {"--help", "-h", OPT_FLAG, &help, "this help", NULL},
        {0},
    };
    int n_pos = 0;
    if (cli_parse("eval", opts, argc - 1, argv + 1, &model_path, 1, &n_pos))
        return EXIT_BAD_INPUT;
    if (help) {
        cli_usage(stdout, "recur eval MODEL.safetensors --data PATH [options]",
                  "Prints a trained model's metrics on a split of its task's data: NLL per frame\n"
                  "(music); NLL per token, perplexity and bits per character or word (lm);\n"
                  "accuracy (classify).",
                  opts);
        return 0;
    }
    if (!model_path || !data)
        return cli_fail("eval", "expected MODEL --data PATH (see recur eval --help)");
    if (batch == 0 || bptt == 0 || threads == 0)
        return cli_fail("eval", "--batch, --bptt and --threads must be positive");
    rc_set_num_threads((int)threads);
    rc_safetensors *st = NULL;
    rc_model *m = rc_model_load(model_path, &st);
    if (!m)
        return cli_fail("eval", "%s", rc_last_error());
    int task = rc_model_config_of(m)->task, status = 0;
    const char *layout = rc_safetensors_metadata(st, "layout");
    cli_data_options o = {task, data, NULL, 0, rc_safetensors_metadata(st, "vocab"),
                          task == RC_TASK_CLASSIFY ? 1.0 / 12 : 0.1, 0,
                          layout && !strcmp(layout, "pixels"), split == 2 || split == 1};
    if (task == RC_TASK_LM && !o.vocab) {
        status = cli_fail("eval", "%s: no vocabulary in its metadata", model_path);
        goto done;
    }
    cli_data d;
    if ((status = cli_data_load("eval", &o, &d)))
        goto done;
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
    } else {
        printf("%s %s: %.0f sequences, accuracy %.2f%%, cross-entropy %.4f\n", model_path, splits[split],
               r.units, 100 * r.accuracy, r.loss);
    }
    cli_data_free(&d);
done:
    rc_safetensors_free(st);
    rc_model_free(m);
    return status;
}
