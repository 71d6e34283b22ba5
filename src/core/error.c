/* error.c — status codes and the per-thread detail message. */
#include "core.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_message[512];
static _Thread_local int last_status;

const char *rc_strerror(int status)
{
    switch (status) {
#define RC__STATUS_TEXT(name, value, text) case value: return text;
    RC_STATUS_LIST(RC__STATUS_TEXT)
#undef RC__STATUS_TEXT
    }
    return "unknown status";
}

const char *rc_last_error(void) { return last_message; }

int rc_last_status(void) { return last_status; }

static void set_message(int status, const char *fmt, va_list ap)
{
    last_status = status;
    vsnprintf(last_message, sizeof last_message, fmt, ap);
}

int rc__fail(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_message(status, fmt, ap);
    va_end(ap);
    return status;
}

void *rc__fail_null(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_message(status, fmt, ap);
    va_end(ap);
    return NULL;
}

int rc__name_index(const char *const *table, int n, const char *name)
{
    for (int i = 0; name && i < n; i++)
        if (table[i] && strcmp(table[i], name) == 0)
            return i;
    return -1;
}

bool rc__mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return false;
    *out = a * b;
    return true;
}

bool rc__add_size(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a)
        return false;
    *out = a + b;
    return true;
}
