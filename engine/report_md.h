/*
 * What the run report (report_run.c) and the drill report (report_drill.c)
 * share: fields of journal events where a wrong type is missing, times and
 * durations, and Markdown built from untrusted text (report_md.c). Engine
 * only; report.h is the interface.
 */
#ifndef OPSDECK_REPORT_MD_H
#define OPSDECK_REPORT_MD_H

#include "../common/util.h"
#include "journal.h"

#include <cjson/cJSON.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    MD_OUT_LINES = 10,   /* a command's output in a report: at most this many lines */
    MD_OUT_BYTES = 1024, /* ... and bytes */
};

/* One line of a journal with its time; a line without a readable time has the last one. */
struct md_line {
    int number;
    cJSON *obj; /* NULL: unreadable */
    int64_t ms;
};
/* The journal's lines with their times (borrowing the objects); free() the array. */
struct md_line *md_timed_lines(const struct journal_line *jl, size_t count, size_t *nout);
/* The time of run.start, or of the first readable line. */
int64_t md_start_time(const struct md_line *lines, size_t n);

const char *md_str(const cJSON *obj, const char *name);
bool md_num(const cJSON *obj, const char *name, double *out);
/* A scalar as text (ids and indexes may be either); NULL for anything else. */
char *md_scalar(const cJSON *v);

void md_clock(char buf[16], int64_t ms); /* 10:12:59 (UTC) */
void md_date(char buf[80], int64_t ms);  /* 2026-11-23 10:12:59 UTC */
void md_dur(char buf[32], int64_t ms);   /* 4s, 12m05s, 1h02m03s */

/* Inline text: newlines would break the list item (blanks instead); controls are shown. */
void md_inline(struct strbuf *sb, const char *s);
/* A table cell: | escaped, newlines as <br>, tabs as blanks, controls shown. */
void md_cell(struct strbuf *sb, const char *s);
/* s cut to max bytes and max_lines lines (never inside a UTF-8 sequence), "..." marking a cut. */
char *md_clip(const char *s, size_t max, int max_lines);
/* `text` as a code span whose fence no backtick run inside can close. */
void md_code_span(struct strbuf *sb, const char *s);
/* Lines as an indented code block inside a list item. */
void md_block_line(struct strbuf *sb, const char *line, size_t len);
void md_block(struct strbuf *sb, const char *text);
/* prefix and the scalar v, when it says something. */
void md_field(struct strbuf *sb, const char *prefix, const cJSON *v);
/* Add the event's actor@host to a list of distinct ones. */
void md_actor(char ***actors, size_t *n, const cJSON *ev);
/* A notify event: "notify slack -> HTTP 200 sent". */
void md_notify(struct strbuf *sb, const cJSON *data);

/* Where the other sources of a run's timeline are (NULL: none). */
struct report_sources {
    const char *audit;  /* audit.jsonl */
    const char *alerts; /* alerts.jsonl */
};

/* Besides the Markdown: the JSON form and the summary for Slack, when wanted (else NULL). */
struct report_extra {
    bool want_json, want_summary;
    cJSON *json;
    char *summary;
};

/*
 * report_people.c: the "People" section of a journal (Markdown, or a JSON
 * array; nothing / NULL when one person did it all), and the timeline's line
 * of a people event (join, leave, role, claim, ...: false for another kind).
 */
void report_people_md(struct strbuf *out, const struct md_line *lines, size_t n);
cJSON *report_people_json(const struct md_line *lines, size_t n);
bool report_people_line(struct strbuf *sb, const char *action, const cJSON *ev, const cJSON *data);

/* report_run.c and report_drill.c: the documents. extra may be NULL. */
char *report_run_markdown(const struct md_line *lines, size_t n, const char *dir,
                          const char *run_id, const struct report_sources *src,
                          struct report_extra *extra);
bool report_is_drill(const struct md_line *lines, size_t n);
char *report_drill_markdown(const struct md_line *lines, size_t n, const char *run_id);
/* A drill's fired injects as told (code blocks as written), hidden text, choices, draws and the
 * facilitator's notes (report_inject.c). */
void report_drill_injects(struct strbuf *out, const struct md_line *lines, size_t n);
/* A timeline line for drill.draw and choice (report_inject.c); false for other actions. */
bool report_drill_extra_line(struct strbuf *sb, const char *action, const cJSON *data);
/* The same drill report as JSON text (docs/drills.md "The report as JSON"). */
char *report_drill_json(const struct md_line *lines, size_t n, const char *run_id);

#endif
