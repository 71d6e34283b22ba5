/* test_train.c — optimizers against steps computed by hand (in double, from
 * the formulas, element by element), clipping, weight noise, schedules. */
#include "gradcheck.h"
#include "test.h"

#include <math.h>
#include <string.h>

enum { N = 3, STEPS = 3 };

static const float w0[N] = {0.5f, -1.0f, 2.0f};
static const float grads[STEPS][N] = {{0.1f, -0.2f, 0.3f}, {-0.4f, 0.5f, 0.05f}, {0.2f, 0.2f, -0.6f}};

/* Runs STEPS updates of cfg at rate lr; returns the final weights in out. */
static void run(const rc_optim_config *cfg, float lr, float *out)
{
    rc_params *p = rc_params_new();
    rc_tensor *w = rc_params_add(p, "w", 1, (size_t[]){N});
    memcpy(w->data, w0, sizeof w0);
    rc_optim *o = rc_optim_new(p, cfg);
    T_CHECK(o, "%s", rc_last_error());
    for (int s = 0; o && s < STEPS; s++) {
        memcpy(w->grad, grads[s], sizeof grads[s]);
        rc_optim_step(o, lr);
    }
    memcpy(out, w->data, sizeof w0);
    rc_optim_free(o);
    rc_params_free(p);
}

static void expect(const float *got, const double *want, const char *what)
{
    for (int i = 0; i < N; i++)
        T_CHECK(fabs(got[i] - want[i]) <= 1e-6 * (1 + fabs(want[i])), "%s: w[%d] = %.9g, by hand %.9g",
                what, i, (double)got[i], want[i]);
}

