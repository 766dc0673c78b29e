/*
 * engine/auditlog.c: the message format (RFC 3164 as syslog(3) sends it
 * locally), facility names, severity by result, the [audit] section of the
 * config (values, defaults, file:line errors), and the mirror on a real
 * journal with a real datagram socket: sent, backlog while the socket is
 * gone, one report per outage (said and recorded), back again in order, a
 * stream socket refused, and no loop when the report itself cannot be sent.
 */
#include "../../common/clock.h"
#include "../../common/loop.h"
#include "../../engine/auditlog.h"
#include "../../engine/config.h"
#include "../../engine/journal.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static char tmp[] = "/tmp/opsdeck-auditlog-XXXXXX";

static void test_format(void)
{
    setenv("TZ", "UTC", 1);
    tzset();
    /* 2026-03-05T07:08:09Z */
    char *m = auditlog_format(LOG_AUTHPRIV >> 3, LOG_NOTICE, 1772694489000LL, "opsdeck", 42,
                              "{\"seq\":1}");
    tap_is_str(m, "<85>Mar  5 07:08:09 opsdeck[42]: {\"seq\":1}",
               "format: <PRI>Mmm dd hh:mm:ss TAG[PID]: LINE, day space-padded, no host");
    free(m);
    m = auditlog_format(LOG_LOCAL7 >> 3, LOG_WARNING, 1764892800000LL, "ops.deck-1", 7, "x");
    tap_is_str(m, "<188>Dec  5 00:00:00 ops.deck-1[7]: x", "format: local7.warning = 188");
    free(m);
    m = auditlog_format(0, LOG_NOTICE, 1764892800000LL + 17 * 86400000LL, "t", 1, "y");
    tap_is_str(m, "<5>Dec 22 00:00:00 t[1]: y", "format: a two-digit day");
    free(m);
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    m = auditlog_format(1, LOG_NOTICE, 1772694489000LL, "t", 1, "z");
    tap_is_str(m, "<13>Mar  5 08:08:09 t[1]: z", "format: the local time, as syslog(3)'s");
    free(m);
    setenv("TZ", "UTC", 1);
    tzset();
}

static void test_facility(void)
{
    const struct {
        const char *name;
        int code;
    } want[] = {{"auth", 4},    {"authpriv", 10}, {"daemon", 3}, {"user", 1},
                {"local0", 16}, {"local7", 23},   {"local3", 19}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int f = -1;
        tap_ok(auditlog_facility_parse(want[i].name, &f) && f == want[i].code, "facility %s = %d",
               want[i].name, want[i].code);
        tap_is_str(auditlog_facility_name(want[i].code), want[i].name, "and its name back");
    }
    const char *bad[] = {"kern", "mail", "LOCAL0", "local8", "", "authpriv "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int f = -1;
        tap_ok(!auditlog_facility_parse(bad[i], &f) && f == -1, "facility '%s' refused", bad[i]);
    }
    tap_is_int(auditlog_severity("ok"), LOG_NOTICE, "severity: ok is notice");
    tap_is_int(auditlog_severity("started"), LOG_NOTICE, "severity: started is notice");
    tap_is_int(auditlog_severity("refused: read-only"), LOG_NOTICE, "severity: refused is notice");
    tap_is_int(auditlog_severity(NULL), LOG_NOTICE, "severity: no result is notice");
    tap_is_int(auditlog_severity("error: HTTP 500"), LOG_WARNING,
               "severity: a failed action is warning");
    tap_is_int(auditlog_severity("failed: x"), LOG_WARNING, "severity: failed is warning");
}

static void config_error(const char *text, const char *want, const char *what)
{
    char *cause = NULL;
    struct config *cfg = config_parse("t.ini", text, &cause);
    tap_ok(cfg == NULL && cause != NULL && strstr(cause, want) != NULL, "config: %s", what);
    if (cause != NULL && strstr(cause, want) == NULL) {
        tap_diag("got: %s", cause);
    }
    config_destroy(cfg);
    free(cause);
}

