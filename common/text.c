/*
 * The printable-text filter (text.h). A strict UTF-8 decoder (Unicode 15,
 * table 3-7: no overlongs, surrogates or code points past U+10FFFF) feeds a
 * classifier with three answers: plain, a control (caret notation or
 * <U+XXXX>), or an invalid byte (\xNN). An invalid sequence costs one byte
 * and decoding starts again at the next, so every byte of it is shown.
 */
#include "text.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* decode() when the n bytes are a valid start of a sequence longer than n. */
enum { CUT_SHORT = 5 };

/*
 * The bytes of the sequence at s (1-4, code point in *cp), 0 when s[0]
 * starts no valid sequence, CUT_SHORT when the n bytes are a valid but
 * incomplete start.
 */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf; /* the valid range of the second byte */
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80; /* overlong */
        hi = c == 0xed ? 0x9f : 0xbf; /* surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        lo = c == 0xf0 ? 0x90 : 0x80; /* overlong */
        hi = c == 0xf4 ? 0x8f : 0xbf; /* past U+10FFFF */
    } else {
        return 0; /* continuation byte, C0/C1 overlong lead, or 0xF5-0xFF */
    }
    uint32_t v = c & (need == 2 ? 0x1f : need == 3 ? 0x0f : 0x07);
    for (size_t i = 1; i < need; i++) {
        if (i >= n) {
            return CUT_SHORT;
        }
        unsigned char b = s[i];
        if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xbf)) {
            return 0;
        }
        v = (v << 6) | (b & 0x3f);
    }
    *cp = v;
    return need;
}

/* Bidi embeddings, overrides, isolates and marks; zero-width and invisible characters. */
static const struct {
    uint32_t from, to;
} invisible[] = {
    {0x061c, 0x061c},   /* ARABIC LETTER MARK */
    {0x180e, 0x180e},   /* MONGOLIAN VOWEL SEPARATOR */
    {0x200b, 0x200f},   /* zero width space, non-joiner, joiner; LRM, RLM */
    {0x2028, 0x202e},   /* line and paragraph separators; LRE RLE PDF LRO RLO */
    {0x2060, 0x206f},   /* word joiner, invisible operators; LRI RLI FSI PDI; deprecated */
    {0xfeff, 0xfeff},   /* zero width no-break space (BOM) */
    {0xfff9, 0xfffb},   /* interlinear annotation */
    {0xe0000, 0xe007f}, /* tags: invisible ASCII look-alikes */
};

static bool is_invisible(uint32_t cp)
{
    for (size_t i = 0; i < sizeof invisible / sizeof invisible[0]; i++) {
        if (cp >= invisible[i].from && cp <= invisible[i].to) {
            return true;
        }
    }
    return false;
}

static void show_code_point(struct text_char *c, uint32_t cp, unsigned flags)
{
    c->plain = false;
    if (!(flags & TEXT_JSON)) {
        if (cp < 0x20 || cp == 0x7f) {
            snprintf(c->shown, sizeof c->shown, "^%c", (char)(cp ^ 0x40));
        } else {
            snprintf(c->shown, sizeof c->shown, "<U+%04X>", (unsigned)cp);
        }
    } else if (cp > 0xffff) {
        uint32_t v = cp - 0x10000;
        snprintf(c->shown, sizeof c->shown, "\\u%04x\\u%04x", (unsigned)(0xd800 + (v >> 10)),
                 (unsigned)(0xdc00 + (v & 0x3ff)));
    } else {
        snprintf(c->shown, sizeof c->shown, "\\u%04x", (unsigned)cp);
    }
}

/* text_next() that also says whether the n bytes were a cut sequence. */
static bool classify(const char *s, size_t n, unsigned flags, struct text_char *c)
{
    uint32_t cp = 0;
    size_t len = decode((const unsigned char *)s, n, &cp);
    if (len == 0 || len == CUT_SHORT) {
        c->len = 1;
        c->plain = false;
        snprintf(c->shown, sizeof c->shown, (flags & TEXT_JSON) ? "\\\\x%02X" : "\\x%02X",
                 (unsigned)(unsigned char)s[0]);
        return len == CUT_SHORT;
    }
    c->len = len;
    c->plain = true;
    if ((cp == '\n' && (flags & TEXT_NEWLINE)) || (cp == '\t' && (flags & TEXT_TAB))) {
        return false;
    }
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || is_invisible(cp)) {
        show_code_point(c, cp, flags);
    }
    return false;
}

