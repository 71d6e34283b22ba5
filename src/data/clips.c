/* clips.c — sets of named audio clips: WAV files read from one file, a
 * folder, or an archive (tar, tar.gz, zip, ... through libarchive), kept in
 * name order; and their dequantization. */
#include "data.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name;      /* the file name, without folders */
    char *key;       /* what the order is by: the path in the folder or archive */
    rc_tensor *x;    /* [n] samples */
    unsigned bits;   /* 8 or 16 for WAV samples, 0 for samples given as floats */
} clip;

struct rc_clips {
    clip *c;         /* [n] */
    size_t n, cap;
    unsigned rate;
};

static const char *const wav_suffixes[] = {".wav", ".wave", NULL};

rc_clips *rc_clips_new(unsigned sample_rate)
{
    if (sample_rate == 0)
        return rc__fail_null(RC_EINVAL, "rc_clips_new: the sample rate must be positive");
    rc_clips *c = calloc(1, sizeof *c);
    if (!c)
        return rc__fail_null(RC_ENOMEM, "clips: out of memory");
    c->rate = sample_rate;
    return c;
}

void rc_clips_free(rc_clips *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->c[i].name);
        free(c->c[i].key);
        rc_tensor_free(c->c[i].x);
    }
    free(c->c);
    free(c);
}

size_t rc_clips_count(const rc_clips *c) { return c->n; }
const char *rc_clips_name(const rc_clips *c, size_t i) { return i < c->n ? c->c[i].name : NULL; }
size_t rc_clips_length(const rc_clips *c, size_t i) { return i < c->n ? c->c[i].x->size : 0; }
const float *rc_clips_samples(const rc_clips *c, size_t i) { return i < c->n ? c->c[i].x->data : NULL; }
unsigned rc_clips_rate(const rc_clips *c) { return c->rate; }

/* Takes x (freed on failure) as clip `key`. */
static int add_tensor(rc_clips *c, const char *key, rc_tensor *x, unsigned bits)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        clip *q = realloc(c->c, cap * sizeof *q);
        if (!q) {
            rc_tensor_free(x);
            return rc__fail(RC_ENOMEM, "clips: out of memory");
        }
        c->c = q, c->cap = cap;
    }
    const char *slash = strrchr(key, '/');
    clip *k = &c->c[c->n];
    k->name = strdup(slash ? slash + 1 : key);
    k->key = strdup(key);
    k->x = x;
    k->bits = bits;
    if (!k->name || !k->key) {
        free(k->name), free(k->key);
        rc_tensor_free(x);
        return rc__fail(RC_ENOMEM, "clips: out of memory");
    }
    c->n++;
    return RC_OK;
}

int rc_clips_add(rc_clips *c, const char *name, const float *samples, size_t n)
{
    if (!c || !name || !samples || n == 0)
        return rc__fail(RC_EINVAL, "rc_clips_add: needs clips, a name and at least one sample");
    rc_tensor *x = rc_tensor_new(1, (size_t[]){n});
    if (!x)
        return rc_last_status();
    memcpy(x->data, samples, n * sizeof *samples);
    return add_tensor(c, name, x, 0);
}

/* Decodes one WAV file's bytes into clip `key` of c; the first one sets the
 * rate (c->rate 0), the others must match it. */
static int add_wav(rc_clips *c, const char *key, const unsigned char *b, size_t size)
{
    unsigned rate = 0, bits = 0;
    rc_tensor *x = rc__wav_decode(b, size, key, &rate, &bits);
    if (!x)
        return rc_last_status();
    if (c->rate && rate != c->rate) {
        rc_tensor_free(x);
        return rc__fail(RC_EFORMAT, "%s: %u Hz, but the clips before it are %u Hz (resample them to one rate)",
                        key, rate, c->rate);
    }
    c->rate = rate;
    return add_tensor(c, key, x, bits);
}

