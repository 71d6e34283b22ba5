/* dataset.c — training data sets, their batches, and evaluation. */
#include "train.h"
#include "../data/data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct rc_dataset {
    int task;
    int32_t *ids;          /* lm: [n] */
    size_t vocab;          /* lm: ids < vocab */
    float *frames;         /* music: [steps, 88] */
    float *signal;         /* audio: [samples], the clips one after another */
    size_t *offsets;       /* music: [n + 1] steps; audio: [n + 1] samples */
    float *x;              /* classify: [n, T, F] */
    int32_t *labels;       /* classify: [n] */
    size_t n, T, F, classes;
    size_t window, hop;    /* audio */
    int synthetic;         /* a synthetic task's examples, generated batch by batch: */
    rc_synth_config synth;
    uint64_t seed;         /* example i of the set is example i of this seed */
    int fresh;             /* training: each epoch's examples drawn from a new seed */
};

void rc_dataset_free(rc_dataset *d)
{
    if (!d)
        return;
    free(d->ids);
    free(d->frames);
    free(d->signal);
    free(d->offsets);
    free(d->x);
    free(d->labels);
    free(d);
}

int rc_dataset_task(const rc_dataset *d) { return d->task; }

size_t rc_dataset_size(const rc_dataset *d) { return d->n; }

size_t rc_dataset_features(const rc_dataset *d)
{
    switch (d->task) {
    case RC_TASK_LM: return 1;
    case RC_TASK_MUSIC: return RC_PIANO_KEYS;
    case RC_TASK_AUDIO: return d->window;
    default: return d->F;
    }
}

const float *rc_dataset_sequence(const rc_dataset *d, size_t i, size_t *T, int32_t *label)
{
    if (d->task != RC_TASK_CLASSIFY || i >= d->n)
        return NULL;
    *T = d->T;
    *label = d->labels[i];
    return d->x + i * d->T * d->F;
}

size_t rc_dataset_outputs(const rc_dataset *d)
{
    switch (d->task) {
    case RC_TASK_LM: return d->vocab;
    case RC_TASK_MUSIC: return RC_PIANO_KEYS;
    case RC_TASK_AUDIO: return d->hop;
    default: return d->classes;
    }
}

/* A copy of n elements of `size` bytes, or NULL (error set). */
static void *copy_of(const void *src, size_t n, size_t size)
{
    size_t bytes;
    void *p = rc__mul_size(n, size, &bytes) ? malloc(bytes ? bytes : 1) : NULL;
    if (!p)
        return rc__fail_null(RC_ENOMEM, "data set: cannot hold %zu elements", n);
    memcpy(p, src, bytes);
    return p;
}

rc_dataset *rc_dataset_tokens(const int32_t *ids, size_t n, size_t vocab)
{
    if (!ids || n < 2 || vocab == 0)
        return rc__fail_null(RC_EINVAL, "data set: a token stream needs at least 2 tokens and a vocabulary");
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= vocab)
            return rc__fail_null(RC_EINVAL, "data set: token %zu is %ld, outside the vocabulary of %zu",
                                 i, (long)ids[i], vocab);
    rc_dataset *d = calloc(1, sizeof *d);
    if (!d || !(d->ids = copy_of(ids, n, sizeof *ids))) {
        free(d);
        return NULL;
    }
    d->task = RC_TASK_LM;
    d->n = n;
    d->vocab = vocab;
    return d;
}

rc_dataset *rc_dataset_rolls_range(const rc_rolls *rolls, size_t first, size_t n)
{
    if (!rolls || n == 0 || first > rc_rolls_count(rolls) || n > rc_rolls_count(rolls) - first)
        return rc__fail_null(RC_EINVAL, "data set: piano rolls %zu..%zu are not in the set of %zu", first,
                             first + n, rolls ? rc_rolls_count(rolls) : 0);
    size_t steps = 0;
    for (size_t i = first; i < first + n; i++)
        steps += rc_rolls_length(rolls, i);
    rc_dataset *d = calloc(1, sizeof *d);
    if (!d || !(d->frames = copy_of(rc_rolls_frames(rolls, first), steps * RC_PIANO_KEYS, sizeof(float))) ||
        !(d->offsets = malloc((n + 1) * sizeof *d->offsets))) {
        rc_dataset_free(d);
        return rc__fail_null(RC_ENOMEM, "data set: out of memory");
    }
    d->task = RC_TASK_MUSIC;
    d->n = n;
    d->offsets[0] = 0;
    for (size_t i = 0; i < n; i++)
        d->offsets[i + 1] = d->offsets[i] + rc_rolls_length(rolls, first + i);
    return d;
}

