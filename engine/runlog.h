/*
 * The journal core of runbook runs and drills (DESIGN rule 5): a run is an
 * event stream, and this is the one place that writes, locks, reads back and
 * follows it. runs/RUN-ID.jsonl holds one journal line per event
 * (journal.h: {seq, ts, actor, host, run, step, action, target, result,
 * data}); the format on disk is the journal's and does not change here.
 *
 * - The event-name table (RUNLOG_EVENTS) gives every action a kind, so
 *   readers switch on an enum instead of comparing strings, and says which
 *   kinds are live notices: told to in-process subscribers only, never written
 *   (the owner's status line, command output as it comes, a secret answer).
 * - One writer per run, its owner: runlog_create() opens the journal and
 *   takes an exclusive flock() on it that goes with the descriptor (kill -9
 *   leaves none behind). Anyone may read; runlog_busy() says whether an owner
 *   holds the run.
 * - Replay: runlog_replay() calls back for every event of a journal, in file
 *   order, each once; a torn last line (a crash mid-write) is skipped.
 * - Subscribe (the owner's screen): runlog_history() replays what the writer
 *   has written so far, synchronously; runlog_subscribe() then hears every
 *   later event as it is appended, parsed back from the very line written,
 *   and every notice. A subscriber must not append from its callback. (The
 *   owner's run_history() and game_history() end with a status notice: where
 *   it is now, in its own words.)
 * - Follow (a second console, later: a war room): runlog_follow() replays a
 *   journal and then watches it on the loop, so a follower in another process
 *   gets the same events in the same order, each once. Its first callback
 *   runs on the loop, after runlog_follow() returned. The bytes go through a
 *   runlog_reader, which a socket stream can feed the same way.
 *
 * Run ids: 20261123T101259Z-SLUG-1a2b (unique per second by four random hex
 * digits).
 */
#ifndef OPSDECK_RUNLOG_H
#define OPSDECK_RUNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct loop;
struct journal_event;

/* ---- the event-name table ---- */

enum runlog_where {
    RUNLOG_DURABLE, /* written to the journal */
    RUNLOG_LIVE,    /* a notice: subscribers only; may cross a socket to a follower */
    RUNLOG_LOCAL,   /* a notice that never leaves this process (a secret answer) */
};

