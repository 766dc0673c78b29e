/*
 * Notifications: one POST through backends/http.c per notify step.
 *
 * Secrets: the Slack webhook URL (its path is the credential), the PagerDuty
 * routing key and any endpoint override are read from the environment when
 * the request is built and live only in the struct notify until it is freed.
 * Every text that goes back to the caller (causes, results) passes through
 * scrub(), which blanks the URL, its path and the key wherever they appear:
 * libcurl error strings, http_settings_finish() causes and a server's own
 * error body are not ours to trust. Host names may remain (curl says "Failed to
 * connect to hooks.slack.com"); that tells the operator where, not how.
 *
 * POSTs are never retried (http.c retries only GETs): a duplicated page or
 * message is worse than a failed step the operator can retry.
 */
#include "notify.h"

#include "../backends/http.h"
#include "../common/json.h"
#include "../common/util.h"
#include "../common/whoami.h"
#include "journal.h"

#include <cjson/cJSON.h>

#include <stdlib.h>
#include <string.h>

enum { DEFAULT_TIMEOUT_MS = 10000, PD_SUMMARY_MAX = 1024 };

static const char pd_default_url[] = "https://events.pagerduty.com/v2/enqueue";
static const char redacted[] = "[redacted]";

enum service { SERVICE_SLACK, SERVICE_PAGERDUTY };

struct notify {
    struct http_settings s;
    struct http_request *req;
    enum service service;
    char *event; /* pagerduty event action */
    char *key;   /* routing key, wiped on free */
    notify_done_cb cb;
    void *ud;
};

/* ---- secrets out of messages ---- */

static void replace_all(char **text, const char *needle)
{
    if (needle == NULL || strlen(needle) < 2) {
        return; /* "/" or "" would blank everything */
    }
    const char *hit = strstr(*text, needle);
    if (hit == NULL) {
        return;
    }
    struct strbuf sb = {0};
    const char *p = *text;
    size_t n = strlen(needle);
    for (; hit != NULL; hit = strstr(p, needle)) {
        strbuf_add(&sb, p, (size_t)(hit - p));
        strbuf_str(&sb, redacted);
        p = hit + n;
    }
    strbuf_str(&sb, p);
    free(*text);
    *text = sb.s != NULL ? sb.s : xstrdup("");
}

/* The part of a URL after the host: "/services/T0/B0/XXX?x=y". */
static const char *url_path(const char *url)
{
    const char *p = strstr(url, "://");
    p = p != NULL ? p + 3 : url;
    return p + strcspn(p, "/?#");
}

static void scrub(char **text, const char *url, const char *key)
{
    if (url != NULL) {
        replace_all(text, url);
        replace_all(text, url_path(url));
    }
    replace_all(text, key);
}

/* ---- the request ---- */

static bool parse_service(const char *name, enum service *out, char **cause)
{
    if (name != NULL && strcmp(name, "slack") == 0) {
        *out = SERVICE_SLACK;
        return true;
    }
    if (name != NULL && strcmp(name, "pagerduty") == 0) {
        *out = SERVICE_PAGERDUTY;
        return true;
    }
    *cause = xasprintf("unknown notify service '%s' (slack or pagerduty)", name ? name : "");
    return false;
}

/* The value of the env var named `name`; the cause names the variable, never a value. */
static const char *env_value(const char *name, const char *what, char **cause)
{
    if (name == NULL || name[0] == '\0') {
        *cause = xasprintf("%s is required", what);
        return NULL;
    }
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        *cause = xasprintf("environment variable %s (%s) is not set", name, what);
        return NULL;
    }
    return v;
}

