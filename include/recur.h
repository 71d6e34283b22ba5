/* recur.h — the public API of recur, a C11 library for recurrent neural networks.
 *
 * This header is the contract: every function says what it needs (shapes),
 * who owns what, and how it fails.  Everything else in the library is internal.
 *
 * Conventions
 *   - Names are rc_object_verb.  Handles are opaque with _new/_free pairs; free
 *     accepts NULL.
 *   - A function that can fail on user input returns an int status (RC_OK == 0,
 *     the rest from RC_STATUS_LIST) or NULL, and leaves a one-line message for
 *     rc_last_error().  The library never prints, aborts or exits.
 *   - Tensors are float32, contiguous, row-major, 1 to 4 dimensions.  Shapes are
 *     written beside names: x [T, B, F] means x->shape = {T, B, F}.
 *   - Differentiable operations take the tape they record on as their first
 *     argument and return a tensor owned by that tape (valid until
 *     rc_tape_reset or rc_tape_free).  An operation given a NULL input returns
 *     NULL and keeps the error of the call that produced the NULL, so a chain of
 *     calls can be checked once at its end.
 *   - Thread safety: distinct handles may be used from distinct threads at the
 *     same time; one handle must not be used by two threads at once.  The error
 *     message is per thread.
 */
#ifndef RECUR_H
#define RECUR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RC_API __attribute__((visibility("default")))
#else
#define RC_API
#endif

#define RC_VERSION_MAJOR 0
#define RC_VERSION_MINOR 1
#define RC_VERSION_PATCH 0
#define RC_VERSION "0.1.0"

/* ---------------------------------------------------------------- errors */

/* X(name, value, description) — one list, so codes and texts cannot drift. */
#define RC_STATUS_LIST(X)                                              \
    X(RC_OK, 0, "success")                                             \
    X(RC_EINVAL, 1, "invalid argument")                                \
    X(RC_ESHAPE, 2, "shape mismatch")                                  \
    X(RC_ENOMEM, 3, "out of memory")                                   \
    X(RC_EIO, 4, "input/output error")                                 \
    X(RC_EFORMAT, 5, "malformed file")                                 \
    X(RC_EUNSUPPORTED, 6, "not supported")

enum rc_status {
#define RC__STATUS_ENUM(name, value, text) name = value,
    RC_STATUS_LIST(RC__STATUS_ENUM)
#undef RC__STATUS_ENUM
};

/* A fixed text for a status code ("unknown status" for anything else). */
RC_API const char *rc_strerror(int status);
/* The detail message of this thread's most recent failure, e.g.
 * "rc_matmul: inner dimensions differ: a is [3, 4], b is [5, 2]".
 * Empty before any failure.  Valid until the next failing call on this thread. */
RC_API const char *rc_last_error(void);
/* The status code of this thread's most recent failure (RC_OK before any). */
RC_API int rc_last_status(void);

RC_API const char *rc_version(void);
/* A one-line description of how the library was built (BLAS, OpenMP, ...). */
RC_API const char *rc_build_info(void);

/* Threads used by BLAS and by OpenMP loops (n >= 1).  Process-wide. */
RC_API int rc_set_num_threads(int n);

/* The copy of the SIMD kernels in use (sigmoid, tanh, the Bernoulli loss,
 * weight-noise draws, RMSProp, the GEMM loops of a build without BLAS):
 * "avx512", "avx2" or "portable", the widest this CPU runs unless
 * rc_set_simd chose another.  The copies compute bitwise the same results;
 * only their speed differs.  Process-wide. */
RC_API const char *rc_simd(void);
/* Chooses the copy by name (NULL or "auto": the widest); RC_EINVAL for an
 * unknown name or one this CPU cannot run. */
RC_API int rc_set_simd(const char *name);

/* ---------------------------------------------------------------- random */

/* PCG32 (O'Neill 2014, "PCG: A Family of Simple Fast Space-Efficient
 * Statistically Good Algorithms for Random Number Generation").  There is no
 * global generator: every function that draws takes one explicitly.  The
 * struct is plain data: copy it to save or restore a stream. */
typedef struct rc_rng {
    uint64_t state;
    uint64_t inc;       /* stream selector, always odd */
    float spare_normal; /* second value of the last Box-Muller pair */
    int has_spare;
} rc_rng;

/* Same (seed, stream) → same sequence on every platform. */
RC_API void rc_rng_seed(rc_rng *rng, uint64_t seed, uint64_t stream);
RC_API uint32_t rc_rng_u32(rc_rng *rng);
/* Uniform in [0, 1), 24 random bits. */
RC_API float rc_rng_uniform(rc_rng *rng);
/* Uniform integer in [0, n), unbiased; n >= 1. */
RC_API uint32_t rc_rng_below(rc_rng *rng, uint32_t n);
/* Standard normal (Box-Muller). */
RC_API float rc_rng_normal(rc_rng *rng);

/* ---------------------------------------------------------------- tensors */

#define RC_MAX_DIMS 4

struct rc__node;

/* A float32 tensor.  Read data, grad, shape, ndim and size freely; the fields
 * marked internal belong to the library. */
typedef struct rc_tensor {
    float *data;                /* [size] values, row-major */
    float *grad;                /* [size] gradient, or NULL when none is kept
                                   (a view's points into its base's) */
    size_t shape[RC_MAX_DIMS];  /* [ndim] sizes; unused entries are 1 */
    int ndim;                   /* 1..RC_MAX_DIMS */
    size_t size;                /* product of shape */
    int requires_grad;          /* gradients flow into this tensor */
    int owner;                  /* internal: who frees the memory */
    struct rc__node *node;      /* internal: the operation that produced it */
} rc_tensor;

/* A tensor on the heap, owned by the caller, zero-filled.  Every shape entry
 * must be >= 1.  NULL on failure. */
RC_API rc_tensor *rc_tensor_new(int ndim, const size_t *shape);
/* Frees a tensor made by rc_tensor_new (NULL is fine).  Tensors owned by a
 * tape or a parameter set are freed by their owner; passing one here does
 * nothing. */
RC_API void rc_tensor_free(rc_tensor *t);
/* Makes a caller-owned tensor a leaf that collects gradients: allocates a
 * zeroed grad buffer and sets requires_grad.  Gradients accumulate across
 * backward passes until rc_tensor_zero_grad. */
RC_API int rc_tensor_require_grad(rc_tensor *t);
RC_API void rc_tensor_zero_grad(rc_tensor *t);
RC_API void rc_tensor_fill(rc_tensor *t, float value);
RC_API void rc_tensor_fill_uniform(rc_tensor *t, rc_rng *rng, float lo, float hi);
RC_API void rc_tensor_fill_normal(rc_tensor *t, rc_rng *rng, float mean, float std);
/* PyTorch's nn.init.orthogonal_ (Saxe et al. 2014): t viewed as [rows,
 * cols] (rows = shape[0], cols the rest) becomes gain times a matrix with
 * orthonormal columns (rows >= cols) or rows (rows < cols), the Q of a
 * Gaussian matrix's QR with the signs of R's diagonal taken out.  RC_ENOMEM
 * when its scratch cannot be allocated (t unchanged). */
RC_API int rc_tensor_fill_orthogonal(rc_tensor *t, rc_rng *rng, float gain);
/* 1 when a and b have the same ndim and shape. */
RC_API int rc_tensor_same_shape(const rc_tensor *a, const rc_tensor *b);
/* Writes "[2, 3, 4]" into buf (always NUL-terminated); returns buf. */
RC_API char *rc_shape_str(const rc_tensor *t, char *buf, size_t cap);

/* ---------------------------------------------------------------- parameters */

/* A set of named parameter tensors whose values live in one flat block and
 * whose gradients live in a second flat block with the same layout, so
 * zeroing, clipping, every optimizer, saving and loading are single loops.
 * The tensors belong to the set; their data and grad pointers move when a
 * tensor is added, so re-read t->data after rc_params_add. */
typedef struct rc_params rc_params;

RC_API rc_params *rc_params_new(void);
RC_API void rc_params_free(rc_params *p);
/* Adds a zero-filled parameter.  name: at most 63 bytes, unique in the set. */
RC_API rc_tensor *rc_params_add(rc_params *p, const char *name, int ndim, const size_t *shape);
RC_API size_t rc_params_count(const rc_params *p);    /* number of tensors */
RC_API size_t rc_params_numel(const rc_params *p);    /* number of floats */
RC_API rc_tensor *rc_params_tensor(const rc_params *p, size_t i);
RC_API const char *rc_params_name(const rc_params *p, size_t i);
RC_API rc_tensor *rc_params_find(const rc_params *p, const char *name);
RC_API float *rc_params_values(rc_params *p);         /* [numel] */
RC_API float *rc_params_grads(rc_params *p);          /* [numel] */
RC_API void rc_params_zero_grad(rc_params *p);
/* Euclidean norm of all gradients together. */
RC_API double rc_params_grad_norm(const rc_params *p);
/* Scales all gradients so their global norm is at most max_norm; returns the
 * norm before clipping. */
RC_API double rc_params_clip_grad_norm(rc_params *p, double max_norm);
/* Plain stochastic gradient descent: w -= lr * g over the flat block.  The
 * full optimizer set lives with the trainer. */
RC_API void rc_sgd_step(rc_params *p, float lr);

/* ---------------------------------------------------------------- the tape */

/* Define-by-run reverse-mode autodiff.  Each operation that has an input
 * requiring gradients appends a node holding its backward function and what
 * it saved; rc_backward walks the nodes in reverse.  All tensors made by the
 * operations live in the tape's arena until rc_tape_reset, which keeps the
 * memory for reuse, so a training loop allocates nothing once warm.
 * Inputs must stay unchanged between an operation and the backward pass
 * (and, for views — see the shape family — while a view is read). */
typedef struct rc_tape rc_tape;

RC_API rc_tape *rc_tape_new(void);
RC_API void rc_tape_free(rc_tape *tp);
/* Forgets every node and tensor of the tape (caller-owned and parameter
 * tensors are untouched). */
RC_API void rc_tape_reset(rc_tape *tp);
/* Turns recording on (1) or off (0, "no_grad": operations compute values
 * only and record nothing).  Returns the previous setting. */
RC_API int rc_tape_set_grad_enabled(rc_tape *tp, int enabled);
/* Number of nodes recorded since the last reset. */
RC_API size_t rc_tape_node_count(const rc_tape *tp);
/* Bytes of arena memory the tape holds (for memory reports). */
RC_API size_t rc_tape_memory(const rc_tape *tp);
/* A zero-filled tensor owned by the tape (for inputs and constants). */
RC_API rc_tensor *rc_tape_tensor(rc_tape *tp, int ndim, const size_t *shape);

