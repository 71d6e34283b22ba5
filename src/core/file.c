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

int rc_write_file(const char *path, const void *data, size_t len)
{
    if (!path || (len && !data))
        return rc__fail(RC_EINVAL, "rc_write_file: NULL argument");
    size_t cap = strlen(path) + 32;
    char *tmp = malloc(cap);
    if (!tmp)
        return rc__fail(RC_ENOMEM, "%s: out of memory", path);
    snprintf(tmp, cap, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int saved = errno;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        if (ok)
            saved = errno;
        remove(tmp);
        free(tmp);
        return rc__fail(RC_EIO, "%s: cannot write: %s", path, strerror(saved));
    }
    free(tmp);
    return RC_OK;
}
