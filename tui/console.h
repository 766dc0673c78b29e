/*
 * The console, shared by its modules (and by tests; by nothing else outside tui/).
 * One struct ui holds the state; each module owns a part of it and says so:
 *
 *   ui.c        life cycle, the panels and slots, focus, one frame per loop
 *               iteration (redraw what is dirty, one doupdate), signals,
 *               terminal input
 *   layout.c    where the panels go, from the slot count (pure)
 *   chrome.c    the title bar, the status bar, the tab bar, "too small"
 *   keys.c      the console's key table and the key dispatch of every mode;
 *               the status-line line modes (:, a filter, a pane's question)
 *   commands.c  the : command table
 *   help.c      ? help, generated from the key and command tables
 *   dialogs.c   the confirm path of the action keys (single, bulk, typed),
 *               the dialogs and the viewer panes ask for, and the overlay
 *   host.c      what the console lends a pane (struct pane_host)
 *   side.c      the side slot: opening, resuming and closing runs and
 *               drills, and the rollbacks NOT RESTORED in the status line
 *   selstate.c  the selected row of each table pane, kept across sessions
 *   reload.c    :reload and SIGHUP: the config read again and applied
 *
 * A panel is a pane on screen: its ops, its state, its window. The table
 * panes are created once, from pane_registry, and grouped into slots
 * (panes sharing a slot take turns: v); the side panel holds a run while
 * one is open and sits after the last slot.
 */
#ifndef OPSDECK_CONSOLE_H
#define OPSDECK_CONSOLE_H

#include "../panes/pane.h"
#include "layout.h"
#include "ui.h"
#include "widgets.h"

#include <stdint.h>

struct vars;
struct promqlcmd;
struct finished_offer;
struct ctx_state;

struct panel {
    struct ui *ui;
    const struct pane_ops *ops; /* NULL: an empty side slot */
    void *self;
    struct pane_host host; /* host.host is this panel */
    WINDOW *win;
    int slot; /* its slot; the side panel: nslots; -1: not on screen */
    bool visible, dirty;
    /* an on-demand pane (pane_on_demand) while open: who hears it close, what it covered */
    void (*closed)(struct ui *ui);
    size_t back;
};

struct slot {
    size_t panel[LAYOUT_MAX_SLOTS]; /* indexes into ui->panels */
    size_t n;
    size_t shown; /* which of them is on screen */
};

enum mode { MODE_NORMAL, MODE_LINE, MODE_CONFIRM, MODE_VIEW, MODE_LEFTOVERS };

/* The status line as an editor: the : command line, a filter, a pane's question. */
struct line_mode {
    struct lineedit edit;
    char label[256];
    char initial[256];   /* what a cancelled edit gets back */
    const char *hint;    /* NULL: a question (label and text, the end kept in view) */
    bool secret;         /* not echoed */
    bool live;           /* change runs after every edit */
    bool short_lived;    /* Backspace on an empty line leaves (what was typed stays) */
    struct panel *panel; /* who asked (its self gets the answer); NULL: the console */
    pane_answer_cb enter, change, cancel;
    /* Up and Down walk these lines, oldest first (borrowed while the line is open); NULL: none */
    char *const *history;
    size_t nhistory;
    size_t hpos;      /* the line shown: nhistory is the one being typed */
    char draft[4096]; /* the one being typed, while walking (as edit.buf) */
};

/*
 * The action a dialog asks about: one target, or several (marked rows); or,
 * with pane_confirm set, a pane's own dialog.
 */
