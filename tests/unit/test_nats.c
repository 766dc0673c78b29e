/*
 * The NATS backend: the /jsz parser on captured nats-server 2.9 reports
 * (argv[1] = tests/fixtures/nats), rates and trends across two polls, the
 * account filter, hostile reports (huge, negative, wrong types, missing
 * parts, empty, truncated, garbage), nanosecond durations and the config keys.
 */
#include "../../backends/nats.h"
#include "../../backends/model.h"
#include "../../common/util.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *fixtures = "tests/fixtures/nats";

/* ---- helpers ---- */

static char *read_fixture(const char *name, size_t *len)
{
    return tap_fixture(fixtures, name, len);
}

static cJSON *fixture_json(const char *name)
{
    size_t len;
    char *text = read_fixture(name, &len);
    cJSON *doc = cJSON_Parse(text);
    free(text);
    if (doc == NULL) {
        tap_diag("%s is not JSON", name);
        doc = cJSON_CreateObject();
    }
    return doc;
}

/* Parse exactly len bytes from a buffer of exactly len bytes (ASan sees overreads). */
static struct rowset *parse_len(const char *text, size_t len, const char *account,
                                struct nats_history *h, uint64_t now_ms, char **cause)
{
    char *copy = xmalloc(len ? len : 1);
    memcpy(copy, text, len);
    struct rowset *rs = rowset_create(MODEL_QUEUES, "js");
    *cause = NULL;
    bool ok = nats_parse_jsz(copy, len, account, h, now_ms, rs, cause);
    free(copy);
    if (!ok) {
        rowset_destroy(rs);
        return NULL;
    }
    return rs;
}

static struct rowset *parse(const char *text, const char *account, struct nats_history *h,
                            uint64_t now_ms, char **cause)
{
    return parse_len(text, strlen(text), account, h, now_ms, cause);
}

static struct rowset *parse_doc(const cJSON *doc, struct nats_history *h, uint64_t now_ms,
                                char **cause)
{
    char *text = cJSON_PrintUnformatted(doc);
    struct rowset *rs = parse(text, NULL, h, now_ms, cause);
    free(text);
    return rs;
}

static long find_row(const struct rowset *rs, const char *key)
{
    for (size_t i = 0; rs != NULL && i < rs->nrows; i++) {
        if (strcmp(rowset_key(rs, i), key) == 0) {
            return (long)i;
        }
    }
    return -1;
}

/* The value of a detail line, or NULL; the caller frees. */
static char *detail(const struct rowset *rs, size_t row, const char *key)
{
    const char *d = rowset_str(rs, rs->rows[row].detail);
    size_t kl = strlen(key);
    while (*d != '\0') {
        const char *nl = strchr(d, '\n');
        size_t n = nl != NULL ? (size_t)(nl - d) : strlen(d);
        if (n > kl && strncmp(d, key, kl) == 0 && d[kl] == '\t') {
            return xstrndup(d + kl + 1, n - kl - 1);
        }
        d += n + (nl != NULL ? 1 : 0);
    }
    return NULL;
}

static void is_detail(const struct rowset *rs, size_t row, const char *key, const char *want)
{
    char *got = detail(rs, row, key);
    char *what = xasprintf("%s: detail '%s'", rowset_key(rs, row), key);
    tap_is_str(got, want, what);
    free(what);
    free(got);
}

static void is_text(const struct rowset *rs, size_t row, int col, const char *want)
{
    char *what = xasprintf("%s: %s is '%s'", rowset_key(rs, row),
                           model_schema(MODEL_QUEUES)->cols[col].title, want);
    tap_is_str(rowset_cell_text(rs, row, col), want, what);
    free(what);
}

static void is_num(const struct rowset *rs, size_t row, int col, double want)
{
    double got = rowset_cell_num(rs, row, col);
    tap_ok(got == want, "%s: %s is %g", rowset_key(rs, row),
           model_schema(MODEL_QUEUES)->cols[col].title, want);
    if (got != want) {
        tap_diag("got %.17g", got);
    }
}

static int cell_tone(const struct rowset *rs, size_t row, int col)
{
    return rowset_cells(rs, row)[col].tone;
}

