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
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    SECRET_FILE_MAX = 65536,
    VALIDATOR_MAX = 1024 /* a longer ETag or Last-Modified is not kept (nor sent back) */
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
};

/* ---- settings ---- */

void http_settings_init(struct http_settings *s)
{
    memset(s, 0, sizeof *s);
    s->connect_timeout_ms = 3000;
    s->timeout_ms = 5000;
    s->max_body = 32u << 20;
    s->retries = 2;
}

void http_settings_free(struct http_settings *s)
{
    free(s->url);
    free(s->ca_file);
    free(s->user);
    if (s->secret != NULL) {
        /* do not leave the secret lying in freed memory */
        memset(s->secret, 0, strlen(s->secret));
        free(s->secret);
    }
    free(s->secret_env);
    free(s->secret_file);
    memset(s, 0, sizeof *s);
}

static bool parse_size(const char *v, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (end == v || errno != 0) {
        return false;
    }
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k') {
        mul = 1024;
        end++;
    } else if (*end == 'M' || *end == 'm') {
        mul = 1024 * 1024;
        end++;
    } else if (*end == 'G' || *end == 'g') {
        mul = 1024ull * 1024 * 1024;
        end++;
    }
    if (*end != '\0' || n == 0 || n > (1ull << 40) / mul) {
        return false;
    }
    *out = (size_t)(n * mul);
    return true;
}

static int set_secret_source(struct http_settings *s, const char *key, const char *value,
                             char **cause)
{
    if (s->secret_env != NULL || s->secret_file != NULL) {
        *cause = xasprintf("%s: a secret is already set (one of password_env, password_file, "
                           "token_env, token_file)",
                           key);
        return -1;
    }
    bool is_env = strstr(key, "_env") != NULL;
    if (is_env) {
        s->secret_env = xstrdup(value);
    } else {
        s->secret_file = str_expand_home(value);
    }
    return 1;
}

/*
 * The authority of an http(s) URL: a host (a name, an address or [IPv6]) and,
 * after a ':', a port of 1 to 65535. NULL when good, else why not.
 */
static const char *url_authority_problem(const char *url)
{
    const char *a = strstr(url, "://") + 3;
    size_t n = strcspn(a, "/?#");
    const char *at = memchr(a, '@', n);
    if (at != NULL) {
        n -= (size_t)(at + 1 - a); /* user:password@ is curl's to read */
        a = at + 1;
    }
    const char *host_end = a;
    if (n > 0 && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (close == NULL) {
            return "an IPv6 address without its ']'";
        }
        host_end = close + 1;
    } else {
        while (host_end < a + n && *host_end != ':') {
            host_end++;
        }
    }
    if (host_end == a || (a[0] == '[' && host_end == a + 2)) {
        return "no host";
    }
    if (host_end == a + n) {
        return NULL;
    }
    if (*host_end != ':') {
        return "something after the host that is not a port";
    }
    const char *p = host_end + 1;
    size_t digits = (size_t)(a + n - p);
    if (digits == 0) {
        return "an empty port (say it, or leave out the ':')";
    }
    long port = 0;
    for (size_t i = 0; i < digits; i++) {
        if (p[i] < '0' || p[i] > '9' || digits > 5) {
            return "a port that is not a number from 1 to 65535";
        }
        port = port * 10 + (p[i] - '0');
    }
    return port >= 1 && port <= 65535 ? NULL : "a port that is not a number from 1 to 65535";
}

static int configure_url(struct http_settings *s, const char *value, char **cause)
{
    if (!str_has_prefix(value, "http://") && !str_has_prefix(value, "https://")) {
        *cause = xasprintf("bad url '%s' (http:// or https://)", value);
        return -1;
    }
    const char *problem = url_authority_problem(value);
    if (problem != NULL) {
        *cause = xasprintf("bad url '%s': %s", value, problem);
        return -1;
    }
    free(s->url);
    s->url = xstrdup(value);
    size_t n = strlen(s->url);
    while (n > 0 && s->url[n - 1] == '/') {
        s->url[--n] = '\0';
    }
    return 1;
}

