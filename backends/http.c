/*
 * The one libcurl multi client. Requests are easy handles on the loop's multi
 * handle (created on first use); the loop calls on_curl_progress() after every
 * curl_multi_perform(), which reads finished transfers and runs callbacks.
 *
 * Every request is bounded: connect and total timeouts, a body cap enforced
 * both from Content-Length (CURLOPT_MAXFILESIZE_LARGE) and while receiving (the
 * write callback refuses bytes past the cap), http and https only, no
 * redirects (credentials must not follow a Location header). Idempotent GETs
 * that fail in transport or with 502/503/504 are retried on a loop timer after
 * a random delay in [0, min(2 s, 250 ms * 2^attempt)] ("full jitter"), so many
 * backends recovering together do not knock a server over again.
 *
 * Issue 20: and only while the settings' retry budget (pollpolicy.h) has a
 * token. Every first attempt counts as sent; one answered well (any response
 * but a 5xx or a 429: the server is coping) earns a tenth of a token; a retry
 * takes one, so a struggling server sees at most about 10% more requests
 * than the polls themselves, not three times as many. A 429 means "slower":
 * it is never retried, it is a failure the poll schedule slows down for. A
 * 503 that names its Retry-After is not retried either (the server said when
 * to come back, and it is not in the next two seconds' jitter); the
 * Retry-After of a 503 or 429 (delta-seconds or an HTTP date, read by
 * curl_getdate) reaches the caller as retry_after_ms, for the schedule's floor.
 *
 * No callback runs before the call that registered it returns (DESIGN rule
 * 2): a request that cannot even start (curl refuses the handle) is answered
 * from a zero-delay loop timer, and every other answer comes from the loop's
 * curl handler or a retry timer, never from inside http_request(). So a
 * caller may store the handle after the call without wondering whether the
 * callback has already run and freed it.
 *
 * Unchanged input (issue 19): the body is hashed in the write callback as
 * it arrives, not in a second pass: FNV-1a 64 taken 8 bytes at a time (the
 * words of the body, whatever its chunks; the last 0-7 bytes one by one at
 * the end), ten times the speed of byte-wise FNV-1a (1.1 ms instead of 11.6
 * for 7.7 MB), which every unchanged storm answer would pay. The ETag and
 * Last-Modified headers are kept from the header callback; both start afresh
 * with every attempt (a retry) and every status line (an interim 1xx), so
 * they describe the response delivered. A conditional GET sends the caller's
 * validators back on every attempt; its 304 is delivered as such (not
 * retried, no body). http_take_body hands the delivered body's buffer over
 * without a copy, so a parse that outlives the callback costs no second 7 MB.
 */
#include "http.h"

#include "pollpolicy.h"

#include "../common/text.h"
#include "../common/clock.h"
#include "../common/util.h"
#include "../common/loop.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

enum {
    VALIDATOR_MAX = 1024,          /* a longer ETag or Last-Modified is not kept (nor sent back) */
    RETRY_AFTER_MAX_S = 24 * 3600, /* a longer Retry-After is read as a day */
};

static const uint64_t FNV1A_PRIME = 0x100000001b3ull;

struct http_request {
    struct loop *loop;
    CURL *easy;
    struct curl_slist *headers;
    char *url;
    char *method;
    char *body;
    size_t body_len;
    char *content_type;
    const struct http_settings *s;
    struct strbuf response; /* the body that has arrived, NUL-terminated */
    uint64_t hash;          /* FNV-1a 64 of the body's first `hashed` bytes, by words */
    size_t hashed;          /* a multiple of 8 */
    char *etag;             /* this attempt's ETag and Last-Modified headers, or NULL */
    char *last_modified;
    char *if_none_match; /* a conditional GET's validators, sent on every attempt */
    char *if_modified_since;
    struct http_response resp; /* the answer being delivered (http_take_body reads it) */
    bool too_big;
    char errbuf[CURL_ERROR_SIZE];
    http_done_cb cb;
    void *ud;
    int attempt;
    struct loop_timer *retry; /* a retry, or the delivery of a failure to start */
    uint64_t started_ms;
    uint64_t retry_after_ms; /* this attempt's Retry-After header, 0 when none */
};

