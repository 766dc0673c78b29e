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
/* mkdir -p with mode for every created component; false with *cause. */
bool paths_mkdir_p(const char *path, int mode, char **cause);

#endif
