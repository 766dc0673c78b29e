/*
 * The incident timeline (engine/timeline.c), its figures, the leftovers
 * (engine/leftovers.c), the alert log (engine/alertlog.c) and the run report
 * that merges them (engine/report_run.c, incident.c), over the fixture
 * state directory tests/fixtures/timeline (audit.jsonl, alerts.jsonl,
 * runs/RUN.jsonl: a 5xx incident on web3 between 14:37 and 14:55 UTC).
 * The alert history (alertlog_publish): the MODEL_HISTORY rows a fired,
 * silenced, unsilenced and resolved alert leaves, their times, replayed from
 * the file and its .1 after a restart, bounded; and the report of that time
 * range, which names each transition with its time and source.
 */
#include "../../backends/model.h"
#include "../../common/clock.h"
#include "../../common/util.h"
#include "../../engine/alertlog.h"
#include "../../engine/incident.h"
#include "../../engine/leftovers.h"
#include "../../engine/report.h"
#include "../../engine/timeline.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *dir;
static const char *run_id = "20261123T144000Z-web-5xx-ab12";

static int64_t at(const char *hms)
{
    char buf[40];
    snprintf(buf, sizeof buf, "2026-11-23T%sZ", hms);
    int64_t ms = 0;
    clock_parse_rfc3339(buf, &ms);
    return ms;
}

static char *path_of(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static const struct tl_entry *find(const struct timeline *t, const char *what, const char *target)
{
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->v[i].what, what) == 0 && t->v[i].target != NULL &&
            strcmp(t->v[i].target, target) == 0) {
            return &t->v[i];
        }
    }
    return NULL;
}

static bool has(const char *hay, const char *needle)
{
    bool ok = hay != NULL && strstr(hay, needle) != NULL;
    if (!ok) {
        tap_diag("missing: %s", needle);
    }
    return ok;
}

