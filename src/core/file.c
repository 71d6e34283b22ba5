/* file.c — reading a whole file, listing a folder, writing a file whole. */
#include "core.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *rc_read_file(const char *path, size_t *len)
{
    if (!path || !len)
        return rc__fail_null(RC_EINVAL, "rc_read_file: NULL argument");
    FILE *f = fopen(path, "rb");
    if (!f)
        return rc__fail_null(RC_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t used = 0, cap = 0;
    for (;;) {
        if (cap - used < 2) { /* room for a byte and the final NUL */
            size_t next = cap ? 2 * cap : 1 << 16;
            char *b = next > cap ? realloc(buf, next) : NULL;
            if (!b) {
                free(buf);
                fclose(f);
                return rc__fail_null(RC_ENOMEM, "%s: file too large to read", path);
            }
            buf = b, cap = next;
        }
        size_t got = fread(buf + used, 1, cap - used - 1, f);
        used += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return rc__fail_null(RC_EIO, "%s: read error", path);
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

static int suffix_is(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    if (n <= k)
        return 0;
    for (size_t i = 0; i < k; i++) /* ASCII case folding: ".WAV" is ".wav" */
        if ((name[n - k + i] | 0x20) != (suffix[i] | 0x20))
            return 0;
    return 1;
}

int rc__name_has_suffix(const char *name, const char *const *suffixes)
{
    for (size_t i = 0; suffixes[i]; i++)
        if (suffix_is(name, suffixes[i]))
            return 1;
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void rc__names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

int rc__dir_files(const char *path, const char *const *suffixes, const char *what, char ***names, size_t *n)
{
    *names = NULL, *n = 0;
    DIR *dir = opendir(path);
    if (!dir)
        return errno == ENOTDIR ? RC__NOT_A_FOLDER : rc__fail(RC_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 0, plen = strlen(path);
    int status = RC_OK;
    struct dirent *e;
    while (!status && (e = readdir(dir))) {
        if (!rc__name_has_suffix(e->d_name, suffixes))
            continue;
        if (*n == cap) {
            size_t c = cap ? 2 * cap : 64;
            char **q = realloc(*names, c * sizeof *q);
            if (!q) {
                status = rc__fail(RC_ENOMEM, "%s: out of memory listing the folder", path);
                break;
            }
            *names = q, cap = c;
        }
        size_t len = plen + strlen(e->d_name) + 2;
        if (!((*names)[*n] = malloc(len)))
            status = rc__fail(RC_ENOMEM, "%s: out of memory listing the folder", path);
        else
            snprintf((*names)[(*n)++], len, "%s/%s", path, e->d_name);
    }
    closedir(dir);
    if (!status && *n == 0)
        status = rc__fail(RC_EFORMAT, "%s: no %s files in the folder", path, what);
    if (status) {
        rc__names_free(*names, *n);
        *names = NULL, *n = 0;
        return status;
    }
    qsort(*names, *n, sizeof **names, by_name);
    return RC_OK;
}

FILE *rc__atomic_open(const char *path, char *tmp, size_t cap)
{
    snprintf(tmp, cap, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        rc__fail(RC_EIO, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

int rc__atomic_commit(FILE *f, const char *tmp, const char *path, int ok)
{
    ok = ok && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int saved = errno;
    if (fclose(f) != 0 && ok)
        ok = 0, saved = errno;
    if (ok && rename(tmp, path) != 0)
        ok = 0, saved = errno;
    if (!ok) {
        remove(tmp);
        return rc__fail(RC_EIO, "%s: cannot write: %s", path, strerror(saved ? saved : EIO));
    }
    return RC_OK;
}

int rc_write_file(const char *path, const void *data, size_t len)
{
    if (!path || (len && !data))
        return rc__fail(RC_EINVAL, "rc_write_file: NULL argument");
    char tmp[4096];
    FILE *f = rc__atomic_open(path, tmp, sizeof tmp);
    if (!f)
        return rc_last_status();
    return rc__atomic_commit(f, tmp, path, fwrite(data, 1, len, f) == len);
}
