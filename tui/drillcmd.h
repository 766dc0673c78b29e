/*
 * The drill commands that run no drill themselves (drillcmd.c):
 * `opsdeck drill --from-run RUN-ID [FILE]` and the draw of
 * `opsdeck drill --wheel DIR [--seed N]` (docs/drills.md "Wheel of Misfortune").
 */
#ifndef OPSDECK_DRILLCMD_H
#define OPSDECK_DRILLCMD_H

/* argv as main() got it ("drill", "--from-run", ...). Exit status: 0, 1 (no such run), 2 usage. */
int drillcmd_from_run(int argc, char **argv);
/*
 * A drill file drawn from dir's *.md drills (sorted by name) with seed (NULL:
 * time and pid), said on stderr with the seed that repeats it. Caller frees;
 * NULL with *cause when dir holds no drill.
 */
char *drillcmd_wheel(const char *dir, const char *seed, char **cause);

#endif