/* Back-propagates from a scalar (size 1): d loss / d loss = 1.  Leaf
 * gradients (parameters, rc_tensor_require_grad tensors) accumulate. */
RC_API int rc_backward(rc_tape *tp, rc_tensor *loss);
/* Vector-Jacobian product: back-propagates dy [y->size] into y.  May be
 * called again on the same tape (intermediate gradients start from zero each
 * call; leaf gradients accumulate). */
RC_API int rc_backward_grad(rc_tape *tp, rc_tensor *y, const float *dy);

/* ---------------------------------------------------------------- operations
 * Each returns a new tensor owned by tp, or NULL with rc_last_error() set.
 * Its data is new memory of tp's, except for the views of the shape family
 * (rc_reshape, rc_slice and rc_split along axis 0), which share their
 * input's.                                                                  */

enum rc_reduction {
    RC_REDUCE_MEAN = 0, /* the loss's documented mean */
    RC_REDUCE_SUM = 1
};

/* linear family --------------------------------------------------------- */
/* c = op(a) op(b), op = transpose when trans_* is 1.  a, b 2-D. */
RC_API rc_tensor *rc_matmul(rc_tape *tp, rc_tensor *a, rc_tensor *b, int trans_a, int trans_b);
/* y = x W^T + b:  x [..., I], w [O, I], b [O] or NULL → y [..., O]. */
RC_API rc_tensor *rc_linear(rc_tape *tp, rc_tensor *x, rc_tensor *w, rc_tensor *b);
/* Rows of w [V, D] picked by ids [n] (each in 0..V-1) → [n, D].  The
 * backward scatter-adds into the rows of w's gradient. */
RC_API rc_tensor *rc_embedding(rc_tape *tp, rc_tensor *w, const int32_t *ids, size_t n);

/* pointwise family -------------------------------------------------------
 * Binary operations broadcast as NumPy does, restricted to the two patterns
 * an RNN needs: the smaller operand, aligned to the right, is either a row
 * (its shape is a suffix of the other's: b [F] or [B, F] against a [T, B, F])
 * or a column (a prefix followed by 1s: b [T, 1] against a [T, F]), or a
 * scalar [1].  The result has the larger operand's shape. */
RC_API rc_tensor *rc_add(rc_tape *tp, rc_tensor *a, rc_tensor *b);
RC_API rc_tensor *rc_sub(rc_tape *tp, rc_tensor *a, rc_tensor *b);
RC_API rc_tensor *rc_mul(rc_tape *tp, rc_tensor *a, rc_tensor *b);
RC_API rc_tensor *rc_div(rc_tape *tp, rc_tensor *a, rc_tensor *b);
RC_API rc_tensor *rc_scale(rc_tape *tp, rc_tensor *x, float alpha);
RC_API rc_tensor *rc_sigmoid(rc_tape *tp, rc_tensor *x);
RC_API rc_tensor *rc_tanh(rc_tape *tp, rc_tensor *x);
RC_API rc_tensor *rc_relu(rc_tape *tp, rc_tensor *x);
RC_API rc_tensor *rc_exp(rc_tape *tp, rc_tensor *x);
/* Natural log; x must be positive (non-positive values give -inf/NaN, as in libm). */
RC_API rc_tensor *rc_log(rc_tape *tp, rc_tensor *x);
/* log(1 + e^x), computed without overflow; its derivative is sigmoid(x). */
RC_API rc_tensor *rc_softplus(rc_tape *tp, rc_tensor *x);
/* min(max(x, lo), hi); the gradient passes where lo < x < hi and is 0 where
 * x was clamped.  lo <= hi. */
RC_API rc_tensor *rc_clamp(rc_tape *tp, rc_tensor *x, float lo, float hi);

/* reduce family ----------------------------------------------------------
 * axis counts from 0; negative counts from the end (-1 = last).  The reduced
 * axis is removed; a result with no axis left has shape [1]. */
RC_API rc_tensor *rc_sum(rc_tape *tp, rc_tensor *x, int axis);
RC_API rc_tensor *rc_mean(rc_tape *tp, rc_tensor *x, int axis);
RC_API rc_tensor *rc_sum_all(rc_tape *tp, rc_tensor *x);   /* → [1] */
RC_API rc_tensor *rc_mean_all(rc_tape *tp, rc_tensor *x);  /* → [1] */

/* softmax and losses ------------------------------------------------------ */
RC_API rc_tensor *rc_softmax(rc_tape *tp, rc_tensor *x, int axis);
RC_API rc_tensor *rc_log_softmax(rc_tape *tp, rc_tensor *x, int axis);
/* Cross-entropy from logits [..., C] and class targets [rows] (rows = logits
 * size / C).  Targets equal to ignore_index add nothing; every other target
 * must be in 0..C-1.  MEAN divides by the number of counted targets (0 when
 * none), SUM does not.  → [1]. */
RC_API rc_tensor *rc_cross_entropy(rc_tape *tp, rc_tensor *logits, const int32_t *targets,
                                   int32_t ignore_index, int reduction);
/* Binary cross-entropy from logits [..., F] against targets of the same
 * shape (values in [0, 1]; no gradient flows into targets), summed over the
 * F features of each row and weighted by row_weights [rows] (NULL: all 1;
 * 0 drops a padded step).  MEAN then divides by the sum of the weights —
 * the per-frame negative log-likelihood of polyphonic music models; SUM
 * does not.  → [1]. */
RC_API rc_tensor *rc_bce_with_logits(rc_tape *tp, rc_tensor *logits, rc_tensor *targets,
                                     const float *row_weights, int reduction);
/* Mixture-density negative log-likelihood (Bishop 1994): each row of
 * params [..., 3K] holds, for one scalar output, K mixture logits, K means
 * and K log standard deviations; targets [rows] (no gradient).  Per row
 *   -log sum_k softmax(logits)_k N(target; mean_k, exp(log_std_k)^2),
 * weighted by row_weights [rows] (NULL: all 1; 0 drops a padded row).
 * MEAN divides the weighted sum by the sum of the weights, SUM does not.
 * → [1]. */
RC_API rc_tensor *rc_mixture_nll(rc_tape *tp, rc_tensor *params, rc_tensor *targets,
                                 const float *row_weights, int reduction);
/* Squared error between same-shaped tensors; MEAN over all elements. → [1]. */
RC_API rc_tensor *rc_mse(rc_tape *tp, rc_tensor *pred, rc_tensor *target, int reduction);

/* shape family ------------------------------------------------------------
 * Views.  rc_reshape, and rc_slice and rc_split along axis 0, return views:
 * new tensors (owned by tp) whose data is x's own memory — all of it for a
 * reshape, the contiguous block of rows for a slice — so nothing is copied.
 * A gradient reaching a view lands in the same elements of x's gradient: it
 * adds up with what reaches x directly or through other views, and for a
 * parameter or an rc_tensor_require_grad tensor it accumulates in that
 * tensor's grad (the view's grad then points into it).  A view of a tensor
 * that takes no gradient takes none.  Slices along any other axis, concat
 * and transpose copy.  Since a view is x's memory:
 * - a write into x's data shows in the view, and one into the view's (by
 *   the caller, or rc_tensor_fill) shows in x.  Unlike a copy, the view
 *   does not keep the values x had when it was made: as for every
 *   operation's inputs, leave x unchanged while the tape still needs the
 *   view — step an optimizer, add weight noise, refill an input or carry a
 *   state into x only after the backward pass and after reading what was
 *   computed from the view;
 * - x's memory must outlive the view: no rc_tensor_free of a caller-owned
 *   x, and no rc_params_add to the set of a parameter x (which moves its
 *   block), while the view is in use.                                       */
/* Joins n tensors along axis; all other dimensions must agree.  A copy. */
RC_API rc_tensor *rc_concat(rc_tape *tp, rc_tensor *const *xs, size_t n, int axis);
/* x[..., start:start+len, ...] along axis: a view of x when axis is 0 (or
 * -ndim), a copy otherwise. */
RC_API rc_tensor *rc_slice(rc_tape *tp, rc_tensor *x, int axis, size_t start, size_t len);
/* Cuts x along axis into n pieces of the given sizes (which must add up to
 * the axis length); writes them to out[n]: views of x when axis is 0,
 * copies otherwise.  Returns a status. */
RC_API int rc_split(rc_tape *tp, rc_tensor *x, int axis, const size_t *sizes, size_t n, rc_tensor **out);
/* Same values, new shape with the same size: a view of x. */
RC_API rc_tensor *rc_reshape(rc_tape *tp, rc_tensor *x, int ndim, const size_t *shape);
/* Swaps two axes (e.g. batch-first [B, T, F] to time-major [T, B, F]).  A
 * copy. */
RC_API rc_tensor *rc_transpose(rc_tape *tp, rc_tensor *x, int axis0, int axis1);

/* dropout family ----------------------------------------------------------
 * Inverted dropout: kept values are scaled by 1/(1-p), so evaluation needs no
 * change (use p = 0, or skip the call).  p in [0, 1). */
RC_API rc_tensor *rc_dropout(rc_tape *tp, rc_tensor *x, float p, rc_rng *rng);
/* A constant mask [shape] of 0 and 1/(1-p).  Multiply it (rc_mul) into every
 * time step for variational dropout (Gal & Ghahramani 2016): one mask [B, F]
 * broadcasts over x [T, B, F], or is reused step by step. */
RC_API rc_tensor *rc_dropout_mask(rc_tape *tp, int ndim, const size_t *shape, float p, rc_rng *rng);

/* norm family --------------------------------------------------------------- */
/* Layer normalization over the last axis (Ba et al. 2016):
 *   y = (x - mean) / sqrt(var + eps) * gamma + beta
 * x [..., F]; gamma [F] and beta [F] may each be NULL (then 1 and 0). */
RC_API rc_tensor *rc_layer_norm(rc_tape *tp, rc_tensor *x, rc_tensor *gamma, rc_tensor *beta, float eps);

/* conv family --------------------------------------------------------------- */
/* Causal dilated convolution over time (WaveNet, QRNN, SNAIL), time-major:
 *   y[t, b, o] = bias[o] + sum_{i,k} w[o, i, k] * x[t - (K-1-k)*dilation, b, i]
 * with x zero before t = 0.  x [T, B, C_in], w [C_out, C_in, K] (PyTorch's
 * Conv1d layout), bias [C_out] or NULL → y [T, B, C_out].  dilation >= 1. */
