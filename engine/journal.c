/*
 * Append-only JSON lines (DESIGN rule 5).
 *
 * Durability: every event is one write(2) of the whole line on an O_APPEND
 * descriptor, then fsync(2); journal_append() returns true only after both.
 * A batch (journal_batch_*) writes its lines in chunks of whole lines under
 * one hold of the lock and fsyncs once at commit, which returns true only
 * after that.
 *
 * Damage from a crash or a full disk is confined to the last line:
 *   - on open, seq continues from the last line that parses as an object with
 *     a seq; a torn or garbage tail is skipped (its seq, if it ever had one,
 *     may be reused: the torn line carries no event anyway);
 *   - if the file does not end in a newline we add one before appending, and
 *     after a short write we start the next line with a newline, so a torn
 *     fragment never swallows the next good line.
 *
 * Several writers (two consoles on one audit log): each append holds an
 * exclusive flock() on the journal's directory (not on the file: the owner
 * of a run holds flock() on its journal file for the whole run, runlog.h),
 * and catches up
 * first when the file grew since our last line, so every seq is one more
 * than the line before it, whoever wrote that. The wait is bounded
 * (LOCK_WAIT_MS): past it the append fails rather than freezing the loop.
 *
 * Permissions: the parent directories we create get 0700 and a file we create
 * gets 0600. We do not chmod a directory or file that already exists: a mode
 * the user chose (say, a group-readable audit log for the team) is theirs to
 * keep, and silently changing modes of things we did not create surprises.
 */
#include "journal.h"

#include "../common/clock.h"
#include "../common/util.h"
#include "paths.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How much of the tail we read first when looking for the last seq. */
static const size_t tail_first = 64 * 1024;

enum { LOCK_WAIT_MS = 2000 };

struct journal {
    char *path;
    int fd;
    int dir_fd;         /* flock()ed around each append; -1: no locking (no directory) */
    off_t end;          /* the file's size after our last append or scan */
    uint64_t seq;       /* of the last line written or found */
    bool needs_newline; /* the file ends in a torn line */
    journal_mirror_cb mirror;
    void *mirror_ud;
};

static bool parent_dir(const char *path, char **cause)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path) {
        return true;
    }
    char *dir = xstrndup(path, (size_t)(slash - path));
    bool ok = paths_mkdir_p(dir, 0700, cause);
    free(dir);
    return ok;
}

bool journal_line_seq(const char *line, size_t len, uint64_t *seq)
{
    cJSON *obj = cJSON_ParseWithLength(line, len);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, "seq");
    bool ok = cJSON_IsObject(obj) && cJSON_IsNumber(n) && n->valuedouble >= 0 &&
              n->valuedouble < 9007199254740992.0;
    if (ok) {
        *seq = (uint64_t)n->valuedouble;
    }
    cJSON_Delete(obj);
    return ok;
}

/*
 * Walk the lines of buf backwards; the first (whole) line is skipped unless
 * buf starts at the beginning of the file, as it may be cut.
 */
static bool last_seq_in(const char *buf, size_t len, bool from_start, uint64_t *seq)
{
    size_t end = len;
    while (end > 0) {
        size_t start = end;
        while (start > 0 && buf[start - 1] != '\n') {
            start--;
        }
        if (start == 0 && !from_start) {
            return false;
        }
        if (end > start && journal_line_seq(buf + start, end - start, seq)) {
            return true;
        }
        end = start > 0 ? start - 1 : 0;
    }
    return false;
}

static bool read_at(int fd, char *buf, size_t len, off_t off)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        got += (size_t)n;
    }
    return true;
}

/*
 * Find the last seq, reading a growing window from the end: one small read
 * in the normal case, the whole file only when the tail is all garbage.
 */
