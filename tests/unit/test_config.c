/*
 * engine/config.c: a good file in full, every error with its exact
 * "name:line: message", files on disk, and the booleans.
 */
#include "../../engine/config.h"
#include "../../common/util.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char good[] = "; opsdeck config\n"                     /* 1 */
                           "[opsdeck]\n"                            /* 2 */
                           "theme = high-contrast\n"                /* 3 */
                           "read_only = Yes\n"                      /* 4 */
                           "\n"                                     /* 5 */
                           "[backend \"edge-lb\"]\n"                /* 6 */
                           "    type = haproxy\n"                   /* 7 */
                           "    url = http://127.0.0.1:8404/;csv\n" /* 8 */
                           "\trefresh = 2s\n"                       /* 9 */
                           "# a comment\n"                          /* 10 */
                           "[backend queues.eu-1]\n"                /* 11 */
                           "actions = off   ; inline comment\n"     /* 12 */
                           "type=rabbitmq\n"                        /* 13 */
                           "empty =\n";                             /* 14 */

static void entry_is(const struct config_entry *e, const char *key, const char *value, int line)
{
    char what[128];
    snprintf(what, sizeof what, "entry %s: key", key);
    tap_is_str(e->key, key, what);
    snprintf(what, sizeof what, "entry %s: value", key);
    tap_is_str(e->value, value, what);
    snprintf(what, sizeof what, "entry %s: line", key);
    tap_is_int(e->line, line, what);
}

static void test_good(void)
{
    char *cause = NULL;
    struct config *cfg = config_parse("good.ini", good, &cause);
    if (!tap_ok(cfg != NULL, "good config parses")) {
        tap_diag("%s", cause);
        free(cause);
        return;
    }
    tap_is_str(cfg->path, "good.ini", "path is the name given");
    tap_is_str(cfg->theme, "high-contrast", "theme");
    tap_ok(cfg->read_only, "read_only = Yes is true");
    tap_is_int((long long)cfg->group_above, CONFIG_GROUP_ABOVE, "group_above: 200 by default");
    if (!tap_is_int((long long)cfg->nbackends, 2, "two backends")) {
        config_destroy(cfg);
        return;
    }
    const struct config_backend *lb = &cfg->backends[0];
    tap_is_str(lb->name, "edge-lb", "quoted name");
    tap_is_str(lb->type, "haproxy", "indented keys are not taken as continuation lines");
    tap_is_int(lb->line, 6, "first backend header line");
    if (tap_is_int((long long)lb->nentries, 2, "edge-lb: url and refresh, not type")) {
        /* ';' with no blank before it is part of the value, as inih does it. */
        entry_is(&lb->entries[0], "url", "http://127.0.0.1:8404/;csv", 8);
        entry_is(&lb->entries[1], "refresh", "2s", 9);
    }
    const struct config_backend *q = &cfg->backends[1];
    tap_is_str(q->name, "queues.eu-1", "unquoted [backend NAME] form");
    tap_is_str(q->type, "rabbitmq", "type without blanks around '='");
    tap_is_int(q->line, 11, "second backend header line");
    if (tap_is_int((long long)q->nentries, 2, "queues: actions and empty")) {
        entry_is(&q->entries[0], "actions", "off", 12);
        entry_is(&q->entries[1], "empty", "", 14);
    }
    config_destroy(cfg);
}

static void expect_error(const char *text, const char *want, const char *what)
{
    char *cause = NULL;
    struct config *cfg = config_parse("t.ini", text, &cause);
    tap_ok(cfg == NULL, "%s: rejected", what);
    tap_is_str(cause, want, what);
    config_destroy(cfg);
    free(cause);
}

