/*
 * Themes: data, loaded at run time (DESIGN rule 8).
 *
 * A theme file is INI with one [theme] section (optional "name", "inherits")
 * and one line per role:
 *   crit = bright-red default bold
 * fg and bg are a colour name (default, black, red, green, yellow, blue,
 * magenta, cyan, white, bright-black ... bright-white) or colorN (0-255);
 * attributes are any of bold, dim, underline, reverse, italic, standout.
 * Colours are mapped down to the terminal's tier (256, 16, 8, none); with no
 * colour (or NO_COLOR) each role falls back to attributes that keep the screen
 * readable (selection reversed, critical bold, ...).
 */
#ifndef OPSDECK_THEME_H
#define OPSDECK_THEME_H

#include <stdbool.h>

#define THEME_ROLES(X)                                                                             \
    X(THEME_NORMAL, "normal")                                                                      \
    X(THEME_HEADER, "header")                                                                      \
    X(THEME_SELECTED, "selected")                                                                  \
    X(THEME_BORDER, "border")                                                                      \
    X(THEME_BORDER_FOCUS, "border_focus")                                                          \
    X(THEME_TITLE, "title")                                                                        \
    X(THEME_STATUS, "status")                                                                      \
    X(THEME_OK, "ok")                                                                              \
    X(THEME_INFO, "info")                                                                          \
    X(THEME_WARN, "warn")                                                                          \
    X(THEME_CRIT, "crit")                                                                          \
    X(THEME_MUTED, "muted")                                                                        \
    X(THEME_DEMO, "demo")                                                                          \
    X(THEME_DIALOG, "dialog")                                                                      \
    X(THEME_KEY, "key")                                                                            \
    X(THEME_ERROR, "error")

#define X_ENUM(id, name) id,
enum theme_role { THEME_ROLES(X_ENUM) THEME_NROLES };
#undef X_ENUM

/* Colour tiers, from what the terminal reports and NO_COLOR. */
enum theme_tier { THEME_TIER_NONE, THEME_TIER_8, THEME_TIER_16, THEME_TIER_256 };

struct theme_style {
    short fg; /* -1 = terminal default, 0-255 */
    short bg;
    unsigned attrs; /* curses A_* bits */
    bool set;       /* given by the file (or inherited) */
};

struct theme {
    char name[64];
    struct theme_style styles[THEME_NROLES];
};

/* The built-in default (dark), identical to themes/dark.theme. */
void theme_builtin(struct theme *t);
/* Parse theme text over *t (so a file may set only some roles). name for messages. */
bool theme_parse(struct theme *t, const char *name, const char *text, char **cause);
/*
 * Load NAME: search NAME.theme in each directory of dirs (NULL-terminated),
 * first match wins; "dark" falls back to the built-in. Errors name file:line.
 */
bool theme_load(struct theme *t, const char *name, const char *const *dirs, char **cause);
/* Names of the themes found in dirs (plus "dark"), sorted, NULL-terminated; caller frees. */
char **theme_list(const char *const *dirs);
void theme_list_free(char **names);

/* Install the theme in curses for the tier (init_pair); call after start_color(). */
void theme_apply(const struct theme *t, enum theme_tier tier);
/* The curses attribute (colour pair + attrs) of a role, after theme_apply(). */
unsigned theme_attr(enum theme_role role);
/*
 * Detect the tier: NO_COLOR set or no colours -> none; COLORS >= 256, >= 16, >= 8.
 * Only meaningful after initscr()/newterm() and start_color(): before that
 * curses knows no terminal and this says none.
 */
enum theme_tier theme_detect_tier(void);
/*
 * Map colour c (-1 default, 0-255) down to what the tier can show: the nearest
 * of the 16 basic colours for 16, bright-X as X for 8 (adding A_BOLD to *attrs
 * when attrs is not NULL: pass it for foregrounds only), -1 for none.
 */
short theme_map_color(short c, enum theme_tier tier, unsigned *attrs);
const char *theme_role_name(enum theme_role role);

#endif
