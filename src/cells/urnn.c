/* urnn.c — the unitary evolution RNN (Arjovsky, Shah & Bengio 2016,
 * "Unitary Evolution Recurrent Neural Networks", ICML, arXiv:1511.06464,
 * eq. 6 and section 4): a complex state of H units whose transition is a
 * product of cheap unitary matrices, so it neither explodes nor vanishes,
 *   W = D3 R2 F^-1 D2 P R1 F D1
 *   z = W h + V x
 *   h' = modReLU(z),  modReLU(z)_k = (|z_k| + b_k) z_k / |z_k| if |z_k| + b_k > 0, else 0
 * with D_j = diag(e^{i theta_j}) (learned phases), R_j = I - 2 v_j v_j^H /
 * |v_j|^2 (learned complex reflections), F the unitary DFT (KissFFT) and P a
 * fixed random permutation.  Complex vectors are [re | im] halves: the
 * state h [2H] is also the output (the head reads [Re h; Im h], as the
 * paper's U does).  The operations are src/ops/complex.c's.
 *
 * Weights per layer and direction: weight_in [2H, I] (V's real rows, then
 * its imaginary rows), theta1, theta2, theta3 [H], reflection1,
 * reflection2 [2H], and (with bias) bias [H], modReLU's.  Their first
 * draws are the paper's (section 4.4): V uniform in +-sqrt(6 / (I + H))
 * (Glorot), the phases uniform in [-pi, pi] (so D is uniform on the unit
 * circle), the reflections' coordinates uniform in [-1, 1] (R does not
 * depend on v's scale), the bias 0 (the network starts linear).  P is the
 * same for every layer of H units: Fisher-Yates from a generator seeded
 * with (1234, H).  Where this differs from the paper: it learns h_0 (here
 * the initial state is zeros or the caller's).  Where the paper's code
 * (amarshah/complex_RNN, models.py) differs: its modReLU divides by |z| +
 * 1e-5 (here by |z|, so that b = 0 is exactly the identity and the
 * transition's unitarity can be tested; a unit with z = 0 gives 0); its
 * published version comments out F and F^-1, scales by a learned diagonal
 * and draws phases, reflections and biases from narrower ranges.  No fused
 * kernel. */
#include "cell.h"

#include <math.h>

enum { W_IN, THETA1, THETA2, THETA3, REFLECT1, REFLECT2, BIAS };

static int declare(rc__cell_decl *d, const rc__cell_dims *c)
{
    size_t I = c->I, H = c->H;
    const rc__init glorot = {RC__INIT_UNIFORM, 0, sqrtf(6.0f / (float)(I + H))},
                   phase = {RC__INIT_UNIFORM, 0, 3.14159265f}, mirror = {RC__INIT_UNIFORM, 0, 1.0f},
                   zero = {RC__INIT_ZERO, 0, 0.0f};
    static const char *const thetas[3] = {"theta1", "theta2", "theta3"};
    static const char *const mirrors[2] = {"reflection1", "reflection2"};
    int st = rc__param(d, W_IN, "weight_in", 2, (size_t[]){2 * H, I}, glorot, 0);
    for (int j = 0; !st && j < 3; j++)
        st = rc__param(d, (size_t)(THETA1 + j), thetas[j], 1, (size_t[]){H}, phase, 0);
    for (int j = 0; !st && j < 2; j++)
        st = rc__param(d, (size_t)(REFLECT1 + j), mirrors[j], 1, (size_t[]){2 * H}, mirror, 0);
    if (!st && c->bias)
        st = rc__param(d, BIAS, "bias", 1, (size_t[]){H}, zero, 0);
    return st ? st : rc__state(d, 0, "h", 2 * H);
}

/* u = V x for every step at once: [T, B, 2H]. */
static rc_tensor *pre(rc_tape *tp, const rc__cell_layer *L, rc_tensor *x)
{
    return rc_linear(tp, x, L->w[W_IN], NULL);
}

static rc_tensor *step(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s, rc_tensor **s_new)
{
    rc_tensor *const *w = L->w;
    rc_tensor *z = rc_complex_fft(tp, rc_complex_phase(tp, s[0], w[THETA1]), 0);                       /* F D1 h */
    const int32_t *P = rc__fixed_permutation(tp, L->dims.H, 1234, L->dims.H);
    z = rc_complex_permute(tp, rc_complex_reflect(tp, z, w[REFLECT1]), P);                               /* P R1 */
    z = rc_complex_fft(tp, rc_complex_phase(tp, z, w[THETA2]), 1);                                     /* F^-1 D2 */
    z = rc_complex_phase(tp, rc_complex_reflect(tp, z, w[REFLECT2]), w[THETA3]);                       /* D3 R2 */
    return s_new[0] = rc_modrelu(tp, rc_add(tp, z, u), w[BIAS]);
}

RC__CELL(urnn) = {
    .summary = "unitary RNN: a complex state, W = D3 R2 F^-1 D2 P R1 F D1, modReLU (Arjovsky, Shah & Bengio 2016)",
    .options = NULL,
    .declare = declare,
    .pre = pre,
    .step = step,
};