static void test_errors(void)
{
    expect_error(
        "[opsdeck]\n[bogus]\n",
        "t.ini:2: unknown section [bogus] (expected [opsdeck], [runbooks], [share], "
        "[views], [keys], [audit], [backend \"NAME\"], [service \"NAME\"] or [context \"NAME\"])",
        "unknown section");
    expect_error("[backends \"a\"]\ntype = x\n",
                 "t.ini:1: unknown section [backends \"a\"] (expected [opsdeck], [runbooks], "
                 "[share], [views], [keys], [audit], [backend \"NAME\"], [service \"NAME\"] or "
                 "[context \"NAME\"])",
                 "a section that only starts with 'backend'");
    expect_error("[share]\ndir = /srv/x\nsocket = y\n",
                 "t.ini:3: unknown key 'socket' in [share] (expected dir, participants, nats or "
                 "nats_creds)",
                 "[share]: an unknown key");
    expect_error("[share]\ndir = /a\ndir = /b\n", "t.ini:3: duplicate key 'dir' in [share]",
                 "[share]: a key twice");
    expect_error("[share]\nnats = nats://bob:secret@host:4222\n",
                 "t.ini:2: the nats URL holds credentials: put them in a file named by nats_creds "
                 "or in the environment (docs/war-room.md)",
                 "[share]: no credentials in the config");
    expect_error("[share]\nnats = http://host:4222\n",
                 "t.ini:2: bad nats URL 'http://host:4222' (expected nats://HOST:PORT; "
                 "credentials go in nats_creds or the environment, never here)",
                 "[share]: a nats URL");
    expect_error("[opsdeck]\ntheme = dark\ncolour = red\n",
                 "t.ini:3: unknown key 'colour' in [opsdeck]", "unknown key in [opsdeck]");
    expect_error("[opsdeck]\nread_only = maybe\n",
                 "t.ini:2: bad value 'maybe' for read_only (on/off, true/false, yes/no, 1/0)",
                 "bad bool");
    expect_error("[opsdeck]\ntheme = my theme\n",
                 "t.ini:2: bad theme name 'my theme' (use letters, digits, '_' and '-')",
                 "bad theme name");
    expect_error("[opsdeck]\ntheme = ../../etc\n",
                 "t.ini:2: bad theme name '../../etc' (use letters, digits, '_' and '-')",
                 "theme name cannot be a path");
    expect_error("[opsdeck]\ntheme = a\n\ntheme = b\n",
                 "t.ini:4: duplicate key 'theme' in [opsdeck] (first on line 2)",
                 "duplicate key in [opsdeck]");
    expect_error("[opsdeck]\ngroup_above = -1\n",
                 "t.ini:2: bad value '-1' for group_above (a number of rows; 0: never group)",
                 "group_above: not negative");
    expect_error("[opsdeck]\ngroup_above = 2.5\n",
                 "t.ini:2: bad value '2.5' for group_above (a number of rows; 0: never group)",
                 "group_above: whole rows");
    expect_error("[opsdeck]\ngroup_above = 1\ngroup_above = 2\n",
                 "t.ini:3: duplicate key 'group_above' in [opsdeck] (first on line 2)",
                 "group_above: once");
    expect_error("[opsdeck]\nread_only = on\n[opsdeck]\nread_only = off\n",
                 "t.ini:4: duplicate key 'read_only' in [opsdeck] (first on line 2)",
                 "duplicate key across two [opsdeck] sections");
    expect_error("[backend \"a\"]\ntype = x\nurl = 1\nurl = 2\n",
                 "t.ini:4: duplicate key 'url' in [backend \"a\"] (first on line 3)",
                 "duplicate key in a backend");
    expect_error("[backend \"a\"]\ntype = x\ntype = y\n",
                 "t.ini:3: duplicate key 'type' in [backend \"a\"] (first on line 2)",
                 "duplicate type");
    expect_error("[backend a]\ntype = x\n\n[backend \"a\"]\ntype = y\n",
                 "t.ini:4: duplicate backend 'a' (first on line 1)", "duplicate backend name");
    expect_error("[opsdeck]\n[backend \"a\"]\nurl = x\n[backend b]\ntype = y\n",
                 "t.ini:2: backend 'a' has no type", "backend without type, before another");
    expect_error("[backend \"a\"]\ntype = x\n[backend \"b\"]\n", "t.ini:3: backend 'b' has no type",
                 "empty backend section at the end");
    expect_error("[backend \"a\"]\ntype =\n", "t.ini:2: empty value for 'type'", "empty type");
    expect_error("[backend \"a b\"]\ntype = x\n",
                 "t.ini:1: bad backend name 'a b' (use letters, digits, '.', '_' and '-')",
                 "bad backend name");
    expect_error("[backend \"a\n", "t.ini:1: missing ']' in section header", "missing ']'");
    expect_error("[backend \"a]\n", "t.ini:1: missing '\"' after the backend name",
                 "unbalanced quote");
    expect_error("[backend]\n",
                 "t.ini:1: a backend section needs a name, e.g. [backend \"edge-lb\"]",
                 "backend without a name");
    expect_error("[opsdeck] theme = dark\n", "t.ini:1: unexpected text after ']'",
                 "text after a header");
    expect_error("[opsdeck]\ntheme = dark\nthis is not a pair\n",
                 "t.ini:3: syntax error (expected 'key = value', [section] or a comment)",
                 "syntax error found by inih");
    expect_error("[opsdeck]\n= dark\n", "t.ini:2: missing key before '='", "empty key");
    expect_error("theme = dark\n",
                 "t.ini:1: key 'theme' outside of a section (put it under [opsdeck] or a "
                 "[backend])",
                 "key before any section");
    expect_error("[opsdeck]\r\nnope\r\ncolour = red\r\n",
                 "t.ini:2: syntax error (expected 'key = value', [section] or a comment)",
                 "first error wins, CRLF line ends");
    expect_error("[opsdeck]\ncolour = red\nnope\n", "t.ini:2: unknown key 'colour' in [opsdeck]",
                 "first error wins when it is ours");

    char line[400];
    memset(line, 'x', sizeof line);
    memcpy(line, "url = ", 6);
    line[sizeof line - 1] = '\0';
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "[backend a]\ntype = x\n%s\n", line);
    fclose(f);
    char *cause = NULL;
    struct config *cfg = config_parse("t.ini", text, &cause);
    tap_ok(cfg == NULL, "a line longer than inih's buffer is rejected");
    tap_ok(cause != NULL && strncmp(cause, "t.ini:3: line too long (at most ", 32) == 0,
           "and named by its line: %s", cause != NULL ? cause : "(null)");
    config_destroy(cfg);
    free(text);
    free(cause);
}

