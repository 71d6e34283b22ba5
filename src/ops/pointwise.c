/* pointwise.c — elementwise operations: add, sub, mul, div with row/column
 * broadcasting; scale, sigmoid, tanh, relu, exp, log, softplus, clamp. */
#include "ops.h"

#include <math.h>

/* ------------------------------------------------------------ broadcasting
 * Both operands are walked on one [outer, inner] grid over the output; each
 * has strides (so, si) on it: full (inner, 1), row (0, 1), column (1, 0),
 * scalar (0, 0). */

enum { FULL, ROW, COLUMN, SCALAR };

typedef struct {
    size_t outer, inner;
    size_t a_so, a_si; /* strides of a on the grid */
    size_t b_so, b_si; /* strides of b on the grid */
} grid;

/* How x broadcasts against shape out [nd]: FULL, ROW (x matches the trailing
 * dims from *split on), COLUMN (x matches the leading *split dims), SCALAR,
 * or -1. */
static int pattern(const rc_tensor *x, int nd, const size_t *out, int *split)
{
    size_t xs[RC_MAX_DIMS];
    int lead = nd - x->ndim;
    for (int d = 0; d < x->ndim && d < -lead; d++) /* extra leading dims must be 1 */
        if (x->shape[d] != 1)
            return -1;
    for (int d = 0; d < nd; d++)
        xs[d] = d < lead ? 1 : x->shape[d - lead];

    int s = nd; /* smallest s with xs[d] == out[d] for all d >= s */
    while (s > 0 && xs[s - 1] == out[s - 1])
        s--;
    if (s == 0)
        return FULL;
    int e = 0; /* largest e with xs[d] == out[d] for all d < e */
    while (e < nd && xs[e] == out[e])
        e++;
    int ones_before_s = 1, ones_from_e = 1;
    for (int d = 0; d < s; d++)
        ones_before_s &= xs[d] == 1;
    for (int d = e; d < nd; d++)
        ones_from_e &= xs[d] == 1;
    if (x->size == 1)
        return SCALAR;
    if (ones_before_s) {
        *split = s;
        return ROW;
    }
    if (ones_from_e) {
        *split = e;
        return COLUMN;
    }
    return -1;
}

static size_t prod(const size_t *shape, int from, int to)
{
    size_t p = 1;
    for (int d = from; d < to; d++)
        p *= shape[d];
    return p;
}

/* Fills the grid of a against b; *shape_of is the operand whose shape the
 * result takes (the larger one; of two the same size, the one with more
 * dimensions: [8] against [1, 1, 8] is [1, 1, 8], whichever comes first).
 * Returns a status. */
static int make_grid(const char *who, const rc_tensor *a, const rc_tensor *b, grid *g,
                     const rc_tensor **shape_of)
{
    const rc_tensor *big = a->size > b->size || (a->size == b->size && a->ndim >= b->ndim) ? a : b;
    const rc_tensor *small = big == a ? b : a;
    int split = 0;
    int pat = pattern(small, big->ndim, big->shape, &split);
    size_t n = big->size, big_so, small_so, small_si;
    switch (pat) {
    case FULL:
        g->outer = 1, g->inner = n;
        big_so = small_so = 0, small_si = 1;
        break;
    case SCALAR:
        g->outer = 1, g->inner = n;
        big_so = 0, small_so = small_si = 0;
        break;
    case ROW:
        g->inner = prod(big->shape, split, big->ndim);
        g->outer = n / g->inner;
        big_so = g->inner, small_so = 0, small_si = 1;
        break;
    case COLUMN:
        g->outer = prod(big->shape, 0, split);
        g->inner = n / g->outer;
        big_so = g->inner, small_so = 1, small_si = 0;
        break;
    default: {
        char sa[64], sb[64];
        return rc__fail(RC_ESHAPE, "%s: shapes %s and %s do not broadcast (the smaller must be a "
                                   "row, a column or a scalar of the larger)",
                        who, rc_shape_str(a, sa, sizeof sa), rc_shape_str(b, sb, sizeof sb));
    }
    }
    if (big == a) {
        g->a_so = big_so, g->a_si = 1;
        g->b_so = small_so, g->b_si = small_si;
    } else {
        g->b_so = big_so, g->b_si = 1;
        g->a_so = small_so, g->a_si = small_si;
    }
    *shape_of = big;
    return RC_OK;
}

