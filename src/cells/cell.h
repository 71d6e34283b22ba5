/* cell.h — what a recurrent cell is.
 *
 * A cell is one file, src/cells/<name>.c, that defines
 *   RC__CELL(<name>) = { ... };
 * and one line of RC_CELL_LIST (recur.h) that names it.  The file holds the
 * equations and their paper (its header comment), the parameters and states
 * it declares for a layer, and the step written with differentiable
 * operations: the specification, and the test oracle of any fused kernel.
 * A fused kernel (reached through `kernels`) is optional; without one the
 * composed step is the only path, for training and inference alike.
 *
 * The driver (seq.c) sees flat rows: x_t [B, I], states [B, n_i],
 * y_t [B, O].  A cell may view them as anything else inside its step (maps
 * [B, C, H, W], complex numbers as [re | im] halves, a memory [B, N*W]). */
#ifndef RC_CELL_H
#define RC_CELL_H

#include "../graph/tape.h"

#include <stdint.h>

enum { RC__CELL_MAX_PARAMS = 32, RC__CELL_NAME = 32 }; /* per layer and direction */

typedef struct rc__cell rc__cell;

/* A numeric setting of a cell, set by name (rc_rnn_config_set).  A
 * released default never changes, and options are only ever appended: a
 * configuration keeps them by position. */
typedef struct {
    const char *name;   /* "rounds" */
    double fallback;    /* the default */
    double min, max;    /* inclusive */
    int integer;        /* 1: whole numbers only */
    const char *doc;    /* one line, for help and error messages */
} rc__cell_option;

/* One layer and direction's sizes as the cell sees them. */
typedef struct {
    size_t I;           /* width of x_t: the input, or D * O of the layer below */
    size_t H;           /* hidden_size */
    int bias;           /* the configuration's bias flag */
    const double *opt;  /* [RC_CELL_MAX_OPTIONS] the cell's options, in declared order */
} rc__cell_dims;

/* How a parameter starts when the network is drawn from a generator; a
 * cell that needs another draw adds its kind here and in seq.c's
 * rc__rnn_draw(). */
typedef struct {
    enum {
        RC__INIT_TORCH,  /* (rc__init){0}: PyTorch's recurrent cells, uniform in +-1/sqrt(H) */
        RC__INIT_FAN_IN, /* PyTorch's nn.Linear: uniform in +-1/sqrt(fan_in) (a bias: its weight's) */
        RC__INIT_ORTHOGONAL, /* nn.init.orthogonal_ (rc_tensor_fill_orthogonal, gain 1) */
        RC__INIT_ZERO,   /* zeros */
        RC__INIT_UNIFORM, /* uniform in +-bound */
    } kind;
    size_t fan_in;       /* RC__INIT_FAN_IN */
    float bound;         /* RC__INIT_UNIFORM */
} rc__init;

enum { RC__PARAM_RECURRENT = 1 }; /* a recurrent weight: weight drop (DropConnect) may apply */
/* What a state holds, for tests that draw states: RC__STATE_NONNEGATIVE,
 * values >= 0 (weightings: the cell takes logs downstream). */
enum { RC__STATE_NONNEGATIVE = 1 };

/* What declare() says about one layer and direction; the driver names,
 * allocates, initialises and saves what it lists. */
typedef struct {
    char base[RC__CELL_NAME];  /* "weight_ih": named base_l{k}[_reverse] */
    int ndim;                  /* 0: the slot is not declared */
    size_t shape[RC_MAX_DIMS];
    rc__init init;
    int flags;                 /* RC__PARAM_* */
} rc__cell_param;

typedef struct {
    rc__cell_param param[RC__CELL_MAX_PARAMS]; /* by slot */
    size_t n_params;                           /* one past the highest declared slot */
    size_t order[RC__CELL_MAX_PARAMS];         /* the declared slots, in declaration order */
    size_t n_declared;
    size_t n_states;
    const char *state_name[RC_MAX_STATES];     /* string literals */
    size_t state_width[RC_MAX_STATES];
    int state_flags[RC_MAX_STATES];            /* RC__STATE_* */
    size_t out_width;                          /* 0: state 0's */
} rc__cell_decl;

/* Parameter `slot` (an index of the cell's own enum), named
 * base + "_l{k}" + ("_reverse") in files and parameter sets, in
 * declaration order (which is also the order of the initial draws). */
int rc__param(rc__cell_decl *d, size_t slot, const char *base, int ndim, const size_t *shape, rc__init init,
              int flags);
