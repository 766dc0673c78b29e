/*
 * engine/alertlog.c at storm scale: thousands of alerts through the index
 * (every transition recorded exactly once, checked against a model over
 * rounds of random churn, so removals from the hash index are exercised),
 * the journal lines of one observe written as one batch (consecutive seqs),
 * a replay after a restart recording nothing new, a rotation that keeps the
 * open set and does not rotate again at the next observe when the open set
 * alone is larger than the cap, a failed write keeping what was seen, and
 * the history's "gone" lines taking what the alert's last line said.
 */
#include "../../backends/model.h"
#include "../../common/util.h"
#include "../../engine/alertlog.h"
#include "../../engine/journal.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { N = 3000 };

static const char *const states[] = {"firing", "silenced", "pending", "inhibited"};

/* The model: what each alert of source "am" is in the answer (-1: absent). */
static int now[N];

static void key_of(char *buf, size_t len, const char *source, int i)
{
    snprintf(buf, len, "%s-%08x", source, (unsigned)i * 2654435761u);
}

static void publish(struct store *st, const char *source, const int *state, int n)
{
    struct rowset *rs = rowset_create(MODEL_ALERTS, source);
    for (int i = 0; i < n; i++) {
        if (state[i] < 0) {
            continue;
        }
        char key[32], name[32];
        key_of(key, sizeof key, source, i);
        snprintf(name, sizeof name, "Alert%d", i % 40);
        rowset_begin(rs, key);
        rowset_text(rs, ALERT_NAME, name);
        rowset_text(rs, ALERT_STATE, states[state[i]]);
        rowset_text(rs, ALERT_SEV, i % 2 ? "warning" : "critical");
        rowset_detail(rs, "fingerprint", key);
        rowset_detail(rs, "label.alertname", name);
    }
    rowset_end(rs);
    store_publish(st, rs);
}

struct counts {
    size_t lines, open, fired, gone, other;
    bool seq_ok; /* 1, 2, 3... with no gap */
};

static struct counts count(const char *path)
{
    struct counts c = {.seq_ok = true};
    struct journal_line *lines = NULL;
    size_t n = 0;
    int err = 0;
    if (!journal_read(path, &lines, &n, &err)) {
        return c;
    }
    double prev = -1;
    for (size_t i = 0; i < n; i++) {
        const cJSON *o = lines[i].obj;
        const cJSON *seq = cJSON_GetObjectItem(o, "seq");
        const char *action = cJSON_GetStringValue(cJSON_GetObjectItem(o, "action"));
        const char *result = cJSON_GetStringValue(cJSON_GetObjectItem(o, "result"));
        if (o == NULL) {
            continue; /* not a line of ours (the test's damage) */
        }
        if (!cJSON_IsNumber(seq) || action == NULL || result == NULL) {
            c.seq_ok = false;
            continue;
        }
        c.seq_ok = c.seq_ok && (prev < 0 || seq->valuedouble == prev + 1);
        prev = seq->valuedouble;
        c.lines++;
        if (strcmp(action, "alert.open") == 0) {
            c.open++;
        } else if (strcmp(action, "alert.fired") == 0) {
            c.fired++;
        } else if (strcmp(result, "gone") == 0) {
            c.gone++;
        } else {
            c.other++;
        }
    }
    journal_lines_free(lines, n);
    return c;
}

static int slices; /* of the last observe */

/* alertlog_observe() until its pass is done (the console calls it once per loop iteration). */
static bool observe(struct alertlog *al, const struct store *st, char **cause)
{
    bool ok = true;
    slices = 0;
    do {
        char *why = NULL;
        if (!alertlog_observe(al, st, &why) && ok) {
            free(*cause);
            *cause = why;
            why = NULL;
            ok = false;
        }
        free(why);
        slices++;
    } while (alertlog_observing(al) && slices < 10000);
    return ok;
}

static unsigned rnd_state = 12345;
static unsigned rnd(unsigned n)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 16) % n;
}

static size_t model_open(void)
{
    size_t n = 0;
    for (int i = 0; i < N; i++) {
        n += now[i] >= 0;
    }
    return n;
}

