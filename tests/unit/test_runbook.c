/*
 * Runbooks: Markdown from a wiki as is, sections and phases, ids, every step
 * type, the JSON form against its Markdown twin, CRLF, junk, and lint (one
 * case per problem, each at its line).
 */
#include "../../engine/runbook.h"
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

static const char *dir;

static struct runbook *fixture(const char *name)
{
    size_t len;
    char *text = tap_fixture(dir, name, &len);
    char *cause = NULL;
    struct runbook *rb = runbook_parse(text, len, name, &cause);
    if (rb == NULL) {
        tap_diag("%s: %s", name, cause ? cause : "?");
    }
    free(cause);
    free(text);
    return rb;
}

static struct runbook *parse_str(const char *text, char **cause)
{
    char *c = NULL;
    struct runbook *rb = runbook_parse(text, strlen(text), "t.md", &c);
    if (cause != NULL) {
        *cause = c;
    } else {
        free(c);
    }
    return rb;
}

static const struct rb_step *step(const struct runbook *rb, const char *id)
{
    int i = runbook_find_step(rb, id);
    static const struct rb_step none = {0};
    if (i < 0) {
        tap_diag("no step %s", id);
        return &none;
    }
    return &rb->steps[i];
}

static void test_wiki(void)
{
    struct runbook *rb = fixture("wiki.md");
    if (!tap_ok(rb != NULL, "a plain wiki page parses")) {
        return;
    }
    tap_is_str(rb->title, "Checkout 5xx", "the H1 is the title");
    tap_is_str(rb->intro,
               "Paged for checkout errors? Start here, and read the dashboard "
               "<https://grafana.example/d/checkout> first.",
               "intro: inline markup dropped, link as text <url>, soft breaks as blanks");
    tap_is_int((long long)rb->nsteps, 3, "every other heading is a step");
    tap_is_int((long long)rb->nissues, 0, "no issue");
    tap_is_int(runbook_lint(rb, NULL), 0, "and lint finds nothing");
    const struct rb_step *s = &rb->steps[0];
    tap_is_str(s->id, "acknowledge-the-page", "id from the heading");
    tap_is_int(s->line, 6, "heading line");
    tap_ok(s->type == RB_MANUAL && s->phase == RB_PHASE_S, "manual, Stay calm by default");
    tap_is_str(s->body,
               "Acknowledge in PagerDuty and open #inc-checkout.\n\n"
               "- tell the incident channel\n- note the time\n  - in UTC",
               "body: paragraphs, list items as '- item', nested indented");
    s = &rb->steps[1];
    tap_is_int((long long)s->ncode, 2, "indented and fenced code blocks");
    tap_is_str(s->ncode > 0 ? s->code[0] : NULL,
               "curl -s http://prometheus:9090/api/v1/query?query=rate", "indented code as is");
    tap_is_str(s->ncode > 1 ? s->code[1] : NULL,
               "curl -s http://prometheus:9090/api/v1/query?query=rate_yesterday",
               "fenced code as is");
    tap_is_str(s->body, "Compare with yesterday:", "code is not in the body");
    tap_ok(s->run == NULL, "no run: a manual step");
    s = &rb->steps[2];
    tap_is_str(s->body,
               "1. find the deploy\n2. roll it back\n\n> Only with the incident commander's OK.",
               "ordered list and quote; an HTML comment is dropped");
    tap_is_int(s->line, 22, "third heading line");
    tap_ok(rb->hash != 0, "the source is hashed");
    runbook_free(rb);
}

