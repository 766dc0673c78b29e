/*
 * Wiki runbooks nobody wrote for opsdeck (tests/data/runbooks/wiki/, in the
 * styles of GitLab, Google SRE, PagerDuty, Atlassian and Kubernetes docs
 * runbooks): placeholder detection (engine/placeholder.c) and action
 * recognition (engine/recognise.c) on every code block and step text of the
 * corpus, each one with its expected answer, positives and negatives; then
 * the shell corner cases one by one.
 */
#include "../../engine/placeholder.h"
#include "../../engine/recognise.h"
#include "../../engine/runbook.h"
#include "tap.h"

/* A code block (found by a snippet of it), its placeholders ('|'-joined) and its action. */
struct expect_code {
    const char *file;
    const char *snippet;
    const char *placeholders;
    const char *action; /* "verb pane target [input]", or NULL: not recognised */
};

static const struct expect_code code_cases[] = {
    {"gitlab-haproxy.md", "show servers state be_web", "", NULL},
    {"gitlab-haproxy.md", "TODO: this should be", "", NULL},
    {"gitlab-haproxy.md", "be_web/<server> state drain", "<server>",
     "drain pools be_web/${server}"},
    {"gitlab-haproxy.md", "watch -n 2", "<server>", NULL},
    {"gitlab-haproxy.md", "set weight be_web/$SERVER 10", "$SERVER",
     "weight pools be_web/${SERVER} 10"},
    {"gitlab-haproxy.md", "{{server}} state ready", "{{server}}", "ready pools be_web/${server}"},
    {"gitlab-haproxy.md", "be_web/web2 state drain", "", NULL},
    {"gitlab-haproxy.md", "disable server be_web/web2", "", "maint pools be_web/web2"},
    {"sre-rollback.md", "rollout history", "<NAMESPACE>", NULL},
    {"sre-rollback.md", "rollout undo deploy/checkout", "<NAMESPACE>",
     "undo deploys ${NAMESPACE}/checkout"},
    {"sre-rollback.md", "--to-revision=XXX", "XXX", NULL},
    {"sre-rollback.md", "--replicas=6", "", "scale deploys shop/checkout 6"},
    {"sre-rollback.md", "rollout restart", "{{ .name }}", "restart deploys shop/${name}"},
    {"pagerduty-silence.md", "alertname=HighErrorRate", "CHANGEME",
     "silence alerts HighErrorRate 2h"},
    {"pagerduty-silence.md", "Latency", "", NULL},
    {"pagerduty-silence.md", "silence expire", "<silence-id>", "expire silences ${silence_id}"},
    {"pagerduty-silence.md", "./check.sh", "", NULL},
    {"atlassian-queue.md", "list_queues", "", NULL},
    {"atlassian-queue.md", "purge_queue orders.created.dlq -p shop", "",
     "purge queues shop/orders.created.dlq"},
    {"atlassian-queue.md", "$QUEUE_NAME", "$QUEUE_NAME", "purge queues %2F/${QUEUE_NAME}"},
    {"atlassian-queue.md", "QUEUE=orders.created", "", NULL},
    {"k8s-deploy.md", "rollout status", "", NULL},
    {"k8s-deploy.md", "rollout pause", "", "pause deploys web/nginx-deployment"},
    {"k8s-deploy.md", "rollout resume", "", "resume deploys web/nginx-deployment"},
    {"k8s-deploy.md", "--replicas=<replicas>", "<replicas>|<deployment-name>|<namespace>",
     "scale deploys ${namespace}/${deployment_name} ${replicas}"},
    {"k8s-deploy.md", "kubectl delete", "", NULL},
    {"k8s-deploy.md", "kind: ConfigMap", "CHANGEME", NULL},
};

/* A step's text (by its title), with the placeholders it shows. */
struct expect_text {
    const char *file;
    const char *title;
    const char *shown; /* a part of its body as shown */
    const char *placeholders;
};

