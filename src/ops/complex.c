/* complex.c — operations on complex vectors held as the two halves of the
 * last axis, [..., 2n] = n real parts then n imaginary parts: the pieces of
 * the unitary RNN's transition (Arjovsky, Shah & Bengio 2016).
 *   phase    y = e^{i theta} z                     theta [n]: a diagonal D
 *   reflect  y = z - 2 v (v^H z) / (v^H v)         v [2n]: a reflection R
 *   fft      y = F z, F_jk = e^{-2 pi i jk/n}/sqrt(n), or F^-1 = F^H (unitary)
 *   permute  y_k = z_perm[k]                       a permutation P
 *   modrelu  y = (|z| + b) z / |z| where |z| + b > 0, else 0   b [n]
 *   mul      y = a b, entry by entry                  (HRR's binding)
 *   bound    y = z / max(1, |z|), entry by entry      (the Associative LSTM's)
 * Gradients, g = dL/dy_re + i dL/dy_im so that dL = Re(g^H dy):
 *   phase    dz = e^{-i theta} g,  dtheta += Re(g)(-Im y) + Im(g) Re y
 *   reflect  dz = R g (R is Hermitian); with s = v^H z, a = g^H v, q = v^H v:
 *            dv += -(2/q) conj(s) g - (2/q) a z + (4/q^2) Re(a s) v
 *   fft      dz = F^H g (the inverse transform of g; of the inverse, F g)
 *   permute  dz_perm[k] += g_k
 *   modrelu  with m = |z|, u = z/m, f = m + b > 0:
 *            dz = (f/m) g + (1 - f/m) u Re(u^H g),  db += Re(u^H g)
 *            (0 where f <= 0 or m = 0: the unit is off)
 *   mul      da = conj(b) g, db = conj(a) g
 *   bound    dz = g where |z| <= 1; else (g - u Re(u^H g)) / |z|, u = z / |z|
 * The transform is KissFFT's (Debian libkissfft-dev), any n. */
#include "ops.h"

#include <kiss_fft.h>
#include <math.h>
#include <string.h>

/* n, the complex entries of the last axis of z [..., 2n], and its rows; 0
 * with a message when the last axis is odd. */
static size_t halves(const char *who, const rc_tensor *z, size_t *rows)
{
    size_t last = z->shape[z->ndim - 1];
    char s[64];
    if (last % 2 || last == 0) {
        rc__fail(RC_ESHAPE, "%s: z %s must hold [re | im] halves: its last axis must be even", who,
                 rc_shape_str(z, s, sizeof s));
        return 0;
    }
    *rows = z->size / last;
    return last / 2;
}

/* 0 when p is a vector [len]; else a shape error for `who`. */
static int check_vector(const char *who, const char *what, const rc_tensor *p, size_t len, const rc_tensor *z)
{
    char sz[64], sp[64];
    if (p->ndim == 1 && p->size == len)
        return RC_OK;
    return rc__fail(RC_ESHAPE, "%s: %s must be [%zu] for z %s, got %s", who, what, len, rc_shape_str(z, sz, sizeof sz),
                    rc_shape_str(p, sp, sizeof sp));
}

/* ---------------------------------------------------------------- phase */

static int phase_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *z = node->in[0], *th = node->in[1], *y = node->out;
    size_t n = th->size, rows = z->size / (2 * n);
    const float *g = y->grad;
    float *grads[2];
    int status = rc__input_grads(tp, node, grads);
    if (status)
        return status;
    for (size_t k = 0; k < n; k++) { /* one cos and sin per phase, as the forward */
        float c = cosf(th->data[k]), s = sinf(th->data[k]);
        for (size_t r = 0; r < rows; r++) {
            const float *gr = g + r * 2 * n, *yr = y->data + r * 2 * n;
            if (grads[0]) {
                grads[0][r * 2 * n + k] += c * gr[k] + s * gr[n + k];
                grads[0][r * 2 * n + n + k] += c * gr[n + k] - s * gr[k];
            }
            if (grads[1])
                grads[1][k] += gr[n + k] * yr[k] - gr[k] * yr[n + k];
        }
    }
    return RC_OK;
}

