/* qrnn.c — the quasi-recurrent neural network (Bradbury, Merity, Xiong &
 * Socher 2017, "Quasi-Recurrent Neural Networks", ICLR, arXiv:1611.01576,
 * section 2): a masked convolution over time of width k gives every step's
 * candidate and gates at once (one product for the whole sequence), and
 * only the pooling is recurrent:
 *   [a_z a_f a_o a_i] = W [x_t | x_{t-1}] + b     (x_{t-1} only when k = 2)
 *   z = tanh(a_z)   f = sigmoid(a_f)   o = sigmoid(a_o)   i = sigmoid(a_i)
 *   qrnn_f    c' = f * c + (1 - f) * z     h' = c'       (eq. 3)
 *   qrnn_fo   c' = f * c + (1 - f) * z     h' = o * c'   (eq. 4)
 *   qrnn_ifo  c' = f * c + i * z           h' = o * c'   (eq. 5)
 * f is the paper's forget gate: pytorch-qrnn's F is 1 - f (its ForgetMult
 * computes F z + (1 - F) c), so its F rows are ours negated.
 * Zoneout (Krueger et al. 2017, the paper's section 2.1, as pytorch-qrnn
 * has it), option zoneout = p of qrnn_f and qrnn_fo: in training each unit
 * keeps its c at each step with probability p, f' = 1 - (1 - f) m,
 * m ~ Bernoulli(1 - p); in evaluation f' = 1 - (1 - f)(1 - p), its
 * expectation.  (With ifo-pooling f' = 1 would not keep c, so qrnn_ifo has
 * no zoneout.)
 * Weights per layer and direction: weight_ih [G, k I] (columns x_t, then
 * x_{t-1}, as pytorch-qrnn's linear layer reads [X | X_{t-1}]), bias_ih
 * [G], G = 2H, 3H or 4H with rows z, f, o, i (those the pooling uses); both
 * drawn as PyTorch's nn.Linear, uniform in +-1/sqrt(k I).
 * States: c [H]; with k = 2 also lookback [I] = x_{t-1}, the previous
 * input itself (zero at the start, as pytorch-qrnn's x_{-1}; in the reverse
 * direction x_{t+1}).  Carried like c, it continues a stream exactly, and
 * in truncated BPTT it is pytorch-qrnn's save_prev_x: each window's first
 * step multiplies it by the current W_{t-1}, which receives its gradient.
 * The output is h'.
 * Fused kernel: src/kernels/qrnn.c (the convolution as GEMMs, the
 * activations of every step at once, the pooling alone in the time loop). */
#include "cell.h"

#include "../kernels/recurrent.h"

enum { WINDOW, ZONEOUT };
static const rc__cell_option options_ifo[] = {
    [WINDOW] = {"window", 2, 1, 2, 1, "width k of the convolution over time: 1 (x_t) or 2 (x_t and x_{t-1}, the "
                                      "paper's language models; pytorch-qrnn's default is 1)"},
    {NULL, 0, 0, 0, 0, NULL},
};
static const rc__cell_option options[] = {
    [WINDOW] = {"window", 2, 1, 2, 1, "width k of the convolution over time: 1 (x_t) or 2 (x_t and x_{t-1}, the "
                                      "paper's language models; pytorch-qrnn's default is 1)"},
    [ZONEOUT] = {"zoneout", 0, 0, 0.99, 0, "probability p that a unit keeps its c at a step in training (zoneout; "
                                           "evaluation uses f' = 1 - (1 - f)(1 - p))"},
    {NULL, 0, 0, 0, 0, NULL},
};

enum { W, B };

static size_t window(const rc__cell_dims *c) { return (size_t)c->opt[WINDOW]; }

/* p of the f- and fo-pooling (gates 2, 3); ifo has none. */
static double zoneout(const rc__cell_dims *c, size_t gates) { return gates < 4 ? c->opt[ZONEOUT] : 0.0; }