static void test_storm(const char *dir)
{
    char *path = xasprintf("%s/alerts.jsonl", dir);
    char *cause = NULL;
    struct alertlog *al = alertlog_open(path, (size_t)64 << 20, &cause);
    struct store *st = store_create();
    for (int i = 0; i < N; i++) {
        now[i] = 0;
    }
    publish(st, "am", now, N);
    tap_ok(observe(al, st, &cause), "a storm of %d new alerts observed", N);
    struct counts c = count(path);
    tap_ok(c.fired == N && c.lines == N && c.seq_ok, "each fired exactly once, seq 1..%d", N);
    tap_is_int(slices, (N + ALERTLOG_OBSERVE_SLICE - 1) / ALERTLOG_OBSERVE_SLICE,
               "in slices of ALERTLOG_OBSERVE_SLICE transitions");
    tap_is_int((long long)alertlog_open_count(al), N, "all open");
    publish(st, "am", now, N);
    observe(al, st, &cause);
    tap_is_int((long long)count(path).lines, N, "the same answer again: nothing written");

    /* a second source: its alerts are its own, the first one's answer does not resolve them */
    int other[10] = {0};
    publish(st, "am2", other, 10);
    observe(al, st, &cause);
    publish(st, "am", now, N);
    observe(al, st, &cause);
    tap_is_int((long long)alertlog_open_count(al), N + 10, "two sources: both sets open");

    /* a new answer while a pass is under way: from the first row again, nothing twice */
    static int third[1600];
    for (int i = 0; i < 1600; i++) {
        third[i] = i < 1500 ? 0 : -1;
    }
    struct counts before = count(path);
    publish(st, "am3", third, 1600);
    alertlog_observe(al, st, &cause); /* one slice: the first ALERTLOG_OBSERVE_SLICE fired */
    tap_ok(alertlog_observing(al), "1,500 new: the pass is under way after one call");
    for (int i = 0; i < 1600; i++) {
        third[i] = i < 100 ? 1 : 0; /* 100 of those recorded silenced now, 100 more new */
    }
    publish(st, "am3", third, 1600);
    observe(al, st, &cause);
    struct counts mid = count(path);
    tap_ok(mid.fired - before.fired == 1600 && mid.other - before.other == 100 &&
               mid.gone == before.gone && mid.seq_ok,
           "a new answer mid-way: 1,600 fired once each, 100 silenced, none gone");
    for (int i = 0; i < 1600; i++) {
        third[i] = -1;
    }
    publish(st, "am3", third, 1600);
    observe(al, st, &cause);
    tap_ok(count(path).gone - mid.gone == 1600 &&
               slices == (1600 + ALERTLOG_OBSERVE_SLICE - 1) / ALERTLOG_OBSERVE_SLICE,
           "and all gone, in slices too (%d)", slices);
    store_forget(st, MODEL_ALERTS, "am3");

    /* rounds of churn: state changes, alerts leaving and coming back, checked against the model */
    size_t lines = count(path).lines;
    bool exact = true;
    for (int round = 0; round < 12; round++) {
        size_t want = 0;
        for (int i = 0; i < N; i++) {
            unsigned r = rnd(10);
            int next = now[i];
            if (r == 0) {
                next = now[i] >= 0 ? -1 : 0; /* leaves, or comes back firing */
            } else if (r == 1) {
                next = (int)rnd(4);
            }
            want += next != now[i];
            now[i] = next;
        }
        publish(st, "am", now, N);
        exact = observe(al, st, &cause) && exact;
        struct counts c2 = count(path);
        if (c2.lines - lines != want || alertlog_open_count(al) != model_open() + 10 ||
            !c2.seq_ok) {
            tap_diag("round %d: %zu lines, want %zu; %zu open, want %zu", round, c2.lines - lines,
                     want, alertlog_open_count(al), model_open() + 10);
            exact = false;
        }
        lines = c2.lines;
    }
    tap_ok(exact, "12 rounds of churn: every transition recorded exactly once");
    alertlog_close(al);

    FILE *f = fopen(path, "a"); /* a damaged line and a torn tail: skipped by the replay */
    fputs("not json\n{\"seq\":99999999,\"ts\":\"2026-", f);
    fclose(f);
    al = alertlog_open(path, (size_t)64 << 20, &cause);
    tap_is_int((long long)alertlog_open_count(al), (long long)model_open() + 10,
               "replayed after a restart (a damaged line and a torn tail skipped): the open set");
    publish(st, "am", now, N);
    publish(st, "am2", other, 10);
    observe(al, st, &cause);
    struct counts after = count(path);
    tap_ok(after.lines == lines && after.seq_ok,
           "after a restart the same answers record nothing new");

    /* all gone at once */
    for (int i = 0; i < N; i++) {
        now[i] = -1;
    }
    publish(st, "am", now, N);
    observe(al, st, &cause);
    tap_is_int((long long)alertlog_open_count(al), 10, "the storm is over: am2's ten stay open");
    alertlog_close(al);
    store_destroy(st);
    unlink(path);
    free(path);
    free(cause);
}

