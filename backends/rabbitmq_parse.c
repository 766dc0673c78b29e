/*
 * What RabbitMQ's management API lists, read (rabbitmq.h): the queues with
 * their dead-letter queues resolved through the bindings and their consumers
 * attached, and the memory one poll leaves for the next.
 *
 * Dead letters: a queue names its dead-letter exchange in its arguments
 * (x-dead-letter-exchange, x-dead-letter-routing-key) or through a policy
 * (effective_policy_definition: dead-letter-exchange, dead-letter-routing-key);
 * arguments win, as in RabbitMQ. The exchange is resolved to a queue through
 * the bindings (or, for the default exchange, the routing key names the
 * queue), and the detail says how. The DLQ column links both ways.
 *
 * TREND compares a queue's messages with the previous poll; on the first poll
 * RabbitMQ's own messages_details.rate stands in. The counts are kept in a
 * sorted array (struct rabbitmq_memory) replaced whole by each parse.
 */
#include "rabbitmq.h"

#include "../common/json.h"
#include "../common/jsonstream.h"
#include "../common/util.h"
#include "http.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    SOURCES_SHOWN_MAX = 1,    /* source names in a DLQ's cell before "+N" */
    CONSUMERS_SHOWN = 20,     /* consumer lines in one queue's detail before "+N more" */
    CONSUMER_FIELD_MAX = 200, /* bytes of a consumer tag or channel name shown */
};

/*
 * Every field this file reads, per list (rabbitmq.h): keep each list next to
 * the reads. Queues: read_numbers, read_dead_letter, head_details and
 * rabbitmq_reader_queue; bindings: index_bindings; consumers:
 * index_consumers and consumer_text.
 */
const char RABBITMQ_QUEUE_COLUMNS[] =
    "name,vhost,type,state,messages,messages_ready,messages_unacknowledged,consumers,"
    "message_stats.publish_details.rate,message_stats.deliver_get_details.rate,"
    "message_stats.ack_details.rate,messages_details.rate,arguments,"
    "effective_policy_definition,node,leader,memory,idle_since,durable,policy,operator_policy";
const char RABBITMQ_BINDING_COLUMNS[] = "source,vhost,destination,destination_type,routing_key";
const char RABBITMQ_CONSUMER_COLUMNS[] =
    "queue.name,queue.vhost,consumer_tag,channel_details.name,channel_details.user,"
    "prefetch_count,ack_required,active,activity_status,exclusive";

/* ---- JSON helpers ---- */

/*
 * obj[name] as a count or rate: absent or null is 0 (idle queues have no
 * message_stats); another type, a negative or an infinite number is an error.
 */
static bool json_count(const cJSON *obj, const char *name, double *out, char **why)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = 0;
    if (v == NULL || cJSON_IsNull(v)) {
        return true;
    }
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0) {
        *why = xasprintf("%s is not a count", name);
        return false;
    }
    *out = v->valuedouble;
    return true;
}

/* obj[name].rate, e.g. message_stats.publish_details.rate. */
static bool json_rate(const cJSON *stats, const char *name, double *out, char **why)
{
    return json_count(json_obj(stats, name), "rate", out, why);
}

/* messages_details.rate: the change of messages per second, signed; 0 when unknown. */
static bool read_rate(const cJSON *q, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(json_obj(q, "messages_details"), "rate");
    *out = cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : 0;
    return true;
}

/* ---- keys ---- */

/* Percent-decode n bytes; false on a bad escape or an encoded NUL. */
static bool unescape(const char *s, size_t n, char **out)
{
    char *o = xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            o[k++] = s[i];
            continue;
        }
        int hi = i + 2 < n ? str_hex_value(s[i + 1]) : -1;
        int lo = i + 2 < n ? str_hex_value(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            free(o);
            return false;
        }
        o[k++] = (char)(hi * 16 + lo);
        i += 2;
    }
    o[k] = '\0';
    *out = o;
    return true;
}

bool rabbitmq_split_key(const char *key, char **vhost, char **name)
{
    const char *slash = key != NULL ? strchr(key, '/') : NULL;
    if (slash == NULL || slash == key || slash[1] == '\0') {
        return false;
    }
    if (!unescape(key, (size_t)(slash - key), vhost)) {
        return false;
    }
    *name = xstrdup(slash + 1);
    return true;
}

char *rabbitmq_key(const char *vhost, const char *name)
{
    char *esc = http_escape(vhost);
    char *key = xasprintf("%s/%s", esc, name);
    free(esc);
    return key;
}

/* ---- memory between polls ---- */

struct count_entry {
    char *key;
    double msgs;
    char *dlq;     /* the queue's dead-letter queue name, or NULL */
    char *sources; /* for a DLQ: the queues dead-lettering into it, or NULL */
};