/* ---- requests ---- */

static void on_curl_progress(void *ud);

static CURLM *multi_for(struct loop *loop)
{
    CURLM *multi = loop_curl_multi(loop);
    loop_set_curl_handler(loop, on_curl_progress, multi);
    return multi;
}

/*
 * The receive buffer of the last answer nobody took, kept for the next
 * request (issue 19): a storm's unchanged 7 MB answer every 2 s then lands
 * in pages already mapped, where a fresh buffer cost a page fault per 4 KiB
 * (about two thirds of an idle console's CPU). One buffer, and only a large
 * one: small answers are cheap either way.
 */
enum { SPARE_MIN = 64 << 10 };
static struct strbuf spare;

static void spare_take(struct strbuf *sb)
{
    if (sb->s == NULL && spare.s != NULL) {
        *sb = spare;
        sb->n = 0;
        sb->s[0] = '\0';
        spare = (struct strbuf){0};
    }
}

static void spare_keep(struct strbuf *sb)
{
    if (sb->cap >= SPARE_MIN && sb->cap > spare.cap) {
        free(spare.s);
        spare = *sb;
    } else {
        free(sb->s);
    }
    *sb = (struct strbuf){0};
}

/* Room for the whole body at once when the server says its length: no growth, no copies. */
static void reserve_body(struct http_request *r)
{
    curl_off_t cl = -1;
    if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) != CURLE_OK ||
        cl <= 0 || (uint64_t)cl > r->s->max_body || (size_t)cl + 1 <= r->response.cap) {
        return;
    }
    r->response.cap = (size_t)cl + 1;
    r->response.s = xrealloc(r->response.s, r->response.cap);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct http_request *r = ud;
    size_t bytes = size * n;
    if (r->response.n + bytes > r->s->max_body) {
        r->too_big = true;
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    }
    if (r->response.n == 0) {
        reserve_body(r);
    }
    strbuf_add(&r->response, data, bytes);
    /* whole words of the body so far: the same words however the bytes came in */
    size_t end = r->response.n & ~(size_t)7;
    uint64_t h = r->hash;
    for (size_t i = r->hashed; i < end; i += 8) {
        uint64_t w;
        memcpy(&w, r->response.s + i, 8);
        h = (h ^ w) * FNV1A_PRIME;
    }
    r->hash = h;
    r->hashed = end;
    return bytes;
}

/* The body's hash once it is all in: the words hashed so far, then the last bytes. */
static uint64_t body_hash(const struct http_request *r)
{
    if (r->response.n == 0) {
        return 0;
    }
    uint64_t h = r->hash;
    for (size_t i = r->hashed; i < r->response.n; i++) {
        h = (h ^ (unsigned char)r->response.s[i]) * FNV1A_PRIME;
    }
    return h;
}

/*
 * A validator worth keeping: the header's value without its surrounding
 * blanks, short, and without a control byte (it is sent back in a header of
 * the next request, where a CR or LF would start another one).
 */
static char *validator(const char *v, size_t n)
{
    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n')) {
        n--;
    }
    if (n == 0 || n > VALIDATOR_MAX) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return NULL;
        }
    }
    return xstrndup(v, n);
}

/* A header field named name (case-insensitive)? Then *value is what follows the colon. */
static bool header_is(const char *line, size_t n, const char *name, const char **value,
                      size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0) {
        return false;
    }
    *value = line + k + 1;
    *vlen = n - k - 1;
    return true;
}

static void forget_validators(struct http_request *r)
{
    free(r->etag);
    free(r->last_modified);
    r->etag = r->last_modified = NULL;
    r->retry_after_ms = 0;
}