/* kind, name on disk, where it goes */
#define RUNLOG_EVENTS(X)                                                                           \
    X(RL_RUN_START, "run.start", RUNLOG_DURABLE)                                                   \
    X(RL_RUN_RESUME, "run.resume", RUNLOG_DURABLE)                                                 \
    X(RL_RUN_END, "run.end", RUNLOG_DURABLE)                                                       \
    X(RL_STEP_ENTER, "step.enter", RUNLOG_DURABLE)                                                 \
    X(RL_STEP_DONE, "step.done", RUNLOG_DURABLE)                                                   \
    X(RL_STEP_RERUN, "step.rerun", RUNLOG_DURABLE)                                                 \
    X(RL_BACK, "back", RUNLOG_DURABLE)                                                             \
    X(RL_JUMP, "jump", RUNLOG_DURABLE)                                                             \
    X(RL_INPUT, "input", RUNLOG_DURABLE)                                                           \
    X(RL_CHOICE, "choice", RUNLOG_DURABLE)                                                         \
    X(RL_APPROVAL, "approval", RUNLOG_DURABLE)                                                     \
    X(RL_NOTE, "note", RUNLOG_DURABLE)                                                             \
    X(RL_OVERTIME, "overtime", RUNLOG_DURABLE)                                                     \
    X(RL_COMMAND_START, "command.start", RUNLOG_DURABLE)                                           \
    X(RL_COMMAND_PGID, "command.pgid", RUNLOG_DURABLE)                                             \
    X(RL_COMMAND_OUTPUT, "command.output", RUNLOG_DURABLE)                                         \
    X(RL_COMMAND_EXIT, "command.exit", RUNLOG_DURABLE)                                             \
    X(RL_COMMAND_EDIT, "command.edit", RUNLOG_DURABLE)                                             \
    X(RL_WAIT_START, "wait.start", RUNLOG_DURABLE)                                                 \
    X(RL_WAIT_END, "wait.end", RUNLOG_DURABLE)                                                     \
    X(RL_ACTION_START, "action.start", RUNLOG_DURABLE)                                             \
    X(RL_ACTION_END, "action.end", RUNLOG_DURABLE)                                                 \
    X(RL_NOTIFY, "notify", RUNLOG_DURABLE)                                                         \
    X(RL_ORPHAN_FOUND, "orphan.found", RUNLOG_DURABLE)                                             \
    X(RL_ORPHAN_WAIT, "orphan.wait", RUNLOG_DURABLE)                                               \
    X(RL_ORPHAN_SIGNAL, "orphan.signal", RUNLOG_DURABLE)                                           \
    X(RL_ORPHAN_END, "orphan.end", RUNLOG_DURABLE)                                                 \
    X(RL_DRILL_START, "drill.start", RUNLOG_DURABLE)                                               \
    X(RL_DRILL_PAUSE, "drill.pause", RUNLOG_DURABLE)                                               \
    X(RL_DRILL_RESUME, "drill.resume", RUNLOG_DURABLE)                                             \
    X(RL_DRILL_EXTEND, "drill.extend", RUNLOG_DURABLE)                                             \
    X(RL_DRILL_ABORT, "drill.abort", RUNLOG_DURABLE)                                               \
    X(RL_DRILL_DRAW, "drill.draw", RUNLOG_DURABLE)                                                 \
    X(RL_CHECK, "check", RUNLOG_DURABLE)                                                           \
    X(RL_INJECT_FIRE, "inject.fire", RUNLOG_DURABLE)                                               \
    X(RL_INJECT_SKIP, "inject.skip", RUNLOG_DURABLE)                                               \
    X(RL_INJECT_UNSKIP, "inject.unskip", RUNLOG_DURABLE)                                           \
    X(RL_EXPECT, "expect", RUNLOG_DURABLE)                                                         \
    X(RL_UNDO, "undo", RUNLOG_DURABLE)                                                             \
    X(RL_CHAOS_PLAN, "chaos.plan", RUNLOG_DURABLE)                                                 \
    X(RL_CHAOS_END, "chaos.end", RUNLOG_DURABLE)                                                   \
    X(RL_CHAOS_SKIP, "chaos.skip", RUNLOG_DURABLE)                                                 \
    X(RL_ROLLBACK_START, "rollback.start", RUNLOG_DURABLE)                                         \
    X(RL_ROLLBACK_END, "rollback.end", RUNLOG_DURABLE)                                             \
    X(RL_ROLLBACK_GIVEUP, "rollback.giveup", RUNLOG_DURABLE)                                       \
    X(RL_DEBRIEF, "debrief", RUNLOG_DURABLE)                                                       \
    X(RL_POSTMORTEM, "postmortem", RUNLOG_DURABLE)                                                 \
    X(RL_LEFTOVERS, "leftovers", RUNLOG_DURABLE)                                                   \
    X(RL_JOIN, "join", RUNLOG_DURABLE)                                                             \
    X(RL_LEAVE, "leave", RUNLOG_DURABLE)                                                           \
    X(RL_ROLE, "role", RUNLOG_DURABLE)                                                             \
    X(RL_CLAIM, "claim", RUNLOG_DURABLE)                                                           \
    X(RL_UNCLAIM, "unclaim", RUNLOG_DURABLE)                                                       \
    X(RL_PROPOSE, "propose", RUNLOG_DURABLE)                                                       \
    X(RL_HANDOVER_OFFER, "handover.offer", RUNLOG_DURABLE)                                         \
    X(RL_HANDOVER_ACCEPT, "handover.accept", RUNLOG_DURABLE)                                       \
    X(RL_HANDOVER_DECLINE, "handover.decline", RUNLOG_DURABLE)                                     \
    X(RL_APPROVAL_REQUEST, "approval.request", RUNLOG_DURABLE)                                     \
    X(RL_GUARD_START, "guard.start", RUNLOG_DURABLE)                                               \
    X(RL_GUARD_STOP, "guard.stop", RUNLOG_DURABLE)                                                 \
    X(RL_STATUS, "status", RUNLOG_LIVE)                                                            \
    X(RL_OUTPUT, "output", RUNLOG_LIVE)                                                            \
    X(RL_SECRET, "secret", RUNLOG_LOCAL)

