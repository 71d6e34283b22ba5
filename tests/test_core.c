/* test_core.c — errors, tensors, the RNG, the arena and parameter sets. */
#include "test.h"

#include "../src/core/core.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static void test_rng(void)
{
    t_case("rng: pcg32 reference sequence (seed 42, stream 54)");
    /* The first outputs of pcg32-demo in O'Neill's pcg-c-basic. */
    static const uint32_t expected[6] = {0xa15c02b7, 0x7b47f409, 0xba1d3330,
                                         0x83d2f293, 0xbfa4784b, 0xcbed606e};
    rc_rng rng;
    rc_rng_seed(&rng, 42, 54);
    for (int i = 0; i < 6; i++) {
        uint32_t v = rc_rng_u32(&rng);
        T_CHECK(v == expected[i], "output %d: 0x%08x, expected 0x%08x", i, v, expected[i]);
    }

    t_case("rng: same seed same stream, other seed other stream");
    rc_rng a, b, c;
    rc_rng_seed(&a, 7, 1);
    rc_rng_seed(&b, 7, 1);
    rc_rng_seed(&c, 7, 2);
    int same = 1, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint32_t va = rc_rng_u32(&a), vb = rc_rng_u32(&b), vc = rc_rng_u32(&c);
        same &= va == vb;
        differ += va != vc;
    }
    T_CHECK(same, "two generators with one seed diverged");
    T_CHECK(differ > 990, "streams 1 and 2 agree on %d of 1000 draws", 1000 - differ);

    t_case("rng: a copied state continues identically (save/restore)");
    rc_rng_seed(&a, 99, 0);
    (void)rc_rng_normal(&a); /* leaves a spare normal inside */
    b = a;
    int equal = 1;
    for (int i = 0; i < 100; i++)
        equal &= rc_rng_normal(&a) == rc_rng_normal(&b) && rc_rng_uniform(&a) == rc_rng_uniform(&b);
    T_CHECK(equal, "copied generator diverged");

    t_case("rng: uniform, below and normal have the right range and moments");
    rc_rng_seed(&a, 1, 1);
    double sum = 0, sum2 = 0, nsum = 0, nsum2 = 0;
    int counts[7] = {0}, in_range = 1;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        float u = rc_rng_uniform(&a);
        in_range &= u >= 0.0f && u < 1.0f;
        sum += u, sum2 += (double)u * u;
        uint32_t k = rc_rng_below(&a, 7);
        in_range &= k < 7;
        counts[k < 7 ? k : 0]++;
        double z = rc_rng_normal(&a);
        nsum += z, nsum2 += z * z;
    }
    T_CHECK(in_range, "a draw fell outside its range");
    T_CHECK(fabs(sum / n - 0.5) < 0.005, "uniform mean %g", sum / n);
    T_CHECK(fabs(sum2 / n - sum / n * sum / n - 1.0 / 12) < 0.003, "uniform variance off");
    for (int k = 0; k < 7; k++)
        T_CHECK(fabs(counts[k] - n / 7.0) < 0.03 * n / 7.0, "below(7) gave %d x %d", k, counts[k]);
    T_CHECK(fabs(nsum / n) < 0.01, "normal mean %g", nsum / n);
    T_CHECK(fabs(nsum2 / n - 1.0) < 0.02, "normal variance %g", nsum2 / n);
}

static void test_errors(void)
{
    t_case("errors: every status has a text, unknown ones too");
#define CHECK_TEXT(name, value, text) T_CHECK(strcmp(rc_strerror(name), text) == 0, #name);
    RC_STATUS_LIST(CHECK_TEXT)
#undef CHECK_TEXT
    T_CHECK(strcmp(rc_strerror(12345), "unknown status") == 0, "unknown code");
    rc__fail(RC_EIO, "file %s: %d", "x.bin", 3);
    T_CHECK(rc_last_status() == RC_EIO && strcmp(rc_last_error(), "file x.bin: 3") == 0,
            "message \"%s\"", rc_last_error());
}