rc_tensor *rc_complex_phase(rc_tape *tp, rc_tensor *z, rc_tensor *theta)
{
    rc_tensor *in[2] = {z, theta};
    size_t rows;
    if (rc__check_inputs(tp, "rc_complex_phase", 2, in))
        return NULL;
    size_t n = halves("rc_complex_phase", z, &rows);
    if (!n || check_vector("rc_complex_phase", "theta", theta, n, z))
        return NULL;
    rc_tensor *y = rc__tape_output(tp, "rc_complex_phase", z->ndim, z->shape);
    if (!y)
        return NULL;
    for (size_t k = 0; k < n; k++) {
        float c = cosf(theta->data[k]), s = sinf(theta->data[k]);
        for (size_t r = 0; r < rows; r++) {
            const float *zr = z->data + r * 2 * n;
            y->data[r * 2 * n + k] = c * zr[k] - s * zr[n + k];
            y->data[r * 2 * n + n + k] = s * zr[k] + c * zr[n + k];
        }
    }
    rc__node *node;
    return rc__record(tp, RC__OP_complex_phase, phase_backward, y, 2, in, &node) ? NULL : y;
}

/* ---------------------------------------------------------------- reflect */

/* y [2n] = x - (2/q) v (v^H x) for one row; *s_re, *s_im get v^H x. */
static void reflect_row(const float *v, double q, size_t n, const float *x, float *y, double *s_re, double *s_im)
{
    double sr = 0.0, si = 0.0;
    for (size_t k = 0; k < n; k++) {
        sr += (double)v[k] * x[k] + (double)v[n + k] * x[n + k];
        si += (double)v[k] * x[n + k] - (double)v[n + k] * x[k];
    }
    double a = 2.0 * sr / q, b = 2.0 * si / q;
    for (size_t k = 0; k < n; k++) {
        float re = x[k], im = x[n + k];
        y[k] = re - (float)(v[k] * a - v[n + k] * b);
        y[n + k] = im - (float)(v[k] * b + v[n + k] * a);
    }
    *s_re = sr, *s_im = si;
}

static double squared_norm(const float *v, size_t len)
{
    double q = 0.0;
    for (size_t k = 0; k < len; k++)
        q += (double)v[k] * v[k];
    return q;
}

static int reflect_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *z = node->in[0], *v = node->in[1];
    size_t n = v->size / 2, rows = z->size / (2 * n);
    const float *g = node->out->grad, *vd = v->data;
    double q = squared_norm(vd, 2 * n);
    float *grads[2];
    int status = rc__input_grads(tp, node, grads);
    if (status)
        return status;
    for (size_t r = 0; r < rows; r++) {
        const float *gr = g + r * 2 * n, *zr = z->data + r * 2 * n;
        double sr, si, ar = 0.0, ai = 0.0;
        if (grads[0]) { /* dz = R g */
            float *gz = grads[0] + r * 2 * n;
            double pr = 0.0, pi = 0.0, tr, ti;
            for (size_t k = 0; k < n; k++) {
                pr += (double)vd[k] * gr[k] + (double)vd[n + k] * gr[n + k];
                pi += (double)vd[k] * gr[n + k] - (double)vd[n + k] * gr[k];
            }
            tr = 2.0 * pr / q, ti = 2.0 * pi / q;
            for (size_t k = 0; k < n; k++) {
                gz[k] += gr[k] - (float)(vd[k] * tr - vd[n + k] * ti);
                gz[n + k] += gr[n + k] - (float)(vd[k] * ti + vd[n + k] * tr);
            }
        }
        if (!grads[1])
            continue;
        sr = si = 0.0;
        for (size_t k = 0; k < n; k++) {
            sr += (double)vd[k] * zr[k] + (double)vd[n + k] * zr[n + k];
            si += (double)vd[k] * zr[n + k] - (double)vd[n + k] * zr[k];
            ar += (double)gr[k] * vd[k] + (double)gr[n + k] * vd[n + k];
            ai += (double)gr[k] * vd[n + k] - (double)gr[n + k] * vd[k];
        }
        double c3 = 4.0 * (ar * sr - ai * si) / (q * q);
        for (size_t k = 0; k < n; k++) {
            double re = -(2.0 / q) * (sr * gr[k] + si * gr[n + k]) - (2.0 / q) * (ar * zr[k] - ai * zr[n + k]) +
                        c3 * vd[k];
            double im = -(2.0 / q) * (sr * gr[n + k] - si * gr[k]) - (2.0 / q) * (ar * zr[n + k] + ai * zr[k]) +
                        c3 * vd[n + k];
            grads[1][k] += (float)re;
            grads[1][n + k] += (float)im;
        }
    }
    return RC_OK;
}