static void test_config(void)
{
    char *cause = NULL;
    struct config *cfg = config_parse("t.ini", "[opsdeck]\n", &cause);
    tap_ok(cfg != NULL && !cfg->audit_syslog && cfg->audit_facility == (LOG_AUTHPRIV >> 3) &&
               cfg->audit_socket == NULL && cfg->audit_tag == NULL,
           "config: no [audit]: syslog off, authpriv, /dev/log, opsdeck");
    tap_ok(auditlog_create(cfg) == NULL, "syslog off: no mirror");
    config_destroy(cfg);
    cfg = config_parse("t.ini",
                       "[audit]\nsyslog = on\nsyslog_facility = local2\n"
                       "syslog_socket = /run/x.sock\nsyslog_tag = ops/deck_1.x\n",
                       &cause);
    tap_ok(cfg != NULL && cfg->audit_syslog && cfg->audit_facility == 18 &&
               strcmp(cfg->audit_socket, "/run/x.sock") == 0 &&
               strcmp(cfg->audit_tag, "ops/deck_1.x") == 0,
           "config: every [audit] key read");
    config_destroy(cfg);
    config_error("[audit]\nsyslog = maybe\n", "t.ini:2: bad value 'maybe' for syslog",
                 "a bad syslog value names file:line");
    config_error("[audit]\n\nsyslog_facility = mail\n", "t.ini:3: bad syslog_facility 'mail'",
                 "a bad facility names file:line");
    config_error("[audit]\nsyslog_socket = dev/log\n", "t.ini:2: bad syslog_socket",
                 "a relative socket refused");
    config_error("[audit]\nsyslog_tag = has space\n", "t.ini:2: bad syslog_tag",
                 "a tag with a space refused");
    config_error("[audit]\nsyslog_tag = 123456789012345678901234567890123\n",
                 "t.ini:2: bad syslog_tag", "a tag over 32 bytes refused");
    config_error("[audit]\nsyslog = on\nsyslog = off\n",
                 "t.ini:3: duplicate key 'syslog' in [audit] (first on line 2)",
                 "a duplicate key refused");
    config_error("[audit]\nfacility = auth\n", "t.ini:2: unknown key 'facility' in [audit]",
                 "an unknown key refused");
}

/* A bound datagram socket: the syslog daemon of the test. */
static int listen_at(const char *path, int type)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    unlink(path);
    int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        tap_diag("bind %s: %s", path, strerror(errno));
        exit(1);
    }
    if (type == SOCK_STREAM) {
        listen(fd, 1);
    }
    return fd;
}

/* The next datagram, or NULL within a short wait. Caller frees. */
static char *receive(int fd)
{
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[65536];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    if (n < 0) {
        return NULL;
    }
    buf[n] = '\0';
    return xstrdup(buf);
}

/* The JSON of a message (after "TAG[PID]: "), its "KEY" as a string; "" when absent. */
static char *field(const char *msg, const char *key)
{
    const char *json = msg != NULL ? strstr(msg, "]: ") : NULL;
    cJSON *o = json != NULL ? cJSON_Parse(json + 3) : NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    char *s = cJSON_IsString(v)   ? xstrdup(v->valuestring)
              : cJSON_IsNumber(v) ? xasprintf("%.0f", v->valuedouble)
                                  : xstrdup("");
    cJSON_Delete(o);
    return s;
}

static int said_count;
static char said_last[512];

static void on_say(const char *text, void *ud)
{
    (void)ud;
    said_count++;
    snprintf(said_last, sizeof said_last, "%s", text);
}

static void append(struct journal *j, const char *action, const char *result)
{
    struct journal_event ev = {
        .actor = "alice", .host = "h", .action = action, .target = "be/x", .result = result};
    char *cause = NULL;
    if (!journal_append(j, &ev, &cause)) {
        tap_diag("append: %s", cause);
        free(cause);
    }
}