struct rabbitmq_memory {
    struct count_entry *e; /* sorted by key */
    size_t n;
    bool moved; /* a queue's messages differed from the poll before */
};

struct rabbitmq_memory *rabbitmq_memory_create(void)
{
    return xcalloc(1, sizeof(struct rabbitmq_memory));
}

static void memory_clear(struct rabbitmq_memory *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->e[i].key);
        free(m->e[i].dlq);
        free(m->e[i].sources);
    }
    free(m->e);
    m->e = NULL;
    m->n = 0;
}

void rabbitmq_memory_destroy(struct rabbitmq_memory *m)
{
    if (m == NULL) {
        return;
    }
    memory_clear(m);
    free(m);
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct count_entry *)a)->key, ((const struct count_entry *)b)->key);
}

static const struct count_entry *memory_find(const struct rabbitmq_memory *m, const char *key)
{
    if (m == NULL || m->n == 0) {
        return NULL;
    }
    struct count_entry probe = {.key = (char *)key};
    return bsearch(&probe, m->e, m->n, sizeof *m->e, cmp_entry);
}

char *rabbitmq_memory_sources(const struct rabbitmq_memory *m, const char *dlq)
{
    const struct count_entry *e = memory_find(m, dlq);
    return e != NULL && e->sources != NULL ? xstrdup(e->sources) : NULL;
}

const char *rabbitmq_memory_dlq(const struct rabbitmq_memory *m, const char *key)
{
    const struct count_entry *e = memory_find(m, key);
    return e != NULL ? e->dlq : NULL;
}

bool rabbitmq_memory_moved(const struct rabbitmq_memory *m)
{
    return m != NULL && m->moved;
}

/* ---- the queues response ---- */

/*
 * One queue of the response, kept once its element is freed (the list is
 * read an element at a time: common/jsonstream.h): what its row needs, with
 * the detail lines that do not depend on the other queues already made.
 * Detail lines are "key\0value\0" pairs.
 */
struct qinfo {
    char *vhost, *name, *key;
    char *type, *state;  /* NULL when absent */
    char *dlx, *dlrk;    /* dead-letter exchange and routing key, NULL when none */
    const char *dl_from; /* "arguments" or "policy" */
    long dlq;            /* index of the resolved DLQ, -1 when none */
    char *how;           /* how it was resolved, or why not */
    struct strbuf src;   /* for a DLQ: the names of its sources, ", " between (src.s) */
    size_t nsources;
    struct strbuf head; /* vhost .. effective_policy.* */
    struct strbuf tail; /* its consumers, or why they are not known */
    double msgs, ready, unack, consumers, in, out, ack, rate;
};

/* A consumer of /api/consumers with the queue it consumes from, in the answer's order. */
struct cref {
    const char *vhost, *name;
    const cJSON *c;
    size_t pos;
};

struct rabbitmq_reader {
    struct qinfo *qs;
    size_t n, cap;
    struct model_keys keys;
    cJSON *bdoc, *cdoc;
    const cJSON *bindings; /* array, or NULL when not read */
    struct bref *binds;    /* its bindings to queues, sorted (index_bindings) */
    size_t nbinds;
    char *cons_why;    /* why the consumers were not read, or NULL */
    struct cref *cons; /* sorted by queue (vhost, name), then answer order */
    size_t ncons;
    size_t objects; /* queue objects seen (for "queue N has no name") */
    bool resolved;  /* the dead letters resolved (rabbitmq_reader_rows_some) */
    size_t made;    /* rows made so far */
    bool moved;     /* a row's TREND compared different counts */
};

static void pair_add(struct strbuf *sb, const char *key, const char *value)
{
    strbuf_add(sb, key, strlen(key) + 1);
    strbuf_add(sb, value, strlen(value) + 1);
}

static void pair_add_nonempty(struct strbuf *sb, const char *key, const char *value)
{
    if (value != NULL && value[0] != '\0') {
        pair_add(sb, key, value);
    }
}

static void pairs_detail(struct rowset *rs, const struct strbuf *sb)
{
    for (size_t i = 0; i < sb->n;) {
        const char *k = sb->s + i;
        const char *v = k + strlen(k) + 1;
        rowset_detail(rs, k, v);
        i = (size_t)(v + strlen(v) + 1 - sb->s);
    }
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? xstrdup(s) : NULL;
}

/* The queues by (vhost, name), then position: for the dead-letter lookups. */
struct qref {
    const struct qinfo *q;
    size_t i;
};

struct qindex {
    struct qref *ix;
    size_t n;
};

static int cmp_qref(const void *a, const void *b)
{
    const struct qref *x = a, *y = b;
    int c = strcmp(x->q->vhost, y->q->vhost);
    if (c == 0) {
        c = strcmp(x->q->name, y->q->name);
    }
    return c != 0 ? c : (x->i > y->i) - (x->i < y->i);
}

