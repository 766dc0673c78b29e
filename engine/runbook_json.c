/*
 * The JSON form of runbooks (docs/runbooks.md "JSON"): the same model as the
 * Markdown form, through the same middle (rbparse.h): every step object
 * becomes a node with its annotation as (key, value, line) triples, so a
 * problem reads the same whichever form it came in. cJSON keeps no
 * positions: lines come from a scan of the text.
 */
#include "rbparse.h"

#include "../common/json.h"
#include "../common/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * cJSON keeps no positions: a scan that skips strings finds the line of each
 * element of the top-level "steps" array and of each top-level member, in order.
 */
struct json_lines {
    int *steps; /* line of each step */
    size_t nsteps;
    int *members; /* line of each top-level member */
    size_t nmembers;
    int *step_members; /* line of each member of every step, step after step */
    size_t nstep_members;
    int *step_first; /* index in step_members of each step's first member */
    size_t nstep_first;
};

static void push_line(int **v, size_t *n, int line)
{
    if ((*n & (*n - 1)) == 0) {
        *v = xreallocarray(*v, *n == 0 ? 1 : *n * 2, sizeof **v);
    }
    (*v)[(*n)++] = line;
}

static void json_lines(const struct parse *p, struct json_lines *jl)
{
    int depth = 0;
    bool steps_key = false, in_steps = false, expect = false;
    const char *last_str = NULL;
    size_t last_len = 0, last_at = 0;
    memset(jl, 0, sizeof *jl);
    for (size_t i = 0; i < p->m->len; i++) {
        char c = p->m->src[i];
        if (isspace((unsigned char)c)) {
            continue;
        }
        if (in_steps && depth == 2 && expect && c != ']') {
            push_line(&jl->steps, &jl->nsteps, mdoc_line_at(p->m, i));
            push_line(&jl->step_first, &jl->nstep_first, (int)jl->nstep_members);
            expect = false;
        }
        if (c == '"') {
            size_t j = i + 1;
            while (j < p->m->len && p->m->src[j] != '"') {
                j += p->m->src[j] == '\\' ? 2 : 1;
            }
            last_str = p->m->src + i + 1;
            last_len = j < p->m->len ? j - i - 1 : 0;
            last_at = i;
            i = j;
        } else if (c == ':' && depth == 1) {
            steps_key = last_str != NULL && last_len == 5 && memcmp(last_str, "steps", 5) == 0;
            push_line(&jl->members, &jl->nmembers, mdoc_line_at(p->m, last_at));
        } else if (c == ':' && depth == 3 && in_steps) {
            push_line(&jl->step_members, &jl->nstep_members, mdoc_line_at(p->m, last_at));
        } else if (c == '[' || c == '{') {
            if (c == '[' && depth == 1 && steps_key) {
                in_steps = true;
                expect = true;
            }
            depth++;
        } else if (c == ']' || c == '}') {
            depth--;
            if (depth == 1) {
                in_steps = false;
                steps_key = false;
            }
        } else if (c == ',' && depth == 2 && in_steps) {
            expect = true;
        }
    }
}

/* A JSON member as annotation text: strings as they are, numbers and booleans spelled out. */
static char *json_scalar(const cJSON *v)
{
    if (cJSON_IsString(v)) {
        return xstrdup(v->valuestring);
    }
    if (cJSON_IsBool(v)) {
        return xstrdup(cJSON_IsTrue(v) ? "true" : "false");
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == (double)(long long)d && d > -1e15 && d < 1e15) {
            return xasprintf("%lld", (long long)d);
        }
        return xasprintf("%g", d);
    }
    return NULL;
}

/* Line of member m of step i, or the step's own line. */
static int json_member_line(const struct json_lines *jl, size_t i, size_t m, int line)
{
    if (i >= jl->nstep_first) {
        return line;
    }
    size_t at = (size_t)jl->step_first[i] + m;
    size_t end = i + 1 < jl->nstep_first ? (size_t)jl->step_first[i + 1] : jl->nstep_members;
    return at < end ? jl->step_members[at] : line;
}

