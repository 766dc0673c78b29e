/*
 * The command line: argv into struct options (args.h).
 */
#include "args.h"

#include "../common/clock.h"
#include "../common/text.h"
#include "../common/util.h"
#include "../engine/game.h"
#include "drillcmd.h"
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef OPSDECK_VERSION
#define OPSDECK_VERSION "0.1.0"
#endif

static bool parse_exit_after(const char *s, struct options *o)
{
    size_t n = strlen(s);
    char *end;
    if (n > 1 && s[n - 1] == 'f') {
        long f = strtol(s, &end, 10);
        if (end != s + n - 1 || f <= 0) {
            return false;
        }
        o->exit_after_frames = f;
        return true;
    }
    int64_t secs;
    if (!duration_parse(s, &secs) || secs <= 0) {
        return false;
    }
    o->exit_after_ms = secs * 1000;
    return true;
}

static const char *take_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        text_printf(stderr, "opsdeck: %s needs a value\n", argv[*i]);
        exit(2);
    }
    return argv[++*i];
}

/* The arguments of `run`; false when a is none of them. */
static bool parse_run_arg(int argc, char **argv, int *i, struct options *o)
{
    const char *a = argv[*i];
    if (strcmp(a, "--var") == 0) {
        o->run_vars = xreallocarray(o->run_vars, (size_t)o->nrun_vars + 2, sizeof *o->run_vars);
        o->run_vars[o->nrun_vars++] = take_value(argc, argv, i);
        o->run_vars[o->nrun_vars] = NULL;
    } else if (strcmp(a, "--plain") == 0) {
        o->plain = true;
    } else if (strcmp(a, "--dry-run") == 0) {
        o->dry_run = true;
    } else if (strcmp(a, "--resume") == 0) {
        o->run_resume = take_value(argc, argv, i);
    } else if (strcmp(a, "--recover") == 0 && o->command == CMD_DRILL) {
        o->drill_recover = true;
    } else if (strcmp(a, "--auto") == 0 && o->command == CMD_DRILL) {
        o->drill_auto = true;
    } else if (strcmp(a, "--report-to") == 0 && o->command == CMD_DRILL) {
        o->report_to = take_value(argc, argv, i);
    } else if (strcmp(a, "--give-up") == 0 && o->command == CMD_DRILL) {
        o->drill_give_up = take_value(argc, argv, i);
    } else if (strcmp(a, "--guard") == 0 && o->command == CMD_DRILL) {
        o->drill_guard = take_value(argc, argv, i);
    } else if (strcmp(a, "--stop-all") == 0 && o->command == CMD_DRILL) {
        o->stop_all = true;
        o->lever_reason = *i + 1 < argc && argv[*i + 1][0] != '-' ? argv[++*i] : NULL;
    } else if (strcmp(a, "--release-lever") == 0 && o->command == CMD_DRILL) {
        o->release_lever = true;
    } else if (strcmp(a, "--wheel") == 0 && o->command == CMD_DRILL) {
        o->drill_wheel = take_value(argc, argv, i);
    } else if (strcmp(a, "--players") == 0 && o->command == CMD_DRILL) {
        game_players_set(take_value(argc, argv, i)); /* checked against the drill's roles */
    } else if (o->run_file == NULL && a[0] != '-') {
        o->run_file = a;
    } else {
        return false;
    }
    return true;
}

