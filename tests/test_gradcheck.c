/* test_gradcheck.c — a finite-difference gradient check for every operation:
 * a table of cases (op x shapes x options), each checked by t_gradcheck
 * (gradcheck.c explains the method and the tolerance).  Inputs avoid kinks
 * and poles: relu and max-pool inputs stay more than 4h from ties, log and
 * div get values at least 1 away from zero. */
#include "gradcheck.h"
#include "test.h"

#include "../src/ops/ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum gen { NORMAL, POSITIVE, AWAY_FROM_ZERO, SPACED, UNIT_CONST };

#define MAX_IN 4

typedef struct {
    const char *name; /* first word: the op's name in ops.def */
    int n_in;
    int ndim[MAX_IN];
    size_t shape[MAX_IN][RC_MAX_DIMS];
    enum gen gen[MAX_IN]; /* UNIT_CONST: values in [0, 1), no gradient taken */
    rc_tensor *(*build)(rc_tape *tp, rc_tensor **x);
} gc_case;

/* ---------------------------------------------------------------- builders */

static rc_tensor *b_matmul_nn(rc_tape *tp, rc_tensor **x) { return rc_matmul(tp, x[0], x[1], 0, 0); }
static rc_tensor *b_matmul_nt(rc_tape *tp, rc_tensor **x) { return rc_matmul(tp, x[0], x[1], 0, 1); }
static rc_tensor *b_matmul_tn(rc_tape *tp, rc_tensor **x) { return rc_matmul(tp, x[0], x[1], 1, 0); }
static rc_tensor *b_matmul_tt(rc_tape *tp, rc_tensor **x) { return rc_matmul(tp, x[0], x[1], 1, 1); }
static rc_tensor *b_linear(rc_tape *tp, rc_tensor **x) { return rc_linear(tp, x[0], x[1], x[2]); }
static rc_tensor *b_linear_nobias(rc_tape *tp, rc_tensor **x) { return rc_linear(tp, x[0], x[1], NULL); }
static rc_tensor *b_embedding(rc_tape *tp, rc_tensor **x)
{
    static const int32_t ids[] = {2, 0, 2, 4, 1, 2}; /* a repeated row: scatter-add */
    return rc_embedding(tp, x[0], ids, 6);
}
static rc_tensor *b_add(rc_tape *tp, rc_tensor **x) { return rc_add(tp, x[0], x[1]); }
static rc_tensor *b_sub(rc_tape *tp, rc_tensor **x) { return rc_sub(tp, x[0], x[1]); }
static rc_tensor *b_mul(rc_tape *tp, rc_tensor **x) { return rc_mul(tp, x[0], x[1]); }
static rc_tensor *b_div(rc_tape *tp, rc_tensor **x) { return rc_div(tp, x[0], x[1]); }
static rc_tensor *b_mul_self(rc_tape *tp, rc_tensor **x) { return rc_mul(tp, x[0], x[0]); }
static rc_tensor *b_scale(rc_tape *tp, rc_tensor **x) { return rc_scale(tp, x[0], -1.7f); }
static rc_tensor *b_sigmoid(rc_tape *tp, rc_tensor **x) { return rc_sigmoid(tp, x[0]); }
static rc_tensor *b_tanh(rc_tape *tp, rc_tensor **x) { return rc_tanh(tp, x[0]); }
static rc_tensor *b_relu(rc_tape *tp, rc_tensor **x) { return rc_relu(tp, x[0]); }
static rc_tensor *b_exp(rc_tape *tp, rc_tensor **x) { return rc_exp(tp, x[0]); }
static rc_tensor *b_log(rc_tape *tp, rc_tensor **x) { return rc_log(tp, x[0]); }
static rc_tensor *b_sum0(rc_tape *tp, rc_tensor **x) { return rc_sum(tp, x[0], 0); }
static rc_tensor *b_sum_mid(rc_tape *tp, rc_tensor **x) { return rc_sum(tp, x[0], 1); }
static rc_tensor *b_mean_last(rc_tape *tp, rc_tensor **x) { return rc_mean(tp, x[0], -1); }
static rc_tensor *b_sum_all(rc_tape *tp, rc_tensor **x) { return rc_sum_all(tp, x[0]); }
static rc_tensor *b_mean_all(rc_tape *tp, rc_tensor **x) { return rc_mean_all(tp, x[0]); }
static rc_tensor *b_softmax_last(rc_tape *tp, rc_tensor **x) { return rc_softmax(tp, x[0], -1); }
static rc_tensor *b_softmax_mid(rc_tape *tp, rc_tensor **x) { return rc_softmax(tp, x[0], 1); }
static rc_tensor *b_log_softmax(rc_tape *tp, rc_tensor **x) { return rc_log_softmax(tp, x[0], -1); }
static rc_tensor *b_log_softmax0(rc_tape *tp, rc_tensor **x) { return rc_log_softmax(tp, x[0], 0); }
static const int32_t ce_targets[] = {3, -100, 0, 4, 4, 1};
static rc_tensor *b_ce_mean(rc_tape *tp, rc_tensor **x)
{
    return rc_cross_entropy(tp, x[0], ce_targets, -100, RC_REDUCE_MEAN);
}
static rc_tensor *b_ce_sum(rc_tape *tp, rc_tensor **x)
{
    return rc_cross_entropy(tp, x[0], ce_targets, -100, RC_REDUCE_SUM);
}
static rc_tensor *b_bce_mean(rc_tape *tp, rc_tensor **x)
{
    return rc_bce_with_logits(tp, x[0], x[1], NULL, RC_REDUCE_MEAN);
}
static rc_tensor *b_bce_sum(rc_tape *tp, rc_tensor **x)
{
    return rc_bce_with_logits(tp, x[0], x[1], NULL, RC_REDUCE_SUM);
}
static rc_tensor *b_bce_weighted(rc_tape *tp, rc_tensor **x)
{
    static const float w[4] = {1.0f, 0.0f, 0.5f, 1.0f}; /* a padded row and a half weight */
    return rc_bce_with_logits(tp, x[0], x[1], w, RC_REDUCE_MEAN);
}
static rc_tensor *b_mixture(rc_tape *tp, rc_tensor **x)
{
    return rc_mixture_nll(tp, x[0], x[1], NULL, RC_REDUCE_MEAN);
}
static rc_tensor *b_mixture_sum(rc_tape *tp, rc_tensor **x)
{
    return rc_mixture_nll(tp, x[0], x[1], NULL, RC_REDUCE_SUM);
}
static rc_tensor *b_mixture_weighted(rc_tape *tp, rc_tensor **x)
{
    static const float w[4] = {0.5f, 0.0f, 1.0f, 2.0f}; /* a padded row and uneven weights */
    return rc_mixture_nll(tp, x[0], x[1], w, RC_REDUCE_MEAN);
}
static rc_tensor *b_mse(rc_tape *tp, rc_tensor **x) { return rc_mse(tp, x[0], x[1], RC_REDUCE_MEAN); }
static rc_tensor *b_mse_sum(rc_tape *tp, rc_tensor **x) { return rc_mse(tp, x[0], x[1], RC_REDUCE_SUM); }
static rc_tensor *b_concat_mid(rc_tape *tp, rc_tensor **x) { return rc_concat(tp, x, 3, 1); }
static rc_tensor *b_concat_first(rc_tape *tp, rc_tensor **x) { return rc_concat(tp, x, 2, 0); }
static rc_tensor *b_slice(rc_tape *tp, rc_tensor **x) { return rc_slice(tp, x[0], -1, 1, 3); }
static rc_tensor *b_split(rc_tape *tp, rc_tensor **x)
{
    rc_tensor *part[3];
    if (rc_split(tp, x[0], 1, (size_t[]){1, 2, 2}, 3, part))
        return NULL;
    rc_tensor *reordered[2] = {part[2], part[0]}; /* part[1] gets no gradient */
    return rc_concat(tp, reordered, 2, 1);
}
static rc_tensor *b_reshape(rc_tape *tp, rc_tensor **x)
{
    return rc_tanh(tp, rc_reshape(tp, x[0], 2, (size_t[]){4, 6}));
}
/* Views (slices along axis 0 and reshapes share their input's memory and
 * gradient): as the output, nested, overlapping, beside the base itself,
 * of a tape value, of a constant. */
