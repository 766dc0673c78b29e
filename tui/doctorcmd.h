/*
 * `opsdeck doctor [-c FILE] [--backend NAME]... [--timeout DUR] [--json]`:
 * check a config against the real systems before the night it is needed.
 *
 * The driver (this module) takes the backends main.c configured (not yet
 * started) and, on the one loop, all in parallel: starts each (a start
 * failure is a FAIL line), lets its first poll answer ("answered in 12 ms:
 * 3 alerts"; the poll timer is cancelled after it: one poll, no more), then
 * runs the type's impl->doctor (backends/doctor.h) for version,
 * authentication and whether actions can work. Each backend is bounded: its
 * timeout x2 + 1 s (or --timeout), after which it says "no answer within N s"
 * and its checks are cancelled; a hanging server holds nothing else.
 *
 * Then the local checks (state directory writable, audit log openable, secret
 * files' and the config's permissions, runbook and share directories) and the
 * terminal's (TERM in terminfo, colours, UTF-8 locale, size). One line per
 * check, "  ok    ...", "  info  ...", "  WARN  ...", "  FAIL  ..." (colour
 * only on a terminal and without NO_COLOR), and a last line of counts.
 *
 * Exit status: 0 no FAIL, 1 some FAIL (a config error is main.c's: 2).
 */
#ifndef OPSDECK_DOCTORCMD_H
#define OPSDECK_DOCTORCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct backend;
struct config;
struct loop;

struct doctorcmd {
    struct loop *loop;
    struct backend **backends; /* configured, not started: the driver starts them */
    size_t nbackends;
    const struct config *cfg; /* NULL: no config file (the demo runs) */
    const char *const *only;  /* --backend NAME...: only these backends or clusters (NULL: all) */
    size_t nonly;
    int64_t timeout_ms; /* --timeout: the bound per backend; 0: its timeout x2 + 1 s */
    bool json;          /* one JSON document instead of the lines */
    bool read_only;     /* -r, or read_only in the config: every action is off */
};

/*
 * Run every check and print. Returns the exit status: 0, 1 when a check
 * failed, 2 when --backend names a backend the config lacks.
 */
int doctorcmd_main(const struct doctorcmd *dc, FILE *out);

#endif
