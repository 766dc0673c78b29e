/*
 * The HAProxy backend: what is serving, and the few keys that change it.
 *
 * Reading: the stats CSV, from the stats page over HTTP (`url`, through the
 * one HTTP client) or from `show stat` on the runtime API (`socket`). The CSV
 * has ~128 columns whose order changes between versions, a "# " before the
 * header and a trailing comma; haproxy_parse_csv() maps the columns it needs
 * by header name once, then decodes only those fields of each record (quoted
 * fields included, as HAProxy quotes text with commas). It never reads past
 * len; a record cut by the end of the text is dropped rather than shown with
 * half a name. Frontends are skipped; each backend gives a row per server and
 * an aggregate row for its BACKEND line.
 *
 * Writing: `set server B/S state drain|ready|maint` and `set server B/S
 * weight N` on the runtime API, which answers an empty line on success and a
 * sentence otherwise. The API client is a non-blocking socket on the event
 * loop: connect (watch POLLOUT while in progress), write the command and a
 * newline, read until HAProxy closes (it does after one command when not in
 * interactive mode), all under a one-shot timer of the backend's timeout.
 * Replies are capped at 32 MiB. Target names are checked against HAProxy's
 * name characters before they go into a command, so a crafted target cannot
 * smuggle a second command (';' or a newline) onto the socket.
 *
 * Host names in `socket` must be numeric (or localhost): a DNS lookup would
 * block the one thread.
 */
#include "haproxy.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../common/loop.h"
#include "http.h"
#include "http_poll.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum {
    REPLY_MAX = 32 * 1024 * 1024, /* runtime API answers larger than this are refused */
    READ_CHUNK = 64 * 1024,
    NAME_MAX_LEN = 256,
    MESSAGE_MAX = 300, /* longest runtime API answer quoted in a message */
};

static const size_t NONE = SIZE_MAX;

/* ---- the stats CSV ---- */

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

/* A plain decimal ("12", "-1", "0.5"); false for anything else, even "". */
static bool parse_number(const char *s, double *out)
{
    const char *p = s;
    double v = 0, scale = 0.1;
    int digits = 0;
    bool neg = *p == '-';
    if (neg) {
        p++;
    }
    if (*p < '0' || *p > '9') {
        return false;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 19) {
            return false;
        }
        v = v * 10 + (*p - '0');
    }
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9') {
            return false;
        }
        for (; *p >= '0' && *p <= '9'; p++) {
            v += (*p - '0') * scale;
            scale /= 10;
        }
    }
    if (*p != '\0') {
        return false;
    }
    *out = neg ? -v : v;
    return true;
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
    if (parse_number(value, &v)) {
        rowset_num(rs, col, v);
    }
}

static void detail_text(struct rowset *rs, const char *key, const char *value)
{
    if (value[0] != '\0') {
        rowset_detail(rs, key, value);
    }
}

static void detail_duration(struct rowset *rs, const char *key, const char *value,
                            const char *suffix)
{
    double v;
    char age[16], buf[48];
    if (parse_number(value, &v) && v >= 0 && v < 1e15) {
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
    detail_text(rs, "address", rec_value(r, F_ADDR));
    detail_check(rs, r);
    detail_text(rs, "last check", rec_value(r, F_LAST_CHK));
    detail_duration(rs, "last change", rec_value(r, F_LASTCHG), " ago");
    detail_text(rs, "check failures", rec_value(r, F_CHKFAIL));
    detail_text(rs, "down transitions", rec_value(r, F_CHKDOWN));
    detail_duration(rs, "downtime", rec_value(r, F_DOWNTIME), "");
    detail_text(rs, "sessions max", rec_value(r, F_SMAX));
    detail_text(rs, "session limit", rec_value(r, F_SLIM));
    detail_text(rs, "queue max", rec_value(r, F_QMAX));
    if (aggregate) {
        detail_text(rs, "active servers", rec_value(r, F_ACT));
        detail_text(rs, "backup servers", rec_value(r, F_BCK));
    } else if (strcmp(rec_value(r, F_BCK), "1") == 0) {
        rowset_detail(rs, "role", "backup");
    }
    detail_text(rs, "mode", rec_value(r, F_MODE));
    detail_text(rs, "balance", rec_value(r, F_ALGO));
}

static void emit_row(struct rowset *rs, const struct record *r)
{
    const char *px = rec_value(r, F_PXNAME), *sv = rec_value(r, F_SVNAME);
    double type;
    bool typed = parse_number(rec_value(r, F_TYPE), &type);
    if (px[0] == '\0' || sv[0] == '\0' || strcmp(sv, "FRONTEND") == 0 ||
        (typed && (type == TYPE_FRONTEND || type == TYPE_LISTENER))) {
        return;
    }
    bool aggregate = strcmp(sv, "BACKEND") == 0 || (typed && type == TYPE_BACKEND);
    char *key = xasprintf("%s/%s", px, sv);
    rowset_begin(rs, key);
    free(key);
    rowset_text(rs, POOL_NAME, px);
    rowset_text(rs, POOL_SERVER, aggregate ? "(backend)" : sv);
    const char *status = rec_value(r, F_STATUS);
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
    row_details(rs, r, aggregate);
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
        emit_row(rs, &r);
    }
    rowset_end(rs);
    free(r.buf);
    free(map);
    return true;
}