static rc_tensor *b_slice0(rc_tape *tp, rc_tensor **x) { return rc_slice(tp, x[0], 0, 1, 2); }
static rc_tensor *b_slice0_of_slice0(rc_tape *tp, rc_tensor **x)
{
    return rc_tanh(tp, rc_slice(tp, rc_slice(tp, x[0], 0, 1, 3), 0, 1, 2));
}
static rc_tensor *b_slice0_of_reshape(rc_tape *tp, rc_tensor **x)
{
    return rc_slice(tp, rc_reshape(tp, x[0], 2, (size_t[]){6, 4}), 0, 2, 3);
}
static rc_tensor *b_reshape_of_slice0(rc_tape *tp, rc_tensor **x)
{
    return rc_sigmoid(tp, rc_reshape(tp, rc_slice(tp, x[0], 0, 1, 2), 2, (size_t[]){3, 4}));
}
static rc_tensor *b_slice0_overlap_and_base(rc_tape *tp, rc_tensor **x)
{
    rc_tensor *parts[2] = {rc_mul(tp, rc_slice(tp, x[0], 0, 0, 3), rc_slice(tp, x[0], 0, 1, 3)),
                           rc_tanh(tp, x[0])};
    return rc_concat(tp, parts, 2, 0);
}
static rc_tensor *b_slice0_of_tape_value(rc_tape *tp, rc_tensor **x)
{
    rc_tensor *h = rc_tanh(tp, rc_linear(tp, x[0], x[1], NULL)); /* [4, 3] */
    rc_tensor *parts[2] = {rc_mul(tp, rc_slice(tp, h, 0, 0, 2), rc_slice(tp, h, 0, 2, 2)), h};
    return rc_concat(tp, parts, 2, 0);
}
static rc_tensor *b_slice0_of_constant(rc_tape *tp, rc_tensor **x)
{
    return rc_mul(tp, rc_slice(tp, x[0], 0, 1, 2), x[1]);
}
static rc_tensor *b_split0(rc_tape *tp, rc_tensor **x)
{
    rc_tensor *part[3];
    if (rc_split(tp, x[0], 0, (size_t[]){2, 1, 2}, 3, part))
        return NULL;
    rc_tensor *parts[3] = {rc_exp(tp, part[2]), part[1], rc_mul(tp, part[0], part[0])};
    return rc_concat(tp, parts, 3, 0);
}
static rc_tensor *b_reshape_alone(rc_tape *tp, rc_tensor **x) { return rc_reshape(tp, x[0], 1, (size_t[]){24}); }
static rc_tensor *b_transpose01(rc_tape *tp, rc_tensor **x) { return rc_transpose(tp, x[0], 0, 1); }
static rc_tensor *b_transpose_last(rc_tape *tp, rc_tensor **x) { return rc_transpose(tp, x[0], -1, 1); }
static rc_tensor *b_dropout(rc_tape *tp, rc_tensor **x)
{
    rc_rng rng;
    rc_rng_seed(&rng, 11, 3); /* the same mask on every evaluation */
    return rc_dropout(tp, x[0], 0.4f, &rng);
}
static rc_tensor *b_dropout_mask(rc_tape *tp, rc_tensor **x)
{
    rc_rng rng;
    rc_rng_seed(&rng, 5, 9);
    rc_tensor *mask = rc_dropout_mask(tp, 2, (size_t[]){2, 3}, 0.5f, &rng); /* [B, F] over [T, B, F] */
    return rc_mul(tp, x[0], mask);
}
static rc_tensor *b_layer_norm(rc_tape *tp, rc_tensor **x)
{
    return rc_layer_norm(tp, x[0], x[1], x[2], 1e-5f);
}
static rc_tensor *b_layer_norm_plain(rc_tape *tp, rc_tensor **x)
{
    return rc_layer_norm(tp, x[0], NULL, NULL, 1e-5f);
}
static rc_tensor *b_conv1d(rc_tape *tp, rc_tensor **x) { return rc_conv1d_causal(tp, x[0], x[1], x[2], 1); }
static rc_tensor *b_conv1d_dil(rc_tape *tp, rc_tensor **x)
{
    return rc_conv1d_causal(tp, x[0], x[1], NULL, 2);
}
static rc_tensor *b_conv2d(rc_tape *tp, rc_tensor **x) { return rc_conv2d(tp, x[0], x[1], x[2], 1, 1, 1, 1); }
static rc_tensor *b_conv2d_stride(rc_tape *tp, rc_tensor **x)
{
    return rc_conv2d(tp, x[0], x[1], NULL, 2, 1, 0, 1);
}
static rc_tensor *b_max_pool(rc_tape *tp, rc_tensor **x) { return rc_max_pool2d(tp, x[0], 2, 2, 2, 2, 0, 0); }
static rc_tensor *b_max_pool_pad(rc_tape *tp, rc_tensor **x)
{
    return rc_max_pool2d(tp, x[0], 3, 3, 2, 1, 1, 1);
}
static rc_tensor *b_complex_phase(rc_tape *tp, rc_tensor **x) { return rc_complex_phase(tp, x[0], x[1]); }
static rc_tensor *b_complex_reflect(rc_tape *tp, rc_tensor **x) { return rc_complex_reflect(tp, x[0], x[1]); }
static rc_tensor *b_complex_fft(rc_tape *tp, rc_tensor **x) { return rc_complex_fft(tp, x[0], 0); }
static rc_tensor *b_complex_ifft(rc_tape *tp, rc_tensor **x) { return rc_complex_fft(tp, x[0], 1); }
static rc_tensor *b_complex_permute(rc_tape *tp, rc_tensor **x)
{
    static const int32_t perm[5] = {3, 0, 4, 1, 2};
    return rc_complex_permute(tp, x[0], perm);
}
static rc_tensor *b_modrelu(rc_tape *tp, rc_tensor **x) { return rc_modrelu(tp, x[0], x[1]); }
/* moduli in [1.41, 2.83]: biases near -0.5 keep a unit on, near -5 turn it
 * off, far from the kink at |z| = -b either way */