rc_tensor *rc_complex_reflect(rc_tape *tp, rc_tensor *z, rc_tensor *v)
{
    rc_tensor *in[2] = {z, v};
    size_t rows;
    if (rc__check_inputs(tp, "rc_complex_reflect", 2, in))
        return NULL;
    size_t n = halves("rc_complex_reflect", z, &rows);
    if (!n || check_vector("rc_complex_reflect", "v", v, 2 * n, z))
        return NULL;
    double q = squared_norm(v->data, 2 * n);
    if (!(q > 0.0) || !isfinite(q))
        return rc__fail_null(RC_EINVAL, "rc_complex_reflect: v must be non-zero and finite (|v|^2 = %g)", q);
    rc_tensor *y = rc__tape_output(tp, "rc_complex_reflect", z->ndim, z->shape);
    if (!y)
        return NULL;
    for (size_t r = 0; r < rows; r++) {
        double sr, si;
        reflect_row(v->data, q, n, z->data + r * 2 * n, y->data + r * 2 * n, &sr, &si);
    }
    rc__node *node;
    return rc__record(tp, RC__OP_complex_reflect, reflect_backward, y, 2, in, &node) ? NULL : y;
}

/* ---------------------------------------------------------------- fft */

/* y = the unitary transform of x, row by row ([re | im] halves), through
 * KissFFT's plan cfg; buf [2n] scratch of kiss_fft_cpx pairs. */
static void fft_rows(kiss_fft_cfg cfg, size_t n, size_t rows, const float *x, float *y, kiss_fft_cpx *buf,
                     kiss_fft_cpx *out, int accumulate)
{
    float scale = 1.0f / sqrtf((float)n);
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * 2 * n;
        float *yr = y + r * 2 * n;
        for (size_t k = 0; k < n; k++)
            buf[k].r = xr[k], buf[k].i = xr[n + k];
        kiss_fft(cfg, buf, out);
        for (size_t k = 0; k < n; k++) {
            float re = out[k].r * scale, im = out[k].i * scale;
            yr[k] = accumulate ? yr[k] + re : re;
            yr[n + k] = accumulate ? yr[n + k] + im : im;
        }
    }
}

/* A KissFFT plan of n points held on the tape (NULL when out of memory). */
static kiss_fft_cfg plan(rc_tape *tp, size_t n, int inverse)
{
    size_t len = 0;
    kiss_fft_alloc((int)n, inverse, NULL, &len);
    void *mem = rc__tape_alloc(tp, len, 1);
    return mem ? kiss_fft_alloc((int)n, inverse, mem, &len) : NULL;
}

static int fft_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *z = node->in[0];
    size_t n = z->shape[z->ndim - 1] / 2, rows = z->size / (2 * n);
    float *grads[1];
    int status = rc__input_grads(tp, node, grads);
    if (status || !grads[0])
        return status;
    kiss_fft_cfg cfg = plan(tp, n, !(int)node->iarg[0]); /* the adjoint: the other direction */
    kiss_fft_cpx *buf = rc__tape_alloc(tp, 2 * n, sizeof *buf);
    if (!cfg || !buf)
        return rc__fail(RC_ENOMEM, "rc_complex_fft: out of memory for the backward");
    fft_rows(cfg, n, rows, node->out->grad, grads[0], buf, buf + n, 1);
    return RC_OK;
}

rc_tensor *rc_complex_fft(rc_tape *tp, rc_tensor *z, int inverse)
{
    rc_tensor *in[1] = {z};
    size_t rows;
    if (rc__check_inputs(tp, "rc_complex_fft", 1, in))
        return NULL;
    size_t n = halves("rc_complex_fft", z, &rows);
    if (!n)
        return NULL;
    if (n > (1u << 24))
        return rc__fail_null(RC_EINVAL, "rc_complex_fft: %zu points are too many", n);
    rc_tensor *y = rc__tape_output(tp, "rc_complex_fft", z->ndim, z->shape);
    kiss_fft_cfg cfg = y ? plan(tp, n, inverse != 0) : NULL;
    kiss_fft_cpx *buf = cfg ? rc__tape_alloc(tp, 2 * n, sizeof *buf) : NULL;
    if (!buf)
        return y ? rc__fail_null(RC_ENOMEM, "rc_complex_fft: out of memory for %zu points", n) : NULL;
    fft_rows(cfg, n, rows, z->data, y->data, buf, buf + n, 0);
    rc__node *node;
    if (rc__record(tp, RC__OP_complex_fft, fft_backward, y, 1, in, &node))
        return NULL;
    if (node)
        node->iarg[0] = inverse != 0;
    return y;
}

