/*
 * The HAProxy backend: what is serving, and the few keys that change it.
 *
 * Reading: the stats CSV, from the stats page over HTTP (`url`, through the
 * one HTTP client and the shared poll, http_poll.h) or from `show stat` on
 * the runtime API (`socket`), parsed by haproxy_csv.c into one row per server
 * and one per backend's aggregate.
 *
 * Writing: `set server B/S state drain|ready|maint` and `set server B/S
 * weight N` on the runtime API (haproxy_rt.c, a non-blocking client on the
 * loop), which answers an empty line on success and a sentence otherwise.
 * Target names are checked against HAProxy's name characters before they go
 * into a command, so a crafted target cannot smuggle a second command (';'
 * or a newline) onto the socket.
 *
 * Files: haproxy.c (this: config, polling, actions), haproxy_csv.c (the
 * stats CSV), haproxy_rt.c (the runtime API client).
 */
#include "haproxy.h"

#include "../common/util.h"
#include "doctor.h"
#include "haproxy_rt.h"
#include "http.h"
#include "http_poll.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

enum {
    NAME_MAX_LEN = 256,
    MESSAGE_MAX = 300, /* longest runtime API answer quoted in a message */
};

struct haproxy {
    struct backend *b;
    struct http_settings http;
    bool have_url;
    char *http_key;       /* an HTTP key other than url, for "needs url" */
    const char *path;     /* ";csv" or "" when the url already asks for CSV */
    struct haproxy_rt rt; /* its address is set when have_socket */
    bool have_socket;
    struct http_poll poll;      /* over HTTP */
    struct haproxy_admin admin; /* from the socket, read before each poll's CSV */
    struct doctor *doctor;      /* opsdeck doctor's checks in flight; NULL once over */
};

/* ---- polling ---- */

static void publish_csv(struct haproxy *h, const char *text, size_t len, bool from_socket)
{
    struct backend *b = h->b;
    struct rowset *rs = rowset_create(MODEL_POOLS, b->name);
    char *cause = NULL;
    if (haproxy_parse_csv_admin(text, len, h->have_socket ? &h->admin : NULL, rs, &cause)) {
        backend_publish(b, rs);
        return;
    }
    rowset_destroy(rs);
    size_t skip = from_socket ? strspn(text, " \t\r\n") : 0;
    if (from_socket && skip < len && text[skip] != '#') {
        /* not CSV at all: HAProxy said something ("Permission denied.") */
        const char *line = text + skip;
        int n = (int)strcspn(line, "\r\n");
        backend_fail(b, "show stat on %s answered: %.*s", h->rt.name,
                     n > MESSAGE_MAX ? MESSAGE_MAX : n, line);
    } else {
        backend_fail(b, "%s", cause);
    }
    free(cause);
}

static void on_http(const struct http_response *r, void *ud)
{
    struct haproxy *h = http_poll_received(ud)->priv;
    if (!http_ok(r)) {
        char *why = http_describe_failure(r);
        backend_fail(h->b, "%s", why);
        free(why);
    } else {
        publish_csv(h, r->body != NULL ? r->body : "", r->body != NULL ? r->len : 0, false);
    }
    http_poll_end(&h->poll);
}

/*
 * "show servers state;show stat" in one call: the admin states, then the
 * CSV from its "# pxname" header on. An answer without the first part (an
 * old HAProxy, a proxy in front) leaves the admin states unknown.
 */
static void on_show_stat(void *ud, const char *error, const char *reply, size_t len)
{
    struct haproxy *h = ud;
    if (error != NULL) {
        backend_fail(h->b, "%s", error);
    } else {
        const char *csv = strstr(reply, "# pxname");
        size_t at = csv != NULL && (csv == reply || csv[-1] == '\n') ? (size_t)(csv - reply) : 0;
        haproxy_parse_admin(reply, at, &h->admin);
        publish_csv(h, reply + at, len - at, true);
    }
    backend_poll_end(h->b);
}

/* Over HTTP, the admin states come first from the socket, when there is one. */
static void on_servers_state(void *ud, const char *error, const char *reply, size_t len)
{
    struct haproxy *h = ud;
    if (error != NULL) {
        haproxy_admin_clear(&h->admin); /* unknown: the rows say what the CSV says */
    } else {
        haproxy_parse_admin(reply, len, &h->admin);
    }
    http_poll_send(&h->poll, h->path, on_http);
}

