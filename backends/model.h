/*
 * The models that backends fill and panes draw.
 *
 * Each pane kind (alerts, queues, pools, deploys) has a fixed column schema,
 * declared once below as an X-macro table. A backend publishes a rowset: an
 * immutable batch of rows for one kind, whose strings live in one arena and
 * whose cells are offsets into it, so 10,000 rows cost two allocations and no
 * per-cell mallocs. The store keeps, per kind, the latest rowset of each source
 * (backend) and a generation counter that panes compare to know when to redraw.
 *
 * A row has a key that is stable across refreshes and unique within its source
 * (e.g. "be_web/web2"); source + key identify a row for selection and actions.
 */
#ifndef OPSDECK_MODEL_H
#define OPSDECK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * MODEL_SILENCES and MODEL_SIGNALS are shown in the Alerts pane's place in
 * turn (v). MODEL_PROMQL holds the series of the ad-hoc :promql queries.
 * MODEL_HISTORY holds the alert transitions the console saw (engine/alertlog.h
 * publishes them as one rowset, source "history"; the History pane shows it).
 */
enum model_kind {
    MODEL_ALERTS,
    MODEL_QUEUES,
    MODEL_POOLS,
    MODEL_DEPLOYS,
    MODEL_SILENCES,
    MODEL_SIGNALS,
    MODEL_PROMQL,
    MODEL_HISTORY,
    MODEL_KINDS
};

/* How a cell is compared, aligned and formatted. */
enum cell_type {
    CELL_TEXT, /* left-aligned, compared as text */
    CELL_NUM,  /* right-aligned, compared by num */
    CELL_AGE,  /* num is a wall-clock time (s since epoch); drawn as an age */
    /*
     * A sparkline: text is the series, oldest first, as common/spark.h writes
     * it ("0.2 0.4 nan 1"); num is its last sample, which sorts it and which a
     * condition reads. Drawn as a sparkline as wide as the column.
     */
    CELL_SPARK,
};

/* State colouring of a row or a cell; the theme maps tones to colours. */
enum tone { TONE_NORMAL, TONE_OK, TONE_INFO, TONE_WARN, TONE_CRIT, TONE_MUTED };

/* A Deployment's ROLLOUT, in `kubectl rollout status` terms; every source uses these words. */
enum rollout { ROLLOUT_COMPLETE, ROLLOUT_PROGRESSING, ROLLOUT_FAILED, ROLLOUT_PAUSED };
const char *model_rollout_name(enum rollout r);
enum tone model_rollout_tone(enum rollout r);

/*
 * id, title, type, min width, max width, priority (higher drops first when
 * narrow), flags (enum column_flags)
 */
#define ALERT_COLUMNS(X)                                                                           \
    X(ALERT_SEV, "SEV", CELL_TEXT, 4, 8, 0, COL_SEVERITY)                                          \
    X(ALERT_NAME, "ALERT", CELL_TEXT, 8, 28, 0, 0)                                                 \
    X(ALERT_STATE, "STATE", CELL_TEXT, 6, 10, 0, 0)                                                \
    X(ALERT_AGE, "AGE", CELL_AGE, 4, 5, 1, 0)                                                      \
    X(ALERT_TARGET, "TARGET", CELL_TEXT, 8, 28, 2, 0)                                              \
    X(ALERT_SUMMARY, "SUMMARY", CELL_TEXT, 10, 60, 3, 0)                                           \
    X(ALERT_CONTEXT, "CONTEXT", CELL_TEXT, 7, 16, 1, COL_CONTEXT)                                  \
    X(ALERT_SOURCE, "SOURCE", CELL_TEXT, 6, 14, 5, 0)

