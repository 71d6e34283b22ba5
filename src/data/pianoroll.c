/* pianoroll.c — polyphonic piano rolls read from the text format of
 * Boulanger-Lewandowski et al. 2012's data sets (see ../shared/data/README.md):
 * one sequence per line, steps separated by ';', the sounding MIDI pitches
 * of a step separated by spaces. */
#include "data.h"

#include <stdlib.h>
#include <string.h>

struct rc_rolls {
    size_t count;
    size_t *offsets;  /* [count + 1] first step of each sequence */
    float *frames;    /* [total, 88] */
    size_t cap_seqs, cap_steps; /* room in offsets (sequences) and frames (steps) */
};

rc_rolls *rc__rolls_new(void)
{
    rc_rolls *r = calloc(1, sizeof *r);
    if (r && !(r->offsets = calloc(1, sizeof *r->offsets))) {
        free(r);
        r = NULL;
    }
    return r ? r : rc__fail_null(RC_ENOMEM, "piano rolls: out of memory");
}

int rc__rolls_append(rc_rolls *r, const float *frames, size_t T)
{
    size_t total = r->offsets[r->count], need;
    if (!rc__add_size(total, T, &need) || need > SIZE_MAX / (RC_PIANO_KEYS * sizeof(float)))
        return rc__fail(RC_ENOMEM, "piano rolls: too many steps");
    if (r->count + 1 > r->cap_seqs) {
        size_t cap = r->cap_seqs ? 2 * r->cap_seqs : 64;
        size_t *o = realloc(r->offsets, (cap + 1) * sizeof *o);
        if (!o)
            return rc__fail(RC_ENOMEM, "piano rolls: out of memory");
        r->offsets = o, r->cap_seqs = cap;
    }
    if (need > r->cap_steps) {
        size_t cap = need > 2 * r->cap_steps ? need : 2 * r->cap_steps;
        float *f = rc__alloc_aligned(cap * RC_PIANO_KEYS * sizeof(float));
        if (!f)
            return rc__fail(RC_ENOMEM, "piano rolls: cannot hold %zu steps", need);
        if (total)
            memcpy(f, r->frames, total * RC_PIANO_KEYS * sizeof(float));
        rc__free_aligned(r->frames);
        r->frames = f, r->cap_steps = cap;
    }
    memcpy(r->frames + total * RC_PIANO_KEYS, frames, T * RC_PIANO_KEYS * sizeof(float));
    r->offsets[++r->count] = need;
    return RC_OK;
}

void rc_rolls_free(rc_rolls *r)
{
    if (!r)
        return;
    free(r->offsets);
    rc__free_aligned(r->frames);
    free(r);
}

size_t rc_rolls_count(const rc_rolls *r) { return r->count; }

size_t rc_rolls_length(const rc_rolls *r, size_t i) { return r->offsets[i + 1] - r->offsets[i]; }

const float *rc_rolls_frames(const rc_rolls *r, size_t i)
{
    return r->frames + r->offsets[i] * RC_PIANO_KEYS;
}

size_t rc_rolls_total_steps(const rc_rolls *r) { return r->offsets[r->count]; }

/* Counts sequences (lines) and steps (fields) so everything is allocated once. */
static void count(const char *text, size_t len, size_t *lines, size_t *steps)
{
    *lines = *steps = 0;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        (*lines)++;
        (*steps)++;
        for (size_t k = i; k < end; k++)
            *steps += text[k] == ';';
        i = end + 1;
    }
}

/* Parses one line into frames; returns a status naming line and step. */
static int parse_line(const char *path, size_t line, const char *s, const char *end, float *frames,
                      size_t *steps)
{
    size_t step = 0;
    if (s == end || (end - s == 1 && *s == '\r'))
        return rc__fail(RC_EFORMAT, "%s: line %zu is empty (a sequence needs at least one step)",
                        path, line);
    memset(frames, 0, RC_PIANO_KEYS * sizeof(float));
    while (s < end) {
        char c = *s;
        if (c == ';') {
            step++;
            memset(frames + step * RC_PIANO_KEYS, 0, RC_PIANO_KEYS * sizeof(float));
            s++;
        } else if (c == ' ' || c == '\t' || c == '\r') {
            s++;
        } else {
            const char *token = s;
            long pitch = 0;
            int digits = 1;
            while (s < end && *s != ' ' && *s != '\t' && *s != '\r' && *s != ';') {
                digits &= *s >= '0' && *s <= '9';
                if (digits && pitch < 100000)
                    pitch = pitch * 10 + (*s - '0');
                s++;
            }
            if (!digits)
                return rc__fail(RC_EFORMAT, "%s: line %zu, step %zu: '%.*s' is not a pitch (steps hold "
                                            "MIDI pitches separated by spaces, and end with ';')",
                                path, line, step + 1, (int)(s - token > 20 ? 20 : s - token), token);
            if (pitch < RC_PIANO_LOWEST || pitch >= RC_PIANO_LOWEST + RC_PIANO_KEYS)
                return rc__fail(RC_EFORMAT, "%s: line %zu, step %zu: pitch %ld is outside the piano "
                                            "(21..108)",
                                path, line, step + 1, pitch);
            frames[step * RC_PIANO_KEYS + (size_t)(pitch - RC_PIANO_LOWEST)] = 1.0f;
        }
    }
    *steps = step + 1;
    return RC_OK;
}

rc_rolls *rc_rolls_load_text(const char *path)
{
    size_t len;
    char *text = rc_read_file(path, &len);
    if (!text)
        return NULL;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r')) /* trailing newlines */
        len--;
    if (len == 0) {
        free(text);
        return rc__fail_null(RC_EFORMAT, "%s: no sequences", path);
    }
    size_t lines, steps;
    count(text, len, &lines, &steps);
    rc_rolls *r = calloc(1, sizeof *r);
    size_t floats;
    if (r && rc__mul_size(steps, RC_PIANO_KEYS * sizeof(float), &floats)) {
        r->offsets = malloc((lines + 1) * sizeof *r->offsets);
        r->frames = rc__alloc_aligned(floats);
    }
    if (!r || !r->offsets || !r->frames) {
        rc_rolls_free(r);
        free(text);
        return rc__fail_null(RC_ENOMEM, "%s: cannot hold %zu steps", path, steps);
    }
    size_t at = 0;
    r->offsets[0] = 0;
    for (size_t i = 0; i < len; r->count++) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        size_t n = 0;
        if (parse_line(path, r->count + 1, text + i, text + end, r->frames + at * RC_PIANO_KEYS, &n)) {
            rc_rolls_free(r);
            free(text);
            return NULL;
        }
        at += n;
        r->offsets[r->count + 1] = at;
        i = end + 1;
    }
    free(text);
    return r;
}