/* ---------------------------------------------------------------- permute */

static int permute_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *z = node->in[0];
    size_t n = z->shape[z->ndim - 1] / 2, rows = z->size / (2 * n);
    const int32_t *perm = node->saved;
    float *grads[1];
    int status = rc__input_grads(tp, node, grads);
    if (status || !grads[0])
        return status;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < n; k++) {
            grads[0][r * 2 * n + (size_t)perm[k]] += node->out->grad[r * 2 * n + k];
            grads[0][r * 2 * n + n + (size_t)perm[k]] += node->out->grad[r * 2 * n + n + k];
        }
    return RC_OK;
}

rc_tensor *rc_complex_permute(rc_tape *tp, rc_tensor *z, const int32_t *perm)
{
    rc_tensor *in[1] = {z};
    size_t rows;
    if (rc__check_inputs(tp, "rc_complex_permute", 1, in))
        return NULL;
    size_t n = halves("rc_complex_permute", z, &rows);
    if (!n)
        return NULL;
    if (!perm)
        return rc__fail_null(RC_EINVAL, "rc_complex_permute: perm is NULL");
    int32_t *kept = rc__tape_alloc(tp, n, sizeof *kept);
    unsigned char *seen = rc__tape_alloc(tp, n, 1);
    if (!kept || !seen)
        return rc__fail_null(RC_ENOMEM, "rc_complex_permute: out of memory");
    memset(seen, 0, n);
    for (size_t k = 0; k < n; k++) {
        if (perm[k] < 0 || (size_t)perm[k] >= n || seen[perm[k]])
            return rc__fail_null(RC_EINVAL, "rc_complex_permute: perm is not a permutation of 0..%zu (entry %zu is %ld)",
                                 n - 1, k, (long)perm[k]);
        seen[perm[k]] = 1;
    }
    memcpy(kept, perm, n * sizeof *kept);
    rc_tensor *y = rc__tape_output(tp, "rc_complex_permute", z->ndim, z->shape);
    if (!y)
        return NULL;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < n; k++) {
            y->data[r * 2 * n + k] = z->data[r * 2 * n + (size_t)kept[k]];
            y->data[r * 2 * n + n + k] = z->data[r * 2 * n + n + (size_t)kept[k]];
        }
    rc__node *node;
    if (rc__record(tp, RC__OP_complex_permute, permute_backward, y, 1, in, &node))
        return NULL;
    if (node)
        node->saved = kept;
    return y;
}

/* ---------------------------------------------------------------- modrelu */

static int modrelu_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *z = node->in[0], *b = node->in[1];
    size_t n = z->shape[z->ndim - 1] / 2, rows = z->size / (2 * n);
    const float *g = node->out->grad;
    float *grads[2];
    int status = rc__input_grads(tp, node, grads);
    if (status)
        return status;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < n; k++) {
            size_t re = r * 2 * n + k, im = re + n;
            float a = z->data[re], c = z->data[im], m = sqrtf(a * a + c * c), f = m + (b ? b->data[k] : 0.0f);
            if (!(m > 0.0f) || !(f > 0.0f))
                continue;
            float ur = a / m, ui = c / m, ug = ur * g[re] + ui * g[im], ratio = f / m;
            if (grads[0]) {
                grads[0][re] += ratio * g[re] + (1.0f - ratio) * ur * ug;
                grads[0][im] += ratio * g[im] + (1.0f - ratio) * ui * ug;
            }
            if (grads[1])
                grads[1][k] += ug;
        }
    return RC_OK;
}

rc_tensor *rc_modrelu(rc_tape *tp, rc_tensor *z, rc_tensor *b)
{
    rc_tensor *in[2] = {z, b};
    size_t rows;
    if (rc__check_inputs(tp, "rc_modrelu", 1, in))
        return NULL;
    size_t n = halves("rc_modrelu", z, &rows);
    if (!n || (b && check_vector("rc_modrelu", "b", b, n, z)))
        return NULL;
    rc_tensor *y = rc__tape_output(tp, "rc_modrelu", z->ndim, z->shape);
    if (!y)
        return NULL;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < n; k++) {
            size_t re = r * 2 * n + k, im = re + n;
            float a = z->data[re], c = z->data[im], m = sqrtf(a * a + c * c), f = m + (b ? b->data[k] : 0.0f);
            float scale = m > 0.0f && f > 0.0f ? f / m : 0.0f;
            y->data[re] = scale * a;
            y->data[im] = scale * c;
        }
    rc__node *node;
    return rc__record(tp, RC__OP_modrelu, modrelu_backward, y, 2, in, &node) ? NULL : y;
}

