/* test_tasks.c — the synthetic tasks: each generator against the layout its
 * paper describes, checked example by example; examples that depend only on
 * (seed, index); batches padded as the models expect; and the evaluation's
 * bit errors, exact sequences and accuracies against counts made here. */
#include "test.h"

#include "../src/train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { EXAMPLES = 200 };

/* One example in buffers of the task's longest size; freed by drop(). */
typedef struct {
    size_t T, F, O;
    float *x, *y, *w;
    int32_t *cls;
} example;

static example draw(const rc_synth_config *c, uint64_t seed, uint64_t index)
{
    example e = {0};
    size_t cap = rc_synth_max_steps(c);
    e.F = rc_synth_inputs(c), e.O = rc_synth_outputs(c);
    e.x = calloc(cap * e.F, sizeof *e.x), e.y = calloc(cap * e.O, sizeof *e.y), e.w = calloc(cap, sizeof *e.w);
    e.cls = calloc(cap, sizeof *e.cls);
    e.T = rc_synth_example(c, seed, index, e.x, e.y, e.w, e.cls);
    return e;
}

static void drop(example *e) { free(e->x), free(e->y), free(e->w), free(e->cls); }

/* 1 when every entry of x[t, lo..hi) is 0. */
static int zeros(const example *e, size_t t, size_t lo, size_t hi)
{
    for (size_t f = lo; f < hi; f++)
        if (e->x[t * e->F + f] != 0.0f)
            return 0;
    return 1;
}

static void test_copy(void)
{
    t_case("task copy: L vectors, a delimiter, then the vectors as targets on weighted blank steps");
    rc_synth_config c = rc_synth_config_default(RC_SYNTH_COPY);
    T_CHECK(c.bits == 8 && c.min_length == 1 && c.max_length == 20 && rc_synth_inputs(&c) == 9 &&
                rc_synth_outputs(&c) == 8 && rc_synth_task(&c) == RC_TASK_BITS && rc_synth_max_steps(&c) == 41,
            "the paper's copy: 8 bits, lengths 1-20, 9 inputs, 41 steps at most");
    int seen[21] = {0};
    double ones = 0, bits = 0;
    for (uint64_t i = 0; i < EXAMPLES; i++) {
        example e = draw(&c, 3, i);
        size_t L = (e.T - 1) / 2, bad = 0;
        T_CHECK(e.T % 2 == 1 && L >= 1 && L <= 20, "example %llu: T = %zu", (unsigned long long)i, e.T);
        seen[L < 21 ? L : 0] = 1;
        for (size_t t = 0; t < e.T; t++) {
            int out = t > L;
            bad += e.w[t] != (float)out;
            bad += e.x[t * 9 + 8] != (t == L ? 1.0f : 0.0f);                /* the delimiter channel */
            bad += (t >= L) && !zeros(&e, t, 0, 8);                           /* blank after the vectors */
            for (size_t b = 0; b < 8; b++) {
                float want = out ? e.x[(t - L - 1) * 9 + b] : 0.0f;          /* the vector L + 1 steps before */
                bad += e.y[t * 8 + b] != want;
                if (!out && t < L)
                    bad += e.x[t * 9 + b] != 0.0f && e.x[t * 9 + b] != 1.0f, ones += e.x[t * 9 + b], bits++;
            }
        }
        T_CHECK(bad == 0, "example %llu (L %zu): %zu entries out of place", (unsigned long long)i, L, bad);
        drop(&e);
    }
    int all = 1;
    for (int L = 1; L <= 20; L++)
        all &= seen[L];
    T_CHECK(all, "200 examples did not cover every length 1-20");
    T_CHECK(fabs(ones / bits - 0.5) < 0.03, "a share %.3f of the bits are 1, not about half", ones / bits);

    t_case("task copy: example i depends on (seed, i) only");
    example a = draw(&c, 3, 17), b = draw(&c, 3, 17), d = draw(&c, 4, 17), f = draw(&c, 3, 18);
    T_CHECK(a.T == b.T && !memcmp(a.x, b.x, a.T * 9 * sizeof(float)), "the same example drawn twice differs");
    T_CHECK(a.T != d.T || memcmp(a.x, d.x, a.T * 9 * sizeof(float)), "another seed gave the same example");
    T_CHECK(a.T != f.T || memcmp(a.x, f.x, a.T * 9 * sizeof(float)), "another index gave the same example");
    drop(&a), drop(&b), drop(&d), drop(&f);
}

