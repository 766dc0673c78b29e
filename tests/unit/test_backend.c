/* What every backend shares: common keys, health text, staleness, publishing. */
#include "../../backends/backend.h"
#include "../../backends/http.h"
#include "../../common/util.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool fake_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    (void)b;
    (void)value;
    *cause = xasprintf("unknown key '%s' for a fake backend", key);
    return false;
}

static void fake_poll(struct backend *b)
{
    struct rowset *rs = rowset_create(MODEL_POOLS, b->name);
    rowset_begin(rs, "be/s1");
    rowset_text(rs, POOL_SERVER, "s1");
    backend_publish(b, rs);
}

static const struct backend_impl fake_impl = {
    .type = "fake",
    .kinds = 1u << MODEL_POOLS,
    .configure = fake_configure,
    .poll = fake_poll,
};

static char secdir[] = "/tmp/opsdeck-secret-XXXXXX";

static char *sec_path(const char *name)
{
    return xasprintf("%s/%s", secdir, name);
}

static void sec_write(const char *name, const char *text, int mode)
{
    char *p = sec_path(name);
    FILE *f = fopen(p, "w");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
    chmod(p, (mode_t)mode);
    free(p);
}

/* http_settings_finish with token_file = name in secdir (or an env var); the cause or NULL. */
static char *bearer_from(const char *key, const char *value, char **secret)
{
    struct http_settings s;
    http_settings_init(&s);
    char *cause = NULL;
    char *v = strcmp(key, "token_file") == 0 ? sec_path(value) : xstrdup(value);
    http_settings_configure(&s, "url", "http://127.0.0.1:9", &cause);
    http_settings_configure(&s, "auth", "bearer", &cause);
    http_settings_configure(&s, key, v, &cause);
    free(v);
    if (http_settings_finish(&s, 1000, &cause) && secret != NULL) {
        *secret = xstrdup(s.secret);
    }
    http_settings_free(&s);
    return cause;
}

static bool has(const char *cause, const char *a, const char *b)
{
    return cause != NULL && strstr(cause, a) != NULL && (b == NULL || strstr(cause, b) != NULL);
}

/* Token files: no header injection, no empty token, symlinks as Kubernetes mounts them. */
static void test_secret_files(void)
{
    if (mkdtemp(secdir) == NULL) {
        tap_ok(false, "mkdtemp");
        return;
    }
    char *secret = NULL;
    char *cause;

    sec_write("crlf", "tok-1\r\nX-Injected: yes\n", 0600);
    cause = bearer_from("token_file", "crlf", NULL);
    tap_ok(has(cause, "crlf", "line break"), "a token file with CR/LF inside is refused (%s)",
           cause ? cause : "accepted");
    free(cause);
    sec_write("ctl", "tok\001x\n", 0600);
    cause = bearer_from("token_file", "ctl", NULL);
    tap_ok(has(cause, "control character", NULL), "so is one with another control byte");
    free(cause);
    sec_write("empty", "\n", 0600);
    cause = bearer_from("token_file", "empty", NULL);
    tap_ok(has(cause, "empty", "is empty"), "an empty token file is refused (%s)",
           cause ? cause : "accepted: would send 'Bearer '");
    free(cause);
    setenv("OPSDECK_TEST_TOKEN", "tok\nX-Injected: yes", 1);
    cause = bearer_from("token_env", "OPSDECK_TEST_TOKEN", NULL);
    tap_ok(has(cause, "OPSDECK_TEST_TOKEN", "line break"), "so is a token env var with a LF");
    free(cause);
    unsetenv("OPSDECK_TEST_TOKEN");

    /* as a Kubernetes projected volume: token -> ..data/token, ..data -> ..2026_01_01/ */
    char *real = sec_path("..2026_01_01");
    mkdir(real, 0700);
    free(real);
    sec_write("..2026_01_01/token", "tok-k8s\n", 0400);
    char *data = sec_path("..data");
    char *link = sec_path("token");
    tap_ok(symlink("..2026_01_01", data) == 0 && symlink("..data/token", link) == 0,
           "a token mounted through two symlinks");
    cause = bearer_from("token_file", "token", &secret);
    tap_ok(cause == NULL && secret != NULL && strcmp(secret, "tok-k8s") == 0,
           "is read through them (%s)", cause ? cause : "ok");
    free(cause);
    free(secret);
    secret = NULL;
    char *target = sec_path("..2026_01_01/token");
    chmod(target, 0644);
    cause = bearer_from("token_file", "token", NULL);
    tap_ok(has(cause, "a symlink to ", "..2026_01_01/token") && has(cause, "chmod 600", NULL),
           "a symlink to a readable file names the target to fix (%s)", cause ? cause : "");
    free(cause);
    unlink(target);
    cause = bearer_from("token_file", "token", NULL);
    tap_ok(has(cause, "symlink", "does not exist"), "a dangling symlink says so (%s)",
           cause ? cause : "");
    free(cause);
    char *dirlink = sec_path("dirlink");
    tap_ok(symlink(secdir, dirlink) == 0, "a symlink to a directory");
    cause = bearer_from("token_file", "dirlink", NULL);
    tap_ok(has(cause, "not a regular file", NULL), "is refused: not a regular file");
    free(cause);
    char *loop1 = sec_path("loop");
    tap_ok(symlink("loop", loop1) == 0, "a symlink loop");
    cause = bearer_from("token_file", "loop", NULL);
    tap_ok(has(cause, "loop", "symbolic links"), "is refused, naming the problem (%s)",
           cause ? cause : "");
    free(cause);

    char *rm = xasprintf("rm -rf '%s'", secdir);
    tap_ok(system(rm) == 0, "secret files removed");
    free(rm);
    free(loop1);
    free(dirlink);
    free(target);
    free(data);
    free(link);
}

