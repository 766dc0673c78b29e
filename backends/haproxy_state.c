/*
 * HAProxy's admin states from `show servers state` (haproxy.h): what the
 * operator set (drain, maint), apart from what the checks say (UP, DOWN).
 * The stats CSV folds the two into one word and a DOWN server that is also
 * drained reads just "DOWN"; this table lets the pool row say "DOWN drain".
 *
 * The answer is a version line ("1"), a "# be_id be_name srv_id srv_name
 * ..." header naming the space-separated columns, then one line per server.
 * Columns are found by name; a line without them is skipped; a text that is
 * not this format gives an empty table (the rows then show what the CSV
 * says, nothing is made up).
 */
#include "haproxy.h"

#include "../common/util.h"

#include <stdlib.h>
#include <string.h>

/* srv_admin_state bits (HAProxy's SRV_ADMF_*) */
enum {
    ADMF_FMAINT = 0x01,
    ADMF_IMAINT = 0x02,
    ADMF_CMAINT = 0x04,
    ADMF_FDRAIN = 0x08,
    ADMF_IDRAIN = 0x10,
    ADMF_RMAINT = 0x20,
    ADMF_HMAINT = 0x40,
};

void haproxy_admin_clear(struct haproxy_admin *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->key[i]);
    }
    free(a->key);
    free(a->bits);
    memset(a, 0, sizeof *a);
}

/* The next space-separated word of line (up to end), or NULL. */
static const char *word(const char **p, const char *end, size_t *n)
{
    while (*p < end && **p == ' ') {
        (*p)++;
    }
    if (*p >= end) {
        return NULL;
    }
    const char *w = *p;
    while (*p < end && **p != ' ') {
        (*p)++;
    }
    *n = (size_t)(*p - w);
    return w;
}

/* Column numbers of be_name, srv_name and srv_admin_state in the header; false if one lacks. */
static bool header_columns(const char *p, const char *end, int col[3])
{
    static const char *const names[3] = {"be_name", "srv_name", "srv_admin_state"};
    col[0] = col[1] = col[2] = -1;
    size_t n;
    p++; /* the '#' */
    for (int i = 0; word(&p, end, &n) != NULL; i++) {
        for (int k = 0; k < 3; k++) {
            if (strlen(names[k]) == n && strncmp(p - n, names[k], n) == 0) {
                col[k] = i;
            }
        }
    }
    return col[0] >= 0 && col[1] >= 0 && col[2] >= 0;
}

static void add_line(struct haproxy_admin *a, const char *p, const char *end, const int col[3])
{
    const char *be = NULL, *sv = NULL, *st = NULL;
    size_t nbe = 0, nsv = 0, nst = 0, n;
    const char *w;
    for (int i = 0; (w = word(&p, end, &n)) != NULL; i++) {
        if (i == col[0]) {
            be = w, nbe = n;
        } else if (i == col[1]) {
            sv = w, nsv = n;
        } else if (i == col[2]) {
            st = w, nst = n;
        }
    }
    char digits[16];
    if (be == NULL || sv == NULL || st == NULL || nst >= sizeof digits) {
        return;
    }
    memcpy(digits, st, nst);
    digits[nst] = '\0';
    char *stop;
    unsigned long bits = strtoul(digits, &stop, 10);
    if (*stop != '\0' || nst == 0) {
        return;
    }
    a->key = xreallocarray(a->key, a->n + 1, sizeof *a->key);
    a->bits = xreallocarray(a->bits, a->n + 1, sizeof *a->bits);
    a->key[a->n] = xasprintf("%.*s/%.*s", (int)nbe, be, (int)nsv, sv);
    a->bits[a->n] = (unsigned)bits;
    a->n++;
}

void haproxy_parse_admin(const char *text, size_t len, struct haproxy_admin *a)
{
    haproxy_admin_clear(a);
    int col[3];
    bool have_header = false;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl != NULL ? nl : end;
        if (eol > p && eol[-1] == '\r') {
            eol--;
        }
        if (*p == '#') {
            have_header = header_columns(p, eol, col);
        } else if (have_header) {
            add_line(a, p, eol, col);
        }
        p = nl != NULL ? nl + 1 : end;
    }
}

const char *haproxy_admin_word(const struct haproxy_admin *a, const char *key)
{
    for (size_t i = 0; a != NULL && i < a->n; i++) {
        if (strcmp(a->key[i], key) != 0) {
            continue;
        }
        unsigned b = a->bits[i];
        if (b & (ADMF_FMAINT | ADMF_IMAINT | ADMF_CMAINT | ADMF_RMAINT | ADMF_HMAINT)) {
            return "maint";
        }
        if (b & (ADMF_FDRAIN | ADMF_IDRAIN)) {
            return "drain";
        }
        return "ready";
    }
    return NULL;
}