static void fails_len(const char *text, size_t len, const char *account, const char *want,
                      const char *what)
{
    char *cause = NULL;
    struct rowset *rs = parse_len(text, len, account, NULL, 0, &cause);
    tap_ok(rs == NULL, "%s: refused", what);
    tap_ok(cause != NULL && strstr(cause, want) != NULL, "%s: says '%s'", what, want);
    if (cause != NULL && strstr(cause, want) == NULL) {
        tap_diag("cause: %s", cause);
    }
    rowset_destroy(rs);
    free(cause);
}

static void fails(const char *text, const char *want, const char *what)
{
    fails_len(text, strlen(text), NULL, want, what);
}

static void doc_fails(const cJSON *doc, const char *want, const char *what)
{
    char *text = cJSON_PrintUnformatted(doc);
    fails(text, want, what);
    free(text);
}

/* The sample's parts, to bend them. */
static cJSON *account0(cJSON *doc)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "account_details"), 0);
}

static cJSON *stream0(cJSON *doc)
{
    return cJSON_GetArrayItem(cJSON_GetObjectItem(account0(doc), "stream_detail"), 0);
}

/* The consumer named name in the first stream. */
static cJSON *consumer(cJSON *doc, const char *name)
{
    cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(stream0(doc), "consumer_detail"))
    {
        if (strcmp(cJSON_GetObjectItem(c, "name")->valuestring, name) == 0) {
            return c;
        }
    }
    return NULL;
}

static void set_num(cJSON *obj, const char *name, double v)
{
    cJSON_ReplaceItemInObject(obj, name, cJSON_CreateNumber(v));
}

static void set_raw(cJSON *obj, const char *name, const char *raw)
{
    cJSON_ReplaceItemInObject(obj, name, cJSON_CreateRaw(raw));
}

/* ---- real reports ---- */

static void test_sample(void)
{
    size_t len;
    char *text = read_fixture("jsz.json", &len);
    char *cause = NULL;
    struct rowset *rs = parse_len(text, len, NULL, NULL, 0, &cause);
    free(text);
    if (!tap_ok(rs != NULL, "jsz.json parses")) {
        tap_diag("cause: %s", cause);
        free(cause);
        return;
    }
    tap_is_int((long long)rs->nrows, 3, "a stream and its two consumers");
    tap_is_str(rowset_key(rs, 0), "$G/ORDERS", "the stream first, keyed account/stream");
    tap_is_str(rowset_key(rs, 1), "$G/ORDERS/audit", "then its consumers, sorted by name");
    tap_is_str(rowset_key(rs, 2), "$G/ORDERS/billing", "keyed account/stream/consumer");

    is_text(rs, 0, QUEUE_NAME, "ORDERS");
    is_text(rs, 0, QUEUE_VHOST, "$G");
    is_text(rs, 0, QUEUE_TYPE, "stream");
    is_text(rs, 0, QUEUE_STATE, "running");
    is_num(rs, 0, QUEUE_MSGS, 10);
    is_num(rs, 0, QUEUE_CONSUMERS, 2);
    is_text(rs, 0, QUEUE_READY, "");
    is_text(rs, 0, QUEUE_IN, "");
    is_text(rs, 0, QUEUE_TREND, "");
    is_text(rs, 0, QUEUE_SOURCE, "js");
    tap_is_int(rs->rows[0].tone, TONE_NORMAL, "the stream row has no tone");
    is_detail(rs, 0, "bytes", "729 B");
    is_detail(rs, 0, "first seq", "1");
    is_detail(rs, 0, "last seq", "10");
    is_detail(rs, 0, "last message", "2026-11-23T09:15:33.462976699Z (4s ago)");
    is_detail(rs, 0, "subjects", "orders.>");
    is_detail(rs, 0, "retention", "limits");
    is_detail(rs, 0, "storage", "file");
    is_detail(rs, 0, "replicas", "1");
    is_detail(rs, 0, "max msgs", "100000");
    is_detail(rs, 0, "max bytes", "unlimited");
    is_detail(rs, 0, "max age", "unlimited");
    is_detail(rs, 0, "leader", "oncall-nats");

    is_text(rs, 2, QUEUE_NAME, "ORDERS > billing");
    is_text(rs, 2, QUEUE_TYPE, "consumer");
    is_text(rs, 2, QUEUE_VHOST, "$G");
    is_num(rs, 2, QUEUE_MSGS, 7);
    is_num(rs, 2, QUEUE_READY, 7);
    is_num(rs, 2, QUEUE_UNACK, 1);
    is_num(rs, 2, QUEUE_CONSUMERS, 0);
    is_text(rs, 2, QUEUE_OUT, "");
    is_text(rs, 2, QUEUE_STATE, "running");
    tap_is_int(rs->rows[2].tone, TONE_NORMAL, "billing, nothing redelivered: no tone");
    is_detail(rs, 2, "durable", "billing");
    is_detail(rs, 2, "mode", "pull");
    is_detail(rs, 2, "ack policy", "explicit");
    is_detail(rs, 2, "deliver policy", "all");
    is_detail(rs, 2, "filter subject", "orders.>");
    is_detail(rs, 2, "max deliver", "5");
    is_detail(rs, 2, "ack wait", "30s");
    is_detail(rs, 2, "ack floor", "consumer seq 2, stream seq 2");
    is_detail(rs, 2, "delivered", "consumer seq 3, stream seq 3");
    is_detail(rs, 2, "redelivered", "0");
    is_detail(rs, 2, "last delivered", "2026-11-23T09:15:33.551504883Z (4s ago)");

    is_num(rs, 1, QUEUE_MSGS, 10);
    is_num(rs, 1, QUEUE_UNACK, 0);
    is_detail(rs, 1, "max deliver", "unlimited");
    is_detail(rs, 1, "filter subject", "(all)");
    is_detail(rs, 1, "last delivered", NULL);
    rowset_destroy(rs);
}