static void test_run_selection(void)
{
    char *audit = path_of("audit.jsonl"), *alerts = path_of("alerts.jsonl");
    struct timeline t = {0};
    struct tl_select sel = {
        .run = run_id, .host = "bastion", .from = at("14:40:00"), .until = at("15:00:00")};
    char *cause = NULL;
    tap_ok(timeline_load_audit(&t, audit, &sel, &cause), "the audit log loads");
    tap_ok(timeline_load_alerts(&t, alerts, &sel, &cause), "the alert log loads");
    timeline_sort(&t);
    const struct tl_entry *e = find(&t, "drain", "be_web/web3");
    tap_ok(e != NULL && e->run == NULL && strcmp(e->result, "ok") == 0,
           "an unattributed drain in the run's window on its host belongs");
    tap_ok(e != NULL && e->ms == at("14:46:57") && e->done_ms == at("14:46:58"),
           "one entry per action: taken at its start, done at its outcome");
    tap_ok(find(&t, "drain", "be_web/web4") == NULL, "another host's drain does not");
    tap_ok(find(&t, "drain", "be_web/web1") == NULL, "a drain before the run does not");
    const struct tl_entry *own = find(&t, "restart", "shop/cart");
    tap_ok(own != NULL && own->journaled,
           "the run's own action step is kept (for leftovers), marked as told by its journal");
    e = find(&t, "drain", "be_web/web2");
    tap_ok(e != NULL && str_has_prefix(e->result, "refused: "), "a refusal is an entry");
    e = find(&t, "scale", "shop/api");
    tap_ok(e != NULL && e->prior != NULL && strcmp(e->prior, "3") == 0 &&
               strcmp(e->input, "1") == 0,
           "a scale keeps its input and the prior replicas");
    tap_ok(find(&t, "fired", "HighErrorRate") != NULL, "an alert that fired before the run, open "
                                                       "at its start, is in");
    tap_ok(find(&t, "fired", "OldAlert") == NULL, "an alert resolved before the run is not");
    tap_ok(find(&t, "fired", "Other") == NULL, "an alert that fired after the run is not");
    e = find(&t, "resolved", "HighErrorRate");
    tap_ok(e != NULL && strcmp(e->result, "gone") == 0, "its resolution is in");
    bool ordered = true;
    for (size_t i = 1; i < t.n; i++) {
        ordered = ordered && t.v[i - 1].ms <= t.v[i].ms;
    }
    tap_ok(ordered, "entries are in time order (%zu)", t.n);

    struct tl_figures f = {.start_ms = at("14:40:00")};
    tl_figures_step(&f, 0, at("14:42:00"), "Acknowledge");
    tl_figures_step(&f, 2, at("14:50:00"), "Drain the bad server");
    tl_figures_timeline(&f, &t);
    tap_ok(f.detected.ms == at("14:37:30") && has(f.detected.what, "HighErrorRate"),
           "detected: the first alert's own start time");
    tap_ok(f.acknowledged.ms == at("14:42:00"), "acknowledged: the Stay-calm step before the "
                                                "silence");
    tap_ok(f.mitigated.ms == at("14:46:58") && has(f.mitigated.what, "drain be_web/web3"),
           "first mitigation: the drain, before any Focus step was done");
    tap_ok(f.resolved.ms == at("14:55:00") && f.open_alerts == 0,
           "resolved: when the last alert seen went");
    tl_figures_free(&f);

    struct tl_figures g = {.start_ms = at("14:40:00")};
    struct tl_entry silence = {.source = TL_ACTION,
                               .ms = at("14:41:00"),
                               .what = "silence",
                               .target = "fp1",
                               .result = "ok"};
    struct timeline one = {.v = &silence, .n = 1};
    tl_figures_timeline(&g, &one);
    tap_ok(g.acknowledged.ms == at("14:41:00") && g.mitigated.ms == 0,
           "a silence acknowledges; it does not mitigate");
    tap_ok(g.detected.ms == 0 && g.resolved.ms == 0, "no alert: not detected, not resolved");
    tl_figures_free(&g);

    size_t n = 0;
    struct leftover *lo = leftovers_derive(&t, NULL, &n);
    bool web3 = false, sil = false, shovel = false, scale = false, other = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(lo[i].target, "be_web/web3") == 0) {
            web3 = strcmp(lo[i].undo_verb, "ready") == 0 && lo[i].kind == MODEL_POOLS &&
                   !lo[i].checked;
        } else if (strcmp(lo[i].target, "1111-aaaa-2222") == 0) {
            sil = strcmp(lo[i].undo_verb, "expire") == 0 && lo[i].kind == MODEL_SILENCES &&
                  strcmp(lo[i].name, "HighErrorRate") == 0;
        } else if (strcmp(lo[i].target, "%2F/orders.dlq") == 0) {
            shovel = lo[i].undo_verb == NULL;
        } else if (strcmp(lo[i].target, "shop/api") == 0) {
            scale = strcmp(lo[i].undo_verb, "scale") == 0 && strcmp(lo[i].undo_input, "3") == 0;
        } else {
            other = true;
            tap_diag("unexpected leftover %s", lo[i].target);
        }
    }
    tap_ok(n == 4 && web3 && sil && shovel && scale && !other,
           "leftovers from the log alone: the drain (ready), the silence (expire by its id), "
           "the shovel (no key), the scale (back to 3); not the undone maint or pause (%zu)",
           n);
    cJSON *j = leftovers_json(lo, n);
    size_t m = 0;
    struct leftover *back = leftovers_from_json(j, &m);
    tap_ok(m == n && strcmp(back[0].what, lo[0].what) == 0 && back[0].kind == lo[0].kind,
           "leftovers survive the journal's JSON");
    leftovers_free(back, m);
    cJSON_Delete(j);
    leftovers_free(lo, n);

    /* checked against the models: what the backends say now */
    struct store *st = store_create();
    struct rowset *rs = rowset_create(MODEL_POOLS, "lb");
    rowset_begin(rs, "be_web/web3");
    rowset_text(rs, POOL_STATUS, "DRAIN");
    rowset_end(rs);
    store_publish(st, rs);
    rs = rowset_create(MODEL_SILENCES, "am");
    rowset_begin(rs, "1111-aaaa-2222");
    rowset_text(rs, SILENCE_STATE, "active");
    rowset_text(rs, SILENCE_ENDS, "in 1h");
    rowset_end(rs);
    store_publish(st, rs);
    rs = rowset_create(MODEL_QUEUES, "mq");
    rowset_begin(rs, "%2F/orders.dlq");
    rowset_num(rs, QUEUE_MSGS, 0);
    rowset_end(rs);
    store_publish(st, rs);
    rs = rowset_create(MODEL_DEPLOYS, "k8s");
    rowset_begin(rs, "shop/api");
    rowset_text(rs, DEPLOY_READY, "3/3");
    rowset_end(rs);
    store_publish(st, rs);
    lo = leftovers_derive(&t, st, &n);
    bool checked = n == 2;
    for (size_t i = 0; i < n; i++) {
        checked = checked && lo[i].checked;
    }
    tap_ok(checked && strcmp(lo[0].target, "1111-aaaa-2222") == 0 &&
               has(lo[0].what, "active, ends in 1h") && strcmp(lo[1].target, "be_web/web3") == 0,
           "checked live: the drained server and the active silence stay; the moved DLQ and "
           "the scaled-back deployment go (%zu)",
           n);
    leftovers_free(lo, n);
    rs = rowset_create(MODEL_POOLS, "lb");
    rowset_begin(rs, "be_web/web3");
    rowset_text(rs, POOL_STATUS, "UP");
    rowset_end(rs);
    store_publish(st, rs);
    store_forget(st, MODEL_SILENCES, "am");
    lo = leftovers_derive(&t, st, &n);
    tap_ok(n == 1 && strcmp(lo[0].target, "1111-aaaa-2222") == 0 && !lo[0].checked,
           "a server back UP goes; a silence the model no longer has stays, unchecked");
    leftovers_free(lo, n);
    rs = rowset_create(MODEL_POOLS, "lb");
    rowset_begin(rs, "be_web/web3");
    rowset_text(rs, POOL_STATUS, "DOWN");
    rowset_end(rs);
    store_publish(st, rs);
    lo = leftovers_derive(&t, st, &n);
    tap_ok(n == 2 && strcmp(lo[1].target, "be_web/web3") == 0 && !lo[1].checked,
           "a drained server now DOWN stays, its admin state unknown");
    leftovers_free(lo, n);
    store_destroy(st);
    timeline_free(&t);
    free(audit);
    free(alerts);
}

