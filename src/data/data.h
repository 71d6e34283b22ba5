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

#endif /* RC_DATA_H */
