#!/bin/bash
# The exec and http-json plugin backends, end to end through the real binary:
# - the Redis Streams example (examples/plugins, its section of plugins.ini as
#   shipped) against a real redis-server on a free loopback port: lag, pending
#   and consumers as XINFO reports them; XTRIM and XGROUP SETID through
#   `opsdeck act`, checked with redis-cli; a stream whose name is a shell
#   injection attempt trimmed without running anything;
# - hostile row values reaching an action command as single words;
# - the kubectl and SQS examples against fake CLIs on PATH printing fixtures;
# - http-json against python's http.server serving a JSON file;
# - plugin faults: hangs (timeout, bounded snapshot, child killed), non-zero
#   exit (stderr shown), garbage, a flood (cap, child killed, opsdeck's
#   memory bounded), {"error":...}, an unknown column, bad config lines.
# Env: OPSDECK = the opsdeck binary. TAP output; exit 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
for tool in redis-server redis-cli python3 pgrep; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        # not a skip: a suite that quietly tests less is not green (scripts/deps --test)
        echo "not ok 1 - $tool is installed (scripts/deps --test installs it)"
        echo "1..1"
        exit 1
    fi
done

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
EX="$ROOT/examples/plugins"
FIX="$ROOT/tests/fixtures/plugins"
T=$(mktemp -d /tmp/opsdeck-plugins-it.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export XDG_STATE_HOME="$T/state" XDG_CONFIG_HOME="$T/config"

. "$HERE/../tap.sh"

read -r P_REDIS P_HTTP < <(free_ports 2)

# the interpreter itself, first on PATH: a pyenv shim costs most of a second per call
mkdir -p "$T/bin"
ln -s "$(python3 -c 'import sys; print(sys.executable)')" "$T/bin/python3"
export PATH="$T/bin:$PATH"

# ---- helpers ----

# cell SNAPSHOT KEY COLUMN: a cell of the row with that key, as JSON prints it.
cell() {
    python3 - "$@" <<'PY'
import json, sys
snap = json.load(open(sys.argv[1]))
for rows in snap["panes"].values():
    for r in rows:
        if r["key"] == sys.argv[2]:
            print(r["cells"][sys.argv[3]])
            sys.exit(0)
print("(no row)")
PY
}

# tone / health / nrows helpers over a snapshot
field() {
    python3 - "$@" <<'PY'
import json, sys
snap = json.load(open(sys.argv[1]))
what = sys.argv[2]
if what == "health":
    print(next((b["health"] for b in snap["backends"] if b["name"] == sys.argv[3]), "(none)"))
elif what == "tone":
    print(next((r["tone"] for rows in snap["panes"].values() for r in rows
                if r["key"] == sys.argv[3]), "(no row)"))
elif what == "nrows":
    print(sum(1 for rows in snap["panes"].values() for r in rows if r["source"] == sys.argv[3]))
PY
}

eq() {
    if [ "$1" = "$2" ]; then
        return 0
    fi
    echo "#   got:  '$1'"
    echo "#   want: '$2'"
    return 1
}

has() {
    case "$1" in
    *"$2"*) return 0 ;;
    esac
    echo "#   got:  '$1'"
    echo "#   want it to contain: '$2'"
    return 1
}

snap() { # snap OUT CONFIG: snapshot --json into OUT, run from the repo root
    (cd "$ROOT" && "$OPSDECK" snapshot --json -c "$2" >"$1" 2>"$1.err")
}

# ---- Redis ----

redis-server --bind 127.0.0.1 --port "$P_REDIS" --save '' --appendonly no \
    >"$T/redis.log" 2>&1 &
PIDS+=($!)
R() { redis-cli -p "$P_REDIS" "$@"; }
wait_until 10 R ping || bail "redis-server did not start"
export REDIS_HOST=127.0.0.1 REDIS_PORT=$P_REDIS

