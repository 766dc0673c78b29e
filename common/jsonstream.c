/*
 * A JSON list read one element at a time (see jsonstream.h).
 *
 * The walker reads the structure around the list itself (the objects on the
 * member path, the array's brackets and commas) and hands every value it
 * does not walk into (an element, a member around the list, a key) to
 * cJSON_ParseWithLengthOpts on the bytes from where the value starts: cJSON
 * stops where the value ends and says where. Errors are the ones json_parse()
 * gives for the same text, at the same byte: the walker follows cJSON's own
 * rules (whitespace is any byte up to 32 inside the text, a position past the
 * end is the last byte, a key that is no string fails one byte after its
 * start, the nesting limit counts the containers around an element). A
 * syntax error anywhere wins over a list at the wrong place ("expected a JSON
 * array at items"), as json_parse_array() checks the syntax first.
 *
 * No message is kept: an error is its kind and position in s->state and
 * s->pos, and the text is made again for every call that returns it.
 */
#include "jsonstream.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Where the next call resumes: the low byte of s->state. */
enum {
    ST_START,     /* nothing read yet */
    ST_OBJ_FIRST, /* after a path object's '{' */
    ST_OBJ_AFTER, /* after one of its members: ',' or '}' */
    ST_ARR_FIRST, /* after the list's '[' */
    ST_ARR_AFTER, /* after an element: ',' or ']' */
    ST_TOP_END,   /* after the document's value: trailing whitespace only */
    ST_DONE,      /* 0 from now on */
    ST_ERROR,     /* -1 from now on: the kind below, at s->pos */
};

/* Flags and error kinds above the low byte; a type error's level above that. */
enum {
    F_FOUND = 1 << 8,    /* the list was read: no member matches any more */
    F_TYPEERR = 1 << 9,  /* the list is missing or of another type (see level) */
    E_INVALID = 1 << 10, /* invalid JSON at byte s->pos */
    E_TRAILING = 1 << 11,
    E_EMPTY = 1 << 12,
    LEVEL_SHIFT = 16,
};

static bool is_json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* cJSON's whitespace: every byte up to 32. */
static void skip_ws(struct json_stream *s)
{
    while (s->pos < s->len && (unsigned char)s->buf[s->pos] <= 32) {
        s->pos++;
    }
}

static int grammar(const struct json_stream *s)
{
    return s->state & 0xff;
}

static void set_grammar(struct json_stream *s, int st)
{
    s->state = (s->state & ~0xff) | st;
}

/* Invalid JSON at byte pos; a position past the end is the last byte, as cJSON says. */
static int fail_at(struct json_stream *s, size_t pos)
{
    if (pos >= s->len && s->len > 0) {
        pos = s->len - 1;
    }
    s->pos = pos;
    s->state = ST_ERROR | E_INVALID;
    return -1;
}

/* Segment i of the member path. */
static const char *segment(const struct json_stream *s, int i)
{
    const char *p = s->path;
    while (i-- > 0) {
        p += strlen(p) + 1;
    }
    return p;
}

static char *error_text(const struct json_stream *s)
{
    if (s->state & E_EMPTY) {
        return xstrdup("empty response");
    }
    if (s->state & E_TRAILING) {
        return xasprintf("unexpected data after the JSON at byte %zu of %zu", s->pos, s->len);
    }
    if (s->state & E_INVALID) {
        return xasprintf("invalid JSON at byte %zu of %zu", s->pos, s->len);
    }
    int level = s->state >> LEVEL_SHIFT;
    const char *want = level == s->npath ? "a JSON array" : "an object";
    if (level == 0) {
        return xasprintf("expected %s", s->npath == 0 ? "a JSON array" : "a JSON object");
    }
    struct strbuf sb = {0};
    for (int i = 0; i < level; i++) {
        if (i > 0) {
            strbuf_add(&sb, ".", 1);
        }
        strbuf_str(&sb, segment(s, i));
    }
    char *text = xasprintf("expected %s at %s", want, sb.s);
    free(sb.s);
    return text;
}

/* Containers nested in v, v included; stops counting past limit. */
static int nesting(const cJSON *v, int limit)
{
    if (!cJSON_IsArray(v) && !cJSON_IsObject(v)) {
        return 0;
    }
    int deepest = 0;
    for (const cJSON *c = v->child; c != NULL && deepest <= limit; c = c->next) {
        int d = nesting(c, limit - 1);
        if (d > deepest) {
            deepest = d;
        }
    }
    return 1 + deepest;
}