rc_dataset *rc_dataset_rolls(const rc_rolls *rolls)
{
    return rc_dataset_rolls_range(rolls, 0, rolls ? rc_rolls_count(rolls) : 0);
}

rc_dataset *rc_dataset_sequences(const float *x, const int32_t *labels, size_t n, size_t T, size_t F,
                                 size_t classes)
{
    if (!x || !labels || n == 0 || T == 0 || F == 0 || classes == 0)
        return rc__fail_null(RC_EINVAL, "data set: sequences need data, labels and non-zero sizes");
    for (size_t i = 0; i < n; i++)
        if (labels[i] < 0 || (size_t)labels[i] >= classes)
            return rc__fail_null(RC_EINVAL, "data set: label %zu is %ld, not a class in 0..%zu", i,
                                 (long)labels[i], classes - 1);
    size_t cells;
    if (!rc__mul_size(n, T, &cells) || !rc__mul_size(cells, F, &cells))
        return rc__fail_null(RC_ENOMEM, "data set: too large");
    rc_dataset *d = calloc(1, sizeof *d);
    if (!d || !(d->x = copy_of(x, cells, sizeof *x)) || !(d->labels = copy_of(labels, n, sizeof *labels))) {
        rc_dataset_free(d);
        return NULL;
    }
    d->task = RC_TASK_CLASSIFY;
    d->n = n, d->T = T, d->F = F, d->classes = classes;
    return d;
}

rc_dataset *rc_dataset_clips(const rc_clips *c, const size_t *pick, size_t n, size_t window, size_t hop)
{
    if (!c || n == 0 || window == 0 || hop == 0)
        return rc__fail_null(RC_EINVAL, "data set: clips need at least one clip, a window and a hop");
    size_t samples = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = pick ? pick[i] : i, len = rc_clips_length(c, k);
        if (k >= rc_clips_count(c))
            return rc__fail_null(RC_EINVAL, "data set: clip %zu is not in the set of %zu", k, rc_clips_count(c));
        if (len < window + hop)
            return rc__fail_null(RC_EINVAL, "data set: clip %s has %zu samples, fewer than a window of %zu and "
                                            "the %zu samples it predicts",
                                 rc_clips_name(c, k), len, window, hop);
        samples += len;
    }
    rc_dataset *d = calloc(1, sizeof *d);
    if (!d || !(d->signal = malloc(samples * sizeof *d->signal)) ||
        !(d->offsets = malloc((n + 1) * sizeof *d->offsets))) {
        rc_dataset_free(d);
        return rc__fail_null(RC_ENOMEM, "data set: out of memory for %zu samples", samples);
    }
    d->task = RC_TASK_AUDIO;
    d->n = n, d->window = window, d->hop = hop;
    d->offsets[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = pick ? pick[i] : i, len = rc_clips_length(c, k);
        memcpy(d->signal + d->offsets[i], rc_clips_samples(c, k), len * sizeof *d->signal);
        d->offsets[i + 1] = d->offsets[i] + len;
    }
    return d;
}

rc_dataset *rc_dataset_synth(const rc_synth_config *c, size_t n, uint64_t seed, int fresh)
{
    if (rc_synth_check(c))
        return NULL;
    if (n == 0)
        return rc__fail_null(RC_EINVAL, "data set: task %s needs at least one example", rc_synth_name(c->kind));
    rc_dataset *d = calloc(1, sizeof *d);
    if (!d)
        return rc__fail_null(RC_ENOMEM, "data set: out of memory");
    d->task = rc_synth_task(c);
    d->synthetic = 1, d->synth = *c, d->seed = seed, d->fresh = fresh != 0;
    d->n = n, d->F = rc_synth_inputs(c), d->classes = rc_synth_outputs(c);
    return d;
}