static float binary_value(int op, float a, float b)
{
    switch (op) {
    case RC__OP_add: return a + b;
    case RC__OP_sub: return a - b;
    case RC__OP_mul: return a * b;
    default: return a / b;
    }
}

/* d out / d a and d out / d b at one element. */
static void binary_partials(int op, float a, float b, float out, float *da, float *db)
{
    switch (op) {
    case RC__OP_add: *da = 1.0f, *db = 1.0f; break;
    case RC__OP_sub: *da = 1.0f, *db = -1.0f; break;
    case RC__OP_mul: *da = b, *db = a; break;
    default: *da = 1.0f / b, *db = -out / b; break;
    }
}

static int binary_backward(rc_tape *tp, rc__node *node)
{
    const grid *g = node->saved;
    rc_tensor *a = node->in[0], *b = node->in[1];
    float *g2[2];
    int status = rc__input_grads(tp, node, g2);
    if (status)
        return status;
    float *ga = g2[0], *gb = g2[1];
    const float *gy = node->out->grad, *y = node->out->data;
    for (size_t o = 0; o < g->outer; o++)
        for (size_t i = 0; i < g->inner; i++) {
            size_t k = o * g->inner + i;
            size_t ia = o * g->a_so + i * g->a_si, ib = o * g->b_so + i * g->b_si;
            float da, db;
            binary_partials(node->op, a->data[ia], b->data[ib], y[k], &da, &db);
            if (ga)
                ga[ia] += gy[k] * da;
            if (gb)
                gb[ib] += gy[k] * db;
        }
    return RC_OK;
}

static rc_tensor *binary(rc_tape *tp, int op, const char *who, rc_tensor *a, rc_tensor *b)
{
    rc_tensor *in[2] = {a, b};
    if (rc__check_inputs(tp, who, 2, in))
        return NULL;
    grid g;
    const rc_tensor *shape_of = a;
    if (make_grid(who, a, b, &g, &shape_of))
        return NULL;
    rc_tensor *y = rc__tape_output(tp, who, shape_of->ndim, shape_of->shape);
    if (!y)
        return NULL;
    for (size_t o = 0; o < g.outer; o++)
        for (size_t i = 0; i < g.inner; i++)
            y->data[o * g.inner + i] = binary_value(op, a->data[o * g.a_so + i * g.a_si],
                                                    b->data[o * g.b_so + i * g.b_si]);
    rc__node *node;
    if (rc__record(tp, op, binary_backward, y, 2, in, &node))
        return NULL;
    if (node) {
        grid *saved = rc__tape_alloc(tp, 1, sizeof *saved);
        if (!saved)
            return NULL;
        *saved = g;
        node->saved = saved;
    }
    return y;
}

rc_tensor *rc_add(rc_tape *tp, rc_tensor *a, rc_tensor *b)
{
    return binary(tp, RC__OP_add, "rc_add", a, b);
}

rc_tensor *rc_sub(rc_tape *tp, rc_tensor *a, rc_tensor *b)
{
    return binary(tp, RC__OP_sub, "rc_sub", a, b);
}

rc_tensor *rc_mul(rc_tape *tp, rc_tensor *a, rc_tensor *b)
{
    return binary(tp, RC__OP_mul, "rc_mul", a, b);
}

rc_tensor *rc_div(rc_tape *tp, rc_tensor *a, rc_tensor *b)
{
    return binary(tp, RC__OP_div, "rc_div", a, b);
}

/* ------------------------------------------------------------ unary */

