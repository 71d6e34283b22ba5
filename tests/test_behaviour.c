/* test_behaviour.c — behaviours of the training loop and its neighbours
 * that a deliberate-fault audit found unpinned (a wrong version of each
 * passed the suite); each case here fails under the break recorded for it
 * in tests/mutations.txt:
 *   - early stopping after `patience` evaluations without improvement, the
 *     best model (not the last) kept; the plateau schedule lowering the
 *     trainer's rate; resuming restores the best figure, the bad-evaluation
 *     count and the plateau schedule's state;
 *   - clipping before the optimizer's step; weight noise taken back after
 *     the backward; an lm's carried states zeroed at each epoch;
 *   - music inputs shifted behind a silent frame (the model never sees its
 *     target);
 *   - evaluation without dropout, and an lm's evaluation independent of the
 *     window length (the states carry);
 *   - the classifier's head on the last layer's final states;
 *   - centred RMSProp's centring, the packed product's one-row path over
 *     whole panels, and a stream of a projected LSTM over two layers. */
#include "test.h"

#include "../src/kernels/kernels.h"
#include "../src/train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ helpers */

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs((double)a[i] - (double)b[i]));
    return worst;
}

static float *copy_values(rc_model *m)
{
    rc_params *p = rc_model_params(m);
    size_t n = rc_params_numel(p);
    float *w = malloc(n * sizeof *w);
    memcpy(w, rc_params_values(p), n * sizeof *w);
    return w;
}

/* A classification set of n sequences [T, F] of normal draws, labels
 * given (NULL: i % classes). */
static rc_dataset *random_sequences(rc_rng *rng, size_t n, size_t T, size_t F, const int32_t *labels,
                                    size_t classes)
{
    float *x = malloc(n * T * F * sizeof *x);
    int32_t *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n * T * F; i++)
        x[i] = rc_rng_normal(rng);
    for (size_t i = 0; i < n; i++)
        y[i] = labels ? labels[i] : (int32_t)(i % classes);
    rc_dataset *d = rc_dataset_sequences(x, y, n, T, F, classes);
    free(x), free(y);
    return d;
}

/* ------------------------------------------------- early stopping, resuming
 *
 * The callback dictates each evaluation's figure: after update k (before
 * the evaluation that follows it) it puts back the starting weights, zeroes
 * the head's weight and sets its bias to (0, log(e^L - 1)), so that every
 * validation sequence (all of class 0) costs softplus(log(e^L - 1)) = L,
 * L = figures[k - 1].  With eval after every update (one batch per epoch),
 * early-stopping patience 5 and a plateau schedule of patience 1, gamma 0.5:
 *   eval   1    2    3    4    5    6    7
 *   L     .70  .60  .65  .62  .63  .64  .66   (then worse and worse)
 *   best   *    *                               bad evaluations 1..5 from eval 3
 *   plateau: bad 1 at eval 3, 2 at 4 (rate halved), 1 at 5, 2 at 6 (halved)
 * so the run stops after update 7 (5 bad evaluations), the rate is lr for
 * updates 1-4, lr/2 for 5-6 and lr/4 for 7, and the best model is eval 2's. */
static const double figures[] = {0.70, 0.60, 0.65, 0.62, 0.63, 0.64, 0.66, 0.67, 0.68, 0.69, 0.70, 0.71};
enum { STEER_EPOCHS = 12, STEER_PATIENCE = 5, STEER_STOP = 7 };
static const float steer_lr = 0.1f;

typedef struct {
    rc_model *m;
    const float *base;
    uint64_t stop_at;           /* interrupt after this update (0: never) */
    uint64_t first_step, last_step;
    float lr[STEER_EPOCHS + 1]; /* [step] */
    int evals, stopped_early;
    double best_valid, last_valid;
} steer;

static float bias_for(double L) { return (float)log(expm1(L)); }

static void set_figure(rc_model *m, const float *base, double L)
{
    rc_params *p = rc_model_params(m);
    memcpy(rc_params_values(p), base, rc_params_numel(p) * sizeof(float));
    rc_tensor *w = rc_params_find(p, "head.weight"), *b = rc_params_find(p, "head.bias");
    rc_tensor_fill(w, 0.0f);
    b->data[0] = 0.0f, b->data[1] = bias_for(L);
}

static int steer_callback(const rc_train_status *st, void *user)
{
    steer *s = user;
    if (st->event == RC_TRAIN_STEP) {
        if (!s->first_step)
            s->first_step = st->step;
        s->last_step = st->step;
        if (st->step <= STEER_EPOCHS)
            s->lr[st->step] = st->lr;
        size_t k = st->step <= STEER_EPOCHS ? st->step - 1 : STEER_EPOCHS - 1;
        set_figure(s->m, s->base, figures[k]);
        return s->stop_at && st->step >= s->stop_at;
    }
    if (st->event == RC_TRAIN_EVAL)
        s->evals++, s->last_valid = st->valid;
    if (st->event == RC_TRAIN_DONE)
        s->stopped_early = st->stopped_early, s->best_valid = st->best_valid;
    return 0;
}

typedef struct {
    rc_dataset *train, *valid;
    rc_model_config mc;
    rc_train_config cfg;
} steer_setup;

static void steer_init(steer_setup *u)
{
    rc_rng rng;
    rc_rng_seed(&rng, 31, 31);
    u->train = random_sequences(&rng, 2, 3, 2, NULL, 2); /* one batch of 2: one update per epoch */
    u->valid = random_sequences(&rng, 2, 3, 2, (const int32_t[]){0, 0}, 2);
    memset(&u->mc, 0, sizeof u->mc);
    u->mc.task = RC_TASK_CLASSIFY;
    u->mc.rnn = rc_rnn_config_default(RC_CELL_GRU, 2, 3);
    u->mc.n_out = 2;
    u->cfg = rc_train_config_default();
    u->cfg.optim = rc_optim_config_default(RC_OPTIM_SGD);
    u->cfg.schedule = rc_schedule_init(RC_SCHEDULE_PLATEAU, steer_lr);
    u->cfg.schedule.patience = 1, u->cfg.schedule.gamma = 0.5f;
    u->cfg.patience = STEER_PATIENCE;
    u->cfg.epochs = STEER_EPOCHS;
    u->cfg.batch = 2;
}