int rc__dataset_fits(const rc_dataset *d, const rc_model *m, const char *what)
{
    const rc_model_config *c = rc_model_config_of(m);
    if (d->task != c->task)
        return rc__fail(RC_EINVAL, "%s: a %s data set for a %s model", what, rc_task_name(d->task),
                        rc_task_name(c->task));
    if (d->task == RC_TASK_LM && (d->vocab > c->n_out || (c->vocab_size && d->vocab > c->vocab_size)))
        return c->vocab_size ? rc__fail(RC_EINVAL, "%s: the data has %zu token types, the model embeds %zu and predicts %zu",
                                        what, d->vocab, c->vocab_size, c->n_out)
                             : rc__fail(RC_EINVAL, "%s: the data has %zu token types, the model predicts %zu", what,
                                        d->vocab, c->n_out);
    if (d->task == RC_TASK_AUDIO && (d->window != c->rnn.input_size || d->hop != c->n_out))
        return rc__fail(RC_EINVAL, "%s: audio read in windows of %zu samples predicting %zu, the model reads %zu "
                                   "and predicts %zu",
                        what, d->window, d->hop, c->rnn.input_size, c->n_out);
    if (d->task == RC_TASK_CLASSIFY && (d->F != c->rnn.input_size || d->classes > c->n_out))
        return rc__fail(RC_EINVAL, "%s: sequences of %zu features in %zu classes, the model takes %zu "
                                   "features and %zu classes",
                        what, d->F, d->classes, c->rnn.input_size, c->n_out);
    if (d->synthetic && (d->F + (d->task == RC_TASK_POINTER) != c->rnn.input_size ||
                         (d->task != RC_TASK_POINTER && d->classes != c->n_out))) /* pointer: any baseline */
        return rc__fail(RC_EINVAL, "%s: task %s reads %zu features and has %zu outputs, the model %zu and %zu", what,
                        rc_synth_name(d->synth.kind), d->F, d->classes, c->rnn.input_size, c->n_out);
    return RC_OK;
}

/* ------------------------------------------------------------ batches */

void rc__batcher_free(rc__batcher *bt)
{
    free(bt->order), free(bt->batch_order);
    free(bt->tokens), free(bt->targets);
    free(bt->frames), free(bt->weights);
    free(bt->features), free(bt->samples);
    free(bt->classes), free(bt->lengths);
    free(bt->starts);
    free(bt->synth_targets);
    memset(bt, 0, sizeof *bt);
}

/* Steps of sequence i: a piano roll's frames; a clip's full windows. */
static size_t steps_of(const rc_dataset *d, size_t i)
{
    size_t len = d->offsets[i + 1] - d->offsets[i];
    return d->task == RC_TASK_AUDIO ? (len - d->window) / d->hop : len;
}

int rc_dataset_check_batches(const rc_dataset *d, size_t batch, size_t bptt)
{
    rc__batcher bt;
    if (!d)
        return rc__fail(RC_EINVAL, "batches: no data set");
    int status = rc__batcher_init(&bt, d, batch, bptt, 0);
    if (!status)
        rc__batcher_free(&bt);
    return status;
}

