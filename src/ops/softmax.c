/* softmax.c — softmax and log-softmax over an axis; the losses built on
 * them: cross-entropy from logits, binary cross-entropy from logits, the
 * mixture-density NLL, and mean squared error. */
#include "ops.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------ softmax
 * Over x viewed as [outer, n, inner], along n:
 *   softmax:      y = e^(x - m) / sum e^(x - m)      (m = max, for stability)
 *   dx = y (dy - sum_j dy_j y_j)
 *   log_softmax:  y = x - m - log sum e^(x - m)
 *   dx = dy - e^y sum_j dy_j */

static int softmax_backward(rc_tape *tp, rc__node *node)
{
    size_t outer = node->iarg[0], n = node->iarg[1], inner = node->iarg[2];
    int status;
    float *gx = rc__grad(tp, node->in[0], &status);
    if (!gx)
        return status;
    const float *y = node->out->data, *gy = node->out->grad;
    int log_form = node->op == RC__OP_log_softmax;
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            size_t base = o * n * inner + i;
            double dot = 0.0;
            for (size_t j = 0; j < n; j++) {
                size_t k = base + j * inner;
                dot += log_form ? gy[k] : (double)gy[k] * y[k];
            }
            for (size_t j = 0; j < n; j++) {
                size_t k = base + j * inner;
                gx[k] += log_form ? gy[k] - expf(y[k]) * (float)dot : y[k] * (gy[k] - (float)dot);
            }
        }
    return RC_OK;
}

static rc_tensor *softmax_op(rc_tape *tp, int op, const char *who, rc_tensor *x, int axis)
{
    if (rc__check_inputs(tp, who, 1, &x))
        return NULL;
    int a = rc__axis(who, x, axis);
    if (a < 0)
        return NULL;
    size_t outer, n, inner;
    rc__axis_view(x, a, &outer, &n, &inner);
    rc_tensor *y = rc__tape_output(tp, who, x->ndim, x->shape);
    if (!y)
        return NULL;
    int log_form = op == RC__OP_log_softmax;
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            size_t base = o * n * inner + i;
            float m = x->data[base];
            for (size_t j = 1; j < n; j++)
                m = fmaxf(m, x->data[base + j * inner]);
            double sum = 0.0;
            for (size_t j = 0; j < n; j++)
                sum += exp((double)x->data[base + j * inner] - m);
            float log_sum = (float)log(sum);
            for (size_t j = 0; j < n; j++) {
                size_t k = base + j * inner;
                float shifted = x->data[k] - m;
                y->data[k] = log_form ? shifted - log_sum : expf(shifted - log_sum);
            }
        }
    rc__node *node;
    if (rc__record(tp, op, softmax_backward, y, 1, &x, &node))
        return NULL;
    if (node)
        node->iarg[0] = outer, node->iarg[1] = n, node->iarg[2] = inner;
    return y;
}

rc_tensor *rc_softmax(rc_tape *tp, rc_tensor *x, int axis)
{
    return softmax_op(tp, RC__OP_softmax, "rc_softmax", x, axis);
}

rc_tensor *rc_log_softmax(rc_tape *tp, rc_tensor *x, int axis)
{
    return softmax_op(tp, RC__OP_log_softmax, "rc_log_softmax", x, axis);
}

static int check_reduction(const char *who, int reduction)
{
    if (reduction != RC_REDUCE_MEAN && reduction != RC_REDUCE_SUM)
        return rc__fail(RC_EINVAL, "%s: reduction %d is neither RC_REDUCE_MEAN nor RC_REDUCE_SUM",
                        who, reduction);
    return RC_OK;
}

/* The [1] output of a loss: total * s, recorded with its backward (which
 * reads s from farg[0]); *node is NULL when nothing was recorded. */
static rc_tensor *loss_output(rc_tape *tp, const char *who, int op, rc__backward_fn backward, double total,
                              float s, size_t n_in, rc_tensor *const *in, rc__node **node)
{
    rc_tensor *y = rc__tape_output(tp, who, 1, (size_t[]){1});
    if (!y)
        return NULL;
    y->data[0] = (float)(total * s);
    if (rc__record(tp, op, backward, y, n_in, in, node))
        return NULL;
    if (*node)
        (*node)->farg[0] = s;
    return y;
}

