/*
 * The printable-text filter (common/text.h): every class of character, the
 * flags, NUL bytes, streams cut at every byte, long input, and the console's
 * cell filter (utf8_fit) drawing the same visible forms.
 */
#include "../../common/text.h"
#include "tap.h"

#include <locale.h>
#include <stdlib.h>

/* clean(s) == want; s may hold NULs (n bytes). */
static void is_clean(const char *s, size_t n, unsigned flags, const char *want, const char *what)
{
    char *got = text_clean(s, n, flags);
    tap_is_str(got, want, what);
    free(got);
}

static void is_clean_str(const char *s, unsigned flags, const char *want, const char *what)
{
    is_clean(s, strlen(s), flags, want, what);
}

static void test_classes(void)
{
    is_clean_str("plain text, 100% ok ~", 0, "plain text, 100% ok ~", "printable ASCII passes");
    is_clean_str("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\xa5", 0,
                 "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x94\xa5",
                 "valid UTF-8 passes (2, 3 and 4 bytes)");
    is_clean_str("a\x1b[2Jb", 0, "a^[[2Jb", "ESC in caret notation");
    is_clean_str("\x1b]52;c;ZWNobyBoaQ==\x07", 0, "^[]52;c;ZWNobyBoaQ==^G",
                 "OSC 52 (clipboard write) shown, BEL too");
    is_clean_str("\x01\x02\x1f", 0, "^A^B^_", "C0 controls");
    is_clean_str("a\x7f", 0, "a^?", "DEL as ^?");
    is_clean_str("x\ry", 0, "x^My", "CR as ^M (it would overwrite the line)");
    is_clean_str("a\nb\tc", 0, "a^Jb^Ic", "newline and tab shown without flags");
    is_clean_str("a\nb\tc", TEXT_NEWLINE, "a\nb^Ic", "TEXT_NEWLINE lets only \\n pass");
    is_clean_str("a\nb\tc", TEXT_TAB, "a^Jb\tc", "TEXT_TAB lets only \\t pass");
    is_clean_str("a\nb\tc\r\n", TEXT_NEWLINE | TEXT_TAB, "a\nb\tc^M\n", "both; CR still shown");
    is_clean_str("\xc2\x9b"
                 "31m",
                 0, "<U+009B>31m", "C1 CSI (U+009B as UTF-8) shown");
    is_clean_str("\xc2\x80\xc2\x9f\xc2\xa0", 0, "<U+0080><U+009F>\xc2\xa0",
                 "C1 range U+0080-U+009F, U+00A0 passes");
    is_clean_str("abc\xe2\x80\xae"
                 "def",
                 0, "abc<U+202E>def", "RLO (U+202E) neutralised");
    is_clean_str("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", 0,
                 "<U+202A><U+202B><U+202C><U+202D>", "bidi embeddings and overrides U+202A-202D");
    is_clean_str("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", 0,
                 "<U+2066><U+2067><U+2068><U+2069>", "bidi isolates U+2066-2069");
    is_clean_str("a\xe2\x80\x8b"
                 "b\xe2\x80\x8c\xe2\x80\x8d\xe2\x80\x8e\xe2\x80\x8f",
                 0, "a<U+200B>b<U+200C><U+200D><U+200E><U+200F>",
                 "zero-width characters and marks U+200B-200F");
    is_clean_str("\xe2\x80\xa8\xe2\x80\xa9", 0, "<U+2028><U+2029>",
                 "line and paragraph separators");
    is_clean_str("\xe2\x81\xa0\xe2\x81\xa4\xef\xbb\xbf\xd8\x9c\xe1\xa0\x8e", 0,
                 "<U+2060><U+2064><U+FEFF><U+061C><U+180E>",
                 "word joiner, invisible operators, BOM, ALM, MVS");
    is_clean_str("\xf3\xa0\x80\x81\xf3\xa0\x81\xbf", 0, "<U+E0001><U+E007F>",
                 "tag characters (invisible ASCII)");
    is_clean_str("\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xaf", 0, "\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xaf",
                 "neighbours of the ranges pass (U+200A, U+2010, U+202F)");
}

