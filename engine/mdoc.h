/*
 * The Markdown layer shared by runbooks and drills (docs/runbooks.md,
 * docs/drills.md): md4c walks the text into one node per heading, each with
 * its level, title, line, plain body text, code blocks and the `key: value`
 * lines of its `opsdeck` annotation block with their lines. What the keys
 * mean is the caller's business (runbook.c, drill.c).
 *
 * md4c reports no positions; lines come from the offsets of the text it hands
 * us (see mdoc.c). No curses, no I/O.
 */
#ifndef OPSDECK_MDOC_H
#define OPSDECK_MDOC_H

#include "../common/util.h"

#include <stdbool.h>
#include <stddef.h>

struct mdoc_kv {
    char *key; /* lower case */
    char *value;
    int line;
};

struct mdoc_node {
    int level; /* 0: what comes before the first heading (the intro) */
    char *title;
    int line;
    struct strbuf body; /* plain text; see mdoc_body_text() */
    char **code;        /* code blocks other than the annotation */
    int *code_line;     /* the line of each code block's first line */
    size_t ncode;
    struct mdoc_kv *kvs;
    size_t nkvs;
    bool content;    /* anything under the heading: text, code, an annotation */
    size_t *code_at; /* where in body each code block was (mdoc_body_with_code) */
    bool html;       /* raw HTML other than a comment: not shown anywhere (lint warns) */
};

struct mdoc_issue {
    int line;
    char *message;
    /*
     * Not wrong in the file, only here: an environment variable this shell
     * does not set (a CI without secrets). lint says "warning:" and passes
     * unless --strict.
     */
    bool warning;
};

struct mdoc {
    const char *src;
    size_t len;
    size_t *starts; /* offset of each line's first byte */
    size_t nlines;
    char *title; /* the first heading when it is an H1 and comes first; or NULL */
    struct mdoc_node *nodes;
    size_t nnodes, cap;
    struct mdoc_issue *issues; /* malformed annotation lines, in the order found */
    size_t nissues;
    bool too_many; /* the walk stopped at max_nodes */
};

/* Lines of src (which must outlive m); no nodes yet. */
void mdoc_init(struct mdoc *m, const char *src, size_t len);
void mdoc_finish(struct mdoc *m);

/*
 * Walk Markdown into m->nodes (nodes[0] is the intro). free_keys: annotation
 * keys whose value is taken whole (a " #" in them is not a comment); NULL
 * ends the list. Stops with m->too_many after max_nodes headings. False when
 * md4c fails or the walk stopped.
 */
bool mdoc_parse_markdown(struct mdoc *m, const char *const *free_keys, size_t max_nodes);

/* 1-based line of a byte offset of src. */
int mdoc_line_at(const struct mdoc *m, size_t off);
bool mdoc_in_src(const struct mdoc *m, const char *ptr);

/* Building nodes by hand (the JSON form of runbooks). */
struct mdoc_node *mdoc_push_node(struct mdoc *m, int level, char *title, int line);
void mdoc_node_add_kv(struct mdoc_node *n, const char *key, const char *value, int line);
void mdoc_node_add_code(struct mdoc_node *n, const char *text, int line);
void mdoc_add_issue(struct mdoc *m, int line, char *message);
/* Issue lists of runbooks and drills: append (takes message), sort by line keeping order within
 * one. */
void mdoc_issues_add(struct mdoc_issue **v, size_t *n, int line, char *message);
/* The same, as a warning. */
void mdoc_issues_warn(struct mdoc_issue **v, size_t *n, int line, char *message);
void mdoc_issues_sort(struct mdoc_issue *v, size_t n);
/*
 * Read a script file (a regular file of at most max bytes) for parsing.
 * Caller frees; NULL with *cause ("path: larger than 4 MiB").
 */
char *mdoc_read_file(const char *path, size_t max, size_t *len, char **cause);
/* A title for a file without an H1: its name without directory and extensions. */
char *mdoc_default_title(const char *path);

/* UTF-8 text without control characters other than blanks; *bad: the first bad byte. */
bool mdoc_valid_text(const char *s, size_t len, size_t *bad);
/* Is the character at s[at] a control character (rather than invalid UTF-8)? */
bool mdoc_is_control(const char *s, size_t len, size_t at);
/* A node's body without leading blank lines or trailing blanks (caller frees). */
char *mdoc_body_text(const struct strbuf *sb);
/*
 * A node's body with its code blocks back in place, fenced with ``` lines
 * (their text as written: a log excerpt, a table); trimmed as mdoc_body_text.
 */
char *mdoc_body_with_code(const struct mdoc_node *n);
/* "Check the error rate" -> "check-the-error-rate" (caller frees). */
char *mdoc_slug(const char *title);
char *mdoc_trim_dup(const char *s, size_t n);
/* Cut a " # comment" off a value, then trim it. */
void mdoc_strip_comment(char *v);
unsigned long long mdoc_hash(const char *s, size_t len); /* FNV-1a of the bytes */

#endif
