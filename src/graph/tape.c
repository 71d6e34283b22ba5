/* tape.c — define-by-run reverse-mode autodiff.
 *
 * Operations append nodes in execution order, which is a topological order
 * of the graph, so the backward pass is one walk over the nodes in reverse.
 * A tensor's gradient buffer is made when the first contribution reaches it;
 * nodes whose output received none are skipped.  A view (rc__tape_view)
 * has no buffer of its own: its gradient is the window of its base's that
 * its data is, so contributions to either land in one place and the view's
 * node has nothing to do. */
#include "tape.h"

#include "../kernels/kernels.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define RC__TAPE_CHUNK ((size_t)4 << 20)

struct rc_tape {
    rc__arena arena;
    rc__node **nodes;     /* [n_nodes] in execution order */
    size_t n_nodes, cap_nodes;
    int grad_enabled;
    float *scratch;       /* [scratch_cap] for one operation at a time (rc__tape_scratch) */
    size_t scratch_cap;
};

rc_tape *rc_tape_new(void)
{
    rc_tape *tp = calloc(1, sizeof *tp);
    if (!tp)
        return rc__fail_null(RC_ENOMEM, "rc_tape_new: out of memory");
    rc__arena_init(&tp->arena, RC__TAPE_CHUNK);
    tp->grad_enabled = 1;
    return tp;
}

void rc_tape_free(rc_tape *tp)
{
    if (!tp)
        return;
    rc__arena_free(&tp->arena);
    free(tp->nodes);
    rc__free_aligned(tp->scratch);
    free(tp);
}

float *rc__tape_scratch(rc_tape *tp, size_t n)
{
    if (n > tp->scratch_cap) {
        size_t bytes;
        rc__free_aligned(tp->scratch);
        tp->scratch_cap = 0;
        if (!rc__mul_size(n, sizeof(float), &bytes) || !(tp->scratch = rc__alloc_aligned(bytes)))
            return rc__fail_null(RC_ENOMEM, "tape: cannot allocate %zu floats of scratch", n);
        tp->scratch_cap = n;
    }
    return tp->scratch;
}

void rc_tape_reset(rc_tape *tp)
{
    rc__arena_reset(&tp->arena);
    tp->n_nodes = 0;
}

int rc_tape_set_grad_enabled(rc_tape *tp, int enabled)
{
    int previous = tp->grad_enabled;
    tp->grad_enabled = enabled != 0;
    return previous;
}

size_t rc_tape_node_count(const rc_tape *tp) { return tp->n_nodes; }

size_t rc_tape_memory(const rc_tape *tp)
{
    return tp->arena.reserved + tp->cap_nodes * sizeof(rc__node *) + tp->scratch_cap * sizeof(float);
}

void *rc__tape_alloc(rc_tape *tp, size_t count, size_t size)
{
    size_t bytes;
    if (!rc__mul_size(count, size, &bytes))
        return rc__fail_null(RC_ENOMEM, "tape: %zu x %zu bytes overflows", count, size);
    return rc__arena_alloc(&tp->arena, bytes);
}

rc_tensor *rc__tape_output(rc_tape *tp, const char *who, int ndim, const size_t *shape)
{
    size_t n;
    if (rc__shape_numel(who, ndim, shape, &n))
        return NULL;
    rc_tensor *t = rc__arena_alloc(&tp->arena, sizeof *t);
    float *data = rc__tape_alloc(tp, n, sizeof(float));
    if (!t || !data)
        return NULL;
    memset(t, 0, sizeof *t);
    t->data = data;
    t->owner = RC__OWNER_ARENA;
    rc__tensor_set_shape(t, ndim, shape, n);
    return t;
}

static int view_backward(rc_tape *tp, rc__node *node)
{
    (void)tp, (void)node; /* the gradient is already in the base's buffer */
    return RC_OK;
}

rc_tensor *rc__tape_view(rc_tape *tp, int op, const char *who, rc_tensor *base, size_t offset,
                         int ndim, const size_t *shape)
{
    size_t n;
    if (rc__shape_numel(who, ndim, shape, &n))
        return NULL;
    assert(offset <= base->size && n <= base->size - offset);
    rc_tensor *t = rc__arena_alloc(&tp->arena, sizeof *t);
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    t->data = base->data + offset;
    t->owner = RC__OWNER_VIEW;
    rc__tensor_set_shape(t, ndim, shape, n);
    rc__node *node;
    if (rc__record(tp, op, view_backward, t, 1, &base, &node))
        return NULL;
    if (node)
        node->iarg[0] = offset;
    return t;
}

rc_tensor *rc_tape_tensor(rc_tape *tp, int ndim, const size_t *shape)
{
    if (!tp)
        return rc__fail_null(RC_EINVAL, "rc_tape_tensor: tape is NULL");
    rc_tensor *t = rc__tape_output(tp, "rc_tape_tensor", ndim, shape);
    if (t)
        memset(t->data, 0, t->size * sizeof(float));
    return t;
}