static void test_invalid(void)
{
    is_clean_str("\xff\xfe", 0, "\\xFF\\xFE", "bytes that are never UTF-8 as \\xNN");
    is_clean_str("a\x9b"
                 "b",
                 0, "a\\x9Bb", "a lone C1 byte is invalid UTF-8: \\x9B");
    is_clean_str("\xc0\x9b", 0, "\\xC0\\x9B", "overlong ESC (C0 9B)");
    is_clean_str("\xc1\xbf", 0, "\\xC1\\xBF", "overlong two-byte");
    is_clean_str("\xe0\x80\xaf", 0, "\\xE0\\x80\\xAF", "overlong three-byte");
    is_clean_str("\xf0\x80\x80\xaf", 0, "\\xF0\\x80\\x80\\xAF", "overlong four-byte");
    is_clean_str("\xed\xa0\x80", 0, "\\xED\\xA0\\x80", "a surrogate");
    is_clean_str("\xf4\x90\x80\x80", 0, "\\xF4\\x90\\x80\\x80", "past U+10FFFF");
    is_clean_str("\xf5\x80\x80\x80", 0, "\\xF5\\x80\\x80\\x80", "lead byte F5");
    is_clean_str("\xe2\x80", 0, "\\xE2\\x80", "a sequence cut by the end");
    is_clean_str("\xe2\x80x", 0, "\\xE2\\x80x", "a sequence cut by ASCII");
    is_clean_str("\xc2\x1b", 0, "\\xC2^[", "a lead byte before ESC: ESC still shown");
    is_clean_str("\xf4\x8f\xbf\xbf", 0, "\xf4\x8f\xbf\xbf", "U+10FFFF is valid");
}

static void test_nul_and_json(void)
{
    is_clean("a\0b", 3, 0, "a^@b", "NUL inside the length shown as ^@");
    is_clean("", 0, 0, "", "empty in, empty out");
    char *n = text_clean_str(NULL, 0);
    tap_ok(n == NULL, "text_clean_str(NULL) is NULL");
    is_clean_str("{\n\t\"k\":\t\"a\\u001b\x7f\xc2\x9b\xe2\x80\xae\xf3\xa0\x80\x81\xff\"\n}",
                 TEXT_JSON | TEXT_NEWLINE | TEXT_TAB,
                 "{\n\t\"k\":\t\"a\\u001b\\u007f\\u009b\\u202e\\udb40\\udc01\\\\xFF\"\n}",
                 "JSON: escapes keep the data, a surrogate pair above U+FFFF, \\\\xNN");
}

static void test_idempotent(void)
{
    const char *nasty = "\x1b[31m\xc2\x9b\xe2\x80\xae\xff\x01\x7f\t\n\xe2\x80";
    char *once = text_clean_str(nasty, TEXT_NEWLINE);
    char *twice = text_clean_str(once, TEXT_NEWLINE);
    tap_is_str(twice, once, "cleaning clean text changes nothing");
    free(once);
    free(twice);
}

/* Feed s in chunks cut at every pair of positions; the result equals the one-shot. */
static void test_stream(void)
{
    const char *s = "a\xc2\x9b"
                    "b\xe2\x80\xae"
                    "c\xf0\x9f\x94\xa5\x1b]52;c;QQ==\x07\xe2\x80\xff\xc3"
                    "\xa9\n";
    size_t n = strlen(s);
    char *want = text_clean(s, n, TEXT_NEWLINE);
    int bad = 0;
    for (size_t i = 0; i <= n; i++) {
        for (size_t j = i; j <= n; j++) {
            struct text_stream ts;
            struct strbuf sb = {0};
            text_stream_init(&ts, TEXT_NEWLINE);
            text_stream_add(&ts, &sb, s, i);
            text_stream_add(&ts, &sb, s + i, j - i);
            text_stream_add(&ts, &sb, s + j, n - j);
            text_stream_end(&ts, &sb);
            if (sb.s == NULL || strcmp(sb.s, want) != 0) {
                if (bad++ == 0) {
                    tap_diag("cut at %zu and %zu: '%s'", i, j, sb.s ? sb.s : "");
                }
            }
            free(sb.s);
        }
    }
    tap_ok(bad == 0, "a stream cut anywhere (twice) gives the one-shot text (%d differ)", bad);
    free(want);

    /* one byte at a time: U+009B and U+202E split across reads are still shown */
    struct text_stream ts;
    struct strbuf sb = {0};
    text_stream_init(&ts, 0);
    const char *c1 = "\xc2\x9b\xe2\x80\xae";
    for (size_t i = 0; i < strlen(c1); i++) {
        text_stream_add(&ts, &sb, c1 + i, 1);
    }
    tap_is_str(sb.s, "<U+009B><U+202E>", "C1 and RLO split byte by byte are shown once complete");
    tap_is_int((long long)ts.nheld, 0, "nothing held after a complete character");
    text_stream_add(&ts, &sb, "\xe2\x80", 2);
    tap_is_str(sb.s, "<U+009B><U+202E>", "a cut start is held, not printed");
    text_stream_end(&ts, &sb);
    tap_is_str(sb.s, "<U+009B><U+202E>\\xE2\\x80", "at the end what was held shows as invalid");
    text_stream_add(&ts, &sb, "\x1b", 1);
    text_stream_add(&ts, &sb, "[2J", 3);
    tap_is_str(sb.s, "<U+009B><U+202E>\\xE2\\x80^[[2J",
               "an ESC sequence split across reads: ESC shown all the same");
    free(sb.s);

    /* a held start that the next chunk refuses: each byte shown, the rest goes on */
    sb = (struct strbuf){0};
    text_stream_init(&ts, 0);
    text_stream_add(&ts, &sb, "\xf0\x9f", 2);
    text_stream_add(&ts, &sb, "\x1bok", 3);
    tap_is_str(sb.s, "\\xF0\\x9F^[ok", "a held start cut off by ESC");
    free(sb.s);
}

