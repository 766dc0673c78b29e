/*
 * The NATS JetStream backend: GET /jsz?streams=true&consumers=true&config=true
 * on the monitoring port at every refresh; per account, a Queues row for each
 * stream and, under it, one for each of its consumers.
 *
 * A stream row says what the stream holds (MSGS, CONS = consumers) and how
 * fast it is written (IN/s, from last_seq between two polls); a consumer row
 * says what it still has to do: MSGS and READY are num_pending (not yet
 * delivered), UNACK is num_ack_pending, CONS the pull requests waiting, OUT/s
 * and ACK/s the progress of delivered.stream_seq and ack_floor.stream_seq.
 * TREND compares MSGS with the previous poll. Rates and trends need two polls:
 * the first shows them blank rather than a made-up zero.
 *
 * Numbers: the report carries uint64 values (sequences, and reserved_memory
 * of 18446744073709551615 for "unlimited"), which cJSON hands over as
 * doubles. They stay doubles here: converting an out-of-range double to an
 * integer type is undefined behaviour. Durations are nanoseconds.
 *
 * Parsing is defensive (DESIGN rule 6): missing fields are zero, as the
 * server omits zeros and empty lists; a field of the wrong type, a negative
 * counter or an infinite number fails the whole poll with a message naming
 * the field, and the pane keeps its last good rows. /jsz lists streams and
 * consumers in Go map order, which changes between polls: rows are sorted by
 * name so they do not jump. Read-only: there are no actions.
 */
#include "nats.h"
#include "../common/json.h"

#include "../common/clock.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../common/loop.h"
#include "doctor.h"
#include "http.h"
#include "http_poll.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char JSZ_PATH[] = "/jsz?streams=true&consumers=true&config=true";

/* ---- history: the counters of the previous poll ---- */

struct nats_sample {
    char *key;
    double in;      /* stream: state.last_seq */
    double out;     /* consumer: delivered.stream_seq */
    double ack;     /* consumer: ack_floor.stream_seq */
    double backlog; /* stream: messages; consumer: num_pending */
};

struct samples {
    struct nats_sample *v;
    size_t n, cap;
};

struct nats_history {
    struct samples last; /* sorted by key */
    uint64_t at_ms;
    bool valid;
};

static void samples_free(struct samples *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].key);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}

static struct nats_sample *samples_add(struct samples *s, const char *key)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
    }
    struct nats_sample *x = &s->v[s->n++];
    memset(x, 0, sizeof *x);
    x->key = xstrdup(key);
    return x;
}

static int sample_cmp(const void *a, const void *b)
{
    return strcmp(((const struct nats_sample *)a)->key, ((const struct nats_sample *)b)->key);
}

struct nats_history *nats_history_create(void)
{
    return xcalloc(1, sizeof(struct nats_history));
}

void nats_history_destroy(struct nats_history *h)
{
    if (h == NULL) {
        return;
    }
    samples_free(&h->last);
    free(h);
}

static const struct nats_sample *history_find(const struct nats_history *h, const char *key)
{
    if (h == NULL || !h->valid || h->last.n == 0) {
        return NULL;
    }
    struct nats_sample probe = {.key = (char *)key};
    return bsearch(&probe, h->last.v, h->last.n, sizeof probe, sample_cmp);
}

/* ---- formatting ---- */

/* The two largest units that are not zero: "1m30s", "2d3h", "1h". */
static void format_seconds(char *buf, size_t len, int64_t s)
{
    static const struct {
        int64_t size;
        const char *unit;
    } units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
    size_t i = 0;
    while (i + 1 < sizeof units / sizeof units[0] && s < units[i].size) {
        i++;
    }
    int64_t big = s / units[i].size, rest = s % units[i].size;
    if (i + 1 < sizeof units / sizeof units[0] && rest / units[i + 1].size > 0) {
        snprintf(buf, len, "%lld%s%lld%s", (long long)big, units[i].unit,
                 (long long)(rest / units[i + 1].size), units[i + 1].unit);
    } else {
        snprintf(buf, len, "%lld%s", (long long)big, units[i].unit);
    }
}

void nats_format_ns(char *buf, size_t len, double ns)
{
    double s = ns / 1e9;
    if (!(ns > 0)) {
        snprintf(buf, len, "0s");
    } else if (ns < 1e6) {
        snprintf(buf, len, "%.0fus", ns / 1e3);
    } else if (ns < 1e9) {
        snprintf(buf, len, "%.0fms", ns / 1e6);
    } else if (s < 10 && s != floor(s)) {
        snprintf(buf, len, "%.1fs", s);
    } else if (s < 100 * 365.25 * 86400) {
        /* well inside int64_t: the conversion is defined */
        format_seconds(buf, len, (int64_t)s);
    } else {
        snprintf(buf, len, "forever"); /* a century or more: a limit nobody will reach */
    }
}

