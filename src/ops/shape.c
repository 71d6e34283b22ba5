/* shape.c — concat, slice, split, reshape and transpose.
 *
 * Tensors are contiguous and row-major, so a reshape and a slice along the
 * first axis (a block of whole rows) are views (rc__tape_view): they share
 * their input's data and gradient, and cost neither a copy nor a gradient
 * buffer.  The composed recurrent path takes a [1, B, F] step out of
 * [T, B, F] at every step, and would otherwise copy the sequence and its
 * gradient once more.  Slices along other axes, concat and transpose copy. */
#include "ops.h"

#include <string.h>

/* Copies (or adds, when add) the block [outer, len, inner] from src viewed
 * as [outer, src_n, inner] at offset src_at along the middle axis into dst
 * viewed as [outer, dst_n, inner] at offset dst_at. */
static void copy_block(float *dst, size_t dst_n, size_t dst_at, const float *src, size_t src_n,
                       size_t src_at, size_t outer, size_t len, size_t inner, int add)
{
    size_t run = len * inner;
    for (size_t o = 0; o < outer; o++) {
        float *d = dst + (o * dst_n + dst_at) * inner;
        const float *s = src + (o * src_n + src_at) * inner;
        if (add)
            rc__accumulate(run, s, d);
        else
            memcpy(d, s, run * sizeof(float));
    }
}

/* ------------------------------------------------------------ concat */

static int concat_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *y = node->out;
    int axis = (int)node->iarg[0];
    size_t outer, n, inner, start = 0;
    rc__axis_view(y, axis, &outer, &n, &inner);
    for (size_t j = 0; j < node->n_in; j++) {
        rc_tensor *x = node->in[j];
        size_t nj = x->shape[axis];
        int status;
        float *gx = rc__grad(tp, x, &status);
        if (status)
            return status;
        if (gx)
            copy_block(gx, nj, 0, y->grad, n, start, outer, nj, inner, 1);
        start += nj;
    }
    return RC_OK;
}

rc_tensor *rc_concat(rc_tape *tp, rc_tensor *const *xs, size_t n, int axis)
{
    if (!xs || n == 0)
        return rc__fail_null(RC_EINVAL, "rc_concat: no tensors given");
    if (rc__check_inputs(tp, "rc_concat", n, xs))
        return NULL;
    int a = rc__axis("rc_concat", xs[0], axis);
    if (a < 0)
        return NULL;
    size_t shape[RC_MAX_DIMS];
    memcpy(shape, xs[0]->shape, sizeof shape);
    shape[a] = 0;
    for (size_t j = 0; j < n; j++) {
        int same = xs[j]->ndim == xs[0]->ndim;
        for (int d = 0; same && d < xs[0]->ndim; d++)
            same = d == a || xs[j]->shape[d] == xs[0]->shape[d];
        if (!same) {
            char s0[64], sj[64];
            return rc__fail_null(RC_ESHAPE, "rc_concat: tensor %zu has shape %s, which does not "
                                            "match tensor 0's %s outside axis %d",
                                 j, rc_shape_str(xs[j], sj, sizeof sj),
                                 rc_shape_str(xs[0], s0, sizeof s0), a);
        }
        shape[a] += xs[j]->shape[a];
    }
    rc_tensor *y = rc__tape_output(tp, "rc_concat", xs[0]->ndim, shape);
    if (!y)
        return NULL;
    size_t outer, total, inner, start = 0;
    rc__axis_view(y, a, &outer, &total, &inner);
    for (size_t j = 0; j < n; j++) {
        copy_block(y->data, total, start, xs[j]->data, xs[j]->shape[a], 0, outer, xs[j]->shape[a],
                   inner, 0);
        start += xs[j]->shape[a];
    }
    rc__node *node;
    if (rc__record(tp, RC__OP_concat, concat_backward, y, n, xs, &node))
        return NULL;
    if (node)
        node->iarg[0] = (size_t)a;
    return y;
}

/* ------------------------------------------------------------ slice
 * Along axis 0: a view of rows start..start+len-1.  Along another axis: a
 * copy, and the backward adds the gradient back into that block. */

static int slice_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *x = node->in[0];
    int axis = (int)node->iarg[0];
    size_t start = node->iarg[1], outer, n, inner;
    int status;
    float *gx = rc__grad(tp, x, &status);
    if (!gx)
        return status;
    rc__axis_view(x, axis, &outer, &n, &inner);
    size_t len = node->out->shape[axis];
    copy_block(gx, n, start, node->out->grad, len, 0, outer, len, inner, 1);
    return RC_OK;
}

rc_tensor *rc_slice(rc_tape *tp, rc_tensor *x, int axis, size_t start, size_t len)
{
    if (rc__check_inputs(tp, "rc_slice", 1, &x))
        return NULL;
    int a = rc__axis("rc_slice", x, axis);
    if (a < 0)
        return NULL;
    size_t end;
    if (len == 0 || !rc__add_size(start, len, &end) || end > x->shape[a]) {
        char s[64];
        return rc__fail_null(RC_EINVAL, "rc_slice: [%zu, %zu + %zu) is not a non-empty range of "
                                        "axis %d of %s",
                             start, start, len, a, rc_shape_str(x, s, sizeof s));
    }
    size_t shape[RC_MAX_DIMS], outer, n, inner;
    memcpy(shape, x->shape, sizeof shape);
    shape[a] = len;
    rc__axis_view(x, a, &outer, &n, &inner);
    if (a == 0)
        return rc__tape_view(tp, RC__OP_slice, "rc_slice", x, start * inner, x->ndim, shape);
    rc_tensor *y = rc__tape_output(tp, "rc_slice", x->ndim, shape);
    if (!y)
        return NULL;
    copy_block(y->data, len, 0, x->data, n, start, outer, len, inner, 0);
    rc__node *node;
    if (rc__record(tp, RC__OP_slice, slice_backward, y, 1, &x, &node))
        return NULL;
    if (node)
        node->iarg[0] = (size_t)a, node->iarg[1] = start;
    return y;
}

