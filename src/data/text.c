/* text.c — vocabularies of bytes, UTF-8 characters or words, and encoding
 * text into token ids. */
#include "../core/core.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

struct rc_vocab {
    int level;
    char **tokens;      /* [size] */
    size_t size, cap;
    int32_t *table;     /* open-addressing hash of token ids, -1 empty */
    size_t table_cap;   /* a power of two, at least twice size */
    int32_t unk;        /* id of "<unk>", or -1 */
};

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* Slot of token s[n] in the table: its id's slot, or the empty slot where it would go. */
static size_t slot_of(const rc_vocab *v, const char *s, size_t n)
{
    size_t mask = v->table_cap - 1, i = (size_t)hash(s, n) & mask;
    while (v->table[i] >= 0) {
        const char *t = v->tokens[v->table[i]];
        if (strlen(t) == n && memcmp(t, s, n) == 0)
            break;
        i = (i + 1) & mask;
    }
    return i;
}

static int32_t find(const rc_vocab *v, const char *s, size_t n)
{
    return v->table_cap ? v->table[slot_of(v, s, n)] : -1;
}

static int rehash(rc_vocab *v, size_t cap)
{
    int32_t *t = malloc(cap * sizeof *t);
    if (!t)
        return rc__fail(RC_ENOMEM, "vocabulary: out of memory");
    free(v->table);
    v->table = t;
    v->table_cap = cap;
    for (size_t i = 0; i < cap; i++)
        t[i] = -1;
    for (size_t id = 0; id < v->size; id++)
        t[slot_of(v, v->tokens[id], strlen(v->tokens[id]))] = (int32_t)id;
    return RC_OK;
}

/* The id of s[n], added when new.  -1 on failure. */
static int32_t intern(rc_vocab *v, const char *s, size_t n)
{
    int32_t id = find(v, s, n);
    if (id >= 0)
        return id;
    if (v->size >= INT32_MAX - 1)
        return rc__fail(RC_EINVAL, "vocabulary: more than 2^31 tokens"), -1;
    if (2 * (v->size + 1) > v->table_cap && rehash(v, v->table_cap ? 2 * v->table_cap : 1024))
        return -1;
    if (v->size == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 256;
        char **t = realloc(v->tokens, cap * sizeof *t);
        if (!t)
            return rc__fail(RC_ENOMEM, "vocabulary: out of memory"), -1;
        v->tokens = t, v->cap = cap;
    }
    char *copy = malloc(n + 1);
    if (!copy)
        return rc__fail(RC_ENOMEM, "vocabulary: out of memory"), -1;
    memcpy(copy, s, n);
    copy[n] = '\0';
    v->tokens[v->size] = copy;
    v->table[slot_of(v, s, n)] = (int32_t)v->size;
    return (int32_t)v->size++;
}

/* Length of the UTF-8 sequence at s (1..4), or 0 when it is invalid. */
static size_t utf8_length(const unsigned char *s, size_t left)
{
    size_t n = s[0] < 0x80 ? 1 : (s[0] >> 5) == 6 ? 2 : (s[0] >> 4) == 14 ? 3 : (s[0] >> 3) == 30 ? 4 : 0;
    if (n == 0 || n > left)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    if ((n == 2 && s[0] < 0xC2) || (n == 3 && s[0] == 0xE0 && s[1] < 0xA0) ||
        (n == 4 && (s[0] > 0xF4 || (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))))
        return 0; /* overlong or beyond U+10FFFF */
    if (n == 3 && s[0] == 0xED && s[1] >= 0xA0)
        return 0; /* U+D800..U+DFFF: surrogates are not characters */
    return n;
}

/* RC_OK when text[0, len) is UTF-8, else the message naming the first bad byte. */
static int check_utf8(const char *text, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = utf8_length((const unsigned char *)text + i, len - i);
        if (!n)
            return rc__fail(RC_EFORMAT, "text: invalid UTF-8 at byte %zu (use the byte level for binary or non-UTF-8 "
                                        "text)",
                            i);
        i += n;
    }
    return RC_OK;
}

/* Calls emit(v, token, n, ctx) for each token of text at v's level;
 * returns a status. */
typedef int (*emit_fn)(rc_vocab *v, const char *s, size_t n, void *ctx);