static void test_sections(void)
{
    struct runbook *rb = fixture("sections.md");
    if (!tap_ok(rb != NULL, "sections parse")) {
        return;
    }
    tap_is_int((long long)rb->nsteps, 8, "section headings are not steps");
    tap_ok(runbook_find_step(rb, "stay-calm") < 0 && runbook_find_step(rb, "assess") < 0,
           "no step for a section");
    tap_ok(step(rb, "open-the-incident-channel")->phase == RB_PHASE_S, "under Stay calm: S");
    tap_ok(step(rb, "look-at-the-queue")->phase == RB_PHASE_A, "under Assess: A");
    tap_ok(step(rb, "check-consumers")->phase == RB_PHASE_F, "phase: annotation wins");
    tap_ok(step(rb, "check-producers")->phase == RB_PHASE_A,
           "the section's phase beats the previous step's");
    tap_ok(step(rb, "scale-consumers")->phase == RB_PHASE_F, "'F: Mitigate' names Focus");
    tap_ok(step(rb, "wrap-up")->phase == RB_PHASE_F,
           "a heading with text is a step, inheriting the phase before it");
    tap_is_str(step(rb, "wrap-up")->body, "A step of its own: no deeper heading follows.",
               "its body");
    tap_ok(step(rb, "call-the-owner")->phase == RB_PHASE_E, "'Escalation' names Escalate");
    tap_is_int(step(rb, "check-consumers")->line, 16, "line of a step under a section");
    runbook_free(rb);

    rb = parse_str("## S - first\nx\n\n## second\ny\n\n## Assess things\nz\n\n## after\nw\n", NULL);
    if (tap_ok(rb != NULL && rb->nsteps == 4, "no title: every heading is a step")) {
        tap_ok(rb->steps[0].phase == RB_PHASE_S && rb->steps[1].phase == RB_PHASE_S &&
                   rb->steps[2].phase == RB_PHASE_A && rb->steps[3].phase == RB_PHASE_A,
               "phase words in step headings, then inherited");
        tap_is_str(rb->title, "t", "no H1: the title is the file's name");
    }
    runbook_free(rb);
}

static void test_ids(void)
{
    struct runbook *rb = fixture("ids.md");
    if (!tap_ok(rb != NULL, "ids parse")) {
        return;
    }
    tap_is_str(rb->steps[0].id, "check-the-error-rate", "slug of the heading");
    tap_is_str(rb->steps[1].id, "check-the-error-rate-2", "a duplicate gets -2");
    tap_is_str(rb->steps[2].id, "check-the-error-rate-3", "punctuation folds: -3");
    tap_is_str(rb->steps[3].id, "rollback", "an explicit id");
    tap_is_str(rb->steps[4].id, "rollback-2", "a default never takes an explicit id");
    tap_is_str(rb->steps[5].id, "end-2", "'end' is reserved for the end of the run");
    tap_is_int(runbook_find_step(rb, "rollback"), 3, "find by id");
    tap_is_int(runbook_find_step(rb, "nope"), -1, "and not a missing one");
    runbook_free(rb);
}

