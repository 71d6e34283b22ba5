/* conv.c — causal dilated 1-D convolution over time, 2-D convolution and
 * 2-D max pooling.  Convolutions are lowered to one GEMM by unfolding the
 * input into columns (im2col); the backward folds column gradients back
 * with the same loop run the other way. */
#include "ops.h"

#include <assert.h>
#include <string.h>

/* ------------------------------------------------------------ causal conv1d
 * x [T, B, Ci] (time-major), w [Co, Ci, K], bias [Co], dilation d:
 *   y[t, b, o] = bias[o] + sum_{i,k} w[o, i, k] x[t - (K-1-k) d, b, i]
 * col [T*B, Ci*K] holds x[t - (K-1-k) d, b, i] (0 before t = 0), so
 *   y [T*B, Co] = col W^T + bias,  W = w as [Co, Ci*K]. */

typedef struct {
    size_t T, B, Ci, K, dilation;
} conv1d_dims;

/* to_col: col = unfold(x); otherwise x += fold(col). */
static void unfold_1d(const conv1d_dims *s, float *x, float *col, int to_col)
{
    size_t CK = s->Ci * s->K;
    for (size_t t = 0; t < s->T; t++)
        for (size_t b = 0; b < s->B; b++) {
            float *c = col + (t * s->B + b) * CK;
            for (size_t k = 0; k < s->K; k++) {
                size_t shift = (s->K - 1 - k) * s->dilation;
                float *src = t >= shift ? x + ((t - shift) * s->B + b) * s->Ci : NULL;
                for (size_t i = 0; i < s->Ci; i++) {
                    if (to_col)
                        c[i * s->K + k] = src ? src[i] : 0.0f;
                    else if (src)
                        src[i] += c[i * s->K + k];
                }
            }
        }
}

static void add_bias_grad(const float *g, size_t rows, size_t n, float *gbias)
{
    for (size_t r = 0; r < rows; r++)
        rc__accumulate(n, g + r * n, gbias);
}

static int conv1d_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *x = node->in[0], *w = node->in[1];
    conv1d_dims s = {x->shape[0], x->shape[1], x->shape[2], w->shape[2], node->iarg[0]};
    size_t TB = s.T * s.B, CK = s.Ci * s.K, Co = w->shape[0];
    float *col = node->saved;
    const float *G = node->out->grad;
    float *g[3];
    int status = rc__input_grads(tp, node, g);
    if (status)
        return status;
    float *gx = g[0], *gw = g[1], *gb = g[2];
    if (gw) /* dW [Co, CK] += G^T col */
        rc__sgemm(1, 0, Co, CK, TB, 1.0f, G, Co, col, CK, 1.0f, gw, CK);
    if (gb)
        add_bias_grad(G, TB, Co, gb);
    if (gx) { /* dcol [TB, CK] = G W, folded back into dx (col is no longer needed) */
        rc__sgemm(0, 0, TB, CK, Co, 1.0f, G, Co, w->data, CK, 0.0f, col, CK);
        unfold_1d(&s, gx, col, 0);
    }
    return RC_OK;
}

