/* models.h — internals of the task models shared with their file format. */
#ifndef RC_MODELS_H
#define RC_MODELS_H

#include "../cells/cells.h"

/* A model whose weights are all zero, for loading into. */
rc_model *rc__model_alloc(const rc_model_config *cfg);

#endif /* RC_MODELS_H */