static bool scan_tail(struct journal *j, char **cause)
{
    int fd = open(j->path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        *cause = xasprintf("%s: %s", j->path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    /* Only regular files have a tail; /dev/full and friends have no history. */
    size_t size = S_ISREG(st.st_mode) ? (size_t)st.st_size : 0;
    bool ok = true;
    for (size_t win = tail_first; size > 0; win *= 2) {
        size_t len = win < size ? win : size;
        char *buf = xmalloc(len);
        ok = read_at(fd, buf, len, (off_t)(size - len));
        bool found = false;
        if (ok) {
            /* Every window ends at the end of the file. */
            j->needs_newline = buf[len - 1] != '\n';
            found = last_seq_in(buf, len, len == size, &j->seq);
        }
        free(buf);
        if (!ok || found || len == size) {
            break;
        }
    }
    if (!ok) {
        *cause = xasprintf("%s: cannot read", j->path);
    }
    j->end = (off_t)size;
    close(fd);
    return ok;
}

static int open_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL   ? xstrdup(".")
                : slash == path ? xstrdup("/")
                                : xstrndup(path, (size_t)(slash - path));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    return fd;
}

/* The appenders' lock, waited for at most LOCK_WAIT_MS; false with *cause. */
static bool lock_appends(struct journal *j, char **cause)
{
    if (j->dir_fd < 0) {
        return true;
    }
    uint64_t until = clock_mono_ms() + LOCK_WAIT_MS;
    while (flock(j->dir_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            return true; /* a file system without flock: no worse than before */
        }
        if (clock_mono_ms() >= until) {
            *cause = xasprintf("%s: another opsdeck has held the append lock for over %d s",
                               j->path, LOCK_WAIT_MS / 1000);
            return false;
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    return true;
}

static void unlock_appends(struct journal *j)
{
    if (j->dir_fd >= 0) {
        flock(j->dir_fd, LOCK_UN);
    }
}

/* Another process appended since our last line: continue from its seq. */
static bool catch_up(struct journal *j, char **cause)
{
    struct stat st;
    if (fstat(j->fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == j->end) {
        return true;
    }
    return scan_tail(j, cause);
}

struct journal *journal_open(const char *path, char **cause)
{
    if (!parent_dir(path, cause)) {
        return NULL;
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        *cause = xasprintf("%s: %s", path, strerror(errno));
        return NULL;
    }
    paths_share_mode(fd, path);
    struct journal *j = xcalloc(1, sizeof *j);
    j->path = xstrdup(path);
    j->fd = fd;
    j->dir_fd = open_dir_of(path);
    if (!scan_tail(j, cause)) {
        journal_close(j);
        return NULL;
    }
    return j;
}

void journal_close(struct journal *j)
{
    if (j == NULL) {
        return;
    }
    close(j->fd);
    if (j->dir_fd >= 0) {
        close(j->dir_fd);
    }
    free(j->path);
    free(j);
}

void journal_set_mirror(struct journal *j, journal_mirror_cb fn, void *ud)
{
    j->mirror = fn;
    j->mirror_ud = ud;
}

const char *journal_path(const struct journal *j)
{
    return j->path;
}

uint64_t journal_last_seq(const struct journal *j)
{
    return j->seq;
}

static void add_string(cJSON *obj, const char *key, const char *value)
{
    if (value != NULL) {
        cJSON_AddStringToObject(obj, key, value);
    } else {
        cJSON_AddNullToObject(obj, key);
    }
}

char *journal_format(uint64_t seq, int64_t wall_ms, const struct journal_event *ev)
{
    char ts[32];
    clock_format_rfc3339(ts, wall_ms);
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddNumberToObject(obj, "seq", (double)seq);
    cJSON_AddStringToObject(obj, "ts", ts);
    add_string(obj, "actor", ev->actor);
    add_string(obj, "host", ev->host);
    add_string(obj, "run", ev->run);
    add_string(obj, "step", ev->step);
    add_string(obj, "action", ev->action);
    add_string(obj, "target", ev->target);
    add_string(obj, "result", ev->result);
    if (cJSON_IsObject(ev->data)) {
        /* A reference to its members, no copy (a storm's 10,000 lines): the caller's tree is
         * printed as it is, and left untouched for the caller to reuse or free. */
        cJSON_AddItemToObject(obj, "data", cJSON_CreateObjectReference(ev->data->child));
    } else if (ev->data != NULL) {
        cJSON_AddItemToObject(obj, "data", cJSON_Duplicate(ev->data, true));
    } else {
        cJSON_AddNullToObject(obj, "data");
    }
    char *printed = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (printed == NULL) {
        /* cJSON's only failure is allocation; match xmalloc and stop. */
        abort();
    }
    /* Ours to free() whatever allocator cJSON was built with. */
    char *line = xstrdup(printed);
    cJSON_free(printed);
    return line;
}

/* Write all of buf; *written says how much reached the file on failure too. */
static bool write_all(int fd, const char *buf, size_t len, size_t *written)
{
    *written = 0;
    while (*written < len) {
        ssize_t n = write(fd, buf + *written, len - *written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return false;
        }
        *written += (size_t)n;
    }
    return true;
}

/* After a write: where the file ends now, so the next append knows whether anyone else wrote. */
static void note_end(struct journal *j)
{
    struct stat st;
    if (fstat(j->fd, &st) == 0) {
        j->end = st.st_size;
    }
}

static bool append_locked(struct journal *j, const struct journal_event *ev, char **line,
                          char **cause);

static void drop_line(char **line)
{
    if (line != NULL) {
        free(*line);
        *line = NULL;
    }
}

bool journal_append_line(struct journal *j, const struct journal_event *ev, char **line,
                         char **cause)
{
    if (!lock_appends(j, cause)) {
        return false;
    }
    char *written = NULL;
    bool ok = catch_up(j, cause) && append_locked(j, ev, &written, cause);
    unlock_appends(j);
    if (ok && j->mirror != NULL) {
        j->mirror(j, ev, written, j->mirror_ud); /* unlocked: it may append (and lock) again */
    }
    if (line != NULL) {
        *line = written;
    } else {
        free(written);
    }
    return ok;
}

bool journal_append(struct journal *j, const struct journal_event *ev, char **cause)
{
    return journal_append_line(j, ev, NULL, cause);
}

static bool append_locked(struct journal *j, const struct journal_event *ev, char **linep,
                          char **cause)
{
    uint64_t seq = j->seq + 1;
    char *line = journal_format(seq, clock_wall_ms(), ev);
    char *buf = xasprintf("%s%s\n", j->needs_newline ? "\n" : "", line);
    if (linep != NULL) {
        *linep = line;
    } else {
        free(line);
    }
    size_t len = strlen(buf);
    size_t written;
    bool ok = write_all(j->fd, buf, len, &written);
    int err = errno;
    free(buf);
    if (!ok) {
        *cause = xasprintf("%s: %s", j->path, strerror(err));
        /* Part of a line reached the file: the next one must start afresh. */
        if (written > 0) {
            j->needs_newline = true;
        }
        note_end(j);
        drop_line(linep);
        return false;
    }
    j->needs_newline = false;
    note_end(j);
    if (fsync(j->fd) < 0) {
        *cause = xasprintf("%s: %s", j->path, strerror(errno));
        /* The line may be on disk; do not reuse its seq. */
        j->seq = seq;
        drop_line(linep);
        return false;
    }
    j->seq = seq;
    return true;
}

/* ---- batches (journal.h): one lock, chunked writes of whole lines, one fsync ---- */

struct journal_batch {
    struct journal *j;
    struct strbuf buf;  /* whole lines not written yet */
    bool lead;          /* buf starts with the newline that ends a torn tail */
    uint64_t seq;       /* of the last line added */
    uint64_t first;     /* of the first line in buf */
    size_t count;       /* lines added */
    bool wrote, failed; /* something reached the file; a write failed (the rest is dropped) */
    char *cause;
};

struct journal_batch *journal_batch_begin(struct journal *j, char **cause)
{
    if (!lock_appends(j, cause)) {
        return NULL;
    }
    if (!catch_up(j, cause)) {
        unlock_appends(j);
        return NULL;
    }
    struct journal_batch *b = xcalloc(1, sizeof *b);
    b->j = j;
    b->seq = j->seq;
    b->first = j->seq + 1;
    return b;
}

size_t journal_batch_count(const struct journal_batch *b)
{
    return b->count;
}

/* Write the pending lines; on a short write the whole lines that made it keep their seq. */
static void batch_flush(struct journal_batch *b)
{
    struct journal *j = b->j;
    if (b->failed || b->buf.n == 0) {
        return;
    }
    size_t written;
    bool ok = write_all(j->fd, b->buf.s, b->buf.n, &written);
    int err = errno;
    b->wrote = b->wrote || written > 0;
    if (ok) {
        j->seq = b->seq;
        j->needs_newline = false;
    } else {
        size_t whole = 0;
        for (size_t i = b->lead ? 1 : 0; i < written; i++) {
            whole += b->buf.s[i] == '\n';
        }
        j->seq = b->first - 1 + whole;
        if (written > 0) {
            j->needs_newline = b->buf.s[written - 1] != '\n';
        }
        b->failed = true;
        b->cause = xasprintf("%s: %s", j->path, strerror(err));
    }
    note_end(j);
    b->buf.n = 0;
    b->lead = false;
    b->first = b->seq + 1;
}

void journal_batch_add(struct journal_batch *b, const struct journal_event *ev)
{
    if (b->failed) {
        return;
    }
    if (b->buf.n == 0 && b->j->needs_newline) {
        strbuf_add(&b->buf, "\n", 1);
        b->lead = true;
    }
    char *line = journal_format(++b->seq, clock_wall_ms(), ev);
    strbuf_str(&b->buf, line);
    strbuf_add(&b->buf, "\n", 1);
    free(line);
    b->count++;
    if (b->buf.n >= JOURNAL_BATCH_CHUNK) {
        batch_flush(b);
    }
}

bool journal_batch_commit(struct journal_batch *b, char **cause)
{
    struct journal *j = b->j;
    batch_flush(b);
    bool ok = !b->failed;
    if (b->wrote && fsync(j->fd) < 0) {
        if (ok) {
            b->cause = xasprintf("%s: %s", j->path, strerror(errno));
        }
        ok = false;
    }
    unlock_appends(j);
    if (!ok) {
        *cause = b->cause;
        b->cause = NULL;
    }
    free(b->cause);
    free(b->buf.s);
    free(b);
    return ok;
}

enum { JOURNAL_READ_MAX = 256 << 20 };

static char *read_whole(const char *path, size_t *len, int *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > JOURNAL_READ_MAX) {
        *err = fd < 0 ? errno : (S_ISREG(st.st_mode) ? EFBIG : EINVAL);
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    char *buf = xmalloc(size + 1);
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break; /* shrunk under us: what we have */
        }
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return buf;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r') {
            return false;
        }
    }
    return true;
}

bool journal_read(const char *path, struct journal_line **lines, size_t *count, int *err)
{
    size_t len = 0;
    char *buf = read_whole(path, &len, err);
    if (buf == NULL) {
        return false;
    }
    struct journal_line *out = NULL;
    size_t n = 0;
    int number = 0;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        number++;
        if (!blank(buf + pos, end - pos)) {
            cJSON *obj = cJSON_ParseWithLength(buf + pos, end - pos);
            if (obj != NULL && !cJSON_IsObject(obj)) {
                cJSON_Delete(obj);
                obj = NULL;
            }
            if (obj != NULL || nl != NULL) {
                out = xreallocarray(out, n + 1, sizeof *out);
                out[n++] = (struct journal_line){.number = number, .obj = obj};
            }
        }
        pos = end + 1;
    }
    free(buf);
    *lines = out;
    *count = n;
    return true;
}

void journal_lines_free(struct journal_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(lines[i].obj);
    }
    free(lines);
}
