/*
 * The configuration file, parsed with libinih.
 *
 * libinih hands its handler a section and a key but no line number, calls it
 * only for key = value pairs (never for a section header, so an empty section
 * is invisible) and truncates section names to 49 bytes. We therefore feed it
 * through our own fgets-like reader over the whole text, which
 *   - counts lines, so the handler knows the line of the pair it receives,
 *   - parses section headers itself (name, quoting, duplicates, a backend
 *     without a type) at the moment inih reaches them,
 *   - strips leading blanks, because inih treats an indented line after a key
 *     as a continuation of that key's value; users indent keys under their
 *     section and must not see "url = ..." glued onto "type",
 *   - refuses lines longer than inih's buffer rather than letting inih split
 *     them into two lines with wrong numbers,
 *   - stops feeding inih at the first error, so exactly one error is reported.
 * inih still finds the syntax errors (a line with no '='); its return value
 * is the number of the first bad line, in the same numbering as ours because
 * every call of the reader returns exactly one physical line.
 */
#include "config.h"

#include "../backends/backend.h"
#include "../backends/prometheus_service.h"
#include "../common/util.h"
#include "auditlog.h"

#include <ini.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Far beyond any real config; a bigger file is a mistake (a log, a binary). */
static const size_t config_max_bytes = 1024 * 1024;

enum section_kind {
    SECTION_NONE,
    SECTION_OPSDECK,
    SECTION_BACKEND,
    SECTION_RUNBOOKS,
    SECTION_SHARE,
    SECTION_SERVICE,
    SECTION_VIEWS,
    SECTION_CONTEXT,
    SECTION_KEYS,
    SECTION_AUDIT
};

/* A [service] section as read, before its backend is known (the end of the file). */
struct pending_service {
    struct prom_service check; /* its keys, checked as they come */
    char *backend;             /* backend = NAME, or NULL */
    int backend_line;
    int line;
    struct config_entry *entries; /* every key but backend, in file order */
    size_t nentries;
};

struct parser {
    const char *text; /* the whole input, NUL-terminated */
    const char *end;  /* its NUL */
    const char *pos;  /* the next line to hand to inih */
    int line;         /* of the line last handed to inih */
    int err_line;     /* of the first error we found; 0: none yet */
    char *err;
    struct config *cfg;
    enum section_kind section;
    int theme_line; /* where each key was first set, for duplicate errors */
    int read_only_line;
    int group_above_line;
    int type_line; /* of the current backend */
    int runbook_path_line;
    struct pending_service *svcs;
    size_t nsvcs;
    int ctx_lines[4];   /* the current [context]'s tone, read_only, protected, description */
    int audit_lines[4]; /* [audit] syslog, syslog_facility, syslog_socket, syslog_tag */
};

