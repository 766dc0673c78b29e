#!/bin/bash
# The war room across hosts (engine/share_nats.h) against a real nats-server
# 2.9 with JetStream and per-user subject permissions (the config of
# docs/war-room.md), on loopback, port free at run time, started once (and
# restarted once on the same port and store: that is the test). Two "hosts":
# two state directories, an owner (user alice) appending to its journal and
# publishing, a follower (user bob). Mid-run the server is killed (-9), the
# owner keeps appending, the server comes back: the follower ends with
# exactly the owner's events (seq lists equal: none lost, none twice); the
# owner's small queue spilled to its journal meanwhile. A late joiner replays
# the same; a new owner of the same journal (a takeover) adds no event to the
# stream. A stream with a duplicate, a gap and a line out of order (published
# raw) gives the follower 1 2 4. Requests: bob's arrives tagged bob and gets the owner's answer;
# bob claiming to be alice is refused by the server. Errors: refused port,
# wrong password, a credentials file others can read, a server without
# JetStream.
# Arg 1: the share_nats_peer binary. TAP output; exit 1 when a check fails.
set -u
PEER=${1:?usage: share-nats.sh PEER}
if ! command -v nats-server >/dev/null 2>&1; then
    echo "not ok 1 - nats-server is installed (scripts/deps --test installs it)"
    echo "1..1"
    exit 1
fi
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/opsdeck-share-nats.XXXXXX)
PIDS=()
NATS_PID=
cleanup() {
    for pid in "${PIDS[@]}" $NATS_PID; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}" $NATS_PID; do
        wait "$pid" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
. "$HERE/../tap.sh"
not_grep() { ! grep -q "$@"; }

read -r P_NATS P_MON P_NOJS P_CLOSED < <(free_ports 4)
URL="nats://127.0.0.1:$P_NATS"
RUN=drill-20261204-0001
COUNT=80
mkdir -p "$T/host-a" "$T/host-b" "$T/host-c"

cat >"$T/nats.conf" <<CONF
listen: 127.0.0.1:$P_NATS
http: 127.0.0.1:$P_MON
jetstream { store_dir: "$T/js" }
authorization {
  users = [
    # the owner: publishes the run's stream, answers requests
    { user: alice, password: alice-pw, permissions: {
        publish: { allow: ["opsdeck.run.>", "\$JS.API.>", "_INBOX.>"] }
        subscribe: { allow: ["opsdeck.req.>", "_INBOX.>"] } } }
    # a follower: reads the stream, requests on its own subject only
    { user: bob, password: bob-pw, permissions: {
        publish: { allow: ["opsdeck.req.*.bob", "\$JS.API.INFO",
                           "\$JS.API.STREAM.INFO.OPSDECK_RUNS",
                           "\$JS.API.CONSUMER.CREATE.OPSDECK_RUNS",
                           "\$JS.API.CONSUMER.CREATE.OPSDECK_RUNS.>",
                           "\$JS.API.CONSUMER.DELETE.OPSDECK_RUNS.>",
                           "\$JS.API.CONSUMER.INFO.OPSDECK_RUNS.>",
                           "\$JS.FC.OPSDECK_RUNS.>"] }
        subscribe: { allow: ["_INBOX.>"] } } }
  ]
}
CONF

start_nats() {
    nats-server -c "$T/nats.conf" >>"$T/nats.log" 2>&1 &
    NATS_PID=$!
    wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$P_MON/healthz?js-enabled-only=true" ||
        bail "nats-server did not start"
}
start_nats

as() { # as USER PASSWORD CMD...: with those credentials in the environment
    local u=$1 p=$2
    shift 2
    OPSDECK_NATS_USER=$u OPSDECK_NATS_PASSWORD=$p "$@"
}
seqs() { # the seq of every journal line of a file, one a line, in file order
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    o = json.loads(line)
    if "seq" in o:
        print(o["seq"])' "$1"
}

# ---- follow across an outage ----

as alice alice-pw "$PEER" owner "$URL" "$RUN" "$T/host-a" $COUNT 50 400 >"$T/owner.log" 2>&1 &
OWNER=$!
PIDS+=($OWNER)
wait_until 10 grep -q "status nats: up" "$T/owner.log" || bail "the owner did not connect"
as bob bob-pw "$PEER" follow "$URL" "$RUN" "$T/host-b/follow.jsonl" $COUNT >"$T/follower.log" 2>&1 &
FOLLOWER=$!
PIDS+=($FOLLOWER)