enum runlog_kind {
#define RUNLOG_ENUM(kind, name, where) kind,
    RUNLOG_EVENTS(RUNLOG_ENUM)
#undef RUNLOG_ENUM
        RL_UNKNOWN, /* a name this version does not know: kept, shown as is */
};

/* The kind of an action name (RL_UNKNOWN for NULL or a name not in the table). */
enum runlog_kind runlog_kind(const char *action);
const char *runlog_kind_name(enum runlog_kind k);
enum runlog_where runlog_kind_where(enum runlog_kind k);

/* One event as subscribers and replays see it; every pointer is borrowed for the call. */
struct runlog_event {
    enum runlog_kind kind;
    const char *action; /* the name as written */
    bool live;          /* a notice: never written */
    uint64_t seq;       /* 0 for a notice */
    int64_t ts_ms;      /* wall time; 0 when unreadable */
    const char *actor, *host, *run, *step, *target, *result;
    const struct cJSON *data; /* an object or NULL */
    const struct cJSON *obj;  /* the whole line; NULL for a notice */
    const char *bytes;        /* RL_OUTPUT: the output as it came (not text) */
    size_t len;
};

/* Fill ev from one journal line; false when it is no event (no action string). */
bool runlog_event_parse(const struct cJSON *obj, struct runlog_event *ev);

/* Fields of an event's data, where a field of the wrong type is missing. */
const char *runlog_str(const struct cJSON *data, const char *key);
double runlog_num(const struct cJSON *data, const char *key, double dflt);
/* A whole number that fits an int (dflt when missing, mistyped, NaN or out of range). */
int runlog_int(const struct cJSON *data, const char *key, int dflt);
/* An offset, a length, a clock: 0 to 2^53 (dflt when missing, negative, NaN or past it). */
uint64_t runlog_u64(const struct cJSON *data, const char *key, uint64_t dflt);
bool runlog_true(const struct cJSON *data, const char *key);

typedef void (*runlog_event_cb)(const struct runlog_event *ev, void *ud);

/* ---- where runs live ---- */

/* The runs directory ($XDG_STATE_HOME/opsdeck/runs), caller frees; NULL without a home. */
char *runlog_default_dir(void);
/*
 * The process's runs directory from now on, instead of the state one (NULL:
 * back to it): with [share] dir, runs live in SHARE/runs, where another
 * engineer of the group can follow and take them over (docs/war-room.md).
 */
void runlog_set_default_dir(const char *dir);
/* dir, or the default one; NULL with *cause without a home. */
char *runlog_dir(const char *dir, char **cause);
/* DIR/ID.jsonl (ext ".out": its output); NULL with *cause for a bad id ('/', leading '.'). */
char *runlog_path(const char *dir, const char *id, const char *ext, char **cause);
/* A new run id for a script at path (its file name gives the slug); caller frees. */
char *runlog_new_id(const char *path);
/* runlog_new_id() with no journal of that name in dir yet (tries a few). */
char *runlog_unique_id(const char *dir, const char *path);

/* ---- reading ---- */

/* Every event of the journal at path, in order; NULL with *cause when it cannot be opened. */
struct cJSON **runlog_read(const char *path, size_t *n, char **cause);
void runlog_free(struct cJSON **ev, size_t n);
/*
 * Call cb for every event of the journal at path, in order, each once; lines
 * that are no event (a torn tail, garbage) are skipped. false with *cause when
 * it cannot be read. *last_seq (may be NULL): the seq of the last event.
 */
bool runlog_replay(const char *path, runlog_event_cb cb, void *ud, uint64_t *last_seq,
                   char **cause);

/* Does another opsdeck own run id in dir (it holds the run's lock)? */
bool runlog_busy(const char *dir, const char *id);

