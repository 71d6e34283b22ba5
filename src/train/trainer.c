/* trainer.c — the training loop: epochs of updates, evaluation, the best
 * model, early stopping, NT-ASGD, checkpoints and resuming.  It reports
 * through the caller's callback and never prints.
 *
 * One update: the learning rate from the schedule at the fractional epoch;
 * weight noise added (Graves 2011); forward and backward of the task's
 * loss; noise taken away; gradients clipped by value, then by global norm;
 * the optimizer's step.  For language models the network's final states
 * carry into the next window (truncated BPTT), detached, and restart at
 * zero with each epoch. */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

rc_train_config rc_train_config_default(void)
{
    rc_train_config c = {0};
    c.optim = rc_optim_config_default(RC_OPTIM_ADAM);
    c.schedule = rc_schedule_init(RC_SCHEDULE_CONSTANT, 1e-3f);
    c.epochs = 10;
    c.batch = 32;
    c.bptt = 35;
    c.clip_norm = 5.0f;
    c.nonmono = 5;
    c.seed = 1;
    return c;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef struct {
    rc_model *m;
    const rc_dataset *train, *valid;
    const rc_train_config *cfg;
    rc_train_callback callback;
    void *user;
    rc_optim *opt;
    rc__batcher batches;
    rc__train_state s;
    rc__carry carry;               /* lm: the network's states, carried */
    float *noise;                  /* [numel] the clean weights while noise is on */
    rc_tape *tp;
    rc_train_status status;
    double started;
} trainer;

static int report(trainer *t, int event)
{
    t->status.event = event;
    t->status.step = t->s.step;
    t->status.epoch = (double)t->s.epoch + (double)t->s.pos / (double)t->batches.n_batches;
    t->status.loss = t->s.loss_count ? t->s.loss_sum / (double)t->s.loss_count : NAN;
    t->status.best_valid = t->s.best;
    t->status.averaging = rc_optim_averaging(t->opt);
    t->status.seconds = t->s.seconds + (now() - t->started);
    return t->callback ? t->callback(&t->status, t->user) : 0;
}

static int save_checkpoint(trainer *t)
{
    if (!t->cfg->checkpoint)
        return RC_OK;
    t->s.seconds += now() - t->started; /* the file holds the time so far */
    t->started = now();
    int status = rc__checkpoint_save(t->cfg->checkpoint, t->m, t->opt, &t->s, &t->carry, t->cfg);
    if (!status)
        report(t, RC_TRAIN_CHECKPOINT);
    return status;
}

/* Whether NT-ASGD should start averaging now: the new validation loss is
 * worse than the best of those older than the last `nonmono`. */
static int nt_asgd_trigger(const rc__train_state *s, size_t nonmono, double valid)
{
    if (s->n_history <= nonmono)
        return 0;
    double best = INFINITY;
    for (size_t i = 0; i + nonmono < s->n_history; i++)
        best = fmin(best, s->history[i]);
    return valid > best;
}

static int push_history(rc__train_state *s, double v)
{
    if (s->n_history == s->cap_history) {
        size_t cap = s->cap_history ? 2 * s->cap_history : 64;
        double *h = realloc(s->history, cap * sizeof *h);
        if (!h)
            return rc__fail(RC_ENOMEM, "training: out of memory");
        s->history = h, s->cap_history = cap;
    }
    s->history[s->n_history++] = v;
    return RC_OK;
}

/* Evaluates (with the averaged weights when averaging), saves the best
 * model, steps the plateau schedule, NT-ASGD and early stopping.  *stop is
 * set when patience ran out. */
static int evaluate(trainer *t, int *stop)
{
    const rc_train_config *cfg = t->cfg;
    int averaging = rc_optim_averaging(t->opt);
    rc_eval_result r;
    if (averaging)
        rc_optim_swap_average(t->opt);
    int status = rc_evaluate(t->m, t->valid, cfg->batch, cfg->bptt, &r);
    int improved = !status && r.loss < t->s.best;
    if (improved) {
        t->s.best = r.loss;
        t->s.bad_evals = 0;
        if (cfg->best_model)
            status = rc_model_save(t->m, cfg->best_model, cfg->n_meta, cfg->meta_keys, cfg->meta_values);
    } else if (!status) {
        t->s.bad_evals++;
    }
    if (averaging)
        rc_optim_swap_average(t->opt);
    if (status)
        return status;
    rc_schedule_observe(&t->s.schedule, r.loss);
    if (cfg->optim.kind == RC_OPTIM_ASGD && cfg->nt_asgd && !averaging &&
        nt_asgd_trigger(&t->s, cfg->nonmono, r.loss))
        rc_optim_start_averaging(t->opt);
    if ((status = push_history(&t->s, r.loss)))
        return status;
    t->status.valid = r.loss;
    t->status.valid_accuracy = r.accuracy;
    t->status.improved = improved;
    *stop = cfg->patience && t->s.bad_evals >= cfg->patience;
    report(t, RC_TRAIN_EVAL);
    t->s.loss_sum = 0.0, t->s.loss_count = 0;
    return RC_OK;
}

/* One update on batch b; returns a status. */
static int update(trainer *t, rc_batch *b)
{
    const rc_train_config *cfg = t->cfg;
    rc_params *p = rc_model_params(t->m);
    double epoch = (double)t->s.epoch + (double)t->s.pos / (double)t->batches.n_batches;
    float lr = rc_schedule_lr(&t->s.schedule, epoch);
    if (cfg->variable_bptt) /* a shorter window's gradient counts for less */
        lr *= (float)b->T / (float)cfg->bptt;
    b->states0 = rc__carry_states(&t->carry);
    if (t->noise)
        rc_params_add_noise(p, &t->s.noise_rng, cfg->weight_noise, t->noise);
    rc_tape_reset(t->tp);
    rc_params_zero_grad(p);
    rc_tensor *states_n[RC_MODEL_MAX_STATES] = {0};
    rc_tensor *loss = rc_model_loss_states(t->tp, t->m, b, &t->s.dropout_rng, NULL, states_n);
    int status = loss ? rc_backward(t->tp, loss) : rc_last_status();
    if (t->noise)
        rc_params_remove_noise(p, t->noise);
    if (status)
        return status;
    if (!isfinite(loss->data[0])) /* before the step: the weights and the last checkpoint stay sound */
        return rc__fail(RC_EINVAL, "training diverged: the loss is %g at update %llu (epoch %.2f); lower the "
                                   "learning rate or clip the gradients",
                        (double)loss->data[0], (unsigned long long)t->s.step + 1, epoch);
    /* A gradient that overflowed would make the update NaN (and RMSProp's
     * mean square infinite for good): stop here, as for the loss. */
    if (!isfinite(rc_params_grad_norm(p)))
        return rc__fail(RC_EINVAL, "training diverged: the gradient overflowed at update %llu (epoch %.2f); lower "
                                   "the learning rate or clip the gradients",
                        (unsigned long long)t->s.step + 1, epoch);
    if (cfg->clip_value > 0.0f)
        rc_params_clip_grad_value(p, cfg->clip_value);
    if (cfg->clip_norm > 0.0f)
        rc_params_clip_grad_norm(p, cfg->clip_norm);
    if ((status = rc_optim_step(t->opt, lr)))
        return status;
    rc__carry_set(&t->carry, states_n); /* detached: the next window starts from these values */
    t->status.lr = lr;
    t->status.last_loss = loss->data[0];
    t->s.loss_sum += loss->data[0];
    t->s.loss_count++;
    t->s.step++;
    t->s.pos++;
    return RC_OK;
}

static void reset_carry(trainer *t) { rc__carry_zero(&t->carry); }

static int setup(trainer *t)
{
    const rc_train_config *cfg = t->cfg;
    if (rc__dataset_fits(t->train, t->m, "training data") ||
        (t->valid && rc__dataset_fits(t->valid, t->m, "validation data")))
        return rc_last_status();
    if (cfg->epochs == 0 && cfg->max_steps == 0)
        return rc__fail(RC_EINVAL, "training: give a number of epochs or of steps");
    if (cfg->resume && !cfg->checkpoint)
        return rc__fail(RC_EINVAL, "training: resuming needs a checkpoint file");
    if (!(cfg->weight_noise >= 0.0f) || !(cfg->clip_norm >= 0.0f) || !(cfg->clip_value >= 0.0f))
        return rc__fail(RC_EINVAL, "training: weight noise and clipping limits must be >= 0");
    if (rc__batcher_init(&t->batches, t->train, cfg->batch, cfg->bptt, cfg->bucket) ||
        (cfg->variable_bptt && rc__batcher_variable(&t->batches)))
        return rc_last_status();
    if (t->valid && rc_dataset_check_batches(t->valid, cfg->batch, cfg->bptt)) { /* before the first update */
        char why[256];
        snprintf(why, sizeof why, "%s", rc_last_error());
        return rc__fail(RC_EINVAL, "validation data: %s", why);
    }
    if (!(t->opt = rc_optim_new(rc_model_params(t->m), &cfg->optim)) || !(t->tp = rc_tape_new()))
        return rc_last_status();
    const rc_model_config *mc = rc_model_config_of(t->m);
    if (mc->task == RC_TASK_LM && rc__carry_new(t->m, t->batches.batch, &t->carry))
        return rc_last_status();
    if (cfg->weight_noise > 0.0f &&
        !(t->noise = malloc(rc_params_numel(rc_model_params(t->m)) * sizeof *t->noise)))
        return rc__fail(RC_ENOMEM, "training: out of memory");
    rc__train_state *s = &t->s;
    s->best = INFINITY;
    s->schedule = cfg->schedule;
    rc_rng_seed(&s->data_rng, cfg->seed, 1);
    rc_rng_seed(&s->dropout_rng, cfg->seed, 2);
    rc_rng_seed(&s->noise_rng, cfg->seed, 3);
    s->epoch_rng = s->data_rng;
    if (cfg->optim.kind == RC_OPTIM_ASGD && !cfg->nt_asgd)
        rc_optim_start_averaging(t->opt);
    if (cfg->resume) {
        if (rc__checkpoint_load(cfg->checkpoint, t->m, t->opt, s, &t->carry, cfg))
            return rc_last_status();
        /* The current epoch's order, as it was drawn. */
        rc_rng r = s->epoch_rng;
        rc__batcher_shuffle(&t->batches, &r);
    }
    return RC_OK;
}

int rc_train(rc_model *m, const rc_dataset *train, const rc_dataset *valid, const rc_train_config *cfg,
             rc_train_callback callback, void *user)
{
    if (!m || !train || !cfg)
        return rc__fail(RC_EINVAL, "rc_train: needs a model, training data and a configuration");
    trainer t = {0};
    t.m = m, t.train = train, t.valid = valid, t.cfg = cfg, t.callback = callback, t.user = user;
    t.status.valid = NAN;
    t.status.valid_accuracy = NAN;
    t.started = now();
    int status = setup(&t);
    uint64_t planned = cfg->epochs ? (uint64_t)cfg->epochs * t.batches.n_batches : UINT64_MAX;
    t.status.total_steps = cfg->max_steps && cfg->max_steps < planned ? cfg->max_steps : planned;
    int stop = 0, early = 0;
    while (!status && !stop && (!cfg->epochs || t.s.epoch < cfg->epochs) &&
           (!cfg->max_steps || t.s.step < cfg->max_steps)) {
        if (t.s.pos == 0) { /* a new epoch: a new order, fresh carried states */
            t.s.epoch_rng = t.s.data_rng;
            rc__batcher_shuffle(&t.batches, &t.s.data_rng);
            reset_carry(&t);
        }
        rc_batch b;
        rc__batcher_get(&t.batches, t.s.pos, &b);
        if ((status = update(&t, &b)))
            break;
        int epoch_end = t.s.pos == t.batches.n_batches;
        if (epoch_end)
            t.s.epoch++, t.s.pos = 0;
        stop = report(&t, RC_TRAIN_STEP) != 0;
        int last = (cfg->max_steps && t.s.step >= cfg->max_steps) || (cfg->epochs && t.s.epoch >= cfg->epochs);
        /* every eval_every updates (or at each epoch's end), and after the last update */
        if (t.valid && (last || (cfg->eval_every ? t.s.step % cfg->eval_every == 0 : epoch_end))) {
            if ((status = evaluate(&t, &early)))
                break;
            stop |= early;
        }
        if ((cfg->checkpoint_every && t.s.step % cfg->checkpoint_every == 0) || epoch_end || stop || last)
            status = save_checkpoint(&t);
    }
    if (!status) {
        if (!t.valid && cfg->best_model) { /* no validation: the final model is the one kept */
            int averaging = rc_optim_averaging(t.opt);
            if (averaging)
                rc_optim_swap_average(t.opt);
            status = rc_model_save(m, cfg->best_model, cfg->n_meta, cfg->meta_keys, cfg->meta_values);
            if (averaging)
                rc_optim_swap_average(t.opt);
        }
        t.status.stopped_early = early;
        report(&t, RC_TRAIN_DONE);
    }
    rc__batcher_free(&t.batches);
    rc_optim_free(t.opt);
    rc_tape_free(t.tp);
    rc__carry_free(&t.carry);
    free(t.noise);
    free(t.s.history);
    return status;
}
