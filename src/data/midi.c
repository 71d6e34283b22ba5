/* midi.c — Standard MIDI Files (the MIDI 1.0 file format): piano rolls
 * written as format-0 files, and read from format-0 and format-1 files. */
#include "data.h"

#include <math.h>
#include <stdio.h>
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

/* ------------------------------------------------------------ reading */

typedef struct {
    uint64_t start, end;
    int pitch;
} note;

typedef struct {
    uint64_t tick;
    uint32_t us_per_quarter;
} tempo;

typedef struct {
    const char *path;
    const unsigned char *p;
    size_t size, at;
    note *notes;
    size_t n_notes, cap_notes;
    tempo *tempi;
    size_t n_tempi, cap_tempi;
    uint64_t last_tick;
} reader;

static int truncated(reader *r, const char *what)
{
    return rc__fail(RC_EFORMAT, "%s: the file ends inside %s (byte %zu)", r->path, what, r->at);
}

static int read_vlq(reader *r, size_t end, uint32_t *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        if (r->at >= end)
            return truncated(r, "a variable-length number");
        unsigned char c = r->p[r->at++];
        *v = *v << 7 | (c & 0x7f);
        if (!(c & 0x80))
            return RC_OK;
    }
    return rc__fail(RC_EFORMAT, "%s: a variable-length number longer than 4 bytes at byte %zu", r->path, r->at);
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return RC_OK;
    size_t c = *cap ? 2 * *cap : 256;
    void *q = realloc(*p, c * size);
    if (!q)
        return rc__fail(RC_ENOMEM, "MIDI: out of memory");
    *p = q, *cap = c;
    return RC_OK;
}

static int end_note(reader *r, int64_t *active, int pitch, uint64_t tick)
{
    if (active[pitch] < 0)
        return RC_OK; /* a note-off without a note-on: ignored, as players do */
    if (grow((void **)&r->notes, &r->cap_notes, r->n_notes, sizeof *r->notes))
        return RC_ENOMEM;
    r->notes[r->n_notes++] = (note){(uint64_t)active[pitch], tick, pitch};
    active[pitch] = -1;
    return RC_OK;
}

/* One MTrk chunk's events, from r->at to end. */
static int read_track(reader *r, size_t end, int track)
{
    int64_t active[16][128];
    for (int c = 0; c < 16; c++)
        for (int k = 0; k < 128; k++)
            active[c][k] = -1;
    uint64_t tick = 0;
    unsigned running = 0;
    while (r->at < end) {
        uint32_t delta;
        if (read_vlq(r, end, &delta))
            return rc_last_status();
        tick += delta;
        if (r->at >= end)
            return truncated(r, "an event");
        unsigned status = r->p[r->at];
        if (status < 0x80) {
            if (!running)
                return rc__fail(RC_EFORMAT, "%s: track %d: a data byte without a status (byte %zu)", r->path,
                                track, r->at);
            status = running;
        } else {
            r->at++;
        }
        if (status == 0xFF || status == 0xF0 || status == 0xF7) { /* meta, sysex: skipped but tempo */
            running = 0;
            unsigned type = 0;
            if (status == 0xFF) {
                if (r->at >= end)
                    return truncated(r, "a meta event");
                type = r->p[r->at++];
            }
            uint32_t len;
            if (read_vlq(r, end, &len))
                return rc_last_status();
            if (len > end - r->at)
                return truncated(r, "a meta or sysex event");
            if (status == 0xFF && type == 0x51 && len == 3) {
                if (grow((void **)&r->tempi, &r->cap_tempi, r->n_tempi, sizeof *r->tempi))
                    return RC_ENOMEM;
                const unsigned char *q = r->p + r->at;
                uint32_t us = (uint32_t)q[0] << 16 | (uint32_t)q[1] << 8 | q[2];
                r->tempi[r->n_tempi++] = (tempo){tick, us ? us : 1};
            }
            r->at += len;
            if (status == 0xFF && type == 0x2F)
                break; /* end of track */
            continue;
        }
        if (status >= 0xF0)
            return rc__fail(RC_EFORMAT, "%s: track %d: status 0x%02X is not allowed in a file (byte %zu)",
                            r->path, track, status, r->at - 1);
        running = status;
        unsigned kind = status & 0xF0, channel = status & 0x0F, n = kind == 0xC0 || kind == 0xD0 ? 1 : 2;
        if (end - r->at < n)
            return truncated(r, "a channel message");
        unsigned d0 = r->p[r->at], d1 = n == 2 ? r->p[r->at + 1] : 0;
        if (d0 >= 0x80 || d1 >= 0x80)
            return rc__fail(RC_EFORMAT, "%s: track %d: a data byte above 127 at byte %zu", r->path, track, r->at);
        r->at += n;
        if (kind == 0x90 && d1 > 0) {
            if (end_note(r, active[channel], (int)d0, tick)) /* a repeated note-on ends the previous */
                return RC_ENOMEM;
            active[channel][d0] = (int64_t)tick;
            if (channel == 9) /* drums: not part of a piano roll */
                active[channel][d0] = -1;
        } else if (kind == 0x80 || kind == 0x90) {
            if (end_note(r, active[channel], (int)d0, tick))
                return RC_ENOMEM;
        }
    }
    for (int c = 0; c < 16; c++)
        for (int k = 0; k < 128; k++)
            if (end_note(r, active[c], k, tick))
                return RC_ENOMEM;
    r->last_tick = tick > r->last_tick ? tick : r->last_tick;
    return RC_OK;
}

