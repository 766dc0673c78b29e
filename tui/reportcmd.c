/*
 * `opsdeck report`: a run's post-incident report, or the timeline of a time
 * range, on stdout (engine/report.h builds both).
 *
 *   opsdeck report RUN-ID | --last | --since TIME [--until TIME]
 *                  [--json] [--post] [-c FILE]
 *
 * TIME is RFC 3339 or an age ("2h", "90m": that long ago). --post sends the
 * summary to the Slack webhook whose URL is in the environment variable
 * named by [runbooks] slack_url_env in the config (the notify steps'
 * url_env convention: the URL itself is never in a file, an argv or a
 * message), through engine/notify.c on a loop of its own; the report is
 * printed either way, and a failed post exits 1.
 */
#include "reportcmd.h"

#include "../common/clock.h"
#include "../common/loop.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../engine/config.h"
#include "../engine/runlog.h"
#include "../engine/notify.h"
#include "../engine/paths.h"
#include "../engine/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: opsdeck report RUN-ID | --last | --since TIME [--until TIME]\n"
    "                      [--json] [--post] [-c FILE]\n"
    "  TIME: RFC 3339 (2026-11-23T14:40:00Z) or how long ago (2h, 90m)\n"
    "  --post: send the summary to the Slack webhook named by [runbooks] slack_url_env\n";

struct args {
    const char *run_id, *since, *until, *config;
    bool last, json, post;
};

/* RFC 3339, or an age: that long before now. */
static bool parse_time(const char *s, int64_t *ms)
{
    int64_t secs;
    if (clock_parse_rfc3339(s, ms)) {
        return true;
    }
    if (duration_parse(s, &secs)) {
        *ms = clock_wall_ms() - secs * 1000;
        return true;
    }
    return false;
}

static bool parse(int argc, char **argv, struct args *a)
{
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        bool more = i + 1 < argc;
        if (strcmp(s, "--last") == 0) {
            a->last = true;
        } else if (strcmp(s, "--json") == 0) {
            a->json = true;
        } else if (strcmp(s, "--post") == 0) {
            a->post = true;
        } else if (strcmp(s, "--since") == 0 && more) {
            a->since = argv[++i];
        } else if (strcmp(s, "--until") == 0 && more) {
            a->until = argv[++i];
        } else if ((strcmp(s, "-c") == 0 || strcmp(s, "--config") == 0) && more) {
            a->config = argv[++i];
        } else if (s[0] != '-' && a->run_id == NULL) {
            a->run_id = s;
        } else {
            return false;
        }
    }
    int modes = (a->run_id != NULL) + a->last + (a->since != NULL);
    return modes == 1 && (a->until == NULL || a->since != NULL);
}

/* The config (-c, or the default one when it exists); NULL: none, or *cause set. */
static struct config *load_config(const char *config, char **cause)
{
    char *path = NULL;
    if (config != NULL) {
        path = xstrdup(config);
    } else {
        char *dir = paths_config_dir();
        path = dir != NULL ? xasprintf("%s/config.ini", dir) : NULL;
        free(dir);
        if (path != NULL && access(path, F_OK) != 0) {
            free(path);
            path = NULL;
        }
    }
    struct config *cfg = path != NULL ? config_load(path, cause) : NULL;
    free(path);
    return cfg;
}

/* The env var named in the config for the webhook; NULL with *cause. Caller frees. */
static char *webhook_env(const struct config *cfg, char **cause)
{
    if (cfg == NULL) {
        *cause = xstrdup("--post: no config file (set [runbooks] slack_url_env in it)");
        return NULL;
    }
    char *env = cfg->slack_url_env != NULL ? xstrdup(cfg->slack_url_env) : NULL;
    if (env == NULL) {
        *cause = xstrdup("--post: no Slack webhook configured ([runbooks] slack_url_env = "
                         "NAME of the environment variable holding the webhook URL)");
    }
    return env;
}

struct posted {
    bool done, ok;
    char *message;
};

static void on_posted(bool ok, long status, const char *message, void *ud)
{
    (void)status;
    struct posted *p = ud;
    p->done = true;
    p->ok = ok;
    p->message = xstrdup(message != NULL ? message : "");
}

bool reportcmd_post(const char *env, const char *summary)
{
    struct notify_request req = {.service = "slack", .message = summary, .url_env = env};
    char *cause = NULL;
    struct loop *loop = loop_create();
    struct posted p = {0};
    struct notify *n = notify_send(loop, &req, on_posted, &p, &cause);
    if (n == NULL) {
        text_printf(stderr, "opsdeck: --post: %s\n", cause);
        free(cause);
        loop_destroy(loop);
        return false;
    }
    while (!p.done) {
        loop_run_once(loop, 1000);
    }
    loop_destroy(loop);
    text_printf(stderr, "opsdeck: --post: %s\n", p.message);
    free(p.message);
    return p.ok;
}

int reportcmd_main(int argc, char **argv)
{
    struct args a = {0};
    if (!parse(argc, argv, &a)) {
        fputs(usage_text, stderr);
        return 2;
    }
    int64_t from = 0, until = clock_wall_ms();
    if (a.since != NULL && !parse_time(a.since, &from)) {
        text_printf(stderr, "opsdeck: bad --since '%s' (RFC 3339 or an age like 2h)\n", a.since);
        return 2;
    }
    if (a.until != NULL && !parse_time(a.until, &until)) {
        text_printf(stderr, "opsdeck: bad --until '%s' (RFC 3339 or an age like 2h)\n", a.until);
        return 2;
    }
    char *cause = NULL;
    char *env = NULL;
    struct config *cfg = load_config(a.config, &cause);
    if (cause == NULL && cfg != NULL && cfg->share_dir != NULL) {
        /* shared runs live in the group's directory (docs/war-room.md) */
        char *runs = xasprintf("%s/runs", cfg->share_dir);
        runlog_set_default_dir(runs);
        free(runs);
    }
    if (cause != NULL || (a.post && (env = webhook_env(cfg, &cause)) == NULL)) {
        text_printf(stderr, "opsdeck: %s\n", cause);
        free(cause);
        config_destroy(cfg);
        return 2;
    }
    config_destroy(cfg);
    char *id = a.last ? report_last_run(NULL, &cause) : a.run_id != NULL ? xstrdup(a.run_id) : NULL;
    char *summary = NULL;
    struct report_opts o = {.json = a.json};
    char *doc = a.last && id == NULL
                    ? NULL
                    : report_build(&o, id, from, until, a.post ? &summary : NULL, &cause);
    free(id);
    if (doc == NULL) {
        text_printf(stderr, "opsdeck: %s\n", cause);
        free(cause);
        free(env);
        return 1;
    }
    fputs(doc, stdout);
    if (a.json) {
        fputs("\n", stdout);
    }
    free(doc);
    bool ok = fflush(stdout) == 0;
    if (a.post) {
        ok = reportcmd_post(env, summary) && ok;
    }
    free(summary);
    free(env);
    return ok ? 0 : 1;
}
