/*
 * Drills (docs/drills.md): every key of the drill block, injects and checks,
 * Debrief and Report, ids, the order of injects, detection, CRLF, junk, and
 * lint: one case per problem, each at its line.
 */
#include "../../engine/drill.h"
#include "tap.h"

#include <stdlib.h>

/* Line numbers in the comments: the lint and line checks below depend on them. */
static const char full[] = "# Office lost\n"                                      /* 1 */
                           "\n"                                                   /* 2 */
                           "The office is gone for the day.\n"                    /* 3 */
                           "\n"                                                   /* 4 */
                           "```opsdeck\n"                                         /* 5 */
                           "drill: live                  # a comment\n"           /* 6 */
                           "duration: 45m\n"                                      /* 7 */
                           "label: [GAMEDAY]\n"                                   /* 8 */
                           "abort_word: PINEAPPLE\n"                              /* 9 */
                           "notify: live                 # or sandbox\n"          /* 10 */
                           "sandbox_env: DRILL_TEST_HOOK\n"                       /* 11 */
                           "objective: Declare within 5 minutes   # repeatable\n" /* 12 */
                           "objective: Fail over reads\n"                         /* 13 */
                           "role: gm = Game master\n"                             /* 14 */
                           "role: ic = Incident commander\n"                      /* 15 */
                           "role: db = Database expert\n"                         /* 16 */
                           "role: obs = Observer from audit\n"                    /* 17 */
                           "facilitator: gm\n"                                    /* 18 */
                           "observers: obs\n"                                     /* 19 */
                           "```\n"                                                /* 20 */
                           "\n"                                                   /* 21 */
                           "## Scenario\n"                                        /* 22 */
                           "Plain prose, not an inject.\n"                        /* 23 */
                           "\n"                                                   /* 24 */
                           "### Lag\n"                                            /* 25 */
                           "```opsdeck\n"                                         /* 26 */
                           "id: lag\n"                                            /* 27 */
                           "at: T+08:30\n"                                        /* 28 */
                           "to: db\n"                                             /* 29 */
                           "channel: dashboard\n"                                 /* 30 */
                           "expect: 10m 5 Reads failed over\n"                    /* 31 */
                           "chaos: pools drain be_web/web2\n"                     /* 32 */
                           "chaos: pools weight be_web/web1 50 %\n"               /* 33 */
                           "rollback: pools ready be_web/web2\n"                  /* 34 */
                           "rollback: pools weight be_web/web1 100\n"             /* 35 */
                           "backend: edge-lb\n"                                   /* 36 */
                           "notify: Replication lag is 900 s # not a comment\n"   /* 37 */
                           "```\n"                                                /* 38 */
                           "Replication lag is 900 s.\n"                          /* 39 */
                           "\n"                                                   /* 40 */
                           "### CEO calls\n"                                      /* 41 */
                           "```opsdeck\n"                                         /* 42 */
                           "at: contingency\n"                                    /* 43 */
                           "to: ic\n"                                             /* 44 */
                           "channel: page\n"                                      /* 45 */
                           "```\n"                                                /* 46 */
                           "The CEO wants news.\n"                                /* 47 */
                           "\n"                                                   /* 48 */
                           "### Office evacuated\n"                               /* 49 */
                           "```opsdeck\n"                                         /* 50 */
                           "at: T+00\n"                                           /* 51 */
                           "to: ic, db\n"                                         /* 52 */
                           "expect: 5m 10 Incident declared and roles assigned\n" /* 53 */
                           "expect: 90s 3 Status page # updated\n"                /* 54 */
                           "contingency: ceo-calls\n"                             /* 55 */
                           "```\n"                                                /* 56 */
                           "The office is being evacuated.\n"                     /* 57 */
                           "Chat is down.\n"                                      /* 58 */
                           "\n"                                                   /* 59 */
                           "### Checkout keeps serving\n"                         /* 60 */
                           "```opsdeck\n"                                         /* 61 */
                           "check: during\n"                                      /* 62 */
                           "until: pools be_web/web1 status == UP\n"              /* 63 */
                           "tolerance: 30s\n"                                     /* 64 */
                           "interval: 2s\n"                                       /* 65 */
                           "```\n"                                                /* 66 */
                           "\n"                                                   /* 67 */
                           "### Health\n"                                         /* 68 */
                           "```opsdeck\n"                                         /* 69 */
                           "id: health\n"                                         /* 70 */
                           "check: before\n"                                      /* 71 */
                           "run: curl -sf http://127.0.0.1:1/#x\n"                /* 72 */
                           "expect: 7\n"                                          /* 73 */
                           "timeout: 4s\n"                                        /* 74 */
                           "```\n"                                                /* 75 */
                           "\n"                                                   /* 76 */
                           "## Debrief\n"                                         /* 77 */
                           "- What went well?\n"                                  /* 78 */
                           "- What surprised\n"                                   /* 79 */
                           "  you?\n"                                             /* 80 */
                           "1. Who decided?\n"                                    /* 81 */
                           "\n"                                                   /* 82 */
                           "## Report\n"                                          /* 83 */
                           "- Action items\n"                                     /* 84 */
                           "- Follow-ups\n";                                      /* 85 */