static void test_optimizers(void)
{
    const double lr = 0.1, mom = 0.9, wd = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, alpha = 0.95;
    float got[N];
    for (int nesterov = 0; nesterov < 2; nesterov++) {
        t_case("optim: SGD with momentum%s and weight decay, by hand", nesterov ? " (Nesterov)" : "");
        rc_optim_config c = rc_optim_config_default(RC_OPTIM_SGD);
        c.momentum = (float)mom, c.nesterov = nesterov, c.weight_decay = (float)wd;
        run(&c, (float)lr, got);
        double want[N];
        for (int i = 0; i < N; i++) {
            double w = w0[i], b = 0;
            for (int s = 0; s < STEPS; s++) {
                double g = grads[s][i] + wd * w;
                b = s == 0 ? g : mom * b + g;
                w -= lr * (nesterov ? g + mom * b : b);
            }
            want[i] = w;
        }
        expect(got, want, "sgd");
    }
    for (int adamw = 0; adamw < 2; adamw++) {
        t_case("optim: %s, by hand (bias correction over 3 steps)", adamw ? "AdamW" : "Adam with L2");
        rc_optim_config c = rc_optim_config_default(adamw ? RC_OPTIM_ADAMW : RC_OPTIM_ADAM);
        c.weight_decay = (float)wd;
        run(&c, (float)lr, got);
        double want[N];
        for (int i = 0; i < N; i++) {
            double w = w0[i], m = 0, v = 0;
            for (int s = 1; s <= STEPS; s++) {
                double g = grads[s - 1][i];
                if (adamw)
                    w *= 1 - lr * wd;
                else
                    g += wd * w;
                m = b1 * m + (1 - b1) * g;
                v = b2 * v + (1 - b2) * g * g;
                w -= lr * (m / (1 - pow(b1, s))) / (sqrt(v / (1 - pow(b2, s))) + eps);
            }
            want[i] = w;
        }
        expect(got, want, adamw ? "adamw" : "adam");
    }
    for (int graves = 0; graves < 2; graves++) {
        t_case("optim: RMSProp%s, by hand", graves ? " in Graves's form (centred, momentum, floor)" : "");
        rc_optim_config c = rc_optim_config_default(RC_OPTIM_RMSPROP);
        c.alpha = (float)alpha;
        if (graves)
            c.centered = 1, c.momentum = (float)mom, c.rms_floor = 0.3f;
        run(&c, (float)lr, got);
        double want[N];
        for (int i = 0; i < N; i++) {
            double w = w0[i], v = 0, a = 0, b = 0;
            for (int s = 0; s < STEPS; s++) {
                double g = grads[s][i];
                v = alpha * v + (1 - alpha) * g * g;
                a = alpha * a + (1 - alpha) * g;
                double r = graves ? fmax(sqrt(v - a * a), 0.3) + eps : sqrt(v) + eps;
                b = mom * b + g / r;
                w -= lr * (graves ? b : g / r);
            }
            want[i] = w;
        }
        expect(got, want, "rmsprop");
    }

    t_case("optim: update-norm clipping scales the whole step");
    rc_optim_config c = rc_optim_config_default(RC_OPTIM_SGD);
    c.clip_update = 0.01f;
    rc_params *p = rc_params_new();
    rc_tensor *w = rc_params_add(p, "w", 1, (size_t[]){N});
    memcpy(w->data, w0, sizeof w0);
    memcpy(w->grad, grads[0], sizeof grads[0]);
    rc_optim *o = rc_optim_new(p, &c);
    rc_optim_step(o, 1.0f);
    double norm = 0;
    for (int i = 0; i < N; i++)
        norm += (w->data[i] - w0[i]) * (w->data[i] - w0[i]);
    T_CHECK(fabs(sqrt(norm) - 0.01) < 1e-6, "update norm %g, limit 0.01", sqrt(norm));
    T_CHECK((w->data[0] - w0[0]) * grads[0][0] < 0, "update direction");
    rc_optim_free(o);

    t_case("optim: averaged SGD averages the weights from the start of averaging");
    c = rc_optim_config_default(RC_OPTIM_ASGD);
    memcpy(w->data, w0, sizeof w0);
    o = rc_optim_new(p, &c);
    memcpy(w->grad, grads[0], sizeof grads[0]);
    rc_optim_step(o, 0.1f); /* before averaging */
    float start[N];
    memcpy(start, w->data, sizeof start);
    rc_optim_start_averaging(o);
    double sum[N];
    for (int i = 0; i < N; i++)
        sum[i] = start[i];
    for (int s = 1; s < STEPS; s++) {
        memcpy(w->grad, grads[s], sizeof grads[s]);
        rc_optim_step(o, 0.1f);
        for (int i = 0; i < N; i++)
            sum[i] += w->data[i];
    }
    float live[N];
    memcpy(live, w->data, sizeof live);
    rc_optim_swap_average(o);
    for (int i = 0; i < N; i++)
        T_CHECK(fabs(w->data[i] - sum[i] / STEPS) < 1e-6, "average of w[%d]: %g, expected %g", i,
                (double)w->data[i], sum[i] / STEPS);
    rc_optim_swap_average(o);
    T_CHECK(!memcmp(live, w->data, sizeof live), "swapping twice does not restore the weights");
    T_CHECK(rc_optim_averaging(o) && rc_optim_steps(o) == STEPS, "state");
    rc_optim_free(o);

    t_case("optim: bad settings are refused");
    c = rc_optim_config_default(RC_OPTIM_ADAM);
    c.beta2 = 1.0f;
    T_CHECK(!rc_optim_new(p, &c), "beta2 = 1 accepted");
    c = rc_optim_config_default(RC_OPTIM_ADAM);
    c.nesterov = 1;
    T_CHECK(!rc_optim_new(p, &c), "Nesterov Adam accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "Nesterov");
    T_CHECK(rc_optim_from_name("rmsprop") == RC_OPTIM_RMSPROP && rc_optim_from_name("x") == -1, "names");

    t_case("params: clipping by value, and weight noise that is taken back exactly");
    w->grad[0] = 5.0f, w->grad[1] = -5.0f, w->grad[2] = 0.5f;
    rc_params_clip_grad_value(p, 1.0f);
    T_CHECK(w->grad[0] == 1.0f && w->grad[1] == -1.0f && w->grad[2] == 0.5f, "clip by value");
    float saved[N], before[N];
    w->data[0] = 0.1f, w->data[1] = 1e-3f, w->data[2] = -7.3f; /* (w + n) - n differs from w for some */
    memcpy(before, w->data, sizeof before);
    rc_rng rng;
    rc_rng_seed(&rng, 3, 0);
    for (int round = 0; round < 100; round++) {
        rc_params_add_noise(p, &rng, 0.075f, saved);
        T_CHECK(memcmp(before, w->data, sizeof before) != 0, "no noise added");
        rc_params_remove_noise(p, saved);
    }
    T_CHECK(memcmp(before, w->data, sizeof before) == 0, "after 100 rounds the weights are not bitwise the same");
    rc_params_free(p);
}

static void test_schedules(void)
{
    t_case("schedules: step, linear, cosine, plateau");
    rc_schedule s = rc_schedule_init(RC_SCHEDULE_STEP, 1.0f);
    s.gamma = 0.5f, s.step_size = 2;
    T_CHECK(rc_schedule_lr(&s, 1.9) == 1.0f && rc_schedule_lr(&s, 2.0) == 0.5f &&
                rc_schedule_lr(&s, 5.0) == 0.25f,
            "step");
    s = rc_schedule_init(RC_SCHEDULE_LINEAR, 1e-3f);
    s.lr_end = 1e-5f, s.length = 500;
    T_CHECK(fabsf(rc_schedule_lr(&s, 250) - 5.05e-4f) < 1e-9f && rc_schedule_lr(&s, 900) == 1e-5f,
            "linear: %g", (double)rc_schedule_lr(&s, 250));
    s = rc_schedule_init(RC_SCHEDULE_COSINE, 1.0f);
    s.length = 10;
    T_CHECK(rc_schedule_lr(&s, 0) == 1.0f && fabsf(rc_schedule_lr(&s, 5) - 0.5f) < 1e-6f &&
                fabsf(rc_schedule_lr(&s, 10)) < 1e-6f,
            "cosine");
    s = rc_schedule_init(RC_SCHEDULE_PLATEAU, 1.0f);
    s.gamma = 0.1f, s.patience = 1;
    int lowered = rc_schedule_observe(&s, 5.0);        /* best */
    lowered += rc_schedule_observe(&s, 5.1);           /* 1 bad: within patience */
    T_CHECK(!lowered && rc_schedule_lr(&s, 0) == 1.0f, "plateau too early");
    T_CHECK(rc_schedule_observe(&s, 5.2) == 1 && fabsf(rc_schedule_lr(&s, 0) - 0.1f) < 1e-7f,
            "plateau did not lower the rate");
    T_CHECK(rc_schedule_from_name("cosine") == RC_SCHEDULE_COSINE && !rc_schedule_name(99), "names");
}

void suite_train(void)
{
    test_optimizers();
    test_schedules();
}

/* ------------------------------------------------------------ task models */


typedef struct {
    rc_model *m;
    rc_batch b;
} model_ctx;

static rc_tensor *build_loss(rc_tape *tp, void *ctx)
{
    model_ctx *k = ctx;
    return rc_model_loss(tp, k->m, &k->b, NULL, NULL, NULL, NULL);
}

/* The music loss is one float near 88 log 2 per frame: its rounding, over
 * the step h, swamps gradients of 1e-3, so the model path (shifted input,
 * network, output layer) is checked through the logits, and the loss by the
 * op-level check of rc_bce_with_logits with row weights.  So is the
 * pointer network's, whose weights' gradients through a mean over rows of
 * near-uniform scores are 1e-5 to 1e-4 (its cross-entropy is checked at
 * the op level, and against the scores in test_pointer.c): through the
 * softmax of its scores, as the masked ones (-1e9) would swamp any sum. */
static rc_tensor *build_check(rc_tape *tp, void *ctx)
{
    model_ctx *k = ctx;
    int task = rc_model_config_of(k->m)->task;
    if (task != RC_TASK_MUSIC && task != RC_TASK_POINTER)
        return build_loss(tp, ctx);
    rc_tensor *logits = NULL;
    if (!rc_model_loss(tp, k->m, &k->b, NULL, &logits, NULL, NULL))
        return NULL;
    return task == RC_TASK_POINTER ? rc_softmax(tp, logits, 2) : logits;
}

/* The bits task (sigmoid outputs at every step, the Bernoulli NLL summed
 * over outputs per weighted step) and regress (a value from each sequence's
 * final state, the mean squared error), by hand from their output layers. */
static void test_bits_regress(rc_rng *rng)
{
    enum { T = 3, B = 2, F = 4, O = 3 };
    float features[T * B * F], bits[T * B * O], values[B * O];
    const float weights[T * B] = {1, 0, 1, 1, 0, 1};
    const int32_t lengths[B] = {3, 2};
    for (int i = 0; i < T * B * F; i++)
        features[i] = rc_rng_normal(rng);
    for (int i = 0; i < T * B * O; i++)
        bits[i] = (float)(rc_rng_u32(rng) >> 31);
    for (int i = 0; i < B * O; i++)
        values[i] = rc_rng_normal(rng);
    for (int regress = 0; regress < 2; regress++) {
        t_case("models: %s, by hand", regress ? "regress: the mean squared error of a value per sequence"
                                              : "bits: the Bernoulli NLL summed over outputs, per weighted step");
        rc_model_config cfg = {0};
        cfg.task = regress ? RC_TASK_REGRESS : RC_TASK_BITS;
        cfg.n_out = O;
        cfg.rnn = rc_rnn_config_default(RC_CELL_GRU, F, 5);
        rc_model *m = rc_model_new(&cfg, rng);
        rc_batch b = {0};
        b.T = T, b.B = B, b.features = features, b.lengths = lengths;
        b.frames = bits, b.weights = weights, b.samples = values;
        rc_tape *tp = rc_tape_new();
        rc_tensor *out = NULL, *loss = m ? rc_model_loss(tp, m, &b, NULL, &out, NULL, NULL) : NULL;
        double sum = 0, units = 0;
        for (int r = 0; out && r < (regress ? B : T * B); r++)
            for (int k = 0; k < O; k++) {
                double z = out->data[r * O + k];
                if (regress)
                    sum += (z - values[r * O + k]) * (z - values[r * O + k]), units += 1;
                else
                    sum += weights[r] * (log1p(exp(z)) - bits[r * O + k] * z);
            }
        for (int r = 0; !regress && r < T * B; r++)
            units += weights[r];
        T_CHECK(loss && out && out->ndim == (regress ? 2 : 3) && fabs(loss->data[0] - sum / units) < 1e-5,
                "loss %g, by hand %g", loss ? (double)loss->data[0] : -1.0, sum / units);
        rc_tape_free(tp);
        rc_model_free(m);
    }
}

/* An lm whose embedding has more rows than it has outputs (a tagger over
 * token ids), and the tag task (features in, a class per step): their losses
 * are the cross-entropy of the output layer at every step, by hand. */
static void test_tagging(rc_rng *rng)
{
    enum { T = 3, B = 2, F = 4, V = 9, C = 5 };
    const int32_t tokens[T * B] = {8, 0, 3, 7, 1, 8}, targets[T * B] = {4, -1, 0, 2, 3, 1};
    float features[T * B * F];
    for (int i = 0; i < T * B * F; i++)
        features[i] = rc_rng_normal(rng);
    for (int tag = 0; tag < 2; tag++) {
        t_case("models: %s: the loss is the cross-entropy of every step's output layer, by hand",
               tag ? "tag (features in, a class per step)" : "an lm over 9 token types with 5 outputs");
        rc_model_config cfg = {0};
        cfg.task = tag ? RC_TASK_TAG : RC_TASK_LM;
        cfg.vocab_size = tag ? 0 : V;
        cfg.n_out = C;
        cfg.rnn = rc_rnn_config_default(RC_CELL_LSTM, tag ? F : 3, 4);
        rc_model *m = rc_model_new(&cfg, rng);
        T_CHECK(m, "%s", rc_last_error());
        if (!m)
            continue;
        const rc_tensor *embed = rc_params_find(rc_model_params(m), "embed.weight");
        T_CHECK(tag ? !embed : embed && embed->shape[0] == V && embed->shape[1] == 3, "the embedding's shape");
        rc_batch b = {0};
        b.T = T, b.B = B, b.targets = targets;
        if (tag)
            b.features = features;
        else
            b.tokens = tokens;
        rc_tape *tp = rc_tape_new();
        rc_tensor *logits = NULL, *loss = rc_model_loss(tp, m, &b, NULL, &logits, NULL, NULL);
        double sum = 0;
        int counted = 0;
        for (int r = 0; logits && r < T * B; r++) {
            if (targets[r] < 0)
                continue;
            const float *z = logits->data + (size_t)r * C;
            double mx = z[0], se = 0;
            for (int c = 1; c < C; c++)
                mx = fmax(mx, z[c]);
            for (int c = 0; c < C; c++)
                se += exp(z[c] - mx);
            sum += mx + log(se) - z[targets[r]], counted++;
        }
        T_CHECK(loss && logits && logits->ndim == 3 && logits->shape[2] == C &&
                    fabs(loss->data[0] - sum / counted) < 1e-5,
                "loss %g, by hand %g", loss ? (double)loss->data[0] : -1.0, sum / counted);
        if (!tag) {
            t_case("models: an lm's embedding size survives a file, and tied weights need as many rows as outputs");
            rc_model *back = rc_model_save(m, t_path("tagger.safetensors"), 0, NULL, NULL) == RC_OK
                                 ? rc_model_load(t_path("tagger.safetensors"), NULL)
                                 : NULL;
            T_CHECK(back && rc_model_config_of(back)->vocab_size == V, "%s", rc_last_error());
            rc_tensor *again = back ? rc_model_loss(tp, back, &b, NULL, NULL, NULL, NULL) : NULL;
            T_CHECK(again && loss && again->data[0] == loss->data[0], "the loaded model's loss differs");
            rc_model_free(back);
            rc_model_config tied = cfg;
            tied.tie_weights = 1;
            tied.rnn = rc_rnn_config_default(RC_CELL_LSTM, 3, 3);
            T_CHECK(!rc_model_new(&tied, rng), "tied weights with 9 rows and 5 outputs accepted");
            T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "tied weights need as many outputs (5) as embedding rows (9)");
            rc_model_config music = {0};
            music.task = RC_TASK_MUSIC, music.n_out = RC_PIANO_KEYS, music.vocab_size = 5;
            music.rnn = rc_rnn_config_default(RC_CELL_GRU, RC_PIANO_KEYS, 3);
            T_CHECK(!rc_model_new(&music, rng), "an embedding size on a music model accepted");
            T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "are for the lm task");
        }
        rc_tape_free(tp);
        rc_model_free(m);
    }
}

