/*
 * HAProxy's stats CSV as pool rows (haproxy.h), from the stats page's ";csv"
 * or the runtime API's `show stat`: the reading half of the HAProxy backend.
 *
 * The CSV has ~128 columns whose order changes between versions, a "# "
 * before the header and a trailing comma; the columns needed are mapped by
 * header name once, then only those fields of each record are decoded
 * (quoted fields included, as HAProxy quotes text with commas). It never
 * reads past len; a record cut by the end of the text is dropped rather than
 * shown with half a name. Frontends are skipped; each backend gives a row per
 * server and an aggregate row for its BACKEND line.
 */
#include "haproxy.h"

#include "../common/clock.h"
#include "../common/util.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const size_t NONE = SIZE_MAX;

/* The columns this backend reads, by their header names. */
enum field {
    F_PXNAME,
    F_SVNAME,
    F_TYPE,
    F_STATUS,
    F_WEIGHT,
    F_SCUR,
    F_SMAX,
    F_SLIM,
    F_STOT,
    F_QCUR,
    F_QMAX,
    F_CHECK_STATUS,
    F_CHECK_CODE,
    F_CHECK_DURATION,
    F_CHECK_DESC,
    F_LAST_CHK,
    F_HRSP_5XX,
    F_RTIME,
    F_ADDR,
    F_LASTCHG,
    F_CHKFAIL,
    F_CHKDOWN,
    F_DOWNTIME,
    F_MODE,
    F_ALGO,
    F_ACT,
    F_BCK,
    F_NFIELDS
};

static const char *const field_names[F_NFIELDS] = {
    [F_PXNAME] = "pxname",
    [F_SVNAME] = "svname",
    [F_TYPE] = "type",
    [F_STATUS] = "status",
    [F_WEIGHT] = "weight",
    [F_SCUR] = "scur",
    [F_SMAX] = "smax",
    [F_SLIM] = "slim",
    [F_STOT] = "stot",
    [F_QCUR] = "qcur",
    [F_QMAX] = "qmax",
    [F_CHECK_STATUS] = "check_status",
    [F_CHECK_CODE] = "check_code",
    [F_CHECK_DURATION] = "check_duration",
    [F_CHECK_DESC] = "check_desc",
    [F_LAST_CHK] = "last_chk",
    [F_HRSP_5XX] = "hrsp_5xx",
    [F_RTIME] = "rtime",
    [F_ADDR] = "addr",
    [F_LASTCHG] = "lastchg",
    [F_CHKFAIL] = "chkfail",
    [F_CHKDOWN] = "chkdown",
    [F_DOWNTIME] = "downtime",
    [F_MODE] = "mode",
    [F_ALGO] = "algo",
    [F_ACT] = "act",
    [F_BCK] = "bck",
};

/* HAProxy's "type" column. */
enum { TYPE_FRONTEND = 0, TYPE_BACKEND = 1, TYPE_SERVER = 2, TYPE_LISTENER = 3 };

enum term { TERM_COMMA, TERM_LINE, TERM_END };

struct csv {
    const char *p;
    const char *end;
};

/* One record: the wanted fields, decoded (unquoted, NUL-terminated) into buf. */
struct record {
    char *buf;
    size_t len, cap;
    size_t off[F_NFIELDS]; /* offset into buf, NONE when the record lacks the field */
    size_t nfields;
    bool complete; /* ended by a newline, not by the end of the text */
    bool cut;      /* the end of the text fell inside a quoted field */
};

static void rec_putc(struct record *r, char ch)
{
    if (r->len + 1 > r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->buf = xrealloc(r->buf, r->cap);
    }
    r->buf[r->len++] = ch;
}

static const char *rec_value(const struct record *r, enum field f)
{
    return r->off[f] == NONE ? "" : r->buf + r->off[f];
}