static const char runbooks[] = "[opsdeck]\n"                                 /* 1 */
                               "[runbooks]\n"                                /* 2 */
                               "path = ~/runbooks:/srv/runbooks:rel\n"       /* 3 */
                               "alert.TargetDown = pool-server-down.md\n"    /* 4 */
                               "  alert.KubeJobFailed = /srv/jobs.md\n"      /* 5 */
                               "[backend d]\n"                               /* 6 */
                               "type = demo\n"                               /* 7 */
                               "[runbooks]\n"                                /* 8 */
                               "alert.Watchdog = ~/watchdog.md ; comment\n"; /* 9 */

static void test_share(void)
{
    char *cause = NULL;
    struct config *cfg = config_parse(
        "s.ini",
        "[share]\ndir = /srv/opsdeck\nparticipants = bob, @sre\nnats = nats://10.0.0.5:4222\n"
        "nats_creds = /etc/opsdeck/nats.creds\n",
        &cause);
    if (!tap_ok(cfg != NULL, "[share] parses")) {
        tap_diag("%s", cause);
        free(cause);
        return;
    }
    tap_is_str(cfg->share_dir, "/srv/opsdeck", "[share] dir");
    tap_is_str(cfg->share_participants, "bob, @sre", "[share] participants as written");
    tap_is_str(cfg->share_nats, "nats://10.0.0.5:4222", "[share] nats");
    tap_is_str(cfg->share_nats_creds, "/etc/opsdeck/nats.creds", "[share] nats_creds");
    config_destroy(cfg);
    /* [runbooks] slack_url_env after [share] leaves [share] alone (it freed them: a double free) */
    cfg = config_parse("s.ini",
                       "[share]\ndir = /srv/opsdeck\nparticipants = bob\nnats = nats://x:4222\n"
                       "nats_creds = /c\n[runbooks]\nslack_url_env = HOOK\n",
                       &cause);
    tap_ok(cfg != NULL && strcmp(cfg->share_dir, "/srv/opsdeck") == 0 &&
               strcmp(cfg->share_participants, "bob") == 0 &&
               strcmp(cfg->share_nats, "nats://x:4222") == 0 &&
               strcmp(cfg->share_nats_creds, "/c") == 0 && strcmp(cfg->slack_url_env, "HOOK") == 0,
           "[share] then [runbooks] slack_url_env: both kept");
    config_destroy(cfg);
    expect_error("[share]\ndir =\n", "t.ini:2: empty value for 'dir' in [share]",
                 "[share]: an empty dir");
}

