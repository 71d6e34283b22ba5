/* linear.c — matmul, linear (x W^T + b) and embedding lookup. */
#include "ops.h"

#include <string.h>

/* ------------------------------------------------------------ matmul
 * C = op(A) op(B).  With G = dL/dC:
 *   dop(A) = G op(B)^T,  dop(B) = op(A)^T G,
 * and the gradient of a stored transpose is the transpose of that. */

static int matmul_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *a = node->in[0], *b = node->in[1];
    int ta = (int)node->iarg[0], tb = (int)node->iarg[1];
    size_t M = node->out->shape[0], N = node->out->shape[1];
    size_t K = ta ? a->shape[0] : a->shape[1];
    size_t lda = a->shape[1], ldb = b->shape[1];
    const float *G = node->out->grad;
    float *g[2];
    int status = rc__input_grads(tp, node, g);
    if (status)
        return status;
    float *ga = g[0], *gb = g[1];
    if (ga) {
        if (!ta) /* dA [M, K] = G op(B)^T */
            rc__sgemm(0, !tb, M, K, N, 1.0f, G, N, b->data, ldb, 1.0f, ga, lda);
        else /* dA [K, M] = op(B) G^T */
            rc__sgemm(tb, 1, K, M, N, 1.0f, b->data, ldb, G, N, 1.0f, ga, lda);
    }
    if (gb) {
        if (!tb) /* dB [K, N] = op(A)^T G */
            rc__sgemm(!ta, 0, K, N, M, 1.0f, a->data, lda, G, N, 1.0f, gb, ldb);
        else /* dB [N, K] = G^T op(A) */
            rc__sgemm(1, ta, N, K, M, 1.0f, G, N, a->data, lda, 1.0f, gb, ldb);
    }
    return RC_OK;
}

rc_tensor *rc_matmul(rc_tape *tp, rc_tensor *a, rc_tensor *b, int trans_a, int trans_b)
{
    rc_tensor *in[2] = {a, b};
    if (rc__check_inputs(tp, "rc_matmul", 2, in))
        return NULL;
    char sa[64], sb[64];
    if (a->ndim != 2 || b->ndim != 2)
        return rc__fail_null(RC_ESHAPE, "rc_matmul: both operands must be 2-D, got %s and %s",
                             rc_shape_str(a, sa, sizeof sa), rc_shape_str(b, sb, sizeof sb));
    trans_a = trans_a != 0, trans_b = trans_b != 0;
    size_t M = a->shape[trans_a], K = a->shape[!trans_a];
    size_t Kb = b->shape[trans_b], N = b->shape[!trans_b];
    if (K != Kb)
        return rc__fail_null(RC_ESHAPE, "rc_matmul: inner dimensions differ: op(a) is [%zu, %zu] "
                                        "(a %s), op(b) is [%zu, %zu] (b %s)",
                             M, K, rc_shape_str(a, sa, sizeof sa), Kb, N,
                             rc_shape_str(b, sb, sizeof sb));
    rc_tensor *c = rc__tape_output(tp, "rc_matmul", 2, (size_t[]){M, N});
    if (!c)
        return NULL;
    rc__sgemm(trans_a, trans_b, M, N, K, 1.0f, a->data, a->shape[1], b->data, b->shape[1], 0.0f,
              c->data, N);
    rc__node *node;
    if (rc__record(tp, RC__OP_matmul, matmul_backward, c, 2, in, &node))
        return NULL;
    if (node)
        node->iarg[0] = (size_t)trans_a, node->iarg[1] = (size_t)trans_b;
    return c;
}

/* ------------------------------------------------------------ linear
 * y [R, O] = x [R, I] W^T + b, R = all leading dims of x together.
 *   dx = dy W,  dW += dy^T x,  db += sum_r dy[r, :]. */

static int linear_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *x = node->in[0], *w = node->in[1];
    size_t O = w->shape[0], I = w->shape[1], R = x->size / I;
    const float *G = node->out->grad;
    float *g[3];
    int status = rc__input_grads(tp, node, g);
    if (status)
        return status;
    float *gx = g[0], *gw = g[1], *gb = g[2];
    if (gx)
        rc__sgemm(0, 0, R, I, O, 1.0f, G, O, w->data, I, 1.0f, gx, I);
    if (gw)
        rc__sgemm(1, 0, O, I, R, 1.0f, G, O, x->data, I, 1.0f, gw, I);
    if (gb)
        for (size_t r = 0; r < R; r++)
            rc__accumulate(O, G + r * O, gb);
    return RC_OK;
}