for i in 1 2 3 4 5; do R XADD orders '*' n "$i" >/dev/null; done
R XGROUP CREATE orders billing 0 >/dev/null
R XGROUP CREATE orders shipping 0 >/dev/null
R XGROUP CREATE orders audit 0 >/dev/null
R XREADGROUP GROUP billing worker-1 COUNT 3 STREAMS orders '>' >/dev/null
R XREADGROUP GROUP shipping worker-1 COUNT 5 STREAMS orders '>' >/dev/null
R XREADGROUP GROUP audit auditor COUNT 5 STREAMS orders '>' >/dev/null
# shipping acknowledges three of its five, audit all of them
for id in $(R XRANGE orders - + | awk 'NR % 3 == 1' | head -3); do
    R XACK orders shipping "$id" >/dev/null
done
for id in $(R XRANGE orders - + | awk 'NR % 3 == 1'); do
    R XACK orders audit "$id" >/dev/null
done
R XADD orders '*' n 6 >/dev/null
R XADD orders '*' n 7 >/dev/null
EVIL="x'; touch $T/pwned; '"
R XADD "$EVIL" '*' a 1 >/dev/null
R XADD "$EVIL" '*' a 2 >/dev/null

# xinfo STREAM GROUP FIELD: what Redis itself says
xinfo() {
    R XINFO GROUPS "$1" | awk -v g="$2" -v f="$3" \
        'NR % 2 == 1 { k = $0; next } { if (k == "name") cur = $0; if (cur == g && k == f) print }'
}

# the example's own section of the shipped config, run from the repo root (dir is relative)
awk '/^\[backend "redis-streams"\]/ { on = 1; print; next } /^\[/ { on = 0 } on' \
    "$EX/plugins.ini" >"$T/redis.ini"
check "the shipped example config has the redis section with its actions" \
    grep -q '^action.setid' "$T/redis.ini"

snap "$T/r1.json" "$T/redis.ini"
check "snapshot of the redis plugin succeeds" eq "$?" 0
check "the redis plugin is healthy" eq "$(field "$T/r1.json" health redis-streams)" ok
for g in billing shipping audit; do
    check "group $g: lag as XINFO says (READY)" \
        eq "$(cell "$T/r1.json" "orders/$g" READY)" "$(xinfo orders $g lag)"
    check "group $g: pending as XINFO says (UNACK)" \
        eq "$(cell "$T/r1.json" "orders/$g" UNACK)" "$(xinfo orders $g pending)"
    check "group $g: consumers as XINFO says (CONS)" \
        eq "$(cell "$T/r1.json" "orders/$g" CONS)" "$(xinfo orders $g consumers)"
done
check "the fixture really has lag and pending (billing lag 4, pending 3)" \
    eq "$(xinfo orders billing lag) $(xinfo orders billing pending)" "4 3"
check "the stream row: MSGS is XLEN" eq "$(cell "$T/r1.json" orders MSGS)" "$(R XLEN orders)"
check "the fixture: shipping has 2 pending and 1 consumer, audit lag 2" \
    eq "$(xinfo orders shipping pending) $(xinfo orders shipping consumers) $(xinfo orders audit lag)" "2 1 2"
check "the stream row: UNACK sums the groups' pending" eq "$(cell "$T/r1.json" orders UNACK)" 5
check "the stream row: READY is the largest lag" eq "$(cell "$T/r1.json" orders READY)" 4
check "the stream row: CONS sums the consumers" eq "$(cell "$T/r1.json" orders CONS)" 3
check "a lagging stream is marked warn" eq "$(field "$T/r1.json" tone orders)" warn
check "the hostile stream name is a row, as is" eq "$(cell "$T/r1.json" "$EVIL" QUEUE)" "$EVIL"
check "SOURCE is the backend's name" eq "$(cell "$T/r1.json" orders SOURCE)" redis-streams

act() { # act CONFIG ARGS...: opsdeck act --yes, output in $T/act.out
    (cd "$ROOT" && "$OPSDECK" act --yes -c "$@") >"$T/act.out" 2>&1
}

act "$T/redis.ini" --input 2 redis-streams queues trim orders
check "act trim (XTRIM MAXLEN 2) succeeds" eq "$?" 0
check "the action's stdout is the message" has "$(cat "$T/act.out")" "trimmed 5 entries from orders"
check "Redis now holds 2 entries in orders" eq "$(R XLEN orders)" 2

before=$(xinfo orders billing lag)
act "$T/redis.ini" redis-streams queues setid orders/billing
check "act setid (XGROUP SETID \$) succeeds" eq "$?" 0
check "Redis moved billing to the newest entry" \
    eq "$(xinfo orders billing last-delivered-id)" "$(R XINFO STREAM orders | awk 'p { print; exit } /^last-generated-id$/ { p = 1 }')"