static void test_tensors(void)
{
    t_case("tensor: new is zero-filled with the shape given");
    rc_tensor *t = rc_tensor_new(3, (size_t[]){2, 3, 4});
    T_CHECK(t && t->size == 24 && t->ndim == 3 && t->shape[2] == 4 && t->shape[3] == 1, "shape");
    int zero = 1;
    for (size_t i = 0; t && i < t->size; i++)
        zero &= t->data[i] == 0.0f;
    T_CHECK(zero, "not zero-filled");
    T_CHECK(t && ((uintptr_t)t->data % 64) == 0, "data not 64-byte aligned");
    char s[64];
    T_CHECK(t && strcmp(rc_shape_str(t, s, sizeof s), "[2, 3, 4]") == 0, "shape string %s", s);
    rc_tensor_free(t);
    rc_tensor_free(NULL);

    t_case("tensor: bad shapes are refused with a message");
    T_CHECK(!rc_tensor_new(0, (size_t[]){1}), "0-D accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "1 to 4");
    T_CHECK(!rc_tensor_new(5, (size_t[]){1, 1, 1, 1, 1}), "5-D accepted");
    T_CHECK(!rc_tensor_new(2, (size_t[]){3, 0}), "zero dimension accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ESHAPE, "dimension 1 is 0");
    T_CHECK(!rc_tensor_new(2, (size_t[]){SIZE_MAX / 2, 4}), "overflowing shape accepted");
    T_CHECK_ERROR(rc_last_status(), RC_ENOMEM, "too large");

    t_case("tensor: fills");
    rc_rng rng;
    rc_rng_seed(&rng, 3, 3);
    t = rc_tensor_new(1, (size_t[]){1000});
    rc_tensor_fill_uniform(t, &rng, -2.0f, -1.0f);
    int in = 1;
    for (size_t i = 0; i < t->size; i++)
        in &= t->data[i] >= -2.0f && t->data[i] < -1.0f;
    T_CHECK(in, "uniform fill out of range");
    rc_tensor_fill(t, 0.25f);
    T_CHECK(t->data[999] == 0.25f, "constant fill");
    rc_tensor_free(t);
}

static void test_arena(void)
{
    t_case("arena: aligned, reused after reset, large requests get their own chunk");
    rc__arena a;
    rc__arena_init(&a, 4096);
    void *first = rc__arena_alloc(&a, 10);
    void *second = rc__arena_alloc(&a, 100);
    void *big = rc__arena_alloc(&a, 100000);
    T_CHECK(first && second && big, "allocation failed");
    T_CHECK(((uintptr_t)first | (uintptr_t)second | (uintptr_t)big) % 64 == 0, "not aligned");
    T_CHECK((char *)second - (char *)first == 64, "bump not contiguous");
    size_t reserved = a.reserved;
    rc__arena_reset(&a);
    for (int i = 0; i < 3; i++) {
        void *p1 = rc__arena_alloc(&a, 10);
        (void)rc__arena_alloc(&a, 100);
        (void)rc__arena_alloc(&a, 100000);
        T_CHECK(p1 == first, "memory not reused after reset");
        rc__arena_reset(&a);
    }
    T_CHECK(a.reserved == reserved, "the same pattern grew the arena: %zu -> %zu", reserved,
            a.reserved);
    T_CHECK(!rc__arena_alloc(&a, SIZE_MAX - 10), "absurd request succeeded");
    T_CHECK(rc_last_status() == RC_ENOMEM, "status %d", rc_last_status());
    rc__arena_free(&a);

    t_case("arena: large and small requests in another order, or smaller, reuse the chunks");
    rc__arena_init(&a, 4096);
    static const size_t pattern[][4] = {{100000, 10, 50000, 3000}, {10, 50000, 3000, 100000},
                                        {3000, 100000, 10, 50000}, {40000, 90000, 2000, 10}};
    size_t after_first = 0;
    for (int round = 0; round < 4; round++) {
        for (int k = 0; k < 4; k++)
            T_CHECK(rc__arena_alloc(&a, pattern[round][k]), "allocation failed");
        if (round == 0)
            after_first = a.reserved;
        rc__arena_reset(&a);
    }
    T_CHECK(a.reserved == after_first, "the arena grew from %zu to %zu bytes", after_first, a.reserved);
    rc__arena_free(&a);

    t_case("arena: a longer pass frees the free chunks too small for it; a shorter one reuses its chunks");
    rc__arena_init(&a, 4096);
    static const size_t passes[][2] = {{50000, 20000}, {100032, 40000}, {50000, 20000}, {100032, 40000}};
    size_t after_long = 0;
    for (int round = 0; round < 4; round++) {
        for (int k = 0; k < 2; k++) {
            unsigned char *p = rc__arena_alloc(&a, passes[round][k]);
            T_CHECK(p, "allocation failed");
            if (p)
                memset(p, round, passes[round][k]);
        }
        if (round == 1)
            after_long = a.reserved;
        rc__arena_reset(&a);
    }
    T_CHECK(after_long == 100032 + 40000, "after the longer pass %zu bytes reserved, not %d", after_long,
            100032 + 40000);
    T_CHECK(a.reserved == after_long, "the shorter passes grew the arena from %zu to %zu bytes", after_long,
            a.reserved);
    rc__arena_free(&a);
}

static void test_params(void)
{
    t_case("params: one flat block, pointers follow growth, names unique");
    rc_params *p = rc_params_new();
    rc_tensor *w = rc_params_add(p, "w", 2, (size_t[]){3, 4});
    w->data[5] = 2.5f;
    rc_tensor *b = rc_params_add(p, "b", 1, (size_t[]){4});
    T_CHECK(rc_params_numel(p) == 16 && rc_params_count(p) == 2, "sizes");
    T_CHECK(w->data == rc_params_values(p) && b->data == rc_params_values(p) + 12,
            "tensors not carved from the flat block in order");
    T_CHECK(w->grad == rc_params_grads(p) && b->grad == rc_params_grads(p) + 12, "grad layout");
    T_CHECK(w->data[5] == 2.5f, "a value was lost when the block grew");
    T_CHECK(rc_params_find(p, "b") == b && !rc_params_find(p, "c"), "find");
    T_CHECK(strcmp(rc_params_name(p, 1), "b") == 0, "name");
    T_CHECK(!rc_params_add(p, "w", 1, (size_t[]){2}), "duplicate accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "exists already");

    t_case("params: zero, norm, clip and sgd are loops over the block");
    for (size_t i = 0; i < 16; i++) {
        rc_params_values(p)[i] = 1.0f;
        rc_params_grads(p)[i] = 1.0f;
    }
    T_CHECK(fabs(rc_params_grad_norm(p) - 4.0) < 1e-12, "norm %g", rc_params_grad_norm(p));
    double before = rc_params_clip_grad_norm(p, 2.0);
    T_CHECK(before == 4.0 && fabs(rc_params_grad_norm(p) - 2.0) < 1e-6, "clip");
    rc_sgd_step(p, 0.1f);
    T_CHECK(fabsf(b->data[3] - (1.0f - 0.1f * 0.5f)) < 1e-7f, "sgd step gave %g", (double)b->data[3]);
    rc_params_zero_grad(p);
    T_CHECK(rc_params_grad_norm(p) == 0.0, "zero_grad");
    rc_params_free(p);
    rc_params_free(NULL);
}

void suite_core(void)
{
    test_rng();
    test_errors();
    test_tensors();
    test_arena();
    test_params();
}
