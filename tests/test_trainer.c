/* test_trainer.c — the training loop: it learns, it evaluates, and a run
 * interrupted and resumed from its checkpoint ends with bitwise the same
 * weights and optimizer state as one that never stopped — for each task,
 * with dropout, weight noise, carried LM states, NT-ASGD, a plateau
 * schedule and length buckets in play. */
#include "test.h"

#include "../src/train/train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    rc_dataset *train, *valid;
    rc_model_config model;
    rc_train_config cfg;
} setup;

static void make_setup(int task, setup *s, rc_rng *rng)
{
    memset(s, 0, sizeof *s);
    s->cfg = rc_train_config_default();
    s->cfg.epochs = 3;
    s->cfg.seed = 99;
    s->model.task = task;
    if (task == RC_TASK_LM) { /* a stream with structure: a repeating phrase with noise */
        enum { N = 1200, V = 12 };
        int32_t ids[N];
        for (int i = 0; i < N; i++)
            ids[i] = rc_rng_uniform(rng) < 0.1f ? (int32_t)rc_rng_below(rng, V) : (int32_t)(i % 7);
        s->train = rc_dataset_tokens(ids, N, V);
        s->valid = rc_dataset_tokens(ids, 300, V);
        s->model.rnn = rc_rnn_config_default(RC_CELL_LSTM, 8, 16);
        s->model.n_out = V;
        s->model.dropout = 0.2f;
        s->cfg.batch = 4, s->cfg.bptt = 10;
        s->cfg.variable_bptt = 1; /* so resuming must cut the interrupted epoch's windows again */
        s->cfg.weight_noise = 0.01f;
        s->cfg.schedule = rc_schedule_init(RC_SCHEDULE_COSINE, 2e-2f);
        s->cfg.schedule.length = 3;
    } else if (task == RC_TASK_MUSIC) { /* chords that move by a fixed step */
        FILE *f = fopen(t_path("music.txt"), "w");
        for (int seq = 0; seq < 24; seq++) {
            int root = 40 + (int)rc_rng_below(rng, 20), len = 8 + (int)rc_rng_below(rng, 10);
            for (int t = 0; t < len; t++)
                fprintf(f, "%s%d %d %d", t ? ";" : "", root + (t % 4), root + 4 + (t % 4), root + 7 + (t % 4));
            fputc('\n', f);
        }
        fclose(f);
        rc_rolls *r = rc_rolls_load_text(t_path("music.txt"));
        s->train = rc_dataset_rolls(r);
        s->valid = rc_dataset_rolls(r);
        rc_rolls_free(r);
        s->model.rnn = rc_rnn_config_default(RC_CELL_GRU_RESET_BEFORE, RC_PIANO_KEYS, 12);
        s->model.n_out = RC_PIANO_KEYS;
        s->cfg.batch = 1; /* one sequence per update, as Chung et al. */
        s->cfg.optim = rc_optim_config_default(RC_OPTIM_ASGD);
        s->cfg.nt_asgd = 1, s->cfg.nonmono = 1;
        s->cfg.schedule = rc_schedule_init(RC_SCHEDULE_CONSTANT, 0.05f);
        s->cfg.eval_every = 10;
    } else if (task == RC_TASK_AUDIO) { /* noisy sines of several pitches and lengths */
        rc_clips *c = rc_clips_new(8000);
        for (int k = 0; k < 20; k++) {
            float x[200], f = 0.2f + 0.1f * (float)(k % 5), phase = rc_rng_uniform(rng) * 6.2831853f;
            size_t n = 60 + 7 * (size_t)k; /* lengths differ, so batches pad and buckets sort */
            for (size_t i = 0; i < n; i++)
                x[i] = 0.5f * sinf(f * (float)i + phase) + 0.02f * rc_rng_normal(rng);
            char name[32];
            snprintf(name, sizeof name, "clip%02d.wav", k);
            T_CHECK(rc_clips_add(c, name, x, n) == RC_OK, "%s", rc_last_error());
        }
        s->train = rc_dataset_clips(c, NULL, 16, 6, 3);
        s->valid = rc_dataset_clips(c, (const size_t[]){16, 17, 18, 19}, 4, 6, 3);
        rc_clips_free(c);
        s->model.rnn = rc_rnn_config_default(RC_CELL_LSTM, 6, 10);
        s->model.rnn.peephole = 1;
        s->model.n_out = 3;
        s->model.mixtures = 2;
        s->cfg.batch = 3, s->cfg.bucket = 2;
        s->cfg.epochs = 6;
        s->cfg.clip_norm = 1.0f;
        s->cfg.schedule = rc_schedule_init(RC_SCHEDULE_CONSTANT, 1e-2f);
    } else if (task == RC_TASK_POINTER) { /* convex hulls of 4 to 6 points */
        rc_synth_config c = rc_synth_config_default(RC_SYNTH_CONVEX_HULL);
        c.min_length = 4, c.max_length = 6;
        s->train = rc_dataset_synth(&c, 64, 7, 1);
        s->valid = rc_dataset_synth(&c, 32, 8, 0);
        s->model.rnn = rc_rnn_config_default(RC_CELL_LSTM, rc_synth_inputs(&c) + 1, 16);
        s->cfg.batch = 8;
        s->cfg.epochs = 4;
        s->cfg.schedule = rc_schedule_init(RC_SCHEDULE_CONSTANT, 2e-2f);
    } else if (task == RC_TASK_TAG || task == RC_TASK_BITS || task == RC_TASK_REGRESS) {
        /* synthetic tasks, small: copying memory, copy, adding; the training
         * sets draw new examples every epoch, so resuming must draw the same */
        int kind = task == RC_TASK_TAG ? RC_SYNTH_COPY_MEMORY : task == RC_TASK_BITS ? RC_SYNTH_COPY : RC_SYNTH_ADDING;
        rc_synth_config c = rc_synth_config_default(kind);
        c.bits = 3, c.symbols = 3, c.copy_length = 2;
        c.min_length = kind == RC_SYNTH_ADDING ? 4 : 1, c.max_length = kind == RC_SYNTH_ADDING ? 4 : 3;
        s->train = rc_dataset_synth(&c, 64, 7, 1);
        s->valid = rc_dataset_synth(&c, 32, 8, 0);
        s->model.rnn = rc_rnn_config_default(RC_CELL_LSTM, rc_synth_inputs(&c), 16);
        s->model.n_out = rc_synth_outputs(&c);
        s->cfg.batch = 8;
        s->cfg.epochs = 4;
        s->cfg.schedule = rc_schedule_init(RC_SCHEDULE_CONSTANT, 2e-2f);
    } else { /* the class is the sign of the sum of the first feature */
        enum { N = 60, T = 6, F = 3 };
        float x[N * T * F];
        int32_t y[N];
        for (int i = 0; i < N; i++) {
            float sum = 0;
            for (int k = 0; k < T * F; k++) {
                x[i * T * F + k] = rc_rng_normal(rng);
                sum += k % F == 0 ? x[i * T * F + k] : 0;
            }
            y[i] = sum > 0;
        }
        s->train = rc_dataset_sequences(x, y, 48, T, F, 2);
        s->valid = rc_dataset_sequences(x + 48 * T * F, y + 48, 12, T, F, 2);
        s->model.rnn = rc_rnn_config_default(RC_CELL_GRU, F, 8);
        s->model.rnn.bidirectional = 1;
        s->model.n_out = 2;
        s->cfg.batch = 8;
        s->cfg.optim = rc_optim_config_default(RC_OPTIM_RMSPROP);
        s->cfg.optim.centered = 1, s->cfg.optim.momentum = 0.9f, s->cfg.optim.rms_floor = 1e-2f;
        s->cfg.optim.clip_update = 1.0f;
        s->cfg.schedule = rc_schedule_init(RC_SCHEDULE_PLATEAU, 1e-2f);
        s->cfg.schedule.patience = 0, s->cfg.schedule.gamma = 0.5f;
    }
}

