/* memory.c — operations for networks with an addressable memory (the
 * Neural Turing Machine, Graves et al. 2014, arXiv:1410.5401, section 3.3):
 *   repeat         y [R n, F]: each row of x [R, F] n times in a row, so that
 *                  a per-sequence vector (a key, an erase vector) meets every
 *                  row of that sequence's memory [B N, W] in elementwise ops;
 *                  backward: the n copies' gradients summed
 *   circular_conv  y [B, N] = w circularly convolved with a shift kernel s
 *                  [B, K], K = 2r + 1 odd: y_i = sum_d s_(d+r) w_((i - d) mod N)
 *                  for d = -r..r (eq. 8, the kernel's support the shifts
 *                  -r..r); backward: dw_((i-d) mod N) += dy_i s_(d+r),
 *                  ds_(d+r) += sum_i dy_i w_((i - d) mod N)
 *   cosine_similarity  y [B, N]: K(k, M_i) = k . M_i / (|k| |M_i| + eps) for
 *                  every row M_i of memory m [B, N, W] and key k [B, W]
 *                  (eq. 6, eps as in Collier & Beel's code); backward, with
 *                  d = k . M_i and q = |k| |M_i| + eps:
 *                  dM_i += dy_i (k / q - d |k| M_i / (|M_i| q^2)),
 *                  dk += dy_i (M_i / q - d |M_i| k / (|k| q^2)), the second
 *                  terms 0 where the norm is 0 (the subgradient at 0); the
 *                  forward keeps the norms, and d = K q
 *   memory_read    r [B, W] = sum_i w_i M_i of weights w [B, N] over the rows
 *                  of m [B, N, W] (eq. 2); backward: dM_i += w_i dr,
 *                  dw_i += M_i . dr
 *   memory_write   M' = M * prod_v (1 - w_v e_v^T) + sum_v w_v a_v^T for V
 *                  heads' w [B, V, N], e and a [B, V, W] (eq. 3-4: every
 *                  erase, then every add); backward, with
 *                  P_ik = prod_v (1 - w_vi e_vk) and Q_vik the same product
 *                  without head v: dM += dM' P,
 *                  dw_vi += sum_k dM'_ik (a_vk - M_ik Q_vik e_vk),
 *                  de_vk -= sum_i dM'_ik M_ik Q_vik w_vi,
 *                  da_vk += sum_i dM'_ik w_vi
 * (the last two do in one pass over the memory what the composed products,
 * repeats and sums do in several: the NTM's step) */
#include "ops.h"

#include <math.h>
#include <string.h>

static int repeat_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *x = node->in[0];
    size_t n = node->iarg[0], F = x->shape[1], R = x->shape[0];
    float *grads[1];
    int status = rc__input_grads(tp, node, grads);
    if (status || !grads[0])
        return status;
    for (size_t r = 0; r < R; r++)
        for (size_t k = 0; k < n; k++) {
            const float *g = node->out->grad + (r * n + k) * F;
            for (size_t f = 0; f < F; f++)
                grads[0][r * F + f] += g[f];
        }
    return RC_OK;
}

rc_tensor *rc_repeat(rc_tape *tp, rc_tensor *x, size_t n)
{
    char sx[64];
    if (rc__check_inputs(tp, "rc_repeat", 1, &x))
        return NULL;
    if (x->ndim != 2 || n == 0)
        return rc__fail_null(RC_ESHAPE, "rc_repeat: x must be [R, F] and n at least 1, got %s and %zu",
                             rc_shape_str(x, sx, sizeof sx), n);
    size_t R = x->shape[0], F = x->shape[1], rows;
    if (!rc__mul_size(R, n, &rows))
        return rc__fail_null(RC_EINVAL, "rc_repeat: %zu rows %zu times are too many", R, n);
    rc_tensor *y = rc__tape_output(tp, "rc_repeat", 2, (size_t[]){rows, F});
    if (!y)
        return NULL;
    for (size_t r = 0; r < R; r++)
        for (size_t k = 0; k < n; k++)
            memcpy(y->data + (r * n + k) * F, x->data + r * F, F * sizeof(float));
    rc__node *node;
    if (rc__record(tp, RC__OP_repeat, repeat_backward, y, 1, &x, &node))
        return NULL;
    if (node)
        node->iarg[0] = n;
    return y;
}

