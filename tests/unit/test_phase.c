/*
 * Headings and phases of wiki runbooks (engine/phase.h): titles without
 * numbering, phase names and synonyms, verbs, the overview; then a corpus of
 * runbooks written in the styles of public ones (tests/data/runbooks/styles:
 * GitLab, the Google SRE workbook, PagerDuty, Atlassian, the Kubernetes
 * runbooks, a numbered wiki page) parsed whole: the phase of every step, its
 * title, which phases were inferred and from which word, and the overview.
 */
#include "../../engine/phase.h"
#include "../../engine/runbook.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>

static const char *dir;

static void title_is(const char *heading, const char *want)
{
    char *got = phase_title(heading);
    tap_is_str(got, want, heading);
    free(got);
}

static void test_titles(void)
{
    title_is("1. Acknowledge", "Acknowledge");
    title_is("Step 2: Assess impact", "Assess impact");
    title_is("3) Drain the bad node", "Drain the bad node");
    title_is("(4) Restart", "Restart");
    title_is("🔥 Mitigate", "Mitigate");
    title_is("✅ 5. Verify", "Verify");
    title_is("Escalate:", "Escalate");
    title_is("**Escalate**", "Escalate");
    title_is("Phase: Escalate", "Escalate");
    title_is("Phase 2 - Assess", "Assess");
    title_is("Step 7 Page the owner", "Page the owner");
    title_is("1.2 Check the logs", "Check the logs");
    title_is("#4 Roll back", "Roll back");
    title_is("10. Wrap up", "Wrap up");
    /* numbers that are content, not numbering */
    title_is("5xx on checkout", "5xx on checkout");
    title_is("404 spike", "404 spike");
    title_is("2 servers down", "2 servers down");
    title_is("10.0.0.1 unreachable", "10.0.0.1 unreachable");
    title_is("2FA resets fail", "2FA resets fail");
    title_is("Steps to reproduce", "Steps to reproduce");
    title_is("Stage the fix", "Stage the fix");
    /* nothing but decoration: left as it is */
    title_is("1.", "1.");
    title_is("🔥", "🔥");
}

static void named_is(const char *heading, int want)
{
    tap_is_int(phase_named(heading), want, heading);
}

static void test_named(void)
{
    named_is("1. Acknowledge", RB_PHASE_S);
    named_is("Stay calm: acknowledge", RB_PHASE_S);
    named_is("Triage", RB_PHASE_S);
    named_is("Step 2: Assess impact", RB_PHASE_A);
    named_is("Investigation", RB_PHASE_A);
    named_is("Diagnosis", RB_PHASE_A);
    named_is("🔥 Mitigate", RB_PHASE_F);
    named_is("Mitigation:", RB_PHASE_F);
    named_is("Remediation", RB_PHASE_F);
    named_is("Fix the challenge path", RB_PHASE_F);
    named_is("Recovery", RB_PHASE_F);
    named_is("Focus", RB_PHASE_F);
    named_is("**Escalate**", RB_PHASE_E);
    named_is("Escalation", RB_PHASE_E);
    named_is("Communication", RB_PHASE_E);
    named_is("Phase: Escalate", RB_PHASE_E);
    named_is("Page the owner", RB_PHASE_E);
    named_is("F: roll back", RB_PHASE_F);
    named_is("E - call the owner", RB_PHASE_E);
    /* a phase word that is not the first word names nothing */
    named_is("Drain the bad node", -1);
    named_is("How to escalate", -1);
    named_is("Restart count of the pods", -1);
    named_is("Pager rotation", -1);
    named_is("Fixture data", -1);
    named_is("Phase: Detect", -1);
    named_is("Summary", -1);
}

static void infer_is(const char *title, const char *body, int want, const char *word)
{
    char *got = NULL;
    int ph = phase_infer(title, body, &got);
    tap_is_int(ph, want, title);
    tap_is_str(got != NULL ? got : "(none)", word != NULL ? word : "(none)", title);
    free(got);
}