static void test_range(void)
{
    char *audit = path_of("audit.jsonl"), *alerts = path_of("alerts.jsonl");
    struct timeline t = {0};
    struct tl_select sel = {.from = at("14:00:00"), .until = at("14:35:00")};
    char *cause = NULL;
    timeline_load_audit(&t, audit, &sel, &cause);
    timeline_load_alerts(&t, alerts, &sel, &cause);
    timeline_sort(&t);
    tap_ok(t.n == 3 && strcmp(t.v[0].what, "fired") == 0 && strcmp(t.v[1].what, "resolved") == 0 &&
               strcmp(t.v[2].what, "drain") == 0,
           "a time range: every line in it, in order (%zu)", t.n);
    timeline_free(&t);
    struct timeline none = {0};
    tap_ok(timeline_load_audit(&none, "/nonexistent/audit.jsonl", &sel, &cause) && none.n == 0,
           "a missing audit log is no actions, not an error");
    char *bad = path_of("runs");
    tap_ok(!timeline_load_audit(&none, bad, &sel, &cause) && cause != NULL,
           "an unreadable audit log is an error (%s)", cause ? cause : "-");
    free(cause);
    free(bad);
    int64_t ms = 0;
    tap_ok(timeline_run_id_time(run_id, &ms) && ms == at("14:40:00"), "a run id's time");
    tap_ok(!timeline_run_id_time("garbage", &ms), "an id of another shape has none");
    free(audit);
    free(alerts);
}

