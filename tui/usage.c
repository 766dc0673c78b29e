/*
 * opsdeck --help (usage.h): every subcommand and option, one text, kept
 * next to nothing else so main.c stays the parsing. The README's "Command
 * line" and docs/opsdeck.1 say the same.
 */
#include "usage.h"

void usage(FILE *out)
{
    fprintf(
        out,
        "usage: opsdeck [OPTIONS]                 the console\n"
        "       opsdeck snapshot [--json] [OPTIONS] print every pane once and exit\n"
        "       opsdeck lint [--strict] FILE      check a config, a runbook or a drill\n"
        "                                         (--strict: warnings fail too)\n"
        "       opsdeck doctor [--backend NAME]... [--timeout DUR] [--json]\n"
        "                                         check every backend with its real settings\n"
        "                                         (version, authentication, actions), the\n"
        "                                         state directory, secrets and the terminal\n"
        "       opsdeck act --yes [--input V] [--confirm TARGET] BACKEND PANE VERB TARGET\n"
        "                                         one action, headless, through the audit log\n"
        "                                         (--confirm: a protected context's typed\n"
        "                                         confirmation)\n"
        "       opsdeck run FILE [--var k=v ...] [--plain] [--dry-run]\n"
        "       opsdeck run --resume RUN-ID [--plain]\n"
        "                                         the runbook pane, or line mode (--plain,\n"
        "                                         or without a terminal)\n"
        "       opsdeck drill FILE [--plain]      run a drill: the drill pane, or line mode\n"
        "       opsdeck drill --resume RUN-ID [--plain]  (--plain, or without a terminal)\n"
        "       opsdeck drill FILE --auto [--report-to URL]  unattended (a timer): no\n"
        "                                         questions, the report to a webhook\n"
        "       opsdeck drill FILE --players ic=alice,scribe=bob  who plays which role\n"
        "       opsdeck drill --recover           roll back what a crashed drill left\n"
        "       opsdeck drill --wheel DIR [--seed N]  draw a drill from DIR and run it\n"
        "       opsdeck drill --from-run RUN-ID [FILE]  a past run as a tabletop drill\n"
        "       opsdeck drill --give-up RUN-ID    stop retrying a rollback that keeps failing\n"
        "                                         (you put it back by hand; typed, audited)\n"
        "       opsdeck drill --stop-all [REASON] the safety lever: stop every live drill here,\n"
        "                                         and none starts until --release-lever\n"
        "       opsdeck runs                      the runs in the state directory (and the\n"
        "                                         shared ones in [share] dir, with who is on "
        "them)\n"
        "       opsdeck join RUN-ID [--projector]  follow a shared run or drill (the war room)\n"
        "       opsdeck report RUN-ID | --last | --since TIME [--until TIME] [--json] [--post]\n"
        "                                         the incident report: a run's or a time\n"
        "                                         range's timeline, figures, leftovers\n"
        "\n");
    fprintf(
        out,
        "options:\n"
        "  -c, --config FILE     config file (default: $XDG_CONFIG_HOME/opsdeck/config.ini;\n"
        "                        without one, the built-in demo runs)\n"
        "  -r, --read-only       disable every action\n"
        "  -t, --theme NAME      dark (default), light, high-contrast, mono, or a user theme\n"
        "      --seed N          demo: random seed (same seed, same story); drill: the seed of\n"
        "                        --wheel and of at: T+A..B draws\n"
        "      --demo-mode MODE  demo: live (default), still (nothing changes), trickle\n"
        "      --demo-queues N   demo: number of queue rows (for benchmarks)\n"
        "      --exit-after N    quit by itself after N seconds (5, 5s) or frames (100f)\n"
        "      --view VIEW       the console: start on a view, by name ([views] in the config,\n"
        "                        or saved with :view save) or as a string, e.g.\n"
        "                        'pools;filter=be_web;sort=-5XX;cols=POOL,SERVER,5XX'\n"
        "      --yes             act: confirm the action (there is no prompt)\n"
        "      --input VALUE     act: the value the action asks for (duration, weight)\n"
        "      --keys            every verb of the key tables with its keys (the config's\n"
        "                        [keys] applied), for key maps, then exit\n"
        "  -h, --help            this help\n"
        "  -V, --version         version\n"
        "\n"
        "Keys: ? in the console lists the keys of the focused pane; [keys] in the config\n"
        "rebinds them (opsdeck --keys lists the verbs).\n"
        "\n"
        "run exit status: 0 finished (or dry run printed); 1 runtime failure (journal,\n"
        "resume refused); 2 usage or runbook errors; 3 quit or end of input with the run\n"
        "open (resume it); 4 aborted; 128+N ended by signal N, the run open.\n"
        "drill: the same, 4 also when a before check blocks it; leaving early always\n"
        "rolls its chaos back first.\n"
        "doctor exit status: 0 no check failed; 1 a check failed; 2 config error.\n");
}