/* One run (resume: from cfg.checkpoint); the model is returned. */
static rc_model *steer_run(steer_setup *u, const char *checkpoint, const char *best, int resume, uint64_t stop_at,
                           steer *s)
{
    rc_rng rng;
    rc_rng_seed(&rng, 32, 32);
    rc_model *m = rc_model_new(&u->mc, &rng);
    memset(s, 0, sizeof *s);
    s->m = m, s->stop_at = stop_at;
    float *base = copy_values(m);
    s->base = base;
    rc_train_config cfg = u->cfg;
    cfg.checkpoint = checkpoint, cfg.best_model = best, cfg.resume = resume;
    int status = rc_train(m, u->train, u->valid, &cfg, steer_callback, s);
    T_CHECK(status == RC_OK, "rc_train: %s", rc_last_error());
    free(base);
    s->base = NULL;
    return m;
}

/* The rate the schedule must give update k (table above). */
static float steer_rate(uint64_t k) { return k <= 4 ? steer_lr : k <= 6 ? steer_lr * 0.5f : steer_lr * 0.25f; }

/* The best model file holds eval 2's weights and evaluates to its figure. */
static void check_best_file(const char *path, const rc_dataset *valid)
{
    rc_model *best = rc_model_load(path, NULL);
    T_CHECK(best, "the best model: %s", rc_last_error());
    if (!best)
        return;
    const rc_tensor *b = rc_params_find(rc_model_params(best), "head.bias");
    rc_eval_result r;
    T_CHECK(rc_evaluate(best, valid, 2, 0, &r) == RC_OK, "%s", rc_last_error());
    T_CHECK(b && b->data[1] == bias_for(figures[1]) && fabs(r.loss - figures[1]) < 1e-5,
            "the kept model has head bias %.9g (eval 2's is %.9g) and validation %.9g; the best was %.2f",
            b ? (double)b->data[1] : NAN, (double)bias_for(figures[1]), r.loss, figures[1]);
    rc_model_free(best);
}

static void test_early_stopping(void)
{
    steer_setup u;
    steer_init(&u);
    steer a;

    t_case("behaviour: early stopping stops after `patience` evaluations without improvement, "
           "keeping the best model, not the last");
    char best_a[512], ckpt[512], best_b[512]; /* t_path's buffer is reused by the next call */
    snprintf(best_a, sizeof best_a, "%s", t_path("steer_best_a.safetensors"));
    snprintf(ckpt, sizeof ckpt, "%s", t_path("steer.ckpt"));
    snprintf(best_b, sizeof best_b, "%s", t_path("steer_best_b.safetensors"));
    rc_model *ma = steer_run(&u, NULL, best_a, 0, 0, &a);
    T_CHECK(a.last_step == STEER_STOP && a.evals == STEER_STOP && a.stopped_early,
            "stopped after update %llu (%d evaluations, stopped_early %d); 5 bad evaluations end it after "
            "update 7",
            (unsigned long long)a.last_step, a.evals, a.stopped_early);
    T_CHECK(fabs(a.best_valid - figures[1]) < 1e-5 && fabs(a.last_valid - figures[STEER_STOP - 1]) < 1e-5,
            "best validation %.9g (expected %.2f), last %.9g (expected %.2f)", a.best_valid, figures[1],
            a.last_valid, figures[STEER_STOP - 1]);
    check_best_file(best_a, u.valid);
    rc_eval_result last;
    T_CHECK(rc_evaluate(ma, u.valid, 2, 0, &last) == RC_OK && fabs(last.loss - figures[STEER_STOP - 1]) < 1e-5,
            "the model left in memory is the last one: %.9g, expected %.2f", last.loss, figures[STEER_STOP - 1]);

    t_case("behaviour: the plateau schedule halves the rate after 2 evaluations without improvement");
    int rates_ok = 1;
    for (uint64_t k = 1; k <= a.last_step && k <= STEER_EPOCHS; k++)
        rates_ok &= a.lr[k] == steer_rate(k);
    T_CHECK(rates_ok, "rates of updates 1..7: %g %g %g %g %g %g %g; expected 0.1 x4, 0.05 x2, 0.025",
            (double)a.lr[1], (double)a.lr[2], (double)a.lr[3], (double)a.lr[4], (double)a.lr[5], (double)a.lr[6],
            (double)a.lr[7]);

    t_case("behaviour: interrupted after update 5 and resumed, a run stops early and lowers its rate "
           "where an uninterrupted one does (best figure, bad evaluations, plateau state restored)");
    /* At the interruption: best .60, 3 bad evaluations, the plateau at half
     * rate with 1 bad evaluation of its own.  Lose any of them and the
     * resumed run stops later, or halves its rate at another update. */
    steer b, c;
    rc_model *mb = steer_run(&u, ckpt, best_b, 0, 5, &b);
    rc_model *mc = steer_run(&u, ckpt, best_b, 1, 0, &c);
    T_CHECK(b.last_step == 5 && c.first_step == 6, "the first run ended after update %llu, the resumed one began at %llu",
            (unsigned long long)b.last_step, (unsigned long long)c.first_step);
    T_CHECK(c.last_step == a.last_step && c.stopped_early,
            "the resumed run stopped after update %llu (stopped_early %d); the uninterrupted one after %llu",
            (unsigned long long)c.last_step, c.stopped_early, (unsigned long long)a.last_step);
    int same_rates = 1;
    for (uint64_t k = 6; k <= c.last_step && k <= STEER_EPOCHS; k++)
        same_rates &= c.lr[k] == a.lr[k];
    T_CHECK(same_rates, "rates of updates 6 and 7 after resuming: %g %g; uninterrupted: %g %g", (double)c.lr[6],
            (double)c.lr[7], (double)a.lr[6], (double)a.lr[7]);
    T_CHECK(fabs(c.best_valid - figures[1]) < 1e-5, "the resumed run's best validation %.9g, expected %.2f",
            c.best_valid, figures[1]);
    check_best_file(best_b, u.valid);
    rc_model_free(ma), rc_model_free(mb), rc_model_free(mc);
    rc_dataset_free(u.train), rc_dataset_free(u.valid);
}