int rc__batcher_init(rc__batcher *bt, const rc_dataset *d, size_t batch, size_t bptt, size_t bucket)
{
    memset(bt, 0, sizeof *bt);
    if (batch == 0 || (d->task == RC_TASK_LM && bptt == 0))
        return rc__fail(RC_EINVAL, "batches: the batch size%s must be at least 1",
                        d->task == RC_TASK_LM ? " and the bptt length" : "");
    bt->d = d;
    bt->batch = batch;
    bt->bptt = bptt;
    size_t B = batch;
    if (d->task == RC_TASK_LM) {
        bt->per_stream = d->n / B;
        if (bt->per_stream < 2)
            return rc__fail(RC_EINVAL, "batches: %zu tokens are too few for %zu streams", d->n, B);
        bt->n_batches = (bt->per_stream - 1 + bptt - 1) / bptt;
        bt->max_T = bptt < bt->per_stream - 1 ? bptt : bt->per_stream - 1;
        bt->tokens = malloc(bt->max_T * B * sizeof *bt->tokens);
        bt->targets = malloc(bt->max_T * B * sizeof *bt->targets);
        if (!bt->tokens || !bt->targets)
            goto oom;
        return RC_OK;
    }
    if (B > d->n)
        B = bt->batch = d->n;
    bt->n_batches = (d->n + B - 1) / B;
    bt->order = malloc(d->n * sizeof *bt->order);
    bt->classes = malloc(B * sizeof *bt->classes);
    bt->lengths = malloc(B * sizeof *bt->lengths);
    if (!bt->order || !bt->classes || !bt->lengths)
        goto oom;
    for (size_t i = 0; i < d->n; i++)
        bt->order[i] = i;
    if (bucket > 1 && (d->task == RC_TASK_MUSIC || d->task == RC_TASK_AUDIO)) {
        bt->bucket = bucket;
        if (!(bt->batch_order = malloc(bt->n_batches * sizeof *bt->batch_order)))
            goto oom;
    }
    if (d->synthetic) {
        size_t T = rc_synth_max_steps(&d->synth), F = d->F, O = d->classes, cells;
        bt->max_T = T;
        bt->seed = d->seed;
        if (!rc__mul_size(T, B, &cells) || !rc__mul_size(cells, F + O + 1, &cells))
            goto oom;
        bt->features = malloc(T * B * F * sizeof *bt->features);
        bt->weights = malloc(T * B * sizeof *bt->weights);
        if (d->task == RC_TASK_BITS)
            bt->frames = malloc(T * B * O * sizeof *bt->frames);
        else if (d->task == RC_TASK_TAG || d->task == RC_TASK_POINTER)
            bt->synth_targets = malloc(T * B * sizeof *bt->synth_targets);
        else
            bt->samples = malloc(B * O * sizeof *bt->samples);
        if (!bt->features || !bt->weights || !(bt->frames || bt->synth_targets || bt->samples))
            goto oom;
    } else if (d->task == RC_TASK_MUSIC || d->task == RC_TASK_AUDIO) {
        for (size_t i = 0; i < d->n; i++)
            bt->max_T = steps_of(d, i) > bt->max_T ? steps_of(d, i) : bt->max_T;
        if (bt->max_T > INT32_MAX) {
            size_t T = bt->max_T;
            rc__batcher_free(bt);
            return rc__fail(RC_EINVAL, "batches: a sequence of %zu steps is too long", T);
        }
        bt->weights = malloc(bt->max_T * B * sizeof *bt->weights);
        if (d->task == RC_TASK_MUSIC)
            bt->frames = malloc(bt->max_T * B * RC_PIANO_KEYS * sizeof *bt->frames);
        else {
            bt->features = malloc(bt->max_T * B * d->window * sizeof *bt->features);
            bt->samples = malloc(bt->max_T * B * d->hop * sizeof *bt->samples);
        }
        if (!bt->weights || (d->task == RC_TASK_MUSIC ? !bt->frames : !bt->features || !bt->samples))
            goto oom;
    } else {
        bt->max_T = d->T;
        bt->features = malloc(d->T * B * d->F * sizeof *bt->features);
        if (!bt->features)
            goto oom;
    }
    return RC_OK;
oom:
    rc__batcher_free(bt);
    return rc__fail(RC_ENOMEM, "batches: out of memory for batch %zu", batch);
}

/* Fisher-Yates: a[n] in a random order. */
static void shuffle(size_t *a, size_t n, rc_rng *rng)
{
    for (size_t i = n - 1; n > 1 && i > 0; i--) {
        size_t j = rc_rng_below(rng, (uint32_t)(i + 1)), v = a[i];
        a[i] = a[j], a[j] = v;
    }
}

/* Insertion sort of idx[n] by steps, ties by index: the same order on
 * every machine (qsort is not stable). */
static void sort_by_steps(const rc_dataset *d, size_t *idx, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t v = idx[i], len = steps_of(d, v), j = i;
        for (; j > 0 && (steps_of(d, idx[j - 1]) > len || (steps_of(d, idx[j - 1]) == len && idx[j - 1] > v)); j--)
            idx[j] = idx[j - 1];
        idx[j] = v;
    }
}

/* The bounds of a variable window: at least 5 steps (AWD-LSTM's floor), at
 * most 2 bptt (the buffers' size; 6 standard deviations above 70). */