/* ------------------------------------------------------------ cross-entropy
 * L = s sum_r (log sum_c e^(x[r,c]) - x[r, t_r]) over rows whose target is
 * not ignored; s = 1/count (mean) or 1.   dx[r, c] = s (softmax(x[r])_c - [c = t_r]).
 * Both passes are SIMD kernels (rc__log_sum_exp_rows, rc__softmax_xent_grad:
 * a large vocabulary's softmax is most of a word-level model's step); the
 * backward reuses the forward's log-sum-exp of each row. */

typedef struct {
    int32_t *targets; /* [rows] */
    double *lse;      /* [rows] */
} xent_saved;

static int cross_entropy_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *x = node->in[0];
    size_t C = node->iarg[0], rows = x->size / C;
    const xent_saved *sv = node->saved;
    int status;
    float *gx = rc__grad(tp, x, &status);
    if (!gx)
        return status;
    rc__softmax_xent_grad(rows, C, x->data, sv->lse, sv->targets, (int32_t)node->iarg[1],
                          node->farg[0] * node->out->grad[0], gx);
    return RC_OK;
}

rc_tensor *rc_cross_entropy(rc_tape *tp, rc_tensor *logits, const int32_t *targets,
                            int32_t ignore_index, int reduction)
{
    if (rc__check_inputs(tp, "rc_cross_entropy", 1, &logits) ||
        check_reduction("rc_cross_entropy", reduction))
        return NULL;
    if (!targets)
        return rc__fail_null(RC_EINVAL, "rc_cross_entropy: targets are NULL");
    size_t C = logits->shape[logits->ndim - 1], rows = logits->size / C, count = 0;
    for (size_t r = 0; r < rows; r++)
        if (targets[r] != ignore_index && (targets[r] < 0 || (size_t)targets[r] >= C))
            return rc__fail_null(RC_EINVAL, "rc_cross_entropy: target %ld of row %zu is not a "
                                            "class in 0..%zu (nor the ignore index %ld)",
                                 (long)targets[r], r, C - 1, (long)ignore_index);
    double *lse = rc__tape_alloc(tp, rows, sizeof *lse), total = 0.0;
    if (!lse)
        return NULL;
    rc__log_sum_exp_rows(rows, C, logits->data, lse);
    for (size_t r = 0; r < rows; r++)
        if (targets[r] != ignore_index) {
            total += lse[r] - logits->data[r * C + (size_t)targets[r]];
            count++;
        }
    float s = reduction == RC_REDUCE_SUM ? 1.0f : count ? 1.0f / (float)count : 0.0f;
    rc__node *node;
    rc_tensor *y = loss_output(tp, "rc_cross_entropy", RC__OP_cross_entropy, cross_entropy_backward, total, s, 1,
                               &logits, &node);
    if (y && node) {
        xent_saved *sv = rc__tape_alloc(tp, 1, sizeof *sv);
        int32_t *saved = rc__tape_alloc(tp, rows, sizeof *saved);
        if (!sv || !saved)
            return NULL;
        memcpy(saved, targets, rows * sizeof *saved);
        *sv = (xent_saved){saved, lse};
        node->saved = sv;
        node->iarg[0] = C;
        node->iarg[1] = (size_t)ignore_index;
    }
    return y;
}

/* ------------------------------------------------------------ binary cross-entropy
 * Per element, from logit x and target t (log-sum-exp form, stable for any x):
 *   l = max(x, 0) - x t + log(1 + e^-|x|),   dl/dx = sigmoid(x) - t.
 * L = s sum_r w_r sum_f l, s = 1/sum_r w_r (mean) or 1.  Each l in float
 * (rc__bce_terms), the sums in double; rows go through in chunks. */
#define BCE_CHUNK 256

