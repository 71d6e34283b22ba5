/* gradcheck.h — the finite-difference gradient check shared by the op and
 * cell suites (method and tolerance: gradcheck.c). */
#ifndef RC_GRADCHECK_H
#define RC_GRADCHECK_H

#include "recur.h"

/* Builds the checked output from the tensors being checked (and whatever
 * else ctx holds).  Called with recording on and off. */
typedef rc_tensor *(*gc_build)(rc_tape *tp, void *ctx);

/* Checks the gradient of sum(y * R), R fixed random, with respect to each
 * tensor of wrt (each needs a gradient buffer: a parameter, or a tensor
 * given rc_tensor_require_grad), failing the current test case on any
 * element outside the tolerance.  `what` names the tensors in messages (may
 * be NULL).  nonsmooth: f has kinks the inputs cannot avoid (relu
 * networks); elements that cross one are re-measured with smaller steps.
 * Returns the largest error relative to the gradient's scale. */
double t_gradcheck(gc_build build, void *ctx, rc_tensor *const *wrt, size_t n_wrt,
                   const char *const *what, int nonsmooth);

#endif /* RC_GRADCHECK_H */
