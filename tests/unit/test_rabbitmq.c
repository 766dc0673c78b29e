/*
 * The RabbitMQ backend's parsers on captured RabbitMQ 3.10 answers
 * (argv[1] = tests/fixtures/rabbitmq): GET /api/queues with and without
 * statistics, GET /api/bindings for the dead-letter links, GET /api/consumers
 * for the detail, the get (peek) answer; and hostile bodies: missing stats,
 * wrong types, huge and infinite numbers, truncated, empty, error JSON, and
 * consumers of unknown queues, of wrong types, 25 on one queue. Plus the row
 * keys and the config, and (issue 20) that the columns= the backend asks for
 * cover everything the parse reads.
 */
#include "../../backends/rabbitmq.h"
#include "../../backends/model.h"
#include "../../common/util.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *fixtures = "tests/fixtures/rabbitmq";

static char *read_file(const char *name, size_t *len)
{
    return tap_fixture(fixtures, name, len);
}

/* Parse exactly len bytes from a buffer of exactly len bytes (ASan sees overreads). */
static struct rowset *parse_text(const char *text, size_t len, const char *bindings,
                                 struct rabbitmq_memory *mem, bool *ok, char **cause)
{
    char *copy = xmalloc(len ? len : 1);
    memcpy(copy, text, len);
    struct rowset *rs = rowset_create(MODEL_QUEUES, "mq");
    size_t blen = 0;
    char *b = bindings != NULL ? read_file(bindings, &blen) : NULL;
    *ok = rabbitmq_parse_queues(copy, len, b, blen, mem, rs, cause);
    free(b);
    free(copy);
    return rs;
}

static struct rowset *parse_fixture(const char *name, const char *bindings,
                                    struct rabbitmq_memory *mem, bool *ok, char **cause)
{
    size_t len;
    char *text = read_file(name, &len);
    struct rowset *rs = parse_text(text, len, bindings, mem, ok, cause);
    free(text);
    return rs;
}