rc_tensor *rc_linear(rc_tape *tp, rc_tensor *x, rc_tensor *w, rc_tensor *b)
{
    rc_tensor *in[3] = {x, w, b};
    if (rc__check_inputs(tp, "rc_linear", 2, in))
        return NULL;
    char sx[64], sw[64];
    if (w->ndim != 2 || x->shape[x->ndim - 1] != w->shape[1])
        return rc__fail_null(RC_ESHAPE, "rc_linear: x %s needs a weight [O, %zu], got %s",
                             rc_shape_str(x, sx, sizeof sx), x->shape[x->ndim - 1],
                             rc_shape_str(w, sw, sizeof sw));
    size_t O = w->shape[0], I = w->shape[1], R = x->size / I;
    if (b && (b->size != O || b->ndim != 1))
        return rc__fail_null(RC_ESHAPE, "rc_linear: bias must be [%zu], got %s", O,
                             rc_shape_str(b, sx, sizeof sx));
    size_t shape[RC_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = O;
    rc_tensor *y = rc__tape_output(tp, "rc_linear", x->ndim, shape);
    if (!y)
        return NULL;
    if (b)
        for (size_t r = 0; r < R; r++)
            memcpy(y->data + r * O, b->data, O * sizeof(float));
    rc__sgemm(0, 1, R, O, I, 1.0f, x->data, I, w->data, I, b ? 1.0f : 0.0f, y->data, O);
    rc__node *node;
    if (rc__record(tp, RC__OP_linear, linear_backward, y, 3, in, &node))
        return NULL;
    return y;
}

/* ------------------------------------------------------------ embedding
 * y[r, :] = W[ids[r], :];  dW[ids[r], :] += dy[r, :] (scatter-add: a row
 * picked twice collects both gradients). */

static int embedding_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *w = node->in[0];
    const int32_t *ids = node->saved;
    size_t D = w->shape[1], n = node->out->shape[0];
    int status;
    float *gw = rc__grad(tp, w, &status);
    if (!gw)
        return status;
    for (size_t r = 0; r < n; r++)
        rc__accumulate(D, node->out->grad + r * D, gw + (size_t)ids[r] * D);
    return RC_OK;
}

rc_tensor *rc_embedding(rc_tape *tp, rc_tensor *w, const int32_t *ids, size_t n)
{
    if (rc__check_inputs(tp, "rc_embedding", 1, &w))
        return NULL;
    char sw[64];
    if (w->ndim != 2)
        return rc__fail_null(RC_ESHAPE, "rc_embedding: the table must be 2-D [V, D], got %s",
                             rc_shape_str(w, sw, sizeof sw));
    if (!ids || n == 0)
        return rc__fail_null(RC_EINVAL, "rc_embedding: no ids given");
    size_t V = w->shape[0], D = w->shape[1];
    for (size_t r = 0; r < n; r++)
        if (ids[r] < 0 || (size_t)ids[r] >= V)
            return rc__fail_null(RC_EINVAL, "rc_embedding: id %ld at position %zu is outside the "
                                            "table's %zu rows",
                                 (long)ids[r], r, V);
    rc_tensor *y = rc__tape_output(tp, "rc_embedding", 2, (size_t[]){n, D});
    if (!y)
        return NULL;
    for (size_t r = 0; r < n; r++)
        memcpy(y->data + r * D, w->data + (size_t)ids[r] * D, D * sizeof(float));
    rc__node *node;
    if (rc__record(tp, RC__OP_embedding, embedding_backward, y, 1, &w, &node))
        return NULL;
    if (node) {
        int32_t *saved = rc__tape_alloc(tp, n, sizeof *saved);
        if (!saved)
            return NULL;
        memcpy(saved, ids, n * sizeof *saved);
        node->saved = saved;
    }
    return y;
}
