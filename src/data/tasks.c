/* tasks.c — the synthetic algorithmic tasks of the memory-network papers
 * (see "synthetic tasks" in recur.h): copy, repeat copy and associative
 * recall (Graves et al. 2014, arXiv:1410.5401, section 4), the copying
 * memory and adding problems (Arjovsky et al. 2016, arXiv:1511.06464,
 * section 4, after Hochreiter & Schmidhuber 1997), the planar convex hull
 * and travelling salesman problems (Vinyals et al. 2015, arXiv:1506.03134,
 * section 4; their exact answers in geometry.c).
 *
 * Every example is drawn from its own generator, seeded with (seed, index),
 * so example i never depends on the examples before it or on the batch it
 * lands in.  rc__synth_fill writes one example into column col of
 * time-major buffers of B columns, the layout batches use. */
#include "data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const synth_names[RC_SYNTH_COUNT] = {
#define RC__SYNTH_NAME(id, name) [id] = name,
    RC_SYNTH_LIST(RC__SYNTH_NAME)
#undef RC__SYNTH_NAME
};

const char *rc_synth_name(int kind) { return kind >= 0 && kind < RC_SYNTH_COUNT ? synth_names[kind] : NULL; }

int rc_synth_from_name(const char *name) { return rc__name_index(synth_names, RC_SYNTH_COUNT, name); }

rc_synth_config rc_synth_config_default(int kind)
{
    rc_synth_config c = {0};
    if (!rc_synth_name(kind))
        return c;
    c.kind = kind;
    switch (kind) {
    case RC_SYNTH_COPY: c.bits = 8, c.min_length = 1, c.max_length = 20; break;
    case RC_SYNTH_REPEAT_COPY:
        c.bits = 8, c.min_length = 1, c.max_length = 10, c.min_repeats = 1, c.max_repeats = 10;
        break;
    case RC_SYNTH_ASSOC_RECALL: c.bits = 6, c.min_items = 2, c.max_items = 6, c.item_length = 3; break;
    case RC_SYNTH_COPY_MEMORY: c.symbols = 8, c.copy_length = 10, c.min_length = c.max_length = 100; break;
    case RC_SYNTH_CONVEX_HULL: c.min_length = 5, c.max_length = 10; break;
    case RC_SYNTH_TSP: c.min_length = c.max_length = 5; break;
    default: c.min_length = c.max_length = 100; break; /* adding */
    }
    return c;
}

/* The longest a task may be: 2^20 steps, far beyond any experiment. */
enum { MAX_STEPS = 1 << 20 };

