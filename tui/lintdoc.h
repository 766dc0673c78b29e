/*
 * `opsdeck lint FILE` for a Markdown or JSON document: a runbook, or a drill
 * when the file is one (drill_detect). Exit status: 0 clean, 2 with an error
 * (or a warning under strict), as for a config.
 */
#ifndef OPSDECK_LINTDOC_H
#define OPSDECK_LINTDOC_H

#include <stdbool.h>

int lintdoc_run(const char *file, bool strict);

#endif