/* ------------------------------------------------------------ one update */

/* A classify set of one sequence and a model for it. */
static void one_sequence(rc_rng *rng, rc_dataset **d, rc_model **m, const float **x, int32_t *label)
{
    enum { T = 5, F = 3 };
    *d = random_sequences(rng, 1, T, F, NULL, 3);
    size_t t;
    *x = rc_dataset_sequence(*d, 0, &t, label);
    rc_model_config mc = {0};
    mc.task = RC_TASK_CLASSIFY;
    mc.rnn = rc_rnn_config_default(RC_CELL_GRU, F, 6);
    mc.n_out = 3;
    *m = rc_model_new(&mc, rng);
}

static rc_train_config one_update_config(float lr)
{
    rc_train_config cfg = rc_train_config_default();
    cfg.optim = rc_optim_config_default(RC_OPTIM_SGD);
    cfg.schedule = rc_schedule_init(RC_SCHEDULE_CONSTANT, lr);
    cfg.epochs = 1, cfg.max_steps = 1, cfg.batch = 1;
    cfg.clip_norm = 0.0f;
    return cfg;
}

static void test_clipping(void)
{
    rc_rng rng;
    rc_rng_seed(&rng, 41, 41);
    rc_dataset *d;
    rc_model *m;
    const float *x;
    int32_t label;
    one_sequence(&rng, &d, &m, &x, &label);
    rc_params *p = rc_model_params(m);
    size_t n = rc_params_numel(p);
    float *w0 = copy_values(m);
    const float lr = 0.5f;

    t_case("behaviour: gradient clipping comes before the update: one SGD step moves the weights by lr x clip_norm");
    rc_train_config cfg = one_update_config(lr);
    cfg.clip_norm = 1e-3f; /* far below the gradient's norm */
    T_CHECK(rc_train(m, d, NULL, &cfg, NULL, NULL) == RC_OK, "%s", rc_last_error());
    double norm = 0.0;
    for (size_t i = 0; i < n; i++)
        norm += ((double)rc_params_values(p)[i] - w0[i]) * ((double)rc_params_values(p)[i] - w0[i]);
    norm = sqrt(norm);
    T_CHECK(fabs(norm - (double)lr * cfg.clip_norm) <= 1e-3 * (double)lr * cfg.clip_norm,
            "the step's norm is %.9g; lr x clip_norm is %.9g", norm, (double)lr * cfg.clip_norm);

    t_case("behaviour: clipping by value comes before the update: no weight moves by more than lr x clip_value");
    memcpy(rc_params_values(p), w0, n * sizeof *w0);
    cfg = one_update_config(lr);
    cfg.clip_value = 1e-4f;
    T_CHECK(rc_train(m, d, NULL, &cfg, NULL, NULL) == RC_OK, "%s", rc_last_error());
    double most = max_abs_diff(rc_params_values(p), w0, n), limit = (double)lr * cfg.clip_value;
    T_CHECK(most <= limit * (1 + 1e-3) && most >= limit * (1 - 1e-3),
            "the largest move is %.9g; lr x clip_value is %.9g (and the gradient is larger)", most, limit);
    free(w0);
    rc_model_free(m);
    rc_dataset_free(d);
}

static void test_weight_noise(void)
{
    rc_rng rng;
    rc_rng_seed(&rng, 43, 43);
    rc_dataset *d;
    rc_model *m;
    const float *x;
    int32_t label;
    one_sequence(&rng, &d, &m, &x, &label);
    rc_params *p = rc_model_params(m);
    size_t n = rc_params_numel(p);
    float *w0 = copy_values(m);
    const float std = 0.2f, lr = 0.5f;

    t_case("behaviour: weight noise is taken away after the update's backward: at rate 0 the weights stay bitwise");
    rc_train_config cfg = one_update_config(0.0f);
    cfg.weight_noise = std;
    T_CHECK(rc_train(m, d, NULL, &cfg, NULL, NULL) == RC_OK, "%s", rc_last_error());
    T_CHECK(!memcmp(rc_params_values(p), w0, n * sizeof *w0), "the weights changed by up to %g: left noisy",
            max_abs_diff(rc_params_values(p), w0, n));

    t_case("behaviour: with weight noise, the update is the clean weights minus lr x the gradient at noisy weights");
    memcpy(rc_params_values(p), w0, n * sizeof *w0);
    cfg = one_update_config(lr);
    cfg.weight_noise = std;
    T_CHECK(rc_train(m, d, NULL, &cfg, NULL, NULL) == RC_OK, "%s", rc_last_error());
    /* By hand: the trainer's noise generator (seed, stream 3, see setup() in
     * trainer.c), the same single draw, the gradient of the one batch at the
     * noisy weights. */
    float *w1 = copy_values(m), *saved = malloc(n * sizeof *saved), *g_noisy = malloc(n * sizeof *g_noisy);
    float *g_clean = malloc(n * sizeof *g_clean), *noisy = malloc(n * sizeof *noisy);
    rc_batch b = {0};
    b.T = 5, b.B = 1, b.features = x, b.classes = &label;
    rc_tape *tp = rc_tape_new();
    for (int with_noise = 0; with_noise < 2; with_noise++) {
        memcpy(rc_params_values(p), w0, n * sizeof *w0);
        rc_rng noise_rng;
        rc_rng_seed(&noise_rng, cfg.seed, 3);
        if (with_noise) {
            rc_params_add_noise(p, &noise_rng, std, saved);
            memcpy(noisy, rc_params_values(p), n * sizeof *noisy);
        }
        rc_tape_reset(tp);
        rc_params_zero_grad(p);
        rc_tensor *loss = rc_model_loss(tp, m, &b, NULL, NULL, NULL, NULL);
        T_CHECK(loss && rc_backward(tp, loss) == RC_OK, "%s", rc_last_error());
        memcpy(with_noise ? g_noisy : g_clean, rc_params_grads(p), n * sizeof(float));
    }
    double worst = 0.0, clean_gap = 0.0, noisy_gap = 0.0, scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        double want = (double)w0[i] - (double)lr * g_noisy[i];
        worst = fmax(worst, fabs(w1[i] - want));
        clean_gap = fmax(clean_gap, fabs(w1[i] - ((double)w0[i] - (double)lr * g_clean[i])));
        noisy_gap = fmax(noisy_gap, fabs(w1[i] - ((double)noisy[i] - (double)lr * g_noisy[i])));
        scale = fmax(scale, fabs((double)lr * g_noisy[i]));
    }
    T_CHECK(worst <= 1e-5 * scale, "the weights are %g from w0 - lr g(noisy weights) (steps up to %g)", worst, scale);
    T_CHECK(clean_gap > 1e-3 * scale && noisy_gap > 1e-3 * scale,
            "the check cannot tell: the step at clean weights is %g away, noisy weights minus the step %g away",
            clean_gap, noisy_gap);
    rc_tape_free(tp);
    free(w0), free(w1), free(saved), free(g_noisy), free(g_clean), free(noisy);
    rc_model_free(m);
    rc_dataset_free(d);
}