struct pending {
    const struct action_def *def;
    size_t n;
    char **backend; /* per target */
    char **target;
    char **shown; /* per target, what a person calls it: an alert's name and labels, not its key */
    bool asking_input; /* bulk input actions: first the value, then the typed confirmation */
    char *input;
    char *must_type;     /* single typed actions: the row's name (QUEUE, SERVER...), not its key */
    struct panel *table; /* whose marks a bulk action clears */
    struct panel *asker; /* a pane's own dialog (pane_confirm): its self gets the outcome */
    pane_confirm_cb pane_confirm;
    char *prior;   /* single input actions: the value before (scale: the replicas), audited */
    char *initial; /* the value field's start (an undo's prior value); NULL: the default */
    /*
     * A protected context's name (ctx.h): the action asks the typed
     * confirmation (a single input action: the value first, then the name).
     */
    char *protect;
    /* a pane's action dialog (a run's step) in a protected context: granted once typed */
    struct backend *grant_backend;
    const struct action_def *grant_def;
    char *grant_target;
};

struct ui {
    struct loop *loop;
    struct store *store;
    struct backend **backends;
    size_t nbackends;
    struct ui_options opts;
    const struct glyphs *g;
    struct theme theme;
    enum theme_tier tier;

    struct panel *panels; /* the table panes, in pane_registry order, then pane_on_demand's */
    size_t npanels;
    struct slot slots[LAYOUT_MAX_SLOTS];
    int nslots;
    struct panel side; /* a run or a drill, while one is open */
    int focus;         /* the focused table slot (kept while the side panel has the focus) */
    bool side_focus;   /* the side panel has the focus */
    bool zoom;
    bool side_full; /* the last layout gave a tabletop drill the screen (side_full_screen) */
    struct layout layout;
    WINDOW *titlebar;
    WINDOW *statusbar;
    WINDOW *tabbar;
    WINDOW *overlay;
    bool need_layout;
    bool chrome_dirty;
    bool overlay_dirty;

    enum mode mode;
    struct line_mode line;
    struct dialog dialog;
    struct pending pending;
    struct viewer viewer;
    struct panel *viewer_opener; /* the pane whose own keys (r on an alert) work in its viewer */

    char message[256];
    bool message_error;
    uint64_t message_until;

    char *resume_offer;                    /* the newest unfinished run, for R */
    struct finished_offer *finished_offer; /* r on an alert whose run ended: report or new run? */
    bool side_closing;                     /* the side pane is closing (a drill rolling back) */
    uint64_t side_close_until;             /* ... at most until (mono ms) */
    bool quit_after_close;                 /* quitting waits for it */
    bool side_ended;                       /* the side run had ended at the last frame */
    size_t npending;                       /* rollbacks pending in the journals (NOT RESTORED) */
    char pending_text[200];                /* the first of them, for the status line */
    uint64_t pending_checked;              /* when (mono ms) the journals were last read */

    char *selstate_saved; /* the selections as last written (selstate.c) */

    int64_t last_second;
    uint64_t started_ms;
    long frames;
    int exit_status;
    struct loop_watch *tty_watch;
    bool reload_asked; /* SIGHUP with the terminal still there: reload.c, after this iteration */

    struct alertlog *alertlog;  /* alert transitions seen (engine/alertlog.h); NULL: none */
    bool alertlog_failed;       /* said once */
    struct leftovers_list *lov; /* leftovers.c: the list while open */
    size_t review_q;            /* the end-of-run question being asked, +1; 0: none */
    bool review_pending;        /* the run ended: ask once no mode is open */
    struct room_probe *probe;   /* :join over NATS, until the run's document says what it is */
    WINDOW *projector;          /* projview.c: the projector's window while it is on */
    struct promqlcmd *promql;   /* promqlcmd.c: the :promql query and its history */
    struct ctx_state *ctx;      /* ctx.c: the contexts and which are shown */
};

/* ui.c */
/*
 * The backends change (a reload): the table panes go before the old backends
 * and their rows do (ui_panels_drop saves the selections, each pane's view:
 * filter, sort, grouping, columns; the contexts shown and the focused pane),
 * and are made again from ui->backends after (ui_panels_make puts that back
 * and frees it; marks start afresh). Only with no run open in the side slot
 * and no dialog open (reload.c checks).
 */