rc_tensor *rc_conv1d_causal(rc_tape *tp, rc_tensor *x, rc_tensor *w, rc_tensor *bias,
                            size_t dilation)
{
    rc_tensor *in[3] = {x, w, bias};
    if (rc__check_inputs(tp, "rc_conv1d_causal", 2, in))
        return NULL;
    char sx[64], sw[64];
    if (x->ndim != 3 || w->ndim != 3 || w->shape[1] != x->shape[2])
        return rc__fail_null(RC_ESHAPE, "rc_conv1d_causal: needs x [T, B, C_in] and w [C_out, C_in, K], "
                                        "got x %s and w %s",
                             rc_shape_str(x, sx, sizeof sx), rc_shape_str(w, sw, sizeof sw));
    size_t Co = w->shape[0];
    if (bias && (bias->ndim != 1 || bias->size != Co))
        return rc__fail_null(RC_ESHAPE, "rc_conv1d_causal: bias must be [%zu], got %s", Co,
                             rc_shape_str(bias, sx, sizeof sx));
    if (dilation == 0)
        return rc__fail_null(RC_EINVAL, "rc_conv1d_causal: dilation must be at least 1");
    conv1d_dims s = {x->shape[0], x->shape[1], x->shape[2], w->shape[2], dilation};
    size_t TB = s.T * s.B, CK = s.Ci * s.K;
    rc_tensor *y = rc__tape_output(tp, "rc_conv1d_causal", 3, (size_t[]){s.T, s.B, Co});
    float *col = rc__tape_alloc(tp, TB, CK * sizeof(float));
    if (!y || !col)
        return NULL;
    unfold_1d(&s, x->data, col, 1);
    for (size_t r = 0; bias && r < TB; r++)
        memcpy(y->data + r * Co, bias->data, Co * sizeof(float));
    rc__sgemm(0, 1, TB, Co, CK, 1.0f, col, CK, w->data, CK, bias ? 1.0f : 0.0f, y->data, Co);
    rc__node *node;
    if (rc__record(tp, RC__OP_conv1d_causal, conv1d_backward, y, 3, in, &node))
        return NULL;
    if (node) {
        node->saved = col;
        node->iarg[0] = dilation;
    }
    return y;
}

/* ------------------------------------------------------------ conv2d
 * Per image n: col [Ci*KH*KW, Ho*Wo] holds x[n, i, oh*sh - ph + kh, ow*sw - pw + kw]
 * (0 in the padding), and y[n] [Co, Ho*Wo] = W [Co, Ci*KH*KW] col + bias.
 * Backward: dW += dy[n] col^T,  dcol = W^T dy[n] folded into dx[n]. */

typedef struct {
    size_t Ci, H, W, KH, KW, sh, sw, ph, pw, Ho, Wo;
} conv2d_dims;

/* For one image: to_col: col = unfold(x); otherwise x += fold(col). */
static void unfold_2d(const conv2d_dims *s, float *x, float *col, int to_col)
{
    size_t HoWo = s->Ho * s->Wo;
    for (size_t i = 0; i < s->Ci; i++)
        for (size_t kh = 0; kh < s->KH; kh++)
            for (size_t kw = 0; kw < s->KW; kw++) {
                float *c = col + ((i * s->KH + kh) * s->KW + kw) * HoWo;
                for (size_t oh = 0; oh < s->Ho; oh++) {
                    size_t h = oh * s->sh + kh; /* row in padded coordinates */
                    int row_in = h >= s->ph && h - s->ph < s->H;
                    for (size_t ow = 0; ow < s->Wo; ow++) {
                        size_t w = ow * s->sw + kw;
                        float *src = row_in && w >= s->pw && w - s->pw < s->W
                                         ? x + (i * s->H + h - s->ph) * s->W + (w - s->pw)
                                         : NULL;
                        if (to_col)
                            c[oh * s->Wo + ow] = src ? *src : 0.0f;
                        else if (src)
                            *src += c[oh * s->Wo + ow];
                    }
                }
            }
}