static long long size_of(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
}

static ino_t inode_of(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_ino : 0;
}

static void test_rotation(const char *dir)
{
    char *path = xasprintf("%s/rot.jsonl", dir);
    char *old = xasprintf("%s.1", path);
    char *cause = NULL;
    enum { CAP = 16 << 10 }; /* the open set alone: about 2,000 x 200 bytes, far past it */
    struct alertlog *al = alertlog_open(path, CAP, &cause);
    struct store *st = store_create();
    for (int i = 0; i < 2000; i++) {
        now[i] = 0;
    }
    publish(st, "am", now, 2000);
    tap_ok(observe(al, st, &cause), "2,000 fired, past the cap");
    tap_is_int(slices,
               (2000 + ALERTLOG_OBSERVE_SLICE - 1) / ALERTLOG_OBSERVE_SLICE +
                   (2000 + ALERTLOG_ROTATE_SLICE - 1) / ALERTLOG_ROTATE_SLICE,
               "the transitions, then the rotation's open lines, in slices");
    struct counts c = count(path);
    tap_ok(access(old, F_OK) == 0 && c.open == 2000 && c.lines == 2000,
           "rotated once: the new file starts with the 2,000 open alerts");
    ino_t rotated = inode_of(old);
    bool stayed = true;
    for (int i = 0; i < 20; i++) {
        now[i] = 1; /* one silenced per observe */
        publish(st, "am", now, 2000);
        stayed = observe(al, st, &cause) && stayed;
    }
    c = count(path);
    tap_ok(stayed && inode_of(old) == rotated && c.open == 2000 && c.lines == 2020,
           "20 more observes with a transition each: no rotation (the open set is not the cap's)");
    /* a cap's worth of transitions later it rotates again, keeping the open set */
    for (int round = 0; round < 200 && inode_of(old) == rotated; round++) {
        for (int i = 0; i < 100; i++) { /* 100 between firing and silenced */
            now[(round * 100 + i) % 2000] ^= 1;
        }
        publish(st, "am", now, 2000);
        observe(al, st, &cause);
    }
    c = count(path);
    tap_ok(inode_of(old) != rotated && c.open == 2000 && alertlog_open_count(al) == 2000,
           "past the cap again: rotated, the open set kept (%zu open lines)", c.open);
    tap_ok(size_of(path) < 2 * CAP + 2000 * 400, "the file stays bounded by cap + open set");
    alertlog_close(al);
    rotated = inode_of(old);
    al = alertlog_open(path, CAP, &cause);
    tap_is_int((long long)alertlog_open_count(al), 2000, "a restart after it: the open set");
    tap_ok(inode_of(old) == rotated, "and no rotation at open");
    alertlog_close(al);
    store_destroy(st);
    unlink(path);
    unlink(old);
    free(path);
    free(old);
    free(cause);
}

static void test_failed_write(void)
{
    char *cause = NULL;
    struct alertlog *al = alertlog_open("/dev/full", 0, &cause);
    if (!tap_ok(al != NULL, "an alert log on /dev/full opens")) {
        return;
    }
    struct store *st = store_create();
    for (int i = 0; i < 500; i++) {
        now[i] = 0;
    }
    publish(st, "am", now, 500);
    bool failed = !observe(al, st, &cause);
    tap_ok(failed && cause != NULL && strstr(cause, "No space left") != NULL,
           "a failed write is said (%s)", cause != NULL ? cause : "-");
    free(cause);
    cause = NULL;
    tap_is_int((long long)alertlog_open_count(al), 500, "what was seen is kept");
    publish(st, "am", now, 500);
    tap_ok(observe(al, st, &cause), "the next poll does not write it again");
    tap_is_int((long long)alertlog_history_count(al), 500, "the history has it");
    alertlog_close(al);
    store_destroy(st);
    free(cause);
}