/* ------------------------------------------------------------ language models */

enum { LM_V = 11, LM_STREAMS = 4, LM_PER = 41, LM_N = LM_STREAMS * LM_PER };

/* A small lm of `cell` (an NTM with 4 x 3 memory). */
static rc_model *small_lm_of(int cell, rc_rng *rng, size_t layers, float gain)
{
    rc_model_config mc = {0};
    mc.task = RC_TASK_LM;
    mc.rnn = rc_rnn_config_default(cell, 6, 8);
    if (cell == RC_CELL_NTM)
        rc_rnn_config_set(&mc.rnn, "slots", 4), rc_rnn_config_set(&mc.rnn, "width", 3);
    mc.rnn.num_layers = layers;
    mc.n_out = LM_V;
    rc_model *m = rc_model_new(&mc, rng);
    /* larger recurrent weights than PyTorch's +-1/sqrt(H): the states carry more */
    rc_params *p = rc_model_params(m);
    for (size_t i = 0; m && gain != 1.0f && i < rc_params_count(p); i++)
        if (strstr(rc_params_name(p, i), "weight_hh")) {
            rc_tensor *w = rc_params_tensor(p, i);
            for (size_t k = 0; k < w->size; k++)
                w->data[k] *= gain;
        }
    return m;
}

static rc_model *small_lm(rc_rng *rng, size_t layers, float gain) { return small_lm_of(RC_CELL_LSTM, rng, layers, gain); }

static void lm_tokens(rc_rng *rng, int32_t *ids)
{
    for (size_t i = 0; i < LM_N; i++)
        ids[i] = rc_rng_uniform(rng) < 0.3f ? (int32_t)rc_rng_below(rng, LM_V) : (int32_t)(i % 5);
}

typedef struct {
    double loss[64];
    size_t n;
} loss_log;

static int log_losses(const rc_train_status *st, void *user)
{
    loss_log *l = user;
    if (st->event == RC_TRAIN_STEP && l->n < 64)
        l->loss[l->n++] = st->last_loss;
    return 0;
}

/* The trainer's lm: streams carry their states from window to window and
 * start afresh at each epoch — from zeros, or from where the cell's states
 * start (the NTM's memory of 1e-6 and learned reads and weightings; a
 * window given zeros instead differs).  At rate 0 the weights never change,
 * so every update's loss is the window's loss from the states before it,
 * computed here from hand-cut windows. */
static void test_lm_carry(int cell)
{
    enum { BPTT = 8, WINDOWS = (LM_PER - 1 + BPTT - 1) / BPTT, EPOCHS = 2 };
    t_case("behaviour: an lm's carried states restart at each epoch where the %s's start (the trainer's losses, by "
           "hand)",
           rc_cell_name(cell));
    rc_rng rng;
    rc_rng_seed(&rng, 47, 47);
    int32_t ids[LM_N];
    lm_tokens(&rng, ids);
    rc_dataset *d = rc_dataset_tokens(ids, LM_N, LM_V);
    rc_model *m = small_lm_of(cell, &rng, 2, 3.0f);
    rc_train_config cfg = rc_train_config_default();
    cfg.optim = rc_optim_config_default(RC_OPTIM_SGD);
    cfg.schedule = rc_schedule_init(RC_SCHEDULE_CONSTANT, 0.0f);
    cfg.epochs = EPOCHS, cfg.batch = LM_STREAMS, cfg.bptt = BPTT;
    loss_log got = {{0}, 0};
    T_CHECK(d && m && rc_train(m, d, NULL, &cfg, log_losses, &got) == RC_OK, "%s", rc_last_error());

    /* by hand: stream s is ids[s LM_PER ..], window w its steps [w BPTT, ..) of the LM_PER - 1 predictions */
    double want[EPOCHS * WINDOWS], from_zero[WINDOWS];
    rc_tape *tp = rc_tape_new();
    rc_tensor *carried[RC_MODEL_MAX_STATES] = {0};
    size_t ns = rc_model_state_count(m);
    for (size_t i = 0; i < ns; i++) {
        size_t shape[3];
        rc_model_state_shape(m, i, LM_STREAMS, shape);
        carried[i] = rc_tensor_new(3, shape);
    }
    for (size_t e = 0; e < EPOCHS; e++) {
        for (size_t w = 0; w < WINDOWS; w++) {
            size_t t0 = w * BPTT, T = LM_PER - 1 - t0 < BPTT ? LM_PER - 1 - t0 : BPTT;
            int32_t tokens[BPTT * LM_STREAMS], targets[BPTT * LM_STREAMS];
            for (size_t t = 0; t < T; t++)
                for (size_t s = 0; s < LM_STREAMS; s++) {
                    tokens[t * LM_STREAMS + s] = ids[s * LM_PER + t0 + t];
                    targets[t * LM_STREAMS + s] = ids[s * LM_PER + t0 + t + 1];
                }
            rc_batch b = {0};
            b.T = T, b.B = LM_STREAMS, b.tokens = tokens, b.targets = targets;
            rc_tensor *fin[RC_MODEL_MAX_STATES] = {0};
            rc_tape_reset(tp);
            if (e == 0) { /* the same window from zero states: the carry must matter */
                rc_tensor *cold = rc_model_loss_states(tp, m, &b, NULL, NULL, NULL);
                from_zero[w] = cold ? cold->data[0] : NAN;
            }
            b.states0 = w == 0 ? NULL : carried; /* each epoch's first window: the states' own start */
            rc_tensor *loss = rc_model_loss_states(tp, m, &b, NULL, NULL, fin);
            want[e * WINDOWS + w] = loss ? loss->data[0] : NAN;
            for (size_t i = 0; loss && i < ns; i++)
                memcpy(carried[i]->data, fin[i]->data, carried[i]->size * sizeof(float));
        }
    }
    double worst = 0.0, carry_matters = 0.0;
    for (size_t k = 0; k < EPOCHS * WINDOWS && got.n == EPOCHS * WINDOWS; k++)
        worst = fmax(worst, fabs(got.loss[k] - want[k]) / want[k]);
    for (size_t w = 1; w < WINDOWS; w++)
        carry_matters = fmax(carry_matters, fabs(from_zero[w] - want[w]) / want[w]);
    T_CHECK(got.n == EPOCHS * WINDOWS && worst < 1e-5,
            "%zu updates (expected %d); losses differ from the windows' by hand (states carried, zeroed per epoch) "
            "by %.3g relative; epoch 2 window 1: %.9g, by hand %.9g",
            got.n, EPOCHS * WINDOWS, worst, got.n > WINDOWS ? got.loss[WINDOWS] : NAN, want[WINDOWS]);
    T_CHECK(carry_matters > 1e-3, "the carried states change the windows' losses by only %.3g: the check is blind",
            carry_matters);
    for (size_t i = 0; i < ns; i++)
        rc_tensor_free(carried[i]);
    rc_tape_free(tp);
    rc_model_free(m);
    rc_dataset_free(d);
}

