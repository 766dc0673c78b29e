/*
 * Recognising console actions in shell blocks (recognise.h). The block is
 * split the way sh splits it, roughly: words with their quotes removed,
 * commands at `|`, `;`, `&&`, `||`, `&` and newlines, comments and
 * redirections dropped (a here-string's word kept: HAProxy commands come in
 * through it). Each command is then read by the reader of its program.
 */
#include "recognise.h"

#include "../backends/backend.h"
#include "../backends/model.h"
#include "../backends/rabbitmq.h"
#include "../common/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct cmd {
    char **w;
    size_t n;
};

struct block {
    struct cmd *c;
    size_t n;
    size_t found; /* actions recognised so far */
    bool other;   /* something else that changes a system */
    bool haproxy_tool;
    struct recog r;
};

static void word_end(struct block *b, struct strbuf *w, bool *inword)
{
    if (!*inword) {
        return;
    }
    struct cmd *c = &b->c[b->n - 1];
    c->w = xreallocarray(c->w, c->n + 1, sizeof *c->w);
    c->w[c->n++] = w->s != NULL ? w->s : xstrdup("");
    *w = (struct strbuf){0};
    *inword = false;
}

static void cmd_new(struct block *b)
{
    if (b->n > 0 && b->c[b->n - 1].n == 0) {
        return;
    }
    b->c = xreallocarray(b->c, b->n + 1, sizeof *b->c);
    b->c[b->n++] = (struct cmd){0};
}

/* Split code into commands of words (see the top of the file). */
static void split(const char *s, struct block *b)
{
    struct strbuf w = {0};
    bool inword = false, skip_next = false;
    cmd_new(b);
    for (size_t i = 0; s[i] != '\0'; i++) {
        char c = s[i];
        if (c == '\\' && s[i + 1] == '\n') {
            i++;
            continue;
        }
        if (c == '\\' && s[i + 1] != '\0') {
            strbuf_add(&w, s + ++i, 1);
            inword = true;
            continue;
        }
        if (c == '\'' || c == '"') {
            const char *end = strchr(s + i + 1, c);
            size_t len = end != NULL ? (size_t)(end - (s + i + 1)) : strlen(s + i + 1);
            strbuf_add(&w, s + i + 1, len);
            strbuf_str(&w, "");
            inword = true;
            i += len + (end != NULL ? 1 : 0);
            continue;
        }
        if (c == '#' && !inword) {
            while (s[i + 1] != '\0' && s[i + 1] != '\n') {
                i++;
            }
            continue;
        }
        if (isspace((unsigned char)c) || strchr("|;&<>()", c) != NULL) {
            if (skip_next && inword) {
                free(w.s);
                w = (struct strbuf){0};
                inword = false;
                skip_next = false;
            }
            word_end(b, &w, &inword);
            if (c == '<' && strncmp(s + i, "<<<", 3) == 0) {
                i += 2; /* a here-string: its word is the command's input, kept */
            } else if (c == '<' || c == '>') {
                /* a redirection: the file named next is not a word (2>&1 has none) */
                while (s[i + 1] == '>' || s[i + 1] == '&' || isdigit((unsigned char)s[i + 1])) {
                    i++;
                }
                skip_next = s[i + 1] != '\0' && !isspace((unsigned char)s[i + 1]);
                if (!skip_next) {
                    size_t k = i + 1;
                    while (s[k] == ' ' || s[k] == '\t') {
                        k++;
                    }
                    skip_next = s[k] != '\0' && s[k] != '\n' && k > i + 1;
                }
            } else if (c != ' ' && c != '\t') {
                cmd_new(b);
            }
            continue;
        }
        /* a file descriptor before a redirection (2>/dev/null) */
        if (isdigit((unsigned char)c) && !inword && (s[i + 1] == '>' || s[i + 1] == '<')) {
            continue;
        }
        strbuf_add(&w, s + i, 1);
        inword = true;
    }
    if (skip_next) {
        free(w.s);
        w = (struct strbuf){0};
        inword = false;
    }
    word_end(b, &w, &inword);
}

