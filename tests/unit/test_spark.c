/*
 * Sparklines (common/spark.h): the series as text (parse, format, garbage),
 * the renderer at every width from 0 to past the samples, gaps, a series of
 * no data, a flat one, more and fewer samples than cells, Unicode blocks
 * against ASCII levels, and the multi-line chart at several heights.
 */
#include "../../common/spark.h"
#include "../../common/util.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Cells of a UTF-8 string: code points (every glyph here is one cell wide). */
static int cells(const char *s)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        n += (*p & 0xC0) != 0x80;
    }
    return n;
}

static const char *const ascii_levels = "._-=+*#^";
static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                      "\u2585", "\u2586", "\u2587", "\u2588"};

static void render_is(const char *series, int width, bool ascii, const char *want, const char *what)
{
    double v[256];
    size_t n = spark_parse(series, v, 256);
    char buf[1024];
    int got = spark_render(buf, sizeof buf, v, n, width, ascii);
    tap_ok(got == width && strcmp(buf, want) == 0, "%s: '%s' in %d -> '%s'", what, series, width,
           want);
    if (got != width || strcmp(buf, want) != 0) {
        tap_diag("got '%s' (%d cells)", buf, got);
    }
}

static void test_parse(void)
{
    double v[16];
    tap_is_int((long long)spark_parse("0.2 0.4 nan 1", v, 16), 4, "parse: four samples");
    tap_ok(v[0] == 0.2 && v[1] == 0.4 && isnan(v[2]) && v[3] == 1, "parse: values and the gap");
    tap_is_int((long long)spark_parse(NULL, v, 16), 0, "parse: NULL is no samples");
    tap_is_int((long long)spark_parse("", v, 16), 0, "parse: empty is no samples");
    tap_is_int((long long)spark_parse("   ", v, 16), 0, "parse: blanks are no samples");
    size_t n = spark_parse("  abc 1 2x  3 inf -inf 1e3 -2.5 0x10 ", v, 16);
    tap_is_int((long long)n, 9, "parse: garbage still counts as samples");
    tap_ok(isnan(v[0]) && v[1] == 1 && isnan(v[2]) && v[3] == 3 && isnan(v[4]) && isnan(v[5]) &&
               v[6] == 1000 && v[7] == -2.5,
           "parse: words, half numbers and infinities are gaps; numbers are numbers");
    tap_is_int((long long)spark_parse("1 2 3 4 5", v, 3), 3, "parse: at most max samples");
    tap_is_int((long long)spark_parse("1 2 3", v, 0), 0, "parse: max 0 reads nothing");

    /* bytes that are no series at all: never a crash, every sample a gap or a number */
    unsigned seed = 7;
    bool sane = true;
    for (int t = 0; t < 2000; t++) {
        char text[64];
        size_t len = (size_t)(t % 63);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            text[i] = (char)(1 + (seed >> 16) % 255);
        }
        text[len] = '\0';
        double w[64];
        size_t k = spark_parse(text, w, 64);
        for (size_t i = 0; i < k; i++) {
            sane = sane && (isnan(w[i]) || isfinite(w[i]));
        }
        char out[256];
        sane = sane && spark_render(out, sizeof out, w, k, 20, true) == 20 && strlen(out) == 20;
        char *chart = spark_chart(w, k, 10, 3, false);
        sane = sane && cells(chart) == 3 * 11;
        free(chart);
    }
    tap_ok(sane, "parse: 2000 strings of random bytes read and draw without harm");
}

static void test_format(void)
{
    double v[] = {0.2, NAN, 1, INFINITY, -3.5, 1e-7};
    char *s = spark_format(v, 6);
    tap_is_str(s, "0.2 nan 1 nan -3.5 1e-07", "format: gaps and infinities as nan");
    double back[8];
    size_t n = spark_parse(s, back, 8);
    tap_ok(n == 6 && back[0] == 0.2 && isnan(back[1]) && back[4] == -3.5 && back[5] == 1e-7,
           "format then parse gives the series back");
    free(s);
    s = spark_format(v, 0);
    tap_is_str(s, "", "format: no samples is empty");
    free(s);

    tap_ok(spark_last(v, 6) == 1e-7, "last: the newest finite sample");
    double tail[] = {1, 2, NAN, NAN};
    tap_ok(spark_last(tail, 4) == 2, "last: trailing gaps are skipped");
    double none[] = {NAN, NAN};
    tap_ok(isnan(spark_last(none, 2)) && isnan(spark_last(none, 0)), "last: no data is NaN");
    double min = 0, max = 0;
    tap_ok(spark_range(v, 6, &min, &max) && min == -3.5 && max == 1, "range: finite samples only");
    tap_ok(!spark_range(none, 2, &min, &max), "range: none with no data");
}

