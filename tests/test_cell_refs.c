/* test_cell_refs.c — each cell without a fused kernel against its paper's
 * equations, written here again as plain loops in double precision from
 * the weights by name: the generated suite (test_registry.c) checks the
 * composed step's gradients, lengths, streams and files, but only an
 * independent reference tells a wrong equation.  Plus what is special
 * about each: the Mogrifier with no rounds is the LSTM bit for bit; a QRNN
 * is drawn as a linear layer. */
#include "gradcheck.h"
#include "test.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { T_STEPS = 3, B = 2, I = 3, H = 4, MAXW = 64 };

static double sigm(double v) { return 1.0 / (1.0 + exp(-v)); }

/* out [rows] = W [rows, cols] v [cols] (+= when acc) */
static void matvec(const rc_tensor *W, const double *v, double *out, int acc)
{
    size_t rows = W->shape[0], cols = W->shape[1];
    for (size_t r = 0; r < rows; r++) {
        double sum = acc ? out[r] : 0.0;
        for (size_t k = 0; k < cols; k++)
            sum += (double)W->data[r * cols + k] * v[k];
        out[r] = sum;
    }
}

static const rc_tensor *w(const rc_params *p, const char *name)
{
    const rc_tensor *t = rc_params_find(p, name);
    T_CHECK(t, "no weight %s", name);
    return t;
}

/* The LSTM after its pre-activations a [4H] (i, f, g, o): c updated, h out. */
static void lstm_cell(const double *a, double *c, double *h)
{
    for (size_t j = 0; j < H; j++) {
        double i = sigm(a[j]), f = sigm(a[H + j]), g = tanh(a[2 * H + j]), o = sigm(a[3 * H + j]);
        c[j] = f * c[j] + i * g;
        h[j] = o * tanh(c[j]);
    }
}

/* One step of a cell's equations: x [I] and the states s[i] [width_i] (h and
 * c for the LSTM's variants) -> the states updated and the output y. */
typedef void (*ref_step)(const rc_params *p, const rc_rnn_config *cfg, const double *x, double *const *s,
                         double *y);

/* mogrifier.c's equations (Melis et al. 2020, eq. 1-2), rounds and rank
 * from cfg. */
static void mogrifier_step(const rc_params *p, const rc_rnn_config *cfg, const double *x0, double *const *s,
                           double *y)
{
    double *h = s[0], *c = s[1];
    size_t r = (size_t)rc_rnn_config_get(cfg, "rounds"), k = (size_t)rc_rnn_config_get(cfg, "rank");
    double x[MAXW], hh[MAXW], g[MAXW], mid[MAXW], a[4 * H];
    memcpy(x, x0, I * sizeof *x);
    memcpy(hh, h, H * sizeof *hh);
    for (size_t i = 1; i <= r; i++) {
        char name[32];
        int odd = i % 2;
        const double *src = odd ? hh : x;
        double *dst = odd ? x : hh;
        size_t n = odd ? I : H;
        if (k == 0) {
            snprintf(name, sizeof name, "weight_%c%zu_l0", odd ? 'q' : 'r', i);
            matvec(w(p, name), src, g, 0);
        } else {
            snprintf(name, sizeof name, "weight_%c%zub_l0", odd ? 'q' : 'r', i);
            matvec(w(p, name), src, mid, 0);
            snprintf(name, sizeof name, "weight_%c%zua_l0", odd ? 'q' : 'r', i);
            matvec(w(p, name), mid, g, 0);
        }
        for (size_t j = 0; j < n; j++)
            dst[j] *= 2.0 * sigm(g[j]);
    }
    matvec(w(p, "weight_ih_l0"), x, a, 0);
    matvec(w(p, "weight_hh_l0"), hh, a, 1);
    for (size_t j = 0; j < 4 * H; j++)
        a[j] += (double)w(p, "bias_ih_l0")->data[j] + (double)w(p, "bias_hh_l0")->data[j];
    lstm_cell(a, c, h);
    memcpy(y, h, H * sizeof *y);
}

/* mlstm.c's equations (Krause et al. 2016, eq. 18-24 as the authors' code). */
static void mlstm_step(const rc_params *p, const rc_rnn_config *cfg, const double *x, double *const *s, double *y)
{
    (void)cfg;
    double *h = s[0], *c = s[1];
    double mx[MAXW], mh[MAXW], a[4 * H];
    matvec(w(p, "weight_mx_l0"), x, mx, 0);
    matvec(w(p, "weight_mh_l0"), h, mh, 0);
    size_t M = w(p, "weight_mx_l0")->shape[0];
    for (size_t j = 0; j < M; j++)
        mx[j] *= mh[j];
    matvec(w(p, "weight_ih_l0"), x, a, 0);
    matvec(w(p, "weight_hm_l0"), mx, a, 1);
    for (size_t j = 0; j < 4 * H; j++)
        a[j] += (double)w(p, "bias_ih_l0")->data[j];
    lstm_cell(a, c, h);
    memcpy(y, h, H * sizeof *y);
}

