/* data.h — what the readers share. */
#ifndef RC_DATA_H
#define RC_DATA_H

#include "../core/core.h"

/* An empty set of piano rolls, and appending one sequence frames [T, 88]. */
rc_rolls *rc__rolls_new(void);
int rc__rolls_append(rc_rolls *r, const float *frames, size_t T);

/* Decodes a WAV file's bytes b[size] (path names it in errors); see
 * rc_wav_load.  *bits (when not NULL) gets the sample width, 8 or 16. */
rc_tensor *rc__wav_decode(const unsigned char *b, size_t size, const char *path, unsigned *sample_rate,
                          unsigned *bits);

/* Synthetic tasks (tasks.c): example `index` of `seed` drawn from r, seeded
 * by rc__synth_seed, into column col of time-major buffers of B columns:
 * inputs x [T, B, inputs]; bits tasks: targets y [T, B, outputs] and
 * weights w [T, B]; copy-memory: classes cls [T, B]; adding: y[col] the
 * sum.  x, y and w must hold zeros in the example's cells; c must be valid.
 * Returns T. */
void rc__synth_seed(rc_rng *r, uint64_t seed, uint64_t index);
size_t rc__synth_fill(const rc_synth_config *c, rc_rng *r, size_t B, size_t col, float *x, float *y, float *w,
                      int32_t *cls);

#endif /* RC_DATA_H */
