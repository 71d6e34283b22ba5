/* idx.c — IDX files (LeCun et al., the MNIST format), through zlib so that
 * gzip-compressed and plain files read alike.
 *
 * Layout: 0x00 0x00, a type byte, a dimension count, then one big-endian
 * uint32 per dimension, then the elements, big-endian. */
#include "../core/core.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

typedef struct {
    unsigned char code;
    size_t bytes;
    const char *name;
} idx_type;

static const idx_type idx_types[] = {
    {0x08, 1, "u8"}, {0x09, 1, "i8"}, {0x0B, 2, "i16"},
    {0x0C, 4, "i32"}, {0x0D, 4, "f32"}, {0x0E, 8, "f64"},
};

static uint64_t big_endian(const unsigned char *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static float decode(const idx_type *t, const unsigned char *p)
{
    uint64_t v = big_endian(p, t->bytes);
    switch (t->code) {
    case 0x08: return (float)(uint8_t)v;
    case 0x09: return (float)(int8_t)(uint8_t)v;
    case 0x0B: return (float)(int16_t)(uint16_t)v;
    case 0x0C: return (float)(int32_t)(uint32_t)v;
    case 0x0D: {
        uint32_t u = (uint32_t)v;
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    default: {
        double d;
        memcpy(&d, &v, sizeof d);
        return (float)d;
    }
    }
}

/* Reads exactly n bytes; a status naming the file otherwise. */
static int read_exact(gzFile f, const char *path, void *buf, size_t n, const char *what)
{
    unsigned char *p = buf;
    while (n > 0) {
        unsigned chunk = n > (1u << 30) ? (1u << 30) : (unsigned)n;
        int got = gzread(f, p, chunk);
        if (got <= 0) {
            int zerr = 0;
            const char *msg = gzerror(f, &zerr);
            if (zerr != Z_OK && zerr != Z_BUF_ERROR)
                return rc__fail(RC_EFORMAT, "%s: %s while reading the %s", path, msg, what);
            return rc__fail(RC_EFORMAT, "%s: file ends inside the %s", path, what);
        }
        p += got;
        n -= (size_t)got;
    }
    return RC_OK;
}

/* load: `room` bounds the bytes the file can hold after its header. */
static rc_tensor *load(gzFile f, const char *path, uint64_t room)
{
    unsigned char head[4];
    if (read_exact(f, path, head, 4, "header"))
        return NULL;
    if (head[0] != 0 || head[1] != 0)
        return rc__fail_null(RC_EFORMAT, "%s: not an IDX file (magic starts %02x %02x, expected 00 00)",
                             path, head[0], head[1]);
    const idx_type *type = NULL;
    for (size_t i = 0; i < sizeof idx_types / sizeof idx_types[0]; i++)
        if (idx_types[i].code == head[2])
            type = &idx_types[i];
    if (!type)
        return rc__fail_null(RC_EFORMAT, "%s: unknown IDX element type 0x%02x", path, head[2]);
    int ndim = head[3];
    if (ndim < 1 || ndim > RC_MAX_DIMS)
        return rc__fail_null(RC_EUNSUPPORTED, "%s: %d dimensions; 1 to %d are supported", path, ndim,
                             RC_MAX_DIMS);
    unsigned char dims_raw[4 * RC_MAX_DIMS];
    if (read_exact(f, path, dims_raw, 4 * (size_t)ndim, "dimensions"))
        return NULL;
    size_t shape[RC_MAX_DIMS];
    uint64_t declared = type->bytes; /* < 2^8 * (2^32)^4: checked as it grows */
    for (int d = 0; d < ndim; d++) {
        shape[d] = (size_t)big_endian(dims_raw + 4 * d, 4);
        declared = shape[d] && declared > room / shape[d] ? room + 1 : declared * shape[d];
    }
    if (declared > room) /* a lying header must not drive the allocation */
        return rc__fail_null(RC_EFORMAT, "%s: the header declares more data than the file can hold", path);
    rc_tensor *t = rc_tensor_new(ndim, shape);
    if (!t) {
        char detail[256];
        snprintf(detail, sizeof detail, "%s", rc_last_error());
        return rc__fail_null(rc_last_status(), "%s: bad dimensions: %s", path, detail);
    }
    /* Decode through a fixed buffer: no second copy of a large file. */
    unsigned char buf[1 << 16];
    size_t per_buf = sizeof buf / type->bytes;
    for (size_t done = 0; done < t->size;) {
        size_t n = t->size - done < per_buf ? t->size - done : per_buf;
        if (read_exact(f, path, buf, n * type->bytes, "data")) {
            rc_tensor_free(t);
            return NULL;
        }
        for (size_t i = 0; i < n; i++)
            t->data[done + i] = decode(type, buf + i * type->bytes);
        done += n;
    }
    if (gzread(f, buf, 1) > 0) {
        rc__fail(RC_EFORMAT, "%s: data continues past the %zu elements the header declares", path,
                 t->size);
        rc_tensor_free(t);
        return NULL;
    }
    return t;
}

rc_tensor *rc_idx_load(const char *path)
{
    if (!path)
        return rc__fail_null(RC_EINVAL, "rc_idx_load: path is NULL");
    /* What the file can hold: its size, or for gzip at most 1032 times it
     * (deflate's largest expansion). */
    struct stat st;
    if (stat(path, &st) != 0)
        return rc__fail_null(RC_EIO, "%s: cannot open: %s", path, strerror(errno));
    unsigned char magic[2] = {0, 0};
    FILE *raw = fopen(path, "rb");
    if (raw) {
        if (fread(magic, 1, 2, raw) != 2)
            magic[0] = 0;
        fclose(raw);
    }
    uint64_t room = (uint64_t)st.st_size * (magic[0] == 0x1f && magic[1] == 0x8b ? 1032u : 1u);
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return rc__fail_null(RC_EIO, "%s: cannot open: %s", path,
                             errno ? strerror(errno) : "out of memory");
    rc_tensor *t = load(f, path, room);
    gzclose(f);
    return t;
}