static void test_types(void)
{
    setenv("OPSDECK_TEST_SLACK_URL", "http://127.0.0.1:1/hook", 1);
    setenv("OPSDECK_TEST_PD_KEY", "k", 1);
    struct runbook *rb = fixture("types.md");
    if (!tap_ok(rb != NULL, "every step type parses")) {
        return;
    }
    tap_is_int((long long)rb->nissues, 0, "without an issue");
    tap_is_int(runbook_lint(rb, NULL), 0, "and lint is happy when the env is set");
    tap_is_int((long long)rb->nvars, 2, "two runbook variables");
    tap_ok(rb->nvars == 2 && strcmp(rb->vars[0].name, "service") == 0 &&
               strcmp(rb->vars[0].value, "checkout") == 0 && rb->vars[0].line == 4,
           "var with a default, comment stripped, its line");
    tap_ok(rb->nvars == 2 && strcmp(rb->vars[1].name, "instance") == 0 && rb->vars[1].value == NULL,
           "var without a default");

    const struct rb_step *s = step(rb, "just-read");
    tap_ok(s->type == RB_MANUAL && s->timeout_ms == 0, "manual");
    s = step(rb, "check-the-error-rate");
    tap_ok(s->type == RB_COMMAND, "command");
    tap_is_str(s->run, "curl -sf \"http://prom/api?q=${service}\" # not a comment",
               "run keeps a '#'");
    tap_is_str(s->capture, "rate", "capture");
    tap_is_int(s->timeout_ms, 20000, "timeout 20s");
    tap_is_int(s->expect_exit, -1, "expect any");
    tap_is_int(s->timebox_s, 300, "timebox 5m");
    tap_is_int(rb_step_key_line(s, "run"), 14, "line of an annotation key");
    tap_is_int(rb_step_key_line(s, "nope"), 11, "an unwritten key: the heading's line");
    s = step(rb, "which-region");
    tap_ok(s->type == RB_PROMPT && s->var && strcmp(s->var, "region") == 0, "prompt var");
    tap_is_str(s->ask, "Which region is on fire?", "ask");
    tap_ok(s->nchoices == 3 && strcmp(s->choices[1].label, "us") == 0 && s->choices[1].go == NULL,
           "choices split and trimmed");
    tap_is_str(s->default_value, "eu", "default");
    tap_ok(!s->secret && step(rb, "token")->secret, "secret");
    s = step(rb, "roll-back");
    tap_ok(s->type == RB_DECISION && s->nchoices == 2, "decision with two choices");
    tap_ok(s->nchoices == 2 && strcmp(s->choices[1].label, "no, keep it") == 0 &&
               strcmp(s->choices[1].go, "end") == 0 && s->choices[1].line == 42,
           "choice LABEL -> ID with its line");
    s = step(rb, "wait-for-the-queue");
    tap_ok(s->type == RB_WAIT && s->until != NULL, "wait until");
    tap_ok(s->interval_ms == 10000 && s->timeout_ms == 900000, "interval and timeout");
    s = step(rb, "wait-for-the-command");
    tap_ok(s->type == RB_WAIT && s->interval_ms == 5000 && s->timeout_ms == 600000 &&
               s->expect_exit == 0,
           "wait on a command: defaults 5s, 10m, expect 0");
    s = step(rb, "drain-web2");
    tap_ok(s->type == RB_ACTION && strcmp(s->action, "drain") == 0 &&
               strcmp(s->pane, "pools") == 0 && strcmp(s->target, "be_web/${instance}") == 0 &&
               strcmp(s->backend, "edge-lb") == 0 && strcmp(s->next, "tell-slack") == 0,
           "action keys");
    tap_is_str(step(rb, "scale-up")->input, "6", "action input");
    tap_is_str(step(rb, "approve")->role, "incident commander", "approval role");
    s = step(rb, "tell-slack");
    tap_ok(s->type == RB_NOTIFY && strcmp(s->service, "slack") == 0 &&
               strcmp(s->url_env, "OPSDECK_TEST_SLACK_URL") == 0,
           "notify slack");
    s = step(rb, "page");
    tap_ok(strcmp(s->service, "pagerduty") == 0 && strcmp(s->event, "trigger") == 0 &&
               strcmp(s->severity, "critical") == 0 &&
               strcmp(s->dedup_key, "${service}-incident") == 0,
           "notify pagerduty");
    runbook_free(rb);

    rb = parse_str("## c\n```opsdeck\ntype: command\n```\n    echo hi\n", NULL);
    tap_ok(rb != NULL && rb->steps[0].run == NULL && rb->steps[0].ncode == 1 &&
               rb->steps[0].timeout_ms == 300000 && rb->steps[0].expect_exit == 0,
           "command without run: the code block, default timeout 5m, expect 0");
    tap_ok(rb != NULL && runbook_lint(rb, NULL) == 0, "which lint accepts");
    runbook_free(rb);
}