static void test_report(void)
{
    char *runs = path_of("runs");
    struct report_opts o = {.runs_dir = runs};
    char *cause = NULL;
    char *md = report_build(&o, run_id, 0, 0, NULL, &cause);
    tap_ok(md != NULL, "the run's report (%s)", cause ? cause : "ok");
    tap_ok(has(md, "- 14:46:57 +06:57 alice@bastion: drain be_web/web3 on lb -> ok at 14:46:58"),
           "the drain is on the run's timeline, with who and when");
    tap_ok(has(md, "- 14:43:30 +03:30 alice@bastion: silence fp1 with 2h on am -> ok"),
           "the silence too");
    tap_ok(has(md, "- 14:38:00 -02:00 alert HighErrorRate fired {alertname=HighErrorRate, "
                   "instance=web3, severity=critical} from am, started 14:37:30"),
           "the alert fired before the run, with its labels");
    tap_ok(has(md, "alert HighErrorRate resolved (no longer reported)"), "and resolved");
    const char *drain = md != NULL ? strstr(md, "drain be_web/web3") : NULL;
    const char *step = md != NULL ? strstr(md, "[F] Drain the bad server: done") : NULL;
    tap_ok(drain != NULL && step != NULL && drain < step, "merged in time order with the steps");
    tap_ok(has(md, "| First mitigation | 2026-11-23 14:46:58 UTC | 9m28s | drain be_web/web3 by "
                   "alice |"),
           "first mitigation: the drain, 9m28s after detection");
    tap_ok(has(md, "| Detected | 2026-11-23 14:37:30 UTC | 0s | HighErrorRate fired |"),
           "detected");
    tap_ok(has(md, "| Resolved | 2026-11-23 14:55:00 UTC | 17m30s | HighErrorRate resolved |"),
           "resolved");
    tap_ok(md != NULL && strstr(md, "not reached (no Focus step") == NULL,
           "no 'not reached' when a drain was taken");
    tap_ok(has(md, "- Impact: 5% of checkouts failed for 17 minutes\n- Severity: SEV2\n"
                   "- Root cause: web3 ran out of file descriptors\n"),
           "the post-incident answers");
    tap_ok(has(md, "| raise the fd limit | bob |\n| alert on fds | carol |\n"),
           "the action items with owners");
    tap_ok(has(md, "| be_web/web3 (lb) | drained (not checked live) |"),
           "left in place, from the audit log when the run did not record it");
    free(md);

    char *summary = NULL;
    o.json = true;
    char *js = report_build(&o, run_id, 0, 0, &summary, &cause);
    cJSON *doc = js != NULL ? cJSON_Parse(js) : NULL;
    tap_ok(doc != NULL, "--json is JSON");
    const cJSON *fig = cJSON_GetObjectItem(doc, "figures");
    const cJSON *mit = cJSON_GetObjectItem(fig, "mitigated");
    tap_ok(cJSON_IsObject(mit) && cJSON_GetObjectItem(mit, "after_s")->valuedouble == 568,
           "JSON figures: mitigated after 568 s");
    const cJSON *tl = cJSON_GetObjectItem(doc, "timeline");
    bool run_ev = false, action_ev = false, alert_ev = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, tl)
    {
        const char *src = cJSON_GetStringValue(cJSON_GetObjectItem(it, "source"));
        run_ev = run_ev || (src && strcmp(src, "run") == 0);
        action_ev = action_ev || (src && strcmp(src, "action") == 0);
        alert_ev = alert_ev || (src && strcmp(src, "alert") == 0);
    }
    tap_ok(run_ev && action_ev && alert_ev, "JSON timeline: run, action and alert entries");
    tap_ok(cJSON_GetArraySize(
               cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "postmortem"), "action_items")) == 2,
           "JSON: the action items");
    tap_ok(has(summary, "First mitigation: 14:46:58 UTC (+9m28s) drain be_web/web3 by alice") &&
               has(summary, "Severity: SEV2"),
           "the summary for Slack");
    cJSON_Delete(doc);
    free(js);
    free(summary);

    o.json = false;
    md = report_build(&o, NULL, at("14:00:00"), at("14:35:00"), NULL, &cause);
    tap_ok(has(md, "# Incident timeline: 2026-11-23 14:00:00 UTC to 2026-11-23 14:35:00 UTC") &&
               has(md, "alert OldAlert fired") && has(md, "drain be_web/web1"),
           "a time range with no run");
    free(md);
    md = report_build(&o, NULL, at("14:35:00"), at("14:00:00"), NULL, &cause);
    tap_ok(md == NULL && cause != NULL && has(cause, "--until is before --since"),
           "a range backwards is refused");
    free(cause);
    cause = NULL;
    /* an audit log that cannot be read: the report comes, and says what is missing */
    o.audit = runs; /* a directory */
    md = report_build(&o, run_id, 0, 0, NULL, &cause);
    tap_ok(has(md, "Incomplete: the audit log could not be read (") &&
               has(md, "alert HighErrorRate fired") && md != NULL &&
               strstr(md, "drain be_web/web3") == NULL,
           "an unreadable audit log: said, the rest still reported");
    free(md);
    o.audit = NULL;
    free(cause);
    cause = NULL;
    char *last = report_last_run(runs, &cause);
    tap_ok(last != NULL && strcmp(last, run_id) == 0, "--last: the newest run");
    free(last);
    free(runs);
}