/* mrnn.c's equations (Sutskever et al. 2011). */
static void mrnn_step(const rc_params *p, const rc_rnn_config *cfg, const double *x, double *const *s, double *y)
{
    (void)cfg;
    double *h = s[0];
    double fx[MAXW], fh[MAXW], a[H];
    matvec(w(p, "weight_fx_l0"), x, fx, 0);
    matvec(w(p, "weight_fh_l0"), h, fh, 0);
    size_t F = w(p, "weight_fx_l0")->shape[0];
    for (size_t j = 0; j < F; j++)
        fx[j] *= fh[j];
    matvec(w(p, "weight_hx_l0"), x, a, 0);
    matvec(w(p, "weight_hf_l0"), fx, a, 1);
    for (size_t j = 0; j < H; j++)
        y[j] = h[j] = tanh(a[j] + (double)w(p, "bias_h_l0")->data[j]);
}

/* qrnn.c's equations (Bradbury et al. 2017, eq. 1-5), the pooling from the
 * cell, the window from cfg: s[0] = c, s[1] = lookback, the previous input
 * x_{t-1} (window 2). */
static void qrnn_step(const rc_params *p, const rc_rnn_config *cfg, const double *x, double *const *s, double *y)
{
    size_t gates = cfg->cell == RC_CELL_QRNN_F ? 2 : cfg->cell == RC_CELL_QRNN_FO ? 3 : 4, G = gates * H;
    size_t k = (size_t)rc_rnn_config_get(cfg, "window");
    double zo = rc_rnn_config_get(cfg, "zoneout"); /* evaluation: f' = 1 - (1 - f)(1 - zo) */
    const rc_tensor *W = w(p, "weight_ih_l0"), *b = w(p, "bias_ih_l0");
    double a[4 * H], *c = s[0];
    for (size_t r = 0; r < G; r++) {
        a[r] = (double)b->data[r];
        for (size_t j = 0; j < I; j++)
            a[r] += (double)W->data[r * k * I + j] * x[j] + (k == 2 ? (double)W->data[r * k * I + I + j] * s[1][j] : 0.0);
    }
    for (size_t j = 0; k == 2 && j < I; j++)
        s[1][j] = x[j];
    for (size_t j = 0; j < H; j++) {
        double z = tanh(a[j]), f = 1.0 - (1.0 - sigm(a[H + j])) * (1.0 - zo);
        c[j] = gates == 4 ? f * c[j] + sigm(a[3 * H + j]) * z : f * c[j] + (1.0 - f) * z;
        y[j] = gates == 2 ? c[j] : sigm(a[2 * H + j]) * c[j];
    }
}

/* One layer of the cell with options, weights uniform in +-0.5, over
 * T_STEPS steps from drawn states: the library's outputs and final states
 * against ref's to 1e-5. */