RC_API rc_tensor *rc_conv1d_causal(rc_tape *tp, rc_tensor *x, rc_tensor *w, rc_tensor *bias, size_t dilation);
/* 2-D convolution (cross-correlation, as PyTorch's Conv2d):
 * x [N, C_in, H, W], w [C_out, C_in, KH, KW], bias [C_out] or NULL →
 * y [N, C_out, (H + 2*pad_h - KH)/stride_h + 1, (W + 2*pad_w - KW)/stride_w + 1]. */
RC_API rc_tensor *rc_conv2d(rc_tape *tp, rc_tensor *x, rc_tensor *w, rc_tensor *bias,
                            size_t stride_h, size_t stride_w, size_t pad_h, size_t pad_w);
/* 2-D max pooling, x [N, C, H, W]; padding counts as -infinity (pad <= k/2,
 * as PyTorch requires).  Ties go to the first maximum. */
RC_API rc_tensor *rc_max_pool2d(rc_tape *tp, rc_tensor *x, size_t k_h, size_t k_w,
                                size_t stride_h, size_t stride_w, size_t pad_h, size_t pad_w);
/* Complex vectors held as the halves of the last axis, z [..., 2n] = n real
 * parts then n imaginary parts (the unitary RNN's transition, Arjovsky et
 * al. 2016; src/ops/complex.c has the gradients):
 *   rc_complex_phase    e^{i theta} z, theta [n]: a diagonal unitary matrix
 *   rc_complex_reflect  z - 2 v (v^H z) / |v|^2, v [2n] non-zero: a reflection
 *   rc_complex_fft      the unitary DFT along the n entries, F_jk =
 *                       e^{-2 pi i jk / n} / sqrt(n), or its inverse F^H
 *   rc_complex_permute  y_k = z_perm[k], perm [n] a permutation of 0..n-1
 *   rc_modrelu          modReLU: (|z| + b) z / |z| where |z| + b > 0, else 0;
 *                       b [n] (NULL: 0, then it is the identity)
 *   rc_complex_mul      a b entry by entry, a and b of one shape (binding)
 *   rc_complex_bound    z / max(1, |z|) entry by entry (moduli at most 1) */
RC_API rc_tensor *rc_complex_phase(rc_tape *tp, rc_tensor *z, rc_tensor *theta);
RC_API rc_tensor *rc_complex_reflect(rc_tape *tp, rc_tensor *z, rc_tensor *v);
RC_API rc_tensor *rc_complex_fft(rc_tape *tp, rc_tensor *z, int inverse);
RC_API rc_tensor *rc_complex_permute(rc_tape *tp, rc_tensor *z, const int32_t *perm);
RC_API rc_tensor *rc_modrelu(rc_tape *tp, rc_tensor *z, rc_tensor *b);
RC_API rc_tensor *rc_complex_mul(rc_tape *tp, rc_tensor *a, rc_tensor *b);
RC_API rc_tensor *rc_complex_bound(rc_tape *tp, rc_tensor *z);
/* For addressable memories (the Neural Turing Machine's, src/ops/memory.c):
 *   rc_repeat         each row of x [R, F] n times in a row: [R n, F] (a
 *                     sequence's vector beside every row of its memory)
 *   rc_circular_conv  w [B, N] convolved circularly with the shift kernel s
 *                     [B, K], K odd, at most N: y_i = sum over d = -r..r of
 *                     s_(d+r) w_((i - d) mod N), r = (K - 1) / 2
 *   rc_cosine_similarity  y [B, N]: k . m_i / (|k| |m_i| + eps) of the key
 *                     k [B, W] and every row m_i of the memory m [B, N, W];
 *                     eps > 0 (the NTM uses 1e-8)
 *   rc_memory_read    r [B, W] = sum_i w_i m_i: weights w [B, N] over the
 *                     rows of m [B, N, W] (a read head)
 *   rc_memory_write   m [B, N, W] * prod_v (1 - w_v e_v^T) + sum_v w_v a_v^T
 *                     for V write heads' weights w [B, V, N], erase vectors
 *                     e [B, V, W] and add vectors a [B, V, W]: every erase,
 *                     then every add */
RC_API rc_tensor *rc_repeat(rc_tape *tp, rc_tensor *x, size_t n);
RC_API rc_tensor *rc_circular_conv(rc_tape *tp, rc_tensor *w, rc_tensor *s);
RC_API rc_tensor *rc_cosine_similarity(rc_tape *tp, rc_tensor *m, rc_tensor *k, float eps);
RC_API rc_tensor *rc_memory_read(rc_tape *tp, rc_tensor *m, rc_tensor *w);
RC_API rc_tensor *rc_memory_write(rc_tape *tp, rc_tensor *m, rc_tensor *w, rc_tensor *e, rc_tensor *a);
/* Additive attention (Bahdanau et al. 2015; the Pointer Network's output,
 * Vinyals et al. 2015): s [B, I, J], s_bij = v . tanh(e_bj + d_bi), for
 * keys e [B, J, A] and queries d [B, I, A] (both already projected, W1 e_j
 * and W2 d_i) and v [A]. */
RC_API rc_tensor *rc_additive_attention(rc_tape *tp, rc_tensor *e, rc_tensor *d, rc_tensor *v);

/* ---------------------------------------------------------------- recurrent networks
 *
 * A recurrent network runs any cell of RC_CELL_LIST as num_layers stacked
 * layers, each uni- or bidirectional, over time-major input x [T, B, I],
 * as PyTorch's nn.RNN / nn.LSTM / nn.GRU do for theirs.  A cell declares
 * its weights by name (a file stores them as <name>_l{k}[_reverse]), its
 * states (a list of named widths; h0 / h_n and c0 / c_n are the states
 * named h and c: states 0 and 1 of PyTorch's cells, state 0 of a QRNN's
 * c) and the width of its output.  PyTorch's three cells carry
 * PyTorch's names, shapes and gate order, so a PyTorch state_dict loads
 * without transposition:
 *   weight_ih_l{k}[_reverse]  [G*H, I_k]   I_0 = I, I_k = D*H_out after
 *   weight_hh_l{k}[_reverse]  [G*H, H_out]
 *   bias_ih_l{k}[_reverse]    [G*H]        (when bias)
 *   bias_hh_l{k}[_reverse]    [G*H]        (when bias)
 *   weight_hr_l{k}[_reverse]  [P, H]       (LSTM with proj_size P)
 *   weight_ph_l{k}[_reverse]  [3, H]       (LSTM with peepholes: rows i, f, o)
 * G = 1 (RNN), 4 (LSTM: gates i, f, g, o), 3 (GRU: r, z, n); H_out = P when
 * the LSTM has a projection, H otherwise; D = 2 when bidirectional.  Every
 * cell's equations and weight names are in its file, src/cells/<name>.c;
 * `recur cells` lists them.
 *
 * The cells — X(enum, token): one line per cell.  The token is the cell's
 * name (in files, on the command line) and names its descriptor, defined in
 * src/cells/<token>.c (or its family's file) with the cell's equations and
 * paper above the code.  A line without its descriptor does not link.     */
#define RC_CELL_LIST(X)                                                  \
    X(RC_CELL_RNN_TANH, rnn_tanh)                 /* Elman 1990 */        \
    X(RC_CELL_RNN_RELU, rnn_relu)                                          \
    X(RC_CELL_LSTM, lstm)                         /* Hochreiter 1997 */   \
    X(RC_CELL_GRU, gru)                           /* Cho et al. 2014 */   \
    X(RC_CELL_GRU_RESET_BEFORE, gru_reset_before)                          \
    X(RC_CELL_MOGRIFIER, mogrifier)               /* Melis et al. 2020 */ \
    X(RC_CELL_MLSTM, mlstm)                       /* Krause et al. 2016 */ \
    X(RC_CELL_MRNN, mrnn)                         /* Sutskever et al. 2011 */ \
    X(RC_CELL_QRNN_F, qrnn_f)                     /* Bradbury et al. 2017 */ \
    X(RC_CELL_QRNN_FO, qrnn_fo)                                            \
    X(RC_CELL_QRNN_IFO, qrnn_ifo)                                          \
    X(RC_CELL_PRU, pru)                           /* Mehta et al. 2018 */ \
    X(RC_CELL_URNN, urnn)                         /* Arjovsky et al. 2016 */ \
    X(RC_CELL_ASSOC_LSTM, assoc_lstm)             /* Danihelka et al. 2016 */ \
    X(RC_CELL_NTM, ntm)                           /* Graves et al. 2014 */

enum rc_cell {
#define RC__CELL_ENUM(id, token) id,
    RC_CELL_LIST(RC__CELL_ENUM)
#undef RC__CELL_ENUM
    RC_CELL_COUNT
};

/* The most states a cell carries, and the most numeric options it has. */
enum { RC_MAX_STATES = 8, RC_CELL_MAX_OPTIONS = 8, RC_RNN_MAX_WIDTHS = 16 };

/* "lstm", ... for a cell id (NULL when out of range), and back (-1 when
 * unknown). */
RC_API const char *rc_cell_name(int cell);
RC_API int rc_cell_from_name(const char *name);
/* One line: what the cell is and its paper ("LSTM (Hochreiter & Schmidhuber
 * 1997) ..."); NULL when out of range. */
RC_API const char *rc_cell_summary(int cell);
/* The cell's numeric options (settable by name, see rc_rnn_config_set), in
 * order: the name of option i (NULL past the last), its one-line doc, its
 * default. */
RC_API const char *rc_cell_option_name(int cell, size_t i);
RC_API const char *rc_cell_option_doc(int cell, size_t i);
RC_API double rc_cell_option_default(int cell, size_t i);
/* 1 when the cell has a fused sequence kernel; 0 when its composed step
 * (written with the differentiable operations) is its only path. */
RC_API int rc_cell_fused(int cell);
/* Deprecated (the rows of weight_hh over H, 0 for a cell without one): a
 * gate count means nothing for most cells. */
RC_API size_t rc_cell_gates(int cell);

typedef struct rc_rnn_config {
    int cell;             /* enum rc_cell */
    size_t input_size;    /* I */
    size_t hidden_size;   /* H */
    size_t num_layers;    /* L >= 1 */
    size_t hidden_sizes[RC_RNN_MAX_WIDTHS]; /* layer k's own H (0: hidden_size), for the first
                             RC_RNN_MAX_WIDTHS layers: independent widths, as AWD-LSTM's
                             1150, 1150, 400.  States are still one tensor each,
                             [L*D, B, n_i] at the widest layer's n_i; a narrower layer's
                             rows are zero past its own width (rc_rnn_layer_state_width) */
    int bidirectional;    /* D = 2 when set */
    int bias;             /* 1: the cell's biases (PyTorch's default) */
    size_t proj_size;     /* the LSTM's option "proj_size" (PyTorch's spelling): P in 1..H-1, 0 for none */
    int peephole;         /* the LSTM's option "peephole": diagonal peepholes */
    float dropout;        /* on the outputs of every layer but the last, when training */
    int dropout_locked;   /* 1: the dropout between layers keeps one mask [B, D*H_out]
                             for every step (locked / variational dropout) */
    float weight_drop;    /* DropConnect (Wan et al. 2013) on the weights the cell flags recurrent
                             (W_hh; rc_rnn_weight_recurrent, `recur cells`), when training: one mask per
                             forward pass, the same at every step (AWD-LSTM's weight drop,
                             Merity et al. 2018) */
    int residual;         /* layers 2..L add their input to their output */
    double options[RC_CELL_MAX_OPTIONS]; /* the cell's own options, in rc_cell_option_name's order */
    unsigned options_set; /* bit i: options[i] was set; the others take the cell's defaults */
} rc_rnn_config;