static void qindex_build(struct qindex *x, const struct qinfo *qs, size_t n)
{
    x->n = n;
    x->ix = xcalloc(n + 1, sizeof *x->ix);
    for (size_t i = 0; i < n; i++) {
        x->ix[i] = (struct qref){&qs[i], i};
    }
    qsort(x->ix, n, sizeof *x->ix, cmp_qref);
}

/* The first listed queue named name in vhost (as a linear search finds it), or -1. */
static long qindex_find(const struct qindex *x, const char *vhost, const char *name)
{
    if (vhost == NULL || name == NULL) {
        return -1;
    }
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct qinfo *q = x->ix[mid].q;
        int c = strcmp(q->vhost, vhost);
        if (c == 0) {
            c = strcmp(q->name, name);
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < x->n) {
        const struct qinfo *q = x->ix[lo].q;
        if (strcmp(q->vhost, vhost) == 0 && strcmp(q->name, name) == 0) {
            return (long)x->ix[lo].i;
        }
    }
    return -1;
}

/* The numbers of one queue; false with *why (naming the field) on a wrong type. */
static bool read_numbers(struct qinfo *qi, const cJSON *q, char **why)
{
    const cJSON *stats = json_obj(q, "message_stats");
    return json_count(q, "messages", &qi->msgs, why) &&
           json_count(q, "messages_ready", &qi->ready, why) &&
           json_count(q, "messages_unacknowledged", &qi->unack, why) &&
           json_count(q, "consumers", &qi->consumers, why) &&
           json_rate(stats, "publish_details", &qi->in, why) &&
           json_rate(stats, "deliver_get_details", &qi->out, why) &&
           json_rate(stats, "ack_details", &qi->ack, why) && read_rate(q, &qi->rate);
}

/* Where the dead letters go: arguments first, then the effective policy. */
static void read_dead_letter(struct qinfo *qi, const cJSON *q)
{
    const cJSON *args = json_obj(q, "arguments");
    const cJSON *pol = json_obj(q, "effective_policy_definition");
    const char *dlx = json_str(args, "x-dead-letter-exchange");
    if (dlx != NULL) {
        qi->dl_from = "arguments";
    } else {
        dlx = json_str(pol, "dead-letter-exchange");
        qi->dl_from = dlx != NULL ? "policy" : NULL;
    }
    if (dlx == NULL) {
        return;
    }
    const char *dlrk = json_str(args, "x-dead-letter-routing-key");
    if (dlrk == NULL) {
        dlrk = json_str(pol, "dead-letter-routing-key");
    }
    qi->dlx = xstrdup(dlx);
    qi->dlrk = dup_or_null(dlrk);
}

/*
 * The bindings to queues, sorted by vhost, source exchange, routing key and
 * then their place in the answer: a dead-letter exchange is resolved by a
 * binary search, not a walk through every binding for every queue.
 */
struct bref {
    const char *vhost, *source, *key, *dest;
    size_t pos;
};

static int cmp_bref_fields(const struct bref *x, const struct bref *y, int fields)
{
    int c = strcmp(x->vhost, y->vhost);
    if (c == 0) {
        c = strcmp(x->source, y->source);
    }
    if (c == 0 && fields > 2) {
        c = strcmp(x->key, y->key);
    }
    return c;
}

