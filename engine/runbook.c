/*
 * Runbooks: Markdown (md4c) and JSON into one model (docs/runbooks.md).
 *
 * Both forms go through the same middle: a list of nodes, one per heading
 * (Markdown) or step object (JSON), each with its plain body, its code blocks
 * and its annotation as (key, value, line) triples. The end is shared: decide
 * which nodes are sections, infer phases, give ids, apply the annotation keys
 * with the same checks. So a problem reads the same whichever form it came in.
 *
 * md4c reports no positions, but the text it hands to callbacks points into
 * our buffer, so an offset gives a line; the few things that carry no text (an
 * empty heading) are found by scanning forward from the last known offset.
 * Body text is written with lazy breaks: a block asks for a line or a
 * paragraph break, and the break is only written before real text, so empty
 * blocks leave no blank lines behind.
 */
#include "runbook.h"

#include "../backends/json.h"
#include "../common/util.h"
#include "cond.h"
#include "vars.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <md4c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* A runbook is read by a person at 3 a.m.: more steps than this is a mistake, not a runbook. */
enum { RUNBOOK_MAX_BYTES = 4 << 20, RUNBOOK_MAX_STEPS = 5000, MAX_LISTS = 32 };

struct kv {
    char *key;
    char *value;
    int line;
};

struct node {
    int level; /* 0: what comes before the first step (the intro) */
    char *title;
    int line;
    struct strbuf body;
    char **code;
    size_t ncode;
    struct kv *kvs;
    size_t nkvs;
    bool content; /* anything under the heading: text, code, an annotation */
};

enum brk { BRK_NONE, BRK_LINE, BRK_PARA };

struct list_state {
    bool ordered;
    unsigned next;
};

struct parse {
    const char *src;
    size_t len;
    size_t *starts; /* offset of each line's first byte */
    size_t nlines;
    struct runbook *rb;
    struct node *nodes;
    size_t nnodes, cap;
    bool titled;

    /* md4c walk */
    int depth;
    size_t last_off;
    bool seen_off;
    bool in_heading;
    unsigned heading_level;
    int heading_line;
    struct strbuf heading;
    bool in_code;
    bool code_is_note;
    struct strbuf code;
    int *code_lines; /* source line of each line of the code block, 0 when unknown */
    size_t ncode_lines, code_lines_cap;
    int code_fence_line;
    bool in_html;
    enum brk pending;
    char marker[MAX_LISTS * 2 + 16];
    struct list_state lists[MAX_LISTS];
    int nlists;
    int quotes;
    int cell;
    size_t link_start;
    char *link_href;
    int in_link;
    bool stopped; /* too big: every callback is ignored, md_parse may not stop at once */
};

/* ---- small helpers ---- */

static void add_issue(struct runbook *rb, int line, char *message)
{
    /* Doubling at powers of two: no capacity field, and still linear for a file of errors. */
    if ((rb->nissues & (rb->nissues - 1)) == 0) {
        rb->issues =
            xreallocarray(rb->issues, rb->nissues == 0 ? 1 : rb->nissues * 2, sizeof *rb->issues);
    }
    rb->issues[rb->nissues].line = line;
    rb->issues[rb->nissues].message = message;
    rb->nissues++;
}

static void compute_lines(struct parse *p)
{
    size_t cap = 64;
    p->starts = xmalloc(cap * sizeof *p->starts);
    p->starts[0] = 0;
    p->nlines = 1;
    for (size_t i = 0; i < p->len; i++) {
        char c = p->src[i];
        if (c == '\r' && i + 1 < p->len && p->src[i + 1] == '\n') {
            continue; /* CRLF: the '\n' ends the line */
        }
        if (c == '\n' || c == '\r') {
            if (p->nlines == cap) {
                cap *= 2;
                p->starts = xreallocarray(p->starts, cap, sizeof *p->starts);
            }
            p->starts[p->nlines++] = i + 1;
        }
    }
}

/* 1-based line of a byte offset. */
static int line_at(const struct parse *p, size_t off)
{
    size_t lo = 0, hi = p->nlines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->starts[mid] <= off) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return (int)lo + 1;
}

static bool in_src(const struct parse *p, const char *ptr)
{
    return p->src != NULL && ptr >= p->src && ptr < p->src + p->len;
}

static void saw(struct parse *p, const char *ptr, size_t size)
{
    if (in_src(p, ptr)) {
        size_t off = (size_t)(ptr - p->src) + (size > 0 ? size - 1 : 0);
        if (!p->seen_off || off > p->last_off) {
            p->last_off = off;
        }
        p->seen_off = true;
    }
}

static char *trim_dup(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        n--;
    }
    return xstrndup(s, n);
}

static struct node *cur(struct parse *p)
{
    return &p->nodes[p->nnodes - 1];
}

static struct node *push_node(struct parse *p, int level, char *title, int line)
{
    if (p->nnodes == p->cap) {
        p->cap = p->cap == 0 ? 16 : p->cap * 2;
        p->nodes = xreallocarray(p->nodes, p->cap, sizeof *p->nodes);
    }
    struct node *n = &p->nodes[p->nnodes++];
    memset(n, 0, sizeof *n);
    n->level = level;
    n->title = title;
    n->line = line;
    strbuf_add(&n->body, "", 0);
    return n;
}

static void node_add_kv(struct node *n, const char *key, const char *value, int line)
{
    if ((n->nkvs & (n->nkvs - 1)) == 0) {
        n->kvs = xreallocarray(n->kvs, n->nkvs == 0 ? 1 : n->nkvs * 2, sizeof *n->kvs);
    }
    n->kvs[n->nkvs].key = xstrdup(key);
    n->kvs[n->nkvs].value = xstrdup(value);
    n->kvs[n->nkvs].line = line;
    n->nkvs++;
}

static void node_add_code(struct node *n, const char *text)
{
    n->code = xreallocarray(n->code, n->ncode + 1, sizeof *n->code);
    n->code[n->ncode++] = xstrdup(text);
}

static void node_free(struct node *n)
{
    free(n->title);
    free(n->body.s);
    for (size_t i = 0; i < n->ncode; i++) {
        free(n->code[i]);
    }
    free(n->code);
    for (size_t i = 0; i < n->nkvs; i++) {
        free(n->kvs[i].key);
        free(n->kvs[i].value);
    }
    free(n->kvs);
}

/*
 * A string -> int map, open addressing, owning its keys: ids and variable
 * names are checked once per step, and a 4 MiB runbook of 100,000 steps must
 * not take minutes to lint.
 */
struct strmap {
    char **keys;
    int *vals;
    size_t cap, n;
};

static size_t strmap_slot(const struct strmap *m, const char *key)
{
    size_t i = (size_t)fnv1a(FNV1A_OFFSET, key) & (m->cap - 1);
    while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0) {
        i = (i + 1) & (m->cap - 1);
    }
    return i;
}

static int *strmap_get(const struct strmap *m, const char *key)
{
    if (m->cap == 0) {
        return NULL;
    }
    size_t i = strmap_slot(m, key);
    return m->keys[i] != NULL ? &m->vals[i] : NULL;
}

static void strmap_put(struct strmap *m, const char *key, int val)
{
    if ((m->n + 1) * 2 > m->cap) {
        struct strmap big = {0};
        big.cap = m->cap == 0 ? 64 : m->cap * 2;
        big.keys = xcalloc(big.cap, sizeof *big.keys);
        big.vals = xcalloc(big.cap, sizeof *big.vals);
        for (size_t i = 0; i < m->cap; i++) {
            if (m->keys[i] != NULL) {
                size_t j = strmap_slot(&big, m->keys[i]);
                big.keys[j] = m->keys[i];
                big.vals[j] = m->vals[i];
            }
        }
        big.n = m->n;
        free(m->keys);
        free(m->vals);
        *m = big;
    }
    size_t i = strmap_slot(m, key);
    if (m->keys[i] == NULL) {
        m->keys[i] = xstrdup(key);
        m->n++;
    }
    m->vals[i] = val;
}

static void strmap_free(struct strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->keys[i]);
    }
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- body text with lazy breaks ---- */

static void want_break(struct parse *p, enum brk b)
{
    if (b > p->pending) {
        p->pending = b;
    }
}

