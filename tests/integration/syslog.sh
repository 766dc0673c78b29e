#!/bin/bash
# Audit to syslog ([audit] syslog = on, engine/auditlog.h) against a real
# rsyslogd: started in the foreground on a config of our own (imuxsock on a
# socket in the scratch dir, omfile to a file there; no system config, no
# /dev/log touched). `opsdeck act` on the demo: each audit line arrives in
# rsyslog's file as the JSON line itself, with our tag, PID and facility,
# severity notice (warning for a failed action). rsyslogd stopped: the action
# still succeeds, the audit file has it, the failure is said once (stderr and
# an audit.syslog line). Then one long `opsdeck run --plain` (paced through a
# fifo) acts, rsyslogd is stopped and started again under it: the same process
# reconnects, sends what waited (in order, with the audit.syslog lines) and
# says it is back; every line of its audit file reached syslog.
#
# env: OPSDECK = the opsdeck binary. TAP output; exit status 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
RSYSLOGD=$(command -v rsyslogd || true)
if [ -z "$RSYSLOGD" ]; then
    # not a skip: a suite that quietly tests less is not green (scripts/deps --test installs it)
    echo "not ok 1 - rsyslogd is installed (scripts/deps --test)"
    echo "1..1"
    exit 1
fi

. "$(dirname "$0")/../tap.sh"
scratch syslog
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"
SOCK="$T/log.sock"
OUT="$T/syslog.out"
mkdir -p "$T/rs"
cat >"$T/rsyslog.conf" <<EOF
global(workDirectory="$T/rs")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="$SOCK" CreatePath="on")
template(name="plain" type="string"
         string="%syslogfacility-text%.%syslogseverity-text%|%syslogtag%|%procid%|%msg%\n")
*.* action(type="omfile" file="$OUT" template="plain")
EOF

RS_PID=
rs_start() {
    rm -f "$T/rs.pid"
    "$RSYSLOGD" -n -f "$T/rsyslog.conf" -i "$T/rs.pid" >>"$T/rsyslogd.log" 2>&1 &
    RS_PID=$!
    PIDS+=("$RS_PID")
    wait_until 20 test -S "$SOCK" || bail "rsyslogd did not make its socket"
}
rs_stop() {
    kill "$RS_PID"
    wait "$RS_PID" 2>/dev/null
    # rsyslogd removes its socket on a clean stop; a crash would leave it: both must work
    RS_PID=
}

cat >"$T/ops.ini" <<EOF
[backend "demo"]
type = demo

[audit]
syslog = on
syslog_facility = local4
syslog_socket = $SOCK
syslog_tag = opsdeck-it
EOF

# sl EXPR: evaluate EXPR over L (the parsed lines: fac, tag, pid, obj) and A (the audit file's objects)
sl() {
    python3 - "$OUT" "$AUDIT" "$1" <<'PY'
import json, sys
L = []
try:
    for line in open(sys.argv[1]):
        fac, tag, pid, msg = line.rstrip("\n").split("|", 3)
        L.append({"fac": fac, "tag": tag, "pid": pid, "obj": json.loads(msg.strip())})
except FileNotFoundError:
    pass
A = [json.loads(l) for l in open(sys.argv[2]) if l.strip()] if __import__("os").path.exists(sys.argv[2]) else []
v = eval(sys.argv[3])
if not isinstance(v, bool):
    print(v)
sys.exit(0 if v is not False else 1)
PY
}
is() {
    [ "$1" = "$2" ] || {
        echo "#   got:  '$1'"
        echo "#   want: '$2'"
        return 1
    }
}

rs_start

# one action: two audit lines (started, ok), both in syslog
"$OPSDECK" act -c "$T/ops.ini" --yes demo pools drain be_web/web1 >"$T/act1.out" 2>"$T/act1.err"
check "act with syslog on exits 0" test $? = 0
check "and says nothing about syslog" test ! -s "$T/act1.err"
check "both audit lines reach rsyslog" wait_until 10 sl 'len([l for l in L if l["obj"]["target"] == "be_web/web1"]) == 2'
check "each is the audit file's line, byte for byte as JSON" \
    sl 'all(l["obj"] in A for l in L) and len(L) == 2'
