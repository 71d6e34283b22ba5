/* test_pytorch.c — equality with PyTorch.  tests/ref/make_refs.py saved, for
 * each case in tests/ref/index.txt, a module's state_dict (as
 * safetensors.torch.save_file writes it) and its inputs, outputs, final
 * states and the gradients of sum(output R) + sum(h_n R_h) + sum(c_n R_c)
 * (states by name: NAME0, NAME_n, R_NAME, grad.NAME0 for each state of the
 * network the file holds).
 * Here each model is loaded by rc_rnn_load, run through both the fused and
 * the composed path, and compared at float32 precision: every value within
 * 2e-5 of the largest magnitude of its tensor (and at least 1). */
#include "test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_DIR "tests/ref/"

static rc_tensor *flat(rc_tape *tp, rc_tensor *t)
{
    return rc_reshape(tp, t, 1, (size_t[]){t->size});
}

/* Compares got [n] with the reference tensor `name` of data. */
static void compare(const rc_safetensors *data, const char *name, const float *got, size_t n,
                    const char *path_name)
{
    rc_tensor *want = rc_safetensors_tensor(data, name);
    T_CHECK(want, "%s", rc_last_error());
    if (!want)
        return;
    T_CHECK(want->size == n, "%s: %zu values, the reference has %zu", name, n, want->size);
    if (want->size == n) {
        double scale = 1.0, worst = 0.0;
        size_t at = 0;
        for (size_t i = 0; i < n; i++)
            scale = fmax(scale, fabs(want->data[i]));
        for (size_t i = 0; i < n; i++)
            if (fabs(got[i] - want->data[i]) > worst)
                worst = fabs(got[i] - want->data[i]), at = i;
        T_CHECK(worst <= 2e-5 * scale, "%s (%s path): element %zu is %.7g, PyTorch %.7g", name,
                path_name, at, (double)got[at], (double)want->data[at]);
    }
    rc_tensor_free(want);
}

static rc_tensor *optional(const rc_safetensors *data, const char *name)
{
    if (rc_safetensors_find(data, name) < 0)
        return NULL;
    rc_tensor *t = rc_safetensors_tensor(data, name);
    if (t)
        rc_tensor_require_grad(t);
    return t;
}

static void run_case(const char *name, int composed)
{
    char path[256];
    snprintf(path, sizeof path, REF_DIR "%s.model.safetensors", name);
    rc_rnn *rnn = rc_rnn_load(path, -1);
    T_CHECK(rnn, "%s", rc_last_error());
    snprintf(path, sizeof path, REF_DIR "%s.data.safetensors", name);
    rc_safetensors *data = rc_safetensors_load(path);
    T_CHECK(data, "%s", rc_last_error());
    if (!rnn || !data) {
        rc_rnn_free(rnn);
        rc_safetensors_free(data);
        return;
    }
    /* The states by name: NAME0 in, NAME_n out (with its weights R_NAME), grad.NAME0. */
    size_t n = rc_rnn_state_count(rnn);
    rc_tensor *x = optional(data, "input"), *s0[RC_MAX_STATES] = {0};
    char key[96];
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof key, "%s0", rc_rnn_state_name(rnn, i));
        s0[i] = optional(data, key);
    }
    rc_tensor *lengths_f = optional(data, "lengths");
    int32_t lengths[16];
    for (size_t b = 0; lengths_f && b < lengths_f->size && b < 16; b++)
        lengths[b] = (int32_t)lengths_f->data[b];
    rc_params *p = rc_rnn_params(rnn);
    rc_params_zero_grad(p);

    rc_rnn_options o = {0};
    o.states0 = s0;
    o.lengths = lengths_f ? lengths : NULL;
    o.batch_first = !strcmp(rc_safetensors_metadata(data, "batch_first"), "1");
    o.composed = composed;
    rc_tape *tp = rc_tape_new();
    rc_tensor *fin[RC_MAX_STATES] = {0};
    rc_tensor *y = rc_rnn_forward_states(tp, rnn, x, &o, fin);
    T_CHECK(y, "forward: %s", rc_last_error());
    if (y) {
        const char *path_name = composed ? "composed" : "fused";
        compare(data, "output", y->data, y->size, path_name);
        rc_tensor *parts[1 + RC_MAX_STATES] = {flat(tp, y)}, *R[1 + RC_MAX_STATES] = {rc_safetensors_tensor(data, "R")};
        size_t k = 1, total = R[0]->size;
        for (size_t i = 0; i < n; i++) {
            snprintf(key, sizeof key, "%s_n", rc_rnn_state_name(rnn, i));
            if (rc_safetensors_find(data, key) < 0)
                continue;
            compare(data, key, fin[i]->data, fin[i]->size, path_name);
            snprintf(key, sizeof key, "R_%s", rc_rnn_state_name(rnn, i));
            parts[k] = flat(tp, fin[i]);
            R[k] = rc_safetensors_tensor(data, key);
            T_CHECK(R[k], "%s", rc_last_error());
            if (!R[k])
                break;
            total += R[k++]->size;
        }
        rc_tensor *joined = rc_concat(tp, parts, k, 0);
        float *dy = malloc(total * sizeof *dy);
        for (size_t j = 0, at = 0; j < k; at += R[j]->size, j++)
            memcpy(dy + at, R[j]->data, R[j]->size * sizeof *dy);
        T_CHECK(joined && joined->size == total && rc_backward_grad(tp, joined, dy) == RC_OK, "backward: %s",
                rc_last_error());
        compare(data, "grad.input", x->grad, x->size, path_name);
        for (size_t i = 0; i < n; i++)
            if (s0[i]) {
                snprintf(key, sizeof key, "grad.%s0", rc_rnn_state_name(rnn, i));
                compare(data, key, s0[i]->grad, s0[i]->size, path_name);
            }
        for (size_t i = 0; i < rc_params_count(p); i++) {
            snprintf(key, sizeof key, "grad.%s", rc_params_name(p, i));
            rc_tensor *w = rc_params_tensor(p, i);
            compare(data, key, w->grad, w->size, path_name);
        }
        free(dy);
        for (size_t j = 0; j < k; j++)
            rc_tensor_free(R[j]);
    }
    rc_tape_free(tp);
    rc_tensor_free(x), rc_tensor_free(lengths_f);
    for (size_t i = 0; i < n; i++)
        rc_tensor_free(s0[i]);
    rc_safetensors_free(data);
    rc_rnn_free(rnn);
}

void suite_pytorch(void)
{
    FILE *index = fopen(REF_DIR "index.txt", "r");
    t_case("pytorch: the reference index exists");
    T_CHECK(index, "cannot open " REF_DIR "index.txt (run the tests from the repository root)");
    if (!index)
        return;
    char name[128];
    int cases = 0;
    while (fscanf(index, "%127s", name) == 1) {
        for (int composed = 0; composed < 2; composed++) {
            t_case("pytorch: %s equals PyTorch (%s)", name, composed ? "composed" : "fused");
            if (t_selected())
                run_case(name, composed);
        }
        cases++;
    }
    fclose(index);
    t_case("pytorch: the index lists the cases");
    T_CHECK(cases >= 10, "only %d cases", cases);
}
