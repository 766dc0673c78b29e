/*
 * The Markdown layer of runbooks and drills: md4c into heading nodes.
 *
 * md4c reports no positions, but the text it hands to callbacks points into
 * our buffer, so an offset gives a line; the few things that carry no text (an
 * empty heading) are found by scanning forward from the last known offset.
 * Body text is written with lazy breaks: a block asks for a line or a
 * paragraph break, and the break is only written before real text, so empty
 * blocks leave no blank lines behind.
 */
#include "mdoc.h"
#include "placeholder.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <md4c.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MAX_LISTS = 32 };

enum brk { BRK_NONE, BRK_LINE, BRK_PARA };

struct list_state {
    bool ordered;
    unsigned next;
};

/* The state of one md4c walk. */
struct parse {
    struct mdoc *m;
    const char *const *free_keys;
    size_t max_nodes;
    bool titled;

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
    bool in_comment; /* an HTML block that began with <!-- */
    enum brk pending;
    char marker[MAX_LISTS * 2 + 16];
    struct list_state lists[MAX_LISTS];
    int nlists;
    int quotes;
    int cell;   /* cells so far in this table row */
    bool thead; /* in a table's head: its row is followed by a |---| line */
    size_t link_start;
    char *link_href;
    char *img_src; /* inside an image: its path or URL */
    int in_link;
    bool stopped; /* too big: every callback is ignored, md_parse may not stop at once */
};

/* ---- the document ---- */

void mdoc_init(struct mdoc *m, const char *src, size_t len)
{
    size_t cap = 64;
    memset(m, 0, sizeof *m);
    m->src = src;
    m->len = len;
    m->starts = xmalloc(cap * sizeof *m->starts);
    m->starts[0] = 0;
    m->nlines = 1;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '\r' && i + 1 < len && src[i + 1] == '\n') {
            continue; /* CRLF: the '\n' ends the line */
        }
        if (c == '\n' || c == '\r') {
            if (m->nlines == cap) {
                cap *= 2;
                m->starts = xreallocarray(m->starts, cap, sizeof *m->starts);
            }
            m->starts[m->nlines++] = i + 1;
        }
    }
}

static void node_free(struct mdoc_node *n)
{
    free(n->title);
    free(n->body.s);
    for (size_t i = 0; i < n->ncode; i++) {
        free(n->code[i]);
    }
    free(n->code);
    free(n->code_line);
    free(n->code_at);
    for (size_t i = 0; i < n->nkvs; i++) {
        free(n->kvs[i].key);
        free(n->kvs[i].value);
    }
    free(n->kvs);
}

void mdoc_finish(struct mdoc *m)
{
    for (size_t i = 0; i < m->nnodes; i++) {
        node_free(&m->nodes[i]);
    }
    free(m->nodes);
    for (size_t i = 0; i < m->nissues; i++) {
        free(m->issues[i].message);
    }
    free(m->issues);
    free(m->title);
    free(m->starts);
    memset(m, 0, sizeof *m);
}

int mdoc_line_at(const struct mdoc *m, size_t off)
{
    size_t lo = 0, hi = m->nlines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->starts[mid] <= off) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return (int)lo + 1;
}

bool mdoc_in_src(const struct mdoc *m, const char *ptr)
{
    return m->src != NULL && ptr >= m->src && ptr < m->src + m->len;
}

void mdoc_issues_add(struct mdoc_issue **v, size_t *n, int line, char *message)
{
    /* Doubling at powers of two: no capacity field, and still linear for a file of errors. */
    if ((*n & (*n - 1)) == 0) {
        *v = xreallocarray(*v, *n == 0 ? 1 : *n * 2, sizeof **v);
    }
    (*v)[*n].line = line;
    (*v)[*n].message = message;
    (*v)[*n].warning = false;
    (*n)++;
}

void mdoc_issues_warn(struct mdoc_issue **v, size_t *n, int line, char *message)
{
    mdoc_issues_add(v, n, line, message);
    (*v)[*n - 1].warning = true;
}

void mdoc_add_issue(struct mdoc *m, int line, char *message)
{
    mdoc_issues_add(&m->issues, &m->nissues, line, message);
}

