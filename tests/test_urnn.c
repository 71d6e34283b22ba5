/* test_urnn.c — the unitary RNN (src/cells/urnn.c) against its paper's
 * equations written again here in double precision (complex numbers, a
 * direct DFT sum rather than KissFFT's transform); its transition keeps a
 * state's norm over 1,000 steps; and with every unit away from modReLU's
 * kink and its singular point its gradients pass finite differences (the
 * registry's check, over weights drawn anywhere, has to allow for units
 * switching). */
#include "gradcheck.h"
#include "test.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { STEPS = 4, B = 2, IN = 3, H = 6 };

static const float *weight(const rc_params *p, const char *name)
{
    const rc_tensor *t = rc_params_find(p, name);
    T_CHECK(t, "no weight %s", name);
    return t ? t->data : NULL;
}

/* The fixed permutation the cell documents: Fisher-Yates from (1234, H). */
static void permutation(size_t n, size_t *p)
{
    rc_rng rng;
    rc_rng_seed(&rng, 1234, n);
    for (size_t k = 0; k < n; k++)
        p[k] = k;
    for (size_t k = n - 1; n > 1 && k > 0; k--) {
        size_t j = rc_rng_below(&rng, (uint32_t)(k + 1)), v = p[k];
        p[k] = p[j], p[j] = v;
    }
}

static void phase(double complex *z, const float *theta)
{
    for (size_t k = 0; k < H; k++)
        z[k] *= cexp(_Complex_I * (double)theta[k]);
}

static void reflect(double complex *z, const float *v)
{
    double complex s = 0;
    double q = 0;
    for (size_t k = 0; k < H; k++) {
        double complex vk = (double)v[k] + _Complex_I * (double)v[H + k];
        s += conj(vk) * z[k];
        q += creal(vk * conj(vk));
    }
    for (size_t k = 0; k < H; k++)
        z[k] -= 2.0 / q * ((double)v[k] + _Complex_I * (double)v[H + k]) * s;
}

/* The unitary DFT, sign -1 (forward) or +1 (inverse). */
static void dft(double complex *z, double sign)
{
    double complex out[H];
    for (size_t j = 0; j < H; j++) {
        out[j] = 0;
        for (size_t k = 0; k < H; k++)
            out[j] += z[k] * cexp(sign * 2.0 * 3.14159265358979323846 * _Complex_I * (double)(j * k) / H);
        out[j] /= sqrt((double)H);
    }
    memcpy(z, out, sizeof out);
}

/* One step of eq. 6: h' = modReLU(D3 R2 F^-1 D2 P R1 F D1 h + V x). */
static void ref_step(const rc_params *p, const double *x, double complex *h)
{
    const float *V = weight(p, "weight_in_l0"), *b = weight(p, "bias_l0");
    size_t perm[H];
    permutation(H, perm);
    double complex z[H], moved[H];
    memcpy(z, h, sizeof z);
    phase(z, weight(p, "theta1_l0"));
    dft(z, -1.0);
    reflect(z, weight(p, "reflection1_l0"));
    for (size_t k = 0; k < H; k++)
        moved[k] = z[perm[k]];
    memcpy(z, moved, sizeof z);
    phase(z, weight(p, "theta2_l0"));
    dft(z, 1.0);
    reflect(z, weight(p, "reflection2_l0"));
    phase(z, weight(p, "theta3_l0"));
    for (size_t k = 0; k < H; k++) {
        double re = 0, im = 0;
        for (size_t i = 0; i < IN; i++)
            re += (double)V[k * IN + i] * x[i], im += (double)V[(H + k) * IN + i] * x[i];
        z[k] += re + _Complex_I * im;
        double m = cabs(z[k]), f = m + (double)b[k];
        h[k] = m > 0 && f > 0 ? f / m * z[k] : 0;
    }
}

static rc_rnn *new_urnn(rc_params *p, int bias, rc_rng *rng)
{
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_URNN, IN, H);
    cfg.bias = bias;
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, rng);
    T_CHECK(rnn, "%s", rc_last_error());
    return rnn;
}