static bool same_str(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Everything but line numbers (and, with lines, those too). */
static bool same_runbook(const struct runbook *a, const struct runbook *b, bool lines)
{
    if (!same_str(a->title, b->title) || !same_str(a->intro, b->intro) || a->nsteps != b->nsteps ||
        a->nvars != b->nvars || a->nissues != b->nissues) {
        tap_diag("title, intro or counts differ");
        return false;
    }
    for (size_t i = 0; i < a->nvars; i++) {
        if (!same_str(a->vars[i].name, b->vars[i].name) ||
            !same_str(a->vars[i].value, b->vars[i].value)) {
            tap_diag("var %zu differs", i);
            return false;
        }
    }
    for (size_t i = 0; i < a->nsteps; i++) {
        const struct rb_step *x = &a->steps[i], *y = &b->steps[i];
        bool same = same_str(x->id, y->id) && same_str(x->title, y->title) &&
                    same_str(x->body, y->body) && x->phase == y->phase && x->type == y->type &&
                    x->ncode == y->ncode && same_str(x->run, y->run) &&
                    same_str(x->capture, y->capture) && x->timeout_ms == y->timeout_ms &&
                    x->expect_exit == y->expect_exit && same_str(x->var, y->var) &&
                    x->nchoices == y->nchoices && x->timebox_s == y->timebox_s &&
                    (!lines || x->line == y->line);
        for (size_t c = 0; same && c < x->ncode; c++) {
            same = same_str(x->code[c], y->code[c]);
        }
        for (size_t c = 0; same && c < x->nchoices; c++) {
            same = same_str(x->choices[c].label, y->choices[c].label) &&
                   same_str(x->choices[c].go, y->choices[c].go) &&
                   (!lines || x->choices[c].line == y->choices[c].line);
        }
        for (size_t k = 0; same && lines && k < x->nkeylines; k++) {
            same = x->nkeylines == y->nkeylines && x->keylines[k].line == y->keylines[k].line;
        }
        if (!same) {
            tap_diag("step %zu (%s) differs", i, x->id);
            return false;
        }
    }
    return true;
}

static void test_json(void)
{
    struct runbook *md = fixture("equiv.md");
    struct runbook *js = fixture("equiv.json");
    if (!tap_ok(md != NULL && js != NULL, "both forms parse")) {
        runbook_free(md);
        runbook_free(js);
        return;
    }
    tap_ok(same_runbook(md, js, false), "the JSON form is the same model as its Markdown twin");
    tap_is_int(js->steps[2].line, 9, "a JSON step's line is its object's");
    tap_is_int(runbook_lint(js, NULL), 0, "the JSON twin lints clean");
    runbook_free(md);
    runbook_free(js);

    char *cause = NULL;
    struct runbook *rb = runbook_parse("{\n  \"steps\": [\n", 14, "t.json", &cause);
    tap_ok(rb == NULL && cause != NULL && str_has_prefix(cause, "t.json:"),
           "broken JSON is not a runbook, and the error names the file");
    free(cause);
    cause = NULL;
    rb = runbook_parse("  [1, 2]", 8, "t.json", &cause);
    tap_ok(rb == NULL && cause != NULL && strstr(cause, "no step") != NULL,
           "a JSON array is Markdown without a heading: not a runbook");
    free(cause);
    const char *j = "{\"steps\": [\n{\"title\": \"a\", \"type\": \"dance\"},\n"
                    "{\"title\": \"b\", \"timeout\": [1]},\n42],\n\"extra\": 1}";
    rb = runbook_parse(j, strlen(j), "t.json", &cause);
    if (tap_ok(rb != NULL, "a JSON runbook with problems still parses")) {
        tap_ok(rb->nissues == 4 && rb->issues[0].line == 2 &&
                   strstr(rb->issues[0].message, "unknown step type 'dance'") != NULL &&
                   rb->issues[1].line == 3 && strstr(rb->issues[1].message, "timeout") &&
                   rb->issues[2].line == 4 && strstr(rb->issues[2].message, "an object") &&
                   rb->issues[3].line == 5 && strstr(rb->issues[3].message, "'extra'"),
               "and its issues carry the line of their step");
        for (size_t i = 0; i < rb->nissues && rb->nissues != 4; i++) {
            tap_diag("%d: %s", rb->issues[i].line, rb->issues[i].message);
        }
    }
    runbook_free(rb);
}

static void test_json_types(void)
{
    const char *m = "{\"steps\": [\n  {\n    \"title\": \"a\",\n    \"type\": \"command\",\n"
                    "    \"run\": \"x\",\n    \"timeout\": \"forever\"\n  }\n]}";
    struct runbook *r = runbook_parse(m, strlen(m), "t.json", NULL);
    tap_ok(r != NULL && r->nissues == 1 && r->issues[0].line == 6 && r->steps[0].line == 2 &&
               rb_step_key_line(&r->steps[0], "run") == 5,
           "a JSON member's problem is at the member's line, the step at its object's");
    runbook_free(r);

    const char *j = "{\"title\": 3,\n\"steps\": [{\"title\": \"a\"}]}";
    struct runbook *rb = runbook_parse(j, strlen(j), "t.json", NULL);
    tap_ok(rb != NULL && rb->nissues == 1 && rb->issues[0].line == 1 &&
               strcmp(rb->issues[0].message, "'title' must be a string, not a number") == 0,
           "a JSON member of the wrong type is named as such");
    runbook_free(rb);
}

static char *to_crlf(const char *s)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    for (; *s != '\0'; s++) {
        if (*s == '\n') {
            strbuf_add(&sb, "\r\n", 2);
        } else {
            strbuf_add(&sb, s, 1);
        }
    }
    return sb.s;
}

