/*
 * Append-only JSON lines files (DESIGN rule 5): the audit log, and under
 * runlog.h the journals of runs and drills. One object per line:
 *   {seq, ts, actor, host, run, step, action, target, result, data}
 * ts is UTC RFC 3339 with milliseconds; run and step are null when unset; data
 * is an object (or null). Each append is one write(2) of the whole line on an
 * O_APPEND descriptor followed by fsync(2), so a crash never leaves half a line
 * from us and a line once returned is on disk. seq continues from the last line
 * already in the file, also when another process appended to it meanwhile
 * (appends are serialised by a lock: two consoles on one audit log never
 * write the same seq).
 */
#ifndef OPSDECK_JOURNAL_H
#define OPSDECK_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

struct journal_event {
    const char *actor;  /* who: $USER or the login name */
    const char *host;   /* where: the host name */
    const char *run;    /* run id or NULL */
    const char *step;   /* step id or NULL */
    const char *action; /* what */
    const char *target;
    const char *result;
    const struct cJSON *data; /* borrowed; NULL for none */
};

struct journal;

/* Create the parent directory (mode 0700) if needed and open for append (0600). */
struct journal *journal_open(const char *path, char **cause);
void journal_close(struct journal *j);
/* Append one event; false with *cause on a write or fsync failure. */
bool journal_append(struct journal *j, const struct journal_event *ev, char **cause);
/* The same; *line (caller frees) is the line written, without its newline, on success. */
bool journal_append_line(struct journal *j, const struct journal_event *ev, char **line,
                         char **cause);
/*
 * A mirror: fn sees every line appended to j (after it is on disk and the
 * append lock is released), with the event it came from. The audit log's is
 * engine/auditlog.h (syslog). fn may append to j itself (to say the mirror
 * failed): it is then called again for that line, and must not loop. NULL
 * removes it.
 */
typedef void (*journal_mirror_cb)(struct journal *j, const struct journal_event *ev,
                                  const char *line, void *ud);
void journal_set_mirror(struct journal *j, journal_mirror_cb fn, void *ud);
/*
 * A batch: many events, one fsync(2) (the alert log's storm: 10,000
 * transitions in one observe are not 10,000 fsyncs). begin takes the append
 * lock (waited for as an append waits) and catches up; add formats the line
 * at once (ev and its data may go after the call) and writes whenever
 * JOURNAL_BATCH_CHUNK bytes are pending, always whole lines, so memory stays
 * bounded and a crash tears at most the last line, as for single appends;
 * commit writes the rest, fsyncs once, releases the lock and frees the
 * batch. seq: consecutive, as if appended one by one. A line once written has
 * its seq even when a later write or the fsync fails; after a failed write
 * the rest of the batch is dropped, and commit says why. No mirror is called
 * for batched lines: batches are for journals without one (the alert log).
 * Between begin and commit other writers wait (the lock): keep it short.
 */
enum { JOURNAL_BATCH_CHUNK = 256 << 10 };
struct journal_batch;
/* NULL with *cause when the lock could not be had or the tail not read. */
struct journal_batch *journal_batch_begin(struct journal *j, char **cause);
void journal_batch_add(struct journal_batch *b, const struct journal_event *ev);
/* Lines added so far. */
size_t journal_batch_count(const struct journal_batch *b);
/* Write, fsync, unlock, free b; false with *cause (the first failure) if any line is not on disk.
 */
bool journal_batch_commit(struct journal_batch *b, char **cause);
const char *journal_path(const struct journal *j);
uint64_t journal_last_seq(const struct journal *j);
/* The seq of one line, or false when it is not a journal line (an object with a seq). */
bool journal_line_seq(const char *line, size_t len, uint64_t *seq);

/* One line of a journal read back. */
struct journal_line {
    int number;        /* 1-based */
    struct cJSON *obj; /* the event; NULL when the line is not a JSON object */
};

/*
 * Read a journal back (at most 256 MiB): every non-blank line, except a torn
 * tail (a last line without its newline that does not parse: a crash
 * mid-write). false with *err (an errno value: ENOENT, EFBIG...) when the file
 * cannot be read. Free with journal_lines_free().
 */
bool journal_read(const char *path, struct journal_line **lines, size_t *n, int *err);
void journal_lines_free(struct journal_line *lines, size_t n);

/* Format one line (without newline); exposed for tests. Caller frees. */
char *journal_format(uint64_t seq, int64_t wall_ms, const struct journal_event *ev);

#endif