#define QUEUE_COLUMNS(X)                                                                           \
    X(QUEUE_NAME, "QUEUE", CELL_TEXT, 8, 30, 0, 0)                                                 \
    X(QUEUE_VHOST, "VHOST", CELL_TEXT, 4, 10, 4, 0)                                                \
    X(QUEUE_TYPE, "TYPE", CELL_TEXT, 4, 8, 5, 0)                                                   \
    X(QUEUE_STATE, "STATE", CELL_TEXT, 4, 8, 3, 0)                                                 \
    X(QUEUE_MSGS, "MSGS", CELL_NUM, 4, 10, 0, 0)                                                   \
    X(QUEUE_READY, "READY", CELL_NUM, 5, 10, 1, 0)                                                 \
    X(QUEUE_UNACK, "UNACK", CELL_NUM, 5, 10, 2, 0)                                                 \
    X(QUEUE_CONSUMERS, "CONS", CELL_NUM, 4, 6, 1, 0)                                               \
    X(QUEUE_IN, "IN/s", CELL_NUM, 4, 8, 2, 0)                                                      \
    X(QUEUE_OUT, "OUT/s", CELL_NUM, 5, 8, 2, 0)                                                    \
    X(QUEUE_ACK, "ACK/s", CELL_NUM, 5, 8, 4, 0)                                                    \
    X(QUEUE_TREND, "TREND", CELL_TEXT, 5, 6, 1, 0)                                                 \
    X(QUEUE_DLQ, "DLQ", CELL_TEXT, 6, 24, 2, 0)                                                    \
    X(QUEUE_CONTEXT, "CONTEXT", CELL_TEXT, 7, 16, 1, COL_CONTEXT)                                  \
    X(QUEUE_SOURCE, "SOURCE", CELL_TEXT, 6, 14, 5, 0)

#define POOL_COLUMNS(X)                                                                            \
    X(POOL_NAME, "POOL", CELL_TEXT, 6, 20, 0, 0)                                                   \
    X(POOL_SERVER, "SERVER", CELL_TEXT, 6, 20, 0, 0)                                               \
    X(POOL_STATUS, "STATUS", CELL_TEXT, 6, 10, 0, 0)                                               \
    X(POOL_WEIGHT, "WGHT", CELL_NUM, 4, 5, 2, 0)                                                   \
    X(POOL_SESS, "SESS", CELL_NUM, 4, 7, 0, 0)                                                     \
    X(POOL_TOTAL, "TOTAL", CELL_NUM, 5, 10, 3, 0)                                                  \
    X(POOL_QUEUE, "QCUR", CELL_NUM, 4, 6, 2, 0)                                                    \
    X(POOL_CHECK, "CHECK", CELL_TEXT, 5, 10, 1, 0)                                                 \
    X(POOL_5XX, "5XX", CELL_NUM, 3, 8, 1, 0)                                                       \
    X(POOL_RT, "RT ms", CELL_NUM, 5, 7, 2, 0)                                                      \
    X(POOL_CONTEXT, "CONTEXT", CELL_TEXT, 7, 16, 1, COL_CONTEXT)                                   \
    X(POOL_SOURCE, "SOURCE", CELL_TEXT, 6, 14, 5, 0)

#define DEPLOY_COLUMNS(X)                                                                          \
    X(DEPLOY_NAMESPACE, "NAMESPACE", CELL_TEXT, 6, 16, 2, 0)                                       \
    X(DEPLOY_NAME, "DEPLOYMENT", CELL_TEXT, 8, 24, 0, 0)                                           \
    X(DEPLOY_READY, "READY", CELL_TEXT, 5, 7, 0, 0)                                                \
    X(DEPLOY_UPTODATE, "UP2D", CELL_NUM, 4, 5, 2, 0)                                               \
    X(DEPLOY_AVAILABLE, "AVAIL", CELL_NUM, 5, 5, 2, 0)                                             \
    X(DEPLOY_AGE, "AGE", CELL_AGE, 4, 5, 3, 0)                                                     \
    X(DEPLOY_STATE, "ROLLOUT", CELL_TEXT, 8, 12, 0, 0)                                             \
    X(DEPLOY_IMAGE, "IMAGE", CELL_TEXT, 8, 40, 4, COL_KEEP_TAIL)                                   \
    X(DEPLOY_CONTEXT, "CONTEXT", CELL_TEXT, 7, 16, 1, COL_CONTEXT)                                 \
    X(DEPLOY_SOURCE, "SOURCE", CELL_TEXT, 6, 14, 5, 0)

#define SILENCE_COLUMNS(X)                                                                         \
    X(SILENCE_ID, "SILENCE", CELL_TEXT, 8, 10, 3, 0)                                               \
    X(SILENCE_STATE, "STATE", CELL_TEXT, 6, 8, 0, 0)                                               \
    X(SILENCE_MATCHERS, "MATCHERS", CELL_TEXT, 16, 44, 0, 0)                                       \
    X(SILENCE_ENDS, "ENDS", CELL_TEXT, 6, 14, 1, 0)                                                \
    X(SILENCE_BY, "BY", CELL_TEXT, 6, 24, 2, 0)                                                    \
    X(SILENCE_COMMENT, "COMMENT", CELL_TEXT, 8, 40, 4, 0)                                          \
    X(SILENCE_CONTEXT, "CONTEXT", CELL_TEXT, 7, 16, 1, COL_CONTEXT)                                \
    X(SILENCE_SOURCE, "SOURCE", CELL_TEXT, 6, 14, 5, 0)

