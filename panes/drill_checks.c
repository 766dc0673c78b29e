/*
 * The drill pane's checks block (dpane.h dpane_draw_checks): every check
 * (before, during, after, stop) with its state, and while a during or stop
 * check fails, the tolerance left before the automatic abort (the text is
 * engine/drillview_checks.c's, shared with line mode). When the rows given are
 * fewer than the checks (80x24), the ones that matter most get a row (failing,
 * then unknown, then the ones the clock runs) and the last row sums up the
 * rest, so no check is ever off screen.
 */
#include "dpane.h"

#include "../common/util.h"
#include "../engine/drillview.h"
#include "frame.h"

#include <stdio.h>
#include <stdlib.h>

/* Higher first: what a person must see of a check that does not get its own row. */
static int weight(const struct drillview *v, size_t i)
{
    struct check_status s;
    drillview_check_status(v, i, &s);
    const struct drill_check *c = &drillview_drill(v)->checks[i];
    bool periodic = c->when == DRILL_DURING || c->when == DRILL_STOP;
    return s.result == CHECK_FAILED ? 4 : s.result == CHECK_UNKNOWN ? 3 : periodic ? 2 : 1;
}

static unsigned tone(int result)
{
    return result == CHECK_FAILED    ? theme_attr(THEME_ERROR) | A_BOLD
           : result == CHECK_UNKNOWN ? theme_attr(THEME_WARN) | A_BOLD
           : result == CHECK_OK      ? theme_attr(THEME_OK)
                                     : theme_attr(THEME_MUTED);
}

static void put_check(const struct drillview *v, struct frame *f, size_t i)
{
    struct check_status s;
    drillview_check_status(v, i, &s);
    char *line = drillview_check_text(v, i);
    frame_put(f, line, tone(s.result));
    free(line);
}

/* "+2 more checks: before ok, after -" for the checks without a row of their own. */
static void put_rest(const struct drillview *v, struct frame *f, const bool *shown, size_t n)
{
    struct strbuf sb = {0};
    size_t count = 0;
    int worst = CHECK_OK;
    for (size_t i = 0; i < n; i++) {
        if (!shown[i]) {
            count++;
        }
    }
    strbuf_printf(&sb, "+%zu more check%s:", count, count == 1 ? "" : "s");
    for (size_t i = 0, k = 0; i < n; i++) {
        if (shown[i]) {
            continue;
        }
        struct check_status s;
        drillview_check_status(v, i, &s);
        strbuf_printf(&sb, "%s %s %s", k++ > 0 ? "," : "", s.when, s.state);
        if (s.result == CHECK_FAILED || (s.result == CHECK_UNKNOWN && worst != CHECK_FAILED)) {
            worst = s.result;
        }
    }
    frame_put(f, sb.s, tone(worst));
    free(sb.s);
}

void dpane_draw_checks(struct dpane *p, struct frame *f, int rows)
{
    const struct drillview *v = p->view;
    size_t n = drillview_drill(v)->nchecks;
    if (rows <= 0 || n == 0) {
        return;
    }
    if (n <= (size_t)rows) {
        for (size_t i = 0; i < n; i++) {
            put_check(v, f, i);
        }
        return;
    }
    /* the most important rows - 1 checks in drill order, then the rest summed up */
    bool *shown = xcalloc(n, sizeof *shown);
    size_t room = (size_t)rows - 1;
    for (int w = 4; w >= 1 && room > 0; w--) {
        for (size_t i = 0; i < n && room > 0; i++) {
            if (!shown[i] && weight(v, i) == w) {
                shown[i] = true;
                room--;
            }
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (shown[i]) {
            put_check(v, f, i);
        }
    }
    put_rest(v, f, shown, n);
    free(shown);
}