int rc__tape_records(const rc_tape *tp, size_t n_in, rc_tensor *const *in)
{
    int any = 0;
    for (size_t i = 0; tp->grad_enabled && i < n_in; i++)
        any |= in[i] && in[i]->requires_grad;
    return any;
}

int rc__record(rc_tape *tp, int op, rc__backward_fn backward, rc_tensor *out, size_t n_in,
               rc_tensor *const *in, rc__node **node)
{
    *node = NULL;
    if (!rc__tape_records(tp, n_in, in))
        return RC_OK;

    if (tp->n_nodes == tp->cap_nodes) {
        size_t cap = tp->cap_nodes ? 2 * tp->cap_nodes : 256;
        rc__node **nodes = realloc(tp->nodes, cap * sizeof *nodes);
        if (!nodes)
            return rc__fail(RC_ENOMEM, "tape: cannot grow the node list to %zu", cap);
        tp->nodes = nodes;
        tp->cap_nodes = cap;
    }
    rc__node *n = rc__arena_alloc(&tp->arena, sizeof *n);
    rc_tensor **inputs = rc__tape_alloc(tp, n_in, sizeof *inputs);
    if (!n || !inputs)
        return RC_ENOMEM;
    memset(n, 0, sizeof *n);
    memcpy(inputs, in, n_in * sizeof *inputs);
    n->op = op;
    n->backward = backward;
    n->out = out;
    n->in = inputs;
    n->n_in = n_in;
    out->requires_grad = 1;
    out->node = n;
    tp->nodes[tp->n_nodes++] = n;
    *node = n;
    return RC_OK;
}

void rc__add_output(rc__node *node, int slot, rc_tensor *t)
{
    node->extra[slot] = t;
    t->requires_grad = 1;
    t->node = node;
}

float *rc__grad(rc_tape *tp, rc_tensor *t, int *status)
{
    *status = RC_OK;
    if (!t || !t->requires_grad)
        return NULL;
    if (!t->grad && t->owner == RC__OWNER_VIEW) {
        /* Recorded (it requires gradients), so its node names the base. */
        float *base = rc__grad(tp, t->node->in[0], status);
        if (base)
            t->grad = base + t->node->iarg[0];
        return t->grad;
    }
    if (!t->grad) {
        if (t->owner != RC__OWNER_ARENA) {
            *status = rc__fail(RC_EINVAL, "backward: a leaf tensor requires gradients but has no "
                                          "gradient buffer (use rc_tensor_require_grad)");
            return NULL;
        }
        t->grad = rc__tape_alloc(tp, t->size, sizeof(float));
        if (!t->grad) {
            *status = RC_ENOMEM;
            return NULL;
        }
        memset(t->grad, 0, t->size * sizeof(float));
    }
    return t->grad;
}

int rc__input_grads(rc_tape *tp, rc__node *node, float **g)
{
    int status = RC_OK;
    for (size_t i = 0; i < node->n_in && status == RC_OK; i++)
        g[i] = rc__grad(tp, node->in[i], &status);
    return status;
}

int rc_backward_grad(rc_tape *tp, rc_tensor *y, const float *dy)
{
    if (!tp || !y || !dy)
        return rc__fail(RC_EINVAL, "rc_backward: NULL argument");
    if (!y->requires_grad || !y->node)
        return rc__fail(RC_EINVAL, "rc_backward: the tensor was not computed from anything that "
                                   "requires gradients on this tape (or recording was off)");
    /* Intermediate gradients start from zero on every pass. */
    for (size_t i = 0; i < tp->n_nodes; i++) {
        rc__node *n = tp->nodes[i];
        n->out->grad = NULL;
        for (int k = 0; k < RC__NODE_EXTRA; k++)
            if (n->extra[k])
                n->extra[k]->grad = NULL;
    }

    int status;
    float *g = rc__grad(tp, y, &status);
    if (!g)
        return status;
    rc__accumulate(y->size, dy, g);

    for (size_t i = tp->n_nodes; i-- > 0;) {
        rc__node *n = tp->nodes[i];
        int reached = n->out->grad != NULL;
        for (int k = 0; k < RC__NODE_EXTRA; k++)
            reached |= n->extra[k] && n->extra[k]->grad;
        if (!reached)
            continue;
        if ((status = n->backward(tp, n)) != RC_OK)
            return status;
    }
    return RC_OK;
}

int rc_backward(rc_tape *tp, rc_tensor *loss)
{
    const float one = 1.0f;
    if (loss && loss->size != 1) {
        char s[64];
        return rc__fail(RC_ESHAPE, "rc_backward: the loss must have one element, it has shape %s "
                                   "(use rc_backward_grad for a non-scalar)",
                        rc_shape_str(loss, s, sizeof s));
    }
    return rc_backward_grad(tp, loss, &one);
}