snap "$T/r2.json" "$T/redis.ini"
check "the next snapshot shows billing's lag gone (was $before)" \
    eq "$(cell "$T/r2.json" orders/billing READY)" 0

act "$T/redis.ini" --input 0 redis-streams queues trim "$EVIL"
check "trimming the stream named like an injection succeeds" eq "$?" 0
check "its name reached Redis intact: the stream is empty" eq "$(R XLEN "$EVIL")" 0
check "nothing was executed from the name" test ! -e "$T/pwned"

act "$T/redis.ini" --input "1; touch $T/pwned-input" redis-streams queues trim orders
check "a hostile input is one argument: the script refuses it" eq "$?" 1
check "  and the failure shows exit status and stderr's last line" has "$(cat "$T/act.out")" \
    "exit 1: redis 127.0.0.1:$P_REDIS: MAXLEN must be a whole number, not '1; touch $T/pwned-input'"
check "  and nothing ran" test ! -e "$T/pwned-input"

act "$T/redis.ini" redis-streams queues setid orders/nosuch
check "an action on a row the plugin did not print is refused" \
    has "$(cat "$T/act.out")" "no row 'orders/nosuch' in redis-streams's last output"
check "the audit log records the plugin's actions" \
    test "$(grep -c '"action":"trim"' "$XDG_STATE_HOME/opsdeck/audit.jsonl")" -ge 3

# ---- hostile values straight into a shell command ----

python3 - "$T" >"$T/hostile.json" <<'PY'
import json, sys
t = sys.argv[1]
names = [f"$(touch {t}/pwned2)", f"`touch {t}/pwned2`", f"a; touch {t}/pwned2",
         f"q'; touch {t}/pwned2; '", "  spaced  out ", "*", "$HOME"]
print(json.dumps({"rows": [{"key": f"k{i}", "cells": {"QUEUE": n}} for i, n in enumerate(names)]}))
PY
cat >"$T/hostile.ini" <<INI
[backend "echoer"]
type = exec
pane = queues
command = cat $T/hostile.json
action.say = y | Say the name | none | printf '[%s]' \${QUEUE} \${key}
INI
i=0
python3 -c 'import json,sys; [print(r["cells"]["QUEUE"]) for r in json.load(open(sys.argv[1]))["rows"]]' \
    "$T/hostile.json" >"$T/names"
while IFS= read -r name; do
    act "$T/hostile.ini" echoer queues say "k$i"
    check "hostile value $i arrives as one word: $name" eq "$(cat "$T/act.out")" "[$name][k$i]"
    i=$((i + 1))
done <"$T/names"
check "no hostile value ran a command" test ! -e "$T/pwned2"

# ---- kubectl and SQS examples against fake CLIs ----

cat >"$T/bin/kubectl" <<SH
#!/bin/sh
case "\$*" in
"get deployments -A -o json") cat "$FIX/deployments.json" ;;
"rollout restart deployment/"*) echo "\$*" >>"$T/kubectl.log"; echo "deployment.apps/\${3#deployment/} restarted" ;;
*) echo "fake kubectl: unexpected '\$*'" >&2; exit 1 ;;
esac
SH
cat >"$T/bin/aws" <<SH
#!/bin/sh
# fake AWS CLI: two queues and a dead-letter queue
url=https://sqs.eu-west-1.amazonaws.com/123456789012
case "\$*" in
"sqs list-queues --output json")
    echo '{"QueueUrls": ["'\$url'/orders", "'\$url'/orders-dlq", "'\$url'/events.fifo"]}' ;;
"sqs get-queue-attributes --queue-url \$url/orders "*)
    echo '{"Attributes": {"ApproximateNumberOfMessages": "120", "ApproximateNumberOfMessagesNotVisible": "7", "ApproximateNumberOfMessagesDelayed": "3", "RedrivePolicy": "{\\"deadLetterTargetArn\\":\\"arn:aws:sqs:eu-west-1:123456789012:orders-dlq\\",\\"maxReceiveCount\\":5}"}}' ;;