static int cmp_bref(const void *a, const void *b)
{
    const struct bref *x = a, *y = b;
    int c = cmp_bref_fields(x, y, 3);
    return c != 0 ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* A binding without a routing key (marked in its pos) matches no key, only "any". */
static const size_t KEYLESS = (size_t)1 << (sizeof(size_t) * 8 - 1);

static void index_bindings(struct rabbitmq_reader *p)
{
    p->binds = xcalloc((size_t)cJSON_GetArraySize(p->bindings) + 1, sizeof *p->binds);
    const cJSON *b;
    size_t pos = 0;
    cJSON_ArrayForEach(b, p->bindings)
    {
        const char *src = json_str(b, "source"), *vh = json_str(b, "vhost");
        const char *type = json_str(b, "destination_type"), *dest = json_str(b, "destination");
        const char *key = json_str(b, "routing_key");
        if (src != NULL && vh != NULL && type != NULL && dest != NULL &&
            strcmp(type, "queue") == 0) {
            p->binds[p->nbinds++] = (struct bref){vh, src, key != NULL ? key : "", dest,
                                                  key != NULL ? pos : pos | KEYLESS};
        }
        pos++;
    }
    qsort(p->binds, p->nbinds, sizeof *p->binds, cmp_bref);
}

/* The first index whose (vhost, source[, key]) is not below probe's. */
static size_t bind_lower(const struct rabbitmq_reader *p, const struct bref *probe, int fields)
{
    size_t lo = 0, hi = p->nbinds;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_bref_fields(&p->binds[mid], probe, fields) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* The first binding (in answer order) of exchange dlx in vhost to a queue with routing key rk. */
static const struct bref *find_binding(const struct rabbitmq_reader *p, const char *vhost,
                                       const char *dlx, const char *rk)
{
    struct bref probe = {.vhost = vhost, .source = dlx, .key = rk};
    size_t i = bind_lower(p, &probe, 3);
    /* equal keys are in answer order; keyless ones (marked) come last and never match */
    if (i < p->nbinds && cmp_bref_fields(&p->binds[i], &probe, 3) == 0 &&
        (p->binds[i].pos & KEYLESS) == 0) {
        return &p->binds[i];
    }
    return NULL;
}

/* Any binding of dlx in vhost to a queue: the first in answer order, and how many there are. */
static const struct bref *first_binding(const struct rabbitmq_reader *p, const char *vhost,
                                        const char *dlx, size_t *n)
{
    struct bref probe = {.vhost = vhost, .source = dlx};
    const struct bref *best = NULL;
    *n = 0;
    for (size_t i = bind_lower(p, &probe, 2);
         i < p->nbinds && cmp_bref_fields(&p->binds[i], &probe, 2) == 0; i++) {
        size_t pos = p->binds[i].pos & ~KEYLESS;
        if (best == NULL || pos < (best->pos & ~KEYLESS)) {
            best = &p->binds[i];
        }
        (*n)++;
    }
    return best;
}

static void resolve_through_bindings(const struct rabbitmq_reader *p, const struct qindex *x,
                                     struct qinfo *qi)
{
    const struct bref *b = NULL;
    const char *rk = qi->dlrk;
    if (rk != NULL) {
        b = find_binding(p, qi->vhost, qi->dlx, rk);
        if (b != NULL) {
            qi->how = xasprintf("binding of %s with routing key '%s'", qi->dlx, rk);
        }
    } else {
        /* without a dead-letter routing key, messages keep the key they were published with */
        size_t n = 0;
        b = find_binding(p, qi->vhost, qi->dlx, qi->name);
        if (b != NULL) {
            qi->how = xasprintf("binding of %s with the queue's own name as routing key", qi->dlx);
        } else if ((b = first_binding(p, qi->vhost, qi->dlx, &n)) != NULL) {
            qi->how = n == 1 ? xasprintf("the only queue bound to %s", qi->dlx)
                             : xasprintf("the first of %zu queues bound to %s", n, qi->dlx);
        }
    }
    if (b != NULL) {
        qi->dlq = qindex_find(x, qi->vhost, b->dest);
        if (qi->dlq < 0) {
            free(qi->how);
            qi->how = xasprintf("bound queue %s is not listed", b->dest);
        }
        return;
    }
    qi->how = rk != NULL ? xasprintf("no queue bound to %s with routing key '%s'", qi->dlx, rk)
                         : xasprintf("no queue bound to %s", qi->dlx);
}

static void resolve_dlq(const struct rabbitmq_reader *p, const struct qindex *x, struct qinfo *qi)
{
    qi->dlq = -1;
    if (qi->dlx == NULL) {
        return;
    }
    if (qi->dlx[0] == '\0') {
        /* the default exchange routes by queue name */
        const char *target = qi->dlrk != NULL ? qi->dlrk : qi->name;
        qi->dlq = qindex_find(x, qi->vhost, target);
        qi->how = qi->dlq >= 0 ? xasprintf("default exchange, routing key '%s'", target)
                               : xasprintf("default exchange: no queue named '%s'", target);
        if (qi->dlrk == NULL && qi->dlq >= 0) {
            /* dead letters would come straight back: not a DLQ */
            qi->dlq = -1;
            free(qi->how);
            qi->how = xstrdup("default exchange without a routing key: back to itself");
        }
        return;
    }
    if (p->bindings == NULL) {
        qi->how = xasprintf("bindings not read: cannot resolve exchange %s", qi->dlx);
        return;
    }
    resolve_through_bindings(p, x, qi);
}

static void add_source(struct qinfo *dlq, const char *name)
{
    /* appended, not copied whole each time: a DLQ may have thousands of sources */
    if (dlq->nsources > 0) {
        strbuf_add(&dlq->src, ", ", 2);
    }
    strbuf_str(&dlq->src, name);
    dlq->nsources++;
}

static const char *trend_word(double now, double before)
{
    return now > before ? "grow" : now < before ? "drain" : "flat";
}

/* One "prefix.name" line per member, JSON values as JSON. */
static void detail_members(struct strbuf *sb, const char *prefix, const cJSON *obj)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, obj)
    {
        if (m->string == NULL) {
            continue;
        }
        char *k = xasprintf("%s.%s", prefix, m->string);
        char *v = rabbitmq_json_text(m);
        pair_add(sb, k, v);
        free(v);
        free(k);
    }
}