/*
 * A Retry-After header's value in ms: delta-seconds, or an HTTP date (any of
 * the three forms curl_getdate reads) after the wall clock's now. 0 when it
 * says nothing usable (garbage, a date already past); at most a day.
 */
static uint64_t retry_after(const char *v, size_t n)
{
    while (n > 0 && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r' || v[n - 1] == '\n')) {
        n--;
    }
    if (n == 0 || n >= 64) {
        return 0;
    }
    char buf[64];
    memcpy(buf, v, n);
    buf[n] = '\0';
    uint64_t secs = 0;
    if (strspn(buf, "0123456789") == n) {
        for (size_t i = 0; i < n && secs <= RETRY_AFTER_MAX_S; i++) {
            secs = secs * 10 + (uint64_t)(buf[i] - '0');
        }
        return (secs < RETRY_AFTER_MAX_S ? secs : RETRY_AFTER_MAX_S) * 1000;
    }
    time_t when = curl_getdate(buf, NULL);
    int64_t ms = when == (time_t)-1 ? 0 : (int64_t)when * 1000 - clock_wall_ms();
    if (ms <= 0) {
        return 0;
    }
    return (uint64_t)ms < RETRY_AFTER_MAX_S * 1000ull ? (uint64_t)ms : RETRY_AFTER_MAX_S * 1000ull;
}

/*
 * One header line of the answer. A status line starts a new response (an
 * interim 100 Continue, a retry's new attempt): the validators are the final
 * response's only.
 */
static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    struct http_request *r = ud;
    size_t bytes = size * n;
    const char *v;
    size_t vlen;
    if (bytes >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        forget_validators(r);
    } else if (header_is(data, bytes, "ETag", &v, &vlen)) {
        free(r->etag);
        r->etag = validator(v, vlen);
    } else if (header_is(data, bytes, "Last-Modified", &v, &vlen)) {
        free(r->last_modified);
        r->last_modified = validator(v, vlen);
    } else if (header_is(data, bytes, "Retry-After", &v, &vlen)) {
        r->retry_after_ms = retry_after(v, vlen);
    }
    return bytes;
}

static void set_auth(struct http_request *r)
{
    const struct http_settings *s = r->s;
    if (s->auth == HTTP_AUTH_BASIC) {
        curl_easy_setopt(r->easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(r->easy, CURLOPT_USERNAME, s->user);
        curl_easy_setopt(r->easy, CURLOPT_PASSWORD, s->secret);
    } else if (s->auth == HTTP_AUTH_BEARER) {
        char *h = xasprintf("Authorization: Bearer %s", s->secret);
        r->headers = curl_slist_append(r->headers, h);
        memset(h, 0, strlen(h));
        free(h);
    }
}

static void set_tls(struct http_request *r)
{
    const struct http_settings *s = r->s;
    if (s->insecure) {
        curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (s->ca_file != NULL) {
        curl_easy_setopt(r->easy, CURLOPT_CAINFO, s->ca_file);
    }
}

static void set_method(struct http_request *r)
{
    if (strcmp(r->method, "GET") == 0) {
        curl_easy_setopt(r->easy, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(r->easy, CURLOPT_POST, 1L);
    } else {
        curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, r->method);
    }
    if (r->body != NULL) {
        curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body);
        curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        char *ct =
            xasprintf("Content-Type: %s", r->content_type ? r->content_type : "application/json");
        r->headers = curl_slist_append(r->headers, ct);
        free(ct);
    }
}

/* A conditional GET: the validators of the answer the caller already has. */
static void set_conditions(struct http_request *r)
{
    if (r->if_none_match != NULL) {
        char *h = xasprintf("If-None-Match: %s", r->if_none_match);
        r->headers = curl_slist_append(r->headers, h);
        free(h);
    }
    if (r->if_modified_since != NULL) {
        char *h = xasprintf("If-Modified-Since: %s", r->if_modified_since);
        r->headers = curl_slist_append(r->headers, h);
        free(h);
    }
}

static void drop_transfer(struct http_request *r);

/* False when curl refuses the transfer; nothing of it is left then. */
static bool start_transfer(struct http_request *r)
{
    r->easy = curl_easy_init();
    if (r->easy == NULL) {
        return false;
    }
    spare_take(&r->response);
    r->response.n = 0; /* a retry starts the body afresh */
    if (r->response.s != NULL) {
        r->response.s[0] = '\0';
    }
    r->hash = FNV1A_OFFSET;
    r->hashed = 0;
    forget_validators(r);
    r->too_big = false;
    r->errbuf[0] = '\0';
    r->started_ms = clock_mono_ms();
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)r->s->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)r->s->timeout_ms);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->s->max_body);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""); /* compression helps over slow links */
    curl_easy_setopt(e, CURLOPT_USERAGENT, "opsdeck/" OPSDECK_VERSION);
    r->headers = curl_slist_append(r->headers, "Accept: application/json, text/plain, */*");
    set_conditions(r);
    set_method(r);
    set_auth(r);
    set_tls(r);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    if (curl_multi_add_handle(multi_for(r->loop), e) != CURLM_OK) {
        drop_transfer(r);
        return false;
    }
    return true;
}