"sqs get-queue-attributes --queue-url \$url/orders-dlq "*)
    echo '{"Attributes": {"ApproximateNumberOfMessages": "42", "ApproximateNumberOfMessagesNotVisible": "0", "ApproximateNumberOfMessagesDelayed": "0"}}' ;;
"sqs get-queue-attributes --queue-url \$url/events.fifo "*)
    echo '{"Attributes": {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0", "ApproximateNumberOfMessagesDelayed": "0"}}' ;;
"sqs get-queue-url --queue-name "*) echo '{"QueueUrl": "'\$url'/'\$4'"}' ;;
"sqs purge-queue --queue-url "*) echo "\$*" >>"$T/aws.log" ;;
*) echo "fake aws: unexpected '\$*'" >&2; exit 1 ;;
esac
SH
chmod +x "$T/bin/kubectl" "$T/bin/aws"
# by path as well: a python3 shim (pyenv) would put its own bin directory first on PATH
export KUBECTL="$T/bin/kubectl" AWS_CLI="$T/bin/aws"
awk '/^\[backend "(k8s|sqs)"\]/ { on = 1; print; next } /^\[/ { on = 0 } on' \
    "$EX/plugins.ini" >"$T/cli.ini"

snap "$T/k.json" "$T/cli.ini"
check "snapshot of the kubectl and SQS examples succeeds" eq "$?" 0 || sed "s/^/# /" "$T/k.json.err"
check "kubectl: every deployment is a row" eq "$(field "$T/k.json" nrows k8s)" 5
check "kubectl: a finished rollout is complete" eq "$(cell "$T/k.json" shop/cart ROLLOUT)" complete
check "kubectl: READY is ready/desired" eq "$(cell "$T/k.json" shop/checkout READY)" 3/4
check "kubectl: fewer updated than desired is progressing" \
    eq "$(cell "$T/k.json" shop/checkout ROLLOUT)" progressing
check "kubectl: the first image, and how many more" \
    eq "$(cell "$T/k.json" shop/checkout IMAGE)" "registry.example/shop/checkout:v2.14.1 (+1)"
check "kubectl: ProgressDeadlineExceeded is failed" \
    eq "$(cell "$T/k.json" payments/payments-api ROLLOUT)" failed
check "kubectl: a failed rollout's row is crit" eq "$(field "$T/k.json" tone payments/payments-api)" crit
check "kubectl: a paused deployment is paused" eq "$(cell "$T/k.json" shop/notifications ROLLOUT)" paused
check "kubectl: a spec not yet observed is progressing" \
    eq "$(cell "$T/k.json" platform/ingress-nginx ROLLOUT)" progressing
check "kubectl: AGE is the creation time (epoch seconds)" \
    eq "$(cell "$T/k.json" shop/cart AGE)" "$(date -u -d 2026-11-01T10:00:00Z +%s)"
check "sqs: every queue is a row" eq "$(field "$T/k.json" nrows sqs)" 3
check "sqs: MSGS = visible + in flight + delayed" eq "$(cell "$T/k.json" orders MSGS)" 130
check "sqs: READY = visible" eq "$(cell "$T/k.json" orders READY)" 120
check "sqs: UNACK = in flight" eq "$(cell "$T/k.json" orders UNACK)" 7
check "sqs: a FIFO queue says so" eq "$(cell "$T/k.json" events.fifo TYPE)" fifo
check "sqs: a dead-letter queue with messages is crit" eq "$(field "$T/k.json" tone orders-dlq)" crit

act "$T/cli.ini" k8s deploys restart shop/checkout
check "kubectl: act restart succeeds" eq "$?" 0
check "kubectl: rollout restart ran with the right arguments" \
    eq "$(cat "$T/kubectl.log" 2>/dev/null)" "rollout restart deployment/checkout -n shop"
act "$T/cli.ini" sqs queues purge orders-dlq
check "sqs: act purge succeeds" eq "$?" 0
check "sqs: purge-queue got the queue's URL" \
    eq "$(cat "$T/aws.log" 2>/dev/null)" \
    "sqs purge-queue --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/orders-dlq --output json"

# ---- http-json ----

python3 -m http.server "$P_HTTP" --bind 127.0.0.1 --directory "$FIX" >"$T/http.log" 2>&1 &
PIDS+=($!)
wait_until 10 python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$P_HTTP/queues.json')" ||
    bail "http.server did not start"
