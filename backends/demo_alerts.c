/*
 * The demo's Alertmanager-like alerts and silences (demo_shop.h): each rule
 * reads the state the other parts of the shop produced this tick (the DLQ,
 * the flapping server, the stuck rollout, the backlog...), goes pending, then
 * fires after its `for:`, and shows as resolved once when it stops. Silences
 * are kept for a while after they end, as Alertmanager keeps them, so the
 * silences view has expired ones to show.
 */
#include "demo_shop.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "http.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    BACKLOG_ALERT = 5000, /* emails.outbound ready messages that page */
};

static const uint64_t FNV_PRIME = 0x100000001b3ULL;

static const char *const severity_names[] = {"critical", "warning", "info"};

static const enum tone severity_tones[] = {TONE_CRIT, TONE_WARN, TONE_INFO};

/* ---- the rules ---- */

static const struct queue *named_queue(const struct demo *d, enum named_queue q)
{
    return (size_t)q < d->nqueues ? &d->queues[q] : NULL;
}

static bool alert_condition(const struct demo *d, enum alert_id id)
{
    const struct server *web3 = demo_server_flapper(d);
    const struct queue *q;
    const struct deploy *pay = &d->deploys[D_PAYMENTS];
    switch (id) {
    case AL_DLQ:
        q = named_queue(d, Q_DLQ);
        return q != NULL && demo_queue_msgs(q) > 0;
    case AL_TARGET_DOWN:
    case AL_ERROR_RATE:
        return web3 != NULL && !web3->up && web3->admin != ADMIN_MAINT;
    case AL_ROLLOUT_STUCK:
        return pay->state == ROLLOUT_FAILED;
    case AL_CRASHLOOP:
        return pay->updated >= 1 &&
               (pay->state == ROLLOUT_FAILED || pay->state == ROLLOUT_PROGRESSING);
    case AL_BACKLOG:
        q = named_queue(d, Q_EMAILS);
        return q != NULL && q->ready > BACKLOG_ALERT;
    case AL_NO_CONSUMERS:
        q = named_queue(d, Q_NOTIFY);
        return q != NULL && q->consumers == 0 && demo_queue_msgs(q) > 0;
    case AL_CERT:
    case AL_MEMORY:
    case NALERTS:
        break;
    }
    return true;
}

/* ---- silences ---- */

/* Silence ids look like Alertmanager's UUIDs and are derived, not random. */
static void silence_id(struct demo *d, const struct alert *al, char id[40])
{
    uint64_t h1 = fnv1a(FNV1A_OFFSET, al->fp) ^ (uint64_t)d->silences++ * FNV_PRIME;
    uint64_t h2 = fnv1a(h1, "silence") ^ (uint64_t)d->now;
    h1 = fnv1a(h1, "id");
    snprintf(id, 40, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-a%03" PRIx64 "-%012" PRIx64,
             h1 >> 32, (h1 >> 16) & 0xffff, h1 & 0xfff, h2 >> 52, h2 >> 16);
}

/* Silence an alert from now (or from starts) for secs; the oldest silence goes when full. */
static const struct silence *silence_add(struct demo *d, enum alert_id id, int64_t starts,
                                         int64_t secs, const char *by, const char *comment)
{
    struct alert *al = &d->alerts[id];
    if (d->nsilence == DEMO_SILENCES) {
        /* the oldest expired one goes; if none has expired, the oldest, and its alert rings */
        size_t drop = 0;
        while (drop < DEMO_SILENCES && d->silence[drop].ends > d->now) {
            drop++;
        }
        if (drop == DEMO_SILENCES) {
            drop = 0;
            struct alert *old = &d->alerts[d->silence[0].alert];
            if (strcmp(old->silence_id, d->silence[0].id) == 0) {
                old->silenced_until = 0;
            }
        }
        memmove(&d->silence[drop], &d->silence[drop + 1],
                (DEMO_SILENCES - 1 - drop) * sizeof d->silence[0]);
        d->nsilence--;
    }
    struct silence *sl = &d->silence[d->nsilence++];
    silence_id(d, al, sl->id);
    sl->alert = id;
    sl->starts = starts;
    sl->ends = d->now + secs;
    snprintf(sl->by, sizeof sl->by, "%s", by);
    snprintf(sl->comment, sizeof sl->comment, "%s", comment);
    al->silenced_until = sl->ends;
    memcpy(al->silence_id, sl->id, sizeof al->silence_id);
    return sl;
}

