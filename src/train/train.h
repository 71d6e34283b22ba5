/* train.h — what the trainer shares with the data sets. */
#ifndef RC_TRAIN_H
#define RC_TRAIN_H

#include "../core/core.h"

/* Cuts a data set into the batches of one epoch and fills them.
 *   lm:               B parallel streams of n/B tokens each, cut into
 *                     windows of bptt steps (a window's targets are its
 *                     tokens one step ahead); state carries across windows
 *   music, classify,  sequences in a (shuffled) order, B at a time, padded
 *   audio             to the longest (music, audio) */
typedef struct {
    const rc_dataset *d;
    size_t batch, bptt;
    size_t per_stream;         /* lm: tokens per stream */
    size_t n_batches;          /* per epoch */
    size_t *order;             /* music, classify, audio: [count] */
    size_t bucket;             /* sort runs of this many batches by length (0, 1: off) */
    size_t *batch_order;       /* with bucket: [n_batches], the order batches are taken in */
    size_t max_T;              /* the longest batch's T */
    size_t *starts;            /* lm with variable lengths: [n_batches + 1] this epoch's window starts
                                  (then the end), drawn by rc__batcher_shuffle */
    int32_t *tokens, *targets; /* lm: [bptt, B] */
    float *frames, *weights;   /* music: [max_T, B, 88], [max_T, B] */
    float *features;           /* classify: [T, B, F]; audio: [max_T, B, window] */
    float *samples;            /* audio: [max_T, B, hop] */
    int32_t *classes, *lengths;
    int32_t *synth_targets;    /* synthetic tag tasks: [max_T, B], -1 past an example's end */
    uint64_t seed;             /* synthetic: the seed of this epoch's examples */
} rc__batcher;

int rc__batcher_init(rc__batcher *bt, const rc_dataset *d, size_t batch, size_t bptt, size_t bucket);
/* lm: each epoch's windows of variable length (rc_train_config.variable_bptt),
 * cut anew by every rc__batcher_shuffle; n_batches is an estimate until then. */
int rc__batcher_variable(rc__batcher *bt);
void rc__batcher_free(rc__batcher *bt);
/* A random order of the sequences that depends on rng's state only (lm:
 * nothing to do, or with variable lengths the epoch's windows); with bucket,
 * sorted by length in runs of bucket batches, and the batches in a random
 * order. */
void rc__batcher_shuffle(rc__batcher *bt, rc_rng *rng);
/* Batch i of the epoch, in bt's buffers (valid until the next call). */
void rc__batcher_get(rc__batcher *bt, size_t i, rc_batch *b);
/* 1 when model m can learn from d (task and sizes), else a status with a message. */
int rc__dataset_fits(const rc_dataset *d, const rc_model *m, const char *what);

/* Everything of a training run besides the weights and the optimizer's
 * blocks: what a checkpoint stores so that resuming continues bit for bit. */
typedef struct {
    uint64_t step;             /* updates done */
    uint64_t epoch;            /* whole epochs done */
    uint64_t pos;              /* batches done in the current epoch */
    double best;               /* best validation loss */
    uint64_t bad_evals;        /* evaluations since it improved */
    double seconds;            /* training time before this run */
    double loss_sum;           /* training loss since the last evaluation */
    uint64_t loss_count;
    rc_rng data_rng;           /* draws each epoch's order */
    rc_rng epoch_rng;          /* data_rng as it was when this epoch's order was drawn */
    rc_rng dropout_rng, noise_rng;
    rc_schedule schedule;
    double *history;           /* validation losses, for NT-ASGD */
    size_t n_history, cap_history;
} rc__train_state;

/* The states a language model carries from window to window (truncated
 * BPTT): one tensor per state of the model (rc_model_state_*), named by
 * rc_model_state_name. */
typedef struct {
    rc_tensor *s[RC_MODEL_MAX_STATES];
    size_t n;
    int fresh; /* 1: nothing carried yet; the next window starts where the
                  model's states start (zero for most cells) */
} rc__carry;

/* Fresh (its values zeros) for B sequences. */
int rc__carry_new(rc_model *m, size_t B, rc__carry *c);
void rc__carry_free(rc__carry *c);
/* Fresh again: the start of an epoch or an evaluation. */
void rc__carry_zero(rc__carry *c);
/* What the next window's states0 is: the carried states, or NULL when there
 * are none or they are fresh. */
rc_tensor *const *rc__carry_states(const rc__carry *c);
/* Copies the values of the final states [n] (detached: the next window
 * starts from them). */
void rc__carry_set(rc__carry *c, rc_tensor *const *states_n);

/* Writes / reads a checkpoint: the model's weights, the optimizer's blocks
 * and counters, the carried LM states as "carry.<state name>" (carry may be
 * NULL), the state s, and a fingerprint of cfg that a resume must match. */
int rc__checkpoint_save(const char *path, rc_model *m, rc_optim *o, const rc__train_state *s,
                        const rc__carry *carry, const rc_train_config *cfg);
int rc__checkpoint_load(const char *path, rc_model *m, rc_optim *o, rc__train_state *s, rc__carry *carry,
                        const rc_train_config *cfg);

#endif /* RC_TRAIN_H */
