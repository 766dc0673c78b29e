/*
 * HA clusters of backends (backends/cluster.h): the `cluster` and `context`
 * keys, joining, the merge (union by key, silences once, the freshest
 * member's row wins, a failed member drops out, all failed keeps the last
 * rows), the cluster's health line, freshness, and the member an action goes
 * to (backend_for_source, backend_for_row).
 */
#include "../../backends/backend.h"
#include "../../backends/cluster.h"
#include "../../common/clock.h"
#include "../../common/util.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct backend_impl fake_impl = {
    .type = "fake",
    .kinds = (1u << MODEL_ALERTS) | (1u << MODEL_SILENCES),
};
static const struct backend_impl other_impl = {
    .type = "other",
    .kinds = 1u << MODEL_ALERTS,
};

/* An alert row: key, name, state, its tone and one detail line. */
static void alert(struct rowset *rs, const char *key, const char *name, const char *state)
{
    rowset_begin(rs, key);
    rowset_text(rs, ALERT_SEV, "warning");
    rowset_text(rs, ALERT_NAME, name);
    rowset_text(rs, ALERT_STATE, state);
    rowset_cell_tone(rs, ALERT_STATE, TONE_WARN);
    rowset_cell(rs, ALERT_AGE, "", 1700000000);
    rowset_text(rs, ALERT_SOURCE, rs->source);
    rowset_row_tone(rs, strcmp(state, "firing") == 0 ? TONE_WARN : TONE_MUTED);
    rowset_detail(rs, "label.alertname", name);
}

static void silence(struct rowset *rs, const char *id)
{
    rowset_begin(rs, id);
    rowset_text(rs, SILENCE_ID, id);
    rowset_text(rs, SILENCE_SOURCE, rs->source);
}

/* The merged set of source for kind, or NULL. */
static const struct rowset *set_of(const struct store *st, enum model_kind kind, const char *src)
{
    for (size_t i = 0; i < store_nsets(st, kind); i++) {
        if (strcmp(store_set(st, kind, i)->source, src) == 0) {
            return store_set(st, kind, i);
        }
    }
    return NULL;
}

static long row_of(const struct rowset *rs, const char *key)
{
    for (size_t r = 0; rs != NULL && r < rs->nrows; r++) {
        if (strcmp(rowset_key(rs, r), key) == 0) {
            return (long)r;
        }
    }
    return -1;
}

/* The value of one detail line of a row, in buf. */
static const char *detail(const struct rowset *rs, long row, const char *key, char *buf, size_t len)
{
    buf[0] = '\0';
    if (row < 0) {
        return buf;
    }
    const char *d = rowset_str(rs, rs->rows[row].detail);
    size_t kl = strlen(key);
    for (const char *l = d; *l != '\0';) {
        const char *nl = strchr(l, '\n');
        size_t n = nl != NULL ? (size_t)(nl - l) : strlen(l);
        if (n > kl && strncmp(l, key, kl) == 0 && l[kl] == '\t') {
            snprintf(buf, len, "%.*s", (int)(n - kl - 1), l + kl + 1);
        }
        l += n + (nl != NULL);
    }
    return buf;
}

static struct backend *member(struct store *st, const struct backend_impl *impl, const char *name,
                              const char *cluster, const char *context)
{
    struct backend *b = backend_create(impl, name, st, NULL);
    char *cause = NULL;
    if (cluster != NULL) {
        backend_configure(b, "cluster", cluster, &cause);
    }
    if (context != NULL) {
        backend_configure(b, "context", context, &cause);
    }
    free(cause);
    return b;
}