static rc_tensor *b_modrelu_off(rc_tape *tp, rc_tensor **x)
{
    rc_tensor *base = rc_tape_tensor(tp, 1, (size_t[]){5});
    for (size_t k = 0; base && k < 5; k++)
        base->data[k] = k % 2 ? -5.0f : -0.5f;
    return rc_modrelu(tp, x[0], rc_add(tp, base, rc_scale(tp, x[1], 0.05f)));
}
static rc_tensor *b_complex_mul(rc_tape *tp, rc_tensor **x) { return rc_complex_mul(tp, x[0], x[1]); }
/* moduli in [1.41, 2.83] (all bounded) and, scaled by 0.3, in [0.42, 0.85]
 * (all kept): both sides, away from the kink at |z| = 1 */
static rc_tensor *b_complex_bound(rc_tape *tp, rc_tensor **x) { return rc_complex_bound(tp, x[0]); }
static rc_tensor *b_complex_bound_small(rc_tape *tp, rc_tensor **x)
{
    return rc_complex_bound(tp, rc_scale(tp, x[0], 0.3f));
}
static rc_tensor *b_repeat(rc_tape *tp, rc_tensor **x) { return rc_repeat(tp, x[0], 3); }
static rc_tensor *b_circular_conv(rc_tape *tp, rc_tensor **x) { return rc_circular_conv(tp, x[0], x[1]); }
static rc_tensor *b_cosine(rc_tape *tp, rc_tensor **x) { return rc_cosine_similarity(tp, x[0], x[1], 1e-8f); }
/* a larger eps, so that the norms' terms and eps's both show */
static rc_tensor *b_cosine_eps(rc_tape *tp, rc_tensor **x) { return rc_cosine_similarity(tp, x[0], x[1], 0.5f); }
static rc_tensor *b_memory_read(rc_tape *tp, rc_tensor **x) { return rc_memory_read(tp, x[0], x[1]); }
static rc_tensor *b_memory_write(rc_tape *tp, rc_tensor **x)
{
    return rc_memory_write(tp, x[0], x[1], rc_sigmoid(tp, x[2]), x[3]);
}
static rc_tensor *b_additive_attention(rc_tape *tp, rc_tensor **x) { return rc_additive_attention(tp, x[0], x[1], x[2]); }
static rc_tensor *b_softplus(rc_tape *tp, rc_tensor **x) { return rc_softplus(tp, rc_scale(tp, x[0], 4.0f)); }
/* a ladder of steps 0.25 around 0, bounds between its rungs: some values clamped, none near a bound */
static rc_tensor *b_clamp(rc_tape *tp, rc_tensor **x) { return rc_clamp(tp, x[0], -0.6f, 0.4f); }
/* the unitary RNN's transition, D R F^-1 D P R F D, as one graph */
static rc_tensor *b_unitary(rc_tape *tp, rc_tensor **x)
{
    static const int32_t perm[4] = {2, 3, 1, 0};
    rc_tensor *z = rc_complex_fft(tp, rc_complex_phase(tp, x[0], x[1]), 0);
    z = rc_complex_permute(tp, rc_complex_reflect(tp, z, x[2]), perm);
    return rc_complex_phase(tp, rc_complex_fft(tp, z, 1), x[1]);
}