struct issue_at {
    struct mdoc_issue issue;
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
void mdoc_issues_sort(struct mdoc_issue *v, size_t n)
{
    struct issue_at *tmp = xcalloc(n + 1, sizeof *tmp);
    for (size_t i = 0; i < n; i++) {
        tmp[i].issue = v[i];
        tmp[i].order = i;
    }
    qsort(tmp, n, sizeof *tmp, issue_cmp);
    for (size_t i = 0; i < n; i++) {
        v[i] = tmp[i].issue;
    }
    free(tmp);
}

char *mdoc_default_title(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t n = strcspn(base, ".");
    return n > 0 ? xstrndup(base, n) : xstrdup(base);
}

struct mdoc_node *mdoc_push_node(struct mdoc *m, int level, char *title, int line)
{
    if (m->nnodes == m->cap) {
        m->cap = m->cap == 0 ? 16 : m->cap * 2;
        m->nodes = xreallocarray(m->nodes, m->cap, sizeof *m->nodes);
    }
    struct mdoc_node *n = &m->nodes[m->nnodes++];
    memset(n, 0, sizeof *n);
    n->level = level;
    n->title = title;
    n->line = line;
    strbuf_add(&n->body, "", 0);
    return n;
}

void mdoc_node_add_kv(struct mdoc_node *n, const char *key, const char *value, int line)
{
    if ((n->nkvs & (n->nkvs - 1)) == 0) {
        n->kvs = xreallocarray(n->kvs, n->nkvs == 0 ? 1 : n->nkvs * 2, sizeof *n->kvs);
    }
    n->kvs[n->nkvs].key = xstrdup(key);
    n->kvs[n->nkvs].value = xstrdup(value);
    n->kvs[n->nkvs].line = line;
    n->nkvs++;
}

void mdoc_node_add_code(struct mdoc_node *n, const char *text, int line)
{
    n->code = xreallocarray(n->code, n->ncode + 1, sizeof *n->code);
    n->code_line = xreallocarray(n->code_line, n->ncode + 1, sizeof *n->code_line);
    n->code_at = xreallocarray(n->code_at, n->ncode + 1, sizeof *n->code_at);
    n->code_line[n->ncode] = line;
    n->code_at[n->ncode] = n->body.n;
    n->code[n->ncode++] = xstrdup(text);
}

char *mdoc_trim_dup(const char *s, size_t n)
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

/* ---- walk helpers ---- */

static int line_at(const struct parse *p, size_t off)
{
    return mdoc_line_at(p->m, off);
}

static bool in_src(const struct parse *p, const char *ptr)
{
    return mdoc_in_src(p->m, ptr);
}

static void saw(struct parse *p, const char *ptr, size_t size)
{
    if (in_src(p, ptr)) {
        size_t off = (size_t)(ptr - p->m->src) + (size > 0 ? size - 1 : 0);
        if (!p->seen_off || off > p->last_off) {
            p->last_off = off;
        }
        p->seen_off = true;
    }
}

static struct mdoc_node *cur(struct parse *p)
{
    return &p->m->nodes[p->m->nnodes - 1];
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
    for (size_t l = first; l < p->m->nlines; l++) {
        const char *s = p->m->src + p->m->starts[l];
        const char *end =
            l + 1 < p->m->nlines ? p->m->src + p->m->starts[l + 1] : p->m->src + p->m->len;
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
            p->last_off = p->m->starts[l];
            p->seen_off = true;
            return;
        }
    }
    p->heading_line = (int)first + 1 <= (int)p->m->nlines ? (int)first + 1 : (int)p->m->nlines;
}

static void parse_note(struct parse *p, struct mdoc_node *n);

static void leave_heading(struct parse *p)
{
    char *title = mdoc_trim_dup(p->heading.s != NULL ? p->heading.s : "", p->heading.n);
    if (p->heading_line <= 0) {
        heading_line_by_scan(p, p->heading_level);
    }
    p->in_heading = false;
    p->pending = BRK_NONE;
    if (!p->titled && p->m->nnodes == 1 && p->heading_level == 1) {
        p->titled = true;
        p->m->title = title;
        want_break(p, BRK_PARA);
        return;
    }
    p->titled = true; /* a later H1 is a step, not the title */
    mdoc_push_node(p->m, (int)p->heading_level, title, p->heading_line);
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
        char *info = mdoc_trim_dup(d->info.text, d->info.size);
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
                in_src(p, text + i) ? line_at(p, (size_t)(text + i - p->m->src)) : 0;
        }
        if (text[i] != '\r') {
            strbuf_add(&p->code, &text[i], 1);
        }
    }
}