int http_settings_configure(struct http_settings *s, const char *key, const char *value,
                            char **cause)
{
    if (strcmp(key, "url") == 0) {
        return configure_url(s, value, cause);
    }
    if (strcmp(key, "connect_timeout") == 0) {
        int64_t secs;
        if (!duration_parse(value, &secs) || secs < 1 || secs > 300) {
            *cause = xasprintf("bad connect_timeout '%s' (e.g. 3s)", value);
            return -1;
        }
        s->connect_timeout_ms = (int)secs * 1000;
        return 1;
    }
    if (strcmp(key, "max_body") == 0) {
        if (!parse_size(value, &s->max_body)) {
            *cause = xasprintf("bad max_body '%s' (e.g. 32M)", value);
            return -1;
        }
        return 1;
    }
    if (strcmp(key, "retries") == 0) {
        if (strlen(value) != 1 || value[0] < '0' || value[0] > '5') {
            *cause = xasprintf("bad retries '%s' (0 to 5)", value);
            return -1;
        }
        s->retries = value[0] - '0';
        return 1;
    }
    if (strcmp(key, "ca_file") == 0) {
        free(s->ca_file);
        s->ca_file = str_expand_home(value);
        return 1;
    }
    if (strcmp(key, "insecure") == 0) {
        if (!str_parse_bool(value, &s->insecure)) {
            *cause = xasprintf("bad insecure '%s' (true or false)", value);
            return -1;
        }
        return 1;
    }
    if (strcmp(key, "auth") == 0) {
        if (strcmp(value, "none") == 0) {
            s->auth = HTTP_AUTH_NONE;
        } else if (strcmp(value, "basic") == 0) {
            s->auth = HTTP_AUTH_BASIC;
        } else if (strcmp(value, "bearer") == 0) {
            s->auth = HTTP_AUTH_BEARER;
        } else {
            *cause = xasprintf("bad auth '%s' (none, basic or bearer)", value);
            return -1;
        }
        return 1;
    }
    if (strcmp(key, "user") == 0) {
        free(s->user);
        s->user = xstrdup(value);
        return 1;
    }
    if (strcmp(key, "password_env") == 0 || strcmp(key, "password_file") == 0 ||
        strcmp(key, "token_env") == 0 || strcmp(key, "token_file") == 0) {
        return set_secret_source(s, key, value, cause);
    }
    return 0;
}

/* "PATH" or "PATH (a symlink to TARGET)": errors name the file the user can fix. */
static char *secret_file_name(const char *path)
{
    struct stat lst;
    if (lstat(path, &lst) != 0 || !S_ISLNK(lst.st_mode)) {
        return xstrdup(path);
    }
    char *target = realpath(path, NULL);
    if (target == NULL) {
        char link[4096];
        ssize_t n = readlink(path, link, sizeof link - 1);
        link[n > 0 ? n : 0] = '\0';
        return xasprintf("%s (a symlink to %s)", path, link);
    }
    char *name = xasprintf("%s (a symlink to %s)", path, target);
    free(target);
    return name;
}

/*
 * A secret's bytes become part of a request: a token goes into an HTTP
 * header, where a CR or LF would start another header. Empty is a mistake too
 * (it would send "Bearer ").
 */
static bool secret_ok(const char *secret, const char *what, bool header, char **cause)
{
    if (secret[0] == '\0') {
        *cause = xasprintf("%s is empty", what);
        return false;
    }
    for (const unsigned char *c = (const unsigned char *)secret; header && *c != '\0'; c++) {
        if (*c < 0x20 || *c == 0x7f) {
            *cause =
                xasprintf("%s holds %s inside the token: refused (it would add to the HTTP "
                          "request's headers)",
                          what, *c == '\r' || *c == '\n' ? "a line break" : "a control character");
            return false;
        }
    }
    return true;
}

/*
 * A symlink is followed (Kubernetes mounts a service account's token through
 * two of them); what it reaches must be a regular file that is not group or
 * world readable, checked on the descriptor that is read.
 */