static void test_runbooks(void)
{
    char *cause = NULL;
    struct config *cfg = config_parse("r.ini", runbooks, &cause);
    if (!tap_ok(cfg != NULL, "[runbooks] parses")) {
        tap_diag("%s", cause);
        free(cause);
        return;
    }
    tap_is_int((long long)cfg->nbackends, 1, "a backend between two [runbooks] sections");
    if (tap_is_int((long long)cfg->nrunbook_dirs, 3, "path: three directories")) {
        tap_is_str(cfg->runbook_dirs[0], "~/runbooks", "'~' kept as written");
        tap_is_str(cfg->runbook_dirs[1], "/srv/runbooks", "second directory");
        tap_is_str(cfg->runbook_dirs[2], "rel", "third directory");
    }
    if (tap_is_int((long long)cfg->nrunbook_alerts, 3, "three alert mappings")) {
        entry_is(&cfg->runbook_alerts[0], "TargetDown", "pool-server-down.md", 4);
        entry_is(&cfg->runbook_alerts[1], "KubeJobFailed", "/srv/jobs.md", 5);
        entry_is(&cfg->runbook_alerts[2], "Watchdog", "~/watchdog.md", 9);
    }
    config_destroy(cfg);

    cfg = config_parse("n.ini", "[opsdeck]\n", &cause);
    tap_ok(cfg != NULL && cfg->runbook_dirs == NULL && cfg->nrunbook_dirs == 0 &&
               cfg->nrunbook_alerts == 0,
           "no [runbooks]: no path, no mappings");
    config_destroy(cfg);

    expect_error("[runbooks]\npath = a\npath = b\n",
                 "t.ini:3: duplicate key 'path' in [runbooks] (first on line 2)",
                 "duplicate runbook path");
    expect_error("[runbooks]\npath = a::b\n",
                 "t.ini:2: empty directory in [runbooks] path (separate them with ':')",
                 "empty directory in the path");
    expect_error("[runbooks]\npath =\n",
                 "t.ini:2: empty directory in [runbooks] path (separate them with ':')",
                 "empty path");
    expect_error(
        "[runbooks]\ndir = a\n",
        "t.ini:2: unknown key 'dir' in [runbooks] (expected path, slack_url_env or alert.NAME)",
        "unknown key in [runbooks]");
    expect_error("[runbooks]\nalert. = a.md\n",
                 "t.ini:2: bad alert name '' in [runbooks] (expected alert.ALERTNAME)",
                 "alert. without a name");
    expect_error("[runbooks]\nalert.a/b = a.md\n",
                 "t.ini:2: bad alert name 'a/b' in [runbooks] (expected alert.ALERTNAME)",
                 "alert name with a slash");
    expect_error("[runbooks]\nalert.X =\n", "t.ini:2: empty runbook file for alert 'X'",
                 "mapping without a file");
    expect_error("[runbooks]\nalert.X = a.md\n\n[runbooks]\nalert.X = b.md\n",
                 "t.ini:5: duplicate key 'alert.X' in [runbooks] (first on line 2)",
                 "duplicate mapping across two [runbooks] sections");
}

/* [opsdeck] group_above: a whole number of rows, 0 (never) included. */
static void test_group_above(void)
{
    const char *const texts[] = {"[opsdeck]\ngroup_above = 0\n", "[opsdeck]\ngroup_above = 500\n"};
    const size_t want[] = {0, 500};
    for (size_t i = 0; i < 2; i++) {
        char *cause = NULL;
        struct config *cfg = config_parse("t.ini", texts[i], &cause);
        tap_ok(cfg != NULL && cfg->group_above == want[i], "group_above = %zu", want[i]);
        config_destroy(cfg);
        free(cause);
    }
}

static void test_empty(void)
{
    const char *texts[] = {"", "\n\n", "; only a comment\n", "[opsdeck]\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *cause = NULL;
        struct config *cfg = config_parse("e.ini", texts[i], &cause);
        tap_ok(cfg != NULL && cfg->nbackends == 0 && cfg->theme == NULL && !cfg->read_only,
               "empty config %zu is valid, with defaults", i);
        config_destroy(cfg);
        free(cause);
    }
}

static char *write_file(const char *dir, const char *name, const char *text, size_t len)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    fwrite(text, 1, len, f);
    fclose(f);
    return path;
}