/* State `slot`, [B, width] per layer and direction, carried from step to
 * step and across calls.  Slot 0 is what h0 / h_n name, slot 1 c0 / c_n.
 * Slots are declared in order from 0. */
int rc__state(rc__cell_decl *d, size_t slot, const char *name, size_t width);
/* The width O of y_t (default: state 0's). */
void rc__output(rc__cell_decl *d, size_t width);

/* A layer and direction as a cell's functions see it. */
typedef struct {
    const rc__cell *cell;
    rc__cell_dims dims;
    rc_tensor *w[RC__CELL_MAX_PARAMS]; /* by slot, NULL where not declared */
    rc_rng *rng;                       /* in a training pass, its generator (a step's random draws:
                                          zoneout); NULL in evaluation */
} rc__cell_layer;

/* The sequence-parallel part, run once per layer and direction:
 * x [T, B, I] -> u [T, B, U] (every step's input product in one GEMM, a
 * convolution over time, ...).  NULL in the descriptor: the step reads x_t. */
typedef rc_tensor *(*rc__pre_fn)(rc_tape *tp, const rc__cell_layer *L, rc_tensor *x);

/* One step — the specification: u_t [B, U] (x_t [B, I] without pre) and the
 * states s[i] [B, n_i] -> the new states written to s_new[i]; returns y_t
 * [B, O].  NULL on failure (a NULL from an operation propagates). */
typedef rc_tensor *(*rc__step_fn)(rc_tape *tp, const rc__cell_layer *L, rc_tensor *u, rc_tensor *const *s,
                                  rc_tensor **s_new);

/* State `slot`'s start [B, n_slot] where the caller gives none: a constant,
 * or values drawn from the layer's parameters (which then learn through
 * it).  NULL in the descriptor: every state starts at zero. */
typedef rc_tensor *(*rc__initial_fn)(rc_tape *tp, const rc__cell_layer *L, size_t slot, size_t B);

/* ---- optional fused kernels, cell-agnostic: buffers by slot ---- */

/* One call of a layer and direction's fused kernel. */
typedef struct {
    size_t T, B, I;          /* x [T, B, I] */
    int reverse;             /* walk t = T-1 .. 0 */
    const int32_t *lengths;  /* [B], each 1..T, or NULL */
    int sparse_x;            /* the input is mostly zeros (decided once per call by the driver) */
    int stream;              /* a stream's call of 1..T steps, on the weights pack() made (if any) */
    int training;            /* the forward of a training pass: random draws (zoneout) may apply */
    int variant;             /* the kernel table's own: which form of the kernel */
    const rc__cell_dims *dims;
} rc__fused_call;

typedef struct {
    int variant; /* passed to the functions in the call: which form of the cell they run */
    /* 1 when the kernel takes this call; otherwise the composed step runs. */
    int (*takes)(const rc__fused_call *c);
    size_t (*cache_size)(const rc__fused_call *c);              /* floats kept for the backward */
    /* Floats of scratch the forward (0) or backward (1) needs; for a stream's
     * call, the most any forward of 1..T steps needs. */
    size_t (*work_size)(const rc__fused_call *c, int backward);
    /* x [T, B, I], s0[i] [B, n_i] -> y [T, B, O], s_n[i] [B, n_i] (s_n may be
     * s0).  packed: from pack(), or NULL; cache NULL in inference. */
    void (*forward)(const rc__fused_call *c, const float *const *w, const float *packed, const float *x,
                    const float *const *s0, float *y, float *const *s_n, float *cache, float *work);
    /* Accumulates into every gradient asked for (non-NULL): g_x, g_w[slot],
     * g_s0[i]; dy and ds_n[i] may be NULL (zeros). */
    void (*backward)(const rc__fused_call *c, const float *const *w, const float *x, const float *cache,
                     const float *dy, const float *const *ds_n, float *g_x, float *const *g_w,
                     float *const *g_s0, float *work);
    /* Streams keep the weights packed from their creation: the floats
     * pack() writes (0: none kept). */
    size_t (*packed_size)(const rc__fused_call *c);
    void (*pack)(const rc__fused_call *c, const float *const *w, float *packed);
} rc__cell_kernels;