/* Captured from nats-server 2.9.10 after a nak: one message redelivered. */
static void test_redelivered(void)
{
    size_t len;
    char *text = read_fixture("jsz_redelivered.json", &len);
    char *cause = NULL;
    struct rowset *rs = parse_len(text, len, NULL, NULL, 0, &cause);
    free(text);
    if (!tap_ok(rs != NULL, "jsz_redelivered.json parses")) {
        tap_diag("cause: %s", cause);
        free(cause);
        return;
    }
    long c = find_row(rs, "$G/ORDERS/billing");
    if (!tap_ok(c >= 0, "the billing consumer is there")) {
        rowset_destroy(rs);
        return;
    }
    is_detail(rs, (size_t)c, "redelivered", "1");
    tap_is_int(rs->rows[c].tone, TONE_WARN, "a consumer with redeliveries stands out (warn)");
    is_num(rs, (size_t)c, QUEUE_UNACK, 5);
    is_detail(rs, (size_t)c, "ack wait", "2s");
    rowset_destroy(rs);
}

static void test_summary(void)
{
    size_t len;
    char *text = read_fixture("jsz_summary.json", &len);
    char *cause = NULL;
    struct rowset *rs = parse_len(text, len, NULL, NULL, 0, &cause);
    tap_ok(rs != NULL && rs->nrows == 0, "a report without account_details: no rows, no error");
    rowset_destroy(rs);
    free(cause);
    struct nats_history *h = nats_history_create();
    rs = parse_len(text, len, NULL, h, 1000, &cause);
    tap_ok(rs != NULL && rs->nrows == 0, "the same with a history (nothing to remember)");
    rowset_destroy(rs);
    free(cause);
    nats_history_destroy(h);
    fails_len(text, len, "$G", "no JetStream account '$G' on this server (it has: none)",
              "an account filter on a report without accounts");
    free(text);
}

static void test_account_filter(void)
{
    size_t len;
    char *text = read_fixture("jsz.json", &len);
    char *cause = NULL;
    struct rowset *rs = parse_len(text, len, "$G", NULL, 0, &cause);
    tap_ok(rs != NULL && rs->nrows == 3, "account = $G keeps its rows");
    rowset_destroy(rs);
    free(cause);
    fails_len(text, len, "orders", "no JetStream account 'orders' on this server (it has: $G)",
              "an account the server does not have");
    free(text);

    const char *two = "{\"server_id\":\"S\",\"account_details\":["
                      "{\"name\":\"B\",\"id\":\"AB\",\"stream_detail\":[{\"name\":\"s\"}]},"
                      "{\"name\":\"A\",\"stream_detail\":[{\"name\":\"s\"}]}]}";
    rs = parse(two, NULL, NULL, 0, &cause);
    tap_ok(rs != NULL && rs->nrows == 2, "two accounts, a stream each");
    if (rs != NULL && rs->nrows == 2) {
        tap_is_str(rowset_key(rs, 0), "A/s", "accounts sorted by name");
        tap_is_str(rowset_key(rs, 1), "B/s", "the same stream name in another account");
    }
    rowset_destroy(rs);
    rs = parse(two, "AB", NULL, 0, &cause);
    tap_ok(rs != NULL && rs->nrows == 1 && strcmp(rowset_key(rs, 0), "B/s") == 0,
           "an account is found by its id too");
    rowset_destroy(rs);
}