static void drop_transfer(struct http_request *r)
{
    if (r->easy != NULL) {
        /* harmless for a handle the multi never took (CURLM_BAD_EASY_HANDLE) */
        curl_multi_remove_handle(multi_for(r->loop), r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    curl_slist_free_all(r->headers);
    r->headers = NULL;
}

static void request_free(struct http_request *r)
{
    drop_transfer(r);
    if (r->retry != NULL) {
        loop_timer_cancel(r->loop, r->retry);
    }
    free(r->url);
    free(r->method);
    free(r->body);
    free(r->content_type);
    spare_keep(&r->response);
    forget_validators(r);
    free(r->if_none_match);
    free(r->if_modified_since);
    free(r);
}

/* The request whose answer is being delivered: http_take_body's to take from. */
static struct http_request *delivering;

static void complete(struct http_request *r, long status, const char *error)
{
    bool got = error == NULL;
    bool conditional = r->if_none_match != NULL || r->if_modified_since != NULL;
    r->resp = (struct http_response){
        .status = status,
        .body = r->response.s != NULL ? r->response.s : "",
        .len = r->response.n,
        .error = error,
        .elapsed_ms = (double)(clock_mono_ms() - r->started_ms),
        .hash = got ? body_hash(r) : 0,
        .etag = got ? r->etag : NULL,
        .last_modified = got ? r->last_modified : NULL,
        .not_modified = got && status == 304 && conditional,
        .retry_after_ms = got && (status == 503 || status == 429) ? r->retry_after_ms : 0,
    };
    if (r->resp.not_modified) {
        r->resp.body = "";
        r->resp.len = 0; /* a 304 has no body (whatever a server sent) */
    }
    http_done_cb cb = r->cb;
    void *ud = r->ud;
    drop_transfer(r);
    struct http_request *outer = delivering; /* a callback may wait on a nested loop */
    delivering = r;
    cb(&r->resp, ud);
    delivering = outer;
    request_free(r);
}

char *http_take_body(const struct http_response *r, size_t *len)
{
    *len = 0;
    if (r->len == 0) {
        return NULL;
    }
    char *body;
    struct http_request *req = delivering;
    if (req != NULL && r == &req->resp && req->resp.body == req->response.s) {
        body = req->response.s; /* the bytes as they arrived: no copy */
        *len = req->response.n;
        req->response = (struct strbuf){0};
        req->resp.body = "";
        req->resp.len = 0;
    } else {
        /* a response this client did not deliver (a test's): a copy */
        body = xstrndup(r->body, r->len);
        *len = r->len;
    }
    return body;
}

static const char START_FAILED[] = "cannot start the request";

/* The answer to a request that could not start, delivered from the loop. */
static void start_failed(void *ud)
{
    struct http_request *r = ud;
    r->retry = NULL;
    complete(r, 0, START_FAILED);
}

static void retry_now(void *ud)
{
    struct http_request *r = ud;
    r->retry = NULL;
    if (!start_transfer(r)) {
        complete(r, 0, START_FAILED);
    }
}

/* A failure that another try may cure (whether one is allowed is should_retry's question). */
static bool worth_retrying(const struct http_request *r, CURLcode rc, long status)
{
    if (r->too_big) {
        return false;
    }
    if (rc == CURLE_OK) {
        /* not a 429 ("slower"), nor a 503 that said when to come back */
        return status == 502 || status == 504 || (status == 503 && r->retry_after_ms == 0);
    }
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
           rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING ||
           rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_PARTIAL_FILE;
}

/* Checked last, the budget's token is only taken for a retry that will go out. */
static bool should_retry(const struct http_request *r, CURLcode rc, long status)
{
    if (strcmp(r->method, "GET") != 0 || r->attempt >= r->s->retries ||
        !worth_retrying(r, rc, status)) {
        return false;
    }
    return r->s->budget == NULL || retry_budget_take(r->s->budget, clock_mono_ms());
}

/* A first attempt the server coped with: an answer, neither a 5xx nor a 429. */
static void count_success(const struct http_request *r, CURLcode rc, long status)
{
    if (r->attempt == 0 && r->s->budget != NULL && rc == CURLE_OK && status < 500 &&
        status != 429) {
        retry_budget_success(r->s->budget, clock_mono_ms());
    }
}

/* "32 MiB", "1 KiB", "1000 bytes"; as a config value: "32M", "1K", "1000". */
static void size_fmt(size_t n, char *buf, size_t len, bool as_key)
{
    if (n >= 1u << 20 && n % (1u << 20) == 0) {
        snprintf(buf, len, as_key ? "%zuM" : "%zu MiB", n >> 20);
    } else if (n >= 1024 && n % 1024 == 0) {
        snprintf(buf, len, as_key ? "%zuK" : "%zu KiB", n >> 10);
    } else {
        snprintf(buf, len, as_key ? "%zu" : "%zu bytes", n);
    }
}

static void transport_error(struct http_request *r, CURLcode rc, char *buf, size_t len)
{
    if (r->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        char cap[32], twice[32];
        size_fmt(r->s->max_body, cap, sizeof cap, false);
        size_fmt(r->s->max_body * 2, twice, sizeof twice, true);
        snprintf(buf, len,
                 "response larger than max_body (%s): raise max_body in this backend's section "
                 "(e.g. max_body = %s)",
                 cap, twice);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(buf, len, "timed out after %d ms", r->s->timeout_ms);
    } else if (r->errbuf[0] != '\0') {
        snprintf(buf, len, "%s", r->errbuf);
    } else {
        snprintf(buf, len, "%s", curl_easy_strerror(rc));
    }
}

static void finished(struct http_request *r, CURLcode rc)
{
    long status = 0;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    }
    count_success(r, rc, status);
    if (should_retry(r, rc, status)) {
        drop_transfer(r);
        uint64_t wait = retry_delay((unsigned)r->attempt, rng_u64());
        r->attempt++;
        r->retry = loop_timer_add(r->loop, wait, 0, retry_now, r);
        return;
    }
    if (rc != CURLE_OK) {
        char err[CURL_ERROR_SIZE + 64];
        transport_error(r, rc, err, sizeof err);
        complete(r, 0, err);
        return;
    }
    complete(r, status, NULL);
}

static void on_curl_progress(void *ud)
{
    CURLM *multi = ud;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        struct http_request *r = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r != NULL) {
            finished(r, msg->data.result);
        }
    }
}