lines_at_least() { test "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2"; }
wait_until 15 lines_at_least "$T/host-b/follow.jsonl" 15 ||
    bail "the follower got no events"
kill -9 "$NATS_PID"
wait "$NATS_PID" 2>/dev/null
NATS_PID=
at_kill=$(seqs "$T/host-a/$RUN.jsonl" | tail -1)
sleep 1.5
at_back=$(seqs "$T/host-a/$RUN.jsonl" | tail -1)
check "the owner keeps appending while NATS is down ($at_kill -> $at_back)" test "$at_back" -gt $((at_kill + 10))
check "the owner's status says: link down since HH:MM:SS" \
    grep -Eq "status nats: link down since [0-9]{2}:[0-9]{2}:[0-9]{2}" "$T/owner.log"
check "the follower hears the link go down" grep -q "^link down since" "$T/follower.log"
start_nats
wait "$FOLLOWER"
rc=$?
check "the follower reaches seq $COUNT after the server comes back (exit $rc)" test $rc -eq 0
check "the follower hears the link come back" grep -q "^link up since" "$T/follower.log"
check "the owner's queue spilled over 400 bytes and it caught up from its journal" \
    grep -q "catching up from the journal" "$T/owner.log"
wait_until 10 grep -q "^acked $COUNT" "$T/owner.log"
check "the stream acknowledged all $COUNT events" grep -q "^acked $COUNT" "$T/owner.log"
seqs "$T/host-a/$RUN.jsonl" >"$T/owner.seqs"
seqs "$T/host-b/follow.jsonl" >"$T/follower.seqs"
check "the owner wrote $COUNT events" test "$(wc -l <"$T/owner.seqs")" -eq $COUNT
check "the follower has exactly the owner's events, in order: none lost, none twice" \
    cmp -s "$T/owner.seqs" "$T/follower.seqs"
check "every line the follower got is byte for byte the owner's journal line" \
    cmp -s "$T/host-a/$RUN.jsonl" <(grep -v '"t":"doc"' "$T/host-b/follow.jsonl")
check "the run's document came once" test "$(grep -c '"t":"doc"' "$T/host-b/follow.jsonl")" -eq 1

as bob bob-pw "$PEER" follow "$URL" "$RUN" "$T/host-c/late.jsonl" $COUNT >"$T/late.log" 2>&1
check "a late joiner replays the whole run: the same $COUNT events" \
    cmp -s "$T/owner.seqs" <(seqs "$T/host-c/late.jsonl")

# ---- requests: the user is the one the server authenticated ----

out=$(as bob bob-pw "$PEER" request "$URL" "$RUN" '{"t":"req","id":7,"op":"note","text":"db is back"}')
check "bob's request is answered by the owner ($out)" \
    grep -q '"id":7,"ok":true,"message":"from bob"' <<<"$out"
check "the owner got it tagged bob" grep -q '^request bob {"t":"req","id":7' "$T/owner.log"
out=$(PEER_AS=alice as bob bob-pw "$PEER" request "$URL" "$RUN" '{"t":"req","id":8,"op":"note","text":"I am alice"}')
check "bob claiming to be alice is refused by the server's permissions ($out)" \
    grep -q '"id":8,"ok":false,"message":"NATS refused the request: user bob may not publish on opsdeck.req.'"$RUN"'.alice.*Permissions Violation' <<<"$out"
check "the owner never heard a request from alice" not_grep "^request alice" "$T/owner.log"
touch "$T/host-a/stop"
wait "$OWNER"
check "the owner stops cleanly" test $? -eq 0

stream_msgs() {
    curl -sf "http://127.0.0.1:$P_MON/jsz?streams=true" | python3 -c '
import json, sys
for a in json.load(sys.stdin).get("account_details", []):
    for s in a.get("stream_detail", []):
        if s["name"] == "OPSDECK_RUNS":
            print(s["state"]["messages"])'
}
check "the stream holds $COUNT events and one document" test "$(stream_msgs)" -eq $((COUNT + 1))
rm -f "$T/host-a/stop"
as alice alice-pw "$PEER" owner "$URL" "$RUN" "$T/host-a" 0 50 >"$T/owner2.log" 2>&1 &
OWNER=$!
PIDS+=($OWNER)
wait_until 10 grep -q "^acked $COUNT" "$T/owner2.log"
touch "$T/host-a/stop"
wait "$OWNER"
check "a new owner of the same journal (a takeover) republishes no event: $COUNT events, two documents" \
    test "$(stream_msgs)" -eq $((COUNT + 2))

