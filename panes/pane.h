/*
 * Panes: one interface for every pane, table or not (DESIGN rule 3).
 *
 * A pane is a const struct pane_ops (name, title, its keys and its
 * callbacks) over its own state (void *self). The console (tui/) owns the
 * windows, the layout, the status line, dialogs and the terminal, and lends
 * the pane what it needs through struct pane_host; a pane never draws
 * outside its window, never stacks modes of its own, never writes to the tty
 * and never does I/O. It asks for actions; the console performs them through
 * the one action path (engine/action.c).
 *
 * Every pane on screen is registered once in pane_registry (pane.c), with
 * the slot of the layout it goes in. The table panes (alerts, queues, pools,
 * deploys, silences) share one implementation, panes/tablepane.c: each is a
 * small file with its struct pane_table (kind, sort, grouping, summary) and
 * its ops table pointing at tablepane_*. The panes that hold a run (runbook,
 * drill) are opened by their own start functions (a file, a run to resume)
 * and go in the side slot; they fill in the run part of the ops.
 *
 * Keys: ops->keys is the pane's key table (tui/keymap.h). The pane resolves
 * its keys through it (key_find) in its key callback, and the console builds
 * the ? help from it, so the help is always what the pane does.
 */
#ifndef OPSDECK_PANE_H
#define OPSDECK_PANE_H

#include "../tui/tableview.h"

#include "../tui/keymap.h"
#include "../tui/screen.h"

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

struct cJSON;
struct loop;
struct store;
struct backend;
struct pane_host;

/* An answer typed in the status-line prompt. */
typedef void (*pane_answer_cb)(void *self, const char *answer);
/* A dialog's outcome: confirmed, or cancelled (the default). */
typedef void (*pane_confirm_cb)(void *self, bool confirmed);

/* A line edited in the status line as one types (a filter): every change is applied at once. */
struct pane_edit {
    const char *label; /* before the text: "/" */
    const char *initial;
    const char *hint;      /* the keys, on the right of the status line */
    pane_answer_cb change; /* after every change; Enter keeps the last */
    pane_answer_cb cancel; /* Esc: gets initial back */
};

struct pane_host_ops {
    void (*message)(void *host, bool error, const char *text);
    /* Ask one line in the status line; cb runs on Enter only. false: busy with another mode. */
    bool (*prompt)(void *host, const char *label, const char *initial, bool secret,
                   pane_answer_cb cb);
    /* Edit a line live in the status line (struct pane_edit). false: busy with another mode. */
    bool (*edit)(void *host, const struct pane_edit *e);
    /* A confirmation dialog, default Cancel; must_type (may be NULL) asks a typed confirmation. */
    bool (*confirm)(void *host, const char *title, const char *body, const char *confirm_label,
                    const char *must_type, pane_confirm_cb cb);
    /*
     * The action keys' own dialog for VERB on TARGET in PANE (backend NULL:
     * the first that has it), after action_check(); cb runs when confirmed.
     */
    bool (*confirm_action)(void *host, const char *backend, const char *pane, const char *verb,
                           const char *target, const char *input, pane_confirm_cb cb);
    /* Put text on the terminal's clipboard (OSC 52). */
    void (*clipboard)(void *host, const char *text);
    /* Show a long text (a drill's report, a row's detail) in the viewer; false: busy. */
    bool (*view)(void *host, const char *title, const char *text);
    /* A pane a command opened (pane_on_demand) leaves: its slot's former pane comes back. */
    void (*close)(void *host);
    /* Run a : command line as if typed (a pane's key for a command: e edits the query). */
    void (*command)(void *host, const char *line);
    /*
     * Open the runbook the config maps NAME to (an alert's name, engine/locate.h),
     * with the "label\tvalue" lines of DETAIL as the run's variables.
     */
    void (*open_runbook)(void *host, const char *name, const char *detail);
    /*
     * Show the table pane NAME in its slot, focused, with its row ROW
     * selected (ROW: a row's key or its name column, in any source). false
     * with a line in the status bar when there is no such pane or row; then
     * nothing moves.
     */
    bool (*show_row)(void *host, const char *pane, const char *row);
};

struct pane_host {
    const struct pane_host_ops *ops;
    void *host;
};

/* A line in the status bar. */
void pane_say(const struct pane_host *h, bool error, const char *text);
/*
 * Say why an operation was refused (when !ok) and free the cause. It takes
 * &cause: the call that sets it is another argument of the same call, and C
 * leaves the order of arguments open. Returns ok.
 */
bool pane_check(const struct pane_host *h, bool ok, char **cause);

/* How the console shares a run ([share] in the config; docs/war-room.md). */
struct share_nats_opts;
struct pane_share {
    const char *dir;                    /* the group's directory: the socket, the card */
    const char *participants;           /* who joins as a participant */
    const struct share_nats_opts *nats; /* also over NATS; NULL: this host only */
};

/* What the console lends a table pane when it creates it. */
struct pane_env {
    struct loop *loop;
    struct store *store;
    struct backend **backends;
    size_t nbackends;
    const struct pane_host *host;
    const struct glyphs *g;
    size_t group_above; /* [opsdeck] group_above: group by itself above this many rows; 0 never */
};

/* How a pane is drawn this frame. */
struct pane_view {
    int number; /* the digit that focuses it, shown in its title */
    bool focused;
    int64_t now_s; /* the console's wall clock (ages) */
};