static void block_free(struct block *b)
{
    for (size_t i = 0; i < b->n; i++) {
        for (size_t k = 0; k < b->c[i].n; k++) {
            free(b->c[i].w[k]);
        }
        free(b->c[i].w);
    }
    free(b->c);
}

static void found(struct block *b, const char *system, const char *pane, const char *verb,
                  char *target, char *input)
{
    if (b->found++ > 0) {
        free(target);
        free(input);
        return;
    }
    b->r = (struct recog){system, pane, verb, target, input};
}

/* ---- HAProxy's runtime API, in a word of the block ---- */

static bool server_name(const char *s)
{
    const char *slash = strchr(s, '/');
    return slash != NULL && slash != s && slash[1] != '\0' && strchr(slash + 1, '/') == NULL;
}

/* A number, or a ${name} reference that will hold one (a placeholder's value). */
static bool is_number(const char *s)
{
    if (str_has_prefix(s, "${") && strchr(s, '}') != NULL && strchr(s, '}')[1] == '\0') {
        return true;
    }
    size_t i = 0;
    while (isdigit((unsigned char)s[i])) {
        i++;
    }
    return i > 0 && (s[i] == '\0' || (s[i] == '%' && s[i + 1] == '\0'));
}

/* One runtime API command (its words); false when it is not one we know. */
static void haproxy_command(struct block *b, char **w, size_t n)
{
    if (n == 5 && strcmp(w[0], "set") == 0 && strcmp(w[1], "server") == 0 && server_name(w[2]) &&
        strcmp(w[3], "state") == 0 &&
        (strcmp(w[4], "drain") == 0 || strcmp(w[4], "ready") == 0 || strcmp(w[4], "maint") == 0)) {
        found(b, "haproxy", "pools",
              strcmp(w[4], "drain") == 0   ? "drain"
              : strcmp(w[4], "ready") == 0 ? "ready"
                                           : "maint",
              xstrdup(w[2]), NULL);
    } else if (n == 5 && strcmp(w[0], "set") == 0 && strcmp(w[1], "server") == 0 &&
               server_name(w[2]) && strcmp(w[3], "weight") == 0 && is_number(w[4])) {
        found(b, "haproxy", "pools", "weight", xstrdup(w[2]), xstrdup(w[4]));
    } else if (n == 4 && strcmp(w[0], "set") == 0 && strcmp(w[1], "weight") == 0 &&
               server_name(w[2]) && is_number(w[3])) {
        found(b, "haproxy", "pools", "weight", xstrdup(w[2]), xstrdup(w[3]));
    } else if (n == 3 && (strcmp(w[0], "disable") == 0 || strcmp(w[0], "enable") == 0) &&
               strcmp(w[1], "server") == 0 && server_name(w[2])) {
        found(b, "haproxy", "pools", w[0][0] == 'd' ? "maint" : "ready", xstrdup(w[2]), NULL);
    } else if (n > 0 && (strcmp(w[0], "set") == 0 || strcmp(w[0], "disable") == 0 ||
                         strcmp(w[0], "enable") == 0 || strcmp(w[0], "shutdown") == 0 ||
                         strcmp(w[0], "del") == 0 || strcmp(w[0], "add") == 0)) {
        b->other = true; /* a runtime API command that changes something else */
    }
}

/* A word that holds runtime API commands ("set server a/b state drain; show stat"). */
static void haproxy_word(struct block *b, const char *word)
{
    if (strstr(word, "server ") == NULL && strstr(word, "weight ") == NULL) {
        return;
    }
    char *copy = xstrdup(word);
    char *save = NULL;
    for (char *part = strtok_r(copy, ";\n", &save); part != NULL;
         part = strtok_r(NULL, ";\n", &save)) {
        char *w[8];
        size_t n = 0;
        char *save2 = NULL;
        for (char *t = strtok_r(part, " \t", &save2); t != NULL && n < 8;
             t = strtok_r(NULL, " \t", &save2)) {
            w[n++] = t;
        }
        if (n > 0 && n < 8) {
            haproxy_command(b, w, n);
        }
    }
    free(copy);
}

/* ---- programs ---- */