static void test_files(void)
{
    char dir[] = "/tmp/opsdeck-config-XXXXXX";
    if (!tap_ok(mkdtemp(dir) != NULL, "temporary directory")) {
        return;
    }
    char *cause = NULL;
    char *path = write_file(dir, "config.ini", good, strlen(good));
    struct config *cfg = config_load(path, &cause);
    tap_ok(cfg != NULL && cfg->nbackends == 2, "config_load reads a file");
    if (cfg != NULL) {
        tap_is_str(cfg->path, path, "config path is the file's");
        tap_is_int(cfg->backends[1].entries[0].line, 12, "line numbers from a file");
    }
    config_destroy(cfg);
    unlink(path);
    free(path);

    static const char bad[] = "[opsdeck]\ntheme = a\nfoo = 1\n";
    path = write_file(dir, "bad.ini", bad, sizeof bad - 1);
    cfg = config_load(path, &cause);
    char *want = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&want, &len);
    fprintf(f, "%s:3: unknown key 'foo' in [opsdeck]", path);
    fclose(f);
    tap_ok(cfg == NULL, "bad file rejected");
    tap_is_str(cause, want, "file errors name path:line");
    free(cause);
    free(want);
    unlink(path);
    free(path);

    static const char nul[] = "[opsdeck]\ntheme\0 = a\n";
    path = write_file(dir, "nul.ini", nul, sizeof nul - 1);
    cfg = config_load(path, &cause);
    f = open_memstream(&want, &len);
    fprintf(f, "%s:2: NUL byte in the file", path);
    fclose(f);
    tap_ok(cfg == NULL, "file with a NUL byte rejected");
    tap_is_str(cause, want, "the NUL byte's line is named");
    free(cause);
    free(want);
    unlink(path);
    free(path);

    path = write_file(dir, "empty.ini", "", 0);
    cause = NULL;
    cfg = config_load(path, &cause);
    tap_ok(cfg != NULL && cfg->nbackends == 0 && cause == NULL, "empty file is a valid config");
    config_destroy(cfg);
    unlink(path);
    free(path);

    /* a megabyte is the most a config may be: one byte more is refused, whatever it holds */
    size_t big = 1024 * 1024;
    char *text = xmalloc(big + 1);
    memset(text, '\n', big + 1);
    memcpy(text, "[opsdeck]\ntheme = dark\n", 23);
    path = write_file(dir, "big.ini", text, big);
    cause = NULL;
    cfg = config_load(path, &cause);
    tap_ok(cfg != NULL && cause == NULL, "a config of exactly a megabyte is read");
    config_destroy(cfg);
    unlink(path);
    free(path);
    path = write_file(dir, "huge.ini", text, big + 1);
    cfg = config_load(path, &cause);
    f = open_memstream(&want, &len);
    fprintf(f, "%s: too large (more than %zu bytes)", path, big);
    fclose(f);
    tap_ok(cfg == NULL, "a byte more is refused");
    tap_is_str(cause, want, "too large: the path and the cap");
    free(cause);
    free(want);
    unlink(path);
    free(path);
    free(text);

    cfg = config_load("/nonexistent/opsdeck/config.ini", &cause);
    tap_ok(cfg == NULL, "missing file rejected");
    tap_is_str(cause, "/nonexistent/opsdeck/config.ini: No such file or directory",
               "missing file: path and strerror");
    free(cause);
    rmdir(dir);
}