static struct drill *parse(const char *text, size_t len, char **cause)
{
    char *c = NULL;
    struct drill *d = drill_parse(text, len, "t.md", &c);
    if (cause != NULL) {
        *cause = c;
    } else {
        free(c);
    }
    return d;
}

static void check_full(const struct drill *d, const char *what)
{
    char name[128];
    tap_is_int((long long)d->nissues, 0, what);
    for (size_t i = 0; i < d->nissues; i++) {
        tap_diag("%d: %s", d->issues[i].line, d->issues[i].message);
    }
    tap_is_str(d->title, "Office lost", "the H1 is the title");
    tap_is_str(d->intro, "The office is gone for the day.", "the text under it is the intro");
    tap_is_int(d->kind, DRILL_LIVE, "drill: live");
    tap_is_int(d->duration_s, 45 * 60, "duration: 45m");
    tap_is_str(d->label, "[GAMEDAY]", "label");
    tap_is_str(d->abort_word, "PINEAPPLE", "abort_word");
    tap_ok(d->notify_live, "notify: live (its comment cut off)");
    tap_is_str(d->sandbox_env, "DRILL_TEST_HOOK", "sandbox_env");
    tap_is_int((long long)d->nobjectives, 2, "two objectives");
    if (d->nobjectives == 2) {
        tap_is_str(d->objectives[0], "Declare within 5 minutes", "objective without its comment");
        tap_is_str(d->objectives[1], "Fail over reads", "second objective");
    }
    tap_is_int((long long)d->nroles, 4, "four roles");
    if (d->nroles == 4) {
        tap_is_str(d->roles[1].id, "ic", "role id");
        tap_is_str(d->roles[1].name, "Incident commander", "role description");
        tap_ok(d->roles[0].facilitator && !d->roles[0].observer, "gm is the facilitator");
        tap_ok(d->roles[3].observer && !d->roles[3].facilitator, "obs is an observer");
        tap_ok(!d->roles[1].facilitator && !d->roles[1].observer, "ic plays");
    }
    tap_is_int((long long)d->ninjects, 3, "three injects");
    if (d->ninjects != 3) {
        return;
    }
    const struct drill_inject *ev = &d->injects[0], *lag = &d->injects[1], *ceo = &d->injects[2];
    tap_is_str(ev->id, "office-evacuated", "T+00 first, id from its heading");
    tap_is_str(lag->id, "lag", "T+08:30 second, its written id");
    tap_is_str(ceo->id, "ceo-calls", "the contingency last");
    tap_is_int(ev->at_s, 0, "T+00 is 0 s");
    tap_is_int(lag->at_s, 8 * 60 + 30, "T+08:30 is 510 s");
    tap_is_int(ceo->at_s, -1, "at: contingency is -1");
    tap_is_int(ev->line, 49, "inject line is its heading's");
    tap_is_str(ev->title, "Office evacuated", "inject title");
    tap_is_str(ev->text, "The office is being evacuated. Chat is down.", "inject text");
    tap_is_int((long long)ev->nto, 2, "to: two roles");
    if (ev->nto == 2) {
        tap_is_str(ev->to[1], "db", "to: second role trimmed");
    }
    tap_is_str(ev->channel, "announce", "channel defaults to announce");
    tap_is_str(lag->channel, "dashboard", "channel");
    tap_is_str(ceo->channel, "page", "channel page");
    tap_is_int((long long)ev->nexpects, 2, "two expectations");
    if (ev->nexpects == 2) {
        tap_is_int(ev->expects[0].deadline_s, 300, "expect deadline 5m");
        tap_is_int(ev->expects[0].points, 10, "expect points");
        tap_is_str(ev->expects[0].text, "Incident declared and roles assigned", "expect text");
        tap_is_int(ev->expects[0].line, 53, "expect line");
        tap_is_int(ev->expects[1].deadline_s, 90, "expect deadline 90s");
        tap_is_str(ev->expects[1].text, "Status page", "expect text loses its comment");
    }
    tap_is_str(ev->contingency, "ceo-calls", "contingency");
    tap_ok(ev->nchaos == 0 && ev->backend == NULL && ev->notify == NULL, "no chaos, no notify");
    tap_is_int((long long)lag->nchaos, 2, "two chaos actions");
    if (lag->nchaos == 2) {
        const struct drill_chaos *c = &lag->chaos[1];
        tap_is_str(lag->chaos[0].action.pane, "pools", "chaos pane");
        tap_is_str(lag->chaos[0].action.verb, "drain", "chaos verb");
        tap_is_str(lag->chaos[0].action.target, "be_web/web2", "chaos target");
        tap_ok(lag->chaos[0].action.input == NULL, "chaos without input");
        tap_is_str(lag->chaos[0].rollback.verb, "ready", "first rollback pairs the first chaos");
        tap_is_str(c->action.input, "50 %", "chaos input is the rest of the line");
        tap_is_str(c->rollback.input, "100", "rollback input");
        tap_is_int(c->line, 33, "chaos line");
    }
    tap_is_str(lag->backend, "edge-lb", "backend");
    tap_is_str(lag->notify, "Replication lag is 900 s # not a comment", "notify taken whole");
    tap_is_int((long long)d->nchecks, 2, "two checks");
    if (d->nchecks == 2) {
        const struct drill_check *a = &d->checks[0], *b = &d->checks[1];
        tap_is_str(a->id, "checkout-keeps-serving", "check id from its heading");
        tap_is_int(a->when, DRILL_DURING, "check: during");
        tap_is_str(a->until, "pools be_web/web1 status == UP", "until");
        tap_is_int(a->tolerance_s, 30, "tolerance");
        tap_is_int(a->interval_ms, 2000, "interval");
        tap_is_int(a->line, 60, "check line");
        tap_is_str(b->id, "health", "check id written");
        tap_is_int(b->when, DRILL_BEFORE, "check: before");
        tap_is_str(b->run, "curl -sf http://127.0.0.1:1/#x", "run taken whole");
        tap_is_int(b->expect_exit, 7, "expect exit code");
        tap_is_int(b->timeout_ms, 4000, "timeout");
        tap_is_int(b->interval_ms, 5000, "interval default 5s");
        tap_is_int(b->tolerance_s, 0, "tolerance default 0");
    }
    tap_is_int((long long)d->ndebrief, 3, "three debrief questions");
    if (d->ndebrief == 3) {
        tap_is_str(d->debrief[1], "What surprised you?", "a question over two lines");
        tap_is_str(d->debrief[2], "Who decided?", "a numbered question");
    }
    tap_is_int((long long)d->nsections, 2, "two report sections");
    if (d->nsections == 2) {
        tap_is_str(d->sections[0], "Action items", "report section");
    }
    tap_is_int(drill_find_inject(d, "lag"), 1, "find an inject");
    tap_is_int(drill_find_inject(d, "nope"), -1, "a missing inject is -1");
    snprintf(name, sizeof name, "%s: hash set", what);
    tap_ok(d->hash != 0, "%s", name);
}

