/* gradcheck.c — a finite-difference gradient check.
 *
 * How precise, and why.  Each case builds an output y from its inputs and
 * back-propagates a fixed random R, giving the analytic gradient of
 * f = sum(y * R).  The numerical gradient comes from the fourth-order central
 * difference
 *     f'(x) ~ (8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / (12 h),
 * whose truncation error is O(h^4), so h can be fairly large (2e-2) and
 * float rounding, divided by h, stays small.  f is summed in double from the
 * float outputs, and outputs the perturbed element does not touch are
 * recomputed bit for bit, so their rounding cancels.  The measured error is
 * at most 7.5e-5 of the gradient's scale (the scalar losses, whose one float
 * output carries the rounding; run `unit -v gradcheck` to see every figure);
 * the tolerance is
 *     |num - ana| <= 2.5e-4 S + 2e-3 |num|   for every element,
 * where S is the tensor's largest |num|, but at least a tenth of the largest
 * over everything checked in one call (float noise is absolute, set by the
 * size of the outputs, so a weight whose gradients are all tiny cannot be
 * judged more finely than that).  A backward off by a factor of 1.01 fails
 * on every element larger than 3% of S.
 * Functions with kinks everywhere (networks of relus) are checked with
 * nonsmooth set: an element that fails is measured again with h/2 .. h/16
 * (tolerance widened as the noise grows); agreement at a smaller step passes
 * it — a relu switched inside the larger step — and estimates that keep
 * disagreeing with each other mark a kink no step resolves, which is
 * skipped; at most 5% of the elements may be.  A kink closer than every
 * step leaves steady estimates that miss (each averages the two sides): the
 * element passes as a kink when its one-sided differences at h/16 differ
 * and the analytic gradient is one of them.
 * Inputs avoid kinks and poles: relu and max-pool inputs stay more than 4h
 * from ties, log and div get values at least 1 away from zero. */
#include "gradcheck.h"

#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* f = sum(y * R) in double, with recording off. */
static double evaluate(gc_build build, void *ctx, rc_tape *tp, const float *R, size_t n, int *ok)
{
    rc_tape_reset(tp);
    int was = rc_tape_set_grad_enabled(tp, 0);
    rc_tensor *y = build(tp, ctx);
    rc_tape_set_grad_enabled(tp, was);
    if (!y || y->size != n) {
        *ok = 0;
        return 0.0;
    }
    double f = 0.0;
    for (size_t i = 0; i < n; i++)
        f += (double)y->data[i] * R[i];
    return f;
}

/* The one-sided differences of f along element e of x: (f(x + h) - f(x)) / h
 * into *right, (f(x) - f(x - h)) / h into *left. */
static void one_sided(gc_build build, void *ctx, rc_tape *tp, const float *R, size_t n_out, rc_tensor *x, size_t e,
                      float h, int *ok, double *right, double *left)
{
    float v = x->data[e];
    double f0 = evaluate(build, ctx, tp, R, n_out, ok);
    x->data[e] = v + h;
    double fp = evaluate(build, ctx, tp, R, n_out, ok);
    x->data[e] = v - h;
    double fm = evaluate(build, ctx, tp, R, n_out, ok);
    x->data[e] = v;
    *right = (fp - f0) / h, *left = (f0 - fm) / h;
}

/* The fourth-order central difference of f along element e of x. */
static double derivative(gc_build build, void *ctx, rc_tape *tp, const float *R, size_t n_out,
                         rc_tensor *x, size_t e, float h, int *ok)
{
    float v = x->data[e];
    const float steps[4] = {h, -h, 2 * h, -2 * h};
    double f[4];
    for (int s = 0; s < 4; s++) {
        x->data[e] = v + steps[s];
        f[s] = evaluate(build, ctx, tp, R, n_out, ok);
    }
    x->data[e] = v;
    return (8.0 * (f[0] - f[1]) - (f[2] - f[3])) / (12.0 * h);
}