static int conv2d_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *x = node->in[0], *w = node->in[1];
    const conv2d_dims *s = node->saved;
    size_t N = x->shape[0], Co = w->shape[0], CKK = s->Ci * s->KH * s->KW, HoWo = s->Ho * s->Wo;
    size_t x_img = s->Ci * s->H * s->W;
    float *g[3];
    int status = rc__input_grads(tp, node, g);
    if (status)
        return status;
    float *gx = g[0], *gw = g[1], *gb = g[2];
    float *col = rc__tape_alloc(tp, CKK, HoWo * sizeof(float));
    if (!col)
        return RC_ENOMEM;
    for (size_t n = 0; n < N; n++) {
        const float *G = node->out->grad + n * Co * HoWo;
        if (gb)
            for (size_t o = 0; o < Co; o++)
                for (size_t p = 0; p < HoWo; p++)
                    gb[o] += G[o * HoWo + p];
        if (gw) {
            unfold_2d(s, x->data + n * x_img, col, 1);
            rc__sgemm(0, 1, Co, CKK, HoWo, 1.0f, G, HoWo, col, HoWo, 1.0f, gw, CKK);
        }
        if (gx) {
            rc__sgemm(1, 0, CKK, HoWo, Co, 1.0f, w->data, CKK, G, HoWo, 0.0f, col, HoWo);
            unfold_2d(s, gx + n * x_img, col, 0);
        }
    }
    return RC_OK;
}

/* Output length of a window sweep, or 0 when the window does not fit. */
static size_t sweep(size_t len, size_t k, size_t stride, size_t pad)
{
    size_t padded = len + 2 * pad;
    return padded >= k ? (padded - k) / stride + 1 : 0;
}

rc_tensor *rc_conv2d(rc_tape *tp, rc_tensor *x, rc_tensor *w, rc_tensor *bias,
                     size_t stride_h, size_t stride_w, size_t pad_h, size_t pad_w)
{
    rc_tensor *in[3] = {x, w, bias};
    if (rc__check_inputs(tp, "rc_conv2d", 2, in))
        return NULL;
    char sx[64], sw[64];
    if (x->ndim != 4 || w->ndim != 4 || w->shape[1] != x->shape[1])
        return rc__fail_null(RC_ESHAPE, "rc_conv2d: needs x [N, C_in, H, W] and w [C_out, C_in, KH, KW], "
                                        "got x %s and w %s",
                             rc_shape_str(x, sx, sizeof sx), rc_shape_str(w, sw, sizeof sw));
    size_t N = x->shape[0], Co = w->shape[0];
    if (bias && (bias->ndim != 1 || bias->size != Co))
        return rc__fail_null(RC_ESHAPE, "rc_conv2d: bias must be [%zu], got %s", Co,
                             rc_shape_str(bias, sx, sizeof sx));
    if (stride_h == 0 || stride_w == 0)
        return rc__fail_null(RC_EINVAL, "rc_conv2d: strides must be at least 1");
    conv2d_dims s = {x->shape[1], x->shape[2], x->shape[3], w->shape[2], w->shape[3],
                     stride_h, stride_w, pad_h, pad_w, 0, 0};
    s.Ho = sweep(s.H, s.KH, stride_h, pad_h);
    s.Wo = sweep(s.W, s.KW, stride_w, pad_w);
    if (!s.Ho || !s.Wo)
        return rc__fail_null(RC_ESHAPE, "rc_conv2d: kernel %zux%zu is larger than the padded input "
                                        "%zux%zu",
                             s.KH, s.KW, s.H + 2 * pad_h, s.W + 2 * pad_w);
    size_t CKK = s.Ci * s.KH * s.KW, HoWo = s.Ho * s.Wo;
    rc_tensor *y = rc__tape_output(tp, "rc_conv2d", 4, (size_t[]){N, Co, s.Ho, s.Wo});
    float *col = rc__tape_alloc(tp, CKK, HoWo * sizeof(float));
    if (!y || !col)
        return NULL;
    for (size_t n = 0; n < N; n++) {
        float *yn = y->data + n * Co * HoWo;
        unfold_2d(&s, x->data + n * s.Ci * s.H * s.W, col, 1);
        for (size_t o = 0; o < Co; o++)
            for (size_t p = 0; p < HoWo; p++)
                yn[o * HoWo + p] = bias ? bias->data[o] : 0.0f;
        rc__sgemm(0, 0, Co, HoWo, CKK, 1.0f, w->data, CKK, col, HoWo, 1.0f, yn, HoWo);
    }
    rc__node *node;
    if (rc__record(tp, RC__OP_conv2d, conv2d_backward, y, 3, in, &node))
        return NULL;
    if (node) {
        conv2d_dims *saved = rc__tape_alloc(tp, 1, sizeof *saved);
        if (!saved)
            return NULL;
        *saved = s;
        node->saved = saved;
    }
    return y;
}