/* ---- two polls: rates, trends, tones ---- */

static void test_rates(void)
{
    cJSON *doc = fixture_json("jsz.json");
    struct nats_history *h = nats_history_create();
    char *cause = NULL;
    struct rowset *rs = parse_doc(doc, h, 10000, &cause);
    tap_ok(rs != NULL, "first poll parses");
    rowset_destroy(rs);

    /* two seconds later: 20 published, billing got 5 more and acked 4 */
    cJSON *state = cJSON_GetObjectItem(stream0(doc), "state");
    set_num(state, "last_seq", 30);
    set_num(state, "messages", 30);
    cJSON *billing = consumer(doc, "billing");
    set_num(cJSON_GetObjectItem(billing, "delivered"), "stream_seq", 8);
    set_num(cJSON_GetObjectItem(billing, "ack_floor"), "stream_seq", 6);
    set_num(billing, "num_pending", 22);
    cJSON *audit = consumer(doc, "audit");
    rs = parse_doc(doc, h, 12000, &cause);
    if (!tap_ok(rs != NULL, "second poll parses")) {
        tap_diag("cause: %s", cause);
        free(cause);
        cJSON_Delete(doc);
        nats_history_destroy(h);
        return;
    }
    is_num(rs, 0, QUEUE_IN, 10);
    is_text(rs, 0, QUEUE_TREND, "grow");
    is_num(rs, 2, QUEUE_OUT, 2.5);
    is_num(rs, 2, QUEUE_ACK, 2);
    is_text(rs, 2, QUEUE_TREND, "grow");
    tap_is_int(rs->rows[2].tone, TONE_WARN, "a consumer whose backlog grows stands out");
    tap_is_int(cell_tone(rs, 2, QUEUE_READY), TONE_WARN, "its READY cell too");
    is_num(rs, 1, QUEUE_OUT, 0);
    is_text(rs, 1, QUEUE_TREND, "flat");
    tap_is_int(rs->rows[1].tone, TONE_NORMAL, "a flat consumer has no tone");
    rowset_destroy(rs);

    /* a bad poll in between changes nothing */
    rs = parse("{\"server_id\":\"S\",\"account_details\":7}", NULL, h, 13000, &cause);
    tap_ok(rs == NULL, "a bad third poll is refused");
    free(cause);

    /* the stream was deleted and created again: sequences start over */
    set_num(state, "last_seq", 3);
    set_num(state, "messages", 3);
    set_num(billing, "num_pending", 1);
    set_num(audit, "num_pending", 3);
    rs = parse_doc(doc, h, 14000, &cause);
    tap_ok(rs != NULL, "fourth poll parses");
    if (rs != NULL) {
        is_text(rs, 0, QUEUE_IN, "");
        is_text(rs, 0, QUEUE_TREND, "drain");
        is_text(rs, 2, QUEUE_TREND, "drain");
        tap_is_int(rs->rows[2].tone, TONE_NORMAL, "a draining consumer has no tone");
    }
    rowset_destroy(rs);

    /* the same clock reading twice: no division by zero */
    rs = parse_doc(doc, h, 14000, &cause);
    tap_ok(rs != NULL && strcmp(rowset_cell_text(rs, 0, QUEUE_IN), "") == 0,
           "no time between polls: rates blank");
    rowset_destroy(rs);
    cJSON_Delete(doc);
    nats_history_destroy(h);
}