static void test_crlf(void)
{
    static const char *const names[] = {"wiki.md", "types.md", "sections.md"};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        char *text = tap_fixture(dir, names[i], &len);
        char *crlf = to_crlf(text);
        struct runbook *a = runbook_parse(text, len, "x.md", NULL);
        struct runbook *b = runbook_parse(crlf, strlen(crlf), "x.md", NULL);
        tap_ok(a != NULL && b != NULL && same_runbook(a, b, true) && a->hash != b->hash,
               "%s with CRLF line ends: the same runbook, the same lines", names[i]);
        runbook_free(a);
        runbook_free(b);
        free(text);
        free(crlf);
    }
}

static void test_junk(void)
{
    char *cause = NULL;
    struct runbook *rb = runbook_parse("", 0, "e.md", &cause);
    tap_ok(rb == NULL && cause != NULL && strstr(cause, "no step") != NULL,
           "an empty file is not a runbook");
    free(cause);
    rb = parse_str("   \n\n\t\n", &cause);
    tap_ok(rb == NULL && cause != NULL && strstr(cause, "no step") != NULL, "nor blank lines");
    free(cause);
    rb = parse_str("# Only a title\n\nSome text.\n", &cause);
    tap_ok(rb == NULL && cause != NULL && str_has_prefix(cause, "t.md:"),
           "nor a title without steps");
    free(cause);
    const char bin[] = "## a\n\x7f"
                       "ELF\x02\x01\x01\x00\x00\xff\xfe";
    rb = runbook_parse(bin, sizeof bin - 1, "b.md", &cause);
    tap_ok(rb == NULL && cause != NULL && strstr(cause, "not UTF-8 text") != NULL &&
               str_has_prefix(cause, "b.md:2:"),
           "binary garbage is not a runbook, and the error says where");
    free(cause);
    const char bad_utf8[] = "## caf\xc3\n";
    rb = runbook_parse(bad_utf8, sizeof bad_utf8 - 1, "b.md", &cause);
    tap_ok(rb == NULL, "a cut UTF-8 sequence is not text");
    free(cause);
    const char esc_md[] = "# T\n\n## a \x1b]52;c;YQ==\x07 b\n";
    rb = runbook_parse(esc_md, sizeof esc_md - 1, "c.md", &cause);
    tap_ok(rb == NULL && cause != NULL && str_has_prefix(cause, "c.md:3:") &&
               strstr(cause, "a control character") != NULL,
           "a raw ESC is not text, and the error says it is a control character");
    free(cause);
    const char esc[] =
        "{\"title\": \"t\",\n \"steps\": [{\"title\": \"x\\u001b]52;c;YQ==\\u0007\"}]}";
    rb = runbook_parse(esc, sizeof esc - 1, "e.json", &cause);
    tap_ok(rb == NULL && cause != NULL &&
               strcmp(cause,
                      "e.json:2: not a runbook: a control character (\\u001b) in a string") == 0,
           "a JSON runbook with an escaped ESC is refused at its line");
    free(cause);
    const char ok_esc[] =
        "{\"title\": \"t \\\\u001b\", \"steps\": [{\"title\": \"a\\tb \\u00e9\"}]}";
    rb = runbook_parse(ok_esc, sizeof ok_esc - 1, "o.json", &cause);
    tap_ok(rb != NULL, "an escaped backslash, a tab and an accent are fine");
    runbook_free(rb);

    struct strbuf big = {0};
    for (int i = 0; i < 6000; i++) {
        strbuf_str(&big, "## a\n");
    }
    rb = runbook_parse(big.s, big.n, "big.md", &cause);
    tap_ok(rb == NULL && cause != NULL && strstr(cause, "more than 5000 steps") != NULL &&
               str_has_prefix(cause, "big.md:5001:"),
           "a runbook of 6000 steps is refused at the step that is one too many");
    free(cause);
    big.n = 0;
    strbuf_str(&big, "{\"steps\": [{}");
    for (int i = 0; i < 6000; i++) {
        strbuf_str(&big, ",{}");
    }
    strbuf_str(&big, "]}");
    rb = runbook_parse(big.s, big.n, "big.json", &cause);
    tap_ok(rb == NULL && cause != NULL && strstr(cause, "more than 5000 steps") != NULL,
           "so is a JSON one");
    free(cause);
    free(big.s);
    cause = NULL;

    /*
     * Links cut by the end of the text make md4c 0.4.8 read past its input
     * (found by fuzz-runbook; md4c PR #167): exact-size copies, so ASan sees it.
     */
    static const char *const cut[] = {
        "he [dbttd]()the [dbttd]()p dbttd]()th[dbttd](-",
        "# ec\nPead(https://grafana.example:rthe ([dshbd](https://grafaNa.extargetiden",
        "##r[](r[](",
        "## a\n[x](<",
    };
    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        size_t n = strlen(cut[i]);
        char *exact = xmalloc(n);
        memcpy(exact, cut[i], n);
        rb = runbook_parse(exact, n, "cut.md", &cause);
        tap_ok(rb != NULL || (cause != NULL && str_has_prefix(cause, "cut.md:")),
               "a link cut by the end of the text: %zu", i);
        runbook_free(rb);
        free(cause);
        cause = NULL;
        free(exact);
    }

    /* Random bytes that happen to be text must never crash the parser. */
    unsigned seed = 12345;
    int parsed = 0;
    for (int i = 0; i < 2000; i++) {
        char buf[256];
        size_t n = 1 + (size_t)(i % 255);
        for (size_t k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            buf[k] = "#\n `~-*>[]()<!{}:.0aZ|\\\r\t"[(seed >> 16) % 25];
        }
        struct runbook *r = runbook_parse(buf, n, "r.md", &cause);
        if (r != NULL) {
            runbook_lint(r, NULL);
            parsed++;
        }
        runbook_free(r);
        free(cause);
        cause = NULL;
    }
    tap_ok(parsed > 0, "2000 random Markdown-ish inputs parse or fail cleanly (%d parsed)", parsed);
}