static int add_wav_file(rc_clips *c, const char *path)
{
    size_t size;
    unsigned char *b = (unsigned char *)rc_read_file(path, &size);
    if (!b)
        return rc_last_status();
    int status = add_wav(c, path, b, size);
    free(b);
    return status;
}

/* The .wav members of an archive; path names it in errors. */
static int add_archive(rc_clips *c, const char *path)
{
    struct archive *a = archive_read_new();
    if (!a)
        return rc__fail(RC_ENOMEM, "%s: out of memory opening the archive", path);
    archive_read_support_filter_all(a);
    archive_read_support_format_all(a);
    int status = RC_OK;
    unsigned char *buf = NULL;
    size_t cap = 0;
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
        status = rc__fail(RC_EFORMAT, "%s: not a .wav file, a folder or an archive of WAV files (%s)", path,
                          archive_error_string(a));
        goto done;
    }
    struct archive_entry *e;
    int r;
    while (!status && (r = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        if (archive_entry_filetype(e) != AE_IFREG || !name || !rc__name_has_suffix(name, wav_suffixes))
            continue;
        size_t used = 0;
        for (;;) { /* the member's bytes, whatever size its header claims */
            if (cap - used < 1 << 16) {
                size_t next = cap ? 2 * cap : 1 << 20;
                unsigned char *q = next > cap ? realloc(buf, next) : NULL;
                if (!q) {
                    status = rc__fail(RC_ENOMEM, "%s: %s: member too large to read", path, name);
                    break;
                }
                buf = q, cap = next;
            }
            la_ssize_t got = archive_read_data(a, buf + used, cap - used);
            if (got < 0) {
                status = rc__fail(RC_EFORMAT, "%s: %s: %s", path, name, archive_error_string(a));
                break;
            }
            if (got == 0)
                break;
            used += (size_t)got;
        }
        if (!status)
            status = add_wav(c, name, buf, used);
    }
    if (!status && r != ARCHIVE_EOF)
        status = rc__fail(RC_EFORMAT, "%s: %s", path, archive_error_string(a));
    if (!status && c->n == 0)
        status = rc__fail(RC_EFORMAT, "%s: no .wav files in the archive", path);
done:
    free(buf);
    archive_read_free(a);
    return status;
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const clip *)a)->key, ((const clip *)b)->key);
}

rc_clips *rc_clips_load(const char *path)
{
    if (!path)
        return rc__fail_null(RC_EINVAL, "rc_clips_load: NULL path");
    rc_clips *c = calloc(1, sizeof *c);
    if (!c)
        return rc__fail_null(RC_ENOMEM, "clips: out of memory");
    char **names;
    size_t n;
    int status = rc__dir_files(path, wav_suffixes, ".wav", &names, &n);
    if (status == RC__NOT_A_FOLDER)
        status = rc__name_has_suffix(path, wav_suffixes) ? add_wav_file(c, path) : add_archive(c, path);
    for (size_t i = 0; !status && i < n; i++)
        status = add_wav_file(c, names[i]);
    rc__names_free(names, n);
    if (status) {
        rc_clips_free(c);
        return NULL;
    }
    qsort(c->c, c->n, sizeof *c->c, by_key);
    return c;
}

/* x + (u - 1/2) q, u uniform in [0, 1), q = 2 / 2^bits the step between
 * levels (Theis, van den Oord & Bethge 2016, "A note on the evaluation of
 * generative models"). */
void rc_clips_dequantize(rc_clips *c, uint64_t seed)
{
    rc_rng rng;
    rc_rng_seed(&rng, seed, 0);
    for (size_t i = 0; c && i < c->n; i++) {
        if (!c->c[i].bits)
            continue;
        float q = 2.0f / (float)(1u << c->c[i].bits);
        float *x = c->c[i].x->data;
        for (size_t k = 0; k < c->c[i].x->size; k++)
            x[k] += (rc_rng_uniform(&rng) - 0.5f) * q;
        c->c[i].bits = 0; /* once only */
    }
}