static void json_step(struct parse *p, const cJSON *obj, const struct json_lines *jl, size_t si,
                      int sline)
{
    int line = sline;
    struct mdoc_node *n = mdoc_push_node(p->m, 2, NULL, line);
    n->content = true;
    if (!cJSON_IsObject(obj)) {
        runbook_add_issue(p->rb, line,
                          xasprintf("a step must be an object, not %s", json_type_name(obj)));
        n->title = xstrdup("");
        return;
    }
    size_t mi = 0;
    for (const cJSON *m = obj->child; m != NULL; m = m->next, mi++) {
        const char *k = m->string != NULL ? m->string : "";
        line = json_member_line(jl, si, mi, sline);
        if (strcmp(k, "title") == 0 || strcmp(k, "body") == 0) {
            if (!cJSON_IsString(m)) {
                runbook_add_issue(p->rb, line,
                                  xasprintf("'%s' must be a string, not %s", k, json_type_name(m)));
            } else if (k[0] == 't') {
                free(n->title);
                n->title = mdoc_trim_dup(m->valuestring, strlen(m->valuestring));
            } else {
                n->body.n = 0;
                strbuf_str(&n->body, m->valuestring);
            }
        } else if (strcmp(k, "code") == 0) {
            if (!cJSON_IsArray(m)) {
                runbook_add_issue(p->rb, line, xasprintf("'code' must be a list of strings"));
                continue;
            }
            for (const cJSON *c = m->child; c != NULL; c = c->next) {
                if (cJSON_IsString(c)) {
                    mdoc_node_add_code(n, c->valuestring, line);
                } else {
                    runbook_add_issue(p->rb, line, xasprintf("'code' must be a list of strings"));
                }
            }
        } else if (strcmp(k, "choices") == 0 && cJSON_IsArray(m)) {
            for (const cJSON *c = m->child; c != NULL; c = c->next) {
                const char *label = json_str(c, "label");
                const char *go = json_str(c, "goto");
                if (cJSON_IsString(c)) {
                    mdoc_node_add_kv(n, "choices", c->valuestring, line);
                } else if (label != NULL && go != NULL) {
                    char *v = xasprintf("%s -> %s", label, go);
                    mdoc_node_add_kv(n, "choice", v, line);
                    free(v);
                } else {
                    runbook_add_issue(p->rb, line,
                                      xasprintf("a choice is a string or {\"label\", \"goto\"}"));
                }
            }
        } else if (cJSON_IsNull(m)) {
            continue;
        } else {
            char *v = json_scalar(m);
            if (v == NULL) {
                runbook_add_issue(p->rb, line,
                                  xasprintf("'%s' must be a string, not %s", k, json_type_name(m)));
                continue;
            }
            mdoc_node_add_kv(n, k, v, line);
            free(v);
        }
    }
    if (n->title == NULL || n->title[0] == '\0') {
        runbook_add_issue(p->rb, sline, xasprintf("step without a title"));
    }
    if (n->title == NULL) {
        n->title = xstrdup("");
    }
}

/*
 * The first escape in a JSON string of src that stands for a C0 control
 * character but tab, newline and CR ("\u001b", "\b"): its offset, or len. The
 * same bytes raw are not text (mdoc_valid_text); escaped, they are not either.
 */
static size_t json_control_escape(const char *src, size_t len)
{
    bool in = false;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '"') {
            in = !in;
        } else if (in && src[i] == '\\' && i + 1 < len) {
            char e = src[i + 1];
            if (e == 'b' || e == 'f') {
                return i;
            }
            if (e == 'u' && i + 5 < len) {
                char hex[5] = {src[i + 2], src[i + 3], src[i + 4], src[i + 5], '\0'};
                char *end;
                unsigned long c = strtoul(hex, &end, 16);
                if (*end == '\0' && c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                    return i;
                }
            }
            i++; /* the escaped character, a quote included */
        }
    }
    return len;
}