static void test_full(void)
{
    char *cause = NULL;
    struct drill *d = parse(full, strlen(full), &cause);
    if (!tap_ok(d != NULL, "the full drill parses")) {
        tap_diag("%s", cause ? cause : "?");
        free(cause);
        return;
    }
    check_full(d, "the full drill has no issue");
    tap_is_int((long long)drill_lint(d), 0, "notify: live needs no sandbox env");
    drill_free(d);
}

static void test_crlf(void)
{
    struct strbuf sb = {0};
    for (const char *p = full; *p != '\0'; p++) {
        if (*p == '\n') {
            strbuf_add(&sb, "\r\n", 2);
        } else {
            strbuf_add(&sb, p, 1);
        }
    }
    struct drill *d = parse(sb.s, sb.n, NULL);
    if (tap_ok(d != NULL, "CRLF: parses")) {
        check_full(d, "CRLF: same drill, same lines, no issue");
    }
    drill_free(d);
    free(sb.s);
}

static void test_detect(void)
{
    static const char runbook[] = "# Runbook\n\n## Step\n```opsdeck\ntype: manual\n```\n"
                                  "## Drill later\n```opsdeck\ndrill: tabletop\n```\n";
    static const char prose[] = "# Fire drill\n\nEvery drill: leave by the stairs.\n";
    static const char bad[] = "```opsdeck\ndrill: live\n```\n\xff\xfe";
    static const char bom[] = "\xef\xbb\xbf```opsdeck\ndrill: tabletop\n```\n";
    tap_ok(drill_detect(full, strlen(full)), "a drill is detected");
    tap_ok(!drill_detect(runbook, strlen(runbook)),
           "a runbook whose first block has no drill: is not a drill");
    tap_ok(!drill_detect(prose, strlen(prose)), "the word drill in prose is not a drill");
    tap_ok(!drill_detect(bad, sizeof bad - 1), "not UTF-8: not a drill");
    tap_ok(!drill_detect("", 0) && !drill_detect(NULL, 0), "nothing is not a drill");
    tap_ok(drill_detect(bom, sizeof bom - 1), "a byte order mark is skipped");
    char *cause = NULL;
    struct drill *d = parse(runbook, strlen(runbook), &cause);
    tap_ok(d == NULL, "drill_parse of a runbook is NULL");
    tap_ok(cause != NULL && strncmp(cause, "t.md:1: not a drill", 19) == 0,
           "and the cause names the file");
    free(cause);
    drill_free(d);
    d = parse(bom, sizeof bom - 1, NULL);
    tap_ok(d != NULL && strcmp(d->title, "t") == 0, "no H1: the title is the file's name");
    tap_ok(d != NULL && d->ninjects == 0 && d->nchecks == 0, "a drill block alone parses");
    drill_free(d);
}

