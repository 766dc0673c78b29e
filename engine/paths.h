/*
 * Where opsdeck keeps things (XDG base directories). Returned strings are the
 * caller's.
 */
#ifndef OPSDECK_PATHS_H
#define OPSDECK_PATHS_H

#include <stdbool.h>

/* $XDG_STATE_HOME/opsdeck, else ~/.local/state/opsdeck. */
char *paths_state_dir(void);
/* $XDG_CONFIG_HOME/opsdeck, else ~/.config/opsdeck. */
char *paths_config_dir(void);
/*
 * mkdir -p with mode for every created component; false with *cause. A
 * component made inside a setgid directory (an on-call group's shared
 * directory, docs/war-room.md) gets 2770 instead: the group works in it.
 */
bool paths_mkdir_p(const char *path, int mode, char **cause);

/* A file fd (at path) we own in a setgid directory becomes 0660: the group may take a run over. */
void paths_share_mode(int fd, const char *path);

/*
 * Replace path with text whole: written to path.tmp (mode, e.g. 0600),
 * then renamed over it, so a kill leaves the old file or the new one; its
 * directory is made first (0700) when missing. false with *cause (may be
 * NULL) naming the file and the error.
 */
bool paths_write_whole(const char *path, const char *text, int mode, char **cause);

#endif