static int circular_conv_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *w = node->in[0], *s = node->in[1];
    size_t B = w->shape[0], N = w->shape[1], K = s->shape[1], r = K / 2;
    const float *g = node->out->grad;
    float *grads[2];
    int status = rc__input_grads(tp, node, grads);
    if (status)
        return status;
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < K; j++) {
                size_t from = (i + N * K - j + r) % N; /* (i - d) mod N, d = j - r */
                if (grads[0])
                    grads[0][b * N + from] += g[b * N + i] * s->data[b * K + j];
                if (grads[1])
                    grads[1][b * K + j] += g[b * N + i] * w->data[b * N + from];
            }
    return RC_OK;
}

rc_tensor *rc_circular_conv(rc_tape *tp, rc_tensor *w, rc_tensor *s)
{
    rc_tensor *in[2] = {w, s};
    char sw[64], ss[64];
    if (rc__check_inputs(tp, "rc_circular_conv", 2, in))
        return NULL;
    if (w->ndim != 2 || s->ndim != 2 || s->shape[0] != w->shape[0] || s->shape[1] % 2 == 0 ||
        s->shape[1] > w->shape[1])
        return rc__fail_null(RC_ESHAPE, "rc_circular_conv: w must be [B, N] and s [B, K] with K odd and at most N, "
                                        "got %s and %s",
                             rc_shape_str(w, sw, sizeof sw), rc_shape_str(s, ss, sizeof ss));
    size_t B = w->shape[0], N = w->shape[1], K = s->shape[1], r = K / 2;
    rc_tensor *y = rc__tape_output(tp, "rc_circular_conv", 2, w->shape);
    if (!y)
        return NULL;
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < N; i++) {
            float sum = 0.0f;
            for (size_t j = 0; j < K; j++)
                sum += s->data[b * K + j] * w->data[b * N + (i + N * K - j + r) % N];
            y->data[b * N + i] = sum;
        }
    rc__node *node;
    return rc__record(tp, RC__OP_circular_conv, circular_conv_backward, y, 2, in, &node) ? NULL : y;
}

/* |x| of n floats, in double. */
static double norm(const float *x, size_t n)
{
    double s = 0.0;
    for (size_t j = 0; j < n; j++)
        s += (double)x[j] * x[j];
    return sqrt(s);
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t j = 0; j < n; j++)
        s += (double)a[j] * b[j];
    return s;
}

static int cosine_similarity_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *m = node->in[0], *k = node->in[1];
    size_t B = m->shape[0], N = m->shape[1], W = m->shape[2];
    double eps = node->farg[0];
    float *grads[2];
    int status = rc__input_grads(tp, node, grads);
    if (status)
        return status;
    const float *norms = node->saved; /* the forward's |M_i| [B N], then |k| [B] */
    for (size_t b = 0; b < B; b++) {
        const float *kb = k->data + b * W;
        double nk = norms[B * N + b];
        for (size_t i = 0; i < N; i++) {
            const float *mi = m->data + (b * N + i) * W;
            double g = node->out->grad[b * N + i], nm = norms[b * N + i], q = nk * nm + eps;
            double d = (double)node->out->data[b * N + i] * q; /* k . M_i, from K = d / q */
            double over_m = nm > 0.0 ? d * nk / (nm * q * q) : 0.0, over_k = nk > 0.0 ? d * nm / (nk * q * q) : 0.0;
            for (size_t j = 0; j < W; j++) {
                if (grads[0])
                    grads[0][(b * N + i) * W + j] += (float)(g * (kb[j] / q - over_m * mi[j]));
                if (grads[1])
                    grads[1][b * W + j] += (float)(g * (mi[j] / q - over_k * kb[j]));
            }
        }
    }
    return RC_OK;
}