bool runbook_parse_json(struct parse *p, char **cause)
{
    cJSON *doc = NULL;
    char *why = NULL;
    size_t ctl = json_control_escape(p->m->src, p->m->len);
    if (ctl < p->m->len) {
        *cause = xasprintf("%s:%d: not a runbook: a control character (%.6s) in a string",
                           p->rb->path, mdoc_line_at(p->m, ctl), p->m->src + ctl);
        return false;
    }
    if (!json_parse(p->m->src, p->m->len, &doc, &why)) {
        const char *at = cJSON_GetErrorPtr();
        int line = mdoc_in_src(p->m, at) ? mdoc_line_at(p->m, (size_t)(at - p->m->src)) : 1;
        *cause = xasprintf("%s:%d: not a runbook: %s", p->rb->path, line, why);
        free(why);
        return false;
    }
    if (!cJSON_IsObject(doc)) {
        *cause = xasprintf("%s:1: not a runbook: the JSON is %s, not an object", p->rb->path,
                           json_type_name(doc));
        cJSON_Delete(doc);
        return false;
    }
    struct mdoc_node *intro = mdoc_push_node(p->m, 0, NULL, 1);
    struct json_lines jl;
    json_lines(p, &jl);
    size_t mi = 0;
    for (const cJSON *m = doc->child; m != NULL; m = m->next, mi++) {
        const char *k = m->string != NULL ? m->string : "";
        int mline = mi < jl.nmembers ? jl.members[mi] : 1;
        if (strcmp(k, "title") == 0 && cJSON_IsString(m)) {
            free(p->rb->title);
            p->rb->title = xstrdup(m->valuestring);
        } else if (strcmp(k, "intro") == 0 && cJSON_IsString(m)) {
            intro = &p->m->nodes[0];
            intro->body.n = 0;
            strbuf_str(&intro->body, m->valuestring);
        } else if (strcmp(k, "vars") == 0 && cJSON_IsObject(m)) {
            for (const cJSON *v = m->child; v != NULL; v = v->next) {
                char *val = json_scalar(v);
                char *decl = val != NULL ? xasprintf("%s = %s", v->string, val)
                                         : xstrdup(v->string != NULL ? v->string : "");
                mdoc_node_add_kv(&p->m->nodes[0], "var", decl, mline);
                free(decl);
                free(val);
            }
        } else if (strcmp(k, "steps") == 0 && cJSON_IsArray(m)) {
            size_t i = 0;
            if (cJSON_GetArraySize(m) > RUNBOOK_MAX_STEPS) {
                *cause = xasprintf("%s:%d: not a runbook: more than %d steps", p->rb->path, mline,
                                   RUNBOOK_MAX_STEPS);
                free(jl.steps);
                free(jl.members);
                free(jl.step_members);
                free(jl.step_first);
                cJSON_Delete(doc);
                return false;
            }
            for (const cJSON *s = m->child; s != NULL; s = s->next, i++) {
                json_step(p, s, &jl, i, i < jl.nsteps ? jl.steps[i] : mline);
            }
        } else if (strcmp(k, "title") == 0 || strcmp(k, "intro") == 0) {
            runbook_add_issue(p->rb, mline,
                              xasprintf("'%s' must be a string, not %s", k, json_type_name(m)));
        } else if (strcmp(k, "vars") == 0 || strcmp(k, "steps") == 0) {
            runbook_add_issue(p->rb, mline,
                              xasprintf("'%s' must be %s, not %s", k,
                                        k[0] == 'v' ? "an object" : "a list", json_type_name(m)));
        } else {
            runbook_add_issue(p->rb, mline,
                              xasprintf("unknown member '%s' (title, intro, vars, steps)", k));
        }
    }
    free(jl.steps);
    free(jl.members);
    free(jl.step_members);
    free(jl.step_first);
    cJSON_Delete(doc);
    return true;
}
