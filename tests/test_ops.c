/* test_ops.c — forward values against hand-computed ones, and every shape
 * and argument error (status and message). */
#include "test.h"

#include <math.h>
#include <string.h>

static rc_tensor *tensor(rc_tape *tp, int ndim, const size_t *shape, const float *values)
{
    rc_tensor *t = rc_tape_tensor(tp, ndim, shape);
    memcpy(t->data, values, t->size * sizeof(float));
    return t;
}

static int close_to(const rc_tensor *t, const float *expected, float tol)
{
    if (!t)
        return 0;
    for (size_t i = 0; i < t->size; i++)
        if (!(fabsf(t->data[i] - expected[i]) <= tol))
            return 0;
    return 1;
}

#define T2(r, c) 2, (size_t[]){r, c}

static void test_values(rc_tape *tp)
{
    rc_tensor *a = tensor(tp, T2(2, 3), (float[]){1, 2, 3, 4, 5, 6});
    rc_tensor *b = tensor(tp, T2(3, 2), (float[]){1, 0, 0, 1, 1, 1});

    t_case("ops values: matmul and its transposes");
    T_CHECK(close_to(rc_matmul(tp, a, b, 0, 0), (float[]){4, 5, 10, 11}, 0), "a b");
    T_CHECK(close_to(rc_matmul(tp, a, a, 0, 1), (float[]){14, 32, 32, 77}, 0), "a a^T");
    T_CHECK(close_to(rc_matmul(tp, b, b, 1, 0), (float[]){2, 1, 1, 2}, 0), "b^T b");

    t_case("ops values: linear is x W^T + b over leading dims");
    rc_tensor *w = tensor(tp, T2(1, 3), (float[]){1, 1, 1});
    rc_tensor *bias = tensor(tp, 1, (size_t[]){1}, (float[]){0.5f});
    T_CHECK(close_to(rc_linear(tp, a, w, bias), (float[]){6.5f, 15.5f}, 0), "linear");

    t_case("ops values: broadcasting rows, columns and scalars");
    rc_tensor *row = tensor(tp, 1, (size_t[]){3}, (float[]){10, 20, 30});
    rc_tensor *col = tensor(tp, T2(2, 1), (float[]){100, 200});
    rc_tensor *one = tensor(tp, 1, (size_t[]){1}, (float[]){1});
    T_CHECK(close_to(rc_add(tp, a, row), (float[]){11, 22, 33, 14, 25, 36}, 0), "row");
    T_CHECK(close_to(rc_add(tp, col, a), (float[]){101, 102, 103, 204, 205, 206}, 0), "column");
    T_CHECK(close_to(rc_sub(tp, one, a), (float[]){0, -1, -2, -3, -4, -5}, 0), "scalar first");
    T_CHECK(close_to(rc_div(tp, a, row), (float[]){0.1f, 0.1f, 0.1f, 0.4f, 0.25f, 0.2f}, 1e-7f), "div");
    /* a row as large as the other operand (one position of a [T, B, F] batch): the result keeps the
     * shape with more dimensions, whichever operand comes first */
    rc_tensor *step = tensor(tp, 3, (size_t[]){1, 1, 3}, (float[]){1, 2, 3});
    rc_tensor *gated = rc_mul(tp, row, step), *gated2 = rc_mul(tp, step, row);
    T_CHECK(gated && gated->ndim == 3 && gated->shape[2] == 3 && close_to(gated, (float[]){10, 40, 90}, 0) &&
                gated2 && gated2->ndim == 3,
            "a row [3] times [1, 1, 3] is [1, 1, 3] either way");

    t_case("ops values: repeat, and circular shifts by -1, 0 and +1 (the NTM's, wrapping round)");
    T_CHECK(close_to(rc_repeat(tp, tensor(tp, T2(2, 2), (float[]){1, 2, 3, 4}), 2), (float[]){1, 2, 1, 2, 3, 4, 3, 4}, 0),
            "rows twice each");
    rc_tensor *focus = tensor(tp, T2(3, 4), (float[]){1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0});
    rc_tensor *shifts = tensor(tp, T2(3, 3), (float[]){0, 0, 1, 1, 0, 0, 0.5f, 0.5f, 0});
    T_CHECK(close_to(rc_circular_conv(tp, focus, shifts), (float[]){0, 1, 0, 0, 0, 0, 1, 0, 0.5f, 0.5f, 0, 0}, 0),
            "+1 moves 0 to 1; -1 moves 3 to 2; half -1, half 0 splits 1 between 0 and 1");
    T_CHECK(!rc_circular_conv(tp, focus, tensor(tp, T2(3, 2), (float[]){1, 0, 1, 0, 1, 0})) &&
                strstr(rc_last_error(), "K odd"),
            "an even kernel accepted: %s", rc_last_error());

    t_case("ops values: cosine similarity (the NTM's content addressing), a zero row giving 0");
    rc_tensor *mem = tensor(tp, 3, (size_t[]){1, 4, 2}, (float[]){3, 4, -6, -8, 0, 0, 4, -3});
    rc_tensor *key = tensor(tp, T2(1, 2), (float[]){0.6f, 0.8f});
    T_CHECK(close_to(rc_cosine_similarity(tp, mem, key, 1e-8f), (float[]){1, -1, 0, 0}, 1e-6f),
            "parallel 1, opposite -1, zero row 0, orthogonal 0");
    T_CHECK(close_to(rc_cosine_similarity(tp, mem, key, 5.0f), (float[]){0.5f, -0.6666667f, 0, 0}, 1e-6f),
            "eps in the denominator: 5 / (5 + 5), -10 / (10 + 5)");
    T_CHECK(!rc_cosine_similarity(tp, mem, tensor(tp, T2(1, 3), (float[]){1, 2, 3}), 1e-8f) &&
                strstr(rc_last_error(), "[B, W]"),
            "a key of the wrong width accepted: %s", rc_last_error());

    t_case("ops values: softplus without overflow, clamp");
    rc_tensor *wide = tensor(tp, T2(1, 4), (float[]){-100, 0, 1, 100});
    T_CHECK(close_to(rc_softplus(tp, wide), (float[]){0, 0.6931472f, 1.3132616f, 100}, 1e-6f), "softplus");
    T_CHECK(close_to(rc_clamp(tp, wide, -20, 0.5f), (float[]){-20, 0, 0.5f, 0.5f}, 0), "clamp");
    T_CHECK(!rc_clamp(tp, wide, 1, -1) && strstr(rc_last_error(), "ordered"), "reversed bounds accepted");

    t_case("ops values: reductions");
    T_CHECK(close_to(rc_sum(tp, a, 0), (float[]){5, 7, 9}, 0), "sum axis 0");
    T_CHECK(close_to(rc_mean(tp, a, -1), (float[]){2, 5}, 0), "mean last");
    T_CHECK(close_to(rc_sum_all(tp, a), (float[]){21}, 0), "sum_all");

    t_case("ops values: softmax rows sum to 1 and resist overflow");
    rc_tensor *big = tensor(tp, T2(1, 3), (float[]){1000, 1000, 1000});
    T_CHECK(close_to(rc_softmax(tp, big, 1), (float[]){1.0f / 3, 1.0f / 3, 1.0f / 3}, 1e-7f), "softmax");
    float l3 = -logf(3.0f);
    T_CHECK(close_to(rc_log_softmax(tp, big, 1), (float[]){l3, l3, l3}, 1e-6f), "log_softmax");

    t_case("ops values: losses");
    rc_tensor *zeros = rc_tape_tensor(tp, T2(2, 4));
    const int32_t targets[2] = {1, -100};
    T_CHECK(close_to(rc_cross_entropy(tp, zeros, targets, -100, RC_REDUCE_MEAN),
                     (float[]){logf(4.0f)}, 1e-6f), "cross-entropy of uniform logits");
    T_CHECK(close_to(rc_bce_with_logits(tp, zeros, zeros, NULL, RC_REDUCE_MEAN),
                     (float[]){4 * logf(2.0f)}, 1e-6f), "bce of zero logits: F log 2 per row");
    rc_tensor *extreme = tensor(tp, T2(1, 2), (float[]){-200, 200});
    rc_tensor *right = tensor(tp, T2(1, 2), (float[]){0, 1});
    T_CHECK(close_to(rc_bce_with_logits(tp, extreme, right, NULL, RC_REDUCE_SUM), (float[]){0}, 1e-30f),
            "bce stable at large logits");
    rc_tensor *two_rows = tensor(tp, T2(2, 2), (float[]){0, 0, 100, -100});
    rc_tensor *t_rows = tensor(tp, T2(2, 2), (float[]){1, 1, 0, 1});
    T_CHECK(close_to(rc_bce_with_logits(tp, two_rows, t_rows, (float[]){1, 0}, RC_REDUCE_MEAN),
                     (float[]){2 * logf(2.0f)}, 1e-6f), "bce with a padded row weighted 0");
    T_CHECK(close_to(rc_mse(tp, a, rc_tape_tensor(tp, T2(2, 3)), RC_REDUCE_MEAN),
                     (float[]){91.0f / 6}, 1e-5f), "mse");

    t_case("ops values: a one-component mixture is a Gaussian's NLL; components mix");
    rc_tensor *gauss = tensor(tp, T2(1, 3), (float[]){0.3f, 1.0f, logf(2.0f)}); /* mean 1, std 2 */
    rc_tensor *target = tensor(tp, 1, (size_t[]){1}, (float[]){2.0f});
    float want = 0.5f * 0.25f + logf(2.0f) + 0.5f * logf(6.2831853f);
    T_CHECK(close_to(rc_mixture_nll(tp, gauss, target, NULL, RC_REDUCE_MEAN), &want, 1e-6f), "one component");
    rc_tensor *two = tensor(tp, T2(1, 6), (float[]){0, 0, -1, 1, 0, 0}); /* equal weights, means -1 and 1 */
    rc_tensor *zero = tensor(tp, 1, (size_t[]){1}, (float[]){0.0f});
    want = 0.5f + 0.5f * logf(6.2831853f); /* both components give the same density at 0 */
    T_CHECK(close_to(rc_mixture_nll(tp, two, zero, NULL, RC_REDUCE_SUM), &want, 1e-6f), "two components");
    rc_tensor *both = tensor(tp, T2(2, 3), (float[]){0.3f, 1.0f, logf(2.0f), 0.0f, 0.0f, 0.0f});
    rc_tensor *two_targets = tensor(tp, 1, (size_t[]){2}, (float[]){2.0f, 100.0f});
    want = 0.5f * 0.25f + logf(2.0f) + 0.5f * logf(6.2831853f); /* the second row weighs 0: the mean is the first */
    T_CHECK(close_to(rc_mixture_nll(tp, both, two_targets, (float[]){3.0f, 0.0f}, RC_REDUCE_MEAN), &want, 1e-6f),
            "row weights");
    T_CHECK(!rc_mixture_nll(tp, tensor(tp, T2(1, 4), (float[]){0, 0, 0, 0}), zero, NULL, RC_REDUCE_SUM),
            "a width that is not 3K accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "must end in 3K");

    t_case("ops values: concat, slice, split, reshape");
    rc_tensor *parts[2] = {a, a};
    T_CHECK(close_to(rc_concat(tp, parts, 2, 1), (float[]){1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6}, 0),
            "concat axis 1");
    T_CHECK(close_to(rc_slice(tp, a, 1, 1, 2), (float[]){2, 3, 5, 6}, 0), "slice");
    rc_tensor *pieces[2];
    T_CHECK(rc_split(tp, a, 0, (size_t[]){1, 1}, 2, pieces) == RC_OK &&
                close_to(pieces[1], (float[]){4, 5, 6}, 0),
            "split");
    rc_tensor *r = rc_reshape(tp, a, 1, (size_t[]){6});
    T_CHECK(r && r->ndim == 1 && close_to(r, a->data, 0), "reshape");
    rc_tensor *at = rc_transpose(tp, a, 0, 1);
    T_CHECK(at && at->shape[0] == 3 && at->shape[1] == 2 && close_to(at, (float[]){1, 4, 2, 5, 3, 6}, 0),
            "transpose");

    t_case("ops values: dropout keeps about 1-p, scales by 1/(1-p), p=0 is identity");
    rc_rng rng;
    rc_rng_seed(&rng, 1, 2);
    rc_tensor *ones = rc_tape_tensor(tp, 1, (size_t[]){10000});
    rc_tensor_fill(ones, 1.0f);
    rc_tensor *d = rc_dropout(tp, ones, 0.25f, &rng);
    size_t kept = 0;
    int values_ok = 1;
    for (size_t i = 0; d && i < d->size; i++) {
        kept += d->data[i] != 0.0f;
        values_ok &= d->data[i] == 0.0f || fabsf(d->data[i] - 4.0f / 3.0f) < 1e-6f;
    }
    T_CHECK(values_ok && kept > 7300 && kept < 7700, "kept %zu of 10000", kept);
    T_CHECK(close_to(rc_dropout(tp, a, 0.0f, &rng), a->data, 0), "p = 0");

    t_case("ops values: additive attention v . tanh(e_j + d_i), a row per query");
    rc_tensor *keys = tensor(tp, 3, (size_t[]){1, 2, 2}, (float[]){0.5f, 0, 0, -1});
    rc_tensor *queries = tensor(tp, 3, (size_t[]){1, 2, 2}, (float[]){0.25f, 1, 0, 0});
    rc_tensor *vv = tensor(tp, 1, (size_t[]){2}, (float[]){2, -1});
    rc_tensor *scores = rc_additive_attention(tp, keys, queries, vv);
    T_CHECK(scores && scores->ndim == 3 && scores->shape[1] == 2 && scores->shape[2] == 2 &&
                close_to(scores, (float[]){2 * tanhf(0.75f) - tanhf(1), 2 * tanhf(0.25f), 2 * tanhf(0.5f), tanhf(1)},
                         1e-6f),
            "scores [1, 2, 2]");
    T_CHECK(!rc_additive_attention(tp, keys, rc_tape_tensor(tp, 3, (size_t[]){1, 2, 3}), vv), "widths differ");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "e must be [B, J, A]");

    t_case("ops values: layer norm gives mean 0 and variance 1 per row");
    rc_tensor *ln = rc_layer_norm(tp, a, NULL, NULL, 1e-6f);
    float v = sqrtf(2.0f / 3.0f);
    T_CHECK(close_to(ln, (float[]){-1 / v, 0, 1 / v, -1 / v, 0, 1 / v}, 1e-5f), "layer norm");

    t_case("ops values: causal conv1d sees only the past, dilated");
    /* T = 4, B = 1, C = 1; w = [1, 10] (k = 0 reads t - d, k = 1 reads t), d = 2 */
    rc_tensor *x = tensor(tp, 3, (size_t[]){4, 1, 1}, (float[]){1, 2, 3, 4});
    rc_tensor *k = tensor(tp, 3, (size_t[]){1, 1, 2}, (float[]){1, 10});
    T_CHECK(close_to(rc_conv1d_causal(tp, x, k, NULL, 2), (float[]){10, 20, 31, 42}, 0), "conv1d");

    t_case("ops values: conv2d against a direct sum, max pool");
    rc_tensor *img = tensor(tp, 4, (size_t[]){1, 1, 3, 3}, (float[]){1, 2, 3, 4, 5, 6, 7, 8, 9});
    rc_tensor *ker = tensor(tp, 4, (size_t[]){1, 1, 2, 2}, (float[]){1, 0, 0, -1});
    T_CHECK(close_to(rc_conv2d(tp, img, ker, NULL, 1, 1, 0, 0), (float[]){-4, -4, -4, -4}, 0), "conv2d");
    T_CHECK(close_to(rc_conv2d(tp, img, ker, NULL, 2, 2, 1, 1), (float[]){-1, -3, -7, -4}, 0),
            "conv2d stride 2 pad 1");
    T_CHECK(close_to(rc_max_pool2d(tp, img, 2, 2, 1, 1, 0, 0), (float[]){5, 6, 8, 9}, 0), "max pool");
    T_CHECK(close_to(rc_max_pool2d(tp, img, 2, 2, 2, 2, 1, 1), (float[]){1, 3, 7, 9}, 0),
            "max pool padded");
}