static bool check_pagerduty(const struct notify_request *r, char **cause)
{
    static const char *const events[] = {"trigger", "acknowledge", "resolve", NULL};
    static const char *const severities[] = {"critical", "error", "warning", "info", NULL};
    const char *event = r->event != NULL ? r->event : "trigger";
    if (!str_in(event, events)) {
        *cause = xasprintf("unknown PagerDuty event '%s' (trigger, acknowledge or resolve)", event);
        return false;
    }
    if (r->severity != NULL && !str_in(r->severity, severities)) {
        *cause = xasprintf("unknown PagerDuty severity '%s' (critical, error, warning or info)",
                           r->severity);
        return false;
    }
    if (strcmp(event, "trigger") != 0 && (r->dedup_key == NULL || r->dedup_key[0] == '\0')) {
        *cause = xasprintf("PagerDuty %s needs a dedup_key", event);
        return false;
    }
    if (strcmp(event, "trigger") == 0 && (r->message == NULL || r->message[0] == '\0')) {
        *cause = xstrdup("PagerDuty trigger needs a message (the summary)");
        return false;
    }
    return env_value(r->routing_key_env, "routing_key_env", cause) != NULL;
}

/* The endpoint, or NULL with *cause. Borrowed from the environment or static. */
static const char *endpoint(const struct notify_request *r, enum service svc, char **cause)
{
    const char *url;
    if (svc == SERVICE_PAGERDUTY && (r->url_env == NULL || r->url_env[0] == '\0')) {
        url = pd_default_url;
    } else {
        url = env_value(r->url_env, "url_env", cause);
        if (url == NULL) {
            return NULL;
        }
    }
    if (!str_has_prefix(url, "http://") && !str_has_prefix(url, "https://")) {
        *cause = xasprintf("environment variable %s does not hold an http:// or https:// URL",
                           r->url_env);
        return NULL;
    }
    return url;
}

bool notify_check(const struct notify_request *r, char **cause)
{
    enum service svc;
    if (!parse_service(r->service, &svc, cause)) {
        return false;
    }
    if (svc == SERVICE_SLACK && (r->message == NULL || r->message[0] == '\0')) {
        *cause = xstrdup("a Slack notify needs a message");
        return false;
    }
    if (svc == SERVICE_PAGERDUTY && !check_pagerduty(r, cause)) {
        return false;
    }
    return endpoint(r, svc, cause) != NULL;
}

/* Cut s to at most max bytes without splitting a UTF-8 sequence. */
static char *cut_utf8(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max) {
        return xstrdup(s);
    }
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80) {
        max--;
    }
    return xstrndup(s, max);
}

/*
 * Slack reads <...> as links and mentions (<!channel>) and & as an entity: the
 * message may carry alert labels, which must not page a whole channel, so the
 * three are escaped as Slack documents.
 */
static char *slack_escape(const char *s)
{
    struct strbuf sb = {0};
    for (; *s != '\0'; s++) {
        if (*s == '&') {
            strbuf_str(&sb, "&amp;");
        } else if (*s == '<') {
            strbuf_str(&sb, "&lt;");
        } else if (*s == '>') {
            strbuf_str(&sb, "&gt;");
        } else {
            strbuf_add(&sb, s, 1);
        }
    }
    return sb.s != NULL ? sb.s : xstrdup("");
}

/* Print and delete o; the text is ours to free() whatever allocator cJSON uses. */
static char *print_json(cJSON *o)
{
    char *printed = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (printed == NULL) {
        abort(); /* cJSON fails only on allocation: stop like xmalloc */
    }
    char *s = xstrdup(printed);
    cJSON_free(printed);
    return s;
}

static char *slack_body(const struct notify_request *r)
{
    cJSON *o = cJSON_CreateObject();
    char *text = slack_escape(r->message);
    cJSON_AddStringToObject(o, "text", text);
    free(text);
    return print_json(o);
}

static char *pagerduty_body(const struct notify_request *r, const char *key)
{
    const char *event = r->event != NULL ? r->event : "trigger";
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "routing_key", key);
    cJSON_AddStringToObject(o, "event_action", event);
    if (r->dedup_key != NULL && r->dedup_key[0] != '\0') {
        cJSON_AddStringToObject(o, "dedup_key", r->dedup_key);
    }
    /* PagerDuty needs a payload to trigger and ignores one on acknowledge/resolve */
    if (strcmp(event, "trigger") == 0 || (r->message != NULL && r->message[0] != '\0')) {
        cJSON *p = cJSON_AddObjectToObject(o, "payload");
        char *summary = cut_utf8(r->message != NULL ? r->message : "", PD_SUMMARY_MAX);
        cJSON_AddStringToObject(p, "summary", summary);
        free(summary);
        cJSON_AddStringToObject(p, "source", r->source != NULL ? r->source : whoami_host());
        cJSON_AddStringToObject(p, "severity", r->severity != NULL ? r->severity : "error");
    }
    return print_json(o);
}