/* ---- runtime API addresses ---- */

struct rt_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    char *name; /* as configured, for messages */
};

static bool addr_unix(struct rt_addr *a, const char *path, char **cause)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&a->ss;
    char *full;
    const char *home = getenv("HOME");
    if (strncmp(path, "~/", 2) == 0 && home != NULL) {
        full = xasprintf("%s/%s", home, path + 2);
    } else {
        full = xstrdup(path);
    }
    if (full[0] == '\0' || strlen(full) >= sizeof sun->sun_path) {
        *cause = xasprintf("bad socket path '%s' (1 to %zu bytes)", path, sizeof sun->sun_path - 1);
        free(full);
        return false;
    }
    memset(&a->ss, 0, sizeof a->ss);
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, full, strlen(full) + 1);
    a->len = (socklen_t)sizeof *sun;
    free(full);
    return true;
}

static bool parse_port(const char *s, int *out)
{
    double v;
    if (strchr(s, '.') != NULL || s[0] == '-' || !parse_number(s, &v) || v < 1 || v > 65535) {
        return false;
    }
    *out = (int)v;
    return true;
}

static bool addr_inet(struct rt_addr *a, const char *host, int port)
{
    struct sockaddr_in *in4 = (struct sockaddr_in *)&a->ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&a->ss;
    memset(&a->ss, 0, sizeof a->ss);
    if (strcmp(host, "localhost") == 0) {
        host = "127.0.0.1";
    }
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        a->len = (socklen_t)sizeof *in4;
        return true;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        a->len = (socklen_t)sizeof *in6;
        return true;
    }
    return false;
}

/* "HOST:PORT", "[V6]:PORT" */
static bool addr_tcp(struct rt_addr *a, const char *hostport, char **cause)
{
    const char *colon = strrchr(hostport, ':');
    int port;
    if (colon == NULL || !parse_port(colon + 1, &port)) {
        *cause = xasprintf("bad socket '%s' (a path, or HOST:PORT with a port 1-65535)", hostport);
        return false;
    }
    char *host = xstrndup(hostport, (size_t)(colon - hostport));
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    bool ok = addr_inet(a, host, port);
    if (!ok) {
        *cause = xasprintf("bad socket host '%s': use a numeric address such as 127.0.0.1 (a "
                           "name lookup would block)",
                           host);
    }
    free(host);
    return ok;
}

/* Digits after the last colon and no slash: HOST:PORT rather than a path. */
static bool looks_like_hostport(const char *s)
{
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s || strchr(s, '/') != NULL || colon[1] == '\0') {
        return false;
    }
    return strspn(colon + 1, "0123456789") == strlen(colon + 1);
}

static bool addr_parse(struct rt_addr *a, const char *value, char **cause)
{
    bool ok;
    if (strncmp(value, "unix:", 5) == 0) {
        ok = addr_unix(a, value + 5, cause);
    } else if (strncmp(value, "tcp:", 4) == 0) {
        ok = addr_tcp(a, value + 4, cause);
    } else if (looks_like_hostport(value)) {
        ok = addr_tcp(a, value, cause);
    } else {
        ok = addr_unix(a, value, cause);
    }
    if (ok) {
        free(a->name);
        a->name = xstrdup(value);
    }
    return ok;
}

/* ---- the runtime API client ---- */

struct haproxy;

/* error is NULL when HAProxy answered (reply, len; reply is NUL-terminated). */
typedef void (*rt_done_cb)(struct haproxy *h, void *ud, const char *error, const char *reply,
                           size_t len);
/* Free ud of a call abandoned by destroy. */
typedef void (*rt_drop_cb)(void *ud);

