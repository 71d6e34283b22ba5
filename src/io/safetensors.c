/* safetensors.c — reading and writing safetensors files.
 *
 * Layout: u64 little-endian N, N bytes of JSON
 *   {"__metadata__": {"k": "v", ...},
 *    "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...}
 * then the data; offsets count from the first byte after the header.  Every
 * number read from the file is checked before it is used: N against the
 * file size, each shape's element count and byte size against overflow,
 * each byte range against the data and against the dtype and shape. */
#include "../core/core.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "rc_safetensors_save writes floats as they are in memory: a little-endian host is needed"
#endif

#define RC__ST_MAX_DIMS 8
#define RC__ST_MAX_HEADER ((uint64_t)100 << 20) /* the reference implementation's limit */

enum dtype { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

typedef struct {
    char *name;
    char dtype[8];
    enum dtype kind;
    size_t elem_bytes;
    int ndim;
    size_t shape[RC__ST_MAX_DIMS];
    size_t numel;
    const unsigned char *data; /* into the file image */
} st_entry;

struct rc_safetensors {
    char *path;
    unsigned char *file;  /* the whole file */
    st_entry *entries;    /* [count] */
    size_t count;
    cJSON *metadata;      /* detached __metadata__ object, or NULL */
};

static const struct {
    const char *name;
    size_t bytes;
} dtypes[] = {[F32] = {"F32", 4}, [F16] = {"F16", 2}, [BF16] = {"BF16", 2}, [F64] = {"F64", 8},
              [I64] = {"I64", 8}, [I32] = {"I32", 4}, [I16] = {"I16", 2},   [I8] = {"I8", 1},
              [U8] = {"U8", 1},   [BOOL] = {"BOOL", 1}};

/* Sets e's kind and element size from a dtype name; 0 when unknown. */
static int resolve_dtype(st_entry *e, const char *name)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (strcmp(dtypes[i].name, name) == 0) {
            e->kind = (enum dtype)i;
            e->elem_bytes = dtypes[i].bytes;
            snprintf(e->dtype, sizeof e->dtype, "%s", name);
            return 1;
        }
    return 0;
}

void rc_safetensors_free(rc_safetensors *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->count; i++)
        free(st->entries[i].name);
    free(st->entries);
    cJSON_Delete(st->metadata);
    free(st->file);
    free(st->path);
    free(st);
}

/* A non-negative integer that fits in size_t, from a JSON number. */
static int json_size(const cJSON *v, size_t *out)
{
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0.0) || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble >= 9007199254740992.0 /* 2^53: beyond it doubles skip integers */)
        return 0;
    *out = (size_t)v->valuedouble;
    return 1;
}

static int parse_entry(rc_safetensors *st, const cJSON *item, st_entry *e, const unsigned char *data,
                       size_t data_size)
{
    const char *path = st->path, *name = item->string;
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offsets = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    if (!cJSON_IsObject(item) || !cJSON_IsString(dtype) || !cJSON_IsArray(shape) ||
        !cJSON_IsArray(offsets) || cJSON_GetArraySize(offsets) != 2)
        return rc__fail(RC_EFORMAT, "%s: tensor '%s' needs dtype, shape and data_offsets [begin, end]",
                        path, name);
    if (!resolve_dtype(e, dtype->valuestring))
        return rc__fail(RC_EFORMAT, "%s: tensor '%s' has unknown dtype '%.16s'", path, name,
                        dtype->valuestring);
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > RC__ST_MAX_DIMS)
        return rc__fail(RC_EUNSUPPORTED, "%s: tensor '%s' has %d dimensions (at most %d)", path, name,
                        ndim, RC__ST_MAX_DIMS);
    e->ndim = ndim;
    e->numel = 1;
    for (int d = 0; d < ndim; d++) {
        if (!json_size(cJSON_GetArrayItem(shape, d), &e->shape[d]))
            return rc__fail(RC_EFORMAT, "%s: tensor '%s': dimension %d is not a size", path, name, d);
        if (!rc__mul_size(e->numel, e->shape[d], &e->numel))
            return rc__fail(RC_EFORMAT, "%s: tensor '%s': shape overflows", path, name);
    }
    size_t begin, end, bytes;
    if (!json_size(cJSON_GetArrayItem(offsets, 0), &begin) ||
        !json_size(cJSON_GetArrayItem(offsets, 1), &end) || begin > end || end > data_size)
        return rc__fail(RC_EFORMAT, "%s: tensor '%s': data_offsets are not a range inside the %zu "
                                    "data bytes",
                        path, name, data_size);
    if (!rc__mul_size(e->numel, e->elem_bytes, &bytes) || bytes != end - begin)
        return rc__fail(RC_EFORMAT, "%s: tensor '%s': %zu bytes of data for %zu elements of %s",
                        path, name, end - begin, e->numel, e->dtype);
    e->data = data + begin;
    e->name = strdup(name);
    return e->name ? RC_OK : rc__fail(RC_ENOMEM, "%s: out of memory", path);
}

