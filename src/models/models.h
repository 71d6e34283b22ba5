/* models.h — internals of the task models shared with their file format. */
#ifndef RC_MODELS_H
#define RC_MODELS_H

#include "../cells/cells.h"

/* A model whose weights are all zero, for loading into. */
rc_model *rc__model_alloc(const rc_model_config *cfg);
/* The network's input [T, B, I] for batch b, with every dropout of the
 * input when rng is given (training): what rc_model_loss feeds the network. */
rc_tensor *rc__model_input(rc_tape *tp, rc_model *m, const rc_batch *b, rc_rng *rng);

#endif /* RC_MODELS_H */