/* Sets the cell's option `name` (RC_EINVAL, naming the cell's options, when
 * it has none of that name or the value is out of its range). */
RC_API int rc_rnn_config_set(rc_rnn_config *cfg, const char *name, double value);
/* The value of option `name` as the network will use it (set, else the
 * default); NaN when the cell has no such option. */
RC_API double rc_rnn_config_get(const rc_rnn_config *cfg, const char *name);

/* One layer, unidirectional, with bias, no dropout, the cell's default
 * options: PyTorch's defaults. */
RC_API rc_rnn_config rc_rnn_config_default(int cell, size_t input_size, size_t hidden_size);
/* Checks a configuration; RC_EINVAL with a message naming the field. */
RC_API int rc_rnn_config_check(const rc_rnn_config *cfg);
/* The number of floats the network's weights take, without allocating them
 * (to check a size before building it); RC_EINVAL as rc_rnn_config_check. */
RC_API int rc_rnn_config_params(const rc_rnn_config *cfg, size_t *numel);

typedef struct rc_rnn rc_rnn;

/* Adds the network's weights to params (names prefixed by prefix, which may
 * be NULL or "") and returns a handle that uses them; params must outlive
 * it.  With rng the weights are drawn uniform in +-1/sqrt(H) (PyTorch's
 * initialisation); with NULL they stay zero (e.g. before loading). */
RC_API rc_rnn *rc_rnn_new(const rc_rnn_config *cfg, rc_params *params, const char *prefix,
                          rc_rng *rng);
RC_API void rc_rnn_free(rc_rnn *rnn);
RC_API const rc_rnn_config *rc_rnn_config_of(const rc_rnn *rnn);
/* The parameter set holding the network's weights. */
RC_API rc_params *rc_rnn_params(const rc_rnn *rnn);

/* Loads a network from a safetensors file: a PyTorch nn.RNN / nn.LSTM /
 * nn.GRU state_dict saved with safetensors.torch.save_file (optionally with
 * a name prefix such as "rnn.", for a model holding one; other tensors are
 * ignored), or a file written by rc_rnn_save.  Layers, directions, sizes,
 * projection, bias and peepholes come from the tensor names and shapes, the
 * cell from the gate count; what they cannot tell comes from the header's
 * __metadata__ ("cell": "lstm" | "gru" | "gru_reset_before" | "rnn_tanh" |
 * "rnn_relu", or "nonlinearity": "tanh" | "relu") or from cell (>= 0
 * overrides the file; -1 to use it).  The network owns its parameters:
 * rc_rnn_free frees them. */
RC_API rc_rnn *rc_rnn_load(const char *path, int cell);
/* Writes the weights under PyTorch's names (without the network's prefix)
 * and the full configuration in __metadata__, atomically. */
RC_API int rc_rnn_save(const rc_rnn *rnn, const char *path);
/* I: the width of each input step. */
RC_API size_t rc_rnn_input_size(const rc_rnn *rnn);
/* D * H_out: the width of each output step (the last layer's). */
RC_API size_t rc_rnn_output_size(const rc_rnn *rnn);
/* H_out: the width of h states (P with a projection, else H): state 0's. */
RC_API size_t rc_rnn_state_size(const rc_rnn *rnn);
/* The states every layer and direction carries: their number, and state
 * i's name ("h", "c", ...) and width n_i (NULL and 0 past the last): the
 * widest layer's, which is every layer's unless hidden_sizes differ. */
RC_API size_t rc_rnn_state_count(const rc_rnn *rnn);
RC_API const char *rc_rnn_state_name(const rc_rnn *rnn, size_t i);
RC_API size_t rc_rnn_state_width(const rc_rnn *rnn, size_t i);
/* The width of state i in layer l (0 past the last state or layer): the
 * leading columns of that layer's rows in the state tensors. */
RC_API size_t rc_rnn_layer_state_width(const rc_rnn *rnn, size_t l, size_t i);
/* Layer l's hidden size: hidden_sizes[l] when set, else hidden_size. */
RC_API size_t rc_rnn_config_layer_size(const rc_rnn_config *cfg, size_t l);
/* The index of the state called name ("h", "c", ...), or -1. */
RC_API long rc_rnn_state_index(const rc_rnn *rnn, const char *name);
/* 1 when w is one of rnn's weights that its cell flags recurrent, those
 * weight_drop masks (W_hh); 0 otherwise. */
RC_API int rc_rnn_weight_recurrent(const rc_rnn *rnn, const rc_tensor *w);

/* Options of one call of rc_rnn_forward; zero-initialise, then set. */
typedef struct rc_rnn_options {
    rc_tensor *h0;            /* the state named h [L*D, B, H_out], or NULL for its start */
    rc_tensor *c0;            /* the state named c [L*D, B, H] (an LSTM's, a QRNN's), or NULL */
    const int32_t *lengths;   /* [B], each in 1..T, or NULL: all T.  Steps past
                                 a sequence's end change no state and output 0;
                                 the reverse direction starts at each
                                 sequence's own last step (PyTorch's packed
                                 sequences). */
    int batch_first;          /* x is [B, T, I] and the output [B, T, D*H_out] */
    rc_rng *dropout_rng;      /* draws the dropout masks; NULL: no dropout */
    int composed;             /* 1: run the cells' composed steps (the
                                 specification, slow) instead of the fused
                                 sequence kernels */
    rc_tensor *const *states0; /* instead of h0 and c0, for any cell: [rc_rnn_state_count]
                                 initial states [L*D, B, n_i] (an entry may be NULL
                                 for its start), or NULL.  A state not given
                                 starts at zero, except where a cell says
                                 otherwise (the NTM's memory, read vectors and
                                 head weightings: rc_cell_summary) */
} rc_rnn_options;

/* Runs the network over x [T, B, I] on the tape and returns the output
 * [T, B, D*H_out] (or [B, T, ...] with batch_first).  h_n [L*D, B, H_out]
 * and c_n [L*D, B, H], the final states named h and c (NULL when the cell
 * has no such state), are written when the pointers are not NULL;
 * rows are ordered layer by layer, forward before reverse, as in PyTorch.
 * Everything is differentiable: x, h0, c0 and every weight.  opts may be
 * NULL. */
RC_API rc_tensor *rc_rnn_forward(rc_tape *tp, rc_rnn *rnn, rc_tensor *x, const rc_rnn_options *opts,
                                 rc_tensor **h_n, rc_tensor **c_n);
/* rc_rnn_forward for any cell: every final state, states_n[i] [L*D, B, n_i]
 * (states_n has rc_rnn_state_count entries, or is NULL). */
RC_API rc_tensor *rc_rnn_forward_states(rc_tape *tp, rc_rnn *rnn, rc_tensor *x, const rc_rnn_options *opts,
                                        rc_tensor **states_n);

/* ---------------------------------------------------------------- streaming inference
 *
 * A stream runs a unidirectional network over B sequences one step, or a
 * chunk of steps, at a time, carrying the states from call to call; the
 * results equal one rc_rnn_forward over the whole sequence (bit for bit
 * where both run the same kernels; to float rounding where the whole pass
 * takes another, as for an input of mostly zeros).  All memory is
 * allocated by rc_rnn_stream_new: running allocates nothing.  The network
 * must outlive its streams; any number of streams may share one network,
 * each used by one thread at a time.  The stream reads the weights when it
 * is created (an LSTM without projection, up to 64 sequences, keeps them
 * packed for its step kernel): after changing them, create a new stream. */
typedef struct rc_rnn_stream rc_rnn_stream;

/* batch: B; max_steps: the most steps one internal pass handles (longer
 * calls are cut into passes of this size).  A bidirectional network cannot
 * stream (RC_EINVAL). */
RC_API rc_rnn_stream *rc_rnn_stream_new(const rc_rnn *rnn, size_t batch, size_t max_steps);
RC_API void rc_rnn_stream_free(rc_rnn_stream *s);
/* Sets every state to its start, as rc_rnn_forward's when none is given
 * (zero for most cells; the values at the stream's creation): a new
 * sequence. */
RC_API void rc_rnn_stream_reset(rc_rnn_stream *s);
/* x [n_steps, B, I] → y [n_steps, B, H_out] (y may be NULL). */
RC_API int rc_rnn_stream_run(rc_rnn_stream *s, const float *x, size_t n_steps, float *y);
/* The states, readable and writable (to start from given states): those
 * named h [L, B, H_out] and c [L, B, H] (NULL when the cell has none). */
RC_API float *rc_rnn_stream_h(rc_rnn_stream *s);
RC_API float *rc_rnn_stream_c(rc_rnn_stream *s);
/* Any cell's states: state i [L, B, n_i] (rc_rnn_state_name / _width), NULL
 * past the last. */
RC_API float *rc_rnn_stream_state(rc_rnn_stream *s, size_t i);

/* ---------------------------------------------------------------- safetensors files
 *
 * The safetensors format: an 8-byte little-endian header length N, N bytes
 * of JSON naming each tensor's dtype, shape and byte range, then the raw
 * little-endian data.  Reading checks every offset, size and shape with
 * overflow-safe arithmetic; a malformed file gives RC_EFORMAT and a message
 * naming the file and the tensor. */
typedef struct rc_safetensors rc_safetensors;

RC_API rc_safetensors *rc_safetensors_load(const char *path);
RC_API void rc_safetensors_free(rc_safetensors *st);
RC_API size_t rc_safetensors_count(const rc_safetensors *st);
RC_API const char *rc_safetensors_name(const rc_safetensors *st, size_t i);
/* "F32", "F16", "BF16", "F64", "I64", "I32", ... as in the header. */
RC_API const char *rc_safetensors_dtype(const rc_safetensors *st, size_t i);
/* Writes the shape of tensor i into shape[max] and returns its number of
 * dimensions (which may exceed max; 0 for a scalar). */