struct panes_saved;
struct panes_saved *ui_panels_drop(struct ui *ui);
void ui_panels_make(struct ui *ui, struct panes_saved *saved);
void ui_say(struct ui *ui, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void ui_dirty_all(struct ui *ui);
struct panel *ui_focused(struct ui *ui);
/* The focused panel when it is a table pane, else NULL. */
struct panel *ui_focused_table(struct ui *ui);
struct panel *ui_slot_panel(struct ui *ui, int slot);
/* Focus a slot (nslots: the side panel, when a run is open). */
void ui_focus(struct ui *ui, int slot);
/* Show the next pane of the focused slot (v). */
void ui_swap(struct ui *ui);
void ui_quit(struct ui *ui);
struct backend *ui_backend(struct ui *ui, const char *name);
/*
 * Put an on-demand pane (pane_on_demand) on screen in its slot's place (or
 * the widest slot's), shown and focused; closed (may be NULL) runs when it
 * leaves. Already open: shown and focused again. NULL: ops is not one.
 */
struct panel *ui_pane_open(struct ui *ui, const struct pane_ops *ops,
                           void (*closed)(struct ui *ui));
/* Take it off screen (its closed runs): the pane it covered is shown again. */
void ui_pane_close(struct ui *ui, struct panel *p);

/* chrome.c */
void chrome_draw(struct ui *ui);
void chrome_too_small(struct ui *ui);

/* keys.c */
void keys_handle(struct ui *ui, wint_t ch, bool is_key);
/* Open the status line as an editor; false when another mode is open. */
bool keys_line_open(struct ui *ui, const struct line_mode *line, const char *initial);
extern const struct key_def frame_keys[];
/* The console's keys in help, the digits and v naming the panes they reach. */
void keys_help(struct ui *ui, struct viewer *v);

/* commands.c */
void commands_run(struct ui *ui, char *line);
void commands_help(struct ui *ui, struct viewer *v);

/* help.c */
void help_open(struct ui *ui);

/* dialogs.c */
/* A backend's action key on the focused table pane: true when a dialog opened or it said why not.
 */
bool dialogs_action_key(struct ui *ui, struct panel *table, wint_t ch, bool is_key);
/* Does any backend offer an action on this key in the focused table pane? */
bool dialogs_has_action(struct ui *ui, wint_t ch, bool is_key);
/* The pane host's dialogs and viewer. */
bool dialogs_confirm(struct ui *ui, struct panel *asker, const char *title, const char *body,
                     const char *confirm, const char *must_type, pane_confirm_cb cb);
bool dialogs_confirm_action(struct ui *ui, struct panel *asker, const char *backend,
                            const char *pane, const char *verb, const char *target,
                            const char *input, pane_confirm_cb cb);
/* The viewer for a pane (opener: its own keys reach it from the viewer; may be NULL). */
bool dialogs_view(struct ui *ui, struct panel *opener, const char *title, const char *text);
void dialogs_key(struct ui *ui, wint_t ch, bool is_key);
void dialogs_draw(struct ui *ui);
/* Close what is open and free the pending action (the console is going away). */
void dialogs_free(struct ui *ui);
/* An undo from the leftovers: the backend's VERB on kind's row TARGET, in the usual dialog. */
bool dialogs_undo(struct ui *ui, const char *backend, enum model_kind kind, const char *verb,
                  const char *target, const char *input);
/* Help lines for the actions of kind, from the backends' action tables. */
void dialogs_help(struct ui *ui, const char *scope, enum model_kind kind, struct viewer *v);

/* selstate.c: remember each table pane's selected row (by key) in the state directory */
void selstate_load(struct ui *ui);
/* Write when a selection changed since the last write. */
void selstate_save(struct ui *ui);

/* leftovers.c: the end-of-run review and the :leftovers list */
/* The side run's id for the audit lines of actions taken while it is open; NULL: none. */
const char *leftovers_open_run(struct ui *ui);
/* :leftovers: what this console left in place (run: the side run's, when one is open). */
void leftovers_open(struct ui *ui);
/* The side run ended: ask the questions (Esc skips), journal the answers and the leftovers. */
void leftovers_review(struct ui *ui);
/* :review: the questions again for the ended run (later answers replace earlier ones). */
void leftovers_review_again(struct ui *ui);
void leftovers_key(struct ui *ui, wint_t ch, bool is_key);
void leftovers_draw(struct ui *ui);
/* Back to the list after an undo's dialog closed (keys.c, after every dialog key). */
void leftovers_after_dialog(struct ui *ui);
void leftovers_close(struct ui *ui);
/* Every loop iteration: the alert log, a review waiting for the modes to close. */
void leftovers_watch(struct ui *ui);

/* reload.c: :reload and SIGHUP (docs/architecture.md "Reload") */
/* Re-read the config and apply it, or refuse and keep the old one; how: ":reload", "SIGHUP". */
void reload_run(struct ui *ui, const char *how);

/* host.c */
extern const struct pane_host_ops host_ops;

/* room.c: the war room (docs/war-room.md) */
void room_share(struct ui *ui);
void room_join(struct ui *ui, const char *id);
void room_command(struct ui *ui, const char *verb, const char *arg);
void room_takeover(struct ui *ui);
void room_free(struct ui *ui); /* a :join over NATS still reading the run's document */

/* promqlcmd.c: :promql [@BACKEND] [QUERY] (docs: README) */
void promqlcmd_run(struct ui *ui, const char *arg);
/* The query's pane closed: stop the query. */
void promqlcmd_closed(struct ui *ui);
void promqlcmd_free(struct ui *ui);

/* projview.c */
/* :projector: the side slot's run or drill full screen, or back. */
void projview_toggle(struct ui *ui);
/* A key while it is on: q leaves; true when it is on (it takes every key). */
bool projview_key(struct ui *ui, wint_t ch, bool is_key);
/* Draw it when its run changed or a second passed; true when it drew (false: it is off). */
bool projview_frame(struct ui *ui, uint64_t now);

/* side.c */
/* A pane now holds the side slot: focus it, say how, share it (room_share). */
void side_opened(struct ui *ui, const struct pane_ops *ops, void *self, const char *how);
void side_open_run(struct ui *ui, const char *file, const struct vars *vars);
void side_open_drill(struct ui *ui, const char *file);
/* A run or a drill by id (the journal says which). */
void side_resume(struct ui *ui, const char *id);
void side_resume_newest(struct ui *ui);
/* r on an alert: the runbook the config maps NAME to, DETAIL's labels as its variables. */
void side_open_for(struct ui *ui, const char *name, const char *detail);
void side_close(struct ui *ui);
void side_abort(struct ui *ui);
/* Every loop iteration: closing, ends, the journals' pending rollbacks. */
void side_watch(struct ui *ui);
/* Quitting with chaos to undo waits for it; true when the quit was put off. */
bool side_quit_waits(struct ui *ui);
/* Closing: the pane's keys wait. Say so; true when the key was the pane's. */
bool side_closing_key(struct ui *ui, wint_t ch, bool is_key);
/* Say how many runs are unfinished and remember the newest for R; returns the count. */
size_t side_offer_unfinished(struct ui *ui);
/* Read the journals' pending rollbacks again (NOT RESTORED in the status line). */
void side_refresh_pending(struct ui *ui);
/* What the command line asked for (a run, a drill, a resume), else the resume offer. */
void side_open_at_start(struct ui *ui, const struct ui_options *opts);
/* Free the side pane (the run stays resumable) and the resume offer. */
void side_free(struct ui *ui);
/* A tabletop drill that reads no pane is open: it takes the whole screen (z: the grid). */
bool side_full_screen(const struct ui *ui);

#endif