/* The newest history row of alert i (its SEV cell), or NULL. */
static const char *sev_of_newest(const struct store *st, const char *key)
{
    const struct rowset *rs = store_set(st, MODEL_HISTORY, 0);
    for (size_t r = 0; rs != NULL && r < rs->nrows; r++) {
        const char *d = rowset_str(rs, rs->rows[r].detail);
        char want[64];
        snprintf(want, sizeof want, "\nkey\t%s\n", key);
        if (strstr(d, want) != NULL) {
            return rowset_cell_text(rs, r, HISTORY_SEV);
        }
    }
    return NULL;
}

static void test_history_gone(const char *dir)
{
    char *path = xasprintf("%s/hist.jsonl", dir);
    char *cause = NULL;
    struct alertlog *al = alertlog_open(path, 0, &cause);
    alertlog_set_history_cap(al, 300);
    struct store *st = store_create();
    for (int i = 0; i < 1000; i++) {
        now[i] = 0;
    }
    publish(st, "am", now, 1000); /* the ring keeps the last 300: the index forgets the rest */
    observe(al, st, &cause);
    for (int i = 0; i < 1000; i++) {
        now[i] = i >= 850 ? -1 : 0;
    }
    publish(st, "am", now, 1000);
    observe(al, st, &cause);
    alertlog_publish(al, st);
    char key[32];
    key_of(key, sizeof key, "am", 999);
    const char *sev = sev_of_newest(st, key);
    tap_ok(sev != NULL && strcmp(sev, "warning") == 0,
           "a gone line takes the severity its alert's last line said (%s)", sev ? sev : "-");
    key_of(key, sizeof key, "am", 850);
    sev = sev_of_newest(st, key);
    tap_ok(sev != NULL && strcmp(sev, "critical") == 0, "for each alert its own (%s)",
           sev ? sev : "-");
    /* published in slices of ALERTLOG_PUBLISH_SLICE rows; a history that moves is built anew */
    alertlog_set_history_cap(al, 3 * ALERTLOG_PUBLISH_SLICE);
    for (int i = 0; i < 1000; i++) {
        now[i] = 1;
    }
    publish(st, "am", now, 1000);
    observe(al, st, &cause); /* 1,000 silenced (150 of them back): 1,300 rows */
    bool first = alertlog_publish(al, st);
    tap_ok(!first && alertlog_publishing(al), "1,300 rows: not all in one call");
    for (int i = 850; i < 1000; i++) {
        now[i] = 0;
    }
    publish(st, "am", now, 1000);
    observe(al, st, &cause); /* meanwhile 150 unsilenced */
    int calls = 0;
    while (!alertlog_publish(al, st) && calls < 10) {
        calls++;
    }
    const struct rowset *hrs = store_set(st, MODEL_HISTORY, 0);
    tap_ok(calls == 1 && !alertlog_publishing(al) && hrs != NULL && hrs->nrows == 1450 &&
               strcmp(rowset_cell_text(hrs, 0, HISTORY_EVENT), "unsilenced") == 0,
           "built anew after the history moved: 1,450 rows, newest first (%d more calls)", calls);
    tap_ok(!alertlog_publish(al, st), "then nothing to publish");
    alertlog_set_history_cap(al, 100); /* the index rebuilt from the ring */
    for (int i = 0; i < 1000; i++) {
        now[i] = i >= 800 ? -1 : 0;
    }
    publish(st, "am", now, 1000);
    observe(al, st, &cause);
    alertlog_publish(al, st);
    key_of(key, sizeof key, "am", 801);
    sev = sev_of_newest(st, key);
    tap_ok(alertlog_history_count(al) == 100 && sev != NULL && sev[0] == '\0',
           "an alert whose last line left the ring: nothing to take, nothing wrong");
    alertlog_close(al);
    store_destroy(st);
    unlink(path);
    free(path);
    free(cause);
}

int main(void)
{
    char tmpl[] = "/tmp/opsdeck-alertlog-storm-XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (dir == NULL) {
        perror("mkdtemp");
        return 1;
    }
    test_storm(dir);
    test_rotation(dir);
    test_failed_write();
    test_history_gone(dir);
    char *old = xasprintf("%s/alerts.jsonl.1", dir);
    unlink(old);
    free(old);
    tap_ok(rmdir(dir) == 0, "everything created was removed");
    return tap_done();
}
