/*
 * The journal core of runs and drills (runlog.h).
 *
 * Writing goes through journal.c (one write(2) and one fsync(2) per event,
 * seq continued under the directory's append lock); what runlog adds is the
 * run's owner lock, the subscribers and the way back from bytes to events.
 * A subscriber hears the event parsed back from the line that was written,
 * so what the owner's screen sees and what a follower reads from the file
 * are the same bytes.
 *
 * The owner lock is flock() on a descriptor of the journal file itself, taken
 * once for the life of the writer; journal.c's append lock is on the
 * directory, so the two never meet.
 *
 * Following reads the file on a timer (a local file never blocks for long,
 * and a timer works on every file system, where inotify does not): each look
 * reads what was appended since the last, at most FOLLOW_CHUNK bytes, and
 * looks again at once when there is more.
 */
#include "runlog.h"

#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/util.h"
#include "journal.h"
#include "paths.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    FOLLOW_POLL_MS = 200,
    FOLLOW_CHUNK = 1 << 20,
    READER_LINE_MAX = 64 << 20, /* a longer "line" is no journal line: skipped */
    ID_TRIES = 8,
};

/* ---- the event-name table ---- */

static const struct {
    const char *name;
    enum runlog_where where;
} kinds[] = {
#define RUNLOG_ROW(kind, name, where) {name, where},
    RUNLOG_EVENTS(RUNLOG_ROW)
#undef RUNLOG_ROW
};

enum runlog_kind runlog_kind(const char *action)
{
    for (size_t i = 0; action != NULL && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(kinds[i].name, action) == 0) {
            return (enum runlog_kind)i;
        }
    }
    return RL_UNKNOWN;
}

const char *runlog_kind_name(enum runlog_kind k)
{
    return (size_t)k < sizeof kinds / sizeof kinds[0] ? kinds[k].name : "?";
}

enum runlog_where runlog_kind_where(enum runlog_kind k)
{
    return (size_t)k < sizeof kinds / sizeof kinds[0] ? kinds[k].where : RUNLOG_DURABLE;
}

const char *runlog_str(const cJSON *data, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, key));
}

double runlog_num(const cJSON *data, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(data, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

uint64_t runlog_u64(const cJSON *data, const char *key, uint64_t dflt)
{
    double v = runlog_num(data, key, -1);
    return v >= 0 && v < 9007199254740992.0 ? (uint64_t)v : dflt; /* exact in a double */
}

int runlog_int(const cJSON *data, const char *key, int dflt)
{
    double v = runlog_num(data, key, (double)dflt);
    /* in range first: the cast of a NaN or a huge number is undefined */
    return v >= (double)INT_MIN && v <= (double)INT_MAX ? (int)v : dflt;
}

bool runlog_true(const cJSON *data, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(data, key));
}

bool runlog_event_parse(const cJSON *obj, struct runlog_event *ev)
{
    memset(ev, 0, sizeof *ev);
    const char *action = runlog_str(obj, "action");
    if (!cJSON_IsObject(obj) || action == NULL) {
        return false;
    }
    ev->kind = runlog_kind(action);
    ev->action = action;
    double seq = runlog_num(obj, "seq", 0);
    ev->seq = seq > 0 && seq < 9007199254740992.0 ? (uint64_t)seq : 0;
    clock_parse_rfc3339(runlog_str(obj, "ts"), &ev->ts_ms);
    ev->actor = runlog_str(obj, "actor");
    ev->host = runlog_str(obj, "host");
    ev->run = runlog_str(obj, "run");
    ev->step = runlog_str(obj, "step");
    ev->target = runlog_str(obj, "target");
    ev->result = runlog_str(obj, "result");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(obj, "data");
    ev->data = cJSON_IsObject(data) ? data : NULL;
    ev->obj = obj;
    return true;
}

/* ---- where runs live ---- */

static char *default_dir; /* runlog_set_default_dir() */

void runlog_set_default_dir(const char *dir)
{
    free(default_dir);
    default_dir = dir != NULL ? xstrdup(dir) : NULL;
}

char *runlog_default_dir(void)
{
    if (default_dir != NULL) {
        return xstrdup(default_dir);
    }
    char *state = paths_state_dir();
    if (state == NULL) {
        return NULL;
    }
    char *dir = xasprintf("%s/runs", state);
    free(state);
    return dir;
}

char *runlog_dir(const char *dir, char **cause)
{
    char *d = dir != NULL ? xstrdup(dir) : runlog_default_dir();
    if (d == NULL) {
        set_cause(cause, "no home directory for the state: set XDG_STATE_HOME or HOME");
    }
    return d;
}

char *runlog_path(const char *dir, const char *id, const char *ext, char **cause)
{
    if (id == NULL || id[0] == '\0' || id[0] == '.' || strchr(id, '/') != NULL) {
        if (cause != NULL) {
            *cause = xasprintf("bad run id '%s'", id != NULL ? id : "");
        }
        return NULL;
    }
    return xasprintf("%s/%s%s", dir, id, ext != NULL ? ext : ".jsonl");
}

static char *slug(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t n = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
    char *s = xmalloc(n + 2);
    size_t o = 0;
    for (size_t i = 0; i < n && o < 40; i++) {
        unsigned char c = (unsigned char)base[i];
        if (isalnum(c)) {
            s[o++] = (char)tolower(c);
        } else if (o > 0 && s[o - 1] != '-') {
            s[o++] = '-';
        }
    }
    while (o > 0 && s[o - 1] == '-') {
        o--;
    }
    if (o == 0) {
        s[o++] = 'r';
    }
    s[o] = '\0';
    return s;
}

static unsigned random16(void)
{
    unsigned char b[2] = {0, 0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, 2) != 2) {
        uint64_t x = clock_mono_ms() ^ ((uint64_t)getpid() << 16);
        b[0] = (unsigned char)x;
        b[1] = (unsigned char)(x >> 8);
    }
    if (fd >= 0) {
        close(fd);
    }
    return (unsigned)b[0] << 8 | b[1];
}

