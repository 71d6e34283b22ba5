/* sample.c — `recur sample MODEL`: generates text from a language model, a
 * MIDI file from a music model or a WAV file from an audio model, one step
 * at a time through a stream; a SHA-RNN, whose blocks have no stream, one
 * step at a time through the model's own pass with its states carried. */
#include "cli.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    rc_rnn_stream *s;
    const rc_tensor *embed, *head_w, *head_b;
    size_t in, width, n_out;
    float *x, *y, *logits;
    rc_model *model;                          /* a SHA-RNN: stepped through rc_model_loss_states */
    rc_tape *tp;                              /* its pass's, recording off */
    rc_tensor *states[RC_MODEL_MAX_STATES];   /* its carried states, batch 1 */
} stepper;

/* A SHA-RNN's step: token id -> logits, the states carried. */
static int model_token(stepper *st, int32_t id)
{
    int32_t target = 0; /* the loss is not used */
    rc_batch b = {0};
    b.T = 1, b.B = 1, b.tokens = &id, b.targets = &target, b.states0 = st->states;
    rc_tensor *logits = NULL, *fin[RC_MODEL_MAX_STATES] = {0};
    rc_tape_reset(st->tp);
    if (!rc_model_loss_states(st->tp, st->model, &b, NULL, &logits, fin))
        return rc_last_status();
    memcpy(st->logits, logits->data, st->n_out * sizeof(float));
    for (size_t i = 0; i < rc_model_state_count(st->model); i++)
        memcpy(st->states[i]->data, fin[i]->data, fin[i]->size * sizeof(float));
    return RC_OK;
}

/* The stepper of a SHA-RNN: zero states, a tape without recording. */
static int model_stepper(stepper *st, rc_model *m)
{
    size_t shape[3];
    st->model = m;
    if (!(st->tp = rc_tape_new()))
        return rc_last_status();
    rc_tape_set_grad_enabled(st->tp, 0);
    for (size_t i = 0; i < rc_model_state_count(m); i++)
        if (rc_model_state_shape(m, i, 1, shape) || !(st->states[i] = rc_tensor_new(3, shape)))
            return rc_last_status();
    return RC_OK;
}

/* One step: input x (already in st->x) → logits. */
static void step(stepper *st)
{
    rc_rnn_stream_run(st->s, st->x, 1, st->y);
    for (size_t k = 0; k < st->n_out; k++) {
        const float *w = st->head_w->data + k * st->width;
        double v = st->head_b->data[k];
        for (size_t j = 0; j < st->width; j++)
            v += (double)w[j] * st->y[j];
        st->logits[k] = (float)v;
    }
}

static void feed_token(stepper *st, int32_t id)
{
    if (st->model) {
        if (model_token(st, id)) /* out of memory: the only way a step of fixed sizes fails */
            fprintf(stderr, "recur sample: %s\n", rc_last_error());
        return;
    }
    memcpy(st->x, st->embed->data + (size_t)id * st->in, st->in * sizeof(float));
    step(st);
}

/* A token drawn from softmax(logits / temperature) over the top_k largest. */
static int32_t draw(const float *logits, size_t n, double temperature, size_t top_k, rc_rng *rng, double *p)
{
    double cut = -INFINITY;
    if (top_k && top_k < n) { /* the k-th largest logit */
        for (size_t i = 0; i < n; i++)
            p[i] = logits[i];
        for (size_t k = 0; k < top_k; k++) {
            size_t best = k;
            for (size_t i = k + 1; i < n; i++)
                best = p[i] > p[best] ? i : best;
            double t = p[k];
            p[k] = p[best], p[best] = t;
        }
        cut = p[top_k - 1];
    }
    double m = -INFINITY, sum = 0;
    for (size_t i = 0; i < n; i++)
        m = logits[i] >= cut && logits[i] > m ? logits[i] : m;
    for (size_t i = 0; i < n; i++) {
        p[i] = logits[i] >= cut ? exp((logits[i] - m) / temperature) : 0.0;
        sum += p[i];
    }
    double u = rc_rng_uniform(rng) * sum;
    for (size_t i = 0; i < n; i++)
        if ((u -= p[i]) < 0)
            return (int32_t)i;
    return (int32_t)(n - 1);
}

/* Audio: steps of hop samples, each drawn from its mixture (a component
 * from softmax(logits / temperature), then its Gaussian with the standard
 * deviation times temperature), read back in windows; the first window is
 * the end of the prime clip, or silence.  Writes the prime and what follows
 * to out. */