cat >"$T/http.ini" <<INI
[backend "broker"]
type = http-json
pane = queues
url = http://127.0.0.1:$P_HTTP/queues.json
rows = /data/queues
key = /name
column.QUEUE = /name
column.VHOST = /vhost
column.MSGS = /stats/depth
column.UNACK = /stats/unacked
column.cons = /stats/consumers

[backend "typo"]
type = http-json
pane = queues
url = http://127.0.0.1:$P_HTTP/queues.json
rows = /data/queue
key = /name
column.QUEUE = /name

[backend "typo-col"]
type = http-json
pane = queues
url = http://127.0.0.1:$P_HTTP/queues.json
rows = /data/queues
key = /name
column.QUEUE = /name
column.MSGS = /stats/dpeth

[backend "missing"]
type = http-json
pane = queues
url = http://127.0.0.1:$P_HTTP/nosuch.json
key = /name
column.QUEUE = /name
INI
snap "$T/h.json" "$T/http.ini"
check "http-json: the good backend is healthy" eq "$(field "$T/h.json" health broker)" ok
check "http-json: one row per element" eq "$(field "$T/h.json" nrows broker)" 3
check "http-json: a mapped number" eq "$(cell "$T/h.json" orders MSGS)" 120
check "http-json: a number the API quotes" eq "$(cell "$T/h.json" emails/outbound MSGS)" 3140
check "http-json: a mapped text column" eq "$(cell "$T/h.json" emails/outbound VHOST)" mail
check "http-json: a column title in any case" eq "$(cell "$T/h.json" orders CONS)" 3
check "http-json: a rows pointer that does not resolve is named" \
    has "$(field "$T/h.json" health typo)" "pointer /data/queue did not resolve: no member 'queue' at /data"
check "http-json: a column pointer that never resolves is named" \
    has "$(field "$T/h.json" health typo-col)" "column.MSGS = /stats/dpeth resolved in none of the 3 rows"
check "http-json: an HTTP error is shown" has "$(field "$T/h.json" health missing)" "HTTP 404"

# ---- faults ----

cat >"$T/faults.ini" <<INI
[backend "hang"]
type = exec
pane = queues
command = echo started; exec sleep 61.25
timeout = 1s

[backend "fails"]
type = exec
pane = queues
command = echo '{"rows":[]}'; echo first line >&2; echo 'database is locked' >&2; exit 4

[backend "garbage"]
type = exec
pane = pools
command = echo '<html>Bad Gateway</html>'

[backend "flood"]
type = exec
pane = queues
command = exec yes flood-$$
max_output = 1M

[backend "says-error"]
type = exec
pane = queues
command = echo '{"error":"queue service unavailable (maintenance until 04:00)"}'

[backend "bad-column"]
type = exec
pane = deployments
command = echo '{"rows":[{"key":"a","cells":{"DEPLOYMENT":"a","REPLICAS":3}}]}'

[backend "dupes"]
type = exec
pane = alerts
command = echo '{"rows":[{"key":"a"},{"key":"a"}]}'

[backend "good"]
type = exec
pane = pools
command = printf '%s' '{"rows":[{"key":"be/web1","cells":{"POOL":"be","SERVER":"web1","STATUS":"UP"}}]}'
INI
start=$(date +%s%N)
(cd "$ROOT" && /usr/bin/time -f '%M' -o "$T/rss" "$OPSDECK" snapshot --json -c "$T/faults.ini" \
    >"$T/f.json" 2>"$T/f.err")
status=$?
ms=$((($(date +%s%N) - start) / 1000000))
check "snapshot with failing plugins exits 1 (a backend failed)" eq "$status" 1
check "snapshot finishes in bounded time while a plugin hangs (${ms} ms)" test "$ms" -lt 6000
check "a hung plugin: timed out" eq "$(field "$T/f.json" health hang)" "error: timed out after 1000 ms"
check "a hung plugin's child is killed" bash -c '! pgrep -f "slee[p] 61.25" >/dev/null'
check "non-zero exit: the exit status and stderr's last line" \
    eq "$(field "$T/f.json" health fails)" "error: exit 4: database is locked"