/* Streaming through the model API: a sequence fed in pieces, each call
 * starting from the previous one's states, gives the output layer of the
 * whole sequence in one call — for an lm (2 stacked LSTM layers with a
 * projection) and a tag model (a GRU); a wrong state (none carried) does not. */
static void test_model_streams(rc_rng *rng)
{
    enum { T = 7, B = 2, F = 3, V = 6 };
    int32_t tokens[T * B];
    float features[T * B * F];
    for (int i = 0; i < T * B; i++)
        tokens[i] = (int32_t)rc_rng_below(rng, V);
    for (int i = 0; i < T * B * F; i++)
        features[i] = rc_rng_normal(rng);
    const size_t pieces[] = {2, 1, 4};
    for (int tag = 0; tag < 2; tag++) {
        t_case("models: %s streamed in pieces of 2, 1 and 4 steps == one call over 7", tag ? "tag" : "lm");
        rc_model_config cfg = {0};
        cfg.task = tag ? RC_TASK_TAG : RC_TASK_LM;
        cfg.n_out = V;
        cfg.rnn = rc_rnn_config_default(tag ? RC_CELL_GRU : RC_CELL_LSTM, tag ? F : 4, 5);
        cfg.rnn.num_layers = 2;
        cfg.rnn.proj_size = tag ? 0 : 3;
        rc_model *m = rc_model_new(&cfg, rng);
        T_CHECK(m, "%s", rc_last_error());
        if (!m)
            continue;
        rc_tape *tp = rc_tape_new();
        rc_batch whole = {0};
        whole.T = T, whole.B = B, whole.tokens = tokens, whole.features = features;
        rc_tensor *y_all = rc_model_forward(tp, m, &whole, NULL);
        float all[T * B * V];
        if (y_all)
            memcpy(all, y_all->data, sizeof all);
        /* as the README streams: the states copied out, the tape reset after each piece */
        size_t n = rc_model_state_count(m), per_step = (size_t)B * V, t0 = 0;
        rc_tensor *carried[RC_MODEL_MAX_STATES] = {0}, *fin[RC_MODEL_MAX_STATES] = {0};
        double worst = 0, cold = 0;
        for (size_t i = 0; y_all && i < 3; i++) {
            rc_tape_reset(tp);
            rc_batch piece = {0};
            piece.T = pieces[i], piece.B = B, piece.tokens = tokens + t0 * B, piece.features = features + t0 * B * F;
            rc_tensor *fresh = rc_model_forward(tp, m, &piece, NULL);
            piece.states0 = i ? carried : NULL;
            rc_tensor *y = rc_model_forward(tp, m, &piece, fin);
            for (size_t j = 0; y && fresh && j < y->size; j++) {
                worst = fmax(worst, fabs(y->data[j] - all[t0 * per_step + j]));
                cold = fmax(cold, fabs(fresh->data[j] - all[t0 * per_step + j]));
            }
            T_CHECK(y && n >= 1, "%s", rc_last_error());
            for (size_t k = 0; y && k < n; k++) {
                if (!carried[k])
                    carried[k] = rc_tensor_new(fin[k]->ndim, fin[k]->shape);
                memcpy(carried[k]->data, fin[k]->data, fin[k]->size * sizeof(float));
            }
            t0 += pieces[i];
        }
        for (size_t k = 0; k < n; k++)
            rc_tensor_free(carried[k]);
        T_CHECK(y_all && worst < 1e-6, "streamed outputs differ from the whole sequence's by %g", worst);
        T_CHECK(cold > 1e-3, "pieces started from zero states equal the whole sequence (%g): states unchecked", cold);
        rc_tape_free(tp);
        rc_model_free(m);
    }
}