static void test_postmortem(void)
{
    cJSON *d = postmortem_event("action_items", "fix it @bob; document it; page less @carol ");
    const cJSON *items = cJSON_GetObjectItem(d, "items");
    tap_ok(cJSON_GetArraySize(items) == 3, "three action items");
    const cJSON *second = cJSON_GetArrayItem(items, 1);
    tap_ok(strcmp(cJSON_GetObjectItem(second, "owner")->valuestring, "(no owner)") == 0,
           "an item without @owner says so");
    tap_ok(strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 2), "text")->valuestring,
                  "page less") == 0,
           "the owner is taken off the text");
    cJSON_Delete(d);
    tap_ok(postmortem_event("weather", "x") == NULL, "an unknown field is refused");
}

/* ---- the alert log ---- */

static void publish_alerts(struct store *st, const char *source, const char *const *rows, size_t n)
{
    struct rowset *rs = rowset_create(MODEL_ALERTS, source);
    for (size_t i = 0; i < n; i += 3) {
        rowset_begin(rs, rows[i]);
        rowset_text(rs, ALERT_NAME, rows[i + 1]);
        rowset_text(rs, ALERT_STATE, rows[i + 2]);
        rowset_cell(rs, ALERT_AGE, "", 1795444650); /* 2026-11-23T14:37:30Z */
        rowset_detail(rs, "fingerprint", rows[i]);
        rowset_detail(rs, "label.alertname", rows[i + 1]);
    }
    rowset_end(rs);
    store_publish(st, rs);
}

static size_t count_lines(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    size_t n = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        n += strstr(line, needle) != NULL;
    }
    if (f != NULL) {
        fclose(f);
    }
    return n;
}

static void test_alertlog(void)
{
    char tmpl[] = "/tmp/opsdeck-alertlog-XXXXXX";
    char *tmp = mkdtemp(tmpl);
    char *path = xasprintf("%s/state/alerts.jsonl", tmp);
    char *cause = NULL;
    struct alertlog *al = alertlog_open(path, 0, &cause);
    tap_ok(al != NULL, "the alert log opens (%s)", cause ? cause : "ok");
    struct store *st = store_create();
    const char *a1[] = {"fpA", "HighErrorRate", "firing", "fpB", "DiskFull", "pending"};
    publish_alerts(st, "am", a1, 6);
    tap_ok(alertlog_observe(al, st, &cause), "first poll observed");
    tap_ok(count_lines(path, "\"alert.fired\"") == 1 && count_lines(path, "\"alert.pending\"") == 1,
           "one fired, one pending");
    tap_ok(alertlog_observe(al, st, &cause) && count_lines(path, "\"action\"") == 2,
           "the same generation again: nothing written (per poll, not per frame)");
    const char *a2[] = {"fpA", "HighErrorRate", "firing", "fpB", "DiskFull", "pending"};
    publish_alerts(st, "am", a2, 6);
    alertlog_observe(al, st, &cause);
    tap_ok(count_lines(path, "\"action\"") == 2, "a new poll with no change: nothing written");
    const char *a3[] = {"fpA", "HighErrorRate", "silenced"};
    publish_alerts(st, "am", a3, 3);
    alertlog_observe(al, st, &cause);
    tap_ok(count_lines(path, "\"alert.silenced\"") == 1 &&
               count_lines(path, "\"from\":\"firing\"") == 1,
           "silenced, with the state it came from");
    tap_ok(count_lines(path, "\"target\":\"DiskFull\",\"result\":\"gone\"") == 1,
           "an alert no longer in the answer: resolved (gone)");
    tap_ok(count_lines(path, "\"labels\":{\"alertname\":\"HighErrorRate\"}") >= 1 &&
               count_lines(path, "\"starts_at\":\"2026-11-23T14:37:30Z\"") >= 1 &&
               count_lines(path, "\"fingerprint\":\"fpA\"") >= 1,
           "labels, start and fingerprint are recorded");
    struct stat sb;
    tap_ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "the file is 0600");
    alertlog_close(al);

    /* a restarted console knows what is open: no second "fired" */
    al = alertlog_open(path, 0, &cause);
    tap_ok(alertlog_open_count(al) == 1, "replayed: one alert open");
    publish_alerts(st, "am", a3, 3);
    alertlog_observe(al, st, &cause);
    tap_ok(count_lines(path, "\"alert.fired\"") == 1 && count_lines(path, "\"action\"") == 4,
           "after a restart the open alert is not recorded again");
    /* a source that has not answered resolves nothing */
    store_forget(st, MODEL_ALERTS, "am");
    alertlog_observe(al, st, &cause);
    tap_ok(alertlog_open_count(al) == 1 && count_lines(path, "\"action\"") == 4,
           "no answer from a source: its alerts stay open");
    alertlog_close(al);

    /* bounded: past the cap (plus what the open set's lines take) the file rotates, the new one
     * knows what is open */
    al = alertlog_open(path, 700, &cause);
    char *old = xasprintf("%s.1", path);
    tap_ok(access(old, F_OK) == 0 && count_lines(path, "\"alert.open\"") == 1 &&
               count_lines(path, "\"action\"") == 1,
           "rotated to .1; the new file starts with the open alert");
    publish_alerts(st, "am", a3, 0);
    alertlog_observe(al, st, &cause);
    struct timeline t = {0};
    struct tl_select sel = {.from = 0, .until = INT64_MAX / 2};
    timeline_load_alerts(&t, path, &sel, &cause);
    tap_ok(t.n == 5 && strcmp(t.v[t.n - 1].what, "resolved") == 0,
           "readers read .1 then the current file (%zu)", t.n);
    timeline_free(&t);
    alertlog_close(al);
    store_destroy(st);
    unlink(old);
    free(old);
    unlink(path);
    char *state = xasprintf("%s/state", tmp);
    rmdir(state);
    free(state);
    rmdir(tmp);
    free(path);
    tap_ok(alertlog_open("/proc/nope/alerts.jsonl", 0, &cause) == NULL && cause != NULL,
           "an unwritable place is an error (%s)", cause ? cause : "-");
    free(cause);
}