/* A name from the server, cut to CONSUMER_FIELD_MAX bytes on a UTF-8 boundary, cleaned. */
static void sb_field(struct strbuf *sb, const char *s)
{
    size_t n = strlen(s);
    if (n > CONSUMER_FIELD_MAX) {
        n = CONSUMER_FIELD_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
            n--;
        }
    }
    rabbitmq_text_add(sb, s, n);
}

/*
 * One consumer as one line: "billing-1 on 127.0.0.1:44146 -> 127.0.0.1:5672 (1),
 * user guest, prefetch 3, ack required, active". Missing fields (or of another
 * type) are left out. Caller frees.
 */
static char *consumer_text(const cJSON *c)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    const char *tag = json_str(c, "consumer_tag");
    const cJSON *ch = json_obj(c, "channel_details");
    const char *chan = json_str(ch, "name"), *user = json_str(ch, "user");
    if (tag != NULL) {
        sb_field(&sb, tag);
    }
    if (chan != NULL) {
        strbuf_add(&sb, tag != NULL ? " on " : "on ", tag != NULL ? 4 : 3);
        sb_field(&sb, chan);
    }
    const char *sep = sb.n > 0 ? ", " : "";
    if (user != NULL) {
        strbuf_printf(&sb, "%suser ", sep);
        sb_field(&sb, user);
        sep = ", ";
    }
    const cJSON *prefetch = cJSON_GetObjectItemCaseSensitive(c, "prefetch_count");
    if (cJSON_IsNumber(prefetch) && isfinite(prefetch->valuedouble) && prefetch->valuedouble >= 0) {
        /* 0 is no limit in AMQP 0-9-1 */
        if (prefetch->valuedouble == 0) {
            strbuf_printf(&sb, "%sprefetch unlimited", sep);
        } else {
            strbuf_printf(&sb, "%sprefetch %.0f", sep, prefetch->valuedouble);
        }
        sep = ", ";
    }
    const cJSON *ack = cJSON_GetObjectItemCaseSensitive(c, "ack_required");
    if (cJSON_IsBool(ack)) {
        strbuf_printf(&sb, "%s%s", sep, cJSON_IsTrue(ack) ? "ack required" : "auto-ack");
        sep = ", ";
    }
    const cJSON *active = cJSON_GetObjectItemCaseSensitive(c, "active");
    const char *status = json_str(c, "activity_status");
    if (cJSON_IsBool(active)) {
        strbuf_printf(&sb, "%s%s", sep, cJSON_IsTrue(active) ? "active" : "inactive");
        sep = ", ";
    }
    /* "up" is the usual; single_active and waiting say more than active does */
    if (status != NULL && status[0] != '\0' && strcmp(status, "up") != 0) {
        strbuf_add(&sb, cJSON_IsBool(active) ? " (" : sep, cJSON_IsBool(active) ? 2 : strlen(sep));
        sb_field(&sb, status);
        if (cJSON_IsBool(active)) {
            strbuf_add(&sb, ")", 1);
        }
        sep = ", ";
    }
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "exclusive"))) {
        strbuf_printf(&sb, "%sexclusive", sep);
    }
    if (sb.n == 0) {
        strbuf_add(&sb, "(no details)", 12);
    }
    return sb.s;
}