/* A tensor's byte range in the data buffer, for the tiling check. */
typedef struct {
    size_t begin, end, index;
} st_range;

static int by_begin(const void *a, const void *b)
{
    const st_range *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : x->end < y->end ? -1 : x->end > y->end;
}

/* The format's rule: the tensors' byte ranges tile the data buffer exactly,
 * with no byte shared and none left over. */
static int check_tiling(const rc_safetensors *st, const unsigned char *data, size_t data_size)
{
    st_range *r = malloc((st->count ? st->count : 1) * sizeof *r);
    if (!r)
        return rc__fail(RC_ENOMEM, "%s: out of memory", st->path);
    for (size_t i = 0; i < st->count; i++) {
        const st_entry *e = &st->entries[i];
        r[i].begin = (size_t)(e->data - data), r[i].end = r[i].begin + e->numel * e->elem_bytes, r[i].index = i;
    }
    qsort(r, st->count, sizeof *r, by_begin);
    size_t at = 0;
    int status = RC_OK;
    for (size_t i = 0; i < st->count && !status; i++) {
        const char *name = st->entries[r[i].index].name;
        if (r[i].begin < at)
            status = rc__fail(RC_EFORMAT, "%s: tensor '%s' (data bytes %zu..%zu) overlaps tensor '%s'", st->path,
                              name, r[i].begin, r[i].end, st->entries[r[i - 1].index].name);
        else if (r[i].begin > at)
            status = rc__fail(RC_EFORMAT, "%s: data bytes %zu..%zu belong to no tensor (before '%s')", st->path,
                              at, r[i].begin, name);
        at = r[i].end > at ? r[i].end : at;
    }
    if (!status && at != data_size)
        status = rc__fail(RC_EFORMAT, "%s: data bytes %zu..%zu belong to no tensor (after the last)", st->path, at,
                          data_size);
    free(r);
    return status;
}

/* __metadata__ maps strings to strings. */
static int check_metadata(const rc_safetensors *st)
{
    if (!st->metadata)
        return RC_OK;
    if (!cJSON_IsObject(st->metadata))
        return rc__fail(RC_EFORMAT, "%s: __metadata__ is not an object", st->path);
    for (const cJSON *v = st->metadata->child; v; v = v->next)
        if (!cJSON_IsString(v))
            return rc__fail(RC_EFORMAT, "%s: __metadata__ '%s' is not a string (metadata maps strings to strings)",
                            st->path, v->string);
    return RC_OK;
}