/* A small graph reusing one value: gradients must accumulate. */
static rc_tensor *b_reuse(rc_tape *tp, rc_tensor **x)
{
    rc_tensor *h = rc_tanh(tp, rc_linear(tp, x[0], x[1], NULL));
    return rc_add(tp, rc_mul(tp, h, h), rc_sigmoid(tp, h));
}

#define S(...) {__VA_ARGS__}
static const gc_case cases[] = {
    {"matmul a b", 2, {2, 2}, {S(3, 4), S(4, 5)}, {NORMAL, NORMAL}, b_matmul_nn},
    {"matmul a b^T", 2, {2, 2}, {S(3, 4), S(5, 4)}, {NORMAL, NORMAL}, b_matmul_nt},
    {"matmul a^T b", 2, {2, 2}, {S(4, 3), S(4, 5)}, {NORMAL, NORMAL}, b_matmul_tn},
    {"matmul a^T b^T", 2, {2, 2}, {S(4, 3), S(5, 4)}, {NORMAL, NORMAL}, b_matmul_tt},
    {"linear 3-D input with bias", 3, {3, 2, 1}, {S(2, 3, 4), S(5, 4), S(5)}, {NORMAL, NORMAL, NORMAL}, b_linear},
    {"linear without bias", 2, {2, 2}, {S(3, 4), S(2, 4)}, {NORMAL, NORMAL}, b_linear_nobias},
    {"embedding repeated ids", 1, {2}, {S(5, 3)}, {NORMAL}, b_embedding},
    {"add same shape", 2, {2, 2}, {S(3, 4), S(3, 4)}, {NORMAL, NORMAL}, b_add},
    {"add row [F] over [T, B, F]", 2, {3, 1}, {S(2, 3, 4), S(4)}, {NORMAL, NORMAL}, b_add},
    {"add column [T, 1] + [T, F]", 2, {2, 2}, {S(3, 1), S(3, 4)}, {NORMAL, NORMAL}, b_add},
    {"sub scalar - tensor", 2, {1, 2}, {S(1), S(3, 4)}, {NORMAL, NORMAL}, b_sub},
    {"sub row [B, F] from [T, B, F]", 2, {3, 2}, {S(2, 3, 4), S(3, 4)}, {NORMAL, NORMAL}, b_sub},
    {"mul same shape", 2, {2, 2}, {S(3, 4), S(3, 4)}, {NORMAL, NORMAL}, b_mul},
    {"mul column [T, B, 1]", 2, {3, 3}, {S(2, 3, 4), S(2, 3, 1)}, {NORMAL, NORMAL}, b_mul},
    {"mul x * x (one value used twice)", 1, {2}, {S(3, 4)}, {NORMAL}, b_mul_self},
    {"div same shape", 2, {2, 2}, {S(3, 4), S(3, 4)}, {NORMAL, AWAY_FROM_ZERO}, b_div},
    {"div by row", 2, {2, 1}, {S(3, 4), S(4)}, {NORMAL, AWAY_FROM_ZERO}, b_div},
    {"scale", 1, {3}, {S(2, 3, 4)}, {NORMAL}, b_scale},
    {"sigmoid", 1, {2}, {S(3, 5)}, {NORMAL}, b_sigmoid},
    {"tanh", 1, {2}, {S(3, 5)}, {NORMAL}, b_tanh},
    {"relu", 1, {2}, {S(3, 5)}, {AWAY_FROM_ZERO}, b_relu},
    {"exp", 1, {2}, {S(3, 5)}, {NORMAL}, b_exp},
    {"log", 1, {2}, {S(3, 5)}, {POSITIVE}, b_log},
    {"sum axis 0", 1, {3}, {S(3, 2, 4)}, {NORMAL}, b_sum0},
    {"sum middle axis", 1, {3}, {S(3, 2, 4)}, {NORMAL}, b_sum_mid},
    {"mean last axis", 1, {3}, {S(3, 2, 4)}, {NORMAL}, b_mean_last},
    {"sum_all", 1, {2}, {S(3, 4)}, {NORMAL}, b_sum_all},
    {"mean_all", 1, {2}, {S(3, 4)}, {NORMAL}, b_mean_all},
    {"softmax last axis", 1, {2}, {S(3, 5)}, {NORMAL}, b_softmax_last},
    {"softmax middle axis", 1, {3}, {S(2, 4, 3)}, {NORMAL}, b_softmax_mid},
    {"log_softmax last axis", 1, {2}, {S(3, 5)}, {NORMAL}, b_log_softmax},
    {"log_softmax axis 0", 1, {2}, {S(4, 3)}, {NORMAL}, b_log_softmax0},
    {"cross_entropy mean with an ignored target", 1, {3}, {S(2, 3, 5)}, {NORMAL}, b_ce_mean},
    {"cross_entropy sum", 1, {2}, {S(6, 5)}, {NORMAL}, b_ce_sum},
    {"bce_with_logits mean over rows", 2, {2, 2}, {S(4, 6), S(4, 6)}, {NORMAL, UNIT_CONST}, b_bce_mean},
    {"bce_with_logits row weights (padding)", 2, {2, 2}, {S(4, 6), S(4, 6)}, {NORMAL, UNIT_CONST}, b_bce_weighted},
    {"bce_with_logits sum", 2, {3, 3}, {S(2, 2, 5), S(2, 2, 5)}, {NORMAL, UNIT_CONST}, b_bce_sum},
    {"mixture_nll 3 components over [2, 3] outputs", 2, {3, 2}, {S(2, 3, 9), S(2, 3)}, {NORMAL, UNIT_CONST}, b_mixture},
    {"mixture_nll sum, 2 components", 2, {2, 1}, {S(4, 6), S(4)}, {NORMAL, UNIT_CONST}, b_mixture_sum},
    {"mixture_nll row weights (padding)", 2, {2, 1}, {S(4, 6), S(4)}, {NORMAL, UNIT_CONST}, b_mixture_weighted},
    {"mse mean, gradient to both", 2, {2, 2}, {S(3, 4), S(3, 4)}, {NORMAL, NORMAL}, b_mse},
    {"mse sum", 2, {1, 1}, {S(7), S(7)}, {NORMAL, NORMAL}, b_mse_sum},
    {"concat middle axis of three", 3, {3, 3, 3}, {S(2, 1, 3), S(2, 2, 3), S(2, 3, 3)}, {NORMAL, NORMAL, NORMAL}, b_concat_mid},
    {"concat axis 0", 2, {2, 2}, {S(2, 3), S(1, 3)}, {NORMAL, NORMAL}, b_concat_first},
    {"slice last axis", 1, {3}, {S(2, 3, 5)}, {NORMAL}, b_slice},
    {"split into three, reordered", 1, {2}, {S(3, 5)}, {NORMAL}, b_split},
    {"reshape then tanh", 1, {3}, {S(2, 3, 4)}, {NORMAL}, b_reshape},
    {"slice axis 0, a view, as the output", 1, {3}, {S(4, 2, 3)}, {NORMAL}, b_slice0},
    {"slice axis 0 of a slice axis 0", 1, {3}, {S(5, 2, 2)}, {NORMAL}, b_slice0_of_slice0},
    {"slice axis 0 of a reshape", 1, {3}, {S(2, 3, 4)}, {NORMAL}, b_slice0_of_reshape},
    {"slice axis 0, overlapping views beside the base", 1, {2}, {S(4, 3)}, {NORMAL}, b_slice0_overlap_and_base},
    {"slice axis 0 of a tape value used directly too", 2, {2, 2}, {S(4, 5), S(3, 5)}, {NORMAL, NORMAL}, b_slice0_of_tape_value},
    {"slice axis 0 of a constant", 2, {2, 2}, {S(4, 3), S(2, 3)}, {UNIT_CONST, NORMAL}, b_slice0_of_constant},
    {"split axis 0 into views, reordered", 1, {2}, {S(5, 3)}, {NORMAL}, b_split0},
    {"reshape of a slice axis 0", 1, {3}, {S(4, 2, 3)}, {NORMAL}, b_reshape_of_slice0},
    {"reshape, a view, as the output", 1, {3}, {S(2, 3, 4)}, {NORMAL}, b_reshape_alone},
    {"transpose axes 0 and 1", 1, {3}, {S(2, 3, 4)}, {NORMAL}, b_transpose01},
    {"transpose axes 1 and 3 of 4-D", 1, {4}, {S(2, 3, 2, 4)}, {NORMAL}, b_transpose_last},
    {"dropout p=0.4 fixed seed", 1, {2}, {S(4, 5)}, {NORMAL}, b_dropout},
    {"dropout variational mask [B, F] over [T, B, F]", 1, {3}, {S(4, 2, 3)}, {NORMAL}, b_dropout_mask},
    {"layer_norm with gamma and beta", 3, {3, 1, 1}, {S(2, 3, 5), S(5), S(5)}, {NORMAL, NORMAL, NORMAL}, b_layer_norm},
    {"layer_norm plain", 1, {2}, {S(3, 6)}, {NORMAL}, b_layer_norm_plain},
    {"conv1d_causal K=3 with bias", 3, {3, 3, 1}, {S(5, 2, 3), S(4, 3, 3), S(4)}, {NORMAL, NORMAL, NORMAL}, b_conv1d},
    {"conv1d_causal dilation 2", 2, {3, 3}, {S(6, 2, 2), S(3, 2, 2)}, {NORMAL, NORMAL}, b_conv1d_dil},
    {"conv2d 3x3 pad 1 with bias", 3, {4, 4, 1}, {S(2, 2, 4, 5), S(3, 2, 3, 3), S(3)}, {NORMAL, NORMAL, NORMAL}, b_conv2d},
    {"conv2d stride 2x1 pad 0x1", 2, {4, 4}, {S(1, 2, 5, 4), S(2, 2, 3, 2)}, {NORMAL, NORMAL}, b_conv2d_stride},
    {"max_pool2d 2x2 stride 2", 1, {4}, {S(2, 2, 4, 4)}, {SPACED}, b_max_pool},
    {"max_pool2d 3x3 stride 2x1 pad 1", 1, {4}, {S(1, 2, 5, 4)}, {SPACED}, b_max_pool_pad},
    {"complex_phase", 2, {2, 1}, {S(3, 8), S(4)}, {NORMAL, NORMAL}, b_complex_phase},
    {"complex_reflect", 2, {3, 1}, {S(2, 2, 10), S(10)}, {NORMAL, NORMAL}, b_complex_reflect},
    {"complex_fft of 5 points", 1, {2}, {S(3, 10)}, {NORMAL}, b_complex_fft},
    {"complex_fft inverse of 8 points", 1, {2}, {S(2, 16)}, {NORMAL}, b_complex_ifft},
    {"complex_permute", 1, {2}, {S(3, 10)}, {NORMAL}, b_complex_permute},
    {"modrelu with every unit on", 2, {2, 1}, {S(3, 10), S(5)}, {NORMAL, POSITIVE}, b_modrelu},
    {"modrelu with negative biases, some units off", 2, {2, 1}, {S(4, 10), S(5)}, {AWAY_FROM_ZERO, NORMAL},
     b_modrelu_off},
    {"complex_mul", 2, {3, 3}, {S(2, 3, 8), S(2, 3, 8)}, {NORMAL, NORMAL}, b_complex_mul},
    {"complex_bound of moduli above 1", 1, {2}, {S(3, 10)}, {AWAY_FROM_ZERO}, b_complex_bound},
    {"complex_bound of moduli below 1", 1, {2}, {S(3, 10)}, {AWAY_FROM_ZERO}, b_complex_bound_small},
    {"softplus over [-12, 12]", 1, {2}, {S(3, 5)}, {NORMAL}, b_softplus},
    {"clamp to [-0.6, 0.4]", 1, {2}, {S(3, 4)}, {SPACED}, b_clamp},
    {"repeat 3 times", 1, {2}, {S(2, 5)}, {NORMAL}, b_repeat},
    {"circular_conv with 3 shifts", 2, {2, 2}, {S(2, 6), S(2, 3)}, {NORMAL, NORMAL}, b_circular_conv},
    {"cosine_similarity with eps 1e-8", 2, {3, 2}, {S(2, 5, 4), S(2, 4)}, {NORMAL, NORMAL}, b_cosine},
    {"cosine_similarity with eps 0.5", 2, {3, 2}, {S(3, 2, 3), S(3, 3)}, {NORMAL, NORMAL}, b_cosine_eps},
    {"memory_read", 2, {3, 2}, {S(2, 5, 3), S(2, 5)}, {NORMAL, UNIT_CONST}, b_memory_read},
    {"memory_write of 1 head", 4, {3, 3, 3, 3}, {S(2, 4, 3), S(2, 1, 4), S(2, 1, 3), S(2, 1, 3)},
     {NORMAL, UNIT_CONST, NORMAL, NORMAL}, b_memory_write},
    {"memory_write of 3 heads", 4, {3, 3, 3, 3}, {S(2, 4, 3), S(2, 3, 4), S(2, 3, 3), S(2, 3, 3)},
     {NORMAL, UNIT_CONST, NORMAL, NORMAL}, b_memory_write},
    {"additive_attention 3 queries over 4 keys", 3, {3, 3, 1}, {S(2, 4, 5), S(2, 3, 5), S(5)}, {NORMAL, NORMAL, NORMAL},
     b_additive_attention},
    {"circular_conv with 5 shifts over 5 places", 2, {2, 2}, {S(3, 5), S(3, 5)}, {NORMAL, NORMAL}, b_circular_conv},
    {"complex transition D F^-1 P R F D (unitary RNN)", 3, {2, 1, 1}, {S(3, 8), S(4), S(8)}, {NORMAL, NORMAL, NORMAL},
     b_unitary},
    {"tape value reused (linear, tanh, mul, add, sigmoid)", 2, {2, 2}, {S(3, 4), S(5, 4)}, {NORMAL, NORMAL}, b_reuse},
};
#undef S

