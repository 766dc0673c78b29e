/*
 * Small helpers shared by every layer: allocation that aborts on OOM (a console
 * that half-works after malloc failed is worse than one that stops), strings,
 * display widths of UTF-8 text. Time is in clock.h.
 */
#ifndef OPSDECK_UTIL_H
#define OPSDECK_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t n, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * Read fd to its end into a NUL-terminated buffer (the caller frees; *len
 * without the NUL). NULL with *err: errno of a failed read, or EFBIG when
 * there is more than max bytes.
 */
char *read_fd_all(int fd, size_t max, size_t *len, int *err);

/* Case-insensitive substring search (ASCII folding); NULL when absent. */
const char *str_casestr(const char *haystack, const char *needle);
bool str_has_prefix(const char *s, const char *prefix);
/* Is s one of the strings of list (NULL-terminated)? */
bool str_in(const char *s, const char *const *list);
/* on/off, true/false, yes/no, 1/0 (any case); false (and *out untouched) on anything else. */
bool str_parse_bool(const char *s, bool *out);
/* Strip leading and trailing ASCII whitespace in place; returns s. */
char *str_trim(char *s);
/*
 * A plain decimal ("12", "-1", "0.5"), read without the locale: digits, an
 * optional leading '-' and fraction; no '+', blanks, exponent, or more than
 * 19 digits before the point. False (and *out untouched) for anything else, "" too.
 */
bool str_parse_decimal(const char *s, double *out);
/* The value of one hex digit (0-9, a-f, A-F), or -1. */
int str_hex_value(char c);
/* "~/x" as "$HOME/x" when HOME is set; anything else as it is. Caller frees. */
char *str_expand_home(const char *path);
/* The tmux convention: *cause = a copy of text for the caller to free; a NULL cause is a no-op. */
void set_cause(char **cause, const char *text);

/* A growing string; zero-initialise, append, free(sb.s). s is NUL-terminated once non-empty. */
struct strbuf {
    char *s;
    size_t n, cap;
};
void strbuf_add(struct strbuf *sb, const char *s, size_t n);
void strbuf_str(struct strbuf *sb, const char *s);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 64-bit FNV-1a: fnv1a(FNV1A_OFFSET, s) hashes s; chain calls to hash several strings. */
extern const uint64_t FNV1A_OFFSET;
uint64_t fnv1a(uint64_t h, const char *s);
/*
 * A fast random number (xorshift64, seeded from the clock and the pid on
 * first use): jitter, not secrets. One stream for the process (one thread).
 */
uint64_t rng_u64(void);

/*
 * Display width of UTF-8 text in terminal cells, as utf8_fit() draws it:
 * controls, bidi and invisible characters and invalid bytes take the width of
 * their visible form from text.h (ESC is ^[, two cells; U+202E is <U+202E>).
 */
int utf8_width(const char *s);
/*
 * Copy s into buf so that it occupies at most width cells, replacing the tail
 * with the ellipsis when it does not fit. What text.h shows visibly is shown
 * so (a visible form is never cut in half); a plain character the locale
 * cannot draw (an ASCII terminal) becomes '?'. Returns the width used. buf
 * must hold at least len bytes.
 */
int utf8_fit(char *buf, size_t len, const char *s, int width, const char *ellipsis);

/* Like utf8_fit(), but keeps the end of s: "…checkout:v2.14.1". */
int utf8_fit_tail(char *buf, size_t len, const char *s, int width, const char *ellipsis);

/*
 * Wrapping that keeps every character: the bytes the next row of s takes
 * (at most width cells, up to the next '\n' excluded), broken after the
 * last blank that fits, else inside the word; *shown (may be NULL) gets how
 * many of them to draw: the blanks where the row breaks are the break. Never
 * 0 while *s is not '\n' or NUL (a character wider than width still takes a
 * row). The caller skips the '\n'.
 */
size_t utf8_wrap_next(const char *s, int width, size_t *shown);
/* s past its first cols cells (a character across the edge is skipped whole; *over gets the cells
 * it spilled). */
const char *utf8_skip_width(const char *s, int cols, int *over);

/* Standard base64 (RFC 4648, with padding) of n bytes; the caller frees. */
char *base64_encode(const void *data, size_t n);

#endif
