/*
 * The HAProxy backend: the stats CSV parser on captured HAProxy 2.6 output
 * (argv[1] = tests/fixtures/haproxy), shuffled, cut and broken; the config
 * keys; and the runtime API client on a real loop against a fake socket
 * server (show stat, actions, HAProxy's error text, refused, missing,
 * timed out).
 */
#include "../../backends/haproxy.h"
#include "../../backends/model.h"
#include "../../common/clock.h"
#include "../../common/util.h"
#include "../../engine/action.h"
#include "../../common/loop.h"
#include "tap.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char *fixtures = "tests/fixtures/haproxy";

/* ---- helpers ---- */

static char *read_file(const char *name, size_t *len)
{
    return tap_fixture(fixtures, name, len);
}

/* Parse text of exactly len bytes from a buffer of exactly len bytes (ASan sees overreads). */
static struct rowset *parse_exact(const char *text, size_t len, bool *ok, char **cause)
{
    char *copy = xmalloc(len ? len : 1);
    memcpy(copy, text, len);
    struct rowset *rs = rowset_create(MODEL_POOLS, "lb");
    *ok = haproxy_parse_csv(copy, len, rs, cause);
    free(copy);
    return rs;
}

static struct rowset *parse_fixture(const char *name)
{
    size_t len;
    char *text = read_file(name, &len);
    char *cause = NULL;
    bool ok;
    struct rowset *rs = parse_exact(text, len, &ok, &cause);
    tap_ok(ok, "%s parses", name);
    if (!ok) {
        tap_diag("cause: %s", cause);
    }
    free(cause);
    free(text);
    return rs;
}