double t_gradcheck(gc_build build, void *ctx, rc_tensor *const *wrt, size_t n_wrt,
                   const char *const *what, int nonsmooth)
{
    const float h = 2e-2f;
    rc_rng rng;
    rc_rng_seed(&rng, 2024, 7);
    rc_tape *tp = rc_tape_new();
    for (size_t j = 0; j < n_wrt; j++)
        rc_tensor_zero_grad(wrt[j]);
    rc_tensor *y = build(tp, ctx);
    T_CHECK(y, "forward failed: %s", rc_last_error());
    if (!y) {
        rc_tape_free(tp);
        return INFINITY;
    }
    size_t n_out = y->size, total = 0;
    float *R = malloc(n_out * sizeof *R);
    for (size_t i = 0; i < n_out; i++)
        R[i] = rc_rng_normal(&rng);
    int ok = rc_backward_grad(tp, y, R) == RC_OK;
    T_CHECK(ok, "backward failed: %s", rc_last_error());
    for (size_t j = 0; j < n_wrt; j++)
        total += wrt[j]->size;

    /* All analytic gradients first (the perturbed forwards reuse the tape),
     * then all numerical ones, then the comparison against the largest. */
    float *analytic = malloc(total * sizeof *analytic);
    double *numeric = malloc(total * sizeof *numeric), scale = 0.0, worst = 0.0;
    for (size_t j = 0, at = 0; ok && j < n_wrt; at += wrt[j]->size, j++)
        memcpy(analytic + at, wrt[j]->grad, wrt[j]->size * sizeof *analytic);
    for (size_t j = 0, at = 0; ok && j < n_wrt; at += wrt[j]->size, j++)
        for (size_t e = 0; e < wrt[j]->size; e++) {
            numeric[at + e] = derivative(build, ctx, tp, R, n_out, wrt[j], e, h, &ok);
            scale = fmax(scale, fabs(numeric[at + e]));
        }
    T_CHECK(ok, "a perturbed forward failed: %s", rc_last_error());
    T_CHECK(!ok || scale > 0.0, "the gradient is identically zero");

    size_t kinks = 0;
    for (size_t j = 0, at = 0; ok && j < n_wrt; at += wrt[j]->size, j++) {
        const char *name = what ? what[j] : "input";
        double tensor_worst = 0.0, own = 0.0;
        for (size_t e = 0; e < wrt[j]->size; e++)
            own = fmax(own, fabs(numeric[at + e]));
        double tensor_scale = fmax(own, 0.1 * scale);
        for (size_t e = 0; e < wrt[j]->size; e++) {
            double num = numeric[at + e], ana = analytic[at + e], err = fabs(num - ana);
            double tol = 2.5e-4 * tensor_scale + 2e-3 * fabs(num);
            if (err > tol && nonsmooth) {
                /* A relu or max switching inside the step spoils the
                 * estimate: retry with smaller steps (noise grows as 1/h).
                 * Agreement at a smaller step passes; estimates that keep
                 * disagreeing with each other mark a kink no step resolves. */
                int agrees = 0, rough = 0;
                double previous = num;
                for (int k = 1; k <= 4 && !agrees; k++) {
                    double hk = h / (double)(1 << k);
                    double nk = derivative(build, ctx, tp, R, n_out, wrt[j], e, (float)hk, &ok);
                    double tol_k = 2.5e-4 * tensor_scale * (h / hk) + 2e-3 * fabs(nk);
                    agrees = fabs(nk - ana) <= tol_k;
                    rough |= fabs(nk - previous) > tol_k;
                    previous = nk;
                }
                if (agrees)
                    continue;
                if (rough) {
                    kinks++;
                    continue;
                }
                /* Steady estimates that miss: a kink closer than every step
                 * (each straddles it and averages its two sides).  A right
                 * gradient is then one of the one-sided derivatives, which
                 * differ from each other there. */
                double right, left, hs = h / 16.0;
                one_sided(build, ctx, tp, R, n_out, wrt[j], e, (float)hs, &ok, &right, &left);
                double tol_s = 2.5e-4 * tensor_scale * (h / hs) + 2e-2 * fabs(ana);
                if (fabs(right - left) > tol_s && (fabs(right - ana) <= tol_s || fabs(left - ana) <= tol_s)) {
                    kinks++;
                    continue;
                }
            }
            tensor_worst = fmax(tensor_worst, err / tensor_scale);
            T_CHECK(err <= tol, "%s %zu element %zu: analytic %.7g, numerical %.7g", name, j, e, ana,
                    num);
        }
        if (t_verbose())
            printf("       %-28s max |num - ana| / scale = %.2e\n", name, tensor_worst);
        worst = fmax(worst, tensor_worst);
    }
    T_CHECK(kinks * 20 <= total, "%zu of %zu elements sit on kinks: the check cannot judge them",
            kinks, total);
    if (t_verbose() && kinks)
        printf("       %zu of %zu elements skipped: not smooth there\n", kinks, total);
    free(numeric);
    free(analytic);
    free(R);
    rc_tape_free(tp);
    return worst;
}

float *t_values_and_grads(gc_build build, void *ctx, rc_tensor *const *wrt, size_t n_wrt, size_t *n_out,
                          float **grads, size_t *n_grads)
{
    size_t total = 0;
    for (size_t j = 0; j < n_wrt; j++) {
        rc_tensor_zero_grad(wrt[j]);
        total += wrt[j]->size;
    }
    rc_tape *tp = rc_tape_new();
    rc_tensor *y = build(tp, ctx);
    float *out = NULL;
    *grads = NULL;
    if (y) {
        rc_rng rng;
        rc_rng_seed(&rng, 9, 9);
        float *R = malloc(y->size * sizeof *R);
        for (size_t i = 0; i < y->size; i++)
            R[i] = rc_rng_normal(&rng);
        out = malloc(y->size * sizeof *out);
        memcpy(out, y->data, y->size * sizeof *out);
        *n_out = y->size;
        if (rc_backward_grad(tp, y, R) == RC_OK) {
            *grads = malloc(total * sizeof **grads);
            for (size_t j = 0, at = 0; j < n_wrt; at += wrt[j]->size, j++)
                memcpy(*grads + at, wrt[j]->grad, wrt[j]->size * sizeof(float));
            *n_grads = total;
        }
        free(R);
    }
    rc_tape_free(tp);
    return out;
}

double t_max_abs(const float *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(v[i]));
    return m;
}

double t_max_diff(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}