void text_next(const char *s, size_t n, unsigned flags, struct text_char *c)
{
    classify(s, n, flags, c);
}

/* Clean s into sb; with cut, stop before a sequence cut by the end and return its offset. */
static size_t add(struct strbuf *sb, const char *s, size_t n, unsigned flags, bool cut)
{
    size_t i = 0, run = 0; /* s[run..i) is plain and not yet appended */
    while (i < n) {
        unsigned char b = (unsigned char)s[i];
        if (b >= 0x20 && b < 0x7f) {
            i++; /* printable ASCII, the common case */
            continue;
        }
        struct text_char c;
        bool cut_short = classify(s + i, n - i, flags, &c);
        if (cut_short && cut) {
            break;
        }
        if (!c.plain) {
            strbuf_add(sb, s + run, i - run);
            strbuf_str(sb, c.shown);
            run = i + c.len;
        }
        i += c.len;
    }
    strbuf_add(sb, s + run, i - run);
    return i;
}

void text_add(struct strbuf *sb, const char *s, size_t n, unsigned flags)
{
    add(sb, s, n, flags, false);
}

char *text_clean(const char *s, size_t n, unsigned flags)
{
    struct strbuf sb = {0};
    text_add(&sb, s, n, flags);
    return sb.s != NULL ? sb.s : xstrdup("");
}

char *text_clean_str(const char *s, unsigned flags)
{
    return s != NULL ? text_clean(s, strlen(s), flags) : NULL;
}

void text_vprintf(FILE *out, const char *fmt, va_list ap)
{
    size_t lead = strspn(fmt, "\n"), flen = strlen(fmt), trail = 0;
    while (trail < flen - lead && fmt[flen - 1 - trail] == '\n') {
        trail++;
    }
    char *raw = xvasprintf(fmt, ap);
    size_t n = strlen(raw);
    if (n < lead + trail) {
        lead = trail = 0; /* vsnprintf failed and gave "" */
    }
    /* the format's own newlines are the first lead and last trail bytes of raw */
    struct strbuf sb = {0};
    strbuf_add(&sb, raw, lead);
    text_add(&sb, raw + lead, n - lead - trail, TEXT_TAB);
    strbuf_add(&sb, raw + n - trail, trail);
    if (sb.n > 0) {
        fwrite(sb.s, 1, sb.n, out);
    }
    free(sb.s);
    free(raw);
}

void text_printf(FILE *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_vprintf(out, fmt, ap);
    va_end(ap);
}

void text_stream_init(struct text_stream *ts, unsigned flags)
{
    memset(ts, 0, sizeof *ts);
    ts->flags = flags;
}

void text_stream_add(struct text_stream *ts, struct strbuf *out, const char *s, size_t n)
{
    /* first the held start, completed (or refused) by the first bytes of this chunk */
    while (ts->nheld > 0 && n > 0) {
        char tmp[8];
        size_t k = n < 4 ? n : 4;
        memcpy(tmp, ts->held, ts->nheld);
        memcpy(tmp + ts->nheld, s, k);
        struct text_char c;
        if (classify(tmp, ts->nheld + k, ts->flags, &c)) {
            /* still cut short: this whole chunk is part of it (a valid start is < 4 bytes) */
            memcpy(ts->held, tmp, ts->nheld + k);
            ts->nheld += k;
            return;
        }
        if (c.plain) {
            strbuf_add(out, tmp, c.len);
        } else {
            strbuf_str(out, c.shown);
        }
        if (c.len >= ts->nheld) {
            s += c.len - ts->nheld;
            n -= c.len - ts->nheld;
            ts->nheld = 0;
        } else {
            ts->nheld -= c.len;
            memmove(ts->held, ts->held + c.len, ts->nheld);
        }
    }
    size_t used = add(out, s, n, ts->flags, true);
    memcpy(ts->held + ts->nheld, s + used, n - used);
    ts->nheld += n - used;
}

void text_stream_end(struct text_stream *ts, struct strbuf *out)
{
    add(out, (const char *)ts->held, ts->nheld, ts->flags, false);
    ts->nheld = 0;
}