/* One problem, at its line. */
static void lint_case(const char *text, int line, const char *want)
{
    struct runbook *rb = parse_str(text, NULL);
    if (!tap_ok(rb != NULL, "parses: %s", want)) {
        return;
    }
    runbook_lint(rb, NULL);
    bool found = false;
    for (size_t i = 0; i < rb->nissues; i++) {
        found = found || (rb->issues[i].line == line && strstr(rb->issues[i].message, want));
    }
    tap_ok(found && rb->nissues == 1, "lint: '%s' at line %d, and nothing else", want, line);
    if (!found || rb->nissues != 1) {
        for (size_t i = 0; i < rb->nissues; i++) {
            tap_diag("%d: %s", rb->issues[i].line, rb->issues[i].message);
        }
    }
    runbook_free(rb);
}

static void lint_clean(const char *text, const char *const *known, const char *what)
{
    struct runbook *rb = parse_str(text, NULL);
    size_t n = rb != NULL ? runbook_lint(rb, known) : 1;
    tap_ok(n == 0, "lint clean: %s", what);
    for (size_t i = 0; rb != NULL && i < rb->nissues; i++) {
        tap_diag("%d: %s", rb->issues[i].line, rb->issues[i].message);
    }
    runbook_free(rb);
}

static void test_lint(void)
{
    lint_case("# T\n\n## a\n```opsdeck\ntype: dance\nrun: ls\n```\n", 5,
              "unknown step type 'dance'");
    lint_case("## a\n```opsdeck\ncolour: red\n```\n", 3, "unknown key 'colour'");
    lint_case("## a\n\n```opsdeck\n\n# why\nrun: ls\n```\n", 6,
              "'run' is not a key of a manual step");
    lint_case("## a\n```opsdeck\ntype: command\nrun: ls\nrun: ls -l\n```\n", 5,
              "duplicate key 'run'");
    lint_case("## a\n```opsdeck\ntype: command\nrun: ls\ntimeout: 5 minutes\n```\n", 5,
              "bad duration '5 minutes' for timeout");
    lint_case("## a\n```opsdeck\ntimebox: 0s\n```\n", 3, "timebox '0s' is out of range");
    lint_case("## a\n```opsdeck\nphase: panic\n```\n", 3, "bad phase 'panic'");
    lint_case("## a\n```opsdeck\ntype: command\nrun: ls\nexpect: 256\n```\n", 5,
              "bad expect '256'");
    lint_case("## a\n```opsdeck\ntype: prompt\nvar: x\nsecret: maybe\n```\n", 5,
              "bad secret 'maybe'");
    lint_case("## a\n```opsdeck\njust words\n```\n", 3, "expected 'key: value'");
    lint_case("## a\ntext\n\n```opsdeck\nnext: nowhere\n```\n", 5,
              "next goes to a missing step 'nowhere'");
    lint_case("## a\n```opsdeck\ntype: decision\nchoice: yes -> b\nchoice: no -> gone\n```\n"
              "## b\n",
              5, "choice 'no' goes to a missing step 'gone'");
    lint_case("## a\n```opsdeck\ntype: decision\nchoice: yes\nchoice: no -> end\n```\n", 4,
              "choice needs LABEL -> STEP-ID");
    lint_case("## a\n```opsdeck\ntype: decision\n```\n", 1, "decision without a choice");
    lint_case("## a\n```opsdeck\ntype: command\nrun: ping ${host}\n```\n", 4,
              "variable 'host' in run is used before anything sets it");
    lint_case("## a\n    ping ${host}\n\n```opsdeck\ntype: command\n```\n", 1,
              "variable 'host' in run");
    lint_case("## a\n```opsdeck\ntype: action\naction: drain\npane: pools\ntarget: be/${srv}\n```"
              "\n## b\n```opsdeck\ntype: prompt\nvar: srv\n```\n",
              6, "variable 'srv' in target is used before anything sets it");
    lint_case("## a\n```opsdeck\ntype: command\nrun: ls\ncapture: out\n```\n"
              "## b\n```opsdeck\ntype: notify\nservice: slack\nurl_env: PATH\n"
              "message: ${out} and ${nope}\n```\n",
              12, "variable 'nope' in message");
    lint_case("## a\n```opsdeck\ntype: decision\nask: go ${where}?\nchoice: y -> end\n```\n", 4,
              "variable 'where' in ask");
    lint_case("## a\n```opsdeck\ntype: wait\nuntil: queues orders.dlq readiness < 10\n```\n", 4,
              "unknown column 'readiness' in queues");
    lint_case("## a\n```opsdeck\ntype: wait\nuntil: queues orders.dlq ready <> 10\n```\n", 4,
              "unknown operator '<>'");
    lint_case("## a\n```opsdeck\ntype: wait\nuntil: tables x ready < 10\n```\n", 4,
              "unknown pane 'tables'");
    lint_case("## a\n```opsdeck\ntype: wait\n```\n", 1, "wait without until or run");
    lint_case("## a\n```opsdeck\ntype: prompt\nask: who?\n```\n", 1, "prompt without var");
    lint_case("## a\n```opsdeck\ntype: prompt\nvar: 9lives\n```\n", 4,
              "'9lives' is not a variable name");
    lint_case("## a\n```opsdeck\ntype: action\naction: drain\npane: pools\n```\n", 1,
              "action step without target");
    lint_case("## a\n```opsdeck\ntype: action\naction: drain\npane: printers\ntarget: x\n```\n", 5,
              "unknown pane 'printers'");
    lint_case("## a\n```opsdeck\ntype: approval\n```\n", 1, "approval without role");
    unsetenv("OPSDECK_TEST_UNSET_URL");
    lint_case("## a\n```opsdeck\ntype: notify\nservice: slack\nmessage: hi\n"
              "url_env: OPSDECK_TEST_UNSET_URL\n```\n",
              6, "environment variable OPSDECK_TEST_UNSET_URL (url_env) is not set");
    lint_case("## a\n```opsdeck\ntype: notify\nservice: slack\nmessage: hi\n```\n", 1,
              "notify to slack without url_env");
    lint_case("## a\n```opsdeck\ntype: notify\nservice: pagerduty\nmessage: hi\n```\n", 1,
              "notify to pagerduty without routing_key_env");
    lint_case("## a\n```opsdeck\ntype: notify\nservice: pigeon\nmessage: hi\n```\n", 4,
              "unknown service 'pigeon'");
    lint_case("## a\n```opsdeck\ntype: notify\nservice: pagerduty\nrouting_key_env: PATH\n"
              "severity: meh\n```\n",
              6, "unknown severity 'meh'");
    lint_case("# T\n\n```opsdeck\nvar: ok = 1\ntype: command\n```\n\n## a\n", 5,
              "'type' is not a key of the runbook block");
    lint_case("# T\n\n```opsdeck\nvar: a b\n```\n\n## a\n", 4, "'a b' is not a variable name");
    lint_case("## a\n```opsdeck\nid: x\n```\n## b\n```opsdeck\nid: x\n```\n", 7,
              "step id 'x' is used twice");
    lint_case("## a\n```opsdeck\ntype: command\nrun: ls\n```\n\n## b\n"
              "```opsdeck\ntype: prompt\nvar: x\nchoices: a, b\ndefault: c\n```\n",
              12, "default 'c' is not one of the choices");

    static const char *const known[] = {"host", NULL};
    lint_clean("## a\n```opsdeck\ntype: command\nrun: ping ${host}\n```\n", known,
               "a --var name is known");
    lint_clean("# T\n```opsdeck\nvar: host\n```\n## a\n```opsdeck\ntype: command\n"
               "run: ping ${host} $${HOME}\n```\n",
               NULL, "a var: without a default is known; $${X} is no reference");
    lint_clean("## a\n```opsdeck\ntype: prompt\nvar: host\n```\n## b\n```opsdeck\n"
               "type: command\nrun: ping ${host}\ncapture: rtt\n```\n## c\n```opsdeck\n"
               "type: wait\nuntil: pools ${host} rt ms < ${rtt}\n```\n",
               NULL, "prompt and capture set variables for later steps");
}

