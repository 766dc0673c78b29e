/*
 * Helpers shared by every layer. Allocation wrappers abort on OOM as tmux does:
 * there is no sane partial state for a console to limp on in.
 */
#include "util.h"

#include "clock.h"
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

static void oom(size_t size)
{
    fprintf(stderr, "opsdeck: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL) {
        oom(size);
    }
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        oom(n * size);
    }
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL) {
        oom(size);
    }
    return p;
}

void *xreallocarray(void *ptr, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        oom(SIZE_MAX);
    }
    return xrealloc(ptr, n * size);
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        return xstrdup("");
    }
    char *p = xmalloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

const char *str_casestr(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0) {
        return haystack;
    }
    for (const char *h = haystack; *h != '\0'; h++) {
        size_t i = 0;
        while (i < n && h[i] != '\0' &&
               tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i])) {
            i++;
        }
        if (i == n) {
            return h;
        }
    }
    return NULL;
}

bool str_has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

char *str_trim(char *s)
{
    char *start = s;
    while (isspace((unsigned char)*start)) {
        start++;
    }
    size_t len = strlen(start);
    while (len > 0 && isspace((unsigned char)start[len - 1])) {
        len--;
    }
    memmove(s, start, len);
    s[len] = '\0';
    return s;
}

void set_cause(char **cause, const char *text)
{
    if (cause != NULL) {
        *cause = xstrdup(text);
    }
}

/*
 * One character as the console draws it: text_next() decides what is shown
 * (a control as ^[, an invalid byte as \xNN, ...), the locale only how wide a
 * plain character is. A plain character the locale cannot decode or calls
 * unprintable (an ASCII terminal, an unassigned code point) is drawn as '?'.
 * Returns the input bytes it takes; *out and *outlen are what to draw, *w its
 * cells.
 */
static size_t cell_next(const char *s, const char **out, size_t *outlen, int *w,
                        struct text_char *c)
{
    *out = s;
    if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f) {
        *outlen = 1; /* printable ASCII, the common case */
        *w = 1;
        return 1;
    }
    text_next(s, strnlen(s, 4), 0, c);
    if (!c->plain) {
        *out = c->shown;
        *outlen = strlen(c->shown);
        *w = (int)*outlen;
        return c->len;
    }
    *outlen = c->len;
    *w = 1;
    mbstate_t st;
    memset(&st, 0, sizeof st);
    wchar_t wc;
    int cw = -1;
    if (mbrtowc(&wc, s, c->len, &st) == c->len) {
        cw = wcwidth(wc);
    }
    if (cw < 0) {
        *out = "?";
        *outlen = 1;
    } else {
        *w = cw;
    }
    return c->len;
}

int utf8_width(const char *s)
{
    int total = 0;
    while (*s != '\0') {
        if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f) {
            total++; /* printable ASCII, the common case, needs no decoding */
            s++;
            continue;
        }
        const char *out;
        size_t outlen;
        int w;
        struct text_char c;
        s += cell_next(s, &out, &outlen, &w, &c);
        total += w;
    }
    return total;
}

/*
 * Copy whole characters of *sp, as cell_next() draws them, while they fit
 * limit columns and the buffer (keeping reserve bytes and the NUL free).
 * Advances *sp past what was copied, adds the columns to *used.
 */
static size_t fit_copy(char *buf, size_t len, const char **sp, int limit, size_t reserve, int *used)
{
    const char *s = *sp;
    size_t o = 0;
    while (*s != '\0') {
        const char *out;
        size_t outlen;
        int w;
        struct text_char c;
        size_t n = cell_next(s, &out, &outlen, &w, &c);
        if (*used + w > limit || o + outlen + reserve + 1 > len) {
            break;
        }
        memcpy(buf + o, out, outlen);
        o += outlen;
        *used += w;
        s += n;
    }
    *sp = s;
    return o;
}

int utf8_fit(char *buf, size_t len, const char *s, int width, const char *ellipsis)
{
    if (len == 0) {
        return 0;
    }
    int ew = utf8_width(ellipsis);
    size_t elen = strlen(ellipsis);
    bool fits = utf8_width(s) <= width;
    const char *rest = s;
    int used = 0;
    size_t o = fit_copy(buf, len, &rest, fits ? width : width - ew, elen, &used);
    if (*rest != '\0' && fits) {
        /* it fitted the width but not the buffer: the ellipsis needs its columns too */
        rest = s;
        used = 0;
        o = fit_copy(buf, len, &rest, width - ew, elen, &used);
    }
    if (*rest != '\0' && width >= ew && o + elen + 1 <= len) {
        memcpy(buf + o, ellipsis, elen);
        o += elen;
        used += ew;
    }
    buf[o] = '\0';
    return used;
}

