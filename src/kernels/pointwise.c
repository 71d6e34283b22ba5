/* pointwise.c — elementwise loops that need no SIMD copies (sigmoid and
 * tanh are in simd.c). */
#include "kernels.h"

#include <math.h>
#include <string.h>

void rc__relu(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void rc__exp(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = expf(x[i]);
}

void rc__log(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = logf(x[i]);
}

void rc__copy_or_zero(size_t n, const float *src, float *dst)
{
    if (src)
        memcpy(dst, src, n * sizeof(float));
    else
        memset(dst, 0, n * sizeof(float));
}

void rc__accumulate(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] += x[i];
}