/* Read one field at c->p, appending its decoded text to r when keep. */
static enum term csv_field(struct csv *c, struct record *r, bool keep)
{
    bool quoted = false;
    if (c->p < c->end && *c->p == '"') {
        quoted = true;
        c->p++;
    }
    while (c->p < c->end) {
        char ch = *c->p++;
        if (quoted) {
            if (ch == '"') {
                if (c->p < c->end && *c->p == '"') {
                    c->p++; /* "" is a quote */
                } else {
                    quoted = false;
                    continue;
                }
            }
        } else if (ch == ',') {
            return TERM_COMMA;
        } else if (ch == '\n') {
            return TERM_LINE;
        } else if (ch == '\r' && (c->p == c->end || *c->p == '\n')) {
            continue;
        }
        if (keep) {
            rec_putc(r, ch);
        }
    }
    if (quoted) {
        r->cut = true;
    }
    return TERM_END;
}

/* Read the next record, keeping the fields map names; false at the end. */
static bool csv_record(struct csv *c, const int *map, size_t nmap, struct record *r)
{
    if (c->p >= c->end) {
        return false;
    }
    r->len = 0;
    r->nfields = 0;
    r->complete = false;
    r->cut = false;
    for (int f = 0; f < F_NFIELDS; f++) {
        r->off[f] = NONE;
    }
    for (;;) {
        size_t i = r->nfields++;
        int id = i < nmap ? map[i] : -1;
        size_t start = r->len;
        enum term t = csv_field(c, r, id >= 0);
        if (id >= 0) {
            rec_putc(r, '\0');
            r->off[id] = start;
        }
        if (t != TERM_COMMA) {
            r->complete = t == TERM_LINE && !r->cut;
            return true;
        }
    }
}

static void csv_skip_line(struct csv *c)
{
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    c->p = nl != NULL ? nl + 1 : c->end;
}

static int field_lookup(const char *name)
{
    for (int f = 0; f < F_NFIELDS; f++) {
        if (strcmp(name, field_names[f]) == 0) {
            return f;
        }
    }
    return -1;
}

/*
 * The header at c->p (after "#"): map[i] is the field of column i, or -1. The
 * first column of a name wins.
 */
static void csv_header(struct csv *c, int **map, size_t *nmap)
{
    struct record tmp = {0};
    bool seen[F_NFIELDS] = {false};
    size_t n = 0, cap = 0;
    int *m = NULL;
    while (c->p < c->end && *c->p == ' ') {
        c->p++;
    }
    for (;;) {
        tmp.len = 0;
        enum term t = csv_field(c, &tmp, true);
        rec_putc(&tmp, '\0');
        int id = field_lookup(str_trim(tmp.buf));
        if (id >= 0 && seen[id]) {
            id = -1;
        } else if (id >= 0) {
            seen[id] = true;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            m = xreallocarray(m, cap, sizeof *m);
        }
        m[n++] = id;
        if (t != TERM_COMMA) {
            break;
        }
    }
    free(tmp.buf);
    *map = m;
    *nmap = n;
}

/* Skip a UTF-8 byte-order mark and blank lines before the header. */
static void csv_skip_blank(struct csv *c)
{
    if (c->end - c->p >= 3 && memcmp(c->p, "\xef\xbb\xbf", 3) == 0) {
        c->p += 3;
    }
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')) {
        c->p++;
    }
}

static bool has_word_prefix(const char *s, const char *word)
{
    size_t n = strlen(word);
    return strncmp(s, word, n) == 0 && (s[n] == '\0' || s[n] == ' ');
}

/*
 * UP is ok; "UP 1/2" (a check failed, going down) is a warning, as are the
 * admin states; DOWN in any form is critical.
 */
static enum tone status_tone(const char *status)
{
    if (has_word_prefix(status, "DOWN")) {
        return TONE_CRIT;
    }
    if (has_word_prefix(status, "DRAIN") || has_word_prefix(status, "MAINT") ||
        has_word_prefix(status, "NOLB")) {
        return TONE_WARN;
    }
    if (strcmp(status, "UP") == 0 || strcmp(status, "no check") == 0) {
        return TONE_OK;
    }
    if (has_word_prefix(status, "UP")) {
        return TONE_WARN;
    }
    return TONE_NORMAL;
}

