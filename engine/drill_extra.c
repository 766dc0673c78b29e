/*
 * Drills: hidden information, attachments, per-role hooks, randomness and
 * branches (drill_extra.h). Parsing follows drill.c's rules: a problem is an
 * issue at the key's line, found while parsing; what depends on the
 * environment (an unset hook variable) is a lint warning.
 *
 * A draw is a pure function of the seed and the inject's id, so a resume
 * that reads the journaled `drill.draw` and one that drew again agree; the
 * journal still carries the drawn offset, which is what counts.
 */
#include "drill_extra.h"

#include "../common/json.h"
#include "../common/util.h"
#include "runlog.h"

#include <cjson/cJSON.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static void issue(struct drill *d, int line, char *message)
{
    mdoc_issues_add(&d->issues, &d->nissues, line, message);
}

static int role_of(const struct drill *d, const char *id)
{
    for (size_t i = 0; i < d->nroles; i++) {
        if (strcmp(d->roles[i].id, id) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static bool env_name(const char *s)
{
    if (!isalpha((unsigned char)s[0]) && s[0] != '_') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (!isalnum((unsigned char)*s) && *s != '_') {
            return false;
        }
    }
    return true;
}

/* ---- the drill block ---- */

bool drill_extra_block_key(struct drill *d, const struct mdoc_kv *kv)
{
    const char *k = kv->key, *v = kv->value;
    if (strcmp(k, "intro") == 0) {
        if (strcasecmp(v, "facilitator") == 0) {
            d->intro_facilitator = true;
        } else if (strcasecmp(v, "everyone") == 0 || strcasecmp(v, "all") == 0) {
            d->intro_facilitator = false;
        } else {
            issue(d, kv->line, xasprintf("bad intro '%s' (facilitator or everyone)", v));
        }
        return true;
    }
    if (strcmp(k, "seed") == 0) {
        char *end;
        unsigned long long s = strtoull(v, &end, 10);
        if (!isdigit((unsigned char)v[0]) || *end != '\0') {
            issue(d, kv->line, xasprintf("bad seed '%s' (a whole number)", v));
        } else {
            d->seed = s;
            d->seeded = true;
        }
        return true;
    }
    if (strncmp(k, "notify_", 7) == 0 && k[7] != '\0') {
        if (!env_name(v)) {
            issue(d, kv->line,
                  xasprintf("%s needs the name of an environment variable holding the role's "
                            "webhook URL, got '%s'",
                            k, v));
        }
        /* the role may be declared below: drill_extra_block_end() pairs them */
        return true;
    }
    return false;
}

void drill_extra_block_end(struct drill *d, const struct mdoc_node *n)
{
    for (size_t i = 0; i < n->nkvs; i++) {
        const struct mdoc_kv *kv = &n->kvs[i];
        if (strncmp(kv->key, "notify_", 7) != 0 || kv->key[7] == '\0' || !env_name(kv->value)) {
            continue;
        }
        int r = role_of(d, kv->key + 7);
        if (r < 0) {
            issue(d, kv->line,
                  xasprintf("%s: '%s' is not a role (role: %s = ...)", kv->key, kv->key + 7,
                            kv->key + 7));
        } else if (d->roles[r].notify_env != NULL) {
            issue(d, kv->line, xasprintf("duplicate key '%s'", kv->key));
        } else {
            d->roles[r].notify_env = xstrdup(kv->value);
        }
    }
}

/* ---- injects ---- */

/* "failover -> db-failover | wait -> db-wait, db-wait-2" */
static void parse_choice(struct drill *d, struct drill_inject *in, const struct mdoc_kv *kv)
{
    const char *p = kv->value;
    while (*p != '\0') {
        size_t n = strcspn(p, "|");
        char *alt = mdoc_trim_dup(p, n);
        char *arrow = strstr(alt, "->");
        char *opt = arrow != NULL ? mdoc_trim_dup(alt, (size_t)(arrow - alt)) : NULL;
        struct drill_choice c = {.option = opt, .line = kv->line};
        if (arrow != NULL) {
            const char *t = arrow + 2;
            while (*t != '\0') {
                size_t m = strcspn(t, ",");
                char *id = mdoc_trim_dup(t, m);
                if (id[0] != '\0') {
                    c.injects = xreallocarray(c.injects, c.ninjects + 1, sizeof *c.injects);
                    c.injects[c.ninjects++] = id;
                } else {
                    free(id);
                }
                t += m + (t[m] == ',');
            }
        }
        bool dup = false;
        for (size_t i = 0; opt != NULL && i < in->nchoices; i++) {
            dup = dup || strcasecmp(in->choices[i].option, opt) == 0;
        }
        if (opt == NULL || opt[0] == '\0' || c.ninjects == 0 || strchr(opt, ' ') != NULL) {
            issue(d, kv->line,
                  xasprintf("choice needs OPTION -> INJECT[, INJECT] | OPTION -> ..., got '%s'",
                            alt));
        } else if (dup) {
            issue(d, kv->line, xasprintf("choice option '%s' is given twice", opt));
        }
        in->choices = xreallocarray(in->choices, in->nchoices + 1, sizeof *in->choices);
        in->choices[in->nchoices++] = c;
        if (c.option == NULL) {
            in->choices[in->nchoices - 1].option = xstrdup("");
        }
        free(alt);
        p += n + (p[n] == '|');
    }
    if (in->nchoices == 1) {
        issue(d, kv->line, xasprintf("a choice needs at least two options"));
    }
}

bool drill_extra_inject_key(struct drill *d, struct drill_inject *in, const struct mdoc_kv *kv)
{
    if (strcmp(kv->key, "hidden") == 0) {
        free(in->hidden);
        in->hidden = xstrdup(kv->value);
        return true;
    }
    if (strcmp(kv->key, "choice") == 0) {
        parse_choice(d, in, kv);
        return true;
    }
    return false;
}

void drill_extra_inject_text(struct drill *d, struct drill_inject *in, const struct mdoc_node *n)
{
    in->text = mdoc_body_with_code(n);
    in->at_max_s = in->at_s;
    in->chosen = -1;
    in->html = n->html;
    if (n->html) {
        mdoc_issues_warn(&d->issues, &d->nissues, n->line,
                         xasprintf("inject '%s' has raw HTML, which is not shown: write it as "
                                   "text, a table or a code block",
                                   n->title));
    }
}

bool drill_extra_section(struct drill *d, const struct mdoc_node *n)
{
    if (strcasecmp(n->title, "facilitator notes") != 0) {
        return false;
    }
    char *text = mdoc_body_with_code(n);
    if (d->facilitator_notes == NULL) {
        d->facilitator_notes = text;
    } else {
        char *both = xasprintf("%s\n\n%s", d->facilitator_notes, text);
        free(d->facilitator_notes);
        free(text);
        d->facilitator_notes = both;
    }
    return true;
}

void drill_extra_cross(struct drill *d)
{
    for (size_t i = 0; i < d->ninjects; i++) {
        struct drill_inject *in = &d->injects[i];
        bool all = false;
        for (size_t t = 0; t < in->nto; t++) {
            all = all || strcasecmp(in->to[t], "all") == 0;
        }
        if (all) {
            /* every role: the document says whom, so every reader agrees */
            for (size_t t = 0; t < in->nto; t++) {
                free(in->to[t]);
            }
            free(in->to);
            in->to = xcalloc(d->nroles + 1, sizeof *in->to);
            for (size_t r = 0; r < d->nroles; r++) {
                in->to[r] = xstrdup(d->roles[r].id);
            }
            in->nto = d->nroles;
            in->to_all = true;
        }
        for (size_t c = 0; c < in->nchoices; c++) {
            const struct drill_choice *ch = &in->choices[c];
            for (size_t k = 0; k < ch->ninjects; k++) {
                int t = drill_find_inject(d, ch->injects[k]);
                if (t < 0) {
                    issue(d, ch->line,
                          xasprintf("choice '%s': '%s' is not an inject", ch->option,
                                    ch->injects[k]));
                } else if ((size_t)t == i) {
                    issue(d, ch->line,
                          xasprintf("choice '%s': inject '%s' cannot follow itself", ch->option,
                                    ch->injects[k]));
                }
            }
        }
    }
}

void drill_extra_free_inject(struct drill_inject *in)
{
    free(in->hidden);
    for (size_t c = 0; c < in->nchoices; c++) {
        free(in->choices[c].option);
        for (size_t k = 0; k < in->choices[c].ninjects; k++) {
            free(in->choices[c].injects[k]);
        }
        free(in->choices[c].injects);
    }
    free(in->choices);
}

void drill_extra_free(struct drill *d)
{
    for (size_t i = 0; i < d->nroles; i++) {
        free(d->roles[i].notify_env);
    }
    free(d->facilitator_notes);
}

static void put_offset(struct strbuf *sb, int s)
{
    strbuf_printf(sb, "T+%02d:%02d", s / 60, s % 60);
}

char *drill_extra_facilitator_lines(const struct drill_inject *in)
{
    struct strbuf sb = {0};
    if (in->hidden != NULL) {
        strbuf_printf(&sb, "facilitator only: %s\n", in->hidden);
    }
    if (in->at_s >= 0 && in->at_max_s > in->at_min_s) {
        strbuf_str(&sb, "at: drawn from ");
        put_offset(&sb, in->at_min_s);
        strbuf_str(&sb, "..");
        put_offset(&sb, in->at_max_s);
        strbuf_str(&sb, "\n");
    }
    if (in->nchoices > 0) {
        strbuf_str(&sb, "choice:");
        for (size_t c = 0; c < in->nchoices; c++) {
            strbuf_printf(&sb, "%s %zu. %s ->", c > 0 ? " |" : "", c + 1, in->choices[c].option);
            for (size_t k = 0; k < in->choices[c].ninjects; k++) {
                strbuf_printf(&sb, "%s %s", k > 0 ? "," : "", in->choices[c].injects[k]);
            }
        }
        strbuf_str(&sb, "\n");
        if (in->chosen >= 0 && (size_t)in->chosen < in->nchoices) {
            strbuf_printf(&sb, "chosen: %s\n", in->choices[in->chosen].option);
        }
    }
    if (sb.n > 0) {
        sb.s[--sb.n] = '\0';
    }
    return sb.s;
}

void drill_extra_fire_data(const struct drill_inject *in, cJSON *data)
{
    json_add_str(data, "text", in->text);
    json_add_str(data, "hidden", in->hidden);
}

bool drill_extra_uses_panes(const struct drill *d)
{
    bool panes = d->kind == DRILL_LIVE;
    for (size_t i = 0; i < d->nchecks; i++) {
        panes = panes || d->checks[i].until != NULL;
    }
    return panes;
}

/* ---- notifications ---- */

size_t drill_extra_notify_envs(const struct drill *d, const struct drill_inject *in,
                               const char *fallback, const char **out, size_t max)
{
    size_t n = 0;
    bool use_fallback = in->nto == 0;
    for (size_t t = 0; t < in->nto; t++) {
        int r = role_of(d, in->to[t]);
        const char *env = r >= 0 ? d->roles[r].notify_env : NULL;
        if (env == NULL) {
            use_fallback = true;
            continue;
        }
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++) {
            seen = out[k] != NULL && strcmp(out[k], env) == 0;
        }
        if (!seen && n < max) {
            out[n++] = env;
        }
    }
    if (use_fallback && n < max) {
        bool seen = false;
        for (size_t k = 0; k < n && fallback != NULL && !seen; k++) {
            seen = strcmp(out[k], fallback) == 0;
        }
        if (!seen) {
            out[n++] = fallback;
        }
    }
    return n;
}

bool drill_extra_needs_fallback(const struct drill *d, const struct drill_inject *in)
{
    if (in->nto == 0) {
        return true;
    }
    for (size_t t = 0; t < in->nto; t++) {
        int r = role_of(d, in->to[t]);
        if (r < 0 || d->roles[r].notify_env == NULL) {
            return true;
        }
    }
    return false;
}

void drill_extra_lint(struct drill *d)
{
    for (size_t r = 0; r < d->nroles; r++) {
        const char *env = d->roles[r].notify_env;
        if (env == NULL || getenv(env) != NULL) {
            continue;
        }
        size_t uses = 0, first = 0;
        for (size_t i = 0; i < d->ninjects; i++) {
            const struct drill_inject *in = &d->injects[i];
            for (size_t t = 0; t < in->nto && in->notify != NULL; t++) {
                if (strcmp(in->to[t], d->roles[r].id) == 0) {
                    first = uses++ == 0 ? i : first;
                }
            }
        }
        if (uses > 0) {
            mdoc_issues_warn(&d->issues, &d->nissues, d->injects[first].line,
                             xasprintf("environment variable %s (notify_%s) is not set; %zu "
                                       "inject%s notif%s role %s",
                                       env, d->roles[r].id, uses, uses == 1 ? "" : "s",
                                       uses == 1 ? "ies" : "y", d->roles[r].id));
        }
    }
}

/* ---- the game ---- */

unsigned long long drill_extra_seed(const struct drill *d)
{
    if (d->seeded) {
        return d->seed;
    }
    const char *e = getenv("OPSDECK_DRILL_SEED");
    char *end;
    if (e != NULL && isdigit((unsigned char)e[0])) {
        unsigned long long s = strtoull(e, &end, 10);
        if (*end == '\0') {
            return s;
        }
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((unsigned long long)ts.tv_sec * 1000003ULL) ^ (unsigned long long)ts.tv_nsec ^
           ((unsigned long long)getpid() << 20);
}

/* splitmix64: small, good enough to pick a minute, the same everywhere */
unsigned long long drill_extra_mix(unsigned long long x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

int drill_extra_draw(const struct drill_inject *in, unsigned long long seed)
{
    if (in->at_min_s < 0 || in->at_max_s <= in->at_min_s) {
        return in->at_s;
    }
    unsigned long long h = seed;
    for (const char *s = in->id != NULL ? in->id : ""; *s != '\0'; s++) {
        h = drill_extra_mix(h ^ (unsigned char)*s);
    }
    unsigned long long span = (unsigned long long)(in->at_max_s - in->at_min_s) + 1;
    return in->at_min_s + (int)(drill_extra_mix(h) % span);
}

void drill_extra_replay(struct drill *d, const char *action, const struct cJSON *data)
{
    if (d == NULL || action == NULL) {
        return;
    }
    int i = drill_find_inject(d, runlog_str(data, "inject"));
    if (i < 0) {
        return;
    }
    struct drill_inject *in = &d->injects[i];
    if (strcmp(action, "drill.draw") == 0) {
        const cJSON *at = json_get(data, "at_s");
        if (cJSON_IsNumber(at) && at->valuedouble >= in->at_s && at->valuedouble <= in->at_max_s) {
            in->at_s = (int)at->valuedouble;
        }
    } else if (strcmp(action, "choice") == 0) {
        in->chosen = drill_extra_option(in, runlog_str(data, "option"));
    }
}

bool drill_extra_may_fire(const struct drill *d, size_t i)
{
    const char *id = d->injects[i].id;
    for (size_t j = 0; j < d->ninjects; j++) {
        const struct drill_inject *in = &d->injects[j];
        for (size_t c = 0; c < in->nchoices; c++) {
            for (size_t k = 0; k < in->choices[c].ninjects; k++) {
                if (strcmp(in->choices[c].injects[k], id) == 0 && in->chosen != (int)c) {
                    return false; /* a branch: only once its option is picked */
                }
            }
        }
    }
    return true;
}

int drill_extra_option(const struct drill_inject *in, const char *opt)
{
    if (opt == NULL) {
        return -1;
    }
    for (size_t c = 0; c < in->nchoices; c++) {
        if (strcasecmp(in->choices[c].option, opt) == 0) {
            return (int)c;
        }
    }
    char *end;
    long n = strtol(opt, &end, 10);
    if (isdigit((unsigned char)opt[0]) && *end == '\0' && n >= 1 && (size_t)n <= in->nchoices) {
        return (int)n - 1;
    }
    return -1;
}
