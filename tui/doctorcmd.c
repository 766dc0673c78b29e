/*
 * opsdeck doctor, the driver (doctorcmd.h): every backend started and checked
 * in parallel on the one loop under its own time bound, then the local and
 * terminal checks, printed as lines or one JSON document. What a backend or
 * the system says is shown through the text filter (common/text.h), never
 * obeyed; a secret's value is never read here, only its file's metadata.
 */
#include "doctorcmd.h"

#include "../backends/backend.h"
#include "../backends/doctor.h"
#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../engine/config.h"
#include "../engine/paths.h"

#include "../common/json.h"

#include <cjson/cJSON.h>
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <term.h>
#include <unistd.h>

#ifndef OPSDECK_VERSION
#define OPSDECK_VERSION "0.1.0"
#endif

enum {
    MIN_COLS = 80,
    MIN_LINES = 24,
};

/* One block of lines: a backend's, the local checks', the terminal's. */
struct block {
    char *title;   /* "am (alertmanager) http://127.0.0.1:9093" */
    char *name;    /* for JSON: the backend's name, "local", "terminal" */
    char *type;    /* NULL for local and terminal */
    char *address; /* URL or socket as configured, NULL when none */
    struct doctor_line *items;
    size_t nitems;
};

static void block_say(struct block *bl, enum doctor_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void block_say(struct block *bl, enum doctor_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = xvasprintf(fmt, ap);
    va_end(ap);
    bl->items = xreallocarray(bl->items, bl->nitems + 1, sizeof *bl->items);
    bl->items[bl->nitems++] = (struct doctor_line){.level = level, .text = text};
}

static void block_free(struct block *bl)
{
    for (size_t i = 0; i < bl->nitems; i++) {
        free(bl->items[i].text);
    }
    free(bl->items);
    free(bl->title);
    free(bl->name);
    free(bl->type);
    free(bl->address);
}

/* ---- backends ---- */

enum phase { PHASE_IDLE, PHASE_POLL, PHASE_DOCTOR, PHASE_DONE };

struct check {
    struct backend *b;
    const struct config_backend *cb; /* NULL: the demo without a config */
    struct doctor *d;
    enum phase phase;
    uint64_t started, bound_ms;
    char *late;       /* the bound's FAIL line, said after the probe's lines */
    char *poll_error; /* the first poll's error: a probe's FAIL repeating it is left out */
    bool read_only;   /* -r or read_only = true: actions off for that reason */
    struct block bl;
};

/* The value of key in b's config section, or NULL. */
static const char *entry(const struct config_backend *cb, const char *key)
{
    if (cb == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < cb->nentries; i++) {
        if (strcmp(cb->entries[i].key, key) == 0) {
            return cb->entries[i].value;
        }
    }
    return NULL;
}

/* A URL without its user:password@ part: a title never shows a secret. */
static char *url_shown(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme != NULL ? scheme + 3 : url;
    size_t hostlen = strcspn(host, "/?#");
    const char *at = memchr(host, '@', hostlen);
    if (at == NULL) {
        return xstrdup(url);
    }
    return xasprintf("%.*s%s", (int)(host - url), url, at + 1);
}

static void check_title(struct check *c)
{
    const char *url = entry(c->cb, "url");
    const char *sock = entry(c->cb, "socket");
    const char *cmd = entry(c->cb, "command");
    struct strbuf sb = {0};
    strbuf_printf(&sb, "%s (%s)", c->b->name, c->b->impl->type);
    if (url != NULL) {
        char *shown = url_shown(url);
        strbuf_printf(&sb, " %s", shown);
        c->bl.address = shown;
    }
    if (sock != NULL) {
        strbuf_printf(&sb, "%s socket %s", url != NULL ? "," : "", sock);
        if (c->bl.address == NULL) {
            c->bl.address = xstrdup(sock);
        }
    }
    if (cmd != NULL && url == NULL && sock == NULL) {
        strbuf_printf(&sb, " command %s", cmd);
    }
    if (c->b->cluster_name != NULL) {
        strbuf_printf(&sb, " [cluster %s]", c->b->cluster_name);
    }
    c->bl.title = sb.s != NULL ? sb.s : xstrdup("");
    c->bl.name = xstrdup(c->b->name);
    c->bl.type = xstrdup(c->b->impl->type);
}

/* "3 alerts, 1 silence" from the store, for the source b publishes under. */
static char *rows_text(const struct backend *b)
{
    struct strbuf sb = {0};
    unsigned kinds = backend_kinds(b);
    const char *source = backend_source(b);
    for (int k = 0; k < MODEL_KINDS; k++) {
        if ((kinds & (1u << k)) == 0) {
            continue;
        }
        size_t n = 0;
        bool seen = false;
        for (size_t i = 0; i < store_nsets(b->store, (enum model_kind)k); i++) {
            const struct rowset *rs = store_set(b->store, (enum model_kind)k, i);
            if (strcmp(rs->source, source) == 0) {
                n += rs->nrows;
                seen = true;
            }
        }
        if (seen) {
            char *title = xstrdup(model_schema((enum model_kind)k)->title);
            for (char *p = title; *p != '\0'; p++) {
                *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
            }
            size_t len = strlen(title);
            if (n == 1 && len > 1 && title[len - 1] == 's') {
                title[len - 1] = '\0'; /* "1 silence" */
            }
            strbuf_printf(&sb, "%s%zu %s", sb.n > 0 ? ", " : "", n, title);
            free(title);
        }
    }
    if (sb.s == NULL) {
        return xstrdup("no rows");
    }
    return sb.s;
}

static void on_doctor_end(struct doctor *d, void *ud)
{
    struct check *c = ud;
    (void)d;
    c->phase = PHASE_DONE;
}

/* What the type's table says when it has no probe of its own. */
static void generic_lines(struct check *c)
{
    const char *type = c->b->impl->type;
    if (strcmp(type, "demo") == 0) {
        block_say(&c->bl, DOCTOR_INFO, "DEMO: simulated systems, nothing real is reached");
    } else if (strcmp(type, "exec") == 0) {
        block_say(&c->bl, DOCTOR_INFO,
                  "a plugin command: the first poll ran it (no version or authentication to ask)");
    } else if (strcmp(type, "http-json") == 0) {
        block_say(&c->bl, DOCTOR_INFO,
                  "a JSON endpoint: the first poll is the check (no version API to ask)");
    } else {
        block_say(&c->bl, DOCTOR_INFO, "no checks beyond the first poll for type %s", type);
    }
    int n = 0;
    backend_actions(c->b, &n);
    if (n == 0) {
        block_say(&c->bl, DOCTOR_INFO, "actions: none (the type has none)");
    } else if (c->b->actions_enabled) {
        block_say(&c->bl, DOCTOR_INFO,
                  "actions: %d declared, on (not tried: doctor changes nothing)", n);
    }
}

/* The first poll answered: say how, then run the type's checks. */
static void poll_answered(struct check *c)
{
    uint64_t ms = clock_mono_ms() - c->started;
    if (c->b->health == BACKEND_OK) {
        char *rows = rows_text(c->b);
        /* a member's rows are published merged, under its cluster's name */
        block_say(&c->bl, DOCTOR_OK, "answered in %llu ms: %s%s", (unsigned long long)ms,
                  c->b->cluster != NULL ? "its cluster shows " : "", rows);
        free(rows);
    } else {
        block_say(&c->bl, DOCTOR_FAIL, "first poll failed after %llu ms: %s",
                  (unsigned long long)ms, c->b->error != NULL ? c->b->error : "unknown error");
        c->poll_error = c->b->error != NULL ? xstrdup(c->b->error) : NULL;
    }
    if (c->b->tls_unverified) {
        block_say(&c->bl, DOCTOR_WARN, "TLS verification is off (insecure = true)");
    }
    if (c->read_only) {
        block_say(&c->bl, DOCTOR_INFO, "actions: off (read-only: -r or read_only = true)");
    } else if (!c->b->actions_enabled) {
        block_say(&c->bl, DOCTOR_INFO, "actions: off (actions = off in the config)");
    } else if (c->b->context_read_only) {
        block_say(&c->bl, DOCTOR_INFO, "actions: off (context %s is read-only)",
                  backend_context(c->b));
    } else if (c->b->context_protected) {
        block_say(&c->bl, DOCTOR_INFO,
                  "actions: each asks the typed confirmation (context %s is protected)",
                  backend_context(c->b));
    }
    if (c->b->impl->doctor == NULL) {
        generic_lines(c);
    }
    c->phase = PHASE_DOCTOR;
    c->d = doctor_create(c->b, on_doctor_end, c);
    doctor_start(c->d); /* may end at once */
}

static void check_start(struct check *c, const struct config *cfg, int64_t timeout_ms)
{
    c->started = clock_mono_ms();
    c->bound_ms = timeout_ms > 0 ? (uint64_t)timeout_ms : (uint64_t)c->b->timeout_ms * 2 + 1000;
    char *why = NULL;
    if (!backend_start(c->b, &why)) {
        if (c->cb != NULL && cfg != NULL) {
            /* the section it is in: as the console would refuse to start (exit 2 there) */
            block_say(&c->bl, DOCTOR_FAIL, "cannot start: %s:%d: %s", cfg->path, c->cb->line, why);
        } else {
            block_say(&c->bl, DOCTOR_FAIL, "cannot start: %s", why);
        }
        free(why);
        c->phase = PHASE_DONE;
        return;
    }
    if (c->b->timer != NULL) {
        /* exactly one poll, now: not the refresh schedule (doctor watches nothing) */
        loop_timer_cancel(c->b->loop, c->b->timer);
        c->b->timer = NULL;
    }
    c->phase = PHASE_POLL;
    c->b->polls++;
    c->b->impl->poll(c->b);
}

static void check_step(struct check *c, uint64_t now)
{
    if (c->phase == PHASE_POLL && c->b->health != BACKEND_STARTING) {
        poll_answered(c);
    }
    if (c->phase == PHASE_DONE || now - c->started < c->bound_ms) {
        return;
    }
    /* out of time: what was in flight is cancelled, its callbacks never run */
    char bound[32];
    if (c->bound_ms % 1000 == 0) {
        snprintf(bound, sizeof bound, "%llu s", (unsigned long long)(c->bound_ms / 1000));
    } else {
        snprintf(bound, sizeof bound, "%llu ms", (unsigned long long)c->bound_ms);
    }
    if (c->phase == PHASE_POLL) {
        block_say(&c->bl, DOCTOR_FAIL, "no answer within %s (the first poll)", bound);
    } else {
        doctor_cancel(c->d);
        c->late = xasprintf("no answer within %s (the checks after the first poll)", bound);
    }
    c->phase = PHASE_DONE;
}

/* The probe's items after the driver's own, then the bound's. */
static void collect(struct check *c)
{
    size_t n = 0;
    const struct doctor_line *items = c->d != NULL ? doctor_lines(c->d, &n) : NULL;
    for (size_t i = 0; i < n; i++) {
        /* "GET /api/v2/status: connection refused" after the poll said just that */
        const char *text = items[i].text;
        if (items[i].level == DOCTOR_FAIL && c->poll_error != NULL && c->poll_error[0] != '\0' &&
            strstr(text, c->poll_error) != NULL) {
            continue;
        }
        block_say(&c->bl, items[i].level, "%s", text);
    }
    free(c->poll_error);
    c->poll_error = NULL;
    if (c->late != NULL) {
        block_say(&c->bl, DOCTOR_FAIL, "%s", c->late);
        free(c->late);
        c->late = NULL;
    }
}

/* --backend NAME: a backend, or a cluster (`cluster = NAME`) for all its members. */
static bool named(const struct backend *b, const char *name)
{
    return strcmp(name, b->name) == 0 ||
           (b->cluster_name != NULL && strcmp(name, b->cluster_name) == 0);
}

static bool selected(const struct doctorcmd *dc, const struct backend *b)
{
    if (dc->nonly == 0) {
        return true;
    }
    for (size_t i = 0; i < dc->nonly; i++) {
        if (named(b, dc->only[i])) {
            return true;
        }
    }
    return false;
}

static const struct config_backend *config_of(const struct config *cfg, const char *name)
{
    for (size_t i = 0; cfg != NULL && i < cfg->nbackends; i++) {
        if (strcmp(cfg->backends[i].name, name) == 0) {
            return &cfg->backends[i];
        }
    }
    return NULL;
}

static void run_backends(const struct doctorcmd *dc, struct check *checks, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        check_start(&checks[i], dc->cfg, dc->timeout_ms);
    }
    for (;;) {
        uint64_t now = clock_mono_ms();
        uint64_t wait = 1000;
        bool busy = false;
        for (size_t i = 0; i < n; i++) {
            check_step(&checks[i], now);
            if (checks[i].phase != PHASE_DONE) {
                busy = true;
                uint64_t left = checks[i].started + checks[i].bound_ms - now;
                wait = left < wait ? left : wait;
            }
        }
        if (!busy) {
            break;
        }
        loop_run_once(dc->loop, (int)wait + 1);
    }
}