check "tag opsdeck-it (rsyslog read TAG[PID] as the tag)" sl 'all(l["tag"].startswith("opsdeck-it[") for l in L)'
check "the PID is opsdeck's" sl 'all(l["pid"].isdigit() and l["tag"] == "opsdeck-it[%s]:" % l["pid"] for l in L)'
check "facility local4, severity notice" sl 'all(l["fac"] == "local4.notice" for l in L)'
check "started then ok, in seq order" sl '[l["obj"]["result"] for l in L] == ["started", "ok"] and L[0]["obj"]["seq"] < L[1]["obj"]["seq"]'

# a failed action: warning
"$OPSDECK" act -c "$T/ops.ini" --yes demo pools drain be_web/nope >/dev/null 2>"$T/act2.err"
check "a failed action exits 1" test $? = 1
check "its error line is a warning" wait_until 10 sl '[l["fac"] for l in L if l["obj"]["result"].startswith("error:")] == ["local4.warning"]'
check "its started line a notice" sl '[l["fac"] for l in L if l["obj"]["target"] == "be_web/nope" and l["obj"]["result"] == "started"] == ["local4.notice"]'

# rsyslogd stopped: the action still works, the file keeps it, the failure is said
rs_stop
n_before=$(wc -l <"$OUT")
"$OPSDECK" act -c "$T/ops.ini" --yes demo pools ready be_web/web1 >"$T/act3.out" 2>"$T/act3.err"
check "syslog down: act still exits 0" test $? = 0
check "and prints its result" grep -q "be_web/web1 set to READY" "$T/act3.out"
check "the audit file has the action's lines" sl '[a["result"] for a in A if a["action"] == "ready"] == ["started", "ok"]'
check "the failure is said once on stderr" test "$(grep -c "audit to syslog failed: $SOCK" "$T/act3.err")" = 1
check "and recorded as an audit.syslog line: failed: SOCKET: why" \
    sl 'any(a["action"] == "audit.syslog" and a["result"].startswith("failed: " + a["target"] + ": ") for a in A)'
check "the audit.syslog line names the socket, facility and tag" \
    sl 'any(a["data"] == {"socket": a["target"], "facility": "local4", "tag": "opsdeck-it"} for a in A if a["action"] == "audit.syslog")'
check "exactly one audit.syslog line for that outage" sl 'sum(a["action"] == "audit.syslog" for a in A) == 1'
check "on exit it says what was not sent" grep -q "audit lines not sent to syslog" "$T/act3.err"
check "nothing reached a syslog file meanwhile" test "$(wc -l <"$OUT")" = "$n_before"

# rsyslogd back: the next line arrives
rs_start
"$OPSDECK" act -c "$T/ops.ini" --yes demo pools maint be_web/web3 >/dev/null 2>"$T/act4.err"
check "syslog back: act exits 0, says nothing" bash -c '[ $1 = 0 ] && [ ! -s "$2" ]' _ $? "$T/act4.err"
check "its lines arrive" wait_until 10 sl '[l["obj"]["result"] for l in L if l["obj"]["action"] == "maint"] == ["started", "ok"]'

