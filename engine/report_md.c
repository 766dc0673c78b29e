/*
 * The Markdown both reports are written in (report_md.h): text from a journal
 * made safe to read and to paste. Every word from the journal passes text.h
 * as it is added: a control is shown (^[), a bidi override too (<U+202E>),
 * newlines and tabs in one-line fields are blanks; table cells escape | and
 * break lines with <br>; code spans get a fence no backtick inside closes.
 */
#include "report_md.h"

#include "../common/clock.h"
#include "../common/json.h"
#include "../common/text.h"
#include "../common/util.h"

#include <cjson/cJSON.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *md_str(const cJSON *obj, const char *name)
{
    return json_str(obj, name);
}

bool md_num(const cJSON *obj, const char *name, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v)) {
        return false;
    }
    *out = v->valuedouble;
    return true;
}

/* A scalar as text (ids and indexes may be either); NULL for anything else. */
char *md_scalar(const cJSON *v)
{
    if (cJSON_IsString(v)) {
        return xstrdup(v->valuestring);
    }
    if (cJSON_IsNumber(v)) {
        return xasprintf("%.15g", v->valuedouble);
    }
    if (cJSON_IsBool(v)) {
        return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
    }
    return NULL;
}

void md_clock(char buf[16], int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, 16, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void md_date(char buf[80], int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(buf, 80, "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* "4s", "12m05s", "1h02m03s". */
void md_dur(char buf[32], int64_t ms)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;
    if (s >= 3600) {
        snprintf(buf, 32, "%lldh%02lldm%02llds", (long long)(s / 3600), (long long)(s / 60 % 60),
                 (long long)(s % 60));
    } else if (s >= 60) {
        snprintf(buf, 32, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
    } else {
        snprintf(buf, 32, "%llds", (long long)s);
    }
}

/* Inline text: newlines would break the list item (blanks instead); controls are shown. */
void md_inline(struct strbuf *sb, const char *s)
{
    while (s != NULL && *s != '\0') {
        size_t n = strcspn(s, "\r\n\t");
        text_add(sb, s, n, 0);
        s += n;
        if (*s != '\0') {
            strbuf_add(sb, " ", 1);
            s++;
        }
    }
}

/* A table cell: | escaped, newlines as <br>, tabs as blanks, controls shown. */
void md_cell(struct strbuf *sb, const char *s)
{
    while (s != NULL && *s != '\0') {
        size_t n = strcspn(s, "|\r\n\t");
        text_add(sb, s, n, 0);
        s += n;
        if (*s == '|') {
            strbuf_str(sb, "\\|");
        } else if (*s == '\n') {
            strbuf_str(sb, "<br>");
        } else if (*s != '\0' && !(*s == '\r' && s[1] == '\n')) {
            strbuf_add(sb, " ", 1);
        }
        s += *s != '\0';
    }
}

/*
 * s cut to max bytes and max_lines lines (never inside a UTF-8 sequence),
 * "..." marking a cut: a captured variable may hold a whole command's output.
 */
char *md_clip(const char *s, size_t max, int max_lines)
{
    size_t n = 0;
    int lines = 1;
    for (; s[n] != '\0' && n < max; n++) {
        if (s[n] == '\n' && ++lines > max_lines) {
            break;
        }
    }
    if (s[n] == '\0') {
        return xstrdup(s);
    }
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) {
        n--;
    }
    return xasprintf("%.*s...", (int)n, s);
}

/* `text` as a code span whose fence no backtick run inside can close. */
void md_code_span(struct strbuf *sb, const char *s)
{
    size_t run = 0, longest = 0;
    for (const char *p = s; *p != '\0'; p++) {
        run = *p == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    bool pad = s[0] == '`' || (s[0] != '\0' && s[strlen(s) - 1] == '`');
    for (size_t i = 0; i <= longest; i++) {
        strbuf_str(sb, "`");
    }
    strbuf_str(sb, pad ? " " : "");
    md_inline(sb, s);
    strbuf_str(sb, pad ? " " : "");
    for (size_t i = 0; i <= longest; i++) {
        strbuf_str(sb, "`");
    }
}

/* Lines as an indented code block inside a list item (6 spaces: 2 + 4). */
void md_block_line(struct strbuf *sb, const char *line, size_t len)
{
    strbuf_str(sb, "      ");
    /* terminal escapes from a command's colours are shown (^[[31m), never obeyed */
    text_add(sb, line, len, TEXT_TAB);
    strbuf_str(sb, "\n");
}

void md_block(struct strbuf *sb, const char *text)
{
    const char *p = text;
    while (*p != '\0') {
        size_t n = strcspn(p, "\n");
        md_block_line(sb, p, n);
        p += n;
        p += *p == '\n';
    }
}

/* Add the event's actor@host to a list of distinct ones (both kinds of report). */
void md_actor(char ***actors, size_t *n, const cJSON *ev)
{
    const char *actor = md_str(ev, "actor");
    const char *host = md_str(ev, "host");
    char *who = xasprintf("%s@%s", actor ? actor : "unknown", host ? host : "unknown");
    for (size_t i = 0; i < *n; i++) {
        if (strcmp((*actors)[i], who) == 0) {
            free(who);
            return;
        }
    }
    *actors = xreallocarray(*actors, *n + 1, sizeof **actors);
    (*actors)[(*n)++] = who;
}

void md_field(struct strbuf *sb, const char *prefix, const cJSON *v)
{
    char *text = md_scalar(v);
    if (text != NULL && text[0] != '\0') {
        strbuf_str(sb, prefix);
        md_inline(sb, text);
    }
    free(text);
}

void md_notify(struct strbuf *sb, const cJSON *data)
{
    strbuf_str(sb, "notify ");
    const char *svc = md_str(data, "service");
    md_inline(sb, svc != NULL ? svc : "?");
    /* Slack has no events; the step machine may still journal the default one */
    if (svc == NULL || strcmp(svc, "slack") != 0) {
        md_field(sb, "/", cJSON_GetObjectItemCaseSensitive(data, "event"));
    }
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(data, "status");
    const char *error = md_str(data, "error");
    bool failed = error != NULL && error[0] != '\0';
    if (!failed && !cJSON_IsNumber(status)) {
        strbuf_str(sb, ": sending\n"); /* journaled before the request goes out */
        return;
    }
    strbuf_str(sb, " ->");
    if (cJSON_IsNumber(status) && status->valuedouble > 0) {
        strbuf_printf(sb, " HTTP %.0f", status->valuedouble);
    }
    if (failed) {
        strbuf_str(sb, " failed: ");
        md_inline(sb, error);
    } else {
        strbuf_str(sb, " sent");
    }
    strbuf_str(sb, "\n");
}

/* ---- reading the journal ---- */

/* The journal's events with their times; a line without a readable time carries the last one. */
struct md_line *md_timed_lines(const struct journal_line *jl, size_t count, size_t *nout)
{
    struct md_line *lines = xcalloc(count > 0 ? count : 1, sizeof *lines);
    int64_t last_ms = INT64_MIN;
    for (size_t i = 0; i < count; i++) {
        int64_t ms;
        if (jl[i].obj != NULL && clock_parse_rfc3339(md_str(jl[i].obj, "ts"), &ms)) {
            last_ms = ms;
        }
        lines[i] = (struct md_line){.number = jl[i].number, .obj = jl[i].obj, .ms = last_ms};
    }
    /* events before the first readable time take the first one known */
    int64_t first = INT64_MIN;
    for (size_t i = 0; i < count && first == INT64_MIN; i++) {
        first = lines[i].ms;
    }
    for (size_t i = 0; i < count && lines[i].ms == INT64_MIN; i++) {
        lines[i].ms = first != INT64_MIN ? first : 0;
    }
    *nout = count;
    return lines;
}

int64_t md_start_time(const struct md_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *action = md_str(lines[i].obj, "action");
        if (action != NULL && strcmp(action, "run.start") == 0) {
            return lines[i].ms;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (lines[i].obj != NULL) {
            return lines[i].ms;
        }
    }
    return 0;
}