static struct config *audit_config(const char *sock)
{
    char *text = xasprintf("[audit]\nsyslog = on\nsyslog_facility = local1\nsyslog_socket = "
                           "%s\nsyslog_tag = ut\n",
                           sock);
    char *cause = NULL;
    struct config *cfg = config_parse("t.ini", text, &cause);
    free(text);
    free(cause);
    return cfg;
}

static size_t count_action(const char *path, const char *action, const char *prefix)
{
    struct journal_line *lines = NULL;
    size_t n = 0, found = 0;
    int err;
    if (!journal_read(path, &lines, &n, &err)) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(lines[i].obj, "action");
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(lines[i].obj, "result");
        found += cJSON_IsString(a) && strcmp(a->valuestring, action) == 0 && cJSON_IsString(r) &&
                 strncmp(r->valuestring, prefix, strlen(prefix)) == 0;
    }
    journal_lines_free(lines, n);
    return found;
}

static void test_mirror(void)
{
    char *sock = xasprintf("%s/log.sock", tmp);
    char *path = xasprintf("%s/state/audit.jsonl", tmp);
    int d = listen_at(sock, SOCK_DGRAM);
    struct config *cfg = audit_config(sock);
    struct auditlog *al = auditlog_create(cfg);
    tap_ok(al != NULL, "syslog on: a mirror");
    auditlog_set_say(al, on_say, NULL);
    char *cause = NULL;
    struct journal *j = journal_open(path, &cause);
    auditlog_attach(al, j);

    append(j, "drain", "started");
    char *m = receive(d);
    char *pri = m != NULL ? xstrndup(m, strcspn(m, ">") + 1) : xstrdup("");
    tap_is_str(pri, "<141>", "sent: local1.notice (8*17+5)");
    free(pri);
    tap_ok(m != NULL && strstr(m, " ut[") != NULL, "sent: with the tag");
    char *seq = field(m, "seq");
    tap_is_str(seq, "1", "sent: the journal's line (seq 1)");
    free(seq);
    free(m);
    append(j, "drain", "error: HTTP 500");
    m = receive(d);
    tap_ok(m != NULL && strncmp(m, "<140>", 5) == 0, "a failed result: local1.warning");
    free(m);

    /* the daemon goes away: lines wait, the outage is said and recorded once */
    close(d);
    unlink(sock);
    append(j, "ready", "started");
    append(j, "ready", "ok");
    tap_is_int(said_count, 1, "outage: said once for two lines");
    tap_ok(strstr(said_last, "audit to syslog failed: ") != NULL && strstr(said_last, sock),
           "outage: says what failed and where");
    tap_is_int((long long)count_action(path, "audit.syslog", "failed: "), 1,
               "outage: one audit.syslog failed line in the audit file");
    tap_is_int((long long)auditlog_backlog(al), 3, "outage: the two lines and our own wait");

    /* back (a new daemon, a new socket at the same path): sent in order, said, recorded */
    d = listen_at(sock, SOCK_DGRAM);
    append(j, "maint", "started");
    tap_is_int(said_count, 2, "back: said");
    tap_ok(strstr(said_last, "3 lines sent late, 0 dropped") != NULL,
           "back: how many went late (the new line is not late)");
    tap_diag("said: %s", said_last);
    const char *want[] = {"ready", "audit.syslog", "ready", "maint", "audit.syslog"};
    bool order = true;
    for (size_t i = 0; i < 5; i++) {
        m = receive(d);
        char *a = field(m, "action");
        order = order && strcmp(a, want[i]) == 0;
        if (strcmp(a, want[i]) != 0) {
            tap_diag("message %zu: %s, want %s", i, a, want[i]);
        }
        free(a);
        free(m);
    }
    tap_ok(order, "back: what waited first, in order, then the new line and the 'back' record");
    tap_is_int((long long)count_action(path, "audit.syslog", "ok: back on "), 1,
               "back: recorded as audit.syslog ok");
    tap_is_int((long long)auditlog_backlog(al), 0, "back: nothing waits");
    m = receive(d);
    tap_ok(m == NULL, "back: nothing sent twice");
    free(m);

    /* a bounded backlog: the oldest are dropped and counted */
    close(d);
    unlink(sock);
    for (int i = 0; i < AUDITLOG_BACKLOG + 10; i++) {
        append(j, "peek", "ok");
    }
    tap_is_int((long long)auditlog_backlog(al), AUDITLOG_BACKLOG,
               "a long outage: the backlog is bounded");
    tap_is_int(said_count, 3, "a long outage: said once");
    d = listen_at(sock, SOCK_DGRAM);
    /*
     * A datagram socket queues few messages (net.unix.max_dgram_qlen, 10 by
     * default): the backlog goes as fast as the daemon reads, a part with each
     * line, and the rest waits (never a blocking send).
     */
    int rounds = 0;
    size_t got = 0;
    for (; rounds < 100 && (rounds == 0 || auditlog_backlog(al) > 0); rounds++) {
        append(j, "peek", "ok");
        while ((m = receive(d)) != NULL) {
            got++;
            free(m);
        }
    }
    tap_ok(auditlog_backlog(al) == 0, "back: the backlog drains as the daemon reads (%d lines)",
           rounds);
    tap_is_int(
        (long long)got, AUDITLOG_BACKLOG + rounds + 1,
        "back: every line kept was sent once (the backlog, each new line, the 'back' record)");
    tap_ok(strstr(said_last, " 11 dropped") != NULL,
           "back: says how many were dropped (the audit file has them)");
    tap_diag("said: %s", said_last);
    close(d);
    unlink(sock);

    /* a stream socket is refused with a clear reason */
    int s = listen_at(sock, SOCK_STREAM);
    append(j, "peek", "ok");
    tap_ok(strstr(said_last, "a stream socket") != NULL, "a stream socket: said as such");
    close(s);
    unlink(sock);

    journal_close(j);
    auditlog_set_say(al, NULL, NULL);
    auditlog_destroy(al);
    config_destroy(cfg);
    free(sock);
    free(path);
}