/* The value of an option: -n NS, --namespace NS, --namespace=NS, -nNS. */
static const char *opt_value(const struct cmd *c, size_t *k, const char *shrt, const char *lng)
{
    const char *w = c->w[*k];
    size_t ll = strlen(lng);
    if ((strcmp(w, shrt) == 0 || strcmp(w, lng) == 0) && *k + 1 < c->n) {
        return c->w[++*k];
    }
    if (strncmp(w, lng, ll) == 0 && w[ll] == '=') {
        return w + ll + 1;
    }
    if (shrt[0] != '\0' && strncmp(w, shrt, strlen(shrt)) == 0 && w[strlen(shrt)] != '\0' &&
        strlen(shrt) == 2) {
        return w + 2;
    }
    return NULL;
}

static const char *const kubectl_changes[] = {
    "apply",  "delete", "patch", "edit",   "create", "replace", "set",       "annotate", "label",
    "cordon", "drain",  "taint", "expose", "run",    "exec",    "autoscale", NULL,
};

/* deploy/NAME, deployment/NAME, deployments/NAME, deploy NAME: the name, or NULL. */
static const char *deploy_name(char **w, size_t n, size_t *k)
{
    static const char *const kinds[] = {"deploy", "deployment", "deployments", "deployment.apps",
                                        NULL};
    if (*k >= n) {
        return NULL;
    }
    const char *slash = strchr(w[*k], '/');
    if (slash != NULL) {
        char *kind = xstrndup(w[*k], (size_t)(slash - w[*k]));
        bool ok = str_in(kind, kinds) && slash[1] != '\0';
        free(kind);
        return ok ? slash + 1 : NULL;
    }
    if (str_in(w[*k], kinds) && *k + 1 < n) {
        return w[++*k];
    }
    return NULL;
}

static void kubectl(struct block *b, const struct cmd *c, size_t at)
{
    const char *ns = "default", *replicas = NULL;
    char *pos[6];
    size_t np = 0;
    bool odd = false;
    for (size_t k = at + 1; k < c->n; k++) {
        const char *v;
        if ((v = opt_value(c, &k, "-n", "--namespace")) != NULL) {
            ns = v;
        } else if ((v = opt_value(c, &k, "", "--replicas")) != NULL) {
            replicas = v;
        } else if (opt_value(c, &k, "", "--context") != NULL ||
                   opt_value(c, &k, "", "--kubeconfig") != NULL) {
            continue;
        } else if (c->w[k][0] == '-') {
            odd = true; /* --to-revision, -l selectors...: not what the console does */
        } else if (np < 6) {
            pos[np++] = c->w[k];
        }
    }
    if (np == 0) {
        return;
    }
    if (str_in(pos[0], kubectl_changes)) {
        b->other = true;
        return;
    }
    size_t k = 1;
    const char *verb = NULL;
    if (strcmp(pos[0], "rollout") == 0 && np >= 3) {
        static const char *const verbs[] = {"restart", "undo", "pause", "resume", NULL};
        if (!str_in(pos[1], verbs)) {
            return; /* status, history: they look, nothing changes */
        }
        verb = strcmp(pos[1], "restart") == 0 ? "restart"
               : strcmp(pos[1], "undo") == 0  ? "undo"
               : strcmp(pos[1], "pause") == 0 ? "pause"
                                              : "resume";
        k = 2;
    } else if (strcmp(pos[0], "scale") == 0 && replicas != NULL && is_number(replicas) &&
               strchr(replicas, '%') == NULL) {
        verb = "scale";
    } else {
        return;
    }
    const char *name = deploy_name(pos, np, &k);
    if (name == NULL || odd || k + 1 != np) {
        b->other = true; /* it changes something the console's action does not do the same way */
        return;
    }
    found(b, "kubernetes", "deploys", verb, xasprintf("%s/%s", ns, name),
          strcmp(verb, "scale") == 0 ? xstrdup(replicas) : NULL);
}