struct rt_call {
    struct rt_call *next;
    struct haproxy *h;
    int fd;
    struct loop_watch *watch;
    struct loop_timer *timer;
    bool connecting;
    char *cmd;
    size_t cmd_len, sent;
    char *buf;
    size_t len, cap;
    rt_done_cb done;
    rt_drop_cb drop;
    void *ud;
};

struct haproxy {
    struct backend *b;
    struct http_settings http;
    bool have_url;
    char *http_key;      /* an HTTP key other than url, for "needs url" */
    const char *path;    /* ";csv" or "" when the url already asks for CSV */
    struct rt_addr addr; /* valid when have_socket */
    bool have_socket;
    struct http_poll poll; /* over HTTP */
    struct rt_call *calls; /* every runtime API call in flight */
};

static const char *errno_text(int err)
{
    switch (err) {
    case ENOENT:
        return "no such file";
    case ECONNREFUSED:
        return "connection refused";
    case EACCES:
    case EPERM:
        return "permission denied";
    case ETIMEDOUT:
        return "connection timed out";
    case ECONNRESET:
        return "connection reset";
    case ENETUNREACH:
        return "network unreachable";
    case EHOSTUNREACH:
        return "host unreachable";
    case EAGAIN:
        return "busy (listen queue full)";
    case ENOTSOCK:
    case ECONNABORTED:
        return "not a socket that accepts connections";
    default:
        return strerror(err);
    }
}

static void rt_release(struct rt_call *call)
{
    struct haproxy *h = call->h;
    for (struct rt_call **pp = &h->calls; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == call) {
            *pp = call->next;
            break;
        }
    }
    loop_unwatch(h->b->loop, call->watch);
    loop_timer_cancel(h->b->loop, call->timer);
    if (call->fd >= 0) {
        close(call->fd);
    }
}

static void rt_free(struct rt_call *call)
{
    free(call->cmd);
    free(call->buf);
    free(call);
}

/* Finish a call: release it, then report (error NULL: the reply in buf). */
static void rt_finish(struct rt_call *call, const char *error)
{
    rt_release(call);
    if (error == NULL && call->buf == NULL) {
        call->buf = xstrdup("");
    }
    call->done(call->h, call->ud, error, call->buf, call->len);
    rt_free(call);
}

static void rt_fail_errno(struct rt_call *call, const char *what, int err)
{
    char *msg = xasprintf("runtime API %s: %s%s", call->h->addr.name, what, errno_text(err));
    rt_finish(call, msg);
    free(msg);
}

static void rt_timeout(void *ud)
{
    struct rt_call *call = ud;
    call->timer = NULL; /* one-shot: the loop frees it */
    char *msg = xasprintf("runtime API %s: timed out after %d ms", call->h->addr.name,
                          call->h->b->timeout_ms);
    rt_finish(call, msg);
    free(msg);
}

/* Read what is there; true when the call finished. */
static bool rt_read(struct rt_call *call)
{
    for (;;) {
        if (call->cap - call->len < READ_CHUNK + 1) {
            size_t cap = call->cap ? call->cap * 2 : 2 * READ_CHUNK;
            call->cap = cap < REPLY_MAX + READ_CHUNK + 1 ? cap : REPLY_MAX + READ_CHUNK + 1;
            call->buf = xrealloc(call->buf, call->cap);
        }
        ssize_t n = read(call->fd, call->buf + call->len, READ_CHUNK);
        if (n > 0) {
            call->len += (size_t)n;
            call->buf[call->len] = '\0';
            if (call->len > REPLY_MAX) {
                char *msg = xasprintf("runtime API %s: answer larger than %d MiB",
                                      call->h->addr.name, REPLY_MAX / (1024 * 1024));
                rt_finish(call, msg);
                free(msg);
                return true;
            }
            continue;
        }
        if (n == 0) {
            call->buf[call->len] = '\0';
            rt_finish(call, NULL);
            return true;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return false;
        }
        rt_fail_errno(call, "read: ", errno);
        return true;
    }
}

/* Write what the socket takes; true when the call finished (failed). */
static bool rt_write(struct rt_call *call)
{
    while (call->sent < call->cmd_len) {
        ssize_t n =
            send(call->fd, call->cmd + call->sent, call->cmd_len - call->sent, MSG_NOSIGNAL);
        if (n >= 0) {
            call->sent += (size_t)n;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return false;
        } else {
            rt_fail_errno(call, "write: ", errno);
            return true;
        }
    }
    loop_watch_events(call->h->b->loop, call->watch, POLLIN);
    return false;
}