/* ---- the writer: one per run, its owner ---- */

struct runlog;

enum runlog_mode {
    RUNLOG_NEW,    /* a new run: the journal must not exist yet */
    RUNLOG_OPEN,   /* an existing run: resume, recovery */
    RUNLOG_MEMORY, /* a dry run: events reach subscribers, nothing is written */
};

/*
 * Open run id's journal in dir (created 0700 as needed) and take the run's
 * lock; NULL with *cause ("run ID is in use by another opsdeck"). dir is not
 * used for RUNLOG_MEMORY.
 */
struct runlog *runlog_create(const char *dir, const char *id, enum runlog_mode mode, char **cause);
/*
 * The same on a lock already held: lock_fd is a descriptor of the journal's
 * open file description that holds the owner lock (inherited from the owner:
 * the dead-man guard, game_guard.c); the writer owns it from now on. Writing
 * beside a living owner is safe (journal.c serialises appends).
 */
struct runlog *runlog_adopt(const char *dir, const char *id, int lock_fd, char **cause);
/* The descriptor that holds the lock (-1 in memory): the owner hands it to its guard. */
int runlog_lock_fd(const struct runlog *rl);
void runlog_destroy(struct runlog *rl); /* NULL is a no-op */
const char *runlog_id(const struct runlog *rl);
/* The journal's path (NULL in memory). */
const char *runlog_file(const struct runlog *rl);
uint64_t runlog_last_seq(const struct runlog *rl);
/*
 * Append one event (fsync'd), then tell the subscribers. ev->run is set to the
 * run id when NULL. false with *cause when it is not on disk: nothing is told.
 */
bool runlog_append(struct runlog *rl, const struct journal_event *ev, char **cause);
/* Tell the subscribers a notice (ev->live is set; ev->kind must be a notice's kind). */
void runlog_notice(struct runlog *rl, struct runlog_event *ev);
/* Replay what this writer's run holds so far into cb, now (a read, not a registration). */
bool runlog_history(const struct runlog *rl, runlog_event_cb cb, void *ud, char **cause);
/*
 * The owner's history for a new screen: runlog_history() (rl may be NULL:
 * nothing yet), then a live "status" notice of run_id with status (taken:
 * freed here), where the run is now in its own words.
 */
bool runlog_history_status(const struct runlog *rl, const char *run_id, struct cJSON *status,
                           runlog_event_cb cb, void *ud, char **cause);
/* Hear every later event and notice; the first call comes with the next append. */
/* rl NULL (a run without a journal yet): a no-op. */
void runlog_subscribe(struct runlog *rl, runlog_event_cb cb, void *ud);
void runlog_unsubscribe(struct runlog *rl, runlog_event_cb cb, void *ud);

/* ---- following ---- */

/*
 * Bytes of a journal in, events out: complete lines only (a line still being
 * written waits for its newline), each line once, lines that are no event
 * skipped. The base of runlog_follow() and of a socket follower.
 */
struct runlog_reader;
struct runlog_reader *runlog_reader_create(runlog_event_cb cb, void *ud);
void runlog_reader_destroy(struct runlog_reader *r);
void runlog_reader_feed(struct runlog_reader *r, const char *buf, size_t len);
/* Events delivered so far, and the seq of the last one. */
uint64_t runlog_reader_count(const struct runlog_reader *r);
uint64_t runlog_reader_seq(const struct runlog_reader *r);

/*
 * Follow the journal at path: on the loop, replay it, then read what is
 * appended (looked at every poll_ms; 0: a default) until runlog_unfollow().
 * NULL with *cause when it cannot be opened.
 */
struct runlog_follow;
struct runlog_follow *runlog_follow(struct loop *loop, const char *path, int poll_ms,
                                    runlog_event_cb cb, void *ud, char **cause);
void runlog_unfollow(struct runlog_follow *f); /* NULL is a no-op */
/* Look at the file now (tests, or a caller that knows it grew); events come from here. */
void runlog_follow_poll(struct runlog_follow *f);

#endif
