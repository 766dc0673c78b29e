/*
 * Sparklines (spark.h): the series as text, and its drawing in cells.
 */
#include "spark.h"

#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                      "\u2585", "\u2586", "\u2587", "\u2588"};
static const char ascii_levels[8] = {'.', '_', '-', '=', '+', '*', '#', '^'};

size_t spark_parse(const char *text, double *out, size_t max)
{
    size_t n = 0;
    const char *p = text != NULL ? text : "";
    while (n < max) {
        while (*p == ' ') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        const char *end = p + strcspn(p, " ");
        char *stop = NULL;
        double v = strtod(p, &stop);
        out[n++] = stop == end && isfinite(v) ? v : NAN;
        p = end;
    }
    return n;
}

char *spark_format(const double *v, size_t n)
{
    size_t cap = n * 14 + 1;
    char *s = xmalloc(cap);
    size_t len = 0;
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = isfinite(v[i]) ? snprintf(s + len, cap - len, "%s%.6g", i > 0 ? " " : "", v[i])
                               : snprintf(s + len, cap - len, "%snan", i > 0 ? " " : "");
        len += (size_t)w;
    }
    return s;
}

double spark_last(const double *v, size_t n)
{
    for (size_t i = n; i > 0; i--) {
        if (isfinite(v[i - 1])) {
            return v[i - 1];
        }
    }
    return NAN;
}

bool spark_range(const double *v, size_t n, double *min, double *max)
{
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(v[i])) {
            continue;
        }
        if (!any || v[i] < *min) {
            *min = v[i];
        }
        if (!any || v[i] > *max) {
            *max = v[i];
        }
        any = true;
    }
    return any;
}

/* The value of cell i of width: the mean of its share of the samples; NaN for a gap. */
static double cell_value(const double *v, size_t n, int width, int i)
{
    if (n <= (size_t)width) {
        size_t pad = (size_t)width - n;
        return (size_t)i < pad ? NAN : v[(size_t)i - pad];
    }
    size_t from = (size_t)i * n / (size_t)width, to = ((size_t)i + 1) * n / (size_t)width;
    double sum = 0;
    size_t k = 0;
    for (size_t j = from; j < to; j++) {
        if (isfinite(v[j])) {
            sum += v[j];
            k++;
        }
    }
    return k > 0 ? sum / (double)k : NAN;
}

/* Where x falls between min and max, on levels steps 0..levels-1 (a flat series: the middle). */
static int level(double x, double min, double max, int levels)
{
    if (!(max > min)) {
        return (levels - 1) / 2;
    }
    double f = (x - min) / (max - min);
    int l = (int)lround(f * (levels - 1));
    return l < 0 ? 0 : l >= levels ? levels - 1 : l;
}

int spark_render(char *buf, size_t len, const double *v, size_t n, int width, bool ascii)
{
    if (len == 0) {
        return 0;
    }
    buf[0] = '\0';
    double min = 0, max = 0;
    bool any = spark_range(v, n, &min, &max);
    size_t at = 0;
    int cells = 0;
    for (int i = 0; i < width; i++) {
        /* one cell is the newest level (spark.h), not the hour's mean */
        double x = !any ? NAN : width == 1 ? spark_last(v, n) : cell_value(v, n, width, i);
        const char *s = " ";
        char one[2] = {0, 0};
        if (isfinite(x)) {
            int l = level(x, min, max, 8);
            if (ascii) {
                one[0] = ascii_levels[l];
                s = one;
            } else {
                s = blocks[l];
            }
        }
        size_t sl = strlen(s);
        if (at + sl >= len) {
            break;
        }
        memcpy(buf + at, s, sl);
        at += sl;
        cells++;
    }
    buf[at] = '\0';
    return cells;
}

char *spark_chart(const double *v, size_t n, int width, int height, bool ascii)
{
    if (width < 1 || height < 1) {
        return xstrdup("");
    }
    size_t cap = (size_t)height * ((size_t)width * 3 + 1) + 1;
    char *out = xmalloc(cap);
    size_t at = 0;
    double min = 0, max = 0;
    bool any = spark_range(v, n, &min, &max);
    int per = ascii ? 1 : 8, units = height * per;
    for (int r = 0; r < height; r++) {
        int base = (height - 1 - r) * per;
        for (int i = 0; i < width; i++) {
            double x = any ? cell_value(v, n, width, i) : NAN;
            int u = isfinite(x) ? 1 + level(x, min, max, units) : 0; /* 1..units */
            int fill = u - base;
            if (fill <= 0) {
                out[at++] = ' ';
            } else if (ascii) {
                out[at++] = '#';
            } else {
                const char *s = blocks[(fill > 8 ? 8 : fill) - 1];
                size_t sl = strlen(s);
                memcpy(out + at, s, sl);
                at += sl;
            }
        }
        out[at++] = '\n';
    }
    out[at] = '\0';
    return out;
}