static int bce_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *x = node->in[0], *t = node->in[1];
    int status;
    float *gx = rc__grad(tp, x, &status);
    if (!gx)
        return status;
    const float *w = node->saved;
    size_t F = x->shape[x->ndim - 1], rows = x->size / F;
    float s = node->farg[0] * node->out->grad[0], p[BCE_CHUNK];
    for (size_t r = 0; r < rows; r++) {
        float swr = s * (w ? w[r] : 1.0f);
        for (size_t f0 = 0; f0 < F; f0 += BCE_CHUNK) {
            size_t n = F - f0 < BCE_CHUNK ? F - f0 : BCE_CHUNK, at = r * F + f0;
            rc__sigmoid(n, x->data + at, p);
            for (size_t f = 0; f < n; f++)
                gx[at + f] += swr * (p[f] - t->data[at + f]);
        }
    }
    return RC_OK;
}

rc_tensor *rc_bce_with_logits(rc_tape *tp, rc_tensor *logits, rc_tensor *targets,
                              const float *row_weights, int reduction)
{
    rc_tensor *in[2] = {logits, targets};
    if (rc__check_inputs(tp, "rc_bce_with_logits", 2, in) ||
        check_reduction("rc_bce_with_logits", reduction))
        return NULL;
    char sx[64], st[64];
    if (!rc_tensor_same_shape(logits, targets))
        return rc__fail_null(RC_ESHAPE, "rc_bce_with_logits: logits %s and targets %s differ",
                             rc_shape_str(logits, sx, sizeof sx),
                             rc_shape_str(targets, st, sizeof st));
    size_t F = logits->shape[logits->ndim - 1], rows = logits->size / F;
    double total = 0.0, weight = 0.0;
    float l[BCE_CHUNK];
    for (size_t r = 0; r < rows; r++) {
        double wr = row_weights ? row_weights[r] : 1.0, row = 0.0;
        weight += wr;
        if (wr == 0.0)
            continue;
        for (size_t f0 = 0; f0 < F; f0 += BCE_CHUNK) {
            size_t n = F - f0 < BCE_CHUNK ? F - f0 : BCE_CHUNK;
            rc__bce_terms(n, logits->data + r * F + f0, targets->data + r * F + f0, l);
            for (size_t f = 0; f < n; f++)
                row += l[f];
        }
        total += wr * row;
    }
    float s = reduction == RC_REDUCE_SUM ? 1.0f : weight > 0.0 ? (float)(1.0 / weight) : 0.0f;
    rc__node *node; /* targets are kept for the backward, which gives them no gradient */
    rc_tensor *y = loss_output(tp, "rc_bce_with_logits", RC__OP_bce_with_logits, bce_backward, total, s, 2, in, &node);
    if (y && node) {
        if (row_weights) {
            float *w = rc__tape_alloc(tp, rows, sizeof *w);
            if (!w)
                return NULL;
            memcpy(w, row_weights, rows * sizeof *w);
            node->saved = w;
        }
    }
    return y;
}

/* ------------------------------------------------------------ mean squared error
 * L = s sum (p - t)^2, s = 1/size (mean) or 1;  dp = 2 s (p - t), dt = -dp. */

static int mse_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *p = node->in[0], *t = node->in[1];
    float *g[2];
    int status = rc__input_grads(tp, node, g);
    if (status)
        return status;
    float *gp = g[0], *gt = g[1];
    float s = 2.0f * node->farg[0] * node->out->grad[0];
    for (size_t i = 0; i < p->size; i++) {
        float d = s * (p->data[i] - t->data[i]);
        if (gp)
            gp[i] += d;
        if (gt)
            gt[i] -= d;
    }
    return RC_OK;
}

rc_tensor *rc_mse(rc_tape *tp, rc_tensor *pred, rc_tensor *target, int reduction)
{
    rc_tensor *in[2] = {pred, target};
    if (rc__check_inputs(tp, "rc_mse", 2, in) || check_reduction("rc_mse", reduction))
        return NULL;
    char sp[64], st[64];
    if (!rc_tensor_same_shape(pred, target))
        return rc__fail_null(RC_ESHAPE, "rc_mse: prediction %s and target %s differ",
                             rc_shape_str(pred, sp, sizeof sp), rc_shape_str(target, st, sizeof st));
    double total = 0.0;
    for (size_t i = 0; i < pred->size; i++) {
        double d = (double)pred->data[i] - target->data[i];
        total += d * d;
    }
    float s = reduction == RC_REDUCE_SUM ? 1.0f : 1.0f / (float)pred->size;
    rc__node *node;
    return loss_output(tp, "rc_mse", RC__OP_mse, mse_backward, total, s, 2, in, &node);
}