static void format_bytes(char *buf, size_t len, double v)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    size_t u = 0;
    double x = v;
    while (x >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        x /= 1024;
        u++;
    }
    if (u == 0) {
        snprintf(buf, len, "%.0f B", v);
    } else {
        snprintf(buf, len, "%.1f %s (%.0f bytes)", x, units[u], v);
    }
}

/* ---- defensive JSON reading ---- */

struct ctx {
    char *cause;     /* the first error; NULL while all is well */
    char where[200]; /* "stream 'ORDERS': " for messages */
};

static void fail_field(struct ctx *c, const char *path, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail_field(struct ctx *c, const char *path, const char *name, const char *fmt, ...)
{
    if (c->cause != NULL) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *what = xvasprintf(fmt, ap);
    va_end(ap);
    c->cause = xasprintf("%s%s%s%s %s", c->where, path, path[0] != '\0' ? "." : "", name, what);
    free(what);
}

/* obj.name, or NULL when missing or null (both mean "not there"). */
static const cJSON *member(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
    return cJSON_IsNull(v) ? NULL : v;
}

/* A number; missing is 0. A counter must not be negative. */
static double get_num(struct ctx *c, const cJSON *obj, const char *path, const char *name,
                      bool counter)
{
    const cJSON *v = member(obj, name);
    if (v == NULL) {
        return 0;
    }
    if (!cJSON_IsNumber(v)) {
        fail_field(c, path, name, "is %s, not a number", json_type_name(v));
        return 0;
    }
    double d = v->valuedouble;
    if (!isfinite(d)) {
        fail_field(c, path, name, "is out of range");
        return 0;
    }
    if (counter && d < 0) {
        fail_field(c, path, name, "is negative (%.0f)", d);
        return 0;
    }
    return d;
}

static const char *get_str(struct ctx *c, const cJSON *obj, const char *path, const char *name)
{
    const cJSON *v = member(obj, name);
    if (v == NULL) {
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        fail_field(c, path, name, "is %s, not a string", json_type_name(v));
        return NULL;
    }
    return v->valuestring;
}

static bool get_bool(struct ctx *c, const cJSON *obj, const char *path, const char *name)
{
    const cJSON *v = member(obj, name);
    if (v == NULL) {
        return false;
    }
    if (!cJSON_IsBool(v)) {
        fail_field(c, path, name, "is %s, not true or false", json_type_name(v));
        return false;
    }
    return cJSON_IsTrue(v);
}

static const cJSON *get_obj(struct ctx *c, const cJSON *obj, const char *path, const char *name)
{
    const cJSON *v = member(obj, name);
    if (v != NULL && !cJSON_IsObject(v)) {
        fail_field(c, path, name, "is %s, not an object", json_type_name(v));
        return NULL;
    }
    return v;
}

static const cJSON *get_arr(struct ctx *c, const cJSON *obj, const char *path, const char *name)
{
    const cJSON *v = member(obj, name);
    if (v != NULL && !cJSON_IsArray(v)) {
        fail_field(c, path, name, "is %s, not an array", json_type_name(v));
        return NULL;
    }
    return v;
}

/* The entries of an array of objects, with their names, sorted by name. */
struct named {
    const char *name;
    const cJSON *json;
};

static int named_cmp(const void *a, const void *b)
{
    return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

/* fallback: a second member to name an entry by ("id" for accounts), or NULL. */
static struct named *collect(struct ctx *c, const cJSON *arr, const char *field,
                             const char *fallback, size_t *n)
{
    int count = cJSON_GetArraySize(arr);
    struct named *v = xcalloc(count > 0 ? (size_t)count : 1, sizeof *v);
    size_t k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        char path[64];
        snprintf(path, sizeof path, "%s[%zu]", field, k);
        if (!cJSON_IsObject(e)) {
            fail_field(c, "", path, "is %s, not an object", json_type_name(e));
            break;
        }
        const char *name = get_str(c, e, path, "name");
        if (name == NULL && fallback != NULL) {
            name = get_str(c, e, path, fallback);
        }
        if (name == NULL) {
            fail_field(c, path, "name", "is missing");
        }
        if (c->cause != NULL) {
            break;
        }
        v[k].name = name;
        v[k].json = e;
        k++;
    }
    qsort(v, k, sizeof *v, named_cmp);
    *n = k;
    return v;
}

/* ---- rows ---- */

struct build {
    struct ctx c;
    struct rowset *rs;
    const struct nats_history *old;
    struct samples next;
    struct model_keys keys;
    uint64_t now_ms;
    int64_t server_now; /* the report's own "now", s since the epoch; 0 unknown */
};

/* One part of a row key: '/' separates parts, so it and '%' are escaped. */
static char *key_part(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(n * 3 + 1);
    char *p = out;
    for (; *s != '\0'; s++) {
        if (*s == '/' || *s == '%') {
            p += sprintf(p, "%%%02X", (unsigned char)*s);
        } else {
            *p++ = *s;
        }
    }
    *p = '\0';
    return out;
}

static char *row_key(struct build *b, const char *account, const char *stream, const char *consumer)
{
    char *a = key_part(account), *s = key_part(stream);
    char *k;
    if (consumer != NULL) {
        char *cn = key_part(consumer);
        k = xasprintf("%s/%s/%s", a, s, cn);
        free(cn);
    } else {
        k = xasprintf("%s/%s", a, s);
    }
    free(a);
    free(s);
    /* the same name twice in one report (never from a sane server) */
    char *unique = model_keys_unique(&b->keys, k);
    free(k);
    return unique;
}

/* A per-second rate since the previous poll; blank when there is none or the counter went back. */
static void rate_cell(struct build *b, int col, bool had, double before, double now)
{
    if (!had || b->now_ms <= b->old->at_ms || now < before) {
        rowset_cell(b->rs, col, "", 0);
        return;
    }
    rowset_num(b->rs, col, (now - before) / ((double)(b->now_ms - b->old->at_ms) / 1000.0));
}

static const char *trend_word(bool had, double before, double now)
{
    if (!had) {
        return "";
    }
    return now > before ? "grow" : now < before ? "drain" : "flat";
}

/* A count or sequence: exact as long as a double holds it, which is to 2^53. */
static void detail_count(struct rowset *rs, const char *key, double v)
{
    rowset_detailf(rs, key, "%.0f", v);
}

/* A limit where -1 (or 0 with zero_unlimited) means none. */
static void detail_limit(struct rowset *rs, const char *key, double v, bool zero_unlimited)
{
    if (v < 0 || (zero_unlimited && v == 0)) {
        rowset_detail(rs, key, "unlimited");
    } else {
        detail_count(rs, key, v);
    }
}

static void detail_ns(struct rowset *rs, const char *key, double ns, const char *if_zero)
{
    char buf[32];
    if (ns > 0) {
        nats_format_ns(buf, sizeof buf, ns);
        rowset_detail(rs, key, buf);
    } else if (if_zero != NULL) {
        rowset_detail(rs, key, if_zero);
    }
}

/* An RFC 3339 time with how long before the report it was; Go's zero time is "never". */
static void detail_time(struct build *b, const char *key, const char *ts)
{
    int64_t t;
    if (ts == NULL || ts[0] == '\0') {
        return;
    }
    if (!clock_parse_rfc3339_s(ts, &t)) {
        rowset_detail(b->rs, key, ts);
    } else if (t <= 0) {
        rowset_detail(b->rs, key, "never");
    } else if (b->server_now > 0 && b->server_now >= t) {
        char age[24];
        duration_format2(age, sizeof age, b->server_now - t);
        rowset_detailf(b->rs, key, "%s (%s ago)", ts, age);
    } else {
        rowset_detail(b->rs, key, ts);
    }
}

static void add_stream(struct build *b, const char *account, const cJSON *st, const char *name)
{
    struct ctx *c = &b->c;
    const cJSON *state = get_obj(c, st, "", "state");
    const cJSON *cfg = get_obj(c, st, "", "config");
    double msgs = get_num(c, state, "state", "messages", true);
    double bytes = get_num(c, state, "state", "bytes", true);
    double first_seq = get_num(c, state, "state", "first_seq", true);
    double last_seq = get_num(c, state, "state", "last_seq", true);
    double ncons = get_num(c, state, "state", "consumer_count", true);
    double nsubj = get_num(c, state, "state", "num_subjects", true);
    double deleted = get_num(c, state, "state", "num_deleted", true);
    const char *first_ts = get_str(c, state, "state", "first_ts");
    const char *last_ts = get_str(c, state, "state", "last_ts");
    const cJSON *subjects = get_arr(c, cfg, "config", "subjects");
    const char *retention = get_str(c, cfg, "config", "retention");
    const char *storage = get_str(c, cfg, "config", "storage");
    const char *discard = get_str(c, cfg, "config", "discard");
    double replicas = get_num(c, cfg, "config", "num_replicas", false);
    double max_msgs = get_num(c, cfg, "config", "max_msgs", false);
    double max_bytes = get_num(c, cfg, "config", "max_bytes", false);
    double max_age = get_num(c, cfg, "config", "max_age", false);
    bool sealed = get_bool(c, cfg, "config", "sealed");
    const char *created = get_str(c, st, "", "created");
    const char *leader = get_str(c, get_obj(c, st, "", "cluster"), "cluster", "leader");
    char *subj = xstrdup("");
    const cJSON *s;
    cJSON_ArrayForEach(s, subjects)
    {
        if (!cJSON_IsString(s)) {
            fail_field(c, "config", "subjects", "holds %s, not a string", json_type_name(s));
            break;
        }
        char *t = xasprintf("%s%s%s", subj, subj[0] != '\0' ? ", " : "", s->valuestring);
        free(subj);
        subj = t;
    }
    if (c->cause != NULL) {
        free(subj);
        return;
    }

    char *key = row_key(b, account, name, NULL);
    const struct nats_sample *prev = history_find(b->old, key);
    struct nats_sample *now = samples_add(&b->next, key);
    now->in = last_seq;
    now->backlog = msgs;
    /* discard=new refuses publishes once a limit is reached: writers see errors */
    bool full = discard != NULL && strcmp(discard, "new") == 0 &&
                ((max_msgs > 0 && msgs >= max_msgs) || (max_bytes > 0 && bytes >= max_bytes));

    struct rowset *rs = b->rs;
    rowset_begin(rs, key);
    rowset_text(rs, QUEUE_NAME, name);
    rowset_text(rs, QUEUE_VHOST, account);
    rowset_text(rs, QUEUE_TYPE, "stream");
    rowset_text(rs, QUEUE_STATE,
                sealed      ? "sealed"
                : full      ? "full"
                : msgs == 0 ? "idle"
                            : "running");
    rowset_num(rs, QUEUE_MSGS, msgs);
    rowset_cell(rs, QUEUE_READY, "", 0);
    rowset_cell(rs, QUEUE_UNACK, "", 0);
    rowset_num(rs, QUEUE_CONSUMERS, ncons);
    rate_cell(b, QUEUE_IN, prev != NULL, prev ? prev->in : 0, last_seq);
    rowset_cell(rs, QUEUE_OUT, "", 0);
    rowset_cell(rs, QUEUE_ACK, "", 0);
    rowset_text(rs, QUEUE_TREND, trend_word(prev != NULL, prev ? prev->backlog : 0, msgs));
    rowset_text(rs, QUEUE_SOURCE, rs->source);
    if (full) {
        rowset_cell_tone(rs, QUEUE_STATE, TONE_CRIT);
        rowset_row_tone(rs, TONE_CRIT);
    } else if (sealed) {
        rowset_row_tone(rs, TONE_MUTED);
    }

    rowset_detail(rs, "kind", "JetStream stream");
    rowset_detail(rs, "account", account);
    char buf[64];
    format_bytes(buf, sizeof buf, bytes);
    rowset_detail(rs, "bytes", buf);
    detail_count(rs, "messages", msgs);
    detail_count(rs, "first seq", first_seq);
    detail_time(b, "first message", first_ts);
    detail_count(rs, "last seq", last_seq);
    detail_time(b, "last message", last_ts);
    if (deleted > 0) {
        detail_count(rs, "deleted", deleted);
    }
    rowset_detail_nonempty(rs, "subjects", subj);
    detail_count(rs, "distinct subjects", nsubj);
    detail_count(rs, "consumers", ncons);
    if (cfg != NULL) {
        rowset_detail_nonempty(rs, "retention", retention);
        rowset_detail_nonempty(rs, "storage", storage);
        detail_count(rs, "replicas", replicas);
        rowset_detail_nonempty(rs, "discard", discard);
        detail_limit(rs, "max msgs", max_msgs, false);
        if (max_bytes < 0 || max_bytes == 0) {
            rowset_detail(rs, "max bytes", "unlimited");
        } else {
            format_bytes(buf, sizeof buf, max_bytes);
            rowset_detail(rs, "max bytes", buf);
        }
        detail_ns(rs, "max age", max_age, "unlimited");
        rowset_detail(rs, "sealed", sealed ? "true" : "false");
    }
    detail_time(b, "created", created);
    rowset_detail_nonempty(rs, "leader", leader);
    rowset_end(rs);
    free(subj);
    free(key);
}

struct consumer {
    double pending, ack_pending, redelivered, waiting;
    double dseq_c, dseq_s, aseq_c, aseq_s;
    const char *delivered_at, *acked_at, *created;
    const char *durable, *ack_policy, *deliver_policy, *filter, *deliver_subject;
    double max_deliver, ack_wait, max_ack_pending;
    bool has_config;
};

static void read_consumer(struct ctx *c, const cJSON *co, struct consumer *x)
{
    const cJSON *dl = get_obj(c, co, "", "delivered");
    const cJSON *af = get_obj(c, co, "", "ack_floor");
    const cJSON *cfg = get_obj(c, co, "", "config");
    x->pending = get_num(c, co, "", "num_pending", true);
    x->ack_pending = get_num(c, co, "", "num_ack_pending", true);
    x->redelivered = get_num(c, co, "", "num_redelivered", true);
    x->waiting = get_num(c, co, "", "num_waiting", true);
    x->dseq_c = get_num(c, dl, "delivered", "consumer_seq", true);
    x->dseq_s = get_num(c, dl, "delivered", "stream_seq", true);
    x->delivered_at = get_str(c, dl, "delivered", "last_active");
    x->aseq_c = get_num(c, af, "ack_floor", "consumer_seq", true);
    x->aseq_s = get_num(c, af, "ack_floor", "stream_seq", true);
    x->acked_at = get_str(c, af, "ack_floor", "last_active");
    x->created = get_str(c, co, "", "created");
    x->has_config = cfg != NULL;
    x->durable = get_str(c, cfg, "config", "durable_name");
    x->ack_policy = get_str(c, cfg, "config", "ack_policy");
    x->deliver_policy = get_str(c, cfg, "config", "deliver_policy");
    x->filter = get_str(c, cfg, "config", "filter_subject");
    x->deliver_subject = get_str(c, cfg, "config", "deliver_subject");
    x->max_deliver = get_num(c, cfg, "config", "max_deliver", false);
    x->ack_wait = get_num(c, cfg, "config", "ack_wait", false);
    x->max_ack_pending = get_num(c, cfg, "config", "max_ack_pending", false);
}

static void consumer_details(struct build *b, const char *account, const char *stream,
                             const struct consumer *x)
{
    struct rowset *rs = b->rs;
    rowset_detail(rs, "kind", "JetStream consumer");
    rowset_detail(rs, "account", account);
    rowset_detail(rs, "stream", stream);
    detail_count(rs, "pending", x->pending);
    detail_count(rs, "ack pending", x->ack_pending);
    detail_count(rs, "redelivered", x->redelivered);
    detail_count(rs, "waiting pulls", x->waiting);
    rowset_detailf(rs, "delivered", "consumer seq %.0f, stream seq %.0f", x->dseq_c, x->dseq_s);
    rowset_detailf(rs, "ack floor", "consumer seq %.0f, stream seq %.0f", x->aseq_c, x->aseq_s);
    detail_time(b, "last delivered", x->delivered_at != NULL ? x->delivered_at : "");
    detail_time(b, "last ack", x->acked_at != NULL ? x->acked_at : "");
    if (x->has_config) {
        rowset_detail(rs, "durable", x->durable != NULL ? x->durable : "(ephemeral)");
        rowset_detail(rs, "mode", x->deliver_subject != NULL ? "push" : "pull");
        rowset_detail_nonempty(rs, "deliver subject", x->deliver_subject);
        rowset_detail_nonempty(rs, "ack policy", x->ack_policy);
        rowset_detail_nonempty(rs, "deliver policy", x->deliver_policy);
        rowset_detail(rs, "filter subject",
                      x->filter != NULL && x->filter[0] != '\0' ? x->filter : "(all)");
        detail_limit(rs, "max deliver", x->max_deliver, true);
        detail_ns(rs, "ack wait", x->ack_wait, "none");
        detail_limit(rs, "max ack pending", x->max_ack_pending, true);
    }
    detail_time(b, "created", x->created);
}

static void add_consumer(struct build *b, const char *account, const char *stream, const cJSON *co,
                         const char *name)
{
    struct consumer x = {0};
    read_consumer(&b->c, co, &x);
    if (b->c.cause != NULL) {
        return;
    }
    char *key = row_key(b, account, stream, name);
    const struct nats_sample *prev = history_find(b->old, key);
    struct nats_sample *now = samples_add(&b->next, key);
    now->out = x.dseq_s;
    now->ack = x.aseq_s;
    now->backlog = x.pending;
    bool growing = prev != NULL && x.pending > prev->backlog;
    /* at max_ack_pending the server stops delivering until acks come */
    bool stalled = x.max_ack_pending > 0 && x.ack_pending >= x.max_ack_pending;

    struct rowset *rs = b->rs;
    rowset_begin(rs, key);
    rowset_textf(rs, QUEUE_NAME, "%s > %s", stream, name);
    rowset_text(rs, QUEUE_VHOST, account);
    rowset_text(rs, QUEUE_TYPE, "consumer");
    const char *state = stalled                                ? "stalled"
                        : x.pending == 0 && x.ack_pending == 0 ? "idle"
                                                               : "running";
    rowset_text(rs, QUEUE_STATE, state);
    rowset_num(rs, QUEUE_MSGS, x.pending);
    rowset_num(rs, QUEUE_READY, x.pending);
    rowset_num(rs, QUEUE_UNACK, x.ack_pending);
    rowset_num(rs, QUEUE_CONSUMERS, x.waiting);
    rowset_cell(rs, QUEUE_IN, "", 0);
    rate_cell(b, QUEUE_OUT, prev != NULL, prev ? prev->out : 0, x.dseq_s);
    rate_cell(b, QUEUE_ACK, prev != NULL, prev ? prev->ack : 0, x.aseq_s);
    rowset_text(rs, QUEUE_TREND, trend_word(prev != NULL, prev ? prev->backlog : 0, x.pending));
    rowset_text(rs, QUEUE_SOURCE, rs->source);
    if (growing) {
        rowset_cell_tone(rs, QUEUE_NAME, TONE_WARN);
        rowset_cell_tone(rs, QUEUE_READY, TONE_WARN);
        rowset_cell_tone(rs, QUEUE_TREND, TONE_WARN);
    }
    if (stalled) {
        rowset_cell_tone(rs, QUEUE_STATE, TONE_CRIT);
        rowset_cell_tone(rs, QUEUE_UNACK, TONE_CRIT);
        rowset_row_tone(rs, TONE_CRIT);
    } else if (x.redelivered > 0 || growing) {
        rowset_row_tone(rs, TONE_WARN);
    }
    consumer_details(b, account, stream, &x);
    rowset_end(rs);
    free(key);
}

static void add_consumers(struct build *b, const char *account, const char *stream, const cJSON *st)
{
    const cJSON *list = get_arr(&b->c, st, "", "consumer_detail");
    size_t n = 0;
    struct named *cons = collect(&b->c, list, "consumer_detail", NULL, &n);
    for (size_t i = 0; i < n && b->c.cause == NULL; i++) {
        snprintf(b->c.where, sizeof b->c.where,
                 "account '%s', stream '%s', consumer '%s': ", account, stream, cons[i].name);
        add_consumer(b, account, stream, cons[i].json, cons[i].name);
    }
    free(cons);
}

static void add_account(struct build *b, const char *account, const cJSON *acc)
{
    snprintf(b->c.where, sizeof b->c.where, "account '%s': ", account);
    const cJSON *list = get_arr(&b->c, acc, "", "stream_detail");
    size_t n = 0;
    struct named *streams = collect(&b->c, list, "stream_detail", NULL, &n);
    for (size_t i = 0; i < n && b->c.cause == NULL; i++) {
        snprintf(b->c.where, sizeof b->c.where, "account '%s', stream '%s': ", account,
                 streams[i].name);
        add_stream(b, account, streams[i].json, streams[i].name);
        if (b->c.cause == NULL) {
            add_consumers(b, account, streams[i].name, streams[i].json);
        }
    }
    free(streams);
}

/* The account names the report has, for an error that says what to pick. */
static char *account_list(const struct named *accs, size_t n)
{
    char *s = xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *t = xasprintf("%s%s%s", s, i > 0 ? ", " : "", accs[i].name);
        free(s);
        s = t;
    }
    return s;
}