static int sample_audio(stepper *s, const rc_model_config *c, const char *prime, size_t steps, double temperature,
                        rc_rng *rng, double *probs, unsigned rate, const char *out)
{
    size_t W = c->rnn.input_size, H = c->n_out, K = c->mixtures, n0 = 0;
    rc_tensor *p = NULL;
    if (prime) {
        unsigned prime_rate = 0;
        if (!(p = rc_wav_load(prime, &prime_rate)))
            return cli_fail("sample", "--prime: %s", rc_last_error());
        if (prime_rate != rate) {
            rc_tensor_free(p);
            return cli_fail("sample", "--prime: %s is %u Hz, the model was trained on %u Hz", prime, prime_rate, rate);
        }
        n0 = p->size;
    }
    size_t lead = n0 < W ? W - n0 : 0, n = lead + n0 + steps * H; /* silence before a short prime */
    float *x = calloc(n, sizeof *x);
    float *logits = malloc(K * sizeof *logits);
    int status = 0;
    if (!x || !logits) {
        status = cli_fail("sample", "out of memory");
        goto done;
    }
    if (p)
        memcpy(x + lead, p->data, n0 * sizeof *x);
    /* the prime's windows, ending a whole number of hops before its end */
    for (size_t t = W + (lead + n0 - W) % H; t < lead + n0; t += H) {
        memcpy(s->x, x + t - W, W * sizeof *x);
        rc_rnn_stream_run(s->s, s->x, 1, s->y);
    }
    for (size_t i = 0, at = lead + n0; i < steps; i++, at += H) {
        memcpy(s->x, x + at - W, W * sizeof *x);
        step(s);
        for (size_t j = 0; j < H; j++) {
            const float *m = s->logits + j * 3 * K;
            for (size_t k = 0; k < K; k++)
                logits[k] = m[k];
            size_t k = (size_t)draw(logits, K, temperature, 0, rng, probs);
            x[at + j] = m[K + k] + (float)temperature * expf(m[2 * K + k]) * rc_rng_normal(rng);
        }
    }
    if (rc_wav_save(out, x + lead, n - lead, rate))
        status = cli_fail("sample", "%s", rc_last_error());
    else
        printf("wrote %s: %zu samples (%.2f s at %u Hz)%s\n", out, n - lead, (double)(n - lead) / rate, rate,
               p ? ", the prime's included" : "");
done:
    free(x), free(logits);
    rc_tensor_free(p);
    return status;
}

static void print_token(const rc_vocab *v, int32_t id, int *line_start)
{
    const char *t = rc_vocab_token(v, id);
    if (rc_vocab_level(v) != RC_TEXT_WORD) {
        if (rc_vocab_level(v) == RC_TEXT_BYTE)
            putchar(id);
        else
            fputs(!strcmp(t, "<unk>") ? "?" : t, stdout);
        return;
    }
    if (!strcmp(t, "<eos>")) {
        putchar('\n');
        *line_start = 1;
        return;
    }
    printf("%s%s", *line_start ? "" : " ", t);
    *line_start = 0;
}