/* ---- local checks ---- */

static const char *level_word(enum doctor_level l)
{
    static const char *const words[] = {"ok", "info", "WARN", "FAIL"};
    return words[l];
}

static void mode_owner(const struct stat *st, char *buf, size_t len)
{
    struct passwd *pw = getpwuid(st->st_uid);
    if (pw != NULL) {
        snprintf(buf, len, "mode %04o, owner %s", (unsigned)(st->st_mode & 07777), pw->pw_name);
    } else {
        snprintf(buf, len, "mode %04o, owner uid %u", (unsigned)(st->st_mode & 07777),
                 (unsigned)st->st_uid);
    }
}

static void check_state_dir(struct block *bl)
{
    char *dir = paths_state_dir();
    if (dir == NULL) {
        block_say(bl, DOCTOR_FAIL,
                  "state directory: no home directory (set XDG_STATE_HOME or HOME): no audit "
                  "log, no runs");
        return;
    }
    char *cause = NULL;
    if (!paths_mkdir_p(dir, 0700, &cause)) {
        block_say(bl, DOCTOR_FAIL, "state directory %s: %s", dir, cause);
        free(cause);
        free(dir);
        return;
    }
    char *tmp = xasprintf("%s/.doctor-XXXXXX", dir);
    int fd = mkstemp(tmp);
    if (fd < 0 || write(fd, "doctor\n", 7) != 7 || fsync(fd) != 0) {
        block_say(bl, DOCTOR_FAIL, "state directory %s is not writable: %s", dir, strerror(errno));
    } else {
        struct stat st;
        char mo[96] = "";
        if (stat(dir, &st) == 0) {
            mode_owner(&st, mo, sizeof mo);
        }
        if (stat(dir, &st) == 0 && (st.st_mode & 0077) != 0 && (st.st_mode & S_ISGID) == 0) {
            block_say(bl, DOCTOR_WARN,
                      "state directory %s writable, but %s: others may read "
                      "the audit log and journals (chmod 700)",
                      dir, mo);
        } else {
            block_say(bl, DOCTOR_OK, "state directory %s writable (%s)", dir, mo);
        }
    }
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    free(tmp);
    char *audit = xasprintf("%s/audit.jsonl", dir);
    struct stat st;
    if (stat(audit, &st) != 0 && errno == ENOENT) {
        block_say(bl, DOCTOR_OK, "audit log %s: not there yet (made at the first action)", audit);
    } else {
        int afd = open(audit, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
        if (afd < 0) {
            block_say(bl, DOCTOR_FAIL,
                      "audit log %s cannot be opened for append: %s (every "
                      "action would be off)",
                      audit, strerror(errno));
        } else if ((st.st_mode & 0077) != 0) {
            char mo[96];
            mode_owner(&st, mo, sizeof mo);
            block_say(bl, DOCTOR_WARN, "audit log %s openable, but %s: readable by others", audit,
                      mo);
        } else {
            block_say(bl, DOCTOR_OK, "audit log %s openable for append", audit);
        }
        if (afd >= 0) {
            close(afd);
        }
    }
    free(audit);
    free(dir);
}

/* A secret file named by password_file / token_file: checked as http.c will read it. */
static void check_secret_file(struct block *bl, const char *backend, const char *key,
                              const char *value)
{
    char *path = str_expand_home(value);
    struct stat st;
    if (stat(path, &st) != 0) {
        block_say(bl, DOCTOR_FAIL, "%s: %s %s: %s", backend, key, path, strerror(errno));
    } else {
        char mo[96];
        mode_owner(&st, mo, sizeof mo);
        if (!S_ISREG(st.st_mode)) {
            block_say(bl, DOCTOR_FAIL, "%s: %s %s is not a regular file", backend, key, path);
        } else if ((st.st_mode & (S_IRGRP | S_IROTH | S_IWGRP | S_IWOTH)) != 0) {
            block_say(bl, DOCTOR_FAIL, "%s: %s %s: %s: group/world can read it (chmod 600)",
                      backend, key, path, mo);
        } else if (access(path, R_OK) != 0) {
            block_say(bl, DOCTOR_FAIL, "%s: %s %s: %s: cannot read it: %s", backend, key, path, mo,
                      strerror(errno));
        } else if (st.st_uid != geteuid()) {
            block_say(bl, DOCTOR_WARN,
                      "%s: %s %s: %s: not yours (readable only by its owner "
                      "and you?)",
                      backend, key, path, mo);
        } else {
            block_say(bl, DOCTOR_OK, "%s: %s %s: %s", backend, key, path, mo);
        }
    }
    free(path);
}

static void check_secrets(struct block *bl, const struct doctorcmd *dc)
{
    size_t seen = 0;
    for (size_t i = 0; i < dc->nbackends; i++) {
        const struct backend *b = dc->backends[i];
        const struct config_backend *cb = config_of(dc->cfg, b->name);
        if (cb == NULL || !selected(dc, b)) {
            continue;
        }
        for (size_t e = 0; e < cb->nentries; e++) {
            const char *k = cb->entries[e].key;
            if (strcmp(k, "password_file") == 0 || strcmp(k, "token_file") == 0) {
                check_secret_file(bl, b->name, k, cb->entries[e].value);
                seen++;
            } else if (strcmp(k, "password_env") == 0 || strcmp(k, "token_env") == 0) {
                const char *v = getenv(cb->entries[e].value);
                block_say(bl, v != NULL && v[0] != '\0' ? DOCTOR_OK : DOCTOR_FAIL,
                          "%s: %s %s is %s", b->name, k, cb->entries[e].value,
                          v == NULL      ? "not set"
                          : v[0] == '\0' ? "empty"
                                         : "set");
                seen++;
            }
        }
    }
    if (dc->cfg != NULL && dc->cfg->share_nats_creds != NULL) {
        check_secret_file(bl, "[share]", "nats_creds", dc->cfg->share_nats_creds);
        seen++;
    }
    if (seen == 0) {
        block_say(bl, DOCTOR_INFO,
                  "secrets: none configured (no password_file, token_file, "
                  "password_env or token_env)");
    }
}

static void check_config_file(struct block *bl, const struct config *cfg)
{
    if (cfg == NULL) {
        char *dir = paths_config_dir();
        block_say(bl, DOCTOR_INFO,
                  "no config file (%s/config.ini, or -c FILE): the built-in demo "
                  "runs",
                  dir != NULL ? dir : "~/.config/opsdeck");
        free(dir);
        return;
    }
    struct stat st;
    if (stat(cfg->path, &st) != 0) {
        block_say(bl, DOCTOR_FAIL, "config %s: %s", cfg->path, strerror(errno));
        return;
    }
    char mo[96];
    mode_owner(&st, mo, sizeof mo);
    if ((st.st_mode & S_IWOTH) != 0) {
        block_say(bl, DOCTOR_FAIL,
                  "config %s: %s: anyone can change where opsdeck points and "
                  "what it runs (chmod o-w)",
                  cfg->path, mo);
    } else if ((st.st_mode & S_IWGRP) != 0) {
        block_say(bl, DOCTOR_WARN, "config %s: %s: its group can change it", cfg->path, mo);
    } else if (st.st_uid != geteuid() && st.st_uid != 0) {
        block_say(bl, DOCTOR_WARN, "config %s: %s: owned by someone else", cfg->path, mo);
    } else {
        block_say(bl, DOCTOR_OK, "config %s: %s", cfg->path, mo);
    }
}

static void check_dirs(struct block *bl, const struct config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    for (size_t i = 0; i < cfg->nrunbook_dirs; i++) {
        char *dir = str_expand_home(cfg->runbook_dirs[i]);
        struct stat st;
        if (stat(dir, &st) != 0) {
            block_say(bl, DOCTOR_WARN, "runbook dir %s: %s", dir, strerror(errno));
        } else if (!S_ISDIR(st.st_mode)) {
            block_say(bl, DOCTOR_WARN, "runbook dir %s: not a directory", dir);
        } else if (access(dir, R_OK | X_OK) != 0) {
            block_say(bl, DOCTOR_WARN, "runbook dir %s: cannot read it: %s", dir, strerror(errno));
        } else {
            block_say(bl, DOCTOR_OK, "runbook dir %s", dir);
        }
        free(dir);
    }
    if (cfg->share_dir != NULL) {
        struct stat st;
        if (stat(cfg->share_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            block_say(bl, DOCTOR_FAIL, "[share] dir %s: %s (the console will not start)",
                      cfg->share_dir, S_ISDIR(st.st_mode) ? strerror(errno) : "not a directory");
        } else if (access(cfg->share_dir, W_OK | X_OK) != 0) {
            block_say(bl, DOCTOR_FAIL, "[share] dir %s: not writable: %s", cfg->share_dir,
                      strerror(errno));
        } else {
            block_say(bl, DOCTOR_OK, "[share] dir %s writable", cfg->share_dir);
        }
    }
}

/* ---- the terminal ---- */

static int tty_fd(void)
{
    if (isatty(STDOUT_FILENO)) {
        return STDOUT_FILENO;
    }
    if (isatty(STDIN_FILENO)) {
        return STDIN_FILENO;
    }
    return -1;
}

static void check_terminal(struct block *bl)
{
    int fd = tty_fd();
    const char *term = getenv("TERM");
    if (term == NULL || term[0] == '\0') {
        block_say(bl, fd >= 0 ? DOCTOR_FAIL : DOCTOR_INFO, "TERM is not set%s",
                  fd >= 0 ? ": the console cannot start" : "");
    } else {
        int err = 0;
        if (setupterm(term, fd >= 0 ? fd : STDERR_FILENO, &err) != OK) {
            block_say(bl, fd >= 0 ? DOCTOR_FAIL : DOCTOR_WARN,
                      "TERM=%s is not in the terminfo database (install ncurses-term?)", term);
        } else {
            int colors = tigetnum("colors");
            const char *no_color = getenv("NO_COLOR");
            if (no_color != NULL && no_color[0] != '\0') {
                block_say(bl, DOCTOR_INFO, "TERM=%s: %d colours, NO_COLOR is set: no colour", term,
                          colors);
            } else if (colors >= 8) {
                block_say(bl, DOCTOR_OK, "TERM=%s: %d colours", term, colors);
            } else {
                block_say(bl, DOCTOR_INFO, "TERM=%s: no colours: the mono theme's marks", term);
            }
            del_curterm(cur_term);
        }
    }
    const char *cs = nl_langinfo(CODESET);
    if (cs != NULL && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0)) {
        block_say(bl, DOCTOR_OK, "locale: UTF-8");
    } else {
        block_say(bl, DOCTOR_WARN,
                  "locale: %s, not UTF-8: ASCII items and marks (set "
                  "LANG=C.UTF-8 or en_US.UTF-8)",
                  cs != NULL && cs[0] != '\0' ? cs : "unknown");
    }
    struct winsize ws;
    if (fd < 0) {
        block_say(bl, DOCTOR_INFO, "not a terminal: size not checked");
    } else if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) {
        block_say(bl, DOCTOR_INFO, "terminal size unknown");
    } else if (ws.ws_col < MIN_COLS || ws.ws_row < MIN_LINES) {
        block_say(bl, DOCTOR_WARN,
                  "terminal %ux%u, smaller than %dx%d: the console shows "
                  "\"terminal too small\"",
                  ws.ws_col, ws.ws_row, MIN_COLS, MIN_LINES);
    } else {
        block_say(bl, DOCTOR_OK, "terminal %ux%u", ws.ws_col, ws.ws_row);
    }
}

