/*
 * Inside the runbook parser (engine only; runbook.h is the interface): the
 * Markdown form and the end both forms share are runbook.c, the JSON form is
 * runbook_json.c, lint is runbook_lint.c.
 */
#ifndef OPSDECK_RBPARSE_H
#define OPSDECK_RBPARSE_H

#include "mdoc.h"
#include "runbook.h"
#include "strmap.h"

/* A runbook is read by a person at 3 a.m.: more steps than this is a mistake, not a runbook. */
enum { RUNBOOK_MAX_BYTES = 4 << 20, RUNBOOK_MAX_STEPS = 5000 };

struct parse {
    struct mdoc *m;
    struct runbook *rb;
    bool json; /* the JSON form: its intro is its own, no heading is an overview */
};

/* Add a problem at line (takes message). */
void runbook_add_issue(struct runbook *rb, int line, char *message);
/* The JSON form into p->m's nodes; false with *cause when it is not a runbook at all. */
bool runbook_parse_json(struct parse *p, char **cause);

#endif