/* ---- the descriptor ---- */
struct rc__cell {
    const char *summary;             /* one line: "Mogrifier LSTM (Melis et al. 2020)" */
    const rc__cell_option *options;  /* {NULL}-terminated, or NULL */
    int (*declare)(rc__cell_decl *d, const rc__cell_dims *dims);
    rc__pre_fn pre;                  /* optional */
    rc__step_fn step;                /* required: the specification */
    rc__initial_fn initial;          /* optional */
    const rc__cell_kernels *kernels; /* optional */
};

#define RC__CELL(token) const rc__cell rc__cell_##token

/* The registry, generated from RC_CELL_LIST (registry.c). */
#define RC__CELL_EXTERN(id, token) extern RC__CELL(token);
RC_CELL_LIST(RC__CELL_EXTERN)
#undef RC__CELL_EXTERN

/* The descriptor of a cell id, or NULL when out of range. */
const rc__cell *rc__cell_of(int cell);
/* The cell's options resolved for a configuration: opt[i] = the value set,
 * else the default; proj_size and peephole map onto options of those
 * names.  RC_EINVAL naming the option when one is unknown or out of range. */
int rc__cell_options(const rc_rnn_config *cfg, double opt[RC_CELL_MAX_OPTIONS]);
/* The index of the cell's option `name`, or -1. */
int rc__cell_option_index(int cell, const char *name);
/* 1 for proj_size and peephole: options that rc_rnn_config also holds as
 * fields, and files, messages and fingerprints spell as PyTorch does. */
int rc__cell_option_is_field(const char *name);
/* What the cell declares for one layer of input I and hidden size H, with
 * a bias and every option at its default. */
int rc__cell_declare_default(int cell, size_t I, size_t H, rc__cell_decl *d);

/* ---- building blocks cells share ---- */

/* PyTorch's slots, shared by rnn, lstm, gru and their variants: the same
 * weights under the same names. */
enum { RC__W_IH, RC__W_HH, RC__B_IH, RC__B_HH, RC__W_HR, RC__W_PH, RC__TORCH_SLOTS };

/* A fixed random permutation of n entries on the tape: Fisher-Yates from a
 * generator seeded with (seed, stream), the same on every call and machine
 * (the uRNN's P, the Associative LSTM's per-copy key permutations); NULL
 * when out of memory. */
const int32_t *rc__fixed_permutation(rc_tape *tp, size_t n, uint64_t seed, uint64_t stream);

/* The LSTM's options (lstm.c), read by its kernels and its variants. */
enum { RC__LSTM_PROJ_SIZE, RC__LSTM_PEEPHOLE };
/* The LSTM's parameters and states (h [Ho], c [H]), so variants (mogrifier,
 * mlstm, ...) declare the same weights under the same names. */
int rc__lstm_declare(rc__cell_decl *d, const rc__cell_dims *c, size_t proj_size, int peephole);
/* The LSTM after its pre-activations a [B, 4H] (gates i, f, g, o): c, the
 * peepholes and the projection of L's slots -> s_new[0] = h', s_new[1] = c';
 * returns h'. */
rc_tensor *rc__lstm_gates(rc_tape *tp, const rc__cell_layer *L, rc_tensor *a, rc_tensor *c, rc_tensor **s_new);

/* The mRNN's input-chosen transition (mrnn.c), which the mLSTM's m is:
 * u = [x W_fx^T | x W^T + b] for every step at once (pre), then per step
 * f = (W_fx x) * (W_fh h) [B, F] from u_t, with *rest = the rest of u_t. */
rc_tensor *rc__factored_pre(rc_tape *tp, rc_tensor *x, rc_tensor *w_fx, rc_tensor *w, rc_tensor *b);
rc_tensor *rc__factored(rc_tape *tp, rc_tensor *u, size_t F, rc_tensor *w_fh, rc_tensor *h, rc_tensor **rest);

/* weight_ih [G*H, I], weight_hh [G*H, Ho], with bias bias_ih and bias_hh
 * [G*H], in PyTorch's order, every one PyTorch's uniform +-1/sqrt(H). */
int rc__torch_declare(rc__cell_decl *d, const rc__cell_dims *c, size_t G, size_t Ho);
/* u = W_ih x + b_ih for every step at once (pre of PyTorch's cells). */
rc_tensor *rc__torch_pre(rc_tape *tp, const rc__cell_layer *L, rc_tensor *x);

/* The fused sequence kernels of src/kernels/recurrent.h behind the table,
 * for cells with PyTorch's slots and states h (and c); indexed by the
 * kernels' own enum (RC__SEQ_*). */
extern const rc__cell_kernels rc__seq_kernels[];

#endif /* RC_CELL_H */
