#!/bin/bash
# The war room on one host (docs/war-room.md), as three engineers use it:
# three Unix users created here (wralice owns the run, wrbob is a participant,
# wrcarol an observer), three consoles in one tmux server, each run as its
# user with setpriv; the owner's socket tells who is who (SO_PEERCRED).
# Asserted from the screens and the owner's journal: join mid-run shows the
# owner's step; observer keys are refused with a reason; a participant's note
# and claim land in the journal and the report under its name; the two-person
# rule (self-approval refused, another person's approval journaled with both
# names); handover; owner kill -9, then takeover, and the others follow the
# new owner. Needs root (CI runs as root); the users are removed at the end.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { echo "Bail out! needs root: it creates Unix users (useradd)"; exit 1; }
command -v setpriv >/dev/null || { echo "Bail out! needs setpriv (util-linux)"; exit 1; }

GROUP=wroncall
USERS=(wralice wrbob wrcarol)
BASE=$(mktemp -d /tmp/opsdeck-wr.XXXXXX)
chmod 755 "$BASE"
wr_cleanup() {
    for u in "${USERS[@]}"; do
        pkill -9 -u "$u" 2>/dev/null
        userdel "$u" 2>/dev/null
    done
    groupdel "$GROUP" 2>/dev/null
    rm -rf "$BASE"
}
e2e_stop_hook() { wr_cleanup; }
wr_cleanup_users() {
    for u in "${USERS[@]}"; do userdel "$u" 2>/dev/null; done
    groupdel "$GROUP" 2>/dev/null
}
wr_cleanup_users # a crashed earlier run
mkdir -p "$BASE"
groupadd "$GROUP" || { echo "Bail out! groupadd failed"; exit 1; }
for u in "${USERS[@]}"; do
    useradd -M -N -g "$GROUP" -d "$BASE/home/$u" -s /bin/sh "$u" ||
        { echo "Bail out! useradd $u failed"; exit 1; }
    mkdir -p "$BASE/home/$u"
    chown "$u:$GROUP" "$BASE/home/$u"
    chmod 700 "$BASE/home/$u"