static void test_garbage(void)
{
    static const char bad[] = "# X\n```opsdeck\ndrill: live\n```\nline 5 \x80 here\n";
    char *cause = NULL;
    struct drill *d = parse(bad, sizeof bad - 1, &cause);
    tap_ok(d == NULL, "a drill with a stray byte is refused");
    tap_is_str(cause, "t.md:5: not a drill: not UTF-8 text (byte 38)",
               "the cause gives the line and byte");
    free(cause);
    cause = NULL;
    static const char nul[] = "```opsdeck\ndrill: live\n```\n\0\0";
    d = parse(nul, sizeof nul - 1, &cause);
    tap_ok(d == NULL && cause != NULL, "NUL bytes are not text");
    free(cause);
    /* Odd but valid: keys without values, lines without colons, junk headings. */
    static const char odd[] = "```opsdeck\ndrill: tabletop\nno colon here\nrole:\n```\n"
                              "#\n```opsdeck\nat:\n```\n###### \n- x\n";
    cause = NULL;
    d = parse(odd, sizeof odd - 1, &cause);
    tap_ok(d != NULL && d->nissues >= 3, "junk parses with issues, no crash");
    drill_free(d);
    free(cause);
}

static void test_sorting(void)
{
    static const char text[] = "```opsdeck\ndrill: tabletop\nrole: gm = GM\nfacilitator: gm\n```\n"
                               "## A\n```opsdeck\nat: T+10\n```\n"
                               "## B\n```opsdeck\nat: contingency\n```\n"
                               "## C\n```opsdeck\nat: 90s\n```\n"
                               "## D\n```opsdeck\nat: T+01:30\n```\n"
                               "## E\n```opsdeck\nat: T+00:30\n```\n"
                               "## F\n```opsdeck\nat: contingency\n```\n"
                               "## A\n```opsdeck\nat: 1m30s\n```\n";
    struct drill *d = parse(text, sizeof text - 1, NULL);
    if (!tap_ok(d != NULL && d->ninjects == 7, "seven injects")) {
        drill_free(d);
        return;
    }
    struct strbuf sb = {0};
    for (size_t i = 0; i < d->ninjects; i++) {
        strbuf_printf(&sb, "%s%s@%d", i > 0 ? " " : "", d->injects[i].id, d->injects[i].at_s);
    }
    tap_is_str(sb.s, "e@30 c@90 d@90 a-2@90 a@600 b@-1 f@-1",
               "sorted by offset, ties in file order, contingencies last; duplicate ids -2");
    tap_is_int((long long)d->nissues, 0, "no issue");
    free(sb.s);
    drill_free(d);
}

