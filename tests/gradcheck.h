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

/* One forward and backward of sum(y * R) (R fixed random) on a fresh tape:
 * returns y's values (malloc'd, *n_out of them, NULL on failure) and writes
 * every wrt tensor's gradient, joined, to *grads (malloc'd, *n_grads floats,
 * NULL when the backward failed).  The gradients are zeroed first. */
float *t_values_and_grads(gc_build build, void *ctx, rc_tensor *const *wrt, size_t n_wrt, size_t *n_out,
                          float **grads, size_t *n_grads);

/* max |v[i]| and max |a[i] - b[i]| over n floats. */
double t_max_abs(const float *v, size_t n);
double t_max_diff(const float *a, const float *b, size_t n);

#endif /* RC_GRADCHECK_H */