int rc_split(rc_tape *tp, rc_tensor *x, int axis, const size_t *sizes, size_t n, rc_tensor **out)
{
    if (rc__check_inputs(tp, "rc_split", 1, &x))
        return rc_last_status();
    if (!sizes || !out || n == 0)
        return rc__fail(RC_EINVAL, "rc_split: no sizes or outputs given");
    int a = rc__axis("rc_split", x, axis);
    if (a < 0)
        return rc_last_status();
    size_t total = 0;
    for (size_t j = 0; j < n; j++)
        if (!rc__add_size(total, sizes[j], &total))
            return rc__fail(RC_EINVAL, "rc_split: sizes overflow");
    if (total != x->shape[a]) {
        char s[64];
        return rc__fail(RC_ESHAPE, "rc_split: sizes add up to %zu but axis %d of %s has %zu",
                        total, a, rc_shape_str(x, s, sizeof s), x->shape[a]);
    }
    size_t start = 0;
    for (size_t j = 0; j < n; j++) {
        out[j] = rc_slice(tp, x, a, start, sizes[j]);
        if (!out[j])
            return rc_last_status();
        start += sizes[j];
    }
    return RC_OK;
}

/* ------------------------------------------------------------ reshape
 * Always a view: the same row-major values under another shape. */

rc_tensor *rc_reshape(rc_tape *tp, rc_tensor *x, int ndim, const size_t *shape)
{
    if (rc__check_inputs(tp, "rc_reshape", 1, &x))
        return NULL;
    size_t n;
    if (rc__shape_numel("rc_reshape", ndim, shape, &n))
        return NULL;
    if (n != x->size) {
        char s[64];
        return rc__fail_null(RC_ESHAPE, "rc_reshape: %s has %zu elements, the new shape %zu",
                             rc_shape_str(x, s, sizeof s), x->size, n);
    }
    return rc__tape_view(tp, RC__OP_reshape, "rc_reshape", x, 0, ndim, shape);
}

/* ------------------------------------------------------------ transpose
 * y = x with axes a0 and a1 swapped; the backward swaps them back. */

/* dst (shape of src with a0, a1 swapped) = or += src permuted. */
static void swap_axes(const rc_tensor *src_shape, const float *src, float *dst, int a0, int a1,
                      int add)
{
    size_t n[RC_MAX_DIMS], stride[RC_MAX_DIMS], s = 1;
    for (int d = RC_MAX_DIMS - 1; d >= 0; d--) { /* source strides, unused dims 1 */
        stride[d] = s;
        s *= src_shape->shape[d];
        n[d] = src_shape->shape[d];
    }
    size_t tmp = n[a0]; /* walk the destination's shape in order */
    n[a0] = n[a1], n[a1] = tmp;
    tmp = stride[a0];
    stride[a0] = stride[a1], stride[a1] = tmp;
    size_t k = 0;
    for (size_t i0 = 0; i0 < n[0]; i0++)
        for (size_t i1 = 0; i1 < n[1]; i1++)
            for (size_t i2 = 0; i2 < n[2]; i2++)
                for (size_t i3 = 0; i3 < n[3]; i3++, k++) {
                    float v = src[i0 * stride[0] + i1 * stride[1] + i2 * stride[2] + i3 * stride[3]];
                    dst[k] = add ? dst[k] + v : v;
                }
}

static int transpose_backward(rc_tape *tp, rc__node *node)
{
    int status;
    float *gx = rc__grad(tp, node->in[0], &status);
    if (!gx)
        return status;
    swap_axes(node->out, node->out->grad, gx, (int)node->iarg[0], (int)node->iarg[1], 1);
    return RC_OK;
}

rc_tensor *rc_transpose(rc_tape *tp, rc_tensor *x, int axis0, int axis1)
{
    if (rc__check_inputs(tp, "rc_transpose", 1, &x))
        return NULL;
    int a0 = rc__axis("rc_transpose", x, axis0), a1 = a0 < 0 ? -1 : rc__axis("rc_transpose", x, axis1);
    if (a0 < 0 || a1 < 0)
        return NULL;
    size_t shape[RC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[a0] = x->shape[a1], shape[a1] = x->shape[a0];
    rc_tensor *y = rc__tape_output(tp, "rc_transpose", x->ndim, shape);
    if (!y)
        return NULL;
    swap_axes(x, x->data, y->data, a0, a1, 0);
    rc__node *node;
    if (rc__record(tp, RC__OP_transpose, transpose_backward, y, 1, &x, &node))
        return NULL;
    if (node)
        node->iarg[0] = (size_t)a0, node->iarg[1] = (size_t)a1;
    return y;
}
