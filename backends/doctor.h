/*
 * opsdeck doctor, a backend's side (DESIGN rule 3: one optional callback of
 * the backend table; tui/doctorcmd.c drives it).
 *
 * The driver configures and starts each backend as the console would, lets
 * its first poll answer (that is the first check: "answered: 42 rows"), then
 * calls impl->doctor(b, d) when the type has one. The callback reaches the
 * backend with its real settings and says one line per check:
 *
 *   doctor_say(d, DOCTOR_OK, "Alertmanager 0.25.0 (cluster ready, 2 peers)");
 *   doctor_say(d, DOCTOR_FAIL, "actions: runtime socket %s: %s", path, why);
 *
 * Contract:
 * - impl->doctor starts its checks on the loop and returns at once. It calls
 *   doctor_say() any number of times and doctor_end() exactly once, now or
 *   later; after doctor_end() the backend must not touch d again.
 * - HTTP goes through doctor_http(): d tracks the request, so when the
 *   driver's time bound for the backend runs out first, the request is
 *   cancelled and its callback never runs. Other work in flight (a socket, a
 *   child) registers its cancel with doctor_on_cancel().
 * - Lines say what was found in words, never a secret. A check that cannot
 *   be made (no API for it) says so at DOCTOR_INFO rather than guessing.
 */
#ifndef OPSDECK_DOCTOR_H
#define OPSDECK_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

struct backend;
struct doctor;
struct http_response;
struct http_settings;

enum doctor_level { DOCTOR_OK, DOCTOR_INFO, DOCTOR_WARN, DOCTOR_FAIL };

struct doctor_line {
    enum doctor_level level;
    char *text;
};

/* ---- for backends ---- */

struct backend *doctor_backend(const struct doctor *d);
void doctor_say(struct doctor *d, enum doctor_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The checks are over: exactly once. The backend must not touch d after it. */
void doctor_end(struct doctor *d);

typedef void (*doctor_http_cb)(struct doctor *d, const struct http_response *r, void *ud);
/*
 * METHOD path (below s->url) with s's credentials and timeouts; body may be
 * NULL. cb runs once on the loop, unless d ends or is cancelled first.
 */
void doctor_http(struct doctor *d, const struct http_settings *s, const char *method,
                 const char *path, const char *content_type, const char *body, doctor_http_cb cb,
                 void *ud);
/* Work of the backend's own in flight: fn(ud) runs if d is cancelled before it ends. */
void doctor_on_cancel(struct doctor *d, void (*fn)(void *ud), void *ud);
/*
 * The usual reading of an HTTP answer to METHOD what (a path, for the line):
 * a transport error, HTTP 401/403 ("authentication failed: HTTP 401 (basic,
 * user alice)") or another failure is said as FAIL and returns false; a 2xx
 * says how authentication went ("no authentication asked", or the
 * credentials sent were accepted) and returns true. A transport error after
 * the first poll failed says nothing (the poll's line said the host is not
 * reachable).
 */
bool doctor_http_answered(struct doctor *d, const struct http_settings *s, const char *what,
                          const struct http_response *r);
/*
 * Actions are on for the backend (its `actions`, its context, -r): the probe
 * then says whether they can work. When off the driver has said why.
 */
bool doctor_actions_wanted(const struct doctor *d);
/*
 * The server's own words in a failure as http_describe_failure() says it
 * ("HTTP 401 Unauthorized: Login failed" -> "Login failed"), NULL when it gave
 * none: a probe's line then adds to the first poll's error rather than
 * repeating it (the driver leaves out a FAIL that only repeats it).
 */
const char *doctor_server_words(const char *why);

/* ---- for the driver ---- */

/* ended runs once, when the backend's doctor_end() is called (not on cancel). */
struct doctor *doctor_create(struct backend *b, void (*ended)(struct doctor *d, void *ud),
                             void *ud);
/* Run impl->doctor, or end at once when the type has none. */
void doctor_start(struct doctor *d);
/* Out of time: cancel what is in flight (no callback of the backend's runs after). */
void doctor_cancel(struct doctor *d);
bool doctor_ended(const struct doctor *d);
const struct doctor_line *doctor_lines(const struct doctor *d, size_t *n);
void doctor_free(struct doctor *d);

#endif
