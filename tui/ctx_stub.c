/*
 * A throw-away stand-in for part A's tui/ctx.c (issue 17): there is one
 * context, "all". The merge drops this file.
 */
#include "ctx.h"

#include "../common/util.h"

#include <string.h>

bool ctx_select(struct ui *ui, const char *spec, char **cause)
{
    (void)ui;
    if (strcmp(spec, "all") == 0) {
        return true;
    }
    *cause = xasprintf("no context '%s' (this build knows only 'all')", spec);
    return false;
}

char *ctx_spec(const struct ui *ui)
{
    (void)ui;
    return xstrdup("all");
}