static void amtool(struct block *b, const struct cmd *c, size_t at)
{
    if (at + 2 >= c->n + 1 || at + 1 >= c->n || strcmp(c->w[at + 1], "silence") != 0 ||
        at + 2 >= c->n) {
        return;
    }
    const char *sub = c->w[at + 2];
    if (strcmp(sub, "expire") == 0) {
        if (c->n == at + 4 && c->w[at + 3][0] != '-') {
            found(b, "alertmanager", "silences", "expire", xstrdup(c->w[at + 3]), NULL);
        } else {
            b->other = true; /* several at once, or a query */
        }
        return;
    }
    if (strcmp(sub, "add") != 0) {
        return;
    }
    const char *duration = NULL, *name = NULL;
    bool odd = false;
    for (size_t k = at + 3; k < c->n; k++) {
        const char *v;
        if ((v = opt_value(c, &k, "-d", "--duration")) != NULL) {
            duration = v;
        } else if (opt_value(c, &k, "-c", "--comment") != NULL ||
                   opt_value(c, &k, "-a", "--author") != NULL ||
                   opt_value(c, &k, "", "--alertmanager.url") != NULL) {
            continue;
        } else if (c->w[k][0] == '-') {
            odd = true;
        } else if (strstr(c->w[k], "=~") != NULL || strstr(c->w[k], "!=") != NULL) {
            odd = true; /* a regex or negative matcher is not "this alert" */
        } else if (strncmp(c->w[k], "alertname=", 10) == 0) {
            name = c->w[k] + 10;
        } else if (strchr(c->w[k], '=') == NULL && name == NULL && k == at + 3) {
            name = c->w[k]; /* amtool's first matcher may be the bare alert name */
        }
    }
    if (name == NULL || odd || name[0] == '\0') {
        b->other = true;
        return;
    }
    found(b, "alertmanager", "alerts", "silence", xstrdup(name),
          xstrdup(duration != NULL ? duration : "1h"));
}

static void rabbitmqctl(struct block *b, const struct cmd *c, size_t at)
{
    const char *vhost = "/", *queue = NULL;
    bool purge = false, odd = false;
    for (size_t k = at + 1; k < c->n; k++) {
        const char *v;
        if ((v = opt_value(c, &k, "-p", "--vhost")) != NULL) {
            vhost = v;
        } else if (opt_value(c, &k, "-n", "--node") != NULL) {
            continue;
        } else if (c->w[k][0] == '-') {
            odd = true;
        } else if (!purge && strcmp(c->w[k], "purge_queue") == 0) {
            purge = true;
        } else if (purge && queue == NULL) {
            queue = c->w[k];
        } else if (!purge) {
            static const char *const looks[] = {"list_queues",      "list_consumers", "status",
                                                "list_connections", "list_channels",  NULL};
            b->other = b->other || !str_in(c->w[k], looks);
            return;
        } else {
            odd = true;
        }
    }
    if (!purge) {
        return;
    }
    if (queue == NULL || odd) {
        b->other = true;
        return;
    }
    found(b, "rabbitmq", "queues", "purge", rabbitmq_key(vhost, queue), NULL);
}

static void read_cmd(struct block *b, const struct cmd *c)
{
    size_t at = 0;
    static const char *const wrappers[] = {"sudo", "command", "time", "exec", NULL};
    while (at < c->n && (str_in(c->w[at], wrappers) || strchr(c->w[at], '=') != NULL ||
                         (at > 0 && c->w[at][0] == '-' && strcmp(c->w[0], "sudo") == 0))) {
        at++;
    }
    if (at >= c->n) {
        return;
    }
    const char *prog = c->w[at];
    const char *base = strrchr(prog, '/') != NULL ? strrchr(prog, '/') + 1 : prog;
    static const char *const tools[] = {"socat", "nc", "ncat", "hatop", NULL};
    if (str_in(base, tools)) {
        b->haproxy_tool = true;
    }
    if (strcmp(base, "kubectl") == 0 || strcmp(base, "oc") == 0) {
        kubectl(b, c, at);
    } else if (strcmp(base, "amtool") == 0) {
        amtool(b, c, at);
    } else if (strcmp(base, "rabbitmqctl") == 0) {
        rabbitmqctl(b, c, at);
    }
    for (size_t k = at; k < c->n; k++) {
        haproxy_word(b, c->w[k]);
    }
}

