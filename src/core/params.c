/* params.c — named parameters in one flat value block and one flat gradient
 * block with the same layout (llm.c's "parameters carved by a size table"). */
#include "core.h"
#include "../kernels/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RC__NAME_MAX 64

typedef struct {
    char name[RC__NAME_MAX];
    size_t offset;   /* into values / grads */
    rc_tensor *tensor;
} param_entry;

struct rc_params {
    param_entry *entries;  /* [count] */
    size_t count, cap;
    float *values;         /* [numel] */
    float *grads;          /* [numel] */
    size_t numel;
};

rc_params *rc_params_new(void)
{
    rc_params *p = calloc(1, sizeof *p);
    if (!p)
        return rc__fail_null(RC_ENOMEM, "rc_params_new: out of memory");
    return p;
}

void rc_params_free(rc_params *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->count; i++)
        free(p->entries[i].tensor);
    free(p->entries);
    rc__free_aligned(p->values);
    rc__free_aligned(p->grads);
    free(p);
}

/* Moves both blocks to a larger allocation and re-points every tensor. */
static int grow_blocks(rc_params *p, size_t numel)
{
    float *values = rc__alloc_aligned(numel * sizeof(float));
    float *grads = rc__alloc_aligned(numel * sizeof(float));
    if (!values || !grads) {
        rc__free_aligned(values);
        rc__free_aligned(grads);
        return rc__fail(RC_ENOMEM, "rc_params_add: cannot allocate %zu parameters", numel);
    }
    memset(values, 0, numel * sizeof(float));
    memset(grads, 0, numel * sizeof(float));
    if (p->numel) {
        memcpy(values, p->values, p->numel * sizeof(float));
        memcpy(grads, p->grads, p->numel * sizeof(float));
    }
    rc__free_aligned(p->values);
    rc__free_aligned(p->grads);
    p->values = values;
    p->grads = grads;
    for (size_t i = 0; i < p->count; i++) {
        p->entries[i].tensor->data = values + p->entries[i].offset;
        p->entries[i].tensor->grad = grads + p->entries[i].offset;
    }
    return RC_OK;
}

rc_tensor *rc_params_add(rc_params *p, const char *name, int ndim, const size_t *shape)
{
    size_t n, total;
    if (!p || !name)
        return rc__fail_null(RC_EINVAL, "rc_params_add: NULL argument");
    if (strlen(name) >= RC__NAME_MAX)
        return rc__fail_null(RC_EINVAL, "rc_params_add: name '%.40s...' is longer than %d bytes",
                             name, RC__NAME_MAX - 1);
    if (rc_params_find(p, name))
        return rc__fail_null(RC_EINVAL, "rc_params_add: a parameter named '%s' exists already", name);
    if (rc__shape_numel("rc_params_add", ndim, shape, &n))
        return NULL;
    if (!rc__add_size(p->numel, n, &total) || total > SIZE_MAX / sizeof(float))
        return rc__fail_null(RC_ENOMEM, "rc_params_add: parameter set is too large");
    if (p->count == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        param_entry *e = realloc(p->entries, cap * sizeof *e);
        if (!e)
            return rc__fail_null(RC_ENOMEM, "rc_params_add: out of memory");
        p->entries = e;
        p->cap = cap;
    }
    rc_tensor *t = calloc(1, sizeof *t);
    if (!t)
        return rc__fail_null(RC_ENOMEM, "rc_params_add: out of memory");
    param_entry *e = &p->entries[p->count];
    strcpy(e->name, name);
    e->offset = p->numel;
    e->tensor = t;
    rc__tensor_set_shape(t, ndim, shape, n);
    t->owner = RC__OWNER_PARAMS;
    t->requires_grad = 1;
    p->count++;
    if (grow_blocks(p, total)) {
        p->count--;
        free(t);
        return NULL;
    }
    p->numel = total;
    return t;
}

size_t rc_params_count(const rc_params *p) { return p->count; }
size_t rc_params_numel(const rc_params *p) { return p->numel; }
float *rc_params_values(rc_params *p) { return p->values; }
float *rc_params_grads(rc_params *p) { return p->grads; }

rc_tensor *rc_params_tensor(const rc_params *p, size_t i)
{
    return i < p->count ? p->entries[i].tensor : NULL;
}

const char *rc_params_name(const rc_params *p, size_t i)
{
    return i < p->count ? p->entries[i].name : NULL;
}

rc_tensor *rc_params_find(const rc_params *p, const char *name)
{
    for (size_t i = 0; i < p->count; i++)
        if (strcmp(p->entries[i].name, name) == 0)
            return p->entries[i].tensor;
    return NULL;
}

void rc_params_zero_grad(rc_params *p)
{
    if (p->numel)
        memset(p->grads, 0, p->numel * sizeof(float));
}

double rc_params_grad_norm(const rc_params *p)
{
    return sqrt(rc__sum_squares(p->numel, p->grads));
}

double rc_params_clip_grad_norm(rc_params *p, double max_norm)
{
    double norm = rc_params_grad_norm(p);
    if (norm > max_norm && norm > 0.0) {
        float s = (float)(max_norm / norm);
        for (size_t i = 0; i < p->numel; i++)
            p->grads[i] *= s;
    }
    return norm;
}

void rc_params_clip_grad_value(rc_params *p, float max)
{
    for (size_t i = 0; i < p->numel; i++)
        p->grads[i] = fminf(fmaxf(p->grads[i], -max), max);
}

void rc_params_add_noise(rc_params *p, rc_rng *rng, float std, float *saved)
{
    /* one 64-bit key from rng per call; the draws are a function of it */
    uint64_t key = (uint64_t)rc_rng_u32(rng) << 32;
    key |= rc_rng_u32(rng);
    rc__normal(p->numel, key, std, saved);
    for (size_t i = 0; i < p->numel; i++) { /* saved: noise in, clean weight out */
        float w = p->values[i];
        p->values[i] = w + saved[i];
        saved[i] = w;
    }
}

void rc_params_remove_noise(rc_params *p, const float *saved)
{
    memcpy(p->values, saved, p->numel * sizeof(float));
}

void rc_sgd_step(rc_params *p, float lr)
{
    for (size_t i = 0; i < p->numel; i++)
        p->values[i] -= lr * p->grads[i];
}
