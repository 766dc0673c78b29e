/*
 * The safety lever's commands (guardcmd.c): `opsdeck drill --stop-all
 * [REASON]` and `opsdeck drill --release-lever`. The audit log must be set
 * up (action_setup) first. Each returns the exit status.
 */
#ifndef OPSDECK_GUARDCMD_H
#define OPSDECK_GUARDCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct backend;
struct loop;
struct store;

/*
 * Give live drills a dead-man guard: this binary (as $OPSDECK, which main
 * sets), reading config (NULL: none); not when every backend is the demo
 * (its simulation dies with this process).
 */
void guardcmd_setup(struct backend **backends, size_t n, const char *config);

struct guardcmd {
    struct loop *loop; /* the guard: the backends, built and started */
    struct store *store;
    struct backend **backends;
    size_t nbackends;
    const char *spec;  /* drill --guard SPEC, or NULL: the lever */
    const char *error; /* why the guard cannot run (said to its owner); the lever: refused */
    bool stop_all;     /* the lever: --stop-all, else --release-lever */
    const char *reason;
};
/* `drill --guard`, `--stop-all`, `--release-lever`; the exit status. */
int guardcmd_main(const struct guardcmd *g, FILE *out);
int guardcmd_stop_all(const char *reason, FILE *out);
int guardcmd_release(FILE *out);

#endif