static int by_tick(const void *a, const void *b)
{
    const tempo *x = a, *y = b;
    return x->tick < y->tick ? -1 : x->tick > y->tick;
}

/* Seconds at a tick through the (sorted) tempo map. */
static double seconds_at(const reader *r, unsigned division, uint64_t tick)
{
    double s = 0.0, us = 500000.0; /* 120 bpm until told otherwise */
    uint64_t from = 0;
    for (size_t i = 0; i < r->n_tempi && r->tempi[i].tick <= tick; i++) {
        s += (double)(r->tempi[i].tick - from) * us / division * 1e-6;
        from = r->tempi[i].tick;
        us = r->tempi[i].us_per_quarter;
    }
    return s + (double)(tick - from) * us / division * 1e-6;
}

static int read_file(const char *path, double spq, double fps, rc_rolls *out)
{
    size_t size;
    char *data = rc_read_file(path, &size);
    if (!data)
        return rc_last_status();
    reader r = {path, (const unsigned char *)data, size, 0, NULL, 0, 0, NULL, 0, 0, 0};
    int status = RC_OK;
    float *frames = NULL;
    if (size < 14 || memcmp(data, "MThd", 4) != 0) {
        status = rc__fail(RC_EFORMAT, "%s: not a Standard MIDI File (no MThd header)", path);
        goto done;
    }
    const unsigned char *h = r.p;
    uint32_t hlen = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 | (uint32_t)h[6] << 8 | h[7];
    unsigned format = (unsigned)h[8] << 8 | h[9], tracks = (unsigned)h[10] << 8 | h[11];
    unsigned division = (unsigned)h[12] << 8 | h[13];
    if (hlen < 6 || hlen > size - 8) {
        status = rc__fail(RC_EFORMAT, "%s: header length %u does not fit the file", path, hlen);
        goto done;
    }
    if (format > 1) {
        status = rc__fail(RC_EUNSUPPORTED, "%s: MIDI format %u (only formats 0 and 1 are read)", path, format);
        goto done;
    }
    if (division & 0x8000 || division == 0) {
        status = rc__fail(RC_EUNSUPPORTED, "%s: SMPTE or zero time division (only ticks per quarter note are read)",
                          path);
        goto done;
    }
    r.at = 8 + hlen;
    unsigned found = 0;
    while (r.at + 8 <= size && found < tracks) {
        const unsigned char *c = r.p + r.at;
        uint32_t len = (uint32_t)c[4] << 24 | (uint32_t)c[5] << 16 | (uint32_t)c[6] << 8 | c[7];
        r.at += 8;
        if (len > size - r.at) {
            status = rc__fail(RC_EFORMAT, "%s: chunk %u claims %u bytes, the file has %zu left", path, found + 1,
                              len, size - r.at);
            goto done;
        }
        size_t end = r.at + len;
        if (!memcmp(c, "MTrk", 4) && (status = read_track(&r, end, (int)++found)))
            goto done;
        r.at = end;
    }
    if (found < tracks) {
        status = rc__fail(RC_EFORMAT, "%s: the header announces %u tracks, the file holds %u", path, tracks, found);
        goto done;
    }
    /* notes on the piano only */
    size_t kept = 0;
    uint64_t last = 0;
    for (size_t i = 0; i < r.n_notes; i++)
        if (r.notes[i].pitch >= RC_PIANO_LOWEST && r.notes[i].pitch < RC_PIANO_LOWEST + RC_PIANO_KEYS) {
            r.notes[kept++] = r.notes[i];
            last = r.notes[i].end > last ? r.notes[i].end : last;
        }
    if (kept == 0) {
        status = rc__fail(RC_EFORMAT, "%s: no notes on the piano's keys", path);
        goto done;
    }
    if (r.n_tempi) /* qsort wants a real pointer, even for no elements */
        qsort(r.tempi, r.n_tempi, sizeof *r.tempi, by_tick);
    /* The step of a tick: musical time, or seconds through the tempo map. */
#define STEP_OF(tick) (spq > 0 ? (double)(tick) * spq / division : seconds_at(&r, division, (tick)) * fps)
    /* What a real piece can need, so that a small file cannot ask for gigabytes (one step is
     * 88 floats): at most MAX_STEPS, and at most STEPS_PER_NOTE per note plus MIN_STEPS. */
    enum { MAX_STEPS = 1000000, STEPS_PER_NOTE = 1000, MIN_STEPS = 10000 };
    double span = STEP_OF(last), most = fmin(MAX_STEPS, MIN_STEPS + (double)STEPS_PER_NOTE * (double)kept);
    if (!(span <= most)) {
        if (most == MAX_STEPS)
            status = rc__fail(RC_EFORMAT, "%s: its notes span %.0f steps, more than the %d a piece may have", path,
                              span, MAX_STEPS);
        else
            status = rc__fail(RC_EFORMAT, "%s: its %zu notes span %.0f steps, more than the %.0f read for them (%d "
                                          "per note and %d more: a real piece is not that sparse)",
                              path, kept, span, most, STEPS_PER_NOTE, MIN_STEPS);
        goto done;
    }
    size_t T = (size_t)ceil(span - 1e-9);
    T = T ? T : 1;
    frames = calloc(T * RC_PIANO_KEYS, sizeof *frames);
    if (!frames) {
        status = rc__fail(RC_ENOMEM, "%s: out of memory for %zu steps", path, T);
        goto done;
    }
    for (size_t i = 0; i < kept; i++) {
        size_t f0 = (size_t)llround(STEP_OF(r.notes[i].start)), f1 = (size_t)llround(STEP_OF(r.notes[i].end));
        if (f1 <= f0)
            f1 = f0 + 1; /* a short note keeps its step */
        for (size_t f = f0; f < f1 && f < T; f++)
            frames[f * RC_PIANO_KEYS + (size_t)(r.notes[i].pitch - RC_PIANO_LOWEST)] = 1.0f;
    }
#undef STEP_OF
    status = rc__rolls_append(out, frames, T);
done:
    free(frames);
    free(r.notes);
    free(r.tempi);
    free(data);
    return status;
}

rc_rolls *rc_rolls_load_midi(const char *path, double steps_per_quarter, double frames_per_second)
{
    if (!path || !(steps_per_quarter > 0 || frames_per_second > 0))
        return rc__fail_null(RC_EINVAL, "rc_rolls_load_midi: needs a path and steps per quarter note or "
                                        "frames per second");
    rc_rolls *r = rc__rolls_new();
    if (!r)
        return NULL;
    char **names;
    size_t n;
    int status = rc__dir_files(path, (const char *const[]){".mid", ".midi", NULL}, ".mid or .midi", &names, &n);
    if (status == RC__NOT_A_FOLDER)
        status = read_file(path, steps_per_quarter, frames_per_second, r);
    for (size_t i = 0; !status && i < n; i++)
        status = read_file(names[i], steps_per_quarter, frames_per_second, r);
    rc__names_free(names, n);
    if (status) {
        rc_rolls_free(r);
        return NULL;
    }
    return r;
}