# one process across a restart of rsyslogd: reconnect, backlog, said once, back
cat >"$T/rb.json" <<'EOF'
{"title": "Syslog restart", "steps": [
 {"id": "a1", "title": "Drain 5", "type": "action", "action": "drain", "pane": "pools", "target": "be_web/web5"},
 {"id": "m1", "title": "Stop syslog"},
 {"id": "a2", "title": "Drain api1", "type": "action", "action": "drain", "pane": "pools", "target": "be_api/api1"},
 {"id": "a3", "title": "Drain api2", "type": "action", "action": "drain", "pane": "pools", "target": "be_api/api2"},
 {"id": "m2", "title": "Start syslog"},
 {"id": "a4", "title": "Drain api3", "type": "action", "action": "drain", "pane": "pools", "target": "be_api/api3"}
]}
EOF
mkfifo "$T/in"
"$OPSDECK" run "$T/rb.json" --plain -c "$T/ops.ini" <"$T/in" >"$T/run.out" 2>"$T/run.err" &
RUN_PID=$!
PIDS+=("$RUN_PID")
exec 3>"$T/in"
ok_line() { python3 -c '
import json, sys
print(any(json.loads(l).get("target") == sys.argv[2] and json.loads(l).get("result") == "ok"
          for l in open(sys.argv[1]) if l.strip()))' "$AUDIT" "$1" | grep -q True; }
echo >&3 # a1
check "run: drain web5 done" wait_until 20 ok_line be_web/web5
check "run: its lines reach rsyslog" wait_until 10 sl 'sum(l["obj"]["target"] == "be_web/web5" for l in L) == 2'
run_seq0=$(sl 'min(a["seq"] for a in A if a["target"] == "be_web/web5")')
rs_stop
echo >&3 # m1
echo >&3 # a2
check "run: syslog down, drain api1 done all the same" wait_until 20 ok_line be_api/api1
echo >&3 # a3
check "run: drain api2 done" wait_until 20 ok_line be_api/api2
check "run: the failure said once on stderr" test "$(grep -c "audit to syslog failed" "$T/run.err")" = 1
check "run: one audit.syslog failed line for the outage" \
    sl 'sum(a["action"] == "audit.syslog" and a["result"].startswith("failed: ") and a["seq"] > '"$run_seq0"' for a in A) == 1'
rs_start
echo >&3 # m2
echo >&3 # a4
check "run: syslog restarted, drain api3 done" wait_until 20 ok_line be_api/api3
check "run: the same process reconnected: api3's lines arrive" \
    wait_until 10 sl 'sum(l["obj"]["target"] == "be_api/api3" for l in L) == 2'
check "run: what waited went first: syslog has the run's lines in seq order" \
    sl '[l["obj"]["seq"] for l in L if l["obj"]["seq"] >= '"$run_seq0"'] == sorted(l["obj"]["seq"] for l in L if l["obj"]["seq"] >= '"$run_seq0"')'
check "run: it says it is back (stderr), with how many lines went late" \
    grep -qE "audit to syslog: back on .*: [0-9]+ lines sent late, 0 dropped" "$T/run.err"
check "run: and records it (audit.syslog ok: ...), which reaches syslog too" \
    wait_until 10 sl 'any(l["obj"]["action"] == "audit.syslog" and l["obj"]["result"].startswith("ok: back on ") for l in L)'
check "run: every audit line of the run reached syslog, none twice" \
    sl 'sorted(l["obj"]["seq"] for l in L if l["obj"]["seq"] >= '"$run_seq0"') == [a["seq"] for a in A if a["seq"] >= '"$run_seq0"']'
exec 3>&-
[ -n "${DEBUG:-}" ] && sed 's/^/# /' "$T/run.out" "$T/run.err"
wait "$RUN_PID"
check "run: finished (exit 0)" test $? = 0
check "run: nothing left unsent at exit" bash -c '! grep -q "not sent to syslog" "$1"' _ "$T/run.err"

# config errors name file:line
printf '[audit]\nsyslog = on\nsyslog_facility = mail\n' >"$T/bad.ini"
"$OPSDECK" lint "$T/bad.ini" >/dev/null 2>"$T/bad.err"
check "a bad facility: exit 2 with file:line" bash -c '[ $1 = 2 ] && grep -q "bad.ini:3: bad syslog_facility '"'"'mail'"'"'" "$2"' _ $? "$T/bad.err"
printf '[audit]\nsyslog_socket = dev/log\n' >"$T/bad2.ini"
"$OPSDECK" lint "$T/bad2.ini" >/dev/null 2>"$T/bad2.err"
check "a relative socket: exit 2 with file:line" bash -c '[ $1 = 2 ] && grep -q "bad2.ini:2: bad syslog_socket" "$2"' _ $? "$T/bad2.err"
check "rsyslogd said nothing alarming" bash -c '! grep -qi "error" "$1"' _ "$T/rsyslogd.log"

done_testing