static int declare(rc__cell_decl *d, const rc__cell_dims *c, size_t gates)
{
    size_t k = window(c), G = gates * c->H;
    const rc__init linear = {RC__INIT_FAN_IN, k * c->I, 0.0f};
    /* flagged recurrent: the weight drop AWD-LSTM's QRNN applies to it, its only weight */
    int st = rc__param(d, W, "weight_ih", 2, (size_t[]){G, k * c->I}, linear, RC__PARAM_RECURRENT);
    if (!st && c->bias)
        st = rc__param(d, B, "bias_ih", 1, (size_t[]){G}, linear, 0);
    if (!st)
        st = rc__state(d, 0, "c", c->H);
    if (!st && k == 2)
        st = rc__state(d, 1, "lookback", c->I);
    return st;
}

static int declare_f(rc__cell_decl *d, const rc__cell_dims *c) { return declare(d, c, 2); }
static int declare_fo(rc__cell_decl *d, const rc__cell_dims *c) { return declare(d, c, 3); }
static int declare_ifo(rc__cell_decl *d, const rc__cell_dims *c) { return declare(d, c, 4); }

/* Every step's convolution at once: u = W x + b [T, B, G] (k = 1), or
 * its x_t half with x itself, u = [W_t x + b | x] [T, B, G + I] (k = 2):
 * each step adds the previous input's share W_{t-1} x_{t-1} from the
 * lookback and keeps x_t as the next one. */
static rc_tensor *pre(rc_tape *tp, const rc__cell_layer *L, rc_tensor *x)
{
    rc_tensor *w = L->w[W], *b = L->w[B];
    if (window(&L->dims) == 1)
        return rc_linear(tp, x, w, b);
    rc_tensor *part[2] = {rc_linear(tp, x, rc_slice(tp, w, 1, 0, L->dims.I), b), x};
    return part[0] ? rc_concat(tp, part, 2, 2) : NULL;
}

/* The forget gate under zoneout: 1 - (1 - f) m in training, m a mask of 0
 * (keep c) and 1; 1 - (1 - f)(1 - p) in evaluation; f itself at p = 0. */
static rc_tensor *zoned(rc_tape *tp, const rc__cell_layer *L, size_t gates, rc_tensor *f)
{
    float p = (float)zoneout(&L->dims, gates);
    if (p <= 0.0f || !f)
        return f;
    rc_tensor *one = rc_tape_tensor(tp, 1, (size_t[]){1}), *keep;
    if (!one)
        return NULL;
    one->data[0] = 1.0f;
    if (L->rng) /* rc_dropout_mask's 0 and 1/(1-p), times 1-p: 0 and 1 */
        keep = rc_mul(tp, rc_sub(tp, one, f),
                      rc_scale(tp, rc_dropout_mask(tp, 2, f->shape, p, L->rng), 1.0f - p));
    else
        keep = rc_scale(tp, rc_sub(tp, one, f), 1.0f - p);
    return rc_sub(tp, one, keep);
}

/* The pooling of `gates` gates (2: f, 3: fo, 4: ifo) on u_t. */
static rc_tensor *pool(rc_tape *tp, const rc__cell_layer *L, size_t gates, rc_tensor *u, rc_tensor *const *s,
                       rc_tensor **s_new)
{
    size_t H = L->dims.H, G = gates * H, I = L->dims.I;
    rc_tensor *a = u, *g[4], *c = s[0];
    if (window(&L->dims) == 2) { /* u_t = [W_t x_t + b | x_t], s[1] = x_{t-1} */
        rc_tensor *half[2];
        if (rc_split(tp, u, 1, (size_t[]){G, I}, 2, half))
            return NULL;
        a = rc_add(tp, half[0], rc_linear(tp, s[1], rc_slice(tp, L->w[W], 1, I, I), NULL));
        s_new[1] = half[1];
    }
    if (!a || rc_split(tp, a, 1, (size_t[]){H, H, H, H}, gates, g))
        return NULL;
    rc_tensor *z = rc_tanh(tp, g[0]), *f = zoned(tp, L, gates, rc_sigmoid(tp, g[1]));
    rc_tensor *c_new = gates == 4 ? rc_add(tp, rc_mul(tp, f, c), rc_mul(tp, rc_sigmoid(tp, g[3]), z))
                                  : rc_add(tp, z, rc_mul(tp, f, rc_sub(tp, c, z))); /* f c + (1 - f) z */
    s_new[0] = c_new;
    return gates == 2 ? c_new : rc_mul(tp, rc_sigmoid(tp, g[2]), c_new);
}