RC_API int rc_safetensors_shape(const rc_safetensors *st, size_t i, size_t *shape, int max);
/* Index of the tensor called name, or -1. */
RC_API long rc_safetensors_find(const rc_safetensors *st, const char *name);
/* A new caller-owned float tensor holding the named tensor, converted from
 * F32, F16, BF16, F64 or an integer type (whose values must be exact in
 * float); a scalar becomes [1].  NULL with a message when it is missing or
 * has more than 4 dimensions. */
RC_API rc_tensor *rc_safetensors_tensor(const rc_safetensors *st, const char *name);
/* The value of a key of the header's __metadata__, or NULL. */
RC_API const char *rc_safetensors_metadata(const rc_safetensors *st, const char *key);
/* The __metadata__'s keys, in the file's order: their number, and key i
 * (NULL past the last). */
RC_API size_t rc_safetensors_metadata_count(const rc_safetensors *st);
RC_API const char *rc_safetensors_metadata_key(const rc_safetensors *st, size_t i);

/* Writes n float tensors (as F32) and n_meta metadata strings to path,
 * through a temporary file that is flushed and renamed, so a crash never
 * leaves a half-written file. */
RC_API int rc_safetensors_save(const char *path, size_t n, const char *const *names,
                               const rc_tensor *const *tensors, size_t n_meta,
                               const char *const *meta_keys, const char *const *meta_values);

/* ---------------------------------------------------------------- task models
 *
 * A recurrent network with the input and output layers of a task:
 *   lm        token ids -> embedding [V, E] -> network -> linear [n_out] ->
 *             softmax; loss: cross-entropy per token (a language model:
 *             n_out = V, the targets the next tokens; a tagger: any n_out)
 *   music     frames [88] -> network -> linear [88] -> sigmoid per key;
 *             loss: Bernoulli NLL summed over keys, per frame (frame t is
 *             predicted from frames before it; the first from a silent one)
 *   classify  feature sequences -> network -> the last layer's final states
 *             (both directions) -> linear [classes]; loss: cross-entropy
 *   audio     raw audio, framed as in Chung et al. 2014: step t reads the
 *             window of samples [t*hop, t*hop + window) and predicts the
 *             next hop samples, each by a mixture of K Gaussians (Bishop
 *             1994) -> linear [hop * 3K]: per sample K logits, K means, K
 *             log standard deviations; loss: the mixture NLL per sample
 *   tag       feature sequences -> network -> linear [n_out] at every step;
 *             loss: cross-entropy per target step (what tools/export_pytorch.py
 *             makes of an nn.LSTM/GRU/RNN with an nn.Linear head; the
 *             copying-memory task's model)
 *   bits      feature sequences -> network -> linear [n_out] -> sigmoid at
 *             every step; loss: Bernoulli NLL summed over the outputs, per
 *             weighted step (the copy tasks of the Neural Turing Machine)
 *   regress   feature sequences -> network -> the last layer's final states
 *             -> linear [n_out]; loss: squared error, the mean over the
 *             outputs and the batch (the adding problem)
 *   pointer   a Pointer Network (Vinyals et al. 2015): points [T, B, F] ->
 *             encoder (the network, behind an end marker) -> decoder (a
 *             second network of the same configuration, from the encoder's
 *             final states, reading the end marker and then the points the
 *             targets chose) -> additive attention over the positions:
 *             logits [T + 1, B, T + 1], position 0 the end, j point j;
 *             loss: cross-entropy per target row.  rnn.input_size is F + 1
 *             (the end marker's channel), n_out 0.  n_out K >= 2 makes it
 *             the paper's sequence-to-sequence baseline instead: no
 *             attention, the decoder's output -> linear [K] over positions
 *             0..K-1 (it cannot point past K - 1; a target there costs
 *             about 1e9 nats).  rc_pointer_decode
 *             answers without targets (convex hulls, tours)
 * Names: X(enum, name). */
#define RC_TASK_LIST(X)               \
    X(RC_TASK_LM, "lm")               \
    X(RC_TASK_MUSIC, "music")         \
    X(RC_TASK_CLASSIFY, "classify")   \
    X(RC_TASK_AUDIO, "audio")         \
    X(RC_TASK_TAG, "tag")             \
    X(RC_TASK_BITS, "bits")           \
    X(RC_TASK_REGRESS, "regress")     \
    X(RC_TASK_POINTER, "pointer")

enum rc_task {
#define RC__TASK_ENUM(id, name) id,
    RC_TASK_LIST(RC__TASK_ENUM)
#undef RC__TASK_ENUM
    RC_TASK_COUNT
};

RC_API const char *rc_task_name(int task);
RC_API int rc_task_from_name(const char *name);

typedef struct rc_model_config {
    int task;             /* enum rc_task */
    rc_rnn_config rnn;    /* rnn.input_size: lm the embedding size, music 88,
                             classify the features per step, audio the window */
    size_t vocab_size;    /* lm: the embedding's rows (0: n_out, as a language model has) */
    size_t n_out;         /* lm: vocabulary size; classify: classes; music: 88;
                             audio: samples predicted per step (the hop); pointer: 0,
                             or the positions of the sequence-to-sequence baseline */
    size_t mixtures;      /* audio: Gaussians per predicted sample (others: 0) */
    float dropout;        /* lm: on embeddings and outputs; all: on the
                             network's output, in training */
    /* AWD-LSTM's regularisers (Merity et al. 2018), in training only (0: off;
     * with rnn.dropout and rnn.dropout_locked between layers and
     * rnn.weight_drop on the recurrent weights): */
    float dropout_embed;  /* lm: whole word types, rows of the embedding zeroed for the
                             pass (the others scaled by 1/(1-p)) */
    float dropout_input;  /* locked (variational) dropout on the network's input: one
                             mask [B, I] for every step (Gal & Ghahramani 2016) */
    float dropout_output; /* locked dropout on the network's output, before the head */
    float ar;             /* + ar mean(y~^2): activation regularisation of the last
                             layer's dropped output y~ (not classify) */
    float tar;            /* + tar mean((y_t - y_{t-1})^2): temporal activation
                             regularisation of its undropped output y (not classify) */
    int tie_weights;      /* lm: the head's weight is the embedding (Inan et al. 2017,
                             Press & Wolf 2017); the network's output width must be the
                             embedding's */
    /* lm: Merity 2019's SHA-RNN (arXiv:1911.11423), when sha_rnn is set: each layer of
     * the network (as wide as the embedding, E) is a block
     *   h = LN(h);  h = drop(layer(h));
     *   [block L-2 only] h = LN_mid(h) + drop(attention(LN_mid(h), [memory; LN_mem(h)]));
     *   h = LN_ff(h) + drop(boom(LN_xff(h)))
     * with one single-head attention over a memory of past positions carried from call
     * to call (the model's states "memory" and "memory_len"), causal within the window;
     * its query projected, layer-normed and gated, keys and values the memory gated
     * (the values through an overparameterised gate); boom(x) = the sum of the E-wide
     * chunks of GELU(W x + b) [sha_ff].  drop: rnn.dropout. */
    int sha_rnn;
    size_t sha_ff;        /* boom's width F, a multiple of E (0: 4 E) */
    size_t sha_memory;    /* the positions the attention sees, the window's included (0: 5000, as
                             the reference); the memory keeps the last sha_memory */
    int sha_no_attention; /* the same blocks without the attention (and without the memory
                             states): the ablation of the paper's head */
} rc_model_config;

typedef struct rc_model rc_model;

/* Weights drawn from rng: the network PyTorch's way, the embedding N(0, 1)
 * scaled by 0.1, the output layer uniform +-1/sqrt(fan-in). */
RC_API rc_model *rc_model_new(const rc_model_config *cfg, rc_rng *rng);
RC_API void rc_model_free(rc_model *m);
RC_API const rc_model_config *rc_model_config_of(const rc_model *m);
RC_API rc_params *rc_model_params(rc_model *m);
RC_API rc_rnn *rc_model_rnn(rc_model *m);
/* The states a model carries from call to call: its network's (rc_rnn_state_*), then
 * a SHA-RNN's "memory" [sha_memory, B, E] (oldest first) and "memory_len" [1, B, 1]
 * (the positions filled, the same in every column).  rc_model_state_shape writes
 * state i's shape for batch B (3 dimensions) and returns 0, or -1 past the last. */
enum { RC_MODEL_MAX_STATES = RC_MAX_STATES + 2 };
RC_API size_t rc_model_state_count(const rc_model *m);
RC_API const char *rc_model_state_name(const rc_model *m, size_t i);
RC_API int rc_model_state_shape(const rc_model *m, size_t i, size_t B, size_t *shape);
/* Model files hold the weights ("rnn.weight_ih_l0", "embed.weight",
 * "head.weight", "head.bias") and the configuration in metadata, plus any
 * extra metadata given (e.g. "vocab"). */
RC_API int rc_model_save(const rc_model *m, const char *path, size_t n_meta,
                         const char *const *keys, const char *const *values);
/* *st (when not NULL) receives the opened file, for its metadata; free it. */
RC_API rc_model *rc_model_load(const char *path, rc_safetensors **st);

/* A batch, time-major; what each task reads:
 *   lm:       tokens [T, B], targets [T, B] (-1 for padding)
 *   music:    frames [T, B, 88] (inputs are these frames shifted by one step
 *             behind a silent frame; targets are these frames), weights
 *             [T, B] (0 for padding)
 *   classify: features [T, B, F], classes [B]
 *   tag:      features [T, B, F], targets [T, B] (-1 for padding)
 *   bits:     features [T, B, F], frames [T, B, n_out] the target bits (0 or
 *             1), weights [T, B] (0 where nothing is to be output)
 *   regress:  features [T, B, F], samples [B, n_out] the target values
 *   audio:    features [T, B, window] (the windows read), samples [T, B, hop]
 *             (the samples to predict), weights [T, B] (0 for padding)
 *   pointer:  features [T, B, F] the points, lengths [B] the points of each
 *             (or NULL: T), targets [T + 1, B] the positions pointed to: k
 *             for point k (1-based), then 0 for the end, -1 after it (the
 *             decoder reads them: rc_model_forward needs them too)
 * lengths [B] (or NULL) and carried states h0/c0 or states0 (or NULL) go to
 * the network (rc_rnn_options). */
typedef struct rc_batch {
    size_t T, B;
    const int32_t *tokens, *targets;
    const float *frames, *weights;
    const float *features, *samples;
    const int32_t *classes;
    const int32_t *lengths;
    rc_tensor *h0, *c0;
    rc_tensor *const *states0; /* every state of the model (rc_model_state_count), instead of
                                  h0 and c0 */
} rc_batch;

/* The task's mean loss over the batch ([1]); *logits (the output layer's
 * values) and the network's final states are written when the pointers are
 * not NULL.  dropout_rng NULL: no dropout (evaluation). */
