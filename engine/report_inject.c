/*
 * The drill report's "Injects" and "Facilitator notes" sections
 * (report_md.h): what each fired inject told the room, from its inject.fire
 * line (text with its attachments: code blocks stay code, indented, never
 * reflowed; images are their path or URL), what only the facilitator knew
 * (hidden text), the offsets drawn for `at: T+A..B`, the choices picked,
 * and the notes of run.start. The report is the facilitator's document:
 * drill_public.c never passes these fields to a participant.
 */
#include "report_md.h"

#include "../common/util.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_text(struct strbuf *out, const char *text)
{
    bool code = false;
    const char *p = text;
    strbuf_str(out, "\n");
    while (*p != '\0') {
        size_t n = strcspn(p, "\n");
        if (n >= 3 && strncmp(p, "```", 3) == 0) {
            code = !code;
        } else if (code) {
            md_block_line(out, p, n);
        } else if (n > 0) {
            char *line = xstrndup(p, n);
            strbuf_str(out, "  ");
            md_inline(out, line);
            strbuf_str(out, "\n");
            free(line);
        } else {
            strbuf_str(out, "\n");
        }
        p += n + (p[n] == '\n');
    }
}

static void t_plus(char buf[32], double ms)
{
    long long s = ms > 0 ? (long long)(ms / 1000) : 0;
    snprintf(buf, 32, "T+%02lld:%02lld", s / 60, s % 60);
}

bool report_drill_extra_line(struct strbuf *sb, const char *action, const cJSON *data)
{
    const char *inject = md_str(data, "inject") != NULL ? md_str(data, "inject") : "?";
    if (strcmp(action, "drill.draw") == 0) {
        double at = 0;
        char t[32];
        md_num(data, "at_s", &at);
        t_plus(t, at * 1000);
        strbuf_str(sb, "offset of ");
        md_inline(sb, inject);
        strbuf_printf(sb, " drawn: %s\n", t);
        return true;
    }
    if (strcmp(action, "choice") == 0) {
        strbuf_str(sb, "choice on ");
        md_inline(sb, inject);
        strbuf_str(sb, ": ");
        md_inline(sb, md_str(data, "option") != NULL ? md_str(data, "option") : "?");
        strbuf_str(sb, "\n");
        return true;
    }
    return false;
}

void report_drill_injects(struct strbuf *out, const struct md_line *lines, size_t n)
{
    struct strbuf sb = {0}, draws = {0};
    const char *notes = NULL;
    for (size_t i = 0; i < n; i++) {
        const cJSON *ev = lines[i].obj;
        const char *action = ev != NULL ? md_str(ev, "action") : NULL;
        const cJSON *data = ev != NULL ? cJSON_GetObjectItemCaseSensitive(ev, "data") : NULL;
        double t = 0;
        char at[32];
        md_num(data, "t_ms", &t);
        t_plus(at, t);
        if (action == NULL) {
            continue;
        } else if (strcmp(action, "run.start") == 0) {
            notes = md_str(data, "facilitator_notes");
        } else if (strcmp(action, "inject.fire") == 0) {
            strbuf_printf(&sb, "- %s **", at);
            md_inline(&sb, md_str(data, "title") != NULL ? md_str(data, "title") : "?");
            strbuf_str(&sb, "**\n");
            if (md_str(data, "text") != NULL && md_str(data, "text")[0] != '\0') {
                put_text(&sb, md_str(data, "text"));
            }
            if (md_str(data, "hidden") != NULL) {
                strbuf_str(&sb, "\n  Facilitator only: ");
                md_inline(&sb, md_str(data, "hidden"));
                strbuf_str(&sb, "\n");
            }
            strbuf_str(&sb, "\n");
        } else if (strcmp(action, "choice") == 0 && md_str(data, "option") != NULL) {
            strbuf_printf(&sb, "- %s choice on ", at);
            md_inline(&sb, md_str(data, "inject") != NULL ? md_str(data, "inject") : "?");
            strbuf_str(&sb, ": ");
            md_inline(&sb, md_str(data, "option"));
            strbuf_str(&sb, " (the other branch was skipped)\n\n");
        } else if (strcmp(action, "drill.draw") == 0) {
            double a = 0, lo = 0, hi = 0;
            char d1[32], d2[32], d3[32];
            md_num(data, "at_s", &a);
            md_num(data, "min_s", &lo);
            md_num(data, "max_s", &hi);
            t_plus(d1, a * 1000);
            t_plus(d2, lo * 1000);
            t_plus(d3, hi * 1000);
            strbuf_str(&draws, "- ");
            md_inline(&draws, md_str(data, "inject") != NULL ? md_str(data, "inject") : "?");
            strbuf_printf(&draws, " at %s, drawn from %s..%s (seed ", d1, d2, d3);
            md_inline(&draws, md_str(data, "seed") != NULL ? md_str(data, "seed") : "?");
            strbuf_str(&draws, ")\n");
        }
    }
    if (sb.n > 0) {
        strbuf_str(out, "\n## Injects\n\n");
        strbuf_add(out, sb.s, sb.n);
    }
    if (draws.n > 0) {
        strbuf_str(out, "\n## Drawn offsets\n\n");
        strbuf_add(out, draws.s, draws.n);
    }
    if (notes != NULL) {
        strbuf_str(out, "\n## Facilitator notes\n");
        put_text(out, notes);
    }
    free(sb.s);
    free(draws.s);
}