rc_safetensors *rc_safetensors_load(const char *path)
{
    if (!path)
        return rc__fail_null(RC_EINVAL, "rc_safetensors_load: path is NULL");
    rc_safetensors *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        return rc__fail_null(RC_ENOMEM, "rc_safetensors_load: out of memory");
    }
    size_t size = 0;
    st->file = (unsigned char *)rc_read_file(path, &size);
    if (!st->file)
        goto fail;
    if (size < 8) {
        rc__fail(RC_EFORMAT, "%s: %zu bytes is too short for a safetensors file", path, size);
        goto fail;
    }
    /* a safetensors file: 8 bytes of header length, then its JSON header */
    if (size == 8 || (st->file[8] != '{' && st->file[8] != '[')) {
        const unsigned char *f = st->file;
        const char *looks = size >= 4 && !memcmp(f, "PK\003\004", 4) ? " (it is a zip archive, as torch.save writes)"
                            : size >= 1 && f[0] == 0x80                ? " (it is a Python pickle)"
                                                                       : "";
        rc__fail(RC_EFORMAT, "%s: not a safetensors file%s; export PyTorch weights with tools/export_pytorch.py",
                 path, looks);
        goto fail;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | st->file[i];
    if (n > size - 8 || n > RC__ST_MAX_HEADER) {
        rc__fail(RC_EFORMAT, "%s: header length %llu does not fit in the %zu-byte file", path,
                 (unsigned long long)n, size);
        goto fail;
    }
    cJSON *root = cJSON_ParseWithLength((const char *)st->file + 8, (size_t)n);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        rc__fail(RC_EFORMAT, "%s: the header is not a JSON object", path);
        goto fail;
    }
    st->metadata = cJSON_DetachItemFromObjectCaseSensitive(root, "__metadata__");
    if (check_metadata(st)) {
        cJSON_Delete(root);
        goto fail;
    }
    int count = cJSON_GetArraySize(root);
    st->entries = calloc(count ? (size_t)count : 1, sizeof *st->entries);
    if (!st->entries) {
        cJSON_Delete(root);
        rc__fail(RC_ENOMEM, "%s: out of memory", path);
        goto fail;
    }
    const unsigned char *data = st->file + 8 + n;
    for (cJSON *item = root->child; item; item = item->next) {
        if (parse_entry(st, item, &st->entries[st->count], data, size - 8 - (size_t)n)) {
            cJSON_Delete(root);
            goto fail;
        }
        if (rc_safetensors_find(st, item->string) >= 0) {
            rc__fail(RC_EFORMAT, "%s: tensor '%s' appears twice in the header", path, item->string);
            free(st->entries[st->count].name);
            cJSON_Delete(root);
            goto fail;
        }
        st->count++;
    }
    cJSON_Delete(root);
    if (check_tiling(st, data, size - 8 - (size_t)n))
        goto fail;
    return st;
fail:
    rc_safetensors_free(st);
    return NULL;
}

size_t rc_safetensors_count(const rc_safetensors *st) { return st->count; }

const char *rc_safetensors_name(const rc_safetensors *st, size_t i)
{
    return i < st->count ? st->entries[i].name : NULL;
}

const char *rc_safetensors_dtype(const rc_safetensors *st, size_t i)
{
    return i < st->count ? st->entries[i].dtype : NULL;
}

int rc_safetensors_shape(const rc_safetensors *st, size_t i, size_t *shape, int max)
{
    if (i >= st->count)
        return -1;
    const st_entry *e = &st->entries[i];
    for (int d = 0; d < e->ndim && d < max; d++)
        shape[d] = e->shape[d];
    return e->ndim;
}

long rc_safetensors_find(const rc_safetensors *st, const char *name)
{
    for (size_t i = 0; name && i < st->count; i++)
        if (strcmp(st->entries[i].name, name) == 0)
            return (long)i;
    return -1;
}

