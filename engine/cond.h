/*
 * Live pane conditions: "queues orders.dlq ready < 10" (docs/runbooks.md,
 * `wait` steps; drills use them for checks). Parsed once, evaluated against
 * the model store whenever asked; no I/O.
 */
#ifndef OPSDECK_COND_H
#define OPSDECK_COND_H

#include "../backends/model.h"

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
