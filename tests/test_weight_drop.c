/* test_weight_drop.c — DropConnect on the recurrent weights (rc_rnn_config
 * weight_drop; Merity et al. 2018's weight drop) by what it must do, seen
 * from outside: AWD-LSTM's reference implementation once broke silently
 * (the mask stopped reaching the forward after a framework upgrade), so the
 * mask is recovered from a tanh RNN's outputs.  With I = 1 and T >> H,
 * atanh(y_t) - W_ih x_t - b = W' y_{t-1} fixes the W' the pass used by least
 * squares; then
 *   - one W' explains every step (the mask is constant across steps),
 *   - each entry of W' is 0 or W_hh / (1 - p) (a DropConnect mask),
 *   - a second pass has another W' (a new mask per pass),
 *   - without a generator (evaluation) W' = W_hh, also after a save and load,
 * on the fused and the composed path; and gradients through the masked
 * weights pass finite differences (the same mask at every evaluation). */
#include "gradcheck.h"
#include "test.h"

#include <math.h>
#include <string.h>

enum { T_STEPS = 48, H = 3 };

/* Solves the H x H system A X = B in place (Gauss-Jordan; A well conditioned
 * here): B's columns become X's. */
static void solve(double A[H][H], double B[H][H])
{
    for (size_t c = 0; c < H; c++) {
        size_t p = c;
        for (size_t r = c + 1; r < H; r++)
            if (fabs(A[r][c]) > fabs(A[p][c]))
                p = r;
        for (size_t k = 0; k < H; k++) {
            double t = A[c][k];
            A[c][k] = A[p][k], A[p][k] = t;
            t = B[c][k];
            B[c][k] = B[p][k], B[p][k] = t;
        }
        for (size_t r = 0; r < H; r++) {
            if (r == c)
                continue;
            double f = A[r][c] / A[c][c];
            for (size_t k = 0; k < H; k++)
                A[r][k] -= f * A[c][k], B[r][k] -= f * B[c][k];
        }
    }
    for (size_t r = 0; r < H; r++)
        for (size_t k = 0; k < H; k++)
            B[r][k] /= A[r][r];
}

/* The W' one pass of rnn over x used (from h0 = 0), and the largest
 * residual of the fit. */
static double recover(rc_rnn *rnn, const rc_tensor *x, rc_rng *rng, int composed, double W[H][H])
{
    rc_params *p = rc_rnn_params(rnn);
    const float *w_ih = rc_params_find(p, "weight_ih_l0")->data, *b_ih = rc_params_find(p, "bias_ih_l0")->data,
                *b_hh = rc_params_find(p, "bias_hh_l0")->data;
    rc_tape *tp = rc_tape_new();
    rc_rnn_options o = {0};
    o.dropout_rng = rng;
    o.composed = composed;
    rc_tensor *y = rc_rnn_forward(tp, rnn, (rc_tensor *)x, &o, NULL, NULL);
    T_CHECK(y, "%s", rc_last_error());
    double A[H][H] = {{0}}, B[H][H] = {{0}}, r[T_STEPS][H];
    for (size_t t = 0; y && t < T_STEPS; t++) {
        for (size_t i = 0; i < H; i++)
            r[t][i] = atanh(y->data[t * H + i]) - w_ih[i] * x->data[t] - b_ih[i] - b_hh[i];
        for (size_t i = 0; t > 0 && i < H; i++) /* r_t = W' y_{t-1}: A = sum y y^T, B = sum y r^T */
            for (size_t j = 0; j < H; j++) {
                A[i][j] += y->data[(t - 1) * H + i] * y->data[(t - 1) * H + j];
                B[i][j] += y->data[(t - 1) * H + i] * r[t][j];
            }
    }
    solve(A, B); /* B = W'^T */
    double worst = 0.0;
    for (size_t i = 0; i < H; i++)
        for (size_t j = 0; j < H; j++)
            W[i][j] = B[j][i];
    for (size_t t = 1; y && t < T_STEPS; t++)
        for (size_t i = 0; i < H; i++) {
            double pred = 0.0;
            for (size_t j = 0; j < H; j++)
                pred += W[i][j] * y->data[(t - 1) * H + j];
            worst = fmax(worst, fabs(pred - r[t][i]));
        }
    rc_tape_free(tp);
    return worst;
}

/* 1 when every entry of W' is 0 or W_hh / (1 - p); counts the zeros. */
static int is_mask_of(double W[H][H], const float *w_hh, float p, int *zeros)
{
    *zeros = 0;
    for (size_t i = 0; i < H; i++)
        for (size_t j = 0; j < H; j++) {
            double kept = w_hh[i * H + j] / (1.0 - p);
            if (fabs(W[i][j]) < 1e-3)
                ++*zeros;
            else if (fabs(W[i][j] - kept) > 1e-3)
                return 0;
        }
    return 1;
}