static void test_repeat_copy(void)
{
    t_case("task repeat-copy: the count on its channel, the vectors R times, then the end marker");
    rc_synth_config c = rc_synth_config_default(RC_SYNTH_REPEAT_COPY);
    c.min_length = 2, c.max_length = 4, c.min_repeats = 1, c.max_repeats = 5;
    T_CHECK(rc_synth_inputs(&c) == 10 && rc_synth_outputs(&c) == 9 && rc_synth_max_steps(&c) == 4 + 1 + 20 + 1,
            "sizes");
    for (uint64_t i = 0; i < 50; i++) {
        example e = draw(&c, 5, i);
        size_t L = 0, bad = 0;
        while (L < e.T && e.x[L * 10 + 8] == 0.0f)
            L++;
        size_t R = (e.T - L - 2) / L;
        T_CHECK(L >= 2 && L <= 4 && R >= 1 && R <= 5 && e.T == L + 1 + L * R + 1, "example %llu: T %zu, L %zu",
                (unsigned long long)i, e.T, L);
        if (L < 2 || L > 4)
            continue;
        float count = e.x[L * 10 + 9], want_count = (float)(((double)R - 5.5) / sqrt(99.0 / 12.0));
        T_CHECK(fabsf(count - want_count) < 1e-6f, "count channel %g for R %zu, not %g", (double)count, R,
                (double)want_count);
        for (size_t t = 0; t < e.T; t++) {
            bad += e.w[t] != (t > L ? 1.0f : 0.0f);
            bad += e.y[t * 9 + 8] != (t == e.T - 1 ? 1.0f : 0.0f);
            for (size_t b = 0; t > L && t < e.T - 1 && b < 8; b++)
                bad += e.y[t * 9 + b] != e.x[((t - L - 1) % L) * 10 + b];
        }
        T_CHECK(bad == 0, "example %llu: %zu entries out of place", (unsigned long long)i, bad);
        drop(&e);
    }
}

static void test_assoc_recall(void)
{
    t_case("task assoc-recall: delimited items, a query item, then the item after it as the target");
    rc_synth_config c = rc_synth_config_default(RC_SYNTH_ASSOC_RECALL);
    T_CHECK(c.bits == 6 && c.item_length == 3 && c.min_items == 2 && c.max_items == 6 &&
                rc_synth_inputs(&c) == 8 && rc_synth_outputs(&c) == 6 && rc_synth_max_steps(&c) == 6 * 4 + 8,
            "the paper's settings");
    int queried_last = 0;
    for (uint64_t i = 0; i < EXAMPLES; i++) {
        example e = draw(&c, 6, i);
        size_t n = (e.T - 8) / 4, at = 4 * n, bad = 0, q = n;
        T_CHECK(e.T == 4 * n + 8 && n >= 2 && n <= 6, "example %llu: T %zu", (unsigned long long)i, e.T);
        for (size_t k = 0; k < n; k++)
            bad += e.x[k * 4 * 8 + 6] != 1.0f || !zeros(&e, k * 4, 7, 8);
        bad += e.x[at * 8 + 7] != 1.0f || e.x[(at + 4) * 8 + 7] != 1.0f;
        for (size_t k = 0; k < n && q == n; k++) /* which item the query repeats */
            if (!memcmp(e.x + (k * 4 + 1) * 8, e.x + (at + 1) * 8, 8 * sizeof(float)) &&
                !memcmp(e.x + (k * 4 + 2) * 8, e.x + (at + 2) * 8, 8 * sizeof(float)) &&
                !memcmp(e.x + (k * 4 + 3) * 8, e.x + (at + 3) * 8, 8 * sizeof(float)))
                q = k;
        T_CHECK(q < n, "example %llu: the query is none of the items", (unsigned long long)i);
        queried_last += q == n - 1;
        for (size_t t = 0; q + 1 < n && t < 3; t++)
            for (size_t b = 0; b < 6; b++)
                bad += e.y[(at + 5 + t) * 6 + b] != e.x[((q + 1) * 4 + 1 + t) * 8 + b];
        for (size_t t = 0; t < e.T; t++)
            bad += e.w[t] != (t >= at + 5 ? 1.0f : 0.0f) || (t >= at + 5 && !zeros(&e, t, 0, 8));
        T_CHECK(bad == 0, "example %llu: %zu entries out of place", (unsigned long long)i, bad);
        drop(&e);
    }
    /* items of 3 random 6-bit vectors repeat by chance once in 2^18: the last
     * item, which has no successor, is never the query */
    T_CHECK(queried_last == 0, "%d queries asked for the last item, which has no successor", queried_last);
}