/* Each case: a drill whose only problem is at line `line` and says `says`. */
struct lint_case {
    const char *text;
    int line;
    const char *says;
};

#define HEAD "```opsdeck\ndrill: tabletop\nrole: gm = GM\nrole: ic = IC\nfacilitator: gm\n"
/* HEAD is lines 1-5; the block ends at line 6 with the close below. */

static const struct lint_case cases[] = {
    {HEAD "colour: red\n```\n", 6, "unknown key 'colour' in the drill block"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\nsmell: bad\n```\n", 10, "unknown key 'smell'"},
    {HEAD "```\n## X\n```opsdeck\ncheck: after\nrun: true\nsmell: bad\n```\n", 11,
     "unknown key 'smell' for a check"},
    {HEAD "```\n## X\n```opsdeck\nat: T+5:7\n```\n", 9, "bad offset 'T+5:7'"},
    {HEAD "```\n## X\n```opsdeck\nat: T+05:60\n```\n", 9, "bad offset"},
    {HEAD "```\n## X\n```opsdeck\nat: soon\n```\n", 9, "bad offset 'soon'"},
    {HEAD "duration: 45 minutes\n```\n", 6, "bad duration '45 minutes' for duration"},
    {HEAD "duration: 10m\n```\n## X\n```opsdeck\nat: T+11\n```\n", 10,
     "inject at 'T+11' is after the end of the drill"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\nexpect: 5m ten Something\n```\n", 10,
     "expect needs DEADLINE POINTS TEXT"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\nexpect: 5m 10\n```\n", 10,
     "expect needs DEADLINE POINTS TEXT"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\nexpect: soon 10 Something\n```\n", 10,
     "expect needs DEADLINE POINTS TEXT"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\nto: ic, comms\n```\n", 10,
     "role 'comms' in to is not declared"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\nchannel: pigeon\n```\n", 10, "unknown channel 'pigeon'"},
    {"```opsdeck\ndrill: tabletop\nrole: gm = GM\nfacilitator: boss\n```\n", 4,
     "facilitator 'boss' is not a role"},
    {"```opsdeck\ndrill: tabletop\nrole: gm = GM\n```\n", 2, "no facilitator"},
    {"```opsdeck\ndrill: tabletop\nrole: gm = GM\nrole: ic = IC\nfacilitator: gm, ic\n```\n", 5,
     "exactly one facilitator"},
    {HEAD "facilitator: ic\n```\n", 6, "duplicate key 'facilitator'"},
    {HEAD "observers: ic, audit\n```\n", 6, "observer 'audit' is not a role"},
    {HEAD "role: gm = Again\n```\n", 6, "role 'gm' is declared twice"},
    {HEAD "role: just-a-name\n```\n", 6, "role needs ID = description"},
    {HEAD "drill: exercise\n```\n", 6, "duplicate key 'drill'"},
    {"```opsdeck\ndrill: exercise\nrole: gm = GM\nfacilitator: gm\n```\n", 2,
     "bad drill kind 'exercise'"},
    {HEAD "notify: loud\n```\n", 6, "bad notify 'loud'"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\ncontingency: nope\n```\n", 10,
     "contingency 'nope' is not an inject"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\ncontingency: y\n```\n## Y\n```opsdeck\nat: T+2\n```\n",
     10, "contingency 'y' is not a contingency inject"},
    {HEAD "```\n## X\n```opsdeck\nat: contingency\ncontingency: x\n```\n", 10,
     "inject 'x' is its own contingency"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\nchaos: pools drain be_web/web2\nrollback: pools ready "
          "be_web/web2\n```\n",
     10, "chaos in a tabletop drill"},
    {"```opsdeck\ndrill: live\nrole: gm = GM\nfacilitator: gm\n```\n## X\n```opsdeck\nat: T+1\n"
     "chaos: pools drain be_web/web2\nchaos: queues stop orders\nrollback: pools ready "
     "be_web/web2\n```\n",
     10, "2 chaos actions but 1 rollback"},
    {"```opsdeck\ndrill: live\nrole: gm = GM\nfacilitator: gm\n```\n## X\n```opsdeck\nat: T+1\n"
     "rollback: pools ready be_web/web2\n```\n",
     9, "0 chaos actions but 1 rollback"},
    {"```opsdeck\ndrill: live\nrole: gm = GM\nfacilitator: gm\n```\n## X\n```opsdeck\nat: T+1\n"
     "chaos: lobby drain be_web/web2\nrollback: pools ready be_web/web2\n```\n",
     9, "unknown pane 'lobby' in chaos"},
    {"```opsdeck\ndrill: live\nrole: gm = GM\nfacilitator: gm\n```\n## X\n```opsdeck\nat: T+1\n"
     "chaos: pools drain be_web/web2\nrollback: pools Ready! be_web/web2\n```\n",
     10, "'Ready!' in rollback is not a verb"},
    {"```opsdeck\ndrill: live\nrole: gm = GM\nfacilitator: gm\n```\n## X\n```opsdeck\nat: T+1\n"
     "chaos: pools drain\nrollback: pools ready be_web/web2\n```\n",
     9, "chaos needs PANE VERB TARGET [INPUT]"},
    {HEAD "```\n## X\n```opsdeck\ncheck: during\nuntil: pools web1 status == UP\nrun: true\n```\n",
     11, "check with both until and run"},
    {HEAD "```\n## X\n```opsdeck\ncheck: during\ninterval: 5s\n```\n", 7,
     "check without until or run"},
    {HEAD "```\n## X\n```opsdeck\ncheck: sometimes\nrun: true\n```\n", 9, "bad check 'sometimes'"},
    {HEAD "```\n## X\n```opsdeck\ncheck: during\nuntil: pools web1 colour == UP\n```\n", 10,
     "unknown column"},
    {HEAD "```\n## X\n```opsdeck\ncheck: during\nuntil: lobby web1 status == UP\n```\n", 10,
     "lobby"},
    {HEAD "```\n## X\n```opsdeck\ncheck: after\nrun: true\ntolerance: a while\n```\n", 11,
     "bad duration 'a while' for tolerance"},
    {HEAD "```\n## X\n```opsdeck\ncheck: after\nrun: true\nexpect: zero\n```\n", 11,
     "bad expect 'zero'"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\ncheck: after\nrun: true\n```\n", 10,
     "an inject (at:) or a check (check:), not both"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\nid: a\n```\n## Y\n```opsdeck\nat: T+2\nid: a\n```\n", 15,
     "inject id 'a' is used twice"},
    {HEAD "```\n## X\n```opsdeck\ntype: manual\n```\n", 9, "needs at: (an inject) or check:"},
    {HEAD "```\n## X\n```opsdeck\nat: T+1\nto:\n```\n", 10, "empty value for 'to'"},
    {HEAD "just words\n```\n", 6, "expected 'key: value'"},
    {HEAD "stop_when: alerts HighErrorRate colour == firing\n```\n", 6, "unknown column"},
    {HEAD "stop_when: lobby web1 status == UP\n```\n", 6, "lobby"},
};

static void test_lint(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct lint_case *c = &cases[i];
        char *cause = NULL;
        struct drill *d = parse(c->text, strlen(c->text), &cause);
        if (!tap_ok(d != NULL, "case %zu parses (%s)", i, c->says)) {
            tap_diag("%s", cause ? cause : "?");
            free(cause);
            continue;
        }
        drill_lint(d);
        /* the errors only: a live drill without a during check is also warned about */
        size_t n = 0, at = 0;
        for (size_t k = 0; k < d->nissues; k++) {
            if (!d->issues[k].warning) {
                at = n++ == 0 ? k : at;
            }
        }
        bool found = n == 1 && d->issues[at].line == c->line &&
                     strstr(d->issues[at].message, c->says) != NULL;
        tap_ok(found, "line %d: %s", c->line, c->says);
        if (!found) {
            for (size_t k = 0; k < n; k++) {
                tap_diag("got %d: %s", d->issues[k].line, d->issues[k].message);
            }
        }
        drill_free(d);
    }
}