static void fill(rc_tensor *t, enum gen g, rc_rng *rng)
{
    switch (g) {
    case NORMAL: rc_tensor_fill_normal(t, rng, 0.0f, 1.0f); break;
    case POSITIVE: rc_tensor_fill_uniform(t, rng, 1.0f, 3.0f); break;
    case UNIT_CONST: rc_tensor_fill_uniform(t, rng, 0.0f, 1.0f); break;
    case AWAY_FROM_ZERO:
        for (size_t i = 0; i < t->size; i++) {
            float m = 1.0f + rc_rng_uniform(rng);
            t->data[i] = rc_rng_u32(rng) & 1 ? m : -m;
        }
        break;
    case SPACED: /* a shuffled ladder with steps of 0.25: no ties within 2h */
        for (size_t i = 0; i < t->size; i++)
            t->data[i] = 0.25f * (float)i - 0.125f * (float)t->size;
        for (size_t i = t->size - 1; i > 0; i--) {
            size_t j = rc_rng_below(rng, (uint32_t)(i + 1));
            float v = t->data[i];
            t->data[i] = t->data[j];
            t->data[j] = v;
        }
        break;
    }
}

typedef struct {
    const gc_case *c;
    rc_tensor **x;
} case_ctx;

static rc_tensor *build_case(rc_tape *tp, void *ctx)
{
    case_ctx *k = ctx;
    return k->c->build(tp, k->x);
}