# ---- the follower's own rules, on a stream no owner would make ----
# 1, 2, 2 again (another message id: past the duplicate window), 4, then 3:
# 2 passes once; 4 is a gap, asked again from the last line delivered, still
# there: the journal's own gap, it passes; 3 comes after 4: out of order, dropped.
RAW=raw-0001
for m in "$RAW:1 1" "$RAW:2 2" "retry:2 2" "$RAW:4 4" "$RAW:3 3"; do
    set -- $m
    as alice alice-pw "$PEER" raw "$URL" "opsdeck.run.$RAW.ev" "$1" "{\"seq\":$2,\"action\":\"note\"}" >>"$T/raw.log" 2>&1 ||
        bail "cannot publish raw line $m"
done
as bob bob-pw "$PEER" follow "$URL" "$RAW" "$T/host-c/raw.jsonl" 4 >"$T/raw-follow.log" 2>&1
check "duplicates dropped, a gap asked again and then passed, nothing out of order: seqs 1 2 4" \
    test "$(seqs "$T/host-c/raw.jsonl" | tr '\n' ' ')" = "1 2 4 "

# ---- clear errors ----

out=$(as bob bob-pw "$PEER" follow "nats://127.0.0.1:$P_CLOSED" "$RUN" "$T/x" 1)
check "a refused port is a clear error ($out)" \
    grep -q "^error NATS at nats://127.0.0.1:$P_CLOSED: no server answers" <<<"$out"
mkdir -p "$T/host-d"
as alice alice-pw "$PEER" owner "nats://127.0.0.1:$P_CLOSED" "$RUN" "$T/host-d" 3 50 >"$T/owner-down.log" 2>&1 &
OWNER=$!
PIDS+=($OWNER)
wait_until 10 grep -q "^status nats: link down since" "$T/owner-down.log"
last_seq_is() { test "$(seqs "$1" 2>/dev/null | tail -1)" = "$2"; }
wait_until 5 last_seq_is "$T/host-d/$RUN.jsonl" 3
check "an owner whose server is down at start still runs: link down, its journal grows" \
    test "$(seqs "$T/host-d/$RUN.jsonl" 2>/dev/null | tail -1)" = 3
check "... and its status names the unreachable server" \
    grep -q "^status nats: link down since .*NATS at nats://127.0.0.1:$P_CLOSED: no server answers" "$T/owner-down.log"
touch "$T/host-d/stop"
wait "$OWNER"
out=$(as bob wrong-pw "$PEER" follow "$URL" "$RUN" "$T/x" 1)
check "a wrong password is a clear error ($out)" \
    grep -q "^error NATS at $URL: the server refused the credentials.*user bob" <<<"$out"
printf 'user = bob\npassword = bob-pw\n' >"$T/bob.cred"
chmod 644 "$T/bob.cred"
out=$(PEER_CREDS="$T/bob.cred" "$PEER" follow "$URL" "$RUN" "$T/x" 1)
check "a credentials file others can read is refused ($out)" \
    grep -q "can be read by others (mode 644): chmod 600 it" <<<"$out"
chmod 600 "$T/bob.cred"
PEER_CREDS="$T/bob.cred" "$PEER" follow "$URL" "$RUN" "$T/host-c/file.jsonl" $COUNT >"$T/file.log" 2>&1
check "with it 0600, the file's credentials follow the run" \
    cmp -s "$T/owner.seqs" <(seqs "$T/host-c/file.jsonl")
out=$("$PEER" follow "nats://user:pw@127.0.0.1:$P_NATS" "$RUN" "$T/x" 1)
check "credentials in the URL are refused ($out)" grep -q "do not belong in the URL" <<<"$out"

nats-server -a 127.0.0.1 -p "$P_NOJS" >"$T/nojs.log" 2>&1 &
PIDS+=($!)
wait_until 10 python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $P_NOJS), 1)" ||
    bail "the nats-server without JetStream did not start"
out=$("$PEER" owner "nats://127.0.0.1:$P_NOJS" "$RUN" "$T/host-c" 1 50)
check "an owner on a server without JetStream is a clear error ($out)" \
    grep -q "^error NATS at nats://127.0.0.1:$P_NOJS has no JetStream: start nats-server with -js" <<<"$out"
out=$("$PEER" follow "nats://127.0.0.1:$P_NOJS" "$RUN" "$T/x" 1)
check "so is a follower ($out)" grep -q "has no JetStream" <<<"$out"

done_testing
