#!/bin/bash
# The war room across hosts, as two engineers use it: a real nats-server with
# JetStream and per-user permissions on loopback (port free at run time, the
# config of docs/war-room.md), two "hosts" (two state directories, two share
# directories: nothing shared but NATS), two consoles in tmux. alice owns a
# drill; bob, in another region, joins it over NATS; nats-server is killed
# mid-drill (-9) while alice fires an inject, it comes back on the same port
# and store, and bob's screen ends where alice's is: the inject fired during
# the outage is on it, once. bob's note arrives in alice's journal under the
# name NATS authenticated. The facilitator's hidden inject never crosses.
. "$(dirname "$0")/lib.sh"

command -v nats-server >/dev/null || { echo "Bail out! nats-server is not installed"; exit 1; }
read -r P_NATS P_MON < <(free_ports 2)
W=$E2E_DIR/wr
mkdir -p "$W/a/share" "$W/b/share" "$W/js"
chmod 2770 "$W/a/share" "$W/b/share"
cat >"$W/nats.conf" <<CONF
listen: 127.0.0.1:$P_NATS
http: 127.0.0.1:$P_MON
jetstream { store_dir: "$W/js" }
authorization {
  users = [
    { user: alice, password: alice-pw, permissions: {
        publish: { allow: ["opsdeck.run.>", "\$JS.API.>", "_INBOX.>"] }
        subscribe: { allow: ["opsdeck.req.>", "_INBOX.>"] } } }
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
NATS_PID=
start_nats() {
    nats-server -c "$W/nats.conf" >>"$W/nats.log" 2>&1 &
    NATS_PID=$!
    PIDS+=("$NATS_PID")
    poll_until 10 curl -sf -o /dev/null "http://127.0.0.1:$P_MON/healthz?js-enabled-only=true" ||
        { echo "Bail out! nats-server did not start"; exit 1; }
}
start_nats
printf '[share]\ndir = %s\nparticipants = bob\nnats = nats://127.0.0.1:%s\n' "$W/a/share" "$P_NATS" >"$W/a.ini"
printf '[share]\ndir = %s\nnats = nats://127.0.0.1:%s\n' "$W/b/share" "$P_NATS" >"$W/b.ini"

cat >"$W/drill.md" <<'EOF'
# Game day: region lost

```opsdeck
drill: tabletop
duration: 60m
players_mark: true
facilitator: gm
role: gm = Game master
role: ic = Incident commander
```

## Injects

### The region is dark
```opsdeck
at: T+00
to: ic
expect: 5m 3 FIRSTEXPECT failover declared
```
FIRSTINJECT: eu-west answers nothing.

### DNS still points there
```opsdeck
at: T+40
to: ic
expect: 5m 5 SECONDEXPECT records moved
```
SECONDINJECT: half the clients still resolve the dark region.

### The hidden one
```opsdeck
at: T+55
to: ic
```
HIDDENNATSMARKER: never fired in this test.
EOF

E2E_SOCK="$E2E_DIR/tmux.nats.sock"
tm -f /dev/null new-session -d -s idle -x 80 -y 24 "sleep 600"
console() { # SESSION STATE-DIR ENV... -- opsdeck args
    local s=$1 st=$2
    shift 2
    local envs=()
    while [ "$1" != "--" ]; do envs+=("$1"); shift; done
    shift
    local cmd
    cmd=$(printf '%q ' env XDG_STATE_HOME="$st" XDG_CONFIG_HOME="$st/config" "${envs[@]}" "$OPSDECK" "$@")
    tm new-session -d -s "$s" -x 160 -y 40 "sh -c '$cmd; sleep 60'"
    tm set-option -t "$s" window-size manual >/dev/null
}
on() { S=$1; }
screen() { tm capture-pane -p -t "$S"; }
keys() { tm send-keys -t "$S" "$@"; }

console A "$W/a/state" OPSDECK_NATS_USER=alice OPSDECK_NATS_PASSWORD=alice-pw -- drill "$W/drill.md" -c "$W/a.ini"
on A
check "alice: the drill is shared (socket and NATS)" wait_for "· shared:"
RUN=$(basename "$(ls "$W/a/share"/*.sock)" .sock)
keys Enter
check "alice: the first inject fired" wait_for "FIRSTINJECT"

console B "$W/b/state" OPSDECK_NATS_USER=bob OPSDECK_NATS_PASSWORD=bob-pw -- join "$RUN" -c "$W/b.ini"
on B
check "bob (another host) follows over NATS" wait_for "over NATS"
check "bob sees the fired inject" wait_for "FIRSTINJECT"
check "bob sees the expectation's text (players_mark)" wait_for "FIRSTEXPECT"
keys n
sleep 0.3
keys "bob from the other region" Enter
check "bob's note is done by alice's console" wait_for "journaled by the owner"
check "alice's journal has it under the NATS user bob" \
    bash -c "grep '\"action\":\"note\"' '$W/a/share/runs/$RUN.jsonl' | grep -q '\"actor\":\"bob\",\"host\":\"nats\".*bob from the other region'"
keys E
check "bob may not end alice's drill (said before any dialog)" wait_for "only the driver"
check "no dialog opened on bob's screen" screen_lacks -F "End the drill"

echo "# nats-server dies mid-drill; alice fires the second inject meanwhile"
kill -9 "$NATS_PID"
wait "$NATS_PID" 2>/dev/null
check "bob is told the link is down" wait_for "link down since"
on A
keys j
sleep 0.3
keys f
check "alice: the fire dialog" wait_for "Fire inject"
keys Left Enter
check "alice: the second inject fired during the outage" wait_for "SECONDINJECT"
on B
check "bob has not seen it yet (the link is down)" screen_lacks -F "SECONDINJECT"
start_nats
check "bob caught up: the inject fired during the outage" wait_for "SECONDINJECT" 20
check "bob's drill runs, as alice's" wait_line "tabletop  T\+[0-9:]+ / 60:00  running"
check "the inject shows once in bob's list" bash -c "test \$(tmux -S '$E2E_SOCK' capture-pane -p -t B | grep -c 'T+40:00  DNS still points there') = 1"
check "the hidden inject never reached bob's screen" screen_lacks -F "The hidden one"
check "nor the stream: no hidden marker among the stored messages" \
    bash -c "! grep -rq HIDDENNATSMARKER '$W/js'"
check "but the stream holds the fired inject (the check reads the right files)" \
    bash -c "grep -rq SECONDINJECT '$W/js'"

echo "# a wrong NATS password: the run is still shared on this host, and the console says why"
mkdir -p "$W/c/share"
chmod 2770 "$W/c/share"
printf '[share]\ndir = %s\nnats = nats://127.0.0.1:%s\n' "$W/c/share" "$P_NATS" >"$W/c.ini"
console C "$W/c/state" OPSDECK_NATS_USER=alice OPSDECK_NATS_PASSWORD=wrong -- drill "$W/drill.md" -c "$W/c.ini"
on C
check "the console says NATS refused it" wait_for "shared on this host only: NATS:"
check "and shares it on this host" wait_for "· shared:"
check "its socket is there" bash -c "ls '$W/c/share'/*.sock >/dev/null 2>&1"

done_testing
