/* cells.h — what the sequence driver (seq.c) shares with streams and files. */
#ifndef RC_CELLS_H
#define RC_CELLS_H

#include "cell.h"

/* The name prefix of the network's weights in its parameter set. */
const char *rc__rnn_prefix(const rc_rnn *rnn);
/* Layer l, direction d: its cell, sizes and weights by slot. */
const rc__cell_layer *rc__rnn_layer(const rc_rnn *rnn, size_t l, size_t d);
/* Makes rc_rnn_free free the network's parameter set too. */
void rc__rnn_own_params(rc_rnn *rnn);

#endif /* RC_CELLS_H */