static int unary_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *x = node->in[0];
    int status;
    float *gx = rc__grad(tp, x, &status);
    if (!gx)
        return status;
    const float *gy = node->out->grad, *y = node->out->data;
    size_t n = x->size;
    switch (node->op) {
    case RC__OP_scale: {
        float alpha = node->farg[0];
        for (size_t i = 0; i < n; i++)
            gx[i] += gy[i] * alpha;
        break;
    }
    case RC__OP_sigmoid: /* y' = y (1 - y) */
        for (size_t i = 0; i < n; i++)
            gx[i] += gy[i] * y[i] * (1.0f - y[i]);
        break;
    case RC__OP_tanh: /* y' = 1 - y^2 */
        for (size_t i = 0; i < n; i++)
            gx[i] += gy[i] * (1.0f - y[i] * y[i]);
        break;
    case RC__OP_relu:
        for (size_t i = 0; i < n; i++)
            gx[i] += y[i] > 0.0f ? gy[i] : 0.0f;
        break;
    case RC__OP_exp: /* y' = y */
        for (size_t i = 0; i < n; i++)
            gx[i] += gy[i] * y[i];
        break;
    case RC__OP_softplus: /* y' = sigmoid(x) = 1 - e^-y */
        for (size_t i = 0; i < n; i++)
            gx[i] += gy[i] * -expm1f(-y[i]);
        break;
    case RC__OP_clamp: /* 1 strictly inside [lo, hi], 0 where clamped */
        for (size_t i = 0; i < n; i++)
            gx[i] += x->data[i] > node->farg[0] && x->data[i] < node->farg[1] ? gy[i] : 0.0f;
        break;
    default: /* log: y' = 1 / x */
        for (size_t i = 0; i < n; i++)
            gx[i] += gy[i] / x->data[i];
        break;
    }
    return RC_OK;
}

/* alpha: rc_scale's factor, rc_clamp's lower bound; beta: rc_clamp's upper. */
static rc_tensor *unary(rc_tape *tp, int op, const char *who, rc_tensor *x, float alpha, float beta)
{
    if (rc__check_inputs(tp, who, 1, &x))
        return NULL;
    rc_tensor *y = rc__tape_output(tp, who, x->ndim, x->shape);
    if (!y)
        return NULL;
    size_t n = x->size;
    switch (op) {
    case RC__OP_scale:
        for (size_t i = 0; i < n; i++)
            y->data[i] = alpha * x->data[i];
        break;
    case RC__OP_sigmoid: rc__sigmoid(n, x->data, y->data); break;
    case RC__OP_tanh: rc__tanh(n, x->data, y->data); break;
    case RC__OP_relu: rc__relu(n, x->data, y->data); break;
    case RC__OP_exp: rc__exp(n, x->data, y->data); break;
    case RC__OP_softplus: /* log(1 + e^x) without overflow */
        for (size_t i = 0; i < n; i++)
            y->data[i] = fmaxf(x->data[i], 0.0f) + log1pf(expf(-fabsf(x->data[i])));
        break;
    case RC__OP_clamp:
        for (size_t i = 0; i < n; i++)
            y->data[i] = fminf(fmaxf(x->data[i], alpha), beta);
        break;
    default: rc__log(n, x->data, y->data); break;
    }
    rc__node *node;
    if (rc__record(tp, op, unary_backward, y, 1, &x, &node))
        return NULL;
    if (node)
        node->farg[0] = alpha, node->farg[1] = beta;
    return y;
}

rc_tensor *rc_scale(rc_tape *tp, rc_tensor *x, float alpha)
{
    return unary(tp, RC__OP_scale, "rc_scale", x, alpha, 0.0f);
}

rc_tensor *rc_sigmoid(rc_tape *tp, rc_tensor *x)
{
    return unary(tp, RC__OP_sigmoid, "rc_sigmoid", x, 0.0f, 0.0f);
}

rc_tensor *rc_tanh(rc_tape *tp, rc_tensor *x) { return unary(tp, RC__OP_tanh, "rc_tanh", x, 0.0f, 0.0f); }

rc_tensor *rc_relu(rc_tape *tp, rc_tensor *x) { return unary(tp, RC__OP_relu, "rc_relu", x, 0.0f, 0.0f); }

rc_tensor *rc_exp(rc_tape *tp, rc_tensor *x) { return unary(tp, RC__OP_exp, "rc_exp", x, 0.0f, 0.0f); }

rc_tensor *rc_log(rc_tape *tp, rc_tensor *x) { return unary(tp, RC__OP_log, "rc_log", x, 0.0f, 0.0f); }

rc_tensor *rc_softplus(rc_tape *tp, rc_tensor *x) { return unary(tp, RC__OP_softplus, "rc_softplus", x, 0.0f, 0.0f); }

rc_tensor *rc_clamp(rc_tape *tp, rc_tensor *x, float lo, float hi)
{
    if (!(lo <= hi))
        return rc__fail_null(RC_EINVAL, "rc_clamp: the bounds must be ordered, got [%g, %g]", (double)lo, (double)hi);
    return unary(tp, RC__OP_clamp, "rc_clamp", x, lo, hi);
}