check "garbage: not JSON" has "$(field "$T/f.json" health garbage)" "bad output: not JSON"
check "a flood: over the cap" \
    eq "$(field "$T/f.json" health flood)" "error: output over the cap of 1048576 bytes"
check "a flood: the flooding child is killed" bash -c "! pgrep -f 'ye[s] flood-$$' >/dev/null"
rss=$(tail -1 "$T/rss" 2>/dev/null || echo 999999)
echo "# opsdeck max RSS with a 1 MiB-capped flood: ${rss} KiB"
check "a flood: opsdeck's memory stays small (${rss} KiB)" test "$rss" -lt 60000
check "{\"error\":...}: the plugin's own words" \
    eq "$(field "$T/f.json" health says-error)" \
    "error: plugin error: queue service unavailable (maintenance until 04:00)"
check "an unknown column is named" has "$(field "$T/f.json" health bad-column)" \
    "unknown column 'REPLICAS' for deploys"
check "a duplicate key is named" has "$(field "$T/f.json" health dupes)" "duplicate key 'a'"
check "the good plugin is unaffected" eq "$(field "$T/f.json" health good)" ok
check "  and its row is there" eq "$(cell "$T/f.json" be/web1 STATUS)" UP

# a flood without a cap set still stops at the default 8 MiB
cat >"$T/flood8.ini" <<INI
[backend "flood8"]
type = exec
pane = queues
command = exec yes flood8-$$
INI
(cd "$ROOT" && /usr/bin/time -f '%M' -o "$T/rss8" "$OPSDECK" snapshot --json -c "$T/flood8.ini" \
    >"$T/f8.json" 2>/dev/null)
rss8=$(tail -1 "$T/rss8" 2>/dev/null || echo 999999)
echo "# opsdeck max RSS with the default 8 MiB cap: ${rss8} KiB"
check "the default cap is 8 MiB" \
    eq "$(field "$T/f8.json" health flood8)" "error: output over the cap of 8388608 bytes"
check "  and memory stays bounded (${rss8} KiB)" test "$rss8" -lt 80000

# ---- config errors name file:line ----

bad_config() { # bad_config WANT LINES...: lint fails naming the line and WANT
    local want=$1
    shift
    printf '%s\n' '[backend "p"]' 'type = exec' 'pane = queues' 'command = true' "$@" >"$T/bad.ini"
    "$OPSDECK" lint "$T/bad.ini" >"$T/lint.out" 2>&1
    local st=$?
    [ "$st" -ne 0 ] && has "$(cat "$T/lint.out")" "$want"
}
check "a template with \${QUEUE} in quotes is refused" \
    bad_config "bad.ini:5: action.x: \${QUEUE} inside single quotes" "action.x = x | X | none | echo '\${QUEUE}'"
check "a template with \${QUEUE} in arithmetic is refused" \
    bad_config "bad.ini:5: action.x: \${QUEUE} inside \$(( ))" "action.x = x | X | none | echo \$((\${QUEUE} + 1))"
check "a template with \${QUEUE} in sh -c is refused" \
    bad_config "is in the script that a second shell runs" "action.x = x | X | none | sh -c \"echo \${QUEUE}\""
check "an unknown template variable is refused" \
    bad_config "unknown variable \${QUEU}" "action.x = x | X | none | echo \${QUEU}"
check "\${input} without the input flag is refused" \
    bad_config "unknown variable \${input}" "action.x = x | X | typed | echo \${input}"
check "a key the screen uses is refused" \
    bad_config "the key must be one character not used by the screen" "action.x = q | X | none | true"
check "an unknown flag is refused" \
    bad_config "unknown action flag 'sure'" "action.x = x | X | sure | true"
check "a short action line is refused" \
    bad_config "want KEY | LABEL | FLAGS | COMMAND" "action.x = x | X"
printf '%s\n' '[backend "p"]' 'type = exec' 'pane = topics' 'command = true' >"$T/bad.ini"
check "an unknown pane is refused, naming the line" \
    bash -c '! "$1" lint "$2" 2>&1 | grep -q . || "$1" lint "$2" 2>&1 | grep -q "bad.ini:3: bad pane '"'"'topics'"'"'"' _ "$OPSDECK" "$T/bad.ini"

done_testing