static void test_sandbox_env(void)
{
    static const char text[] = "```opsdeck\ndrill: tabletop\nsandbox_env: DRILL_TEST_UNSET_HOOK\n"
                               "role: gm = GM\nfacilitator: gm\n```\n"
                               "## A\n```opsdeck\nat: T+1\nnotify: hello\n```\n"
                               "## B\n```opsdeck\nat: T+2\nnotify: again\n```\n";
    static const char noenv[] = "```opsdeck\ndrill: tabletop\nrole: gm = GM\nfacilitator: gm\n```\n"
                                "## A\n```opsdeck\nat: T+1\nnotify: hello\n```\n";
    unsetenv("DRILL_TEST_UNSET_HOOK");
    struct drill *d = parse(text, sizeof text - 1, NULL);
    tap_is_int((long long)d->nissues, 0, "parsing does not look at the environment");
    size_t n = drill_lint(d);
    tap_ok(n == 1 && d->issues[0].line == 7 &&
               strstr(d->issues[0].message, "DRILL_TEST_UNSET_HOOK (sandbox_env) is not set") &&
               strstr(d->issues[0].message, "2 injects"),
           "lint: the sandbox env var is not set, once, at the first notifying inject");
    drill_free(d);
    setenv("DRILL_TEST_UNSET_HOOK", "http://127.0.0.1:9/", 1);
    d = parse(text, sizeof text - 1, NULL);
    tap_is_int((long long)drill_lint(d), 0, "lint: clean once it is set");
    drill_free(d);
    unsetenv("DRILL_TEST_UNSET_HOOK");
    d = parse(noenv, sizeof noenv - 1, NULL);
    n = drill_lint(d);
    tap_ok(n == 1 && d->issues[0].line == 6 && strstr(d->issues[0].message, "no sandbox_env"),
           "lint: a sandboxed notify without sandbox_env");
    drill_free(d);
}