char *runlog_new_id(const char *path)
{
    time_t now = (time_t)clock_wall_s(); /* pinned by OPSDECK_EPOCH in tests, like every stamp */
    struct tm tm;
    gmtime_r(&now, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    char *sl = slug(path);
    char *id = xasprintf("%s-%s-%04x", ts, sl, random16());
    free(sl);
    return id;
}

char *runlog_unique_id(const char *dir, const char *path)
{
    /* two runs of one script in the same second: another 4 hex digits */
    for (int tries = 0;; tries++) {
        char *id = runlog_new_id(path);
        char *jpath = dir != NULL ? xasprintf("%s/%s.jsonl", dir, id) : NULL;
        bool taken = jpath != NULL && tries < ID_TRIES && access(jpath, F_OK) == 0;
        free(jpath);
        if (!taken) {
            return id;
        }
        free(id);
    }
}

/* ---- reading ---- */

cJSON **runlog_read(const char *path, size_t *n, char **cause)
{
    struct journal_line *lines = NULL;
    size_t nlines = 0;
    int err = 0;
    if (!journal_read(path, &lines, &nlines, &err)) {
        *cause = xasprintf("%s: %s", path, strerror(err));
        return NULL;
    }
    cJSON **ev = xcalloc(nlines > 0 ? nlines : 1, sizeof *ev);
    size_t cnt = 0;
    for (size_t i = 0; i < nlines; i++) {
        if (cJSON_IsString(cJSON_GetObjectItem(lines[i].obj, "action"))) {
            ev[cnt++] = lines[i].obj;
        } else {
            cJSON_Delete(lines[i].obj);
        }
    }
    free(lines);
    *n = cnt;
    return ev;
}

void runlog_free(cJSON **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(ev[i]);
    }
    free(ev);
}

bool runlog_replay(const char *path, runlog_event_cb cb, void *ud, uint64_t *last_seq, char **cause)
{
    size_t n = 0;
    cJSON **lines = runlog_read(path, &n, cause);
    if (lines == NULL) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        struct runlog_event ev;
        if (runlog_event_parse(lines[i], &ev)) {
            if (last_seq != NULL) {
                *last_seq = ev.seq;
            }
            cb(&ev, ud);
        }
    }
    runlog_free(lines, n);
    return true;
}