/* L7OK, L6OK, L4OK, L7OKC pass; INI and UNK say nothing yet; the rest failed. */
static enum tone check_tone(const char *check)
{
    if (strncmp(check, "* ", 2) == 0) {
        check += 2; /* a check is running */
    }
    size_t n = strlen(check);
    if (n == 0) {
        return TONE_NORMAL;
    }
    if ((n >= 2 && strcmp(check + n - 2, "OK") == 0) ||
        (n >= 3 && strcmp(check + n - 3, "OKC") == 0)) {
        return TONE_NORMAL;
    }
    if (strcmp(check, "INI") == 0 || strcmp(check, "UNK") == 0) {
        return TONE_MUTED;
    }
    return TONE_CRIT;
}

static void cell_num(struct rowset *rs, int col, const char *value)
{
    double v;
    if (str_parse_decimal(value, &v)) {
        rowset_num(rs, col, v);
    }
}

static void detail_duration(struct rowset *rs, const char *key, const char *value,
                            const char *suffix)
{
    double v;
    char age[16], buf[48];
    if (str_parse_decimal(value, &v) && v >= 0 && v < 1e15) {
        duration_format(age, sizeof age, (int64_t)v);
        snprintf(buf, sizeof buf, "%s%s", age, suffix);
        rowset_detail(rs, key, buf);
    }
}

/* "Layer7 check passed (code 200, 1 ms)" */
static void detail_check(struct rowset *rs, const struct record *r)
{
    const char *desc = rec_value(r, F_CHECK_DESC);
    const char *code = rec_value(r, F_CHECK_CODE);
    const char *ms = rec_value(r, F_CHECK_DURATION);
    if (desc[0] == '\0') {
        return;
    }
    char *text;
    if (code[0] != '\0' && ms[0] != '\0') {
        text = xasprintf("%s (code %s, %s ms)", desc, code, ms);
    } else if (code[0] != '\0' || ms[0] != '\0') {
        text = xasprintf(code[0] != '\0' ? "%s (code %s)" : "%s (%s ms)", desc,
                         code[0] != '\0' ? code : ms);
    } else {
        text = xstrdup(desc);
    }
    rowset_detail(rs, "check", text);
    free(text);
}

static void row_details(struct rowset *rs, const struct record *r, bool aggregate)
{
    rowset_detail_nonempty(rs, "address", rec_value(r, F_ADDR));
    detail_check(rs, r);
    rowset_detail_nonempty(rs, "last check", rec_value(r, F_LAST_CHK));
    detail_duration(rs, "last change", rec_value(r, F_LASTCHG), " ago");
    rowset_detail_nonempty(rs, "check failures", rec_value(r, F_CHKFAIL));
    rowset_detail_nonempty(rs, "down transitions", rec_value(r, F_CHKDOWN));
    detail_duration(rs, "downtime", rec_value(r, F_DOWNTIME), "");
    rowset_detail_nonempty(rs, "sessions max", rec_value(r, F_SMAX));
    rowset_detail_nonempty(rs, "session limit", rec_value(r, F_SLIM));
    rowset_detail_nonempty(rs, "queue max", rec_value(r, F_QMAX));
    if (aggregate) {
        rowset_detail_nonempty(rs, "active servers", rec_value(r, F_ACT));
        rowset_detail_nonempty(rs, "backup servers", rec_value(r, F_BCK));
    } else if (strcmp(rec_value(r, F_BCK), "1") == 0) {
        rowset_detail(rs, "role", "backup");
    }
    rowset_detail_nonempty(rs, "mode", rec_value(r, F_MODE));
    rowset_detail_nonempty(rs, "balance", rec_value(r, F_ALGO));
}

/* "DOWN" with the admin state it hides: "DOWN drain", "DOWN maint" (else NULL: as it is). */
static char *status_with_admin(const char *status, const char *admin)
{
    if (admin == NULL || strcmp(admin, "ready") == 0 || !has_word_prefix(status, "DOWN")) {
        return NULL;
    }
    return xasprintf("%s %s", status, admin);
}