static struct http_request *request_new(struct loop *loop, const struct http_settings *s,
                                        const char *method, const char *path,
                                        const char *content_type, const char *body, size_t body_len,
                                        http_done_cb cb, void *ud)
{
    struct http_request *r = xcalloc(1, sizeof *r);
    r->loop = loop;
    r->s = s;
    r->url = xasprintf("%s%s", s->url, path);
    r->method = xstrdup(method);
    if (body != NULL) {
        r->body = xmalloc(body_len + 1);
        memcpy(r->body, body, body_len);
        r->body[body_len] = '\0';
        r->body_len = body_len;
    }
    r->content_type = content_type ? xstrdup(content_type) : NULL;
    r->cb = cb;
    r->ud = ud;
    return r;
}

static struct http_request *request_start(struct http_request *r)
{
    if (r->s->budget != NULL) {
        retry_budget_sent(r->s->budget, clock_mono_ms());
    }
    if (!start_transfer(r)) {
        /* answered on the loop, never inside the caller's own call */
        r->retry = loop_timer_add(r->loop, 0, 0, start_failed, r);
    }
    return r;
}

struct http_request *http_request(struct loop *loop, const struct http_settings *s,
                                  const char *method, const char *path, const char *content_type,
                                  const char *body, size_t body_len, http_done_cb cb, void *ud)
{
    return request_start(request_new(loop, s, method, path, content_type, body, body_len, cb, ud));
}