typedef struct {
    uint64_t stop_at; /* stop after this step (0: never) */
    uint64_t first_step, steps;
    double first_valid, last_valid;
    int evals, checkpoints, done;
} watch;

static int watcher(const rc_train_status *st, void *user)
{
    watch *w = user;
    if (st->event == RC_TRAIN_EVAL) {
        if (!w->evals++)
            w->first_valid = st->valid;
        w->last_valid = st->valid;
    }
    if (st->event == RC_TRAIN_STEP && !w->steps++)
        w->first_step = st->step;
    w->checkpoints += st->event == RC_TRAIN_CHECKPOINT;
    w->done += st->event == RC_TRAIN_DONE;
    return st->event == RC_TRAIN_STEP && w->stop_at && st->step >= w->stop_at;
}

/* Trains from scratch (or resumes) and returns the model. */
static rc_model *run(setup *s, const char *checkpoint, int resume, uint64_t stop_at, watch *w)
{
    rc_rng rng;
    rc_rng_seed(&rng, 5, 5);
    rc_model *m = rc_model_new(&s->model, &rng);
    rc_train_config cfg = s->cfg;
    cfg.checkpoint = checkpoint;
    cfg.resume = resume;
    memset(w, 0, sizeof *w);
    w->stop_at = stop_at;
    int status = rc_train(m, s->train, s->valid, &cfg, watcher, w);
    T_CHECK(status == RC_OK, "rc_train: %s", rc_last_error());
    return m;
}