static void test_infer(void)
{
    infer_is("Drain the bad node", NULL, RB_PHASE_F, "Drain");
    infer_is("3) Drain the bad node", NULL, RB_PHASE_F, "Drain");
    infer_is("Roll back the last deploy", NULL, RB_PHASE_F, "Roll back");
    infer_is("Fail over to the other region", NULL, RB_PHASE_F, "Fail over");
    infer_is("Restarting the pods", NULL, RB_PHASE_F, "Restarting");
    infer_is("Scale the cache up", NULL, RB_PHASE_F, "Scale");
    infer_is("Disable the flag", NULL, RB_PHASE_F, "Disable");
    infer_is("Purge the queue", NULL, RB_PHASE_F, "Purge");
    infer_is("Revert the config", NULL, RB_PHASE_F, "Revert");
    infer_is("Check that it serves again", NULL, RB_PHASE_A, "Check");
    infer_is("Look at the rollout", NULL, RB_PHASE_A, "Look");
    infer_is("Confirm the blast radius", NULL, RB_PHASE_A, "Confirm");
    infer_is("Verify logins work", NULL, RB_PHASE_A, "Verify");
    infer_is("Inspect the biggest keys", NULL, RB_PHASE_A, "Inspect");
    infer_is("Investigate the IdP", NULL, RB_PHASE_A, "Investigate");
    infer_is("Acknowledge the alert", NULL, RB_PHASE_S, "Acknowledge");
    infer_is("Announce the incident", NULL, RB_PHASE_S, "Announce");
    infer_is("Ack it", NULL, RB_PHASE_S, "Ack");
    infer_is("Page the web on-call", NULL, RB_PHASE_E, "Page");
    infer_is("Call the vendor", NULL, RB_PHASE_E, "Call");
    infer_is("Notify leadership", NULL, RB_PHASE_E, "Notify leadership");
    infer_is("Resolve or escalate", NULL, RB_PHASE_E, "escalate");
    infer_is("If it comes back, roll back", NULL, RB_PHASE_F, "roll back");
    /* the body: its first word and its list items */
    infer_is("The bad node", "Drain it from the pool.", RB_PHASE_F, "Drain");
    infer_is("Logins", "Why:\n- Check the IdP status\n- Restart later", RB_PHASE_A, "Check");
    infer_is("Logins", "1. Restart the session service", RB_PHASE_F, "Restart");
    /* no guess from words that are not where an action starts */
    infer_is("Overview of the rollback", NULL, -1, NULL);
    infer_is("Checkout errors", NULL, -1, NULL);
    infer_is("5xx on checkout", "Customers see errors. Drain nothing yet.", -1, NULL);
    infer_is("Notes", "**Never drain more than one server**", -1, NULL);
    infer_is("Pager rotation", NULL, -1, NULL);
    infer_is("Update the status page", "Post what users see.", -1, NULL);
    infer_is("Confirmation", NULL, RB_PHASE_A, "Confirmation");
}

static void test_overview(void)
{
    const char *yes[] = {"TL;DR",
                         "tl;dr:",
                         "Overview",
                         "Summary",
                         "Introduction",
                         "Background",
                         "Meaning",
                         "Impact",
                         "Symptoms",
                         "About this runbook",
                         "Overview of the service",
                         "📋 Overview",
                         NULL};
    const char *no[] = {"Acknowledge", "Impact assessment", "Summary the team",
                        "Check",       "Prerequisites",     NULL};
    for (const char **h = yes; *h != NULL; h++) {
        tap_ok(phase_is_overview(*h), "'%s' is an overview heading", *h);
    }
    for (const char **h = no; *h != NULL; h++) {
        tap_ok(!phase_is_overview(*h), "'%s' is not an overview heading", *h);
    }
}

/* ---- the corpus ---- */

struct want {
    const char *file;
    const char *phases;   /* one letter per step */
    const char *titles;   /* step titles joined with '|' */
    const char *words;    /* inferred-from words joined with '|', "-" for a step not inferred */
    const char *overview; /* a line the overview holds, NULL: empty */
};

static const struct want corpus[] = {
    {"wiki-numbered.md", "SAFFAFE",
     "Acknowledge|Assess impact|Drain the bad node|Mitigate|Check that it serves again|Roll back "
     "the last deploy|Escalate",
     "-|-|Drain|-|Check|Roll back|-", "| every server of be_web down | page the web on-call |"},
    {"gitlab.md", "AAFFE",
     "Check memory usage on the primary|Inspect the biggest keys|Scale the cache up|Purge the "
     "stale namespace|Escalation",
     "Check|Inspect|Scale|Purge|-", "- evicted_keys grows on the primary."},
    {"google-sre.md", "SAFFEE",
     "Declare the incident|Assess severity|Roll back the most recent change|Fail over to the "
     "other region|Update the status page|Notify leadership",
     "-|-|-|-|-|-",
     "Adapted to our services from the incident management chapter of the SRE "
     "workbook."},
    {"pagerduty.md", "SAAFEE",
     "Acknowledge the incident|Investigate|Confirm the blast radius|Disable the new fraud "
     "check|Resolve or escalate|Postmortem",
     "-|-|Confirm|Disable|escalate|-", "Payments API p99 latency is above 2 s for 5 minutes."},
    {"atlassian.md", "SSAEFF",
     "Acknowledge the alert|Announce the incident|Investigate the identity provider|Communicate "
     "with customers|Restart the session service|Verify logins work",
     "-|Announce|-|-|-|-", "Use this playbook for a major incident (severity 1 or 2) on login."},
    {"kubernetes.md", "AF", "Diagnosis|Mitigation", "-|-",
     "The service may run with fewer replicas than it needs."},
    /* a runbook that names its phases keeps them: nothing is re-inferred */
    {"explicit-sections.md", "SAAFF",
     "Acknowledge the page|Restart count of the pods|Roll back or not?|Check the deploy "
     "finished|Drain all servers",
     "-|-|-|-|-", "This runbook names its phases: nothing in it is inferred."},
    /* numbers that are content stay, nothing is guessed from the middle of a sentence */
    {"no-numbering.md", "SSSSS",
     "5xx on checkout|404 spike on the API|2 servers down in be_web|10.0.0.1 unreachable|Overview "
     "of the rollback",
     "-|-|-|-|-", NULL},
};