bool recognise(const char *code, struct recog *out)
{
    struct block b = {0};
    *out = (struct recog){0};
    split(code, &b);
    for (size_t i = 0; i < b.n; i++) {
        read_cmd(&b, &b.c[i]);
    }
    block_free(&b);
    bool ok = b.found == 1 && !b.other && (strcmp(b.r.system, "haproxy") != 0 || b.haproxy_tool);
    if (!ok) {
        recog_finish(&b.r);
        return false;
    }
    *out = b.r;
    return true;
}

void recog_finish(struct recog *r)
{
    free(r->target);
    free(r->input);
    *r = (struct recog){0};
}

char *recog_describe(const struct recog *r, const char *target)
{
    static const char *const says[][2] = {
        {"drain", "drains"},     {"ready", "sets ready"}, {"maint", "puts in maintenance"},
        {"weight", "weighs"},    {"restart", "restarts"}, {"undo", "rolls back"},
        {"pause", "pauses"},     {"resume", "resumes"},   {"scale", "scales"},
        {"silence", "silences"}, {"expire", "expires"},   {"purge", "purges"},
    };
    const char *say = r->verb;
    for (size_t i = 0; i < sizeof says / sizeof says[0]; i++) {
        if (strcmp(says[i][0], r->verb) == 0) {
            say = says[i][1];
        }
    }
    if (strcmp(r->verb, "weight") == 0) {
        return xasprintf("sets the weight of %s to %s", target, r->input);
    }
    if (strcmp(r->verb, "scale") == 0) {
        return xasprintf("scales %s to %s", target, r->input);
    }
    if (strcmp(r->verb, "silence") == 0) {
        return xasprintf("silences %s for %s", target, r->input);
    }
    if (strcmp(r->verb, "expire") == 0) {
        return xasprintf("expires silence %s", target);
    }
    return xasprintf("%s %s", say, target);
}

/* The one alert row of b named name: its key; NULL with *cause. */
static char *alert_key(const struct store *st, const struct backend *b, const char *name,
                       char **cause)
{
    char *key = NULL;
    size_t count = 0;
    for (size_t i = 0; st != NULL && i < store_nsets(st, MODEL_ALERTS); i++) {
        const struct rowset *rs = store_set(st, MODEL_ALERTS, i);
        if (strcmp(rs->source, backend_source(b)) != 0) {
            continue;
        }
        for (size_t row = 0; row < rs->nrows; row++) {
            const char *n = rowset_cell_text(rs, row, ALERT_NAME);
            if (n != NULL && strcmp(n, name) == 0 && count++ == 0) {
                key = xstrdup(rowset_key(rs, row));
            }
        }
    }
    if (count == 1) {
        return key;
    }
    free(key);
    *cause = count == 0 ? xasprintf("%s shows no alert %s", b->name, name)
                        : xasprintf("%s shows %zu alerts %s: silence the one you mean from the "
                                    "Alerts pane",
                                    b->name, count, name);
    return NULL;
}

struct backend *recognise_backend(const struct recog *r, const char *target,
                                  struct backend **backends, size_t n, const struct store *st,
                                  const struct action_def **def, char **key, char **cause)
{
    enum model_kind kind;
    *key = NULL;
    if (!model_kind_from_name(r->pane, &kind)) {
        *cause = xasprintf("no pane %s", r->pane);
        return NULL;
    }
    struct backend *b = NULL;
    for (int pass = 0; pass < 2 && b == NULL; pass++) {
        for (size_t i = 0; i < n && b == NULL; i++) {
            bool typed = strcmp(backends[i]->impl->type, r->system) == 0;
            if ((pass == 0) == typed) {
                *def = backend_action_by_verb(backends[i], kind, r->verb);
                b = *def != NULL ? backends[i] : NULL;
            }
        }
    }
    if (b == NULL) {
        *cause = xasprintf("no backend here can %s on %s (a %s backend would)", r->verb, r->pane,
                           r->system);
        return NULL;
    }
    if (kind == MODEL_ALERTS) {
        *key = alert_key(st, b, target, cause);
        return *key != NULL ? b : NULL;
    }
    const struct rowset *rs;
    size_t row;
    if (b->last_ok_ms > 0 && st != NULL && !store_find(st, kind, b->name, target, &rs, &row)) {
        *cause = xasprintf("%s shows no %s %s", b->name, r->pane, target);
        return NULL;
    }
    *key = xstrdup(target);
    return b;
}