static struct silence *silence_find(struct demo *d, const char *id)
{
    for (size_t i = 0; i < d->nsilence; i++) {
        if (strcmp(d->silence[i].id, id) == 0) {
            return &d->silence[i];
        }
    }
    return NULL;
}

static const char *silence_state(const struct demo *d, const struct silence *sl)
{
    return sl->ends <= d->now ? "expired" : sl->starts > d->now ? "pending" : "active";
}

void demo_alerts_init(struct demo *d)
{
    for (int i = 0; i < NALERTS; i++) {
        const struct alert_def *def = &demo_alert_defs[i];
        struct alert *al = &d->alerts[i];
        uint64_t h = fnv1a(fnv1a(FNV1A_OFFSET, "alertname="), def->name);
        h = fnv1a(fnv1a(h, "severity="), severity_names[def->sev]);
        for (size_t l = 0; l < 4 && def->labels[l] != NULL; l++) {
            h = fnv1a(h, def->labels[l]);
        }
        snprintf(al->fp, sizeof al->fp, "%016" PRIx64, h);
        if (def->since_min > 0 && alert_condition(d, (enum alert_id)i)) {
            al->active = true;
            al->age = def->pending + 1;
            al->starts_at = d->t0 - (int64_t)def->since_min * 60;
        }
    }
    /* someone silenced the memory alert before the demo started */
    silence_add(d, AL_MEMORY, d->t0 - 4 * 3600, 80 * 60, "maria@ops-jump-1",
                "known leak in search-2, fix ships Thursday (INC-4211)");
}

static void alert_step(struct demo *d, enum alert_id id)
{
    struct alert *al = &d->alerts[id];
    if (alert_condition(d, id)) {
        if (!al->active) {
            al->active = true;
            al->age = 0;
            al->starts_at = d->now;
        }
        al->age++;
        al->resolved = false;
    } else {
        /* a firing alert shows "resolved" once; a pending one just goes */
        al->resolved = al->active && al->age > demo_alert_defs[id].pending;
        al->active = false;
    }
    if (al->silenced_until != 0 && al->silenced_until <= d->now) {
        al->silenced_until = 0;
    }
}

void demo_alerts_step(struct demo *d)
{
    for (int i = 0; i < NALERTS; i++) {
        alert_step(d, (enum alert_id)i);
    }
}

/* ---- rows ---- */

static bool alert_shown(const struct alert *al)
{
    return al->active || al->resolved;
}

static struct alert *alert_find(struct demo *d, const char *fp, enum alert_id *id)
{
    for (int i = 0; i < NALERTS; i++) {
        if (alert_shown(&d->alerts[i]) && strcmp(d->alerts[i].fp, fp) == 0) {
            *id = (enum alert_id)i;
            return &d->alerts[i];
        }
    }
    return NULL;
}

static const char *alert_state(const struct alert *al, const struct alert_def *def)
{
    if (al->resolved) {
        return "resolved";
    }
    if (al->silenced_until != 0) {
        return "silenced";
    }
    return al->age > def->pending ? "firing" : "pending";
}

static void alert_details(struct rowset *rs, const struct alert *al, const struct alert_def *def)
{
    rowset_detail(rs, "fingerprint", al->fp);
    rowset_detail(rs, "label.alertname", def->name);
    for (size_t l = 0; l < 4 && def->labels[l] != NULL; l++) {
        const char *eq = strchr(def->labels[l], '=');
        char key[64];
        snprintf(key, sizeof key, "label.%.*s", (int)(eq - def->labels[l]), def->labels[l]);
        rowset_detail(rs, key, eq + 1);
    }
    rowset_detail(rs, "label.severity", severity_names[def->sev]);
    rowset_detail(rs, "summary", def->summary);
    rowset_detail(rs, "description", def->description);
    rowset_detail(rs, "runbook_url", def->runbook);
    char *enc = http_escape(def->expr);
    rowset_detailf(rs, "generatorURL",
                   "http://prometheus.example.com:9090/graph?g0.expr=%s&g0.tab=1", enc);
    free(enc);
    demo_detail_time(rs, "startsAt", al->starts_at);
    if (al->silenced_until != 0) {
        rowset_detail(rs, "silencedBy", al->silence_id);
        demo_detail_time(rs, "silencedUntil", al->silenced_until);
    }
}