RC_API rc_tensor *rc_model_loss(rc_tape *tp, rc_model *m, const rc_batch *b, rc_rng *dropout_rng,
                                rc_tensor **logits, rc_tensor **h_n, rc_tensor **c_n);
/* rc_model_loss with every final state of the model: states_n
 * [rc_model_state_count] (or NULL). */
RC_API rc_tensor *rc_model_loss_states(rc_tape *tp, rc_model *m, const rc_batch *b, rc_rng *dropout_rng,
                                       rc_tensor **logits, rc_tensor **states_n);
/* The output layer's values for the batch's inputs alone (no targets read, no
 * dropout): what rc_model_loss's *logits gets, [T, B, n_out] (classify,
 * regress [B, n_out]; audio [T, B, hop * 3K]), with every final state in states_n
 * (or NULL).  Streaming: call it on successive pieces of the sequences,
 * each call's states0 the previous call's states_n (music shifts each
 * piece behind a silent frame, so it streams one whole piece at a time). */
RC_API rc_tensor *rc_model_forward(rc_tape *tp, rc_model *m, const rc_batch *b, rc_tensor **states_n);

/* A pointer model's answers for the batch's points (features, lengths; no
 * targets read), in the targets' layout: out [(T + 1) * B], each answer's
 * positions then 0 (its end), -1 after it; an answer that never pointed
 * at the end stops after n + 1 positions (n: its points).  beam 1: greedy, the most likely
 * position at each step; beam K: beam search keeping the K most likely
 * partial answers (log-probabilities summed, no length normalisation),
 * returning the most likely that ended.  tours: only valid tours (every
 * point once, then the end), as the paper's TSP search. */
RC_API int rc_pointer_decode(rc_model *m, const rc_batch *b, size_t beam, int tours, int32_t *out);

/* ---------------------------------------------------------------- optimizers
 *
 * Every optimizer works on a parameter set's flat value and gradient blocks
 * in single loops, with its own state (momenta, averages) in flat blocks of
 * the same layout.  The update rules are PyTorch's (torch.optim), plus:
 *   - RMSProp's floor on the gradient RMS and Graves's centred form with
 *     momentum (Graves 2013, eq. 38-41; Chung et al. 2014 use momentum 0.9,
 *     decay 0.95 and a floor of 1e-2);
 *   - averaged SGD: plain SGD steps whose running average of the weights is
 *     what evaluation and saving use once averaging has started (Polyak &
 *     Juditsky 1992); the trainer starts it at a fixed step (ASGD) or when
 *     validation stops improving (NT-ASGD, Merity et al. 2017).
 * Names: X(enum, name). */
#define RC_OPTIM_LIST(X)            \
    X(RC_OPTIM_SGD, "sgd")          \
    X(RC_OPTIM_ADAM, "adam")        \
    X(RC_OPTIM_ADAMW, "adamw")      \
    X(RC_OPTIM_RMSPROP, "rmsprop")  \
    X(RC_OPTIM_ASGD, "asgd")

enum rc_optim_kind {
#define RC__OPTIM_ENUM(id, name) id,
    RC_OPTIM_LIST(RC__OPTIM_ENUM)
#undef RC__OPTIM_ENUM
    RC_OPTIM_COUNT
};

RC_API const char *rc_optim_name(int kind);
RC_API int rc_optim_from_name(const char *name);

typedef struct rc_optim_config {
    int kind;             /* enum rc_optim_kind */
    float momentum;       /* SGD, ASGD, RMSProp (0: none) */
    int nesterov;         /* SGD */
    float weight_decay;   /* L2 added to the gradient; AdamW: decoupled decay */
    float beta1, beta2;   /* Adam(W) moment decays (0.9, 0.999) */
    float eps;            /* Adam(W) 1e-8, RMSProp 1e-8 */
    float alpha;          /* RMSProp decay of the squared-gradient average (0.99; Graves 0.95) */
    int centered;         /* RMSProp: divide by the gradient's standard deviation (Graves) */
    float rms_floor;      /* RMSProp: the divisor is at least this (0: none) */
    float clip_update;    /* the update's global norm is at most this (0: no limit) */
} rc_optim_config;

/* PyTorch's defaults for kind (lr is passed to each step). */
RC_API rc_optim_config rc_optim_config_default(int kind);

typedef struct rc_optim rc_optim;

/* The parameter set must outlive the optimizer and not grow after it. */
RC_API rc_optim *rc_optim_new(rc_params *params, const rc_optim_config *cfg);
RC_API void rc_optim_free(rc_optim *opt);
/* One update from the gradients in the parameter set, with learning rate lr. */
RC_API int rc_optim_step(rc_optim *opt, float lr);
/* Updates taken so far; and the whole counter state, for checkpoints:
 * steps, whether averaging runs, and the steps folded into the average. */
RC_API uint64_t rc_optim_steps(const rc_optim *opt);
RC_API uint64_t rc_optim_averaged_steps(const rc_optim *opt);
RC_API void rc_optim_restore(rc_optim *opt, uint64_t steps, int averaging, uint64_t averaged);
/* The state blocks (for checkpoints): count, and block i's name and floats
 * [rc_params_numel]. */
RC_API size_t rc_optim_state_count(const rc_optim *opt);
RC_API const char *rc_optim_state_name(const rc_optim *opt, size_t i);
RC_API float *rc_optim_state(rc_optim *opt, size_t i);
/* Averaging (ASGD / NT-ASGD): start it; whether it runs; and swap the live
 * weights with their average (call twice to swap back), e.g. around an
 * evaluation or a save. */
RC_API void rc_optim_start_averaging(rc_optim *opt);
RC_API int rc_optim_averaging(const rc_optim *opt);
RC_API void rc_optim_swap_average(rc_optim *opt);

/* Gradient clipping by value: each gradient into [-max, max]. */
RC_API void rc_params_clip_grad_value(rc_params *p, float max);

/* Gaussian weight noise (Graves 2011): rc_params_add_noise keeps the clean
 * weights in saved [rc_params_numel] and adds noise of standard deviation
 * std to every weight before the forward pass; rc_params_remove_noise puts
 * the saved weights back before the update (exactly: subtracting the noise
 * would not always give them back in floating point), so the gradient is
 * taken at noisy weights and applied to clean ones.  Each call takes 64
 * bits from rng and draws the whole block from them with a vectorized
 * counter-based generator (SplitMix64 + Box-Muller). */
RC_API void rc_params_add_noise(rc_params *p, rc_rng *rng, float std, float *saved);
RC_API void rc_params_remove_noise(rc_params *p, const float *saved);

/* ---------------------------------------------------------------- learning-rate schedules
 * X(enum, name):
 *   constant   lr
 *   step       lr * gamma^floor(epoch / step_size)
 *   linear     lr to lr_end, linearly over `length` epochs, then lr_end
 *   cosine     lr_end + (lr - lr_end) (1 + cos(pi epoch / length)) / 2
 *   plateau    lr, times gamma whenever the validation figure has not
 *              improved for `patience` evaluations (rc_schedule_observe) */
#define RC_SCHEDULE_LIST(X)                  \
    X(RC_SCHEDULE_CONSTANT, "constant")      \
    X(RC_SCHEDULE_STEP, "step")              \
    X(RC_SCHEDULE_LINEAR, "linear")          \
    X(RC_SCHEDULE_COSINE, "cosine")          \
    X(RC_SCHEDULE_PLATEAU, "plateau")

enum rc_schedule_kind {
#define RC__SCHEDULE_ENUM(id, name) id,
    RC_SCHEDULE_LIST(RC__SCHEDULE_ENUM)
#undef RC__SCHEDULE_ENUM
    RC_SCHEDULE_COUNT
};

RC_API const char *rc_schedule_name(int kind);
RC_API int rc_schedule_from_name(const char *name);

typedef struct rc_schedule {
    int kind;
    float lr;             /* the starting rate */
    float lr_end;         /* linear, cosine */
    float gamma;          /* step, plateau: the factor (e.g. 0.1, 0.5) */
    double step_size;     /* step: epochs between decays */
    double length;        /* linear, cosine: epochs to reach lr_end */
    int patience;         /* plateau: evaluations without improvement */
    /* plateau's state (kept in checkpoints) */
    double best;          /* best figure seen (lower is better) */
    int bad_evals;        /* evaluations since it improved */
    float scale;          /* the product of the decays so far */
} rc_schedule;

/* A schedule with everything but kind and lr at neutral values. */
RC_API rc_schedule rc_schedule_init(int kind, float lr);
/* The rate at a (fractional) epoch. */
RC_API float rc_schedule_lr(const rc_schedule *s, double epoch);
/* Tells a plateau schedule a new validation figure (lower is better);
 * returns 1 when it lowered the rate. */
RC_API int rc_schedule_observe(rc_schedule *s, double figure);

/* ---------------------------------------------------------------- data */

/* Reads an IDX file (LeCun's MNIST format), gzip-compressed or not, of any
 * element type (u8, i8, i16, i32, f32, f64), into a caller-owned float tensor
 * with the file's shape (1 to 4 dimensions).  NULL with a message naming the
 * file and the problem on failure. */
RC_API rc_tensor *rc_idx_load(const char *path);

/* Polyphonic piano rolls: sequences of frames over the 88 piano keys,
 * MIDI pitches 21 (A0) to 108 (C8), key k = pitch - 21. */
#define RC_PIANO_KEYS 88
#define RC_PIANO_LOWEST 21

typedef struct rc_rolls rc_rolls;

/* The text format of ../shared/data/music: one sequence per line, steps
 * separated by ';', the sounding pitches of a step as integers separated by
 * spaces, a silent step empty.  Malformed lines (a token that is not a
 * pitch in 21..108, an empty line) give RC_EFORMAT naming line and step. */
RC_API rc_rolls *rc_rolls_load_text(const char *path);
RC_API void rc_rolls_free(rc_rolls *r);
RC_API size_t rc_rolls_count(const rc_rolls *r);
RC_API size_t rc_rolls_length(const rc_rolls *r, size_t i);        /* T_i */
RC_API const float *rc_rolls_frames(const rc_rolls *r, size_t i);  /* [T_i, 88] of 0 and 1 */
RC_API size_t rc_rolls_total_steps(const rc_rolls *r);

/* Text vocabularies.  Levels:
 *   byte  the 256 byte values, always
 *   char  UTF-8 code points seen in the text (invalid UTF-8 is an error)
 *   word  whitespace-separated words, with "<eos>" at the end of every line
 *         and "<unk>" for words the vocabulary lacks (Mikolov's Penn
 *         Treebank convention) */