static void emit_row(struct rowset *rs, const struct record *r, const struct haproxy_admin *admin)
{
    const char *px = rec_value(r, F_PXNAME), *sv = rec_value(r, F_SVNAME);
    double type;
    bool typed = str_parse_decimal(rec_value(r, F_TYPE), &type);
    if (px[0] == '\0' || sv[0] == '\0' || strcmp(sv, "FRONTEND") == 0 ||
        (typed && (type == TYPE_FRONTEND || type == TYPE_LISTENER))) {
        return;
    }
    bool aggregate = strcmp(sv, "BACKEND") == 0 || (typed && type == TYPE_BACKEND);
    char *key = xasprintf("%s/%s", px, sv);
    rowset_begin(rs, key);
    const char *admin_word = aggregate ? NULL : haproxy_admin_word(admin, key);
    free(key);
    rowset_text(rs, POOL_NAME, px);
    rowset_text(rs, POOL_SERVER, aggregate ? "(backend)" : sv);
    char *both = status_with_admin(rec_value(r, F_STATUS), admin_word);
    const char *status = both != NULL ? both : rec_value(r, F_STATUS);
    enum tone st = status_tone(status);
    rowset_text(rs, POOL_STATUS, status);
    rowset_cell_tone(rs, POOL_STATUS, st);
    if (st == TONE_CRIT) {
        rowset_row_tone(rs, TONE_CRIT);
    }
    cell_num(rs, POOL_WEIGHT, rec_value(r, F_WEIGHT));
    cell_num(rs, POOL_SESS, rec_value(r, F_SCUR));
    cell_num(rs, POOL_TOTAL, rec_value(r, F_STOT));
    cell_num(rs, POOL_QUEUE, rec_value(r, F_QCUR));
    const char *check = rec_value(r, F_CHECK_STATUS);
    rowset_text(rs, POOL_CHECK, check);
    rowset_cell_tone(rs, POOL_CHECK, check_tone(check));
    cell_num(rs, POOL_5XX, rec_value(r, F_HRSP_5XX));
    cell_num(rs, POOL_RT, rec_value(r, F_RTIME));
    rowset_text(rs, POOL_SOURCE, rs->source);
    rowset_detail_nonempty(rs, "admin state", admin_word);
    row_details(rs, r, aggregate);
    free(both);
}

/* Find the header; false with *cause when the text is not stats CSV. */
static bool csv_open(struct csv *c, int **map, size_t *nmap, char **cause)
{
    csv_skip_blank(c);
    if (c->p == c->end) {
        *cause = xstrdup("not HAProxy stats CSV: empty input");
        return false;
    }
    if (*c->p != '#') {
        *cause = xstrdup("not HAProxy stats CSV: no '# pxname' header");
        return false;
    }
    c->p++;
    csv_header(c, map, nmap);
    bool px = false, sv = false;
    for (size_t i = 0; i < *nmap; i++) {
        px = px || (*map)[i] == F_PXNAME;
        sv = sv || (*map)[i] == F_SVNAME;
    }
    if (!px || !sv) {
        *cause = xasprintf("not HAProxy stats CSV: no '# pxname' header (no %s column)",
                           px ? "svname" : "pxname");
        free(*map);
        *map = NULL;
        return false;
    }
    return true;
}

bool haproxy_parse_csv(const char *text, size_t len, struct rowset *rs, char **cause)
{
    return haproxy_parse_csv_admin(text, len, NULL, rs, cause);
}

bool haproxy_parse_csv_admin(const char *text, size_t len, const struct haproxy_admin *admin,
                             struct rowset *rs, char **cause)
{
    struct csv c = {text, text + len};
    int *map = NULL;
    size_t nmap = 0;
    if (text == NULL) {
        c.p = c.end = "";
    }
    if (!csv_open(&c, &map, &nmap, cause)) {
        return false;
    }
    struct record r = {0};
    while (c.p < c.end) {
        if (*c.p == '#') {
            csv_skip_line(&c); /* a repeated header */
            continue;
        }
        csv_record(&c, map, nmap, &r);
        if (r.cut || (!r.complete && r.nfields < nmap)) {
            break; /* the text ends mid-record */
        }
        emit_row(rs, &r, admin);
    }
    rowset_end(rs);
    free(r.buf);
    free(map);
    return true;
}