void args_parse(int argc, char **argv, struct options *o)
{
    int i = 1;
    if (argc > 1 && strcmp(argv[1], "snapshot") == 0) {
        o->command = CMD_SNAPSHOT;
        i = 2;
    } else if (argc > 1 && strcmp(argv[1], "lint") == 0) {
        o->command = CMD_LINT;
        i = 2;
    } else if (argc > 1 && strcmp(argv[1], "act") == 0) {
        o->command = CMD_ACT;
        i = 2;
    } else if (argc > 1 && strcmp(argv[1], "drill") == 0) {
        o->command = CMD_DRILL;
        i = 2;
    } else if (argc > 1 && strcmp(argv[1], "join") == 0) {
        o->command = CMD_JOIN;
        i = 2;
    } else if (argc > 1 && strcmp(argv[1], "doctor") == 0) {
        o->command = CMD_DOCTOR;
        i = 2;
    } else if (argc > 1 && (strcmp(argv[1], "run") == 0 || strcmp(argv[1], "runs") == 0)) {
        o->command = strcmp(argv[1], "run") == 0 ? CMD_RUN : CMD_RUNS;
        i = 2;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("opsdeck %s\n", OPSDECK_VERSION);
            exit(0);
        } else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            o->config = take_value(argc, argv, &i);
        } else if (strcmp(a, "--keys") == 0 && o->command == CMD_CONSOLE) {
            o->list_keys = true;
        } else if (strcmp(a, "-r") == 0 || strcmp(a, "--read-only") == 0) {
            o->read_only = true;
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--theme") == 0) {
            o->theme = take_value(argc, argv, &i);
        } else if (strcmp(a, "--json") == 0 &&
                   (o->command == CMD_SNAPSHOT || o->command == CMD_DOCTOR)) {
            o->json = true;
        } else if (o->command == CMD_DOCTOR && strcmp(a, "--backend") == 0) {
            o->doctor_only =
                xreallocarray(o->doctor_only, o->ndoctor_only + 2, sizeof *o->doctor_only);
            o->doctor_only[o->ndoctor_only++] = take_value(argc, argv, &i);
            o->doctor_only[o->ndoctor_only] = NULL;
        } else if (o->command == CMD_DOCTOR && strcmp(a, "--timeout") == 0) {
            const char *v = take_value(argc, argv, &i);
            int64_t secs;
            if (!duration_parse(v, &secs) || secs <= 0 || secs > 3600) {
                text_printf(stderr, "opsdeck: bad --timeout '%s' (e.g. 5s, 1m)\n", v);
                exit(2);
            }
            o->doctor_timeout_ms = secs * 1000;
        } else if (strcmp(a, "--seed") == 0) {
            o->seed = take_value(argc, argv, &i);
        } else if (strcmp(a, "--demo-mode") == 0) {
            o->demo_mode = take_value(argc, argv, &i);
        } else if (strcmp(a, "--demo-queues") == 0) {
            o->demo_queues = take_value(argc, argv, &i);
        } else if (strcmp(a, "--demo-alerts") == 0) {
            o->demo_alerts = take_value(argc, argv, &i);
        } else if (o->command == CMD_CONSOLE && strcmp(a, "--view") == 0) {
            o->view = take_value(argc, argv, &i);
        } else if (strcmp(a, "--exit-after") == 0) {
            const char *v = take_value(argc, argv, &i);
            if (!parse_exit_after(v, o)) {
                text_printf(stderr, "opsdeck: bad --exit-after '%s' (e.g. 5, 5s or 100f)\n", v);
                exit(2);
            }
        } else if (o->command == CMD_LINT && strcmp(a, "--strict") == 0) {
            o->strict = true;
        } else if (o->command == CMD_LINT && o->lint_file == NULL && a[0] != '-') {
            o->lint_file = a;
        } else if (o->command == CMD_ACT && strcmp(a, "--yes") == 0) {
            o->yes = true;
        } else if (o->command == CMD_ACT && strcmp(a, "--list") == 0) {
            o->act_list = true;
        } else if (o->command == CMD_RUNS && strcmp(a, "--ids") == 0) {
            o->run_ids = true;
        } else if (o->command == CMD_ACT && strcmp(a, "--input") == 0) {
            o->input = take_value(argc, argv, &i);
        } else if (o->command == CMD_ACT && strcmp(a, "--confirm") == 0) {
            o->confirm = take_value(argc, argv, &i);
        } else if (o->command == CMD_ACT && o->nact < 4 && a[0] != '-') {
            o->act_args[o->nact++] = a;
        } else if (o->command == CMD_JOIN && strcmp(a, "--projector") == 0) {
            o->projector = true;
        } else if (o->command == CMD_JOIN && o->join_id == NULL && a[0] != '-') {
            o->join_id = a;
        } else if ((o->command == CMD_RUN || o->command == CMD_DRILL) &&
                   parse_run_arg(argc, argv, &i, o)) {
            continue;
        } else {
            text_printf(stderr, "opsdeck: unknown argument '%s' (see --help)\n", a);
            exit(2);
        }
    }
    if (o->command == CMD_JOIN && o->join_id == NULL) {
        fprintf(stderr, "opsdeck: join needs a RUN-ID (opsdeck runs lists the shared runs)\n");
        exit(2);
    }
    if (o->command == CMD_LINT && o->lint_file == NULL) {
        fprintf(stderr, "opsdeck: lint needs a FILE\n");
        exit(2);
    }
    if (o->command == CMD_ACT && o->act_list) {
        return; /* no BACKEND PANE VERB TARGET, no --yes: it only lists */
    }
    if (o->command == CMD_ACT && o->nact != 4) {
        fprintf(stderr, "opsdeck: act needs BACKEND PANE VERB TARGET\n");
        exit(2);
    }
    if (o->command == CMD_RUN && (o->run_file == NULL) == (o->run_resume == NULL)) {
        fprintf(stderr, "opsdeck: run needs a FILE or --resume RUN-ID (one of them)\n");
        exit(2);
    }
    if (o->command == CMD_RUN && o->run_resume != NULL && (o->nrun_vars > 0 || o->dry_run)) {
        fprintf(stderr, "opsdeck: --resume goes on with the run's own variables: no --var or "
                        "--dry-run\n");
        exit(2);
    }
    if (o->command == CMD_DRILL && o->drill_wheel != NULL && o->run_file == NULL) {
        char *cause = NULL; /* the wheel draws the FILE (and says which) */
        if ((o->run_file = drillcmd_wheel(o->drill_wheel, o->seed, &cause)) == NULL) {
            text_printf(stderr, "opsdeck: %s\n", cause);
            exit(2);
        }
    }
    if (o->command == CMD_DRILL && o->seed != NULL) {
        setenv("OPSDECK_DRILL_SEED", o->seed, 1); /* the drill's draws (at: T+A..B) too */
    }
    if (o->command == CMD_DRILL && (o->run_file != NULL) + (o->run_resume != NULL) +
                                           o->drill_recover + (o->drill_give_up != NULL) +
                                           (o->drill_guard != NULL) + o->stop_all +
                                           o->release_lever !=
                                       1) {
        fprintf(stderr, "opsdeck: drill needs a FILE, --resume RUN-ID, --recover, --give-up "
                        "RUN-ID, --stop-all or --release-lever (one of them)\n");
        exit(2);
    }
    if ((o->drill_auto && o->run_file == NULL) || (o->report_to != NULL && !o->drill_auto)) {
        fprintf(stderr, "opsdeck: --auto runs a drill FILE; --report-to goes with --auto\n");
        exit(2);
    }
    if (o->command == CMD_DRILL && (o->nrun_vars > 0 || o->dry_run)) {
        fprintf(stderr, "opsdeck: drill takes no --var or --dry-run\n");
        exit(2);
    }
    if (o->command == CMD_ACT && !o->yes) {
        fprintf(stderr, "opsdeck: act changes things and asks nothing: add --yes to confirm\n");
        exit(2);
    }
}