int rc_synth_check(const rc_synth_config *c)
{
    if (!c || !rc_synth_name(c->kind))
        return rc__fail(RC_EINVAL, "task: unknown synthetic task");
    const char *name = synth_names[c->kind];
    int k = c->kind, vectors = k == RC_SYNTH_COPY || k == RC_SYNTH_REPEAT_COPY || k == RC_SYNTH_ASSOC_RECALL;
    if (vectors && (c->bits == 0 || c->bits > 1024))
        return rc__fail(RC_EINVAL, "task %s: %zu bits per vector; 1 to 1024", name, c->bits);
    if (k != RC_SYNTH_ASSOC_RECALL && (c->min_length == 0 || c->min_length > c->max_length))
        return rc__fail(RC_EINVAL, "task %s: length %zu-%zu is not a range of positive lengths", name,
                        c->min_length, c->max_length);
    if (k == RC_SYNTH_ADDING && c->min_length < 2)
        return rc__fail(RC_EINVAL, "task adding: %zu steps cannot hold a marker in each half", c->min_length);
    if (k == RC_SYNTH_REPEAT_COPY && (c->min_repeats == 0 || c->min_repeats > c->max_repeats))
        return rc__fail(RC_EINVAL, "task repeat-copy: repeats %zu-%zu is not a range of positive counts",
                        c->min_repeats, c->max_repeats);
    if (k == RC_SYNTH_ASSOC_RECALL && (c->min_items < 2 || c->min_items > c->max_items || c->item_length == 0))
        return rc__fail(RC_EINVAL, "task assoc-recall: items %zu-%zu of %zu vectors; it needs at least 2 items "
                                   "of at least 1",
                        c->min_items, c->max_items, c->item_length);
    if ((k == RC_SYNTH_CONVEX_HULL || k == RC_SYNTH_TSP) && c->max_length > RC_POINTER_MAX_POINTS)
        return rc__fail(RC_EINVAL, "task %s: %zu points; at most %d", name, c->max_length, RC_POINTER_MAX_POINTS);
    if (k == RC_SYNTH_TSP && c->max_length > RC_TSP_MAX_EXACT)
        return rc__fail(RC_EINVAL, "task tsp: %zu points; its exact tours (Held-Karp) take at most %d", c->max_length,
                        RC_TSP_MAX_EXACT);
    if (k == RC_SYNTH_COPY_MEMORY && (c->symbols < 2 || c->symbols > 1024 || c->copy_length == 0))
        return rc__fail(RC_EINVAL, "task copy-memory: %zu symbols (2 to 1024), %zu to remember (at least 1)",
                        c->symbols, c->copy_length);
    /* every size below MAX_STEPS keeps the step count's arithmetic in range */
    if (c->max_length >= MAX_STEPS || c->max_repeats >= MAX_STEPS || c->max_items >= MAX_STEPS ||
        c->item_length >= MAX_STEPS || c->copy_length >= MAX_STEPS || rc_synth_max_steps(c) > MAX_STEPS)
        return rc__fail(RC_EINVAL, "task %s: examples would be longer than %d steps", name, MAX_STEPS);
    return RC_OK;
}

int rc_synth_task(const rc_synth_config *c)
{
    if (!c)
        return -1;
    switch (c->kind) {
    case RC_SYNTH_COPY_MEMORY: return RC_TASK_TAG;
    case RC_SYNTH_ADDING: return RC_TASK_REGRESS;
    case RC_SYNTH_CONVEX_HULL:
    case RC_SYNTH_TSP: return RC_TASK_POINTER;
    default: return RC_TASK_BITS;
    }
}

size_t rc_synth_inputs(const rc_synth_config *c)
{
    switch (c->kind) {
    case RC_SYNTH_COPY: return c->bits + 1;
    case RC_SYNTH_COPY_MEMORY: return c->symbols + 2;
    case RC_SYNTH_ADDING:
    case RC_SYNTH_CONVEX_HULL:
    case RC_SYNTH_TSP: return 2;
    default: return c->bits + 2;
    }
}

size_t rc_synth_outputs(const rc_synth_config *c)
{
    switch (c->kind) {
    case RC_SYNTH_REPEAT_COPY: return c->bits + 1;
    case RC_SYNTH_COPY_MEMORY: return c->symbols + 2;
    case RC_SYNTH_ADDING: return 1;
    case RC_SYNTH_CONVEX_HULL:
    case RC_SYNTH_TSP: return 0; /* positions of the input, as many as it has points */
    default: return c->bits;
    }
}

/* Steps of an example of length (or items) L and repeats R. */
static size_t steps(const rc_synth_config *c, size_t L, size_t R)
{
    switch (c->kind) {
    case RC_SYNTH_COPY: return 2 * L + 1;
    case RC_SYNTH_REPEAT_COPY: return L + 1 + L * R + 1;
    case RC_SYNTH_ASSOC_RECALL: return L * (c->item_length + 1) + 2 * c->item_length + 2;
    case RC_SYNTH_COPY_MEMORY: return L + 2 * c->copy_length;
    case RC_SYNTH_CONVEX_HULL:
    case RC_SYNTH_TSP: return L + 1; /* the targets': every point, then the end */
    default: return L;
    }
}