rc_tensor *rc_cosine_similarity(rc_tape *tp, rc_tensor *m, rc_tensor *k, float eps)
{
    rc_tensor *in[2] = {m, k};
    char sm[64], sk[64];
    if (rc__check_inputs(tp, "rc_cosine_similarity", 2, in))
        return NULL;
    if (m->ndim != 3 || k->ndim != 2 || k->shape[0] != m->shape[0] || k->shape[1] != m->shape[2])
        return rc__fail_null(RC_ESHAPE, "rc_cosine_similarity: m must be [B, N, W] and k [B, W], got %s and %s",
                             rc_shape_str(m, sm, sizeof sm), rc_shape_str(k, sk, sizeof sk));
    if (!(eps > 0.0f))
        return rc__fail_null(RC_EINVAL, "rc_cosine_similarity: eps must be positive, got %g", (double)eps);
    size_t B = m->shape[0], N = m->shape[1], W = m->shape[2];
    rc_tensor *y = rc__tape_output(tp, "rc_cosine_similarity", 2, (size_t[]){B, N});
    if (!y)
        return NULL;
    float *norms = rc__tape_alloc(tp, B * N + B, sizeof *norms); /* kept for the backward */
    if (!norms)
        return NULL;
    for (size_t b = 0; b < B; b++) {
        const float *kb = k->data + b * W;
        double nk = norms[B * N + b] = (float)norm(kb, W);
        for (size_t i = 0; i < N; i++) {
            const float *mi = m->data + (b * N + i) * W;
            double nm = norms[b * N + i] = (float)norm(mi, W);
            y->data[b * N + i] = (float)(dot(mi, kb, W) / (nk * nm + eps));
        }
    }
    rc__node *node;
    if (rc__record(tp, RC__OP_cosine_similarity, cosine_similarity_backward, y, 2, in, &node))
        return NULL;
    if (node)
        node->farg[0] = eps, node->saved = norms;
    return y;
}

static int memory_read_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *m = node->in[0], *w = node->in[1];
    size_t B = m->shape[0], N = m->shape[1], W = m->shape[2];
    const float *g = node->out->grad;
    float *grads[2];
    int status = rc__input_grads(tp, node, grads);
    if (status)
        return status;
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < N; i++) {
            const float *mi = m->data + (b * N + i) * W, *gb = g + b * W;
            float wi = w->data[b * N + i];
            if (grads[0])
                for (size_t k = 0; k < W; k++)
                    grads[0][(b * N + i) * W + k] += wi * gb[k];
            if (grads[1])
                grads[1][b * N + i] += (float)dot(mi, gb, W);
        }
    return RC_OK;
}

rc_tensor *rc_memory_read(rc_tape *tp, rc_tensor *m, rc_tensor *w)
{
    rc_tensor *in[2] = {m, w};
    char sm[64], sw[64];
    if (rc__check_inputs(tp, "rc_memory_read", 2, in))
        return NULL;
    if (m->ndim != 3 || w->ndim != 2 || w->shape[0] != m->shape[0] || w->shape[1] != m->shape[1])
        return rc__fail_null(RC_ESHAPE, "rc_memory_read: m must be [B, N, W] and w [B, N], got %s and %s",
                             rc_shape_str(m, sm, sizeof sm), rc_shape_str(w, sw, sizeof sw));
    size_t B = m->shape[0], N = m->shape[1], W = m->shape[2];
    rc_tensor *r = rc__tape_output(tp, "rc_memory_read", 2, (size_t[]){B, W});
    if (!r)
        return NULL;
    memset(r->data, 0, B * W * sizeof(float));
    for (size_t b = 0; b < B; b++) {
        float *rb = r->data + b * W;
        for (size_t i = 0; i < N; i++) {
            float wi = w->data[b * N + i];
            const float *mi = m->data + (b * N + i) * W;
            for (size_t k = 0; k < W; k++)
                rb[k] += wi * mi[k];
        }
    }
    rc__node *node;
    return rc__record(tp, RC__OP_memory_read, memory_read_backward, r, 2, in, &node) ? NULL : r;
}