static size_t longest_window(size_t bptt) { return 2 * bptt > 5 ? 2 * bptt : 5; }

/* AWD-LSTM's window length (Merity et al. 2018, its main.py): bptt with
 * probability 0.95, else bptt / 2, then a normal draw around it with
 * standard deviation 5, rounded down, kept within the bounds above. */
static size_t window_length(size_t bptt, rc_rng *rng)
{
    double base = rc_rng_uniform(rng) < 0.95f ? (double)bptt : (double)bptt / 2.0;
    double len = floor(base + 5.0 * (double)rc_rng_normal(rng));
    size_t hi = longest_window(bptt);
    return len < 5.0 ? 5 : len > (double)hi ? hi : (size_t)len;
}

int rc__batcher_variable(rc__batcher *bt)
{
    if (bt->d->task != RC_TASK_LM)
        return rc__fail(RC_EINVAL, "batches: variable window lengths are for language models");
    size_t end = bt->per_stream - 1, hi = longest_window(bt->bptt);
    if (!(bt->starts = malloc((end / 5 + 2) * sizeof *bt->starts)))
        return rc__fail(RC_ENOMEM, "batches: out of memory");
    bt->max_T = hi < end ? hi : end;
    free(bt->tokens), free(bt->targets);
    bt->tokens = malloc(bt->max_T * bt->batch * sizeof *bt->tokens);
    bt->targets = malloc(bt->max_T * bt->batch * sizeof *bt->targets);
    if (!bt->tokens || !bt->targets)
        return rc__fail(RC_ENOMEM, "batches: out of memory");
    double mean = 0.975 * (double)bt->bptt; /* 0.95 bptt + 0.05 bptt / 2, near enough */
    bt->n_batches = (size_t)ceil((double)end / mean);
    return RC_OK;
}

void rc__batcher_shuffle(rc__batcher *bt, rc_rng *rng)
{
    if (bt->starts) {
        size_t n = 0, end = bt->per_stream - 1;
        for (size_t pos = 0; pos < end; pos += window_length(bt->bptt, rng))
            bt->starts[n++] = pos;
        bt->starts[n] = end;
        bt->n_batches = n;
        return;
    }
    if (!bt->order)
        return;
    if (bt->d->synthetic && bt->d->fresh) { /* new examples: a seed from the generator */
        bt->seed = (uint64_t)rc_rng_u32(rng) << 32 | rc_rng_u32(rng);
        return;
    }
    for (size_t i = 0; i < bt->d->n; i++) /* each epoch's order depends on the generator only */
        bt->order[i] = i;
    shuffle(bt->order, bt->d->n, rng);
    if (!bt->bucket)
        return;
    size_t run = bt->bucket * bt->batch;
    for (size_t first = 0; first < bt->d->n; first += run)
        sort_by_steps(bt->d, bt->order + first, bt->d->n - first < run ? bt->d->n - first : run);
    for (size_t i = 0; i < bt->n_batches; i++)
        bt->batch_order[i] = i;
    shuffle(bt->batch_order, bt->n_batches, rng);
}

/* A batch of synthetic examples idx[B], padded to the longest: zeros
 * (weight 0, target -1) past an example's end. */
static void synth_batch(rc__batcher *bt, const size_t *idx, size_t B, rc_batch *b)
{
    const rc_dataset *d = bt->d;
    size_t cap = bt->max_T * B, F = d->F, O = d->classes, T = 0;
    memset(bt->features, 0, cap * F * sizeof *bt->features);
    memset(bt->weights, 0, cap * sizeof *bt->weights);
    if (bt->frames)
        memset(bt->frames, 0, cap * O * sizeof *bt->frames);
    for (size_t k = 0; bt->synth_targets && k < cap; k++)
        bt->synth_targets[k] = -1;
    for (size_t s = 0; s < B; s++) {
        rc_rng r;
        rc__synth_seed(&r, bt->seed, idx[s]);
        size_t len = rc__synth_fill(&d->synth, &r, B, s, bt->features, bt->frames ? bt->frames : bt->samples,
                                    bt->weights, bt->synth_targets);
        bt->lengths[s] = (int32_t)len;
        T = len > T ? len : T;
    }
    b->T = T;
    b->features = bt->features, b->lengths = bt->lengths, b->weights = bt->weights;
    b->frames = bt->frames, b->samples = bt->samples, b->targets = bt->synth_targets;
}

