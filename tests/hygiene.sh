#!/bin/bash
# Only text reaches the terminal (common/text.h), end to end: hostile bytes in a
# Markdown runbook, a JSON runbook, command output (an OSC 52 clipboard write, a
# C1 CSI, U+202E, one of them split across two reads), a --var, a typed note,
# an exec plugin's rows, error and action output, a drill, and what each of
# them leaves in the journal. Every line mode, `runs`, `report`, `lint`,
# `snapshot` (text and JSON) and `act` must print them visibly (^[, <U+009B>,
# <U+202E>) and never as the raw bytes, whatever the locale.
set -u
OPSDECK=${OPSDECK:?}
T=$(mktemp -d /tmp/opsdeck-hygiene.XXXXXX)
trap 'rm -rf "$T"' EXIT
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config" LC_ALL=C.UTF-8
. "$(dirname "$0")/tap.sh"

# raw FILE: FILE holds a control byte other than \n and \t, DEL, a C1 control
# (as UTF-8), a bidi control or an invisible character: what the filter removes
raw() {
    LC_ALL=C grep -qaP '[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xd8\x9c|\xe1\xa0\x8e|\xe2\x80[\x8b-\x8f\xa8-\xae]|\xe2\x81[\xa0-\xaf]|\xef\xbb\xbf' "$1"
}
clean() { ! raw "$1"; }
shows() { grep -qF -- "$2" "$1"; }

OSC='^[]52;c;ZWNobyBoaQ==^G' # an OSC 52 clipboard write, as it must be shown
C1=$(printf '\302\233')      # U+009B, CSI as a C1 control
RLO=$(printf '\342\200\256') # U+202E RIGHT-TO-LEFT OVERRIDE
LRI=$(printf '\342\201\246') # U+2066 LEFT-TO-RIGHT ISOLATE
ZWSP=$(printf '\342\200\213') # U+200B ZERO WIDTH SPACE

# the self-check: the bytes this test feeds are what raw() finds
printf 'x\033]52;c;QQ==\007' >"$T/probe1"
printf 'x%s31m %s %s %s\n' "$C1" "$RLO" "$LRI" "$ZWSP" >"$T/probe2"
check "self-check: raw() finds ESC and BEL" raw "$T/probe1"
check "self-check: raw() finds C1, RLO, LRI, ZWSP (no C0 among them)" bash -c \
    "$(declare -f raw); raw \"\$1\" && ! LC_ALL=C grep -qaP '[\\x00-\\x08\\x0b-\\x1f]' \"\$1\"" _ "$T/probe2"

# ---- a Markdown runbook: hostile text, command output, a variable, a note ----
# (raw C0 bytes in a Markdown file are refused by the reader; C1 and bidi are valid UTF-8)
cat >"$T/hostile.md" <<EOF
# Restart ${RLO}tseuqer${C1}31m

Intro with a zero-width${ZWSP}space.

## Stay calm
### Look ${RLO}at it${LRI}
Body with a C1 ${C1}2J control.

