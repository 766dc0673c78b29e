/*
 * Headings and S.A.F.E. phases of runbooks written for a wiki, not for
 * opsdeck (docs/runbooks.md "Phases", "The overview").
 *
 * A wiki numbers and decorates its headings: "1. Acknowledge", "Step 2:
 * Assess impact", "3) Drain the bad node", "🔥 Mitigate", "Phase: Escalate",
 * "Mitigation:". phase_title() takes the decoration off so the title reads
 * once; phase_named() says which phase a heading names by its first word (a
 * phase name or a synonym); phase_infer() guesses the phase of a step from
 * its verbs when no heading names one ("Drain the bad node" is Focus).
 *
 * The contract: conservative. A word counts only where a person reading the
 * heading would take it as the phase or the action (the first word of the
 * heading; for verbs, the first known verb of the title, else the first word
 * of a sentence or list item of the body). Nothing is guessed from the
 * middle of a paragraph, and what is guessed says which word it came from.
 * ASCII case-insensitive; UTF-8 passes through untouched. No I/O.
 */
#ifndef OPSDECK_PHASE_H
#define OPSDECK_PHASE_H

#include <stdbool.h>

/*
 * The heading as a title: without leading numbering ("1.", "2)", "(3)",
 * "1.2", "#4", "Step 5:", "Phase 2 -", "Phase:"), leading emoji and
 * symbols, emphasis marks left over and trailing colons. A heading that is
 * nothing but decoration stays as it is. Caller frees.
 */
char *phase_title(const char *heading);

/*
 * The phase (enum rb_phase) a heading names, or -1: its first word, after
 * phase_title(), is a phase name or a synonym: Stay calm, Triage,
 * Acknowledge -> S; Assess, Investigate, Diagnose -> A; Focus, Mitigate,
 * Remediate, Fix, Recover -> F; Escalate, Communicate, Page -> E (and their
 * -ion, -ing, -ment forms); or a phase letter followed by ':', '.' or " -"
 * ("F: roll back").
 */
int phase_named(const char *heading);

/*
 * The phase a step's verbs imply, or -1: the first known verb of the title,
 * else the first word of a sentence or list item in the first lines of the
 * body. *word (when not NULL) gets the verb as written ("Drain", "Roll
 * back"); caller frees; NULL when -1.
 */
int phase_infer(const char *title, const char *body, char **word);

/*
 * A heading that introduces rather than asks for something: TL;DR, Overview,
 * Summary, Introduction, About, Background, Context, Description, Purpose,
 * Scope, Contents, Meaning, Impact, Symptoms (the whole heading, after
 * phase_title(), optionally followed by a few words: "Overview of the
 * service").
 */
bool phase_is_overview(const char *heading);

#endif
