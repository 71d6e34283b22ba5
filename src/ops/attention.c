/* attention.c — additive ("Bahdanau") attention scores, the Pointer
 * Network's output layer (Vinyals et al. 2015, arXiv:1506.03134, eq. 3):
 *   additive_attention  s [B, I, J]: s_bij = sum_a v_a tanh(e_bja + d_bia)
 *                  for encoder keys e [B, J, A] (W1 e_j, already projected),
 *                  decoder queries d [B, I, A] (W2 d_i) and v [A];
 *                  backward, with t_bija = tanh(e_bja + d_bia) and
 *                  g_bija = ds_bij v_a (1 - t_bija^2):
 *                  de_bja += sum_i g_bija, dd_bia += sum_j g_bija,
 *                  dv_a += sum_ij ds_bij t_bija
 * One pass over the B I J A sums the composed form (repeat both sides to
 * [B, I, J, A], add, tanh, a linear map of v) would hold four times; the
 * forward keeps t when a backward will need it. */
#include "ops.h"

#include <string.h>

static int additive_attention_backward(rc_tape *tp, rc__node *node)
{
    const rc_tensor *e = node->in[0], *v = node->in[2];
    size_t B = e->shape[0], J = e->shape[1], A = e->shape[2], I = node->out->shape[1];
    const float *t = node->saved, *ds = node->out->grad;
    float *grads[3];
    int status = rc__input_grads(tp, node, grads);
    if (status)
        return status;
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < I; i++)
            for (size_t j = 0; j < J; j++) {
                float g = ds[(b * I + i) * J + j];
                const float *tij = t + ((b * I + i) * J + j) * A;
                float *de = grads[0] ? grads[0] + (b * J + j) * A : NULL;
                float *dd = grads[1] ? grads[1] + (b * I + i) * A : NULL;
                for (size_t a = 0; a < A; a++) {
                    float ga = g * v->data[a] * (1.0f - tij[a] * tij[a]);
                    if (de)
                        de[a] += ga;
                    if (dd)
                        dd[a] += ga;
                    if (grads[2])
                        grads[2][a] += g * tij[a];
                }
            }
    return RC_OK;
}

rc_tensor *rc_additive_attention(rc_tape *tp, rc_tensor *e, rc_tensor *d, rc_tensor *v)
{
    rc_tensor *in[3] = {e, d, v};
    char se[64], sd[64], sv[64];
    if (rc__check_inputs(tp, "rc_additive_attention", 3, in))
        return NULL;
    if (e->ndim != 3 || d->ndim != 3 || v->ndim != 1 || d->shape[0] != e->shape[0] || d->shape[2] != e->shape[2] ||
        v->shape[0] != e->shape[2])
        return rc__fail_null(RC_ESHAPE, "rc_additive_attention: e must be [B, J, A], d [B, I, A] and v [A], got %s, "
                                        "%s and %s",
                             rc_shape_str(e, se, sizeof se), rc_shape_str(d, sd, sizeof sd),
                             rc_shape_str(v, sv, sizeof sv));
    size_t B = e->shape[0], J = e->shape[1], A = e->shape[2], I = d->shape[1];
    rc_tensor *s = rc__tape_output(tp, "rc_additive_attention", 3, (size_t[]){B, I, J});
    if (!s)
        return NULL;
    int keep = rc__tape_records(tp, 3, in);
    float *t = rc__tape_alloc(tp, keep ? B * I * J * A : A, sizeof *t); /* kept for the backward, or one row */
    if (!t)
        return NULL;
    for (size_t b = 0; b < B; b++)
        for (size_t i = 0; i < I; i++)
            for (size_t j = 0; j < J; j++) {
                float *tij = keep ? t + ((b * I + i) * J + j) * A : t;
                const float *ej = e->data + (b * J + j) * A, *di = d->data + (b * I + i) * A;
                for (size_t a = 0; a < A; a++)
                    tij[a] = ej[a] + di[a];
                rc__tanh(A, tij, tij);
                float sum = 0.0f;
                for (size_t a = 0; a < A; a++)
                    sum += v->data[a] * tij[a];
                s->data[(b * I + i) * J + j] = sum;
            }
    rc__node *node;
    if (rc__record(tp, RC__OP_additive_attention, additive_attention_backward, s, 3, in, &node))
        return NULL;
    if (node)
        node->saved = t;
    return s;
}