static void check_against(int cell, const char *const *opt_names, const double *opt_values, size_t n_opts, ref_step ref)
{
    rc_rnn_config cfg = rc_rnn_config_default(cell, I, H);
    for (size_t i = 0; i < n_opts; i++)
        T_CHECK(rc_rnn_config_set(&cfg, opt_names[i], opt_values[i]) == RC_OK, "%s", rc_last_error());
    rc_params *p = rc_params_new();
    rc_rng rng;
    rc_rng_seed(&rng, 8, (uint64_t)cell);
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, NULL);
    T_CHECK(rnn, "%s", rc_last_error());
    if (!rnn) {
        rc_params_free(p);
        return;
    }
    for (size_t i = 0; i < rc_params_count(p); i++)
        rc_tensor_fill_uniform(rc_params_tensor(p, i), &rng, -0.5f, 0.5f);
    size_t n = rc_rnn_state_count(rnn);
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){T_STEPS, B, I}), *s0[RC_MAX_STATES] = {0}, *fin[RC_MAX_STATES];
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    for (size_t i = 0; i < n; i++) {
        s0[i] = rc_tape_tensor(tp, 3, (size_t[]){1, B, rc_rnn_state_width(rnn, i)});
        rc_tensor_fill_normal(s0[i], &rng, 0.0f, 0.5f);
    }
    rc_rnn_options o = {0};
    o.states0 = s0;
    rc_tensor *y = rc_rnn_forward_states(tp, rnn, x, &o, fin);
    T_CHECK(y, "%s", rc_last_error());
    double worst = 0.0;
    for (size_t b = 0; y && b < B; b++) {
        double state[RC_MAX_STATES][MAXW], *s[RC_MAX_STATES], out[MAXW], xs[I];
        for (size_t i = 0; i < n; i++) {
            s[i] = state[i];
            for (size_t j = 0; j < s0[i]->shape[2]; j++)
                s[i][j] = s0[i]->data[b * s0[i]->shape[2] + j];
        }
        for (size_t t = 0; t < T_STEPS; t++) {
            for (size_t k = 0; k < I; k++)
                xs[k] = x->data[(t * B + b) * I + k];
            ref(p, rc_rnn_config_of(rnn), xs, s, out);
            for (size_t j = 0; j < H; j++)
                worst = fmax(worst, fabs(out[j] - y->data[(t * B + b) * H + j]));
        }
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < s0[i]->shape[2]; j++)
                worst = fmax(worst, fabs(s[i][j] - fin[i]->data[b * s0[i]->shape[2] + j]));
    }
    T_CHECK(worst < 1e-5, "the library differs from the equations by %g", worst);
    rc_tape_free(tp);
    rc_rnn_free(rnn);
    rc_params_free(p);
}

/* A Mogrifier with no rounds is the LSTM, bit for bit, on the same weights
 * (the same names), on the composed path and on the LSTM's fused kernel. */
static void mogrifier_zero_rounds(void)
{
    rc_rnn_config lc = rc_rnn_config_default(RC_CELL_LSTM, I, H), mc = rc_rnn_config_default(RC_CELL_MOGRIFIER, I, H);
    lc.num_layers = mc.num_layers = 2;
    rc_rnn_config_set(&mc, "rounds", 0);
    rc_params *lp = rc_params_new(), *mp = rc_params_new();
    rc_rng rng;
    rc_rng_seed(&rng, 3, 3);
    rc_rnn *lstm = rc_rnn_new(&lc, lp, NULL, &rng), *mog = rc_rnn_new(&mc, mp, NULL, NULL);
    T_CHECK(lstm && mog && rc_params_count(lp) == rc_params_count(mp), "%s", rc_last_error());
    for (size_t i = 0; lstm && mog && i < rc_params_count(mp); i++) {
        const rc_tensor *src = rc_params_find(lp, rc_params_name(mp, i));
        T_CHECK(src, "the LSTM has no %s", rc_params_name(mp, i));
        if (src)
            memcpy(rc_params_tensor(mp, i)->data, src->data, src->size * sizeof(float));
    }
    rc_tape *tp = rc_tape_new();
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){5, B, I});
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    for (int composed = 1; composed >= 0 && lstm && mog; composed--) {
        rc_rnn_options o = {0};
        o.composed = composed;
        rc_tensor *hl, *cl, *hm, *cm;
        rc_tensor *yl = rc_rnn_forward(tp, lstm, x, &o, &hl, &cl);
        o.composed = 1;
        rc_tensor *ym = rc_rnn_forward(tp, mog, x, &o, &hm, &cm);
        T_CHECK(yl && ym, "%s", rc_last_error());
        if (!yl || !ym)
            break;
        double d = 0.0;
        for (size_t i = 0; i < yl->size; i++)
            d = fmax(d, fabs(yl->data[i] - ym->data[i]));
        if (composed)
            T_CHECK(!memcmp(yl->data, ym->data, yl->size * sizeof(float)) &&
                        !memcmp(hl->data, hm->data, hl->size * sizeof(float)) &&
                        !memcmp(cl->data, cm->data, cl->size * sizeof(float)),
                    "0 rounds differ from the composed LSTM by %g (must be bitwise equal)", d);
        else
            T_CHECK(d < 1e-5, "0 rounds differ from the fused LSTM by %g", d);
    }
    rc_tape_free(tp);
    rc_rnn_free(lstm), rc_rnn_free(mog);
    rc_params_free(lp), rc_params_free(mp);
}

/* A QRNN is drawn as PyTorch's nn.Linear over its window: every weight and
 * bias uniform in +-1/sqrt(k I), not the recurrent cells' +-1/sqrt(H). */