struct http_request *http_request_conditional(struct loop *loop, const struct http_settings *s,
                                              const char *path, const char *etag,
                                              const char *last_modified, http_done_cb cb, void *ud)
{
    struct http_request *r = request_new(loop, s, "GET", path, NULL, NULL, 0, cb, ud);
    /* the caller's validators came from a server: checked again before they become headers */
    r->if_none_match = etag != NULL ? validator(etag, strlen(etag)) : NULL;
    r->if_modified_since =
        last_modified != NULL ? validator(last_modified, strlen(last_modified)) : NULL;
    return request_start(r);
}

void http_cancel(struct http_request *r)
{
    if (r != NULL) {
        request_free(r);
    }
}

bool http_ok(const struct http_response *r)
{
    return r->error == NULL && r->status >= 200 && r->status <= 299;
}

char *http_escape(const char *s)
{
    size_t n = strlen(s);
    char *out = xmalloc(n * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out[o++] = (char)c;
        } else {
            snprintf(out + o, 4, "%%%02X", c);
            o += 3;
        }
    }
    out[o] = '\0';
    return out;
}

static const char *reason_phrase(long status)
{
    switch (status) {
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "";
    }
}

char *http_describe_failure(const struct http_response *r)
{
    if (r->error != NULL) {
        return xstrdup(r->error);
    }
    /* the first line of the body, short and shown as text (text.h): servers explain themselves
     * there, and a hostile one would put escapes there */
    size_t i = 0, n = 0;
    while (i < r->len && (r->body[i] == '\n' || r->body[i] == '\r')) {
        i++;
    }
    while (i + n < r->len && n < 127 && r->body[i + n] != '\n' && r->body[i + n] != '\r') {
        n++;
    }
    if (n == 127) {
        /* cut by the limit: not inside a UTF-8 sequence */
        while (n > 0 && i + n < r->len && ((unsigned char)r->body[i + n] & 0xc0) == 0x80) {
            n--;
        }
    }
    const char *phrase = reason_phrase(r->status);
    if (n == 0) {
        return xasprintf("HTTP %ld%s%s", r->status, phrase[0] ? " " : "", phrase);
    }
    char *first = text_clean(r->body + i, n, 0);
    char *out = xasprintf("HTTP %ld%s%s: %s", r->status, phrase[0] ? " " : "", phrase, first);
    free(first);
    return out;
}