static long find_row(const struct rowset *rs, const char *key)
{
    for (size_t i = 0; i < rs->nrows; i++) {
        if (strcmp(rowset_key(rs, i), key) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static const char *cell(const struct rowset *rs, const char *key, int col)
{
    long r = find_row(rs, key);
    return r >= 0 ? rowset_cell_text(rs, (size_t)r, col) : "(no row)";
}

static double num(const struct rowset *rs, const char *key, int col)
{
    long r = find_row(rs, key);
    return r >= 0 ? rowset_cell_num(rs, (size_t)r, col) : -1;
}

/* The value of one detail line of a row, or "" (static buffer). */
static const char *detail(const struct rowset *rs, const char *key, const char *name)
{
    static char out[512];
    out[0] = '\0';
    long r = find_row(rs, key);
    if (r < 0) {
        return "(no row)";
    }
    const char *d = rowset_str(rs, rs->rows[r].detail);
    size_t nl = strlen(name);
    while (*d != '\0') {
        const char *end = strchr(d, '\n');
        size_t n = end != NULL ? (size_t)(end - d) : strlen(d);
        if (n > nl && strncmp(d, name, nl) == 0 && d[nl] == '\t') {
            snprintf(out, sizeof out, "%.*s", (int)(n - nl - 1), d + nl + 1);
            return out;
        }
        d += n + (end != NULL);
    }
    return out;
}

static void test_real_queues(void)
{
    bool ok;
    char *cause = NULL;
    struct rabbitmq_memory *mem = rabbitmq_memory_create();
    struct rowset *rs =
        parse_fixture("rabbitmq_queues.json", "rabbitmq_bindings.json", mem, &ok, &cause);
    tap_ok(ok, "real GET /api/queues parses (%s)", cause ? cause : "");
    tap_is_int((long long)rs->nrows, 3, "three queues");
    const char *o = "%2F/orders.created", *dlq = "%2F/orders.created.dlq",
               *em = "%2F/emails.outbound";
    tap_ok(find_row(rs, o) >= 0, "keys are vhost/name with the vhost escaped: %%2F/orders.created");
    tap_is_str(cell(rs, o, QUEUE_NAME), "orders.created", "QUEUE");
    tap_is_str(cell(rs, o, QUEUE_VHOST), "/", "VHOST");
    tap_is_str(cell(rs, o, QUEUE_TYPE), "quorum", "TYPE");
    tap_is_str(cell(rs, o, QUEUE_STATE), "running", "STATE");
    tap_is_int((long long)num(rs, o, QUEUE_MSGS), 6, "MSGS is messages");
    tap_is_int((long long)num(rs, o, QUEUE_READY), 3, "READY is messages_ready");
    tap_is_int((long long)num(rs, o, QUEUE_UNACK), 3, "UNACK is messages_unacknowledged");
    tap_is_int((long long)num(rs, o, QUEUE_CONSUMERS), 1, "CONS");
    tap_ok(num(rs, em, QUEUE_IN) == 6.2, "IN/s is publish_details.rate (6.2)");
    tap_is_int((long long)num(rs, em, QUEUE_OUT), 0, "OUT/s 0 without deliver_get");
    tap_is_str(cell(rs, em, QUEUE_TREND), "grow", "first poll: TREND from messages_details.rate");
    tap_is_str(cell(rs, o, QUEUE_TREND), "flat", "rate 0 is flat");
    tap_is_str(cell(rs, o, QUEUE_SOURCE), "mq", "SOURCE is the backend");
    tap_is_int((long long)num(rs, dlq, QUEUE_IN), 0, "an idle queue without message_stats: 0");
    tap_is_str(cell(rs, o, QUEUE_DLQ), "orders.created.dlq", "DLQ column of the source");
    tap_is_str(cell(rs, dlq, QUEUE_DLQ), "<- orders.created", "DLQ column of the DLQ");
    tap_is_str(detail(rs, o, "dead-letter resolved by"),
               "binding of orders.dlx with the queue's own name as routing key",
               "the detail says how the DLQ was found");
    tap_is_str(detail(rs, o, "dead-letter set by"), "arguments", "and where the DLX is set");
    tap_is_int(rs->rows[find_row(rs, dlq)].tone, TONE_CRIT, "a DLQ with messages is crit");
    tap_is_int(rs->rows[find_row(rs, o)].tone, TONE_NORMAL, "its source is not");
    tap_is_str(detail(rs, o, "argument.x-delivery-limit"), "3", "arguments in the detail");
    tap_is_str(detail(rs, dlq, "idle_since"), "2026-11-23T09:16:52.126+00:00", "idle_since");
    tap_is_str(detail(rs, o, "memory"), "76276 bytes", "memory");
    tap_is_str(detail(rs, o, "node"), "rabbit@localhost", "node");
    tap_is_str(detail(rs, o, "policy"), "(none)", "no policy");
    tap_is_str(detail(rs, dlq, "dead letters from"), "orders.created", "the DLQ lists its source");
    tap_is_str(rabbitmq_memory_dlq(mem, o), "orders.created.dlq", "memory: the source's DLQ");
    char *src = rabbitmq_memory_sources(mem, dlq);
    tap_is_str(src, "orders.created", "memory: the DLQ's sources");
    free(src);
    tap_ok(rabbitmq_memory_sources(mem, o) == NULL, "memory: a source has no sources");
    rowset_destroy(rs);

    /* second poll: TREND compares with the first; orders.created grew from 6 to 9 */
    size_t len;
    char *text = read_file("rabbitmq_queues.json", &len);
    char *at = strstr(text, "\"messages\": 6,");
    if (at == NULL) {
        at = strstr(text, "\"messages\":6,");
    }
    tap_ok(at != NULL, "the fixture has orders.created's messages");
    if (at != NULL) {
        char *six = strchr(at, '6');
        *six = '9';
    }
    rs = parse_text(text, len, "rabbitmq_bindings.json", mem, &ok, &cause);
    tap_is_str(cell(rs, o, QUEUE_TREND), "grow", "second poll: 6 -> 9 is grow");
    tap_is_str(cell(rs, dlq, QUEUE_TREND), "flat", "unchanged is flat");
    rowset_destroy(rs);
    free(text);
    rs = parse_fixture("rabbitmq_queues.json", "rabbitmq_bindings.json", mem, &ok, &cause);
    tap_is_str(cell(rs, o, QUEUE_TREND), "drain", "third poll: 9 -> 6 is drain");
    rowset_destroy(rs);

    /* without bindings the link to orders.dlx cannot be resolved, and says so */
    rs = parse_fixture("rabbitmq_queues.json", NULL, NULL, &ok, &cause);
    tap_ok(ok, "parses without bindings");
    tap_is_str(cell(rs, o, QUEUE_DLQ), "", "no DLQ link without bindings");
    tap_is_str(detail(rs, o, "dead-letter resolved by"),
               "bindings not read: cannot resolve exchange orders.dlx", "and the detail says why");
    rowset_destroy(rs);
    rabbitmq_memory_destroy(mem);
}

static void test_columns_and_policy(void)
{
    bool ok;
    char *cause = NULL;
    struct rowset *rs =
        parse_fixture("rabbitmq_queues_columns.json", "rabbitmq_bindings.json", NULL, &ok, &cause);
    tap_ok(ok, "real ?columns= answer parses");
    tap_is_int((long long)num(rs, "%2F/emails.outbound", QUEUE_MSGS), 31, "31 messages");
    tap_is_str(cell(rs, "%2F/emails.outbound", QUEUE_TREND), "flat",
               "no messages_details: flat on the first poll");
    rowset_destroy(rs);

    rs = parse_fixture("policy_dlx.json", "policy_bindings.json", NULL, &ok, &cause);
    tap_ok(ok, "policy fixture parses (%s)", cause ? cause : "");
    const char *jobs = "work%2Feu/jobs";
    tap_ok(find_row(rs, jobs) >= 0, "a vhost with a slash is escaped in the key");
    tap_is_str(cell(rs, jobs, QUEUE_DLQ), "jobs.dead", "DLX from the effective policy");
    tap_is_str(detail(rs, jobs, "dead-letter set by"), "policy", "said to come from the policy");
    tap_is_str(detail(rs, jobs, "dead-letter resolved by"),
               "default exchange, routing key 'jobs.dead'", "the default exchange routes by name");
    tap_is_str(detail(rs, jobs, "policy"), "jobs-dlx", "the policy's name");
    tap_is_str(detail(rs, jobs, "effective_policy.dead-letter-routing-key"), "jobs.dead",
               "the effective policy definition in the detail");
    tap_is_str(cell(rs, "%2F/lost", QUEUE_DLQ), "", "an unbound DLX: no link");
    tap_is_str(detail(rs, "%2F/lost", "dead-letter resolved by"), "no queue bound to nowhere",
               "an exchange-to-exchange binding does not count");
    tap_is_int(rs->rows[find_row(rs, "%2F/lost")].tone, TONE_WARN, "a queue that is down warns");
    tap_is_str(cell(rs, "%2F/loop", QUEUE_DLQ), "", "dead-lettering into itself is no DLQ");
    tap_is_str(cell(rs, "%2F/a", QUEUE_DLQ), "shared.dead", "a -> shared.dead by routing key");
    tap_is_str(cell(rs, "%2F/shared.dead", QUEUE_DLQ), "<- a +1", "two sources: <- a +1");
    tap_is_str(detail(rs, "%2F/shared.dead", "dead letters from"), "a, b", "both listed");
    tap_is_int(rs->rows[find_row(rs, "%2F/shared.dead")].tone, TONE_NORMAL,
               "an empty DLQ does not stand out");
    tap_is_int((long long)num(rs, "%2F/a", QUEUE_MSGS), 0, "missing counts are 0");
    rowset_destroy(rs);
}

/* name: fixture; want_ok; want: the cause's start, or the row count when ok. */
static void hostile(const char *name, bool want_ok, const char *want, long rows)
{
    bool ok;
    char *cause = NULL;
    struct rowset *rs = parse_fixture(name, NULL, NULL, &ok, &cause);
    if (want_ok) {
        tap_ok(ok && (long)rs->nrows == rows, "%s: parses to %ld rows (%s)", name, rows,
               cause ? cause : "");
    } else {
        tap_ok(!ok && cause != NULL && strncmp(cause, want, strlen(want)) == 0,
               "%s: refused with \"%s\" (got \"%s\")", name, want, cause ? cause : "");
    }
    free(cause);
    rowset_destroy(rs);
}

static void test_hostile(void)
{
    hostile("missing_stats.json", true, NULL, 2);
    bool ok;
    char *cause = NULL;
    struct rowset *rs = parse_fixture("missing_stats.json", NULL, NULL, &ok, &cause);
    tap_ok(num(rs, "%2F/idle.q", QUEUE_MSGS) == 0 && num(rs, "%2F/idle.q", QUEUE_IN) == 0 &&
               num(rs, "%2F/idle.q", QUEUE_ACK) == 0,
           "missing counts and message_stats are zeros");
    tap_ok(num(rs, "prod/nulls.q", QUEUE_MSGS) == 0 && num(rs, "prod/nulls.q", QUEUE_IN) == 0,
           "null counts and an empty publish_details are zeros");
    rowset_destroy(rs);
    hostile("wrong_types.json", false, "queue bad.q: messages is not a count", 0);
    hostile("wrong_rate.json", false, "queue bad.rate: rate is not a count", 0);
    hostile("huge.json", false, "queue neg.q: messages is not a count", 0);
    hostile("infinite.json", false, "queue inf.q: messages is not a count", 0);
    hostile("no_name.json", false, "queue 1 has no name or vhost", 0);
    const char *empty_vhost = "[{\"name\":\"a\",\"vhost\":\"/\"},{\"name\":\"b\",\"vhost\":\"\"}]";
    rs = parse_text(empty_vhost, strlen(empty_vhost), NULL, NULL, &ok, &cause);
    tap_ok(!ok && cause != NULL && strcmp(cause, "queue 2 has no name or vhost") == 0,
           "an empty vhost is refused (found by the fuzzer)");
    free(cause);
    cause = NULL;
    rowset_destroy(rs);
    hostile("skip_entries.json", true, NULL, 2);
    hostile("empty_array.json", true, NULL, 0);
    hostile("empty.json", false, "empty response", 0);
    hostile("error_404.json", false, "expected a JSON array of queues", 0);
    hostile("rabbitmq_401.json", false, "expected a JSON array of queues", 0);

    /* huge but finite numbers show compactly */
    const char *big = "[{\"name\":\"big.q\",\"vhost\":\"/\",\"messages\":1e300,\"consumers\":0}]";
    rs = parse_text(big, strlen(big), NULL, NULL, &ok, &cause);
    tap_ok(ok && num(rs, "%2F/big.q", QUEUE_MSGS) == 1e300, "1e300 messages parse");
    rowset_destroy(rs);

    rs = parse_fixture("skip_entries.json", NULL, NULL, &ok, &cause);
    tap_ok(rs->nrows == 2 && strcmp(rowset_key(rs, 0), rowset_key(rs, 1)) != 0,
           "duplicate queues get distinct keys (%s, %s)", rs->nrows > 0 ? rowset_key(rs, 0) : "",
           rs->nrows > 1 ? rowset_key(rs, 1) : "");
    rowset_destroy(rs);

    /* every cut of the real answer: an error or rows, never a crash */
    size_t len;
    char *text = read_file("rabbitmq_queues.json", &len);
    int refused = 0;
    for (size_t cut = 0; cut < len; cut += 7) {
        rs = parse_text(text, cut, "rabbitmq_bindings.json", NULL, &ok, &cause);
        refused += !ok && cause != NULL;
        free(cause);
        cause = NULL;
        rowset_destroy(rs);
    }
    tap_is_int(refused, (int)((len + 6) / 7), "every truncation of the real answer is refused");
    free(text);

    /* bindings that are garbage do not hide the queues */
    text = read_file("rabbitmq_queues.json", &len);
    char *copy = xmalloc(len);
    memcpy(copy, text, len);
    rs = rowset_create(MODEL_QUEUES, "mq");
    ok = rabbitmq_parse_queues(copy, len, "{\"not\":", 7, NULL, rs, &cause);
    tap_ok(ok && rs->nrows == 3, "garbage bindings: the queues still show");
    rowset_destroy(rs);
    free(copy);
    free(text);
}

/* The queues fixture with consumers body cons (a fixture name, or literal text when lit). */
static struct rowset *parse_consumers(const char *cons, bool lit, const char *why, bool *ok,
                                      char **cause)
{
    size_t qlen, blen, clen = 0;
    char *q = read_file("rabbitmq_queues.json", &qlen);
    char *b = read_file("rabbitmq_bindings.json", &blen);
    char *c = NULL;
    if (cons != NULL) {
        char *text = lit ? xstrdup(cons) : read_file(cons, &clen);
        clen = strlen(text);
        c = xmalloc(clen ? clen : 1); /* exactly clen bytes: ASan sees overreads */
        memcpy(c, text, clen);
        free(text);
    }
    struct rabbitmq_bodies in = {.queues = q,
                                 .qlen = qlen,
                                 .bindings = b,
                                 .blen = blen,
                                 .consumers = c,
                                 .clen = clen,
                                 .consumers_error = why};
    struct rowset *rs = rowset_create(MODEL_QUEUES, "mq");
    *ok = rabbitmq_parse(&in, NULL, rs, cause);
    free(c);
    free(b);
    free(q);
    return rs;
}

static void test_consumers(void)
{
    bool ok;
    char *cause = NULL;
    const char *o = "%2F/orders.created", *em = "%2F/emails.outbound",
               *dlq = "%2F/orders.created.dlq";
    struct rowset *rs = parse_consumers("rabbitmq_consumers.json", false, NULL, &ok, &cause);
    tap_ok(ok && rs->nrows == 3, "queues with the real GET /api/consumers parse (%s)",
           cause ? cause : "");
    tap_is_str(detail(rs, o, "consumer.1"),
               "billing-1 on 127.0.0.1:44146 -> 127.0.0.1:5672 (1), user guest, prefetch 3, ack "
               "required, active",
               "the consumer in its queue's detail: tag, channel, user, prefetch, ack, active");
    tap_is_str(detail(rs, o, "consumer.2"), "", "one consumer, one line");
    tap_is_str(detail(rs, o, "consumers"), "", "no '+N more' for one");
    tap_is_str(detail(rs, em, "consumer.1"), "", "a queue without consumers has none");
    tap_is_str(cell(rs, o, QUEUE_CONSUMERS), "1", "CONS is still the queue's count");
    rowset_destroy(rs);

    /* the request failed: the queues show, the detail says why */
    rs = parse_consumers(NULL, false, "HTTP 403 Forbidden: not_authorised", &ok, &cause);
    tap_ok(ok && rs->nrows == 3, "a failed consumers request: the queues still show");
    tap_is_str(detail(rs, o, "consumers"), "unavailable: HTTP 403 Forbidden: not_authorised",
               "and the detail says the consumers are unavailable, and why");
    tap_is_str(detail(rs, em, "consumers"), "unavailable: HTTP 403 Forbidden: not_authorised",
               "on every queue");
    tap_is_str(cell(rs, o, QUEUE_CONSUMERS), "1", "CONS from the queues");
    rowset_destroy(rs);

    /* not read and no reason (rabbitmq_parse_queues): nothing said about consumers */
    rs = parse_consumers(NULL, false, NULL, &ok, &cause);
    tap_ok(ok && detail(rs, o, "consumers")[0] == '\0' && detail(rs, o, "consumer.1")[0] == '\0',
           "consumers not asked for: no consumer lines");
    rowset_destroy(rs);

    rs = parse_consumers("{\"error\":\"Object Not Found\",\"reason\":\"Not Found\"}", true, NULL,
                         &ok, &cause);
    tap_ok(ok && rs->nrows == 3, "consumers not an array: the queues still show");
    tap_is_str(detail(rs, o, "consumers"),
               "unavailable: expected a JSON array of consumers, got an object", "and say why");
    rowset_destroy(rs);
    rs = parse_consumers("[{\"consumer_tag\":", true, NULL, &ok, &cause);
    tap_ok(ok && strncmp(detail(rs, o, "consumers"), "unavailable: bad answer: invalid JSON", 37) ==
                     0,
           "truncated consumers JSON: unavailable, bad answer (%s)", detail(rs, o, "consumers"));
    rowset_destroy(rs);
    rs = parse_consumers("", true, NULL, &ok, &cause);
    tap_ok(ok && strcmp(detail(rs, o, "consumers"), "unavailable: bad answer: empty response") == 0,
           "an empty consumers body: unavailable (%s)", detail(rs, o, "consumers"));
    rowset_destroy(rs);

    rs = parse_consumers("consumers_hostile.json", false, NULL, &ok, &cause);
    tap_ok(ok && rs->nrows == 3, "hostile consumers parse (%s)", cause ? cause : "");
    tap_is_str(detail(rs, o, "consumer.1"), "(no details)",
               "wrong types are left out, never a crash");
    tap_is_str(detail(rs, o, "consumer.2"), "(no details)", "a consumer with only its queue");
    tap_is_str(detail(rs, o, "consumer.3"), "",
               "no queue, a queue that is no object, of another vhost, unknown: not counted");
    tap_is_str(
        detail(rs, em, "consumer.1"),
        "solo^[[31m on ch x (2), user ops, prefetch unlimited, auto-ack, inactive (waiting), "
        "exclusive",
        "control characters shown (^[), prefetch 0 is unlimited, waiting, exclusive");
    tap_is_str(detail(rs, em, "consumer.2"), "inf", "a negative prefetch is left out");
    tap_is_str(detail(rs, dlq, "consumer.1"), "", "the DLQ has none");
    rowset_destroy(rs);

    rs = parse_consumers("consumers_25.json", false, NULL, &ok, &cause);
    tap_ok(ok, "25 consumers on one queue parse");
    tap_ok(strncmp(detail(rs, em, "consumer.1"), "w-1 on 127.0.0.1:50001", 22) == 0,
           "the first in the answer's order (%s)", detail(rs, em, "consumer.1"));
    tap_ok(strncmp(detail(rs, em, "consumer.20"), "w-20 on ", 8) == 0, "20 are shown (%s)",
           detail(rs, em, "consumer.20"));
    tap_is_str(detail(rs, em, "consumer.21"), "", "not 21");
    tap_is_str(detail(rs, em, "consumers"), "+5 more (25 in all)", "then +5 more");
    tap_is_str(detail(rs, o, "consumer.1"), "", "the other queues have none");
    rowset_destroy(rs);

    /* a vhost matters: the same queue name in another vhost is another queue */
    const char *two =
        "[{\"name\":\"jobs\",\"vhost\":\"/\"},{\"name\":\"jobs\",\"vhost\":\"prod\"}]";
    const char *cons =
        "[{\"consumer_tag\":\"p\",\"queue\":{\"name\":\"jobs\",\"vhost\":\"prod\"}}]";
    struct rabbitmq_bodies in = {
        .queues = two, .qlen = strlen(two), .consumers = cons, .clen = strlen(cons)};
    rs = rowset_create(MODEL_QUEUES, "mq");
    ok = rabbitmq_parse(&in, NULL, rs, &cause);
    tap_ok(ok && strcmp(detail(rs, "prod/jobs", "consumer.1"), "p") == 0 &&
               detail(rs, "%2F/jobs", "consumer.1")[0] == '\0',
           "matched by vhost and name");
    rowset_destroy(rs);

    /* a long tag is cut to 200 bytes, not inside a UTF-8 character */
    char longc[1024];
    char tag[400] = "a";
    for (int i = 0; i < 150; i++) {
        strcat(tag, "\xc3\xa9");
    }
    snprintf(longc, sizeof longc,
             "[{\"consumer_tag\":\"%s\",\"queue\":{\"name\":\"jobs\",\"vhost\":\"prod\"}}]", tag);
    in = (struct rabbitmq_bodies){
        .queues = two, .qlen = strlen(two), .consumers = longc, .clen = strlen(longc)};
    rs = rowset_create(MODEL_QUEUES, "mq");
    ok = rabbitmq_parse(&in, NULL, rs, &cause);
    tag[199] = '\0';
    tap_ok(ok && strcmp(detail(rs, "prod/jobs", "consumer.1"), tag) == 0,
           "a 301-byte tag is cut to 199 bytes, on a character boundary (%zu)",
           strlen(detail(rs, "prod/jobs", "consumer.1")));
    rowset_destroy(rs);

    /* consumers but no queues, and a bad queues body with good consumers */
    in = (struct rabbitmq_bodies){
        .queues = "[]", .qlen = 2, .consumers = cons, .clen = strlen(cons)};
    rs = rowset_create(MODEL_QUEUES, "mq");
    tap_ok(rabbitmq_parse(&in, NULL, rs, &cause) && rs->nrows == 0, "no queues: no rows");
    rowset_destroy(rs);
    in.queues = "{}";
    rs = rowset_create(MODEL_QUEUES, "mq");
    tap_ok(!rabbitmq_parse(&in, NULL, rs, &cause) && cause != NULL &&
               strcmp(cause, "expected a JSON array of queues") == 0,
           "the queues still decide whether the poll failed");
    free(cause);
    cause = NULL;
    rowset_destroy(rs);
}

static void test_peek(void)
{
    size_t len;
    char *body = read_file("rabbitmq_get.json", &len);
    char *text = NULL, *cause = NULL;
    tap_ok(rabbitmq_format_peek(body, len, "orders.created", &text, &cause),
           "real get answer formats");
    tap_ok(text != NULL && strncmp(text, "peeked 2 messages of orders.created (requeued", 45) == 0,
           "first line sums up (%.60s)", text ? text : "");
    tap_ok(text != NULL && strstr(text, "--- message 2 of 2 ---") != NULL, "both messages");
    tap_ok(text != NULL && strstr(text, "{\"order_id\":1}") != NULL, "the payload");
    tap_ok(text != NULL && strstr(text, "routing key: orders.created  exchange: (default)") != NULL,
           "routing key and exchange");
    tap_ok(text != NULL && strstr(text, "header x-delivery-count: 1") != NULL, "headers");
    tap_ok(text != NULL && strstr(text, "note: each peek of a quorum queue") != NULL,
           "the quorum delivery-count warning");
    free(text);
    free(body);

    /* the captured dead-lettered message, as the one element of an answer */
    body = read_file("rabbitmq_dead_lettered_message.json", &len);
    char *arr = xasprintf("[%s]", body);
    text = NULL;
    tap_ok(rabbitmq_format_peek(arr, strlen(arr), "orders.created.dlq", &text, &cause),
           "a dead-lettered message formats");
    tap_ok(text != NULL &&
               strstr(text, "x-death: queue orders.created, reason rejected, count 1, exchange "
                            "'', keys [\"orders.created\"]") != NULL,
           "x-death is spelled out");
    tap_ok(text != NULL && strstr(text, "content_type: application/json") != NULL, "properties");
    tap_ok(text != NULL && strstr(text, "header x-first-death-reason: rejected") != NULL,
           "the other headers");
    free(text);
    free(arr);
    text = NULL;
    tap_ok(!rabbitmq_format_peek(body, len, "q", &text, &cause) && cause != NULL &&
               strcmp(cause, "expected a JSON array of messages") == 0,
           "a bare object is refused");
    free(cause);
    cause = NULL;
    free(body);

    body = read_file("get_hostile.json", &len);
    text = NULL;
    tap_ok(rabbitmq_format_peek(body, len, "q", &text, &cause), "hostile message formats");
    tap_ok(text != NULL && strchr(text, '\033') == NULL && strchr(text, '\a') == NULL &&
               strstr(text, "^[[31mred^G") != NULL,
           "control characters are shown as ^[ and ^G");
    free(text);
    free(body);
    text = NULL;
    tap_ok(rabbitmq_format_peek("[]", 2, "q", &text, &cause) && text != NULL &&
               strcmp(text, "q is empty: no message to peek") == 0,
           "an empty queue says so");
    free(text);
    static char big[60000];
    memset(big, 'x', sizeof big);
    char *huge =
        xasprintf("[{\"payload\":\"%.*s\",\"payload_encoding\":\"string\"}]", (int)sizeof big, big);
    text = NULL;
    tap_ok(rabbitmq_format_peek(huge, strlen(huge), "q", &text, &cause) && text != NULL &&
               strstr(text, "(10000 more characters not shown)") != NULL,
           "a payload past RabbitMQ's own cut (50000) is cut there, and says so");
    free(text);
    free(huge);
    memset(big, 'y', 12000);
    huge = xasprintf("[{\"payload\":\"%.*s\",\"payload_encoding\":\"string\","
                     "\"payload_bytes\":12000}]",
                     12000, big);
    text = NULL;
    tap_ok(rabbitmq_format_peek(huge, strlen(huge), "q", &text, &cause) && text != NULL &&
               strstr(text, "not shown") == NULL && strstr(text, "yyyyy\n") != NULL &&
               strchr(text, 'y') != NULL && strlen(strchr(text, 'y')) >= 12000,
           "a 12000-character payload is shown whole");
    free(text);
    free(huge);
}

static void test_keys(void)
{
    char *vh = NULL, *name = NULL;
    tap_ok(rabbitmq_split_key("%2F/orders.created", &vh, &name), "split %%2F/orders.created");
    tap_is_str(vh, "/", "vhost /");
    tap_is_str(name, "orders.created", "name");
    free(vh);
    free(name);
    tap_ok(rabbitmq_split_key("work%2Feu/a/b", &vh, &name), "split a vhost with a slash");
    tap_is_str(vh, "work/eu", "vhost work/eu");
    tap_is_str(name, "a/b", "a name with a slash keeps it");
    free(vh);
    free(name);
    tap_ok(!rabbitmq_split_key("noslash", &vh, &name), "no slash: refused");
    tap_ok(!rabbitmq_split_key("/q", &vh, &name), "empty vhost: refused");
    tap_ok(!rabbitmq_split_key("%2F/", &vh, &name), "empty name: refused");
    tap_ok(!rabbitmq_split_key("%zz/q", &vh, &name), "bad escape: refused");
    tap_ok(!rabbitmq_split_key("%00/q", &vh, &name), "encoded NUL: refused");
    tap_ok(!rabbitmq_split_key("%2/q", &vh, &name), "short escape: refused");
}

static void test_config(void)
{
    struct store *st = store_create();
    struct backend *b = backend_create(&rabbitmq_backend, "mq", st, NULL);
    char *cause = NULL;
    tap_ok(backend_impl_find("rabbitmq") == &rabbitmq_backend, "type rabbitmq is registered");
    tap_ok(backend_configure(b, "url", "http://127.0.0.1:15672", &cause), "url");
    tap_ok(backend_configure(b, "vhost", "prod", &cause), "vhost");
    tap_ok(!backend_configure(b, "vhost", "", &cause) && strstr(cause, "empty vhost") != NULL,
           "an empty vhost is refused");
    free(cause);
    cause = NULL;
    tap_ok(!backend_configure(b, "colour", "red", &cause) &&
               strcmp(cause, "unknown key 'colour' for a rabbitmq backend") == 0,
           "unknown keys are refused");
    free(cause);
    cause = NULL;
    tap_ok(backend_configure(b, "auth", "basic", &cause) &&
               backend_configure(b, "user", "guest", &cause),
           "basic auth");
    tap_ok(!backend_start(b, &cause) && cause != NULL,
           "basic auth without a password: refused (%s)", cause ? cause : "");
    free(cause);
    cause = NULL;
    setenv("OPSDECK_TEST_MQ_PW", "guest", 1);
    tap_ok(backend_configure(b, "password_env", "OPSDECK_TEST_MQ_PW", &cause) &&
               backend_start(b, &cause),
           "with password_env it starts");
    const struct action_def *def = backend_action(b, MODEL_QUEUES, 'P');
    tap_ok(def != NULL && strcmp(def->verb, "purge") == 0 && (def->flags & ACTION_TYPED),
           "P purges, typed");
    def = backend_action(b, MODEL_QUEUES, 'p');
    tap_ok(def != NULL && strcmp(def->verb, "peek") == 0 && (def->flags & ACTION_INPUT),
           "p peeks, with a count");
    def = backend_action(b, MODEL_QUEUES, 'M');
    tap_ok(def != NULL && strcmp(def->verb, "moveback") == 0, "M moves dead letters back");
    backend_destroy(b);
    store_destroy(st);
}

/* ---- streamed (issue 19): the queues are read an element at a time ---- */

/* The rows of rs as one text: keys, every cell and tone, details. */
static char *rows_text(const struct rowset *rs)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    for (size_t i = 0; i < rs->nrows; i++) {
        strbuf_printf(&sb, "%s tone %d\n", rowset_key(rs, i), rs->rows[i].tone);
        for (int c = 0; c < rs->ncols; c++) {
            const char *t = rowset_cell_text(rs, i, c);
            strbuf_printf(&sb, " %s/%d", t != NULL ? t : "", rowset_cells(rs, i)[c].tone);
        }
        strbuf_printf(&sb, "\n%s\n", rowset_str(rs, rs->rows[i].detail));
    }
    return sb.s;
}

static void test_streamed(void)
{
    size_t qlen, blen;
    char *q = read_file("rabbitmq_queues.json", &qlen);
    char *b = read_file("rabbitmq_bindings.json", &blen);
    const char *cons = "[{\"consumer_tag\":\"t\",\"queue\":{\"name\":\"orders.created\","
                       "\"vhost\":\"/\"}},{\"consumer_tag\":\"u\",\"queue\":{\"name\":"
                       "\"orders.created\",\"vhost\":\"/\"}}]";
    struct rabbitmq_bodies in = {.queues = q,
                                 .qlen = qlen,
                                 .bindings = b,
                                 .blen = blen,
                                 .consumers = cons,
                                 .clen = strlen(cons)};
    char *cause = NULL;
    struct rowset *whole = rowset_create(MODEL_QUEUES, "mq");
    bool ok = rabbitmq_parse(&in, NULL, whole, &cause);

    /* the pieces, fed the elements of a tree one by one, make the very same rows */
    struct rabbitmq_reader *r = rabbitmq_reader_create(&in);
    cJSON *doc = cJSON_ParseWithLength(q, qlen);
    const cJSON *e;
    bool fed = doc != NULL;
    cJSON_ArrayForEach(e, doc)
    {
        fed = fed && rabbitmq_reader_queue(r, e, &cause);
    }
    struct rowset *pieces = rowset_create(MODEL_QUEUES, "mq");
    rabbitmq_reader_rows(r, NULL, pieces);
    rabbitmq_reader_free(r);
    cJSON_Delete(doc);
    char *a = rows_text(whole), *p = rows_text(pieces);
    tap_ok(ok && fed && whole->nrows > 0 && strcmp(a, p) == 0,
           "the reader's pieces make the rows rabbitmq_parse makes (%zu rows)", whole->nrows);
    free(a);
    free(p);
    rowset_destroy(pieces);

    /* a paginated answer: {"items": [...]} with the page around it */
    char *page = xasprintf("{\"filtered_count\":9,\"items\":%.*s,\"page\":1,\"page_count\":1}",
                           (int)qlen, q);
    in.queues = page;
    in.qlen = strlen(page);
    struct rowset *paged = rowset_create(MODEL_QUEUES, "mq");
    ok = rabbitmq_parse(&in, NULL, paged, &cause);
    a = rows_text(whole);
    p = rows_text(paged);
    tap_ok(ok && strcmp(a, p) == 0, "a paginated answer's items make the same rows");
    free(a);
    free(p);
    free(page);
    rowset_destroy(paged);
    rowset_destroy(whole);

    /* TREND moved: the memory says so, and the same answer again reads flat */
    const char *v1 = "[{\"name\":\"a\",\"vhost\":\"/\",\"messages\":1}]";
    const char *v2 = "[{\"name\":\"a\",\"vhost\":\"/\",\"messages\":4}]";
    struct rabbitmq_memory *mem = rabbitmq_memory_create();
    struct rabbitmq_bodies one = {.queues = v1, .qlen = strlen(v1)};
    struct rowset *rs = rowset_create(MODEL_QUEUES, "mq");
    ok = rabbitmq_parse(&one, mem, rs, &cause);
    tap_ok(ok && !rabbitmq_memory_moved(mem), "a first parse moved nothing");
    rowset_destroy(rs);
    one.queues = v2;
    one.qlen = strlen(v2);
    rs = rowset_create(MODEL_QUEUES, "mq");
    ok = rabbitmq_parse(&one, mem, rs, &cause);
    tap_ok(ok && rabbitmq_memory_moved(mem) &&
               strcmp(rowset_cell_text(rs, 0, QUEUE_TREND), "grow") == 0,
           "1 -> 4 messages: moved, grow");
    rowset_destroy(rs);
    rs = rowset_create(MODEL_QUEUES, "mq");
    ok = rabbitmq_parse(&one, mem, rs, &cause);
    tap_ok(ok && !rabbitmq_memory_moved(mem) &&
               strcmp(rowset_cell_text(rs, 0, QUEUE_TREND), "flat") == 0,
           "the same answer again: flat, nothing moved");
    rowset_destroy(rs);
    rabbitmq_memory_destroy(mem);

    /* dead letters through the bindings: the first in the answer's order wins */
    const char *dq = "[{\"name\":\"src\",\"vhost\":\"/\",\"arguments\":{\"x-dead-letter-exchange\":"
                     "\"dx\"}},{\"name\":\"keyed\",\"vhost\":\"/\",\"arguments\":{"
                     "\"x-dead-letter-exchange\":\"dx\",\"x-dead-letter-routing-key\":\"k\"}},"
                     "{\"name\":\"z\",\"vhost\":\"/\"},{\"name\":\"a\",\"vhost\":\"/\"},"
                     "{\"name\":\"m\",\"vhost\":\"/\"},{\"name\":\"gone\",\"vhost\":\"/\","
                     "\"arguments\":{\"x-dead-letter-exchange\":\"nx\"}}]";
    const char *db =
        "[{\"source\":\"dx\",\"vhost\":\"/\",\"destination\":\"z\",\"destination_type\":"
        "\"queue\"},"
        "{\"source\":\"dx\",\"vhost\":\"/\",\"destination\":\"m\",\"destination_type\":\"queue\","
        "\"routing_key\":\"k\"},"
        "{\"source\":\"dx\",\"vhost\":\"/\",\"destination\":\"a\",\"destination_type\":\"queue\","
        "\"routing_key\":\"k\"},"
        "{\"source\":\"dx\",\"vhost\":\"/\",\"destination\":\"a\",\"destination_type\":"
        "\"exchange\",\"routing_key\":\"src\"},"
        "{\"source\":\"dx\",\"vhost\":\"other\",\"destination\":\"a\",\"destination_type\":"
        "\"queue\",\"routing_key\":\"src\"},"
        "{\"source\":\"nx\",\"vhost\":\"/\",\"destination\":\"nothere\",\"destination_type\":"
        "\"queue\",\"routing_key\":\"\"}]";
    struct rabbitmq_bodies dl = {
        .queues = dq, .qlen = strlen(dq), .bindings = db, .blen = strlen(db)};
    rs = rowset_create(MODEL_QUEUES, "mq");
    ok = rabbitmq_parse(&dl, NULL, rs, &cause);
    tap_ok(ok, "dead letters: parsed");
    tap_is_str(detail(rs, "%2F/src", "dead-letter queue"), "z",
               "no key of its own: the first queue bound (in the answer's order), keyless too");
    tap_is_str(detail(rs, "%2F/src", "dead-letter resolved by"),
               "the first of 3 queues bound to dx", "and how many were bound");
    tap_is_str(detail(rs, "%2F/keyed", "dead-letter queue"), "m",
               "a routing key: the first binding with that key");
    tap_is_str(detail(rs, "%2F/gone", "dead-letter resolved by"),
               "bound queue nothere is not listed", "a binding to a queue not listed");
    rowset_destroy(rs);

    /* errors as they were worded, wherever in the list they are */
    static const struct {
        const char *body, *want;
    } bad[] = {
        {"[{\"name\":\"a\",\"vhost\":\"/\"},{\"vhost\":\"/\"}]", "queue 2 has no name or vhost"},
        {"[1,{\"name\":\"a\",\"vhost\":\"/\",\"consumers\":-1}]",
         "queue a: consumers is not a count"},
        {"[{\"name\":\"a\",\"vhost\":\"/\"}", "invalid JSON"},
        {"[{\"name\":\"a\",\"vhost\":\"/\"}] x", "unexpected data after the JSON at byte 27"},
        {"{\"page\":1}", "expected a JSON array of queues"},
        {"{\"items\":{}}", "expected a JSON array of queues"},
        {"\"queues\"", "expected a JSON array of queues"},
        {"", "empty response"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct rabbitmq_bodies x = {.queues = bad[i].body, .qlen = strlen(bad[i].body)};
        rs = rowset_create(MODEL_QUEUES, "mq");
        cause = NULL;
        ok = rabbitmq_parse(&x, NULL, rs, &cause);
        tap_ok(!ok && cause != NULL && str_has_prefix(cause, bad[i].want), "refused: %s -> %s",
               bad[i].body, cause != NULL ? cause : "(accepted)");
        free(cause);
        rowset_destroy(rs);
    }
    free(b);
    free(q);
}

/* ---- columns= ---- */

/* elem with only the fields of columns (as RabbitMQ's columns= keeps them: nested by dots). */
static cJSON *project(const cJSON *elem, const char *columns)
{
    if (!cJSON_IsObject(elem)) {
        return cJSON_Duplicate(elem, 1);
    }
    cJSON *out = cJSON_CreateObject();
    char *cols = xstrdup(columns), *save = NULL;
    for (char *col = strtok_r(cols, ",", &save); col != NULL; col = strtok_r(NULL, ",", &save)) {
        const cJSON *src = elem;
        cJSON *dst = out;
        char *part = col, *dot;
        while (src != NULL && (dot = strchr(part, '.')) != NULL) {
            *dot = '\0';
            src = cJSON_GetObjectItemCaseSensitive(src, part);
            if (!cJSON_IsObject(src)) {
                src = NULL;
                break;
            }
            cJSON *next = cJSON_GetObjectItemCaseSensitive(dst, part);
            dst = next != NULL ? next : cJSON_AddObjectToObject(dst, part);
            part = dot + 1;
        }
        const cJSON *v = src != NULL ? cJSON_GetObjectItemCaseSensitive(src, part) : NULL;
        if (v != NULL) {
            cJSON_AddItemToObject(dst, part, cJSON_Duplicate(v, 1));
        }
    }
    free(cols);
    return out;
}

/* A fixture list with each element projected; NULL name: NULL. */
static char *projected(const char *name, const char *columns, size_t *len)
{
    *len = 0;
    if (name == NULL) {
        return NULL;
    }
    char *text = read_file(name, len);
    cJSON *doc = cJSON_ParseWithLength(text, *len);
    free(text);
    cJSON *out = cJSON_CreateArray();
    const cJSON *e;
    cJSON_ArrayForEach(e, doc)
    {
        cJSON_AddItemToArray(out, project(e, columns));
    }
    char *p = cJSON_PrintUnformatted(out);
    char *copy = xstrdup(p);
    cJSON_free(p);
    cJSON_Delete(out);
    cJSON_Delete(doc);
    *len = strlen(copy);
    return copy;
}

/* Every key, cell (text, number, tone), row tone and detail line the same; else what differs. */
static char *rowsets_differ(const struct rowset *a, const struct rowset *b)
{
    if (a->nrows != b->nrows) {
        return xasprintf("%zu rows, %zu projected", a->nrows, b->nrows);
    }
    for (size_t r = 0; r < a->nrows; r++) {
        const char *key = rowset_key(a, r);
        if (strcmp(key, rowset_key(b, r)) != 0 || a->rows[r].tone != b->rows[r].tone) {
            return xasprintf("row %zu: %s (tone %d), projected %s (tone %d)", r, key,
                             a->rows[r].tone, rowset_key(b, r), b->rows[r].tone);
        }
        const struct cell *ca = rowset_cells(a, r), *cb = rowset_cells(b, r);
        for (int c = 0; c < a->ncols; c++) {
            const char *ta = rowset_cell_text(a, r, c), *tb = rowset_cell_text(b, r, c);
            if (strcmp(ta != NULL ? ta : "", tb != NULL ? tb : "") != 0 || ca[c].num != cb[c].num ||
                ca[c].tone != cb[c].tone) {
                return xasprintf("%s column %d: '%s' %g, projected '%s' %g", key, c,
                                 ta != NULL ? ta : "", ca[c].num, tb != NULL ? tb : "", cb[c].num);
            }
        }
        const char *da = rowset_str(a, a->rows[r].detail), *db = rowset_str(b, b->rows[r].detail);
        if (strcmp(da, db) != 0) {
            return xasprintf("%s detail:\n%s\nprojected:\n%s", key, da, db);
        }
    }
    return NULL;
}

/*
 * The columns= the backend asks for hold every field the parse reads: each
 * captured answer, projected to them as RabbitMQ would, makes the very same
 * rows (cells, tones, details) as the whole answer.
 */
static void test_columns_cover_the_parse(void)
{
    static const char *const sets[][3] = {
        {"rabbitmq_queues.json", "rabbitmq_bindings.json", "rabbitmq_consumers.json"},
        {"rabbitmq_queues.json", "rabbitmq_bindings.json", "consumers_25.json"},
        {"rabbitmq_queues.json", "rabbitmq_bindings.json", "consumers_hostile.json"},
        {"policy_dlx.json", "policy_bindings.json", NULL},
        {"missing_stats.json", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        size_t len[3], plen[3];
        char *whole[3], *part[3];
        const char *cols[3] = {RABBITMQ_QUEUE_COLUMNS, RABBITMQ_BINDING_COLUMNS,
                               RABBITMQ_CONSUMER_COLUMNS};
        for (int k = 0; k < 3; k++) {
            whole[k] = sets[i][k] != NULL ? read_file(sets[i][k], &len[k]) : NULL;
            if (whole[k] == NULL) {
                len[k] = 0;
            }
            part[k] = projected(sets[i][k], cols[k], &plen[k]);
        }
        struct rabbitmq_bodies in = {whole[0], len[0], whole[1], len[1], whole[2], len[2], NULL};
        struct rabbitmq_bodies pin = {part[0], plen[0], part[1], plen[1], part[2], plen[2], NULL};
        struct rowset *a = rowset_create(MODEL_QUEUES, "mq"),
                      *b = rowset_create(MODEL_QUEUES, "mq");
        char *ca = NULL, *cb = NULL;
        bool oka = rabbitmq_parse(&in, NULL, a, &ca), okb = rabbitmq_parse(&pin, NULL, b, &cb);
        char *diff = oka && okb ? rowsets_differ(a, b) : xasprintf("%s / %s", ca, cb);
        tap_ok(diff == NULL && a->nrows > 0,
               "columns=: %s + %s + %s projected to the columns asked make the same %zu rows "
               "(%zu -> %zu bytes of queues)%s%s",
               sets[i][0], sets[i][1] != NULL ? sets[i][1] : "-",
               sets[i][2] != NULL ? sets[i][2] : "-", a->nrows, len[0], plen[0],
               diff != NULL ? ": " : "", diff != NULL ? diff : "");
        free(diff);
        free(ca);
        free(cb);
        rowset_destroy(a);
        rowset_destroy(b);
        for (int k = 0; k < 3; k++) {
            free(whole[k]);
            free(part[k]);
        }
    }
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }
    test_real_queues();
    test_columns_and_policy();
    test_columns_cover_the_parse();
    test_hostile();
    test_consumers();
    test_streamed();
    test_peek();
    test_keys();
    test_config();
    return tap_done();
}