/* rc_evaluate carries an lm's states across windows: the figure is the
 * whole streams' NLL whatever the window length. */
static void test_lm_eval_windows(void)
{
    t_case("behaviour: lm evaluation carries the states: windows of 5, 13 and all 40 steps give the same NLL");
    rc_rng rng;
    rc_rng_seed(&rng, 53, 53);
    int32_t ids[LM_N];
    lm_tokens(&rng, ids);
    rc_dataset *d = rc_dataset_tokens(ids, LM_N, LM_V);
    rc_model *m = small_lm(&rng, 2, 3.0f);
    const size_t windows[3] = {5, 13, LM_PER - 1};
    rc_eval_result r[3];
    for (int i = 0; i < 3; i++)
        T_CHECK(rc_evaluate(m, d, LM_STREAMS, windows[i], &r[i]) == RC_OK, "%s", rc_last_error());
    T_CHECK(r[0].units == LM_STREAMS * (LM_PER - 1) && r[1].units == r[0].units && r[2].units == r[0].units,
            "units %g %g %g, expected %d", r[0].units, r[1].units, r[2].units, LM_STREAMS * (LM_PER - 1));
    if (t_verbose())
        printf("  lm evaluation: NLL %.9g (bptt 5), %.9g (bptt 13), %.9g (one window)\n", r[0].loss, r[1].loss,
               r[2].loss);
    T_CHECK(fabs(r[0].loss - r[2].loss) <= 1e-5 * r[2].loss && fabs(r[1].loss - r[2].loss) <= 1e-5 * r[2].loss,
            "NLL %.9g (bptt 5), %.9g (bptt 13), %.9g (one window)", r[0].loss, r[1].loss, r[2].loss);
    rc_model_free(m);
    rc_dataset_free(d);
}

/* Evaluation runs without dropout: twice the same figure, and the figure
 * of the same weights in a model with no dropout at all. */
static void test_eval_without_dropout(void)
{
    t_case("behaviour: evaluation of a model with every dropout is deterministic and equals dropout 0");
    rc_rng rng;
    rc_rng_seed(&rng, 59, 59);
    int32_t ids[LM_N];
    lm_tokens(&rng, ids);
    rc_dataset *d = rc_dataset_tokens(ids, LM_N, LM_V);
    rc_model_config mc = {0};
    mc.task = RC_TASK_LM;
    mc.rnn = rc_rnn_config_default(RC_CELL_LSTM, 6, 8);
    mc.rnn.num_layers = 2, mc.rnn.dropout = 0.3f, mc.rnn.weight_drop = 0.3f;
    mc.n_out = LM_V;
    mc.dropout = 0.3f, mc.dropout_embed = 0.2f, mc.dropout_input = 0.2f, mc.dropout_output = 0.2f;
    rc_model *m = rc_model_new(&mc, &rng);
    rc_model_config plain = mc;
    plain.rnn.dropout = 0.0f, plain.rnn.weight_drop = 0.0f;
    plain.dropout = plain.dropout_embed = plain.dropout_input = plain.dropout_output = 0.0f;
    rc_model *m0 = rc_model_new(&plain, &rng);
    T_CHECK(m && m0 && rc_params_numel(rc_model_params(m)) == rc_params_numel(rc_model_params(m0)), "%s",
            rc_last_error());
    if (m && m0) {
        memcpy(rc_params_values(rc_model_params(m0)), rc_params_values(rc_model_params(m)),
               rc_params_numel(rc_model_params(m)) * sizeof(float));
        rc_eval_result r1, r2, r0;
        T_CHECK(rc_evaluate(m, d, LM_STREAMS, 10, &r1) == RC_OK && rc_evaluate(m, d, LM_STREAMS, 10, &r2) == RC_OK &&
                    rc_evaluate(m0, d, LM_STREAMS, 10, &r0) == RC_OK,
                "%s", rc_last_error());
        T_CHECK(r1.loss == r2.loss && fabs(r1.loss - r0.loss) <= 1e-6 * r0.loss,
                "evaluations %.9g and %.9g; without dropout %.9g", r1.loss, r2.loss, r0.loss);
        /* the dropouts are live in training: the check is not blind */
        rc_batch b = {0};
        b.T = 10, b.B = LM_STREAMS, b.tokens = ids, b.targets = ids + 1;
        rc_tape *tp = rc_tape_new();
        rc_rng drop;
        rc_rng_seed(&drop, 1, 1);
        rc_tensor *with = rc_model_loss(tp, m, &b, &drop, NULL, NULL, NULL);
        rc_tensor *without = rc_model_loss(tp, m, &b, NULL, NULL, NULL, NULL);
        T_CHECK(with && without && fabs(with->data[0] - without->data[0]) > 1e-4,
                "training and evaluation losses agree (%g, %g): dropout is off", with ? (double)with->data[0] : NAN,
                without ? (double)without->data[0] : NAN);
        rc_tape_free(tp);
    }
    rc_model_free(m), rc_model_free(m0);
    rc_dataset_free(d);
}

