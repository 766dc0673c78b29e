#!/bin/bash
# Runbooks in line mode, end to end: --plain through a pipe, --dry-run, the exit
# codes, `opsdeck runs`, and resume after kill -9 and SIGHUP at several steps
# (stdin is a fifo so the test paces the operator). Command steps append to a
# marker file, so "no step ran twice unless chosen" is a line count.
set -u
OPSDECK=${OPSDECK:?}
T=$(mktemp -d /tmp/opsdeck-runbook.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
    [ -f "$T/child.pid" ] && kill -9 -- "-$(cat "$T/child.pid")" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"
. "$(dirname "$0")/tap.sh"
RUNS="$XDG_STATE_HOME/opsdeck/runs"
M="$T/marker"

cat >"$T/simple.json" <<'EOF'
{"title": "Simple", "vars": {"service": "checkout"}, "steps": [
 {"id": "ack", "title": "Acknowledge", "body": "Acknowledge the page."},
 {"id": "look", "title": "Look", "phase": "A", "type": "command", "run": "echo one; echo two >&2; echo ${service} ${who}", "capture": "seen"},
 {"id": "env", "title": "Which env", "type": "prompt", "var": "env", "choices": ["prod", "stage"], "default": "prod"},
 {"id": "dec", "title": "Roll back?", "type": "decision", "choices": [{"label": "yes", "goto": "roll"}, {"label": "no", "goto": "end"}]},
 {"id": "skipme", "title": "Not this one"},
 {"id": "roll", "title": "Roll back", "phase": "F", "type": "command", "run": "echo rolled ${env} ${seen}"}
]}
EOF

# --plain through a pipe, to the end
printf '\n\n\n1\n\n' | "$OPSDECK" run "$T/simple.json" --plain --var 'who=a b; rm -rf /' >"$T/p.out" 2>"$T/p.err"
check "--plain through a pipe: exit 0 when finished" test $? = 0
check "prints each step with phase and n/N" grep -q '^== \[A\] step 2/6: Look (look)' "$T/p.out"
check "prints the body" grep -q '^   Acknowledge the page.' "$T/p.out"
check "prints the exact command, shell-quoted" grep -qF "> sh: echo one; echo two >&2; echo 'checkout' 'a b; rm -rf /'" "$T/p.out"
check "streams output prefixed" grep -q '^  | one$' "$T/p.out"
check "stderr too" grep -q '^  | two$' "$T/p.out"
check "with no config it says first that it acts on the demo" \
    bash -c 'head -1 "$1" | grep -q "no config: this run acts on the built-in DEMO"' _ "$T/p.err"
printf '[backend "sim"]\ntype = demo\n' >"$T/demo.ini"
printf '\n\n\n1\n\n' | "$OPSDECK" run "$T/simple.json" --plain -c "$T/demo.ini" --var who=x >/dev/null 2>"$T/c.err"
check "with a config it does not" bash -c '! grep -q "no config" "$1"' _ "$T/c.err"
check "the injected label stayed a string" grep -q '^  | checkout a b; rm -rf /$' "$T/p.out"
check "the prompt default and the decision's goto" grep -q '^  | rolled prod one' "$T/p.out"
check "the skipped-over step was not shown" bash -c '! grep -q "Not this one" "$1"' _ "$T/p.out"
check "says finished" grep -q '^Run .* finished\.$' "$T/p.out"
id=$(sed -n 's/^Run \([^:]*\): .*/\1/p' "$T/p.out" | head -1)
check "run id looks right ($id)" bash -c '[[ $1 =~ ^[0-9]{8}T[0-9]{6}Z-simple-[0-9a-f]{4}$ ]]' _ "$id"
check "the journal ends with run.end finished" bash -c 'tail -1 "$1" | grep -q "\"action\":\"run.end\".*\"finished\""' _ "$RUNS/$id.jsonl"
"$OPSDECK" runs >"$T/runs.out"
check "opsdeck runs lists it as finished" grep -q "^$id  finished" "$T/runs.out"

# a Markdown wiki page runs as is; a code block runs on `x N`; an annotation automates a step
cat >"$T/disk-full.md" <<'EOF'
# Disk full

Paged for a full disk? Start here.

## Stay calm
### Acknowledge
Acknowledge the page.

## Assess
### Check the disk
Look at it:

    echo disk-ok

### Count the files
```opsdeck
type: command
run: echo counted ${host}
```
EOF
printf '\nx 1\n\n\n' | "$OPSDECK" run "$T/disk-full.md" --plain --var host=db1 >"$T/md.out" 2>&1
check "Markdown: finished" test $? = 0
check "Markdown: the title and intro" grep -q '^   Paged for a full disk? Start here.' "$T/md.out"
check "Markdown: sections give the phases" grep -q '^== \[A\] step 2/3: Check the disk' "$T/md.out"
check "Markdown: x 1 ran the code block" grep -q '^  | disk-ok$' "$T/md.out"
check "Markdown: the annotated step ran" grep -q '^  | counted db1$' "$T/md.out"

# a time box: the prompt says the step ran over; e escalates to the Escalate step
cat >"$T/tb.json" <<'EOF'
{"title": "Time box", "steps": [
 {"id": "slow", "title": "Slow step", "timebox": "1s"},
 {"id": "fix", "title": "Fix", "phase": "F"},
 {"id": "page", "title": "Page the owner", "phase": "E"}
]}
EOF
(sleep 1.6; printf 'e\n\n') | "$OPSDECK" run "$T/tb.json" --plain >"$T/tb.out" 2>&1
check "time box: finished after escalating" test $? = 0
check "time box: says the step ran over" grep -q "over its time box (1s): e = escalate now" "$T/tb.out"
check "time box: e jumped to the Escalate step" grep -q '^== \[E\] step 3/3: Page the owner' "$T/tb.out"
check "time box: the Focus step was passed over" bash -c '! grep -q "step 2/3: Fix" "$1"' _ "$T/tb.out"

# --dry-run: every automated step, variables substituted, unset ones reported; nothing written
before=$(ls "$RUNS" | wc -l)
"$OPSDECK" run "$T/simple.json" --dry-run --var who=me >"$T/d.out" 2>&1
check "--dry-run exits 0" test $? = 0
check "--dry-run shows the command with variables" grep -qF "> sh: echo one; echo two >&2; echo 'checkout' 'me'" "$T/d.out"
check "--dry-run walks every step in file order" grep -q 'step 5/6: Not this one' "$T/d.out"
check "--dry-run reports an unset variable" grep -q '! unset variable' "$T/d.out"
check "--dry-run runs nothing" bash -c '! grep -q "^  | " "$1"' _ "$T/d.out"
check "--dry-run writes no run" test "$(ls "$RUNS" | wc -l)" = "$before"

# exit codes
printf '\n' | "$OPSDECK" run "$T/simple.json" --plain --var who=x >"$T/e.out" 2>&1
check "end of input: exit 3, run open" test $? = 3
check "and says how to resume" grep -q 'opsdeck run --resume .* --plain' "$T/e.out"
printf 'a\n' | "$OPSDECK" run "$T/simple.json" --plain --var who=x >"$T/a.out" 2>&1
check "abort: exit 4" test $? = 4
"$OPSDECK" run "$T/nosuch.json" --plain >/dev/null 2>&1
check "a missing runbook: exit 2" test $? = 2
printf '{"title": "Bad", "steps": [{"title": "One", "type": "telepathy"}]}\n' >"$T/bad.json"
"$OPSDECK" run "$T/bad.json" --plain </dev/null >/dev/null 2>"$T/l.err"
check "a runbook that does not parse clean: exit 2" test $? = 2
check "naming file:line" grep -q "bad.json:1: .*telepathy" "$T/l.err"
printf '\n\n' | "$OPSDECK" run "$T/simple.json" --plain >"$T/w.out" 2>"$T/w.err"
check "lint findings are warnings: the run starts (exit 3 at end of input)" test $? = 3
check "the warning names file:line" grep -q "simple.json:3: warning: variable 'who'" "$T/w.err"
check "the step with the unset variable fails when it runs" grep -q -- "-> unset variable who" "$T/w.out"
"$OPSDECK" run --resume nosuch --plain >/dev/null 2>"$T/r.err"
check "resume of an unknown run: exit 1" test $? = 1
"$OPSDECK" run >/dev/null 2>&1
check "run without FILE: exit 2" test $? = 2
"$OPSDECK" run --resume x --var a=b >/dev/null 2>&1
check "--resume with --var: exit 2" test $? = 2
"$OPSDECK" --help >"$T/help.out"
check "--help documents the exit codes of run" grep -q "^run exit status: 0 finished" "$T/help.out"

# ---- resume ----
cat >"$T/res.json" <<EOF
{"title": "Resumable", "steps": [
 {"id": "s1", "title": "Start"},
 {"id": "c1", "title": "First command", "type": "command", "run": "echo c1 >> '$M'; echo first", "capture": "first"},
 {"id": "p1", "title": "Colour", "type": "prompt", "var": "color"},
 {"id": "c2", "title": "Second command", "type": "command", "run": "echo c2 \${color} >> '$M'"},
 {"id": "m2", "title": "Manual"},
 {"id": "c3", "title": "Long command", "type": "command", "run": "echo \$\$ > '$T/child.pid'; echo c3 >> '$M'; [ -f '$T/go' ] || sleep 30"},
 {"id": "c4", "title": "Echo vars", "type": "command", "run": "echo c4 >> '$M'; echo vars \${color} \${first}"},
 {"id": "fin", "title": "End"}
]}
EOF
count() { grep -c "^$1\( \|$\)" "$M" 2>/dev/null || echo 0; }
journal_has() { grep -q "\"step\":\"$2\",\"action\":\"$3\"" "$RUNS/$1.jsonl"; }

# start_paced NAME [FILE]: opsdeck on a fifo; lines are sent with `send`
start_paced() {
    rm -f "$T/in"
    mkfifo "$T/in"
    exec 3<>"$T/in"
    "$OPSDECK" run "${2:-$T/res.json}" --plain <"$T/in" >"$T/$1.out" 2>&1 &
    PID=$!
    PIDS+=("$PID")
    wait_until 5 grep -q '^Run ' "$T/$1.out"
    RID=$(sed -n 's/^Run \([^:]*\): .*/\1/p' "$T/$1.out" | head -1)
}
send() { printf '%s\n' "$@" >&3; }
stop_paced() {
    wait "$PID" 2>/dev/null
    STATUS=$?
    exec 3>&-
}

# A: kill -9 at the manual step after two commands and a prompt
rm -f "$M" "$T/go"
start_paced a
send "" "" "blue" ""
wait_until 5 journal_has "$RID" m2 step.enter
kill -9 "$PID"
stop_paced
check "A: killed with kill -9" test "$STATUS" = 137
touch "$T/go"
printf '\n\n\n\n' | "$OPSDECK" run --resume "$RID" --plain >"$T/a2.out" 2>&1
check "A: resume finishes (exit 0)" test $? = 0
check "A: resumes at the same step" grep -q "^Resuming run $RID .* at step 5/8: Manual" "$T/a2.out"
check "A: variables kept (prompt and capture)" grep -q '^  | vars blue first$' "$T/a2.out"
check "A: c1 ran once" test "$(count c1)" = 1
check "A: c2 ran once" test "$(count c2)" = 1
check "A: c3 ran once" test "$(count c3)" = 1

# B: SIGHUP at the prompt
rm -f "$M" "$T/go"
start_paced b
send "" ""
wait_until 5 journal_has "$RID" p1 step.enter
sleep 0.2
kill -HUP "$PID"
stop_paced
check "B: SIGHUP exits 129" test "$STATUS" = 129
check "B: the run is still open" bash -c '"$1" runs | grep -q "^$2  open"' _ "$OPSDECK" "$RID"
touch "$T/go"
printf 'green\n\n\n\n\n\n' | "$OPSDECK" run --resume "$RID" --plain >"$T/b2.out" 2>&1
check "B: resume finishes" test $? = 0
check "B: at the prompt" grep -q "at step 3/8: Colour" "$T/b2.out"
check "B: the answer after resume is used" grep -q '^  | vars green first$' "$T/b2.out"
check "B: c1 ran once" test "$(count c1)" = 1
check "B: c2 ran once, with the new answer" test "$(grep -c '^c2 green$' "$M")" = 1

# C: kill -9 with a command in flight; continue does not run it again
rm -f "$M" "$T/go" "$T/child.pid"
start_paced c
send "" "" "red" "" "" ""
wait_until 5 grep -q '^c3$' "$M"
kill -9 "$PID"
stop_paced
kill -9 -- "-$(cat "$T/child.pid")" 2>/dev/null # kill -9 leaves the command's group behind
touch "$T/go"
printf '\n' | "$OPSDECK" run --resume "$RID" --plain >"$T/c2.out" 2>&1
check "C: resume with end of input leaves it open (exit 3)" test $? = 3
check "C: the command comes back interrupted" grep -q "in flight when the session ended" "$T/c2.out"
check "C: offers continue / re-run / jump" grep -q "c = continue past it, r = re-run it, j ID = jump" "$T/c2.out"
check "C: Enter alone does not re-run it" test "$(count c3)" = 1
printf 'r\n\n' | "$OPSDECK" run --resume "$RID" --plain >"$T/c2r.out" 2>&1
check "C: r asks first, saying it may have run partly" grep -q 'Re-run "Long command"? .*may have run partly' "$T/c2r.out"
check "C: the question's default is cancel" grep -q "cancelled: the step did not run" "$T/c2r.out"
check "C: r then Enter did not re-run it" test "$(count c3)" = 1
printf 'c\n\n\n' | "$OPSDECK" run --resume "$RID" --plain >"$T/c3.out" 2>&1
check "C: continue finishes the run" test $? = 0
check "C: continue did not run it again" test "$(count c3)" = 1
check "C: and went on with the variables" grep -q '^  | vars red first$' "$T/c3.out"

# D: SIGHUP with a command in flight stops the child; re-run runs it again
rm -f "$M" "$T/go" "$T/child.pid"
start_paced d
send "" "" "gold" "" "" ""
wait_until 5 grep -q '^c3$' "$M"
child=$(cat "$T/child.pid")
kill -HUP "$PID"
stop_paced
check "D: SIGHUP exits 129" test "$STATUS" = 129
# only zombies (nobody reaps orphans in some containers) may be left of its group
alive() { ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /Z/' | grep -q .; }
check "D: the command's process group is gone" wait_until 3 bash -c "$(declare -f alive); ! alive $child"
touch "$T/go"
printf 'r\ny\n\n\n' | "$OPSDECK" run --resume "$RID" --plain >"$T/d2.out" 2>&1
check "D: re-run (r, then y to the question) finishes" test $? = 0
check "D: re-run ran the command again" test "$(count c3)" = 2
check "D: the others ran once" test "$(count c1)$(count c2)$(count c4)" = 111

# F: kill -9 during a command: its process group lives on; resume sees it, stops it or waits
cat >"$T/orph.json" <<EOF
{"title": "Orphan", "steps": [
 {"id": "s1", "title": "Start"},
 {"id": "dep", "title": "Deploy", "type": "command", "run": "echo \$\$ > '$T/orph.pid'; sleep 3; echo fin >> '$M'"},
 {"id": "ask", "title": "Ask", "type": "prompt", "var": "x"},
 {"id": "last", "title": "End"}
]}
EOF
orphan_run() {
    rm -f "$M" "$T/orph.pid"
    start_paced "$1" "$T/orph.json"
    send "" ""
    wait_until 5 test -s "$T/orph.pid"
    kill -9 "$PID"
    stop_paced
    OPGID=$(cat "$T/orph.pid")
}
orphan_run f
check "F: the command's group outlived opsdeck" alive "$OPGID"
printf 'r\nk\nc\nv\n\n' | "$OPSDECK" run --resume "$RID" --plain >"$T/f2.out" 2>&1
check "F: resume after stopping it finishes" test $? = 0
check "F: resume sees the live group" grep -q "process group $OPGID) are still running: w = wait" "$T/f2.out"
check "F: re-run is refused while it runs" grep -q "! the interrupted command is still running (process group $OPGID)" "$T/f2.out"
check "F: k stopped it" grep -q -- "-> stopped: process group $OPGID of the interrupted command is gone" "$T/f2.out"
check "F: the group is gone" bash -c "$(declare -f alive); ! alive $OPGID"
check "F: the stop is journaled, SIGTERM before the end" bash -c \
    'grep -o "\"action\":\"orphan[.a-z]*\"" "$1" | tr -d "\n" | grep -q "orphan.found.*orphan.signal.*orphan.end"' _ "$RUNS/$RID.jsonl"
sleep 3.5
check "F: stopped: the marker was never written" test "$(count fin)" = 0

orphan_run g
printf 'w\nc\nv\n\n' | "$OPSDECK" run --resume "$RID" --plain >"$T/g2.out" 2>&1
check "G: resume after waiting finishes" test $? = 0
check "G: waited for it" grep -q -- "-> waiting for process group $OPGID" "$T/g2.out"
check "G: it ended by itself" grep -q -- "-> process group $OPGID of the interrupted command has ended" "$T/g2.out"
check "G: and finished its side effect, once" test "$(count fin)" = 1
check "G: orphan.end ended is journaled" grep -q '"action":"orphan.end".*"how":"ended"' "$RUNS/$RID.jsonl"

# H: continued past it while it runs: a prompt's answer "k" is an answer; k at the next step stops it
orphan_run h
printf 'c\nk\nk\n\n' | "$OPSDECK" run --resume "$RID" --plain >"$T/h2.out" 2>&1
check "H: the run finishes" test $? = 0
check "H: the keys are still offered after continuing" grep -q "w / k = wait for / stop the interrupted command" "$T/h2.out"
check "H: k typed as a prompt's answer is the answer" grep -q '"action":"input".*"value":"k"' "$RUNS/$RID.jsonl"
check "H: k at the next step stopped it" grep -q -- "-> stopped: process group $OPGID" "$T/h2.out"
sleep 3.5
check "H: the marker was never written" test "$(count fin)" = 0

# SIGINT stops the running command, not opsdeck
rm -f "$M" "$T/go" "$T/child.pid"
start_paced e
send "" "" "navy" "" "" ""
wait_until 5 grep -q '^c3$' "$M"
kill -INT "$PID"
wait_until 5 grep -q -- '-> stopped' "$T/e.out"
check "SIGINT: the command stopped" grep -q -- '-> stopped' "$T/e.out"
check "SIGINT: opsdeck is still running" kill -0 "$PID"
send "q"
stop_paced
check "q: exit 3 with the run open" test "$STATUS" = 3

# a full disk (here a 32 KiB file size limit) while a command prints: the output saved is cut,
# and the step and the report say so; opsdeck itself is not killed by SIGXFSZ
printf '{"title": "Cut", "steps": [{"id": "big", "title": "Big", "type": "command", "run": "seq 1 30000"}]}\n' >"$T/cut.json"
(ulimit -f 32 && printf '\n' | "$OPSDECK" run "$T/cut.json" --plain) 2>&1 | tail -n 5 >"$T/cut.out"
check "cut output: the run still finishes" grep -q '^Run .* finished\.$' "$T/cut.out"
check "the step says output was cut" grep -q -- "-> exit 0 in .*; output cut: [0-9]* bytes not saved (File too large)" "$T/cut.out"
cut_id=$(ls -t "$RUNS" | grep -- '-cut-.*\.jsonl$' | head -1 | sed 's/\.jsonl$//')
check "so does the report" bash -c '"$1" report "$2" | grep -q "output cut: [0-9]* bytes not saved"' _ "$OPSDECK" "$cut_id"

# step text shows values in line mode too: a secret answer as [secret], an unset variable as itself
cat >"$T/text.json" <<'EOF'
{"title": "Text", "vars": {"v": "hello"}, "steps": [
 {"id": "pw", "title": "Password", "type": "prompt", "var": "pw", "secret": true, "ask": "Password for ${v}?"},
 {"id": "tell", "title": "Tell", "body": "Deploying ${v} for ${who}; token ${pw}."},
 {"id": "say", "title": "Say", "type": "prompt", "var": "said", "ask": "Say ${v} now"}
]}
EOF
printf 'pw-s3cret\n\nok\n' | "$OPSDECK" run "$T/text.json" --plain >"$T/text.out" 2>&1
check "step text: the run finishes" test $? = 0
check "a body shows values, a secret as [secret], an unset one as itself" \
    grep -qxF '   Deploying hello for ${who}; token [secret].' "$T/text.out"
check "a question shows the value" grep -qF '> ask: Say hello now -> ${said}' "$T/text.out"
check "the secret is not in the output" bash -c '! grep -q "pw-s3cret" "$1"' _ "$T/text.out"

# a secret answer read from a pipe is not echoed back, nor journaled
cat >"$T/secret.json" <<'EOF'
{"title": "Secret", "steps": [
 {"id": "pw", "title": "Password", "type": "prompt", "var": "pw", "secret": true},
 {"id": "use", "title": "Use it", "type": "command", "run": "test ${pw} = \"$WANT\" && echo matched"}
]}
EOF
printf 'hunter2\n\n' | WANT=hunter2 "$OPSDECK" run "$T/secret.json" --plain >"$T/s.out" 2>&1
check "a secret prompt through a pipe: the run finishes" test $? = 0
check "the secret reached the command" grep -q '^  | matched$' "$T/s.out"
check "the secret is not echoed" bash -c '! grep -q hunter2 "$1"' _ "$T/s.out"
check "nor journaled" bash -c '! grep -rq hunter2 "$1"' _ "$RUNS"

# ---- no value becomes shell code (line mode) ----
cat >"$T/inject.md" <<'EOF'
# Inject

## Every context
```opsdeck
type: command
run: printf '<%s>' ${v} "q=${v}" x${v}y "$(printf '%s' "${v}")"; echo; echo done-contexts
```

## Quoted by the author
```opsdeck
type: command
run: printf '[%s]\n' 'q=${v}'
```
EOF
inject_ok=0
inject_runs=0
for payload in "\$(touch $T/pwned)" "\`touch $T/pwned\`" "'; touch $T/pwned; '" \
    "\"; touch $T/pwned; \"" "a\$((1+1))b" "x
touch $T/pwned" "\\\$(touch $T/pwned)\\"; do
    inject_runs=$((inject_runs + 1))
    printf '\n\n' | "$OPSDECK" run "$T/inject.md" --plain --var "v=$payload" >"$T/inj.out" 2>&1
    want=$(printf '<%s>' "$payload" "q=$payload" "x${payload}y" "$payload")
    # the output is prefixed line by line: compare it without the prefixes
    got=$(sed -n '/^  | /s/^  | //p' "$T/inj.out" | sed '/^done-contexts$/,$d')
    if [ "$got" = "$want" ] && ! ls "$T" | grep -q pwned; then
        inject_ok=$((inject_ok + 1))
    else
        echo "# payload $inject_runs: got '$got' want '$want'"
    fi
done
check "line mode: $inject_runs payloads in every allowed context reach the command unchanged, none runs" \
    test "$inject_ok" = "$inject_runs"
check "line mode: the author's single quotes refuse the step, saying why" \
    grep -q -- "-> \${v} inside single quotes" "$T/inj.out"
check "line mode: nothing ran there either" bash -c '! ls "$1" | grep -q pwned' _ "$T"
"$OPSDECK" lint "$T/inject.md" >"$T/lint.out" 2>&1
check "lint: exit 2 for a value where it could be code" test $? = 2
check "lint: the single-quoted value is named at its line" \
    bash -c 'grep -q "inject.md:12: run: \${v} inside single quotes" "$1"' _ "$T/lint.out"

# a condition takes a value as one word: the value cannot add an operator
cat >"$T/cond.md" <<'EOF'
# Cond

## Wait for maint
```opsdeck
type: wait
until: pools be_web/${server} status == MAINTX
interval: 1s
timeout: 3s
```
EOF
printf '\n\n' | "$OPSDECK" run "$T/cond.md" --plain --var 'server=web1 status != zzz' >"$T/cond.out" 2>&1
check "until: a value holding an operator stays in the row name" \
    grep -q "no row be_web/web1 status != zzz in pools" "$T/cond.out"
check "until: it is never met" bash -c '! grep -q "met after" "$1"' _ "$T/cond.out"

# a secret value is in the child's environment, not in its argv (ps)
cat >"$T/ps.json" <<'EOF'
{"title": "Ps", "steps": [
 {"id": "pw", "title": "Password", "type": "prompt", "var": "pw", "secret": true},
 {"id": "use", "title": "Use it", "type": "command", "run": "sleep 3; test ${pw} = \"$WANT\" && echo matched"}
]}
EOF
(printf 'Hunter2Secret\n\n'; sleep 5) | WANT=Hunter2Secret "$OPSDECK" run "$T/ps.json" --plain >"$T/ps.out" 2>&1 &
PSPID=$!
sleep 1.5
ps -eo args >"$T/ps.list"
wait "$PSPID"
check "the command with a secret is running" grep -q "sleep 3; test" "$T/ps.list"
check "ps shows no secret value" bash -c '! grep -q Hunter2Secret "$1"' _ "$T/ps.list"
check "the command got it" grep -q '^  | matched$' "$T/ps.out"

# a value too long for the kernel to pass: said, not a bare "exit 127"
cat >"$T/big.md" <<'EOF'
# Big

## Make a big value
```opsdeck
type: command
run: head -c 1048576 /dev/zero | tr '\0' x
capture: big
```

## Use it
```opsdeck
type: command
run: printf %s ${big} | wc -c
```
EOF
printf '\n\n\n' | "$OPSDECK" run "$T/big.md" --plain >"$T/big.out" 2>&1
check "a 1 MiB value: the step says why it cannot run" \
    grep -q -- "-> variable big is 1048576 bytes: the kernel passes at most" "$T/big.out"

done_testing
