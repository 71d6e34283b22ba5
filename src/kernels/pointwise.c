/* pointwise.c — elementwise activation loops (portable C; SIMD versions
 * will sit beside these and be tested against them). */
#include "kernels.h"

#include <math.h>
#include <string.h>

void rc__sigmoid(size_t n, const float *x, float *y)
{
    /* Split by sign so exp never overflows: 1/(1+e^-x) or e^x/(1+e^x). */
    for (size_t i = 0; i < n; i++) {
        float v = x[i];
        if (v >= 0.0f)
            y[i] = 1.0f / (1.0f + expf(-v));
        else {
            float e = expf(v);
            y[i] = e / (1.0f + e);
        }
    }
}

void rc__tanh(size_t n, const float *x, float *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = tanhf(x[i]);
}

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