/* prod over heads u != skip of (1 - w_ui e_uk) at row i, column k (skip = V: all). */
static float kept_fraction(const float *w, const float *e, size_t V, size_t N, size_t W, size_t i, size_t k,
                           size_t skip)
{
    float p = 1.0f;
    for (size_t u = 0; u < V; u++)
        if (u != skip)
            p *= 1.0f - w[u * N + i] * e[u * W + k];
    return p;
}

static int memory_write_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *m = node->in[0], *w = node->in[1], *e = node->in[2], *a = node->in[3];
    size_t B = m->shape[0], N = m->shape[1], W = m->shape[2], V = w->shape[1];
    const float *g = node->out->grad;
    float *grads[4];
    int status = rc__input_grads(tp, node, grads);
    if (status)
        return status;
    for (size_t b = 0; b < B; b++) {
        const float *wb = w->data + b * V * N, *eb = e->data + b * V * W, *ab = a->data + b * V * W;
        for (size_t i = 0; i < N; i++)
            for (size_t k = 0; k < W; k++) {
                size_t at = (b * N + i) * W + k;
                float gik = g[at], mik = m->data[at];
                if (grads[0])
                    grads[0][at] += gik * kept_fraction(wb, eb, V, N, W, i, k, V);
                for (size_t v = 0; v < V; v++) {
                    float q = kept_fraction(wb, eb, V, N, W, i, k, v), wvi = wb[v * N + i], evk = eb[v * W + k];
                    if (grads[1])
                        grads[1][(b * V + v) * N + i] += gik * (ab[v * W + k] - mik * q * evk);
                    if (grads[2])
                        grads[2][(b * V + v) * W + k] -= gik * mik * q * wvi;
                    if (grads[3])
                        grads[3][(b * V + v) * W + k] += gik * wvi;
                }
            }
    }
    return RC_OK;
}

rc_tensor *rc_memory_write(rc_tape *tp, rc_tensor *m, rc_tensor *w, rc_tensor *e, rc_tensor *a)
{
    rc_tensor *in[4] = {m, w, e, a};
    char sm[64], sw[64], se[64], sa[64];
    if (rc__check_inputs(tp, "rc_memory_write", 4, in))
        return NULL;
    if (m->ndim != 3 || w->ndim != 3 || e->ndim != 3 || a->ndim != 3 || w->shape[0] != m->shape[0] ||
        w->shape[2] != m->shape[1] || e->shape[0] != m->shape[0] || e->shape[1] != w->shape[1] ||
        e->shape[2] != m->shape[2] || a->shape[0] != e->shape[0] || a->shape[1] != e->shape[1] ||
        a->shape[2] != e->shape[2])
        return rc__fail_null(RC_ESHAPE, "rc_memory_write: m must be [B, N, W], w [B, V, N], e and a [B, V, W], "
                                        "got %s, %s, %s and %s",
                             rc_shape_str(m, sm, sizeof sm), rc_shape_str(w, sw, sizeof sw),
                             rc_shape_str(e, se, sizeof se), rc_shape_str(a, sa, sizeof sa));
    size_t B = m->shape[0], N = m->shape[1], W = m->shape[2], V = w->shape[1];
    rc_tensor *y = rc__tape_output(tp, "rc_memory_write", 3, m->shape);
    if (!y)
        return NULL;
    for (size_t b = 0; b < B; b++) {
        const float *wb = w->data + b * V * N, *eb = e->data + b * V * W, *ab = a->data + b * V * W;
        for (size_t i = 0; i < N; i++)
            for (size_t k = 0; k < W; k++) {
                float added = 0.0f;
                for (size_t v = 0; v < V; v++)
                    added += wb[v * N + i] * ab[v * W + k];
                size_t at = (b * N + i) * W + k;
                y->data[at] = m->data[at] * kept_fraction(wb, eb, V, N, W, i, k, V) + added;
            }
    }
    rc__node *node;
    return rc__record(tp, RC__OP_memory_write, memory_write_backward, y, 4, in, &node) ? NULL : y;
}