/* ------------------------------------------------------------ music */

/* A music batch holds the rolls' frames as targets, and the model reads
 * them one step late, behind a silent frame: its logits at step t are the
 * head of the network run over [0, frame 0, ..., frame t-1]. */
static void test_music_shift(void)
{
    enum { K = RC_PIANO_KEYS, SEQS = 3, H = 5 };
    t_case("behaviour: music predicts frame t from frames before it (input shifted behind a silent frame)");
    FILE *f = fopen(t_path("behaviour_music.txt"), "w");
    static const int lens[SEQS] = {6, 4, 5};
    for (int s = 0; s < SEQS; s++) {
        for (int t = 0; t < lens[s]; t++)
            fprintf(f, "%s%d %d", t ? ";" : "", 40 + 3 * s + t, 60 + ((s + 2 * t) % 9));
        fputc('\n', f);
    }
    fclose(f);
    rc_rolls *rolls = rc_rolls_load_text(t_path("behaviour_music.txt"));
    rc_dataset *d = rolls ? rc_dataset_rolls(rolls) : NULL;
    rc__batcher bt;
    T_CHECK(d && rc__batcher_init(&bt, d, SEQS, 0, 0) == RC_OK, "%s", rc_last_error());
    if (!d) {
        rc_rolls_free(rolls);
        return;
    }
    rc_batch b;
    rc__batcher_get(&bt, 0, &b); /* unshuffled: the rolls in order */
    int frames_ok = b.T == 6 && b.B == SEQS;
    for (size_t s = 0; frames_ok && s < SEQS; s++)
        for (size_t t = 0; t < b.T; t++)
            for (size_t k = 0; k < K; k++) {
                float want = t < (size_t)lens[s] ? rc_rolls_frames(rolls, s)[t * K + k] : 0.0f;
                frames_ok &= b.frames[(t * SEQS + s) * K + k] == want;
            }
    T_CHECK(frames_ok, "the batch's frames (the targets) are not the rolls' frames");

    rc_rng rng;
    rc_rng_seed(&rng, 61, 61);
    rc_model_config mc = {0};
    mc.task = RC_TASK_MUSIC;
    mc.rnn = rc_rnn_config_default(RC_CELL_GRU, K, H);
    mc.n_out = K;
    rc_model *m = rc_model_new(&mc, &rng);
    rc_tape *tp = rc_tape_new();
    rc_tensor *logits = NULL;
    rc_tensor *loss = rc_model_loss(tp, m, &b, NULL, &logits, NULL, NULL);
    /* by hand: x = [0, frames 0..T-2], the network, the head */
    size_t T = b.T;
    rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){T, SEQS, K});
    memcpy(x->data + SEQS * K, b.frames, (T - 1) * SEQS * K * sizeof(float));
    rc_rnn_options o = {0};
    o.lengths = b.lengths;
    rc_tensor *y = rc_rnn_forward(tp, rc_model_rnn(m), x, &o, NULL, NULL);
    const rc_tensor *hw = rc_params_find(rc_model_params(m), "head.weight"),
                    *hb = rc_params_find(rc_model_params(m), "head.bias");
    double worst = 0.0;
    for (size_t r = 0; loss && y && r < T * SEQS; r++)
        for (size_t k = 0; k < K; k++) {
            double z = hb->data[k];
            for (size_t j = 0; j < H; j++)
                z += (double)hw->data[k * H + j] * y->data[r * H + j];
            worst = fmax(worst, fabs(logits->data[r * K + k] - z));
        }
    T_CHECK(loss && y && worst < 1e-5, "logits differ from the head over the shifted frames by %g", worst);
    rc_tape_free(tp);
    rc_model_free(m);
    rc__batcher_free(&bt);
    rc_dataset_free(d);
    rc_rolls_free(rolls);
}

/* ------------------------------------------------------------ the classifier */

/* classify: logits = head(the last layer's final h, forward then reverse),
 * with h_n from a separate rc_rnn_forward of the same network. */