static rc_tensor *step_f(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s, rc_tensor **s_new)
{
    return pool(tp, L, 2, u, s, s_new);
}

static rc_tensor *step_fo(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s,
                          rc_tensor **s_new)
{
    return pool(tp, L, 3, u, s, s_new);
}

static rc_tensor *step_ifo(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s,
                           rc_tensor **s_new)
{
    return pool(tp, L, 4, u, s, s_new);
}

/* ---- the fused kernel, behind the table; the variant is the gate count ---- */

static rc__qrnn_dims qrnn_dims(const rc__fused_call *c)
{
    return (rc__qrnn_dims){c->T,      c->B,       c->I,       c->dims->H, (size_t)c->variant, window(c->dims),
                           (float)zoneout(c->dims, (size_t)c->variant), c->reverse, c->lengths};
}

/* Zoneout's random draws in training come from the composed step. */
static int takes(const rc__fused_call *c) { return !(c->training && zoneout(c->dims, (size_t)c->variant) > 0.0); }

static size_t cache_size(const rc__fused_call *c)
{
    rc__qrnn_dims d = qrnn_dims(c);
    return rc__qrnn_cache_size(&d);
}

static size_t work_size(const rc__fused_call *c, int backward)
{
    rc__qrnn_dims d = qrnn_dims(c);
    return rc__qrnn_work_size(&d, backward);
}

static void forward(const rc__fused_call *c, const float *const *w, const float *packed, const float *x,
                    const float *const *s0, float *y, float *const *s_n, float *cache, float *work)
{
    (void)packed;
    rc__qrnn_dims d = qrnn_dims(c);
    int look = d.window == 2;
    rc__qrnn_forward(&d, w[W], w[B], x, s0[0], look ? s0[1] : NULL, y, s_n[0], look ? s_n[1] : NULL, cache, work);
}

static void backward(const rc__fused_call *c, const float *const *w, const float *x, const float *cache,
                     const float *dy, const float *const *ds_n, float *g_x, float *const *g_w, float *const *g_s0,
                     float *work)
{
    rc__qrnn_dims d = qrnn_dims(c);
    int look = d.window == 2;
    rc__qrnn_grads g = {g_x, g_w[W], g_w[B], g_s0[0], look ? g_s0[1] : NULL};
    rc__qrnn_backward(&d, w[W], x, cache, dy, ds_n[0], look ? ds_n[1] : NULL, &g, work);
}

static size_t packed_size(const rc__fused_call *c)
{
    (void)c;
    return 0;
}

static void pack(const rc__fused_call *c, const float *const *w, float *packed) { (void)c, (void)w, (void)packed; }

#define KERNELS(gates) {gates, takes, cache_size, work_size, forward, backward, packed_size, pack}
static const rc__cell_kernels kernels[] = {KERNELS(2), KERNELS(3), KERNELS(4)};

RC__CELL(qrnn_f) = {
    .summary = "QRNN, f-pooling: c' = f c + (1 - f) z, h' = c', z and f convolved over time "
               "(Bradbury et al. 2017)",
    .options = options,
    .declare = declare_f,
    .pre = pre,
    .step = step_f,
    .kernels = &kernels[0],
};

RC__CELL(qrnn_fo) = {
    .summary = "QRNN, fo-pooling: c' = f c + (1 - f) z, h' = o c' (Bradbury et al. 2017)",
    .options = options,
    .declare = declare_fo,
    .pre = pre,
    .step = step_fo,
    .kernels = &kernels[1],
};

RC__CELL(qrnn_ifo) = {
    .summary = "QRNN, ifo-pooling: c' = f c + i z, h' = o c' (Bradbury et al. 2017)",
    .options = options_ifo,
    .declare = declare_ifo,
    .pre = pre,
    .step = step_ifo,
    .kernels = &kernels[2],
};