static void test_long(void)
{
    size_t n = 1u << 20;
    char *big = xmalloc(n);
    for (size_t i = 0; i < n; i++) {
        big[i] = (i % 64 == 63) ? '\x1b' : 'x';
    }
    char *out = text_clean(big, n, 0);
    size_t esc = 0;
    for (const char *p = out; *p != '\0'; p++) {
        esc += *p == '\x1b';
    }
    tap_ok(strlen(out) == n + n / 64 && esc == 0, "1 MiB with an ESC every 64 bytes: all shown");
    free(out);
    free(big);
}

static void test_next(void)
{
    struct text_char c;
    text_next("\xe2\x80\xae!", 4, 0, &c);
    tap_ok(c.len == 3 && !c.plain && strcmp(c.shown, "<U+202E>") == 0,
           "text_next: U+202E takes 3 bytes, shown <U+202E>");
    text_next("\xc3\xa9", 2, 0, &c);
    tap_ok(c.len == 2 && c.plain, "text_next: e-acute is plain, 2 bytes");
    text_next("\xc3", 1, 0, &c);
    tap_ok(c.len == 1 && !c.plain && strcmp(c.shown, "\\xC3") == 0,
           "text_next: a cut sequence is one invalid byte");
}

/* Lines: the format's own leading and trailing newlines pass, outside text stays on its line. */
static void test_printf(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    text_printf(f, "\n== %s (%d) ==\n", "evil\n== fake\x1b[2J", 3);
    text_printf(f, "%s\t|\n\n", "a\tb\xc2\x9b");
    text_printf(f, "\n");
    text_printf(f, "%s", "");
    text_printf(f, "%s\n", "\n\n");
    fclose(f);
    tap_is_str(buf,
               "\n== evil^J== fake^[[2J (3) ==\n"
               "a\tb<U+009B>\t|\n\n"
               "\n"
               "^J^J\n",
               "text_printf: newlines of the format pass, those of the values are ^J");
    free(buf);
}

/* The console's cells draw the same forms, and count their width. */
static void test_cells(void)
{
    char buf[128];
    int w = utf8_fit(buf, sizeof buf, "a\x1b[2Jb\x07", 20, "~");
    tap_is_str(buf, "a^[[2Jb^G", "a cell shows ESC and BEL as ^[ and ^G");
    tap_is_int(w, 9, "their width is that of the caret form");
    tap_is_int(utf8_width("a\x1b"), 3, "utf8_width counts ^[ as two cells");
    tap_is_int(utf8_width("\xe2\x80\xae"), 8, "and <U+202E> as eight");
    utf8_fit(buf, sizeof buf, "x\xe2\x80\xaey\xc2\x9b\xff", 40, "~");
    tap_is_str(buf, "x<U+202E>y<U+009B>\\xFF", "a cell shows bidi, C1 and invalid bytes visibly");
    w = utf8_fit(buf, sizeof buf, "ab\x1b", 3, "~");
    tap_is_str(buf, "ab~", "a visible form is never cut in half");
    tap_ok(w <= 3, "and the width holds (%d)", w);
    w = utf8_fit_tail(buf, sizeof buf,
                      "\x1b\x1b\x1b"
                      "abc",
                      6, "~");
    tap_is_str(buf, "~^[abc", "fit_tail keeps whole visible forms too");
    tap_ok(w == 6 && utf8_width(buf) == 6, "fit_tail width (%d)", w);
    setlocale(LC_ALL, "C");
    utf8_fit(buf, sizeof buf, "caf\xc3\xa9\x1b", 20, "~");
    tap_is_str(buf, "caf?^[", "an ASCII terminal: a letter it cannot draw is '?', ESC still ^[");
    char *line = text_clean_str("caf\xc3\xa9\x1b\xe2\x80\xae", 0);
    tap_is_str(line, "caf\xc3\xa9^[<U+202E>", "under LANG=C the filter decodes UTF-8 itself");
    free(line);
    setlocale(LC_ALL, "C.UTF-8");
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    test_classes();
    test_invalid();
    test_nul_and_json();
    test_idempotent();
    test_stream();
    test_long();
    test_next();
    test_printf();
    test_cells();
    return tap_done();
}