static void leave_code(struct parse *p)
{
    struct mdoc_node *n = cur(p);
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
    int line = p->ncode_lines > 0 && p->code_lines[0] > 0 ? p->code_lines[0] : p->code_fence_line;
    mdoc_node_add_code(n, text, line);
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
    case MD_BLOCK_THEAD:
        p->thead = true;
        break;
    case MD_BLOCK_TR:
        want_break(p, BRK_LINE);
        p->cell = 0;
        break;
    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
        /* a table row as GitHub writes it: "| a | b |" (panes/frame.c lays it out) */
        if (p->cell++ > 0) {
            body_emit(p, " | ", 3);
        } else {
            body_emit(p, "| ", 2);
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
        if (p->m->nnodes > p->max_nodes + 1) {
            p->stopped = true;
            return 1; /* stops md_parse */
        }
        break;
    case MD_BLOCK_CODE:
        leave_code(p);
        break;
    case MD_BLOCK_HTML:
        p->in_html = false;
        p->in_comment = false;
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
    case MD_BLOCK_THEAD:
        p->thead = false;
        break;
    case MD_BLOCK_TR:
        if (p->cell > 0) {
            body_emit(p, " |", 2);
        }
        if (p->thead && p->cell > 0) {
            want_break(p, BRK_LINE);
            for (int i = 0; i < p->cell; i++) {
                body_emit(p, "|---", 4);
            }
            body_emit(p, "|", 1);
        }
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
    if (type == MD_SPAN_IMG && !p->in_heading) {
        /* an image is shown as what to open: "[image: ALT <path-or-url>]" */
        MD_SPAN_IMG_DETAIL *img = detail;
        free(p->img_src);
        p->img_src = img != NULL && img->src.text != NULL ? xstrndup(img->src.text, img->src.size)
                                                          : xstrdup("");
        body_emit(p, "[image: ", 8);
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
    if (type == MD_SPAN_IMG && !p->in_heading && p->img_src != NULL) {
        char *s = xasprintf(" <%s>]", p->img_src);
        body_emit(p, s, strlen(s));
        free(s);
        free(p->img_src);
        p->img_src = NULL;
    }
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

/* Raw HTML is not shown; a comment is meant not to be, anything else is lost (lint says so). */
static void note_html(struct parse *p, const char *text, size_t size)
{
    size_t i = 0;
    while (i < size && isspace((unsigned char)text[i])) {
        i++;
    }
    if (i < size && !p->in_heading && !(size - i >= 4 && memcmp(text + i, "<!--", 4) == 0) &&
        !p->in_comment) {
        cur(p)->html = true;
    }
    /* a comment block comes in lines: the ones after its first are still the comment */
    if (p->in_html && size - i >= 4 && memcmp(text + i, "<!--", 4) == 0) {
        p->in_comment = true;
    }
}

static int on_text(MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *ud)
{
    struct parse *p = ud;
    if (p->stopped) {
        return 1;
    }
    if (in_src(p, text) && (size_t)(text - p->m->src) + size > p->m->len) {
        size = (MD_SIZE)(p->m->len - (size_t)(text - p->m->src));
    }
    if (p->in_heading && p->heading_line <= 0 && in_src(p, text)) {
        p->heading_line = line_at(p, (size_t)(text - p->m->src));
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
        /* comments and tags are markup, not text; `<your name>` reads as a tag but is a blank */
        if (!p->in_html && placeholder_html_is_text(text, size)) {
            emit_str(p, text, size);
        } else {
            note_html(p, text, size);
        }
        break;
    default:
        if (!p->in_html) {
            emit_str(p, text, size);
        } else {
            note_html(p, text, size);
        }
        break;
    }
    return 0;
}

/* ---- annotation blocks ---- */

/* Keys whose value is free text: a '#' in them is content, not a comment. */
static bool free_text_key(const struct parse *p, const char *key)
{
    for (const char *const *k = p->free_keys; k != NULL && *k != NULL; k++) {
        if (strcmp(key, *k) == 0) {
            return true;
        }
    }
    return false;
}

void mdoc_strip_comment(char *v)
{
    for (char *s = v; *s != '\0'; s++) {
        if (*s == '#' && (s == v || *(s - 1) == ' ' || *(s - 1) == '\t')) {
            *s = '\0';
            break;
        }
    }
    str_trim(v);
}

static void parse_note(struct parse *p, struct mdoc_node *n)
{
    const char *s = p->code.s != NULL ? p->code.s : "";
    size_t k = 0;
    int prev_line = p->code_fence_line;
    while (*s != '\0') {
        size_t len = strcspn(s, "\n");
        int line = k < p->ncode_lines && p->code_lines[k] > 0 ? p->code_lines[k] : prev_line + 1;
        prev_line = line;
        char *text = mdoc_trim_dup(s, len);
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
            mdoc_add_issue(p->m, line, xasprintf("expected 'key: value', got '%s'", text));
            free(text);
            continue;
        }
        *colon = '\0';
        char *key = mdoc_trim_dup(text, strlen(text));
        char *value = mdoc_trim_dup(colon + 1, strlen(colon + 1));
        for (char *c = key; *c != '\0'; c++) {
            *c = (char)tolower((unsigned char)*c);
        }
        if (!free_text_key(p, key)) {
            mdoc_strip_comment(value);
        }
        mdoc_node_add_kv(n, key, value, line);
        free(key);
        free(value);
        free(text);
    }
}

bool mdoc_parse_markdown(struct mdoc *m, const char *const *free_keys, size_t max_nodes)
{
    struct parse walk = {0};
    struct parse *p = &walk;
    p->m = m;
    p->free_keys = free_keys;
    p->max_nodes = max_nodes;
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
    mdoc_push_node(p->m, 0, NULL, 1);
    /*
     * md4c 0.4.8 can hand a text callback one byte past the end of its input
     * (found by fuzz-runbook): it parses a zero-padded copy, and on_text()
     * never takes a byte past the real end.
     */
    const char *orig = p->m->src;
    char *copy = xcalloc(p->m->len + 64, 1);
    memcpy(copy, orig, p->m->len);
    p->m->src = copy;
    int rc = md_parse(p->m->src, (MD_SIZE)p->m->len, &parser, p);
    p->m->src = orig;
    free(copy);
    free(p->heading.s);
    free(p->code.s);
    free(p->code_lines);
    free(p->link_href);
    free(p->img_src);
    m->too_many = p->stopped;
    return rc == 0 && !p->stopped;
}

bool mdoc_is_control(const char *s, size_t len, size_t at)
{
    return at < len && (unsigned char)s[at] < 0x20;
}

bool mdoc_valid_text(const char *s, size_t len, size_t *bad)
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

char *mdoc_body_text(const struct strbuf *sb)
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

char *mdoc_body_with_code(const struct mdoc_node *n)
{
    struct strbuf sb = {0};
    const char *body = n->body.s != NULL ? n->body.s : "";
    size_t from = 0;
    strbuf_add(&sb, "", 0);
    for (size_t i = 0; i < n->ncode; i++) {
        size_t at = n->code_at != NULL && n->code_at[i] <= n->body.n ? n->code_at[i] : n->body.n;
        if (at < from) {
            at = from;
        }
        strbuf_add(&sb, body + from, at - from);
        while (sb.n > 0 && (sb.s[sb.n - 1] == '\n' || sb.s[sb.n - 1] == ' ')) {
            sb.s[--sb.n] = '\0';
        }
        strbuf_str(&sb, sb.n > 0 ? "\n\n```\n" : "```\n");
        strbuf_str(&sb, n->code[i]);
        strbuf_str(&sb, "\n```\n");
        from = at;
        while (from < n->body.n && body[from] == '\n') {
            from++;
        }
        if (from < n->body.n) {
            strbuf_str(&sb, "\n");
        }
    }
    strbuf_add(&sb, body + from, n->body.n - from);
    char *out = mdoc_body_text(&sb);
    free(sb.s);
    return out;
}

char *mdoc_slug(const char *title)
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

unsigned long long mdoc_hash(const char *s, size_t len)
{
    uint64_t h = FNV1A_OFFSET;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

char *mdoc_read_file(const char *path, size_t max, size_t *lenp, char **cause)
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
    /* read one byte past the cap to tell "exactly max" from "more" */
    size_t cap = max + 1, len = 0;
    char *buf = xmalloc(cap + 1);
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
        if (n == 0 || (len += (size_t)n) == cap) {
            break;
        }
    }
    close(fd);
    if (len > max) {
        *cause = xasprintf("%s: larger than %zu MiB", path, max >> 20);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    *lenp = len;
    return buf;
}
