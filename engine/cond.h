/*
 * Live pane conditions: "queues orders.dlq ready < 10" (docs/runbooks.md,
 * `wait` steps; drills use them for checks). Parsed once, evaluated against
 * the model store whenever asked; no I/O.
 */
#ifndef OPSDECK_COND_H
#define OPSDECK_COND_H

#include "../backends/model.h"

struct vars;

#include <stdbool.h>
#include <stddef.h>

enum cond_op { COND_LT, COND_LE, COND_GT, COND_GE, COND_EQ, COND_NE };

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
 * "orders.dlq READY is 42 (want < 10)", "no row web2 in pools".
 */
bool cond_eval(const struct cond *c, const struct store *st, char **why);

#endif
