/* carry.c — the states a language model carries between windows. */
#include "train.h"

#include <string.h>

int rc__carry_new(rc_model *m, size_t B, rc__carry *c)
{
    memset(c, 0, sizeof *c);
    size_t shape[3];
    for (c->n = 0; c->n < rc_model_state_count(m); c->n++)
        if (rc_model_state_shape(m, c->n, B, shape) || !(c->s[c->n] = rc_tensor_new(3, shape))) {
            rc__carry_free(c);
            return rc_last_status();
        }
    c->fresh = 1;
    return RC_OK;
}

void rc__carry_free(rc__carry *c)
{
    for (size_t i = 0; i < c->n; i++)
        rc_tensor_free(c->s[i]);
    memset(c, 0, sizeof *c);
}

void rc__carry_zero(rc__carry *c)
{
    for (size_t i = 0; i < c->n; i++)
        rc_tensor_fill(c->s[i], 0.0f);
    c->fresh = 1;
}

rc_tensor *const *rc__carry_states(const rc__carry *c) { return c->n && !c->fresh ? c->s : NULL; }

void rc__carry_set(rc__carry *c, rc_tensor *const *states_n)
{
    for (size_t i = 0; i < c->n; i++)
        memcpy(c->s[i]->data, states_n[i]->data, c->s[i]->size * sizeof(float));
    c->fresh = 0;
}