void rc__batcher_get(rc__batcher *bt, size_t i, rc_batch *b)
{
    const rc_dataset *d = bt->d;
    memset(b, 0, sizeof *b);
    if (d->task == RC_TASK_LM) {
        size_t B = bt->batch, start = bt->starts ? bt->starts[i] : i * bt->bptt;
        size_t len = bt->starts ? bt->starts[i + 1] - start : bt->bptt, left = bt->per_stream - 1 - start;
        size_t T = left < len ? left : len;
        for (size_t t = 0; t < T; t++)
            for (size_t s = 0; s < B; s++) {
                const int32_t *stream = d->ids + s * bt->per_stream + start;
                bt->tokens[t * B + s] = stream[t];
                bt->targets[t * B + s] = stream[t + 1];
            }
        b->T = T, b->B = B;
        b->tokens = bt->tokens, b->targets = bt->targets;
        return;
    }
    if (bt->batch_order)
        i = bt->batch_order[i];
    size_t first = i * bt->batch, B = d->n - first < bt->batch ? d->n - first : bt->batch;
    const size_t *idx = bt->order + first;
    b->B = B;
    if (d->synthetic) {
        synth_batch(bt, idx, B, b);
        return;
    }
    if (d->task == RC_TASK_MUSIC || d->task == RC_TASK_AUDIO) {
        size_t T = 0, K = RC_PIANO_KEYS, W = d->window, H = d->hop;
        for (size_t s = 0; s < B; s++)
            T = steps_of(d, idx[s]) > T ? steps_of(d, idx[s]) : T;
        if (d->task == RC_TASK_MUSIC)
            memset(bt->frames, 0, T * B * K * sizeof *bt->frames);
        else {
            memset(bt->features, 0, T * B * W * sizeof *bt->features);
            memset(bt->samples, 0, T * B * H * sizeof *bt->samples);
        }
        for (size_t s = 0; s < B; s++) {
            size_t len = steps_of(d, idx[s]);
            for (size_t t = 0; t < len; t++) {
                if (d->task == RC_TASK_MUSIC)
                    memcpy(bt->frames + (t * B + s) * K, d->frames + (d->offsets[idx[s]] + t) * K, K * sizeof(float));
                else { /* the window at t * hop, then the hop samples after it */
                    const float *x = d->signal + d->offsets[idx[s]] + t * H;
                    memcpy(bt->features + (t * B + s) * W, x, W * sizeof(float));
                    memcpy(bt->samples + (t * B + s) * H, x + W, H * sizeof(float));
                }
            }
            for (size_t t = 0; t < T; t++)
                bt->weights[t * B + s] = t < len ? 1.0f : 0.0f;
            bt->lengths[s] = (int32_t)len;
        }
        b->T = T;
        b->weights = bt->weights, b->lengths = bt->lengths;
        b->frames = bt->frames, b->features = bt->features, b->samples = bt->samples;
        return;
    }
    size_t T = d->T, F = d->F;
    for (size_t s = 0; s < B; s++) {
        const float *src = d->x + idx[s] * T * F;
        for (size_t t = 0; t < T; t++)
            memcpy(bt->features + (t * B + s) * F, src + t * F, F * sizeof(float));
        bt->classes[s] = d->labels[idx[s]];
    }
    b->T = T;
    b->features = bt->features, b->classes = bt->classes;
}

/* ------------------------------------------------------------ evaluation */

/* The index of the largest of row[0..n) (the first of equals). */
static size_t argmax(const float *row, size_t n)
{
    size_t best = 0;
    for (size_t k = 1; k < n; k++)
        best = row[k] > row[best] ? k : best;
    return best;
}

/* Figures of a batch of a per-step task (bits, tag) from its logits [T, B,
 * O]: *units gets its target steps (the loss's units); the bits (tag:
 * steps) judged and those right, the sequences with every one right, and
 * (bits) the wrong bits are added to the running sums. */