static int cmp_cref(const void *a, const void *b)
{
    const struct cref *x = a, *y = b;
    int c = strcmp(x->vhost, y->vhost);
    if (c == 0) {
        c = strcmp(x->name, y->name);
    }
    return c != 0 ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* The first consumer of queue vhost/name in the sorted list, or ncons. */
static size_t cons_first(const struct rabbitmq_reader *p, const char *vhost, const char *name)
{
    size_t lo = 0, hi = p->ncons;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(p->cons[mid].vhost, vhost);
        if (c == 0) {
            c = strcmp(p->cons[mid].name, name);
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* consumer.1 .. consumer.20, then "+N more"; or why they are not known. */
static void consumer_details(struct strbuf *sb, const struct rabbitmq_reader *p,
                             const struct qinfo *qi)
{
    if (p->cons_why != NULL) {
        char *v = xasprintf("unavailable: %s", p->cons_why);
        pair_add(sb, "consumers", v);
        free(v);
        return;
    }
    size_t i = cons_first(p, qi->vhost, qi->name), n = 0;
    for (; i < p->ncons && strcmp(p->cons[i].vhost, qi->vhost) == 0 &&
           strcmp(p->cons[i].name, qi->name) == 0;
         i++, n++) {
        if (n < CONSUMERS_SHOWN) {
            char key[32];
            snprintf(key, sizeof key, "consumer.%zu", n + 1);
            char *v = consumer_text(p->cons[i].c);
            pair_add(sb, key, v);
            free(v);
        }
    }
    if (n > CONSUMERS_SHOWN) {
        char v[64];
        snprintf(v, sizeof v, "+%zu more (%zu in all)", n - CONSUMERS_SHOWN, n);
        pair_add(sb, "consumers", v);
    }
}

/* The detail lines that depend on this queue alone, in the order the pane shows them. */
static void head_details(struct strbuf *sb, const cJSON *q, const struct qinfo *qi)
{
    pair_add_nonempty(sb, "vhost", qi->vhost);
    pair_add_nonempty(sb, "node", json_str(q, "node"));
    pair_add_nonempty(sb, "leader", json_str(q, "leader"));
    const cJSON *mem = cJSON_GetObjectItemCaseSensitive(q, "memory");
    if (cJSON_IsNumber(mem)) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.0f bytes", mem->valuedouble);
        pair_add(sb, "memory", buf);
    }
    pair_add_nonempty(sb, "idle_since", json_str(q, "idle_since"));
    const cJSON *durable = cJSON_GetObjectItemCaseSensitive(q, "durable");
    if (cJSON_IsBool(durable)) {
        pair_add(sb, "durable", cJSON_IsTrue(durable) ? "true" : "false");
    }
    const char *policy = json_str(q, "policy");
    pair_add(sb, "policy", policy != NULL && policy[0] != '\0' ? policy : "(none)");
    pair_add_nonempty(sb, "operator_policy", json_str(q, "operator_policy"));
    detail_members(sb, "argument", json_obj(q, "arguments"));
    detail_members(sb, "effective_policy", json_obj(q, "effective_policy_definition"));
}

static void queue_details(struct rowset *rs, const struct rabbitmq_reader *p,
                          const struct qinfo *qi)
{
    pairs_detail(rs, &qi->head);
    if (qi->dlx != NULL) {
        rowset_detail(rs, "dead-letter exchange", qi->dlx[0] != '\0' ? qi->dlx : "(default)");
        rowset_detail_nonempty(rs, "dead-letter routing key", qi->dlrk);
        rowset_detail(rs, "dead-letter set by", qi->dl_from);
        rowset_detail(rs, "dead-letter queue",
                      qi->dlq >= 0 ? p->qs[qi->dlq].name : "(not resolved)");
        rowset_detail_nonempty(rs, "dead-letter resolved by", qi->how);
    }
    rowset_detail_nonempty(rs, "dead letters from", qi->src.s);
    pairs_detail(rs, &qi->tail);
}

static void queue_row(struct rowset *rs, const struct rabbitmq_reader *p, const struct qinfo *qi,
                      const struct rabbitmq_memory *old, bool *moved)
{
    rowset_begin(rs, qi->key);
    rowset_text(rs, QUEUE_NAME, qi->name);
    rowset_text(rs, QUEUE_VHOST, qi->vhost);
    rowset_text(rs, QUEUE_TYPE, qi->type);
    const char *state = qi->state;
    rowset_text(rs, QUEUE_STATE, state);
    if (state != NULL && strcmp(state, "running") != 0) {
        rowset_cell_tone(rs, QUEUE_STATE, TONE_CRIT);
    }
    rowset_num(rs, QUEUE_MSGS, qi->msgs);
    rowset_num(rs, QUEUE_READY, qi->ready);
    rowset_num(rs, QUEUE_UNACK, qi->unack);
    rowset_num(rs, QUEUE_CONSUMERS, qi->consumers);
    if (qi->consumers == 0 && qi->msgs > 0) {
        rowset_cell_tone(rs, QUEUE_CONSUMERS, TONE_WARN);
    }
    rowset_num(rs, QUEUE_IN, qi->in);
    rowset_num(rs, QUEUE_OUT, qi->out);
    rowset_num(rs, QUEUE_ACK, qi->ack);
    const struct count_entry *before = memory_find(old, qi->key);
    if (before != NULL && before->msgs != qi->msgs) {
        *moved = true;
    }
    rowset_text(rs, QUEUE_TREND,
                before != NULL ? trend_word(qi->msgs, before->msgs) : trend_word(qi->rate, 0));
    rowset_text(rs, QUEUE_SOURCE, rs->source);
    if (qi->dlq >= 0) {
        rowset_text(rs, QUEUE_DLQ, p->qs[qi->dlq].name);
    } else if (qi->nsources > 0) {
        const char *comma = strchr(qi->src.s, ',');
        if (comma == NULL) {
            rowset_textf(rs, QUEUE_DLQ, "<- %s", qi->src.s);
        } else {
            rowset_textf(rs, QUEUE_DLQ, "<- %.*s +%zu", (int)(comma - qi->src.s), qi->src.s,
                         qi->nsources - SOURCES_SHOWN_MAX);
        }
    }
    if (qi->nsources > 0 && qi->msgs > 0) {
        /* dead letters waiting: someone's messages failed */
        rowset_row_tone(rs, TONE_CRIT);
        rowset_cell_tone(rs, QUEUE_NAME, TONE_CRIT);
    } else if (state != NULL && strcmp(state, "running") != 0) {
        rowset_row_tone(rs, TONE_WARN);
    }
    queue_details(rs, p, qi);
}

static void qinfo_free(struct qinfo *qi)
{
    free(qi->vhost);
    free(qi->name);
    free(qi->key);
    free(qi->type);
    free(qi->state);
    free(qi->dlx);
    free(qi->dlrk);
    free(qi->how);
    free(qi->src.s);
    free(qi->head.s);
    free(qi->tail.s);
}

void rabbitmq_reader_free(struct rabbitmq_reader *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->n; i++) {
        qinfo_free(&p->qs[i]);
    }
    free(p->qs);
    model_keys_free(&p->keys);
    free(p->cons);
    free(p->binds);
    free(p->cons_why);
    cJSON_Delete(p->cdoc);
    cJSON_Delete(p->bdoc);
    free(p);
}

bool rabbitmq_reader_queue(struct rabbitmq_reader *p, const cJSON *q, char **cause)
{
    if (!cJSON_IsObject(q)) {
        return true; /* not a queue: skipped */
    }
    p->objects++;
    const char *name = json_str(q, "name"), *vhost = json_str(q, "vhost");
    /* RabbitMQ names every queue and vhost: an empty one is not a queue */
    if (name == NULL || vhost == NULL || name[0] == '\0' || vhost[0] == '\0') {
        *cause = xasprintf("queue %zu has no name or vhost", p->objects);
        return false;
    }
    struct qinfo qi = {.dlq = -1};
    char *why = NULL;
    if (!read_numbers(&qi, q, &why)) {
        *cause = xasprintf("queue %s: %s", name, why);
        free(why);
        return false;
    }
    qi.name = xstrdup(name);
    qi.vhost = xstrdup(vhost);
    char *key = rabbitmq_key(vhost, name);
    qi.key = model_keys_unique(&p->keys, key);
    free(key);
    qi.type = dup_or_null(json_str(q, "type"));
    qi.state = dup_or_null(json_str(q, "state"));
    read_dead_letter(&qi, q);
    head_details(&qi.head, q, &qi);
    consumer_details(&qi.tail, p, &qi);
    if (p->n == p->cap) {
        p->cap = p->cap > 0 ? p->cap * 2 : 64;
        p->qs = xreallocarray(p->qs, p->cap, sizeof *p->qs);
    }
    p->qs[p->n++] = qi;
    return true;
}

static void remember(struct rabbitmq_memory *mem, const struct rabbitmq_reader *p, bool moved)
{
    memory_clear(mem);
    mem->e = xcalloc(p->n + 1, sizeof *mem->e);
    for (size_t i = 0; i < p->n; i++) {
        const struct qinfo *qi = &p->qs[i];
        mem->e[i].key = xstrdup(qi->key);
        mem->e[i].msgs = qi->msgs;
        mem->e[i].dlq = qi->dlq >= 0 ? xstrdup(p->qs[qi->dlq].name) : NULL;
        mem->e[i].sources = qi->src.s != NULL ? xstrdup(qi->src.s) : NULL;
    }
    mem->n = p->n;
    mem->moved = moved;
    qsort(mem->e, mem->n, sizeof *mem->e, cmp_entry);
}

/*
 * The consumers in queue order (one poll may list thousands of each).
 * Entries without a queue are left out.
 */
static void index_consumers(struct rabbitmq_reader *p)
{
    p->cons = xcalloc((size_t)cJSON_GetArraySize(p->cdoc) + 1, sizeof *p->cons);
    const cJSON *c;
    cJSON_ArrayForEach(c, p->cdoc)
    {
        const cJSON *queue = json_obj(c, "queue");
        const char *vhost = json_str(queue, "vhost"), *name = json_str(queue, "name");
        if (vhost != NULL && name != NULL) {
            p->cons[p->ncons] = (struct cref){vhost, name, c, p->ncons};
            p->ncons++;
        }
    }
    qsort(p->cons, p->ncons, sizeof *p->cons, cmp_cref);
}

/* The consumers body as an array, or why it is not one. */
static void read_consumers(const struct rabbitmq_bodies *in, struct rabbitmq_reader *p)
{
    if (in->consumers == NULL) {
        if (in->consumers_error != NULL) {
            p->cons_why = xstrdup(in->consumers_error);
        }
        return;
    }
    char *why = NULL;
    if (!json_parse(in->consumers, in->clen, &p->cdoc, &why)) {
        p->cons_why = xasprintf("bad answer: %s", why);
        free(why);
        return;
    }
    if (!cJSON_IsArray(p->cdoc)) {
        p->cons_why =
            xasprintf("expected a JSON array of consumers, got %s", json_type_name(p->cdoc));
        return;
    }
    index_consumers(p);
}

struct rabbitmq_reader *rabbitmq_reader_create(const struct rabbitmq_bodies *in)
{
    struct rabbitmq_reader *p = xcalloc(1, sizeof *p);
    char *bcause = NULL;
    if (in->bindings != NULL && json_parse(in->bindings, in->blen, &p->bdoc, &bcause) &&
        cJSON_IsArray(p->bdoc)) {
        p->bindings = p->bdoc;
        index_bindings(p);
    }
    free(bcause);
    read_consumers(in, p);
    return p;
}

static bool rows_done(struct rabbitmq_reader *p, struct rabbitmq_memory *mem, struct rowset *rs)
{
    rowset_end(rs);
    if (mem != NULL) {
        remember(mem, p, p->moved);
    }
    return true;
}

static uint64_t mono_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

bool rabbitmq_reader_rows_some(struct rabbitmq_reader *p, struct rabbitmq_memory *mem,
                               struct rowset *rs, unsigned budget_ms)
{
    uint64_t start = mono_us();
    if (!p->resolved) {
        struct qindex x;
        qindex_build(&x, p->qs, p->n);
        for (size_t i = 0; i < p->n; i++) {
            resolve_dlq(p, &x, &p->qs[i]);
            if (p->qs[i].dlq >= 0 && (size_t)p->qs[i].dlq != i) {
                add_source(&p->qs[p->qs[i].dlq], p->qs[i].name);
            } else if (p->qs[i].dlq >= 0) {
                p->qs[i].dlq = -1; /* dead-lettering into itself is a loop, not a DLQ */
            }
        }
        free(x.ix);
        rowset_reserve(rs, p->n, 256);
        p->resolved = true;
    }
    while (p->made < p->n) {
        queue_row(rs, p, &p->qs[p->made], mem, &p->moved);
        p->made++;
        if (budget_ms > 0 && p->made % 16 == 0 && mono_us() - start >= budget_ms * 1000u) {
            return p->made == p->n && rows_done(p, mem, rs);
        }
    }
    return rows_done(p, mem, rs);
}

void rabbitmq_reader_rows(struct rabbitmq_reader *p, struct rabbitmq_memory *mem, struct rowset *rs)
{
    rabbitmq_reader_rows_some(p, mem, rs, 0);
}

const char *rabbitmq_queues_member(const char *body, size_t len)
{
    size_t i = 0;
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r')) {
        i++;
    }
    return i < len && body[i] == '{' ? "items" : NULL;
}