/* One row of the history rowset: "TIME EVENT ALERT SEV TARGET FROM SOURCE". */
static char *history_row(const struct store *st, size_t row)
{
    if (store_nsets(st, MODEL_HISTORY) != 1 || row >= store_set(st, MODEL_HISTORY, 0)->nrows) {
        return xstrdup("(none)");
    }
    const struct rowset *rs = store_set(st, MODEL_HISTORY, 0);
    struct strbuf sb = {0};
    for (int c = 0; c < HISTORY_NCOLS; c++) {
        strbuf_printf(&sb, "%s%s", c > 0 ? " " : "", rowset_cell_text(rs, row, c));
    }
    return sb.s;
}

static bool row_is(const struct store *st, size_t row, const char *want)
{
    char *got = history_row(st, row);
    bool ok = strcmp(got, want) == 0;
    if (!ok) {
        tap_diag("row %zu: got '%s', want '%s'", row, got, want);
    }
    free(got);
    return ok;
}

static void publish_one(struct store *st, const char *state, bool present)
{
    struct rowset *rs = rowset_create(MODEL_ALERTS, "am");
    if (present) {
        rowset_begin(rs, "fpH");
        rowset_text(rs, ALERT_NAME, "HighErrorRate");
        rowset_text(rs, ALERT_STATE, state);
        rowset_text(rs, ALERT_SEV, "critical");
        rowset_text(rs, ALERT_TARGET, "instance=web3");
        rowset_cell(rs, ALERT_AGE, "", 1795444650); /* 2026-11-23T14:37:30Z */
        rowset_detail(rs, "fingerprint", "fpH");
        rowset_detail(rs, "label.alertname", "HighErrorRate");
        rowset_detail(rs, "label.instance", "web3");
    }
    rowset_end(rs);
    store_publish(st, rs);
}

