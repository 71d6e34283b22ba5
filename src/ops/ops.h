/* ops.h — internals shared by the operation families. */
#ifndef RC_OPS_H
#define RC_OPS_H

#include "../graph/tape.h"
#include "../kernels/kernels.h"

enum rc__op {
#define RC_OP(name) RC__OP_##name,
#include "ops.def"
#undef RC_OP
    RC__OP_COUNT
};

/* "matmul", "linear", ... indexed by enum rc__op. */
extern const char *const rc__op_names[RC__OP_COUNT];

/* Checks the tape and n inputs of operation `who`.  A NULL input means an
 * earlier call failed: its error is kept (a fresh one is set only when none
 * is pending).  Returns a status. */
int rc__check_inputs(rc_tape *tp, const char *who, size_t n, rc_tensor *const *xs);

/* Views t as [outer, n, inner] around axis (already resolved). */
void rc__axis_view(const rc_tensor *t, int axis, size_t *outer, size_t *n, size_t *inner);

/* Shape of t with axis removed ([1] when nothing is left); returns ndim. */
int rc__drop_axis(const rc_tensor *t, int axis, size_t *shape);

#endif /* RC_OPS_H */
