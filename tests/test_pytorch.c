/* test_pytorch.c — equality with PyTorch.  tests/ref/make_refs.py saved, for
 * each case in tests/ref/index.txt, a module's state_dict (as
 * safetensors.torch.save_file writes it) and its inputs, outputs, final
 * states and the gradients of sum(output R) + sum(h_n R_h) + sum(c_n R_c).
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
    rc_tensor *x = optional(data, "input"), *h0 = optional(data, "h0"), *c0 = optional(data, "c0");
    rc_tensor *lengths_f = optional(data, "lengths");
    int32_t lengths[16];
    for (size_t b = 0; lengths_f && b < lengths_f->size && b < 16; b++)
        lengths[b] = (int32_t)lengths_f->data[b];
    rc_params *p = rc_rnn_params(rnn);
    rc_params_zero_grad(p);

    rc_rnn_options o = {0};
    o.h0 = h0;
    o.c0 = c0;
    o.lengths = lengths_f ? lengths : NULL;
    o.batch_first = !strcmp(rc_safetensors_metadata(data, "batch_first"), "1");
    o.composed = composed;
    rc_tape *tp = rc_tape_new();
    rc_tensor *h_n = NULL, *c_n = NULL;
    rc_tensor *y = rc_rnn_forward(tp, rnn, x, &o, &h_n, &c_n);
    T_CHECK(y, "forward: %s", rc_last_error());
    if (y) {
        const char *path_name = composed ? "composed" : "fused";
        compare(data, "output", y->data, y->size, path_name);
        compare(data, "h_n", h_n->data, h_n->size, path_name);
        if (c_n)
            compare(data, "c_n", c_n->data, c_n->size, path_name);
        rc_tensor *R = rc_safetensors_tensor(data, "R"), *R_h = rc_safetensors_tensor(data, "R_h");
        rc_tensor *R_c = c_n ? rc_safetensors_tensor(data, "R_c") : NULL;
        rc_tensor *parts[3] = {flat(tp, y), flat(tp, h_n), c_n ? flat(tp, c_n) : NULL};
        rc_tensor *joined = rc_concat(tp, parts, c_n ? 3 : 2, 0);
        float *dy = malloc(joined->size * sizeof *dy);
        memcpy(dy, R->data, R->size * sizeof *dy);
        memcpy(dy + R->size, R_h->data, R_h->size * sizeof *dy);
        if (R_c)
            memcpy(dy + R->size + R_h->size, R_c->data, R_c->size * sizeof *dy);
        T_CHECK(rc_backward_grad(tp, joined, dy) == RC_OK, "backward: %s", rc_last_error());
        compare(data, "grad.input", x->grad, x->size, path_name);
        if (h0)
            compare(data, "grad.h0", h0->grad, h0->size, path_name);
        if (c0)
            compare(data, "grad.c0", c0->grad, c0->size, path_name);
        for (size_t i = 0; i < rc_params_count(p); i++) {
            char key[96];
            snprintf(key, sizeof key, "grad.%s", rc_params_name(p, i));
            rc_tensor *w = rc_params_tensor(p, i);
            compare(data, key, w->grad, w->size, path_name);
        }
        free(dy);
        rc_tensor_free(R), rc_tensor_free(R_h), rc_tensor_free(R_c);
    }
    rc_tape_free(tp);
    rc_tensor_free(x), rc_tensor_free(h0), rc_tensor_free(c0), rc_tensor_free(lengths_f);
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