/*
 * The first bracket in [from, to) that cJSON, reading the whole text, would
 * refuse as too deep (base containers around the value), or `to`.
 */
static size_t too_deep_at(const struct json_stream *s, size_t from, size_t to, int base)
{
    int depth = base;
    bool in_string = false;
    for (size_t i = from; i < to; i++) {
        char c = s->buf[i];
        if (in_string) {
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (depth >= CJSON_NESTING_LIMIT) {
                return i;
            }
            depth++;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return to;
}

/*
 * Parse the value at s->pos (base containers around it) and move past it.
 * False when it is invalid: the state then says where.
 */
static bool parse_value(struct json_stream *s, int base, cJSON **out)
{
    size_t start = s->pos;
    if (start >= s->len || strchr("\"{[-0123456789tfn", s->buf[start]) == NULL) {
        /* also what keeps cJSON from skipping a byte order mark inside the text */
        fail_at(s, start);
        return false;
    }
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(s->buf + start, s->len - start, &end, false);
    size_t stop = end != NULL ? (size_t)(end - s->buf) : s->len;
    if (v == NULL) {
        fail_at(s, too_deep_at(s, start, stop, base));
        return false;
    }
    if (base + nesting(v, CJSON_NESTING_LIMIT - base) > CJSON_NESTING_LIMIT) {
        cJSON_Delete(v);
        fail_at(s, too_deep_at(s, start, stop, base));
        return false;
    }
    s->pos = stop;
    *out = v;
    return true;
}

void json_stream_init(struct json_stream *s, const char *buf, size_t len, const char *member)
{
    memset(s, 0, sizeof *s);
    s->buf = buf;
    s->len = buf != NULL ? strnlen(buf, len) : 0;
    s->state = ST_START;
    if (member != NULL && *member != '\0') {
        s->path = xstrdup(member);
        s->npath = 1;
        for (char *p = s->path; *p != '\0'; p++) {
            if (*p == '.') {
                *p = '\0';
                s->npath++;
            }
        }
        s->open = xcalloc((size_t)s->npath, sizeof *s->open);
    }
}

/* The list is missing or of another type at level (path segments); syntax is still checked. */
static void type_error(struct json_stream *s, int level)
{
    s->state = (s->state & 0xff) | F_FOUND | F_TYPEERR | (level << LEVEL_SHIFT);
}

/* The document's value does not start as the path wants: read it whole, then the trailer. */
static int wrong_top(struct json_stream *s)
{
    cJSON *v = NULL;
    if (!parse_value(s, 0, &v)) {
        return -1;
    }
    s->rest = v; /* the document, which says what is there instead (json_stream_rest) */
    type_error(s, 0);
    set_grammar(s, ST_TOP_END);
    return 0;
}

/* One member of the innermost path object, from its key to the end of its value. */
static int member(struct json_stream *s)
{
    if (s->pos >= s->len || s->buf[s->pos] != '"') {
        return fail_at(s, s->pos + 1); /* where cJSON's parse_string gives up */
    }
    cJSON *key = NULL;
    if (!parse_value(s, s->depth, &key)) {
        return -1;
    }
    skip_ws(s);
    if (s->pos >= s->len || s->buf[s->pos] != ':') {
        cJSON_Delete(key);
        return fail_at(s, s->pos);
    }
    s->pos++;
    skip_ws(s);
    cJSON *obj = s->open[s->depth - 1];
    if (!(s->state & F_FOUND) && strcmp(key->valuestring, segment(s, s->depth - 1)) == 0) {
        char want = s->depth < s->npath ? '{' : '[';
        if (s->pos < s->len && s->buf[s->pos] == want) {
            s->pos++;
            if (want == '{') {
                cJSON *child = cJSON_CreateObject();
                cJSON_AddItemToObject(obj, key->valuestring, child);
                s->open[s->depth++] = child;
                set_grammar(s, ST_OBJ_FIRST);
            } else {
                cJSON_AddItemToObject(obj, key->valuestring, cJSON_CreateArray());
                set_grammar(s, ST_ARR_FIRST);
            }
            cJSON_Delete(key);
            return 0;
        }
        type_error(s, s->depth);
    }
    cJSON *v = NULL;
    if (!parse_value(s, s->depth, &v)) {
        cJSON_Delete(key);
        return -1;
    }
    cJSON_AddItemToObject(obj, key->valuestring, v);
    cJSON_Delete(key);
    set_grammar(s, ST_OBJ_AFTER);
    return 0;
}

/* The innermost path object ends (s->pos is past its '}'). */
static void close_object(struct json_stream *s)
{
    if (!(s->state & F_FOUND)) {
        type_error(s, s->depth); /* its path member is missing */
    }
    s->depth--;
    set_grammar(s, s->depth == 0 ? ST_TOP_END : ST_OBJ_AFTER);
}

/* One step of the grammar: 1 with an element, 0 to go on, -1 on an error, 2 at the end. */
static int step(struct json_stream *s, cJSON **elem)
{
    switch (grammar(s)) {
    case ST_START: {
        size_t i = 0;
        while (i < s->len && is_json_space(s->buf[i])) {
            i++;
        }
        if (i == s->len) {
            s->state = ST_ERROR | E_EMPTY;
            return -1;
        }
        if (s->len >= 5 && memcmp(s->buf, "\xEF\xBB\xBF", 3) == 0) {
            s->pos = 3; /* cJSON skips a byte order mark there */
        }
        skip_ws(s);
        char want = s->npath == 0 ? '[' : '{';
        if (s->pos >= s->len || s->buf[s->pos] != want) {
            return wrong_top(s);
        }
        s->pos++;
        if (want == '{') {
            s->rest = cJSON_CreateObject();
            s->open[0] = s->rest;
            s->depth = 1;
            set_grammar(s, ST_OBJ_FIRST);
        } else {
            set_grammar(s, ST_ARR_FIRST);
        }
        return 0;
    }
    case ST_OBJ_FIRST:
        skip_ws(s);
        if (s->pos < s->len && s->buf[s->pos] == '}') {
            s->pos++;
            close_object(s);
            return 0;
        }
        if (s->pos >= s->len) {
            return fail_at(s, s->pos);
        }
        return member(s);
    case ST_OBJ_AFTER:
        skip_ws(s);
        if (s->pos < s->len && s->buf[s->pos] == ',') {
            s->pos++;
            skip_ws(s);
            return member(s);
        }
        if (s->pos < s->len && s->buf[s->pos] == '}') {
            s->pos++;
            close_object(s);
            return 0;
        }
        return fail_at(s, s->pos);
    case ST_ARR_FIRST:
    case ST_ARR_AFTER:
        skip_ws(s);
        if (s->pos < s->len && s->buf[s->pos] == ']') {
            s->pos++;
            s->state |= F_FOUND;
            set_grammar(s, s->npath == 0 ? ST_TOP_END : ST_OBJ_AFTER);
            return 0;
        }
        if (grammar(s) == ST_ARR_AFTER) {
            if (s->pos >= s->len || s->buf[s->pos] != ',') {
                return fail_at(s, s->pos);
            }
            s->pos++;
            skip_ws(s);
        } else if (s->pos >= s->len) {
            return fail_at(s, s->pos);
        }
        if (!parse_value(s, s->npath + 1, elem)) {
            return -1;
        }
        set_grammar(s, ST_ARR_AFTER);
        s->nelems++;
        return 1;
    case ST_TOP_END:
        while (s->pos < s->len && is_json_space(s->buf[s->pos])) {
            s->pos++;
        }
        if (s->pos < s->len) {
            s->state = ST_ERROR | E_TRAILING;
            return -1;
        }
        if (s->state & F_TYPEERR) {
            s->state = ST_ERROR | (s->state & ~0xff);
            return -1;
        }
        set_grammar(s, ST_DONE);
        return 2;
    default:
        return grammar(s) == ST_DONE ? 2 : -1;
    }
}

int json_stream_next(struct json_stream *s, cJSON **elem, char **cause)
{
    *elem = NULL;
    int rc;
    while ((rc = step(s, elem)) == 0) {
    }
    if (rc == 2) {
        return 0;
    }
    if (rc < 0) {
        if (cause != NULL) {
            *cause = error_text(s);
        }
        return -1;
    }
    return 1;
}

const cJSON *json_stream_rest(const struct json_stream *s)
{
    bool whole = grammar(s) == ST_DONE || (grammar(s) == ST_ERROR && (s->state & F_TYPEERR));
    return whole ? s->rest : NULL;
}

size_t json_stream_count(const struct json_stream *s)
{
    return s->nelems;
}

size_t json_stream_pos(const struct json_stream *s)
{
    return s->pos;
}

void json_stream_finish(struct json_stream *s)
{
    cJSON_Delete(s->rest);
    free(s->open);
    free(s->path);
    memset(s, 0, sizeof *s);
}