static void add_accounts(struct build *b, const cJSON *doc, const char *account)
{
    const cJSON *list = get_arr(&b->c, doc, "", "account_details");
    size_t n = 0;
    struct named *accs = collect(&b->c, list, "account_details", "id", &n);
    bool found = false;
    for (size_t i = 0; i < n && b->c.cause == NULL; i++) {
        const char *id = get_str(&b->c, accs[i].json, "", "id");
        if (account != NULL && strcmp(account, accs[i].name) != 0 &&
            (id == NULL || strcmp(account, id) != 0)) {
            continue;
        }
        found = true;
        add_account(b, accs[i].name, accs[i].json);
    }
    if (b->c.cause == NULL && account != NULL && !found) {
        char *names = account_list(accs, n);
        b->c.cause = xasprintf("no JetStream account '%s' on this server (it has: %s)", account,
                               n > 0 ? names : "none");
        free(names);
    }
    free(accs);
}

bool nats_parse_jsz(const char *body, size_t len, const char *account, struct nats_history *hist,
                    uint64_t now_ms, struct rowset *rs, char **cause)
{
    cJSON *doc = NULL;
    if (!json_parse(body, len, &doc, cause)) {
        return false;
    }
    struct build b = {.rs = rs, .old = hist, .now_ms = now_ms};
    if (!cJSON_IsObject(doc)) {
        b.c.cause = xasprintf("expected a JSON object, got %s", json_type_name(doc));
    } else if (get_str(&b.c, doc, "", "server_id") == NULL) {
        fail_field(&b.c, "", "server_id", "is missing: not a NATS /jsz report");
    } else if (get_bool(&b.c, doc, "", "disabled")) {
        fail_field(&b.c, "", "disabled", "is true: JetStream is off on this server (-js)");
    }
    if (b.c.cause == NULL) {
        int64_t t;
        if (clock_parse_rfc3339_s(get_str(&b.c, doc, "", "now"), &t) && t > 0) {
            b.server_now = t;
        }
        add_accounts(&b, doc, account);
    }
    model_keys_free(&b.keys);
    cJSON_Delete(doc);
    if (b.c.cause != NULL) {
        samples_free(&b.next);
        *cause = b.c.cause;
        return false;
    }
    rowset_end(rs);
    if (hist != NULL) {
        if (b.next.n > 0) { /* qsort's base must not be NULL, even for no elements */
            qsort(b.next.v, b.next.n, sizeof *b.next.v, sample_cmp);
        }
        samples_free(&hist->last);
        hist->last = b.next;
        hist->at_ms = now_ms;
        hist->valid = true;
    } else {
        samples_free(&b.next);
    }
    return true;
}

