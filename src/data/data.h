/* data.h — what the readers share. */
#ifndef RC_DATA_H
#define RC_DATA_H

#include "../core/core.h"

/* An empty set of piano rolls, and appending one sequence frames [T, 88]. */
rc_rolls *rc__rolls_new(void);
int rc__rolls_append(rc_rolls *r, const float *frames, size_t T);

#endif /* RC_DATA_H */