static long find_row(const struct rowset *rs, const char *key)
{
    for (size_t i = 0; i < rs->nrows; i++) {
        if (strcmp(rowset_key(rs, i), key) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static const char *cell(const struct rowset *rs, const char *key, int col)
{
    long r = find_row(rs, key);
    return r < 0 ? "(no row)" : rowset_cell_text(rs, (size_t)r, col);
}

static int cell_tone(const struct rowset *rs, const char *key, int col)
{
    long r = find_row(rs, key);
    return r < 0 ? -1 : rowset_cells(rs, (size_t)r)[col].tone;
}

static int row_tone(const struct rowset *rs, const char *key)
{
    long r = find_row(rs, key);
    return r < 0 ? -1 : rs->rows[r].tone;
}

static const char *detail(const struct rowset *rs, const char *key)
{
    long r = find_row(rs, key);
    return r < 0 ? "" : rowset_str(rs, rs->rows[r].detail);
}

static bool has_detail(const struct rowset *rs, const char *key, const char *line)
{
    return strstr(detail(rs, key), line) != NULL;
}

static void is_cell(const struct rowset *rs, const char *key, int col, const char *want)
{
    char what[160];
    snprintf(what, sizeof what, "%s %s = '%s'", key, model_schema(MODEL_POOLS)->cols[col].title,
             want);
    tap_is_str(cell(rs, key, col), want, what);
}

/* Same keys, cells and details in the same order. */
static bool same_rows(const struct rowset *a, const struct rowset *b, size_t n)
{
    if (a->nrows < n || b->nrows < n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rowset_key(a, i), rowset_key(b, i)) != 0 || a->rows[i].tone != b->rows[i].tone ||
            strcmp(rowset_str(a, a->rows[i].detail), rowset_str(b, b->rows[i].detail)) != 0) {
            return false;
        }
        for (int c = 0; c < POOL_NCOLS; c++) {
            const struct cell *ca = &rowset_cells(a, i)[c], *cb = &rowset_cells(b, i)[c];
            if (strcmp(rowset_str(a, ca->text), rowset_str(b, cb->text)) != 0 ||
                ca->num != cb->num || ca->tone != cb->tone) {
                return false;
            }
        }
    }
    return true;
}

/* ---- the parser ---- */

static void test_show_stat(void)
{
    struct rowset *rs = parse_fixture("haproxy_show_stat.csv");
    tap_is_int((long long)rs->nrows, 4, "three servers and the backend line, no frontends");
    tap_is_str(rs->nrows > 0 ? rowset_key(rs, 0) : "", "be_web/web1", "rows keep HAProxy's order");
    tap_ok(find_row(rs, "be_web/BACKEND") == 3, "the backend line comes after its servers");
    tap_ok(find_row(rs, "fe_web/FRONTEND") < 0 && find_row(rs, "stats/FRONTEND") < 0,
           "FRONTEND rows are skipped");

    is_cell(rs, "be_web/web2", POOL_NAME, "be_web");
    is_cell(rs, "be_web/web2", POOL_SERVER, "web2");
    is_cell(rs, "be_web/web2", POOL_STATUS, "UP");
    is_cell(rs, "be_web/web2", POOL_WEIGHT, "100");
    is_cell(rs, "be_web/web2", POOL_SESS, "0");
    is_cell(rs, "be_web/web2", POOL_TOTAL, "6");
    is_cell(rs, "be_web/web2", POOL_QUEUE, "0");
    is_cell(rs, "be_web/web2", POOL_CHECK, "L7OK");
    is_cell(rs, "be_web/web2", POOL_5XX, "0");
    is_cell(rs, "be_web/web2", POOL_RT, "1");
    is_cell(rs, "be_web/web2", POOL_SOURCE, "lb");
    tap_is_int(cell_tone(rs, "be_web/web2", POOL_STATUS), TONE_OK, "UP is ok");
    tap_is_int(row_tone(rs, "be_web/web2"), TONE_NORMAL, "an UP row is not tinted");
    long r = find_row(rs, "be_web/web1");
    tap_ok(r >= 0 && rowset_cell_num(rs, (size_t)r, POOL_WEIGHT) == 100 &&
               rowset_cell_num(rs, (size_t)r, POOL_TOTAL) == 6,
           "numeric cells carry their value");

    is_cell(rs, "be_web/web3", POOL_STATUS, "DOWN");
    is_cell(rs, "be_web/web3", POOL_CHECK, "L4CON");
    is_cell(rs, "be_web/web3", POOL_TOTAL, "0");
    tap_is_int(cell_tone(rs, "be_web/web3", POOL_STATUS), TONE_CRIT, "DOWN is critical");
    tap_is_int(row_tone(rs, "be_web/web3"), TONE_CRIT, "and so is its row");
    tap_is_int(cell_tone(rs, "be_web/web3", POOL_CHECK), TONE_CRIT, "a failed check is critical");
    tap_is_int(cell_tone(rs, "be_web/web1", POOL_CHECK), TONE_NORMAL, "a passed check is not");
    tap_ok(has_detail(rs, "be_web/web3", "address\t127.0.0.1:9103\n"), "detail: address");
    tap_ok(has_detail(rs, "be_web/web3", "check\tLayer4 connection problem (0 ms)\n"),
           "detail: check description");
    tap_ok(has_detail(rs, "be_web/web3", "last check\tConnection refused\n"), "detail: last check");
    tap_ok(has_detail(rs, "be_web/web3", "last change\t10s ago\n"), "detail: lastchg as an age");
    tap_ok(has_detail(rs, "be_web/web3", "check failures\t1\n"), "detail: chkfail");
    tap_ok(has_detail(rs, "be_web/web3", "downtime\t10s\n"), "detail: downtime");
    tap_ok(has_detail(rs, "be_web/web3", "mode\thttp\n"), "detail: mode");
    tap_ok(has_detail(rs, "be_web/web1", "check\tLayer7 check passed (code 200, 1 ms)\n"),
           "detail: check code and duration");

    is_cell(rs, "be_web/BACKEND", POOL_NAME, "be_web");
    is_cell(rs, "be_web/BACKEND", POOL_SERVER, "(backend)");
    is_cell(rs, "be_web/BACKEND", POOL_STATUS, "UP");
    is_cell(rs, "be_web/BACKEND", POOL_WEIGHT, "200");
    is_cell(rs, "be_web/BACKEND", POOL_TOTAL, "12");
    is_cell(rs, "be_web/BACKEND", POOL_CHECK, "");
    tap_ok(has_detail(rs, "be_web/BACKEND", "balance\troundrobin\n"), "backend detail: algo");
    tap_ok(has_detail(rs, "be_web/BACKEND", "active servers\t2\n"), "backend detail: act");
    tap_ok(!has_detail(rs, "be_web/BACKEND", "address"), "no empty detail lines");
    rowset_destroy(rs);
}

static void test_after_drain(void)
{
    struct rowset *rs = parse_fixture("haproxy_show_stat_after_drain.csv");
    tap_is_int((long long)rs->nrows, 4, "after drain: four rows");
    is_cell(rs, "be_web/web2", POOL_STATUS, "DRAIN");
    tap_is_int(cell_tone(rs, "be_web/web2", POOL_STATUS), TONE_WARN, "DRAIN is a warning");
    tap_is_int(row_tone(rs, "be_web/web2"), TONE_NORMAL, "a drained row is not critical");
    is_cell(rs, "be_web/web3", POOL_STATUS, "MAINT");
    tap_is_int(cell_tone(rs, "be_web/web3", POOL_STATUS), TONE_WARN, "MAINT is a warning");
    is_cell(rs, "be_web/web3", POOL_CHECK, "");
    is_cell(rs, "be_web/web1", POOL_WEIGHT, "50");
    is_cell(rs, "be_web/BACKEND", POOL_WEIGHT, "50");
    rowset_destroy(rs);

    rs = parse_fixture("haproxy_stats.csv");
    is_cell(rs, "be_web/web3", POOL_STATUS, "UP 1/2");
    tap_is_int(cell_tone(rs, "be_web/web3", POOL_STATUS), TONE_WARN,
               "UP 1/2 (a check failed, going down) is a warning");
    is_cell(rs, "be_web/web1", POOL_TOTAL, "12");
    is_cell(rs, "be_web/BACKEND", POOL_WEIGHT, "300");
    rowset_destroy(rs);
}

/* HAProxy 2.6's `show servers state`: web1 drained and UP, web3 drained and DOWN, web4 in maint. */
static void test_admin_state(void)
{
    size_t len;
    char *state = tap_fixture(fixtures, "show_servers_state.txt", &len);
    struct haproxy_admin admin = {0};
    haproxy_parse_admin(state, len, &admin);
    tap_is_int((long long)admin.n, 4, "show servers state: four servers");
    tap_is_str(haproxy_admin_word(&admin, "be_web/web3"), "drain", "web3's admin state is drain");
    tap_is_str(haproxy_admin_word(&admin, "be_web/web2"), "ready", "web2's is ready");
    tap_is_str(haproxy_admin_word(&admin, "be_web/web4"), "maint", "web4's is maint");
    tap_ok(haproxy_admin_word(&admin, "be_web/nope") == NULL, "an unknown server: unknown");
    const char *csv = "# pxname,svname,status,weight,type\n"
                      "be_web,web1,DRAIN,100,2\n"
                      "be_web,web2,UP,100,2\n"
                      "be_web,web3,DOWN,100,2\n"
                      "be_web,web4,MAINT,100,2\n"
                      "be_web,BACKEND,UP,200,1\n";
    struct rowset *rs = rowset_create(MODEL_POOLS, "lb");
    char *cause = NULL;
    tap_ok(haproxy_parse_csv_admin(csv, strlen(csv), &admin, rs, &cause),
           "the CSV with admin states");
    is_cell(rs, "be_web/web3", POOL_STATUS, "DOWN drain");
    is_cell(rs, "be_web/web1", POOL_STATUS, "DRAIN");
    is_cell(rs, "be_web/web4", POOL_STATUS, "MAINT");
    is_cell(rs, "be_web/web2", POOL_STATUS, "UP");
    tap_ok(has_detail(rs, "be_web/web3", "admin state\tdrain"), "the detail names the admin state");
    rowset_destroy(rs);
    rs = rowset_create(MODEL_POOLS, "lb");
    haproxy_parse_csv(csv, strlen(csv), rs, &cause);
    is_cell(rs, "be_web/web3", POOL_STATUS, "DOWN");
    rowset_destroy(rs);
    haproxy_parse_admin("Permission denied.\n", 19, &admin);
    tap_is_int((long long)admin.n, 0, "an answer of another shape: nothing known");
    haproxy_parse_admin("1\n# be_id be_name srv_id\n3 be_web 1\n", 35, &admin);
    tap_is_int((long long)admin.n, 0, "a header without srv_admin_state: nothing known");
    haproxy_parse_admin("1\n# be_name srv_name srv_admin_state\nbe web x\nbe web2\n", 55, &admin);
    tap_is_int((long long)admin.n, 0, "a state that is not a number, a short line: skipped");
    haproxy_admin_clear(&admin);
    free(state);
}

static void test_shuffled(void)
{
    struct rowset *a = parse_fixture("haproxy_show_stat.csv");
    struct rowset *b = parse_fixture("shuffled.csv");
    tap_ok(a->nrows == b->nrows && same_rows(a, b, a->nrows),
           "shuffled columns give the same rows, cells and details");
    is_cell(b, "be_web/web3", POOL_STATUS, "DOWN");
    rowset_destroy(a);
    rowset_destroy(b);
}

static void test_mini(void)
{
    struct rowset *rs = parse_fixture("mini.csv");
    tap_is_int((long long)rs->nrows, 5, "mini: listeners and frontends skipped (type 0 and 3)");
    is_cell(rs, "be_api/api1", POOL_STATUS, "UP 1/2");
    is_cell(rs, "be_api/api1", POOL_SESS, "4");
    is_cell(rs, "be_api/api1", POOL_TOTAL, "");
    is_cell(rs, "be_api/api1", POOL_QUEUE, "");
    is_cell(rs, "be_api/api1", POOL_RT, "");
    tap_ok(
        has_detail(rs, "be_api/api1",
                   "last check\tHTTP status check returned code <503>, \"Service Unavailable\"\n"),
        "a quoted field with a comma and quotes is decoded");
    is_cell(rs, "be_api/api1", POOL_CHECK, "L7STS");
    tap_is_int(cell_tone(rs, "be_api/api1", POOL_CHECK), TONE_CRIT, "L7STS is a failed check");
    is_cell(rs, "be_api/api2", POOL_STATUS, "DOWN 1/2");
    tap_is_int(row_tone(rs, "be_api/api2"), TONE_CRIT, "DOWN 1/2 is critical");
    is_cell(rs, "be_api/api3", POOL_STATUS, "NOLB");
    tap_is_int(cell_tone(rs, "be_api/api3", POOL_STATUS), TONE_WARN, "NOLB is a warning");
    is_cell(rs, "be_api/api3", POOL_WEIGHT, "");
    tap_is_int(cell_tone(rs, "be_api/api3", POOL_CHECK), TONE_NORMAL, "'* L7OK' is a passed check");
    is_cell(rs, "be_api/api4", POOL_STATUS, "no check");
    is_cell(rs, "be_api/api4", POOL_WEIGHT, "");
    long r = find_row(rs, "be_api/api3");
    tap_ok(r >= 0 && rowset_cell_num(rs, (size_t)r, POOL_WEIGHT) == 0,
           "a number that does not parse is empty and 0");
    is_cell(rs, "be_api/BACKEND", POOL_SESS, "7");
    rowset_destroy(rs);
}

/* Every prefix of a real capture: never a crash, and never a half row. */
static void test_truncated(void)
{
    size_t len;
    char *text = read_file("haproxy_show_stat.csv", &len);
    char *cause = NULL;
    bool ok;
    struct rowset *full = parse_exact(text, len, &ok, &cause);
    size_t hdr = (size_t)(strchr(text, '\n') - text) + 1;
    bool all_ok = true, prefix_rows = true;
    size_t web2_cut = (size_t)(strstr(text, "be_web,web2") - text) + 30;
    for (size_t n = 0; n <= len; n++) {
        struct rowset *rs = parse_exact(text, n, &ok, &cause);
        free(cause);
        cause = NULL;
        if (n >= hdr && !ok) {
            all_ok = false;
        }
        if (ok && !same_rows(rs, full, rs->nrows)) {
            prefix_rows = false;
        }
        if (n == web2_cut) {
            tap_is_int((long long)rs->nrows, 1, "cut inside web2's line: only web1 is shown");
        }
        rowset_destroy(rs);
    }
    tap_ok(all_ok, "every prefix holding the header parses");
    tap_ok(prefix_rows, "and gives only whole rows, equal to the full parse's");

    /* a complete last line without its newline is kept */
    const char *no_nl = "# pxname,svname,status,\nbe,s1,UP,";
    struct rowset *rs = parse_exact(no_nl, strlen(no_nl), &ok, &cause);
    tap_ok(ok && rs->nrows == 1, "a whole last line without a newline is kept");
    rowset_destroy(rs);
    const char *open_quote = "# pxname,svname,status,\nbe,s1,UP,\nbe,s2,\"UP";
    rs = parse_exact(open_quote, strlen(open_quote), &ok, &cause);
    tap_ok(ok && rs->nrows == 1, "a quote left open by the end is dropped");
    rowset_destroy(rs);
    const char *crlf = "# pxname,svname,status,weight\r\nbe,s1,DOWN,10\r\n";
    rs = parse_exact(crlf, strlen(crlf), &ok, &cause);
    tap_ok(ok && rs->nrows == 1 && strcmp(cell(rs, "be/s1", POOL_WEIGHT), "10") == 0 &&
               row_tone(rs, "be/s1") == TONE_CRIT,
           "CRLF line ends");
    rowset_destroy(rs);
    rowset_destroy(full);
    free(text);
}

static void expect_fail(const char *text, size_t len, const char *want, const char *what)
{
    char *cause = NULL;
    bool ok;
    struct rowset *rs = parse_exact(text, len, &ok, &cause);
    tap_ok(!ok, "%s is refused", what);
    tap_is_str(cause, want, "with a clear cause");
    free(cause);
    rowset_destroy(rs);
}

static void test_garbage(void)
{
    static const char NOT_CSV[] = "not HAProxy stats CSV: no '# pxname' header";
    const char *html = "<html><body>Statistics Report</body></html>\n";
    expect_fail(html, strlen(html), NOT_CSV, "HTML");
    expect_fail("", 0, "not HAProxy stats CSV: empty input", "empty input");
    expect_fail("\n\r\n  \n", 5, "not HAProxy stats CSV: empty input", "blank input");
    const char bin[] = {'\0', '\xff', ',', '\n', '#'};
    expect_fail(bin, sizeof bin, NOT_CSV, "binary bytes");
    const char *unknown = "Unknown command: 'show stats'\n";
    expect_fail(unknown, strlen(unknown), NOT_CSV, "a runtime API error");
    const char *nosv = "# pxname,status,\nbe,UP,\n";
    expect_fail(nosv, strlen(nosv),
                "not HAProxy stats CSV: no '# pxname' header (no svname column)",
                "a header without svname");

    char *cause = NULL;
    bool ok;
    const char *header_only = "# pxname,svname,status,\n";
    struct rowset *rs = parse_exact(header_only, strlen(header_only), &ok, &cause);
    tap_ok(ok && rs->nrows == 0, "a header with no rows is an empty pool list");
    rowset_destroy(rs);
    const char *fe_only = "# pxname,svname,status,\nfe,FRONTEND,OPEN,\n";
    rs = parse_exact(fe_only, strlen(fe_only), &ok, &cause);
    tap_ok(ok && rs->nrows == 0, "frontends alone give no rows");
    rowset_destroy(rs);
    static const char nul[] = "# pxname,svname,status,\nbe,s\0x,UP,\n,,,\nbe,,UP,\n";
    rs = parse_exact(nul, sizeof nul - 1, &ok, &cause);
    tap_ok(ok && rs->nrows == 1 && find_row(rs, "be/s") == 0,
           "a NUL inside a field ends it; rows without names are skipped");
    rowset_destroy(rs);
    const char *huge = "# pxname,svname,weight,scur\nbe,s,99999999999999999999999,-3\n";
    rs = parse_exact(huge, strlen(huge), &ok, &cause);
    tap_ok(ok && strcmp(cell(rs, "be/s", POOL_WEIGHT), "") == 0 &&
               strcmp(cell(rs, "be/s", POOL_SESS), "-3") == 0,
           "absurd numbers are empty, negative ones kept");
    rowset_destroy(rs);
    tap_ok(cause == NULL, "no cause on success");
}

/* ---- configuration ---- */

struct result {
    bool done;
    bool ok;
    char *message;
};

static void on_report(const struct action *a, bool ok, const char *message, void *ud)
{
    struct result *r = ud;
    (void)a;
    r->done = true;
    r->ok = ok;
    free(r->message);
    r->message = xstrdup(message != NULL ? message : "");
}

static bool configure(struct backend *b, const char *key, const char *value, char **cause)
{
    free(*cause);
    *cause = NULL;
    return backend_configure(b, key, value, cause);
}

static struct result act(struct backend *b, const char *verb, const char *target, const char *input)
{
    struct result r = {0};
    const struct action_def *def = backend_action_by_verb(b, MODEL_POOLS, verb);
    action_run(action_create(b, def, target, input), on_report, &r);
    return r;
}

static void test_config_keys(struct store *st)
{
    struct backend *b = backend_create(&haproxy_backend, "lb", st, NULL);
    char *cause = NULL;
    tap_ok(!backend_start(b, &cause), "no url and no socket: start fails");
    tap_ok(cause != NULL && strstr(cause, "needs url") != NULL && strstr(cause, "socket") != NULL,
           "naming both keys");
    tap_ok(!configure(b, "bogus", "1", &cause), "an unknown key is refused");
    tap_is_str(cause, "unknown key 'bogus' for a haproxy backend", "with the house message");
    tap_ok(!configure(b, "url", "ftp://x/stats", &cause), "a bad url is refused (HTTP settings)");
    tap_ok(!configure(b, "url", "http://127.0.0.1:/stats", &cause), "an empty port is refused");
    tap_ok(cause != NULL && strstr(cause, "empty port") != NULL, "saying why (%s)", cause);
    tap_ok(!configure(b, "url", "http://127.0.0.1:70000", &cause), "a port past 65535 is refused");
    tap_ok(!configure(b, "url", "http://:8080/", &cause), "no host is refused");
    tap_ok(!configure(b, "url", "http://h:80x", &cause), "a port with letters is refused");
    tap_ok(!configure(b, "url", "http://[::1/stats", &cause),
           "an unclosed IPv6 address is refused");
    tap_ok(configure(b, "url", "http://[::1]:8404/stats", &cause),
           "an IPv6 address and port are taken");
    tap_ok(configure(b, "url", "https://ops:pw@lb.example/stats;csv", &cause),
           "user:password@host is taken");
    tap_ok(configure(b, "url", "http://lb.example:8404", &cause), "a host and port are taken");
    tap_ok(!configure(b, "socket", "tcp:example.com:9999", &cause), "a host name is refused");
    tap_ok(cause != NULL && strstr(cause, "numeric address") != NULL, "saying why");
    tap_ok(!configure(b, "socket", "tcp:127.0.0.1:99999", &cause), "a bad port is refused");
    tap_ok(!configure(b, "socket", "", &cause), "an empty socket is refused");
    char longpath[200];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    tap_ok(!configure(b, "socket", longpath, &cause), "a path too long for a unix socket");
    tap_ok(configure(b, "socket", "127.0.0.1:9999", &cause), "HOST:PORT");
    tap_ok(configure(b, "socket", "[::1]:9999", &cause), "[V6]:PORT");
    tap_ok(configure(b, "socket", "tcp:localhost:9999", &cause), "tcp:localhost:PORT");
    tap_ok(configure(b, "socket", "/run/haproxy/admin.sock", &cause), "a unix socket path");
    tap_ok(backend_start(b, &cause), "socket alone is enough");
    backend_destroy(b);

    b = backend_create(&haproxy_backend, "lb", st, NULL);
    tap_ok(configure(b, "auth", "basic", &cause), "HTTP keys are taken");
    tap_ok(configure(b, "socket", "/tmp/x.sock", &cause) && !backend_start(b, &cause),
           "but without url they are an error");
    tap_is_str(cause, "'auth' applies to url, which is not set", "naming the key");
    backend_destroy(b);
    free(cause);
}

static void test_config_actions(struct store *st)
{
    char *cause = NULL;
    struct backend *b = backend_create(&haproxy_backend, "lb", st, NULL);
    tap_ok(configure(b, "url", "http://127.0.0.1:8404/stats", &cause) && backend_start(b, &cause),
           "url alone is enough to read");
    tap_ok(!b->tls_unverified, "TLS is verified by default");
    action_setup(NULL, false);
    struct result r = act(b, "drain", "be_web/web2", NULL);
    tap_ok(r.done && !r.ok, "an action without socket fails");
    tap_ok(r.message != NULL &&
               str_has_prefix(r.message, "actions need the runtime API: set socket = "),
           "saying that actions need the runtime API");
    free(r.message);
    backend_destroy(b);

    b = backend_create(&haproxy_backend, "lb", st, NULL);
    configure(b, "socket", "/nonexistent/admin.sock", &cause);
    backend_start(b, &cause);
    r = act(b, "drain", "be_web/BACKEND", NULL);
    tap_ok(r.done && !r.ok && str_has_prefix(r.message, "not a server"),
           "the backend's summary row is not a server");
    free(r.message);
    r = act(b, "maint", "be_web/web1\nshutdown sessions server be_web/web2", NULL);
    tap_ok(r.done && !r.ok && str_has_prefix(r.message, "not a server"),
           "a target cannot carry a second command");
    free(r.message);
    r = act(b, "ready", "be_web/web1;disable server be_web/web2", NULL);
    tap_ok(r.done && !r.ok && str_has_prefix(r.message, "not a server"), "nor a ';'");
    free(r.message);
    r = act(b, "ready", "web1", NULL);
    tap_ok(r.done && !r.ok && str_has_prefix(r.message, "not a server"), "a key without a '/'");
    free(r.message);
    const char *bad_weights[] = {"257", "abc", "-1", "1.5", "", "50%%", "25601%"};
    for (size_t i = 0; i < sizeof bad_weights / sizeof bad_weights[0]; i++) {
        r = act(b, "weight", "be_web/web1", bad_weights[i]);
        tap_ok(r.done && !r.ok && str_has_prefix(r.message, "bad weight"), "weight '%s' is refused",
               bad_weights[i]);
        free(r.message);
    }
    const struct action_def *w = backend_action_by_verb(b, MODEL_POOLS, "weight");
    tap_ok(w != NULL && (w->flags & ACTION_INPUT) && w->key == 'w' &&
               strcmp(w->input_default, "100") == 0,
           "weight asks for a value, default 100");
    const struct action_def *d = backend_action(b, MODEL_POOLS, 'd');
    tap_ok(d != NULL && strcmp(d->verb, "drain") == 0 && (d->flags & ACTION_DISRUPTIVE),
           "d drains, marked disruptive");
    backend_destroy(b);
    backend_destroy(NULL);
    free(cause);
}

static void test_config(void)
{
    struct store *st = store_create();
    test_config_keys(st);
    test_config_actions(st);
    store_destroy(st);
}

/* ---- the runtime API on a real loop, against a fake server ---- */

struct fake {
    struct loop *loop;
    int lfd;
    struct loop_watch *lw;
    const char *reply; /* NULL: accept, read, never answer */
    char got[512];
    size_t glen;
    int cfd;
    struct loop_watch *cw;
    int accepted;
};

static void fake_client(int fd, short revents, void *ud)
{
    struct fake *f = ud;
    (void)revents;
    ssize_t n = read(fd, f->got + f->glen, sizeof f->got - 1 - f->glen);
    if (n > 0) {
        f->glen += (size_t)n;
        f->got[f->glen] = '\0';
    }
    if ((n > 0 && memchr(f->got, '\n', f->glen) == NULL) || f->reply == NULL) {
        return;
    }
    if (n > 0) {
        size_t left = strlen(f->reply);
        const char *p = f->reply;
        while (left > 0) {
            ssize_t w = write(fd, p, left);
            if (w <= 0) {
                break;
            }
            p += w;
            left -= (size_t)w;
        }
    }
    loop_unwatch(f->loop, f->cw);
    f->cw = NULL;
    close(fd);
    f->cfd = -1;
}

static void fake_accept(int fd, short revents, void *ud)
{
    struct fake *f = ud;
    (void)revents;
    int c = accept(fd, NULL, NULL);
    if (c < 0) {
        return;
    }
    f->accepted++;
    if (f->cw != NULL) {
        loop_unwatch(f->loop, f->cw);
        close(f->cfd);
    }
    f->glen = 0;
    f->got[0] = '\0';
    f->cfd = c;
    f->cw = loop_watch_fd(f->loop, c, POLLIN, fake_client, f);
}

static void fake_listen(struct fake *f, struct loop *loop, int lfd)
{
    memset(f, 0, sizeof *f);
    f->loop = loop;
    f->lfd = lfd;
    f->cfd = -1;
    listen(lfd, 4);
    f->lw = loop_watch_fd(loop, lfd, POLLIN, fake_accept, f);
}

static void fake_close(struct fake *f)
{
    loop_unwatch(f->loop, f->lw);
    loop_unwatch(f->loop, f->cw);
    if (f->cfd >= 0) {
        close(f->cfd);
    }
    close(f->lfd);
}

static int unix_socket(const char *path, struct sockaddr_un *sun)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    snprintf(sun->sun_path, sizeof sun->sun_path, "%s", path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)sun, sizeof *sun) != 0) {
        tap_diag("bind %s failed", path);
    }
    return fd;
}