static void test_bools(void)
{
    const char *yes[] = {"on", "ON", "true", "True", "yes", "YES", "1"};
    const char *no[] = {"off", "Off", "false", "FALSE", "no", "No", "0"};
    const char *bad[] = {"", "2", "onn", "y", "n", "enabled", " on", "-1"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        bool v = false;
        tap_ok(str_parse_bool(yes[i], &v) && v, "'%s' is true", yes[i]);
    }
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        bool v = true;
        tap_ok(str_parse_bool(no[i], &v) && !v, "'%s' is false", no[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool v = true;
        tap_ok(!str_parse_bool(bad[i], &v) && v, "'%s' is rejected, value untouched", bad[i]);
    }
}

/*
 * [service "NAME"]: checked whole at load, each key with its line; a service
 * reaches its prometheus backend as that backend's keys (service = NAME, then
 * service.NAME.KEY), lines kept, so the backend's own errors name them too.
 */
static const char services[] = "[service \"checkout\"]\n"                           /* 1 */
                               "labels = service=\"checkout\",namespace=\"shop\"\n" /* 2 */
                               "objective = 99.5\n"                                 /* 3 */
                               "\n"                                                 /* 4 */
                               "[backend \"prom\"]\n"                               /* 5 */
                               "type = prometheus\n"                                /* 6 */
                               "url = http://prometheus.example:9090\n"             /* 7 */
                               "[backend \"am\"]\n"                                 /* 8 */
                               "type = alertmanager\n"                              /* 9 */
                               "url = http://127.0.0.1:9093\n"                      /* 10 */
                               "[service payments]\n"                               /* 11 */
                               "rules = sloth\n"                                    /* 12 */
                               "backend = prom\n"                                   /* 13 */
                               "[service \"web\"]\n";                               /* 14 */

static void test_services(void)
{
    char *cause = NULL;
    struct config *cfg = config_parse("s.ini", services, &cause);
    if (!tap_ok(cfg != NULL, "services parse (the backend may come after them)")) {
        tap_diag("%s", cause);
        free(cause);
        return;
    }
    tap_is_int((long long)cfg->nservices, 3, "three services");
    tap_is_str(cfg->services[0].name, "checkout", "checkout");
    tap_is_str(cfg->services[0].backend, "prom", "reads the only prometheus backend");
    tap_is_int(cfg->services[0].line, 1, "its header line");
    tap_is_str(cfg->services[1].name, "payments", "an unquoted name");
    tap_is_str(cfg->services[2].backend, "prom", "a section with no keys: every default");
    const struct config_backend *prom = &cfg->backends[0];
    if (tap_is_int((long long)prom->nentries, 7, "prom: url + 3 services + 3 of their keys")) {
        entry_is(&prom->entries[0], "url", "http://prometheus.example:9090", 7);
        entry_is(&prom->entries[1], "service", "checkout", 1);
        entry_is(&prom->entries[2], "service.checkout.labels",
                 "service=\"checkout\",namespace=\"shop\"", 2);
        entry_is(&prom->entries[3], "service.checkout.objective", "99.5", 3);
        entry_is(&prom->entries[4], "service", "payments", 11);
        entry_is(&prom->entries[5], "service.payments.rules", "sloth", 12);
        entry_is(&prom->entries[6], "service", "web", 14);
    }
    tap_is_int((long long)cfg->backends[1].nentries, 1, "am gets none of them");
    config_destroy(cfg);

    const char prom2[] = "[backend \"p1\"]\ntype = prometheus\nurl = x\n"
                         "[backend \"p2\"]\ntype = prometheus\nurl = y\n";
    char *text = xasprintf("%s[service \"a\"]\nbackend = p2\n", prom2);
    cfg = config_parse("s.ini", text, &cause);
    tap_ok(cfg != NULL && cfg->backends[1].nentries == 2 && cfg->backends[0].nentries == 1,
           "backend = p2 picks that one of two");
    config_destroy(cfg);
    free(text);

    expect_error("[backend \"p\"]\ntype = prometheus\n[service \"a\"]\nobjective = 100\n",
                 "t.ini:4: bad objective '100' (a percentage above 0 and below 100, e.g. 99.9)",
                 "service: objective 100");
    expect_error("[backend \"p\"]\ntype = prometheus\n[service \"a\"]\nobjective = 0\n",
                 "t.ini:4: bad objective '0' (a percentage above 0 and below 100, e.g. 99.9)",
                 "service: objective 0");
    expect_error("[service \"a\"]\nwindow = 30m\n[backend \"p\"]\ntype = prometheus\n",
                 "t.ini:2: bad window '30m' (at least 1h, at most 400d, e.g. 30d or 28d)",
                 "service: a window under 1h");
    expect_error("[service \"a\"]\ncolour = red\n",
                 "t.ini:2: unknown key 'colour' in [service \"a\"] (expected backend, labels, "
                 "objective, window, rules, slo, traffic, errors, p50, p99, saturation)",
                 "service: unknown key");
    expect_error("[service \"a\"]\nrules = pyrra\n",
                 "t.ini:2: rules = pyrra is not supported: Pyrra names its recording rules after "
                 "each SLO's own metric and windows scaled from its window, so no fixed name reads "
                 "them; give the queries with errors = (and traffic =, p99 =)",
                 "service: rules = pyrra refused, saying why");
    expect_error("[service \"a\"]\np99 = histogram_quantile(0.99, {{buckets}})\n",
                 "t.ini:2: bad query for 'p99': unknown placeholder '{{buckets}}' (use {{labels}} "
                 "and {{window}})",
                 "service: an unknown placeholder");
    expect_error("[backend \"p\"]\ntype = prometheus\n[service \"a\"]\nbackend = nope\n",
                 "t.ini:4: service 'a': unknown backend 'nope'", "service: unknown backend");
    expect_error("[backend \"am\"]\ntype = alertmanager\n[service \"a\"]\nbackend = am\n",
                 "t.ini:4: service 'a': backend 'am' is of type alertmanager (a service reads a "
                 "prometheus backend)",
                 "service: not a prometheus backend");
    expect_error("[backend \"am\"]\ntype = alertmanager\n\n[service \"a\"]\n",
                 "t.ini:4: service 'a' needs a prometheus backend (a [backend] with type = "
                 "prometheus)",
                 "service: no prometheus backend at all");
    text = xasprintf("%s[service \"a\"]\nlabels = x=\"y\"\n", prom2);
    expect_error(text, "t.ini:7: service 'a': 2 prometheus backends, say which with backend = NAME",
                 "service: two prometheus backends and no backend =");
    free(text);
    expect_error("[service \"a\"]\n[service \"a\"]\n",
                 "t.ini:2: duplicate service 'a' (first on line 1)", "service: twice");
    expect_error("[service \"a\"]\nobjective = 99\nobjective = 98\n",
                 "t.ini:3: duplicate key 'objective' in [service \"a\"] (first on line 2)",
                 "service: a key twice");
    expect_error("[service \"a.b\"]\n",
                 "t.ini:1: bad service name 'a.b' (use letters, digits, '_' and '-', e.g. "
                 "[service \"checkout\"])",
                 "service: a bad name");
}

/* cluster = NAME: members of one type and one context; errors at the joiner's cluster line */
static void test_clusters(void)
{
    static const char ok[] = "[backend \"am1\"]\ntype = alertmanager\ncluster = am-eu\n"
                             "context = prod-eu\n"
                             "[backend \"am2\"]\ntype = alertmanager\ncontext = prod-eu\n"
                             "cluster = am-eu\n"
                             "[backend \"solo\"]\ntype = alertmanager\ncluster = am-us\n";
    char *cause = NULL;
    struct config *cfg = config_parse("t.ini", ok, &cause);
    tap_ok(cfg != NULL && cause == NULL, "two members of one cluster and a cluster of one: ok");
    config_destroy(cfg);
    free(cause);
    expect_error("[backend \"am1\"]\ntype = alertmanager\ncluster = am-eu\n"
                 "[backend \"lb\"]\ntype = haproxy\ncluster = am-eu\n",
                 "t.ini:6: backend 'lb' (haproxy) cannot join cluster 'am-eu': its member 'am1' "
                 "is alertmanager",
                 "cluster: members of two types");
    expect_error("[backend \"am1\"]\ntype = alertmanager\ncluster = am-eu\ncontext = prod-eu\n"
                 "[backend \"am2\"]\ntype = alertmanager\ncluster = am-eu\n",
                 "t.ini:7: backend 'am2' (context default) cannot join cluster 'am-eu': its member "
                 "'am1' is in context prod-eu",
                 "cluster: members of two contexts");
    expect_error("[backend \"am1\"]\ntype = alertmanager\ncluster = am2\n"
                 "[backend \"am2\"]\ntype = alertmanager\n",
                 "t.ini:3: cluster 'am2' has the name of a backend (line 4)",
                 "cluster: named like a backend");
}

/* [context "NAME"]: its keys, contexts named by backends, "default", and every error. */
static void test_contexts(void)
{
    char *cause = NULL;
    struct config *cfg = config_parse("t.ini",
                                      "[context \"prod-eu\"]\n"       /* 1 */
                                      "tone = crit\n"                 /* 2 */
                                      "protected = true\n"            /* 3 */
                                      "description = EU production\n" /* 4 */
                                      "[context staging]\n"           /* 5 */
                                      "read_only = yes\n"             /* 6 */
                                      "tone = muted\n"                /* 7 */
                                      "[context \"unused\"]\n"        /* 8 */
                                      "[backend \"a\"]\n"             /* 9 */
                                      "type = haproxy\n"              /* 10 */
                                      "context = staging\n"           /* 11 */
                                      "[backend \"b\"]\n"             /* 12 */
                                      "type = haproxy\n"              /* 13 */
                                      "context = prod-eu\n"           /* 14 */
                                      "[backend \"c\"]\n"             /* 15 */
                                      "type = demo\n"                 /* 16 */
                                      "context = lab\n"               /* 17 */
                                      "[backend \"d\"]\n"             /* 18 */
                                      "type = demo\n",                /* 19 */
                                      &cause);
    tap_ok(cfg != NULL, "contexts: parsed (%s)", cause ? cause : "ok");
    if (cfg == NULL) {
        free(cause);
        return;
    }
    tap_is_int((int)cfg->ncontexts, 5, "contexts: 3 declared + lab + default");
    const struct config_context *c = config_context_find(cfg, "prod-eu");
    tap_ok(c != NULL && c->tone == TONE_CRIT && c->protected_ && !c->read_only && c->used &&
               c->line == 1,
           "prod-eu: crit, protected, used, line 1");
    tap_is_str(c != NULL && c->description ? c->description : "", "EU production",
               "prod-eu: its description");
    c = config_context_find(cfg, "staging");
    tap_ok(c != NULL && c->tone == TONE_MUTED && c->read_only && !c->protected_ && c->used,
           "staging (unquoted header): muted, read-only");
    c = config_context_find(cfg, "unused");
    tap_ok(c != NULL && !c->used && c->tone == TONE_NORMAL, "a [context] nobody uses is fine");
    c = config_context_find(cfg, "lab");
    tap_ok(c != NULL && c->line == 0 && c->used && c->tone == TONE_NORMAL && !c->read_only &&
               !c->protected_,
           "a context named by a backend, not declared: the defaults");
    c = config_context_find(cfg, NULL);
    tap_ok(c != NULL && strcmp(c->name, "default") == 0 && c->used,
           "a backend without context is in \"default\"");
    tap_ok(config_context_find(cfg, "nope") == NULL, "no such context: NULL");
    config_destroy(cfg);

    expect_error("[context \"p\"]\ntone = red\n",
                 "t.ini:2: bad tone 'red' for context 'p' (normal, ok, info, warn, crit or muted)",
                 "context: an unknown tone");
    expect_error("[context \"p\"]\nprotected = maybe\n",
                 "t.ini:2: bad value 'maybe' for protected (true/false, on/off, yes/no, 1/0)",
                 "context: a bad boolean");
    expect_error("[context \"p\"]\ncolour = red\n",
                 "t.ini:2: unknown key 'colour' in [context \"p\"] (expected tone, read_only, "
                 "protected or description)",
                 "context: an unknown key");
    expect_error("[context \"p\"]\ntone = ok\n\ntone = warn\n",
                 "t.ini:4: duplicate key 'tone' in [context \"p\"] (first on line 2)",
                 "context: a key twice");
    expect_error("[context \"p\"]\n[context p]\n",
                 "t.ini:2: duplicate context 'p' (first on line 1)", "context: declared twice");
    expect_error("[context \"a b\"]\n",
                 "t.ini:1: bad context name 'a b' (use letters, digits, '.', '_' and '-', e.g. "
                 "[context \"prod-eu\"])",
                 "context: a bad name");
}

/* [keys]: kept as written with their lines (the key tables check them at start: test_keymap). */
static void test_keys(void)
{
    char *cause = NULL;
    struct config *cfg = config_parse("k.ini",
                                      "[keys]\n"
                                      "filter = f\n"
                                      "  pools.drain = D\n"
                                      "; a comment\n"
                                      "zoom = none\n"
                                      "row-down = j Ctrl-N\n",
                                      &cause);
    tap_ok(cfg != NULL, "a [keys] section parses (%s)", cause != NULL ? cause : "ok");
    if (cfg != NULL && tap_is_int((long long)cfg->nkeys, 4, "four bindings")) {
        entry_is(&cfg->keys[0], "filter", "f", 2);
        entry_is(&cfg->keys[1], "pools.drain", "D", 3);
        entry_is(&cfg->keys[2], "zoom", "none", 5);
        entry_is(&cfg->keys[3], "row-down", "j Ctrl-N", 6);
    }
    config_destroy(cfg);
    free(cause);
    expect_error("[keys]\nfilter = f\nfilter = g\n",
                 "t.ini:3: duplicate key 'filter' in [keys] (first on line 2)",
                 "[keys]: a verb twice");
    expect_error("[keys]\nfilter =\n", "t.ini:2: no key for 'filter' in [keys] (none unbinds it)",
                 "[keys]: no key");
    expect_error("[keys]\nfil/ter = f\n",
                 "t.ini:2: bad key binding 'fil/ter' in [keys] (VERB = KEYS or PANE.VERB = KEYS)",
                 "[keys]: not a verb");
}

int main(void)
{
    test_good();
    test_clusters();
    test_contexts();
    test_keys();
    test_errors();
    test_runbooks();
    test_share();
    test_services();
    test_empty();
    test_group_above();
    test_files();
    test_bools();
    return tap_done();
}
