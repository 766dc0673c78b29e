/*
 * Panes. A pane reads its model (through a tableview) and says what matters
 * about it; it never does I/O and never performs an action itself: action keys
 * are looked up in the backends' action tables and sent through the one action
 * path by the UI.
 *
 * The four live panes are tables and share the table widget; their const
 * tables below give what differs: name, title, default sort and the summary
 * shown in the pane's title ("2 critical, 3 firing").
 */
#ifndef OPSDECK_PANE_H
#define OPSDECK_PANE_H

#include "../tui/tableview.h"

#include "../tui/screen.h"

#include <stddef.h>
#include <stdint.h>
#include <wchar.h>

struct pane_impl {
    const char *name; /* for :commands and snapshot */
    enum model_kind kind;
    int sort_col; /* default sort, -1 = as published */
    bool sort_desc;
    int group_col; /* what '=' groups by */
    int name_col;  /* what names a row to a person: a typed confirmation asks for it */
    /*
     * A few words on the state of the rows, e.g. "2 crit 3 firing"; called
     * after each rebuild, so it may walk every row. buf >= 64.
     */
    void (*summary)(const struct tableview *tv, char *buf, size_t len);
};

extern const struct pane_impl alerts_pane;
extern const struct pane_impl queues_pane;
extern const struct pane_impl pools_pane;
extern const struct pane_impl deploys_pane;
extern const struct pane_impl silences_pane;

/*
 * Every pane, by model kind. The screen has four slots (1-4); the first shows
 * Alerts or, toggled, Silences.
 */
extern const struct pane_impl *const live_panes[MODEL_KINDS];

/* Count filtered rows (all members, when grouped) whose column col equals text. */
size_t pane_count_text(const struct tableview *tv, int col, const char *text);

/*
 * Panes that are not tables (the runbook pane) are a const table of callbacks
 * over their own state (DESIGN rule 3). The console owns the window, the
 * layout, the status line, dialogs and the terminal; it lends the last three
 * through struct pane_host, so a pane never draws outside its window, never
 * stacks its own modes and never writes to the tty.
 */
struct viewer;

/* An answer typed in the status-line prompt. */
typedef void (*pane_answer_cb)(void *self, const char *answer);
/* A dialog's outcome: confirmed, or cancelled (the default). */
typedef void (*pane_confirm_cb)(void *self, bool confirmed);

struct pane_host_ops {
    void (*message)(void *host, bool error, const char *text);
    /* Ask one line in the status line; cb runs on Enter only. false: busy with another mode. */
    bool (*prompt)(void *host, const char *label, const char *initial, bool secret,
                   pane_answer_cb cb);
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
    /* Show a long text (a drill's report) in the console's viewer; false: busy with another mode.
     */
    bool (*view)(void *host, const char *title, const char *text);
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

/*
 * Callbacks of a non-table pane; self is the pane's state.
 * - draw: werase and draw the whole window (the console refreshes it).
 * - key: a key while the pane has focus and no mode is open; false lets the
 *   console handle it (q, :, ?, Tab, digits, z).
 * - resize: the window's new size, before the next draw.
 * - update: called every frame; true when the pane must be redrawn.
 * - interrupt: Ctrl-C; true when the pane used it (the console must not quit).
 * - help: add the pane's key lines to the help viewer.
 * - free: release everything; NULL is never passed.
 */
struct pane_ops {
    const char *name;
    void (*draw)(void *self, WINDOW *win, bool focused);
    bool (*key)(void *self, wint_t ch, bool is_key);
    void (*resize)(void *self, int h, int w);
    bool (*update)(void *self, uint64_t now_ms);
    bool (*interrupt)(void *self);
    void (*help)(void *self, struct viewer *v);
    void (*free)(void *self);
};

#endif