/* ------------------------------------------------------------ max pooling
 * y[n, c, oh, ow] = max over the window of x (padding never wins);
 * dx[argmax] += dy. */

static int max_pool_backward(rc_tape *tp, rc__node *node)
{
    const size_t *argmax = node->saved;
    int status;
    float *gx = rc__grad(tp, node->in[0], &status);
    if (!gx)
        return status;
    for (size_t k = 0; k < node->out->size; k++)
        gx[argmax[k]] += node->out->grad[k];
    return RC_OK;
}

rc_tensor *rc_max_pool2d(rc_tape *tp, rc_tensor *x, size_t k_h, size_t k_w, size_t stride_h,
                         size_t stride_w, size_t pad_h, size_t pad_w)
{
    if (rc__check_inputs(tp, "rc_max_pool2d", 1, &x))
        return NULL;
    char sx[64];
    if (x->ndim != 4)
        return rc__fail_null(RC_ESHAPE, "rc_max_pool2d: needs x [N, C, H, W], got %s",
                             rc_shape_str(x, sx, sizeof sx));
    if (k_h == 0 || k_w == 0 || stride_h == 0 || stride_w == 0)
        return rc__fail_null(RC_EINVAL, "rc_max_pool2d: window and strides must be at least 1");
    if (2 * pad_h > k_h || 2 * pad_w > k_w)
        return rc__fail_null(RC_EINVAL, "rc_max_pool2d: padding %zux%zu is more than half the "
                                        "window %zux%zu",
                             pad_h, pad_w, k_h, k_w);
    size_t NC = x->shape[0] * x->shape[1], H = x->shape[2], W = x->shape[3];
    size_t Ho = sweep(H, k_h, stride_h, pad_h), Wo = sweep(W, k_w, stride_w, pad_w);
    if (!Ho || !Wo)
        return rc__fail_null(RC_ESHAPE, "rc_max_pool2d: window %zux%zu is larger than the padded "
                                        "input %zux%zu",
                             k_h, k_w, H + 2 * pad_h, W + 2 * pad_w);
    rc_tensor *y = rc__tape_output(tp, "rc_max_pool2d", 4,
                                   (size_t[]){x->shape[0], x->shape[1], Ho, Wo});
    size_t *argmax = rc__tape_alloc(tp, NC * Ho * Wo, sizeof *argmax);
    if (!y || !argmax)
        return NULL;
    for (size_t p = 0; p < NC; p++)
        for (size_t oh = 0; oh < Ho; oh++)
            for (size_t ow = 0; ow < Wo; ow++) {
                size_t best = SIZE_MAX;
                for (size_t kh = 0; kh < k_h; kh++)
                    for (size_t kw = 0; kw < k_w; kw++) {
                        size_t h = oh * stride_h + kh, w = ow * stride_w + kw;
                        if (h < pad_h || h - pad_h >= H || w < pad_w || w - pad_w >= W)
                            continue;
                        size_t at = (p * H + h - pad_h) * W + (w - pad_w);
                        if (best == SIZE_MAX || x->data[at] > x->data[best])
                            best = at;
                    }
                assert(best != SIZE_MAX); /* pad <= k/2 leaves every window a real input */
                size_t k = (p * Ho + oh) * Wo + ow;
                y->data[k] = x->data[best];
                argmax[k] = best;
            }
    rc__node *node;
    if (rc__record(tp, RC__OP_max_pool2d, max_pool_backward, y, 1, &x, &node))
        return NULL;
    if (node)
        node->saved = argmax;
    return y;
}