int cmd_sample(int argc, char **argv)
{
    const char *model_path = NULL, *prime = NULL, *out = NULL;
    size_t length = 0, top_k = 0;
    uint64_t seed = 1;
    double temperature = 1.0;
    int help = 0;
    cli_option opts[] = {
        {"--length", NULL, OPT_SIZE, &length, "tokens, frames or audio steps to generate (0: 500 tokens, 128 "
                                              "frames, 1 second)", NULL},
        {"--temperature", NULL, OPT_FLOAT, &temperature, "below 1 sharper, above 1 flatter", NULL},
        {"--top-k", NULL, OPT_SIZE, &top_k, "lm: draw from the k likeliest tokens only (0: all)", NULL},
        {"--prime", NULL, OPT_STRING, &prime, "lm: text to start from; audio: a WAV file to continue", NULL},
        {"--seed", NULL, OPT_U64, &seed, "random seed", NULL},
        {"--out", "-o", OPT_STRING, &out, "music: the MIDI file to write (sample.mid); audio: the WAV file (sample.wav)",
         NULL},
        {"--help", "-h", OPT_FLAG, &help, "this help", NULL},
        {0},
    };
    if (cli_parse("sample", opts, argc - 1, argv + 1, &model_path, 1, NULL))
        return EXIT_BAD_INPUT;
    if (help) {
        cli_usage(stdout, "recur sample MODEL.safetensors [options]",
                  "Generates text from a language model (printed), a MIDI file from a music model,\n"
                  "or a WAV file from an audio model.",
                  opts);
        return 0;
    }
    if (!model_path)
        return cli_fail("sample", "expected a MODEL file (see recur sample --help)");
    char in_dir[1100];
    model_path = cli_model_file(model_path, in_dir, sizeof in_dir);
    if (!(temperature > 0))
        return cli_fail("sample", "--temperature must be positive");
    rc_safetensors *st = NULL;
    rc_model *m = rc_model_load(model_path, &st);
    if (!m)
        return cli_fail("sample", "%s", rc_last_error());
    const rc_model_config *c = rc_model_config_of(m);
    rc_params *p = rc_model_params(m);
    rc_vocab *vocab = NULL;
    int status = 0;
    stepper s = {0};
    double *probs = NULL;
    float *roll = NULL;
    if (c->task == RC_TASK_CLASSIFY || c->task == RC_TASK_TAG ||
        (c->task == RC_TASK_LM && c->vocab_size && c->vocab_size != c->n_out)) {
        status = cli_fail("sample", "%s %s; only language, music and audio models generate", model_path,
                          c->task == RC_TASK_CLASSIFY ? "classifies sequences" : "tags each step");
        goto done;
    }
    if (c->task == RC_TASK_LM && !(vocab = rc_vocab_from_json(rc_safetensors_metadata(st, "vocab")))) {
        status = cli_fail("sample", "%s: no usable vocabulary in its metadata", model_path);
        goto done;
    }
    if (c->sha_rnn ? model_stepper(&s, m) != RC_OK : !(s.s = rc_rnn_stream_new(rc_model_rnn(m), 1, 1))) {
        status = cli_fail("sample", "%s", rc_last_error());
        goto done;
    }
    s.embed = rc_params_find(p, "embed.weight");
    s.head_w = c->tie_weights ? s.embed : rc_params_find(p, "head.weight"); /* tied: the embedding */
    s.head_b = rc_params_find(p, "head.bias");
    s.in = c->rnn.input_size, s.width = rc_rnn_output_size(rc_model_rnn(m)), s.n_out = s.head_b->size;
    s.x = calloc(s.in, sizeof *s.x), s.y = calloc(s.width, sizeof *s.y), s.logits = calloc(s.n_out, sizeof *s.logits);
    probs = calloc(s.n_out, sizeof *probs);
    rc_rng rng;
    rc_rng_seed(&rng, seed, 0);
    if (c->task == RC_TASK_AUDIO) {
        const char *r = rc_safetensors_metadata(st, "sample_rate");
        unsigned rate = r ? (unsigned)strtoul(r, NULL, 10) : 0;
        if (rate == 0) {
            status = cli_fail("sample", "%s: no sample rate in its metadata", model_path);
            goto done;
        }
        status = sample_audio(&s, c, prime, length ? length : (rate + c->n_out - 1) / c->n_out, temperature, &rng,
                              probs, rate, out ? out : "sample.wav");
    } else if (c->task == RC_TASK_LM) {
        length = length ? length : 500;
        int line_start = 1;
        int32_t *ids = NULL, last = 0;
        size_t n = 0;
        if (prime && *prime) {
            if (rc_vocab_encode(vocab, prime, strlen(prime), &ids, &n)) {
                status = cli_fail("sample", "--prime: %s", rc_last_error());
                goto done;
            }
            if (rc_vocab_level(vocab) == RC_TEXT_WORD && n > 0)
                n--; /* the encoder ends the line with <eos>: keep the prime open */
            for (size_t i = 0; i < n; i++) {
                feed_token(&s, ids[i]);
                print_token(vocab, ids[i], &line_start);
            }
            last = n ? ids[n - 1] : 0;
            free(ids);
        }
        if (!n) { /* start from the end of a line (word level) or the first token */
            int32_t eos = -1;
            for (size_t i = 0; i < rc_vocab_size(vocab); i++)
                if (!strcmp(rc_vocab_token(vocab, (int32_t)i), rc_vocab_level(vocab) == RC_TEXT_WORD ? "<eos>" : "\n"))
                    eos = (int32_t)i;
            last = eos >= 0 ? eos : 0;
            feed_token(&s, last);
        }
        for (size_t i = 0; i < length; i++) {
            last = draw(s.logits, s.n_out, temperature, top_k, &rng, probs);
            print_token(vocab, last, &line_start);
            feed_token(&s, last);
        }
        putchar('\n');
    } else {
        length = length ? length : 128;
        roll = calloc(length * RC_PIANO_KEYS, sizeof *roll);
        if (!roll) {
            status = cli_fail("sample", "out of memory");
            goto done;
        }
        step(&s); /* the first frame follows silence */
        for (size_t t = 0; t < length; t++) {
            float *frame = roll + t * RC_PIANO_KEYS;
            for (int k = 0; k < RC_PIANO_KEYS; k++) {
                double q = 1.0 / (1.0 + exp(-s.logits[k] / temperature));
                frame[k] = rc_rng_uniform(&rng) < q ? 1.0f : 0.0f;
            }
            memcpy(s.x, frame, RC_PIANO_KEYS * sizeof(float));
            step(&s);
        }
        out = out ? out : "sample.mid";
        if (rc_midi_save(out, roll, length, 480, 120))
            status = cli_fail("sample", "%s", rc_last_error());
        else
            printf("wrote %s: %zu steps (one quarter note each at 120 bpm)\n", out, length);
    }
done:
    free(s.x), free(s.y), free(s.logits), free(probs), free(roll);
    rc_rnn_stream_free(s.s);
    rc_tape_free(s.tp);
    for (size_t i = 0; i < RC_MODEL_MAX_STATES; i++)
        rc_tensor_free(s.states[i]);
    rc_vocab_free(vocab);
    rc_safetensors_free(st);
    rc_model_free(m);
    return status;
}