static void test_copy_memory(void)
{
    t_case("task copy-memory: 10 symbols, T - 1 blanks, the marker, then the symbols as the last targets");
    rc_synth_config c = rc_synth_config_default(RC_SYNTH_COPY_MEMORY);
    c.min_length = c.max_length = 30;
    T_CHECK(rc_synth_inputs(&c) == 10 && rc_synth_outputs(&c) == 10 && rc_synth_task(&c) == RC_TASK_TAG &&
                rc_synth_max_steps(&c) == 50,
            "sizes");
    T_CHECK(fabs(rc_synth_baseline(&c) - 10 * log(8.0) / 50) < 1e-12, "baseline %g, not 10 log 8 / (T + 20)",
            rc_synth_baseline(&c));
    int used[10] = {0};
    for (uint64_t i = 0; i < 50; i++) {
        example e = draw(&c, 7, i);
        size_t bad = e.T != 50;
        for (size_t t = 0; t < e.T; t++) {
            size_t hot = 0, ones = 0;
            for (size_t f = 0; f < 10; f++)
                if (e.x[t * 10 + f] != 0.0f)
                    hot = f, ones += e.x[t * 10 + f] == 1.0f;
            bad += ones != 1;
            size_t want_in = t < 10 ? hot : t == 39 ? 9 : 0;
            bad += hot != want_in || (t < 10 && (hot < 1 || hot > 8));
            if (t < 10)
                used[hot]++;
            int32_t want_out = t >= 40 ? (int32_t)(size_t)0 : 0;
            if (t >= 40) { /* the symbol 40 steps before */
                want_out = 0;
                for (size_t f = 0; f < 10; f++)
                    if (e.x[(t - 40) * 10 + f] == 1.0f)
                        want_out = (int32_t)f;
            }
            bad += e.cls[t] != want_out;
        }
        T_CHECK(bad == 0, "example %llu: %zu steps out of place", (unsigned long long)i, bad);
        drop(&e);
    }
    int all = used[0] == 0 && used[9] == 0;
    for (int k = 1; k <= 8; k++)
        all &= used[k] > 20;
    T_CHECK(all, "symbols drawn: not every one of 1..8, or a blank or marker among them");
}

