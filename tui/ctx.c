/*
 * Contexts in the console (ctx.h). The list comes from the backends once
 * (they do not change while the console runs); the selection is a subset of
 * it (none: all), applied to every table pane through tablepane_set_contexts.
 * A context's flags are its backends' (tui/main.c copies them from its
 * [context] section), its tone and description the config's.
 */
#include "ctx.h"

#include "../common/util.h"
#include "../engine/config.h"
#include "../panes/tablepane.h"
#include "console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx_state {
    char **names; /* every context, in the order backends are configured */
    size_t n;
    bool *shown; /* per name; none set: all */
};

static struct ctx_state *state(const struct ui *cui)
{
    struct ui *ui = (struct ui *)cui; /* the list is built once, on first use */
    if (ui->ctx != NULL) {
        return ui->ctx;
    }
    struct ctx_state *c = xcalloc(1, sizeof *c);
    for (size_t i = 0; i < ui->nbackends; i++) {
        const char *name = backend_context(ui->backends[i]);
        bool seen = false;
        for (size_t j = 0; j < c->n && !seen; j++) {
            seen = strcmp(c->names[j], name) == 0;
        }
        if (!seen) {
            c->names = xreallocarray(c->names, c->n + 1, sizeof *c->names);
            c->names[c->n++] = xstrdup(name);
        }
    }
    c->shown = xcalloc(c->n > 0 ? c->n : 1, sizeof *c->shown);
    ui->ctx = c;
    return c;
}

void ctx_free(struct ui *ui)
{
    struct ctx_state *c = ui->ctx;
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->n; i++) {
        free(c->names[i]);
    }
    free(c->names);
    free(c->shown);
    free(c);
    ui->ctx = NULL;
}

size_t ctx_count(const struct ui *ui)
{
    return state(ui)->n;
}

static size_t nshown(const struct ctx_state *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        n += c->shown[i];
    }
    return n;
}

/* Flags of a context: any of its backends' (they all share the section). */
static void flags_of(const struct ui *ui, const char *name, bool *read_only, bool *protected_)
{
    *read_only = *protected_ = false;
    for (size_t i = 0; i < ui->nbackends; i++) {
        if (strcmp(backend_context(ui->backends[i]), name) == 0) {
            *read_only = *read_only || ui->backends[i]->context_read_only;
            *protected_ = *protected_ || ui->backends[i]->context_protected;
        }
    }
}

static enum tone tone_of(const struct ui *ui, const char *name)
{
    const struct config_context *cc = config_context_find(ui->opts.config, name);
    return cc != NULL ? cc->tone : TONE_NORMAL;
}

/* How loud a tone is in the title: crit first, muted last. */
static int loudness(enum tone t)
{
    static const int rank[] = {[TONE_MUTED] = 0, [TONE_NORMAL] = 1, [TONE_OK] = 2,
                               [TONE_INFO] = 3,  [TONE_WARN] = 4,   [TONE_CRIT] = 5};
    return (size_t)t < sizeof rank / sizeof rank[0] ? rank[t] : 1;
}

void ctx_apply(struct ui *ui)
{
    struct ctx_state *c = state(ui);
    const char **names = xcalloc(c->n > 0 ? c->n : 1, sizeof *names);
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->shown[i]) {
            names[n++] = c->names[i];
        }
    }
    for (size_t i = 0; i < ui->npanels; i++) {
        struct panel *p = &ui->panels[i];
        if (p->ops != NULL && p->ops->table != NULL && p->self != NULL) {
            tablepane_set_contexts(p->self, names, n);
        }
    }
    free(names);
    ui->chrome_dirty = true;
    ui_dirty_all(ui);
}

static long index_of(const struct ctx_state *c, const char *name, size_t len)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strlen(c->names[i]) == len && strncmp(c->names[i], name, len) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static char *known_list(const struct ctx_state *c)
{
    struct strbuf sb = {0};
    strbuf_add(&sb, "", 0);
    for (size_t i = 0; i < c->n; i++) {
        strbuf_printf(&sb, "%s%s", i ? ", " : "", c->names[i]);
    }
    return sb.s;
}