/* Stop conditions: check: stop headings, and stop_when: lines made checks after them. */
static void test_stop_when(void)
{
    static const char text[] =
        "```opsdeck\ndrill: live\nrole: gm = GM\nfacilitator: gm\n"
        "stop_when: alerts HighErrorRate state == firing\n"
        "stop_when: pools be_web/web1 status == DOWN\n```\n"
        "## Error rate\n```opsdeck\ncheck: stop\nrun: curl -sf http://127.0.0.1:9/x\n"
        "tolerance: 30s\ninterval: 2s\n```\n"
        "## Healthy\n```opsdeck\ncheck: during\nuntil: pools be_web/web1 status == UP\n```\n";
    struct drill *d = parse(text, sizeof text - 1, NULL);
    if (!tap_ok(d != NULL && d->nchecks == 4, "two checks and two stop_when lines: four checks")) {
        drill_free(d);
        return;
    }
    tap_is_int((long long)d->nissues, 0, "no issue");
    tap_is_int(d->checks[0].when, DRILL_STOP, "check: stop");
    tap_is_int(d->checks[0].tolerance_s, 30, "with its tolerance");
    tap_is_str(d->checks[0].id, "error-rate", "its id from the heading");
    tap_is_int(d->checks[1].when, DRILL_DURING, "the during check stays");
    tap_is_int(d->checks[2].when, DRILL_STOP, "stop_when is a stop check");
    tap_is_str(d->checks[2].id, "stop-when-1", "named stop-when-1");
    tap_is_str(d->checks[2].until, "alerts HighErrorRate state == firing", "its condition");
    tap_is_str(d->checks[2].title, "stop when alerts HighErrorRate state == firing",
               "titled by its condition");
    tap_is_int(d->checks[2].line, 5, "at its line");
    tap_is_int(d->checks[2].tolerance_s, 0, "tolerance 0");
    tap_is_int(d->checks[2].interval_ms, 5000, "every 5 s");
    tap_is_str(d->checks[3].id, "stop-when-2", "the second one");
    tap_is_int((long long)drill_lint(d), 0, "lint: clean");
    drill_free(d);
}

