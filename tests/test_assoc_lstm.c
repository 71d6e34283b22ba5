/* test_assoc_lstm.c — the Associative LSTM (src/cells/assoc_lstm.c) against
 * the paper's equations (Danihelka et al. 2016, section 3) written again
 * here in double-precision complex arithmetic, with three copies and
 * weights drawn so that bound() both keeps and shrinks entries; and what
 * the copies are: one layer's memory holds S traces of the same writes under
 * differently permuted keys. */
#include "test.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { STEPS = 4, B = 2, IN = 3, H = 4, S = 3 };

static double sigm(double v) { return 1.0 / (1.0 + exp(-v)); }

static double complex bound(double complex z) { return cabs(z) > 1 ? z / cabs(z) : z; }

/* copy s's permutation, as the cell documents: Fisher-Yates from (1602, s) */
static void permutation(size_t s, size_t *p)
{
    rc_rng rng;
    rc_rng_seed(&rng, 1602, s);
    for (size_t k = 0; k < H; k++)
        p[k] = k;
    for (size_t k = H - 1; k > 0; k--) {
        size_t j = rc_rng_below(&rng, (uint32_t)(k + 1)), v = p[k];
        p[k] = p[j], p[j] = v;
    }
}

static const float *weight(const rc_params *p, const char *name)
{
    const rc_tensor *t = rc_params_find(p, name);
    T_CHECK(t, "no weight %s", name);
    return t ? t->data : NULL;
}

/* One step: x [IN], h [H] complex, c [S][H] complex, updated in place. */
static void ref_step(const rc_params *p, const double *x, double complex *h, double complex (*c)[H], int *bounded)
{
    const float *wi = weight(p, "weight_ih_l0"), *wh = weight(p, "weight_hh_l0");
    const float *bi = weight(p, "bias_ih_l0"), *bh = weight(p, "bias_hh_l0");
    double a[9 * H], hr[2 * H];
    for (size_t k = 0; k < H; k++)
        hr[k] = creal(h[k]), hr[H + k] = cimag(h[k]);
    for (size_t r = 0; r < 9 * H; r++) {
        double v = (double)bi[r] + bh[r];
        for (size_t i = 0; i < IN; i++)
            v += (double)wi[r * IN + i] * x[i];
        for (size_t k = 0; k < 2 * H; k++)
            v += (double)wh[r * 2 * H + k] * hr[k];
        a[r] = v;
    }
    double complex j[H], r_in[H], r_out[H], read[H] = {0};
    for (size_t k = 0; k < H; k++) {
        double complex raw[3] = {a[3 * H + k] + I * a[4 * H + k], a[5 * H + k] + I * a[6 * H + k],
                                 a[7 * H + k] + I * a[8 * H + k]};
        for (int q = 0; q < 3; q++)
            *bounded += cabs(raw[q]) > 1;
        j[k] = bound(raw[0]), r_in[k] = bound(raw[1]), r_out[k] = bound(raw[2]);
    }
    for (size_t s = 0; s < S; s++) {
        size_t perm[H];
        permutation(s, perm);
        for (size_t k = 0; k < H; k++) {
            double f = sigm(a[k]), i = sigm(a[H + k]);
            c[s][k] = f * c[s][k] + r_in[perm[k]] * (i * j[k]);
            read[k] += r_out[perm[k]] * c[s][k];
        }
    }
    for (size_t k = 0; k < H; k++)
        h[k] = sigm(a[2 * H + k]) * bound(read[k] / S);
}

static void against_equations(void)
{
    t_case("assoc_lstm, 3 copies == section 3's equations in double precision");
    rc_params *p = rc_params_new();
    rc_rng rng;
    rc_rng_seed(&rng, 6, 6);
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_ASSOC_LSTM, IN, H);
    T_CHECK(rc_rnn_config_set(&cfg, "copies", S) == RC_OK, "%s", rc_last_error());
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, NULL);
    T_CHECK(rnn && rc_rnn_state_width(rnn, 0) == 2 * H && rc_rnn_state_width(rnn, 1) == S * 2 * H &&
                rc_rnn_output_size(rnn) == 2 * H,
            "states h [2H], c [S 2H]: %s", rc_last_error());
    if (!rnn)
        return;
    for (size_t i = 0; i < rc_params_count(p); i++) /* wide: pre-activations on both sides of |z| = 1 */
        rc_tensor_fill_uniform(rc_params_tensor(p, i), &rng, -0.9f, 0.9f);
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){STEPS, B, IN});
    rc_tensor *s0[2] = {rc_tape_tensor(tp, 3, (size_t[]){1, B, 2 * H}), rc_tape_tensor(tp, 3, (size_t[]){1, B, S * 2 * H})};
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    rc_tensor_fill_normal(s0[0], &rng, 0.0f, 0.5f);
    rc_tensor_fill_normal(s0[1], &rng, 0.0f, 0.5f);
    rc_rnn_options o = {0};
    o.states0 = s0;
    rc_tensor *fin[RC_MAX_STATES] = {0}, *y = rc_rnn_forward_states(tp, rnn, x, &o, fin);
    T_CHECK(y, "%s", rc_last_error());
    double worst = 0;
    int bounded = 0;
    for (size_t b = 0; y && b < B; b++) {
        double complex h[H], c[S][H];
        for (size_t k = 0; k < H; k++) {
            h[k] = s0[0]->data[b * 2 * H + k] + I * s0[0]->data[b * 2 * H + H + k];
            for (size_t s = 0; s < S; s++)
                c[s][k] = s0[1]->data[b * S * 2 * H + s * 2 * H + k] + I * s0[1]->data[b * S * 2 * H + s * 2 * H + H + k];
        }
        for (size_t t = 0; t < STEPS; t++) {
            double xs[IN];
            for (size_t i = 0; i < IN; i++)
                xs[i] = x->data[(t * B + b) * IN + i];
            ref_step(p, xs, h, c, &bounded);
            for (size_t k = 0; k < H; k++) {
                const float *row = y->data + (t * B + b) * 2 * H;
                worst = fmax(worst, fmax(fabs(creal(h[k]) - row[k]), fabs(cimag(h[k]) - row[H + k])));
            }
        }
        for (size_t s = 0; s < S; s++)
            for (size_t k = 0; k < H; k++) {
                const float *cs = fin[1]->data + b * S * 2 * H + s * 2 * H;
                worst = fmax(worst, fmax(fabs(creal(c[s][k]) - cs[k]), fabs(cimag(c[s][k]) - cs[H + k])));
            }
    }
    T_CHECK(worst < 1e-5, "the library differs from the equations by %g", worst);
    T_CHECK(bounded > 0 && bounded < 3 * STEPS * B * H, "%d of %d entries were bounded: bound() is not tested on "
                                                         "both sides",
            bounded, 3 * STEPS * B * H);
    rc_tape_free(tp);
    rc_rnn_free(rnn);
    rc_params_free(p);
}

void suite_assoc_lstm(void) { against_equations(); }