static void body_emit(struct parse *p, const char *s, size_t n)
{
    struct strbuf *sb = &cur(p)->body;
    if (n == 0) {
        return;
    }
    if (sb->n > 0 && p->pending != BRK_NONE) {
        if (sb->s[sb->n - 1] != '\n') {
            strbuf_add(sb, "\n", 1);
        }
        if (p->pending == BRK_PARA) {
            strbuf_add(sb, "\n", 1);
        }
    }
    bool line_start = sb->n == 0 || sb->s[sb->n - 1] == '\n';
    p->pending = BRK_NONE;
    if (line_start) {
        for (int i = 0; i < p->quotes; i++) {
            strbuf_add(sb, "> ", 2);
        }
        if (p->marker[0] != '\0') {
            strbuf_str(sb, p->marker);
            p->marker[0] = '\0';
        } else {
            for (int i = 0; i < p->nlists; i++) {
                strbuf_add(sb, "  ", 2); /* a continuation inside a list item */
            }
        }
        /* A new line starts with text, not the blanks that ended a soft break. */
        while (n > 0 && *s == ' ') {
            s++;
            n--;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\r') {
            strbuf_add(sb, &s[i], 1);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!isspace((unsigned char)s[i])) {
            cur(p)->content = true;
            break;
        }
    }
}

static void emit_str(struct parse *p, const char *s, size_t n)
{
    if (p->in_heading) {
        strbuf_add(&p->heading, s, n);
    } else {
        body_emit(p, s, n);
    }
}

static void put_utf8(struct parse *p, unsigned long cp)
{
    char b[4];
    size_t n;
    if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        cp = 0xfffd;
    }
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    emit_str(p, b, n);
}

/* The entities people write in runbooks; anything else is shown as written. */
static void emit_entity(struct parse *p, const char *s, size_t n)
{
    static const struct {
        const char *name;
        unsigned long cp;
    } names[] = {
        {"&amp;", '&'},       {"&lt;", '<'},      {"&gt;", '>'},       {"&quot;", '"'},
        {"&apos;", '\''},     {"&nbsp;", ' '},    {"&mdash;", 0x2014}, {"&ndash;", 0x2013},
        {"&hellip;", 0x2026}, {"&rarr;", 0x2192}, {"&copy;", 0xa9},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) == n && memcmp(names[i].name, s, n) == 0) {
            put_utf8(p, names[i].cp);
            return;
        }
    }
    if (n >= 4 && s[1] == '#') {
        char buf[16];
        bool hex = s[2] == 'x' || s[2] == 'X';
        size_t start = hex ? 3 : 2;
        if (n - start - 1 < sizeof buf && n - start >= 2) {
            memcpy(buf, s + start, n - start - 1);
            buf[n - start - 1] = '\0';
            char *end;
            unsigned long cp = strtoul(buf, &end, hex ? 16 : 10);
            if (*end == '\0') {
                put_utf8(p, cp);
                return;
            }
        }
    }
    emit_str(p, s, n);
}

/* ---- md4c callbacks ---- */

static void heading_line_by_scan(struct parse *p, unsigned level)
{
    size_t first = p->seen_off ? (size_t)line_at(p, p->last_off) : 0; /* 0-based next line */
    for (size_t l = first; l < p->nlines; l++) {
        const char *s = p->src + p->starts[l];
        const char *end = l + 1 < p->nlines ? p->src + p->starts[l + 1] : p->src + p->len;
        int sp = 0;
        while (s < end && *s == ' ' && sp < 3) {
            s++;
            sp++;
        }
        unsigned hashes = 0;
        while (s < end && *s == '#') {
            s++;
            hashes++;
        }
        if (hashes == level && (s == end || *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
            p->heading_line = (int)l + 1;
            p->last_off = p->starts[l];
            p->seen_off = true;
            return;
        }
    }
    p->heading_line = (int)first + 1 <= (int)p->nlines ? (int)first + 1 : (int)p->nlines;
}

static void parse_note(struct parse *p, struct node *n);

static void leave_heading(struct parse *p)
{
    char *title = trim_dup(p->heading.s != NULL ? p->heading.s : "", p->heading.n);
    if (p->heading_line <= 0) {
        heading_line_by_scan(p, p->heading_level);
    }
    p->in_heading = false;
    p->pending = BRK_NONE;
    if (!p->titled && p->nnodes == 1 && p->heading_level == 1) {
        p->titled = true;
        p->rb->title = title;
        want_break(p, BRK_PARA);
        return;
    }
    p->titled = true; /* a later H1 is a step, not the title */
    push_node(p, (int)p->heading_level, title, p->heading_line);
}

static void enter_code(struct parse *p, const MD_BLOCK_CODE_DETAIL *d)
{
    p->in_code = true;
    p->code.n = 0;
    strbuf_add(&p->code, "", 0);
    p->ncode_lines = 0;
    p->code_fence_line = p->seen_off ? line_at(p, p->last_off) + 1 : 1;
    p->code_is_note = false;
    if (d != NULL && d->fence_char != 0 && p->depth == 1 && d->info.text != NULL) {
        char *info = trim_dup(d->info.text, d->info.size);
        size_t w = strcspn(info, " \t{");
        p->code_is_note = w == 7 && strncasecmp(info, "opsdeck", 7) == 0;
        free(info);
    }
}

static void code_text(struct parse *p, const char *text, size_t size)
{
    for (size_t i = 0; i < size; i++) {
        bool line_start = p->code.n == 0 || p->code.s[p->code.n - 1] == '\n';
        if (line_start) {
            if (p->ncode_lines == p->code_lines_cap) {
                p->code_lines_cap = p->code_lines_cap == 0 ? 64 : p->code_lines_cap * 2;
                p->code_lines =
                    xreallocarray(p->code_lines, p->code_lines_cap, sizeof *p->code_lines);
            }
            p->code_lines[p->ncode_lines++] =
                in_src(p, text + i) ? line_at(p, (size_t)(text + i - p->src)) : 0;
        }
        if (text[i] != '\r') {
            strbuf_add(&p->code, &text[i], 1);
        }
    }
}

static void leave_code(struct parse *p)
{
    struct node *n = cur(p);
    p->in_code = false;
    if (p->code_is_note) {
        parse_note(p, n);
        n->content = true;
        return;
    }
    char *text = xstrdup(p->code.s != NULL ? p->code.s : "");
    size_t len = strlen(text);
    while (len > 0 && text[len - 1] == '\n') {
        text[--len] = '\0';
    }
    node_add_code(n, text);
    free(text);
    n->content = true;
    want_break(p, BRK_PARA);
}

static int on_enter_block(MD_BLOCKTYPE type, void *detail, void *ud)
{
    struct parse *p = ud;
    if (p->stopped) {
        return 1;
    }
    switch (type) {
    case MD_BLOCK_H:
        p->in_heading = true;
        p->heading_level = ((MD_BLOCK_H_DETAIL *)detail)->level;
        p->heading_line = 0;
        p->heading.n = 0;
        strbuf_add(&p->heading, "", 0);
        break;
    case MD_BLOCK_CODE:
        enter_code(p, detail);
        break;
    case MD_BLOCK_HTML:
        p->in_html = true;
        break;
    case MD_BLOCK_P:
        if (p->nlists > 0 && p->marker[0] == '\0') {
            want_break(p, BRK_LINE);
        } else if (p->nlists == 0) {
            want_break(p, BRK_PARA);
        }
        break;
    case MD_BLOCK_QUOTE:
        want_break(p, BRK_PARA);
        p->quotes++;
        break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
        want_break(p, p->nlists == 0 ? BRK_PARA : BRK_LINE);
        if (p->nlists < MAX_LISTS) {
            p->lists[p->nlists].ordered = type == MD_BLOCK_OL;
            p->lists[p->nlists].next =
                type == MD_BLOCK_OL ? ((MD_BLOCK_OL_DETAIL *)detail)->start : 0;
        }
        p->nlists++;
        break;
    case MD_BLOCK_LI: {
        want_break(p, BRK_LINE);
        int depth = p->nlists < MAX_LISTS ? p->nlists : MAX_LISTS;
        size_t at = 0;
        for (int i = 1; i < depth && at + 2 < sizeof p->marker; i++) {
            p->marker[at++] = ' ';
            p->marker[at++] = ' ';
        }
        p->marker[at] = '\0';
        struct list_state *l = depth > 0 ? &p->lists[depth - 1] : NULL;
        if (l != NULL && l->ordered) {
            snprintf(p->marker + at, sizeof p->marker - at, "%u. ", l->next++);
        } else {
            snprintf(p->marker + at, sizeof p->marker - at, "- ");
        }
        MD_BLOCK_LI_DETAIL *li = detail;
        if (li != NULL && li->is_task) {
            size_t m = strlen(p->marker);
            snprintf(p->marker + m, sizeof p->marker - m, "[%c] ",
                     li->task_mark == ' ' ? ' ' : 'x');
        }
        break;
    }
    case MD_BLOCK_HR:
        want_break(p, BRK_PARA);
        body_emit(p, "---", 3);
        want_break(p, BRK_PARA);
        break;
    case MD_BLOCK_TABLE:
        want_break(p, BRK_PARA);
        break;
    case MD_BLOCK_TR:
        want_break(p, BRK_LINE);
        p->cell = 0;
        break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
        if (p->cell++ > 0) {
            body_emit(p, " | ", 3);
        }
        break;
    default:
        break;
    }
    p->depth++;
    return 0;
}

static int on_leave_block(MD_BLOCKTYPE type, void *detail, void *ud)
{
    struct parse *p = ud;
    if (p->stopped) {
        return 1;
    }
    (void)detail;
    p->depth--;
    switch (type) {
    case MD_BLOCK_H:
        leave_heading(p);
        if (p->nnodes > RUNBOOK_MAX_STEPS + 1) {
            p->stopped = true;
            return 1; /* stops md_parse */
        }
        break;
    case MD_BLOCK_CODE:
        leave_code(p);
        break;
    case MD_BLOCK_HTML:
        p->in_html = false;
        break;
    case MD_BLOCK_QUOTE:
        p->quotes--;
        want_break(p, BRK_PARA);
        break;
    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
        p->nlists--;
        p->marker[0] = '\0';
        want_break(p, p->nlists == 0 ? BRK_PARA : BRK_LINE);
        break;
    case MD_BLOCK_P:
        if (p->nlists == 0) {
            want_break(p, BRK_PARA);
        }
        break;
    case MD_BLOCK_TABLE:
        want_break(p, BRK_PARA);
        break;
    default:
        break;
    }
    return 0;
}

static int on_enter_span(MD_SPANTYPE type, void *detail, void *ud)
{
    struct parse *p = ud;
    if (p->stopped) {
        return 1;
    }
    if (type == MD_SPAN_A) {
        MD_SPAN_A_DETAIL *a = detail;
        p->in_link++;
        if (p->in_link == 1 && !p->in_heading && a != NULL && a->href.text != NULL) {
            free(p->link_href);
            p->link_href = xstrndup(a->href.text, a->href.size);
            p->link_start = cur(p)->body.n;
        }
    }
    return 0;
}

static int on_leave_span(MD_SPANTYPE type, void *detail, void *ud)
{
    struct parse *p = ud;
    if (p->stopped) {
        return 1;
    }
    (void)detail;
    if (type == MD_SPAN_A) {
        p->in_link--;
        if (p->in_link == 0 && p->link_href != NULL && !p->in_heading) {
            struct strbuf *sb = &cur(p)->body;
            const char *shown =
                sb->s != NULL && p->link_start <= sb->n ? sb->s + p->link_start : "";
            const char *href = p->link_href;
            /* An autolink shows its URL already; mailto: is noise next to the address. */
            bool same = strcmp(shown, href) == 0 ||
                        (str_has_prefix(href, "mailto:") && strcmp(shown, href + 7) == 0);
            if (!same && href[0] != '\0') {
                char *s = xasprintf(" <%s>", href);
                body_emit(p, s, strlen(s));
                free(s);
            }
            free(p->link_href);
            p->link_href = NULL;
        }
    }
    return 0;
}

static int on_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *ud)
{
    struct parse *p = ud;
    if (p->stopped) {
        return 1;
    }
    if (in_src(p, text) && (size_t)(text - p->src) + size > p->len) {
        size = (MD_SIZE)(p->len - (size_t)(text - p->src));
    }
    if (p->in_heading && p->heading_line <= 0 && in_src(p, text)) {
        p->heading_line = line_at(p, (size_t)(text - p->src));
    }
    saw(p, text, size);
    if (p->in_code) {
        code_text(p, text, size);
        return 0;
    }
    switch (type) {
    case MD_TEXT_NULLCHAR:
        put_utf8(p, 0xfffd);
        break;
    case MD_TEXT_BR:
        if (p->in_heading) {
            emit_str(p, " ", 1);
        } else {
            want_break(p, BRK_LINE);
        }
        break;
    case MD_TEXT_SOFTBR:
        emit_str(p, " ", 1);
        break;
    case MD_TEXT_ENTITY:
        emit_entity(p, text, size);
        break;
    case MD_TEXT_HTML:
        break; /* comments and tags are markup, not text */
    default:
        if (!p->in_html) {
            emit_str(p, text, size);
        }
        break;
    }
    return 0;
}