static void test_states(void)
{
    cJSON *doc = fixture_json("jsz.json");
    cJSON *billing = consumer(doc, "billing");
    set_num(billing, "num_ack_pending", 1000);
    cJSON *cfg = cJSON_GetObjectItem(stream0(doc), "config");
    cJSON_ReplaceItemInObject(cfg, "discard", cJSON_CreateString("new"));
    set_num(cfg, "max_msgs", 10);
    char *cause = NULL;
    struct rowset *rs = parse_doc(doc, NULL, 0, &cause);
    if (tap_ok(rs != NULL, "states: parses")) {
        is_text(rs, 2, QUEUE_STATE, "stalled");
        tap_is_int(rs->rows[2].tone, TONE_CRIT, "at max_ack_pending the consumer is critical");
        tap_is_int(cell_tone(rs, 2, QUEUE_UNACK), TONE_CRIT, "its UNACK cell too");
        is_text(rs, 0, QUEUE_STATE, "full");
        tap_is_int(rs->rows[0].tone, TONE_CRIT, "a full stream with discard=new is critical");
    }
    rowset_destroy(rs);
    free(cause);
    cJSON_Delete(doc);
}

/* ---- hostile reports ---- */

static void test_numbers(void)
{
    cJSON *doc = fixture_json("jsz.json");
    cJSON *state = cJSON_GetObjectItem(stream0(doc), "state");
    set_raw(state, "messages", "18446744073709551615");
    set_raw(state, "last_seq", "18446744073709551615");
    char *cause = NULL;
    struct rowset *rs = parse_doc(doc, NULL, 0, &cause);
    if (tap_ok(rs != NULL, "uint64 max as a counter parses")) {
        is_num(rs, 0, QUEUE_MSGS, 18446744073709551615.0);
        is_detail(rs, 0, "last seq", "18446744073709551616");
    }
    rowset_destroy(rs);

    set_raw(state, "messages", "1e400");
    doc_fails(doc, "account '$G', stream 'ORDERS': state.messages is out of range",
              "a number beyond a double");
    set_raw(state, "messages", "-5");
    doc_fails(doc, "state.messages is negative (-5)", "a negative counter");
    set_raw(state, "messages", "\"10\"");
    doc_fails(doc, "state.messages is a string, not a number", "a string where a number belongs");
    set_raw(state, "messages", "10");

    cJSON *billing = consumer(doc, "billing");
    set_raw(billing, "num_pending", "\"7\"");
    doc_fails(doc,
              "account '$G', stream 'ORDERS', consumer 'billing': num_pending is a string, "
              "not a number",
              "a consumer's counter as a string, named");
    set_raw(billing, "num_pending", "7");
    set_raw(cJSON_GetObjectItem(billing, "delivered"), "stream_seq", "true");
    doc_fails(doc, "delivered.stream_seq is a boolean, not a number", "a boolean sequence");
    set_raw(cJSON_GetObjectItem(billing, "delivered"), "stream_seq", "3");
    set_raw(billing, "delivered", "[]");
    doc_fails(doc, "delivered is an array, not an object", "delivered as an array");
    set_raw(billing, "delivered", "null");
    rs = parse_doc(doc, NULL, 0, &cause);
    tap_ok(rs != NULL, "delivered: null is missing, so zero");
    rowset_destroy(rs);
    free(cause);

    cJSON *cfg = cJSON_GetObjectItem(billing, "config");
    set_raw(cfg, "ack_wait", "1e30");
    rs = parse_doc(doc, NULL, 0, &cause);
    if (tap_ok(rs != NULL, "an absurd ack_wait parses")) {
        is_detail(rs, 2, "ack wait", "forever");
    }
    rowset_destroy(rs);
    set_raw(cfg, "ack_wait", "-1");
    rs = parse_doc(doc, NULL, 0, &cause);
    if (tap_ok(rs != NULL, "a negative ack_wait (a setting, not a counter) parses")) {
        is_detail(rs, 2, "ack wait", "none");
    }
    rowset_destroy(rs);
    set_raw(cfg, "ack_policy", "3");
    doc_fails(doc, "config.ack_policy is a number, not a string", "a number where a word belongs");
    cJSON_Delete(doc);

    doc = fixture_json("jsz.json");
    cJSON *scfg = cJSON_GetObjectItem(stream0(doc), "config");
    set_raw(scfg, "subjects", "[\"a\", 5]");
    doc_fails(doc, "config.subjects holds a number, not a string", "a subject that is a number");
    set_raw(scfg, "subjects", "\"orders.>\"");
    doc_fails(doc, "config.subjects is a string, not an array", "subjects as a string");
    set_raw(scfg, "sealed", "\"no\"");
    set_raw(scfg, "subjects", "[]");
    doc_fails(doc, "config.sealed is a string, not true or false", "sealed as a string");
    cJSON_Delete(doc);
}

