/*
 * The configuration file: INI (libinih).
 *
 *   [opsdeck]
 *   theme = dark            ; dark, light, high-contrast, mono or a user theme
 *   read_only = false
 *   group_above = 200       ; a table pane groups itself above this many rows (0: never)
 *
 *   [backend "edge-lb"]
 *   type = haproxy
 *   refresh = 2s
 *   timeout = 5s
 *   actions = on
 *   url = ...               ; type-specific keys, checked by the backend type
 *
 *   [service "checkout"]    ; golden signals and SLO (docs/configuration.md)
 *   backend = prom          ; a prometheus backend; default: the only one
 *   objective = 99.9        ; labels, window, rules, slo, traffic, errors, ...
 *
 *   [context "prod-eu"]     ; backends say `context = prod-eu` (no key: "default")
 *   tone = crit             ; normal, ok, info, warn, crit, muted: the title bar's colour
 *   protected = true        ; every action asks the typed confirmation
 *   read_only = false       ; true: every action is refused
 *   description = EU production
 *   [keys]                  ; user key maps (tui/keymap.h): VERB = KEYS, PANE.VERB = KEYS
 *   filter = f              ; KEYS none unbinds; checked against the key tables at start
 *   pools.drain = D
 *
 *   [runbooks]
 *   path = ~/runbooks:/srv/runbooks   ; where an alert's runbook is looked for
 *   alert.TargetDown = pool-server-down.md
 *
 *   [views]
 *   web5xx = pools;filter=be_web;sort=-5XX   ; NAME = VIEW-STRING (tui/view.h)
 *
 *   [audit]                 ; the audit log to syslog too (engine/auditlog.h)
 *   syslog = on             ; default off
 *   syslog_facility = authpriv ; auth authpriv daemon user local0..local7
 *   syslog_socket = /dev/log   ; the local syslog socket (a datagram socket)
 *   syslog_tag = opsdeck
 *
 * Errors name file:line. Type-specific keys are kept with their line so that
 * backend_configure() errors can be reported the same way.
 */
#ifndef OPSDECK_CONFIG_H
#define OPSDECK_CONFIG_H

#include "../backends/model.h"

#include <stdbool.h>
#include <stddef.h>

enum { CONFIG_GROUP_ABOVE = 200 };

struct config_entry {
    char *key;
    char *value;
    int line;
};

struct config_backend {
    char *name;
    char *type;
    int line;                     /* of the section header */
    struct config_entry *entries; /* every key but type, in file order */
    size_t nentries;
};

/*
 * A [service "NAME"] section. Its keys are checked at load
 * (backends/prometheus_service.h) and handed to its prometheus backend as
 * that backend's keys: `service = NAME`, then `service.NAME.KEY = VALUE`, each
 * with its own line, so backend_configure() reports them the same way.
 */
struct config_service {
    char *name;
    char *backend; /* the prometheus backend it reads, resolved at load */
    int line;      /* of the section header */
};

/*
 * A context: a [context "NAME"] section, or a name a backend's `context`
 * gives (or "default", a backend without one) with the defaults. In the
 * order declared, then the order backends first name them.
 */
struct config_context {
    char *name;
    enum tone tone;
    bool read_only;
    bool protected_;   /* `protected`: every action asks the typed confirmation */
    char *description; /* NULL: none */
    int line;          /* of the section header; 0: not declared */
    bool used;         /* a backend is in it */
};

struct config {
    char *path;
    char *theme; /* NULL: default */
    bool read_only;
    /*
     * [opsdeck] group_above: a table pane with a group column groups itself
     * while its filtered rows are more than this (0: never); the default
     * CONFIG_GROUP_ABOVE (with no config too). panes/tablepane.c does it.
     */
    size_t group_above;
    struct config_backend *backends;
    size_t nbackends;
    /* [runbooks] path, split on ':' and kept as written (`~` not expanded); NULL: none set */
    char **runbook_dirs;
    size_t nrunbook_dirs;
    /* [runbooks] alert.NAME = FILE: key is NAME (the alertname), value FILE as written */
    struct config_entry *runbook_alerts;
    size_t nrunbook_alerts;
    /* [runbooks] slack_url_env: the env var holding the webhook `opsdeck report --post` uses */
    char *slack_url_env;
    /* [share] (docs/war-room.md), each as written; NULL: not set */
    char *share_dir;          /* the on-call group's directory: sockets, cards, shared journals */
    char *share_participants; /* "bob, carol, @oncall, *": who joins as a participant */
    char *share_nats;         /* nats://HOST:PORT: share across hosts */
    char *share_nats_creds;   /* a NATS credentials file */
    struct config_service *services;
    size_t nservices;
    /* [views] NAME = VIEW-STRING (tui/view.h), in file order; the string checked at start */
    struct config_entry *views;
    size_t nviews;
    struct config_context *contexts;
    size_t ncontexts;
    /* [keys] VERB = KEYS / PANE.VERB = KEYS, as written, in file order (tui/keyconf.h checks) */
    struct config_entry *keys;
    size_t nkeys;
    /* [audit] (engine/auditlog.h): every audit line to syslog as well */
    bool audit_syslog;  /* syslog = on; default off */
    int audit_facility; /* syslog_facility as a code (LOG_AUTHPRIV >> 3, the default) */
    char *audit_socket; /* syslog_socket; NULL: /dev/log */
    char *audit_tag;    /* syslog_tag; NULL: opsdeck */
};

/* The context named name ("default" when NULL), or NULL when the config has none such. */
const struct config_context *config_context_find(const struct config *cfg, const char *name);

struct backend;
struct loop;
struct store;
/*
 * The backend section cb of cfg made real: created, each key configured (an
 * error names its file:line), its context's policy (read_only, protected)
 * copied on (engine/action.c enforces it). Not validated nor started. NULL
 * with *cause on an error (nothing is left behind). The console's start and
 * :reload (tui/reload.c) both build backends here; cfg NULL: no config (the
 * implicit demo), no context policy.
 */
struct backend *config_backend_create(const struct config *cfg, const struct config_backend *cb,
                                      struct store *store, struct loop *loop, char **cause);

/* Parse a file; NULL with *cause = "path:line: message" on any error. */
struct config *config_load(const char *path, char **cause);
/* Parse text (for tests); name is used in messages. */
struct config *config_parse(const char *name, const char *text, char **cause);
void config_destroy(struct config *cfg);

#endif