static void against_equations(void)
{
    t_case("urnn == eq. 6 in double precision (direct DFT sums, complex arithmetic)");
    rc_params *p = rc_params_new();
    rc_rng rng;
    rc_rng_seed(&rng, 3, 3);
    rc_rnn *rnn = new_urnn(p, 1, &rng);
    if (!rnn)
        return;
    rc_tensor *bias = rc_params_find(p, "bias_l0");
    rc_tensor_fill_uniform(bias, &rng, -1.5f, 0.3f); /* some units off */
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){STEPS, B, IN}), *h0 = rc_tape_tensor(tp, 3, (size_t[]){1, B, 2 * H});
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    rc_tensor_fill_normal(h0, &rng, 0.0f, 0.5f);
    rc_rnn_options o = {0};
    o.h0 = h0;
    rc_tensor *fin[RC_MAX_STATES] = {0}, *y = rc_rnn_forward_states(tp, rnn, x, &o, fin);
    T_CHECK(y && y->shape[2] == 2 * H, "%s", rc_last_error());
    double worst = 0, off = 0;
    for (size_t b = 0; y && b < B; b++) {
        double complex h[H];
        for (size_t k = 0; k < H; k++)
            h[k] = h0->data[b * 2 * H + k] + _Complex_I * h0->data[b * 2 * H + H + k];
        for (size_t t = 0; t < STEPS; t++) {
            double xs[IN];
            for (size_t i = 0; i < IN; i++)
                xs[i] = x->data[(t * B + b) * IN + i];
            ref_step(p, xs, h);
            const float *row = y->data + (t * B + b) * 2 * H;
            for (size_t k = 0; k < H; k++) {
                worst = fmax(worst, fmax(fabs(creal(h[k]) - row[k]), fabs(cimag(h[k]) - row[H + k])));
                off += h[k] == 0;
            }
        }
        for (size_t k = 0; k < 2 * H; k++)
            worst = fmax(worst, fabs((k < H ? creal(h[k]) : cimag(h[k - H])) - fin[0]->data[b * 2 * H + k]));
    }
    T_CHECK(worst < 1e-5, "the library differs from the equations by %g", worst);
    T_CHECK(off > 0 && off < STEPS * B * H, "%g of %d units were off: the test does not reach both sides of modReLU",
            off, STEPS * B * H);
    rc_tape_free(tp);
    rc_rnn_free(rnn);
    rc_params_free(p);
}

static void keeps_norm(void)
{
    t_case("urnn: without input or bias the transition is unitary: |h| kept over 1,000 steps");
    enum { T = 1000, N = 64 };
    rc_params *p = rc_params_new();
    rc_rng rng;
    rc_rng_seed(&rng, 4, 4);
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_URNN, 1, N);
    cfg.bias = 0; /* modReLU with b = 0 is the identity */
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, &rng);
    T_CHECK(rnn, "%s", rc_last_error());
    if (!rnn)
        return;
    rc_tape *tp = rc_tape_new();
    rc_tape_set_grad_enabled(tp, 0);
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){T, 1, 1}), *h0 = rc_tape_tensor(tp, 3, (size_t[]){1, 1, 2 * N});
    rc_tensor_fill_normal(h0, &rng, 0.0f, 1.0f);
    memset(x->data, 0, x->size * sizeof(float));
    rc_rnn_options o = {0};
    o.h0 = h0;
    rc_tensor *fin[RC_MAX_STATES] = {0}, *y = rc_rnn_forward_states(tp, rnn, x, &o, fin);
    T_CHECK(y, "%s", rc_last_error());
    double n0 = 0, n1 = 0, moved = 0;
    for (size_t k = 0; y && k < 2 * N; k++) {
        n0 += (double)h0->data[k] * h0->data[k], n1 += (double)fin[0]->data[k] * fin[0]->data[k];
        moved += fabs(fin[0]->data[k] - h0->data[k]);
    }
    T_CHECK(fabs(sqrt(n1) / sqrt(n0) - 1) < 1e-4 && moved > 1, "|h_0| %.7g, |h_1000| %.7g (moved %g)", sqrt(n0),
            sqrt(n1), moved);
    if (t_verbose())
        printf("  urnn: |h_0| %.9g, |h_1000| %.9g, relative change %.3g\n", sqrt(n0), sqrt(n1),
               sqrt(n1) / sqrt(n0) - 1);
    rc_tape_free(tp);
    rc_rnn_free(rnn);
    rc_params_free(p);
}