size_t rc_synth_max_steps(const rc_synth_config *c)
{
    size_t L = c->kind == RC_SYNTH_ASSOC_RECALL ? c->max_items : c->max_length;
    if (L >= MAX_STEPS || c->max_repeats >= MAX_STEPS || c->item_length >= MAX_STEPS || c->copy_length >= MAX_STEPS)
        return SIZE_MAX; /* beyond any valid configuration; keeps the products below from overflowing */
    return steps(c, L, c->max_repeats);
}

double rc_synth_baseline(const rc_synth_config *c)
{
    if (c->kind == RC_SYNTH_ADDING)
        return 1.0 / 6.0; /* the variance of the sum of two U[0, 1) */
    if (c->kind == RC_SYNTH_COPY_MEMORY)
        return (double)c->copy_length * log((double)c->symbols) / (double)steps(c, c->max_length, 0);
    return NAN;
}

/* Uniform in [lo, hi]. */
static size_t draw_range(rc_rng *r, size_t lo, size_t hi) { return lo + rc_rng_below(r, (uint32_t)(hi - lo + 1)); }

/* The repeat count's channel, normalised as Graves et al.: zero mean and
 * unit variance for counts uniform in 1..10. */
static float repeat_channel(size_t R) { return (float)(((double)R - 5.5) / sqrt(99.0 / 12.0)); }

size_t rc__synth_fill(const rc_synth_config *c, rc_rng *r, size_t B, size_t col, float *x, float *y, float *w,
                      int32_t *cls)
{
    size_t F = rc_synth_inputs(c), O = rc_synth_outputs(c), nb = c->bits;
#define X(t, f) x[((t) * B + col) * F + (f)]
#define Y(t, f) y[((t) * B + col) * O + (f)]
    switch (c->kind) {
    case RC_SYNTH_COPY:
    case RC_SYNTH_REPEAT_COPY: {
        size_t L = draw_range(r, c->min_length, c->max_length);
        size_t R = c->kind == RC_SYNTH_COPY ? 1 : draw_range(r, c->min_repeats, c->max_repeats);
        for (size_t t = 0; t < L; t++)
            for (size_t b = 0; b < nb; b++) {
                float bit = (float)(rc_rng_u32(r) >> 31);
                X(t, b) = bit;
                for (size_t k = 0; k < R; k++)
                    Y(L + 1 + k * L + t, b) = bit;
            }
        X(L, nb) = 1.0f;
        if (c->kind == RC_SYNTH_REPEAT_COPY) {
            X(L, nb + 1) = repeat_channel(R);
            Y(L + 1 + L * R, nb) = 1.0f; /* the end marker */
        }
        size_t T = steps(c, L, R);
        for (size_t t = L + 1; t < T; t++)
            w[t * B + col] = 1.0f;
        return T;
    }
    case RC_SYNTH_ASSOC_RECALL: {
        size_t n = draw_range(r, c->min_items, c->max_items), il = c->item_length, step = il + 1;
        for (size_t i = 0; i < n; i++) {
            X(i * step, nb) = 1.0f;
            for (size_t t = 0; t < il; t++)
                for (size_t b = 0; b < nb; b++)
                    X(i * step + 1 + t, b) = (float)(rc_rng_u32(r) >> 31);
        }
        size_t q = rc_rng_below(r, (uint32_t)(n - 1)), at = n * step; /* query item q, answer q + 1 */
        X(at, nb + 1) = 1.0f;
        for (size_t t = 0; t < il; t++)
            for (size_t b = 0; b < nb; b++) {
                X(at + 1 + t, b) = X(q * step + 1 + t, b);
                Y(at + il + 2 + t, b) = X((q + 1) * step + 1 + t, b);
            }
        X(at + il + 1, nb + 1) = 1.0f;
        for (size_t t = 0; t < il; t++)
            w[(at + il + 2 + t) * B + col] = 1.0f;
        return steps(c, n, 0);
    }
    case RC_SYNTH_COPY_MEMORY: {
        size_t L = draw_range(r, c->min_length, c->max_length), K = c->copy_length, T = steps(c, L, 0);
        for (size_t t = 0; t < T; t++) { /* blanks in and out */
            X(t, 0) = 1.0f;
            cls[t * B + col] = 0;
        }
        for (size_t t = 0; t < K; t++) { /* symbols 1..symbols, to be output after the marker */
            size_t s = 1 + rc_rng_below(r, (uint32_t)c->symbols);
            X(t, 0) = 0.0f, X(t, s) = 1.0f;
            cls[(L + K + t) * B + col] = (int32_t)s;
        }
        X(L + K - 1, 0) = 0.0f, X(L + K - 1, c->symbols + 1) = 1.0f; /* the marker */
        return T;
    }
    case RC_SYNTH_CONVEX_HULL:
    case RC_SYNTH_TSP: { /* n points uniform in the unit square; their answer, then the end (0) */
        size_t n = draw_range(r, c->min_length, c->max_length), m = n;
        float p[2 * RC_POINTER_MAX_POINTS];
        int32_t answer[RC_POINTER_MAX_POINTS];
        for (size_t i = 0; i < 2 * n; i++)
            p[i] = X(i / 2, i % 2) = rc_rng_uniform(r);
        if (c->kind == RC_SYNTH_TSP)
            rc_tsp_optimal(p, n, answer);
        else
            m = rc_convex_hull(p, n, answer);
        for (size_t t = 0; t < m; t++)
            cls[t * B + col] = answer[t] + 1;
        cls[m * B + col] = 0;
        return n;
    }
    default: { /* adding */
        size_t L = draw_range(r, c->min_length, c->max_length), half = L / 2;
        size_t a = rc_rng_below(r, (uint32_t)half), b = half + rc_rng_below(r, (uint32_t)(L - half));
        for (size_t t = 0; t < L; t++)
            X(t, 0) = rc_rng_uniform(r);
        X(a, 1) = X(b, 1) = 1.0f;
        y[col] = X(a, 0) + X(b, 0);
        return L;
    }
    }
#undef X
#undef Y
}