/* ---- annotation blocks ---- */

/* Keys whose value is free text: a '#' in them is content, not a comment. */
static bool free_text_key(const char *key)
{
    static const char *const keys[] = {"run",   "until",   "ask",    "message",
                                       "input", "default", "target", "dedup_key"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(key, keys[i]) == 0) {
            return true;
        }
    }
    return false;
}

static void strip_comment(char *v)
{
    for (char *s = v; *s != '\0'; s++) {
        if (*s == '#' && (s == v || *(s - 1) == ' ' || *(s - 1) == '\t')) {
            *s = '\0';
            break;
        }
    }
    str_trim(v);
}

static void parse_note(struct parse *p, struct node *n)
{
    const char *s = p->code.s != NULL ? p->code.s : "";
    size_t k = 0;
    int prev_line = p->code_fence_line;
    while (*s != '\0') {
        size_t len = strcspn(s, "\n");
        int line = k < p->ncode_lines && p->code_lines[k] > 0 ? p->code_lines[k] : prev_line + 1;
        prev_line = line;
        char *text = trim_dup(s, len);
        s += len;
        if (*s == '\n') {
            s++;
        }
        k++;
        if (text[0] == '\0' || text[0] == '#') {
            free(text);
            continue;
        }
        char *colon = strchr(text, ':');
        if (colon == NULL) {
            add_issue(p->rb, line, xasprintf("expected 'key: value', got '%s'", text));
            free(text);
            continue;
        }
        *colon = '\0';
        char *key = trim_dup(text, strlen(text));
        char *value = trim_dup(colon + 1, strlen(colon + 1));
        for (char *c = key; *c != '\0'; c++) {
            *c = (char)tolower((unsigned char)*c);
        }
        if (!free_text_key(key)) {
            strip_comment(value);
        }
        node_add_kv(n, key, value, line);
        free(key);
        free(value);
        free(text);
    }
}

static bool parse_markdown(struct parse *p, char **cause)
{
    MD_PARSER parser = {
        .abi_version = 0,
        .flags = MD_FLAG_TABLES | MD_FLAG_STRIKETHROUGH | MD_FLAG_TASKLISTS |
                 MD_FLAG_PERMISSIVEURLAUTOLINKS,
        .enter_block = on_enter_block,
        .leave_block = on_leave_block,
        .enter_span = on_enter_span,
        .leave_span = on_leave_span,
        .text = on_text,
    };
    push_node(p, 0, NULL, 1);
    /*
     * md4c 0.4.8 can hand a text callback one byte past the end of its input
     * (found by fuzz-runbook): it parses a zero-padded copy, and on_text()
     * never takes a byte past the real end.
     */
    const char *orig = p->src;
    char *copy = xcalloc(p->len + 64, 1);
    memcpy(copy, orig, p->len);
    p->src = copy;
    int rc = md_parse(p->src, (MD_SIZE)p->len, &parser, p);
    p->src = orig;
    free(copy);
    free(p->heading.s);
    free(p->code.s);
    free(p->code_lines);
    free(p->link_href);
    if (p->stopped) {
        *cause = xasprintf("%s:%d: not a runbook: more than %d steps", p->rb->path, cur(p)->line,
                           RUNBOOK_MAX_STEPS);
    }
    return rc == 0 && !p->stopped;
}

/* ---- JSON ---- */

/*
 * cJSON keeps no positions: a scan that skips strings finds the line of each
 * element of the top-level "steps" array and of each top-level member, in order.
 */
struct json_lines {
    int *steps; /* line of each step */
    size_t nsteps;
    int *members; /* line of each top-level member */
    size_t nmembers;
    int *step_members; /* line of each member of every step, step after step */
    size_t nstep_members;
    int *step_first; /* index in step_members of each step's first member */
    size_t nstep_first;
};

static void push_line(int **v, size_t *n, int line)
{
    if ((*n & (*n - 1)) == 0) {
        *v = xreallocarray(*v, *n == 0 ? 1 : *n * 2, sizeof **v);
    }
    (*v)[(*n)++] = line;
}