/*
 * revents may lack POLLHUP/POLLERR (curl_multi_poll reports only IN, OUT
 * and PRI for extra descriptors), so the socket itself says what happened.
 */
static void rt_io(int fd, short revents, void *ud)
{
    struct rt_call *call = ud;
    (void)fd;
    if (call->connecting) {
        int err = 0;
        socklen_t elen = sizeof err;
        if (getsockopt(call->fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) {
            err = errno;
        }
        if (err != 0) {
            rt_fail_errno(call, "", err);
            return;
        }
        if ((revents & POLLOUT) == 0) {
            return;
        }
        call->connecting = false;
    }
    if (call->sent < call->cmd_len) {
        if (rt_write(call) || call->sent < call->cmd_len) {
            return;
        }
    }
    rt_read(call);
}

static int rt_socket(const struct rt_addr *addr, bool *connecting)
{
    int fd = socket(addr->ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    *connecting = false;
    if (connect(fd, (const struct sockaddr *)&addr->ss, addr->len) == 0) {
        return fd;
    }
    if (errno == EINPROGRESS) {
        *connecting = true;
        return fd;
    }
    int err = errno;
    close(fd);
    errno = err;
    return -1;
}

/*
 * Send one command (without the newline). NULL with *cause when it fails at
 * once (done is then not called); otherwise done runs exactly once, later.
 */
static struct rt_call *rt_start(struct haproxy *h, const char *cmd, rt_done_cb done,
                                rt_drop_cb drop, void *ud, char **cause)
{
    struct loop *loop = h->b->loop;
    bool connecting;
    if (loop == NULL) {
        *cause = xstrdup("runtime API: no event loop");
        return NULL;
    }
    int fd = rt_socket(&h->addr, &connecting);
    if (fd < 0) {
        *cause = xasprintf("runtime API %s: %s", h->addr.name, errno_text(errno));
        return NULL;
    }
    struct rt_call *call = xcalloc(1, sizeof *call);
    call->h = h;
    call->fd = fd;
    call->connecting = connecting;
    call->cmd = xasprintf("%s\n", cmd);
    call->cmd_len = strlen(call->cmd);
    call->done = done;
    call->drop = drop;
    call->ud = ud;
    call->watch = loop_watch_fd(loop, fd, POLLOUT, rt_io, call);
    call->timer = loop_timer_add(loop, (uint64_t)h->b->timeout_ms, 0, rt_timeout, call);
    call->next = h->calls;
    h->calls = call;
    return call;
}

/* ---- polling ---- */

static void publish_csv(struct haproxy *h, const char *text, size_t len, bool from_socket)
{
    struct backend *b = h->b;
    struct rowset *rs = rowset_create(MODEL_POOLS, b->name);
    char *cause = NULL;
    if (haproxy_parse_csv(text, len, rs, &cause)) {
        backend_publish(b, rs);
        return;
    }
    rowset_destroy(rs);
    size_t skip = from_socket ? strspn(text, " \t\r\n") : 0;
    if (from_socket && skip < len && text[skip] != '#') {
        /* not CSV at all: HAProxy said something ("Permission denied.") */
        const char *line = text + skip;
        int n = (int)strcspn(line, "\r\n");
        backend_fail(b, "show stat on %s answered: %.*s", h->addr.name,
                     n > MESSAGE_MAX ? MESSAGE_MAX : n, line);
    } else {
        backend_fail(b, "%s", cause);
    }
    free(cause);
}

static void on_http(const struct http_response *r, void *ud)
{
    struct haproxy *h = http_poll_received(ud)->priv;
    if (r->error != NULL || r->status < 200 || r->status > 299) {
        char *why = http_describe_failure(r);
        backend_fail(h->b, "%s", why);
        free(why);
    } else {
        publish_csv(h, r->body != NULL ? r->body : "", r->body != NULL ? r->len : 0, false);
    }
    http_poll_end(&h->poll);
}

static void on_show_stat(struct haproxy *h, void *ud, const char *error, const char *reply,
                         size_t len)
{
    (void)ud;
    if (error != NULL) {
        backend_fail(h->b, "%s", error);
    } else {
        publish_csv(h, reply, len, true);
    }
    backend_poll_end(h->b);
}

static void haproxy_poll(struct backend *b)
{
    struct haproxy *h = b->priv;
    if (b->loop == NULL) {
        backend_fail(b, "no event loop to poll on");
        return;
    }
    if (!backend_poll_begin(b)) {
        return;
    }
    if (h->have_url) {
        http_poll_send(&h->poll, h->path, on_http);
        return;
    }
    char *cause = NULL;
    if (rt_start(h, "show stat", on_show_stat, NULL, NULL, &cause) == NULL) {
        backend_fail(b, "%s", cause);
        free(cause);
        backend_poll_end(h->b);
    }
}

/* ---- actions ---- */

static const struct action_def haproxy_actions[] = {
    {"drain", "Drain server", MODEL_POOLS, 'd', ACTION_DISRUPTIVE, NULL, NULL},
    {"ready", "Set server ready", MODEL_POOLS, 'r', 0, NULL, NULL},
    {"maint", "Put server in maintenance", MODEL_POOLS, 'm', ACTION_DISRUPTIVE, NULL, NULL},
    {"weight", "Set server weight", MODEL_POOLS, 'w', ACTION_INPUT, "Weight (0-256 or N%)", "100"},
};

struct act_ctx {
    struct backend_request *a;
    char *ok_message;
};

/* HAProxy's proxy and server names: letters, digits, '-', '_', '.', ':'. */
static bool name_ok(const char *s, size_t n)
{
    static const char extra[] = "-_.:";
    if (n == 0 || n > NAME_MAX_LEN) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c != '\0' && strchr(extra, c) != NULL))) {
            return false;
        }
    }
    return true;
}