static const struct expect_text text_cases[] = {
    {"gitlab-haproxy.md", "Acknowledge", "IC: <your name>", "<your name>|<server>"},
    {"gitlab-haproxy.md", "Drain the node", "one server of be_web", ""},
    {"sre-rollback.md", "Assess", "deployment in <NAMESPACE>", "<NAMESPACE>"},
    {"sre-rollback.md", "Escalate", "[team-name] on-call", "[team-name]"},
    {"pagerduty-silence.md", "Stay calm", "Scribe: <scribe>.", "{{ic_name}}|<scribe>"},
    {"atlassian-queue.md", "Purge the dead letters", "([owner-name])", "[owner-name]"},
};

static char *joined(const struct ph_list *l)
{
    struct strbuf sb = {0};
    strbuf_str(&sb, "");
    for (size_t i = 0; i < l->n; i++) {
        strbuf_printf(&sb, "%s%s", i ? "|" : "", l->v[i].raw);
    }
    return sb.s;
}

static char *code_placeholders(const char *code)
{
    struct ph_list l = {0};
    placeholder_find_code(code, NULL, NULL, &l);
    char *s = joined(&l);
    placeholder_list_free(&l);
    return s;
}

/* What recognise() makes of the block once its placeholders are ${var} references. */
static char *code_action(const char *code)
{
    struct ph_list l = {0};
    placeholder_find_code(code, NULL, NULL, &l);
    char *tmpl = placeholder_template(code, &l);
    placeholder_list_free(&l);
    struct recog r;
    char *s = NULL;
    if (recognise(tmpl, &r)) {
        s = xasprintf("%s %s %s%s%s", r.verb, r.pane, r.target, r.input ? " " : "",
                      r.input ? r.input : "");
        recog_finish(&r);
    }
    free(tmpl);
    return s;
}

static void corpus(const char *dir)
{
    static const char *const files[] = {"gitlab-haproxy.md",    "sre-rollback.md",
                                        "pagerduty-silence.md", "atlassian-queue.md",
                                        "k8s-deploy.md",        NULL};
    size_t nc = sizeof code_cases / sizeof code_cases[0];
    size_t nt = sizeof text_cases / sizeof text_cases[0];
    bool *used = xcalloc(nc, sizeof *used);
    size_t texts = 0;
    for (const char *const *f = files; *f != NULL; f++) {
        char *path = xasprintf("%s/%s", dir, *f);
        char *cause = NULL;
        struct runbook *rb = runbook_load(path, &cause);
        if (!tap_ok(rb != NULL, "%s loads (%s)", *f, cause ? cause : "ok")) {
            free(cause);
            free(path);
            continue;
        }
        for (size_t i = 0; i < rb->nsteps; i++) {
            const struct rb_step *s = &rb->steps[i];
            for (size_t k = 0; k < s->ncode; k++) {
                const struct expect_code *e = NULL;
                for (size_t c = 0; c < nc && e == NULL; c++) {
                    if (strcmp(code_cases[c].file, *f) == 0 &&
                        strstr(s->code[k], code_cases[c].snippet) != NULL) {
                        e = &code_cases[c];
                        used[c] = true;
                    }
                }
                if (!tap_ok(e != NULL, "%s: step '%s' block %zu has an expectation", *f, s->title,
                            k + 1)) {
                    continue;
                }
                char *got = code_placeholders(s->code[k]);
                char *what = xasprintf("%s: placeholders of '%s'", *f, e->snippet);
                tap_is_str(got, e->placeholders, what);
                free(what);
                free(got);
                got = code_action(s->code[k]);
                what = xasprintf("%s: action of '%s'", *f, e->snippet);
                tap_is_str(got, e->action, what);
                free(what);
                free(got);
            }
            for (size_t t = 0; t < nt; t++) {
                const struct expect_text *e = &text_cases[t];
                if (strcmp(e->file, *f) != 0 || strcmp(e->title, s->title) != 0) {
                    continue;
                }
                texts++;
                const char *body = s->body != NULL ? s->body : "";
                if (!tap_ok(strstr(body, e->shown) != NULL, "%s: '%s' shows '%s'", *f, e->title,
                            e->shown)) {
                    tap_diag("body: %s", body);
                }
                struct ph_list l = {0};
                placeholder_find_text(body, &l);
                char *got = joined(&l);
                char *what = xasprintf("%s: text placeholders of '%s'", *f, e->title);
                tap_is_str(got, e->placeholders, what);
                free(what);
                free(got);
                placeholder_list_free(&l);
            }
        }
        if (strcmp(*f, "atlassian-queue.md") == 0) {
            struct ph_list l = {0};
            placeholder_find_text(rb->intro != NULL ? rb->intro : "", &l);
            tap_ok(l.n == 0 && strstr(rb->intro, "<b>") == NULL,
                   "HTML in a page's introduction is markup: no placeholder, not shown");
            placeholder_list_free(&l);
        }
        if (strcmp(*f, "gitlab-haproxy.md") == 0) {
            struct ph_list l = {0};
            placeholder_find_text(rb->intro != NULL ? rb->intro : "", &l);
            tap_ok(l.n == 0, "an autolink <https://...> is no placeholder");
            placeholder_list_free(&l);
        }
        runbook_free(rb);
        free(path);
    }
    for (size_t c = 0; c < nc; c++) {
        tap_ok(used[c], "expectation '%s' met a block of %s", code_cases[c].snippet,
               code_cases[c].file);
    }
    tap_is_int((long long)texts, (long long)nt, "every text expectation met its step");
    free(used);
}