int main(void)
{
    struct store *st = store_create();
    struct backend *b = backend_create(&fake_impl, "lb1", st, NULL);
    char *cause = NULL;
    char buf[256];

    tap_ok(backend_configure(b, "refresh", "5s", &cause) && b->refresh_ms == 5000, "refresh 5s");
    tap_ok(backend_configure(b, "timeout", "1m", &cause) && b->timeout_ms == 60000, "timeout 1m");
    tap_ok(backend_configure(b, "refresh", "100", &cause), "refresh 100 s is accepted");
    tap_ok(!backend_configure(b, "refresh", "0", &cause), "refresh 0 is refused");
    tap_ok(cause != NULL && str_casestr(cause, "bad duration '0'") != NULL, "naming the value");
    free(cause);
    cause = NULL;
    backend_configure(b, "refresh", "2s", &cause);
    tap_ok(backend_configure(b, "actions", "off", &cause) && !b->actions_enabled, "actions off");
    tap_ok(!backend_configure(b, "actions", "maybe", &cause), "actions maybe is refused");
    free(cause);
    cause = NULL;
    tap_ok(!backend_configure(b, "url", "http://x", &cause), "impl keys go to the impl");
    tap_is_str(cause, "unknown key 'url' for a fake backend", "and its message comes back");
    free(cause);
    cause = NULL;

    backend_health_text(b, 1000, buf, sizeof buf);
    tap_is_str(buf, "starting", "health before any data");
    tap_ok(backend_start(b, &cause), "start without a loop");
    fake_impl.poll(b);
    tap_is_int((long long)store_nrows(st, MODEL_POOLS), 1, "publish lands in the store");
    uint64_t t0 = b->last_ok_ms;
    backend_health_text(b, t0 + 1000, buf, sizeof buf);
    tap_is_str(buf, "ok", "fresh data is ok");
    tap_ok(!backend_is_stale(b, t0 + 6000), "not stale within three refreshes");
    backend_health_text(b, t0 + 42000, buf, sizeof buf);
    tap_is_str(buf, "stale 42s", "stale after three refreshes, with the age");
    backend_fail(b, "connection refused");
    backend_health_text(b, t0 + 5000, buf, sizeof buf);
    tap_is_str(buf, "error: connection refused (data 5s old)", "an error keeps the data's age");
    tap_is_int((long long)store_nrows(st, MODEL_POOLS), 1, "the last good rows stay");
    fake_impl.poll(b);
    backend_health_text(b, b->last_ok_ms, buf, sizeof buf);
    tap_is_str(buf, "ok", "recovery clears the error");

    b->tls_unverified = true;
    backend_health_text(b, b->last_ok_ms, buf, sizeof buf);
    tap_is_str(buf, "ok (TLS unverified)", "insecure TLS is always said");

    /* one fetch at a time; a refresh asked for meanwhile runs when it ends */
    uint64_t polls = b->polls;
    tap_ok(backend_poll_begin(b), "a poll may begin");
    tap_ok(!backend_poll_begin(b), "a second may not while the first is in flight");
    backend_refresh_soon(b);
    tap_is_int((long long)(b->polls - polls), 0, "a refresh during a fetch waits for it");
    backend_poll_end(b);
    tap_is_int((long long)(b->polls - polls), 1, "and runs when the fetch ends");
    backend_poll_end(b);
    tap_is_int((long long)(b->polls - polls), 1, "once");
    backend_refresh_soon(b);
    tap_is_int((long long)(b->polls - polls), 2, "with nothing in flight, a refresh polls at once");
    tap_ok(backend_poll_begin(b), "and nothing is left in flight after");
    backend_poll_end(b);

    tap_ok(backend_impl_find("demo") != NULL, "demo is registered");
    tap_ok(backend_impl_find("nosuch") == NULL, "unknown types are not");
    backend_destroy(b);
    backend_destroy(NULL);
    store_destroy(st);
    test_secret_files();
    return tap_done();
}