const char *rc_safetensors_metadata(const rc_safetensors *st, const char *key)
{
    const cJSON *v = st->metadata ? cJSON_GetObjectItemCaseSensitive(st->metadata, key) : NULL;
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

size_t rc_safetensors_metadata_count(const rc_safetensors *st)
{
    return st->metadata ? (size_t)cJSON_GetArraySize(st->metadata) : 0;
}

const char *rc_safetensors_metadata_key(const rc_safetensors *st, size_t i)
{
    const cJSON *v = st->metadata && i < rc_safetensors_metadata_count(st) ? cJSON_GetArrayItem(st->metadata, (int)i)
                                                                           : NULL;
    return v ? v->string : NULL;
}

/* IEEE half and bfloat16 to float. */
static float from_f16(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 31, mant = h & 1023;
    float v;
    if (exp == 0)
        v = ldexpf((float)mant, -24); /* zero or subnormal */
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexpf((float)(mant | 1024), (int)exp - 25);
    return sign ? -v : v;
}

static float from_bf16(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Element k of e as float; *exact is cleared when an integer does not fit. */
static float element(const st_entry *e, size_t k, int *exact)
{
    const unsigned char *p = e->data + k * e->elem_bytes;
    uint64_t u = 0;
    for (size_t i = e->elem_bytes; i-- > 0;)
        u = u << 8 | p[i];
    int64_t iv;
    switch (e->kind) {
    case F32: {
        uint32_t w = (uint32_t)u;
        float v;
        memcpy(&v, &w, sizeof v);
        return v;
    }
    case F16: return from_f16((uint16_t)u);
    case BF16: return from_bf16((uint16_t)u);
    case F64: {
        double v;
        memcpy(&v, &u, sizeof v);
        return (float)v;
    }
    case I64: iv = (int64_t)u; break;
    case I32: iv = (int32_t)(uint32_t)u; break;
    case I16: iv = (int16_t)(uint16_t)u; break;
    case I8: iv = (int8_t)(uint8_t)u; break;
    default: iv = (int64_t)u; break; /* U8, BOOL */
    }
    if (iv > 16777216 || iv < -16777216)
        *exact = 0;
    return (float)iv;
}

rc_tensor *rc_safetensors_tensor(const rc_safetensors *st, const char *name)
{
    long i = rc_safetensors_find(st, name);
    if (i < 0)
        return rc__fail_null(RC_EFORMAT, "%s: no tensor named '%s'", st->path, name);
    const st_entry *e = &st->entries[i];
    if (e->ndim > RC_MAX_DIMS)
        return rc__fail_null(RC_EUNSUPPORTED, "%s: tensor '%s' has %d dimensions (at most %d)",
                             st->path, name, e->ndim, RC_MAX_DIMS);
    if (e->numel == 0)
        return rc__fail_null(RC_EUNSUPPORTED, "%s: tensor '%s' is empty", st->path, name);
    rc_tensor *t = e->ndim ? rc_tensor_new(e->ndim, e->shape) : rc_tensor_new(1, (size_t[]){1});
    if (!t)
        return rc__fail_null(rc_last_status(), "%s: tensor '%s': cannot allocate %zu elements",
                             st->path, name, e->numel);
    int exact = 1;
    for (size_t k = 0; k < e->numel; k++)
        t->data[k] = element(e, k, &exact);
    if (!exact) {
        rc_tensor_free(t);
        return rc__fail_null(RC_EFORMAT, "%s: tensor '%s' holds integers too large for float",
                             st->path, name);
    }
    return t;
}

/* ------------------------------------------------------------ writing */

static char *header_json(size_t n, const char *const *names, const rc_tensor *const *tensors,
                         size_t n_meta, const char *const *keys, const char *const *values)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root != NULL;
    if (ok && n_meta) {
        cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
        for (size_t i = 0; ok && i < n_meta; i++)
            ok = meta && cJSON_AddStringToObject(meta, keys[i], values[i]);
    }
    size_t offset = 0;
    for (size_t i = 0; ok && i < n; i++) {
        cJSON *t = cJSON_AddObjectToObject(root, names[i]);
        cJSON *shape = t ? cJSON_AddArrayToObject(t, "shape") : NULL;
        cJSON *off = t ? cJSON_AddArrayToObject(t, "data_offsets") : NULL;
        ok = t && shape && off && cJSON_AddStringToObject(t, "dtype", "F32");
        for (int d = 0; ok && d < tensors[i]->ndim; d++)
            ok = cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)tensors[i]->shape[d]));
        size_t end = offset + tensors[i]->size * sizeof(float);
        ok = ok && cJSON_AddItemToArray(off, cJSON_CreateNumber((double)offset)) &&
             cJSON_AddItemToArray(off, cJSON_CreateNumber((double)end));
        offset = end;
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static int write_all(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n; }

int rc_safetensors_save(const char *path, size_t n, const char *const *names,
                        const rc_tensor *const *tensors, size_t n_meta,
                        const char *const *meta_keys, const char *const *meta_values)
{
    if (!path || (n && (!names || !tensors)) || (n_meta && (!meta_keys || !meta_values)))
        return rc__fail(RC_EINVAL, "rc_safetensors_save: NULL argument");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return rc__fail(RC_EINVAL, "rc_safetensors_save: tensor name '%s' appears twice",
                                names[i]);
    char *json = header_json(n, names, tensors, n_meta, meta_keys, meta_values);
    if (!json)
        return rc__fail(RC_ENOMEM, "%s: cannot build the header", path);
    /* Pad the header with spaces to 8 bytes, as the reference writer does. */
    size_t len = strlen(json), padded = (len + 7) / 8 * 8;
    unsigned char head[8];
    for (int i = 0; i < 8; i++)
        head[i] = (unsigned char)((uint64_t)padded >> (8 * i));

    char tmp[4096];
    FILE *f = rc__atomic_open(path, tmp, sizeof tmp);
    if (!f) {
        free(json);
        return rc_last_status();
    }
    int ok = write_all(f, head, 8) && write_all(f, json, len);
    for (size_t i = len; ok && i < padded; i++)
        ok = fputc(' ', f) != EOF;
    for (size_t i = 0; ok && i < n; i++) /* little-endian hosts write floats as they are */
        ok = write_all(f, tensors[i]->data, tensors[i]->size * sizeof(float));
    free(json);
    return rc__atomic_commit(f, tmp, path, ok);
}