static void test_classifier_head(void)
{
    enum { T = 6, B = 3, F = 4, C = 3 };
    rc_rng rng;
    rc_rng_seed(&rng, 67, 67);
    float features[T * B * F];
    for (size_t i = 0; i < T * B * F; i++)
        features[i] = rc_rng_normal(&rng);
    int32_t classes[B] = {0, 2, 1};
    for (int bi = 0; bi < 2; bi++) {
        t_case("behaviour: a 2-layer %s classifier reads the last layer's final state%s",
               bi ? "bidirectional GRU" : "LSTM", bi ? "s of both directions" : "");
        rc_model_config mc = {0};
        mc.task = RC_TASK_CLASSIFY;
        mc.rnn = rc_rnn_config_default(bi ? RC_CELL_GRU : RC_CELL_LSTM, F, 5);
        mc.rnn.num_layers = 2, mc.rnn.bidirectional = bi;
        mc.n_out = C;
        rc_model *m = rc_model_new(&mc, &rng);
        rc_tape *tp = rc_tape_new();
        rc_batch b = {0};
        b.T = T, b.B = B, b.features = features, b.classes = classes;
        rc_tensor *logits = NULL, *h_n = NULL;
        rc_tensor *loss = m ? rc_model_loss(tp, m, &b, NULL, &logits, NULL, NULL) : NULL;
        rc_tensor *x = rc_tape_tensor(tp, 3, (size_t[]){T, B, F});
        memcpy(x->data, features, sizeof features);
        rc_tensor *y = m ? rc_rnn_forward(tp, rc_model_rnn(m), x, NULL, &h_n, NULL) : NULL;
        T_CHECK(loss && y && h_n, "%s", rc_last_error());
        if (loss && y && h_n) {
            size_t D = bi ? 2 : 1, Hs = h_n->shape[2], W = D * Hs;
            const rc_tensor *hw = rc_params_find(rc_model_params(m), "head.weight"),
                            *hb = rc_params_find(rc_model_params(m), "head.bias");
            double worst = 0.0;
            for (size_t s = 0; s < B; s++)
                for (size_t k = 0; k < C; k++) {
                    double z = hb->data[k];
                    for (size_t d = 0; d < D; d++) /* rows of h_n: layer 1's are D + d */
                        for (size_t j = 0; j < Hs; j++)
                            z += (double)hw->data[k * W + d * Hs + j] * h_n->data[((D + d) * B + s) * Hs + j];
                    worst = fmax(worst, fabs(logits->data[s * C + k] - z));
                }
            T_CHECK(logits->size == B * C && worst < 1e-5,
                    "logits differ from the head over layer 2's final states by %g", worst);
        }
        rc_tape_free(tp);
        rc_model_free(m);
    }
}

/* ------------------------------------------------------------ centred RMSProp */

static void test_centred_rmsprop(void)
{
    enum { N = 3, STEPS = 3 };
    /* gradients of a steady sign: their mean is large against their spread,
     * so the centred divisor sqrt(E[g^2] - E[g]^2) is far below sqrt(E[g^2]) */
    static const float w0[N] = {0.5f, -1.0f, 2.0f};
    static const float grads[STEPS][N] = {{0.5f, -0.3f, 0.2f}, {0.4f, -0.35f, 0.25f}, {0.6f, -0.25f, 0.15f}};
    const double lr = 0.01, alpha = 0.9, eps = 1e-8, mom = 0.9;
    for (int with_momentum = 0; with_momentum < 2; with_momentum++) {
        t_case("behaviour: centred RMSProp%s divides by the gradient's standard deviation, by hand",
               with_momentum ? " with momentum" : "");
        rc_optim_config c = rc_optim_config_default(RC_OPTIM_RMSPROP);
        c.alpha = (float)alpha, c.centered = 1, c.momentum = with_momentum ? (float)mom : 0.0f;
        rc_params *p = rc_params_new();
        rc_tensor *w = rc_params_add(p, "w", 1, (size_t[]){N});
        memcpy(w->data, w0, sizeof w0);
        rc_optim *o = rc_optim_new(p, &c);
        for (int s = 0; o && s < STEPS; s++) {
            memcpy(w->grad, grads[s], sizeof grads[s]);
            rc_optim_step(o, (float)lr);
        }
        double worst = 0.0, gap = 1e9;
        for (size_t i = 0; i < N; i++) {
            double centred = w0[i], plain = w0[i], v = 0, a = 0, bc = 0, bp = 0;
            for (int s = 0; s < STEPS; s++) {
                double g = grads[s][i];
                v = alpha * v + (1 - alpha) * g * g;
                a = alpha * a + (1 - alpha) * g;
                double dc = g / (sqrt(v - a * a) + eps), dp = g / (sqrt(v) + eps);
                bc = with_momentum ? mom * bc + dc : dc;
                bp = with_momentum ? mom * bp + dp : dp;
                centred -= lr * bc, plain -= lr * bp;
            }
            worst = fmax(worst, fabs(w->data[i] - centred) / (1 + fabs(centred)));
            gap = fmin(gap, fabs(centred - plain));
        }
        T_CHECK(o && worst <= 1e-6, "%s: %.3g from the centred step by hand", o ? "weights" : rc_last_error(), worst);
        T_CHECK(gap > 1e-3, "centred and plain RMSProp differ by only %g here: the check is blind", gap);
        rc_optim_free(o);
        rc_params_free(p);
    }
}

/* ------------------------------------------------------------ packed product, one row */

/* The packed product with one row (a stream of one sequence: the LSTM's step
 * kernel multiplies [1, K] by the packed gates of 16 units, 64 columns)
 * over whole groups of panels, and a group plus a tail: against a product in
 * double, at every SIMD level this CPU runs. */