static void test_keys_and_join(void)
{
    struct store *st = store_create();
    struct backend *b = backend_create(&fake_impl, "am1", st, NULL);
    char *cause = NULL;
    tap_ok(backend_configure(b, "cluster", "am-eu", &cause) &&
               strcmp(b->cluster_name, "am-eu") == 0,
           "cluster = am-eu");
    tap_ok(backend_configure(b, "context", "prod-eu", &cause) && strcmp(b->context, "prod-eu") == 0,
           "context = prod-eu");
    tap_ok(!backend_configure(b, "cluster", "am eu", &cause),
           "a cluster name with a space is refused");
    tap_is_str(cause, "bad cluster name 'am eu' (use letters, digits, '.', '_' and '-')",
               "naming it");
    free(cause);
    cause = NULL;
    backend_destroy(b);

    /* one type, one context, no backend of the cluster's name */
    struct backend *bs[3];
    bs[0] = member(st, &fake_impl, "am1", "am-eu", NULL);
    bs[1] = member(st, &other_impl, "am2", "am-eu", NULL);
    tap_ok(!backend_join_clusters(bs, 2, &cause), "members of two types: refused");
    tap_is_str(cause, "cluster 'am-eu': backend 'am2' is not of the type of 'am1'", "saying so");
    free(cause);
    cause = NULL;
    backend_destroy(bs[0]);
    backend_destroy(bs[1]);

    bs[0] = member(st, &fake_impl, "am1", "am-eu", "prod-eu");
    bs[1] = member(st, &fake_impl, "am2", "am-eu", NULL);
    tap_ok(!backend_join_clusters(bs, 2, &cause), "members of two contexts: refused");
    tap_is_str(cause, "cluster 'am-eu': backend 'am2' is not of the context of 'am1'", "saying so");
    free(cause);
    cause = NULL;
    backend_destroy(bs[0]);
    backend_destroy(bs[1]);

    bs[0] = member(st, &fake_impl, "am1", "am2", NULL);
    bs[1] = member(st, &fake_impl, "am2", NULL, NULL);
    tap_ok(!backend_join_clusters(bs, 2, &cause), "a cluster named like a backend: refused");
    free(cause);
    cause = NULL;
    backend_destroy(bs[0]);
    backend_destroy(bs[1]);

    bs[0] = member(st, &fake_impl, "solo", "am-one", "prod-eu");
    bs[1] = member(st, &fake_impl, "plain", NULL, NULL);
    tap_ok(backend_join_clusters(bs, 2, &cause), "a cluster of one member is allowed");
    tap_ok(bs[0]->cluster != NULL && cluster_size(bs[0]->cluster) == 1 &&
               strcmp(cluster_name(bs[0]->cluster), "am-one") == 0 && bs[1]->cluster == NULL,
           "it has its member; the other backend is in none");
    tap_is_str(backend_source(bs[0]), "am-one", "its rows' source is the cluster");
    tap_is_str(backend_source(bs[1]), "plain", "a backend's own is its name");
    struct rowset *rs = rowset_create(MODEL_ALERTS, "solo");
    alert(rs, "f1", "A", "firing");
    backend_publish(bs[0], rs);
    tap_ok(set_of(st, MODEL_ALERTS, "am-one") != NULL && set_of(st, MODEL_ALERTS, "solo") == NULL,
           "a member's rows are published under the cluster's name only");
    backend_destroy(bs[0]);
    backend_destroy(bs[1]);
    store_destroy(st);
}

static void test_copy_row(void)
{
    struct rowset *src = rowset_create(MODEL_ALERTS, "am1");
    alert(src, "f1", "HighErrorRate", "firing");
    rowset_end(src);
    struct rowset *dst = rowset_create(MODEL_ALERTS, "am-eu");
    rowset_copy_row(dst, src, 0);
    rowset_detail(dst, "members", "am1");
    rowset_end(dst);
    char buf[64];
    tap_is_str(rowset_key(dst, 0), "f1", "copy: the key");
    tap_is_str(rowset_cell_text(dst, 0, ALERT_NAME), "HighErrorRate", "copy: a text cell");
    tap_ok(rowset_cell_num(dst, 0, ALERT_AGE) == 1700000000, "copy: a number");
    tap_ok(rowset_cells(dst, 0)[ALERT_STATE].tone == TONE_WARN && dst->rows[0].tone == TONE_WARN,
           "copy: cell and row tones");
    tap_is_str(detail(dst, 0, "label.alertname", buf, sizeof buf), "HighErrorRate",
               "copy: the detail lines");
    tap_is_str(detail(dst, 0, "members", buf, sizeof buf), "am1", "and lines added after");
    rowset_destroy(src);
    rowset_destroy(dst);
}