## Focus
### Run it
\`\`\`opsdeck
type: command
run: printf 'out \\033]52;c;ZWNobyBoaQ==\\007 \\302\\233 \\342\\200\\256 end\\n'; printf 'split \\342\\200'; sleep 0.5; printf '\\256 done\\n'; echo var \${who}
\`\`\`
EOF
printf 'n \033]52;c;ZWNobyBoaQ==\007 typed\n\n\n' |
    "$OPSDECK" run "$T/hostile.md" --plain --var "who=x$(printf '\033')[2Jy" >"$T/md.out" 2>"$T/md.err"
check "run --plain: the hostile runbook finishes (exit 0)" test $? = 0
check "run --plain: no raw control, C1 or bidi byte on stdout" clean "$T/md.out"
check "run --plain: none on stderr" clean "$T/md.err"
check "run --plain: the title's RLO and C1 shown" shows "$T/md.out" "Restart <U+202E>tseuqer<U+009B>31m"
check "run --plain: the intro's zero-width space shown" shows "$T/md.out" "zero-width<U+200B>space"
check "run --plain: the step title's bidi controls shown" shows "$T/md.out" "Look <U+202E>at it<U+2066>"
check "run --plain: the body's C1 shown" shows "$T/md.out" "Body with a C1 <U+009B>2J control."
check "run --plain: command output: OSC 52, C1 and RLO shown" \
    shows "$T/md.out" "  | out $OSC <U+009B> <U+202E> end"
check "run --plain: U+202E split across two reads shown whole" shows "$T/md.out" "  | split <U+202E> done"
check "run --plain: a variable's ESC shown where the command printed it" shows "$T/md.out" "  | var x^[[2Jy"
check "run --plain: the typed note echoed visibly" shows "$T/md.out" "n $OSC typed"
id=$(sed -n 's/^Run \([^:]*\): .*/\1/p' "$T/md.out" | head -1)
check "run --plain: a run id ($id)" test -n "$id"

"$OPSDECK" runs >"$T/runs.out" 2>&1
check "runs: clean" clean "$T/runs.out"
check "runs: the hostile title shown on its line" \
    grep -q "^$id  finished  Restart <U+202E>tseuqer<U+009B>31m  (" "$T/runs.out"

"$OPSDECK" report "$id" >"$T/report.md" 2>&1
check "report: exit 0" test $? = 0
check "report: clean" clean "$T/report.md"
check "report: the title shown" shows "$T/report.md" "# Incident report: Restart <U+202E>tseuqer<U+009B>31m"
check "report: the command output block shows OSC 52" shows "$T/report.md" "      out $OSC <U+009B> <U+202E> end"
check "report: the note shows it too" shows "$T/report.md" "note: $OSC typed"
check "report: the step title's bidi controls shown" shows "$T/report.md" "Look <U+202E>at it<U+2066>"
LC_ALL=C "$OPSDECK" report "$id" >"$T/report-c.md" 2>&1
check "report under LC_ALL=C: the same bytes (the filter decodes UTF-8 itself)" \
    cmp -s "$T/report.md" "$T/report-c.md"
LC_ALL=C "$OPSDECK" runs >"$T/runs-c.out" 2>&1
check "runs under LC_ALL=C: the same bytes" cmp -s "$T/runs.out" "$T/runs-c.out"

# ---- a JSON runbook: \u001b is refused as a raw ESC is; C1 and bidi escapes are shown ----
cat >"$T/esc.json" <<'EOF'
{"title": "JSON title",
 "steps": [
  {"id": "a", "title": "Step \u001b[2J\u009b", "body": "body \u001b]52;c;ZWNobyBoaQ==\u0007"}
]}
EOF
"$OPSDECK" lint "$T/esc.json" >"$T/lint.out" 2>"$T/lint.err"
check "lint JSON: exit 2 for an escaped ESC" test $? = 2
check "lint JSON: the message names the line and the escape" \
    grep -qxF "$T/esc.json:3: not a runbook: a control character (\\u001b) in a string" "$T/lint.err"
check "lint JSON: clean" bash -c "$(declare -f raw); ! raw \"\$1\" && ! raw \"\$2\"" _ "$T/lint.out" "$T/lint.err"
printf '\n' | "$OPSDECK" run "$T/esc.json" --plain >"$T/json.out" 2>&1
check "run --plain JSON: refused (exit 2)" test $? = 2
check "run --plain JSON: clean" clean "$T/json.out"
cat >"$T/c1.json" <<'EOF'
{"title": "JSON \u009b]0;owned title",
 "steps": [
  {"id": "a", "title": "Step \u009b2J \u2066", "body": "body \u009b31m\nline2 \u202e",
   "next": "nowhere\u009b31m"}
]}
EOF
"$OPSDECK" lint "$T/c1.json" >"$T/lint.out" 2>"$T/lint.err"
check "lint JSON: exit 2 for the missing step" test $? = 2
check "lint JSON: the message quotes the id visibly" \
    grep -qxF "$T/c1.json:4: next goes to a missing step 'nowhere<U+009B>31m'" "$T/lint.err"
check "lint JSON: clean too" bash -c "$(declare -f raw); ! raw \"\$1\" && ! raw \"\$2\"" _ "$T/lint.out" "$T/lint.err"
sed 's/"nowhere\\u009b31m"/"end"/' "$T/c1.json" >"$T/c1-ok.json"
"$OPSDECK" run "$T/c1-ok.json" --dry-run >"$T/dry.out" 2>&1
check "dry run JSON: exit 0" test $? = 0
check "dry run JSON: clean" clean "$T/dry.out"
check "dry run JSON: the title's C1 shown" shows "$T/dry.out" "JSON <U+009B>]0;owned title"
check "dry run JSON: the step title shown" shows "$T/dry.out" "step 1/1: Step <U+009B>2J <U+2066> (a)"
check "dry run JSON: the body's lines, C1 and RLO shown" bash -c \
    'grep -qxF "   body <U+009B>31m" "$1" && grep -qxF "   line2 <U+202E>" "$1"' _ "$T/dry.out"
printf '\n' | "$OPSDECK" run "$T/c1-ok.json" --plain >"$T/json.out" 2>&1
check "run --plain JSON: clean" clean "$T/json.out"
check "run --plain JSON: the title shown" shows "$T/json.out" "JSON <U+009B>]0;owned title"

# ---- an exec plugin: rows, an error, an action's stdout and stderr ----
cat >"$T/rows.sh" <<'EOF'
#!/bin/sh
printf '{"rows":[{"key":"q1","cells":{"QUEUE":"q\\u001b]52;c;ZWNobyBoaQ==\\u0007 \\u009b \\u202e","MSGS":7},'
printf '"detail":{"why":"d\\u001b[2J \\u2066"}}]}\n'
EOF
cat >"$T/act.sh" <<'EOF'
#!/bin/sh
printf 'purged \033]52;c;ZWNobyBoaQ==\007 \302\233 \342\200\256\n'
EOF
cat >"$T/fail.sh" <<'EOF'
#!/bin/sh
printf 'no \033]52;c;ZWNobyBoaQ==\007 \302\233 way\n' >&2
exit 3
EOF
cat >"$T/down.sh" <<'EOF'
#!/bin/sh
printf '{"error": "down \\u001b]52;c;ZWNobyBoaQ==\\u0007 \\u202e"}\n'
EOF
chmod +x "$T"/*.sh
cat >"$T/plug.ini" <<EOF
[backend "evil"]
type = exec
pane = queues
command = $T/rows.sh
action.purge = P | Purge | none | $T/act.sh
action.fail = F | Fail | none | $T/fail.sh
EOF
cat >"$T/down.ini" <<EOF
[backend "down"]
type = exec
pane = queues
command = $T/down.sh
EOF
"$OPSDECK" snapshot -c "$T/plug.ini" >"$T/snap.out" 2>&1
check "snapshot: exit 0" test $? = 0
check "snapshot: clean" clean "$T/snap.out"
check "snapshot: the cell shows OSC 52, C1 and RLO" shows "$T/snap.out" "q$OSC <U+009B> <U+202E>"
"$OPSDECK" snapshot --json -c "$T/plug.ini" >"$T/snap.json" 2>&1
check "snapshot --json: clean (C1 and bidi as JSON escapes)" clean "$T/snap.json"
check "snapshot --json: valid JSON that keeps the exact data" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
row = d["panes"]["queues"][0]
assert row["cells"]["QUEUE"] == "q\x1b]52;c;ZWNobyBoaQ==\x07 \x9b \u202e", row
assert row["detail"]["why"] == "d\x1b[2J \u2066", row
' "$T/snap.json"
"$OPSDECK" snapshot -c "$T/down.ini" >"$T/down.out" 2>&1
check "snapshot of a failing plugin: exit 1" test $? = 1
check "snapshot of a failing plugin: clean" clean "$T/down.out"
check "snapshot of a failing plugin: its error shown" \
    grep -qF "backend down (exec): error: plugin error: down $OSC <U+202E>" "$T/down.out"
"$OPSDECK" act --yes -c "$T/plug.ini" evil queues purge q1 >"$T/act.out" 2>"$T/act.err"
check "act: exit 0" test $? = 0
check "act: clean stdout and stderr" bash -c "$(declare -f raw); ! raw \"\$1\" && ! raw \"\$2\"" _ "$T/act.out" "$T/act.err"
check "act: the action's stdout shown" grep -qxF "purged $OSC <U+009B> <U+202E>" "$T/act.out"
"$OPSDECK" act --yes -c "$T/plug.ini" evil queues fail q1 >"$T/fail.out" 2>"$T/fail.err"
check "act failing: exit 1" test $? = 1
check "act failing: clean" bash -c "$(declare -f raw); ! raw \"\$1\" && ! raw \"\$2\"" _ "$T/fail.out" "$T/fail.err"
check "act failing: the action's stderr shown" shows "$T/fail.err" "no $OSC <U+009B> way"

# ---- a drill in line mode, and its report ----
cat >"$T/drill.md" <<EOF
# Office ${RLO}lost

\`\`\`opsdeck
drill: tabletop
duration: 45m
role: ic = Incident ${C1}commander
facilitator: ic
\`\`\`

## Evacuated ${LRI}now
\`\`\`opsdeck
at: T+00
to: ic
expect: 5m 10 Declared ${RLO}fast
\`\`\`
The office ${C1}2J is being evacuated.
EOF
printf 'start\nnote \033]52;c;ZWNobyBoaQ==\007 bridge\nend\n' |
    "$OPSDECK" drill "$T/drill.md" --plain >"$T/drill.out" 2>"$T/drill.err"
check "drill --plain: exit 0" test $? = 0
check "drill --plain: clean stdout and stderr" bash -c "$(declare -f raw); ! raw \"\$1\" && ! raw \"\$2\"" _ "$T/drill.out" "$T/drill.err"
check "drill --plain: the title shown" shows "$T/drill.out" "Office <U+202E>lost"
check "drill --plain: the role shown" shows "$T/drill.out" "Incident <U+009B>commander"
check "drill --plain: the inject, its text and expectation shown" bash -c \
    'grep -qF "INJECT 1: Evacuated <U+2066>now" "$1" && grep -qF "The office <U+009B>2J" "$1" &&
     grep -qF "Declared <U+202E>fast" "$1"' _ "$T/drill.out"
check "drill --plain: the typed note echoed visibly" shows "$T/drill.out" "note $OSC bridge"
did=$(sed -n 's/^Drill \([^:]*\): .*/\1/p' "$T/drill.out" | head -1)
"$OPSDECK" report "$did" >"$T/drill.md.out" 2>&1
check "drill report: clean" clean "$T/drill.md.out"
check "drill report: the note and the inject shown" bash -c \
    'grep -qF "$2 bridge" "$1" && grep -qF "Evacuated <U+2066>now" "$1"' _ "$T/drill.md.out" "$OSC"

done_testing