static void json_lines(const struct parse *p, struct json_lines *jl)
{
    int depth = 0;
    bool steps_key = false, in_steps = false, expect = false;
    const char *last_str = NULL;
    size_t last_len = 0, last_at = 0;
    memset(jl, 0, sizeof *jl);
    for (size_t i = 0; i < p->len; i++) {
        char c = p->src[i];
        if (isspace((unsigned char)c)) {
            continue;
        }
        if (in_steps && depth == 2 && expect && c != ']') {
            push_line(&jl->steps, &jl->nsteps, line_at(p, i));
            push_line(&jl->step_first, &jl->nstep_first, (int)jl->nstep_members);
            expect = false;
        }
        if (c == '"') {
            size_t j = i + 1;
            while (j < p->len && p->src[j] != '"') {
                j += p->src[j] == '\\' ? 2 : 1;
            }
            last_str = p->src + i + 1;
            last_len = j < p->len ? j - i - 1 : 0;
            last_at = i;
            i = j;
        } else if (c == ':' && depth == 1) {
            steps_key = last_str != NULL && last_len == 5 && memcmp(last_str, "steps", 5) == 0;
            push_line(&jl->members, &jl->nmembers, line_at(p, last_at));
        } else if (c == ':' && depth == 3 && in_steps) {
            push_line(&jl->step_members, &jl->nstep_members, line_at(p, last_at));
        } else if (c == '[' || c == '{') {
            if (c == '[' && depth == 1 && steps_key) {
                in_steps = true;
                expect = true;
            }
            depth++;
        } else if (c == ']' || c == '}') {
            depth--;
            if (depth == 1) {
                in_steps = false;
                steps_key = false;
            }
        } else if (c == ',' && depth == 2 && in_steps) {
            expect = true;
        }
    }
}

/* A JSON member as annotation text: strings as they are, numbers and booleans spelled out. */
static char *json_scalar(const cJSON *v)
{
    if (cJSON_IsString(v)) {
        return xstrdup(v->valuestring);
    }
    if (cJSON_IsBool(v)) {
        return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(long long)d && d > -1e15 && d < 1e15) {
            return xasprintf("%lld", (long long)d);
        }
        return xasprintf("%g", d);
    }
    return NULL;
}

/* Line of member m of step i, or the step's own line. */
static int json_member_line(const struct json_lines *jl, size_t i, size_t m, int line)
{
    if (i >= jl->nstep_first) {
        return line;
    }
    size_t at = (size_t)jl->step_first[i] + m;
    size_t end = i + 1 < jl->nstep_first ? (size_t)jl->step_first[i + 1] : jl->nstep_members;
    return at < end ? jl->step_members[at] : line;
}

static void json_step(struct parse *p, const cJSON *obj, const struct json_lines *jl, size_t si,
                      int sline)
{
    int line = sline;
    struct node *n = push_node(p, 2, NULL, line);
    n->content = true;
    if (!cJSON_IsObject(obj)) {
        add_issue(p->rb, line, xasprintf("a step must be an object, not %s", json_type_name(obj)));
        n->title = xstrdup("");
        return;
    }
    size_t mi = 0;
    for (const cJSON *m = obj->child; m != NULL; m = m->next, mi++) {
        const char *k = m->string != NULL ? m->string : "";
        line = json_member_line(jl, si, mi, sline);
        if (strcmp(k, "title") == 0 || strcmp(k, "body") == 0) {
            if (!cJSON_IsString(m)) {
                add_issue(p->rb, line,
                          xasprintf("'%s' must be a string, not %s", k, json_type_name(m)));
            } else if (k[0] == 't') {
                free(n->title);
                n->title = trim_dup(m->valuestring, strlen(m->valuestring));
            } else {
                n->body.n = 0;
                strbuf_str(&n->body, m->valuestring);
            }
        } else if (strcmp(k, "code") == 0) {
            if (!cJSON_IsArray(m)) {
                add_issue(p->rb, line, xasprintf("'code' must be a list of strings"));
                continue;
            }
            for (const cJSON *c = m->child; c != NULL; c = c->next) {
                if (cJSON_IsString(c)) {
                    node_add_code(n, c->valuestring);
                } else {
                    add_issue(p->rb, line, xasprintf("'code' must be a list of strings"));
                }
            }
        } else if (strcmp(k, "choices") == 0 && cJSON_IsArray(m)) {
            for (const cJSON *c = m->child; c != NULL; c = c->next) {
                const char *label = json_str(c, "label");
                const char *go = json_str(c, "goto");
                if (cJSON_IsString(c)) {
                    node_add_kv(n, "choices", c->valuestring, line);
                } else if (label != NULL && go != NULL) {
                    char *v = xasprintf("%s -> %s", label, go);
                    node_add_kv(n, "choice", v, line);
                    free(v);
                } else {
                    add_issue(p->rb, line,
                              xasprintf("a choice is a string or {\"label\", \"goto\"}"));
                }
            }
        } else if (cJSON_IsNull(m)) {
            continue;
        } else {
            char *v = json_scalar(m);
            if (v == NULL) {
                add_issue(p->rb, line,
                          xasprintf("'%s' must be a string, not %s", k, json_type_name(m)));
                continue;
            }
            node_add_kv(n, k, v, line);
            free(v);
        }
    }
    if (n->title == NULL || n->title[0] == '\0') {
        add_issue(p->rb, sline, xasprintf("step without a title"));
    }
    if (n->title == NULL) {
        n->title = xstrdup("");
    }
}

static bool parse_json(struct parse *p, char **cause)
{
    cJSON *doc = NULL;
    char *why = NULL;
    if (!json_parse(p->src, p->len, &doc, &why)) {
        const char *at = cJSON_GetErrorPtr();
        int line = in_src(p, at) ? line_at(p, (size_t)(at - p->src)) : 1;
        *cause = xasprintf("%s:%d: not a runbook: %s", p->rb->path, line, why);
        free(why);
        return false;
    }
    if (!cJSON_IsObject(doc)) {
        *cause = xasprintf("%s:1: not a runbook: the JSON is %s, not an object", p->rb->path,
                           json_type_name(doc));
        cJSON_Delete(doc);
        return false;
    }
    struct node *intro = push_node(p, 0, NULL, 1);
    struct json_lines jl;
    json_lines(p, &jl);
    size_t mi = 0;
    for (const cJSON *m = doc->child; m != NULL; m = m->next, mi++) {
        const char *k = m->string != NULL ? m->string : "";
        int mline = mi < jl.nmembers ? jl.members[mi] : 1;
        if (strcmp(k, "title") == 0 && cJSON_IsString(m)) {
            free(p->rb->title);
            p->rb->title = xstrdup(m->valuestring);
        } else if (strcmp(k, "intro") == 0 && cJSON_IsString(m)) {
            intro = &p->nodes[0];
            intro->body.n = 0;
            strbuf_str(&intro->body, m->valuestring);
        } else if (strcmp(k, "vars") == 0 && cJSON_IsObject(m)) {
            for (const cJSON *v = m->child; v != NULL; v = v->next) {
                char *val = json_scalar(v);
                char *decl = val != NULL ? xasprintf("%s = %s", v->string, val)
                                         : xstrdup(v->string != NULL ? v->string : "");
                node_add_kv(&p->nodes[0], "var", decl, mline);
                free(decl);
                free(val);
            }
        } else if (strcmp(k, "steps") == 0 && cJSON_IsArray(m)) {
            size_t i = 0;
            if (cJSON_GetArraySize(m) > RUNBOOK_MAX_STEPS) {
                *cause = xasprintf("%s:%d: not a runbook: more than %d steps", p->rb->path, mline,
                                   RUNBOOK_MAX_STEPS);
                free(jl.steps);
                free(jl.members);
                free(jl.step_members);
                free(jl.step_first);
                cJSON_Delete(doc);
                return false;
            }
            for (const cJSON *s = m->child; s != NULL; s = s->next, i++) {
                json_step(p, s, &jl, i, i < jl.nsteps ? jl.steps[i] : mline);
            }
        } else if (strcmp(k, "title") == 0 || strcmp(k, "intro") == 0) {
            add_issue(p->rb, mline,
                      xasprintf("'%s' must be a string, not %s", k, json_type_name(m)));
        } else if (strcmp(k, "vars") == 0 || strcmp(k, "steps") == 0) {
            add_issue(p->rb, mline,
                      xasprintf("'%s' must be %s, not %s", k, k[0] == 'v' ? "an object" : "a list",
                                json_type_name(m)));
        } else {
            add_issue(p->rb, mline,
                      xasprintf("unknown member '%s' (title, intro, vars, steps)", k));
        }
    }
    free(jl.steps);
    free(jl.members);
    free(jl.step_members);
    free(jl.step_first);
    cJSON_Delete(doc);
    return true;
}

/* ---- from nodes to steps ---- */

