/*
 * libFuzzer harness for sparklines (common/spark.h): a series arrives as
 * text from a backend (a Prometheus answer, a plugin's cell), so its parser
 * and renderer see untrusted bytes. The first bytes choose the width, the
 * chart's height and the mode; the rest is the series text.
 *
 * Properties, not only no crash: every parsed sample is finite or NaN;
 * format then parse gives the same samples (to %.6g); render fills exactly
 * width cells, each a level glyph or a blank, and never writes past len even
 * when len is short; the chart is height lines of width cells.
 */
#include "../../common/spark.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MAX_SAMPLES = 512 };

static const char *const blocks[8] = {"\u2581", "\u2582", "\u2583", "\u2584",
                                      "\u2585", "\u2586", "\u2587", "\u2588"};

/* The cells of s if each is a level of the mode or a blank; -1 otherwise. */
static int level_cells(const char *s, bool ascii)
{
    int n = 0;
    while (*s != '\0') {
        if (*s == ' ' || (ascii && strchr("._-=+*#^", *s) != NULL)) {
            s++;
        } else if (!ascii) {
            int k = 0;
            while (k < 8 && strncmp(s, blocks[k], strlen(blocks[k])) != 0) {
                k++;
            }
            if (k == 8) {
                return -1;
            }
            s += strlen(blocks[k]);
        } else {
            return -1;
        }
        n++;
    }
    return n;
}

static bool same_sample(double a, double b)
{
    if (isnan(a) || isnan(b)) {
        return isnan(a) && isnan(b);
    }
    return fabs(a - b) <= 1e-5 * fmax(fabs(a), fabs(b)) + 1e-300;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) {
        return 0;
    }
    int width = data[0] % 130; /* 0..129: past the usual 60 samples */
    int height = data[1] % 12;
    bool ascii = data[2] & 1;
    bool short_buf = data[2] & 2;
    char *text = malloc(size - 3 + 1);
    memcpy(text, data + 3, size - 3);
    text[size - 3] = '\0';

    double v[MAX_SAMPLES];
    size_t n = spark_parse(text, v, MAX_SAMPLES);
    if (n > MAX_SAMPLES) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        if (!isnan(v[i]) && !isfinite(v[i])) {
            abort();
        }
    }

    char *again = spark_format(v, n);
    double w[MAX_SAMPLES];
    if (spark_parse(again, w, MAX_SAMPLES) != n) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        if (!same_sample(v[i], w[i])) {
            abort();
        }
    }
    free(again);

    /* a buffer as large as the contract asks, or a short one guarded by a canary */
    size_t len = short_buf ? (size_t)(data[0] % 17) : (size_t)width * 3 + 1;
    char *buf = malloc(len + 1);
    buf[len] = 'Z';
    int cells = spark_render(buf, len, v, n, width, ascii);
    if (buf[len] != 'Z') {
        abort();
    }
    if (len > 0) {
        if (!short_buf && cells != width) {
            abort();
        }
        if (level_cells(buf, ascii) != cells || strlen(buf) >= len) {
            abort();
        }
    }
    free(buf);

    char *chart = spark_chart(v, n, width, height, ascii);
    int lines = 0;
    for (char *p = chart; *p != '\0'; lines++) {
        char *nl = strchr(p, '\n');
        if (nl == NULL) {
            abort();
        }
        *nl = '\0';
        int c = ascii ? (int)strlen(p) : level_cells(p, false);
        if (c != width || (ascii && strspn(p, "# ") != strlen(p))) {
            abort();
        }
        p = nl + 1;
    }
    if (lines != (width >= 1 && height >= 1 ? height : 0)) {
        abort();
    }
    free(chart);
    free(text);
    return 0;
}