/* ---- the backend ---- */

struct nats {
    struct http_settings http;
    char *account;
    struct nats_history *hist;
    struct http_poll poll;
};

static void *nats_create(struct backend *b)
{
    struct nats *n = xcalloc(1, sizeof *n);
    http_settings_init(&n->http);
    http_poll_init(&n->poll, b, &n->http);
    n->hist = nats_history_create();
    return n;
}

static bool nats_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct nats *n = b->priv;
    int taken = http_settings_configure(&n->http, key, value, cause);
    if (taken != 0) {
        return taken > 0;
    }
    if (strcmp(key, "account") == 0) {
        if (value[0] == '\0') {
            *cause = xstrdup("account needs a name (e.g. $G, the default account)");
            return false;
        }
        free(n->account);
        n->account = xstrdup(value);
        return true;
    }
    *cause = xasprintf("unknown key '%s' for a nats backend", key);
    return false;
}

static bool nats_start(struct backend *b, char **cause)
{
    struct nats *n = b->priv;
    b->tls_unverified = n->http.insecure;
    return http_settings_finish(&n->http, b->timeout_ms, cause);
}

static void on_poll(const struct http_response *r, void *ud)
{
    struct backend *b = http_poll_received(ud);
    struct nats *n = b->priv;
    http_poll_end(&n->poll);
    if (!http_ok(r)) {
        char *why = http_describe_failure(r);
        backend_fail(b, "%s", why);
        free(why);
        return;
    }
    struct rowset *rs = rowset_create(MODEL_QUEUES, b->name);
    char *cause = NULL;
    uint64_t now = b->loop != NULL ? loop_now_ms(b->loop) : clock_mono_ms();
    if (!nats_parse_jsz(r->body, r->len, n->account, n->hist, now, rs, &cause)) {
        backend_fail(b, "bad response from /jsz: %s", cause);
        free(cause);
        rowset_destroy(rs);
        return;
    }
    backend_publish(b, rs);
}

