/* models.h — internals of the task models shared with their file format. */
#ifndef RC_MODELS_H
#define RC_MODELS_H

#include "../cells/cells.h"

/* A model whose weights are all zero, for loading into. */
rc_model *rc__model_alloc(const rc_model_config *cfg);
/* The network's input [T, B, I] for batch b, with every dropout of the
 * input when rng is given (training): what rc_model_loss feeds the network. */
rc_tensor *rc__model_input(rc_tape *tp, rc_model *m, const rc_batch *b, rc_rng *rng);

/* The SHA-RNN around a network's layers (sharnn.c). */
typedef struct rc__sha rc__sha;
/* RC_EINVAL, naming what, when cfg cannot be a SHA-RNN. */
int rc__sha_check(const rc_model_config *cfg);
/* Its weights, added to p. */
rc__sha *rc__sha_new(const rc_model_config *cfg, rc_params *p);
void rc__sha_free(rc__sha *s);
/* The positions its memory keeps, and whether it has the attention (and
 * so the memory states) at all. */
size_t rc__sha_memory(const rc__sha *s);
int rc__sha_attention(const rc__sha *s);
/* Draws t as the reference does when it is one of its weights (1), else 0. */
int rc__sha_draw(const rc__sha *s, rc_tensor *t, rc_rng *rng);
/* The blocks over x [T, B, E] with the layers' states o (states0, h0/c0),
 * the memory mem0 [N, B, E] and its fill len0 [1, B, 1] (both NULL: empty)
 * -> [T, B, E]; states_n (or NULL) gets the layers' final states, then the
 * memory and its fill. */
rc_tensor *rc__sha_forward(rc_tape *tp, const rc__sha *s, rc_rnn *rnn, rc_tensor *x, const rc_rnn_options *o,
                           rc_tensor *mem0, rc_tensor *len0, rc_tensor **states_n);

#endif /* RC_MODELS_H */
