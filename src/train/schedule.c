/* schedule.c — learning-rate schedules (formulas in recur.h). */
#include "../core/core.h"

#include <math.h>
#include <string.h>

static const char *const schedule_names[RC_SCHEDULE_COUNT] = {
#define RC__SCHEDULE_NAME(id, name) [id] = name,
    RC_SCHEDULE_LIST(RC__SCHEDULE_NAME)
#undef RC__SCHEDULE_NAME
};

const char *rc_schedule_name(int kind)
{
    return kind >= 0 && kind < RC_SCHEDULE_COUNT ? schedule_names[kind] : NULL;
}

int rc_schedule_from_name(const char *name) { return rc__name_index(schedule_names, RC_SCHEDULE_COUNT, name); }

rc_schedule rc_schedule_init(int kind, float lr)
{
    rc_schedule s = {0};
    s.kind = kind;
    s.lr = lr;
    s.lr_end = 0.0f;
    s.gamma = 0.1f;
    s.step_size = 1.0;
    s.length = 1.0;
    s.patience = 0;
    s.best = INFINITY;
    s.scale = 1.0f;
    return s;
}

float rc_schedule_lr(const rc_schedule *s, double epoch)
{
    double progress = s->length > 0.0 ? fmin(epoch / s->length, 1.0) : 1.0;
    switch (s->kind) {
    case RC_SCHEDULE_STEP:
        return s->step_size > 0.0 ? s->lr * powf(s->gamma, floorf((float)(epoch / s->step_size))) : s->lr;
    case RC_SCHEDULE_LINEAR:
        return progress >= 1.0 ? s->lr_end : (float)(s->lr + ((double)s->lr_end - s->lr) * progress);
    case RC_SCHEDULE_COSINE:
        return (float)(s->lr_end + (s->lr - s->lr_end) * (1.0 + cos(3.14159265358979323846 * progress)) / 2.0);
    case RC_SCHEDULE_PLATEAU:
        return s->lr * s->scale;
    default:
        return s->lr;
    }
}

int rc_schedule_observe(rc_schedule *s, double figure)
{
    if (s->kind != RC_SCHEDULE_PLATEAU)
        return 0;
    if (figure < s->best) {
        s->best = figure;
        s->bad_evals = 0;
        return 0;
    }
    if (++s->bad_evals <= s->patience)
        return 0;
    s->scale *= s->gamma;
    s->bad_evals = 0;
    return 1;
}