/*
 * One row per service: the four golden signals, the objective, the error
 * budget left over the objective's window, the burn-rate lights of the SRE
 * workbook's four multi-window pairs (backends/slo.h) and the error ratio
 * over the last hour. TRAFFIC is req/s, ERR% a percentage, P50/P99 ms,
 * SAT a percentage (0-100), SLO the objective in percent (99.9), BUDGET the
 * budget left in percent (negative: overspent); BURN's text is the lights
 * (slo_lights_text) and its num the 1h burn rate, which sorts it and `burn` reads.
 */
#define SIGNAL_COLUMNS(X)                                                                          \
    X(SIGNAL_SERVICE, "SERVICE", CELL_TEXT, 7, 22, 0, 0)                                           \
    X(SIGNAL_TRAFFIC, "REQ/s", CELL_NUM, 5, 8, 1, 0)                                               \
    X(SIGNAL_ERRORS, "ERR%", CELL_NUM, 5, 7, 0, 0)                                                 \
    X(SIGNAL_P50, "P50ms", CELL_NUM, 5, 7, 3, 0)                                                   \
    X(SIGNAL_P99, "P99ms", CELL_NUM, 5, 7, 1, 0)                                                   \
    X(SIGNAL_SATURATION, "SAT%", CELL_NUM, 4, 6, 2, 0)                                             \
    X(SIGNAL_OBJECTIVE, "SLO", CELL_NUM, 5, 7, 3, 0)                                               \
    X(SIGNAL_BUDGET, "BUDGET", CELL_NUM, 6, 8, 0, 0)                                               \
    X(SIGNAL_BURN, "BURN", CELL_TEXT, 4, 11, 0, 0)                                                 \
    X(SIGNAL_TREND, "ERRORS 1h", CELL_SPARK, 6, 30, 1, 0)                                          \
    X(SIGNAL_CONTEXT, "CONTEXT", CELL_TEXT, 7, 16, 1, COL_CONTEXT)                                 \
    X(SIGNAL_SOURCE, "SOURCE", CELL_TEXT, 6, 14, 5, 0)

/* One row per series of an ad-hoc query (:promql): its labels, value and last hour. */
#define PROMQL_COLUMNS(X)                                                                          \
    X(PROMQL_SERIES, "SERIES", CELL_TEXT, 10, 80, 0, COL_KEEP_TAIL)                                \
    X(PROMQL_VALUE, "VALUE", CELL_NUM, 10, 12, 0, 0)                                               \
    X(PROMQL_TREND, "LAST 1h", CELL_SPARK, 6, 30, 1, 0)                                            \
    X(PROMQL_CONTEXT, "CONTEXT", CELL_TEXT, 7, 16, 1, COL_CONTEXT)                                 \
    X(PROMQL_SOURCE, "SOURCE", CELL_TEXT, 6, 14, 5, 0)

/*
 * One row per alert transition seen (engine/alertlog.h), newest first: TIME
 * is the wall clock of the transition shown HH:MM:SS (local) whose num is the
 * wall time in seconds (it sorts across days); EVENT fired, resolved,
 * silenced, unsilenced (a silenced alert firing again), inhibited, pending;
 * FROM the state before; SOURCE the alert's backend.
 */
#define HISTORY_COLUMNS(X)                                                                         \
    X(HISTORY_TIME, "TIME", CELL_NUM, 8, 8, 0, 0)                                                  \
    X(HISTORY_EVENT, "EVENT", CELL_TEXT, 5, 10, 0, 0)                                              \
    X(HISTORY_ALERT, "ALERT", CELL_TEXT, 8, 28, 0, 0)                                              \
    X(HISTORY_SEV, "SEV", CELL_TEXT, 4, 8, 1, COL_SEVERITY)                                        \
    X(HISTORY_TARGET, "TARGET", CELL_TEXT, 8, 28, 2, 0)                                            \
    X(HISTORY_FROM, "FROM", CELL_TEXT, 4, 10, 3, 0)                                                \
    X(HISTORY_SOURCE, "SOURCE", CELL_TEXT, 6, 14, 4, 0)