enum key_id {
    K_ID,
    K_TYPE,
    K_PHASE,
    K_TIMEBOX,
    K_NEXT,
    K_RUN,
    K_CAPTURE,
    K_TIMEOUT,
    K_EXPECT,
    K_UNTIL,
    K_INTERVAL,
    K_VAR,
    K_ASK,
    K_CHOICES,
    K_DEFAULT,
    K_SECRET,
    K_CHOICE,
    K_ROLE,
    K_ACTION,
    K_PANE,
    K_TARGET,
    K_INPUT,
    K_BACKEND,
    K_SERVICE,
    K_MESSAGE,
    K_URL_ENV,
    K_ROUTING_KEY_ENV,
    K_EVENT,
    K_SEVERITY,
    K_DEDUP_KEY,
    K_COUNT
};

enum {
    M_ALL = 0xff,
    M_COMMAND = 1u << RB_COMMAND,
    M_PROMPT = 1u << RB_PROMPT,
    M_DECISION = 1u << RB_DECISION,
    M_WAIT = 1u << RB_WAIT,
    M_ACTION = 1u << RB_ACTION,
    M_APPROVAL = 1u << RB_APPROVAL,
    M_NOTIFY = 1u << RB_NOTIFY,
};

static const struct {
    const char *name;
    unsigned types; /* bit per enum rb_step_type */
    bool repeatable;
} keys[K_COUNT] = {
    [K_ID] = {"id", M_ALL, false},
    [K_TYPE] = {"type", M_ALL, false},
    [K_PHASE] = {"phase", M_ALL, false},
    [K_TIMEBOX] = {"timebox", M_ALL, false},
    [K_NEXT] = {"next", M_ALL, false},
    [K_RUN] = {"run", M_COMMAND | M_WAIT, false},
    [K_CAPTURE] = {"capture", M_COMMAND, false},
    [K_TIMEOUT] = {"timeout", M_COMMAND | M_WAIT, false},
    [K_EXPECT] = {"expect", M_COMMAND | M_WAIT, false},
    [K_UNTIL] = {"until", M_WAIT, false},
    [K_INTERVAL] = {"interval", M_WAIT, false},
    [K_VAR] = {"var", M_PROMPT, false},
    [K_ASK] = {"ask", M_PROMPT | M_DECISION | M_APPROVAL, false},
    [K_CHOICES] = {"choices", M_PROMPT, true},
    [K_DEFAULT] = {"default", M_PROMPT, false},
    [K_SECRET] = {"secret", M_PROMPT, false},
    [K_CHOICE] = {"choice", M_DECISION, true},
    [K_ROLE] = {"role", M_APPROVAL, false},
    [K_ACTION] = {"action", M_ACTION, false},
    [K_PANE] = {"pane", M_ACTION, false},
    [K_TARGET] = {"target", M_ACTION, false},
    [K_INPUT] = {"input", M_ACTION, false},
    [K_BACKEND] = {"backend", M_ACTION, false},
    [K_SERVICE] = {"service", M_NOTIFY, false},
    [K_MESSAGE] = {"message", M_NOTIFY, false},
    [K_URL_ENV] = {"url_env", M_NOTIFY, false},
    [K_ROUTING_KEY_ENV] = {"routing_key_env", M_NOTIFY, false},
    [K_EVENT] = {"event", M_NOTIFY, false},
    [K_SEVERITY] = {"severity", M_NOTIFY, false},
    [K_DEDUP_KEY] = {"dedup_key", M_NOTIFY, false},
};

static const char *const type_names[] = {
    [RB_MANUAL] = "manual",     [RB_COMMAND] = "command", [RB_PROMPT] = "prompt",
    [RB_DECISION] = "decision", [RB_WAIT] = "wait",       [RB_ACTION] = "action",
    [RB_APPROVAL] = "approval", [RB_NOTIFY] = "notify",
};

const char *rb_step_type_name(enum rb_step_type t)
{
    if ((size_t)t < sizeof type_names / sizeof type_names[0]) {
        return type_names[t];
    }
    return "?";
}

const char *rb_phase_name(enum rb_phase p)
{
    static const char *const names[] = {"Stay calm", "Assess", "Focus", "Escalate"};
    return (unsigned)p < RB_PHASES ? names[p] : "?";
}

char rb_phase_letter(enum rb_phase p)
{
    return (unsigned)p < RB_PHASES ? "SAFE"[p] : '?';
}