static void check_case(const gc_case *c)
{
    rc_rng rng;
    rc_rng_seed(&rng, 2024, 1);
    rc_tensor *x[MAX_IN] = {0}, *wrt[MAX_IN];
    size_t n_wrt = 0;
    for (int j = 0; j < c->n_in; j++) {
        x[j] = rc_tensor_new(c->ndim[j], c->shape[j]);
        T_CHECK(x[j], "input %d: %s", j, rc_last_error());
        if (!x[j])
            goto done;
        fill(x[j], c->gen[j], &rng);
        if (c->gen[j] != UNIT_CONST) {
            rc_tensor_require_grad(x[j]);
            wrt[n_wrt++] = x[j];
        }
    }
    case_ctx k = {c, x};
    t_gradcheck(build_case, &k, wrt, n_wrt, NULL, 0);
done:
    for (int j = 0; j < c->n_in; j++)
        rc_tensor_free(x[j]);
}

static void check_coverage(void)
{
    t_case("gradcheck: every op in ops.def has a case");
    for (int op = 0; op < RC__OP_COUNT; op++) {
        size_t len = strlen(rc__op_names[op]);
        int found = 0;
        for (size_t i = 0; cells_gradcheck_ops[i]; i++) /* checked in test_cells.c */
            found |= strcmp(cells_gradcheck_ops[i], rc__op_names[op]) == 0;
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            found |= strncmp(cases[i].name, rc__op_names[op], len) == 0 &&
                     (cases[i].name[len] == ' ' || cases[i].name[len] == '\0');
        T_CHECK(found, "op '%s' has no gradient-check case", rc__op_names[op]);
    }
}

