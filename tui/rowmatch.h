/*
 * The table filter's row test: a case-insensitive substring of any cell
 * (tolower in the current locale, like str_casestr), the needle lowered once,
 * a leading '!' inverting it, one column left out (the auto-hidden CONTEXT),
 * and a per-rowset memo of the strings already tested: 100,000 rows repeat
 * "classic", "running", "0" over and over, and interned strings share an
 * offset. A matcher is tied to one filter; init it again for another.
 */
#ifndef OPSDECK_ROWMATCH_H
#define OPSDECK_ROWMATCH_H

#include "../backends/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { MATCH_SLOTS = 4096 };

struct matcher {
    unsigned char lower[256];
    unsigned char needle[128];
    size_t n;
    bool invert;
    const struct rowset *memo_rs;
    uint32_t memo_off[MATCH_SLOTS];
    uint8_t memo_res[MATCH_SLOTS];
    uint32_t prev_off[16]; /* per column, the string tested last */
    bool prev_res[16];
    int skip; /* a column not read (the auto-hidden CONTEXT: every row would match "default") */
};

/* skip: a column not read, or -1. */
void matcher_init(struct matcher *m, const char *filter, int skip);
/* Does the row pass the filter (the '!' included)? */
bool matcher_row(struct matcher *m, const struct rowset *rs, size_t row);

#endif