static void notify_free(struct notify *n)
{
    http_cancel(n->req);
    if (n->key != NULL) {
        memset(n->key, 0, strlen(n->key));
        free(n->key);
    }
    if (n->s.url != NULL) {
        memset(n->s.url, 0, strlen(n->s.url));
    }
    http_settings_free(&n->s);
    free(n->event);
    free(n);
}

static char *describe(const struct notify *n, const struct http_response *resp, bool ok)
{
    if (n->service == SERVICE_SLACK) {
        if (ok) {
            return xasprintf("sent to Slack (HTTP %ld)", resp->status);
        }
        char *d = http_describe_failure(resp);
        char *msg = xasprintf("Slack: %s", d);
        free(d);
        return msg;
    }
    if (!ok) {
        char *d = http_describe_failure(resp);
        char *msg = xasprintf("PagerDuty %s: %s", n->event, d);
        free(d);
        return msg;
    }
    /* PagerDuty names the incident it filed the event under: worth showing */
    cJSON *body = NULL;
    char *ignored = NULL;
    const char *dedup = NULL;
    if (json_parse(resp->body, resp->len, &body, &ignored)) {
        dedup = json_str(body, "dedup_key");
    }
    if (dedup != NULL && (strlen(dedup) > 255 || strpbrk(dedup, "\r\n\t") != NULL)) {
        dedup = NULL; /* not a key worth showing on one line */
    }
    free(ignored);
    char *msg = dedup != NULL
                    ? xasprintf("PagerDuty %s accepted (HTTP %ld, dedup_key %s)", n->event,
                                resp->status, dedup)
                    : xasprintf("PagerDuty %s accepted (HTTP %ld)", n->event, resp->status);
    cJSON_Delete(body);
    return msg;
}

static void on_response(const struct http_response *resp, void *ud)
{
    struct notify *n = ud;
    n->req = NULL;
    bool ok = resp->error == NULL && resp->status >= 200 && resp->status < 300;
    char *msg = describe(n, resp, ok);
    scrub(&msg, n->s.url, n->key);
    notify_done_cb cb = n->cb;
    void *cb_ud = n->ud;
    long status = resp->error == NULL ? resp->status : 0;
    /* free first: the callback may destroy whatever owns the handle */
    notify_free(n);
    cb(ok, status, msg, cb_ud);
    free(msg);
}

struct notify *notify_send(struct loop *loop, const struct notify_request *r, notify_done_cb cb,
                           void *ud, char **cause)
{
    if (!notify_check(r, cause)) {
        return NULL;
    }
    struct notify *n = xcalloc(1, sizeof *n);
    parse_service(r->service, &n->service, cause);
    n->cb = cb;
    n->ud = ud;
    n->event = xstrdup(r->event != NULL ? r->event : "trigger");
    const char *url = endpoint(r, n->service, cause);
    http_settings_init(&n->s);
    n->s.url = xstrdup(url);
    n->s.retries = 0;
    int timeout = r->timeout_ms > 0 ? r->timeout_ms : DEFAULT_TIMEOUT_MS;
    if (n->s.connect_timeout_ms > timeout) {
        n->s.connect_timeout_ms = timeout;
    }
    /* checks the resolver; its cause may quote the URL, hence the scrub */
    if (!http_settings_finish(&n->s, timeout, cause)) {
        scrub(cause, n->s.url, NULL);
        notify_free(n);
        return NULL;
    }
    char *body;
    if (n->service == SERVICE_SLACK) {
        body = slack_body(r);
    } else {
        n->key = xstrdup(getenv(r->routing_key_env));
        body = pagerduty_body(r, n->key);
    }
    /* the whole URL is in s.url: no path to add */
    n->req = http_request(loop, &n->s, "POST", "", "application/json", body, strlen(body),
                          on_response, n);
    memset(body, 0, strlen(body));
    free(body);
    return n;
}

void notify_cancel(struct notify *n)
{
    if (n != NULL) {
        notify_free(n);
    }
}