bool ctx_select(struct ui *ui, const char *spec, char **cause)
{
    struct ctx_state *c = state(ui);
    bool *want = xcalloc(c->n > 0 ? c->n : 1, sizeof *want);
    const char *s = spec != NULL ? spec : "";
    while (*s == ' ') {
        s++;
    }
    if (strcmp(s, "all") != 0) {
        if (*s == '\0') {
            free(want);
            *cause = xstrdup("which context? (:ctx NAME, :ctx a,b or :ctx all)");
            return false;
        }
        for (const char *p = s; *p != '\0';) {
            size_t len = strcspn(p, ",");
            const char *name = p;
            size_t nlen = len;
            while (nlen > 0 && name[0] == ' ') {
                name++;
                nlen--;
            }
            while (nlen > 0 && name[nlen - 1] == ' ') {
                nlen--;
            }
            long at = index_of(c, name, nlen);
            if (at < 0) {
                char *known = known_list(c);
                *cause = xasprintf("no context '%.*s' (contexts: %s)", (int)nlen, name, known);
                free(known);
                free(want);
                return false;
            }
            want[at] = true;
            p += len;
            p += *p == ',';
        }
    }
    memcpy(c->shown, want, c->n * sizeof *want);
    free(want);
    if (nshown(c) == c->n) {
        memset(c->shown, 0, c->n * sizeof *c->shown); /* every one named: that is all */
    }
    ctx_apply(ui);
    return true;
}

char *ctx_spec(const struct ui *ui)
{
    const struct ctx_state *c = state(ui);
    if (nshown(c) == 0) {
        return xstrdup("all");
    }
    struct strbuf sb = {0};
    for (size_t i = 0; i < c->n; i++) {
        if (c->shown[i]) {
            strbuf_printf(&sb, "%s%s", sb.s != NULL ? "," : "", c->names[i]);
        }
    }
    return sb.s;
}

void ctx_cycle(struct ui *ui)
{
    struct ctx_state *c = state(ui);
    if (c->n < 2) {
        ui_say(ui, false, "one context: %s", c->n ? c->names[0] : "default");
        return;
    }
    size_t k = nshown(c);
    long next = 0; /* all -> the first */
    if (k == 1) {
        for (size_t i = 0; i < c->n; i++) {
            if (c->shown[i]) {
                next = i + 1 < c->n ? (long)i + 1 : -1; /* the last -> all */
            }
        }
    } else if (k > 1) {
        next = -1; /* several -> all */
    }
    memset(c->shown, 0, c->n * sizeof *c->shown);
    if (next >= 0) {
        c->shown[next] = true;
    }
    ctx_apply(ui);
    char *spec = ctx_spec(ui);
    ui_say(ui, false, "context: %s", spec);
    free(spec);
}

/* "prod-eu PROTECTED", "staging READ-ONLY", "lab". */
static void label_of(const struct ui *ui, const char *name, struct strbuf *sb)
{
    bool ro, prot;
    flags_of(ui, name, &ro, &prot);
    strbuf_printf(sb, "%s%s%s", name, ro ? " READ-ONLY" : "", prot ? " PROTECTED" : "");
}

bool ctx_title(const struct ui *ui, char *buf, size_t len, enum tone *tone)
{
    const struct ctx_state *c = state(ui);
    bool ro, prot;
    if (c->n == 0 || (c->n == 1 && strcmp(c->names[0], "default") == 0 &&
                      (flags_of(ui, c->names[0], &ro, &prot), !ro && !prot) &&
                      tone_of(ui, c->names[0]) == TONE_NORMAL)) {
        return false;
    }
    bool all = nshown(c) == 0;
    struct strbuf sb = {0};
    strbuf_str(&sb, all && c->n > 1 ? "[all: " : "[");
    *tone = TONE_MUTED;
    bool first = true;
    for (size_t i = 0; i < c->n; i++) {
        if (!all && !c->shown[i]) {
            continue;
        }
        strbuf_str(&sb, first ? "" : ", ");
        label_of(ui, c->names[i], &sb);
        enum tone t = tone_of(ui, c->names[i]);
        if (first || loudness(t) > loudness(*tone)) {
            *tone = t;
        }
        first = false;
    }
    strbuf_str(&sb, "]");
    snprintf(buf, len, "%s", sb.s);
    free(sb.s);
    return true;
}

void ctx_list(struct ui *ui)
{
    static const char *const tones[] = {"normal", "ok", "info", "warn", "crit", "muted"};
    struct ctx_state *c = state(ui);
    struct strbuf sb = {0};
    strbuf_str(&sb, "contexts: ");
    for (size_t i = 0; i < c->n; i++) {
        bool ro, prot;
        flags_of(ui, c->names[i], &ro, &prot);
        const struct config_context *cc = config_context_find(ui->opts.config, c->names[i]);
        strbuf_printf(&sb, "%s%s%s (%s%s%s%s%s)", i ? ", " : "", c->shown[i] ? "*" : "",
                      c->names[i], tones[tone_of(ui, c->names[i])], ro ? ", read-only" : "",
                      prot ? ", protected" : "", cc != NULL && cc->description ? ", " : "",
                      cc != NULL && cc->description ? cc->description : "");
    }
    char *spec = ctx_spec(ui);
    strbuf_printf(&sb, "; shown: %s", spec);
    free(spec);
    ui_say(ui, false, "%s", sb.s);
    free(sb.s);
}
