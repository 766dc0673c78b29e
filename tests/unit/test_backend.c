/* What every backend shares: common keys, health text, staleness, publishing. */
#include "../../backends/backend.h"
#include "../../common/util.h"
#include "tap.h"

#include <stdlib.h>

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
    return tap_done();
}