/* ---- output ---- */

static void print_block(FILE *out, const struct block *bl, bool colour)
{
    static const char *const colours[] = {"\033[32m", "", "\033[33m", "\033[1;31m"};
    text_printf(out, "\n%s\n", bl->title);
    for (size_t i = 0; i < bl->nitems; i++) {
        enum doctor_level l = bl->items[i].level;
        bool c = colour && colours[l][0] != '\0';
        fprintf(out, "  %s%-4s%s  ", c ? colours[l] : "", level_word(l), c ? "\033[0m" : "");
        /* a backend's or a server's words: through the filter, one line */
        text_printf(out, "%s\n", bl->items[i].text);
    }
}

static cJSON *block_json(const struct block *bl)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", bl->name);
    if (bl->type != NULL) {
        cJSON_AddStringToObject(o, "type", bl->type);
    }
    if (bl->address != NULL) {
        cJSON_AddStringToObject(o, "address", bl->address);
    }
    cJSON *arr = cJSON_AddArrayToObject(o, "checks");
    for (size_t i = 0; i < bl->nitems; i++) {
        cJSON *l = cJSON_CreateObject();
        cJSON_AddStringToObject(l, "level", level_word(bl->items[i].level));
        cJSON_AddStringToObject(l, "text", bl->items[i].text);
        cJSON_AddItemToArray(arr, l);
    }
    return o;
}