static void test_adding(void)
{
    t_case("task adding: two markers, one in each half; the target their values' sum");
    rc_synth_config c = rc_synth_config_default(RC_SYNTH_ADDING);
    c.min_length = c.max_length = 10;
    T_CHECK(rc_synth_inputs(&c) == 2 && rc_synth_outputs(&c) == 1 && rc_synth_task(&c) == RC_TASK_REGRESS &&
                fabs(rc_synth_baseline(&c) - 1.0 / 6) < 1e-12,
            "sizes and the 1/6 baseline");
    int first[10] = {0}, second[10] = {0};
    double sq = 0;
    for (uint64_t i = 0; i < 400; i++) {
        example e = draw(&c, 8, i);
        size_t marks = 0, a = 99, b = 99;
        double sum = 0;
        for (size_t t = 0; t < e.T; t++) {
            float v = e.x[t * 2], m = e.x[t * 2 + 1];
            T_CHECK(v >= 0.0f && v < 1.0f && (m == 0.0f || m == 1.0f), "step %zu: value %g, marker %g", t,
                    (double)v, (double)m);
            if (m == 1.0f)
                {
                marks++, sum += v;
                if (a == 99)
                    a = t;
                else
                    b = t;
            }
        }
        T_CHECK(e.T == 10 && marks == 2 && a < 5 && b >= 5 && b < 10 && fabs(e.y[0] - sum) < 1e-6,
                "example %llu: %zu markers at %zu and %zu, target %g for a sum of %g", (unsigned long long)i,
                marks, a, b, (double)e.y[0], sum);
        if (marks == 2 && a < 10 && b < 10)
            first[a]++, second[b]++;
        sq += (e.y[0] - 1.0) * (e.y[0] - 1.0);
        drop(&e);
    }
    int all = 1;
    for (int t = 0; t < 5; t++)
        all &= first[t] > 40 && second[t + 5] > 40;
    T_CHECK(all, "marker positions are not spread over both halves");
    T_CHECK(fabs(sq / 400 - 1.0 / 6) < 0.03, "guessing 1 scores %g, not about 1/6", sq / 400);
}

