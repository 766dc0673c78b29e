/* The filter's row test (rowmatch.h). */
#include "rowmatch.h"

#include <ctype.h>
#include <string.h>

void matcher_init(struct matcher *m, const char *filter, int skip)
{
    m->skip = skip;
    m->invert = filter[0] == '!';
    const char *needle = m->invert ? filter + 1 : filter;
    for (int i = 0; i < 256; i++) {
        m->lower[i] = (unsigned char)tolower(i);
    }
    m->n = strlen(needle);
    for (size_t i = 0; i < m->n && i < sizeof m->needle; i++) {
        m->needle[i] = m->lower[(unsigned char)needle[i]];
    }
    m->memo_rs = NULL;
}

static bool text_has(const struct matcher *m, const char *h)
{
    const unsigned char *p = (const unsigned char *)h;
    unsigned char first = m->needle[0];
    for (; *p != '\0'; p++) {
        if (m->lower[*p] != first) {
            continue;
        }
        size_t i = 1;
        while (i < m->n && p[i] != '\0' && m->lower[p[i]] == m->needle[i]) {
            i++;
        }
        if (i == m->n) {
            return true;
        }
    }
    return false;
}

bool matcher_row(struct matcher *m, const struct rowset *rs, size_t row)
{
    if (m->n == 0) {
        return true;
    }
    if (m->memo_rs != rs) {
        memset(m->memo_off, 0, sizeof m->memo_off);
        memset(m->prev_off, 0, sizeof m->prev_off);
        m->memo_rs = rs;
    }
    const struct cell *cells = &rs->cells[rs->rows[row].first_cell];
    bool hit = false;
    for (int c = 0; c < rs->ncols && !hit; c++) {
        uint32_t off = cells[c].text;
        if (off == 0 || c == m->skip) {
            continue; /* "" holds no needle */
        }
        if (c < 16 && m->prev_off[c] == off) {
            hit = m->prev_res[c]; /* the same string as the row before (interned) */
            continue;
        }
        size_t slot = (size_t)((off * 2654435761u) >> 20) & (MATCH_SLOTS - 1);
        if (m->memo_off[slot] == off) {
            hit = m->memo_res[slot];
        } else {
            hit = text_has(m, rs->strings + off);
            m->memo_off[slot] = off;
            m->memo_res[slot] = hit;
        }
        if (c < 16) {
            m->prev_off[c] = off;
            m->prev_res[c] = hit;
        }
    }

    return hit != m->invert;
}
