/* test_tape.c — recording, no_grad, accumulation, repeated backward, reuse. */
#include "test.h"

#include <math.h>
#include <string.h>

void suite_tape(void)
{
    rc_tape *tp = rc_tape_new();
    rc_params *p = rc_params_new();
    rc_tensor *w = rc_params_add(p, "w", 1, (size_t[]){3});
    for (int i = 0; i < 3; i++)
        w->data[i] = (float)(i + 1);
    rc_tensor *c = rc_tape_tensor(tp, 1, (size_t[]){3});
    rc_tensor_fill(c, 2.0f);

    t_case("tape: gradients accumulate over uses: d/dw sum(w*w + w) = 2w + 1");
    rc_tensor *y = rc_sum_all(tp, rc_add(tp, rc_mul(tp, w, w), w));
    T_CHECK(y && rc_backward(tp, y) == RC_OK, "%s", rc_last_error());
    for (int i = 0; i < 3; i++)
        T_CHECK(w->grad[i] == 2.0f * w->data[i] + 1.0f, "grad[%d] = %g", i, (double)w->grad[i]);

    t_case("tape: leaf gradients accumulate across backward passes, intermediates restart");
    T_CHECK(rc_backward(tp, y) == RC_OK, "%s", rc_last_error());
    for (int i = 0; i < 3; i++)
        T_CHECK(w->grad[i] == 2.0f * (2.0f * w->data[i] + 1.0f), "grad[%d] = %g", i,
                (double)w->grad[i]);
    rc_params_zero_grad(p);

    t_case("tape: constants take no gradient and record no node");
    rc_tape_reset(tp);
    c = rc_tape_tensor(tp, 1, (size_t[]){3});
    rc_tensor *k = rc_tanh(tp, rc_add(tp, c, c));
    T_CHECK(k && !k->requires_grad && rc_tape_node_count(tp) == 0, "constant expression recorded");
    T_CHECK(rc_backward(tp, rc_sum_all(tp, k)) == RC_EINVAL, "backward through constants accepted");

    t_case("tape: no_grad computes values and records nothing");
    rc_tape_reset(tp);
    int was = rc_tape_set_grad_enabled(tp, 0);
    y = rc_sum_all(tp, rc_mul(tp, w, w));
    T_CHECK(was == 1 && y && y->data[0] == 14.0f && rc_tape_node_count(tp) == 0 &&
                !y->requires_grad,
            "value %g, %zu nodes", y ? (double)y->data[0] : -1.0, rc_tape_node_count(tp));
    T_CHECK(rc_backward(tp, y) == RC_EINVAL, "backward without a record accepted");
    rc_tape_set_grad_enabled(tp, 1);

    t_case("tape: backward needs a scalar; rc_backward_grad takes any shape");
    rc_tape_reset(tp);
    y = rc_mul(tp, w, w);
    T_CHECK_ERROR(rc_backward(tp, y), RC_ESHAPE, "one element");
    T_CHECK(rc_backward_grad(tp, y, (float[]){1, 0, -1}) == RC_OK, "%s", rc_last_error());
    T_CHECK(w->grad[0] == 2.0f && w->grad[1] == 0.0f && w->grad[2] == -6.0f, "vjp gradient");
    rc_params_zero_grad(p);

    t_case("tape: a warm loop reuses its memory (no growth after reset)");
    size_t memory = 0;
    for (int it = 0; it < 5; it++) {
        rc_tape_reset(tp);
        rc_tensor *h = rc_tape_tensor(tp, 2, (size_t[]){4, 3});
        for (int step = 0; step < 20; step++)
            h = rc_tanh(tp, rc_add(tp, h, w));
        rc_backward(tp, rc_sum_all(tp, h));
        if (it == 1)
            memory = rc_tape_memory(tp);
        if (it > 1)
            T_CHECK(rc_tape_memory(tp) == memory, "iteration %d: %zu bytes, was %zu", it,
                    rc_tape_memory(tp), memory);
    }

    t_case("tape: a NULL input keeps the error that produced it");
    rc_tape_reset(tp);
    rc_tensor *bad = rc_matmul(tp, rc_tape_tensor(tp, 2, (size_t[]){2, 3}),
                               rc_tape_tensor(tp, 2, (size_t[]){2, 3}), 0, 0);
    rc_tensor *chained = rc_tanh(tp, rc_sigmoid(tp, bad));
    T_CHECK(!chained, "chain on NULL produced a tensor");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "rc_matmul: inner dimensions differ");

    rc_tape_free(tp);
    rc_params_free(p);
    rc_tape_free(NULL);
}
