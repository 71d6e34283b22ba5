/* arena.c — bump allocation in reusable chunks, 64-byte aligned. */
#include "core.h"

#include <stdlib.h>
#include <string.h>

#define RC__ALIGN 64

struct rc__chunk {
    rc__chunk *next;
    size_t cap;     /* usable bytes in mem */
    size_t used;    /* bytes handed out since the last reset */
    unsigned char *mem;
};

void *rc__alloc_aligned(size_t bytes)
{
    size_t rounded;
    if (bytes == 0)
        bytes = 1;
    if (!rc__add_size(bytes, RC__ALIGN - 1, &rounded))
        return NULL;
    rounded -= rounded % RC__ALIGN;
    return aligned_alloc(RC__ALIGN, rounded);
}

void rc__free_aligned(void *p) { free(p); }

void rc__arena_init(rc__arena *a, size_t chunk_bytes)
{
    a->head = a->current = NULL;
    a->chunk_bytes = chunk_bytes;
    a->reserved = 0;
}

void rc__arena_free(rc__arena *a)
{
    rc__chunk *c = a->head;
    while (c) {
        rc__chunk *next = c->next;
        rc__free_aligned(c->mem);
        free(c);
        c = next;
    }
    rc__arena_init(a, a->chunk_bytes);
}

void rc__arena_reset(rc__arena *a)
{
    for (rc__chunk *c = a->head; c; c = c->next)
        c->used = 0;
    a->current = a->head;
}

static rc__chunk *new_chunk(rc__arena *a, size_t need)
{
    size_t cap = need > a->chunk_bytes ? need : a->chunk_bytes;
    rc__chunk *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    c->mem = rc__alloc_aligned(cap);
    if (!c->mem) {
        free(c);
        return NULL;
    }
    c->cap = cap;
    c->used = 0;
    c->next = NULL;
    a->reserved += cap;
    return c;
}

static void append(rc__arena *a, rc__chunk *c)
{
    rc__chunk **at = &a->head;
    while (*at)
        at = &(*at)->next;
    *at = c;
}

/* Frees the large chunks not handed out since the last reset that are too
 * small for a request of need bytes.  Kept, they would pile up as ever longer
 * batches come (FSDD, batches of 446, 497 and then 1824 steps: 1583 MB
 * reserved where the longest pass uses 1065). */
static void release_smaller(rc__arena *a, size_t need)
{
    for (rc__chunk **at = &a->head; *at;) {
        rc__chunk *c = *at;
        if (c->cap > a->chunk_bytes && c->used == 0 && c->cap < need) {
            *at = c->next;
            a->reserved -= c->cap;
            rc__free_aligned(c->mem);
            free(c);
        } else {
            at = &c->next;
        }
    }
}

/* Requests up to chunk_bytes are bumped out of standard chunks, in order;
 * a larger one gets a chunk of its own: after a reset, the smallest free
 * such chunk that holds it.  So a loop whose requests differ in order or
 * size from one iteration to the next (layers, batches of other lengths)
 * reuses the chunks instead of skipping past them and growing; when none
 * holds it, the free ones smaller than it go back (release_smaller). */
void *rc__arena_alloc(rc__arena *a, size_t bytes)
{
    size_t need;
    if (!rc__add_size(bytes, RC__ALIGN - 1, &need))
        return rc__fail_null(RC_ENOMEM, "arena: request of %zu bytes is too large", bytes);
    need -= need % RC__ALIGN;
    if (need == 0)
        need = RC__ALIGN;

    if (need > a->chunk_bytes) {
        rc__chunk *best = NULL;
        for (rc__chunk *c = a->head; c; c = c->next)
            if (c->cap > a->chunk_bytes && c->used == 0 && c->cap >= need && (!best || c->cap < best->cap))
                best = c;
        if (!best) {
            release_smaller(a, need);
            if (!(best = new_chunk(a, need)))
                return rc__fail_null(RC_ENOMEM, "arena: cannot allocate %zu bytes", need);
            append(a, best);
        }
        best->used = best->cap;
        return best->mem;
    }
    /* Walk forward from the current chunk; earlier standard chunks are full. */
    for (rc__chunk *c = a->current ? a->current : a->head; c; c = c->next) {
        if (c->cap == a->chunk_bytes && c->cap - c->used >= need) {
            void *p = c->mem + c->used;
            c->used += need;
            a->current = c;
            return p;
        }
    }
    rc__chunk *c = new_chunk(a, need);
    if (!c)
        return rc__fail_null(RC_ENOMEM, "arena: cannot allocate %zu bytes", need);
    append(a, c);
    c->used = need;
    a->current = c;
    return c->mem;
}

void *rc__arena_calloc(rc__arena *a, size_t count, size_t size)
{
    size_t bytes;
    if (!rc__mul_size(count, size, &bytes))
        return rc__fail_null(RC_ENOMEM, "arena: %zu x %zu bytes overflows", count, size);
    void *p = rc__arena_alloc(a, bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}
