/* reduce.c — sum and mean over one axis or over everything. */
#include "ops.h"

/* x viewed as [outer, n, inner] → y [outer, inner];  dx[o, j, i] += s dy[o, i]
 * with s = 1 (sum) or 1/n (mean). */
static int reduce_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *x = node->in[0];
    size_t outer = node->iarg[0], n = node->iarg[1], inner = node->iarg[2];
    float s = node->farg[0];
    int status;
    float *gx = rc__grad(tp, x, &status);
    if (!gx)
        return status;
    const float *gy = node->out->grad;
    for (size_t o = 0; o < outer; o++)
        for (size_t j = 0; j < n; j++) {
            float *g = gx + (o * n + j) * inner;
            for (size_t i = 0; i < inner; i++)
                g[i] += s * gy[o * inner + i];
        }
    return RC_OK;
}

static rc_tensor *reduce(rc_tape *tp, int op, const char *who, rc_tensor *x, int axis, int all)
{
    if (rc__check_inputs(tp, who, 1, &x))
        return NULL;
    size_t outer = 1, n = x->size, inner = 1, shape[RC_MAX_DIMS] = {1};
    int nd = 1;
    if (!all) {
        int a = rc__axis(who, x, axis);
        if (a < 0)
            return NULL;
        rc__axis_view(x, a, &outer, &n, &inner);
        nd = rc__drop_axis(x, a, shape);
    }
    rc_tensor *y = rc__tape_output(tp, who, nd, shape);
    if (!y)
        return NULL;
    int mean = op == RC__OP_mean || op == RC__OP_mean_all;
    float s = mean ? 1.0f / (float)n : 1.0f;
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            double sum = 0.0; /* a long sum in float loses the small terms */
            for (size_t j = 0; j < n; j++)
                sum += x->data[(o * n + j) * inner + i];
            y->data[o * inner + i] = mean ? (float)(sum / (double)n) : (float)sum;
        }
    rc__node *node;
    if (rc__record(tp, op, reduce_backward, y, 1, &x, &node))
        return NULL;
    if (node) {
        node->iarg[0] = outer, node->iarg[1] = n, node->iarg[2] = inner;
        node->farg[0] = s;
    }
    return y;
}

rc_tensor *rc_sum(rc_tape *tp, rc_tensor *x, int axis)
{
    return reduce(tp, RC__OP_sum, "rc_sum", x, axis, 0);
}

rc_tensor *rc_mean(rc_tape *tp, rc_tensor *x, int axis)
{
    return reduce(tp, RC__OP_mean, "rc_mean", x, axis, 0);
}

rc_tensor *rc_sum_all(rc_tape *tp, rc_tensor *x)
{
    return reduce(tp, RC__OP_sum_all, "rc_sum_all", x, 0, 1);
}

rc_tensor *rc_mean_all(rc_tape *tp, rc_tensor *x)
{
    return reduce(tp, RC__OP_mean_all, "rc_mean_all", x, 0, 1);
}