/* A burst (more lines than the socket queues) is no outage: the loop's timer sends the rest. */
static void test_burst(void)
{
    char *sock = xasprintf("%s/burst.sock", tmp);
    char *path = xasprintf("%s/state/burst.jsonl", tmp);
    int d = listen_at(sock, SOCK_DGRAM);
    struct config *cfg = audit_config(sock);
    struct auditlog *al = auditlog_create(cfg);
    struct loop *loop = loop_create();
    auditlog_set_loop(al, loop);
    said_count = 0;
    auditlog_set_say(al, on_say, NULL);
    char *cause = NULL;
    struct journal *j = journal_open(path, &cause);
    auditlog_attach(al, j);
    for (int i = 0; i < 40; i++) {
        append(j, "peek", "ok");
    }
    tap_ok(auditlog_backlog(al) > 0, "burst: the socket is full, %zu lines wait",
           auditlog_backlog(al));
    tap_is_int(said_count, 0, "burst: nothing said (a full socket is no outage)");
    size_t got = 0;
    char *m;
    uint64_t until = clock_mono_ms() + 5000;
    while (clock_mono_ms() < until && (got < 40 || auditlog_backlog(al) > 0)) {
        while ((m = receive(d)) != NULL) {
            got++;
            free(m);
        }
        loop_run_once(loop, 50);
    }
    tap_is_int((long long)got, 40,
               "burst: all 40 lines arrive, from the timer, no new line needed");
    tap_is_int((long long)count_action(path, "audit.syslog", ""), 0, "burst: no audit.syslog line");
    tap_is_int(said_count, 0, "burst: still nothing said");
    journal_close(j);
    auditlog_destroy(al);
    loop_destroy(loop);
    config_destroy(cfg);
    close(d);
    free(sock);
    free(path);
}

int main(void)
{
    if (mkdtemp(tmp) == NULL) {
        return 1;
    }
    test_format();
    test_facility();
    test_config();
    test_mirror();
    test_burst();
    char *rm = xasprintf("rm -rf %s", tmp);
    if (system(rm) != 0) {
        tap_diag("could not remove %s", tmp);
    }
    free(rm);
    return tap_done();
}