void rc__synth_seed(rc_rng *r, uint64_t seed, uint64_t index) { rc_rng_seed(r, seed, index); }

size_t rc_synth_example(const rc_synth_config *c, uint64_t seed, uint64_t index, float *inputs, float *targets,
                        float *weights, int32_t *classes)
{
    if (rc_synth_check(c))
        return 0;
    size_t T = rc_synth_max_steps(c), F = rc_synth_inputs(c), O = rc_synth_outputs(c);
    float *x = calloc(T * F, sizeof *x), *y = calloc(c->kind == RC_SYNTH_ADDING || O == 0 ? 1 : T * O, sizeof *y);
    float *w = calloc(T, sizeof *w);
    int32_t *cls = malloc(T * sizeof *cls);
    for (size_t t = 0; cls && t < T; t++)
        cls[t] = -1;
    if (!x || !y || !w || !cls) {
        free(x), free(y), free(w), free(cls);
        rc__fail(RC_ENOMEM, "task %s: out of memory for an example of %zu steps", synth_names[c->kind], T);
        return 0;
    }
    rc_rng r;
    rc__synth_seed(&r, seed, index);
    size_t n = rc__synth_fill(c, &r, 1, 0, x, y, w, cls);
    if (inputs)
        memcpy(inputs, x, n * F * sizeof *x);
    if (targets)
        memcpy(targets, y, (c->kind == RC_SYNTH_ADDING ? 1 : n * O) * sizeof *y);
    if (weights)
        memcpy(weights, w, n * sizeof *w);
    if (classes) /* a pointer task's targets have a row more than its points */
        memcpy(classes, cls, (rc_synth_task(c) == RC_TASK_POINTER ? n + 1 : n) * sizeof *cls);
    free(x), free(y), free(w), free(cls);
    return n;
}
