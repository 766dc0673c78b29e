/*
 * The one HTTP client (DESIGN rule 1): every HTTP backend's requests go
 * through one libcurl multi handle on the event loop, so a backend that hangs
 * costs an entry in the poll set and nothing else.
 *
 * Per backend, struct http_settings holds what its config section says: base
 * URL, timeouts, body cap, TLS and credentials. Common keys are parsed here so
 * every HTTP backend accepts the same ones:
 *
 *   url = https://am.example:9093     base URL (required)
 *   connect_timeout = 3s              default 3s
 *   max_body = 32M                    response cap, default 32 MiB (K, M suffixes)
 *   retries = 2                       extra tries for idempotent GETs (0-5)
 *   ca_file = /etc/ssl/internal.pem   trust this CA
 *   insecure = true                   skip TLS verification (shown in the status bar)
 *   auth = none | basic | bearer
 *   user = alice                      basic auth user
 *   password_env = AM_PASSWORD        secret from an environment variable, or
 *   password_file = ~/.secrets/am     from a file that is not group/world readable
 *                                     (or a symlink to one: Kubernetes mounts)
 *   token_env / token_file            bearer token, the same way; an empty one, or one
 *                                     holding a CR, LF or other control byte, is refused
 *
 * The total timeout is the backend's common `timeout` key. Secrets are read
 * once at start, never printed, logged or journaled.
 *
 * Requests: http_request() starts one at once and returns; the callback runs
 * exactly once on the loop with the status and body (or a transport error),
 * unless the request is cancelled first. It never runs before http_request()
 * returns, not even for an error found at once (a bad URL, a request curl
 * refuses): those are answered from the loop too, so the caller may keep the
 * handle it gets back. Once the callback has run, the handle is gone (forget
 * it first thing in the callback, never cancel it there). GETs that fail in
 * transport or with 502/503/504 are retried with exponential backoff and full
 * jitter (retry_delay, pollpolicy.h), while the backend's retry budget has a
 * token (issue 20): retries add at most about 10% to the last minute's
 * requests, so a console does not triple its load on a server that is
 * already failing. A 429 ("slower") is never retried, nor a 503 that says
 * when to come back (Retry-After): the poll schedule waits for it instead.
 */
#ifndef OPSDECK_HTTP_H
#define OPSDECK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct retry_budget;

enum http_auth { HTTP_AUTH_NONE, HTTP_AUTH_BASIC, HTTP_AUTH_BEARER };

struct http_settings {
    char *url; /* base, without a trailing slash */
    int connect_timeout_ms;
    int timeout_ms; /* copied from the backend's common timeout by http_settings_finish */
    size_t max_body;
    int retries;
    char *ca_file;
    bool insecure;
    enum http_auth auth;
    char *user;
    char *secret; /* password or token, loaded by http_settings_finish */
    char *secret_env;
    char *secret_file;
    /*
     * Issue 20: the retry budget of every request made with these settings
     * (pollpolicy.h), allocated by http_settings_init, freed by
     * http_settings_free. A first attempt counts as sent; one answered well
     * (a response that is neither 5xx nor 429) earns a tenth of a token; a
     * retry takes one. A copy of the settings (a query's, with a smaller
     * body cap) shares it. NULL (settings never initialised): no limit.
     */
    struct retry_budget *budget;
};

void http_settings_init(struct http_settings *s);
void http_settings_free(struct http_settings *s);
/*
 * One config key. Returns 1 when taken, 0 when not an HTTP key (the backend
 * may know it), -1 on a bad value (with *cause).
 */
int http_settings_configure(struct http_settings *s, const char *key, const char *value,
                            char **cause);
/* Check the whole (url present, auth complete) and load the secret. */
bool http_settings_finish(struct http_settings *s, int timeout_ms, char **cause);

struct http_response {
    long status;      /* HTTP status, 0 when the transport failed */
    const char *body; /* NUL-terminated (a NUL inside the body ends it for text parsers) */
    size_t len;
    const char *error; /* transport error ("connection refused", "timed out after 5000 ms",
                          "response larger than max_body (32 MiB): raise max_body ..."),
                          NULL when a response arrived */
    double elapsed_ms;
    /*
     * Issue 19: what tells an unchanged answer. hash: FNV-1a 64 of the body,
     * taken 8 bytes at a time in native order (then its last bytes one by
     * one), computed as they arrive (0 without a body); etag and
     * last_modified: the response's ETag and Last-Modified headers, NULL when
     * absent; not_modified: a 304 answering a conditional GET
     * (http_request_conditional), which has no body.
     */
    uint64_t hash;
    const char *etag;
    const char *last_modified;
    bool not_modified;
    /* Issue 20: a 503's or 429's Retry-After (seconds or an HTTP date), in ms; 0 when none. */
    uint64_t retry_after_ms;
};

typedef void (*http_done_cb)(const struct http_response *r, void *ud);

struct http_request;

/*
 * Start METHOD url+path. body may be NULL; content_type applies to it.
 * Returns a handle for http_cancel(), never NULL; cb runs later, on the loop.
 */
struct http_request *http_request(struct loop *loop, const struct http_settings *s,
                                  const char *method, const char *path, const char *content_type,
                                  const char *body, size_t body_len, http_done_cb cb, void *ud);
/*
 * GET url+path with If-None-Match: etag and If-Modified-Since: last_modified
 * (either may be NULL: that header is not sent). A 304 answer reaches cb with
 * status 304, not_modified set, and no body.
 */
struct http_request *http_request_conditional(struct loop *loop, const struct http_settings *s,
                                              const char *path, const char *etag,
                                              const char *last_modified, http_done_cb cb, void *ud);
/*
 * In cb: take the body away from the response (the caller frees it with
 * free(); *len is its length). r->body must not be read after. NULL when
 * there is no body.
 */
char *http_take_body(const struct http_response *r, size_t *len);
/* Abandon a request: its callback will not run. NULL is a no-op. */
void http_cancel(struct http_request *req);

/* A response arrived, with a 2xx status. */
bool http_ok(const struct http_response *r);

/* Percent-encode one path segment or query value (caller frees). */
char *http_escape(const char *s);
/* A short description of a failed response for a pane: "HTTP 401 Unauthorized: <body start>". */
char *http_describe_failure(const struct http_response *r);

#endif