/* Views of parameters: the gradient reaching a view accumulates straight
 * into its part of the set's gradient block, beside what reaches the
 * parameter directly.  (The table's inputs are caller-owned tensors.) */
typedef struct {
    rc_tensor *w, *x;
} param_views;

static rc_tensor *build_param_views(rc_tape *tp, void *ctx)
{
    param_views *k = ctx;
    rc_tensor *rows = rc_slice(tp, k->w, 0, 1, 2);                       /* [2, 3] of w [4, 3] */
    rc_tensor *flat = rc_reshape(tp, k->w, 2, (size_t[]){3, 4});
    rc_tensor *a = rc_mul(tp, rc_tanh(tp, rows), k->x);                  /* [2, 3] */
    rc_tensor *b = rc_matmul(tp, rc_slice(tp, flat, 0, 0, 2), k->w, 0, 0); /* [2, 4] [4, 3] */
    rc_tensor *parts[2] = {rc_reshape(tp, a, 1, (size_t[]){6}), rc_reshape(tp, b, 1, (size_t[]){6})};
    return rc_concat(tp, parts, 2, 0);
}

static void check_param_views(void)
{
    t_case("gradcheck: slice axis 0 and reshape of a parameter, and the parameter itself");
    if (!t_selected())
        return;
    rc_rng rng;
    rc_rng_seed(&rng, 2024, 3);
    rc_params *p = rc_params_new();
    rc_params_add(p, "before", 1, (size_t[]){5});
    rc_tensor *w = rc_params_add(p, "w", 2, (size_t[]){4, 3});
    rc_tensor *x = rc_tensor_new(2, (size_t[]){2, 3});
    T_CHECK(w && x && rc_tensor_require_grad(x) == RC_OK, "%s", rc_last_error());
    if (w && x) {
        rc_tensor_fill_normal(w, &rng, 0.0f, 1.0f);
        rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
        param_views k = {w, x};
        rc_tensor *wrt[2] = {w, x};
        t_gradcheck(build_param_views, &k, wrt, 2, (const char *const[]){"w", "x"}, 0);
        float *before = rc_params_grads(p);
        T_CHECK(before[0] == 0 && before[4] == 0, "a gradient landed outside w's part of the block");
    }
    rc_tensor_free(x);
    rc_params_free(p);
}

void suite_gradcheck(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t_case("gradcheck: %s", cases[i].name);
        if (t_selected())
            check_case(&cases[i]);
    }
    check_param_views();
    check_coverage();
}