static void test_packed_one_row(void)
{
    static const size_t shapes[][2] = {{64, 5}, {64, 33}, {128, 16}, {200, 7}};
    rc_rng rng;
    rc_rng_seed(&rng, 71, 71);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int tb = 0; tb < 2; tb++) {
            size_t N = shapes[s][0], K = shapes[s][1], ldb = (tb ? K : N) + 1;
            float beta = tb ? 0.0f : 0.5f;
            t_case("behaviour: packed product of one row, %zu columns (whole panels), K %zu%s, == a naive product", N,
                   K, tb ? ", B transposed" : "");
            float *A = malloc(K * sizeof *A), *B = malloc((tb ? N : K) * ldb * sizeof *B);
            float *C0 = malloc(N * sizeof *C0), *C = malloc(N * sizeof *C);
            float *P = malloc(rc__packed_size(N, K) * sizeof *P);
            for (size_t i = 0; i < K; i++)
                A[i] = rc_rng_normal(&rng);
            for (size_t i = 0; i < (tb ? N : K) * ldb; i++)
                B[i] = rc_rng_normal(&rng);
            for (size_t i = 0; i < N; i++)
                C0[i] = rc_rng_normal(&rng);
            rc__pack_b(tb, N, K, B, ldb, P);
            double worst = 0.0;
            int levels = 0;
            for (int level = RC_SIMD_PORTABLE; level <= RC_SIMD_AVX512; level++) {
                if (rc__simd_use(level))
                    continue;
                levels++;
                memcpy(C, C0, N * sizeof *C);
                rc__gemm_packed(1, N, K, A, K, P, beta, C, N);
                rc__simd_use(-1);
                for (size_t j = 0; j < N; j++) {
                    double sum = beta * (double)C0[j], size = fabs(sum);
                    for (size_t k = 0; k < K; k++) {
                        double v = (double)A[k] * (tb ? B[j * ldb + k] : B[k * ldb + j]);
                        sum += v, size += fabs(v);
                    }
                    worst = fmax(worst, fabs(C[j] - sum) / fmax(size, 1e-30));
                }
            }
            T_CHECK(levels >= 1 && worst <= 1e-6, "worst relative error %.3g over %d SIMD levels", worst, levels);
            free(A), free(B), free(C0), free(C), free(P);
        }

    t_case("behaviour: an LSTM stream of one sequence with whole blocks of units (32) == the whole pass");
    enum { T = 6, I = 20, H = 32 };
    rc_params *params = rc_params_new();
    rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_LSTM, I, H);
    rc_rnn *rnn = rc_rnn_new(&cfg, params, NULL, &rng);
    rc_tensor *x = rc_tensor_new(3, (size_t[]){T, 1, I});
    rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
    rc_tape *tp = rc_tape_new();
    rc_tensor *h_n = NULL, *c_n = NULL, *y = rc_rnn_forward(tp, rnn, x, NULL, &h_n, &c_n);
    rc_rnn_stream *st = rc_rnn_stream_new(rnn, 1, 1);
    T_CHECK(y && st, "%s", rc_last_error());
    if (y && st) {
        float ys[T * H];
        for (size_t t = 0; t < T; t++)
            rc_rnn_stream_run(st, x->data + t * I, 1, ys + t * H);
        double worst = fmax(max_abs_diff(ys, y->data, T * H), max_abs_diff(rc_rnn_stream_h(st), h_n->data, H));
        worst = fmax(worst, max_abs_diff(rc_rnn_stream_c(st), c_n->data, H));
        T_CHECK(worst <= 1e-5, "the stream differs from the whole pass by %g", worst);
    }
    rc_rnn_stream_free(st);
    rc_tape_free(tp);
    rc_tensor_free(x);
    rc_rnn_free(rnn);
    rc_params_free(params);
}

/* ------------------------------------------------------------ projected LSTM streams */

/* An LSTM with a projection (h of width P, c of width H) over 2 and 3
 * layers, streamed a step or three at a time from given states, equals the
 * whole sequence's forward in every output and final state. */
static void test_projected_stream(void)
{
    enum { T = 7, B = 2, I = 3, H = 6, P = 4 };
    rc_rng rng;
    rc_rng_seed(&rng, 73, 73);
    for (size_t layers = 2; layers <= 3; layers++)
        for (size_t chunk = 1; chunk <= 3; chunk += 2) {
            t_case("behaviour: a %zu-layer LSTM with a projection streamed %zu step(s) at a time == the whole pass",
                   layers, chunk);
            rc_params *params = rc_params_new();
            rc_rnn_config cfg = rc_rnn_config_default(RC_CELL_LSTM, I, H);
            cfg.num_layers = layers, cfg.proj_size = P;
            rc_rnn *rnn = rc_rnn_new(&cfg, params, NULL, &rng);
            rc_tensor *x = rc_tensor_new(3, (size_t[]){T, B, I});
            rc_tensor *h0 = rc_tensor_new(3, (size_t[]){layers, B, P}), *c0 = rc_tensor_new(3, (size_t[]){layers, B, H});
            rc_tensor_fill_normal(x, &rng, 0.0f, 1.0f);
            rc_tensor_fill_normal(h0, &rng, 0.0f, 0.5f);
            rc_tensor_fill_normal(c0, &rng, 0.0f, 0.5f);
            rc_tape *tp = rc_tape_new();
            rc_rnn_options o = {0};
            o.h0 = h0, o.c0 = c0;
            rc_tensor *h_n = NULL, *c_n = NULL, *y = rnn ? rc_rnn_forward(tp, rnn, x, &o, &h_n, &c_n) : NULL;
            rc_rnn_stream *st = rnn ? rc_rnn_stream_new(rnn, B, chunk) : NULL;
            T_CHECK(y && st, "%s", rc_last_error());
            if (y && st) {
                memcpy(rc_rnn_stream_h(st), h0->data, h0->size * sizeof(float));
                memcpy(rc_rnn_stream_c(st), c0->data, c0->size * sizeof(float));
                float ys[T * B * P];
                for (size_t t = 0; t < T; t += chunk) {
                    size_t n = T - t < chunk ? T - t : chunk;
                    T_CHECK(rc_rnn_stream_run(st, x->data + t * B * I, n, ys + t * B * P) == RC_OK, "%s",
                            rc_last_error());
                }
                double dy = max_abs_diff(ys, y->data, T * B * P);
                double dh = max_abs_diff(rc_rnn_stream_h(st), h_n->data, h_n->size);
                double dc = max_abs_diff(rc_rnn_stream_c(st), c_n->data, c_n->size);
                T_CHECK(dy <= 1e-5 && dh <= 1e-5 && dc <= 1e-5,
                        "the stream differs from the whole pass: outputs by %g, h by %g, c by %g", dy, dh, dc);
            }
            rc_rnn_stream_free(st);
            rc_tape_free(tp);
            rc_tensor_free(x), rc_tensor_free(h0), rc_tensor_free(c0);
            rc_rnn_free(rnn);
            rc_params_free(params);
        }
}

void suite_behaviour(void)
{
    test_early_stopping();
    test_clipping();
    test_weight_noise();
    test_lm_carry(RC_CELL_LSTM);
    test_lm_carry(RC_CELL_NTM);
    test_lm_eval_windows();
    test_eval_without_dropout();
    test_music_shift();
    test_classifier_head();
    test_centred_rmsprop();
    test_packed_one_row();
    test_projected_stream();
}