static void count(const struct block *bl, size_t counts[4])
{
    for (size_t i = 0; i < bl->nitems; i++) {
        counts[bl->items[i].level]++;
    }
}

int doctorcmd_main(const struct doctorcmd *dc, FILE *out)
{
    for (size_t i = 0; i < dc->nonly; i++) {
        bool found = false;
        for (size_t k = 0; k < dc->nbackends && !found; k++) {
            found = named(dc->backends[k], dc->only[i]);
        }
        if (!found) {
            text_printf(stderr, "opsdeck: doctor: no backend or cluster '%s'%s%s\n", dc->only[i],
                        dc->cfg != NULL ? " in " : "", dc->cfg != NULL ? dc->cfg->path : "");
            return 2;
        }
    }
    uint64_t t0 = clock_mono_ms();
    size_t n = 0;
    struct check *checks = xcalloc(dc->nbackends + 1, sizeof *checks);
    for (size_t i = 0; i < dc->nbackends; i++) {
        if (selected(dc, dc->backends[i])) {
            struct check *c = &checks[n++];
            c->b = dc->backends[i];
            c->cb = config_of(dc->cfg, c->b->name);
            if (dc->read_only) {
                c->b->actions_enabled = false; /* -r / read_only: probes see actions off */
                c->read_only = true;
            }
            check_title(c);
        }
    }
    run_backends(dc, checks, n);
    uint64_t elapsed = clock_mono_ms() - t0;

    struct block local = {.title = xstrdup("local"), .name = xstrdup("local")};
    check_config_file(&local, dc->cfg);
    if (dc->read_only) {
        block_say(&local, DOCTOR_INFO, "read-only: every action is off (-r or read_only = true)");
    }
    check_state_dir(&local);
    check_secrets(&local, dc);
    check_dirs(&local, dc->cfg);
    struct block term = {.title = xstrdup("terminal"), .name = xstrdup("terminal")};
    check_terminal(&term);

    size_t counts[4] = {0};
    for (size_t i = 0; i < n; i++) {
        collect(&checks[i]);
        count(&checks[i].bl, counts);
    }
    count(&local, counts);
    count(&term, counts);
    int status = counts[DOCTOR_FAIL] > 0 ? 1 : 0;

    if (dc->json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "version", OPSDECK_VERSION);
        if (dc->cfg != NULL) {
            cJSON_AddStringToObject(root, "config", dc->cfg->path);
        } else {
            cJSON_AddNullToObject(root, "config");
        }
        cJSON *arr = cJSON_AddArrayToObject(root, "backends");
        for (size_t i = 0; i < n; i++) {
            cJSON_AddItemToArray(arr, block_json(&checks[i].bl));
        }
        cJSON_AddItemToObject(root, "local", block_json(&local));
        cJSON_AddItemToObject(root, "terminal", block_json(&term));
        cJSON *cnt = cJSON_AddObjectToObject(root, "counts");
        for (int l = 0; l < 4; l++) {
            cJSON_AddNumberToObject(cnt,
                                    l == 0   ? "ok"
                                    : l == 1 ? "info"
                                    : l == 2 ? "warn"
                                             : "fail",
                                    (double)counts[l]);
        }
        cJSON_AddNumberToObject(root, "elapsed_ms", (double)elapsed);
        cJSON_AddNumberToObject(root, "status", status);
        json_print_clean(out, root);
        cJSON_Delete(root);
    } else {
        const char *nc = getenv("NO_COLOR");
        bool colour = isatty(fileno(out)) && (nc == NULL || nc[0] == '\0');
        if (dc->cfg != NULL) {
            text_printf(out, "opsdeck doctor %s: %s, %zu backend%s checked\n", OPSDECK_VERSION,
                        dc->cfg->path, n, n == 1 ? "" : "s");
        } else {
            text_printf(out, "opsdeck doctor %s: no config file: the built-in demo\n",
                        OPSDECK_VERSION);
        }
        for (size_t i = 0; i < n; i++) {
            print_block(out, &checks[i].bl, colour);
        }
        print_block(out, &local, colour);
        print_block(out, &term, colour);
        fprintf(out, "\n%zu ok, %zu info, %zu warning%s, %zu failure%s (%llu ms)\n",
                counts[DOCTOR_OK], counts[DOCTOR_INFO], counts[DOCTOR_WARN],
                counts[DOCTOR_WARN] == 1 ? "" : "s", counts[DOCTOR_FAIL],
                counts[DOCTOR_FAIL] == 1 ? "" : "s", (unsigned long long)elapsed);
    }
    fflush(out);
    for (size_t i = 0; i < n; i++) {
        doctor_free(checks[i].d); /* before the backends go: a cancel hook may touch priv */
        block_free(&checks[i].bl);
    }
    free(checks);
    block_free(&local);
    block_free(&term);
    return status;
}
