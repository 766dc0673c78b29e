/*
 * The projector (panes/projector.h) drawn into curses windows of 80x24 and
 * 200x50 on a terminal that writes to /dev/null, and read back: the big
 * clock is decoded from its block cells into digits again, so a wrong time,
 * a broken font or a clock that does not fit fails here. The views are fed
 * journal lines, as a follower's are; the wall clock is pinned and the drill
 * clock is fake.
 */
#include "../../common/clock.h"
#include "../../common/util.h"
#include "../../engine/drill_public.h"
#include "../../panes/projector.h"
#include "tap.h"

#include <cjson/cJSON.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char RUNBOOK[] = "# Web is down\n\n"
                              "## Acknowledge the page\n"
                              "```opsdeck\nphase: S\n```\nSay you are on it.\n\n"
                              "## Drain web2\n"
                              "```opsdeck\nphase: F\ntimebox: 5m\n```\nTake it out.\n\n"
                              "## Tell the team\n"
                              "```opsdeck\nphase: E\n```\nPost it.\n";

static const char DRILL[] = "# Region lost\n\n"
                            "```opsdeck\ndrill: tabletop\nduration: 45m\nlabel: [GAME]\n"
                            "role: gm = GM\nrole: ic = IC\nfacilitator: gm\n```\n\n"
                            "## Office evacuated\n"
                            "```opsdeck\nat: T+00\nto: ic\nchannel: announce\n"
                            "expect: 1m 10 Incident declared\nexpect: 10m 5 Status page updated\n"
                            "```\nThe office is being evacuated. Chat is down.\n\n"
                            "## Replication lag\n"
                            "```opsdeck\nat: T+03\nto: ic\n```\nLag is 900 s.\n";

static uint64_t fake_now = 9000000;

static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_now;
}

static void feed(const char *json, void (*apply)(const struct runlog_event *, void *), void *v)
{
    cJSON *o = cJSON_Parse(json);
    struct runlog_event ev;
    if (!tap_ok(o != NULL && runlog_event_parse(o, &ev), "event parses: %s", json)) {
        return;
    }
    ev.live = cJSON_IsTrue(cJSON_GetObjectItem(o, "live"));
    apply(&ev, v);
    cJSON_Delete(o);
}

static char *screen(WINDOW *win)
{
    struct strbuf sb = {0};
    int h = getmaxy(win), w = getmaxx(win);
    for (int y = 0; y < h; y++) {
        char row[1024];
        mvwinnstr(win, y, 0, row, w < 1023 ? w : 1023);
        strbuf_printf(&sb, "%s\n", row);
    }
    return sb.s;
}

static bool shows(WINDOW *win, const char *text)
{
    char *s = screen(win);
    bool found = strstr(s, text) != NULL;
    if (!found) {
        tap_diag("not on screen: '%s'; screen:\n%s", text, s);
    }
    free(s);
    return found;
}

/* The font again, to read the big digits back. */
static const char *const font[10][5] = {
    {"###", "# #", "# #", "# #", "###"}, {" # ", "## ", " # ", " # ", "###"},
    {"###", "  #", "###", "#  ", "###"}, {"###", "  #", "###", "  #", "###"},
    {"# #", "# #", "###", "  #", "  #"}, {"###", "#  ", "###", "  #", "###"},
    {"###", "#  ", "###", "# #", "###"}, {"###", "  #", "  #", "  #", "  #"},
    {"###", "# #", "###", "# #", "###"}, {"###", "# #", "###", "  #", "###"},
};

static bool lit(WINDOW *win, int y, int x)
{
    return (mvwinch(win, y, x) & A_CHARTEXT) == '#';
}

/* Decode the big clock (ASCII) from the rows that hold '#': "12:34", "" when none; *rows its
 * height. */