static void test_widths(void)
{
    /* a rising hour: 60 samples */
    double v[60];
    for (int i = 0; i < 60; i++) {
        v[i] = i;
    }
    bool ascii_ok = true, uni_ok = true, ends_ok = true;
    for (int width = 0; width <= 80; width++) {
        char a[512], u[512];
        int na = spark_render(a, sizeof a, v, 60, width, true);
        int nu = spark_render(u, sizeof u, v, 60, width, false);
        ascii_ok = ascii_ok && na == width && (int)strlen(a) == width;
        uni_ok = uni_ok && nu == width && cells(u) == width;
        /* a rising series never steps down, and the newest cell is the highest */
        for (int i = 1; i < na; i++) {
            if (a[i - 1] == ' ') {
                continue; /* more cells than samples: blank on the left */
            }
            ends_ok = ends_ok && strchr(ascii_levels, a[i]) >= strchr(ascii_levels, a[i - 1]);
        }
        if (width == 1 || width >= 8) {
            ends_ok = ends_ok && a[width - 1] == '^';
        }
        if (width >= 8 && width <= 60) {
            ends_ok = ends_ok && a[0] == '.'; /* the oldest (the min) first, shares small enough */
        }
    }
    tap_ok(ascii_ok, "render ASCII: exactly width cells for every width 0..80");
    tap_ok(uni_ok, "render Unicode: exactly width cells for every width 0..80");
    tap_ok(ends_ok, "render: rising stays rising, the newest last and highest, the oldest first");

    char buf[8] = "xxxxxxx";
    tap_ok(spark_render(buf, sizeof buf, v, 60, 0, false) == 0 && buf[0] == '\0',
           "width 0 draws nothing");
    tap_ok(spark_render(buf, sizeof buf, v, 0, 0, true) == 0 && buf[0] == '\0',
           "width 0 and no samples: nothing");
    render_is("1 9 5", 1, true, "+", "width 1: the newest level (5 of 1..9)");
    render_is("1 5 9", 1, true, "^", "width 1: the newest level (max)");
    render_is("9 5 1", 1, false, blocks[0], "width 1 Unicode: the newest level (min)");
    render_is("1 2 3", 1, true, "^", "width 1 with fewer samples");

    /* a buffer too small: fewer cells, never an overflow */
    char small[4];
    tap_is_int(spark_render(small, sizeof small, v, 60, 10, false), 1,
               "a 4-byte buffer holds one Unicode cell");
    tap_is_int(spark_render(small, sizeof small, v, 60, 10, true), 3,
               "a 4-byte buffer holds three ASCII cells");
    tap_is_int(spark_render(small, 0, v, 60, 10, true), 0, "len 0: nothing written");
}

static void test_shapes(void)
{
    render_is("1 nan 3", 3, true, ". ^", "a gap is a blank cell");
    render_is("nan nan nan", 3, true, "   ", "all no data: blank");
    render_is("nan nan nan", 3, false, "   ", "all no data Unicode: blank");
    render_is("", 4, true, "    ", "no samples: blank");
    render_is("5 5 5", 3, true, "===", "a flat series sits on the middle level");
    render_is("0 0", 2, false, "\u2584\u2584", "flat Unicode: the middle block");
    render_is("1 2", 5, true, "   .^", "fewer samples than cells: right-aligned");
    render_is("1 2", 5, false, "   \u2581\u2588", "fewer samples Unicode: right-aligned");
    render_is("1 nan", 4, true, "  = ", "a trailing gap stays blank");
    /* more samples than cells: each cell the mean of its share */
    render_is("0 0 10 10", 2, true, ".^", "two samples a cell, averaged");
    render_is("0 10 0 10", 2, true, "++", "means of equal halves are level (5 of 0..10)");
    render_is("0 nan nan 10", 2, true, ".^", "a gap in a share does not drag its mean");
    render_is("nan nan 0 10", 2, true, " +", "a share of gaps only is blank");
    /* all eight levels, lowest first */
    render_is("0 1 2 3 4 5 6 7", 8, true, ascii_levels, "the eight ASCII levels");
    char all[64] = "";
    for (int i = 0; i < 8; i++) {
        strcat(all, blocks[i]);
    }
    render_is("0 1 2 3 4 5 6 7", 8, false, all, "the eight Unicode blocks");
    render_is("-5 -1", 2, true, ".^", "negative numbers scale too");
}