static void haproxy_poll(struct backend *b)
{
    struct haproxy *h = b->priv;
    if (b->loop == NULL) {
        backend_fail(b, "no event loop to poll on");
        return;
    }
    if (!backend_poll_begin(b)) {
        return;
    }
    char *cause = NULL;
    if (h->have_url) {
        if (!h->have_socket ||
            !haproxy_rt_call(&h->rt, "show servers state", on_servers_state, NULL, h, &cause)) {
            haproxy_admin_clear(&h->admin);
            http_poll_send(&h->poll, h->path, on_http);
        }
        free(cause);
        return;
    }
    if (!haproxy_rt_call(&h->rt, "show servers state;show stat", on_show_stat, NULL, h, &cause)) {
        backend_fail(b, "%s", cause);
        free(cause);
        backend_poll_end(h->b);
    }
}

/* ---- actions ---- */

static const struct action_def haproxy_actions[] = {
    {"drain", "Drain server", MODEL_POOLS, 'd', ACTION_DISRUPTIVE, NULL, NULL},
    {"ready", "Set server ready", MODEL_POOLS, 'r', 0, NULL, NULL},
    {"maint", "Put server in maintenance", MODEL_POOLS, 'm', ACTION_DISRUPTIVE, NULL, NULL},
    {"weight", "Set server weight", MODEL_POOLS, 'w', ACTION_INPUT, "Weight (0-256 or N%)", "100"},
};

struct act_ctx {
    struct backend *b;
    struct backend_request *a;
    char *ok_message;
};

/* HAProxy's proxy and server names: letters, digits, '-', '_', '.', ':'. */
static bool name_ok(const char *s, size_t n)
{
    static const char extra[] = "-_.:";
    if (n == 0 || n > NAME_MAX_LEN) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c != '\0' && strchr(extra, c) != NULL))) {
            return false;
        }
    }
    return true;
}

static bool target_ok(const char *target, char **cause)
{
    const char *slash = strchr(target, '/');
    if (slash == NULL) {
        *cause = xasprintf("not a server: '%s' (want backend/server)", target);
        return false;
    }
    if (strcmp(slash + 1, "BACKEND") == 0) {
        *cause = xasprintf("not a server: %s is the backend's summary row", target);
        return false;
    }
    if (!name_ok(target, (size_t)(slash - target)) || !name_ok(slash + 1, strlen(slash + 1))) {
        *cause = xasprintf("not a server: bad name '%s' (letters, digits, - _ . : only)", target);
        return false;
    }
    return true;
}

/* 0-256, or N% of the configured weight; out gets the cleaned value. */
static bool weight_ok(const char *input, char *out, size_t len, char **cause)
{
    char *v = str_trim(xstrdup(input));
    size_t n = strlen(v);
    bool pct = n > 0 && v[n - 1] == '%';
    double w;
    if (pct) {
        v[n - 1] = '\0';
    }
    bool ok = strchr(v, '.') == NULL && v[0] != '-' && str_parse_decimal(v, &w) &&
              w <= (pct ? 25600 : 256);
    if (ok) {
        snprintf(out, len, "%d%s", (int)w, pct ? "%" : "");
    } else {
        *cause = xasprintf("bad weight '%s' (0-256, or a percentage of the configured weight "
                           "such as 50%%)",
                           input);
    }
    free(v);
    return ok;
}

/* The runtime API command for an action, and what success will say. */
static bool action_command(const struct backend_request *a, char **cmd, char **ok_message,
                           char **cause)
{
    const char *verb = a->def->verb;
    if (!target_ok(a->target, cause)) {
        return false;
    }
    if (strcmp(verb, "weight") == 0) {
        char w[16];
        if (!weight_ok(a->input != NULL ? a->input : a->def->input_default, w, sizeof w, cause)) {
            return false;
        }
        *cmd = xasprintf("set server %s weight %s", a->target, w);
        *ok_message = xasprintf("%s weight set to %s", a->target, w);
        return true;
    }
    const char *state = strcmp(verb, "drain") == 0   ? "DRAIN"
                        : strcmp(verb, "ready") == 0 ? "READY"
                        : strcmp(verb, "maint") == 0 ? "MAINT"
                                                     : NULL;
    if (state == NULL) {
        *cause = xasprintf("unknown action '%s'", verb);
        return false;
    }
    *cmd = xasprintf("set server %s state %s", a->target, verb);
    *ok_message = xasprintf("%s set to %s", a->target, state);
    return true;
}