static int tokenize(rc_vocab *v, const char *text, size_t len, emit_fn emit, void *ctx)
{
    int status = RC_OK;
    if (v->level == RC_TEXT_BYTE) {
        for (size_t i = 0; i < len && !status; i++)
            status = emit(v, text + i, 1, ctx);
    } else if (check_utf8(text, len)) {
        return rc_last_status();
    } else if (v->level == RC_TEXT_CHAR) {
        for (size_t i = 0; i < len && !status;) {
            size_t n = utf8_length((const unsigned char *)text + i, len - i);
            status = emit(v, text + i, n, ctx);
            i += n;
        }
    } else {
        size_t i = 0;
        while (i < len && !status) {
            size_t end = i;
            while (end < len && text[end] != '\n')
                end++;
            for (size_t k = i; k < end && !status;) { /* the words of one line */
                while (k < end && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r'))
                    k++;
                size_t w = k;
                while (w < end && text[w] != ' ' && text[w] != '\t' && text[w] != '\r')
                    w++;
                if (w > k)
                    status = emit(v, text + k, w - k, ctx);
                k = w;
            }
            if (!status)
                status = emit(v, "<eos>", 5, ctx);
            i = end + 1;
        }
    }
    return status;
}

static int emit_intern(rc_vocab *v, const char *s, size_t n, void *ctx)
{
    (void)ctx;
    return intern(v, s, n) < 0 ? rc_last_status() : RC_OK;
}

static rc_vocab *vocab_new(int level)
{
    if (level != RC_TEXT_BYTE && level != RC_TEXT_CHAR && level != RC_TEXT_WORD)
        return rc__fail_null(RC_EINVAL, "vocabulary: level %d is not byte, char or word", level);
    rc_vocab *v = calloc(1, sizeof *v);
    if (!v)
        return rc__fail_null(RC_ENOMEM, "vocabulary: out of memory");
    v->level = level;
    v->unk = -1;
    if (level == RC_TEXT_BYTE) {
        for (int b = 0; b < 256; b++) {
            char c = (char)b;
            if (intern(v, &c, b ? 1 : 0) < 0) {
                rc_vocab_free(v);
                return NULL;
            }
        }
    } else if ((v->unk = intern(v, "<unk>", 5)) < 0 ||
               (level == RC_TEXT_WORD && intern(v, "<eos>", 5) < 0)) {
        rc_vocab_free(v);
        return NULL;
    }
    return v;
}

rc_vocab *rc_vocab_build(int level, const char *text, size_t len)
{
    if (!text || len == 0)
        return rc__fail_null(RC_EFORMAT, "vocabulary: the text is empty");
    rc_vocab *v = vocab_new(level);
    if (v && level != RC_TEXT_BYTE && tokenize(v, text, len, emit_intern, NULL)) {
        rc_vocab_free(v);
        return NULL;
    }
    return v;
}

void rc_vocab_free(rc_vocab *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->size; i++)
        free(v->tokens[i]);
    free(v->tokens);
    free(v->table);
    free(v);
}

int rc_vocab_level(const rc_vocab *v) { return v->level; }

size_t rc_vocab_size(const rc_vocab *v) { return v->size; }

const char *rc_vocab_token(const rc_vocab *v, int32_t id)
{
    return id >= 0 && (size_t)id < v->size ? v->tokens[id] : NULL;
}

typedef struct {
    int32_t *ids;
    size_t n, cap;
} id_list;

static int emit_id(rc_vocab *v, const char *s, size_t n, void *ctx)
{
    id_list *l = ctx;
    int32_t id = v->level == RC_TEXT_BYTE ? (int32_t)(unsigned char)s[0] : find(v, s, n);
    if (id < 0)
        id = v->unk;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4096;
        int32_t *ids = realloc(l->ids, cap * sizeof *ids);
        if (!ids)
            return rc__fail(RC_ENOMEM, "text: out of memory for %zu tokens", cap);
        l->ids = ids, l->cap = cap;
    }
    l->ids[l->n++] = id;
    return RC_OK;
}

int rc_vocab_encode(const rc_vocab *v, const char *text, size_t len, int32_t **ids, size_t *n)
{
    if (!v || !text || !ids || !n)
        return rc__fail(RC_EINVAL, "rc_vocab_encode: NULL argument");
    if (len == 0)
        return rc__fail(RC_EFORMAT, "text: empty");
    id_list l = {0};
    int status = tokenize((rc_vocab *)v, text, len, emit_id, &l);
    if (status) {
        free(l.ids);
        return status;
    }
    *ids = l.ids;
    *n = l.n;
    return RC_OK;
}

static const char *const level_names[] = {"byte", "char", "word"};

char *rc_vocab_to_json(const rc_vocab *v)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "level", level_names[v->level]);
    if (ok && v->level != RC_TEXT_BYTE) {
        cJSON *tokens = cJSON_AddArrayToObject(root, "tokens");
        ok = tokens != NULL;
        for (size_t i = 0; ok && i < v->size; i++)
            ok = cJSON_AddItemToArray(tokens, cJSON_CreateString(v->tokens[i]));
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text ? text : rc__fail_null(RC_ENOMEM, "vocabulary: cannot write JSON");
}

rc_vocab *rc_vocab_from_json(const char *json)
{
    cJSON *root = json ? cJSON_Parse(json) : NULL;
    const cJSON *level = cJSON_GetObjectItemCaseSensitive(root, "level");
    const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(root, "tokens");
    int lv = -1;
    for (int i = 0; cJSON_IsString(level) && i < 3; i++)
        if (!strcmp(level->valuestring, level_names[i]))
            lv = i;
    rc_vocab *v = NULL;
    if (lv < 0 || (lv != RC_TEXT_BYTE && !cJSON_IsArray(tokens))) {
        rc__fail(RC_EFORMAT, "vocabulary: the JSON needs a level (byte, char, word) and its tokens");
        goto done;
    }
    v = vocab_new(lv);
    for (const cJSON *t = lv == RC_TEXT_BYTE ? NULL : tokens->child; v && t; t = t->next) {
        if (!cJSON_IsString(t) || intern(v, t->valuestring, strlen(t->valuestring)) < 0) {
            rc__fail(RC_EFORMAT, "vocabulary: a token is not a string");
            rc_vocab_free(v);
            v = NULL;
        }
    }
done:
    cJSON_Delete(root);
    return v;
}