done
# the users must reach the binary (and the sanitizer's suppressions): a clone may sit in a 0700 dir
cp "$OPSDECK" "$BASE/opsdeck" && chmod 755 "$BASE/opsdeck" && OPSDECK=$BASE/opsdeck
if [[ "${LSAN_OPTIONS:-}" =~ suppressions=([^:]+) ]] && [ -f "${BASH_REMATCH[1]}" ]; then
    cp "${BASH_REMATCH[1]}" "$BASE/lsan.supp" && chmod 644 "$BASE/lsan.supp"
    LSAN_OPTIONS=${LSAN_OPTIONS//${BASH_REMATCH[1]}/$BASE/lsan.supp}
    export LSAN_OPTIONS
fi
SHARE=$BASE/share
mkdir -p "$SHARE"
chgrp "$GROUP" "$SHARE"
chmod 2770 "$SHARE"
for u in "${USERS[@]}"; do
    printf '[share]\ndir = %s\nparticipants = wrbob\n' "$SHARE" > "$BASE/home/$u/opsdeck.ini"
    chown "$u" "$BASE/home/$u/opsdeck.ini"
done

cat > "$BASE/rb.md" <<'EOF'
# Cache failover

## Stay calm

### Look at the cache
Check the hit rate on the dashboard.

## Focus on mitigation

### Approve the failover
```opsdeck
type: approval
role: incident commander
```

### Fail over the cache
Point the app at the replica.

### Watch it settle
Hit rate back above 90 %.
EOF
chmod 644 "$BASE/rb.md"

# one tmux server, one session per person (as that user: setpriv)
E2E_SOCK="$E2E_DIR/tmux.wr.sock"
as_user() { # SESSION USER opsdeck-args...
    local s=$1 u=$2
    shift 2
    local cmd
    cmd=$(printf '%q ' setpriv --reuid="$u" --regid="$GROUP" --init-groups \
        env -i HOME="$BASE/home/$u" USER="$u" LOGNAME="$u" TERM=tmux-256color LANG=C.UTF-8 \
        XDG_STATE_HOME="$BASE/home/$u/state" XDG_CONFIG_HOME="$BASE/home/$u/config" \
        "$OPSDECK" "$@" -c "$BASE/home/$u/opsdeck.ini")
    tm new-session -d -s "$s" -x 110 -y 32 "sh -c '$cmd; sleep 60'"
    tm set-option -t "$s" window-size manual >/dev/null # (set -g here crashes tmux 3.3a)
}
tm -f /dev/null new-session -d -s idle -x 80 -y 24 "sleep 600"
on() { S=$1; } # the session screen, keys and wait_for read
screen() { tm capture-pane -p -t "$S"; }
keys() { tm send-keys -t "$S" "$@"; }
journal() { cat "$SHARE"/runs/*.jsonl 2>/dev/null; }
journal_has() { journal | grep -q "$@"; }
pid_of() { pgrep -u "$1" -x opsdeck | head -1; }

echo "# alice starts the run; it is shared in $SHARE"
as_user A wralice run "$BASE/rb.md"
on A
check "alice: the run is shared (footer)" wait_for "shared: 0 joined"
RUN=$(basename "$(ls "$SHARE"/*.sock)" .sock)
check "the socket is the group's (srw-rw----)" bash -c "stat -c %A '$SHARE/$RUN.sock' | grep -q '^srw-rw----'"
check "the journal lives in the shared runs dir, 0660" bash -c "stat -c %a '$SHARE/runs/$RUN.jsonl' | grep -q 660"
keys Enter
check "alice: step 1 done, step 2 (the approval) is current" wait_line "Step 2/4 .*Approve the failover"

echo "# bob joins mid-run as a participant, carol as an observer"
as_user B wrbob join "$RUN"
on B
check "bob sees alice's step (Step 2/4)" wait_line "Step 2/4 .*Approve the failover"
check "bob: participant, alice drives" wait_for "you: participant · driver: wralice"
as_user C wrcarol join "$RUN"
on C
check "carol sees the same step" wait_line "Step 2/4 .*Approve the failover"
check "carol: observer" wait_for "you: observer"
check "the journal says who joined, with the role the owner gave" \
    bash -c "cat '$SHARE'/runs/*.jsonl | grep '\"action\":\"join\"' | grep -q '\"actor\":\"wrcarol\".*observer'"
on A
check "alice: two joined" wait_for "shared: 2 joined"
check "alice: who is watching, in which role" wait_line "wrbob participant.*wrcarol observer"

echo "# carol's keys are refused, with the reason"
on C
keys n
sleep 0.3
keys "carol was here" Enter
check "carol's note refused: observers act on nothing" wait_for "you are an observer"
keys Enter
check "carol's Enter refused too" wait_for "you are an observer"
check "nothing of carol's in the journal but her join" bash -c "! (cat '$SHARE'/runs/*.jsonl | grep '\"actor\":\"wrcarol\"' | grep -qv '\"action\":\"join\"')"

echo "# bob notes and claims; the owner journals both under his name"
on B
keys n
sleep 0.3
keys "bob checks the replica lag" Enter
check "bob's note is done by the owner's console" wait_for "journaled by the owner"
keys c
check "bob's claim shows on his screen" wait_for "wrbob is on it"
on A
check "alice sees bob's claim" wait_for "wrbob is on it"
check "the note is journaled as bob's" bash -c "cat '$SHARE'/runs/*.jsonl | grep '\"action\":\"note\"' | grep -q '\"actor\":\"wrbob\".*bob checks the replica lag'"
check "the claim is journaled as bob's" journal_has '"actor":"wrbob"[^}]*"action":"claim"'

echo "# two persons: alice asks, alice may not approve, bob approves"
on A
keys Enter
check "alice: approval asked, waiting for a second person" wait_for "waiting for a second person"
keys A
check "alice cannot approve her own request" wait_for "two-person rule"
check "the journal holds the request, no approval yet" \
    bash -c "cat '$SHARE'/runs/*.jsonl | grep -q approval.request && ! cat '$SHARE'/runs/*.jsonl | grep -q '\"action\":\"approval\",'"
on C
keys A
check "carol (observer) cannot approve" wait_for "you are an observer"
on B
keys A
check "bob approves: step 3 on bob's screen" wait_line "Step 3/4 .*Fail over the cache"
on A
check "and on alice's" wait_line "Step 3/4 .*Fail over the cache"
check "the approval names both (by wrbob, requested by wralice)" \
    bash -c "cat '$SHARE'/runs/*.jsonl | grep '\"action\":\"approval\"' | grep '\"by\":\"wrbob\"' | grep -q '\"requested_by\":\"wralice\"'"

echo "# handover: alice offers control to bob, bob accepts and drives"
on A
keys : "handover wrbob" Enter
check "alice: offered" wait_for "control offered to wrbob"
on B
check "bob is told" wait_for "offers you control"
keys : accept Enter
check "bob drives" wait_for "you: driver"
keys Enter
check "bob's Enter does step 3 (in alice's console)" wait_line "Step 4/4 .*Watch it settle"
check "step 3 done as bob's" bash -c "cat '$SHARE'/runs/*.jsonl | grep '\"action\":\"step.done\"' | tail -1 | grep -q '\"actor\":\"wrbob\"'"
on A
keys b
check "alice no longer drives: refused, it says who does" wait_for "wrbob drives now"

echo "# the owner dies (kill -9): the others see it, bob takes over, carol follows him"
APID=$(pid_of wralice)
kill -9 "$APID"
on B
check "bob: owner gone, at once" wait_for "OWNER GONE"
on C
check "carol: owner gone" wait_for "OWNER GONE"
on B
keys : takeover Enter
check "bob owns the run now (shared from his console)" wait_line "run $RUN · shared"
check "bob's console holds the run's lock (a second takeover is refused)" \
    bash -c "! setpriv --reuid=wrcarol --regid=$GROUP --init-groups env HOME=$BASE/home/wrcarol XDG_STATE_HOME=$BASE/home/wrcarol/state $OPSDECK run --resume $RUN --plain -c $BASE/home/wrcarol/opsdeck.ini </dev/null >/dev/null 2>&1"
on C
check "carol joined bob's console by herself" wait_for "joined again"
check "carol sees where the run is" wait_line "Step 4/4 .*Watch it settle"
check "the journal says alice is gone" bash -c "cat '$SHARE'/runs/*.jsonl | grep '\"action\":\"leave\"' | grep '\"actor\":\"wralice\"' | grep -q gone"

echo "# the report names everybody and what each did"
REPORT=$(setpriv --reuid=wrbob --regid=$GROUP --init-groups env HOME="$BASE/home/wrbob" \
    XDG_STATE_HOME="$BASE/home/wrbob/state" "$OPSDECK" report "$RUN" -c "$BASE/home/wrbob/opsdeck.ini" 2>&1)
echo "$REPORT" | sed -n '/People/,/^## [^P]/p' | sed 's/^/#   /' | head -30
check "report: a People section" grep -q "People" <<<"$REPORT"
check "report: bob's note under his name" grep -q "wrbob.*bob checks the replica lag" <<<"$REPORT"
check "report: carol the observer" grep -q "wrcarol.*observer" <<<"$REPORT"
check "report: bob's claim under his name" grep -q "wrbob claimed step approve-the-failover" <<<"$REPORT"
check "report: the joins and the owner gone on the timeline" \
    bash -c "grep -q 'wrcarol joined as observer' <<<\"\$1\" && grep -q 'wralice left (gone)' <<<\"\$1\"" _ "$REPORT"

echo "# a drill: what the facilitator hides never reaches a participant's process"
cat > "$BASE/drill.md" <<'EOF'
# Game day: cache lost

HIDDENINTROMARKER: the cache node is unplugged on purpose.

```opsdeck
drill: tabletop
duration: 60m
intro: facilitator
facilitator: gm
role: gm = Game master
role: ic = Incident commander
```

## Injects

### The cache is gone
```opsdeck
at: T+00
to: ic
expect: 5m 7 OPENEXPECTATIONMARKER declared
hidden: HIDDENTEXTMARKER it comes back at T+20
```
OPENINJECTMARKER: every request misses the cache.

### The replica lags
```opsdeck
at: T+50
to: ic
expect: 5m 13 HIDDENEXPECTMARKER failover decided
```
HIDDENINJECTMARKER: the replica is ten minutes behind.

## Contingency

### The CEO calls
```opsdeck
id: ceo
at: contingency
to: ic
```
HIDDENCONTINGENCYMARKER: what is going on?

## Facilitator notes

HIDDENNOTESMARKER: keep the CEO call for later.
EOF
chmod 644 "$BASE/drill.md"
pkill -9 -u wrbob -x opsdeck; pkill -9 -u wrcarol -x opsdeck
as_user DA wralice drill "$BASE/drill.md"
on DA
check "alice: the drill is shared" wait_for "shared: 0 joined"
DRILL=$(basename "$(ls -t "$SHARE"/*drill*.sock 2>/dev/null | head -1)" .sock)
[ -n "$DRILL" ] || DRILL=$(basename "$(ls -t "$SHARE"/*.sock | head -1)" .sock)
keys Enter
check "alice: the drill runs, the first inject fired" wait_for "OPENINJECTMARKER"

# bob joins through a recorder of the socket's bytes, run as bob (SO_PEERCRED still says bob)
PROXY=$BASE/home/wrbob/proxy
mkdir -p "$PROXY"
cp "$SHARE/$DRILL.json" "$PROXY/"
chown -R wrbob "$PROXY"
printf '[share]\ndir = %s\n' "$PROXY" > "$BASE/home/wrbob/proxy.ini"
chown wrbob "$BASE/home/wrbob/proxy.ini"
setpriv --reuid=wrbob --regid="$GROUP" --init-groups socat -x \
    "UNIX-LISTEN:$PROXY/$DRILL.sock,fork" "UNIX-CONNECT:$SHARE/$DRILL.sock" 2>"$BASE/traffic.hex" &
PIDS+=($!)
poll_until 5 test -S "$PROXY/$DRILL.sock"
cmd=$(printf '%q ' setpriv --reuid=wrbob --regid="$GROUP" --init-groups \
    env -i HOME="$BASE/home/wrbob" USER=wrbob LOGNAME=wrbob TERM=tmux-256color LANG=C.UTF-8 \
    XDG_STATE_HOME="$BASE/home/wrbob/state" "$OPSDECK" join "$DRILL" -c "$BASE/home/wrbob/proxy.ini")
tm new-session -d -s DB -x 110 -y 32 "sh -c '$cmd; sleep 60'"
tm set-option -t DB window-size manual >/dev/null
on DB
check "bob follows the drill: the fired inject's text" wait_for "OPENINJECTMARKER"
check "bob is a participant" wait_for "you: participant"
check "bob sees no score" screen_lacks -F "score"
on DA
check "alice sees the score" screen_has -F "score"
check "alice sees the hidden inject in her list" screen_has -F "The replica lags"
check "alice (the facilitator) sees the inject's hidden text" screen_has -F "HIDDENTEXTMARKER"
check "alice's tabletop drill takes the whole screen (no table pane)" screen_lacks -E "Alerts [0-9]+ firing|POOL +SERVER"
on DB
check "bob sees the inject but not its hidden text" screen_lacks -F "HIDDENTEXTMARKER"
check "bob's tabletop drill takes the whole screen too" screen_lacks -E "Alerts [0-9]+ firing|POOL +SERVER"
on DA
sleep 1
# the bytes as socat -x wrote them (hex), back to text
traffic() { python3 -c 'import re,sys; sys.stdout.write(bytes.fromhex("".join(re.findall(r"(?:^| )([0-9a-f]{2})(?= |$)", open(sys.argv[1]).read(), re.M))).decode("utf-8","replace"))' "$BASE/traffic.hex"; }
# every readable mapping of a process, searched for a string (as root)
in_memory() { # PID TEXT
    python3 - "$1" "$2" <<'PY2'
import re, sys
pid, needle = sys.argv[1], sys.argv[2].encode()
CHUNK = 4 << 20
found = False
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) r", line)
        if not m:
            continue
        lo, hi = int(m.group(1), 16), int(m.group(2), 16)
        if hi - lo > (4 << 30):
            continue  # a sanitizer's shadow: terabytes of nothing we wrote
        at, tail = lo, b""
        while at < hi and not found:
            try:
                mem.seek(at)
                block = tail + mem.read(min(CHUNK, hi - at))
            except (OSError, ValueError, OverflowError, MemoryError):
                break
            found = needle in block
            tail = block[-len(needle):]
            at += CHUNK
        if found:
            break
sys.exit(0 if found else 1)
PY2
}
BPID=$(pid_of wrbob)
APID=$(pid_of wralice)
traffic_has() { traffic | grep -qE "$1"; }
not_in_memory() { ! in_memory "$@"; }
no_traffic() { ! traffic_has "$1"; }
check "the recorder saw the drill (the fired inject's text crossed the socket)" traffic_has OPENINJECTMARKER
for marker in HIDDENINJECTMARKER HIDDENCONTINGENCYMARKER HIDDENEXPECTMARKER HIDDENTEXTMARKER \
    HIDDENNOTESMARKER HIDDENINTROMARKER; do
    check "$marker is in alice's process (the search works)" in_memory "$APID" "$marker"
    check "$marker is not in bob's process memory" not_in_memory "$BPID" "$marker"
    check "$marker never crossed bob's socket" no_traffic "$marker"
done
check "nor did the scoring key (points, score)" no_traffic '"points"|"score"'

echo "# anyone in a shared drill may pull the emergency stop, typed on their side too"
on DB
keys A
check "bob: A opens the emergency stop" wait_for "Emergency stop"
check "bob: the stop goes to the facilitator, with his name" wait_for "with your name"
keys -l abort
keys Enter
on DA
check "alice: bob's stop aborted the drill" wait_for "aborted: emergency stop by wrbob"
check "the journal names who pulled it" \
    bash -c "journal() { cat '$SHARE'/runs/*.jsonl; }; journal | grep '\"action\":\"drill.abort\"' | grep -q 'emergency stop by wrbob'"
on DB
check "bob sees it aborted" wait_for "aborted"

done_testing
