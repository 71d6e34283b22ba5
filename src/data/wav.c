/* wav.c — RIFF WAVE files of PCM samples (8-bit unsigned, 16-bit signed,
 * little-endian), channels averaged into one. */
#include "../core/core.h"

#include <stdlib.h>
#include <string.h>

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p) { return (unsigned)p[0] | (unsigned)p[1] << 8; }

rc_tensor *rc_wav_load(const char *path, unsigned *sample_rate)
{
    size_t size;
    unsigned char *b = (unsigned char *)rc_read_file(path, &size);
    if (!b)
        return NULL;
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
done:
    free(b);
    return t;
}