/* Shell that must not be taken for a placeholder, and forms that must be. */
static void corners(void)
{
    static const struct {
        const char *code, *want;
    } cases[] = {
        {"sort <in >out", ""},
        {"cat <<EOF\nhello <name> $X\nEOF\necho <server>", "<name>|<server>"},
        {"cat <<'END'\n$HOST_NAME\nEND", ""},
        {"diff <(ls a) <(ls b) 2>&1 >/dev/null", ""},
        {"if [ $a -lt 3 ]; then echo ok; fi", "$a"},
        {"a=1; if [ $a -lt 3 ]; then echo ok; fi", ""},
        {"awk '$1 > 5 && $2 < 3 {print}' f", ""},
        {"echo \"<br>\" '<b>bold</b>'", ""},
        {"curl -s <https://example.com/x>", ""},
        {"docker inspect -f {{.State.Running}} web", ""},
        {"helm upgrade web chart --set image.tag={{ .Values.tag }}", "{{ .Values.tag }}"},
        {"echo $? $1 $@ $# $$ $HOME ${PATH} $(date) ${X:-y} $${literal}", ""},
        {"echo ${ENV_NAME} \"$Other\"", "${ENV_NAME}|$Other"},
        {"grep '[a-z]' f; echo ${arr[0]} [[:space:]]; test [ -f x ]", ""},
        {"ssh [bastion-host] uptime", "[bastion-host]"},
        {"echo XXXX FIXME TODO_LIST xTODO", "XXXX|FIXME"},
        {"read -r NAME; echo $NAME", ""},
        {"echo '<pod name>' # <comment> TODO", "<pod name>"},
        {"printf $'a\\'<b c>'", "<b c>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = code_placeholders(cases[i].code);
        char *what = xasprintf("placeholders of corner case %zu", i + 1);
        tap_is_str(got, cases[i].want, what);
        free(what);
        free(got);
    }

    /* set in the environment: not a blank */
    setenv("OPSDECK_TEST_SET", "1", 1);
    char *got = code_placeholders("echo $OPSDECK_TEST_SET $OPSDECK_TEST_UNSET");
    tap_is_str(got, "$OPSDECK_TEST_UNSET", "a variable set in the environment is no placeholder");
    free(got);

    /* the template: a ${var} reference valid where each one stands */
    static const struct {
        const char *code, *want;
    } tmpl[] = {
        {"echo \"set server be_web/<server> state drain\" | socat stdio s",
         "echo \"set server be_web/${server} state drain\" | socat stdio s"},
        {"echo 'IC: <your name>' x", "echo 'IC: '\"${your_name}\"'' x"},
        {"kubectl -n <NAMESPACE> get deploy/{{ .name }} $POD_ID XXX",
         "kubectl -n ${NAMESPACE} get deploy/${name} ${POD_ID} ${XXX}"},
    };
    for (size_t i = 0; i < sizeof tmpl / sizeof tmpl[0]; i++) {
        struct ph_list l = {0};
        placeholder_find_code(tmpl[i].code, NULL, NULL, &l);
        char *t = placeholder_template(tmpl[i].code, &l);
        char *what = xasprintf("template of: %s", tmpl[i].code);
        tap_is_str(t, tmpl[i].want, what);
        free(what);
        free(t);
        placeholder_list_free(&l);
    }

    /* text: filled once a value is known, left as written until then */
    struct ph_list l = {0};
    placeholder_find_text("IC: <your name>, drain <server> and {{ .server }}", &l);
    struct strbuf sb = {0};
    for (size_t i = 0; i < l.n; i++) {
        strbuf_printf(&sb, "%s%s", i ? "," : "", l.v[i].var);
    }
    tap_is_str(sb.s, "your_name,server,server", "a placeholder's variable");
    free(sb.s);
    placeholder_list_free(&l);

    tap_ok(placeholder_html_is_text("<your name>", 11), "<your name> as HTML is text");
    tap_ok(placeholder_html_is_text("<server>", 8), "<server> as HTML is text");
    tap_ok(!placeholder_html_is_text("<b>", 3), "<b> is markup");
    tap_ok(!placeholder_html_is_text("<a href=\"x\">", 12), "<a href> is markup");
    tap_ok(!placeholder_html_is_text("</server>", 9), "a closing tag is markup");
}

static const char *one_value(const char *var, void *ud)
{
    (void)ud;
    return strcmp(var, "server") == 0 ? "web3" : NULL;
}

static void fill(void)
{
    const char *text = "IC: <your name>, drain <server> ({{server}})";
    struct ph_list l = {0};
    placeholder_find_text(text, &l);
    char *got = placeholder_fill(text, &l, one_value, NULL);
    tap_is_str(got, "IC: <your name>, drain web3 (web3)", "text filled where a value is known");
    free(got);
    placeholder_list_free(&l);
}

/* Recognition edge cases: one action or none. */
static void recognition(void)
{
    static const struct {
        const char *code, *want;
    } cases[] = {
        {"echo 'set server be_web/web3 state maint' | socat - /run/haproxy.sock",
         "maint pools be_web/web3"},
        {"echo 'set server be_web/web3 state drain'", NULL}, /* no socket tool: only prints */
        {"echo 'set server be_web/web3 state drain; show stat' | socat stdio /s",
         "drain pools be_web/web3"},
        {"echo 'set server be_web/web3 state drain; set server be_web/web1 state drain' | "
         "socat stdio /s",
         NULL},
        {"echo 'set server be_web/web3 addr 10.0.0.1' | socat stdio /s", NULL},
        {"sudo kubectl --context prod -n shop rollout restart deployment.apps/cart && "
         "kubectl -n shop rollout status deploy/cart",
         "restart deploys shop/cart"},
        {"kubectl rollout restart statefulset/db", NULL},
        {"kubectl rollout restart deploy/a deploy/b", NULL},
        {"kubectl scale deploy/web --replicas=50%", NULL},
        {"amtool silence add Watchdog", "silence alerts Watchdog 1h"},
        {"amtool silence expire a b", NULL},
        {"rabbitmqctl -p / purge_queue jobs", "purge queues %2F/jobs"},
        {"rabbitmqctl delete_queue jobs", NULL},
        {"# kubectl rollout restart deploy/x", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = code_action(cases[i].code);
        char *what = xasprintf("action of: %s", cases[i].code);
        tap_is_str(got, cases[i].want, what);
        free(what);
        free(got);
    }
    struct recog r;
    if (tap_ok(recognise("kubectl scale deploy/web --replicas 3 -n shop", &r), "scale")) {
        char *d = recog_describe(&r, "shop/web");
        tap_is_str(d, "scales shop/web to 3", "what the hint says of a scale");
        free(d);
        recog_finish(&r);
    }
    if (tap_ok(recognise("echo \"set server be_web/web3 state drain\" | socat stdio /s", &r),
               "drain")) {
        char *d = recog_describe(&r, "be_web/web3");
        tap_is_str(d, "drains be_web/web3", "what the hint says of a drain");
        free(d);
        recog_finish(&r);
    }
}

int main(int argc, char **argv)
{
    unsetenv("SERVER");
    unsetenv("NAMESPACE");
    unsetenv("QUEUE_NAME");
    unsetenv("OPSDECK_TEST_UNSET");
    corpus(argc > 1 ? argv[1] : "tests/data/runbooks/wiki");
    corners();
    fill();
    recognition();
    return tap_done();
}