static void qrnn_drawn_as_linear(void)
{
    enum { WI = 64, WH = 16 };
    for (int k = 1; k <= 2; k++) {
        rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_QRNN_FO, WI, WH);
        rc_rnn_config_set(&cfg, "window", k);
        rc_params *p = rc_params_new();
        rc_rng rng;
        rc_rng_seed(&rng, 5, 5);
        rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, &rng);
        T_CHECK(rnn, "%s", rc_last_error());
        double bound = 1.0 / sqrt((double)(k * WI)), worst = 0.0;
        for (size_t i = 0; rnn && i < rc_params_count(p); i++)
            for (size_t j = 0; j < rc_params_tensor(p, i)->size; j++)
                worst = fmax(worst, fabs(rc_params_tensor(p, i)->data[j]));
        T_CHECK(worst <= bound && worst > 0.9 * bound, "window %d: weights within +-%g, the bound 1/sqrt(%d)",
                k, worst, k * WI);
        rc_rnn_free(rnn);
        rc_params_free(p);
    }
}

typedef struct {
    rc_rnn *rnn;
    rc_tensor *x;
    int composed;
} path_net;

static rc_tensor *path_forward(rc_tape *tp, void *ctx)
{
    path_net *n = ctx;
    rc_rnn_options o = {0};
    o.composed = n->composed;
    return rc_rnn_forward(tp, n->rnn, n->x, &o, NULL, NULL);
}

/* QRNN zoneout.  Evaluation: the fused kernel equals the composed step in
 * outputs and every gradient (its f' = 1 - (1 - f)(1 - p) and derivative).
 * Training (qrnn_f, whose output is c): a unit keeps its c at a step with
 * probability p, different units at different steps; evaluation keeps
 * none. */
static void qrnn_zoneout(void)
{
    enum { ZT = 12, ZB = 4, ZI = 3, ZH = 64 };
    rc_rng rng;
    rc_rng_seed(&rng, 21, 0);
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_QRNN_FO, ZI, ZH);
    rc_rnn_config_set(&cfg, "zoneout", 0.3);
    cfg.num_layers = 2;
    rc_params *p = rc_params_new();
    path_net n = {rc_rnn_new(&cfg, p, NULL, &rng), rc_tensor_new(3, (size_t[]){ZT, ZB, ZI}), 0};
    T_CHECK(n.rnn, "%s", rc_last_error());
    rc_tensor_fill_normal(n.x, &rng, 0.0f, 1.0f);
    rc_tensor_require_grad(n.x);
    rc_tensor *wrt[8] = {n.x};
    size_t k = 1, nf = 0, nc = 0, gf_n = 0, gc_n = 0;
    for (size_t i = 0; n.rnn && i < rc_params_count(p); i++)
        wrt[k++] = rc_params_tensor(p, i);
    float *gf = NULL, *gc = NULL, *yf = n.rnn ? t_values_and_grads(path_forward, &n, wrt, k, &nf, &gf, &gf_n) : NULL;
    n.composed = 1;
    float *yc = n.rnn ? t_values_and_grads(path_forward, &n, wrt, k, &nc, &gc, &gc_n) : NULL;
    T_CHECK(yf && yc && gf && gc && nf == nc && gf_n == gc_n && t_max_diff(yf, yc, nf) < 1e-5 &&
                t_max_diff(gf, gc, gf_n) < 1e-5 * fmax(1.0, t_max_abs(gc, gc_n)),
            "evaluation with zoneout: fused and composed differ");
    free(yf), free(yc), free(gf), free(gc);
    rc_rnn_free(n.rnn);
    rc_params_free(p);

    cfg = rc_rnn_config_default(RC_CELL_QRNN_F, ZI, ZH);
    rc_rnn_config_set(&cfg, "zoneout", 0.5);
    p = rc_params_new();
    rc_rnn *rnn = rc_rnn_new(&cfg, p, NULL, &rng);
    T_CHECK(rnn, "%s", rc_last_error());
    for (int training = 1; rnn && training >= 0; training--) {
        rc_tape *tp = rc_tape_new();
        rc_rnn_options o = {0};
        o.dropout_rng = training ? &rng : NULL;
        rc_tensor *y = rc_rnn_forward(tp, rnn, n.x, &o, NULL, NULL); /* c at every step, from c0 = 0 */
        size_t kept = 0, same_units = 0;
        for (size_t t = 1; y && t < ZT; t++)
            for (size_t j = 0; j < ZB * ZH; j++) {
                int now = fabsf(y->data[t * ZB * ZH + j] - y->data[(t - 1) * ZB * ZH + j]) < 1e-6f;
                int before = t > 1 && fabsf(y->data[(t - 1) * ZB * ZH + j] - y->data[(t - 2) * ZB * ZH + j]) < 1e-6f;
                kept += now, same_units += t > 1 && now == before;
            }
        double share = (double)kept / (double)((ZT - 1) * ZB * ZH), agree = (double)same_units / ((ZT - 2) * ZB * ZH);
        if (training)
            T_CHECK(share > 0.43 && share < 0.57 && agree < 0.6,
                    "training: %.3f of the units kept c (0.5 expected), %.3f kept or updated like the step before",
                    share, agree);
        else
            T_CHECK(kept == 0, "evaluation kept %zu units' c", kept);
        rc_tape_free(tp);
    }
    rc_rnn_free(rnn);
    rc_params_free(p);
    rc_tensor_free(n.x);
}