static void test_load(void)
{
    char *cause = NULL;
    char *path = xasprintf("%s/wiki.md", dir);
    struct runbook *rb = runbook_load(path, &cause);
    tap_ok(rb != NULL && rb->nsteps == 3 && strcmp(rb->path, path) == 0, "load a file");
    runbook_free(rb);
    free(path);
    rb = runbook_load("/nonexistent/x.md", &cause);
    tap_ok(rb == NULL && cause != NULL && strstr(cause, "/nonexistent/x.md: ") == cause,
           "a missing file names itself");
    free(cause);
    rb = runbook_load("/tmp", &cause);
    tap_ok(rb == NULL && cause != NULL && strstr(cause, "not a regular file") != NULL,
           "a directory is refused");
    free(cause);
    char tmpl[] = "/tmp/opsdeck-rb-XXXXXX";
    int fd = mkstemp(tmpl);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (tap_ok(f != NULL, "temp file")) {
        fputs("## a\n", f);
        for (int i = 0; i < (4 << 20) / 64 + 1; i++) {
            fputs("0123456789012345678901234567890123456789012345678901234567890123", f);
        }
        fclose(f);
        rb = runbook_load(tmpl, &cause);
        tap_ok(rb == NULL && cause != NULL && strstr(cause, "larger than 4 MiB") != NULL,
               "a file over 4 MiB is refused");
        free(cause);
        unlink(tmpl);
    }
}

int main(int argc, char **argv)
{
    dir = argc > 1 ? argv[1] : "tests/fixtures/runbooks";
    test_wiki();
    test_sections();
    test_ids();
    test_types();
    test_json();
    test_json_types();
    test_crlf();
    test_junk();
    test_load();
    test_lint();
    tap_ok(strcmp(rb_phase_name(RB_PHASE_F), "Focus") == 0 && rb_phase_letter(RB_PHASE_E) == 'E' &&
               strcmp(rb_step_type_name(RB_APPROVAL), "approval") == 0,
           "names of phases and types");
    return tap_done();
}