static void test_bad_configs(void)
{
    t_case("tasks: a configuration out of range is refused, naming the task and the field");
    struct {
        int kind;
        const char *field, *needle;
    } cases[] = {
        {RC_SYNTH_COPY, "bits", "0 bits"},
        {RC_SYNTH_COPY, "length", "not a range"},
        {RC_SYNTH_REPEAT_COPY, "repeats", "repeats 0-10"},
        {RC_SYNTH_ASSOC_RECALL, "items", "at least 2 items"},
        {RC_SYNTH_COPY_MEMORY, "symbols", "1 symbols"},
        {RC_SYNTH_ADDING, "length", "cannot hold a marker"},
        {RC_SYNTH_COPY, "huge", "longer than"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rc_synth_config c = rc_synth_config_default(cases[i].kind);
        if (!strcmp(cases[i].field, "bits"))
            c.bits = 0;
        else if (!strcmp(cases[i].field, "length"))
            c.min_length = cases[i].kind == RC_SYNTH_ADDING ? 1 : 5, c.max_length = cases[i].kind == RC_SYNTH_ADDING ? 1 : 4;
        else if (!strcmp(cases[i].field, "repeats"))
            c.min_repeats = 0;
        else if (!strcmp(cases[i].field, "items"))
            c.min_items = 1;
        else if (!strcmp(cases[i].field, "symbols"))
            c.symbols = 1;
        else
            c.max_length = (size_t)1 << 40;
        T_CHECK_ERROR(rc_synth_check(&c), RC_EINVAL, cases[i].needle);
        T_CHECK(strstr(rc_last_error(), rc_synth_name(c.kind)), "the message does not name %s: %s",
                rc_synth_name(c.kind), rc_last_error());
        T_CHECK(rc_dataset_synth(&c, 10, 1, 0) == NULL && rc_synth_example(&c, 1, 1, NULL, NULL, NULL, NULL) == 0,
                "a data set or example was made from a bad configuration");
    }
    rc_synth_config c = rc_synth_config_default(RC_SYNTH_COPY);
    T_CHECK(rc_dataset_synth(&c, 0, 1, 0) == NULL && strstr(rc_last_error(), "at least one example"),
            "an empty data set was made");
    T_CHECK(rc_synth_from_name("copy") == RC_SYNTH_COPY && rc_synth_from_name("adding") == RC_SYNTH_ADDING &&
                rc_synth_from_name("copying") < 0,
            "names");
}

/* A model whose head ignores the network: weights 0, biases `bias`. */
static rc_model *constant_model(const rc_synth_config *c, const float *bias)
{
    rc_rng rng;
    rc_rng_seed(&rng, 1, 1);
    rc_model_config mc = {0};
    mc.task = rc_synth_task(c);
    mc.rnn = rc_rnn_config_default(RC_CELL_GRU, rc_synth_inputs(c), 4);
    mc.n_out = rc_synth_outputs(c);
    rc_model *m = rc_model_new(&mc, &rng);
    rc_tensor *w = rc_params_find(rc_model_params(m), "head.weight"),
              *b = rc_params_find(rc_model_params(m), "head.bias");
    memset(w->data, 0, w->size * sizeof(float));
    memcpy(b->data, bias, b->size * sizeof(float));
    return m;
}

static void test_batches_and_figures(void)
{
    t_case("tasks: batches are padded (weight 0, target -1) and hold the examples of their indices");
    rc_synth_config c = rc_synth_config_default(RC_SYNTH_COPY);
    c.bits = 4, c.min_length = 1, c.max_length = 6;
    enum { N = 40 };
    rc_dataset *set = rc_dataset_synth(&c, N, 11, 0);
    T_CHECK(set && rc_dataset_task(set) == RC_TASK_BITS && rc_dataset_size(set) == N &&
                rc_dataset_features(set) == 5 && rc_dataset_outputs(set) == 4,
            "the data set's task and sizes");

    rc__batcher bt;
    T_CHECK(rc__batcher_init(&bt, set, 7, 1, 0) == RC_OK, "%s", rc_last_error());
    rc_batch b;
    rc__batcher_get(&bt, 1, &b); /* examples 7..13 */
    size_t bad = 0, longest = 0;
    for (size_t s = 0; s < b.B; s++) {
        example e = draw(&c, 11, 7 + s);
        longest = e.T > longest ? e.T : longest;
        bad += (size_t)b.lengths[s] != e.T;
        for (size_t t = 0; t < b.T; t++) {
            bad += b.weights[t * 7 + s] != (t < e.T ? e.w[t] : 0.0f);
            for (size_t f = 0; f < 5; f++)
                bad += b.features[(t * 7 + s) * 5 + f] != (t < e.T ? e.x[t * 5 + f] : 0.0f);
            for (size_t f = 0; f < 4; f++)
                bad += b.frames[(t * 7 + s) * 4 + f] != (t < e.T ? e.y[t * 4 + f] : 0.0f);
        }
        drop(&e);
    }
    T_CHECK(b.B == 7 && b.T == longest && bad == 0, "batch of %zu, T %zu (longest %zu): %zu entries differ", b.B,
            b.T, longest, bad);
    rc__batcher_free(&bt);

    t_case("tasks: a fresh training set draws new examples each epoch, the same again from the same generator");
    /* one batch per epoch: a fixed set would hold the same 7 examples in
     * another order; compare the examples as a sorted list of fingerprints */
    rc_dataset *fresh = rc_dataset_synth(&c, 7, 11, 1);
    double prints[3][7];
    rc_rng rng, replay;
    rc_rng_seed(&rng, 9, 9);
    replay = rng;
    T_CHECK(rc__batcher_init(&bt, fresh, 7, 1, 0) == RC_OK, "%s", rc_last_error());
    for (int k = 0; k < 3; k++) {
        rc__batcher_shuffle(&bt, k == 2 ? &replay : &rng);
        rc__batcher_get(&bt, 0, &b);
        for (size_t s = 0; s < 7; s++) {
            double v = 0;
            for (size_t t = 0; t < b.T; t++)
                for (size_t f = 0; f < 5; f++)
                    v = v * 1.7 + b.features[(t * 7 + s) * 5 + f];
            size_t j = s; /* insertion sort */
            for (; j > 0 && prints[k][j - 1] > v; j--)
                prints[k][j] = prints[k][j - 1];
            prints[k][j] = v;
        }
    }
    T_CHECK(memcmp(prints[0], prints[1], sizeof prints[0]) && !memcmp(prints[0], prints[2], sizeof prints[0]),
            "epochs repeat their examples, or the same generator state drew others");
    rc__batcher_free(&bt);
    rc_dataset_free(fresh);

    /* every output bit 1: the wrong bits are the 0s among the targets */
    float ones[4] = {9, 9, 9, 9};
    rc_model *m = constant_model(&c, ones);
    double zero_bits = 0, all_ones = 0, steps = 0, bits = 0;
    for (uint64_t i = 0; i < N; i++) {
        example e = draw(&c, 11, i);
        double z = 0;
        for (size_t t = 0; t < e.T; t++)
            for (size_t k = 0; e.w[t] > 0 && k < 4; k++)
                z += e.y[t * 4 + k] == 0.0f, bits++;
        for (size_t t = 0; t < e.T; t++)
            steps += e.w[t];
        zero_bits += z, all_ones += z == 0;
        drop(&e);
    }
    rc_eval_result r[2];
    size_t batches[2] = {7, 40}; /* the figures may not depend on how the set is cut */
    for (int k = 0; k < 2; k++)
        T_CHECK(rc_evaluate(m, set, batches[k], 1, &r[k]) == RC_OK, "%s", rc_last_error());
    t_case("tasks: bits evaluation counts wrong bits per sequence, exact sequences and bit accuracy");
    for (int k = 0; k < 2; k++)
        T_CHECK(r[k].sequences == N && fabs(r[k].errors - zero_bits / N) < 1e-9 &&
                    fabs(r[k].exact - all_ones / N) < 1e-9 && fabs(r[k].accuracy - (1 - zero_bits / bits)) < 1e-9 &&
                    r[k].units == steps,
                "batch %zu: %g sequences, %g errors (want %g), exact %g (want %g), accuracy %g (want %g), %g "
                "units (want %g)",
                batches[k], r[k].sequences, r[k].errors, zero_bits / N, r[k].exact, all_ones / N, r[k].accuracy,
                1 - zero_bits / bits, r[k].units, steps);
    T_CHECK(fabs(r[0].loss - r[1].loss) < 1e-6 * r[0].loss, "the loss depends on the batch: %g vs %g", r[0].loss,
            r[1].loss);
    rc_model_free(m);
    rc_dataset_free(set);

    t_case("tasks: tag evaluation judges target steps only; blanks everywhere is the memoryless answer");
    rc_synth_config cm = rc_synth_config_default(RC_SYNTH_COPY_MEMORY);
    cm.min_length = 5, cm.max_length = 9; /* padding in every batch */
    set = rc_dataset_synth(&cm, N, 12, 0);
    float blank[10] = {5, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    m = constant_model(&cm, blank);
    double targets = 0;
    for (uint64_t i = 0; i < N; i++) {
        example e = draw(&cm, 12, i);
        targets += (double)e.T;
        drop(&e);
    }
    T_CHECK(rc_evaluate(m, set, 6, 1, &r[0]) == RC_OK, "%s", rc_last_error());
    T_CHECK(r[0].units == targets && fabs(r[0].accuracy - (targets - 10 * N) / targets) < 1e-9 && r[0].exact == 0 &&
                isnan(r[0].errors),
            "%g target steps (want %g), accuracy %g (want %g), exact %g", r[0].units, targets, r[0].accuracy,
            (targets - 10 * N) / targets, r[0].exact);
    rc_model_free(m);
    rc_dataset_free(set);

    t_case("tasks: regress evaluation is the mean squared error; guessing 1 scores about 1/6");
    rc_synth_config ca = rc_synth_config_default(RC_SYNTH_ADDING);
    set = rc_dataset_synth(&ca, 1000, 13, 0);
    float one = 1;
    m = constant_model(&ca, &one);
    double sq = 0;
    for (uint64_t i = 0; i < 1000; i++) {
        example e = draw(&ca, 13, i);
        sq += (e.y[0] - 1.0) * (e.y[0] - 1.0);
        drop(&e);
    }
    T_CHECK(rc_evaluate(m, set, 32, 1, &r[0]) == RC_OK, "%s", rc_last_error());
    T_CHECK(r[0].units == 1000 && fabs(r[0].loss - sq / 1000) < 1e-5 && fabs(r[0].loss - 1.0 / 6) < 0.03,
            "MSE %g, counted %g", r[0].loss, sq / 1000);
    rc_model_free(m);

    t_case("tasks: a model of other sizes is refused by name");
    rc_synth_config wide = rc_synth_config_default(RC_SYNTH_COPY);
    wide.bits = 5;
    float z5[5] = {0};
    m = constant_model(&wide, z5);
    rc_dataset *copy8 = rc_dataset_synth(&c, 4, 1, 0);
    T_CHECK_ERROR(rc_evaluate(m, copy8, 4, 1, &r[0]), RC_EINVAL, "task copy reads 5 features");
    T_CHECK_ERROR(rc_evaluate(m, set, 4, 1, &r[0]), RC_EINVAL, "a regress data set for a bits model");
    rc_model_free(m);
    rc_dataset_free(copy8);
    rc_dataset_free(set);
}

/* ---------------------------------------------------------------- geometry */

static double cross3(const float *p, int32_t o, int32_t a, int32_t b)
{
    return ((double)p[2 * a] - p[2 * o]) * ((double)p[2 * b + 1] - p[2 * o + 1]) -
           ((double)p[2 * a + 1] - p[2 * o + 1]) * ((double)p[2 * b] - p[2 * o]);
}

/* The shortest closed tour from point 0 over every order of the others. */
static double brute_tour(const float *p, size_t n)
{
    int32_t perm[8];
    for (size_t i = 0; i < n; i++)
        perm[i] = (int32_t)i;
    double best = INFINITY;
    for (;;) { /* next permutation of perm[1..n) in lexicographic order */
        best = fmin(best, rc_tour_length(p, perm, n));
        size_t i = n - 1;
        while (i > 1 && perm[i - 1] > perm[i])
            i--;
        if (i <= 1)
            break;
        size_t j = n - 1;
        while (perm[j] < perm[i - 1])
            j--;
        int32_t v = perm[i - 1];
        perm[i - 1] = perm[j], perm[j] = v;
        for (size_t a = i, b = n - 1; a < b; a++, b--)
            v = perm[a], perm[a] = perm[b], perm[b] = v;
    }
    return best;
}

static void test_geometry(void)
{
    t_case("geometry: a square's hull, counter-clockwise from its lowest index, without inner or edge points");
    const float square[] = {0.5f, 0.5f, 1, 0, 1, 1, 0, 1, 0, 0, 0.5f, 0};
    int32_t hull[64];
    size_t m = rc_convex_hull(square, 6, hull);
    T_CHECK(m == 4 && hull[0] == 1 && hull[1] == 2 && hull[2] == 3 && hull[3] == 4, "hull of %zu: %d %d %d %d", m,
            hull[0], hull[1], hull[2], hull[3]);
    T_CHECK(fabs(rc_polygon_area(square, hull, m) - 1.0) < 1e-12, "area %g", rc_polygon_area(square, hull, m));
    const int32_t clockwise[] = {4, 3, 2, 1};
    T_CHECK(fabs(rc_polygon_area(square, clockwise, 4) + 1.0) < 1e-12, "clockwise area %g",
            rc_polygon_area(square, clockwise, 4));
    T_CHECK(rc_convex_hull(square, 1, hull) == 1 && hull[0] == 0 && rc_convex_hull(square, 0, hull) == 0,
            "one point is its own hull; none has none");

    t_case("geometry: random hulls equal the brute-force vertex sets (every other point strictly left of an edge)");
    rc_rng rng;
    rc_rng_seed(&rng, 21, 21);
    size_t bad = 0;
    for (int trial = 0; trial < 200; trial++) {
        size_t n = 3 + rc_rng_below(&rng, 40);
        float p[2 * 64];
        for (size_t i = 0; i < 2 * n; i++)
            p[i] = rc_rng_uniform(&rng);
        m = rc_convex_hull(p, n, hull);
        int on[64] = {0}, want[64] = {0};
        for (size_t i = 0; i < m; i++) {
            on[hull[i]] = 1;
            bad += cross3(p, hull[i], hull[(i + 1) % m], hull[(i + 2) % m]) <= 0; /* turns left */
            bad += hull[i] < hull[0];                                                /* starts lowest */
        }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n && !want[i]; j++) {
                int all_left = j != i;
                for (size_t k = 0; k < n && all_left; k++)
                    all_left = k == i || k == j || cross3(p, (int32_t)i, (int32_t)j, (int32_t)k) > 0;
                want[i] = all_left;
            }
        for (size_t i = 0; i < n; i++)
            bad += on[i] != want[i];
    }
    T_CHECK(bad == 0, "%zu disagreements over 200 random sets", bad);

    t_case("geometry: Held-Karp's tours are as short as brute force's for n <= 8, and are tours");
    bad = 0;
    double worst = 0;
    for (int trial = 0; trial < 60; trial++) {
        size_t n = 1 + (size_t)trial % 8;
        float p[16];
        for (size_t i = 0; i < 2 * n; i++)
            p[i] = rc_rng_uniform(&rng);
        int32_t tour[8];
        double got = rc_tsp_optimal(p, n, tour), want = brute_tour(p, n);
        int seen[8] = {0};
        for (size_t i = 0; i < n; i++)
            bad += tour[i] < 0 || (size_t)tour[i] >= n || seen[tour[i]]++;
        bad += tour[0] != 0 || fabs(got - rc_tour_length(p, tour, n)) > 1e-12;
        worst = fmax(worst, fabs(got - want));
    }
    T_CHECK(bad == 0 && worst < 1e-6, "%zu malformed tours; worst length difference %g", bad, worst);

    t_case("geometry: points of a circle, shuffled: the optimal tour goes round it; 21 points are refused");
    float circle[2 * 20];
    int32_t at[20], tour[20];
    for (int i = 0; i < 20; i++)
        at[i] = i;
    for (int i = 19; i > 0; i--) {
        int j = (int)rc_rng_below(&rng, (uint32_t)(i + 1)), v = at[i];
        at[i] = at[j], at[j] = v;
    }
    double perimeter = 0;
    for (int i = 0; i < 20; i++) {
        circle[2 * at[i]] = (float)cos(2 * 3.14159265358979 * i / 20);
        circle[2 * at[i] + 1] = (float)sin(2 * 3.14159265358979 * i / 20);
    }
    for (int i = 0; i < 20; i++) {
        int32_t pair[2] = {at[i], at[(i + 1) % 20]};
        perimeter += rc_tour_length(circle, pair, 2) / 2;
    }
    double len = rc_tsp_optimal(circle, 20, tour);
    T_CHECK(fabs(len - perimeter) < 1e-5, "tour %g, perimeter %g", len, perimeter);
    T_CHECK(rc_tsp_optimal(circle, 21, tour) < 0 && strstr(rc_last_error(), "1 to 20"), "21 points: %s",
            rc_last_error());
}

void suite_tasks(void)
{
    test_geometry();
    test_copy();
    test_repeat_copy();
    test_assoc_recall();
    test_copy_memory();
    test_adding();
    test_bad_configs();
    test_batches_and_figures();
}