/* Preflight (issue 15): each case's whole message and line, exactly. */
static void test_preflight(void)
{
#define DURING "## C\n```opsdeck\ncheck: during\nrun: true\n```\n"
#define LIVE   "```opsdeck\ndrill: live\nduration: 20m\nrole: gm = GM\nfacilitator: gm\n```\n"
    static const struct {
        const char *text;
        int line;
        bool warning;
        const char *says;
    } pre[] = {
        {LIVE "## X\n```opsdeck\nat: T+1\nchaos: pools nuke be_web/x\nrollback: pools ready "
              "be_web/x\n```\n" DURING,
         10, false,
         "unknown verb 'nuke' for pools (its backends have: drain, ready, maint, weight)"},
        {LIVE "## X\n```opsdeck\nat: T+1\nchaos: pools drain be_web/x\nrollback: pools drain "
              "be_web/x\n```\n" DURING,
         10, false,
         "rollback 'pools drain be_web/x' is the same action as its chaos: it undoes nothing"},
        {LIVE "## X\n```opsdeck\nat: T+1\nchaos: pools drain be_web/x\nrollback: pools maint "
              "be_web/x\n```\n" DURING,
         10, false, "rollback 'maint' does not undo 'drain' (use ready, or rollback: restore)"},
        {LIVE "## X\n```opsdeck\nat: T+1\nchaos: deploys restart shop/api\nrollback: restore\n"
              "```\n" DURING,
         10, false,
         "rollback: restore cannot undo 'deploys restart' (on deploys it restores after scale, "
         "pause, resume); name the rollback action instead"},
        {LIVE "## X\n```opsdeck\nat: T+1\nchaos: pools weight be_web/x 1\nrollback: restore\n"
              "```\n",
         10, true,
         "a live drill with no during check or stop condition: nothing watches the steady state "
         "while 1 chaos "
         "action runs"},
        {"```opsdeck\ndrill: live\nduration: 20\nrole: gm = GM\nfacilitator: gm\n```\n", 3, false,
         "duration '20' has no unit: 20 what? e.g. 20m"},
        {LIVE "## X\n```opsdeck\nat: T+1\nbackend: plug\nchaos: pools nuke be_web/x\n"
              "rollback: pools unnuke be_web/x\n```\n" DURING,
         11, false, "no verb undoes 'pools nuke': it cannot be a chaos action with a rollback"},
    };
#undef LIVE
#undef DURING
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        struct drill *d = parse(pre[i].text, strlen(pre[i].text), NULL);
        size_t n = d != NULL ? drill_lint(d) : 0;
        bool ok = n == 1 && d->issues[0].line == pre[i].line &&
                  d->issues[0].warning == pre[i].warning &&
                  strcmp(d->issues[0].message, pre[i].says) == 0;
        tap_ok(ok, "preflight: line %d: %s", pre[i].line, pre[i].says);
        for (size_t k = 0; !ok && k < n; k++) {
            tap_diag("got %d: %s", d->issues[k].line, d->issues[k].message);
        }
        drill_free(d);
    }
    static const char good[] =
        "```opsdeck\ndrill: live\nduration: 20m\nrole: gm = GM\nfacilitator: gm\n```\n"
        "## X\n```opsdeck\nat: T+1\nauto: true\nchaos: pools weight be_web/x 1\nrollback: "
        "restore\nchaos: pools drain be_web/x\nrollback: pools ready be_web/x\n```\n"
        "## C\n```opsdeck\ncheck: during\nrun: true\n```\n";
    struct drill *d = parse(good, sizeof good - 1, NULL);
    tap_is_int((long long)drill_lint(d), 0, "preflight: restore, an inverse and a during check");
    tap_ok(d->injects[0].auto_chaos && d->injects[0].chaos[0].restore &&
               !d->injects[0].chaos[1].restore &&
               strcmp(d->injects[0].chaos[0].rollback.verb, "restore") == 0 &&
               strcmp(d->injects[0].chaos[0].rollback.target, "be_web/x") == 0,
           "auto: true and rollback: restore are read (restore names the chaos's pane and target)");
    drill_free(d);
}

int main(void)
{
    test_preflight();
    test_full();
    test_crlf();
    test_detect();
    test_garbage();
    test_sorting();
    test_lint();
    test_sandbox_env();
    test_stop_when();
    drill_free(NULL);
    return tap_done();
}
