/*
 * libFuzzer harness for the one printable-text filter (common/text.h) and the
 * console's cell filter built on it (utf8_fit). It checks the property, not
 * only that nothing crashes. The first bytes choose the flags, the cell width
 * and two cut points; the rest is the text.
 *
 * For text_clean() with any flags, the output decodes as strict UTF-8 (an
 * oracle written here, not text.c's decoder) and holds no byte below 0x20 but
 * an allowed \n or \t, no DEL, no C1 control, no bidi control or invisible
 * character; cleaning it again changes nothing; fed as a stream cut at the
 * two points it is the same text. utf8_fit() output fits its width and
 * buffer and holds none of those either.
 */
#include "../../common/text.h"
#include "../../common/util.h"

#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Strict UTF-8: the code point at s (n bytes left) and its length, 0 when invalid. */
static size_t oracle_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t need = s[0] < 0x80             ? 1
                  : (s[0] & 0xe0) == 0xc0 ? 2
                  : (s[0] & 0xf0) == 0xe0 ? 3
                  : (s[0] & 0xf8) == 0xf0 ? 4
                                          : 0;
    if (need <= 1) {
        *cp = s[0];
        return need;
    }
    uint32_t v = s[0] & (0x7fu >> need);
    if (n < need) {
        return 0;
    }
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        v = (v << 6) | (s[i] & 0x3f);
    }
    if (v < min[need] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        return 0;
    }
    *cp = v;
    return need;
}

static int forbidden(uint32_t cp, unsigned flags)
{
    if (cp == '\n') {
        return !(flags & TEXT_NEWLINE);
    }
    if (cp == '\t') {
        return !(flags & TEXT_TAB);
    }
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x180e ||
           (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
           (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff || (cp >= 0xfff9 && cp <= 0xfffb) ||
           (cp >= 0xe0000 && cp <= 0xe007f);
}

/* Abort unless s (n bytes) is strict UTF-8 with no forbidden code point. */
static void check_printable(const char *s, size_t n, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp = 0;
        size_t len = oracle_decode(p + i, n - i, &cp);
        if (len == 0 || forbidden(cp, flags)) {
            abort();
        }
        i += len;
    }
}

static void check_filter(const char *text, size_t n, unsigned flags, size_t cut1, size_t cut2)
{
    struct strbuf once = {0};
    text_add(&once, text, n, flags);
    const char *out = once.s != NULL ? once.s : "";
    if (strlen(out) != once.n) {
        abort(); /* a NUL got through */
    }
    check_printable(out, once.n, flags);

    char *again = text_clean(out, once.n, flags);
    if (strcmp(again, out) != 0) {
        abort(); /* not idempotent: a visible form was itself changed */
    }
    free(again);

    struct text_stream ts;
    struct strbuf streamed = {0};
    text_stream_init(&ts, flags);
    text_stream_add(&ts, &streamed, text, cut1);
    text_stream_add(&ts, &streamed, text + cut1, cut2 - cut1);
    text_stream_add(&ts, &streamed, text + cut2, n - cut2);
    text_stream_end(&ts, &streamed);
    if (streamed.n != once.n || (once.n > 0 && memcmp(streamed.s, once.s, once.n) != 0)) {
        abort(); /* a cut changed the text */
    }
    free(streamed.s);
    free(once.s);
}

static void check_cells(const char *text, int width)
{
    char buf[96];
    int used = utf8_fit(buf, sizeof buf, text, width, "~");
    size_t len = strlen(buf);
    if (used > width || utf8_width(buf) > width || len >= sizeof buf) {
        abort();
    }
    check_printable(buf, len, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setlocale(LC_ALL, "C.UTF-8");
        ready = 1;
    }
    if (size < 4) {
        return 0;
    }
    unsigned flags = data[0] & (TEXT_NEWLINE | TEXT_TAB | TEXT_JSON);
    int width = data[1] % 64;
    const char *text = (const char *)data + 4;
    size_t n = size - 4;
    size_t a = n > 0 ? data[2] % (n + 1) : 0, b = n > 0 ? data[3] % (n + 1) : 0;
    check_filter(text, n, flags, a < b ? a : b, a < b ? b : a);
    /* the cells take C strings: the text up to its first NUL */
    char *z = xstrndup(text, n);
    check_cells(z, width);
    free(z);
    return 0;
}
