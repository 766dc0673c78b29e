/*
 * engine/reload.c: which backends a reload keeps, changes, adds and removes,
 * from two configs parsed as the console parses them.
 */
#include "../../backends/backend.h"
#include "../../engine/config.h"
#include "../../engine/reload.h"
#include "../../common/util.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct config *parse(const char *name, const char *text)
{
    char *cause = NULL;
    struct config *cfg = config_parse(name, text, &cause);
    if (!tap_ok(cfg != NULL, "%s parses", name)) {
        printf("#   %s\n", cause);
        free(cause);
    }
    return cfg;
}

/* The fate of the new backend named name ("-" when the new config has none such). */
static const char *fate_name(enum reload_fate f)
{
    static const char *const names[] = {"kept", "changed", "added", "removed"};
    return names[f];
}

static const char *new_fate(const struct config *cfg, const struct reload_diff *d, const char *name)
{
    size_t n;
    const struct config_backend *v = reload_backends(cfg, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].name, name) == 0) {
            return fate_name(d->new_fate[i]);
        }
    }
    return "-";
}

static const char *old_fate(const struct config *cfg, const struct reload_diff *d, const char *name)
{
    size_t n;
    const struct config_backend *v = reload_backends(cfg, &n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].name, name) == 0) {
            return fate_name(d->old_fate[i]);
        }
    }
    return "-";
}

static const char base[] = "[backend \"lb1\"]\n"
                           "type = haproxy\n"
                           "url = http://127.0.0.1:1/;csv\n"
                           "refresh = 2s\n"
                           "[backend \"lb2\"]\n"
                           "type = haproxy\n"
                           "url = http://127.0.0.1:2/;csv\n"
                           "[backend \"am\"]\n"
                           "type = alertmanager\n"
                           "url = http://127.0.0.1:3\n"
                           "context = prod\n"
                           "[context \"prod\"]\n"
                           "tone = crit\n";

static void test_mixed(void)
{
    /* lb1: refresh changed; lb2: removed; am: the same, entries reordered, a comment;
       lb3: added; the context's tone changed (not a backend's setting) */
    static const char next[] = "; moved around\n"
                               "[context \"prod\"]\n"
                               "tone = warn\n"
                               "[backend \"am\"]\n"
                               "context = prod\n"
                               "url = http://127.0.0.1:3\n"
                               "type = alertmanager\n"
                               "[backend \"lb1\"]\n"
                               "type = haproxy\n"
                               "url = http://127.0.0.1:1/;csv\n"
                               "refresh = 5s\n"
                               "[backend \"lb3\"]\n"
                               "type = haproxy\n"
                               "url = http://127.0.0.1:4/;csv\n";
    struct config *a = parse("a.ini", base), *b = parse("b.ini", next);
    if (a == NULL || b == NULL) {
        return;
    }
    struct reload_diff d;
    reload_diff(a, b, &d);
    tap_is_str(new_fate(b, &d, "am"), "kept", "same entries in another order, a comment: kept");
    tap_is_str(new_fate(b, &d, "lb1"), "changed", "refresh 2s -> 5s: changed");
    tap_is_str(new_fate(b, &d, "lb3"), "added", "a new section: added");
    tap_is_str(old_fate(a, &d, "lb2"), "removed", "a section gone: removed");
    tap_is_str(old_fate(a, &d, "lb1"), "changed", "the old lb1: changed");
    tap_is_str(old_fate(a, &d, "am"), "kept", "the old am: kept");
    tap_is_int((long long)d.new_from[0], 2, "am follows the old am (index 2)");
    char buf[128];
    reload_summary(&d, buf, sizeof buf);
    tap_is_str(buf, "1 added, 1 changed, 1 removed, 1 kept", "the summary");
    reload_diff_free(&d);
    config_destroy(a);
    config_destroy(b);
}

static void test_same(void)
{
    struct config *a = parse("a.ini", base), *b = parse("b.ini", base);
    if (a == NULL || b == NULL) {
        return;
    }
    struct reload_diff d;
    reload_diff(a, b, &d);
    tap_ok(d.kept == 3 && d.changed == 0 && d.added == 0 && d.removed == 0,
           "the same file: every backend kept");
    reload_diff_free(&d);
    config_destroy(a);
    config_destroy(b);
}

static void test_context_policy(void)
{
    char *next = xasprintf("%sprotected = true\n", base);
    struct config *a = parse("a.ini", base), *b = parse("b.ini", next);
    free(next);
    if (a == NULL || b == NULL) {
        return;
    }
    struct reload_diff d;
    reload_diff(a, b, &d);
    tap_is_str(new_fate(b, &d, "am"), "changed", "its context became protected: changed");
    tap_is_str(new_fate(b, &d, "lb1"), "kept", "a backend of another context: kept");
    reload_diff_free(&d);
    config_destroy(a);
    config_destroy(b);

    next = xasprintf("%sread_only = true\n", base);
    a = parse("a.ini", base);
    b = parse("b.ini", next);
    free(next);
    reload_diff(a, b, &d);
    tap_is_str(new_fate(b, &d, "am"), "changed", "its context became read-only: changed");
    reload_diff_free(&d);
    config_destroy(a);
    config_destroy(b);
}