static bool fail(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(struct parser *p, int line, const char *fmt, ...)
{
    va_list ap;
    if (p->err_line != 0) {
        return false;
    }
    va_start(ap, fmt);
    p->err = xvasprintf(fmt, ap);
    va_end(ap);
    p->err_line = line;
    return false;
}

static bool is_name(const char *s, const char *extra)
{
    if (*s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        bool alnum =
            (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9');
        if (!alnum && strchr(extra, *s) == NULL) {
            return false;
        }
    }
    return true;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static struct config_backend *current_backend(struct parser *p)
{
    return &p->cfg->backends[p->cfg->nbackends - 1];
}

/* A backend section ends at the next header or at the end of the text. */
static bool finish_section(struct parser *p)
{
    if (p->section != SECTION_BACKEND) {
        return true;
    }
    struct config_backend *be = current_backend(p);
    if (be->type == NULL) {
        return fail(p, be->line, "backend '%s' has no type", be->name);
    }
    return true;
}

static bool add_backend(struct parser *p, const char *name)
{
    struct config *cfg = p->cfg;
    if (!is_name(name, "_.-")) {
        return fail(p, p->line, "bad backend name '%s' (use letters, digits, '.', '_' and '-')",
                    name);
    }
    for (size_t i = 0; i < cfg->nbackends; i++) {
        if (strcmp(cfg->backends[i].name, name) == 0) {
            return fail(p, p->line, "duplicate backend '%s' (first on line %d)", name,
                        cfg->backends[i].line);
        }
    }
    cfg->backends = xreallocarray(cfg->backends, cfg->nbackends + 1, sizeof *cfg->backends);
    struct config_backend *be = &cfg->backends[cfg->nbackends++];
    memset(be, 0, sizeof *be);
    be->name = xstrdup(name);
    be->line = p->line;
    p->section = SECTION_BACKEND;
    p->type_line = 0;
    return true;
}

/* rest: what follows "backend" in the header, trimmed: "NAME" or NAME. */
static bool backend_header(struct parser *p, char *rest)
{
    size_t len = strlen(rest);
    if (len == 0) {
        return fail(p, p->line, "a backend section needs a name, e.g. [backend \"edge-lb\"]");
    }
    if (rest[0] == '"') {
        if (len < 2 || rest[len - 1] != '"') {
            return fail(p, p->line, "missing '\"' after the backend name");
        }
        rest[len - 1] = '\0';
        rest++;
    }
    return add_backend(p, rest);
}

/* rest: what follows "service" in the header: "NAME" or NAME. */
static bool service_header(struct parser *p, char *rest)
{
    size_t len = strlen(rest);
    if (len >= 2 && rest[0] == '"' && rest[len - 1] == '"') {
        rest[len - 1] = '\0';
        rest++;
    }
    if (!is_name(rest, "_-")) {
        return fail(p, p->line,
                    "bad service name '%s' (use letters, digits, '_' and '-', e.g. "
                    "[service \"checkout\"])",
                    rest);
    }
    for (size_t i = 0; i < p->nsvcs; i++) {
        if (strcmp(p->svcs[i].check.name, rest) == 0) {
            return fail(p, p->line, "duplicate service '%s' (first on line %d)", rest,
                        p->svcs[i].line);
        }
    }
    p->svcs = xreallocarray(p->svcs, p->nsvcs + 1, sizeof *p->svcs);
    struct pending_service *ps = &p->svcs[p->nsvcs++];
    memset(ps, 0, sizeof *ps);
    prom_service_init(&ps->check, rest);
    ps->line = p->line;
    p->section = SECTION_SERVICE;
    return true;
}

static struct config_context *add_context(struct config *cfg, const char *name, int line)
{
    cfg->contexts = xreallocarray(cfg->contexts, cfg->ncontexts + 1, sizeof *cfg->contexts);
    struct config_context *c = &cfg->contexts[cfg->ncontexts++];
    memset(c, 0, sizeof *c);
    c->name = xstrdup(name);
    c->tone = TONE_NORMAL;
    c->line = line;
    return c;
}

/* rest: what follows "context" in the header: "NAME" or NAME. */
static bool context_header(struct parser *p, char *rest)
{
    size_t len = strlen(rest);
    if (len >= 2 && rest[0] == '"' && rest[len - 1] == '"') {
        rest[len - 1] = '\0';
        rest++;
    }
    if (!is_name(rest, "_.-") || strlen(rest) > 64) {
        return fail(p, p->line,
                    "bad context name '%s' (use letters, digits, '.', '_' and '-', e.g. "
                    "[context \"prod-eu\"])",
                    rest);
    }
    for (size_t i = 0; i < p->cfg->ncontexts; i++) {
        if (strcmp(p->cfg->contexts[i].name, rest) == 0) {
            return fail(p, p->line, "duplicate context '%s' (first on line %d)", rest,
                        p->cfg->contexts[i].line);
        }
    }
    add_context(p->cfg, rest, p->line);
    memset(p->ctx_lines, 0, sizeof p->ctx_lines);
    p->section = SECTION_CONTEXT;
    return true;
}

/* [context "NAME"]: tone, read_only, protected, description. */
static bool context_key(struct parser *p, const char *key, const char *value)
{
    static const char *const keys[] = {"tone", "read_only", "protected", "description"};
    static const char *const tones[] = {"normal", "ok", "info", "warn", "crit", "muted"};
    struct config_context *c = &p->cfg->contexts[p->cfg->ncontexts - 1];
    int k = -1;
    for (int i = 0; i < 4; i++) {
        if (strcmp(key, keys[i]) == 0) {
            k = i;
        }
    }
    if (k < 0) {
        return fail(p, p->line,
                    "unknown key '%s' in [context \"%s\"] (expected tone, read_only, protected or "
                    "description)",
                    key, c->name);
    }
    if (p->ctx_lines[k] != 0) {
        return fail(p, p->line, "duplicate key '%s' in [context \"%s\"] (first on line %d)", key,
                    c->name, p->ctx_lines[k]);
    }
    p->ctx_lines[k] = p->line;
    if (k == 0) {
        for (size_t t = 0; t < sizeof tones / sizeof tones[0]; t++) {
            if (strcmp(value, tones[t]) == 0) {
                c->tone = (enum tone)t;
                return true;
            }
        }
        return fail(p, p->line,
                    "bad tone '%s' for context '%s' (normal, ok, info, warn, crit or muted)", value,
                    c->name);
    }
    if (k == 3) {
        free(c->description);
        c->description = *value != '\0' ? xstrdup(value) : NULL;
        return true;
    }
    if (!str_parse_bool(value, k == 1 ? &c->read_only : &c->protected_)) {
        return fail(p, p->line, "bad value '%s' for %s (true/false, on/off, yes/no, 1/0)", value,
                    key);
    }
    return true;
}

const struct config_context *config_context_find(const struct config *cfg, const char *name)
{
    const char *n = name != NULL ? name : "default";
    for (size_t i = 0; cfg != NULL && i < cfg->ncontexts; i++) {
        if (strcmp(cfg->contexts[i].name, n) == 0) {
            return &cfg->contexts[i];
        }
    }
    return NULL;
}

/* End of the file: every context a backend names is one (undeclared: the defaults). */
static void resolve_contexts(struct config *cfg)
{
    for (size_t i = 0; i < cfg->nbackends; i++) {
        const char *name = "default";
        for (size_t e = 0; e < cfg->backends[i].nentries; e++) {
            if (strcmp(cfg->backends[i].entries[e].key, "context") == 0) {
                name = cfg->backends[i].entries[e].value;
            }
        }
        const struct config_context *found = config_context_find(cfg, name);
        struct config_context *c =
            found != NULL ? &cfg->contexts[found - cfg->contexts] : add_context(cfg, name, 0);
        c->used = true;
    }
}

/* inner: the header between '[' and ']', trimmed. */
static bool section_header(struct parser *p, char *inner)
{
    if (!finish_section(p)) {
        return false;
    }
    p->section = SECTION_NONE;
    if (strcmp(inner, "opsdeck") == 0) {
        p->section = SECTION_OPSDECK;
        return true;
    }
    if (strcmp(inner, "runbooks") == 0) {
        p->section = SECTION_RUNBOOKS;
        return true;
    }
    if (strcmp(inner, "share") == 0) {
        p->section = SECTION_SHARE;
        return true;
    }
    if (strcmp(inner, "views") == 0) {
        p->section = SECTION_VIEWS;
        return true;
    }
    if (strcmp(inner, "keys") == 0) {
        p->section = SECTION_KEYS;
        return true;
    }
    if (strcmp(inner, "audit") == 0) {
        p->section = SECTION_AUDIT;
        return true;
    }
    if (str_has_prefix(inner, "backend") &&
        (inner[7] == '\0' || is_blank(inner[7]) || inner[7] == '"')) {
        return backend_header(p, str_trim(inner + 7));
    }
    if (str_has_prefix(inner, "service") &&
        (inner[7] == '\0' || is_blank(inner[7]) || inner[7] == '"')) {
        return service_header(p, str_trim(inner + 7));
    }
    if (str_has_prefix(inner, "context") &&
        (inner[7] == '\0' || is_blank(inner[7]) || inner[7] == '"')) {
        return context_header(p, str_trim(inner + 7));
    }
    return fail(p, p->line,
                "unknown section [%s] (expected [opsdeck], [runbooks], [share], [views], "
                "[keys], [audit], [backend \"NAME\"], [service \"NAME\"] or [context "
                "\"NAME\"])",
                inner);
}

/* line: one line without its newline, leading blanks stripped, starting with '['. */
static bool header_line(struct parser *p, const char *line, size_t len)
{
    const char *close = memchr(line, ']', len);
    if (close == NULL) {
        return fail(p, p->line, "missing ']' in section header");
    }
    for (const char *c = close + 1; c < line + len && *c != ';' && *c != '#'; c++) {
        if (!is_blank(*c)) {
            return fail(p, p->line, "unexpected text after ']'");
        }
    }
    char *inner = xstrndup(line + 1, (size_t)(close - line - 1));
    bool ok = section_header(p, str_trim(inner));
    free(inner);
    return ok;
}

/* The ini_reader: one physical line per call, so inih's numbering is ours. */
static char *read_line(char *buf, int size, void *stream)
{
    struct parser *p = stream;
    if (p->err_line != 0 || *p->pos == '\0') {
        return NULL;
    }
    const char *s = p->pos;
    /* memchr, not strchr: the rest's length is known, a line costs its own bytes */
    const char *nl = memchr(s, '\n', (size_t)(p->end - s));
    const char *end = nl != NULL ? nl : p->end;
    p->pos = nl != NULL ? nl + 1 : end;
    p->line++;
    if (p->line == 1 && str_has_prefix(s, "\xEF\xBB\xBF")) {
        s += 3;
    }
    while (s < end && is_blank(*s)) {
        s++;
    }
    size_t len = (size_t)(end - s);
    /* Room for the newline and the NUL that fgets would store. */
    if (size < 2 || len > (size_t)size - 2) {
        fail(p, p->line, "line too long (at most %d bytes)", size - 2);
        return NULL;
    }
    if (len > 0 && *s == '[' && !header_line(p, s, len)) {
        return NULL;
    }
    memcpy(buf, s, len);
    buf[len] = '\n';
    buf[len + 1] = '\0';
    return buf;
}

static bool opsdeck_key(struct parser *p, const char *key, const char *value)
{
    if (strcmp(key, "theme") == 0) {
        if (p->theme_line != 0) {
            return fail(p, p->line, "duplicate key 'theme' in [opsdeck] (first on line %d)",
                        p->theme_line);
        }
        if (!is_name(value, "_-")) {
            return fail(p, p->line, "bad theme name '%s' (use letters, digits, '_' and '-')",
                        value);
        }
        p->theme_line = p->line;
        p->cfg->theme = xstrdup(value);
        return true;
    }
    if (strcmp(key, "read_only") == 0) {
        if (p->read_only_line != 0) {
            return fail(p, p->line, "duplicate key 'read_only' in [opsdeck] (first on line %d)",
                        p->read_only_line);
        }
        if (!str_parse_bool(value, &p->cfg->read_only)) {
            return fail(p, p->line,
                        "bad value '%s' for read_only (on/off, true/false, yes/no, 1/0)", value);
        }
        p->read_only_line = p->line;
        return true;
    }
    if (strcmp(key, "group_above") == 0) {
        double v;
        if (p->group_above_line != 0) {
            return fail(p, p->line, "duplicate key 'group_above' in [opsdeck] (first on line %d)",
                        p->group_above_line);
        }
        if (!str_parse_decimal(value, &v) || v < 0 || v > 1e8 || v != (double)(size_t)v) {
            return fail(p, p->line,
                        "bad value '%s' for group_above (a number of rows; 0: never group)", value);
        }
        p->group_above_line = p->line;
        p->cfg->group_above = (size_t)v;
        return true;
    }
    return fail(p, p->line, "unknown key '%s' in [opsdeck]", key);
}

static bool backend_type(struct parser *p, struct config_backend *be, const char *value)
{
    if (p->type_line != 0) {
        return fail(p, p->line, "duplicate key 'type' in [backend \"%s\"] (first on line %d)",
                    be->name, p->type_line);
    }
    if (*value == '\0') {
        return fail(p, p->line, "empty value for 'type'");
    }
    p->type_line = p->line;
    be->type = xstrdup(value);
    return true;
}

static bool backend_key(struct parser *p, const char *key, const char *value)
{
    struct config_backend *be = current_backend(p);
    if (strcmp(key, "type") == 0) {
        return backend_type(p, be, value);
    }
    for (size_t i = 0; i < be->nentries; i++) {
        if (strcmp(be->entries[i].key, key) == 0) {
            return fail(p, p->line, "duplicate key '%s' in [backend \"%s\"] (first on line %d)",
                        key, be->name, be->entries[i].line);
        }
    }
    be->entries = xreallocarray(be->entries, be->nentries + 1, sizeof *be->entries);
    struct config_entry *e = &be->entries[be->nentries++];
    e->key = xstrdup(key);
    e->value = xstrdup(value);
    e->line = p->line;
    return true;
}

/* path = DIR:DIR, as in $PATH; an empty element would silently mean "here", so it is an error. */
static bool runbook_path(struct parser *p, const char *value)
{
    struct config *cfg = p->cfg;
    if (p->runbook_path_line != 0) {
        return fail(p, p->line, "duplicate key 'path' in [runbooks] (first on line %d)",
                    p->runbook_path_line);
    }
    p->runbook_path_line = p->line;
    const char *s = value;
    for (;;) {
        const char *colon = strchr(s, ':');
        size_t len = colon != NULL ? (size_t)(colon - s) : strlen(s);
        if (len == 0) {
            return fail(p, p->line, "empty directory in [runbooks] path (separate them with ':')");
        }
        cfg->runbook_dirs =
            xreallocarray(cfg->runbook_dirs, cfg->nrunbook_dirs + 1, sizeof *cfg->runbook_dirs);
        cfg->runbook_dirs[cfg->nrunbook_dirs++] = xstrndup(s, len);
        if (colon == NULL) {
            return true;
        }
        s = colon + 1;
    }
}

static bool runbooks_key(struct parser *p, const char *key, const char *value)
{
    struct config *cfg = p->cfg;
    if (strcmp(key, "path") == 0) {
        return runbook_path(p, value);
    }
    if (strcmp(key, "slack_url_env") == 0) {
        if (!is_name(value, "_")) {
            return fail(p, p->line, "bad slack_url_env '%s' (the NAME of an environment variable)",
                        value);
        }
        free(cfg->slack_url_env);
        cfg->slack_url_env = xstrdup(value);
        return true;
    }
    if (!str_has_prefix(key, "alert.")) {
        return fail(p, p->line,
                    "unknown key '%s' in [runbooks] (expected path, slack_url_env or alert.NAME)",
                    key);
    }
    const char *name = key + 6;
    if (!is_name(name, "_:.-")) {
        return fail(p, p->line, "bad alert name '%s' in [runbooks] (expected alert.ALERTNAME)",
                    name);
    }
    if (*value == '\0') {
        return fail(p, p->line, "empty runbook file for alert '%s'", name);
    }
    for (size_t i = 0; i < cfg->nrunbook_alerts; i++) {
        if (strcmp(cfg->runbook_alerts[i].key, name) == 0) {
            return fail(p, p->line, "duplicate key '%s' in [runbooks] (first on line %d)", key,
                        cfg->runbook_alerts[i].line);
        }
    }
    cfg->runbook_alerts =
        xreallocarray(cfg->runbook_alerts, cfg->nrunbook_alerts + 1, sizeof *cfg->runbook_alerts);
    struct config_entry *e = &cfg->runbook_alerts[cfg->nrunbook_alerts++];
    e->key = xstrdup(name);
    e->value = xstrdup(value);
    e->line = p->line;
    return true;
}

/* [share] (docs/war-room.md): one value per key; nothing secret is read from here. */
static bool share_key(struct parser *p, const char *key, const char *value)
{
    struct config *cfg = p->cfg;
    char **slot = strcmp(key, "dir") == 0            ? &cfg->share_dir
                  : strcmp(key, "participants") == 0 ? &cfg->share_participants
                  : strcmp(key, "nats") == 0         ? &cfg->share_nats
                  : strcmp(key, "nats_creds") == 0   ? &cfg->share_nats_creds
                                                     : NULL;
    if (slot == NULL) {
        return fail(p, p->line,
                    "unknown key '%s' in [share] (expected dir, participants, nats or nats_creds)",
                    key);
    }
    if (*slot != NULL) {
        return fail(p, p->line, "duplicate key '%s' in [share]", key);
    }
    if (*value == '\0') {
        return fail(p, p->line, "empty value for '%s' in [share]", key);
    }
    if (strcmp(key, "nats") == 0 && !str_has_prefix(value, "nats://") &&
        !str_has_prefix(value, "tls://")) {
        return fail(p, p->line,
                    "bad nats URL '%s' (expected nats://HOST:PORT; credentials go in nats_creds "
                    "or the environment, never here)",
                    value);
    }
    if (strcmp(key, "nats") == 0 && strchr(value, '@') != NULL) {
        return fail(p, p->line,
                    "the nats URL holds credentials: put them in a file named by nats_creds or in "
                    "the environment (docs/war-room.md)");
    }
    *slot = xstrdup(value);
    return true;
}

/*
 * [views] NAME = VIEW-STRING. The string is the console's to read
 * (tui/view.h): it is checked when the console starts, with this line.
 */
static bool views_key(struct parser *p, const char *key, const char *value)
{
    struct config *cfg = p->cfg;
    if (!is_name(key, "_.-")) {
        return fail(p, p->line, "bad view name '%s' in [views] (letters, digits, _ . -)", key);
    }
    if (*value == '\0') {
        return fail(p, p->line, "empty view '%s' (expected PANE[;filter=...][;sort=...]...)", key);
    }
    for (size_t i = 0; i < cfg->nviews; i++) {
        if (strcmp(cfg->views[i].key, key) == 0) {
            return fail(p, p->line, "duplicate view '%s' in [views] (first on line %d)", key,
                        cfg->views[i].line);
        }
    }
    cfg->views = xreallocarray(cfg->views, cfg->nviews + 1, sizeof *cfg->views);
    struct config_entry *e = &cfg->views[cfg->nviews++];
    e->key = xstrdup(key);
    e->value = xstrdup(value);
    e->line = p->line;
    return true;
}

/*
 * [keys]: VERB = KEYS or PANE.VERB = KEYS, kept with their line; the verbs,
 * panes and key names are checked against the key tables at start
 * (tui/keyconf.h), which the engine does not know.
 */
static bool keys_key(struct parser *p, const char *key, const char *value)
{
    struct config *cfg = p->cfg;
    if (!is_name(key, "-_.")) {
        return fail(p, p->line, "bad key binding '%s' in [keys] (VERB = KEYS or PANE.VERB = KEYS)",
                    key);
    }
    if (*value == '\0') {
        return fail(p, p->line, "no key for '%s' in [keys] (none unbinds it)", key);
    }
    for (size_t i = 0; i < cfg->nkeys; i++) {
        if (strcmp(cfg->keys[i].key, key) == 0) {
            return fail(p, p->line, "duplicate key '%s' in [keys] (first on line %d)", key,
                        cfg->keys[i].line);
        }
    }
    cfg->keys = xreallocarray(cfg->keys, cfg->nkeys + 1, sizeof *cfg->keys);
    struct config_entry *e = &cfg->keys[cfg->nkeys++];
    e->key = xstrdup(key);
    e->value = xstrdup(value);
    e->line = p->line;
    return true;
}

/* [service "NAME"]: each key checked now; the backend is resolved at the end of the file. */
static bool service_key(struct parser *p, const char *key, const char *value)
{
    struct pending_service *ps = &p->svcs[p->nsvcs - 1];
    const char *name = ps->check.name;
    if (strcmp(key, "backend") == 0) {
        if (ps->backend != NULL) {
            return fail(p, p->line,
                        "duplicate key 'backend' in [service \"%s\"] (first on line %d)", name,
                        ps->backend_line);
        }
        if (*value == '\0') {
            return fail(p, p->line, "empty value for 'backend'");
        }
        ps->backend = xstrdup(value);
        ps->backend_line = p->line;
        return true;
    }
    for (size_t i = 0; i < ps->nentries; i++) {
        if (strcmp(ps->entries[i].key, key) == 0) {
            return fail(p, p->line, "duplicate key '%s' in [service \"%s\"] (first on line %d)",
                        key, name, ps->entries[i].line);
        }
    }
    char *why = NULL;
    if (!prom_service_key(&ps->check, key, value, &why)) {
        fail(p, p->line, "%s", why);
        free(why);
        return false;
    }
    ps->entries = xreallocarray(ps->entries, ps->nentries + 1, sizeof *ps->entries);
    struct config_entry *e = &ps->entries[ps->nentries++];
    e->key = xstrdup(key);
    e->value = xstrdup(value);
    e->line = p->line;
    return true;
}

static void add_entry(struct config_backend *be, char *key, const char *value, int line)
{
    be->entries = xreallocarray(be->entries, be->nentries + 1, sizeof *be->entries);
    struct config_entry *e = &be->entries[be->nentries++];
    e->key = key;
    e->value = xstrdup(value);
    e->line = line;
}

/* The prometheus backend a service reads: the one it names, else the only one. */
static struct config_backend *service_backend(struct parser *p, const struct pending_service *ps)
{
    struct config *cfg = p->cfg;
    const char *name = ps->check.name;
    if (ps->backend != NULL) {
        for (size_t i = 0; i < cfg->nbackends; i++) {
            struct config_backend *be = &cfg->backends[i];
            if (strcmp(be->name, ps->backend) != 0) {
                continue;
            }
            if (strcmp(be->type, "prometheus") != 0) {
                fail(p, ps->backend_line,
                     "service '%s': backend '%s' is of type %s (a service reads a prometheus "
                     "backend)",
                     name, be->name, be->type);
                return NULL;
            }
            return be;
        }
        fail(p, ps->backend_line, "service '%s': unknown backend '%s'", name, ps->backend);
        return NULL;
    }
    struct config_backend *found = NULL;
    size_t n = 0;
    for (size_t i = 0; i < cfg->nbackends; i++) {
        if (strcmp(cfg->backends[i].type, "prometheus") == 0) {
            found = &cfg->backends[i];
            n++;
        }
    }
    if (n == 0) {
        fail(p, ps->line,
             "service '%s' needs a prometheus backend (a [backend] with type = prometheus)", name);
        return NULL;
    }
    if (n > 1) {
        fail(p, ps->line, "service '%s': %zu prometheus backends, say which with backend = NAME",
             name, n);
        return NULL;
    }
    return found;
}

/* End of the file: each service goes to its backend as that backend's keys. */
static bool resolve_services(struct parser *p)
{
    struct config *cfg = p->cfg;
    for (size_t i = 0; i < p->nsvcs; i++) {
        struct pending_service *ps = &p->svcs[i];
        struct config_backend *be = service_backend(p, ps);
        if (be == NULL) {
            return false;
        }
        const char *name = ps->check.name;
        add_entry(be, xstrdup("service"), name, ps->line);
        for (size_t e = 0; e < ps->nentries; e++) {
            add_entry(be, xasprintf("service.%s.%s", name, ps->entries[e].key),
                      ps->entries[e].value, ps->entries[e].line);
        }
        cfg->services = xreallocarray(cfg->services, cfg->nservices + 1, sizeof *cfg->services);
        struct config_service *cs = &cfg->services[cfg->nservices++];
        cs->name = xstrdup(name);
        cs->backend = xstrdup(be->name);
        cs->line = ps->line;
    }
    return true;
}

static void pending_free(struct parser *p)
{
    for (size_t i = 0; i < p->nsvcs; i++) {
        struct pending_service *ps = &p->svcs[i];
        prom_service_finish(&ps->check);
        free(ps->backend);
        for (size_t e = 0; e < ps->nentries; e++) {
            free(ps->entries[e].key);
            free(ps->entries[e].value);
        }
        free(ps->entries);
    }
    free(p->svcs);
}

/* A syslog tag: what rsyslog and journald take as one (letters, digits, . _ - /), <= 32. */
static bool audit_tag_ok(const char *s)
{
    return strlen(s) <= 32 && is_name(s, "._-/");
}

/* [audit] (engine/auditlog.h): the audit log to syslog as well. */
static bool audit_key(struct parser *p, const char *key, const char *value)
{
    static const char *const keys[] = {"syslog", "syslog_facility", "syslog_socket", "syslog_tag"};
    size_t k = 0;
    while (k < 4 && strcmp(key, keys[k]) != 0) {
        k++;
    }
    if (k == 4) {
        return fail(p, p->line,
                    "unknown key '%s' in [audit] (expected syslog, syslog_facility, "
                    "syslog_socket or syslog_tag)",
                    key);
    }
    if (p->audit_lines[k] != 0) {
        return fail(p, p->line, "duplicate key '%s' in [audit] (first on line %d)", key,
                    p->audit_lines[k]);
    }
    p->audit_lines[k] = p->line;
    struct config *cfg = p->cfg;
    if (k == 0 && !str_parse_bool(value, &cfg->audit_syslog)) {
        return fail(p, p->line, "bad value '%s' for syslog (on/off, true/false, yes/no, 1/0)",
                    value);
    }
    if (k == 1 && !auditlog_facility_parse(value, &cfg->audit_facility)) {
        return fail(p, p->line,
                    "bad syslog_facility '%s' (auth, authpriv, daemon, user or local0..local7)",
                    value);
    }
    if (k == 2 && (value[0] != '/' || strlen(value) >= 108)) {
        return fail(p, p->line,
                    "bad syslog_socket '%s' (the absolute path of a local socket, under 108 "
                    "bytes, e.g. /dev/log)",
                    value);
    }
    if (k == 3 && !audit_tag_ok(value)) {
        return fail(p, p->line,
                    "bad syslog_tag '%s' (1 to 32 letters, digits, '.', '_', '-' or '/')", value);
    }
    char **slot = k == 2 ? &cfg->audit_socket : k == 3 ? &cfg->audit_tag : NULL;
    if (slot != NULL) {
        *slot = xstrdup(value);
    }
    return true;
}

/* The ini_handler. We track sections ourselves (see the top), so ignore inih's. */
static int on_pair(void *user, const char *section, const char *key, const char *value)
{
    struct parser *p = user;
    (void)section;
    if (*key == '\0') {
        return fail(p, p->line, "missing key before '='");
    }
    switch (p->section) {
    case SECTION_OPSDECK:
        return opsdeck_key(p, key, value);
    case SECTION_BACKEND:
        return backend_key(p, key, value);
    case SECTION_RUNBOOKS:
        return runbooks_key(p, key, value);
    case SECTION_SHARE:
        return share_key(p, key, value);
    case SECTION_SERVICE:
        return service_key(p, key, value);
    case SECTION_VIEWS:
        return views_key(p, key, value);
    case SECTION_CONTEXT:
        return context_key(p, key, value);
    case SECTION_KEYS:
        return keys_key(p, key, value);
    case SECTION_AUDIT:
        return audit_key(p, key, value);
    case SECTION_NONE:
        break;
    }
    return fail(p, p->line, "key '%s' outside of a section (put it under [opsdeck] or a [backend])",
                key);
}

/* The last value of key in be, and its line; NULL when not set. */
static const char *entry_value(const struct config_backend *be, const char *key, int *line)
{
    const char *v = NULL;
    for (size_t i = 0; i < be->nentries; i++) {
        if (strcmp(be->entries[i].key, key) == 0) {
            v = be->entries[i].value;
            *line = be->entries[i].line;
        }
    }
    return v;
}

/*
 * `cluster = NAME` (backends/cluster.h): the members of one cluster are of one
 * type and one context, and a cluster is not named like a backend.
 */
static bool check_clusters(struct parser *p)
{
    const struct config *cfg = p->cfg;
    for (size_t i = 0; i < cfg->nbackends; i++) {
        const struct config_backend *be = &cfg->backends[i];
        int line = be->line, cline = 0;
        const char *cluster = entry_value(be, "cluster", &line);
        if (cluster == NULL) {
            continue;
        }
        const char *ctx = entry_value(be, "context", &cline);
        for (size_t j = 0; j < cfg->nbackends; j++) {
            const struct config_backend *o = &cfg->backends[j];
            int oline = 0;
            if (strcmp(o->name, cluster) == 0) {
                return fail(p, line, "cluster '%s' has the name of a backend (line %d)", cluster,
                            o->line);
            }
            const char *oc = j < i ? entry_value(o, "cluster", &oline) : NULL;
            if (oc == NULL || strcmp(oc, cluster) != 0) {
                continue;
            }
            const char *octx = entry_value(o, "context", &oline);
            if (strcmp(o->type, be->type) != 0) {
                return fail(p, line,
                            "backend '%s' (%s) cannot join cluster '%s': its member '%s' is %s",
                            be->name, be->type, cluster, o->name, o->type);
            }
            if (strcmp(ctx != NULL ? ctx : "default", octx != NULL ? octx : "default") != 0) {
                return fail(p, line,
                            "backend '%s' (context %s) cannot join cluster '%s': its member '%s' "
                            "is in context %s",
                            be->name, ctx != NULL ? ctx : "default", cluster, o->name,
                            octx != NULL ? octx : "default");
            }
            break; /* the first member checked the others against itself */
        }
    }
    return true;
}

struct config *config_parse(const char *name, const char *text, char **cause)
{
    struct parser p = {.text = text, .end = text + strlen(text), .pos = text};
    p.cfg = xcalloc(1, sizeof *p.cfg);
    p.cfg->group_above = CONFIG_GROUP_ABOVE;
    p.cfg->path = xstrdup(name);
    auditlog_facility_parse("authpriv", &p.cfg->audit_facility); /* the default */

    int rc = ini_parse_stream(read_line, &p, on_pair, &p);
    if (rc == 0 && p.err_line == 0 && finish_section(&p) && resolve_services(&p)) {
        resolve_contexts(p.cfg);
        check_clusters(&p);
    }
    pending_free(&p);
    if (rc < 0) {
        *cause = xasprintf("%s: cannot parse (libinih error %d)", name, rc);
    } else if (rc > 0 && (p.err_line == 0 || rc < p.err_line)) {
        /* Not ours, so inih's own: a line that is no header, comment or pair. */
        *cause = xasprintf("%s:%d: syntax error (expected 'key = value', [section] or a comment)",
                           name, rc);
    } else if (p.err_line != 0) {
        *cause = xasprintf("%s:%d: %s", name, p.err_line, p.err);
    } else {
        return p.cfg;
    }
    free(p.err);
    config_destroy(p.cfg);
    return NULL;
}

static int line_of(const char *text, size_t offset)
{
    int line = 1;
    for (size_t i = 0; i < offset; i++) {
        line += text[i] == '\n';
    }
    return line;
}

struct config *config_load(const char *path, char **cause)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *cause = xasprintf("%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t len;
    int err = 0;
    char *text = read_fd_all(fd, config_max_bytes, &len, &err);
    close(fd);
    if (text == NULL) {
        *cause = err == EFBIG
                     ? xasprintf("%s: too large (more than %zu bytes)", path, config_max_bytes)
                     : xasprintf("%s: %s", path, strerror(err));
        return NULL;
    }
    /* A NUL would end the text early and silently drop the rest. */
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        *cause =
            xasprintf("%s:%d: NUL byte in the file", path, line_of(text, (size_t)(nul - text)));
        free(text);
        return NULL;
    }
    struct config *cfg = config_parse(path, text, cause);
    free(text);
    return cfg;
}

void config_destroy(struct config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    for (size_t i = 0; i < cfg->nbackends; i++) {
        struct config_backend *be = &cfg->backends[i];
        for (size_t j = 0; j < be->nentries; j++) {
            free(be->entries[j].key);
            free(be->entries[j].value);
        }
        free(be->entries);
        free(be->name);
        free(be->type);
    }
    free(cfg->backends);
    for (size_t i = 0; i < cfg->nservices; i++) {
        free(cfg->services[i].name);
        free(cfg->services[i].backend);
    }
    free(cfg->services);
    for (size_t i = 0; i < cfg->ncontexts; i++) {
        free(cfg->contexts[i].name);
        free(cfg->contexts[i].description);
    }
    free(cfg->contexts);
    for (size_t i = 0; i < cfg->nrunbook_dirs; i++) {
        free(cfg->runbook_dirs[i]);
    }
    free(cfg->runbook_dirs);
    free(cfg->slack_url_env);
    free(cfg->share_dir);
    free(cfg->share_participants);
    free(cfg->share_nats);
    free(cfg->share_nats_creds);
    for (size_t i = 0; i < cfg->nrunbook_alerts; i++) {
        free(cfg->runbook_alerts[i].key);
        free(cfg->runbook_alerts[i].value);
    }
    free(cfg->runbook_alerts);
    for (size_t i = 0; i < cfg->nviews; i++) {
        free(cfg->views[i].key);
        free(cfg->views[i].value);
    }
    free(cfg->views);
    for (size_t i = 0; i < cfg->nkeys; i++) {
        free(cfg->keys[i].key);
        free(cfg->keys[i].value);
    }
    free(cfg->keys);
    free(cfg->audit_socket);
    free(cfg->audit_tag);
    free(cfg->theme);
    free(cfg->path);
    free(cfg);
}

struct backend *config_backend_create(const struct config *cfg, const struct config_backend *cb,
                                      struct store *store, struct loop *loop, char **cause)
{
    const char *path = cfg != NULL ? cfg->path : "";
    const struct backend_impl *impl = backend_impl_find(cb->type);
    if (impl == NULL) {
        *cause = xasprintf("%s:%d: unknown backend type '%s'", path, cb->line, cb->type);
        return NULL;
    }
    struct backend *b = backend_create(impl, cb->name, store, loop);
    for (size_t e = 0; e < cb->nentries; e++) {
        char *why = NULL;
        if (!backend_configure(b, cb->entries[e].key, cb->entries[e].value, &why)) {
            *cause = xasprintf("%s:%d: %s", path, cb->entries[e].line, why);
            free(why);
            backend_destroy(b);
            return NULL;
        }
    }
    /* config.c resolved every context name at load */
    const struct config_context *cc = config_context_find(cfg, b->context);
    b->context_read_only = cc != NULL && cc->read_only;
    b->context_protected = cc != NULL && cc->protected_;
    return b;
}