enum rc_text_level { RC_TEXT_BYTE, RC_TEXT_CHAR, RC_TEXT_WORD };

typedef struct rc_vocab rc_vocab;

/* The vocabulary of text[len] at a level; tokens are numbered in order of
 * first appearance (word level: "<unk>" and "<eos>" first). */
RC_API rc_vocab *rc_vocab_build(int level, const char *text, size_t len);
RC_API void rc_vocab_free(rc_vocab *v);
RC_API int rc_vocab_level(const rc_vocab *v);
RC_API size_t rc_vocab_size(const rc_vocab *v);
/* Token id's text (NUL-terminated; a byte token of value 0 is ""). */
RC_API const char *rc_vocab_token(const rc_vocab *v, int32_t id);
/* Encodes text into a malloc'd array *ids of *n ids (free it with free()). */
RC_API int rc_vocab_encode(const rc_vocab *v, const char *text, size_t len, int32_t **ids, size_t *n);
/* The vocabulary as one JSON string (for a model file's metadata), and back. */
RC_API char *rc_vocab_to_json(const rc_vocab *v);
RC_API rc_vocab *rc_vocab_from_json(const char *json);

/* Reads a whole file into a malloc'd, NUL-terminated buffer. */
RC_API char *rc_read_file(const char *path, size_t *len);
/* Writes len bytes to path through a temporary file, flushed and renamed. */
RC_API int rc_write_file(const char *path, const void *data, size_t len);

/* Reads Standard MIDI Files (format 0 or 1; running status, sysex and meta
 * events, tempo changes) as piano rolls, one sequence per file; path is a
 * file or a folder of *.mid / *.midi files (in name order).  Time is cut
 * into steps_per_quarter steps per quarter note, or, when that is 0, into
 * frames_per_second frames per second through the tempo map.  A note
 * sounds from the step nearest its start to the step nearest its end (at
 * least one step); drums (channel 10) and pitches off the piano are left
 * out.  Malformed files give RC_EFORMAT naming the file and the byte. */
RC_API rc_rolls *rc_rolls_load_midi(const char *path, double steps_per_quarter, double frames_per_second);

/* Reads a RIFF WAV file of PCM samples, 8-bit (unsigned) or 16-bit
 * (signed), into a caller-owned tensor [n] of samples in [-1, 1); several
 * channels are averaged into one.  *sample_rate (when not NULL) gets the
 * rate.  Compressed or float formats give RC_EUNSUPPORTED. */
RC_API rc_tensor *rc_wav_load(const char *path, unsigned *sample_rate);
/* Writes samples [n] (clipped to [-1, 1]) as a mono 16-bit PCM WAV file,
 * through a temporary file that is flushed and renamed. */
RC_API int rc_wav_save(const char *path, const float *samples, size_t n, unsigned sample_rate);

/* Audio clips: named mono signals of one sample rate.  rc_clips_load reads
 * WAV files (as rc_wav_load) from path: one .wav file, a folder of them, or
 * an archive (tar, tar.gz, zip, ... read with libarchive) whose .wav
 * members are read and the rest skipped; the clips come in name order (in
 * an archive, by member path).  Clips of different rates give RC_EFORMAT
 * naming the first that differs. */
typedef struct rc_clips rc_clips;

RC_API rc_clips *rc_clips_load(const char *path);
/* An empty set, and adding a copy of samples [n] as clip `name`. */
RC_API rc_clips *rc_clips_new(unsigned sample_rate);
RC_API int rc_clips_add(rc_clips *c, const char *name, const float *samples, size_t n);
RC_API void rc_clips_free(rc_clips *c);
RC_API size_t rc_clips_count(const rc_clips *c);
RC_API unsigned rc_clips_rate(const rc_clips *c);
/* Clip i's file name (without folders), length and samples [length] in
 * [-1, 1); NULL or 0 when i is out of range. */
RC_API const char *rc_clips_name(const rc_clips *c, size_t i);
RC_API size_t rc_clips_length(const rc_clips *c, size_t i);
RC_API const float *rc_clips_samples(const rc_clips *c, size_t i);
/* Dequantization (Theis et al. 2016): adds to every sample read from a WAV
 * file centred uniform noise one quantization step wide (2^-15 for 16-bit
 * samples, 2^-7 for 8-bit), drawn from a generator seeded with seed, once.
 * A density fitted to the result cannot pile infinite density on the
 * discrete levels, and its NLL per sample plus log(1/step) (10.40 nats for
 * 16 bits) bounds the NLL of the discrete samples.  Clips added as floats
 * are left as they are. */
RC_API void rc_clips_dequantize(rc_clips *c, uint64_t seed);

/* Reads a CSV file of numbers (comma-separated; a first line that is not
 * numeric is taken as a header and skipped) into a caller-owned tensor
 * [rows, columns].  Ragged rows, empty cells and non-numbers give
 * RC_EFORMAT naming the line and the column. */
RC_API rc_tensor *rc_csv_load(const char *path);

/* Writes a piano roll frames [T, 88] (a key sounds where > 0.5) as a
 * Standard MIDI File, format 0: each step lasts ticks_per_step of 480 ticks
 * per quarter note, at bpm quarter notes per minute. */
RC_API int rc_midi_save(const char *path, const float *frames, size_t T, unsigned ticks_per_step,
                        unsigned bpm);

/* ---------------------------------------------------------------- synthetic tasks
 *
 * The algorithmic tasks that memory networks are judged on, generated from a
 * seed: example i of a seed is the same on every machine.  Each is learnt by
 * a task model (rc_synth_task) reading rc_synth_inputs features per step:
 *   copy          (Graves et al. 2014, 4.1) L random vectors of `bits` bits
 *                 (each bit a fair coin; channel `bits` 0), then a delimiter
 *                 step (channel `bits` 1), then L blank steps during which
 *                 the vectors are to be output.  T = 2L + 1; bits task, n_out
 *                 = bits, weight 1 on the output steps.
 *   repeat-copy   (4.2) L vectors, then a step with the delimiter and the
 *                 repeat count R on channel bits + 1, normalised as the paper
 *                 (R - 5.5) / 2.87 (zero mean, unit variance for R in 1..10);
 *                 then the vectors R times, then an end marker on output
 *                 channel `bits`.  T = L + 1 + L R + 1; n_out = bits + 1.
 *   assoc-recall  (4.3) n items of item_length vectors, each after a step
 *                 with channel `bits` 1; then a query item (one of the first
 *                 n - 1) between two steps with channel bits + 1; then
 *                 item_length blank steps to output the item that followed
 *                 the query.  T = n (item_length + 1) + 2 item_length + 2.
 *   copy-memory   (Arjovsky et al. 2016, 4.1) copy_length symbols drawn from
 *                 1..symbols, then L - 1 blanks (0), a marker (symbols + 1)
 *                 and copy_length blanks, one-hot over symbols + 2 channels;
 *                 the targets are L + copy_length blanks and then the
 *                 symbols.  T = L + 2 copy_length; tag task.  A memoryless
 *                 guess scores copy_length log(symbols) / T nats per step.
 *   adding        (4.2) L steps of [value U[0, 1), marker]: two markers 1,
 *                 one in the first L/2 steps and one in the rest; the target
 *                 is the sum of the two marked values.  Regress task, n_out
 *                 1; always guessing 1 scores a mean squared error of 1/6.
 *   convex-hull   (Vinyals et al. 2015, 4.2) L points uniform in the unit
 *                 square, [x, y] per step; the targets are the positions
 *                 of the hull's vertices counter-clockwise from the lowest
 *                 index on it (rc_convex_hull), then the end.  Pointer task:
 *                 T = L, the targets' rows L + 1 (see the pointer model).
 *   tsp           (4.3) the same points; the targets an optimal closed tour
 *                 from the first point (rc_tsp_optimal), then the end.  At
 *                 most RC_TSP_MAX_EXACT points: labels are exact.
 * L is drawn uniformly from [min_length, max_length] (assoc-recall: n from
 * [min_items, max_items]), R from [min_repeats, max_repeats].
 * Names: X(enum, name). */
#define RC_SYNTH_LIST(X)                          \
    X(RC_SYNTH_COPY, "copy")                      \
    X(RC_SYNTH_REPEAT_COPY, "repeat-copy")        \
    X(RC_SYNTH_ASSOC_RECALL, "assoc-recall")      \
    X(RC_SYNTH_COPY_MEMORY, "copy-memory")        \
    X(RC_SYNTH_ADDING, "adding")                  \
    X(RC_SYNTH_CONVEX_HULL, "convex-hull")        \
    X(RC_SYNTH_TSP, "tsp")

enum rc_synth_kind {
#define RC__SYNTH_ENUM(id, name) id,
    RC_SYNTH_LIST(RC__SYNTH_ENUM)
#undef RC__SYNTH_ENUM
    RC_SYNTH_COUNT
};

RC_API const char *rc_synth_name(int kind);
RC_API int rc_synth_from_name(const char *name);

typedef struct rc_synth_config {
    int kind;                        /* enum rc_synth_kind */
    size_t bits;                     /* copy, repeat-copy, assoc-recall: bits per vector */
    size_t min_length, max_length;   /* copy, repeat-copy: vectors; copy-memory: the gap; adding: steps */
    size_t min_repeats, max_repeats; /* repeat-copy */
    size_t min_items, max_items;     /* assoc-recall */
    size_t item_length;              /* assoc-recall: vectors per item */
    size_t symbols;                  /* copy-memory: the alphabet to remember */
    size_t copy_length;              /* copy-memory: symbols to remember */
} rc_synth_config;

/* The papers' settings: copy bits 8, L 1..20; repeat-copy bits 8, L 1..10, R
 * 1..10; assoc-recall bits 6, items 2..6 of 3 vectors; copy-memory 8
 * symbols, 10 remembered, L 100; adding L 100; convex-hull 5..10 points;
 * tsp 5 points.  kind out of range: zeros. */
RC_API rc_synth_config rc_synth_config_default(int kind);
/* RC_OK, or RC_EINVAL naming the field that is out of range. */
RC_API int rc_synth_check(const rc_synth_config *c);
/* The task model that learns it (RC_TASK_BITS, _TAG, _REGRESS or _POINTER),
 * its input width, its outputs (pointer tasks: 0, they point into their
 * input), and the most steps an example can have (pointer tasks: the most
 * target rows, max_length + 1). */
RC_API int rc_synth_task(const rc_synth_config *c);
RC_API size_t rc_synth_inputs(const rc_synth_config *c);
RC_API size_t rc_synth_outputs(const rc_synth_config *c);
RC_API size_t rc_synth_max_steps(const rc_synth_config *c);
/* What a model that has learnt nothing of the sequence scores, in the task's
 * loss: copy-memory copy_length log(symbols) / T at the longest T, adding
 * 1/6; NAN for the others (their figure is bit errors). */