static void read_clock(WINDOW *win, char *out, size_t len, int *rows)
{
    int h = getmaxy(win), w = getmaxx(win), top = -1, bottom = -1, left = w;
    for (int y = 1; y < h; y++) {
        for (int x = 0; x < w; x++) {
            if (lit(win, y, x)) {
                top = top < 0 ? y : top;
                bottom = y;
                left = x < left ? x : left;
            }
        }
    }
    out[0] = '\0';
    *rows = top < 0 ? 0 : bottom - top + 1;
    if (top < 0 || *rows % 5 != 0) {
        return;
    }
    int sy = *rows / 5, sx = 2 * sy;
    size_t n = 0;
    for (int x = left; x < w && n + 1 < len;) {
        char col[6];
        for (int r = 0; r < 5; r++) {
            col[r] = lit(win, top + r * sy, x) ? '#' : ' ';
        }
        col[5] = '\0';
        if (strcmp(col, "     ") == 0) {
            break;
        }
        if (strcmp(col, " # # ") == 0) {
            out[n++] = ':';
            x += 2 * sx;
            continue;
        }
        int digit = -1;
        for (int d = 0; d < 10 && digit < 0; d++) {
            bool same = true;
            for (int r = 0; r < 5 && same; r++) {
                for (int c = 0; c < 3 && same; c++) {
                    same = (font[d][r][c] == '#') == lit(win, top + r * sy, x + c * sx);
                }
            }
            digit = same ? d : -1;
        }
        out[n++] = digit >= 0 ? (char)('0' + digit) : '?';
        x += 4 * sx;
    }
    out[n] = '\0';
}

static void test_run(WINDOW *small, WINDOW *big)
{
    int64_t now = 1795000000000;
    clock_pin_wall(now);
    char *cause = NULL;
    struct runbook *rb = runbook_parse(RUNBOOK, strlen(RUNBOOK), "web.md", &cause);
    tap_ok(rb != NULL && rb->nsteps == 3 && rb->steps[1].timebox_s == 300, "the runbook parses");
    struct runview *v = runview_create(rb, NULL);
    char ts[32], line[512];
    clock_format_rfc3339(ts, now - 125000);
    snprintf(line, sizeof line,
             "{\"seq\":1,\"ts\":\"%s\",\"run\":\"R1\",\"action\":\"run.start\",\"data\":{}}", ts);
    feed(line, runview_apply, v);
    snprintf(
        line, sizeof line,
        "{\"seq\":2,\"ts\":\"%s\",\"step\":\"acknowledge-the-page\",\"action\":\"step.enter\"}",
        ts);
    feed(line, runview_apply, v);
    clock_format_rfc3339(ts, now - 65000);
    snprintf(line, sizeof line,
             "{\"seq\":3,\"ts\":\"%s\",\"step\":\"acknowledge-the-page\",\"action\":\"step.done\"}",
             ts);
    feed(line, runview_apply, v);
    snprintf(line, sizeof line,
             "{\"seq\":4,\"ts\":\"%s\",\"step\":\"drain-web2\",\"action\":\"step.enter\"}", ts);
    feed(line, runview_apply, v);

    struct projector_src src = {.run = v};
    char clk[32];
    int rows = 0;
    projector_draw(small, &src, false);
    read_clock(small, clk, sizeof clk, &rows);
    tap_is_str(clk, "02:05", "80x24: the big clock reads the run's time (2:05)");
    tap_ok(rows == 10, "80x24: the digits are 10 rows tall (%d)", rows);
    tap_ok(shows(small, "RUN  Web is down"), "the head names the run");
    tap_ok(shows(small, "Step 2/3: Drain web2"), "the current step's title");
    tap_ok(shows(small, " F Focus "), "the S.A.F.E. phase is lit");
    tap_ok(shows(small, "time box: 3:55 left"), "the time box counts down");
    tap_ok(shows(small, "done 1/3"), "done / total");
    tap_ok(shows(small, "q leave"), "the only key");

    clock_pin_wall(now + 300000); /* past the time box */
    projector_draw(small, &src, false);
    read_clock(small, clk, sizeof clk, &rows);
    tap_is_str(clk, "07:05", "the clock advances");
    tap_ok(shows(small, "OVER its time box by 1:05"), "over the time box: by how much");

    projector_draw(big, &src, false);
    read_clock(big, clk, sizeof clk, &rows);
    tap_is_str(clk, "07:05", "200x50: the same time");
    tap_ok(rows >= 20, "200x50: larger digits (%d rows)", rows);
    tap_ok(shows(big, "Step 2/3: Drain web2"), "200x50: the step");

    projector_draw(small, &src, true);
    tap_ok(shows(small, "█"), "UTF-8: block characters");
    runview_destroy(v);
    runbook_free(rb);
    clock_pin_wall(0);
}