static void options_checked(void)
{
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_MOGRIFIER, I, H);
    T_CHECK(rc_rnn_config_set(&cfg, "rounds", 13) != RC_OK, "13 rounds accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "rounds = 13 is not a whole number in [0, 12]");
    T_CHECK(rc_rnn_config_set(&cfg, "rounds", 2.5) != RC_OK, "2.5 rounds accepted");
    T_CHECK(rc_rnn_config_set(&cfg, "depth", 1) != RC_OK, "an unknown option accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "no option depth (its options: rounds, rank)");
    T_CHECK(rc_rnn_config_set(&cfg, "rank", 2) == RC_OK && rc_rnn_config_get(&cfg, "rank") == 2.0 &&
                rc_rnn_config_get(&cfg, "rounds") == 5.0 && isnan(rc_rnn_config_get(&cfg, "depth")),
            "set and get");
    cfg.cell = RC_CELL_MRNN; /* another cell: the Mogrifier's settings do not carry over */
    T_CHECK(rc_rnn_config_check(&cfg) != RC_OK, "option bits of another cell accepted");
    cfg = rc_rnn_config_default(RC_CELL_MLSTM, I, H);
    cfg.proj_size = 2;
    T_CHECK(rc_rnn_config_check(&cfg) != RC_OK, "a projection on an mLSTM accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "proj_size 2 needs an LSTM");
}

void suite_cell_refs(void)
{
    static const char *const mog[] = {"rounds", "rank"}, *const mls[] = {"m_size"}, *const mrn[] = {"factors"},
                             *const qrn[] = {"window"};
    t_case("cell refs: mogrifier, 5 rounds, full rank == its equations");
    if (t_selected())
        check_against(RC_CELL_MOGRIFIER, mog, (double[]){5, 0}, 2, mogrifier_step);
    t_case("cell refs: mogrifier, 4 rounds, rank 2 == its equations");
    if (t_selected())
        check_against(RC_CELL_MOGRIFIER, mog, (double[]){4, 2}, 2, mogrifier_step);
    t_case("cell refs: mogrifier with 0 rounds is the LSTM bit for bit");
    if (t_selected())
        mogrifier_zero_rounds();
    t_case("cell refs: mlstm == its equations (m_size 5)");
    if (t_selected())
        check_against(RC_CELL_MLSTM, mls, (double[]){5}, 1, mlstm_step);
    t_case("cell refs: mrnn == its equations (3 factors)");
    if (t_selected())
        check_against(RC_CELL_MRNN, mrn, (double[]){3}, 1, mrnn_step);
    static const struct {
        int cell;
        double window;
    } qrnns[] = {{RC_CELL_QRNN_F, 2}, {RC_CELL_QRNN_FO, 1}, {RC_CELL_QRNN_FO, 2}, {RC_CELL_QRNN_IFO, 2}};
    for (size_t i = 0; i < sizeof qrnns / sizeof *qrnns; i++) {
        t_case("cell refs: %s, window %g == its equations", rc_cell_name(qrnns[i].cell), qrnns[i].window);
        if (t_selected())
            check_against(qrnns[i].cell, qrn, &qrnns[i].window, 1, qrnn_step);
    }
    t_case("cell refs: qrnn_fo, window 2, zoneout 0.3 (evaluation) == its equations");
    if (t_selected())
        check_against(RC_CELL_QRNN_FO, (const char *const[]){"window", "zoneout"}, (double[]){2, 0.3}, 2, qrnn_step);
    t_case("cell refs: qrnn zoneout keeps c with probability p in training, its expectation in evaluation");
    if (t_selected())
        qrnn_zoneout();
    t_case("cell refs: a QRNN is drawn as nn.Linear, uniform in +-1/sqrt(window * input)");
    if (t_selected())
        qrnn_drawn_as_linear();
    t_case("cell refs: options are checked by name and range, and belong to their cell");
    if (t_selected())
        options_checked();
}