static void test_shapes(void)
{
    fails("", "empty response", "an empty body");
    fails(" \n\t ", "empty response", "whitespace");
    fails("[]", "expected a JSON object, got an array", "an array");
    fails("\"jsz\"", "expected a JSON object, got a string", "a string");
    fails("{\"ok\": true}", "server_id is missing: not a NATS /jsz report", "another JSON object");
    fails("{\"server_id\": 5}", "server_id is a number, not a string", "server_id a number");
    fails("{\"server_id\":\"S\",\"disabled\":true}", "JetStream is off on this server",
          "JetStream disabled");
    fails("{\"server_id\":\"S\",\"account_details\":{}}",
          "account_details is an object, not an array", "account_details an object");
    fails("{\"server_id\":\"S\",\"account_details\":[5]}",
          "account_details[0] is a number, not an object", "an account that is a number");
    fails("{\"server_id\":\"S\",\"account_details\":[{}]}", "account_details[0].name is missing",
          "an account without a name");
    fails("{\"server_id\":\"S\",\"account_details\":[{\"name\":\"A\",\"stream_detail\":\"x\"}]}",
          "account 'A': stream_detail is a string, not an array", "stream_detail a string");
    fails("{\"server_id\":\"S\",\"account_details\":[{\"name\":\"A\",\"stream_detail\":[{}]}]}",
          "account 'A': stream_detail[0].name is missing", "a stream without a name");
    fails("{\"server_id\":\"S\",\"account_details\":[{\"name\":\"A\",\"stream_detail\":"
          "[{\"name\":\"s\",\"consumer_detail\":[{\"name\":[]}]}]}]}",
          "consumer_detail[0].name is an array, not a string", "a consumer name that is an array");
    fails("{\"server_id\":\"S\"} trailing", "unexpected data after the JSON",
          "trailing bytes after the report");

    size_t len;
    char *text = read_fixture("jsz.json", &len);
    fails_len(text, len / 2, NULL, "invalid JSON at byte", "the sample cut in half");
    fails_len(text, 1, NULL, "invalid JSON", "the first byte only");
    free(text);
    const char garbage[] = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe";
    fails_len(garbage, sizeof garbage - 1, NULL, "invalid JSON", "binary garbage");
    fails_len("{\"server_id\":\"S\"\0,\"x\":1}", 24, NULL, "",
              "a NUL inside the body ends it (then invalid)");

    /* missing is zero: a stream and a consumer with nothing but names */
    char *cause = NULL;
    struct rowset *rs = parse("{\"server_id\":\"S\",\"account_details\":[{\"name\":\"A\","
                              "\"stream_detail\":[{\"name\":\"s\",\"consumer_detail\":"
                              "[{\"name\":\"c\"}]}]}]}",
                              NULL, NULL, 0, &cause);
    if (tap_ok(rs != NULL && rs->nrows == 2, "bare names: a stream row and a consumer row")) {
        is_num(rs, 0, QUEUE_MSGS, 0);
        is_text(rs, 0, QUEUE_STATE, "idle");
        is_num(rs, 1, QUEUE_MSGS, 0);
        is_num(rs, 1, QUEUE_UNACK, 0);
        is_text(rs, 1, QUEUE_STATE, "idle");
        is_detail(rs, 1, "ack floor", "consumer seq 0, stream seq 0");
        is_detail(rs, 1, "durable", NULL);
    } else {
        tap_diag("cause: %s", cause);
    }
    rowset_destroy(rs);
    free(cause);

    /* a stream without consumer_detail (consumers=false): just the stream */
    rs = parse("{\"server_id\":\"S\",\"account_details\":[{\"name\":\"A\",\"stream_detail\":"
               "[{\"name\":\"s\",\"state\":{\"messages\":4,\"consumer_count\":2}}]}]}",
               NULL, NULL, 0, &cause);
    tap_ok(rs != NULL && rs->nrows == 1 && rowset_cell_num(rs, 0, QUEUE_CONSUMERS) == 2,
           "no consumer_detail: the stream row keeps consumer_count");
    rowset_destroy(rs);
    free(cause);
}