static void test_drill(WINDOW *small, WINDOW *big)
{
    char *cause = NULL;
    struct drill *full = drill_parse(DRILL, strlen(DRILL), "region.md", &cause);
    tap_ok(full != NULL && full->nissues == 0, "the drill parses");
    struct drillview *owner = drillview_create(full, fake_clock, NULL);
    static const char *const lines[] = {
        "{\"seq\":1,\"run\":\"D1\",\"action\":\"run.start\",\"data\":{\"t_ms\":0}}",
        "{\"seq\":2,\"action\":\"drill.start\",\"data\":{\"t_ms\":0}}",
        "{\"seq\":3,\"step\":\"office-evacuated\",\"action\":\"inject.fire\",\"data\":{\"id\":"
        "\"office-evacuated\",\"why\":\"clock\",\"t_ms\":0}}",
        "{\"live\":true,\"action\":\"status\",\"data\":{\"state\":\"running\",\"t_ms\":20000,"
        "\"running\":true}}",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        feed(lines[i], drillview_apply, owner);
    }
    struct projector_src src = {.drill = owner, .show_score = true, .show_next = true};
    char clk[32];
    int rows = 0;
    projector_draw(small, &src, false);
    read_clock(small, clk, sizeof clk, &rows);
    tap_is_str(clk, "00:20", "80x24: the drill clock");
    tap_ok(shows(small, "[GAME] Region lost"), "the head: label and title");
    tap_ok(shows(small, "running  of 45:00"), "the state and the duration");
    tap_ok(shows(small, "T+00:00 Office evacuated [announce]"), "the last inject");
    tap_ok(shows(small, "The office is being evacuated. Chat is down."), "its text");
    tap_ok(shows(small, "0:40 left"), "the first deadline counts down");
    tap_ok(shows(small, "9:40 left  Status page updated"), "the second one");
    tap_ok(shows(small, "next inject in 2:40"), "the driver sees when the next inject is due");
    char *s0 = screen(small);
    tap_ok(strstr(s0, "Replication lag") == NULL, "... not what it is");
    free(s0);
    tap_ok(shows(small, "score 0/15"), "the driver sees the score");

    fake_now += 50000;
    projector_draw(small, &src, false);
    read_clock(small, clk, sizeof clk, &rows);
    tap_is_str(clk, "01:10", "the drill clock advances");

    projector_draw(big, &src, false);
    read_clock(big, clk, sizeof clk, &rows);
    tap_is_str(clk, "01:10", "200x50: the same clock");
    tap_ok(rows >= 20, "200x50: larger digits (%d rows)", rows);
    tap_ok(shows(big, "The office is being evacuated."), "200x50: the inject's text");

    /* a participant's projector: its document, no score, nothing of what comes */
    cJSON *doc = drill_public_doc(full, SHARE_PARTICIPANT, owner);
    struct drill *pub = drill_from_public(doc, &cause);
    struct drillview *pv = drillview_create(pub, fake_clock, NULL);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        feed(lines[i], drillview_apply, pv);
    }
    drill_public_settle(doc, pv);
    struct projector_src psrc = {.drill = pv};
    projector_draw(small, &psrc, false);
    read_clock(small, clk, sizeof clk, &rows);
    tap_is_str(clk, "01:10", "participant: the same clock");
    tap_ok(shows(small, "Office evacuated"), "participant: the fired inject");
    tap_ok(shows(small, "expectation 1"), "participant: an expectation without its text");
    char *s = screen(small);
    tap_ok(strstr(s, "score") == NULL && strstr(s, "next inject") == NULL &&
               strstr(s, "Incident declared") == NULL,
           "participant: no score, no next inject, no expectation text");
    free(s);
    drillview_destroy(pv);
    drill_free(pub);
    cJSON_Delete(doc);

    projector_draw(small, &(struct projector_src){0}, false);
    tap_ok(shows(small, "Nothing to project"), "nothing open: says so");
    drillview_destroy(owner);
    drill_free(full);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    FILE *out = fopen("/dev/null", "w");
    SCREEN *scr = newterm("xterm", out, stdin);
    if (scr == NULL) {
        tap_ok(false, "newterm(xterm) works");
        return tap_done();
    }
    resizeterm(50, 200);
    WINDOW *small = newwin(24, 80, 0, 0);
    WINDOW *big = newwin(50, 200, 0, 0);
    tap_ok(projector_scale("00:00", 78, 12) == 2 && projector_scale("00:00", 20, 12) == 0,
           "the scale fits the width and the height");
    test_run(small, big);
    test_drill(small, big);
    delwin(small);
    delwin(big);
    endwin();
    delscreen(scr);
    fclose(out);
    return tap_done();
}