#define X_ENUM(id, title, type, minw, maxw, prio, flags) id,
enum alert_column { ALERT_COLUMNS(X_ENUM) ALERT_NCOLS };
enum queue_column { QUEUE_COLUMNS(X_ENUM) QUEUE_NCOLS };
enum pool_column { POOL_COLUMNS(X_ENUM) POOL_NCOLS };
enum deploy_column { DEPLOY_COLUMNS(X_ENUM) DEPLOY_NCOLS };
enum silence_column { SILENCE_COLUMNS(X_ENUM) SILENCE_NCOLS };
enum signal_column { SIGNAL_COLUMNS(X_ENUM) SIGNAL_NCOLS };
enum promql_column { PROMQL_COLUMNS(X_ENUM) PROMQL_NCOLS };
enum history_column { HISTORY_COLUMNS(X_ENUM) HISTORY_NCOLS };
#undef X_ENUM

enum column_flags {
    COL_KEEP_TAIL = 1u << 0, /* when cut, keep the end (an image tag, a path) */
    COL_SEVERITY = 1u << 1,  /* sorts by model_severity_rank(), not alphabetically */
    /*
     * The row's context (backend_stamp fills it; every schema has one, just
     * before SOURCE). A table does not draw it while at most one context is shown.
     */
    COL_CONTEXT = 1u << 2,
};

/*
 * How severe a severity word is: critical (crit, fatal, page, emergency) 4 >
 * error (err, high, major) 3 > warning (warn, medium, minor) 2 > info
 * (informational, low, notice) 1 > anything else, none included, 0.
 */
int model_severity_rank(const char *severity);

struct column_def {
    const char *title;
    enum cell_type type;
    int min_width;
    int max_width;
    int priority;
    unsigned flags;
};

/* The schema of one kind; the name is the pane's ("alerts", "queues", ...). */
struct model_schema {
    const char *name;
    const char *title;
    const struct column_def *cols;
    int ncols;
};

const struct model_schema *model_schema(enum model_kind kind);
/* Kind by pane name ("alerts", "queues", "pools", "deploys"); false if unknown. */
bool model_kind_from_name(const char *name, enum model_kind *out);
/* Column index by title, case-insensitive ("ready", "status"); -1 if unknown. */
int model_column_by_title(enum model_kind kind, const char *title);
/* The kind's CONTEXT column (flag COL_CONTEXT); -1 if it has none. */
int model_context_column(enum model_kind kind);

/*
 * 12 bytes, not 16: a 100,000-row table holds 1.4 million cells. Packed to
 * 4-byte alignment (num may sit at an address 4 mod 8, which the compiler
 * reads correctly through the struct: take no pointer to num), and the text
 * offset shares its word with the tone.
 */
struct cell {
    double num;
    uint32_t text : 29; /* offset into the rowset's string arena (MODEL_ARENA_MAX) */
    uint32_t tone : 3;  /* enum tone */
} __attribute__((packed, aligned(4)));

/* The most string bytes a rowset holds (cell offsets have 29 bits). */
#define MODEL_ARENA_MAX ((size_t)1 << 29)

struct row {
    uint32_t key;        /* offset: stable identity within the source */
    uint32_t detail;     /* offset: "key\tvalue\n" lines for the detail view */
    uint32_t first_cell; /* index into the rowset's cells */
    uint8_t tone;        /* enum tone of the whole row */
};

/* An immutable batch of rows of one kind from one source, once published. */
struct rowset {
    enum model_kind kind;
    int ncols;
    char *source;
    char *context; /* the source's context (backend_stamp); NULL: "default" */
    char *strings;
    size_t slen, scap;
    struct cell *cells;
    size_t ncells, ccap;
    struct row *rows;
    size_t nrows, rcap;
    /* building state */
    char *detail;
    size_t dlen, dcap;
    bool open;
    struct rowset_index *index; /* private to model.c: interned strings, keys of a patched set */
};

struct rowset *rowset_create(enum model_kind kind, const char *source);
void rowset_destroy(struct rowset *rs);
/* Make room for nrows rows (and about bytes_per_row of text each) up front. */
void rowset_reserve(struct rowset *rs, size_t nrows, size_t bytes_per_row);
/*
 * The size of a set (rows, text, short strings interned), to make the next
 * one of a like answer at once with rowset_reserve_as: a 50,000-row storm
 * then never grows its text or rehashes its interned strings while its rows
 * are made (a rehash is one stall of every string so far, between two keys).
 */