static void test_keys(void)
{
    char *cause = NULL;
    struct rowset *rs =
        parse("{\"server_id\":\"S\",\"account_details\":[{\"name\":\"A/B\",\"stream_detail\":["
              "{\"name\":\"s\",\"consumer_detail\":[{\"name\":\"x\"}]},"
              "{\"name\":\"s/x\"},{\"name\":\"100%\"},{\"name\":\"s\"}]}]}",
              NULL, NULL, 0, &cause);
    if (!tap_ok(rs != NULL, "odd names parse")) {
        tap_diag("cause: %s", cause);
        free(cause);
        return;
    }
    tap_ok(find_row(rs, "A%2FB/s/x") >= 0, "a consumer: '/' in the account escaped");
    tap_ok(find_row(rs, "A%2FB/s%2Fx") >= 0, "a stream named s/x does not collide with it");
    tap_ok(find_row(rs, "A%2FB/100%25") >= 0, "%s", "'%' escaped too");
    bool unique = true;
    for (size_t i = 0; i < rs->nrows; i++) {
        for (size_t j = i + 1; j < rs->nrows; j++) {
            unique = unique && strcmp(rowset_key(rs, i), rowset_key(rs, j)) != 0;
        }
    }
    tap_ok(unique && rs->nrows == 5, "a stream listed twice still gets a key of its own");
    long s = find_row(rs, "A%2FB/s%2Fx");
    tap_ok(s >= 0 && strcmp(rowset_cell_text(rs, (size_t)s, QUEUE_NAME), "s/x") == 0,
           "the name shows unescaped");
    rowset_destroy(rs);
}

static void test_durations(void)
{
    static const struct {
        double ns;
        const char *want;
    } cases[] = {
        {30e9, "30s"},     {90e9, "1m30s"},     {1.5e9, "1.5s"},    {250e6, "250ms"},
        {5e3, "5us"},      {120e9, "2m"},       {183600e9, "2d3h"}, {3600e9, "1h"},
        {1e30, "forever"}, {9.3e18, "forever"}, {0, "0s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        nats_format_ns(buf, sizeof buf, cases[i].ns);
        char *what = xasprintf("%g ns reads %s", cases[i].ns, cases[i].want);
        tap_is_str(buf, cases[i].want, what);
        free(what);
    }
}

static bool configure(struct backend *b, const char *key, const char *value, char **cause)
{
    free(*cause);
    *cause = NULL;
    return backend_configure(b, key, value, cause);
}

static void test_config(void)
{
    struct store *st = store_create();
    struct backend *b = backend_create(&nats_backend, "js", st, NULL);
    char *cause = NULL;
    tap_ok(backend_impl_find("nats") == &nats_backend, "type = nats is registered");
    tap_ok(nats_backend.nactions == 0 && nats_backend.act == NULL, "read-only: no actions");
    tap_ok(nats_backend.kinds == 1u << MODEL_QUEUES, "it feeds the Queues pane only");
    tap_ok(!backend_start(b, &cause), "no url: start fails");
    tap_ok(!configure(b, "bogus", "1", &cause), "an unknown key is refused");
    tap_is_str(cause, "unknown key 'bogus' for a nats backend", "with the house message");
    tap_ok(!configure(b, "account", "", &cause), "an empty account is refused");
    tap_ok(configure(b, "account", "$G", &cause), "account = $G");
    tap_ok(!configure(b, "url", "ftp://x", &cause), "a bad url is refused (HTTP settings)");
    tap_ok(configure(b, "url", "http://127.0.0.1:8222", &cause), "url");
    tap_ok(configure(b, "timeout", "3s", &cause), "the common timeout key");
    tap_ok(backend_start(b, &cause), "url is enough to start");
    backend_destroy(b);
    free(cause);
    store_destroy(st);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        fixtures = argv[1];
    }
    test_sample();
    test_redelivered();
    test_summary();
    test_account_filter();
    test_rates();
    test_states();
    test_numbers();
    test_shapes();
    test_keys();
    test_durations();
    test_config();
    return tap_done();
}
