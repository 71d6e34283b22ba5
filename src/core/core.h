/* core.h — internal helpers of the core layer: errors, checked sizes, the
 * arena, tensor construction.  Not part of the public API. */
#ifndef RC_CORE_H
#define RC_CORE_H

#include "recur.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#if defined(__GNUC__)
#define RC__PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RC__PRINTF(f, a)
#endif

/* Records status and a printf-style message for rc_last_error(); returns
 * status so callers can write `return rc__fail(RC_EINVAL, "...")`. */
int rc__fail(int status, const char *fmt, ...) RC__PRINTF(2, 3);
/* The same, for functions that return a pointer: always NULL. */
void *rc__fail_null(int status, const char *fmt, ...) RC__PRINTF(2, 3);

/* Index of name in table[n] (NULL entries skipped), or -1. */
int rc__name_index(const char *const *table, int n, const char *name);

/* Atomic file writing: rc__atomic_open gives a stream on a temporary file
 * beside path (its name in tmp[cap]); rc__atomic_commit flushes, syncs and
 * renames it over path, or removes it when ok is 0 or anything failed.
 * Returns a status naming path. */
FILE *rc__atomic_open(const char *path, char *tmp, size_t cap);
int rc__atomic_commit(FILE *f, const char *tmp, const char *path, int ok);

/* Folders: rc__dir_files lists the files of folder path whose names end in
 * one of suffixes (a NULL-terminated list, ASCII case ignored) as malloc'd
 * paths "path/name" in name order; `what` names them in the error when
 * there is none.  Returns RC__NOT_A_FOLDER (no error set) when path is not
 * a folder.  Free the list with rc__names_free. */
enum { RC__NOT_A_FOLDER = -1 };
int rc__dir_files(const char *path, const char *const *suffixes, const char *what, char ***names, size_t *n);
void rc__names_free(char **names, size_t n);
int rc__name_has_suffix(const char *name, const char *const *suffixes);

/* Overflow-safe size arithmetic: false when the result does not fit. */
bool rc__mul_size(size_t a, size_t b, size_t *out);
bool rc__add_size(size_t a, size_t b, size_t *out);

/* Checks ndim and shape (every entry >= 1, product fits in size_t / sizeof
 * float) and writes the element count to *numel.  `who` names the caller in
 * the error message. */
int rc__shape_numel(const char *who, int ndim, const size_t *shape, size_t *numel);

/* 64-byte aligned allocation (for SIMD loads), freed with rc__free_aligned. */
void *rc__alloc_aligned(size_t bytes);
void rc__free_aligned(void *p);

/* An arena: a list of large chunks handed out by bumping a cursor.  Reset
 * keeps the chunks, so a loop that allocates the same way each iteration
 * stops calling malloc after the first one. */
typedef struct rc__chunk rc__chunk;
typedef struct rc__arena {
    rc__chunk *head;       /* first chunk */
    rc__chunk *current;    /* chunk being filled */
    size_t chunk_bytes;    /* default size of a new chunk */
    size_t reserved;       /* bytes held in all chunks */
} rc__arena;

void rc__arena_init(rc__arena *a, size_t chunk_bytes);
void rc__arena_free(rc__arena *a);
void rc__arena_reset(rc__arena *a);
/* 64-byte aligned, uninitialized; NULL (with RC_ENOMEM set) on failure. */
void *rc__arena_alloc(rc__arena *a, size_t bytes);
void *rc__arena_calloc(rc__arena *a, size_t count, size_t size);

/* Who frees a tensor's memory (rc_tensor.owner).  A view's struct is in a
 * tape's arena and its data is a window of another tensor's (rc__tape_view). */
enum { RC__OWNER_HEAP = 1, RC__OWNER_ARENA = 2, RC__OWNER_PARAMS = 3, RC__OWNER_VIEW = 4 };

/* Sets ndim, shape (unused entries 1) and size of t; shape must be valid. */
void rc__tensor_set_shape(rc_tensor *t, int ndim, const size_t *shape, size_t size);

/* Resolves a possibly negative axis against ndim; -1 with the error set when
 * out of range. */
int rc__axis(const char *who, const rc_tensor *t, int axis);

#endif /* RC_CORE_H */