static int tcp_socket(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in in = {0};
    socklen_t len = sizeof in;
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&in, sizeof in);
    getsockname(fd, (struct sockaddr *)&in, &len);
    *port = ntohs(in.sin_port);
    return fd;
}

static void run_until(struct loop *loop, const bool *flag, bool want, int ms)
{
    uint64_t end = clock_mono_ms() + (uint64_t)ms;
    while (*flag != want && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
}

static bool starting(const struct backend *b)
{
    return b->health == BACKEND_STARTING;
}

/* Start a backend on the loop and wait for its first answer. */
static struct backend *open_backend(struct loop *loop, struct store *st, const char *socket_value,
                                    int timeout_ms)
{
    char *cause = NULL;
    struct backend *b = backend_create(&haproxy_backend, "lb", st, loop);
    configure(b, "refresh", "60s", &cause);
    if (!configure(b, "socket", socket_value, &cause) || !backend_start(b, &cause)) {
        tap_diag("backend: %s", cause);
    }
    free(cause);
    b->timeout_ms = timeout_ms;
    uint64_t end = clock_mono_ms() + 3000;
    while (starting(b) && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    return b;
}

static struct result act_wait(struct loop *loop, struct backend *b, const char *verb,
                              const char *target, const char *input)
{
    struct result r = {0};
    const struct action_def *def = backend_action_by_verb(b, MODEL_POOLS, verb);
    action_run(action_create(b, def, target, input), on_report, &r);
    run_until(loop, &r.done, true, 3000);
    return r;
}

static void check_actions(struct loop *loop, struct backend *b, struct fake *f);
static void check_refresh_and_errors(struct loop *loop, struct backend *b, struct fake *f,
                                     const char *csv);

static void test_runtime_unix(const char *dir)
{
    size_t len;
    char *csv = read_file("haproxy_show_stat.csv", &len);
    char *path = xasprintf("%s/admin.sock", dir);
    struct sockaddr_un sun;
    struct loop *loop = loop_create();
    struct store *st = store_create();
    struct fake f;
    fake_listen(&f, loop, unix_socket(path, &sun));
    f.reply = csv;

    struct backend *b = open_backend(loop, st, path, 2000);
    tap_is_int(b->health, BACKEND_OK, "show stat over the unix socket: ok");
    tap_is_str(f.got, "show servers state;show stat\n",
               "the command sent: the admin states and the stats in one call, and a newline");
    tap_is_int((long long)store_nrows(st, MODEL_POOLS), 4, "its rows are published");
    const struct rowset *rs = store_nsets(st, MODEL_POOLS) ? store_set(st, MODEL_POOLS, 0) : NULL;
    tap_ok(rs != NULL && strcmp(cell(rs, "be_web/web3", POOL_STATUS), "DOWN") == 0,
           "with web3 DOWN");

    check_actions(loop, b, &f);
    check_refresh_and_errors(loop, b, &f, csv);
    fake_close(&f);
    unlink(path);
    store_destroy(st);
    loop_destroy(loop);
    free(path);
    free(csv);
}

static void check_actions(struct loop *loop, struct backend *b, struct fake *f)
{
    f->reply = "\n";
    struct result r = act_wait(loop, b, "drain", "be_web/web2", NULL);
    tap_is_str(f->got, "set server be_web/web2 state drain\n", "drain sends set server ... state");
    tap_ok(r.done && r.ok, "an empty answer is success");
    tap_is_str(r.message, "be_web/web2 set to DRAIN", "and says what was done");
    free(r.message);
    r = act_wait(loop, b, "maint", "be_web/web2", NULL);
    tap_is_str(f->got, "set server be_web/web2 state maint\n", "maint");
    free(r.message);
    r = act_wait(loop, b, "ready", "be_web/web2", NULL);
    tap_is_str(f->got, "set server be_web/web2 state ready\n", "ready");
    tap_is_str(r.message, "be_web/web2 set to READY", "ready says READY");
    free(r.message);
    r = act_wait(loop, b, "weight", "be_web/web2", " 50 ");
    tap_is_str(f->got, "set server be_web/web2 weight 50\n", "weight sends set server ... weight");
    tap_is_str(r.message, "be_web/web2 weight set to 50", "and says the weight");
    free(r.message);
    r = act_wait(loop, b, "weight", "be_web/web2", "50%");
    tap_is_str(f->got, "set server be_web/web2 weight 50%\n", "a percentage weight");
    free(r.message);

    f->reply = "No such server.\n\n";
    r = act_wait(loop, b, "drain", "be_web/web9", NULL);
    tap_ok(r.done && !r.ok, "HAProxy's error text is a failure");
    tap_is_str(r.message, "No such server.", "with its text, trimmed");
    free(r.message);
}

static void check_refresh_and_errors(struct loop *loop, struct backend *b, struct fake *f,
                                     const char *csv)
{
    /* after a successful action the backend polls again at once */
    f->got[0] = '\0';
    b->health = BACKEND_STARTING;
    f->reply = "\n";
    struct result r = act_wait(loop, b, "ready", "be_web/web3", NULL);
    free(r.message);
    f->reply = csv;
    uint64_t end = clock_mono_ms() + 3000;
    while (starting(b) && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    tap_ok(b->health == BACKEND_OK && strcmp(f->got, "show servers state;show stat\n") == 0,
           "a successful action triggers a refresh");

    f->reply = "Unknown command: 'show stat', but this is a test\n";
    b->health = BACKEND_STARTING;
    backend_poll_now(b);
    end = clock_mono_ms() + 3000;
    while (starting(b) && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    tap_ok(b->health == BACKEND_ERROR && b->error != NULL &&
               strstr(b->error, "answered: Unknown command") != NULL,
           "a non-CSV answer to show stat is an error quoting it");
    if (b->error != NULL) {
        tap_diag("%s", b->error);
    }
    tap_is_int((long long)store_nrows(b->store, MODEL_POOLS), 4, "the last rows stay");

    f->reply = NULL; /* never answers */
    b->timeout_ms = 300;
    r = act_wait(loop, b, "drain", "be_web/web1", NULL);
    tap_ok(r.done && !r.ok && strstr(r.message, "timed out after 300 ms") != NULL,
           "no answer: timed out after the backend's timeout");
    tap_diag("%s", r.message ? r.message : "");
    free(r.message);

    /* an action in flight when the backend goes away is dropped, not reported */
    r = (struct result){0};
    action_run(
        action_create(b, backend_action_by_verb(b, MODEL_POOLS, "drain"), "be_web/web1", NULL),
        on_report, &r);
    loop_run_once(loop, 20);
    backend_destroy(b);
    loop_run_once(loop, 20);
    tap_ok(!r.done, "destroy cancels a call in flight without reporting");
}

static void test_runtime_errors(const char *dir)
{
    struct loop *loop = loop_create();
    struct store *st = store_create();
    char *missing = xasprintf("%s/missing.sock", dir);
    struct backend *b = open_backend(loop, st, missing, 2000);
    tap_ok(b->health == BACKEND_ERROR && b->error != NULL && strstr(b->error, "no such file"),
           "a missing socket: no such file");
    tap_diag("%s", b->error ? b->error : "");
    struct result r = act_wait(loop, b, "drain", "be_web/web1", NULL);
    tap_ok(r.done && !r.ok && strstr(r.message, "no such file") != NULL,
           "an action on it fails the same way");
    free(r.message);
    backend_destroy(b);

    char *dead = xasprintf("%s/dead.sock", dir);
    struct sockaddr_un sun;
    int fd = unix_socket(dead, &sun); /* bound, never listening */
    b = open_backend(loop, st, dead, 2000);
    tap_ok(b->health == BACKEND_ERROR && b->error && strstr(b->error, "connection refused"),
           "a socket nobody listens on: connection refused");
    backend_destroy(b);
    close(fd);
    unlink(dead);
    free(missing);
    free(dead);
    store_destroy(st);
    loop_destroy(loop);
}

static void test_runtime_tcp(void)
{
    struct loop *loop = loop_create();
    struct store *st = store_create();
    struct backend *b;
    int fd, port;
    fd = tcp_socket(&port);
    close(fd); /* nothing listens on that port now */
    char *addr = xasprintf("tcp:127.0.0.1:%d", port);
    b = open_backend(loop, st, addr, 2000);
    tap_ok(b->health == BACKEND_ERROR && b->error && strstr(b->error, "connection refused"),
           "tcp: connection refused");
    tap_diag("%s", b->error ? b->error : "");
    backend_destroy(b);
    free(addr);

    size_t len;
    char *csv = read_file("haproxy_stats.csv", &len);
    struct fake f;
    fake_listen(&f, loop, tcp_socket(&port));
    f.reply = csv;
    addr = xasprintf("127.0.0.1:%d", port);
    b = open_backend(loop, st, addr, 2000);
    tap_ok(b->health == BACKEND_OK && store_nrows(st, MODEL_POOLS) == 4, "show stat over TCP");
    f.reply = NULL;
    b->health = BACKEND_STARTING;
    b->timeout_ms = 250;
    backend_poll_now(b);
    uint64_t end = clock_mono_ms() + 3000;
    while (starting(b) && clock_mono_ms() < end) {
        loop_run_once(loop, 20);
    }
    tap_ok(b->error != NULL && strstr(b->error, "timed out after 250 ms") != NULL,
           "a silent server: show stat times out");
    backend_destroy(b);
    fake_close(&f);
    free(addr);
    free(csv);
    store_destroy(st);
    loop_destroy(loop);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }
    char tmpl[] = "/tmp/opsdeck-haproxy.XXXXXX";
    char *dir = mkdtemp(tmpl);
    action_setup(NULL, false);
    test_show_stat();
    test_after_drain();
    test_admin_state();
    test_shuffled();
    test_mini();
    test_truncated();
    test_garbage();
    test_config();
    if (dir != NULL) {
        test_runtime_unix(dir);
        test_runtime_errors(dir);
        test_runtime_tcp();
        rmdir(dir);
    } else {
        tap_ok(false, "mkdtemp");
    }
    return tap_done();
}