static bool target_ok(const char *target, char **cause)
{
    const char *slash = strchr(target, '/');
    if (slash == NULL) {
        *cause = xasprintf("not a server: '%s' (want backend/server)", target);
        return false;
    }
    if (strcmp(slash + 1, "BACKEND") == 0) {
        *cause = xasprintf("not a server: %s is the backend's summary row", target);
        return false;
    }
    if (!name_ok(target, (size_t)(slash - target)) || !name_ok(slash + 1, strlen(slash + 1))) {
        *cause = xasprintf("not a server: bad name '%s' (letters, digits, - _ . : only)", target);
        return false;
    }
    return true;
}

/* 0-256, or N% of the configured weight; out gets the cleaned value. */
static bool weight_ok(const char *input, char *out, size_t len, char **cause)
{
    char *v = str_trim(xstrdup(input));
    size_t n = strlen(v);
    bool pct = n > 0 && v[n - 1] == '%';
    double w;
    if (pct) {
        v[n - 1] = '\0';
    }
    bool ok =
        strchr(v, '.') == NULL && v[0] != '-' && parse_number(v, &w) && w <= (pct ? 25600 : 256);
    if (ok) {
        snprintf(out, len, "%d%s", (int)w, pct ? "%" : "");
    } else {
        *cause = xasprintf("bad weight '%s' (0-256, or a percentage of the configured weight "
                           "such as 50%%)",
                           input);
    }
    free(v);
    return ok;
}

/* The runtime API command for an action, and what success will say. */
static bool action_command(const struct backend_request *a, char **cmd, char **ok_message,
                           char **cause)
{
    const char *verb = a->def->verb;
    if (!target_ok(a->target, cause)) {
        return false;
    }
    if (strcmp(verb, "weight") == 0) {
        char w[16];
        if (!weight_ok(a->input != NULL ? a->input : a->def->input_default, w, sizeof w, cause)) {
            return false;
        }
        *cmd = xasprintf("set server %s weight %s", a->target, w);
        *ok_message = xasprintf("%s weight set to %s", a->target, w);
        return true;
    }
    const char *state = strcmp(verb, "drain") == 0   ? "DRAIN"
                        : strcmp(verb, "ready") == 0 ? "READY"
                        : strcmp(verb, "maint") == 0 ? "MAINT"
                                                     : NULL;
    if (state == NULL) {
        *cause = xasprintf("unknown action '%s'", verb);
        return false;
    }
    *cmd = xasprintf("set server %s state %s", a->target, verb);
    *ok_message = xasprintf("%s set to %s", a->target, state);
    return true;
}

/* HAProxy's answer on one line, trimmed and capped. */
static char *reply_line(const char *reply, size_t len)
{
    char *text = xstrndup(reply, len > MESSAGE_MAX ? MESSAGE_MAX : len);
    for (char *p = text; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }
    str_trim(text);
    return text;
}

static void act_free(struct act_ctx *ctx)
{
    free(ctx->ok_message);
    free(ctx);
}

