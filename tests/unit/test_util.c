/* Durations, display widths and fitting text into cells. */
#include "../../common/clock.h"
#include "../../common/util.h"
#include "tap.h"

#include <locale.h>
#include <stdlib.h>

static void test_durations(void)
{
    int64_t s = -1;
    tap_ok(duration_parse("90", &s) && s == 90, "bare number is seconds");
    tap_ok(duration_parse("30m", &s) && s == 1800, "30m");
    tap_ok(duration_parse("1h30m", &s) && s == 5400, "1h30m");
    tap_ok(duration_parse("2d", &s) && s == 172800, "2d");
    s = 7;
    tap_ok(!duration_parse("", &s) && s == 7, "empty rejected, out untouched");
    tap_ok(!duration_parse("-5m", &s), "negative rejected");
    tap_ok(!duration_parse("1h30", &s), "unit-less tail after a unit rejected");
    tap_ok(!duration_parse("5x", &s), "unknown unit rejected");
    tap_ok(!duration_parse("99999999999999999999", &s), "overflow rejected");
    tap_ok(!duration_parse("9999999999999999d", &s), "overflow by unit rejected");
    char buf[16];
    duration_format(buf, sizeof buf, 42);
    tap_is_str(buf, "42s", "format seconds");
    duration_format(buf, sizeof buf, 3 * 3600 + 5);
    tap_is_str(buf, "3h", "format hours");
    duration_format(buf, sizeof buf, -1);
    tap_is_str(buf, "--", "format negative");
    duration_format2(buf, sizeof buf, 2 * 3600 - 5);
    tap_is_str(buf, "1h59m", "a 2h silence a moment later ends in 1h59m, not 1h");
    duration_format2(buf, sizeof buf, 3600);
    tap_is_str(buf, "1h", "whole hours have no minutes");
    duration_format2(buf, sizeof buf, 2 * 86400 + 3 * 3600 + 59);
    tap_is_str(buf, "2d3h", "days and hours");
    duration_format2(buf, sizeof buf, 59 * 60 + 30);
    tap_is_str(buf, "59m", "under an hour as duration_format");
}

static void test_widths(void)
{
    tap_is_int(utf8_width("abc"), 3, "ascii width");
    tap_is_int(utf8_width("caf\xc3\xa9"), 4, "utf-8 accented width");
    tap_is_int(utf8_width("\xe6\x97\xa5\xe6\x9c\xac"), 4, "CJK is two cells each");
    char buf[64];
    int w = utf8_fit(buf, sizeof buf, "orders.created.dlq", 10, "~");
    tap_is_str(buf, "orders.cr~", "fit truncates with ellipsis");
    tap_is_int(w, 10, "fit uses exactly the width");
    w = utf8_fit(buf, sizeof buf, "short", 10, "~");
    tap_is_str(buf, "short", "fit leaves short text alone");
    utf8_fit(buf, sizeof buf, "a\x1b[2Jb\x07", 20, "~");
    tap_is_str(buf, "a^[[2Jb^G", "control bytes never reach the terminal: shown as ^[ and ^G");
    utf8_fit(buf, sizeof buf, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 5, "~");
    tap_ok(utf8_width(buf) <= 5, "fit never splits a wide char over the limit (%s)", buf);
    utf8_fit(buf, sizeof buf, "\xff\xfe", 8, "~");
    tap_is_str(buf, "\\xFF\\xFE", "invalid UTF-8 shown as \\xNN");
    utf8_fit(buf, 4, "abcdefgh", 100, "~");
    tap_ok(strlen(buf) < 4, "fit respects the buffer size");
    /* the text fits 9 columns (its last marks take none); a 20-byte buffer does not hold it */
    char small[20];
    w = utf8_fit(small, sizeof small,
                 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                 "\xcc\x81\xcc\x81\xcc\x81",
                 9, "~");
    tap_ok(w <= 9 && utf8_width(small) <= 9 && strlen(small) < sizeof small,
           "cut by the buffer, the text and its ellipsis stay within the width (%d: %s)", w, small);
    w = utf8_fit_tail(buf, sizeof buf, "registry.example.com/shop/checkout:v2.14.1", 20, "~");
    tap_is_str(buf, "~op/checkout:v2.14.1", "fit_tail keeps the image tag");
    tap_ok(w <= 20 && utf8_width(buf) <= 20, "fit_tail stays within the width");
    utf8_fit_tail(buf, sizeof buf, "short", 20, "~");
    tap_is_str(buf, "short", "fit_tail leaves short text alone");
}

static void test_strings(void)
{
    tap_ok(str_casestr("Orders.Created", "created") != NULL, "casestr folds case");
    tap_ok(str_casestr("orders", "x") == NULL, "casestr misses");
    char s[] = "  padded \t";
    tap_is_str(str_trim(s), "padded", "trim");
    char *p = xasprintf("%s-%d", "web", 2);
    tap_is_str(p, "web-2", "xasprintf");
    free(p);
}

static void test_numbers_and_paths(void)
{
    double v = -7;
    tap_ok(str_parse_decimal("12", &v) && v == 12, "decimal: 12");
    tap_ok(str_parse_decimal("-1", &v) && v == -1, "decimal: -1");
    tap_ok(str_parse_decimal("0.5", &v) && v == 0.5, "decimal: 0.5");
    v = -7;
    tap_ok(!str_parse_decimal("", &v) && !str_parse_decimal("+1", &v) &&
               !str_parse_decimal(" 1", &v) && !str_parse_decimal("1e3", &v) &&
               !str_parse_decimal("1.", &v) && !str_parse_decimal(".5", &v) &&
               !str_parse_decimal("-", &v) && !str_parse_decimal("0x10", &v) &&
               !str_parse_decimal("12345678901234567890", &v),
           "decimal: empty, '+', blanks, exponents, a bare point, hex, 20 digits are refused");
    tap_ok(v == -7, "decimal: a refusal leaves *out alone");
    tap_ok(str_hex_value('0') == 0 && str_hex_value('9') == 9 && str_hex_value('a') == 10 &&
               str_hex_value('F') == 15 && str_hex_value('g') == -1 && str_hex_value('%') == -1,
           "hex digits");

    const char *home = getenv("HOME");
    char *saved = home != NULL ? xstrdup(home) : NULL;
    setenv("HOME", "/home/op", 1);
    char *p = str_expand_home("~/secrets/token");
    tap_is_str(p, "/home/op/secrets/token", "expand_home: ~/ is $HOME");
    free(p);
    p = str_expand_home("~op/x");
    tap_is_str(p, "~op/x", "expand_home: ~user is left alone");
    free(p);
    p = str_expand_home("/etc/x");
    tap_is_str(p, "/etc/x", "expand_home: an absolute path is left alone");
    free(p);
    unsetenv("HOME");
    p = str_expand_home("~/x");
    tap_is_str(p, "~/x", "expand_home: without HOME, as it is");
    free(p);
    if (saved != NULL) {
        setenv("HOME", saved, 1);
        free(saved);
    }
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    test_durations();
    test_widths();
    test_strings();
    test_numbers_and_paths();
    return tap_done();
}