typedef struct {
    rc_rnn *rnn;
    rc_tensor *x, *h0;
} fd_ctx;

static rc_tensor *fd_build(rc_tape *tp, void *ctx)
{
    fd_ctx *c = ctx;
    rc_rnn_options o = {0};
    o.h0 = c->h0;
    rc_tensor *fin[RC_MAX_STATES] = {0}, *y = rc_rnn_forward_states(tp, c->rnn, c->x, &o, fin);
    rc_tensor *parts[2] = {y ? rc_reshape(tp, y, 1, (size_t[]){y->size}) : NULL,
                           fin[0] ? rc_reshape(tp, fin[0], 1, (size_t[]){fin[0]->size}) : NULL};
    return parts[0] && parts[1] ? rc_concat(tp, parts, 2, 0) : NULL;
}

static void smooth_gradients(void)
{
    t_case("urnn: every unit on (modReLU biases > 0, every |z| > 0.3): finite differences of every weight");
    rc_params *p = rc_params_new();
    rc_rng rng;
    rc_rng_seed(&rng, 8, 8);
    rc_rnn *rnn = new_urnn(p, 1, &rng);
    if (!rnn)
        return;
    rc_tensor_fill_uniform(rc_params_find(p, "bias_l0"), &rng, 0.5f, 1.0f);
    /* R depends on v's direction only, its derivatives grow as |v| shrinks:
     * vectors of length ~3 keep the check's step (0.02) small beside them */
    for (int j = 1; j <= 2; j++) {
        char name[32];
        snprintf(name, sizeof name, "reflection%d_l0", j);
        rc_tensor *v = rc_params_find(p, name);
        for (size_t k = 0; k < v->size; k++)
            v->data[k] *= 3.0f;
    }
    fd_ctx c = {rnn, rc_tensor_new(3, (size_t[]){STEPS, B, IN}), rc_tensor_new(3, (size_t[]){1, B, 2 * H})};
    rc_tensor_fill_normal(c.x, &rng, 0.0f, 1.0f);
    rc_tensor_fill_normal(c.h0, &rng, 0.0f, 0.5f);
    /* the premise: every |z| (|h| - b, since modReLU gives |h| = |z| + b)
     * stays away from 0, where z / |z| has no derivative */
    rc_tape *tp = rc_tape_new();
    rc_tensor *y = fd_build(tp, &c);
    const float *b = rc_params_find(p, "bias_l0")->data;
    double least = INFINITY;
    for (size_t r = 0; y && r < STEPS * B; r++)
        for (size_t k = 0; k < H; k++)
            least = fmin(least, hypot(y->data[r * 2 * H + k], y->data[r * 2 * H + H + k]) - b[k]);
    T_CHECK(least > 0.3, "a modulus |z| of %g: the draw puts a unit near modReLU's singular point", least);
    if (t_verbose())
        printf("  urnn: the least |z| is %.3f\n", least);
    rc_tape_free(tp);
    rc_tensor *wrt[16];
    const char *names[16];
    size_t n = rc_params_count(p);
    for (size_t i = 0; i < n; i++)
        wrt[i] = rc_params_tensor(p, i), names[i] = rc_params_name(p, i);
    /* modReLU's curvature grows as b / |z|^2: where the step of 0.02 is too
     * coarse for it, smaller steps must agree (the retries of the kinked
     * mode; nothing here has a kink) */
    t_gradcheck(fd_build, &c, wrt, n, names, 1);
    rc_tensor_free(c.x), rc_tensor_free(c.h0);
    rc_rnn_free(rnn);
    rc_params_free(p);
}

void suite_urnn(void)
{
    against_equations();
    keeps_norm();
    smooth_gradients();
}