static void publish_alert(struct rowset *rs, const struct alert *al, const struct alert_def *def,
                          const char *source)
{
    const char *state = alert_state(al, def);
    rowset_begin(rs, al->fp);
    rowset_text(rs, ALERT_SEV, severity_names[def->sev]);
    rowset_cell_tone(rs, ALERT_SEV, severity_tones[def->sev]);
    rowset_text(rs, ALERT_NAME, def->name);
    rowset_text(rs, ALERT_STATE, state);
    if (al->resolved) {
        rowset_cell_tone(rs, ALERT_STATE, TONE_OK);
        rowset_row_tone(rs, TONE_OK);
    } else if (al->silenced_until != 0) {
        rowset_cell_tone(rs, ALERT_STATE, TONE_MUTED);
        rowset_row_tone(rs, TONE_MUTED);
    } else {
        rowset_row_tone(rs, severity_tones[def->sev]);
    }
    rowset_cell(rs, ALERT_AGE, "", (double)al->starts_at);
    rowset_text(rs, ALERT_TARGET, def->target);
    rowset_text(rs, ALERT_SUMMARY, def->summary);
    rowset_text(rs, ALERT_SOURCE, source);
    alert_details(rs, al, def);
}

/*
 * `alerts = N` (--demo-alerts N): an alert storm of N more firing alerts
 * (a bad deploy on a fleet): 50 alert names over N hosts, mostly warning,
 * some critical and info, each derived from its number and the seed, so
 * they cost nothing to keep. They started over the ten minutes before the
 * demo did, a tenth of them in its last minute; they stay firing (no
 * actions: silencing one says there is no such alert).
 */
static void publish_storm(struct rowset *rs, const struct demo *d, const char *source)
{
    static const char *const areas[] = {"Edge", "Api", "Db", "Cache", "Queue"};
    static const char *const what[] = {
        "HighLatency",   "HighErrorRate",   "TargetDown",     "DiskFillingUp", "MemoryPressure",
        "CPUThrottling", "PodCrashLooping", "ReplicationLag", "CertExpiring",  "PacketLoss"};
    for (size_t i = 0; i < d->nstorm; i++) {
        char num[24], name[40], fp[24], target[40];
        snprintf(num, sizeof num, "%zu", i);
        uint64_t h = fnv1a(fnv1a(FNV1A_OFFSET, "storm") ^ d->seed, num);
        size_t which = (size_t)(h % 50);
        unsigned roll = (unsigned)((h >> 8) % 20);
        int sev = roll == 0 ? 0 : roll < 3 ? 2 : 1; /* 5 % critical, 10 % info, the rest warning */
        snprintf(name, sizeof name, "%s%s", areas[which / 10], what[which % 10]);
        snprintf(fp, sizeof fp, "5707%012zx", i);
        snprintf(target, sizeof target, "host-%05zu:9100", i);
        int64_t starts =
            d->t0 - (i % 10 == 0 ? (int64_t)(h >> 16) % 50 : 60 + (int64_t)(h >> 16) % 540);
        rowset_begin(rs, fp);
        rowset_text(rs, ALERT_SEV, severity_names[sev]);
        rowset_cell_tone(rs, ALERT_SEV, severity_tones[sev]);
        rowset_text(rs, ALERT_NAME, name);
        rowset_text(rs, ALERT_STATE, "firing");
        rowset_row_tone(rs, severity_tones[sev]);
        rowset_cell(rs, ALERT_AGE, "", (double)starts);
        rowset_text(rs, ALERT_TARGET, target);
        rowset_textf(rs, ALERT_SUMMARY, "%s on %s", name, target);
        rowset_text(rs, ALERT_SOURCE, source);
        rowset_detail(rs, "fingerprint", fp);
        rowset_detail(rs, "label.alertname", name);
        rowset_detail(rs, "label.instance", target);
        rowset_detail(rs, "label.severity", severity_names[sev]);
        demo_detail_time(rs, "startsAt", starts);
    }
}

void demo_alerts_publish(struct backend *b, const struct demo *d)
{
    struct rowset *rs = rowset_create(MODEL_ALERTS, b->name);
    for (int i = 0; i < NALERTS; i++) {
        if (alert_shown(&d->alerts[i])) {
            publish_alert(rs, &d->alerts[i], &demo_alert_defs[i], b->name);
        }
    }
    publish_storm(rs, d, b->name);
    backend_publish(b, rs);
}

