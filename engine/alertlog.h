/*
 * The alert transitions this console saw (issue 13: one timeline): when an
 * alert fired, was silenced or inhibited, fired again, or resolved (it was
 * resolved or left the source's answer). Kept in the state directory as
 * alerts.jsonl, append-only JSON lines in the journal's format (journal.h:
 * O_APPEND, 0600; the lines of one observe are one journal batch: one
 * fsync, however many transitions a storm brings):
 *
 *   {seq, ts, actor, host, run: null, step: null,
 *    action: "alert.fired" | "alert.silenced" | "alert.inhibited" |
 *            "alert.pending" | "alert.resolved",
 *    target: alertname, result: the new state ("gone" when it left),
 *    data: {source, key, from, fingerprint, severity, starts_at, labels}}
 *
 * alertlog_observe() compares the alert sets of the store with the last ones
 * it saw, only when the store's generation moved (a poll's answer, not a
 * frame), and only for sources that published: a source that has not answered
 * yet resolves nothing. At open the file is replayed (line by line), so a
 * restarted console does not record every firing alert as new.
 *
 * At storm scale: an observe is O(rows) (the open alerts are found by a hash
 * of source and key, not searched), and an open alert costs a few dozen bytes
 * (its key and name; no cJSON is kept). tests/bench/bench_alertlog.c has the
 * numbers for 10,000 and 50,000 alerts.
 *
 * Bounded: when the file passes its cap plus what the open set's alert.open
 * lines take (the cap grows to fit an open set larger than itself, so such a
 * set rotates once per cap's worth of transitions, not at every observe), it
 * is renamed alerts.jsonl.1 (the older .1 goes) and a new file starts with
 * one "alert.open" line per alert still open, so a replay of the new file
 * alone knows them (written in slices too, in the observes that follow the
 * rotation, before any other line; at open, all at once). Readers
 * (timeline.c) read the .1 file and then the current one.
 *
 * History (the History pane): the newest ALERTLOG_HISTORY transitions are
 * also kept in memory, filled at open by reading the .1 file and the current
 * one and then by every transition observed, and published to the store as
 * one MODEL_HISTORY rowset (source "history"), newest first, whenever they
 * changed (alertlog_publish). A row's detail has the alert's labels and
 * fingerprint. "unsilenced" is the name of an alert.fired line whose from is
 * "silenced" (a silenced alert firing again), here and in reports.
 */
#ifndef OPSDECK_ALERTLOG_H
#define OPSDECK_ALERTLOG_H

#include <stdbool.h>
#include <stddef.h>

struct store;
struct alertlog;

enum {
    ALERTLOG_CAP = 4 << 20,
    ALERTLOG_HISTORY = 5000,
    ALERTLOG_PUBLISH_SLICE = 1000, /* history rows built per alertlog_publish() */
    ALERTLOG_OBSERVE_SLICE = 250,  /* transitions recorded per alertlog_observe() */
    ALERTLOG_OBSERVE_ROWS = 10000, /* rows looked at per alertlog_observe() */
    ALERTLOG_ROTATE_SLICE = 1000,  /* a rotation's alert.open lines per alertlog_observe() */
};

/* $XDG_STATE_HOME/opsdeck/alerts.jsonl; caller frees; NULL without a home. */
char *alertlog_default_path(void);

/*
 * Open (creating it, 0600) and replay path; cap_bytes 0: ALERTLOG_CAP (the
 * rotation's threshold is the cap plus the open set's lines). NULL with *cause.
 */
struct alertlog *alertlog_open(const char *path, size_t cap_bytes, char **cause);
void alertlog_close(struct alertlog *al);

/*
 * Record the transitions between the alerts last seen and the store's. Does
 * nothing when the alerts' generation has not moved. In slices: one call
 * records at most ALERTLOG_OBSERVE_SLICE transitions and looks at most at
 * ALERTLOG_OBSERVE_ROWS rows (a storm's 10,000 new alerts kept a key waiting
 * 120-600 ms in one call); while alertlog_observing() call again soon (the
 * console: a 0 ms timer, so the loop serves the terminal between slices). A
 * new answer while its rows are looked at: from the first row again (those
 * recorded are not recorded twice). The lines of one call are one journal
 * batch (one fsync). false with *cause when a line could not be written (what
 * was seen is kept: the next call does not write it again).
 */
bool alertlog_observe(struct alertlog *al, const struct store *st, char **cause);
bool alertlog_observing(const struct alertlog *al);

/*
 * Publish the recent transitions to st as MODEL_HISTORY (source "history")
 * when they changed since the last call; true when it published. In slices:
 * one call builds at most ALERTLOG_PUBLISH_SLICE rows (a few ms: 5,000 rows
 * at once kept a key waiting 16-40 ms after every poll of a storm) and
 * publishes when the last is built; a history that moves meanwhile is built
 * anew. While alertlog_publishing() call again soon (the console: a 0 ms
 * timer, so the loop serves the terminal between slices).
 */
bool alertlog_publish(struct alertlog *al, struct store *st);
bool alertlog_publishing(const struct alertlog *al);
/* How many transitions the history holds (at most ALERTLOG_HISTORY). */
size_t alertlog_history_count(const struct alertlog *al);
/* The history's cap (tests: a small one; 0: ALERTLOG_HISTORY); the oldest go first. */
void alertlog_set_history_cap(struct alertlog *al, size_t cap);
/*
 * The event a journal line names: action "alert.X" gives X, except
 * alert.fired from "silenced", which is "unsilenced". Points into action or
 * at a constant.
 */
const char *alertlog_event(const char *action, const char *from);

/* Alerts open now (fired, silenced, inhibited, pending), for tests. */
size_t alertlog_open_count(const struct alertlog *al);

#endif