/* HAProxy's answer on one line, trimmed and capped. */
static char *reply_line(const char *reply, size_t len)
{
    char *text = xstrndup(reply, len > MESSAGE_MAX ? MESSAGE_MAX : len);
    for (char *p = text; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t') {
            *p = ' ';
        }
    }
    str_trim(text);
    return text;
}

static void act_free(struct act_ctx *ctx)
{
    free(ctx->ok_message);
    free(ctx);
}

static void on_act_reply(void *ud, const char *error, const char *reply, size_t len)
{
    struct act_ctx *ctx = ud;
    if (error != NULL) {
        backend_done(ctx->a, false, error);
        act_free(ctx);
        return;
    }
    char *text = reply_line(reply, len);
    if (text[0] == '\0') {
        /* refresh first: the report may be the last thing its caller waits for */
        backend_poll_now(ctx->b);
        backend_done(ctx->a, true, ctx->ok_message);
    } else {
        backend_refuse(ctx->a, text); /* the runtime API said no: nothing changed */
    }
    free(text);
    act_free(ctx);
}

/* destroy with an action in flight: its result is unknown; nobody is left to tell. */
static void act_drop(void *ud)
{
    struct act_ctx *ctx = ud;
    backend_drop(ctx->a);
    act_free(ctx);
}

static void haproxy_act(struct backend *b, struct backend_request *a)
{
    struct haproxy *h = b->priv;
    char *cmd = NULL, *ok_message = NULL, *cause = NULL;
    if (!h->have_socket) {
        backend_refuse(a, "actions need the runtime API: set socket = /path/to/admin.sock "
                          "(a stats socket with level admin)");
        return;
    }
    if (!action_command(a, &cmd, &ok_message, &cause)) {
        backend_refuse(a, cause);
        free(cause);
        return;
    }
    struct act_ctx *ctx = xcalloc(1, sizeof *ctx);
    ctx->b = b;
    ctx->a = a;
    ctx->ok_message = ok_message;
    if (!haproxy_rt_call(&h->rt, cmd, on_act_reply, act_drop, ctx, &cause)) {
        backend_refuse(a, cause);
        free(cause);
        act_free(ctx);
    }
    free(cmd);
}

/* ---- opsdeck doctor (doctor.h): version, the runtime API, whether actions can work ---- */

static void doctor_over(struct haproxy *h)
{
    struct doctor *d = h->doctor;
    h->doctor = NULL;
    doctor_end(d);
}

/* Cancelled (out of time): a runtime API call still in flight finds h->doctor NULL. */
static void doctor_cancelled(void *ud)
{
    struct haproxy *h = ud;
    h->doctor = NULL;
}

