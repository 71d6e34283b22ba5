/* tensor.c — caller-owned tensors, shapes and fills. */
#include "core.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rc__shape_numel(const char *who, int ndim, const size_t *shape, size_t *numel)
{
    if (ndim < 1 || ndim > RC_MAX_DIMS)
        return rc__fail(RC_EINVAL, "%s: %d dimensions given, 1 to %d supported", who, ndim,
                        RC_MAX_DIMS);
    if (!shape)
        return rc__fail(RC_EINVAL, "%s: shape is NULL", who);
    size_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0)
            return rc__fail(RC_ESHAPE, "%s: dimension %d is 0", who, i);
        if (!rc__mul_size(n, shape[i], &n) || n > SIZE_MAX / sizeof(float))
            return rc__fail(RC_ENOMEM, "%s: shape is too large", who);
    }
    *numel = n;
    return RC_OK;
}

void rc__tensor_set_shape(rc_tensor *t, int ndim, const size_t *shape, size_t size)
{
    t->ndim = ndim;
    for (int i = 0; i < RC_MAX_DIMS; i++)
        t->shape[i] = i < ndim ? shape[i] : 1;
    t->size = size;
}

int rc__axis(const char *who, const rc_tensor *t, int axis)
{
    int a = axis < 0 ? axis + t->ndim : axis;
    if (a < 0 || a >= t->ndim) {
        char s[64];
        rc__fail(RC_EINVAL, "%s: axis %d is out of range for a tensor of shape %s",
                 who, axis, rc_shape_str(t, s, sizeof s));
        return -1;
    }
    return a;
}

rc_tensor *rc_tensor_new(int ndim, const size_t *shape)
{
    size_t n;
    if (rc__shape_numel("rc_tensor_new", ndim, shape, &n))
        return NULL;
    rc_tensor *t = calloc(1, sizeof *t);
    float *data = rc__alloc_aligned(n * sizeof(float));
    if (!t || !data) {
        free(t);
        rc__free_aligned(data);
        return rc__fail_null(RC_ENOMEM, "rc_tensor_new: cannot allocate %zu floats", n);
    }
    memset(data, 0, n * sizeof(float));
    t->data = data;
    t->owner = RC__OWNER_HEAP;
    rc__tensor_set_shape(t, ndim, shape, n);
    return t;
}

void rc_tensor_free(rc_tensor *t)
{
    if (!t || t->owner != RC__OWNER_HEAP)
        return;
    rc__free_aligned(t->data);
    rc__free_aligned(t->grad);
    free(t);
}

int rc_tensor_require_grad(rc_tensor *t)
{
    if (!t)
        return rc__fail(RC_EINVAL, "rc_tensor_require_grad: tensor is NULL");
    if (!t->grad) {
        if (t->owner != RC__OWNER_HEAP)
            return rc__fail(RC_EINVAL, "rc_tensor_require_grad: only tensors made by rc_tensor_new "
                                       "can become gradient leaves");
        t->grad = rc__alloc_aligned(t->size * sizeof(float));
        if (!t->grad)
            return rc__fail(RC_ENOMEM, "rc_tensor_require_grad: cannot allocate %zu floats", t->size);
        memset(t->grad, 0, t->size * sizeof(float));
    }
    t->requires_grad = 1;
    return RC_OK;
}

void rc_tensor_zero_grad(rc_tensor *t)
{
    if (t && t->grad)
        memset(t->grad, 0, t->size * sizeof(float));
}

void rc_tensor_fill(rc_tensor *t, float value)
{
    for (size_t i = 0; i < t->size; i++)
        t->data[i] = value;
}

void rc_tensor_fill_uniform(rc_tensor *t, rc_rng *rng, float lo, float hi)
{
    for (size_t i = 0; i < t->size; i++)
        t->data[i] = lo + (hi - lo) * rc_rng_uniform(rng);
}

void rc_tensor_fill_normal(rc_tensor *t, rc_rng *rng, float mean, float std)
{
    for (size_t i = 0; i < t->size; i++)
        t->data[i] = mean + std * rc_rng_normal(rng);
}

int rc_tensor_fill_orthogonal(rc_tensor *t, rc_rng *rng, float gain)
{
    size_t rows = t->ndim ? t->shape[0] : 1, cols = rows ? t->size / rows : 0;
    size_t n = rows >= cols ? rows : cols, k = rows >= cols ? cols : rows; /* k columns of length n */
    double *q = malloc(n * k * sizeof *q);
    if (!q)
        return rc__fail(RC_ENOMEM, "rc_tensor_fill_orthogonal: out of memory for %zu x %zu", n, k);
    for (size_t i = 0; i < n * k; i++) /* column j at q + j n: the Gaussian drawn row-major over [n, k] */
        q[(i % k) * n + i / k] = rc_rng_normal(rng);
    /* modified Gram-Schmidt (each projection done twice, for orthogonality
     * to double precision): the Q of the QR whose R has a positive
     * diagonal, which is what PyTorch's sign correction makes of its Q */
    for (size_t j = 0; j < k; j++) {
        double *v = q + j * n, norm = 0.0;
        for (int pass = 0; pass < 2; pass++)
            for (size_t m = 0; m < j; m++) {
                const double *u = q + m * n;
                double dot = 0.0;
                for (size_t i = 0; i < n; i++)
                    dot += u[i] * v[i];
                for (size_t i = 0; i < n; i++)
                    v[i] -= dot * u[i];
            }
        for (size_t i = 0; i < n; i++)
            norm += v[i] * v[i];
        norm = sqrt(norm);
        for (size_t i = 0; i < n; i++)
            v[i] = norm > 0.0 ? v[i] / norm : 0.0;
    }
    for (size_t r = 0; r < rows; r++) /* Q [n, k] as is (tall), or its transpose (wide) */
        for (size_t c = 0; c < cols; c++)
            t->data[r * cols + c] = gain * (float)(rows >= cols ? q[c * n + r] : q[r * n + c]);
    free(q);
    return RC_OK;
}

int rc_tensor_same_shape(const rc_tensor *a, const rc_tensor *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i])
            return 0;
    return 1;
}

char *rc_shape_str(const rc_tensor *t, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    for (int i = 0; i < t->ndim && used < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s%zu", i ? ", " : "[", t->shape[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (used < cap)
        snprintf(buf + used, cap - used, "]");
    return buf;
}