static void test_errors(rc_tape *tp)
{
    rc_tensor *m23 = rc_tape_tensor(tp, T2(2, 3));
    rc_tensor *m24 = rc_tape_tensor(tp, T2(2, 4));
    rc_tensor *v2 = rc_tape_tensor(tp, 1, (size_t[]){2});
    rc_tensor *t3 = rc_tape_tensor(tp, 3, (size_t[]){2, 3, 4});
    rc_rng rng;
    rc_rng_seed(&rng, 1, 1);

    t_case("ops errors: matmul and linear name the shapes");
    T_CHECK(!rc_matmul(tp, m23, m24, 0, 0), "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "a [2, 3]");
    T_CHECK(!rc_matmul(tp, t3, m23, 0, 0), "3-D accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "2-D");
    T_CHECK(!rc_linear(tp, m23, m24, NULL), "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "weight [O, 3]");
    T_CHECK(!rc_linear(tp, m23, rc_tape_tensor(tp, T2(4, 3)), v2), "bad bias accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "bias must be [4]");

    t_case("ops errors: broadcasting, axes, ids, targets, reductions");
    T_CHECK(!rc_add(tp, m23, v2), "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "do not broadcast");
    T_CHECK(!rc_mul(tp, rc_tape_tensor(tp, T2(3, 2)), m23), "transposed shape accepted");
    T_CHECK(!rc_sum(tp, m23, 2), "axis 2 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "axis 2 is out of range");
    T_CHECK(!rc_softmax(tp, m23, -3), "axis -3 accepted");
    T_CHECK(!rc_embedding(tp, m23, (int32_t[]){0, 2}, 2), "id 2 of 2 rows accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "id 2 at position 1");
    T_CHECK(!rc_cross_entropy(tp, m23, (int32_t[]){0, 3}, -100, RC_REDUCE_MEAN), "target 3 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "target 3 of row 1");
    T_CHECK(!rc_cross_entropy(tp, m23, (int32_t[]){0, 1}, -100, 7), "reduction 7 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "reduction 7");
    T_CHECK(!rc_bce_with_logits(tp, m23, m24, NULL, RC_REDUCE_MEAN), "mismatch accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "targets [2, 4]");
    T_CHECK(!rc_mse(tp, m23, m24, RC_REDUCE_SUM), "mismatch accepted");

    t_case("ops errors: shape family");
    rc_tensor *mixed[2] = {m23, rc_tape_tensor(tp, T2(3, 3))};
    T_CHECK(!rc_concat(tp, mixed, 2, 1), "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "tensor 1 has shape [3, 3]");
    T_CHECK(!rc_concat(tp, mixed, 0, 0), "no tensors accepted");
    T_CHECK(!rc_slice(tp, m23, 1, 2, 2), "range past the end accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "[2, 2 + 2)");
    T_CHECK(!rc_slice(tp, m23, 1, SIZE_MAX, 2), "overflowing range accepted");
    rc_tensor *out[2];
    T_CHECK_ERROR(rc_split(tp, m23, 1, (size_t[]){1, 1}, 2, out), RC_ESHAPE, "add up to 2");
    T_CHECK(!rc_reshape(tp, m23, 2, (size_t[]){4, 2}), "size change accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "6 elements");

    t_case("ops errors: dropout, layer norm, convolutions, pooling");
    T_CHECK(!rc_dropout(tp, m23, 1.0f, &rng), "p = 1 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "not in [0, 1)");
    T_CHECK(!rc_dropout(tp, m23, NAN, &rng), "p = NaN accepted");
    T_CHECK(!rc_layer_norm(tp, m23, v2, NULL, 1e-5f), "gamma [2] for F = 3 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "gamma must be [3]");
    T_CHECK(!rc_conv1d_causal(tp, t3, rc_tape_tensor(tp, 3, (size_t[]){2, 4, 2}), NULL, 0),
            "dilation 0 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "dilation");
    T_CHECK(!rc_conv1d_causal(tp, t3, rc_tape_tensor(tp, 3, (size_t[]){2, 3, 2}), NULL, 1),
            "channel mismatch accepted");
    rc_tensor *img = rc_tape_tensor(tp, 4, (size_t[]){1, 1, 3, 3});
    T_CHECK(!rc_conv2d(tp, img, rc_tape_tensor(tp, 4, (size_t[]){1, 1, 5, 5}), NULL, 1, 1, 0, 0),
            "kernel larger than input accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "larger than the padded input");
    T_CHECK(!rc_conv2d(tp, img, rc_tape_tensor(tp, 4, (size_t[]){1, 1, 2, 2}), NULL, 0, 1, 0, 0),
            "stride 0 accepted");
    T_CHECK(!rc_max_pool2d(tp, img, 2, 2, 1, 1, 2, 0), "padding over half the window accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "more than half");
    T_CHECK(!rc_max_pool2d(tp, m23, 2, 2, 1, 1, 0, 0), "2-D input accepted");

    t_case("ops errors: NULL tape and NULL first input");
    T_CHECK(!rc_tanh(NULL, m23), "NULL tape accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "tape is NULL");
}

/* 1 when t's data lies inside base's. */
static int inside(const rc_tensor *t, const rc_tensor *base)
{
    return t && t->data >= base->data && t->data + t->size <= base->data + base->size;
}

/* Exact values: every gradient below is a sum of small integers. */
static int equal_to(const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            return 0;
    return 1;
}

static void test_views(rc_tape *tp)
{
    rc_tape_reset(tp);
    rc_tensor *x = rc_tensor_new(T2(4, 3)); /* rows [1 2 3] [4 5 6] [7 8 9] [10 11 12] */
    for (size_t i = 0; i < 12; i++)
        x->data[i] = (float)(i + 1);

    t_case("ops views: slice along axis 0, split along axis 0 and reshape share x's memory");
    rc_tensor *rows = rc_slice(tp, x, 0, 1, 2), *last = rc_slice(tp, x, -2, 3, 1);
    T_CHECK(rows && rows->data == x->data + 3 && rows->shape[0] == 2 && rows->shape[1] == 3,
            "slice rows 1..2 is not x's data from element 3");
    T_CHECK(last && last->data == x->data + 9, "axis -2 of a 2-D tensor is axis 0");
    rc_tensor *r = rc_reshape(tp, x, 3, (size_t[]){2, 3, 2});
    T_CHECK(r && r->data == x->data && r->ndim == 3 && r->size == 12, "reshape is not x's data");
    rc_tensor *pieces[3];
    T_CHECK(rc_split(tp, x, 0, (size_t[]){1, 2, 1}, 3, pieces) == RC_OK && pieces[0]->data == x->data &&
                pieces[1]->data == x->data + 3 && pieces[2]->data == x->data + 9,
            "split along axis 0 is not made of views");
    rc_tensor *nested = rc_slice(tp, rc_reshape(tp, rows, 1, (size_t[]){6}), 0, 2, 3);
    T_CHECK(nested && nested->data == x->data + 5 && close_to(nested, (float[]){6, 7, 8}, 0),
            "a slice of a reshape of a slice is not x's elements 5..7");
    T_CHECK(close_to(rows, (float[]){4, 5, 6, 7, 8, 9}, 0), "slice values");
    x->data[4] = -5.0f;
    T_CHECK(rows->data[1] == -5.0f && r->data[4] == -5.0f, "a write into x does not show in its views");
    x->data[4] = 5.0f;

    t_case("ops views: slices along other axes, concat and transpose copy");
    rc_tensor *cols = rc_slice(tp, x, 1, 1, 2);
    T_CHECK(cols && !inside(cols, x) && close_to(cols, (float[]){2, 3, 5, 6, 8, 9, 11, 12}, 0),
            "slice along axis 1");
    rc_tensor *one[1] = {x};
    T_CHECK(!inside(rc_concat(tp, one, 1, 0), x), "concat of one tensor shares its memory");
    T_CHECK(!inside(rc_transpose(tp, x, 0, 1), x), "transpose shares its memory");

    t_case("ops views: a view of a tensor without gradients takes none and records nothing");
    rc_tape_reset(tp);
    rc_tensor *v = rc_slice(tp, x, 0, 0, 1);
    T_CHECK(v && !v->requires_grad && rc_tape_node_count(tp) == 0, "a constant's view recorded");
    rc_tensor_require_grad(x);
    int was = rc_tape_set_grad_enabled(tp, 0);
    v = rc_reshape(tp, x, 1, (size_t[]){12});
    T_CHECK(v && !v->requires_grad && rc_tape_node_count(tp) == 0, "a view recorded under no_grad");
    rc_tape_set_grad_enabled(tp, was);

    /* y = sum(a * rows 0..1) + sum(b * rows 1..3) + sum(x): row 1 gets
     * gradient through both (overlapping) views and directly. */
    t_case("ops views: gradients through overlapping views and directly into x add up in x's grad");
    rc_tape_reset(tp);
    rc_tensor *a = tensor(tp, T2(2, 3), (float[]){1, 2, 3, 4, 5, 6});
    rc_tensor *b = tensor(tp, T2(3, 3), (float[]){10, 20, 30, 40, 50, 60, 70, 80, 90});
    rc_tensor *top = rc_slice(tp, x, 0, 0, 2), *bottom = rc_slice(tp, x, 0, 1, 3);
    rc_tensor *y = rc_add(tp, rc_add(tp, rc_sum_all(tp, rc_mul(tp, a, top)), rc_sum_all(tp, rc_mul(tp, bottom, b))),
                          rc_sum_all(tp, x));
    T_CHECK(y && rc_backward(tp, y) == RC_OK, "%s", rc_last_error());
    const float want[12] = {2, 3, 4, 15, 26, 37, 41, 51, 61, 71, 81, 91};
    T_CHECK(equal_to(x->grad, want, 12), "x's gradient");
    T_CHECK(top->grad == x->grad && bottom->grad == x->grad + 3, "a view's grad is not its window of x's");

    t_case("ops views: a second backward on the same tape accumulates the same again");
    T_CHECK(rc_backward(tp, y) == RC_OK, "%s", rc_last_error());
    float twice[12];
    for (int i = 0; i < 12; i++)
        twice[i] = 2 * want[i];
    T_CHECK(equal_to(x->grad, twice, 12), "x's gradient after two passes");
    rc_tensor_zero_grad(x);

    /* Views of a tape value: h = 2 x, y = sum(reshape(h)[0..2] * c) + sum(h
     * rows 2..3 sliced from a slice): dh is c on elements 0..2, 1 on 6..11. */
    t_case("ops views: views of a tape value and views of views carry the gradient back through it");
    rc_tape_reset(tp);
    rc_tensor *h = rc_scale(tp, x, 2.0f);
    rc_tensor *flat = rc_reshape(tp, h, 1, (size_t[]){12});
    rc_tensor *c = tensor(tp, 1, (size_t[]){3}, (float[]){1, 2, 3});
    rc_tensor *lower = rc_slice(tp, rc_slice(tp, h, 0, 1, 3), 0, 1, 2);
    T_CHECK(lower && lower->data == h->data + 6, "a slice of a slice is not h's rows 2..3");
    y = rc_add(tp, rc_sum_all(tp, rc_mul(tp, rc_slice(tp, flat, 0, 0, 3), c)), rc_sum_all(tp, lower));
    for (int pass = 0; pass < 2; pass++) /* twice: the views' grads must follow h's new buffer */
        T_CHECK(y && rc_backward(tp, y) == RC_OK, "%s", rc_last_error());
    const float want_h[12] = {4, 8, 12, 0, 0, 0, 4, 4, 4, 4, 4, 4};
    T_CHECK(equal_to(x->grad, want_h, 12), "x's gradient after two passes");
    rc_tensor_zero_grad(x);

    t_case("ops views: a view as the output: rc_backward_grad into a slice");
    rc_tape_reset(tp);
    v = rc_slice(tp, x, 0, 2, 2);
    T_CHECK(v && rc_backward_grad(tp, v, (float[]){1, 2, 3, 4, 5, 6}) == RC_OK, "%s", rc_last_error());
    T_CHECK(equal_to(x->grad, (float[]){0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6}, 12), "x's gradient");
    rc_tensor_free(x);

    t_case("ops views: views of a parameter accumulate into the parameter set's gradient block");
    rc_tape_reset(tp);
    rc_params *p = rc_params_new();
    rc_params_add(p, "first", 1, (size_t[]){2});
    rc_tensor *w = rc_params_add(p, "w", 2, (size_t[]){3, 2});
    for (size_t i = 0; i < 6; i++)
        w->data[i] = (float)i;
    rc_tensor *w_rows = rc_slice(tp, w, 0, 1, 2);
    T_CHECK(w_rows && w_rows->data == w->data + 2, "a parameter's slice is not its memory");
    rc_tensor *w_flat = rc_reshape(tp, w, 2, (size_t[]){2, 3});
    rc_tensor *k = tensor(tp, T2(2, 3), (float[]){1, 2, 3, 4, 5, 6});
    y = rc_add(tp, rc_sum_all(tp, rc_mul(tp, w_rows, w_rows)), rc_sum_all(tp, rc_mul(tp, w_flat, k)));
    T_CHECK(y && rc_backward(tp, y) == RC_OK, "%s", rc_last_error());
    /* "first", then w: k from the reshape, plus 2 w on rows 1..2 from the slice */
    const float want_w[8] = {0, 0, 1, 2, 3 + 4, 4 + 6, 5 + 8, 6 + 10};
    T_CHECK(equal_to(rc_params_grads(p), want_w, 8), "the gradient block");
    T_CHECK(w_flat->grad == w->grad && w_rows->grad == w->grad + 2, "the views' grads are not w's");
    rc_params_free(p);
}

void suite_ops(void)
{
    rc_tape *tp = rc_tape_new();
    test_values(tp);
    test_errors(tp);
    test_views(tp);
    rc_tape_free(tp);
}
