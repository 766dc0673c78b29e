/*
 * The runbook of an alert (docs/runbooks.md, "Finding the runbook of an
 * alert") and the variables a runbook gets from it.
 *
 * An alert is read from its detail lines ("key\tvalue\n", as backends publish
 * them): `label.NAME` lines are its labels (Alertmanager and the demo both
 * publish them so), `annotation.runbook_url` (Alertmanager) or `runbook_url`
 * (the demo) its runbook link. No curses; only stat() and getenv().
 */
#ifndef OPSDECK_LOCATE_H
#define OPSDECK_LOCATE_H

#include "config.h"
#include "vars.h"

#include <stddef.h>

/*
 * The runbook directories, in lookup order: [runbooks] path (`~` expanded;
 * default $XDG_CONFIG_HOME/opsdeck/runbooks), then the shipped examples (the
 * source tree's, then the installed ones). cfg may be NULL. Returns a
 * NULL-terminated list the caller frees with locate_dirs_free(); *n (may be
 * NULL) gets the count.
 */
char **locate_dirs(const struct config *cfg, size_t *n);
void locate_dirs_free(char **dirs);

/*
 * The file to open for this alert: the config's alert.NAME mapping, else the
 * runbook_url (a local path, a file:// URL, or the last path segment of any
 * other URL looked up in the directories), else NAME.md in the directories.
 * alertname may be NULL: the detail's label.alertname is used. Returns a path
 * (the caller's), or NULL with *cause saying what was tried and how to fix it.
 */
char *locate_runbook(const struct config *cfg, const char *alertname, const char *detail,
                     char **cause);

/*
 * Every label.NAME of the detail as the variable NAME (names vars.h refuses
 * are skipped), and alertname from the argument when the labels have none.
 * Returns how many were set.
 */
size_t locate_alert_vars(const char *detail, const char *alertname, struct vars *v);

/* `~` or `~/...` with the home directory; anything else copied. Caller frees. */
char *locate_expand_home(const char *path);

#endif
