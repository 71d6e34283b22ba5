/* csv.c — numeric CSV files: a table of numbers, comma-separated, with an
 * optional header line.  Two passes: the shape, then the numbers. */
#include "../core/core.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The line starting at s: returns where the next one starts, *stop is its
 * end without '\r'. */
static const char *next_line(const char *s, const char *end, const char **stop)
{
    const char *e = memchr(s, '\n', (size_t)(end - s));
    e = e ? e : end;
    *stop = e;
    while (*stop > s && (*stop)[-1] == '\r')
        (*stop)--;
    return e + 1;
}

/* The end of the cell starting at s on a line ending at stop. */
static const char *cell_end(const char *s, const char *stop)
{
    const char *comma = memchr(s, ',', (size_t)(stop - s));
    return comma ? comma : stop;
}

/* Parses the cell [s, end) as a number; 0 when it is not one. */
static int number(const char *s, const char *end, float *out)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (s == end || end - s > 63)
        return 0;
    char buf[64];
    memcpy(buf, s, (size_t)(end - s));
    buf[end - s] = '\0';
    char *rest;
    errno = 0;
    double v = strtod(buf, &rest);
    if (*rest || errno == ERANGE)
        return 0;
    *out = (float)v;
    return 1;
}

static size_t cells_in(const char *s, const char *stop)
{
    size_t n = 1;
    for (; s < stop; s++)
        n += *s == ',';
    return n;
}

rc_tensor *rc_csv_load(const char *path)
{
    size_t len;
    char *text = rc_read_file(path, &len);
    if (!text)
        return NULL;
    const char *end = text + len, *first = NULL, *stop;
    rc_tensor *t = NULL;
    size_t rows = 0, cols = 0, line = 0;
    for (const char *s = text; s < end; line++, s = next_line(s, end, &stop)) {
        next_line(s, end, &stop);
        float v;
        if (stop == s || (!first && !number(s, cell_end(s, stop), &v)))
            continue; /* blank, or the header */
        if (!first)
            first = s, cols = cells_in(s, stop);
        if (cells_in(s, stop) != cols) {
            rc__fail(RC_EFORMAT, "%s: line %zu has %zu columns, the first data line %zu", path, line + 1,
                     cells_in(s, stop), cols);
            goto done;
        }
        rows++;
    }
    if (!rows) {
        rc__fail(RC_EFORMAT, "%s: no rows of numbers", path);
        goto done;
    }
    if (!(t = rc_tensor_new(2, (size_t[]){rows, cols})))
        goto done;
    line = 0;
    size_t r = 0;
    for (const char *s = text; s < end; line++, s = next_line(s, end, &stop)) {
        next_line(s, end, &stop);
        if (stop == s || s < first)
            continue;
        const char *c = s;
        for (size_t k = 0; k < cols; k++, c = cell_end(c, stop) + 1)
            if (!number(c, cell_end(c, stop), &t->data[r * cols + k])) {
                int shown = (int)(cell_end(c, stop) - c > 20 ? 20 : cell_end(c, stop) - c);
                rc__fail(RC_EFORMAT, "%s: line %zu, column %zu: '%.*s' is not a number", path, line + 1, k + 1,
                         shown, c);
                rc_tensor_free(t);
                t = NULL;
                goto done;
            }
        r++;
    }
done:
    free(text);
    return t;
}
