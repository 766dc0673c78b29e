/*
 * engine/locate.c: every step of the lookup order in temporary directories,
 * what wins over what, the messages when nothing is found, names from alerts
 * that try to leave the directories, the alert's labels as variables, and the
 * demo's alerts finding the shipped runbooks.
 */
#include "../../backends/demo.h"
#include "../../backends/model.h"
#include "../../common/util.h"
#include "../../engine/locate.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/opsdeck-locate-XXXXXX";

static void put(const char *rel)
{
    char *path = xasprintf("%s/%s", tmp, rel);
    for (char *s = strchr(path + strlen(tmp) + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(path, 0700);
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fputs("# A runbook\n\n## Do it\n", f);
        fclose(f);
    }
    free(path);
}

/* A config with this [runbooks] section, as if read from TMP/conf/config.ini. */
static struct config *conf(const char *section)
{
    char *name = xasprintf("%s/conf/config.ini", tmp);
    char *text = xasprintf("[runbooks]\n%s", section);
    char *cause = NULL;
    struct config *cfg = config_parse(name, text, &cause);
    if (cfg == NULL) {
        tap_diag("config: %s", cause);
        free(cause);
    }
    free(name);
    free(text);
    return cfg;
}

/* locate_runbook() found TMP/want (want NULL: found nothing). */
static void found(const struct config *cfg, const char *alert, const char *detail, const char *want,
                  const char *what)
{
    char *cause = NULL;
    char *path = locate_runbook(cfg, alert, detail, &cause);
    char *full = want != NULL ? xasprintf("%s/%s", tmp, want) : NULL;
    if (want == NULL) {
        tap_ok(path == NULL && cause != NULL, "%s: nothing found (%s)", what,
               cause != NULL ? cause : path);
    } else {
        tap_is_str(path, full, what);
        if (path == NULL) {
            tap_diag("cause: %s", cause);
        }
    }
    free(full);
    free(path);
    free(cause);
}

static void cause_is(const struct config *cfg, const char *alert, const char *detail,
                     const char *want, const char *what)
{
    char *cause = NULL;
    char *path = locate_runbook(cfg, alert, detail, &cause);
    tap_ok(path == NULL, "%s: no path", what);
    char *w = xasprintf(want, tmp, tmp);
    tap_is_str(cause, w, what);
    free(w);
    free(path);
    free(cause);
}

static void test_dirs(void)
{
    size_t n = 0;
    char **d = locate_dirs(NULL, &n);
    char *def = xasprintf("%s/xdg/opsdeck/runbooks", tmp);
    tap_ok(n >= 2 && strcmp(d[0], def) == 0, "default: $XDG_CONFIG_HOME/opsdeck/runbooks first");
    tap_ok(n >= 2 && strcmp(d[1], OPSDECK_SOURCE_RUNBOOKDIR) == 0,
           "then the source tree's examples");
    tap_ok(n >= 1 && strcmp(d[n - 1], OPSDECK_RUNBOOKDIR) == 0, "the installed examples last");
    tap_ok(d[n] == NULL, "NULL-terminated");
    locate_dirs_free(d);
    free(def);

    struct config *cfg = conf("path = ~/rb:/abs/rb:rel\n");
    d = locate_dirs(cfg, &n);
    char *home = xasprintf("%s/rb", tmp), *rel = xasprintf("%s/conf/rel", tmp);
    tap_ok(n == 5 && strcmp(d[0], home) == 0, "path: '~' expanded");
    tap_ok(n == 5 && strcmp(d[1], "/abs/rb") == 0, "path: absolute as is");
    tap_ok(n == 5 && strcmp(d[2], rel) == 0, "path: relative to the config file");
    tap_ok(n == 5 && strcmp(d[3], OPSDECK_SOURCE_RUNBOOKDIR) == 0,
           "path replaces the default, the shipped examples follow");
    locate_dirs_free(d);
    free(home);
    free(rel);
    config_destroy(cfg);
    locate_dirs_free(NULL);
}

static void test_order(void)
{
    put("one/target-down.md");
    put("two/target-down.md");
    put("two/TargetDown.md");
    put("two/Watchdog.md");
    put("two/wiki-page.md");
    put("two/Odd Name.md");
    put("mapped/special.md");
    put("conf/near.md");
    put("local/abs.md");
    put("rb-home.md");
    struct config *cfg = conf("path = ~/one:~/two\n"
                              "alert.Mapped = ../mapped/special.md\n"
                              "alert.Bare = Watchdog.md\n"
                              "alert.Home = ~/rb-home.md\n"
                              "alert.Near = near.md\n"
                              "alert.Gone = /nonexistent/x.md\n"
                              "alert.NoSuch = nosuch.md\n");
    char *abs = xasprintf("runbook_url\t%s/local/abs.md\n", tmp);
    char *file = xasprintf("runbook_url\tfile://%s/local/abs.md\n", tmp);
    char *filelh = xasprintf("annotation.runbook_url\tfile://localhost%s/local/%%61bs.md\n", tmp);

    found(cfg, "Mapped", "runbook_url\thttps://w/target-down.md\n", "conf/../mapped/special.md",
          "1. the mapping wins over runbook_url and ALERTNAME.md");
    found(cfg, "Bare", "", "two/Watchdog.md",
          "1. a bare file name is looked up in the directories");
    found(cfg, "Home", "", "rb-home.md", "1. '~/' in a mapping is the home directory");
    found(cfg, "Near", "", NULL, "1. a bare name is not read relative to the config file");
    found(cfg, "TargetDown", abs, "local/abs.md", "2. runbook_url: a local path");
    found(cfg, "TargetDown", file, "local/abs.md", "2. runbook_url: a file:// URL");
    found(cfg, "TargetDown", filelh, "local/abs.md",
          "2. annotation.runbook_url: file://localhost/ with %-escapes");
    found(cfg, "TargetDown", "runbook_url\thttps://runbooks.example.com/shop/target-down.md\n",
          "one/target-down.md", "2. an https URL's last segment, first directory first");
    found(cfg, "X", "label.alertname\tX\nrunbook_url\thttps://wiki/x/wiki-page?v=2#top\n",
          "two/wiki-page.md", "2. '.md' added, query and fragment dropped, second directory");
    found(cfg, "X", "runbook_url\thttps://wiki/Odd%20Name/\n", "two/Odd Name.md",
          "2. %-decoded, trailing '/' ignored");
    found(cfg, "X", "runbook_url\tdocs/runbooks/wiki-page.md\n", "two/wiki-page.md",
          "2. a relative path: its file name in the directories");
    found(cfg, "X", "runbook_url\thttps://w/a.md\nannotation.runbook_url\thttps://w/wiki-page.md\n",
          "two/wiki-page.md", "2. annotation.runbook_url before runbook_url");
    found(cfg, "TargetDown", "runbook_url\thttps://w/nothing-here.md\n", "two/TargetDown.md",
          "3. the URL has no local copy: ALERTNAME.md");
    found(cfg, "TargetDown", "runbook_url\t/nonexistent/rb.md\n", "two/TargetDown.md",
          "3. a local runbook_url that is missing: ALERTNAME.md");
    found(cfg, NULL, "label.alertname\tTargetDown\n", "two/TargetDown.md",
          "3. the name from label.alertname");
    found(cfg, "TargetDown", "", "two/TargetDown.md", "3. no runbook_url: ALERTNAME.md");

    cause_is(cfg, "Gone", "",
             "no runbook for Gone: [runbooks] alert.Gone = /nonexistent/x.md "
             "(%s/conf/config.ini:7): /nonexistent/x.md: No such file or directory",
             "a mapping to a missing file is an error, no fallback");
    cause_is(cfg, "NoSuch", "runbook_url\thttps://w/target-down.md\n",
             "no runbook for NoSuch: [runbooks] alert.NoSuch = nosuch.md (%s/conf/config.ini:8): "
             "no nosuch.md in ~/one or the shipped runbooks",
             "a mapping to a name in no directory");
    free(abs);
    free(file);
    free(filelh);
    config_destroy(cfg);
}

static void test_not_found(void)
{
    /* no [runbooks] path: the default directory, shown with '~' (HOME is tmp) */
    cause_is(
        NULL, "KubeJobFailed", "runbook_url\thttps://runbooks.example.com/k8s/job-failed\n",
        "no runbook for KubeJobFailed: runbook_url https://runbooks.example.com/k8s/job-failed "
        "has no local copy; put job-failed.md in ~/xdg/opsdeck/runbooks or map it with "
        "[runbooks] alert.KubeJobFailed = FILE",
        "not found, from a URL: names the file to put where");
    cause_is(NULL, "KubeJobFailed", "label.alertname\tKubeJobFailed\n",
             "no runbook for KubeJobFailed: no runbook_url and no KubeJobFailed.md in the runbook "
             "directories; put KubeJobFailed.md in ~/xdg/opsdeck/runbooks or map it with "
             "[runbooks] alert.KubeJobFailed = FILE",
             "not found, no URL: ALERTNAME.md");
    cause_is(NULL, "KubeJobFailed", "runbook_url\t/nonexistent/job.md\n",
             "no runbook for KubeJobFailed: runbook_url /nonexistent/job.md: No such file or "
             "directory; put KubeJobFailed.md in ~/xdg/opsdeck/runbooks or map it with "
             "[runbooks] alert.KubeJobFailed = FILE",
             "not found, a local runbook_url that is missing");
    cause_is(NULL, NULL, "label.severity\tcritical\n",
             "no runbook: the alert has no alertname label", "an alert without a name");

    /* names from the monitored systems never leave the directories */
    put("xdg/opsdeck/runbooks/ok.md");
    put("secret.md");
    found(NULL, "X", "runbook_url\thttps://w/..%2F..%2F..%2Fsecret.md\n", NULL,
          "an encoded '../' in a URL finds nothing");
    found(NULL, "../../../secret", "", NULL, "an alertname with '../' finds nothing");
    found(NULL, "X", "runbook_url\thttps://w/.%2E\n", NULL, "a URL ending in '..' finds nothing");
    found(NULL, "X", "runbook_url\thttps://w/ok.md\n", "xdg/opsdeck/runbooks/ok.md",
          "the default directory is searched");
}

static void test_vars(void)
{
    struct vars v = {0};
    size_t n = locate_alert_vars("fingerprint\tabc\n"
                                 "label.alertname\tTargetDown\n"
                                 "label.instance\tweb3:8080\n"
                                 "label.bad name\tx\n"
                                 "label.cmd\tx; rm -rf /\n"
                                 "label.\tnothing\n"
                                 "annotation.summary\tdown\n"
                                 "label.pool\tbe_web",
                                 "Ignored", &v);
    tap_is_int((long long)n, 4, "four labels become variables");
    tap_is_str(vars_get(&v, "alertname"), "TargetDown", "alertname from its label wins");
    tap_is_str(vars_get(&v, "instance"), "web3:8080", "label.instance -> instance");
    tap_is_str(vars_get(&v, "cmd"), "x; rm -rf /", "values are kept as they are");
    tap_is_str(vars_get(&v, "pool"), "be_web", "the last line without a newline");
    tap_ok(vars_get(&v, "summary") == NULL && vars_get(&v, "fingerprint") == NULL,
           "annotations and other lines are not variables");
    tap_ok(vars_get(&v, "bad name") == NULL, "a label name vars refuse is skipped");
    vars_clear(&v);

    n = locate_alert_vars("label.job\tnode\n", "HighMemoryUsage", &v);
    tap_is_int((long long)n, 2, "a label and the alert's name");
    tap_is_str(vars_get(&v, "alertname"), "HighMemoryUsage", "alertname from the argument");
    vars_clear(&v);
    tap_is_int((long long)locate_alert_vars("", NULL, &v), 0, "an empty detail sets nothing");
}

/* The demo's alerts link the shipped runbooks, found with no config at all. */
static void test_demo(void)
{
    static const char *const want[][2] = {
        {"TargetDown", "pool-server-down.md"},
        {"DeadLetterQueueGrowing", "queue-backlog.md"},
        {"QueueBacklog", "queue-backlog.md"},
        {"KubeDeploymentRolloutStuck", "deploy-rollback.md"},
    };
    enum { N = sizeof want / sizeof want[0] };
    bool seen[N] = {false};
    struct store *st = store_create();
    struct backend *b = backend_create(&demo_backend, "demo", st, NULL);
    char *cause = NULL;
    backend_configure(b, "epoch", "1795000000", &cause);
    backend_start(b, &cause);
    for (int t = 0; t < 60; t++) {
        demo_backend.poll(b);
        const struct rowset *rs = store_set(st, MODEL_ALERTS, 0);
        for (size_t r = 0; rs != NULL && r < rs->nrows; r++) {
            const char *name = rowset_cell_text(rs, r, ALERT_NAME);
            for (size_t i = 0; i < N; i++) {
                if (seen[i] || strcmp(name, want[i][0]) != 0) {
                    continue;
                }
                seen[i] = true;
                const char *detail = rowset_str(rs, rs->rows[r].detail);
                char *path = locate_runbook(NULL, NULL, detail, &cause);
                char *full = xasprintf("%s/%s", OPSDECK_SOURCE_RUNBOOKDIR, want[i][1]);
                char *what = xasprintf("demo alert %s opens %s", want[i][0], want[i][1]);
                tap_is_str(path, full, what);
                free(what);
                struct vars v = {0};
                locate_alert_vars(detail, name, &v);
                tap_ok(vars_get(&v, "alertname") != NULL && v.n >= 3,
                       "and gives it its labels as variables");
                vars_clear(&v);
                free(full);
                free(path);
            }
        }
    }
    for (size_t i = 0; i < N; i++) {
        tap_ok(seen[i], "demo alert %s fired within 60 ticks", want[i][0]);
    }
    backend_destroy(b);
    store_destroy(st);
}

int main(void)
{
    if (mkdtemp(tmp) == NULL) {
        tap_ok(false, "temporary directory");
        return tap_done();
    }
    char *xdg = xasprintf("%s/xdg", tmp);
    setenv("HOME", tmp, 1);
    setenv("XDG_CONFIG_HOME", xdg, 1);
    test_dirs();
    test_order();
    test_not_found();
    test_vars();
    test_demo();
    char *rm = xasprintf("rm -rf '%s'", tmp);
    if (system(rm) != 0) {
        tap_diag("could not remove %s", tmp);
    }
    free(rm);
    free(xdg);
    return tap_done();
}