/* ---------------------------------------------------------------- mul */

static int mul_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *a = node->in[0], *b = node->in[1];
    size_t n = a->shape[a->ndim - 1] / 2, rows = a->size / (2 * n);
    const float *g = node->out->grad;
    float *grads[2];
    int status = rc__input_grads(tp, node, grads);
    if (status)
        return status;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < n; k++) {
            size_t re = r * 2 * n + k, im = re + n;
            float ar = a->data[re], ai = a->data[im], br = b->data[re], bi = b->data[im];
            if (grads[0]) {
                grads[0][re] += g[re] * br + g[im] * bi;
                grads[0][im] += g[im] * br - g[re] * bi;
            }
            if (grads[1]) {
                grads[1][re] += g[re] * ar + g[im] * ai;
                grads[1][im] += g[im] * ar - g[re] * ai;
            }
        }
    return RC_OK;
}

rc_tensor *rc_complex_mul(rc_tape *tp, rc_tensor *a, rc_tensor *b)
{
    rc_tensor *in[2] = {a, b};
    size_t rows;
    char sa[64], sb[64];
    if (rc__check_inputs(tp, "rc_complex_mul", 2, in))
        return NULL;
    size_t n = halves("rc_complex_mul", a, &rows);
    if (!n)
        return NULL;
    if (a->ndim != b->ndim || memcmp(a->shape, b->shape, (size_t)a->ndim * sizeof a->shape[0]))
        return rc__fail_null(RC_ESHAPE, "rc_complex_mul: a %s and b %s must have one shape",
                             rc_shape_str(a, sa, sizeof sa), rc_shape_str(b, sb, sizeof sb));
    rc_tensor *y = rc__tape_output(tp, "rc_complex_mul", a->ndim, a->shape);
    if (!y)
        return NULL;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < n; k++) {
            size_t re = r * 2 * n + k, im = re + n;
            float ar = a->data[re], ai = a->data[im], br = b->data[re], bi = b->data[im];
            y->data[re] = ar * br - ai * bi;
            y->data[im] = ar * bi + ai * br;
        }
    rc__node *node;
    return rc__record(tp, RC__OP_complex_mul, mul_backward, y, 2, in, &node) ? NULL : y;
}

/* ---------------------------------------------------------------- bound */

static int bound_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *z = node->in[0];
    size_t n = z->shape[z->ndim - 1] / 2, rows = z->size / (2 * n);
    const float *g = node->out->grad;
    float *grads[1];
    int status = rc__input_grads(tp, node, grads);
    if (status || !grads[0])
        return status;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < n; k++) {
            size_t re = r * 2 * n + k, im = re + n;
            float a = z->data[re], c = z->data[im], m = sqrtf(a * a + c * c);
            if (!(m > 1.0f)) {
                grads[0][re] += g[re];
                grads[0][im] += g[im];
                continue;
            }
            float ur = a / m, ui = c / m, ug = ur * g[re] + ui * g[im];
            grads[0][re] += (g[re] - ur * ug) / m;
            grads[0][im] += (g[im] - ui * ug) / m;
        }
    return RC_OK;
}

rc_tensor *rc_complex_bound(rc_tape *tp, rc_tensor *z)
{
    rc_tensor *in[1] = {z};
    size_t rows;
    if (rc__check_inputs(tp, "rc_complex_bound", 1, in))
        return NULL;
    size_t n = halves("rc_complex_bound", z, &rows);
    if (!n)
        return NULL;
    rc_tensor *y = rc__tape_output(tp, "rc_complex_bound", z->ndim, z->shape);
    if (!y)
        return NULL;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < n; k++) {
            size_t re = r * 2 * n + k, im = re + n;
            float a = z->data[re], c = z->data[im], m = sqrtf(a * a + c * c), d = m > 1.0f ? m : 1.0f;
            y->data[re] = a / d;
            y->data[im] = c / d;
        }
    rc__node *node;
    return rc__record(tp, RC__OP_complex_bound, bound_backward, y, 1, in, &node) ? NULL : y;
}