/* Take the run's lock on a descriptor of its journal; -1 when another holds it. */
static int take_lock(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool runlog_busy(const char *dir, const char *id)
{
    char *path = runlog_path(dir, id, NULL, NULL);
    if (path == NULL) {
        return false;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    bool busy = fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0;
    if (fd >= 0) {
        close(fd);
    }
    return busy;
}

/* ---- the writer ---- */

struct sub {
    runlog_event_cb cb;
    void *ud;
};

struct runlog {
    char *id;
    struct journal *j; /* NULL in memory */
    int lock_fd;
    char **mem; /* in memory: every line */
    size_t nmem;
    struct sub *subs;
    size_t nsubs;
};

struct runlog *runlog_create(const char *dir, const char *id, enum runlog_mode mode, char **cause)
{
    struct runlog *rl = xcalloc(1, sizeof *rl);
    rl->id = xstrdup(id);
    rl->lock_fd = -1;
    if (mode == RUNLOG_MEMORY) {
        return rl;
    }
    if (dir == NULL) {
        set_cause(cause, "no home directory for the state: set XDG_STATE_HOME or HOME");
        runlog_destroy(rl);
        return NULL;
    }
    char *path = runlog_path(dir, id, NULL, cause);
    if (path == NULL || !paths_mkdir_p(dir, 0700, cause)) {
        free(path);
        runlog_destroy(rl);
        return NULL;
    }
    if (mode == RUNLOG_NEW && access(path, F_OK) == 0) {
        *cause = xasprintf("%s exists already", path);
    } else if ((rl->j = journal_open(path, cause)) != NULL) {
        /* one opsdeck per run: a second one would interleave its events */
        rl->lock_fd = take_lock(path);
        if (rl->lock_fd < 0) {
            *cause = xasprintf("run %s is in use by another opsdeck", id);
        }
    }
    free(path);
    if (rl->j == NULL || rl->lock_fd < 0) {
        runlog_destroy(rl);
        return NULL;
    }
    return rl;
}

struct runlog *runlog_adopt(const char *dir, const char *id, int lock_fd, char **cause)
{
    char *path = runlog_path(dir, id, NULL, cause);
    if (path == NULL) {
        return NULL;
    }
    struct runlog *rl = xcalloc(1, sizeof *rl);
    rl->id = xstrdup(id);
    rl->lock_fd = lock_fd;
    rl->j = journal_open(path, cause);
    free(path);
    if (rl->j == NULL) {
        rl->lock_fd = -1; /* still the caller's */
        runlog_destroy(rl);
        return NULL;
    }
    return rl;
}

int runlog_lock_fd(const struct runlog *rl)
{
    return rl != NULL ? rl->lock_fd : -1;
}

void runlog_destroy(struct runlog *rl)
{
    if (rl == NULL) {
        return;
    }
    journal_close(rl->j);
    if (rl->lock_fd >= 0) {
        close(rl->lock_fd);
    }
    for (size_t i = 0; i < rl->nmem; i++) {
        free(rl->mem[i]);
    }
    free(rl->mem);
    free(rl->subs);
    free(rl->id);
    free(rl);
}

const char *runlog_id(const struct runlog *rl)
{
    return rl->id;
}

const char *runlog_file(const struct runlog *rl)
{
    return rl->j != NULL ? journal_path(rl->j) : NULL;
}

uint64_t runlog_last_seq(const struct runlog *rl)
{
    return rl->j != NULL ? journal_last_seq(rl->j) : rl->nmem;
}

static void tell(struct runlog *rl, const struct runlog_event *ev)
{
    for (size_t i = 0; i < rl->nsubs; i++) {
        rl->subs[i].cb(ev, rl->subs[i].ud);
    }
}

/* Tell the subscribers the event of one line, parsed back. */
static void tell_line(struct runlog *rl, const char *line)
{
    if (rl->nsubs == 0) {
        return;
    }
    cJSON *obj = cJSON_Parse(line);
    struct runlog_event ev;
    if (runlog_event_parse(obj, &ev)) {
        tell(rl, &ev);
    }
    cJSON_Delete(obj);
}

bool runlog_append(struct runlog *rl, const struct journal_event *ev, char **cause)
{
    struct journal_event e = *ev;
    if (e.run == NULL) {
        e.run = rl->id;
    }
    char *line = NULL;
    if (rl->j != NULL) {
        if (!journal_append_line(rl->j, &e, &line, cause)) {
            return false;
        }
    } else {
        line = journal_format(rl->nmem + 1, clock_wall_ms(), &e);
        rl->mem = xreallocarray(rl->mem, rl->nmem + 1, sizeof *rl->mem);
        rl->mem[rl->nmem++] = xstrdup(line);
    }
    tell_line(rl, line);
    free(line);
    return true;
}

void runlog_notice(struct runlog *rl, struct runlog_event *ev)
{
    ev->live = true;
    ev->seq = 0;
    ev->obj = NULL;
    ev->run = rl->id;
    ev->action = runlog_kind_name(ev->kind);
    tell(rl, ev);
}

bool runlog_history(const struct runlog *rl, runlog_event_cb cb, void *ud, char **cause)
{
    if (rl->j != NULL) {
        return runlog_replay(journal_path(rl->j), cb, ud, NULL, cause);
    }
    for (size_t i = 0; i < rl->nmem; i++) {
        cJSON *obj = cJSON_Parse(rl->mem[i]);
        struct runlog_event ev;
        if (runlog_event_parse(obj, &ev)) {
            cb(&ev, ud);
        }
        cJSON_Delete(obj);
    }
    return true;
}

bool runlog_history_status(const struct runlog *rl, const char *run_id, cJSON *status,
                           runlog_event_cb cb, void *ud, char **cause)
{
    if (rl != NULL && !runlog_history(rl, cb, ud, cause)) {
        cJSON_Delete(status);
        return false;
    }
    struct runlog_event ev = {
        .kind = RL_STATUS, .action = "status", .live = true, .run = run_id, .data = status};
    cb(&ev, ud);
    cJSON_Delete(status);
    return true;
}

void runlog_subscribe(struct runlog *rl, runlog_event_cb cb, void *ud)
{
    if (rl == NULL) {
        return;
    }
    rl->subs = xreallocarray(rl->subs, rl->nsubs + 1, sizeof *rl->subs);
    rl->subs[rl->nsubs++] = (struct sub){cb, ud};
}

void runlog_unsubscribe(struct runlog *rl, runlog_event_cb cb, void *ud)
{
    for (size_t i = 0; rl != NULL && i < rl->nsubs; i++) {
        if (rl->subs[i].cb == cb && rl->subs[i].ud == ud) {
            memmove(&rl->subs[i], &rl->subs[i + 1], (rl->nsubs - i - 1) * sizeof *rl->subs);
            rl->nsubs--;
            return;
        }
    }
}

/* ---- reading a stream of bytes ---- */

struct runlog_reader {
    runlog_event_cb cb;
    void *ud;
    struct strbuf part; /* the line being received */
    bool skipping;      /* the line is too long: dropped up to its newline */
    uint64_t count, seq;
};

struct runlog_reader *runlog_reader_create(runlog_event_cb cb, void *ud)
{
    struct runlog_reader *r = xcalloc(1, sizeof *r);
    r->cb = cb;
    r->ud = ud;
    return r;
}

void runlog_reader_destroy(struct runlog_reader *r)
{
    if (r != NULL) {
        free(r->part.s);
        free(r);
    }
}

static void reader_line(struct runlog_reader *r, const char *line, size_t len)
{
    cJSON *obj = cJSON_ParseWithLength(line, len);
    struct runlog_event ev;
    if (runlog_event_parse(obj, &ev)) {
        r->count++;
        r->seq = ev.seq;
        r->cb(&ev, r->ud);
    }
    cJSON_Delete(obj);
}

void runlog_reader_feed(struct runlog_reader *r, const char *buf, size_t len)
{
    while (len > 0) {
        const char *nl = memchr(buf, '\n', len);
        size_t n = nl != NULL ? (size_t)(nl - buf) : len;
        if (!r->skipping && r->part.n + n > READER_LINE_MAX) {
            r->skipping = true;
        }
        if (!r->skipping) {
            strbuf_add(&r->part, buf, n);
        }
        if (nl == NULL) {
            return; /* the rest of this line comes later */
        }
        if (!r->skipping && r->part.n > 0) {
            reader_line(r, r->part.s, r->part.n);
        }
        r->part.n = 0;
        r->skipping = false;
        buf += n + 1;
        len -= n + 1;
    }
}

uint64_t runlog_reader_count(const struct runlog_reader *r)
{
    return r->count;
}

uint64_t runlog_reader_seq(const struct runlog_reader *r)
{
    return r->seq;
}

/* ---- following a file ---- */

struct runlog_follow {
    struct loop *loop;
    int fd;
    off_t off;
    int poll_ms;
    struct loop_timer *timer;
    struct runlog_reader *reader;
};

void runlog_follow_poll(struct runlog_follow *f)
{
    struct stat st;
    if (fstat(f->fd, &st) != 0 || st.st_size <= f->off) {
        return; /* nothing new (an append-only journal never shrinks) */
    }
    off_t left = st.st_size - f->off;
    size_t want = left > FOLLOW_CHUNK ? FOLLOW_CHUNK : (size_t)left;
    char *buf = xmalloc(want);
    ssize_t n;
    do {
        n = pread(f->fd, buf, want, f->off);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        f->off += n;
        runlog_reader_feed(f->reader, buf, (size_t)n);
    }
    free(buf);
    if (n > 0 && (off_t)n < left) {
        loop_timer_reset(f->loop, f->timer, 0); /* more is there: look again at once */
    }
}

static void follow_tick(void *ud)
{
    runlog_follow_poll(ud);
}

struct runlog_follow *runlog_follow(struct loop *loop, const char *path, int poll_ms,
                                    runlog_event_cb cb, void *ud, char **cause)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *cause = xasprintf("%s: %s", path, strerror(errno));
        return NULL;
    }
    struct runlog_follow *f = xcalloc(1, sizeof *f);
    f->loop = loop;
    f->fd = fd;
    f->poll_ms = poll_ms > 0 ? poll_ms : FOLLOW_POLL_MS;
    f->reader = runlog_reader_create(cb, ud);
    /* the replay too runs on the loop: no callback before this call returns */
    f->timer = loop_timer_add(loop, 0, (uint64_t)f->poll_ms, follow_tick, f);
    return f;
}

void runlog_unfollow(struct runlog_follow *f)
{
    if (f == NULL) {
        return;
    }
    loop_timer_cancel(f->loop, f->timer);
    close(f->fd);
    runlog_reader_destroy(f->reader);
    free(f);
}
