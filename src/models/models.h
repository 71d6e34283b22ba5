/* models.h — internals of the task models shared with their file format. */
#ifndef RC_MODELS_H
#define RC_MODELS_H

#include "../cells/cells.h"

/* A model whose weights are all zero, for loading into. */
rc_model *rc__model_alloc(const rc_model_config *cfg);
/* The network's input [T, B, I] for batch b, with every dropout of the
 * input when rng is given (training): what rc_model_loss feeds the network. */
rc_tensor *rc__model_input(rc_tape *tp, rc_model *m, const rc_batch *b, rc_rng *rng);
/* Dropout of rate p when training (rng given), else x itself. */
rc_tensor *rc__maybe_dropout(rc_tape *tp, rc_tensor *x, float p, rc_rng *rng);

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

/* The Pointer Network around a model's network, its encoder (pointer.c). */
typedef struct rc__pointer rc__pointer;
/* RC_EINVAL, naming what, when cfg cannot be a pointer network. */
int rc__pointer_check(const rc_model_config *cfg);
/* Its decoder ("dec.") and attention ("attn.") weights, added to p. */
rc__pointer *rc__pointer_new(const rc_model_config *cfg, rc_params *p);
void rc__pointer_free(rc__pointer *ptr);
/* Draws t, parameter `index` of the model, when it is one of the pointer
 * network's (1), else 0; -1 on error. */
int rc__pointer_draw(const rc__pointer *ptr, size_t index, rc_tensor *t, rc_rng *rng);
/* The scores [T + 1, B, T + 1] of every target row of b against every
 * position (0 the end, j point j; past an example's points -1e9), the
 * decoder reading the targets; dropout on both networks' outputs. */
rc_tensor *rc__pointer_logits(rc_tape *tp, const rc__pointer *ptr, rc_rnn *enc, const rc_batch *b, float dropout,
                              rc_rng *rng);
/* The model's pointer network, or NULL when it is not one. */
const rc__pointer *rc__model_pointer(const rc_model *m);

#endif /* RC_MODELS_H */