static void step_figures(const rc_batch *b, const rc_tensor *logits, size_t O, double *units, double *judged,
                         double *right, double *exact, double *wrong_bits)
{
    double seen = 0.0, missed = 0.0;
    *units = 0.0;
    for (size_t s = 0; s < b->B; s++) {
        double wrong = 0.0;
        for (size_t t = 0; t < b->T; t++) {
            const float *row = logits->data + (t * b->B + s) * O;
            if (b->targets) { /* tag: the most likely class */
                int32_t want = b->targets[t * b->B + s];
                if (want < 0)
                    continue;
                size_t best = argmax(row, O);
                *units += 1.0, seen += 1.0;
                wrong += best != (size_t)want;
                continue;
            }
            float w = b->weights[t * b->B + s];
            if (w == 0.0f)
                continue;
            *units += w, seen += (double)O;
            for (size_t k = 0; k < O; k++) /* a logit above 0: a probability above 1/2, read as 1 */
                wrong += (row[k] > 0.0f) != (b->frames[(t * b->B + s) * O + k] > 0.5f);
        }
        *exact += wrong == 0.0;
        missed += wrong;
    }
    *judged += seen, *right += seen - missed;
    if (!b->targets)
        *wrong_bits += missed;
}

/* Running sums of a pointer task's figures. */
typedef struct {
    double rows, right;           /* target rows, and those whose most likely position is right */
    double exact, invalid, valid; /* decoded answers equal to the target; not a valid answer; valid */
    double coverage, tour, optimal;
} pointer_sums;

/* Adds a pointer batch's figures: the teacher-forced logits [T + 1, B, T + 1]
 * against the targets, then each example decoded (beam; tsp: tours only). */
static int pointer_figures(rc_model *m, const rc_dataset *d, const rc_batch *b, const rc_tensor *logits, size_t beam,
                           pointer_sums *sum)
{
    size_t T = b->T, B = b->B, J = T + 1;
    int tours = d->synth.kind == RC_SYNTH_TSP;
    for (size_t k = 0; k < J * B; k++) {
        if (b->targets[k] < 0)
            continue;
        const float *row = logits->data + k * J;
        size_t best = argmax(row, J);
        sum->rows += 1.0, sum->right += best == (size_t)b->targets[k];
    }
    int32_t *got = malloc(J * B * sizeof *got), *order = malloc(2 * J * sizeof *order);
    float *p = malloc(2 * T * sizeof *p);
    int status = !got || !order || !p ? rc__fail(RC_ENOMEM, "rc_evaluate: out of memory for %zu answers", B)
                                      : rc_pointer_decode(m, b, beam, tours, got);
    for (size_t s = 0; !status && s < B; s++) {
        size_t n = b->lengths ? (size_t)b->lengths[s] : T, mg = 0, mt = 0;
        for (size_t j = 0; j < n; j++)
            p[2 * j] = b->features[(j * B + s) * 2], p[2 * j + 1] = b->features[(j * B + s) * 2 + 1];
        int same = 1, ended = 0;
        for (size_t t = 0; t < J; t++) {
            int32_t want = b->targets[t * B + s], have = got[t * B + s];
            same &= want == have;
            if (want > 0)
                order[J + mt++] = want - 1;
            if (have == 0)
                ended = 1;
            else if (have > 0 && !ended)
                order[mg++] = have - 1;
        }
        sum->exact += same;
        if (tours) {
            sum->tour += rc_tour_length(p, order, mg), sum->optimal += rc_tour_length(p, order + J, mt);
            continue;
        }
        if (!ended || !rc_polygon_simple(p, order, mg)) {
            sum->invalid += 1.0;
            continue;
        }
        sum->valid += 1.0;
        sum->coverage += fabs(rc_polygon_area(p, order, mg)) / fabs(rc_polygon_area(p, order + J, mt));
    }
    free(got), free(order), free(p);
    return status;
}

int rc_evaluate(rc_model *m, const rc_dataset *data, size_t batch, size_t bptt, rc_eval_result *out)
{
    return rc_evaluate_beam(m, data, batch, bptt, 1, out);
}