char *rabbitmq_queues_cause(const char *stream_cause)
{
    if (!str_has_prefix(stream_cause, "expected ")) {
        return xstrdup(stream_cause); /* json_parse's words: invalid, empty, trailing data */
    }
    return xstrdup("expected a JSON array of queues");
}

bool rabbitmq_parse_queues(const char *queues, size_t qlen, const char *bindings, size_t blen,
                           struct rabbitmq_memory *mem, struct rowset *rs, char **cause)
{
    struct rabbitmq_bodies in = {
        .queues = queues, .qlen = qlen, .bindings = bindings, .blen = blen};
    return rabbitmq_parse(&in, mem, rs, cause);
}

bool rabbitmq_parse(const struct rabbitmq_bodies *in, struct rabbitmq_memory *mem,
                    struct rowset *rs, char **cause)
{
    struct rabbitmq_reader *p = rabbitmq_reader_create(in);
    struct json_stream s;
    json_stream_init(&s, in->queues, in->qlen, rabbitmq_queues_member(in->queues, in->qlen));
    cJSON *q;
    char *why = NULL;
    int rc = 0;
    bool ok = true;
    while (ok && (rc = json_stream_next(&s, &q, &why)) > 0) {
        ok = rabbitmq_reader_queue(p, q, cause);
        cJSON_Delete(q);
    }
    if (ok && rc < 0) {
        *cause = rabbitmq_queues_cause(why);
        ok = false;
    }
    free(why);
    json_stream_finish(&s);
    if (ok) {
        rabbitmq_reader_rows(p, mem, rs);
    }
    rabbitmq_reader_free(p);
    return ok;
}
