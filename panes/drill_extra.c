/*
 * The drill pane's share of hidden information and branches
 * (engine/drill_extra.h): an inject's text drawn with its attachments (code
 * blocks line for line, never reflowed: a log excerpt stays a log excerpt),
 * then what only the facilitator sees (hidden text, a drawn offset, the
 * choice and what was picked), and the prompt that picks a choice's option.
 * A participant's drill never holds the hidden fields (drill_public.c), so
 * what is drawn here is whatever the pane's drill document carries.
 */
#include "dpane.h"

#include "../common/util.h"
#include "../engine/drill_extra.h"
#include "../tui/theme.h"
#include "frame.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

/* Prose flows (Markdown), fenced code is drawn as written, broken only at the width. */
static void put_segment(struct frame *f, const char *s, size_t n, bool code, unsigned attr)
{
    char *text = xstrndup(s, n);
    if (code) {
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line != NULL && f->y < f->bottom;
             line = strtok_r(NULL, "\n", &save)) {
            frame_put_hard(f, line, theme_attr(THEME_INFO), 2);
        }
    } else if (text[0] == '|' || strstr(text, "\n|") != NULL) {
        frame_put_text(f, text, attr, "-*"); /* a Markdown table: in aligned columns */
    } else if (text[strspn(text, " \n")] != '\0') {
        char *flowed = frame_reflow(text, "-*|");
        frame_put_wrapped(f, flowed, attr, f->bottom - f->y, true);
        free(flowed);
    }
    free(text);
}

void drill_text_put(struct frame *f, const char *text, unsigned attr, int max)
{
    int bottom = f->bottom;
    if (f->collect == NULL && f->y + max < f->bottom) {
        f->bottom = f->y + max;
    }
    bool code = false;
    const char *s = text != NULL ? text : "";
    const char *seg = s;
    while (*s != '\0' && (f->collect != NULL || f->y < f->bottom)) {
        size_t n = strcspn(s, "\n");
        if (n >= 3 && strncmp(s, "```", 3) == 0) {
            put_segment(f, seg, (size_t)(s - seg), code, attr);
            code = !code;
            seg = s + n + (s[n] == '\n');
        }
        s += n + (s[n] == '\n');
    }
    put_segment(f, seg, strlen(seg), code, attr);
    f->bottom = bottom;
}

void dpane_inject_text(struct dpane *p, struct frame *f, const struct drill_inject *in, int room)
{
    (void)p;
    char *extra = drill_extra_facilitator_lines(in);
    int lines = 0;
    for (const char *c = extra; c != NULL && *c != '\0'; c++) {
        lines += *c == '\n';
    }
    lines += extra != NULL;
    int text_room = room - lines;
    if (in->text != NULL && text_room > 0) {
        drill_text_put(f, in->text, theme_attr(THEME_NORMAL), text_room);
    }
    if (extra != NULL && room > 0) {
        frame_put_wrapped(f, extra, theme_attr(THEME_WARN), lines < room ? lines : room, true);
    }
    free(extra);
}

static void on_choice(void *self, const char *answer)
{
    struct dpane *p = self;
    const struct drill *d = drillview_drill(p->view);
    if (answer[0] == '\0' || p->sel >= d->ninjects) {
        return;
    }
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "cmd", "choose");
    cJSON_AddStringToObject(a, "inject", d->injects[p->sel].id);
    cJSON_AddStringToObject(a, "option", answer);
    dpane_do(p, SOP_DRILL, a);
}

void dpane_ask_choice(struct dpane *p)
{
    const struct drill *d = drillview_drill(p->view);
    const struct drill_inject *in = p->sel < d->ninjects ? &d->injects[p->sel] : NULL;
    if (in == NULL || in->nchoices == 0) {
        pane_say(&p->host, true, "the selected inject has no choice");
        return;
    }
    struct strbuf sb = {0};
    strbuf_str(&sb, "Choose (");
    for (size_t c = 0; c < in->nchoices; c++) {
        strbuf_printf(&sb, "%s%zu %s", c > 0 ? ", " : "", c + 1, in->choices[c].option);
    }
    strbuf_str(&sb, "): ");
    p->host.ops->prompt(p->host.host, sb.s, "", false, on_choice);
    free(sb.s);
}
