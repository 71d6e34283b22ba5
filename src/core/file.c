/* file.c — reading a whole file. */
#include "core.h"

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