/* Lines of a chart: each must be width cells and end in '\n'. */
static bool chart_shape(const char *chart, int width, int height)
{
    int lines = 0;
    for (const char *p = chart; *p != '\0'; lines++) {
        const char *nl = strchr(p, '\n');
        if (nl == NULL) {
            return false;
        }
        char *line = xstrndup(p, (size_t)(nl - p));
        bool ok = cells(line) == width;
        free(line);
        if (!ok) {
            return false;
        }
        p = nl + 1;
    }
    return lines == height;
}

/* The cell at row r, column c of a chart (one code point, copied into out). */
static void chart_cell(const char *chart, int r, int c, char *out)
{
    const char *p = chart;
    for (int i = 0; i < r; i++) {
        p = strchr(p, '\n') + 1;
    }
    for (int i = 0; i < c; i++) {
        p++;
        while ((*p & 0xC0) == 0x80) {
            p++;
        }
    }
    size_t n = 1;
    while ((p[n] & 0xC0) == 0x80) {
        n++;
    }
    memcpy(out, p, n);
    out[n] = '\0';
}

static void test_chart(void)
{
    double v[] = {0, 5, 10, NAN, 2};
    bool shapes = true;
    for (int h = 1; h <= 10; h++) {
        for (int w = 1; w <= 12; w++) {
            char *a = spark_chart(v, 5, w, h, true);
            char *u = spark_chart(v, 5, w, h, false);
            shapes = shapes && chart_shape(a, w, h) && chart_shape(u, w, h);
            free(a);
            free(u);
        }
    }
    tap_ok(shapes, "chart: height lines of width cells, heights 1..10, widths 1..12");
    char *c = spark_chart(v, 5, 0, 8, false);
    tap_is_str(c, "", "chart width 0: empty");
    free(c);
    c = spark_chart(v, 5, 5, 0, true);
    tap_is_str(c, "", "chart height 0: empty");
    free(c);

    /* ASCII, 4 high: the max column full, the min only at the bottom, the gap blank */
    c = spark_chart(v, 5, 5, 4, true);
    /* 0, 5, 10, gap, 2 on 4 levels: 1, 3, 4, none, 2 rows tall */
    tap_is_str(c, "  #  \n ##  \n ## #\n### #\n", "chart ASCII: columns as tall as the values");
    free(c);

    /* Unicode, 8 high: 64 levels; the max reaches the top in a full block */
    c = spark_chart(v, 5, 5, 8, false);
    char cell[8];
    chart_cell(c, 0, 2, cell);
    tap_is_str(cell, blocks[7], "chart Unicode: the max is a full block on the top line");
    chart_cell(c, 7, 0, cell);
    tap_is_str(cell, blocks[0], "chart Unicode: the min is the lowest eighth at the bottom");
    chart_cell(c, 6, 0, cell);
    tap_is_str(cell, " ", "chart Unicode: nothing above the min");
    chart_cell(c, 7, 3, cell);
    tap_is_str(cell, " ", "chart Unicode: a gap is a blank column");
    free(c);

    double none[] = {NAN, NAN, NAN};
    c = spark_chart(none, 3, 3, 2, false);
    tap_is_str(c, "   \n   \n", "chart with no data: blank lines");
    free(c);
    double flat[] = {4, 4};
    c = spark_chart(flat, 2, 2, 2, true);
    tap_is_str(c, "  \n##\n", "chart of a flat series: the middle");
    free(c);
}

int main(void)
{
    test_parse();
    test_format();
    test_widths();
    test_shapes();
    test_chart();
    return tap_done();
}