RC_API double rc_synth_baseline(const rc_synth_config *c);

/* The exact answers of the Pointer Network's tasks (Vinyals et al. 2015),
 * points [n, 2] as x, y pairs:
 *   rc_convex_hull   the hull's vertices into hull [n], counter-clockwise
 *                    from the lowest index on it (collinear points left
 *                    out); returns their number (0 with n = 0)
 *   rc_polygon_area  the signed area of the polygon points[order[0..m)]
 *                    (positive counter-clockwise): the hull task's coverage
 *   rc_tour_length   the length of the closed tour points[tour[0..n)]
 *   rc_tsp_optimal   an optimal tour into tour [n], from point 0 in the
 *                    direction whose second point has the lower index (so
 *                    each set of points has one answer), by Held & Karp's
 *                    dynamic programme (O(n^2 2^n) time, 5 n 2^n bytes);
 *                    its length, or -1 with a message when n is outside
 *                    1..RC_TSP_MAX_EXACT */
enum { RC_TSP_MAX_EXACT = 20, RC_POINTER_MAX_POINTS = 1000 };
RC_API size_t rc_convex_hull(const float *points, size_t n, int32_t *hull);
RC_API double rc_polygon_area(const float *points, const int32_t *order, size_t m);
RC_API double rc_tour_length(const float *points, const int32_t *tour, size_t n);
RC_API double rc_tsp_optimal(const float *points, size_t n, int32_t *tour);
/* 1 when the polygon points[order[0..m)] is simple: m >= 3 distinct
 * vertices, and no two edges meet except neighbours at their shared
 * vertex (none overlapping, none touching); else 0. */
RC_API int rc_polygon_simple(const float *points, const int32_t *order, size_t m);

/* Example `index` of `seed`, written into buffers of rc_synth_max_steps
 * rows (each may be NULL when not wanted): inputs [T, inputs]; bits tasks:
 * targets [T, outputs] and weights [T]; copy-memory: classes [T]; adding:
 * targets[0] the sum; pointer tasks: classes [T + 1] the positions pointed
 * to (k for point k, 1-based; 0 the end; -1 after it).  Returns T (0 with
 * a message when c is invalid). */
RC_API size_t rc_synth_example(const rc_synth_config *c, uint64_t seed, uint64_t index, float *inputs,
                               float *targets, float *weights, int32_t *classes);

/* ---------------------------------------------------------------- training
 *
 * Data sets hold a task's examples; rc_train runs epochs of updates over
 * one, evaluates on another, keeps the best model, writes crash-safe
 * checkpoints and reports through a callback (it never prints).  Same seed,
 * same thread count, same data: bitwise the same model, also after resuming
 * from a checkpoint. */
typedef struct rc_dataset rc_dataset;

/* A token stream for language modelling (copied): ids [n], each < vocab. */
RC_API rc_dataset *rc_dataset_tokens(const int32_t *ids, size_t n, size_t vocab);
/* Piano rolls for music modelling (copied); the _range form takes the
 * count sequences from first on. */
RC_API rc_dataset *rc_dataset_rolls(const rc_rolls *rolls);
RC_API rc_dataset *rc_dataset_rolls_range(const rc_rolls *rolls, size_t first, size_t count);
/* n sequences x [n, T, F] with classes [n] in 0..classes-1 (copied). */
RC_API rc_dataset *rc_dataset_sequences(const float *x, const int32_t *labels, size_t n, size_t T,
                                        size_t F, size_t classes);
/* Audio clips for next-samples prediction (copied): the clips pick [n] of c
 * (pick NULL: the first n), each read in windows of `window` samples that
 * move by hop and predict the hop samples after them: a clip of N samples
 * gives floor((N - window) / hop) steps.  A clip shorter than window + hop
 * is an error naming it. */
RC_API rc_dataset *rc_dataset_clips(const rc_clips *c, const size_t *pick, size_t n, size_t window,
                                    size_t hop);
/* n examples of a synthetic task (generated batch by batch, never held
 * whole).  fresh 0: example i of seed, the same set every epoch (validation,
 * test); fresh 1: a training set whose every epoch draws n new examples,
 * their seed taken from the trainer's data generator (so a resumed run sees
 * the same ones). */
RC_API rc_dataset *rc_dataset_synth(const rc_synth_config *c, size_t n, uint64_t seed, int fresh);
RC_API void rc_dataset_free(rc_dataset *d);
RC_API int rc_dataset_task(const rc_dataset *d);
/* Tokens, sequences, piano rolls or clips held. */
RC_API size_t rc_dataset_size(const rc_dataset *d);
/* The width of each step's input (lm: 1 token; music: 88; classify: F;
 * audio: the window) and the number of outputs the data needs (lm:
 * vocabulary; music: 88; classify: classes; audio: the hop). */
RC_API size_t rc_dataset_features(const rc_dataset *d);
RC_API size_t rc_dataset_outputs(const rc_dataset *d);
/* Sequence i of a classification set: its steps [T, F] (T written to *T)
 * and class; NULL for other tasks or i out of range. */
RC_API const float *rc_dataset_sequence(const rc_dataset *d, size_t i, size_t *T, int32_t *label);

/* Evaluation: the task's mean loss per unit (token, frame, sequence, target
 * step or predicted sample), the number of units, and the task's other
 * figures. */
typedef struct rc_eval_result {
    double loss;
    double units;
    double accuracy;          /* classify: sequences right; tag: target steps right; bits:
                                 output bits right (a sigmoid above 1/2 read as 1); else NAN */
    double sequences;         /* sequences (lm: streams) evaluated */
    double exact;             /* tag, bits: share of sequences with every target right; else NAN */
    double errors;            /* bits: wrong bits per sequence; else NAN */
    /* pointer tasks, from decoded answers (rc_pointer_decode; accuracy is then the
     * share of target rows whose most likely position, reading the targets, is right,
     * and exact the share of decoded answers equal to the target): */
    double invalid;           /* convex-hull: answers that are not a simple polygon of 3 or
                                 more points ending at the end marker; else NAN */
    double coverage;          /* convex-hull: the mean over the valid answers of their area
                                 over the true hull's; else NAN */
    double tour;              /* tsp: the mean length of the decoded tours; else NAN */
    double optimal;           /* tsp: the mean length of the optimal tours; else NAN */
} rc_eval_result;

/* RC_OK when d makes at least one batch of `batch` sequences (lm: streams
 * of at least two tokens); RC_EINVAL saying why not. */
RC_API int rc_dataset_check_batches(const rc_dataset *d, size_t batch, size_t bptt);
/* batch: sequences (or lm streams) per forward pass; bptt: lm window.
 * Pointer tasks decode greedily (tsp: valid tours only); rc_evaluate_beam
 * decodes by beam search of `beam` (1: greedy; other tasks ignore it). */
RC_API int rc_evaluate(rc_model *m, const rc_dataset *data, size_t batch, size_t bptt,
                       rc_eval_result *out);
RC_API int rc_evaluate_beam(rc_model *m, const rc_dataset *data, size_t batch, size_t bptt, size_t beam,
                            rc_eval_result *out);

typedef struct rc_train_config {
    rc_optim_config optim;
    rc_schedule schedule;     /* holds the learning rate */
    size_t epochs;            /* passes over the training set */
    size_t max_steps;         /* stop after this many updates (0: no limit) */
    size_t batch;             /* sequences per update; lm: parallel streams */
    size_t bucket;            /* music, audio: after each epoch's shuffle, the sequences
                                 of every run of `bucket` batches are sorted by length,
                                 so that a batch pads little, and the batches are then
                                 taken in a random order (0 or 1: off) */
    size_t bptt;              /* lm: steps per truncated-BPTT window */
    int variable_bptt;        /* lm: each window's length drawn as AWD-LSTM does (Merity et al.
                                 2018): bptt with probability 0.95, else bptt/2, then normal
                                 around it with deviation 5, at least 5 (and at most 2 bptt);
                                 the rate scaled by length / bptt */
    float clip_norm;          /* global gradient norm limit (0: none) */
    float clip_value;         /* per-gradient limit (0: none) */
    float weight_noise;       /* std of Gaussian weight noise per update (0: none) */
    int nt_asgd;              /* with RC_OPTIM_ASGD: start averaging when validation
                                 stops improving (Merity et al. 2017); else from the start */
    size_t nonmono;           /* NT-ASGD's window of evaluations (5) */
    size_t patience;          /* stop after this many evaluations without improvement (0: never) */
    size_t eval_every;        /* evaluate every this many updates (0: at each epoch's end) */
    size_t checkpoint_every;  /* write the checkpoint every this many updates, and at
                                 each epoch's end (0: epoch ends only) */
    uint64_t seed;
    const char *checkpoint;   /* checkpoint file, or NULL */
    const char *best_model;   /* where the best model goes (on validation), or NULL */
    int resume;               /* continue from the checkpoint file */
    size_t n_meta;            /* extra metadata for saved models (e.g. a vocabulary) */
    const char *const *meta_keys, *const *meta_values;
} rc_train_config;

/* Sensible defaults: Adam 1e-3, 10 epochs, batch 32, bptt 35, clip 5, seed 1. */
RC_API rc_train_config rc_train_config_default(void);

enum rc_train_event { RC_TRAIN_STEP, RC_TRAIN_EVAL, RC_TRAIN_CHECKPOINT, RC_TRAIN_DONE };

typedef struct rc_train_status {
    int event;                /* enum rc_train_event */
    uint64_t step;            /* updates done */
    uint64_t total_steps;     /* updates planned */
    double epoch;             /* fractional epochs done */
    float lr;
    double loss;              /* mean training loss since the last evaluation */
    double last_loss;         /* of the latest update */
    double valid;             /* latest validation loss (NAN before the first) */
    double valid_accuracy;    /* classify */
    double best_valid;
    int improved;             /* this evaluation is the best so far */
    int averaging;            /* ASGD averaging runs */
    int stopped_early;        /* DONE: patience ran out */
    double seconds;           /* of training, across resumes */
} rc_train_status;

/* Called after every update and at each event; a non-zero return stops
 * training (after writing the checkpoint when one is configured). */
typedef int (*rc_train_callback)(const rc_train_status *status, void *user);

/* Trains m on train, evaluating on valid (which may be NULL).  The data
 * sets must fit the model's task and sizes. */
RC_API int rc_train(rc_model *m, const rc_dataset *train, const rc_dataset *valid,
                    const rc_train_config *cfg, rc_train_callback callback, void *user);

#ifdef __cplusplus
}
#endif
#endif /* RECUR_H */