static void check_masks(int composed)
{
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_RNN_TANH, 1, H);
    cfg.weight_drop = 0.5f;
    rc_params *p = rc_params_new();
    rc_rng rng, draws;
    rc_rng_seed(&rng, 17, 1);
    rc_rng_seed(&draws, 17, 2);
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, &rng);
    T_CHECK(rnn, "%s", rc_last_error());
    if (!rnn)
        return;
    for (size_t i = 0; i < rc_params_count(p); i++) /* small: no unit near saturation, where atanh is ill-posed */
        rc_tensor_fill_uniform(rc_params_tensor(p, i), &rng, -0.4f, 0.4f);
    const float *w_hh = rc_params_find(p, "weight_hh_l0")->data;
    rc_tensor *x = rc_tensor_new(3, (size_t[]){T_STEPS, 1, 1});
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    double W1[H][H], W2[H][H], W0[H][H];
    int zeros1 = 0, zeros2 = 0, zeros0 = 0, differ = 0;
    double fit1 = recover(rnn, x, &draws, composed, W1), fit2 = recover(rnn, x, &draws, composed, W2);
    T_CHECK(fit1 < 1e-3 && fit2 < 1e-3, "no one matrix explains every step (residual %g, %g): the mask changed "
                                        "within a pass", fit1, fit2);
    T_CHECK(is_mask_of(W1, w_hh, 0.5f, &zeros1) && is_mask_of(W2, w_hh, 0.5f, &zeros2),
            "the pass used weights that are not W_hh under a mask of 0 and 1/(1-p)");
    T_CHECK(zeros1 > 0 && zeros1 < H * H, "the mask dropped %d of %d weights", zeros1, H * H);
    for (size_t i = 0; i < H; i++)
        for (size_t j = 0; j < H; j++)
            differ += fabs(W1[i][j] - W2[i][j]) > 1e-3;
    T_CHECK(differ > 0, "two passes used the same mask");
    double fit0 = recover(rnn, x, NULL, composed, W0);
    T_CHECK(fit0 < 1e-3 && is_mask_of(W0, w_hh, 0.0f, &zeros0) && zeros0 == 0,
            "without a generator (evaluation) the weights are not W_hh");
    const char *path = t_path("weight-drop.safetensors");
    T_CHECK(rc_rnn_save(rnn, path) == RC_OK, "%s", rc_last_error());
    rc_rnn *back = rc_rnn_load(path, -1);
    T_CHECK(back && rc_rnn_config_of(back)->weight_drop == 0.5f, "weight_drop not kept in the file");
    if (back) {
        double Wb[H][H];
        T_CHECK(recover(back, x, &draws, composed, Wb) < 1e-3 && is_mask_of(Wb, w_hh, 0.5f, &zeros0) && zeros0 > 0,
                "a loaded network does not drop weights");
    }
    rc_rnn_free(back);
    rc_tensor_free(x);
    rc_rnn_free(rnn);
    rc_params_free(p);
}

typedef struct {
    rc_rnn *rnn;
    rc_tensor *x;
    int composed;
} fd_net;

/* The same mask at every evaluation: the generator is seeded anew. */
static rc_tensor *build(rc_tape *tp, void *ctx)
{
    fd_net *n = ctx;
    rc_rng rng;
    rc_rng_seed(&rng, 5, 5);
    rc_rnn_options o = {0};
    o.dropout_rng = &rng;
    o.composed = n->composed;
    return rc_rnn_forward(tp, n->rnn, n->x, &o, NULL, NULL);
}

static void check_gradients(int composed)
{
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_LSTM, 3, 4);
    cfg.num_layers = 2;
    cfg.bidirectional = 1;
    cfg.weight_drop = 0.4f;
    rc_params *p = rc_params_new();
    rc_rng rng;
    rc_rng_seed(&rng, 9, 9);
    fd_net n = {rc_rnn_new(&cfg, p, NULL, &rng), rc_tensor_new(3, (size_t[]){4, 2, 3}), composed};
    T_CHECK(n.rnn, "%s", rc_last_error());
    rc_tensor_fill_normal(n.x, &rng, 0.0f, 1.0f);
    rc_tensor_require_grad(n.x);
    rc_tensor *wrt[32] = {n.x};
    size_t k = 1;
    for (size_t i = 0; n.rnn && i < rc_params_count(p) && k < 32; i++)
        wrt[k++] = rc_params_tensor(p, i);
    if (n.rnn)
        t_gradcheck(build, &n, wrt, k, NULL, 0);
    rc_tensor_free(n.x);
    rc_rnn_free(n.rnn);
    rc_params_free(p);
}

void suite_weight_drop(void)
{
    for (int composed = 0; composed < 2; composed++) {
        const char *path = composed ? "composed" : "fused";
        t_case("weight drop: one mask per pass, constant across steps, new each pass, off in evaluation (%s)", path);
        if (t_selected())
            check_masks(composed);
        t_case("weight drop: gradients through the masked weights (lstm, 2 bidirectional layers, %s)", path);
        if (t_selected())
            check_gradients(composed);
    }
    t_case("weight drop: a rate outside [0, 1) is refused");
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_LSTM, 3, 4);
    cfg.weight_drop = 1.0f;
    T_CHECK(rc_rnn_config_check(&cfg) != RC_OK, "weight_drop 1 accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "weight_drop 1 is not in [0, 1)");
}
