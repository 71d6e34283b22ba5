/* midi.c — Standard MIDI Files (the MIDI 1.0 file format): writing piano
 * rolls as format-0 files. */
#include "../core/core.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char *p;
    size_t n, cap;
    int failed;
} bytes;

static void put(bytes *b, const void *src, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n > b->cap) {
        size_t cap = (b->cap + n) * 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_byte(bytes *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

static void put_be(bytes *b, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--)
        put_byte(b, (v >> (8 * i)) & 0xff);
}

/* A variable-length quantity: 7 bits a byte, high bit set on all but the last. */
static void put_vlq(bytes *b, uint32_t v)
{
    unsigned char buf[5];
    int n = 0;
    buf[n++] = v & 0x7f;
    while (v >>= 7)
        buf[n++] = (unsigned char)((v & 0x7f) | 0x80);
    while (n--)
        put_byte(b, buf[n]);
}

int rc_midi_save(const char *path, const float *frames, size_t T, unsigned ticks_per_step, unsigned bpm)
{
    if (!path || !frames || T == 0 || ticks_per_step == 0 || bpm == 0 || bpm > 1000)
        return rc__fail(RC_EINVAL, "rc_midi_save: needs a path, frames, ticks per step >= 1 and a tempo");
    bytes track = {0};
    uint32_t us_per_quarter = 60000000u / bpm;
    put_vlq(&track, 0); /* tempo */
    put(&track, "\xff\x51\x03", 3);
    put_be(&track, us_per_quarter, 3);
    uint32_t delta = 0;
    for (size_t t = 0; t <= T; t++) {
        for (int on = 0; on < 2; on++) /* note-offs first, then note-ons */
            for (int k = 0; k < RC_PIANO_KEYS; k++) {
                int now = t < T && frames[t * RC_PIANO_KEYS + k] > 0.5f;
                int before = t > 0 && frames[(t - 1) * RC_PIANO_KEYS + k] > 0.5f;
                if (on ? now && !before : before && !now) {
                    put_vlq(&track, delta);
                    delta = 0;
                    put_byte(&track, on ? 0x90 : 0x80);
                    put_byte(&track, (unsigned)(RC_PIANO_LOWEST + k));
                    put_byte(&track, on ? 80 : 0);
                }
            }
        delta += ticks_per_step;
    }
    put_vlq(&track, 0); /* end of track */
    put(&track, "\xff\x2f\x00", 3);
    bytes file = {0};
    put(&file, "MThd", 4);
    put_be(&file, 6, 4);
    put_be(&file, 0, 2);   /* format 0 */
    put_be(&file, 1, 2);   /* one track */
    put_be(&file, 480, 2); /* ticks per quarter note */
    put(&file, "MTrk", 4);
    put_be(&file, (uint32_t)track.n, 4);
    if (!track.failed)
        put(&file, track.p, track.n);
    int status = track.failed || file.failed ? rc__fail(RC_ENOMEM, "%s: out of memory", path)
                                             : rc_write_file(path, file.p, file.n);
    free(track.p);
    free(file.p);
    return status;
}