static void test_merge(void)
{
    struct store *st = store_create();
    struct backend *bs[3] = {
        member(st, &fake_impl, "am1", "am-eu", "prod-eu"),
        member(st, &fake_impl, "am2", "am-eu", "prod-eu"),
        member(st, &fake_impl, "am3", NULL, "prod-us"),
    };
    char *cause = NULL, buf[256];
    tap_ok(backend_join_clusters(bs, 3, &cause), "two members and a backend of its own");
    struct backend *am1 = bs[0], *am2 = bs[1], *am3 = bs[2];
    uint64_t now = clock_mono_ms();
    cluster_health_text(am1->cluster, now, buf, sizeof buf);
    tap_is_str(buf, "starting", "health: starting before any answer");

    struct rowset *rs = rowset_create(MODEL_ALERTS, "am1");
    alert(rs, "fA", "OnlyOnAm1", "firing");
    alert(rs, "fB", "Both", "firing");
    backend_publish(am1, rs);
    rs = rowset_create(MODEL_ALERTS, "am2");
    alert(rs, "fB", "Both", "silenced");
    alert(rs, "fC", "OnlyOnAm2", "firing");
    backend_publish(am2, rs);
    rs = rowset_create(MODEL_ALERTS, "am3");
    alert(rs, "fB", "Both", "firing");
    backend_publish(am3, rs);

    const struct rowset *m = set_of(st, MODEL_ALERTS, "am-eu");
    tap_ok(m != NULL, "the merge is published under the cluster's name");
    tap_is_int((long long)store_nsets(st, MODEL_ALERTS), 2, "the cluster and am3: two sources");
    tap_ok(set_of(st, MODEL_ALERTS, "am1") == NULL && set_of(st, MODEL_ALERTS, "am2") == NULL,
           "no member is a source of its own");
    tap_is_int(m != NULL ? (long long)m->nrows : -1, 3, "union: one row per key (A, B, C)");
    long b = row_of(m, "fB");
    tap_is_str(b >= 0 ? rowset_cell_text(m, (size_t)b, ALERT_STATE) : "", "silenced",
               "the same key in two members: the freshest member's row (am2's)");
    tap_is_str(b >= 0 ? rowset_cell_text(m, (size_t)b, ALERT_SOURCE) : "", "am-eu",
               "SOURCE reads the cluster's name");
    tap_is_str(detail(m, b, "members", buf, sizeof buf), "am1, am2",
               "its detail says which members have it");
    tap_is_str(detail(m, row_of(m, "fA"), "members", buf, sizeof buf), "am1",
               "a row only am1 has: am1");
    tap_is_str(detail(m, row_of(m, "fC"), "members", buf, sizeof buf), "am2",
               "a row only am2 has: am2");
    tap_is_str(detail(m, b, "label.alertname", buf, sizeof buf), "Both",
               "the member's own detail lines stay");
    tap_is_int(set_of(st, MODEL_ALERTS, "am3") != NULL
                   ? (long long)set_of(st, MODEL_ALERTS, "am3")->nrows
                   : -1,
               1, "am3's rows stay its own");

    /* am1 answers again: now its row of B is the freshest */
    rs = rowset_create(MODEL_ALERTS, "am1");
    alert(rs, "fA", "OnlyOnAm1", "firing");
    alert(rs, "fB", "Both", "firing");
    backend_publish(am1, rs);
    m = set_of(st, MODEL_ALERTS, "am-eu");
    b = row_of(m, "fB");
    tap_is_str(b >= 0 ? rowset_cell_text(m, (size_t)b, ALERT_STATE) : "", "firing",
               "after am1 answers again, am1's row of B wins");
    tap_is_int((long long)m->nrows, 3, "still one row per key");

    /* silences: the same id from both members is one row */
    rs = rowset_create(MODEL_SILENCES, "am1");
    silence(rs, "s-1");
    backend_publish(am1, rs);
    rs = rowset_create(MODEL_SILENCES, "am2");
    silence(rs, "s-1");
    silence(rs, "s-2");
    backend_publish(am2, rs);
    const struct rowset *s = set_of(st, MODEL_SILENCES, "am-eu");
    tap_is_int(s != NULL ? (long long)s->nrows : -1, 2, "silences deduplicated by id");
    tap_is_str(detail(s, row_of(s, "s-1"), "members", buf, sizeof buf), "am1, am2",
               "a gossiped silence: both members have it");

    /* the store finds a member's rows by the member's name too */
    const struct rowset *found = NULL;
    size_t frow = 0;
    tap_ok(store_find(st, MODEL_SILENCES, "am2", "s-2", &found, &frow) && found == s,
           "store_find by a member's name finds the cluster's row");

    /* actions: the freshest healthy member, preferring one that has the row */
    now = clock_mono_ms();
    am1->last_ok_ms = now - 20;
    am2->last_ok_ms = now - 10;
    tap_ok(backend_for_source(bs, 3, "am-eu") == am2, "for_source: the freshest healthy member");
    tap_ok(backend_for_row(bs, 3, "am-eu", MODEL_ALERTS, "fA") == am1,
           "for_row: the live member that has the row, though older");
    tap_ok(backend_for_row(bs, 3, "am-eu", MODEL_ALERTS, "fB") == am2,
           "for_row: of those that have it, the freshest");
    tap_ok(backend_for_row(bs, 3, "am-eu", MODEL_ALERTS, "nope") == am2,
           "for_row: a key none has: the freshest");
    tap_ok(backend_for_source(bs, 3, "am1") == am1 && backend_for_source(bs, 3, "am3") == am3,
           "a backend's own name: that backend");
    tap_ok(backend_for_source(bs, 3, "nope") == NULL && backend_for_source(bs, 3, NULL) == NULL,
           "an unknown name: none");
    cluster_health_text(am1->cluster, now, buf, sizeof buf);
    tap_is_str(buf, "ok", "health: ok while both answer");
    tap_ok(!cluster_degraded(am1->cluster, now), "not degraded");

    /* am2 fails: its rows drop out, the pane keeps am1's */
    backend_fail(am2, "connection refused");
    m = set_of(st, MODEL_ALERTS, "am-eu");
    tap_is_int((long long)m->nrows, 2, "am2 down: its rows drop out (A and B left)");
    tap_ok(row_of(m, "fC") < 0, "the row only am2 had is gone (no stale rows)");
    tap_is_str(detail(m, row_of(m, "fB"), "members", buf, sizeof buf), "am1",
               "B now from am1 alone");
    s = set_of(st, MODEL_SILENCES, "am-eu");
    tap_is_int((long long)s->nrows, 1, "the silences too: am1's");
    now = clock_mono_ms();
    cluster_health_text(am1->cluster, now, buf, sizeof buf);
    tap_is_str(buf, "1 of 2 members down: am2: connection refused", "health: one member down");
    tap_ok(cluster_degraded(am1->cluster, now), "degraded");
    tap_ok(backend_for_source(bs, 3, "am-eu") == am1, "actions go to the live member");
    tap_ok(backend_for_row(bs, 3, "am-eu", MODEL_ALERTS, "fC") == am1,
           "even for a row only the failed member had");
    char *why = NULL;
    tap_ok(backend_fresh(am2, 0, now, &why), "freshness: the cluster is fresh while am1 is");
    free(why);
    why = NULL;
    tap_ok(backend_kind_fresh(bs, 3, MODEL_ALERTS, 0, now, &why),
           "the Alerts pane is fresh: the cluster is whole from am1");
    free(why);
    why = NULL;

    /* am2 comes back */
    rs = rowset_create(MODEL_ALERTS, "am2");
    alert(rs, "fC", "OnlyOnAm2", "firing");
    backend_publish(am2, rs);
    m = set_of(st, MODEL_ALERTS, "am-eu");
    tap_is_int((long long)m->nrows, 3, "am2 back: its rows are in again");
    am1->last_ok_ms = am2->last_ok_ms - 5;
    tap_ok(backend_for_row(bs, 3, "am-eu", MODEL_ALERTS, "fC") == am2,
           "and a row only it has goes to it");

    /* all fail: the last merged rows stay, the health says the error */
    backend_fail(am2, "timeout");
    backend_fail(am1, "connection refused");
    m = set_of(st, MODEL_ALERTS, "am-eu");
    tap_is_int(m != NULL ? (long long)m->nrows : -1, 2,
               "all members down: the last merged rows stay (am1's, from after am2 failed)");
    now = clock_mono_ms();
    cluster_health_text(am1->cluster, now, buf, sizeof buf);
    tap_ok(strncmp(buf, "error: 2 of 2 members down: am1: connection refused; am2: timeout (data ",
                   72) == 0,
           "health: error, every member and the data's age");
    tap_diag("%s", buf);
    tap_ok(!backend_fresh(am1, 0, now, &why), "freshness: no member is fresh");
    tap_is_str(why,
               "am-eu: no member is fresh: am1: error: connection refused; am2: error: timeout",
               "saying why, naming every member");
    free(why);
    why = NULL;
    tap_ok(!backend_kind_fresh(bs, 3, MODEL_ALERTS, 0, now, &why), "the pane is not fresh");
    free(why);
    tap_ok(backend_for_source(bs, 3, "am-eu") != NULL,
           "an action still finds a member (it fails and says why)");

    /* members go away; the cluster with the last one (ASan: nothing leaks) */
    backend_destroy(am1);
    backend_destroy(am2);
    backend_destroy(am3);
    store_destroy(st);
}

int main(void)
{
    test_keys_and_join();
    test_copy_row();
    test_merge();
    return tap_done();
}