/* Audio framing: clip k holds the samples 1000 k + i, so every value
 * names its clip and position. */
static void test_audio_batches(void)
{
    enum { W = 4, H = 2 };
    static const size_t lens[4] = {17, 9, 6, 12}; /* steps (len - W) / H: 6, 2, 1, 4 */
    rc_clips *c = rc_clips_new(8000);
    for (size_t k = 0; k < 4; k++) {
        float x[17];
        for (size_t i = 0; i < lens[k]; i++)
            x[i] = (float)(1000 * k + i);
        rc_clips_add(c, k == 2 ? "short" : "clip", x, lens[k]);
    }

    t_case("data sets: audio steps read a window and predict the hop after it; padding weighs 0");
    rc_dataset *d = rc_dataset_clips(c, (const size_t[]){0, 1, 3}, 3, W, H);
    T_CHECK(d && rc_dataset_size(d) == 3 && rc_dataset_features(d) == W && rc_dataset_outputs(d) == H &&
                rc_dataset_task(d) == RC_TASK_AUDIO,
            "%s", d ? "sizes" : rc_last_error());
    rc__batcher bt;
    if (d && rc__batcher_init(&bt, d, 3, 0, 0) == RC_OK) {
        rc_batch b;
        rc__batcher_get(&bt, 0, &b); /* unshuffled: clips 0, 1, 3 */
        const size_t clip[3] = {0, 1, 3}, steps[3] = {6, 2, 4};
        int bad = b.T != 6 || b.B != 3;
        for (size_t t = 0; !bad && t < b.T; t++)
            for (size_t s = 0; s < 3; s++) {
                int in = t < steps[s];
                bad |= b.weights[t * 3 + s] != (in ? 1.0f : 0.0f) || b.lengths[s] != (int32_t)steps[s];
                for (size_t j = 0; in && j < W; j++)
                    bad |= b.features[(t * 3 + s) * W + j] != (float)(1000 * clip[s] + t * H + j);
                for (size_t j = 0; in && j < H; j++)
                    bad |= b.samples[(t * 3 + s) * H + j] != (float)(1000 * clip[s] + t * H + W + j);
            }
        T_CHECK(!bad, "a window, a target or a weight is wrong");
        rc__batcher_free(&bt);
    }

    t_case("evaluation: audio counts predicted samples, padding left out");
    rc_model_config mc = {0};
    mc.task = RC_TASK_AUDIO;
    mc.rnn = rc_rnn_config_default(RC_CELL_GRU, W, 5);
    mc.n_out = H, mc.mixtures = 3;
    rc_rng init;
    rc_rng_seed(&init, 1, 1);
    rc_model *m = rc_model_new(&mc, &init);
    rc_eval_result one, batched;
    T_CHECK(d && m && rc_evaluate(m, d, 1, 0, &one) == RC_OK && rc_evaluate(m, d, 3, 0, &batched) == RC_OK,
            "%s", rc_last_error());
    T_CHECK(one.units == 24 && batched.units == 24 && fabs(one.loss - batched.loss) < 1e-5 * fabs(one.loss),
            "units %g and %g (24 expected), loss %.9g one by one, %.9g padded", one.units, batched.units,
            one.loss, batched.loss);
    rc_model_free(m);

    t_case("data sets: length buckets put clips of similar length together, in a random batch order");
    rc_dataset *all = rc_dataset_clips(c, (const size_t[]){0, 1, 3, 0, 1, 3}, 6, W, H);
    if (all && rc__batcher_init(&bt, all, 2, 0, 3) == RC_OK) {
        rc_rng rng;
        rc_rng_seed(&rng, 3, 3);
        int sorted = 1, first_batches[3] = {0};
        for (int epoch = 0; epoch < 20; epoch++) {
            rc__batcher_shuffle(&bt, &rng);
            for (size_t i = 0; i < 3; i++) {
                rc_batch b;
                rc__batcher_get(&bt, i, &b);
                sorted &= b.lengths[0] == b.lengths[1]; /* one run of 3 batches: the pairs are equal */
                if (i == 0)
                    first_batches[b.lengths[0] == 2 ? 0 : b.lengths[0] == 4 ? 1 : 2]++;
            }
        }
        T_CHECK(sorted, "a batch mixes lengths");
        T_CHECK(first_batches[0] && first_batches[1] && first_batches[2], "the batch order is fixed: %d %d %d",
                first_batches[0], first_batches[1], first_batches[2]);
        rc__batcher_free(&bt);
    }

    t_case("data sets: a clip too short for one step is refused by name");
    T_CHECK(!rc_dataset_clips(c, (const size_t[]){2}, 1, 5, 2), "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "clip short has 6 samples, fewer than a window of 5");
    rc_dataset_free(d), rc_dataset_free(all);
    rc_clips_free(c);
}

/* Variable windows (AWD-LSTM): an epoch's windows tile each stream once, in
 * order; their lengths follow the recipe (mostly around bptt, some around
 * bptt / 2, within [5, 2 bptt]); each epoch cuts anew, and the same
 * generator state cuts the same way (resuming). */
static void test_variable_windows(void)
{
    enum { N = 200000, BATCH = 4, BPTT = 70 };
    t_case("batches: variable windows tile the streams, follow AWD-LSTM's lengths, differ per epoch");
    int32_t *ids = malloc(N * sizeof *ids);
    for (size_t i = 0; i < N; i++)
        ids[i] = (int32_t)(i % 97);
    rc_dataset *d = rc_dataset_tokens(ids, N, 97);
    rc__batcher bt;
    if (!d || rc__batcher_init(&bt, d, BATCH, BPTT, 0) || rc__batcher_variable(&bt)) {
        T_CHECK(0, "%s", rc_last_error());
        rc_dataset_free(d), free(ids);
        return;
    }
    rc_rng rng, again;
    rc_rng_seed(&rng, 7, 7);
    again = rng;
    rc__batcher_shuffle(&bt, &rng);
    size_t n = bt.n_batches, next = 0, shorts = 0, near = 0, per = N / BATCH;
    double sum = 0.0;
    int tiled = 1, bounded = 1;
    for (size_t i = 0; i < n; i++) {
        rc_batch b;
        rc__batcher_get(&bt, i, &b);
        for (size_t s = 0; s < BATCH; s++) /* stream s's tokens next.., targets one ahead */
            tiled &= b.tokens[s] == ids[s * per + next] && b.targets[(b.T - 1) * BATCH + s] == ids[s * per + next + b.T];
        next += b.T;
        if (i + 1 < n) { /* the last window is cut by the stream's end */
            bounded &= b.T >= 5 && b.T <= 2 * BPTT;
            sum += (double)b.T;
            shorts += b.T < 50, near += b.T >= 60 && b.T <= 80;
        }
    }
    double mean = sum / (double)(n - 1);
    T_CHECK(tiled && next == per - 1, "the windows do not tile the streams (%zu of %zu steps)", next, per - 1);
    T_CHECK(bounded, "a window outside [5, 140]");
    T_CHECK(mean > 66.0 && mean < 70.0 && shorts > 0 && near > 0.8 * (double)(n - 1),
            "mean length %.2f (about 68.25 expected), %zu below 50, %zu of %zu in 60..80", mean, shorts, near, n - 1);
    size_t first[8];
    memcpy(first, bt.starts, sizeof first);
    rc__batcher_shuffle(&bt, &rng);
    T_CHECK(memcmp(first, bt.starts, sizeof first), "the next epoch cut the same windows");
    rc__batcher_shuffle(&bt, &again);
    T_CHECK(!memcmp(first, bt.starts, sizeof first) && bt.n_batches == n,
            "the same generator state cut other windows");
    rc__batcher_free(&bt);
    rc_dataset_free(d);
    free(ids);
}

typedef struct {
    float base;
    int off_grid, distinct;
    float seen[64];
} lr_watch;

static int lr_watcher(const rc_train_status *st, void *user)
{
    lr_watch *w = user;
    if (st->event != RC_TRAIN_STEP)
        return 0;
    double T = (double)st->lr / w->base * 10.0; /* bptt 10: the window's length */
    w->off_grid |= fabs(T - floor(T + 0.5)) > 1e-3 || T < 4.999 || T > 20.001;
    int known = 0;
    for (int i = 0; i < w->distinct; i++)
        known |= w->seen[i] == st->lr;
    if (!known && w->distinct < 64)
        w->seen[w->distinct++] = st->lr;
    return 0;
}

/* With variable windows each update's rate is the rate times T / bptt. */
static void test_variable_rate(void)
{
    t_case("trainer: variable windows scale each update's rate by its length / bptt");
    rc_rng rng;
    rc_rng_seed(&rng, 42, 43);
    setup s;
    make_setup(RC_TASK_LM, &s, &rng);
    s.cfg.schedule = rc_schedule_init(RC_SCHEDULE_CONSTANT, 1e-2f);
    s.cfg.epochs = 1, s.cfg.weight_noise = 0.0f;
    rc_model *m = rc_model_new(&s.model, &rng);
    lr_watch w = {1e-2f, 0, 0, {0}};
    T_CHECK(m && rc_train(m, s.train, s.valid, &s.cfg, lr_watcher, &w) == RC_OK, "%s", rc_last_error());
    T_CHECK(!w.off_grid && w.distinct >= 3, "rates not 1e-2 T / 10 for windows T in 5..20 (%d distinct)", w.distinct);
    rc_model_free(m);
    rc_dataset_free(s.train), rc_dataset_free(s.valid);
}

void suite_trainer(void)
{
    test_audio_batches();
    test_variable_windows();
    test_variable_rate();

    rc_rng rng;
    rc_rng_seed(&rng, 42, 42);
    for (int task = 0; task < RC_TASK_COUNT; task++) {
        setup s;
        make_setup(task, &s, &rng);
        watch straight, first, second;

        t_case("trainer: %s learns (validation loss falls)", rc_task_name(task));
        rc_model *a = run(&s, t_path("a.ckpt"), 0, 0, &straight);
        T_CHECK(straight.evals >= 3 && straight.last_valid < 0.9 * straight.first_valid && straight.done == 1,
                "validation %g -> %g over %d evaluations", straight.first_valid, straight.last_valid,
                straight.evals);

        t_case("trainer: %s interrupted and resumed == uninterrupted, bit for bit", rc_task_name(task));
        rc_model *b1 = run(&s, t_path("b.ckpt"), 0, 7, &first); /* stops after update 7 */
        T_CHECK(first.checkpoints >= 1 && first.done == 1 && first.steps == 7, "no checkpoint at the interruption");
        rc_model *b2 = run(&s, t_path("b.ckpt"), 1, 0, &second);
        T_CHECK(second.first_step == 8 && first.steps + second.steps == straight.steps,
                "the resumed run did %llu updates from update %llu; the whole run has %llu",
                (unsigned long long)second.steps, (unsigned long long)second.first_step,
                (unsigned long long)straight.steps);
        rc_params *pa = rc_model_params(a), *pb = rc_model_params(b2);
        T_CHECK(rc_params_numel(pa) == rc_params_numel(pb) &&
                    !memcmp(rc_params_values(pa), rc_params_values(pb), rc_params_numel(pa) * sizeof(float)),
                "the resumed run's weights differ");
        T_CHECK(second.last_valid == straight.last_valid, "final validation %.17g vs %.17g",
                second.last_valid, straight.last_valid);
        rc_model_free(a), rc_model_free(b1), rc_model_free(b2);

        t_case("trainer: %s refuses a checkpoint made with other settings", rc_task_name(task));
        s.cfg.batch += 1;
        rc_model *m = rc_model_new(&s.model, &rng);
        rc_train_config cfg = s.cfg;
        cfg.checkpoint = t_path("b.ckpt");
        cfg.resume = 1;
        T_CHECK(rc_train(m, s.train, s.valid, &cfg, NULL, NULL) == RC_EINVAL, "accepted");
        T_CHECK(strstr(rc_last_error(), "the checkpoint was made with"), "%s", rc_last_error());
        rc_model_free(m);
        rc_dataset_free(s.train), rc_dataset_free(s.valid);
    }

    t_case("trainer: validation data too small for the batch is refused before the first update");
    {
        setup sv;
        make_setup(RC_TASK_LM, &sv, &rng);
        int32_t few[3] = {1, 2, 3};
        rc_dataset_free(sv.valid);
        sv.valid = rc_dataset_tokens(few, 3, 12);
        rc_model *m = rc_model_new(&sv.model, &rng);
        sv.cfg.checkpoint = t_path("small_valid.ckpt");
        remove(sv.cfg.checkpoint);
        watch w = {0};
        T_CHECK(m && rc_train(m, sv.train, sv.valid, &sv.cfg, watcher, &w) == RC_EINVAL, "trained");
        T_CHECK(strstr(rc_last_error(), "validation data: batches: 3 tokens are too few for 4 streams"), "%s",
                rc_last_error());
        FILE *f = fopen(sv.cfg.checkpoint, "rb");
        T_CHECK(w.steps == 0 && !f, "%llu updates ran, checkpoint %s", (unsigned long long)w.steps,
                f ? "written" : "absent");
        if (f)
            fclose(f);
        rc_model_free(m);
        rc_dataset_free(sv.train), rc_dataset_free(sv.valid);
    }

    t_case("trainer: the last update is evaluated and its model kept, whatever eval_every is");
    {
        setup se;
        make_setup(RC_TASK_CLASSIFY, &se, &rng);
        se.cfg.epochs = 1, se.cfg.eval_every = 1000; /* more than the run's 6 updates */
        se.cfg.best_model = t_path("last.safetensors");
        remove(se.cfg.best_model);
        watch w;
        rc_model *em = run(&se, NULL, 0, 0, &w);
        rc_model *kept = rc_model_load(se.cfg.best_model, NULL);
        T_CHECK(w.evals == 1 && isfinite(w.last_valid) && kept, "%d evaluations, model %s", w.evals,
                kept ? "kept" : "missing");
        rc_model_free(em), rc_model_free(kept);
        rc_dataset_free(se.train), rc_dataset_free(se.valid);
    }

    t_case("trainer: a diverging run stops with a message, not a model of NaNs");
    setup sd;
    make_setup(RC_TASK_CLASSIFY, &sd, &rng);
    sd.cfg.optim = rc_optim_config_default(RC_OPTIM_SGD);
    sd.cfg.schedule = rc_schedule_init(RC_SCHEDULE_CONSTANT, 3e38f); /* weights overflow to infinity */
    sd.cfg.clip_norm = 0;
    rc_model *dm = rc_model_new(&sd.model, &rng);
    T_CHECK(rc_train(dm, sd.train, sd.valid, &sd.cfg, NULL, NULL) == RC_EINVAL, "a rate of 3e38 trained on");
    T_CHECK(strstr(rc_last_error(), "training diverged: the loss is"), "%s", rc_last_error());
    rc_model_free(dm);
    rc_dataset_free(sd.train), rc_dataset_free(sd.valid);

    t_case("trainer: a gradient that overflows while the loss is finite stops the run, weights intact");
    {
        /* A tanh RNN with W_hh = 3 I and zero inputs and biases: h stays 0,
         * so the loss is finite, while backprop through 100 steps multiplies
         * by 3 each step (3^100 overflows a float). */
        enum { N = 4, T = 100 };
        float x[N * T] = {0};
        int32_t y[N] = {0, 1, 0, 1};
        rc_dataset *train = rc_dataset_sequences(x, y, N, T, 1, 2);
        rc_model_config mc = {0};
        mc.task = RC_TASK_CLASSIFY;
        mc.rnn = rc_rnn_config_default(RC_CELL_RNN_TANH, 1, 4);
        mc.n_out = 2;
        rc_model *om = rc_model_new(&mc, &rng);
        rc_params *op = rc_model_params(om);
        for (size_t i = 0; i < rc_params_count(op); i++) {
            rc_tensor *w = rc_params_tensor(op, i);
            const char *name = rc_params_name(op, i);
            if (strstr(name, "rnn.weight_hh"))
                for (size_t k = 0; k < w->size; k++)
                    w->data[k] = k % (w->shape[1] + 1) == 0 ? 3.0f : 0.0f;
            else if (strstr(name, "rnn.bias"))
                memset(w->data, 0, w->size * sizeof(float));
        }
        size_t n = rc_params_numel(op);
        float *before = malloc(n * sizeof *before);
        memcpy(before, rc_params_values(op), n * sizeof *before);
        rc_train_config oc = rc_train_config_default();
        oc.epochs = 1, oc.batch = N, oc.clip_norm = 0;
        T_CHECK(rc_train(om, train, NULL, &oc, NULL, NULL) == RC_EINVAL, "trained on");
        T_CHECK(strstr(rc_last_error(), "training diverged: the gradient overflowed at update 1"), "%s",
                rc_last_error());
        T_CHECK(!memcmp(before, rc_params_values(op), n * sizeof *before), "the weights changed");
        free(before);
        rc_model_free(om);
        rc_dataset_free(train);
    }

    t_case("trainer: mismatched data and model are refused");
    setup s;
    make_setup(RC_TASK_LM, &s, &rng);
    rc_model_config mc = s.model;
    mc.n_out = 5; /* fewer outputs than the data's 12 tokens */
    rc_model *m = rc_model_new(&mc, &rng);
    T_CHECK(rc_train(m, s.train, NULL, &s.cfg, NULL, NULL) == RC_EINVAL, "accepted");
    T_CHECK_ERROR(rc_last_status(), RC_EINVAL, "the data has 12 token types, the model predicts 5");
    rc_model_free(m);
    rc_dataset_free(s.train), rc_dataset_free(s.valid);
}