static void nats_poll(struct backend *b)
{
    struct nats *n = b->priv;
    if (http_poll_begin(&n->poll)) {
        http_poll_send(&n->poll, JSZ_PATH, on_poll);
    }
}

/* ---- opsdeck doctor ----
 *
 * GET /varz (version, server name, JetStream's config: on or off), then GET
 * /jsz (streams, consumers, messages, API errors). nats-server's monitoring
 * port asks no credentials; a 401 or 403 is a proxy in front refusing ours.
 * The backend is read-only: there are no actions to check.
 */

struct nats_doc {
    struct doctor *d;
    struct nats *n;
};

static void doc_cancelled(void *ud)
{
    free(ud);
}

static void doc_end(struct nats_doc *x)
{
    struct doctor *d = x->d;
    free(x);
    doctor_end(d); /* drops doc_cancelled unrun */
}

static double doc_num(const cJSON *o, const char *name)
{
    const cJSON *v = member(o, name);
    return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : -1;
}

static void on_doc_jsz(struct doctor *d, const struct http_response *r, void *ud)
{
    struct nats_doc *x = ud;
    cJSON *doc = NULL;
    char *cause = NULL;
    if (!http_ok(r)) {
        char *why = http_describe_failure(r);
        doctor_say(d, DOCTOR_FAIL, "/jsz: %s", why);
        free(why);
    } else if (!json_parse(r->body, r->len, &doc, &cause) || !cJSON_IsObject(doc)) {
        doctor_say(d, DOCTOR_FAIL, "/jsz: not a JSON object (%s)",
                   cause != NULL ? cause : "another type");
    } else {
        const cJSON *api = member(doc, "api");
        doctor_say(d, DOCTOR_OK,
                   "JetStream: %.0f streams, %.0f consumers, %.0f messages, %.0f accounts; API "
                   "%.0f errors in %.0f requests",
                   doc_num(doc, "streams"), doc_num(doc, "consumers"), doc_num(doc, "messages"),
                   doc_num(doc, "accounts"), doc_num(api, "errors"), doc_num(api, "total"));
    }
    free(cause);
    cJSON_Delete(doc);
    doctor_say(d, DOCTOR_INFO, "actions: none (the nats backend is read-only)");
    doc_end(x);
}

