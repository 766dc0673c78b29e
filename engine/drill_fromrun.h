/*
 * `opsdeck drill --from-run RUN-ID`: a past incident (a runbook run) as a
 * tabletop drill file in Markdown (docs/drills.md "Wheel of Misfortune").
 * Each journaled step, note, action and command, and each alert seen firing
 * during the run, is an inject at its offset from the run's start;
 * expectations are left as commented TODO lines for the facilitator. The
 * result lints clean. No curses.
 */
#ifndef OPSDECK_DRILL_FROMRUN_H
#define OPSDECK_DRILL_FROMRUN_H

/* The drill's Markdown (caller frees); NULL with *cause (no such run, a drill, unreadable). */
char *drill_from_run(const char *runs_dir, const char *id, char **cause);

#endif