int rc_evaluate_beam(rc_model *m, const rc_dataset *data, size_t batch, size_t bptt, size_t beam, rc_eval_result *out)
{
    if (!m || !data || !out)
        return rc__fail(RC_EINVAL, "rc_evaluate: NULL argument");
    if (beam == 0)
        return rc__fail(RC_EINVAL, "rc_evaluate: a beam of 0 candidates");
    if (rc__dataset_fits(data, m, "rc_evaluate"))
        return rc_last_status();
    rc__batcher bt;
    if (rc__batcher_init(&bt, data, batch, bptt, 0))
        return rc_last_status();
    const rc_model_config *c = rc_model_config_of(m);
    rc__carry carry = {0}; /* lm: the states carry from window to window */
    rc_tape *tp = rc_tape_new();
    int status = tp ? RC_OK : RC_ENOMEM;
    if (!status && data->task == RC_TASK_LM)
        status = rc__carry_new(m, bt.batch, &carry);
    double total = 0.0, units = 0.0, correct = 0.0, seqs = 0.0, exact = 0.0, wrong_bits = 0.0, judged = 0.0;
    pointer_sums ps = {0};
    if (tp)
        rc_tape_set_grad_enabled(tp, 0);
    for (size_t i = 0; !status && i < bt.n_batches; i++) {
        rc_batch b;
        rc__batcher_get(&bt, i, &b);
        b.states0 = rc__carry_states(&carry);
        rc_tape_reset(tp);
        rc_tensor *logits = NULL, *states_n[RC_MODEL_MAX_STATES] = {0};
        rc_tensor *loss = rc_model_loss_states(tp, m, &b, NULL, &logits, states_n);
        if (!loss) {
            status = rc_last_status();
            break;
        }
        double n = (double)(b.T * b.B);
        seqs += data->task == RC_TASK_LM ? (i == 0 ? (double)b.B : 0.0) : (double)b.B;
        if (data->task == RC_TASK_BITS || data->task == RC_TASK_TAG) {
            step_figures(&b, logits, c->n_out, &n, &judged, &correct, &exact, &wrong_bits);
        } else if (data->task == RC_TASK_POINTER) {
            double rows = ps.rows;
            if ((status = pointer_figures(m, data, &b, logits, beam, &ps)))
                break;
            n = ps.rows - rows;
        } else if (data->task == RC_TASK_REGRESS) {
            n = (double)b.B;
        } else if (data->task == RC_TASK_MUSIC || data->task == RC_TASK_AUDIO) {
            n = 0.0;
            for (size_t k = 0; k < b.T * b.B; k++)
                n += b.weights[k];
            if (data->task == RC_TASK_AUDIO) /* the loss is per predicted sample */
                n *= (double)data->hop;
        } else if (data->task == RC_TASK_CLASSIFY) {
            n = (double)b.B;
            for (size_t s = 0; s < b.B; s++) {
                const float *row = logits->data + s * c->n_out;
                size_t best = argmax(row, c->n_out);
                correct += best == (size_t)b.classes[s];
            }
        }
        total += loss->data[0] * n;
        units += n;
        rc__carry_set(&carry, states_n);
    }
    if (!status) {
        int per_step = data->task == RC_TASK_BITS || data->task == RC_TASK_TAG;
        out->loss = units > 0 ? total / units : NAN;
        out->units = units;
        out->accuracy = data->task == RC_TASK_CLASSIFY && units > 0 ? correct / units
                        : per_step && judged > 0                    ? correct / judged
                                                                    : NAN;
        out->sequences = seqs;
        out->exact = per_step && seqs > 0 ? exact / seqs : NAN;
        out->errors = data->task == RC_TASK_BITS && seqs > 0 ? wrong_bits / seqs : NAN;
        int pointer = data->task == RC_TASK_POINTER, hull = pointer && data->synth.kind == RC_SYNTH_CONVEX_HULL;
        if (pointer && seqs > 0)
            out->accuracy = ps.right / ps.rows, out->exact = ps.exact / seqs;
        out->invalid = hull && seqs > 0 ? ps.invalid / seqs : NAN;
        out->coverage = hull && ps.valid > 0 ? ps.coverage / ps.valid : NAN;
        out->tour = pointer && !hull && seqs > 0 ? ps.tour / seqs : NAN;
        out->optimal = pointer && !hull && seqs > 0 ? ps.optimal / seqs : NAN;
    }
    rc_tape_free(tp);
    rc__carry_free(&carry);
    rc__batcher_free(&bt);
    return status;
}
