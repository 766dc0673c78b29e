/*
 * Sparklines: a series of samples (oldest first) drawn in a few cells.
 *
 * A series travels as text, the way a rowset cell keeps it (CELL_SPARK):
 * samples separated by one space, each "%.6g" or "nan" for a gap (no data at
 * that step). spark_parse() reads that text back; anything that is not a
 * number reads as a gap, so a damaged series draws with holes, never fails.
 *
 * Rendering scales the finite samples between their min and max (a flat
 * series sits on the middle level) and fits them in width cells: more samples
 * than cells take the mean of each cell's share, fewer are drawn
 * right-aligned (the newest sample is always the last cell). A gap is a
 * blank cell. Unicode mode uses the eight block elements U+2581-U+2588;
 * ASCII mode (LANG=C, --ascii) the eight characters "._-=+*#^", lowest first.
 * Width 0 draws nothing, width 1 the newest level.
 */
#ifndef OPSDECK_SPARK_H
#define OPSDECK_SPARK_H

#include <stdbool.h>
#include <stddef.h>

/* Read a series: at most max samples, the rest ignored; returns how many. */
size_t spark_parse(const char *text, double *out, size_t max);
/* Write a series as text (NaN and infinities as "nan"); the caller frees it. */
char *spark_format(const double *v, size_t n);

/* The newest finite sample, or NaN when there is none. */
double spark_last(const double *v, size_t n);
/* The min and max of the finite samples; false when there is none. */
bool spark_range(const double *v, size_t n, double *min, double *max);

/*
 * Draw v[0..n) in width cells into buf (NUL-terminated, at most len bytes:
 * 3 bytes per cell in Unicode, 1 in ASCII, so len >= 3 * width + 1 always
 * fits). Returns the number of cells drawn (== width when width > 0 and len
 * suffices).
 */
int spark_render(char *buf, size_t len, const double *v, size_t n, int width, bool ascii);

/*
 * A chart height lines tall and width cells wide (each line ends in '\n'),
 * the same scaling with height * 8 levels in Unicode (height * 1 in ASCII,
 * '#' filled); the caller frees it. height < 1 or width < 1: "".
 */
char *spark_chart(const double *v, size_t n, int width, int height, bool ascii);

#endif