static int key_lookup(const char *name)
{
    for (int i = 0; i < K_COUNT; i++) {
        if (strcmp(keys[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

/* "S", "assess", "Focus", "mitigate"...: -1 when it is none. */
static int phase_from_value(const char *v)
{
    static const char *const words[][3] = {
        {"s", "stay calm", NULL},
        {"a", "assess", NULL},
        {"f", "focus", "mitigate"},
        {"e", "escalate", NULL},
    };
    for (int p = 0; p < RB_PHASES; p++) {
        for (int w = 0; w < 3 && words[p][w] != NULL; w++) {
            if (strcasecmp(v, words[p][w]) == 0) {
                return p;
            }
        }
    }
    return -1;
}

/* The phase a heading names by its first word ("Assess", "F: Mitigate", "E - Escalate"), or -1. */
static int phase_from_heading(const char *title)
{
    static const char *const prefixes[][2] = {
        {"stay calm", NULL}, {"assess", NULL}, {"focus", "mitigat"}, {"escalat", NULL}};
    const char *letters = "SAFE";
    const char *t = title;
    while (*t == ' ') {
        t++;
    }
    for (int p = 0; p < RB_PHASES; p++) {
        if (toupper((unsigned char)t[0]) == letters[p] &&
            (t[1] == ':' || t[1] == '.' || str_has_prefix(t + 1, " -") ||
             str_has_prefix(t + 1, " :"))) {
            return p;
        }
        for (int w = 0; w < 2 && prefixes[p][w] != NULL; w++) {
            if (strncasecmp(t, prefixes[p][w], strlen(prefixes[p][w])) == 0) {
                return p;
            }
        }
    }
    return -1;
}

static void step_key_line(struct rb_step *s, const char *key, int line)
{
    s->keylines = xreallocarray(s->keylines, s->nkeylines + 1, sizeof *s->keylines);
    s->keylines[s->nkeylines].key = xstrdup(key);
    s->keylines[s->nkeylines].line = line;
    s->nkeylines++;
}

int rb_step_key_line(const struct rb_step *s, const char *key)
{
    for (size_t i = 0; i < s->nkeylines; i++) {
        if (strcmp(s->keylines[i].key, key) == 0) {
            return s->keylines[i].line;
        }
    }
    return s->line;
}

static bool parse_duration_ms(struct runbook *rb, const struct kv *kv, int *out)
{
    int64_t secs;
    if (!duration_parse(kv->value, &secs) || kv->value[0] == '\0') {
        add_issue(rb, kv->line,
                  xasprintf("bad duration '%s' for %s (e.g. 90s, 5m, 1h)", kv->value, kv->key));
        return false;
    }
    if (secs <= 0 || secs > INT_MAX / 1000) {
        add_issue(rb, kv->line,
                  xasprintf("%s '%s' is out of range (1s to 24 days)", kv->key, kv->value));
        return false;
    }
    *out = (int)(secs * 1000);
    return true;
}

static bool one_of(const char *v, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(v, *list) == 0) {
            return true;
        }
    }
    return false;
}

static void set_str(char **slot, const char *v)
{
    free(*slot);
    *slot = xstrdup(v);
}

static void add_choice(struct rb_step *s, char *label, char *go, int line)
{
    s->choices = xreallocarray(s->choices, s->nchoices + 1, sizeof *s->choices);
    s->choices[s->nchoices].label = label;
    s->choices[s->nchoices].go = go;
    s->choices[s->nchoices].line = line;
    s->nchoices++;
}

static void apply_kv(struct runbook *rb, struct rb_step *s, int key, const struct kv *kv,
                     int *phase)
{
    static const char *const services[] = {"slack", "pagerduty", NULL};
    static const char *const events[] = {"trigger", "acknowledge", "resolve", NULL};
    static const char *const severities[] = {"critical", "error", "warning", "info", NULL};
    const char *v = kv->value;
    switch ((enum key_id)key) {
    case K_ID:
    case K_TYPE:
        break; /* done before */
    case K_PHASE:
        *phase = phase_from_value(v);
        if (*phase < 0) {
            add_issue(
                rb, kv->line,
                xasprintf("bad phase '%s' (S, A, F, E, stay calm, assess, focus, escalate)", v));
        }
        break;
    case K_TIMEBOX: {
        int ms;
        if (parse_duration_ms(rb, kv, &ms)) {
            s->timebox_s = ms / 1000;
        }
        break;
    }
    case K_NEXT:
        set_str(&s->next, v);
        break;
    case K_RUN:
        set_str(&s->run, v);
        break;
    case K_CAPTURE:
    case K_VAR:
        if (!vars_valid_name(v)) {
            add_issue(rb, kv->line, xasprintf("'%s' is not a variable name", v));
        }
        set_str(key == K_VAR ? &s->var : &s->capture, v);
        break;
    case K_TIMEOUT:
        parse_duration_ms(rb, kv, &s->timeout_ms);
        break;
    case K_INTERVAL:
        parse_duration_ms(rb, kv, &s->interval_ms);
        break;
    case K_EXPECT: {
        char *end;
        long code = strtol(v, &end, 10);
        if (strcasecmp(v, "any") == 0) {
            s->expect_exit = -1;
        } else if (v[0] != '\0' && *end == '\0' && code >= 0 && code <= 255) {
            s->expect_exit = (int)code;
        } else {
            add_issue(rb, kv->line, xasprintf("bad expect '%s' (an exit code 0-255, or any)", v));
        }
        break;
    }
    case K_UNTIL:
        set_str(&s->until, v);
        break;
    case K_ASK:
        set_str(&s->ask, v);
        break;
    case K_CHOICES: {
        const char *p = v;
        while (*p != '\0') {
            size_t n = strcspn(p, ",");
            char *label = trim_dup(p, n);
            if (label[0] != '\0') {
                add_choice(s, label, NULL, kv->line);
            } else {
                free(label);
            }
            p += n;
            if (*p == ',') {
                p++;
            }
        }
        break;
    }
    case K_DEFAULT:
        set_str(&s->default_value, v);
        break;
    case K_SECRET:
        if (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0) {
            s->secret = true;
        } else if (strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0) {
            s->secret = false;
        } else {
            add_issue(rb, kv->line, xasprintf("bad secret '%s' (true or false)", v));
        }
        break;
    case K_CHOICE: {
        const char *arrow = strstr(v, "->");
        char *label = arrow != NULL ? trim_dup(v, (size_t)(arrow - v)) : NULL;
        char *go = arrow != NULL ? trim_dup(arrow + 2, strlen(arrow + 2)) : NULL;
        if (label == NULL || label[0] == '\0' || go[0] == '\0') {
            add_issue(rb, kv->line, xasprintf("choice needs LABEL -> STEP-ID, got '%s'", v));
            free(label);
            free(go);
        } else {
            add_choice(s, label, go, kv->line);
        }
        break;
    }
    case K_ROLE:
        set_str(&s->role, v);
        break;
    case K_ACTION:
        set_str(&s->action, v);
        break;
    case K_PANE:
        set_str(&s->pane, v);
        break;
    case K_TARGET:
        set_str(&s->target, v);
        break;
    case K_INPUT:
        set_str(&s->input, v);
        break;
    case K_BACKEND:
        set_str(&s->backend, v);
        break;
    case K_SERVICE:
        if (!one_of(v, services)) {
            add_issue(rb, kv->line, xasprintf("unknown service '%s' (slack, pagerduty)", v));
        }
        set_str(&s->service, v);
        break;
    case K_MESSAGE:
        set_str(&s->message, v);
        break;
    case K_URL_ENV:
        set_str(&s->url_env, v);
        break;
    case K_ROUTING_KEY_ENV:
        set_str(&s->routing_key_env, v);
        break;
    case K_EVENT:
        if (!one_of(v, events)) {
            add_issue(rb, kv->line,
                      xasprintf("unknown event '%s' (trigger, acknowledge, resolve)", v));
        }
        set_str(&s->event, v);
        break;
    case K_SEVERITY:
        if (!one_of(v, severities)) {
            add_issue(rb, kv->line,
                      xasprintf("unknown severity '%s' (critical, error, warning, info)", v));
        }
        set_str(&s->severity, v);
        break;
    case K_DEDUP_KEY:
        set_str(&s->dedup_key, v);
        break;
    case K_COUNT:
        break;
    }
}

/* Fill a step from its node's annotation; returns the phase it names, or -1. */
static int apply_node(struct runbook *rb, struct rb_step *s, const struct node *n, char **id)
{
    int phase = -1;
    bool seen[K_COUNT] = {false};
    bool type_ok = true; /* after an unknown type, "not a key of a manual step" is noise */
    s->type = RB_MANUAL;
    for (size_t i = 0; i < n->nkvs; i++) {
        const struct kv *kv = &n->kvs[i];
        if (strcmp(kv->key, "type") != 0) {
            continue;
        }
        bool found = false;
        for (size_t t = 0; t < sizeof type_names / sizeof type_names[0]; t++) {
            if (strcasecmp(kv->value, type_names[t]) == 0) {
                s->type = (enum rb_step_type)t;
                found = true;
            }
        }
        type_ok = type_ok && found;
        if (!found) {
            add_issue(rb, kv->line,
                      xasprintf("unknown step type '%s' (manual, command, prompt, decision, "
                                "wait, action, approval, notify)",
                                kv->value));
        }
    }
    s->timeout_ms = s->type == RB_COMMAND ? 5 * 60 * 1000 : s->type == RB_WAIT ? 10 * 60 * 1000 : 0;
    s->interval_ms = 5000;
    s->expect_exit = 0;
    for (size_t i = 0; i < n->nkvs; i++) {
        const struct kv *kv = &n->kvs[i];
        int key = key_lookup(kv->key);
        if (key < 0) {
            add_issue(rb, kv->line, xasprintf("unknown key '%s'", kv->key));
            continue;
        }
        step_key_line(s, kv->key, kv->line);
        if (seen[key] && !keys[key].repeatable) {
            add_issue(rb, kv->line, xasprintf("duplicate key '%s'", kv->key));
        }
        seen[key] = true;
        if (!(keys[key].types & (1u << s->type))) {
            if (!type_ok) {
                continue;
            }
            add_issue(
                rb, kv->line,
                xasprintf("'%s' is not a key of a %s step", kv->key, rb_step_type_name(s->type)));
            continue;
        }
        if (kv->value[0] == '\0' && key != K_DEFAULT) {
            add_issue(rb, kv->line, xasprintf("empty value for '%s'", kv->key));
            continue;
        }
        if (key == K_ID) {
            if (kv->value[strcspn(kv->value, " \t")] != '\0') {
                add_issue(rb, kv->line, xasprintf("step id '%s' has a blank", kv->value));
            } else if (strcmp(kv->value, "end") == 0) {
                add_issue(rb, kv->line, xasprintf("step id 'end' is taken: it ends the run"));
            } else {
                set_str(id, kv->value);
            }
            continue;
        }
        apply_kv(rb, s, key, kv, &phase);
    }
    return phase;
}

static char *slug(const char *title)
{
    size_t n = strlen(title);
    char *s = xmalloc(n + 1);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)title[i];
        if (isalnum(c) && c < 0x80) {
            s[at++] = (char)tolower(c);
        } else if (at > 0 && s[at - 1] != '-') {
            s[at++] = '-';
        }
    }
    while (at > 0 && s[at - 1] == '-') {
        at--;
    }
    s[at] = '\0';
    return s;
}

static void runbook_block(struct parse *p, const struct node *n)
{
    struct runbook *rb = p->rb;
    for (size_t i = 0; i < n->nkvs; i++) {
        const struct kv *kv = &n->kvs[i];
        if (strcmp(kv->key, "var") != 0) {
            add_issue(rb, kv->line,
                      xasprintf("'%s' is not a key of the runbook block (only var: before the "
                                "first step)",
                                kv->key));
            continue;
        }
        const char *eq = strchr(kv->value, '=');
        char *name = trim_dup(kv->value, eq != NULL ? (size_t)(eq - kv->value) : strlen(kv->value));
        char *value = eq != NULL ? trim_dup(eq + 1, strlen(eq + 1)) : NULL;
        size_t vl = value != NULL ? strlen(value) : 0;
        if (vl >= 2 && (value[0] == '"' || value[0] == '\'') && value[vl - 1] == value[0]) {
            memmove(value, value + 1, vl - 2);
            value[vl - 2] = '\0';
        }
        if (!vars_valid_name(name)) {
            add_issue(
                rb, kv->line,
                xasprintf("'%s' is not a variable name (var: NAME or var: NAME = default)", name));
            free(name);
            free(value);
            continue;
        }
        for (size_t j = 0; j < rb->nvars; j++) {
            if (strcmp(rb->vars[j].name, name) == 0) {
                add_issue(
                    rb, kv->line,
                    xasprintf("variable '%s' is declared twice (line %d)", name, rb->vars[j].line));
            }
        }
        rb->vars = xreallocarray(rb->vars, rb->nvars + 1, sizeof *rb->vars);
        rb->vars[rb->nvars].name = name;
        rb->vars[rb->nvars].value = value;
        rb->vars[rb->nvars].line = kv->line;
        rb->nvars++;
    }
}

static char *body_text(const struct strbuf *sb)
{
    const char *s = sb->s != NULL ? sb->s : "";
    size_t n = sb->n;
    while (n > 0 && (*s == '\n' || *s == '\r')) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        n--;
    }
    return xstrndup(s, n);
}