static void test_corpus(void)
{
    for (size_t c = 0; c < sizeof corpus / sizeof corpus[0]; c++) {
        const struct want *w = &corpus[c];
        size_t len = 0;
        char *text = tap_fixture(dir, w->file, &len);
        char *cause = NULL;
        struct runbook *rb = text != NULL ? runbook_parse(text, len, w->file, &cause) : NULL;
        if (!tap_ok(rb != NULL, "%s parses (%s)", w->file, cause ? cause : "")) {
            free(cause);
            free(text);
            continue;
        }
        struct strbuf phases = {0}, titles = {0}, words = {0};
        for (size_t i = 0; i < rb->nsteps; i++) {
            const struct rb_step *s = &rb->steps[i];
            strbuf_printf(&phases, "%c", rb_phase_letter(s->phase));
            strbuf_printf(&titles, "%s%s", i ? "|" : "", s->title);
            strbuf_printf(&words, "%s%s", i ? "|" : "", s->phase_word ? s->phase_word : "-");
        }
        char what[128];
        snprintf(what, sizeof what, "%s: phases", w->file);
        tap_is_str(phases.s, w->phases, what);
        snprintf(what, sizeof what, "%s: titles", w->file);
        tap_is_str(titles.s, w->titles, what);
        snprintf(what, sizeof what, "%s: inferred from", w->file);
        tap_is_str(words.s, w->words, what);
        if (w->overview != NULL) {
            tap_ok(strstr(rb->intro, w->overview) != NULL, "%s: the overview holds '%s'", w->file,
                   w->overview);
        } else {
            tap_is_str(rb->intro, "", "no overview");
        }
        tap_is_int((long long)rb->nissues, 0, "no problem found");
        free(phases.s);
        free(titles.s);
        free(words.s);
        runbook_free(rb);
        free(text);
    }
}

/* The overview stops at the first step; a page of nothing but an overview is steps. */
static void test_overview_edges(void)
{
    const char *only = "# T\n\n## Overview\nAbout it.\n\n## Summary\nMore.\n";
    char *cause = NULL;
    struct runbook *rb = runbook_parse(only, strlen(only), "only.md", &cause);
    tap_ok(rb != NULL && rb->nsteps == 2, "a page of overview headings only keeps them as steps");
    runbook_free(rb);
    const char *sub = "# Runbook: T\n\nIntro.\n\n## TL;DR\n### Why\nBecause.\n\n## Check it\nok\n"
                      "## Summary\nAt the end: a step.\n";
    rb = runbook_parse(sub, strlen(sub), "sub.md", &cause);
    tap_ok(rb != NULL && rb->nsteps == 2, "headings under the TL;DR are overview, a Summary "
                                          "after the first step is a step");
    if (rb != NULL) {
        tap_is_str(rb->intro, "Intro.\n\nTL;DR\n\nWhy\nBecause.", "the overview's text");
        tap_is_str(rb->title, "Runbook: T", "the title is as written");
        tap_is_str(rb->steps[0].id, "check-it", "ids from the heading");
    }
    runbook_free(rb);
    const char *ann = "# T\n\n## Overview\n```opsdeck\ntype: manual\n```\nRead it.\n\n## Do\nx\n";
    rb = runbook_parse(ann, strlen(ann), "ann.md", &cause);
    tap_ok(rb != NULL && rb->nsteps == 2, "an annotated Overview heading is a step");
    runbook_free(rb);
    const char *ids = "# T\n\n## 1. Drain\nx\n\n```opsdeck\nnext: 2-check\n```\n## 2. Check\ny\n";
    rb = runbook_parse(ids, strlen(ids), "ids.md", &cause);
    tap_ok(rb != NULL && runbook_find_step(rb, "2-check") == 1 && rb->nissues == 0,
           "a default id is the numbered heading's, as before");
    runbook_free(rb);
    free(cause);
}

int main(int argc, char **argv)
{
    dir = argc > 1 ? argv[1] : "tests/data/runbooks/styles";
    test_titles();
    test_named();
    test_infer();
    test_overview();
    test_corpus();
    test_overview_edges();
    return tap_done();
}