static bool read_secret_file(const char *path, bool header, char **out, char **cause)
{
    char *name = secret_file_name(path);
    /* O_NONBLOCK: a FIFO in its place must not freeze the start */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int err = errno;
        const char *why = err == ENOENT && strchr(name, '(') != NULL
                              ? "the symlink's target does not exist"
                          : err == ELOOP ? "its symlinks loop (too many levels of symbolic links)"
                                         : strerror(err);
        *cause = xasprintf("%s: %s", name, why);
        free(name);
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *cause = xasprintf("%s: not a regular file", name);
        close(fd);
        free(name);
        return false;
    }
    if (st.st_mode & 077) {
        *cause = xasprintf("%s is readable by group or others: chmod 600 it%s", name,
                           strchr(name, '(') != NULL
                               ? " (the target; in Kubernetes, defaultMode: 0400 on the volume)"
                               : "");
        close(fd);
        free(name);
        return false;
    }
    char *buf = xmalloc(SECRET_FILE_MAX + 1);
    ssize_t n = read(fd, buf, SECRET_FILE_MAX);
    close(fd);
    if (n < 0) {
        *cause = xasprintf("%s: %s", name, strerror(errno));
        free(buf);
        free(name);
        return false;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        buf[--n] = '\0';
    }
    if (!secret_ok(buf, name, header, cause)) {
        memset(buf, 0, (size_t)n);
        free(buf);
        free(name);
        return false;
    }
    free(name);
    *out = buf;
    return true;
}

/* Is the URL's host an IP literal (no name to resolve)? */
static bool host_is_numeric(const char *url)
{
    const char *h = strstr(url, "://");
    h = h != NULL ? h + 3 : url;
    if (*h == '[') {
        return true; /* IPv6 literal */
    }
    for (; *h != '\0' && *h != ':' && *h != '/'; h++) {
        if (!isdigit((unsigned char)*h) && *h != '.') {
            return false;
        }
    }
    return true;
}

/*
 * A libcurl without an asynchronous resolver looks names up inside
 * curl_multi_perform(), blocking the one loop: then only IP addresses will do.
 */
static bool resolver_ok(const char *url, char **cause)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if ((v->features & CURL_VERSION_ASYNCHDNS) || host_is_numeric(url)) {
        return true;
    }
    *cause = xasprintf("this libcurl resolves names synchronously (no AsynchDNS), which would "
                       "freeze the console: use an IP address in %s",
                       url);
    return false;
}

bool http_settings_finish(struct http_settings *s, int timeout_ms, char **cause)
{
    s->timeout_ms = timeout_ms;
    if (s->url == NULL) {
        *cause = xstrdup("url is required");
        return false;
    }
    if (!resolver_ok(s->url, cause)) {
        return false;
    }
    bool has_source = s->secret_env != NULL || s->secret_file != NULL;
    if (s->auth == HTTP_AUTH_NONE && has_source) {
        *cause = xstrdup("a secret is set but auth = none (set auth = basic or bearer)");
        return false;
    }
    if (s->auth != HTTP_AUTH_NONE && !has_source) {
        *cause = xstrdup("auth needs password_env, password_file, token_env or token_file");
        return false;
    }
    if (s->auth == HTTP_AUTH_BASIC && s->user == NULL) {
        *cause = xstrdup("auth = basic needs user");
        return false;
    }
    bool header = s->auth == HTTP_AUTH_BEARER;
    if (s->secret_env != NULL) {
        const char *v = getenv(s->secret_env);
        if (v == NULL || v[0] == '\0') {
            *cause = xasprintf("environment variable %s is not set", s->secret_env);
            return false;
        }
        char *what = xasprintf("environment variable %s", s->secret_env);
        bool ok = secret_ok(v, what, header, cause);
        free(what);
        if (!ok) {
            return false;
        }
        s->secret = xstrdup(v);
    } else if (s->secret_file != NULL &&
               !read_secret_file(s->secret_file, header, &s->secret, cause)) {
        return false;
    }
    if (s->ca_file != NULL && access(s->ca_file, R_OK) != 0) {
        *cause = xasprintf("ca_file %s: %s", s->ca_file, strerror(errno));
        return false;
    }
    return true;
}

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

static bool should_retry(const struct http_request *r, CURLcode rc, long status)
{
    if (strcmp(r->method, "GET") != 0 || r->attempt >= r->s->retries || r->too_big) {
        return false;
    }
    if (rc == CURLE_OK) {
        return status == 502 || status == 503 || status == 504;
    }
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_OPERATION_TIMEDOUT ||
           rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING ||
           rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_PARTIAL_FILE;
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