static void test_history(void)
{
    char tmpl[] = "/tmp/opsdeck-history-XXXXXX";
    char *tmp = mkdtemp(tmpl);
    char *path = xasprintf("%s/alerts.jsonl", tmp);
    char *cause = NULL;
    struct alertlog *al = alertlog_open(path, 0, &cause);
    struct store *st = store_create();
    tap_ok(!alertlog_publish(al, st) && store_nsets(st, MODEL_HISTORY) == 0,
           "an empty history publishes nothing");
    static const struct {
        const char *hms, *state;
        bool present;
    } story[] = {
        {"14:38:00", "firing", true},
        {"14:44:00", "silenced", true},
        {"14:50:00", "firing", true},
        {"14:55:00", "", false},
    };
    for (size_t i = 0; i < sizeof story / sizeof story[0]; i++) {
        clock_pin_wall(at(story[i].hms));
        publish_one(st, story[i].state, story[i].present);
        alertlog_observe(al, st, &cause);
        tap_ok(alertlog_publish(al, st), "a transition at %s: published", story[i].hms);
    }
    clock_pin_wall(-1);
    tap_ok(!alertlog_publish(al, st), "nothing new: not published again");
    tap_is_int((long long)store_nrows(st, MODEL_HISTORY), 4, "four transitions");
    tap_ok(row_is(st, 0, "14:55:00 resolved HighErrorRate critical instance=web3 firing am"),
           "newest first: resolved (gone), with what the alert's last line said");
    tap_ok(row_is(st, 1, "14:50:00 unsilenced HighErrorRate critical instance=web3 silenced am"),
           "a silenced alert firing again: unsilenced");
    tap_ok(row_is(st, 2, "14:44:00 silenced HighErrorRate critical instance=web3 firing am"),
           "silenced, from firing");
    tap_ok(row_is(st, 3, "14:38:00 fired HighErrorRate critical instance=web3  am"), "fired");
    const struct rowset *rs = store_set(st, MODEL_HISTORY, 0);
    tap_ok(strcmp(rs->source, "history") == 0, "the rowset's source is history");
    tap_ok(rowset_cell_num(rs, 0, HISTORY_TIME) == (double)at("14:55:00") / 1000.0,
           "TIME sorts by the wall time (s)");
    const char *detail = rowset_str(rs, rs->rows[0].detail);
    tap_ok(strstr(detail, "fingerprint\tfpH\n") != NULL &&
               strstr(detail, "label.instance\tweb3\n") != NULL &&
               strstr(detail, "time\t2026-11-23T14:55:00.000Z\n") != NULL,
           "a row's detail: the labels, the fingerprint, the time");
    alertlog_close(al);

    /* a restart: the history is read back from the file, .1 included after a rotation */
    struct store *st2 = store_create();
    al = alertlog_open(path, 0, &cause);
    tap_is_int((long long)alertlog_history_count(al), 4, "replayed: four transitions");
    alertlog_publish(al, st2);
    tap_ok(row_is(st2, 1, "14:50:00 unsilenced HighErrorRate critical instance=web3 silenced am"),
           "the same rows after a restart");
    alertlog_close(al);
    al = alertlog_open(path, 100, &cause); /* past the cap: rotates to .1 */
    tap_is_int((long long)alertlog_history_count(al), 4, "after a rotation: .1 is read too");
    alertlog_set_history_cap(al, 2);
    alertlog_publish(al, st2);
    tap_ok(alertlog_history_count(al) == 2 && store_nrows(st2, MODEL_HISTORY) == 2 &&
               row_is(st2, 0, "14:55:00 resolved HighErrorRate critical instance=web3 firing am"),
           "bounded: the oldest go first");
    alertlog_close(al);

    /* the report of that range names each transition, with its time and source */
    char *runs = xasprintf("%s/runs", tmp);
    struct report_opts o = {.runs_dir = runs, .alerts = path};
    char *md = report_build(&o, NULL, at("14:30:00"), at("15:00:00"), NULL, &cause);
    tap_ok(md != NULL, "a report of the range (%s)", cause != NULL ? cause : "ok");
    tap_ok(has(md, "- 14:38:00 +08:00 alert HighErrorRate fired {alertname=HighErrorRate, "
                   "instance=web3} from am, started 14:37:30;"),
           "the report: fired, with its time, labels and source");
    tap_ok(has(md, "- 14:44:00 +14:00 alert HighErrorRate silenced {alertname=HighErrorRate, "
                   "instance=web3} from am;"),
           "silenced");
    tap_ok(has(md, "- 14:50:00 +20:00 alert HighErrorRate unsilenced {alertname=HighErrorRate, "
                   "instance=web3} from am;"),
           "unsilenced");
    tap_ok(has(md, "- 14:55:00 +25:00 alert HighErrorRate resolved (no longer reported) from am;"),
           "resolved");
    free(cause);
    free(md);
    free(runs);
    store_destroy(st);
    store_destroy(st2);
    char *old = xasprintf("%s.1", path);
    unlink(old);
    free(old);
    unlink(path);
    rmdir(tmp);
    free(path);
}

int main(int argc, char **argv)
{
    dir = argc > 1 ? argv[1] : "tests/fixtures/timeline";
    test_run_selection();
    test_range();
    test_report();
    test_postmortem();
    test_alertlog();
    test_history();
    return tap_done();
}