static void on_doc_varz(struct doctor *d, const struct http_response *r, void *ud)
{
    struct nats_doc *x = ud;
    if (!http_ok(r)) {
        char *why = http_describe_failure(r);
        bool poll_said = doctor_backend(d)->health == BACKEND_ERROR;
        if (poll_said && (r->error != NULL || (r->status != 401 && r->status != 403))) {
            /* the first poll failed just so and said it: nothing to add */
        } else if (r->error != NULL) {
            doctor_say(d, DOCTOR_FAIL, "monitoring port unreachable: %s", why);
        } else if (r->status == 401 || r->status == 403) {
            const char *words = doctor_server_words(why);
            doctor_say(d, DOCTOR_FAIL, "authentication failed (HTTP %ld%s%s%s): %s", r->status,
                       words != NULL ? ", '" : "", words != NULL ? words : "",
                       words != NULL ? "'" : "",
                       x->n->http.auth == HTTP_AUTH_NONE
                           ? "auth = none sent no credentials, and something in front of the "
                             "monitoring port asks for some"
                           : "the credentials were refused (by a proxy: nats-server's monitoring "
                             "port asks none)");
        } else {
            doctor_say(d, DOCTOR_FAIL, "/varz: %s", why);
        }
        free(why);
        doc_end(x);
        return;
    }
    cJSON *doc = NULL;
    char *cause = NULL;
    if (!json_parse(r->body, r->len, &doc, &cause) || !cJSON_IsObject(doc) ||
        json_str(doc, "version") == NULL) {
        doctor_say(d, DOCTOR_FAIL, "/varz: not nats-server's answer (%s)",
                   cause != NULL ? cause : "no version");
        free(cause);
        cJSON_Delete(doc);
        doc_end(x);
        return;
    }
    char *ver = text_clean_str(json_str(doc, "version"), 0);
    const char *id = json_str(doc, "server_id"), *name = json_str(doc, "server_name");
    char *server = text_clean_str(name != NULL ? name : id != NULL ? id : "?", 0);
    const char *go = json_str(doc, "go");
    char *gov = go != NULL ? text_clean_str(go, 0) : NULL;
    doctor_say(d, DOCTOR_OK, "NATS %s%s%s%s, server %s", ver, gov != NULL ? " (" : "",
               gov != NULL ? gov : "", gov != NULL ? ")" : "", server);
    free(ver);
    free(server);
    free(gov);
    doctor_say(d, DOCTOR_INFO, "authentication: %s",
               x->n->http.auth == HTTP_AUTH_NONE
                   ? "none asked (nats-server's monitoring port has none)"
                   : "credentials accepted (nats-server asks none: a proxy in front may)");
    const cJSON *cfg = member(member(doc, "jetstream"), "config");
    bool on = cJSON_IsObject(cfg);
    if (on) {
        const char *dir = json_str(cfg, "store_dir");
        char *sd = dir != NULL ? text_clean_str(dir, 0) : NULL;
        char mem[64], disk[64];
        format_bytes(mem, sizeof mem, doc_num(cfg, "max_memory"));
        format_bytes(disk, sizeof disk, doc_num(cfg, "max_storage"));
        /* "17.7 GiB", without the bytes */
        for (char *t = mem; t != NULL; t = t == mem ? disk : NULL) {
            t[strcspn(t, "(")] = '\0';
            for (size_t k = strlen(t); k > 0 && t[k - 1] == ' '; k--) {
                t[k - 1] = '\0';
            }
        }
        doctor_say(d, DOCTOR_OK, "JetStream on (memory up to %s, storage up to %s%s%s)", mem, disk,
                   sd != NULL ? " in " : "", sd != NULL ? sd : "");
        free(sd);
    } else {
        doctor_say(d, DOCTOR_FAIL,
                   "JetStream is off on this server (-js or a jetstream block turns it on): "
                   "the backend shows JetStream streams only");
    }
    cJSON_Delete(doc);
    if (!on) {
        doctor_say(d, DOCTOR_INFO, "actions: none (the nats backend is read-only)");
        doc_end(x);
        return;
    }
    doctor_http(d, &x->n->http, "GET", "/jsz", NULL, NULL, on_doc_jsz, x);
}

static void nats_doctor(struct backend *b, struct doctor *d)
{
    struct nats_doc *x = xcalloc(1, sizeof *x);
    x->d = d;
    x->n = b->priv;
    doctor_on_cancel(d, doc_cancelled, x); /* else doc_end frees x */
    doctor_http(d, &x->n->http, "GET", "/varz", NULL, NULL, on_doc_varz, x);
}

static void nats_destroy(struct backend *b)
{
    struct nats *n = b->priv;
    if (n == NULL) {
        return;
    }
    http_poll_finish(&n->poll);
    http_settings_free(&n->http);
    nats_history_destroy(n->hist);
    free(n->account);
    free(n);
    b->priv = NULL;
}

const struct backend_impl nats_backend = {
    .type = "nats",
    .description = "NATS JetStream (monitoring /jsz): streams and consumers, read-only",
    .kinds = 1u << MODEL_QUEUES,
    .actions = NULL,
    .nactions = 0,
    .create = nats_create,
    .configure = nats_configure,
    .start = nats_start,
    .poll = nats_poll,
    .act = NULL,
    .doctor = nats_doctor,
    .destroy = nats_destroy,
};