struct stack_entry {
    int level;
    int phase;
};

static void build_steps(struct parse *p)
{
    struct runbook *rb = p->rb;
    size_t n = p->nnodes;
    bool *section = xcalloc(n + 1, sizeof *section);
    char **ids = xcalloc(n + 1, sizeof *ids);
    size_t nsteps = 0;
    for (size_t i = 1; i < n; i++) {
        section[i] = !p->nodes[i].content && i + 1 < n && p->nodes[i + 1].level > p->nodes[i].level;
        nsteps += section[i] ? 0 : 1;
    }
    runbook_block(p, &p->nodes[0]);
    rb->intro = body_text(&p->nodes[0].body);
    rb->steps = xcalloc(nsteps > 0 ? nsteps : 1, sizeof *rb->steps);

    struct stack_entry *stack = xcalloc(n + 1, sizeof *stack);
    size_t depth = 0;
    int prev = RB_PHASE_S;
    for (size_t i = 1; i < n; i++) {
        const struct node *nd = &p->nodes[i];
        while (depth > 0 && stack[depth - 1].level >= nd->level) {
            depth--;
        }
        int own = phase_from_heading(nd->title);
        stack[depth].level = nd->level;
        stack[depth].phase = own;
        depth++;
        if (section[i]) {
            continue;
        }
        struct rb_step *s = &rb->steps[rb->nsteps];
        s->title = xstrdup(nd->title[0] != '\0' ? nd->title : "(untitled)");
        s->line = nd->line;
        s->body = body_text(&nd->body);
        s->code = nd->ncode > 0 ? xcalloc(nd->ncode, sizeof *s->code) : NULL;
        for (size_t c = 0; c < nd->ncode; c++) {
            s->code[c] = xstrdup(nd->code[c]);
        }
        s->ncode = nd->ncode;
        int explicit_phase = apply_node(rb, s, nd, &ids[rb->nsteps]);
        int heading = -1;
        for (size_t d = depth; d > 0 && heading < 0; d--) {
            heading = stack[d - 1].phase;
        }
        int phase = explicit_phase >= 0 ? explicit_phase : heading >= 0 ? heading : prev;
        s->phase = (enum rb_phase)phase;
        prev = phase;
        rb->nsteps++;
    }
    free(stack);

    /* Ids: the written ones first, so a default never takes a name a jump means. */
    struct strmap taken = {0}, next_suffix = {0};
    strmap_put(&taken, "end", -1);
    for (size_t i = 0; i < rb->nsteps; i++) {
        if (ids[i] == NULL) {
            continue;
        }
        if (strmap_get(&taken, ids[i]) != NULL) {
            add_issue(rb, rb_step_key_line(&rb->steps[i], "id"),
                      xasprintf("step id '%s' is used twice", ids[i]));
            free(ids[i]);
            ids[i] = NULL;
            continue;
        }
        strmap_put(&taken, ids[i], (int)i);
        rb->steps[i].id = ids[i];
        ids[i] = NULL;
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        struct rb_step *s = &rb->steps[i];
        if (s->id != NULL) {
            continue;
        }
        char *base = slug(s->title);
        if (base[0] == '\0') {
            free(base);
            base = xasprintf("step-%zu", i + 1);
        }
        char *id = xstrdup(base);
        int *k = strmap_get(&next_suffix, base);
        int suffix = k != NULL ? *k : 2;
        while (strmap_get(&taken, id) != NULL) {
            free(id);
            id = xasprintf("%s-%d", base, suffix++);
        }
        strmap_put(&next_suffix, base, suffix);
        strmap_put(&taken, id, (int)i);
        free(base);
        s->id = id;
    }
    strmap_free(&taken);
    strmap_free(&next_suffix);
    free(ids);
    free(section);
}

/* ---- entry points ---- */

struct issue_at {
    struct rb_issue issue;
    size_t order;
};

static int issue_cmp(const void *a, const void *b)
{
    const struct issue_at *x = a, *y = b;
    if (x->issue.line != y->issue.line) {
        return x->issue.line < y->issue.line ? -1 : 1;
    }
    return x->order < y->order ? -1 : x->order > y->order;
}

/* By line, in the order found within a line: lint output reads top to bottom. */
static void sort_issues(struct runbook *rb)
{
    struct issue_at *v = xcalloc(rb->nissues + 1, sizeof *v);
    for (size_t i = 0; i < rb->nissues; i++) {
        v[i].issue = rb->issues[i];
        v[i].order = i;
    }
    qsort(v, rb->nissues, sizeof *v, issue_cmp);
    for (size_t i = 0; i < rb->nissues; i++) {
        rb->issues[i] = v[i].issue;
    }
    free(v);
}

static bool valid_text(const char *s, size_t len, size_t *bad)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80             ? 1
                   : (c & 0xe0) == 0xc0 ? 2
                   : (c & 0xf0) == 0xe0 ? 3
                   : (c & 0xf8) == 0xf0 ? 4
                                        : 0;
        if (n == 0 || (n == 2 && c < 0xc2) || i + n > len) {
            *bad = i;
            return false;
        }
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') {
            *bad = i;
            return false;
        }
        for (size_t k = 1; k < n; k++) {
            if (((unsigned char)s[i + k] & 0xc0) != 0x80) {
                *bad = i;
                return false;
            }
        }
        i += n;
    }
    return true;
}

static unsigned long long hash_bytes(const char *s, size_t len)
{
    uint64_t h = FNV1A_OFFSET;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static char *default_title(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t n = strcspn(base, ".");
    return n > 0 ? xstrndup(base, n) : xstrdup(base);
}

struct runbook *runbook_parse(const char *text, size_t len, const char *path, char **cause)
{
    struct parse p = {0};
    const char *name = path != NULL ? path : "runbook";
    if (len > RUNBOOK_MAX_BYTES) {
        *cause = xasprintf("%s: larger than 4 MiB", name);
        return NULL;
    }
    if (text == NULL) {
        text = "";
        len = 0;
    }
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        text += 3; /* a byte order mark from an editor is not text */
        len -= 3;
    }
    p.src = text;
    p.len = len;
    compute_lines(&p);
    size_t bad;
    if (!valid_text(text, len, &bad)) {
        *cause = xasprintf("%s:%d: not a runbook: not UTF-8 text (byte %zu)", name,
                           line_at(&p, bad), bad);
        free(p.starts);
        return NULL;
    }
    struct runbook *rb = xcalloc(1, sizeof *rb);
    rb->path = xstrdup(name);
    rb->hash = hash_bytes(text, len);
    p.rb = rb;
    size_t first = 0;
    while (first < len && isspace((unsigned char)text[first])) {
        first++;
    }
    bool ok = first < len && text[first] == '{' ? parse_json(&p, cause) : parse_markdown(&p, cause);
    if (!ok && *cause == NULL) {
        *cause = xasprintf("%s:1: not a runbook: the Markdown parser failed", name);
    }
    if (ok) {
        build_steps(&p);
        if (rb->nsteps == 0) {
            *cause = xasprintf("%s:1: not a runbook: no step (every heading but the title is one)",
                               name);
            ok = false;
        }
    }
    for (size_t i = 0; i < p.nnodes; i++) {
        node_free(&p.nodes[i]);
    }
    free(p.nodes);
    free(p.starts);
    if (!ok) {
        runbook_free(rb);
        return NULL;
    }
    if (rb->title == NULL) {
        rb->title = default_title(name);
    }
    if (rb->intro == NULL) {
        rb->intro = xstrdup("");
    }
    sort_issues(rb);
    return rb;
}

struct runbook *runbook_load(const char *path, char **cause)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *cause = xasprintf("%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *cause = xasprintf("%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    size_t cap = RUNBOOK_MAX_BYTES + 1, len = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            *cause = xasprintf("%s: %s", path, strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
        if (len == cap) {
            break;
        }
    }
    close(fd);
    struct runbook *rb = NULL;
    if (len > RUNBOOK_MAX_BYTES) {
        *cause = xasprintf("%s: larger than 4 MiB", path);
    } else {
        rb = runbook_parse(buf, len, path, cause);
    }
    free(buf);
    return rb;
}

