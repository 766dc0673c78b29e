/*
 * Live pane conditions: "queues orders.dlq ready < 10" (docs/runbooks.md,
 * `wait` steps; drills use them for checks). Parsed once, evaluated against
 * the model store whenever asked; no I/O.
 *
 * A condition has three outcomes (DESIGN rule 7): met, not met, and unknown
 * when the console does not have the data to say: a backend feeding the pane
 * has not answered since the step began, or its last poll failed, or its data
 * is stale. "No such row" counts only when every backend of the pane answered
 * afresh; a row from a backend that is failing or stale says nothing either.
 */
#ifndef OPSDECK_COND_H
#define OPSDECK_COND_H

#include "../backends/model.h"

struct vars;

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct backend;

enum cond_op { COND_LT, COND_LE, COND_GT, COND_GE, COND_EQ, COND_NE };

enum cond_result { COND_MET, COND_NOT_MET, COND_UNKNOWN };

/* What a condition is evaluated over: the store and where its rows come from. */
struct cond_env {
    const struct store *store; /* NULL: no live data (unknown) */
    struct backend *const *backends;
    size_t nbackends;
    uint64_t since_ms; /* loop time the step began: older answers do not count (0: any) */
    uint64_t now_ms;   /* loop time now */
};

struct cond {
    enum model_kind kind;
    char *row; /* a row key or a row's name */
    int col;
    enum cond_op op;
    char *value;
    double num; /* value as a number, when is_num */
    bool is_num;
};

/* Parse "PANE ROW COLUMN OP VALUE"; false with *cause ("unknown column 'x' in queues"). */
bool cond_parse(struct cond *c, const char *text, char **cause);
/*
 * The same for a condition written with ${variables}: the text is split into
 * its fields first, then each of ROW and VALUE is substituted on its own, so
 * a value ("web1 status != x") never changes what the condition says. A
 * variable anywhere else is refused; an unset one is "unset variable NAME".
 */
bool cond_parse_vars(struct cond *c, const char *text, const struct vars *v, char **cause);
void cond_free(struct cond *c);
/*
 * For lint: does a condition that may still hold ${variables} parse, each
 * variable standing for a value? false with *cause.
 */
bool cond_check(const char *text, char **cause);

/*
 * Does it hold now? *why (caller frees, may be NULL) says what was seen:
 * "orders.dlq READY is 42 (want < 10)", "no row web2 in pools", or for
 * COND_UNKNOWN why it cannot be said: "alerts: am has not answered since
 * 14:02:11 UTC". A row that fails on fresh data is COND_NOT_MET even while
 * another backend of the pane is unknown: every row must hold.
 */
enum cond_result cond_eval(const struct cond *c, const struct cond_env *env, char **why);
/* "met", "not met", "unknown". */
const char *cond_result_name(enum cond_result r);

#endif
