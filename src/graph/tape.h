/* tape.h — the internals of the autodiff tape, for the ops layer. */
#ifndef RC_TAPE_H
#define RC_TAPE_H

#include "../core/core.h"

typedef struct rc__node rc__node;

/* Adds the node's contribution to its inputs' gradients, given
 * node->out->grad.  Gets input gradient buffers with rc__grad (NULL for an
 * input that takes no gradient).  Returns a status. */
typedef int (*rc__backward_fn)(rc_tape *tp, rc__node *node);

#define RC__NODE_ARGS 8
#define RC__NODE_EXTRA 2

struct rc__node {
    int op;                     /* rc__op id, from ops.def */
    rc__backward_fn backward;
    rc_tensor *out;
    rc_tensor *extra[RC__NODE_EXTRA]; /* further outputs (e.g. final states), or NULL */
    rc_tensor **in;             /* [n_in] */
    size_t n_in;
    size_t iarg[RC__NODE_ARGS]; /* integer arguments the backward needs */
    float farg[2];              /* float arguments the backward needs */
    void *saved;                /* buffers saved by the forward, in the arena */
};

/* A new output tensor in the tape's arena, data uninitialized; `who` names
 * the operation in error messages. */
rc_tensor *rc__tape_output(rc_tape *tp, const char *who, int ndim, const size_t *shape);

/* A view of base: a new tensor [shape] in the arena whose data is base's
 * own, from element offset on (offset + its size <= base->size), with
 * nothing copied.  When recording and base requires gradients, it records a
 * node of kind op (in[0] = base, iarg[0] = offset) whose backward does
 * nothing: rc__grad hands the view the same window of base's gradient
 * buffer, so what reaches the view has already reached base. */
rc_tensor *rc__tape_view(rc_tape *tp, int op, const char *who, rc_tensor *base, size_t offset,
                         int ndim, const size_t *shape);

/* 1 when rc__record would append a node for these inputs (recording is
 * on and one of them requires gradients): an op may then save what its
 * backward needs while it computes the forward. */
int rc__tape_records(const rc_tape *tp, size_t n_in, rc_tensor *const *in);

/* When recording is on and an input requires gradients, appends a node for
 * `out` (marking it as requiring gradients) and writes it to *node;
 * otherwise writes NULL.  Inputs may be NULL (taking no gradient). */
int rc__record(rc_tape *tp, int op, rc__backward_fn backward, rc_tensor *out, size_t n_in,
               rc_tensor *const *in, rc__node **node);

/* Adds a further output to a recorded node (slot 0 or 1): it then requires
 * gradients, and the node's backward runs when any output received one.
 * Its gradient may be NULL in the backward (read it as zeros). */
void rc__add_output(rc__node *node, int slot, rc_tensor *t);

/* The gradient buffer of t during a backward pass, allocated zeroed on first
 * use; NULL when t takes no gradient (check rc_last_status for errors via
 * *status).  A view's is the window of its base's (made first when need
 * be), so backward functions must add into the buffers they get, never
 * overwrite them or read them back: one buffer may be another's window (an
 * op given both x and a view of x). */
float *rc__grad(rc_tape *tp, rc_tensor *t, int *status);

/* rc__grad for every input of node: g[i] is input i's gradient buffer, or
 * NULL when it takes none.  g has room for node->n_in entries. */
int rc__input_grads(rc_tape *tp, rc__node *node, float **g);

/* Scratch memory from the tape's arena (lives until reset). */
void *rc__tape_alloc(rc_tape *tp, size_t count, size_t size);

/* Scratch for the duration of one operation's forward or backward call
 * (e.g. a fused layer's work block): n floats, 64-byte aligned, valid until
 * the next rc__tape_scratch call.  One block serves every such call in
 * turn, and it is kept across resets, so layer after layer and update after
 * update reuse the same memory instead of each holding its own. */
float *rc__tape_scratch(rc_tape *tp, size_t n);

#endif /* RC_TAPE_H */