void suite_models(void)
{
    enum { T_ = 4, B_ = 3, F_ = 5 };
    static int32_t tokens[T_ * B_], targets[T_ * B_], classes[B_] = {2, 0, 1};
    static const int32_t lengths[B_] = {4, 2, 3};
    /* pointer: [T_ + 1, B_] positions within each example's points, then 0 (the end), -1 after */
    static const int32_t pointers[(T_ + 1) * B_] = {2, 1, 3, 4, 2, 0, 1, 0, -1, 0, -1, -1, -1, -1, -1};
    static float frames[T_ * B_ * RC_PIANO_KEYS], weights[T_ * B_], features[T_ * B_ * F_], samples[T_ * B_ * 2];
    rc_rng rng;
    rc_rng_seed(&rng, 8, 8);
    for (int i = 0; i < T_ * B_; i++) {
        tokens[i] = (int32_t)rc_rng_below(&rng, 7);
        targets[i] = i % 5 == 4 ? -1 : (int32_t)rc_rng_below(&rng, 7); /* one padded target */
        weights[i] = (size_t)(i / B_) < (size_t)lengths[i % B_] ? 1.0f : 0.0f;
    }
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++)
        frames[i] = rc_rng_uniform(&rng) < 0.1f ? 1.0f : 0.0f;
    for (size_t i = 0; i < sizeof features / sizeof features[0]; i++)
        features[i] = rc_rng_normal(&rng);
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++)
        samples[i] = 0.5f * rc_rng_normal(&rng);

    for (int task = 0; task < RC_TASK_COUNT; task++) {
        rc_model_config cfg = {0};
        cfg.task = task;
        int cell = task == RC_TASK_LM || task == RC_TASK_AUDIO ? RC_CELL_LSTM
                   : task == RC_TASK_MUSIC                     ? RC_CELL_GRU_RESET_BEFORE
                                                               : RC_CELL_GRU;
        size_t in = task == RC_TASK_LM ? 4 : task == RC_TASK_MUSIC ? RC_PIANO_KEYS : F_ + (task == RC_TASK_POINTER);
        cfg.rnn = rc_rnn_config_default(cell, in, 3);
        cfg.rnn.bidirectional = task == RC_TASK_CLASSIFY;
        cfg.rnn.peephole = task == RC_TASK_AUDIO;
        cfg.n_out = task == RC_TASK_LM || task == RC_TASK_TAG ? 7
                    : task == RC_TASK_MUSIC                     ? RC_PIANO_KEYS
                    : task == RC_TASK_AUDIO                     ? 2
                    : task == RC_TASK_POINTER                   ? 0
                                                                : 3;
        cfg.mixtures = task == RC_TASK_AUDIO ? 2 : 0; /* audio: windows of 5 samples predict the next 2 */
        rc_model *m = rc_model_new(&cfg, &rng);
        rc_tensor *v = m && task == RC_TASK_POINTER ? rc_params_find(rc_model_params(m), "attn.v") : NULL;
        for (size_t i = 0; v && i < v->size; i++) /* scores of order 1, as a trained model's: gradients above float noise */
            v->data[i] *= 8.0f;
        model_ctx k = {m, {0}};
        k.b.T = T_, k.b.B = B_;
        k.b.tokens = tokens, k.b.targets = task == RC_TASK_POINTER ? pointers : targets;
        k.b.frames = frames, k.b.weights = weights;
        k.b.features = features, k.b.classes = classes, k.b.samples = samples;
        k.b.lengths = task == RC_TASK_LM ? NULL : lengths;

        t_case("gradcheck: model %s, task %s, every weight",
               task == RC_TASK_MUSIC ? "logits" : task == RC_TASK_POINTER ? "scores' softmax" : "loss",
               rc_task_name(task));
        T_CHECK(m, "%s", rc_last_error());
        if (m && t_selected()) {
            rc_params *p = rc_model_params(m);
            rc_tensor *wrt[32];
            const char *names[32];
            size_t n = rc_params_count(p);
            for (size_t i = 0; i < n; i++)
                wrt[i] = rc_params_tensor(p, i), names[i] = rc_params_name(p, i);
            t_gradcheck(build_check, &k, wrt, n, names, 0);
        }

        t_case("models: rc_model_forward gives rc_model_loss's output layer, %s, without reading targets (pointer: "
               "its decoder reads them)",
               rc_task_name(task));
        if (m) {
            rc_tape *tp = rc_tape_new();
            rc_tensor *logits = NULL, *fin[RC_MODEL_MAX_STATES] = {0}, *fwd_n[RC_MODEL_MAX_STATES] = {0};
            rc_model_loss_states(tp, m, &k.b, NULL, &logits, fin);
            rc_batch inputs_only = k.b;
            inputs_only.targets = task == RC_TASK_POINTER ? k.b.targets : NULL;
            inputs_only.classes = NULL, inputs_only.samples = NULL;
            inputs_only.weights = NULL;
            rc_tensor *fwd = rc_model_forward(tp, m, &inputs_only, fwd_n);
            T_CHECK(logits && fwd && fwd->size == logits->size &&
                        !memcmp(fwd->data, logits->data, fwd->size * sizeof(float)) &&
                        (task == RC_TASK_POINTER /* no states: each batch is whole examples */
                             ? !fwd_n[0] && !fin[0]
                             : fwd_n[0] && !memcmp(fwd_n[0]->data, fin[0]->data, fin[0]->size * sizeof(float))),
                    "%s", logits && fwd ? "differ" : rc_last_error());
            rc_batch nothing = k.b;
            nothing.tokens = NULL, nothing.features = NULL, nothing.frames = NULL;
            T_CHECK(!rc_model_forward(tp, m, &nothing, NULL), "a batch without inputs accepted");
            T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "lacks what task");
            rc_tape_free(tp);
        }

        t_case("models: a %s model saved and loaded gives the same loss", rc_task_name(task));
        const char *keys[] = {"note"}, *values[] = {"hello"};
        rc_safetensors *st = NULL;
        rc_model *back = NULL;
        if (m && rc_model_save(m, t_path("model.safetensors"), 1, keys, values) == RC_OK)
            back = rc_model_load(t_path("model.safetensors"), &st);
        T_CHECK(back && st, "%s", rc_last_error());
        if (back && st) {
            rc_tape *tp = rc_tape_new();
            rc_tensor *l1 = rc_model_loss(tp, m, &k.b, NULL, NULL, NULL, NULL);
            model_ctx k2 = k;
            k2.m = back;
            rc_tensor *l2 = build_loss(tp, &k2);
            T_CHECK(l1 && l2 && l1->data[0] == l2->data[0], "losses %g and %g",
                    l1 ? (double)l1->data[0] : -1.0, l2 ? (double)l2->data[0] : -1.0);
            T_CHECK(!strcmp(rc_safetensors_metadata(st, "note"), "hello") &&
                        rc_model_config_of(back)->task == task && rc_model_config_of(back)->n_out == cfg.n_out,
                    "metadata");
            rc_tape_free(tp);
        }
        rc_safetensors_free(st);
        rc_model_free(back);
        rc_model_free(m);
    }
    test_tagging(&rng);
    test_bits_regress(&rng);
    test_model_streams(&rng);

    t_case("models: loading a bare network file as a model names the problem");
    rc_rnn_config rc = rc_rnn_config_default(RC_CELL_GRU, 2, 2);
    rc_params *p = rc_params_new();
    rc_rnn *rnn = rc_rnn_new(&rc, p, NULL, &rng);
    rc_rnn_save(rnn, t_path("bare.safetensors"));
    T_CHECK(!rc_model_load(t_path("bare.safetensors"), NULL), "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EFORMAT, "not a recur model file");
    rc_rnn_free(rnn);
    rc_params_free(p);
}