static void step_finish(struct rb_step *s)
{
    free(s->id);
    free(s->title);
    free(s->body);
    for (size_t i = 0; i < s->ncode; i++) {
        free(s->code[i]);
    }
    free(s->code);
    free(s->next);
    free(s->run);
    free(s->capture);
    free(s->until);
    free(s->var);
    free(s->ask);
    free(s->default_value);
    for (size_t i = 0; i < s->nchoices; i++) {
        free(s->choices[i].label);
        free(s->choices[i].go);
    }
    free(s->choices);
    free(s->role);
    free(s->action);
    free(s->pane);
    free(s->target);
    free(s->input);
    free(s->backend);
    free(s->service);
    free(s->message);
    free(s->url_env);
    free(s->routing_key_env);
    free(s->event);
    free(s->severity);
    free(s->dedup_key);
    for (size_t i = 0; i < s->nkeylines; i++) {
        free(s->keylines[i].key);
    }
    free(s->keylines);
}

void runbook_free(struct runbook *rb)
{
    if (rb == NULL) {
        return;
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        step_finish(&rb->steps[i]);
    }
    free(rb->steps);
    for (size_t i = 0; i < rb->nvars; i++) {
        free(rb->vars[i].name);
        free(rb->vars[i].value);
    }
    free(rb->vars);
    for (size_t i = 0; i < rb->nissues; i++) {
        free(rb->issues[i].message);
    }
    free(rb->issues);
    free(rb->path);
    free(rb->title);
    free(rb->intro);
    free(rb);
}

int runbook_find_step(const struct runbook *rb, const char *id)
{
    if (rb == NULL || id == NULL) {
        return -1;
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        if (rb->steps[i].id != NULL && strcmp(rb->steps[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* ---- lint ---- */

struct ref_check {
    struct runbook *rb;
    const struct strmap *known;
    int line;
    const char *key;
};

static void check_ref(const char *name, void *ud)
{
    struct ref_check *rc = ud;
    if (strmap_get(rc->known, name) == NULL) {
        add_issue(rc->rb, rc->line,
                  xasprintf("variable '%s' in %s is used before anything sets it", name, rc->key));
    }
}

static void check_refs(struct runbook *rb, const struct rb_step *s, const struct strmap *known,
                       const char *key, const char *text)
{
    if (text == NULL) {
        return;
    }
    struct ref_check rc = {rb, known, rb_step_key_line(s, key), key};
    vars_each_ref(text, check_ref, &rc);
}

static void placeholder(const char *name, void *ud)
{
    vars_set(ud, name, "0");
}

static void lint_jump(struct runbook *rb, const struct strmap *ids, int line, const char *what,
                      const char *go)
{
    if (go != NULL && strcmp(go, "end") != 0 && strmap_get(ids, go) == NULL) {
        add_issue(rb, line, xasprintf("%s goes to a missing step '%s'", what, go));
    }
}

static void lint_env(struct runbook *rb, const struct rb_step *s, const char *key, const char *name)
{
    if (name != NULL && getenv(name) == NULL) {
        add_issue(rb, rb_step_key_line(s, key),
                  xasprintf("environment variable %s (%s) is not set", name, key));
    }
}

static void lint_step(struct runbook *rb, const struct rb_step *s, const struct strmap *known,
                      const struct strmap *ids)
{
    check_refs(rb, s, known, "run", s->run);
    if (s->run == NULL && s->type == RB_COMMAND && s->ncode > 0) {
        check_refs(rb, s, known, "run", s->code[0]);
    }
    check_refs(rb, s, known, "until", s->until);
    check_refs(rb, s, known, "target", s->target);
    check_refs(rb, s, known, "input", s->input);
    check_refs(rb, s, known, "message", s->message);
    check_refs(rb, s, known, "ask", s->ask);
    lint_jump(rb, ids, rb_step_key_line(s, "next"), "next", s->next);
    for (size_t i = 0; i < s->nchoices; i++) {
        if (s->choices[i].go != NULL) {
            char *what = xasprintf("choice '%s'", s->choices[i].label);
            lint_jump(rb, ids, s->choices[i].line, what, s->choices[i].go);
            free(what);
        }
    }
    switch (s->type) {
    case RB_MANUAL:
        break;
    case RB_COMMAND:
        if (s->run == NULL && s->ncode == 0) {
            add_issue(rb, s->line, xasprintf("command step without run or a code block"));
        }
        break;
    case RB_PROMPT:
        if (s->var == NULL) {
            add_issue(rb, s->line, xasprintf("prompt without var"));
        }
        if (s->default_value != NULL && s->nchoices > 0) {
            bool found = false;
            for (size_t i = 0; i < s->nchoices; i++) {
                found = found || strcmp(s->choices[i].label, s->default_value) == 0;
            }
            if (!found) {
                add_issue(rb, rb_step_key_line(s, "default"),
                          xasprintf("default '%s' is not one of the choices", s->default_value));
            }
        }
        break;
    case RB_DECISION:
        if (s->nchoices == 0) {
            add_issue(rb, s->line, xasprintf("decision without a choice (choice: LABEL -> ID)"));
        }
        break;
    case RB_WAIT:
        if (s->until == NULL && s->run == NULL) {
            add_issue(rb, s->line, xasprintf("wait without until or run"));
        } else if (s->until != NULL && s->run != NULL) {
            add_issue(rb, rb_step_key_line(s, "run"),
                      xasprintf("wait with both until and run: use one"));
        }
        if (s->until != NULL) {
            struct vars ph = {0};
            struct cond c;
            char *cause = NULL;
            vars_each_ref(s->until, placeholder, &ph);
            char *text = vars_expand(&ph, s->until, VARS_TEXT, NULL);
            if (text != NULL && !cond_parse(&c, text, &cause)) {
                add_issue(rb, rb_step_key_line(s, "until"), cause);
            } else if (text != NULL) {
                cond_free(&c);
            }
            free(text);
            vars_clear(&ph);
        }
        break;
    case RB_ACTION: {
        enum model_kind kind;
        if (s->action == NULL) {
            add_issue(rb, s->line, xasprintf("action step without action (the verb)"));
        }
        if (s->pane == NULL) {
            add_issue(rb, s->line, xasprintf("action step without pane"));
        } else if (!model_kind_from_name(s->pane, &kind)) {
            add_issue(rb, rb_step_key_line(s, "pane"),
                      xasprintf("unknown pane '%s' (alerts, queues, pools, deploys)", s->pane));
        }
        if (s->target == NULL) {
            add_issue(rb, s->line, xasprintf("action step without target"));
        }
        break;
    }
    case RB_APPROVAL:
        if (s->role == NULL) {
            add_issue(rb, s->line, xasprintf("approval without role"));
        }
        break;
    case RB_NOTIFY:
        if (s->service == NULL) {
            add_issue(rb, s->line, xasprintf("notify without service (slack, pagerduty)"));
        } else if (strcmp(s->service, "slack") == 0) {
            if (s->url_env == NULL) {
                add_issue(rb, s->line, xasprintf("notify to slack without url_env"));
            }
            lint_env(rb, s, "url_env", s->url_env);
        } else if (strcmp(s->service, "pagerduty") == 0) {
            if (s->routing_key_env == NULL) {
                add_issue(rb, s->line, xasprintf("notify to pagerduty without routing_key_env"));
            }
            lint_env(rb, s, "routing_key_env", s->routing_key_env);
            lint_env(rb, s, "url_env", s->url_env);
        }
        break;
    }
}

size_t runbook_lint(struct runbook *rb, const char *const *known)
{
    struct strmap ns = {0}, ids = {0};
    for (size_t i = 0; known != NULL && known[i] != NULL; i++) {
        strmap_put(&ns, known[i], 1);
    }
    /* A var: without a default still counts: it must come from the alert or --var. */
    for (size_t i = 0; i < rb->nvars; i++) {
        strmap_put(&ns, rb->vars[i].name, 1);
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        if (rb->steps[i].id != NULL) {
            strmap_put(&ids, rb->steps[i].id, (int)i);
        }
    }
    for (size_t i = 0; i < rb->nsteps; i++) {
        const struct rb_step *s = &rb->steps[i];
        lint_step(rb, s, &ns, &ids);
        if (s->type == RB_PROMPT && s->var != NULL) {
            strmap_put(&ns, s->var, 1);
        }
        if (s->type == RB_COMMAND && s->capture != NULL) {
            strmap_put(&ns, s->capture, 1);
        }
    }
    strmap_free(&ns);
    strmap_free(&ids);
    sort_issues(rb);
    return rb->nissues;
}
