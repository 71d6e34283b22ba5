/* io.h — what the file formats share. */
#ifndef RC_IO_H
#define RC_IO_H

#include "../cells/cells.h"

/* Metadata under construction: up to RC__META_MAX key/value strings. */
#define RC__META_MAX 64
typedef struct {
    size_t n;
    const char *keys[RC__META_MAX];
    const char *values[RC__META_MAX];
    char key_store[RC__META_MAX][64];
    char store[RC__META_MAX][256]; /* formatted values */
    int lost;                      /* a key did not fit, or a value was cut: writers refuse (rc__meta_check) */
} rc__meta;

/* Adds key = printf(fmt, ...); the key is copied. */
void rc__meta_add(rc__meta *m, const char *key, const char *fmt, ...) RC__PRINTF(3, 4);
/* RC_EINVAL naming the file when anything added did not fit. */
int rc__meta_check(const rc__meta *m, const char *path);
/* The recurrent configuration's keys: cell, input_size, hidden_size, ...,
 * and cell.NAME for each of the cell's own options. */
void rc__meta_rnn(rc__meta *m, const rc_rnn_config *c);

/* The task model's own settings (model_dropout, model_dropout_embed,
 * model_dropout_input, model_dropout_output, model_ar, model_tar,
 * model_tie_weights), and back into cfg (an absent key is 0). */
void rc__meta_model(rc__meta *m, const rc_model_config *c);
int rc__model_extras_from_file(const rc_safetensors *st, const char *path, rc_model_config *cfg);

/* The configuration of the network whose weights carry `prefix` in st:
 * from names and shapes, the metadata ("cell", "nonlinearity", "residual",
 * "dropout") and cell (>= 0 overrides the file). */
int rc__rnn_config_from_file(const rc_safetensors *st, const char *path, const char *prefix, int cell,
                             rc_rnn_config *cfg);

/* Copies every tensor of p from st (file name = prefix + parameter name),
 * requiring exact shapes; `what` describes the model in messages. */
int rc__params_from_file(const rc_safetensors *st, const char *path, const char *prefix, rc_params *p,
                         const char *what);

/* "a 2-layer bidirectional lstm with input 3 and hidden size 4 ..." */
void rc__describe_rnn(const rc_rnn_config *c, char *buf, size_t cap);

#endif /* RC_IO_H */