int utf8_fit_tail(char *buf, size_t len, const char *s, int width, const char *ellipsis)
{
    int full = utf8_width(s);
    if (full <= width) {
        return utf8_fit(buf, len, s, width, ellipsis);
    }
    int ew = utf8_width(ellipsis);
    /* skip characters from the front until the rest and the ellipsis fit */
    while (*s != '\0' && full > width - ew) {
        const char *out;
        size_t outlen;
        int w;
        struct text_char c;
        s += cell_next(s, &out, &outlen, &w, &c);
        full -= w;
    }
    size_t elen = strlen(ellipsis);
    if (width < ew || elen + 1 > len) {
        return utf8_fit(buf, len, s, width, ellipsis);
    }
    memcpy(buf, ellipsis, elen);
    return ew + utf8_fit(buf + elen, len - elen, s, width - ew, ellipsis);
}

const uint64_t FNV1A_OFFSET = 0xcbf29ce484222325ULL;

uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL; /* the FNV prime */
    }
    return h;
}

void strbuf_add(struct strbuf *sb, const char *s, size_t n)
{
    if (sb->n + n + 1 > sb->cap) {
        sb->cap = (sb->n + n + 1) * 2; /* doubling: appending stays linear */
        sb->s = xrealloc(sb->s, sb->cap);
    }
    memcpy(sb->s + sb->n, s, n);
    sb->n += n;
    sb->s[sb->n] = '\0';
}

void strbuf_str(struct strbuf *sb, const char *s)
{
    strbuf_add(sb, s, strlen(s));
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    strbuf_str(sb, s);
    free(s);
}

char *read_fd_all(int fd, size_t max, size_t *len, int *err)
{
    size_t got = 0, cap = max < 4096 ? max : 4096;
    char *buf = xmalloc(cap + 1);
    for (;;) {
        if (got == cap) {
            if (cap == max) {
                char one;
                ssize_t n;
                while ((n = read(fd, &one, 1)) < 0 && errno == EINTR) {
                }
                if (n != 0) {
                    *err = n > 0 ? EFBIG : errno;
                    free(buf);
                    return NULL;
                }
                break;
            }
            cap = cap > max / 2 ? max : cap * 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            *err = errno;
            free(buf);
            return NULL;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

bool str_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"on", "true", "yes", "1"};
    static const char *const no[] = {"off", "false", "no", "0"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

bool str_parse_decimal(const char *s, double *out)
{
    const char *p = s;
    double v = 0, scale = 0.1;
    int digits = 0;
    bool neg = *p == '-';
    if (neg) {
        p++;
    }
    if (*p < '0' || *p > '9') {
        return false;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 19) {
            return false;
        }
        v = v * 10 + (*p - '0');
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            return false;
        }
        for (; *p >= '0' && *p <= '9'; p++) {
            v += (*p - '0') * scale;
            scale /= 10;
        }
    }
    if (*p != '\0') {
        return false;
    }
    *out = neg ? -v : v;
    return true;
}

int str_hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

char *str_expand_home(const char *path)
{
    const char *home = getenv("HOME");
    if (str_has_prefix(path, "~/") && home != NULL) {
        return xasprintf("%s/%s", home, path + 2);
    }
    return xstrdup(path);
}

bool str_in(const char *s, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strcmp(s, *list) == 0) {
            return true;
        }
    }
    return false;
}

static size_t wrap_row(const char *s, int width)
{
    size_t at = 0, brk = 0;
    int used = 0;
    while (s[at] != '\0' && s[at] != '\n') {
        const char *out;
        size_t outlen;
        int w;
        struct text_char c;
        size_t n = cell_next(s + at, &out, &outlen, &w, &c);
        if (used + w > width && at > 0) {
            if (s[at] == ' ') {
                while (s[at] == ' ') {
                    at++; /* the blanks at the edge are the break */
                }
                return at;
            }
            return brk > 0 ? brk : at;
        }
        used += w;
        at += n;
        if (s[at - 1] == ' ') {
            brk = at;
        }
    }
    return at;
}

size_t utf8_wrap_next(const char *s, int width, size_t *shown)
{
    size_t n = wrap_row(s, width);
    if (shown != NULL) {
        size_t k = n;
        bool more = s[n] != '\0' && s[n] != '\n';
        while (more && k > 0 && s[k - 1] == ' ') {
            k--;
        }
        *shown = k;
    }
    return n;
}

const char *utf8_skip_width(const char *s, int cols, int *over)
{
    int used = 0;
    while (*s != '\0' && used < cols) {
        const char *out;
        size_t outlen;
        int w;
        struct text_char c;
        s += cell_next(s, &out, &outlen, &w, &c);
        used += w;
    }
    *over = used > cols ? used - cols : 0;
    return s;
}

char *base64_encode(const void *data, size_t n)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *in = data;
    char *out = xmalloc((n + 2) / 3 * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        v |= i + 1 < n ? (unsigned)in[i + 1] << 8 : 0u;
        v |= i + 2 < n ? (unsigned)in[i + 2] : 0u;
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

uint64_t rng_u64(void)
{
    static uint64_t state;
    if (state == 0) {
        state = (uint64_t)clock_mono_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ull;
    }
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}