/* "Version: 2.6.12" from `show info`: the value of one "Key: value" line. */
static char *info_value(const char *reply, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = reply; p != NULL && *p != '\0';) {
        if (strncmp(p, key, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1 + strspn(p + n + 1, " ");
            return str_trim(xstrndup(v, strcspn(v, "\r\n")));
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return NULL;
}

/* The socket's file: mode and owner, in words; "" for a TCP address. */
static void socket_file(const struct haproxy *h, char *buf, size_t len, const char **path,
                        unsigned *mode)
{
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&h->rt.ss;
    buf[0] = '\0';
    *path = NULL;
    *mode = 0;
    if (h->rt.ss.ss_family != AF_UNIX) {
        return;
    }
    *path = sun->sun_path;
    struct stat st;
    if (stat(sun->sun_path, &st) == 0) {
        *mode = (unsigned)(st.st_mode & 07777);
        snprintf(buf, len, "mode %04o, owner uid %u, group gid %u", (unsigned)(st.st_mode & 07777),
                 (unsigned)st.st_uid, (unsigned)st.st_gid);
    }
}

static void on_doctor_level(void *ud, const char *error, const char *reply, size_t len)
{
    struct haproxy *h = ud;
    struct doctor *d = h->doctor;
    if (d == NULL) {
        return; /* cancelled */
    }
    char *level = error == NULL ? reply_line(reply, len) : NULL;
    bool wanted = doctor_actions_wanted(d);
    if (level != NULL && strcmp(level, "admin") == 0) {
        doctor_say(d, wanted ? DOCTOR_OK : DOCTOR_INFO,
                   "%s: runtime API level admin (set server state and weight)",
                   wanted ? "actions possible" : "actions would be possible");
    } else if (level != NULL && (strcmp(level, "operator") == 0 || strcmp(level, "user") == 0)) {
        doctor_say(d, wanted ? DOCTOR_FAIL : DOCTOR_INFO,
                   "actions %s: runtime API level %s, and set server needs level admin (stats "
                   "socket ... level admin)",
                   wanted ? "impossible" : "would be impossible", level);
    } else {
        doctor_say(d, wanted ? DOCTOR_WARN : DOCTOR_INFO,
                   "actions not checked: show cli level answered %s%s%s", error ? "" : "'",
                   error ? error : level, error ? "" : "' (an HAProxy older than 2.0?)");
    }
    free(level);
    doctor_over(h);
}

static void doctor_level(struct haproxy *h)
{
    char *cause = NULL;
    if (!haproxy_rt_call(&h->rt, "show cli level", on_doctor_level, NULL, h, &cause)) {
        on_doctor_level(h, cause, NULL, 0);
        free(cause);
    }
}

static void on_doctor_info(void *ud, const char *error, const char *reply, size_t len)
{
    struct haproxy *h = ud;
    struct doctor *d = h->doctor;
    if (d == NULL) {
        return; /* cancelled */
    }
    char file[128];
    const char *path;
    unsigned mode;
    socket_file(h, file, sizeof file, &path, &mode);
    if (error != NULL) {
        doctor_say(d, DOCTOR_FAIL, "%s%s%s%s", error, file[0] ? " (" : "", file,
                   file[0] ? ")" : "");
        if (doctor_actions_wanted(d)) {
            doctor_say(d, DOCTOR_FAIL, "actions impossible: the runtime API cannot be reached");
        }
        doctor_over(h);
        return;
    }
    char *version = info_value(reply, "Version");
    char *uptime = info_value(reply, "Uptime");
    if (version == NULL) {
        char *text = reply_line(reply, len);
        doctor_say(d, DOCTOR_FAIL, "runtime API %s answered show info without a version: %s",
                   h->rt.name, text);
        free(text);
    } else {
        doctor_say(d, DOCTOR_OK, "HAProxy %s (runtime API %s, up %s)", version, h->rt.name,
                   uptime != NULL ? uptime : "?");
    }
    free(version);
    free(uptime);
    if (path != NULL && access(path, W_OK) != 0) {
        doctor_say(d, DOCTOR_FAIL, "runtime API socket %s: not writable by you (%s)", path, file);
    } else {
        doctor_say(d, DOCTOR_OK, "runtime API %s: connected and answered%s%s%s", h->rt.name,
                   file[0] ? " (" : "", file, file[0] ? ")" : "");
    }
    if (path != NULL && (mode & S_IWOTH) != 0) {
        doctor_say(d, DOCTOR_WARN,
                   "runtime API socket %s is world-writable (mode %04o): anyone on this host "
                   "can use it (at its level)",
                   path, mode);
    }
    doctor_level(h);
}

static void doctor_socket(struct haproxy *h)
{
    char *cause = NULL;
    if (!haproxy_rt_call(&h->rt, "show info", on_doctor_info, NULL, h, &cause)) {
        on_doctor_info(h, cause, NULL, 0);
        free(cause);
    }
}

static void on_doctor_page(struct doctor *d, const struct http_response *r, void *ud)
{
    struct haproxy *h = ud;
    if (!doctor_http_answered(d, &h->http, "GET stats page", r)) {
        if (h->have_socket) {
            doctor_socket(h);
        } else {
            doctor_over(h);
        }
        return;
    }
    if (!h->have_socket) {
        /* the HTML page says "HAProxy version 2.6.12-1, released 2023/03/14" unless hidden */
        const char *v = r->body != NULL ? strstr(r->body, "HAProxy version ") : NULL;
        if (v != NULL) {
            v += strlen("HAProxy version ");
            doctor_say(d, DOCTOR_OK, "HAProxy %.*s (stats page)", (int)strcspn(v, ",< \n"), v);
        } else {
            doctor_say(d, DOCTOR_INFO,
                       "version: not on the stats page (stats hide-version, or "
                       "a url asking for ;csv)");
        }
        if (doctor_actions_wanted(d)) {
            doctor_say(d, DOCTOR_WARN,
                       "actions: off (no runtime socket configured: set socket "
                       "= PATH, a stats socket with level admin)");
        } else {
            doctor_say(d, DOCTOR_INFO, "no runtime socket configured (actions need one)");
        }
        doctor_over(h);
        return;
    }
    doctor_socket(h);
}

static void haproxy_doctor(struct backend *b, struct doctor *d)
{
    struct haproxy *h = b->priv;
    h->doctor = d;
    doctor_on_cancel(d, doctor_cancelled, h);
    if (h->have_url) {
        /* the page as people see it: HTML, which names the version (";csv" does not) */
        doctor_http(d, &h->http, "GET", "", NULL, NULL, on_doctor_page, h);
    } else {
        doctor_socket(h);
    }
}

/* ---- configuration and lifetime ---- */

static void *haproxy_create(struct backend *b)
{
    struct haproxy *h = xcalloc(1, sizeof *h);
    h->b = b;
    http_settings_init(&h->http);
    http_poll_init(&h->poll, b, &h->http);
    haproxy_rt_init(&h->rt, b);
    h->path = ";csv";
    return h;
}

static bool haproxy_configure(struct backend *b, const char *key, const char *value, char **cause)
{
    struct haproxy *h = b->priv;
    int taken = http_settings_configure(&h->http, key, value, cause);
    if (taken < 0) {
        return false;
    }
    if (taken > 0) {
        if (strcmp(key, "url") == 0) {
            h->have_url = true;
        } else if (h->http_key == NULL) {
            h->http_key = xstrdup(key);
        }
        return true;
    }
    if (strcmp(key, "socket") == 0) {
        if (!haproxy_rt_address(&h->rt, value, cause)) {
            return false;
        }
        h->have_socket = true;
        return true;
    }
    *cause = xasprintf("unknown key '%s' for a haproxy backend", key);
    return false;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static bool haproxy_start(struct backend *b, char **cause)
{
    struct haproxy *h = b->priv;
    if (!h->have_url && !h->have_socket) {
        *cause = xstrdup("a haproxy backend needs url (the stats page, e.g. "
                         "http://127.0.0.1:8404/stats) or socket (the runtime API), or both");
        return false;
    }
    if (!h->have_url && h->http_key != NULL) {
        *cause = xasprintf("'%s' applies to url, which is not set", h->http_key);
        return false;
    }
    if (h->have_url) {
        if (!http_settings_finish(&h->http, b->timeout_ms, cause)) {
            return false;
        }
        h->path = h->http.url != NULL && ends_with(h->http.url, ";csv") ? "" : ";csv";
        b->tls_unverified = h->http.insecure;
    }
    return true;
}

static void haproxy_destroy(struct backend *b)
{
    struct haproxy *h = b->priv;
    if (h == NULL) {
        return;
    }
    http_poll_finish(&h->poll);
    haproxy_rt_finish(&h->rt);
    haproxy_admin_clear(&h->admin);
    http_settings_free(&h->http);
    free(h->http_key);
    free(h);
    b->priv = NULL;
}

const struct backend_impl haproxy_backend = {
    .type = "haproxy",
    .description = "HAProxy: pools from the stats CSV, actions on the runtime API",
    .kinds = 1u << MODEL_POOLS,
    .actions = haproxy_actions,
    .nactions = (int)(sizeof haproxy_actions / sizeof haproxy_actions[0]),
    .create = haproxy_create,
    .configure = haproxy_configure,
    .start = haproxy_start,
    .poll = haproxy_poll,
    .act = haproxy_act,
    .doctor = haproxy_doctor,
    .destroy = haproxy_destroy,
};