struct rowset_size {
    size_t nrows, slen, interned;
};
struct rowset_size rowset_size(const struct rowset *rs);
void rowset_reserve_as(struct rowset *rs, struct rowset_size size);
/* Start a row; all cells empty, tone normal. Ends the previous row if open. */
void rowset_begin(struct rowset *rs, const char *key);
void rowset_text(struct rowset *rs, int col, const char *text);
void rowset_textf(struct rowset *rs, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A numeric cell: text is the number formatted compactly (integers without ".0"). */
void rowset_num(struct rowset *rs, int col, double value);
/* A cell with both a shown text and a sort value. */
void rowset_cell(struct rowset *rs, int col, const char *text, double num);
void rowset_cell_tone(struct rowset *rs, int col, enum tone tone);
void rowset_row_tone(struct rowset *rs, enum tone tone);
void rowset_detail(struct rowset *rs, const char *key, const char *value);
/* A detail line only when value is not NULL and not empty. */
void rowset_detail_nonempty(struct rowset *rs, const char *key, const char *value);
void rowset_detailf(struct rowset *rs, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rowset_end(struct rowset *rs);
/*
 * Start a row in dst that is a copy of src's row: key, cells (text, number,
 * tone), row tone and detail lines. Cells and details can be added after, as
 * to any row (a merge relabels SOURCE and says which members have it).
 */
void rowset_copy_row(struct rowset *dst, const struct rowset *src, size_t row);
/* Every row's cell col is text (one copy in the arena); ends the open row. */
void rowset_fill(struct rowset *rs, int col, const char *text);

/* A row key not seen before in this batch: key itself, else key~2, key~3... */
struct model_keys {
    uint64_t *slots; /* 64-bit hashes of the keys; 0 marks an empty slot */
    size_t cap, n;
};

/* Caller frees the result. */
char *model_keys_unique(struct model_keys *ks, const char *key);
void model_keys_free(struct model_keys *ks);

/*
 * A silence row's STATE and ENDS cells and its tone, shared by every source of
 * silences: state is Alertmanager's ("active", "pending", "expired"); ENDS reads
 * "in 1h", "starts in 5m" or "ended 3m ago" and sorts by ends (wall seconds).
 */
void rowset_silence_state(struct rowset *rs, const char *state, int64_t starts, int64_t ends,
                          int64_t now);

/* Read access. */
const char *rowset_str(const struct rowset *rs, uint32_t off);
const struct cell *rowset_cells(const struct rowset *rs, size_t row);
const char *rowset_key(const struct rowset *rs, size_t row);
const char *rowset_cell_text(const struct rowset *rs, size_t row, int col);
double rowset_cell_num(const struct rowset *rs, size_t row, int col);

/* Format a number the way tables show it: 12, 1.5, 12.3k, 4.1M. buf >= 16. */
void model_format_num(char *buf, size_t len, double v);

/* Per-kind collection of the latest rowset of each source. */
struct store;

struct store *store_create(void);
void store_destroy(struct store *st);
/* Replace the rowset of rs->source for rs->kind; the store takes ownership. */
void store_publish(struct store *st, struct rowset *rs);
/*
 * Update the rowset of rs->source for rs->kind in place with the rows of rs,
 * which holds only the rows that changed since that source's last publish or
 * patch: each replaces the row of the same key (cells, tone and detail), a
 * key not there yet is appended. Rows not in rs stay as they are, so a
 * backend whose 100,000 rows change a few at a time republishes only those.
 * Without a rowset of that source yet, rs is published whole. Takes rs.
 */
void store_patch(struct store *st, struct rowset *rs);
/* Drop a source's rows of one kind (backend removed). */
void store_forget(struct store *st, enum model_kind kind, const char *source);
uint64_t store_generation(const struct store *st, enum model_kind kind);
size_t store_nsets(const struct store *st, enum model_kind kind);
const struct rowset *store_set(const struct store *st, enum model_kind kind, size_t i);
size_t store_nrows(const struct store *st, enum model_kind kind);
/* A row a patch changed (or appended) at a generation. */
struct store_change {
    const struct rowset *rs;
    uint32_t row;
    uint64_t generation;
};
/*
 * The rows patched after generation since, oldest first (a row may appear more
 * than once): true when those are all that changed, so a view built at since
 * can update just them; false when it must rebuild (a whole publish, a
 * forget, or changes older than the store remembers).
 */
bool store_changes(const struct store *st, enum model_kind kind, uint64_t since,
                   const struct store_change **out, size_t *n);
/*
 * Rows of backend `name` are published under `source` (the cluster it is a
 * member of: backends/cluster.h), so looking up `name` finds them.
 */
void store_alias(struct store *st, const char *name, const char *source);
/* Find a row by source (or a name aliased to it) and key; false when gone. */
bool store_find(const struct store *st, enum model_kind kind, const char *source, const char *key,
                const struct rowset **rs, size_t *row);

#endif
