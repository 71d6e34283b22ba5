/* wav.c — RIFF WAVE files of PCM samples (8-bit unsigned, 16-bit signed,
 * little-endian), channels averaged into one; and writing 16-bit mono. */
#include "data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

rc_tensor *rc__wav_decode(const unsigned char *b, size_t size, const char *path, unsigned *sample_rate,
                          unsigned *bits_out)
{
    rc_tensor *t = NULL;
    if (size < 12 || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WAVE", 4)) {
        rc__fail(RC_EFORMAT, "%s: not a WAV file (no RIFF/WAVE header)", path);
        goto done;
    }
    unsigned format = 0, channels = 0, bits = 0;
    uint32_t rate = 0;
    const unsigned char *data = NULL;
    size_t data_len = 0, at = 12;
    while (at + 8 <= size) { /* chunks: id, length, body (padded to even) */
        uint32_t len = le32(b + at + 4);
        const unsigned char *body = b + at + 8;
        size_t left = size - at - 8;
        if (!memcmp(b + at, "fmt ", 4)) {
            if (len < 16 || len > left) {
                rc__fail(RC_EFORMAT, "%s: the fmt chunk is %u bytes (16 or more, inside the file, needed)", path,
                         len);
                goto done;
            }
            format = le16(body), channels = le16(body + 2), rate = le32(body + 4), bits = le16(body + 14);
            if (format == 0xFFFE && len >= 26) /* WAVE_FORMAT_EXTENSIBLE: the sub-format's first two bytes */
                format = le16(body + 24);
        } else if (!memcmp(b + at, "data", 4)) {
            data = body;
            data_len = len < left ? len : left; /* a truncated last chunk keeps what is there */
            if (len > left) {
                rc__fail(RC_EFORMAT, "%s: the data chunk claims %u bytes, the file holds %zu", path, len, left);
                goto done;
            }
        }
        if (len > left)
            break;
        at += 8 + (size_t)len + (len & 1);
    }
    if (!format) {
        rc__fail(RC_EFORMAT, "%s: no fmt chunk", path);
        goto done;
    }
    if (format != 1) {
        rc__fail(RC_EUNSUPPORTED, "%s: sample format %u is not PCM (1); convert it, e.g. with sox, to 16-bit PCM",
                 path, format);
        goto done;
    }
    if ((bits != 8 && bits != 16) || channels == 0 || rate == 0) {
        rc__fail(RC_EUNSUPPORTED, "%s: %u-bit samples in %u channels at %u Hz (8 or 16 bits, 1 or more channels "
                                  "are read)",
                 path, bits, channels, rate);
        goto done;
    }
    if (!data || data_len < (bits / 8) * channels) {
        rc__fail(RC_EFORMAT, "%s: no samples (missing or empty data chunk)", path);
        goto done;
    }
    size_t frame = (bits / 8) * channels, n = data_len / frame;
    if (!(t = rc_tensor_new(1, (size_t[]){n})))
        goto done;
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        for (unsigned c = 0; c < channels; c++) {
            const unsigned char *s = data + i * frame + c * (bits / 8);
            sum += bits == 8 ? ((double)s[0] - 128.0) / 128.0 : (double)(int16_t)le16(s) / 32768.0;
        }
        t->data[i] = (float)(sum / channels);
    }
    if (sample_rate)
        *sample_rate = rate;
    if (bits_out)
        *bits_out = bits;
done:
    return t;
}

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8); }

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

int rc_wav_save(const char *path, const float *samples, size_t n, unsigned sample_rate)
{
    if (!path || (n && !samples) || sample_rate == 0)
        return rc__fail(RC_EINVAL, "rc_wav_save: needs a path, samples and a positive rate");
    if (n > (UINT32_MAX - 36) / 2)
        return rc__fail(RC_EINVAL, "%s: %zu samples are too many for a WAV file", path, n);
    unsigned char *b = malloc(44 + 2 * n);
    if (!b)
        return rc__fail(RC_ENOMEM, "%s: out of memory", path);
    memcpy(b, "RIFF", 4);
    put32(b + 4, (uint32_t)(36 + 2 * n));
    memcpy(b + 8, "WAVEfmt ", 8);
    put32(b + 16, 16);
    put16(b + 20, 1); /* PCM */
    put16(b + 22, 1); /* mono */
    put32(b + 24, sample_rate);
    put32(b + 28, 2 * sample_rate);
    put16(b + 32, 2);
    put16(b + 34, 16);
    memcpy(b + 36, "data", 4);
    put32(b + 40, (uint32_t)(2 * n));
    for (size_t i = 0; i < n; i++) {
        double v = samples[i] != samples[i] ? 0.0 : samples[i] * 32768.0; /* NaN: silence */
        v = v > 32767.0 ? 32767.0 : v < -32768.0 ? -32768.0 : v;
        put16(b + 44 + 2 * i, (unsigned)(uint16_t)(int16_t)lrint(v));
    }
    int status = rc_write_file(path, b, 44 + 2 * n);
    free(b);
    return status;
}

rc_tensor *rc_wav_load(const char *path, unsigned *sample_rate)
{
    size_t size;
    unsigned char *b = (unsigned char *)rc_read_file(path, &size);
    if (!b)
        return NULL;
    rc_tensor *t = rc__wav_decode(b, size, path, sample_rate, NULL);
    free(b);
    return t;
}
