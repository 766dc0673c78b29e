#!/bin/bash
# The command line: help, version, exit codes, snapshot (text and JSON), lint,
# config errors naming file:line, user themes.
set -u
OPSDECK=${OPSDECK:?}
T=$(mktemp -d /tmp/opsdeck-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"
. "$(dirname "$0")/tap.sh"
status_of() {
    "$@" >"$T/out" 2>"$T/err"
    echo $?
}

check "--help exits 0" test "$(status_of "$OPSDECK" --help)" = 0
check "--help shows usage" grep -q "usage: opsdeck" "$T/out"
check "--version prints the version" bash -c '"$1" --version | grep -qE "^opsdeck [0-9]+\.[0-9]+\.[0-9]+$"' _ "$OPSDECK"
check "unknown argument exits 2" test "$(status_of "$OPSDECK" --bogus)" = 2
check "and says so on stderr" grep -q "unknown argument '--bogus'" "$T/err"
check "bad --exit-after exits 2" test "$(status_of "$OPSDECK" --exit-after soon)" = 2
check "the console without a terminal exits 2 with a reason" \
    bash -c '"$1" </dev/null >/dev/null 2>"$2/e"; [ $? = 2 ] && grep -q "needs a terminal" "$2/e"' _ "$OPSDECK" "$T"

check "snapshot exits 0 on the demo" test "$(status_of "$OPSDECK" snapshot --seed 4)" = 0
for pane in "Alerts" "Queues" "Pools" "Deployments"; do
    check "snapshot prints the $pane pane" grep -q "^== $pane: " "$T/out"
done
check "snapshot lists the 12 pool servers" test "$(grep -cE '^be_(web|api|static) ' "$T/out")" -eq 12
check "snapshot reports the backend" grep -q "^backend demo (demo): ok" "$T/out"

check "snapshot --json is valid JSON with every pane" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert set(d["panes"]) == {"alerts", "queues", "pools", "deploys", "silences", "signals"}, d.keys()
assert len(d["panes"]["pools"]) == 12
row = d["panes"]["pools"][0]
assert row["source"] == "demo" and "/" in row["key"] and "STATUS" in row["cells"]
assert isinstance(row["cells"]["SESS"], (int, float))
assert d["backends"][0]["health"] == "ok"
' "$(status_of "$OPSDECK" snapshot --json --seed 4 >/dev/null; "$OPSDECK" snapshot --json --seed 4 >"$T/a.json"; echo "$T/a.json")"

mkdir -p "$XDG_CONFIG_HOME/opsdeck"
cat >"$T/seeded.ini" <<'INI'
[backend "sim"]
type = demo
seed = 11
epoch = 1790000000
INI
"$OPSDECK" snapshot --json -c "$T/seeded.ini" >"$T/s1.json"
"$OPSDECK" snapshot --json -c "$T/seeded.ini" >"$T/s2.json"
check "same seed and epoch, same snapshot" cmp -s "$T/s1.json" "$T/s2.json"
"$OPSDECK" snapshot --json -c "$T/seeded.ini" --seed 12 >"$T/s3.json"
check "another seed, another story" bash -c '! cmp -s "$1" "$2"' _ "$T/s1.json" "$T/s3.json"
check "the source column names the configured backend" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["panes"]["pools"][0]["source"] == "sim"' "$T/s1.json"

check "lint accepts a good config" test "$(status_of "$OPSDECK" lint "$T/seeded.ini")" = 0
printf '[opsdeck]\ntheme = dark\ncolour = yes\n' >"$T/bad1.ini"
check "lint rejects an unknown key (exit 2)" test "$(status_of "$OPSDECK" lint "$T/bad1.ini")" = 2
check "naming file:line" grep -q "$T/bad1.ini:3:" "$T/err"
printf '[backend "x"]\ntype = demo\n\nrefresh = never\n' >"$T/bad2.ini"
check "lint rejects a bad value" test "$(status_of "$OPSDECK" lint "$T/bad2.ini")" = 2
check "naming its line" grep -q "$T/bad2.ini:4: bad duration 'never'" "$T/err"
printf '[backend "x"]\ntype = nosuch\n' >"$T/bad3.ini"
check "an unknown backend type is an error at its section" \
    bash -c '"$1" snapshot -c "$2" 2>&1 >/dev/null | grep -q "$2:1: unknown backend type .nosuch."' _ "$OPSDECK" "$T/bad3.ini"
check "a missing --config file is an error, not the demo" test "$(status_of "$OPSDECK" snapshot -c "$T/none.ini")" = 2
check "and says which file" grep -q "$T/none.ini" "$T/err"
printf '\x00\xff garbage [[[\n' >"$T/bin.ini"
check "garbage config: exit 2, no crash" test "$(status_of "$OPSDECK" lint "$T/bin.ini")" = 2

# runbooks: lint by extension (.md, .markdown, .json), file:line per problem
printf '# Good\n\n## Look\nRead it.\n\n## Restart\n```opsdeck\ntype: command\nrun: echo hi\n```\n' >"$T/good.md"
check "lint accepts a good runbook (exit 0)" test "$(status_of "$OPSDECK" lint "$T/good.md")" = 0
check "and counts its steps" grep -qx "$T/good.md: ok (2 steps)" "$T/out"
printf '# Bad\n\n## Restart\n```opsdeck\ntype: command\nrun: restart ${svc}\ntimeout: soon\nnext: nowhere\n```\n' >"$T/bad.markdown"
check "lint rejects a bad runbook (exit 2)" test "$(status_of "$OPSDECK" lint "$T/bad.markdown")" = 2
check "naming file:line of an unset variable" grep -qx "$T/bad.markdown:6: variable 'svc' in run is used before anything sets it" "$T/err"
check "of a bad duration" grep -q "^$T/bad.markdown:7: bad duration 'soon'" "$T/err"
check "of a jump to a missing step" grep -qx "$T/bad.markdown:8: next goes to a missing step 'nowhere'" "$T/err"
check "one line per problem, nothing on stdout" bash -c '[ "$(wc -l <"$1")" = 3 ] && [ ! -s "$2" ]' _ "$T/err" "$T/out"
printf '{"title": "J", "steps": [\n  {"title": "a", "type": "wait"}\n]}\n' >"$T/bad.json"
check "a JSON runbook is linted too" test "$(status_of "$OPSDECK" lint "$T/bad.json")" = 2
check "at the line of its step" grep -qx "$T/bad.json:2: wait without until or run" "$T/err"
# a wiki runbook: numbered headings, phases named or inferred from verbs, said as notes
STYLES="$(dirname "$0")/data/runbooks/styles"
check "lint accepts a numbered wiki runbook (exit 0)" test "$(status_of "$OPSDECK" lint "$STYLES/wiki-numbered.md")" = 0
check "noting the phase inferred from 'Drain' at its heading" grep -qx "$STYLES/wiki-numbered.md:25: note: phase inferred from 'Drain': F (Focus)" "$T/out"
check "and from 'Roll back'" grep -qx "$STYLES/wiki-numbered.md:38: note: phase inferred from 'Roll back': F (Focus)" "$T/out"
check "no note where a heading names the phase" bash -c '! grep -q "wiki-numbered.md:\(13\|18\|32\|41\):" "$1"' _ "$T/out"
check "notes are not problems: nothing on stderr" test ! -s "$T/err"
check "nor under --strict" test "$(status_of "$OPSDECK" lint --strict "$STYLES/wiki-numbered.md")" = 0
check "a runbook that names its phases gets no note" bash -c '"$1" lint "$2" | grep -c note: | grep -qx 0' _ "$OPSDECK" "$STYLES/explicit-sections.md"
printf '\x00\xff\xfe garbage\n' >"$T/bin.md"
check "a binary .md: exit 2, no crash" test "$(status_of "$OPSDECK" lint "$T/bin.md")" = 2
check "saying it is not a runbook" grep -q "^$T/bin.md:1: not a runbook" "$T/err"

# user themes: found in the config dir, errors name file:line, unknown names refused
mkdir -p "$XDG_CONFIG_HOME/opsdeck/themes"
printf '[theme]\ninherits = dark\ncrit = bright-magenta default bold\n' >"$XDG_CONFIG_HOME/opsdeck/themes/mine.theme"
printf '[theme]\ncrit = purple default\n' >"$XDG_CONFIG_HOME/opsdeck/themes/broken.theme"
# without a terminal the console stops right after loading the theme: the message tells which
check "a user theme from the config dir loads" \
    bash -c '"$1" --theme mine </dev/null 2>&1 >/dev/null | grep -q "needs a terminal"' _ "$OPSDECK"
check "a broken user theme names file:line" \
    bash -c '"$1" --theme broken </dev/null 2>&1 >/dev/null | grep -q "broken.theme:2:.*purple"' _ "$OPSDECK"
check "an unknown theme is refused" \
    bash -c '"$1" --theme nope </dev/null 2>&1 >/dev/null | grep -q "theme .nope. not found"' _ "$OPSDECK"
check "a theme name that is a path is refused" \
    bash -c '"$1" --theme ../../etc/passwd </dev/null 2>&1 >/dev/null | grep -qi "theme"' _ "$OPSDECK"

# the default config path is used when present
cp "$T/seeded.ini" "$XDG_CONFIG_HOME/opsdeck/config.ini"
"$OPSDECK" snapshot >"$T/def.txt"
check "the default config file is read" grep -q "^backend sim (demo): ok" "$T/def.txt"
rm "$XDG_CONFIG_HOME/opsdeck/config.ini"

# report: Markdown from a run journal in $XDG_STATE_HOME/opsdeck/runs; a missing run is exit 1
mkdir -p "$XDG_STATE_HOME/opsdeck/runs"
printf '%s\n' '{"seq":1,"ts":"2026-11-23T10:00:00.000Z","actor":"alice","host":"b1","run":"r9","step":null,"action":"run.start","target":null,"result":null,"data":{"runbook":"x.md","title":"Disk full"}}' \
    '{"seq":2,"ts":"2026-11-23T10:01:30.000Z","actor":"alice","host":"b1","run":"r9","step":null,"action":"run.end","target":null,"result":null,"data":{"how":"aborted"}}' \
    >"$XDG_STATE_HOME/opsdeck/runs/r9.jsonl"
check "report RUN-ID exits 0" test "$(status_of "$OPSDECK" report r9)" = 0
check "and prints the Markdown report" grep -q "^# Incident report: Disk full" "$T/out"
check "with how the run ended" grep -q "^- Outcome: aborted" "$T/out"
check "report of a missing run exits 1" test "$(status_of "$OPSDECK" report nosuch)" = 1
check "and names it" grep -q "no run nosuch in $XDG_STATE_HOME/opsdeck/runs" "$T/err"
check "report without a run id exits 2" test "$(status_of "$OPSDECK" report)" = 2

# the shipped runbooks: lint-clean, every step type used, the notify env vars checked
RUNBOOKS="$(cd "$(dirname "$0")/.." && pwd)/examples/runbooks"
check "four runbooks are shipped" test "$(ls "$RUNBOOKS"/*.md | wc -l)" -eq 4
for f in "$RUNBOOKS"/*.md; do
    check "lint accepts $(basename "$f")" bash -c \
        'OPSDECK_SLACK_WEBHOOK=http://127.0.0.1:9/hook OPSDECK_PD_ROUTING_KEY=k "$1" lint "$2" >"$3/out" 2>&1 || { cat "$3/out" >&2; exit 1; }' \
        _ "$OPSDECK" "$f" "$T"
done
for type in command prompt decision wait action approval notify; do
    check "the shipped runbooks use a $type step" grep -q "^type: $type\$" "$RUNBOOKS"/*.md
done
check "and time boxes, captures, alert variables, live pane waits" bash -c \
    'grep -q "^timebox: " "$@" && grep -q "^capture: " "$@" && grep -q "^var: instance\$" "$@" && grep -q "^until: pools " "$@" && grep -q "^until: queues " "$@"' \
    _ "$RUNBOOKS"/*.md
check "the wiki page has no annotations" bash -c '! grep -q "^...opsdeck\$" "$1"' _ "$RUNBOOKS/plain-wiki-page.md"
# a CI without secrets: a notify env var not set here is a warning, not a broken runbook
env -u OPSDECK_SLACK_WEBHOOK OPSDECK_PD_ROUTING_KEY=k "$OPSDECK" lint "$RUNBOOKS/pool-server-down.md" >"$T/out" 2>"$T/err"
check "lint passes a runbook whose notify env var is not set here (exit 0)" test $? = 0
check "and warns about it, FILE:LINE: warning:" grep -qE "^$RUNBOOKS/pool-server-down.md:[0-9]+: warning: environment variable OPSDECK_SLACK_WEBHOOK \(url_env\) is not set\$" "$T/err"
check "the ok line counts the warnings" grep -qE "^$RUNBOOKS/pool-server-down.md: ok \([0-9]+ steps; [0-9]+ warnings?\)\$" "$T/out"
check "--strict makes warnings fail (exit 2)" bash -c \
    'env -u OPSDECK_SLACK_WEBHOOK OPSDECK_PD_ROUTING_KEY=k "$1" lint --strict "$2" >"$3/out" 2>&1; [ $? = 2 ] && grep -q "warning: environment variable OPSDECK_SLACK_WEBHOOK" "$3/out" && ! grep -q ": ok (" "$3/out"' \
    _ "$OPSDECK" "$RUNBOOKS/pool-server-down.md" "$T"
printf '# Both\n\n## Tell\n```opsdeck\ntype: notify\nservice: slack\nurl_env: OPSDECK_NOT_SET_HERE\nnext: nowhere\n```\n' >"$T/both.md"
check "an error still fails, with a warning beside it (exit 2)" test "$(status_of "$OPSDECK" lint "$T/both.md")" = 2
check "the error has no warning: label" grep -qx "$T/both.md:8: next goes to a missing step 'nowhere'" "$T/err"
check "the warning has one" grep -qx "$T/both.md:7: warning: environment variable OPSDECK_NOT_SET_HERE (url_env) is not set" "$T/err"

# the shipped drills: lint-clean with the sandbox hook set, FILE: ok (N injects, M checks)
DRILLS="$(cd "$(dirname "$0")/.." && pwd)/examples/drills"
check "two drills are shipped" test "$(ls "$DRILLS"/*.md | wc -l)" -eq 2
for f in "$DRILLS"/*.md; do
    check "lint accepts the drill $(basename "$f")" bash -c \
        'OPSDECK_DRILL_WEBHOOK=http://127.0.0.1:9/hook "$1" lint "$2" >"$3/out" 2>&1 || { cat "$3/out" >&2; exit 1; }' \
        _ "$OPSDECK" "$f" "$T"
    check "and counts its injects and checks" grep -qE "^$f: ok \([0-9]+ injects, [0-9]+ checks\)\$" "$T/out"
done
OPSDECK_DRILL_WEBHOOK=x "$OPSDECK" lint "$DRILLS/bcp-office-lost.md" >"$T/out.bcp" 2>&1
check "the tabletop drill: 7 injects, six roles, a contingency, a debrief, action items" bash -c \
    'grep -q "ok (7 injects, 0 checks)" "$2" && [ "$(grep -c "^role: " "$1")" = 6 ] && grep -q "^at: contingency" "$1" && grep -q "^## Debrief" "$1" && grep -q "^- Action items" "$1"' \
    _ "$DRILLS/bcp-office-lost.md" "$T/out.bcp"
check "the game day: chaos with rollbacks, before, during and after checks" bash -c \
    'grep -q "^chaos: pools drain be_web/web2" "$1" && grep -q "^rollback: pools ready be_web/web2" "$1" && grep -q "^chaos: queues stop " "$1" && grep -q "^rollback: queues start " "$1" && for w in before during after; do grep -q "^check: $w" "$1" || exit 1; done' \
    _ "$DRILLS/gameday-web-pool.md"
check "lint passes a drill whose sandbox hook env var is not set here, with a warning" bash -c \
    'env -u OPSDECK_DRILL_WEBHOOK "$1" lint "$2" >"$3/out" 2>&1 && grep -qE "^$2:[0-9]+: warning: environment variable OPSDECK_DRILL_WEBHOOK" "$3/out" && grep -qE "^$2: ok \(.*; 1 warning\)\$" "$3/out"' \
    _ "$OPSDECK" "$DRILLS/gameday-web-pool.md" "$T"
check "and --strict fails it (exit 2)" bash -c \
    'env -u OPSDECK_DRILL_WEBHOOK "$1" lint --strict "$2" >/dev/null 2>&1; [ $? = 2 ]' \
    _ "$OPSDECK" "$DRILLS/gameday-web-pool.md"
printf '```opsdeck\ndrill: live\nrole: gm = GM\nfacilitator: gm\n```\n## X\n```opsdeck\nat: T+1\nchaos: pools drain be_web/web2\n```\n' >"$T/bad-drill.md"
check "lint rejects a chaos without rollback (exit 2)" test "$(status_of "$OPSDECK" lint "$T/bad-drill.md")" = 2
check "and names file:line" grep -q "^$T/bad-drill.md:9: 1 chaos action but 0 rollbacks" "$T/err"

done_testing