/* What differs between table panes (panes/tablepane.c draws and drives them all). */
struct pane_table {
    enum model_kind kind;
    int sort_col; /* default sort, -1 = as published */
    bool sort_desc;
    bool then_by; /* ties of the sort go by then_col (else the published order) */
    int then_col;
    bool then_desc;
    int group_col; /* what '=' groups by */
    /* a group row counts its members by severity in this column ("312 alerts: 12 critical") */
    bool group_counts;
    int group_counts_col;
    int name_col; /* what names a row to a person: a typed confirmation asks for it */
    /*
     * A few words on the state of the rows, e.g. "2 crit 3 firing"; called
     * after each rebuild, so it may walk every row. buf >= 64.
     */
    void (*summary)(const struct tableview *tv, char *buf, size_t len);
    bool summary_clock; /* the summary reads the wall clock: it is made again every second too */
    /* The pane's own keys (ids from TABLEPANE_KEY_OWN up): NULL when none. */
    bool (*key)(void *self, int id);
    /*
     * Enter: the viewer's text for the selected row (the caller frees), width
     * cells wide at most (charts); NULL: the default (every column, then the
     * row's detail lines as fields).
     */
    char *(*detail)(void *self, const struct rowset *rs, size_t row, int width,
                    const struct glyphs *g);
};

/*
 * Callbacks of a pane; self is the pane's state. Every pane fills in name,
 * title, keys, draw, key, resize, update, interrupt and free.
 * - create: table panes only: a new pane over env (the console frees it).
 * - draw: werase and draw the whole window and wnoutrefresh it.
 * - key: a key while the pane has focus and no mode is open; false lets the
 *   console have it (its keys, then a table pane's backend actions).
 * - resize: the window's new size, before the next draw.
 * - update: called every frame, shown or not; true when it must be redrawn.
 * - interrupt: Ctrl-C; true when the pane used it (the console must not quit).
 * - free: release everything; NULL is never passed.
 * Panes that hold a run (the side slot) also fill in:
 * - noun: "run", "drill", in the console's messages ("drill X closed").
 * - run_id: the run's id, for :resume.
 * - ended: the run is over (done or aborted): closing it leaves nothing to resume.
 * - close: start closing; NULL when it may be freed now, else what it does
 *   meanwhile (a drill rolls its chaos back). The console keeps drawing it and
 *   polls closing(), which says what it is doing, or NULL once done; after
 *   close_limit_ms the console frees it anyway.
 * - abort: :abort; the pane asks (a typed confirmation) and ends the run.
 * - record, reviewed (runbook runs; NULL otherwise): journal an end-of-run
 *   record into the run (engine/run.h run_record: the post-incident answers,
 *   the leftovers; takes data); reviewed: nothing to ask at the end (the
 *   review is journaled already, or the run was aborted).
 */
struct pane_ops {
    const char *name;  /* stable: :commands, snapshot, a runbook step's pane: */
    const char *title; /* "Alerts", shown in titles, tabs and help */
    const struct key_def *keys;
    const struct pane_table *table; /* table panes; NULL for others */
    void *(*create)(const struct pane_ops *ops, const struct pane_env *env);
    void (*draw)(void *self, WINDOW *win, const struct pane_view *view);
    bool (*key)(void *self, wint_t ch, bool is_key);
    void (*resize)(void *self, int h, int w);
    bool (*update)(void *self, uint64_t now_ms);
    bool (*interrupt)(void *self);
    void (*free)(void *self);

    const char *noun;
    const char *(*run_id)(void *self);
    bool (*ended)(void *self);
    const char *(*close)(void *self);
    const char *(*closing)(void *self);
    int close_limit_ms;
    void (*abort)(void *self);
    bool (*record)(void *self, const char *action, struct cJSON *data, char **cause);
    bool (*reviewed)(void *self);
    /* the war room (docs/war-room.md): share the run (the owner), :handover, :accept, :decline,
     * :role (verb, arg), and the run whose owner is gone (a follower: :takeover); may be NULL */
    bool (*share)(void *self, struct loop *loop, const struct pane_share *how, char **cause);
    bool (*room)(void *self, const char *verb, const char *arg, char **cause);
    const char *(*gone)(void *self);
};

/*
 * The panes of the screen, in order, with the layout slot each goes in
 * (1, 2, ...; panes sharing a slot take turns in it: v switches). The side
 * slot for a run comes after the last. A pane is registered by one line of
 * PANES in pane.c.
 */
struct pane_reg {
    const struct pane_ops *ops;
    int slot;
};
extern const struct pane_reg pane_registry[];
extern const size_t pane_count;

/*
 * Panes a command opens (:promql), registered by one line of ON_DEMAND_PANES
 * in pane.c with the slot whose place they take (a slot the layout does not
 * have: the widest). They are on screen only while open: then in that slot,
 * shown and focused, one of the panes v switches between; closing (host
 * close) brings back the pane that was shown. Snapshot, conditions and
 * pane_find know only pane_registry.
 */
extern const struct pane_reg pane_on_demand[];
extern const size_t pane_on_demand_count;

/* A registered pane by name ("pools"), or NULL. */
const struct pane_ops *pane_find(const char *name);

/* Count filtered rows (all members, when grouped) whose column col equals text. */
size_t pane_count_text(const struct tableview *tv, int col, const char *text);

#endif