static void on_act_reply(struct haproxy *h, void *ud, const char *error, const char *reply,
                         size_t len)
{
    struct act_ctx *ctx = ud;
    if (error != NULL) {
        backend_done(ctx->a, false, error);
        act_free(ctx);
        return;
    }
    char *text = reply_line(reply, len);
    if (text[0] == '\0') {
        /* refresh first: the report may be the last thing its caller waits for */
        backend_refresh_soon(h->b);
        backend_done(ctx->a, true, ctx->ok_message);
    } else {
        backend_done(ctx->a, false, text);
    }
    free(text);
    act_free(ctx);
}

/* destroy with an action in flight: its result is unknown; nobody is left to tell. */
static void act_drop(void *ud)
{
    struct act_ctx *ctx = ud;
    backend_drop(ctx->a);
    act_free(ctx);
}

static void haproxy_act(struct backend *b, struct backend_request *a)
{
    struct haproxy *h = b->priv;
    char *cmd = NULL, *ok_message = NULL, *cause = NULL;
    if (!h->have_socket) {
        backend_done(a, false,
                     "actions need the runtime API: set socket = /path/to/admin.sock "
                     "(a stats socket with level admin)");
        return;
    }
    if (!action_command(a, &cmd, &ok_message, &cause)) {
        backend_done(a, false, cause);
        free(cause);
        return;
    }
    struct act_ctx *ctx = xcalloc(1, sizeof *ctx);
    ctx->a = a;
    ctx->ok_message = ok_message;
    if (rt_start(h, cmd, on_act_reply, act_drop, ctx, &cause) == NULL) {
        backend_done(a, false, cause);
        free(cause);
        act_free(ctx);
    }
    free(cmd);
}

/* ---- configuration and lifetime ---- */

static void *haproxy_create(struct backend *b)
{
    struct haproxy *h = xcalloc(1, sizeof *h);
    h->b = b;
    http_settings_init(&h->http);
    http_poll_init(&h->poll, b, &h->http);
    h->path = ";csv";
    return h;
}

static bool haproxy_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct haproxy *h = b->priv;
    int taken = http_settings_configure(&h->http, key, value, cause);
    if (taken < 0) {
        return false;
    }
    if (taken > 0) {
        if (strcmp(key, "url") == 0) {
            h->have_url = true;
        } else if (h->http_key == NULL) {
            h->http_key = xstrdup(key);
        }
        return true;
    }
    if (strcmp(key, "socket") == 0) {
        if (!addr_parse(&h->addr, value, cause)) {
            return false;
        }
        h->have_socket = true;
        return true;
    }
    *cause = xasprintf("unknown key '%s' for a haproxy backend", key);
    return false;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool haproxy_start(struct backend *b, char **cause)
{
    struct haproxy *h = b->priv;
    if (!h->have_url && !h->have_socket) {
        *cause = xstrdup("a haproxy backend needs url (the stats page, e.g. "
                         "http://127.0.0.1:8404/stats) or socket (the runtime API), or both");
        return false;
    }
    if (!h->have_url && h->http_key != NULL) {
        *cause = xasprintf("'%s' applies to url, which is not set", h->http_key);
        return false;
    }
    if (h->have_url) {
        if (!http_settings_finish(&h->http, b->timeout_ms, cause)) {
            return false;
        }
        h->path = h->http.url != NULL && ends_with(h->http.url, ";csv") ? "" : ";csv";
        b->tls_unverified = h->http.insecure;
    }
    return true;
}

static void haproxy_destroy(struct backend *b)
{
    struct haproxy *h = b->priv;
    if (h == NULL) {
        return;
    }
    http_poll_finish(&h->poll);
    while (h->calls != NULL) {
        struct rt_call *call = h->calls;
        rt_release(call);
        if (call->drop != NULL) {
            call->drop(call->ud);
        }
        rt_free(call);
    }
    http_settings_free(&h->http);
    free(h->http_key);
    free(h->addr.name);
    free(h);
    b->priv = NULL;
}

const struct backend_impl haproxy_backend = {
    .type = "haproxy",
    .description = "HAProxy: pools from the stats CSV, actions on the runtime API",
    .kinds = 1u << MODEL_POOLS,
    .actions = haproxy_actions,
    .nactions = (int)(sizeof haproxy_actions / sizeof haproxy_actions[0]),
    .create = haproxy_create,
    .configure = haproxy_configure,
    .start = haproxy_start,
    .poll = haproxy_poll,
    .act = haproxy_act,
    .destroy = haproxy_destroy,
};