static void publish_silence(struct rowset *rs, const struct demo *d, const struct silence *sl)
{
    const struct alert_def *def = &demo_alert_defs[sl->alert];
    char matchers[256], key[32];
    int n = snprintf(matchers, sizeof matchers, "alertname=\"%s\"", def->name);
    rowset_begin(rs, sl->id);
    rowset_detail(rs, "id", sl->id);
    rowset_detail(rs, "matcher.1", matchers);
    for (size_t l = 0; l < 4 && def->labels[l] != NULL; l++) {
        const char *eq = strchr(def->labels[l], '=');
        char one[128];
        snprintf(one, sizeof one, "%.*s=\"%s\"", (int)(eq - def->labels[l]), def->labels[l],
                 eq + 1);
        snprintf(key, sizeof key, "matcher.%zu", l + 2);
        rowset_detail(rs, key, one);
        if (n > 0 && (size_t)n < sizeof matchers) {
            n += snprintf(matchers + n, sizeof matchers - (size_t)n, ", %s", one);
        }
    }
    rowset_textf(rs, SILENCE_ID, "%.8s", sl->id);
    rowset_silence_state(rs, silence_state(d, sl), sl->starts, sl->ends, d->now);
    rowset_text(rs, SILENCE_MATCHERS, matchers);
    rowset_text(rs, SILENCE_BY, sl->by);
    rowset_text(rs, SILENCE_COMMENT, sl->comment);
    rowset_text(rs, SILENCE_SOURCE, rs->source);
    demo_detail_time(rs, "startsAt", sl->starts);
    demo_detail_time(rs, "endsAt", sl->ends);
    rowset_detail(rs, "createdBy", sl->by);
    rowset_detail(rs, "comment", sl->comment);
}

/* Active first, then expired; newest first within each, as Alertmanager's UI lists them. */
void demo_silences_publish(struct backend *b, const struct demo *d)
{
    struct rowset *rs = rowset_create(MODEL_SILENCES, b->name);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = d->nsilence; i-- > 0;) {
            const struct silence *sl = &d->silence[i];
            if ((sl->ends <= d->now) == (pass == 1)) {
                publish_silence(rs, d, sl);
            }
        }
    }
    rowset_end(rs);
    backend_publish(b, rs);
}

/* ---- actions ---- */

bool demo_alerts_silence(struct demo *d, const char *target, const char *input, char **msg)
{
    enum alert_id id;
    struct alert *al = alert_find(d, target, &id);
    int64_t secs;
    if (al == NULL) {
        *msg = xasprintf("no such alert: %s", target);
        return false;
    }
    if (input == NULL || !duration_parse(input, &secs) || secs <= 0) {
        *msg = xasprintf("bad duration '%s'", input != NULL ? input : "");
        return false;
    }
    char by[80];
    snprintf(by, sizeof by, "%s@%s", whoami_user(), whoami_host());
    const struct silence *sl = silence_add(d, id, d->now, secs, by, "silenced from opsdeck");
    *msg = xasprintf("silenced %s for %s (silence %s)", demo_alert_defs[id].name, input, sl->id);
    return true;
}

/* Expire a silence, by its id (silences view) or by the alert it mutes (alerts pane). */
bool demo_alerts_expire(struct demo *d, enum model_kind kind, const char *target, char **msg)
{
    struct silence *sl;
    if (kind == MODEL_SILENCES) {
        sl = silence_find(d, target);
        if (sl == NULL) {
            *msg = xasprintf("no such silence: %s", target);
            return false;
        }
    } else {
        enum alert_id id;
        struct alert *al = alert_find(d, target, &id);
        if (al == NULL) {
            *msg = xasprintf("no such alert: %s", target);
            return false;
        }
        sl = al->silenced_until != 0 ? silence_find(d, al->silence_id) : NULL;
        if (sl == NULL) {
            *msg = xasprintf("not silenced");
            return false;
        }
    }
    if (sl->ends <= d->now) {
        *msg = xasprintf("silence %s already expired", sl->id);
        return false;
    }
    sl->ends = d->now;
    struct alert *al = &d->alerts[sl->alert];
    if (strcmp(al->silence_id, sl->id) == 0) {
        al->silenced_until = 0;
    }
    *msg = xasprintf("silence %s expired", sl->id);
    return true;
}