/* ------------------------------------------------------------ mixture density
 * Per row, with l_k the logits, m_k the means, s_k = exp(v_k) the standard
 * deviations and t the target:
 *   a_k = log softmax(l)_k - (t - m_k)^2 / (2 s_k^2) - v_k - log(2 pi)/2
 *   L = -log sum_k e^(a_k);   g_k = e^(a_k + L) (the responsibilities)
 *   dL/dl_k = softmax(l)_k - g_k,  dL/dm_k = -g_k (t - m_k) / s_k^2,
 *   dL/dv_k = -g_k ((t - m_k)^2 / s_k^2 - 1).
 * The SIMD kernel rc__mixture computes L and, when the tape records, these
 * derivatives in the same pass; the backward only scales and adds them. */

static int mixture_backward(rc_tape *tp, rc__node *node)
{
    rc_tensor *p = node->in[0];
    size_t K = node->iarg[0], rows = p->size / (3 * K);
    int status;
    float *gp = rc__grad(tp, p, &status);
    if (!gp)
        return status;
    const float *d = node->saved, *w = node->iarg[1] ? d + rows * 3 * K : NULL;
    float s = node->farg[0] * node->out->grad[0];
    for (size_t r = 0; r < rows; r++) {
        float swr = s * (w ? w[r] : 1.0f);
        for (size_t j = r * 3 * K; swr != 0.0f && j < (r + 1) * 3 * K; j++)
            gp[j] += swr * d[j];
    }
    return RC_OK;
}

rc_tensor *rc_mixture_nll(rc_tape *tp, rc_tensor *params, rc_tensor *targets, const float *row_weights,
                          int reduction)
{
    rc_tensor *in[2] = {params, targets};
    if (rc__check_inputs(tp, "rc_mixture_nll", 2, in) || check_reduction("rc_mixture_nll", reduction))
        return NULL;
    size_t last = params->shape[params->ndim - 1], K = last / 3, rows = params->size / (last ? last : 1);
    char sp[64], st[64];
    if (last % 3 || K == 0 || targets->size != rows)
        return rc__fail_null(RC_ESHAPE, "rc_mixture_nll: params %s must end in 3K (logits, means, log standard "
                                        "deviations) with one target per row; targets are %s",
                             rc_shape_str(params, sp, sizeof sp), rc_shape_str(targets, st, sizeof st));
    if (K > RC_MIXTURE_MAX)
        return rc__fail_null(RC_ESHAPE, "rc_mixture_nll: %zu components; at most %d are supported", K,
                             RC_MIXTURE_MAX);
    /* the derivatives [rows, 3K] the backward needs, then the row weights [rows] */
    int keep = rc__tape_records(tp, 2, in);
    float *nll = rc__tape_alloc(tp, rows, sizeof *nll);
    float *d = keep ? rc__tape_alloc(tp, params->size + (row_weights ? rows : 0), sizeof *d) : NULL;
    if (!nll || (keep && !d))
        return NULL;
    rc__mixture(rows, K, params->data, targets->data, nll, d);
    double total = 0.0, weight = 0.0;
    for (size_t r = 0; r < rows; r++) {
        double wr = row_weights ? row_weights[r] : 1.0;
        weight += wr;
        total += wr == 0.0 ? 0.0 : wr * nll[r];
    }
    float s = reduction == RC_REDUCE_SUM ? 1.0f : weight > 0.0 ? (float)(1.0 / weight) : 0.0f;
    rc__node *node; /* targets are kept for the backward, which gives them no gradient */
    rc_tensor *y = loss_output(tp, "rc_mixture_nll", RC__OP_mixture_nll, mixture_backward, total, s, 2, in, &node);
    if (y && node) {
        node->iarg[0] = K;
        node->iarg[1] = row_weights != NULL;
        if (row_weights)
            memcpy(d + params->size, row_weights, rows * sizeof *d);
        node->saved = d;
    }
    return y;
}