static void test_type_and_value(void)
{
    static const char one[] = "[backend \"x\"]\ntype = haproxy\nurl = http://127.0.0.1:1/;csv\n";
    static const char two[] = "[backend \"x\"]\ntype = prometheus\nurl = http://127.0.0.1:1/;csv\n";
    static const char three[] = "[backend \"x\"]\ntype = haproxy\nurl = http://127.0.0.1:9/;csv\n";
    struct config *a = parse("a.ini", one), *b = parse("b.ini", two), *c = parse("c.ini", three);
    if (a == NULL || b == NULL || c == NULL) {
        return;
    }
    tap_ok(!reload_backend_same(a, &a->backends[0], b, &b->backends[0]), "another type: not same");
    tap_ok(!reload_backend_same(a, &a->backends[0], c, &c->backends[0]), "another url: not same");
    tap_ok(reload_backend_same(a, &a->backends[0], a, &a->backends[0]), "itself: same");
    config_destroy(a);
    config_destroy(b);
    config_destroy(c);
}

static void test_demo(void)
{
    struct config *a = parse("a.ini", base);
    if (a == NULL) {
        return;
    }
    struct reload_diff d;
    reload_diff(NULL, a, &d);
    tap_ok(d.nold == 1 && d.old_fate[0] == RELOAD_REMOVED && d.added == 3,
           "from no config (the demo): the demo removed, three added");
    reload_diff_free(&d);
    reload_diff(a, NULL, &d);
    tap_ok(d.nnew == 1 && d.new_fate[0] == RELOAD_ADDED && d.removed == 3,
           "to a config of no backend: the demo added, three removed");
    reload_diff_free(&d);
    reload_diff(NULL, NULL, &d);
    tap_ok(d.kept == 1, "the demo to the demo: kept");
    reload_diff_free(&d);
    config_destroy(a);
}

static void test_cluster(void)
{
    static const char one[] = "[backend \"am1\"]\ntype = alertmanager\nurl = http://127.0.0.1:1\n"
                              "cluster = am\n"
                              "[backend \"am2\"]\ntype = alertmanager\nurl = http://127.0.0.1:2\n"
                              "cluster = am\n"
                              "[backend \"lb\"]\ntype = haproxy\nurl = http://127.0.0.1:3/;csv\n";
    static const char two[] = "[backend \"am1\"]\ntype = alertmanager\nurl = http://127.0.0.1:1\n"
                              "cluster = am\n"
                              "[backend \"am2\"]\ntype = alertmanager\nurl = http://127.0.0.1:2\n"
                              "cluster = am\n"
                              "[backend \"am3\"]\ntype = alertmanager\nurl = http://127.0.0.1:5\n"
                              "cluster = am\n"
                              "[backend \"lb\"]\ntype = haproxy\nurl = http://127.0.0.1:3/;csv\n";
    struct config *a = parse("a.ini", one), *b = parse("b.ini", two);
    if (a == NULL || b == NULL) {
        return;
    }
    struct reload_diff d;
    reload_diff(a, b, &d);
    tap_is_str(new_fate(b, &d, "am3"), "added", "a new member: added");
    tap_is_str(new_fate(b, &d, "am1"), "changed", "its cluster got a member: am1 changed");
    tap_is_str(new_fate(b, &d, "am2"), "changed", "... am2 changed");
    tap_is_str(new_fate(b, &d, "lb"), "kept", "a backend of no cluster: kept");
    reload_diff_free(&d);
    reload_diff(b, a, &d);
    tap_is_str(old_fate(b, &d, "am3"), "removed", "a member gone: removed");
    tap_is_str(new_fate(a, &d, "am1"), "changed", "the others of its cluster: changed");
    reload_diff_free(&d);
    config_destroy(a);
    config_destroy(b);
}

/* ---- backend_act counts what is in flight (the busy rule) ---- */

static struct backend_request *held;
static int answers;

static void fake_act(struct backend *b, struct backend_request *req)
{
    (void)b;
    held = req; /* answered later */
}

static void fake_done(struct backend_request *req, bool ok, const char *message)
{
    (void)req;
    (void)ok;
    (void)message;
    answers++;
}

static void fake_drop(struct backend_request *req)
{
    (void)req;
    answers++;
}

static void test_inflight(void)
{
    static const struct backend_impl acts = {.type = "fake", .act = fake_act};
    static const struct backend_impl mute = {.type = "mute"};
    struct backend *b = backend_create(&acts, "b", NULL, NULL);
    struct backend_request r1 = {.backend = b, .done = fake_done, .drop = fake_drop};
    struct backend_request r2 = r1;
    backend_act(b, &r1);
    backend_act(b, &r2);
    tap_is_int(b->inflight, 2, "two actions asked: two in flight");
    backend_done(&r1, true, NULL);
    tap_is_int(b->inflight, 1, "one answered: one in flight");
    backend_drop(&r2);
    tap_is_int(b->inflight, 0, "the other dropped: none in flight");
    backend_refuse(&r1, "late");
    tap_is_int(b->inflight, 0, "an extra answer does not go below zero");
    struct backend *m = backend_create(&mute, "m", NULL, NULL);
    struct backend_request r3 = {.backend = m, .done = fake_done, .drop = fake_drop};
    backend_act(m, &r3);
    tap_ok(r3.refused && m->inflight == 0, "a backend without act refuses at once: none in flight");
    tap_is_int(answers, 4, "every request answered once");
    backend_destroy(b);
    backend_destroy(m);
}

int main(void)
{
    test_inflight();
    test_mixed();
    test_same();
    test_context_policy();
    test_type_and_value();
    test_demo();
    test_cluster();
    return tap_done();
}
