#!/bin/bash
# Audit to syslog in the console ([audit] syslog = on): with no syslog daemon
# the action still runs and its result is shown first, then the status line
# says the syslog failure (once); a real rsyslogd started meanwhile gets the
# waiting lines with the next action, and the status line says it is back.
. "$(dirname "$0")/lib.sh"

RSYSLOGD=$(command -v rsyslogd || true)
check "rsyslogd is installed (scripts/deps --test)" test -n "$RSYSLOGD"
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"
SOCK="$E2E_DIR/log.sock"
OUT="$E2E_DIR/syslog.out"
mkdir -p "$E2E_DIR/rs"
cat >"$E2E_DIR/rsyslog.conf" <<EOF
global(workDirectory="$E2E_DIR/rs")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$SOCK" CreatePath="on")
template(name="plain" type="string" string="%syslogtag%|%msg%\n")
*.* action(type="omfile" file="$OUT" template="plain")
EOF
cat >"$E2E_DIR/ops.ini" <<EOF
[backend "demo"]
type = demo
[audit]
syslog = on
syslog_socket = $SOCK
EOF

e2e_start 160 48 LANG=C.UTF-8 -- -c "$E2E_DIR/ops.ini" --seed 7
keys 3 / w e b 2 Enter
wait_for "1 of 12 rows  filter: web2"
keys d
wait_for "[ Cancel ]  [ Drain ]"
keys Tab Enter
check "syslog down: the drain is done all the same" wait_line "be_web +web2 +DRAIN"
check "and its result said" wait_for "be_web/web2 set to DRAIN"
check "then the status line says the syslog failure" wait_for "audit to syslog failed: $SOCK"
check "the audit file has the drain and the audit.syslog line" bash -c '
    grep -q "\"action\":\"drain\".*\"result\":\"ok\"" "$1" &&
    grep -q "\"action\":\"audit.syslog\".*\"result\":\"failed: " "$1"' _ "$AUDIT"

"$RSYSLOGD" -n -f "$E2E_DIR/rsyslog.conf" -i "$E2E_DIR/rs.pid" >"$E2E_DIR/rsyslogd.log" 2>&1 &
PIDS+=($!)
poll_until 20 test -S "$SOCK"
keys r
wait_for "[ Ready ]"
keys Tab Enter
check "syslog up: ready brings web2 back UP" wait_line "be_web +web2 +UP"
check "the status line says syslog is back" wait_for "audit to syslog: back on $SOCK"
check "the drain, the failure and the ready reached rsyslog" poll_until 10 bash -c '
    grep -q "\"action\":\"drain\".*\"result\":\"ok\"" "$1" &&
    grep -q "\"action\":\"audit.syslog\".*\"result\":\"failed: " "$1" &&
    grep -q "\"action\":\"ready\".*\"result\":\"ok\"" "$1"' _ "$OUT"
check "tagged opsdeck (the default tag)" bash -c '! grep -v "^opsdeck\[[0-9]*\]:|" "$1"' _ "$OUT"
keys q
check "quits with 0" test "$(wait_exit)" = 0

done_testing
