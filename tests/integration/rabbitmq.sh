#!/bin/bash
# The rabbitmq backend against a real RabbitMQ (3.10, management + shovel
# plugins), started once for the whole script on free loopback ports with its
# own epmd. Queues, a dead-letter exchange and queue, and messages are made
# through the management API (real dead letters: rejected with
# reject_requeue_false); then `opsdeck snapshot --json` and `opsdeck act`
# (purge, peek, move-back) are checked against RabbitMQ's own API. A real
# consumer (amqpconsume.py, AMQP 0-9-1 in plain Python) holds unacked
# messages and must show in its queue's detail. Errors: a
# wrong password, a refused port, a 500, a server that never answers, the
# shovel plugin disabled at run time. Issue 20: the lists are asked with columns= (through a
# logging proxy) and every column still fills (rates, consumers, dead letters by binding and by
# policy); at the end, the node is killed and started again (same data dir, same ports) under a
# console with backoff_cap = 15s: the pane says the next try, then recovers on its own within
# one capped interval (the recovery time is printed). `opsdeck doctor` as guest (administrator),
# as a real user made with rabbitmqctl WITHOUT the administrator tag (monitoring,
# read on ^orders\. only), as an administrator without read in one vhost, as a
# user without any management tag, with a wrong password, against the failing
# servers and without the shovel plugin; what it says is checked against
# RabbitMQ refusing or allowing the same thing. Then the console in tmux: purge
# through the typed confirmation, peek opening the viewer.
#
# env: OPSDECK = the opsdeck binary. TAP output; exit status 1 when a check fails.
set -u
OPSDECK=${OPSDECK:?set OPSDECK to the opsdeck binary}
RMQ_BIN=/usr/lib/rabbitmq/bin
HERE=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$RMQ_BIN/rabbitmq-server" ] || ! command -v tmux >/dev/null; then
    # not a skip: a suite that quietly tests less is not green (scripts/deps --test installs them)
    echo "not ok 1 - rabbitmq-server and tmux are installed (scripts/deps --test)"
    echo "1..1"
    exit 1
fi

# the tmux helpers (lib.sh) bring tap.sh, a temp dir and their own cleanup
. "$HERE/../e2e/lib.sh"
T="$E2E_DIR/it"
R="$T/rabbitmq"
mkdir -p "$R/home"
PIDS=()
. "$HERE/rabbitmq-lib.sh"
cleanup() {
    rabbitmq_stop
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
    e2e_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export USER=opsdeck-it
AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"

# q FILE EXPR: a Python expression over the JSON in FILE (as d), printed.
# row(name) is that queue's row in the Queues pane (by QUEUE), rows() all of them.
q() {
    python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def rows(source="rabbit"):
    return [r for r in d.get("panes", {}).get("queues", []) if r["source"] == source]
def row(name, source="rabbit"):
    return next((r for r in rows(source) if r["cells"]["QUEUE"] == name), None)
def bykey(key, source="rabbit"):
    return next((r for r in rows(source) if r["key"] == key), None)
def health(name):
    return next(b["health"] for b in d["backends"] if b["name"] == name)
v = eval(sys.argv[2])
print(v if not isinstance(v, bool) else str(v).lower())
PY
}
is() {
    [ "$1" = "$2" ] || {
        echo "#   got:  '$1'"
        echo "#   want: '$2'"
        return 1
    }
}
contains() {
    case "$1" in *"$2"*) return 0 ;; esac
    echo "#   '$1' does not contain '$2'"
    return 1
}

# ---- the server ----

# the port is bound and released: nothing listens there
read -r CLOSED_PORT < <(free_ports 1)
rabbitmq_start "$R"

publish() { # QUEUE PAYLOAD [PROPERTIES]
    api POST /exchanges/%2F/amq.default/publish \
        "{\"properties\":${3:-{\}},\"routing_key\":\"$1\",\"payload\":\"$2\",\"payload_encoding\":\"string\"}" |
        grep -q '"routed":true'
}
# messages QUEUE [VHOST]: RabbitMQ's own count (stats are sampled: use wait_until)
messages() {
    api GET "/queues/${2:-%2F}/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("messages", "none"))'
}
has_messages() { [ "$(messages "$1" "${3:-%2F}")" = "$2" ]; }

api PUT /exchanges/%2F/orders.dlx '{"type":"direct","durable":true}' || bail "exchange"
api PUT /queues/%2F/orders.created.dlq '{"durable":true}' || bail "dlq"
api PUT /queues/%2F/orders.created '{"durable":true,"arguments":{"x-queue-type":"quorum","x-dead-letter-exchange":"orders.dlx","x-dead-letter-routing-key":"orders.created.dlq"}}' || bail "orders"
api POST /bindings/%2F/e/orders.dlx/q/orders.created.dlq '{"routing_key":"orders.created.dlq"}' >/dev/null || bail "binding"
api PUT /queues/%2F/emails.outbound '{"durable":true}' || bail "emails"
api PUT /queues/%2F/idle.q '{"durable":true}' || bail "idle"
api PUT /vhosts/prod '' || bail "vhost"
api PUT /permissions/prod/guest '{"configure":".*","write":".*","read":".*"}' || bail "permissions"
api PUT /queues/prod/jobs '{"durable":true}' || bail "jobs"

for i in 1 2 3 4 5; do
    publish orders.created "{\\\"order_id\\\":$i}" '{"content_type":"application/json","delivery_mode":2}' || bail "publish"
done
for i in 1 2 3 4; do publish emails.outbound "mail $i" || bail "publish"; done
# three orders rejected without requeue: real dead letters, with x-death
api POST /queues/%2F/orders.created/get '{"count":3,"ackmode":"reject_requeue_false","encoding":"auto"}' >/dev/null
wait_until 20 has_messages orders.created.dlq 3 || bail "no dead letters ($(messages orders.created.dlq))"
wait_until 20 has_messages orders.created 2 || bail "orders.created"
wait_until 20 has_messages emails.outbound 4 || bail "emails.outbound"

# ---- opsdeck ----

export RMQ_PASSWORD=guest
CFG="$T/opsdeck.ini"
cat >"$CFG" <<INI
[backend "rabbit"]
type = rabbitmq
url = http://127.0.0.1:$MGMT_PORT
auth = basic
user = guest
password_env = RMQ_PASSWORD
refresh = 1s
INI
check "lint accepts the backend" bash -c '"$1" lint "$2" | grep -q "ok (1 backend"' _ "$OPSDECK" "$CFG"

"$OPSDECK" snapshot --json -c "$CFG" >"$T/s1.json" 2>"$T/s1.err"
check "snapshot exits 0" is "$?" 0
check "the backend is ok" is "$(q "$T/s1.json" 'health("rabbit")')" ok
check "every queue of every vhost: 5 rows" is "$(q "$T/s1.json" 'sorted(r["key"] for r in rows())')" \
    "['%2F/emails.outbound', '%2F/idle.q', '%2F/orders.created', '%2F/orders.created.dlq', 'prod/jobs']"
api GET /queues >"$T/api.json"
check "MSGS, READY, UNACK, CONS, TYPE, STATE, VHOST are RabbitMQ's own" python3 - "$T/s1.json" "$T/api.json" <<'PY'
import json, sys
snap = {r["cells"]["VHOST"] + "|" + r["cells"]["QUEUE"]: r["cells"] for r in json.load(open(sys.argv[1]))["panes"]["queues"]}
api = json.load(open(sys.argv[2]))
assert len(api) == len(snap), (len(api), len(snap))
for x in api:
    c = snap[x["vhost"] + "|" + x["name"]]
    got = (c["MSGS"], c["READY"], c["UNACK"], c["CONS"], c["TYPE"], c["STATE"])
    want = (x.get("messages", 0), x.get("messages_ready", 0), x.get("messages_unacknowledged", 0),
            x["consumers"], x["type"], x["state"])
    assert got == want, (x["name"], got, want)
PY
check "orders.created has 2, its DLQ 3, emails 4" \
    is "$(q "$T/s1.json" '[row(n)["cells"]["MSGS"] for n in ("orders.created", "orders.created.dlq", "emails.outbound")]')" "[2, 3, 4]"
check "orders.created is a quorum queue" is "$(q "$T/s1.json" 'row("orders.created")["cells"]["TYPE"]')" quorum
check "an idle queue shows zeros, not an error" \
    is "$(q "$T/s1.json" '[row("idle.q")["cells"][c] for c in ("MSGS","IN/s","OUT/s","ACK/s","CONS")]')" "[0, 0, 0, 0, 0]"
check "the source links to its DLQ" is "$(q "$T/s1.json" 'row("orders.created")["cells"]["DLQ"]')" orders.created.dlq
check "the DLQ links back" is "$(q "$T/s1.json" 'row("orders.created.dlq")["cells"]["DLQ"]')" "<- orders.created"
check "the detail says how it was resolved" \
    is "$(q "$T/s1.json" 'row("orders.created")["detail"]["dead-letter resolved by"]')" \
    "binding of orders.dlx with routing key 'orders.created.dlq'"
check "a DLQ with messages stands out (crit)" is "$(q "$T/s1.json" 'row("orders.created.dlq")["tone"]')" crit
check "detail: arguments, node, policy" \
    is "$(q "$T/s1.json" 'row("orders.created")["detail"]["argument.x-dead-letter-exchange"] + " " + str(row("orders.created")["detail"]["node"] == "'"$RABBITMQ_NODENAME"'") + " " + row("orders.created")["detail"]["policy"]')" \
    "orders.dlx True (none)"
check "the prod vhost's queue is there" is "$(q "$T/s1.json" 'row("jobs")["cells"]["VHOST"]')" prod

# ---- peek ----

"$OPSDECK" act --yes -c "$CFG" rabbit queues peek %2F/orders.created.dlq --input 10 >"$T/peek.out" 2>"$T/peek.err"
check "peek exits 0" is "$?" 0
check "peek sums up" is "$(head -1 "$T/peek.out")" \
    "peeked 3 messages of orders.created.dlq (requeued: still in the queue, marked redelivered)"
check "and shows every message" is "$(grep -c '^--- message' "$T/peek.out")" 3
check "with its payload" grep -q '^{"order_id":1}$' "$T/peek.out"
check "its x-death (rejected from orders.created)" \
    grep -q "x-death: queue orders.created, reason rejected, count 1" "$T/peek.out"
check "and its properties" grep -q "content_type: application/json" "$T/peek.out"
sleep 2
check "the messages are still in the DLQ (RabbitMQ says 3)" is "$(messages orders.created.dlq)" 3
check "the audit log has the first line only, not the payloads" python3 - "$AUDIT" <<'PY'
import json, sys
mine = [json.loads(l) for l in open(sys.argv[1]) if '"peek"' in l]
assert [m["result"] for m in mine] == ["started", "ok"], mine
assert mine[1]["data"]["message"].startswith("peeked 3 messages"), mine[1]
assert "order_id" not in json.dumps(mine), mine
assert mine[1]["data"]["input"] == "10", mine[1]
PY
"$OPSDECK" act --yes -c "$CFG" rabbit queues peek %2F/orders.created.dlq --input 0 >/dev/null 2>"$T/act.err"
check "a bad count exits 1, saying so" contains "$(cat "$T/act.err")" "bad count '0' (1 to 100)"

# ---- purge ----

"$OPSDECK" act --yes -c "$CFG" rabbit queues purge %2F/emails.outbound >"$T/act.out" 2>"$T/act.err"
check "purge exits 0" is "$?" 0
check "and says what it did" is "$(cat "$T/act.out")" "purged emails.outbound (4 messages at the last refresh)"
check "RabbitMQ's own API says it is empty" wait_until 15 has_messages emails.outbound 0
snap_says() { # NAME COLUMN VALUE
    "$OPSDECK" snapshot --json -c "$CFG" >"$T/sw.json" 2>/dev/null
    [ "$(q "$T/sw.json" "row('$1')['cells']['$2']")" = "$3" ]
}
check "and so does the snapshot" wait_until 15 snap_says emails.outbound MSGS 0
check "the other queues are untouched" is "$(messages orders.created.dlq)" 3
"$OPSDECK" act --yes -c "$CFG" rabbit queues purge %2F/nope >/dev/null 2>"$T/act.err"
check "purging a queue that does not exist exits 1, saying so" \
    contains "$(cat "$T/act.err")" "no queue 'nope' in vhost '/' (HTTP 404)"
"$OPSDECK" act --yes -c "$CFG" rabbit queues purge nokey >/dev/null 2>"$T/act.err"
check "a malformed target is refused" contains "$(cat "$T/act.err")" "bad queue 'nokey'"

# ---- move-back ----

"$OPSDECK" act --yes -c "$CFG" rabbit queues moveback %2F/emails.outbound >/dev/null 2>"$T/act.err"
check "move-back on a queue without dead letters is refused" \
    contains "$(cat "$T/act.err")" "emails.outbound is not a dead-letter queue of any queue here"
"$OPSDECK" act --yes -c "$CFG" rabbit queues moveback %2F/orders.created.dlq >"$T/act.out" 2>"$T/act.err"
check "move-back exits 0" is "$?" 0
check "and says what it does" is "$(cat "$T/act.out")" \
    "moving 3 messages from orders.created.dlq back to orders.created (a shovel that removes itself when done)"
check "RabbitMQ: the DLQ drains" wait_until 20 has_messages orders.created.dlq 0
check "RabbitMQ: into its source (2 + 3)" wait_until 20 has_messages orders.created 5
no_shovel() { [ "$(api GET /parameters/shovel)" = "[]" ]; }
check "the shovel removed itself" wait_until 20 no_shovel
check "the audit log has the move-back" bash -c 'grep "\"moveback\"" "$1" | tail -1 | grep -q "\"result\":\"ok\""' _ "$AUDIT"

# ---- a real consumer ----

# amqpconsume.py speaks AMQP 0-9-1 itself (no client library): prefetch 3 on prod/jobs, never
# acking, so 3 of its 5 messages stay unacked; /jobs has the same name in another vhost
api PUT /queues/%2F/jobs '{"durable":true}' || bail "/jobs"
for i in 1 2 3 4 5; do
    api POST /exchanges/prod/amq.default/publish \
        "{\"properties\":{},\"routing_key\":\"jobs\",\"payload\":\"job $i\",\"payload_encoding\":\"string\"}" |
        grep -q '"routed":true' || bail "publish to prod/jobs"
done
python3 -u "$HERE/amqpconsume.py" 127.0.0.1 "$AMQP_PORT" prod jobs billing-1 3 >"$T/consumer.out" 2>"$T/consumer.log" &
PIDS+=($!)
wait_until 15 grep -qx ready "$T/consumer.out" || bail "the AMQP consumer did not start"
listed() { api GET /consumers/prod | grep -q '"consumer_tag":"billing-1"'; }
check "RabbitMQ lists the consumer in /api/consumers" wait_until 15 listed
unacked() { # RabbitMQ's own count for prod/jobs (stats are sampled every second)
    api GET /queues/prod/jobs | python3 -c 'import json,sys; print(json.load(sys.stdin).get("messages_unacknowledged", "none"))'
}
holds_three() { [ "$(unacked)" = 3 ] && [ "$(messages jobs prod)" = 5 ]; }
check "RabbitMQ: 3 unacked (prefetch 3, never acked), 5 in all" wait_until 15 holds_three
"$OPSDECK" snapshot --json -c "$CFG" >"$T/c.json" 2>/dev/null
check "the snapshot with a consumer exits 0" is "$?" 0
check "CONS is 1" is "$(q "$T/c.json" 'bykey("prod/jobs")["cells"]["CONS"]')" 1
check "UNACK is RabbitMQ's own (3), READY 2" \
    is "$(q "$T/c.json" '[bykey("prod/jobs")["cells"][c] for c in ("UNACK", "READY")]')" "[$(unacked), 2]"
check "the detail lists the consumer: tag, channel, user, prefetch, ack, active" python3 - "$T/c.json" "$AMQP_PORT" <<'PY'
import json, re, sys
r = next(r for r in json.load(open(sys.argv[1]))["panes"]["queues"] if r["key"] == "prod/jobs")
v = r["detail"].get("consumer.1", "(none)")
want = (r"billing-1 on 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:%s \(1\), user guest, prefetch 3, "
        r"ack required, active" % sys.argv[2])
assert re.fullmatch(want, v), v
assert "consumer.2" not in r["detail"] and "consumers" not in r["detail"], r["detail"]
PY
check "the same name in another vhost has no consumer" \
    is "$(q "$T/c.json" '[k for k in bykey("%2F/jobs")["detail"] if k.startswith("consumer")]')" "[]"

# proxy NAME REFUSE: a proxy in front of the management API on a free port ($T/proxy-NAME.port);
# it logs each GET as "PATH BYTES" ($T/proxy-NAME.req); REFUSE=1: /api/consumers answers 403 as
# RabbitMQ would (as by a proxy or an old server)
proxy() {
    python3 - "$MGMT_PORT" "$2" "$T/proxy-$1.req" >"$T/proxy-$1.port" 2>"$T/proxy-$1.log" <<'PY' &
import http.server, sys, urllib.error, urllib.request
up, refuse, log = "http://127.0.0.1:%s" % sys.argv[1], sys.argv[2] == "1", sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        if refuse and self.path.startswith("/api/consumers"):
            status, body = 403, b'{"error":"not_authorised","reason":"Access refused."}'
        else:
            req = urllib.request.Request(up + self.path, headers={"Authorization": self.headers.get("Authorization", "")})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    status, body = r.status, r.read()
            except urllib.error.HTTPError as e:
                status, body = e.code, e.read()
        with open(log, "a") as f:
            f.write("%s %d\n" % (self.path, len(body)))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
    PIDS+=($!)
    wait_until 10 test -s "$T/proxy-$1.port" || bail "the proxy $1 did not start"
    sed "s|^url = .*|url = http://127.0.0.1:$(cat "$T/proxy-$1.port")|" "$CFG" >"$T/proxy-$1.ini"
}

# the consumers request refused: the queues still show
proxy refusing 1
"$OPSDECK" snapshot --json -c "$T/proxy-refusing.ini" >"$T/nc.json" 2>/dev/null
check "consumers refused (403): the snapshot still exits 0, the backend ok" \
    is "$?-$(q "$T/nc.json" 'health("rabbit")')" "0-ok"
check "with every queue" is "$(q "$T/nc.json" 'len(rows())')" "$(q "$T/c.json" 'len(rows())')"
check "and the detail says the consumers are unavailable, and why" \
    is "$(q "$T/nc.json" 'bykey("prod/jobs")["detail"].get("consumers")')" \
    "unavailable: HTTP 403 Forbidden: Access refused."
check "CONS still from the queues" is "$(q "$T/nc.json" 'bykey("prod/jobs")["cells"]["CONS"]')" 1

# ---- columns= (issue 20): only what the rows need, and every column still fills ----

# a queue in use (published to and read from every 0.2 s: IN/s and OUT/s), dead-lettering through
# a policy to the default exchange (the dead-letter info from effective_policy_definition)
api PUT /queues/%2F/rates.q '{"durable":true}' || bail "rates.q"
api PUT /queues/%2F/rates.dlq '{"durable":true}' || bail "rates.dlq"
api PUT /policies/%2F/rates-dl \
    '{"pattern":"^rates\\.q$","apply-to":"queues","definition":{"dead-letter-exchange":"","dead-letter-routing-key":"rates.dlq"}}' ||
    bail "policy"
(
    for _ in $(seq 1 400); do
        publish rates.q r >/dev/null 2>&1
        api POST /queues/%2F/rates.q/get '{"count":1,"ackmode":"ack_requeue_false","encoding":"auto"}' >/dev/null 2>&1
        sleep 0.2
    done
) &
RATES_PID=$!
PIDS+=($RATES_PID)
rates_up() {
    api GET /queues/%2F/rates.q | python3 -c 'import json,sys; s=json.load(sys.stdin).get("message_stats",{}); assert s["publish_details"]["rate"] > 0 and s["deliver_get_details"]["rate"] > 0'
}
wait_until 30 rates_up || bail "RabbitMQ shows no rates for rates.q"
proxy passing 0
"$OPSDECK" snapshot --json -c "$T/proxy-passing.ini" >"$T/cols.json" 2>/dev/null
check "through a logging proxy: the snapshot exits 0, the backend ok" \
    is "$?-$(q "$T/cols.json" 'health("rabbit")')" "0-ok"
check "the queues, bindings and consumers were asked with columns=" \
    is "$(head -3 "$T/proxy-passing.req" | grep -cE '^/api/(queues|bindings|consumers)\?columns=[a-z_.,]+ [0-9]+$')" 3
# RabbitMQ samples its rates (a busy host shows 0 between two samples): asked until they show
rate_shows() { # COLUMN
    "$OPSDECK" snapshot --json -c "$T/proxy-passing.ini" >"$T/rate.json" 2>/dev/null
    [ "$(q "$T/rate.json" 'row("rates.q")["cells"]["'"$1"'"] > 0')" = true ]
}
check "IN/s of a queue in use fills (message_stats.publish_details.rate, a nested column)" \
    wait_until 40 rate_shows IN/s
check "OUT/s too (message_stats.deliver_get_details.rate)" wait_until 40 rate_shows OUT/s
api GET /queues >"$T/api-whole.json"
check "every cell and detail line that RabbitMQ's whole answer has (not only the columns) fills" \
    python3 - "$T/cols.json" "$T/api-whole.json" <<'PY'
import json, sys
snap = {r["cells"]["VHOST"] + "|" + r["cells"]["QUEUE"]: r for r in json.load(open(sys.argv[1]))["panes"]["queues"]}
api = json.load(open(sys.argv[2]))
assert len(api) == len(snap), (len(api), len(snap))
for x in api:
    r = snap[x["vhost"] + "|" + x["name"]]
    c, d = r["cells"], r["detail"]
    if not x["name"].startswith("rates."):  # in use: its counts move between the two reads
        got = (c["MSGS"], c["READY"], c["UNACK"], c["CONS"], c["TYPE"], c["STATE"])
        want = (x.get("messages", 0), x.get("messages_ready", 0), x.get("messages_unacknowledged", 0),
                x["consumers"], x["type"], x["state"])
        assert got == want, (x["name"], got, want)
    assert d.get("node") == x["node"] and d.get("durable") == str(x["durable"]).lower(), (x["name"], d)
    assert ("leader" in d) == ("leader" in x) and ("memory" in d) == ("memory" in x), (x["name"], d)
    assert d.get("policy") == (x["policy"] or "(none)"), (x["name"], d)
    for k in x.get("arguments") or {}:
        assert "argument." + k in d, (x["name"], k, d)
    for k in x.get("effective_policy_definition") or {}:
        assert "effective_policy." + k in d, (x["name"], k, d)
PY
check "consumers: the consumer's line in the detail" \
    contains "$(q "$T/cols.json" 'bykey("prod/jobs")["detail"].get("consumer.1", "")')" "billing-1 on 127.0.0.1:"
check "dead letters through a policy: resolved, set by the policy" \
    is "$(q "$T/cols.json" '[row("rates.q")["cells"]["DLQ"], row("rates.q")["detail"]["dead-letter set by"], row("rates.dlq")["cells"]["DLQ"]]')" \
    "['rates.dlq', 'policy', '<- rates.q']"
check "through a binding: resolved (bindings asked with columns=)" \
    is "$(q "$T/cols.json" 'row("orders.created")["detail"]["dead-letter resolved by"]')" \
    "binding of orders.dlx with routing key 'orders.created.dlq'"
check "the detail keeps node, leader (quorum), memory, durable, policy" \
    is "$(q "$T/cols.json" '[k in row("orders.created")["detail"] for k in ("node", "leader", "memory", "durable", "policy")] + [row("rates.q")["detail"]["policy"]]')" \
    "[True, True, True, True, True, 'rates-dl']"
full=$(api GET /queues | wc -c)
asked=$(sed -n '1s|^/api/queues?columns=[^ ]* \([0-9]*\)$|\1|p' "$T/proxy-passing.req")
echo "# /api/queues: $full bytes whole, ${asked:-?} bytes with columns= ($(q "$T/cols.json" 'len(rows())') queues)"
check "and the answer is smaller than the whole list" test "${asked:-$full}" -lt "$full"
kill "$RATES_PID" 2>/dev/null
wait "$RATES_PID" 2>/dev/null
api DELETE /policies/%2F/rates-dl >/dev/null
api DELETE /queues/%2F/rates.q >/dev/null
api DELETE /queues/%2F/rates.dlq >/dev/null

# ---- one vhost ----

cat >"$T/vhost.ini" <<INI
[backend "rabbit"]
type = rabbitmq
url = http://127.0.0.1:$MGMT_PORT
auth = basic
user = guest
password_env = RMQ_PASSWORD
vhost = prod
INI
"$OPSDECK" snapshot --json -c "$T/vhost.ini" >"$T/v.json" 2>/dev/null
check "vhost = prod shows only prod's queues" is "$(q "$T/v.json" '[r["key"] for r in rows()]')" "['prod/jobs']"
check "and its consumer, through /api/consumers/prod" \
    contains "$(q "$T/v.json" 'bykey("prod/jobs")["detail"].get("consumer.1", "")')" "billing-1 on 127.0.0.1:"

# ---- opsdeck doctor ----

# doctor NAME CONFIG [ENV...]: `opsdeck doctor` into $T/doctor-NAME.out, its status in .rc
doctor() {
    local name=$1 cfg=$2
    shift 2
    env "$@" "$OPSDECK" doctor -c "$cfg" >"$T/doctor-$name.out" 2>"$T/doctor-$name.err"
    echo $? >"$T/doctor-$name.rc"
}
# has NAME LINE: doctor NAME printed exactly LINE
has() {
    grep -qxF -- "$2" "$T/doctor-$1.out" || {
        echo "#   no line '$2' in:"
        sed 's/^/#     /' "$T/doctor-$1.out"
        return 1
    }
}
RMQ_VERSION=$(rabbitmqctl version 2>/dev/null)
echo "# rabbitmqctl version: $RMQ_VERSION"
doctor admin "$CFG"
check "doctor as guest (administrator) exits 0" is "$(cat "$T/doctor-admin.rc")" 0
check "it names RabbitMQ's version, as rabbitmqctl says it" \
    grep -qE "^  ok    RabbitMQ ${RMQ_VERSION//./\\.} \(management ${RMQ_VERSION//./\\.}, Erlang [0-9.]+\), cluster '[^']+', node $RABBITMQ_NODENAME\$" \
    "$T/doctor-admin.out"
check "who answered: guest with its tags" has admin "  ok    authenticated as 'guest', tags [administrator]"
check "an administrator's read permissions are listed, vhost by vhost" \
    has admin "  ok    actions: purge, peek possible on the queues that match the read permission of 'guest' in vhost '/' (read '.*'), 'prod' (read '.*')"
check "move-back: the tag and the shovel plugin are there" \
    has admin "  ok    actions: move-back possible: 'guest' may create shovels (tags [administrator]), the shovel plugin is enabled"
check "no WARN, no FAIL" bash -c '! grep -qE "^  (WARN|FAIL)" "$1"' _ "$T/doctor-admin.out"
check "doctor changed nothing: no shovel parameter was made to find out" no_shovel
check "and the queues hold what they held" is "$(messages orders.created)" 5

# a real user WITHOUT the administrator tag: monitoring, reading only the orders queues of /
rabbitmqctl add_user ops ops-secret >"$T/ctl.log" 2>&1 || bail "rabbitmqctl add_user"
rabbitmqctl set_user_tags ops monitoring >>"$T/ctl.log" 2>&1 || bail "rabbitmqctl set_user_tags"
rabbitmqctl set_permissions -p / ops '' '' '^orders\.' >>"$T/ctl.log" 2>&1 || bail "rabbitmqctl set_permissions"
sed -e 's/^user = guest/user = ops/' -e 's/^password_env = .*/password_env = OPS_PASSWORD/' "$CFG" >"$T/ops.ini"
doctor ops "$T/ops.ini" OPS_PASSWORD=ops-secret
check "doctor as ops (monitoring) exits 0: refused actions are warnings" is "$(cat "$T/doctor-ops.rc")" 0
check "it polled: ops sees the queues" grep -qE "^  ok    answered in [0-9]+ ms: [0-9]+ queues?" "$T/doctor-ops.out"
check "who answered: ops, tags [monitoring]" has ops "  ok    authenticated as 'ops', tags [monitoring]"
check "purge, peek: the read permission cannot be listed without the administrator tag, said so" \
    has ops "  info  actions: purge, peek need read permission on the queue; only an administrator may list permissions, so RabbitMQ will tell at the action (rabbitmqctl list_user_permissions ops)"
check "move-back denied: the tag it needs, the tags ops has, RabbitMQ's own words" \
    has ops "  WARN  actions: move-back denied: it creates a shovel (a runtime parameter), which needs the policymaker or administrator tag; 'ops' has tags [monitoring] (RabbitMQ: HTTP 401 Unauthorized: User not authorised to access object)"
check "the counts line says 1 warning, 0 failures" grep -qE "^[0-9]+ ok, [0-9]+ info, 1 warnings?, 0 failures" "$T/doctor-ops.out"
check "RabbitMQ agrees: ops may not create a shovel" \
    contains "$(curl -s -u ops:ops-secret -XPUT -H 'content-type: application/json' \
        --data-binary '{"value":{"src-uri":"amqp://","src-queue":"a","dest-uri":"amqp://","dest-queue":"b"}}' \
        "$API/parameters/shovel/%2F/probe")" "not_authorised"
OPS_PASSWORD=ops-secret "$OPSDECK" act --yes -c "$T/ops.ini" rabbit queues peek %2F/emails.outbound --input 1 >/dev/null 2>"$T/act.err"
check "and at the action, RabbitMQ tells: no read permission on emails.outbound" \
    contains "$(cat "$T/act.err")" "ACCESS_REFUSED - access to queue 'emails.outbound' in vhost '/' refused for user 'ops'"
OPS_PASSWORD=ops-secret "$OPSDECK" act --yes -c "$T/ops.ini" rabbit queues peek %2F/orders.created --input 1 >/dev/null 2>"$T/act.err"
check "while orders.created, which ^orders\\. matches, may be peeked" is "$?" 0

# an administrator that may not read in prod: the permission listing says so
# (made through the API: each rabbitmqctl starts an Erlang VM, seconds on a loaded machine)
api PUT /users/root2 '{"password":"root2-secret","tags":"administrator"}' || bail "user root2"
api PUT /permissions/%2F/root2 '{"configure":".*","write":".*","read":".*"}' || bail "root2 on /"
api PUT /permissions/prod/root2 '{"configure":".*","write":".*","read":""}' || bail "root2 on prod"
sed -e 's/^user = guest/user = root2/' -e 's/^password_env = .*/password_env = ROOT2_PASSWORD/' "$CFG" >"$T/root2.ini"
doctor root2 "$T/root2.ini" ROOT2_PASSWORD=root2-secret
check "an administrator without read permission in prod: purge, peek denied there (WARN)" \
    has root2 "  WARN  actions: purge, peek denied in vhost 'prod': 'root2' has no read permission there"
check "and possible in /" \
    has root2 "  ok    actions: purge, peek possible on the queues that match the read permission of 'root2' in vhost '/' (read '.*')"

# a user without any tag may log in over AMQP but not use the management API
api PUT /users/amqponly '{"password":"amqp-secret","tags":""}' || bail "user amqponly"
api PUT /permissions/%2F/amqponly '{"configure":".*","write":".*","read":".*"}' || bail "amqponly on /"
sed -e 's/^user = guest/user = amqponly/' -e 's/^password_env = .*/password_env = AMQP_PASSWORD/' "$CFG" >"$T/amqponly.ini"
doctor amqponly "$T/amqponly.ini" AMQP_PASSWORD=amqp-secret
check "a user without a management tag: doctor exits 1" is "$(cat "$T/doctor-amqponly.rc")" 1
check "saying which tag to give it" \
    has amqponly "  FAIL  authentication: user 'amqponly' logged in, but may not use the management API (HTTP 401, RabbitMQ says 'Not management user'): give it a tag (rabbitmqctl set_user_tags amqponly monitoring)"
doctor badpw "$T/ops.ini" OPS_PASSWORD=wrong
check "a wrong password: doctor exits 1" is "$(cat "$T/doctor-badpw.rc")" 1
check "authentication failed, in RabbitMQ's words" \
    has badpw "  FAIL  authentication failed (HTTP 401, RabbitMQ says 'Login failed'): user 'ops'"
check "no secret in doctor's output" bash -c '! grep -q "ops-secret\|root2-secret\|amqp-secret" "$1"/doctor-*.out "$1"/doctor-*.err' _ "$T"

# ---- failures ----

python3 "$HERE/faultserver.py" 300 >"$T/fault.port" &
PIDS+=($!)
wait_until 10 test -s "$T/fault.port" || bail "faultserver"
FAULT=$(cat "$T/fault.port")
cat >"$T/bad.ini" <<INI
[backend "rabbit"]
type = rabbitmq
url = http://127.0.0.1:$MGMT_PORT
auth = basic
user = guest
password_env = RMQ_BAD

[backend "gone"]
type = rabbitmq
url = http://127.0.0.1:$CLOSED_PORT
retries = 0

[backend "broken"]
type = rabbitmq
url = http://127.0.0.1:$FAULT/status/500
retries = 0

[backend "hung"]
type = rabbitmq
url = http://127.0.0.1:$FAULT/hang
timeout = 2s
retries = 0
INI
STARTED=$SECONDS
RMQ_BAD=wrong "$OPSDECK" snapshot --json -c "$T/bad.ini" >"$T/bad.json" 2>/dev/null
check "snapshot exits 1 when backends fail" is "$?" 1
check "a wrong password: RabbitMQ's 401, said plainly (then when the next try is)" \
    bash -c '[[ $1 =~ ^"error: HTTP 401 Unauthorized: Login failed"(", next try in "[0-9]+s)?$ ]] || { echo "#   got: $1"; false; }' \
    _ "$(q "$T/bad.json" 'health("rabbit")')"
check "a refused port: a connection error" \
    is "$(q "$T/bad.json" '"refused" in health("gone") or "onnect" in health("gone")')" true
check "a 500 shows its status" contains "$(q "$T/bad.json" 'health("broken")')" "error: HTTP 500"
check "a server that never answers times out" \
    contains "$(q "$T/bad.json" 'health("hung")')" "error: timed out after 2000 ms"
echo "# the failing snapshot took $((SECONDS - STARTED)) s"
# bounded by the timeouts (a loaded machine adds a few seconds), never by the hung server
check "and the snapshot did not wait on the hung server" test $((SECONDS - STARTED)) -le 20
STARTED=$SECONDS
doctor bad "$T/bad.ini" RMQ_BAD=wrong
echo "# doctor on the failing backends took $((SECONDS - STARTED)) s"
check "doctor on the failing backends exits 1" is "$(cat "$T/doctor-bad.rc")" 1
check "the wrong password: authentication failed, in RabbitMQ's words" \
    has bad "  FAIL  authentication failed (HTTP 401, RabbitMQ says 'Login failed'): user 'guest'"
# the first poll says a refused or failing server; the probe's repeat of it is left out
check "the refused port: said once, by the first poll" \
    is "$(grep -cE '^  FAIL  .*(refused|onnect)' "$T/doctor-bad.out")-$(grep -cE '^  FAIL  first poll failed after [0-9]+ ms: .*(refused|onnect)' "$T/doctor-bad.out")" 1-1
check "the 500: said with its status" grep -qE "^  FAIL  first poll failed after [0-9]+ ms: HTTP 500" "$T/doctor-bad.out"
# hung: timeout 2s: the poll and the probe's first request each time out (4 s), inside the
# driver's bound of 2 x 2 + 1 = 5 s; the backends are checked in parallel
check "the hung server: timed out, said once" \
    is "$(grep -c '^  FAIL  .*timed out after 2000 ms' "$T/doctor-bad.out")" 1
check "and doctor did not wait longer on it (under 12 s on a loaded machine)" test $((SECONDS - STARTED)) -le 12

# ---- the shovel plugin disabled at run time ----

publish orders.created.dlq "late letter" || bail "publish"
rabbitmq-plugins disable rabbitmq_shovel_management rabbitmq_shovel >"$T/disable.log" 2>&1 ||
    bail "cannot disable the shovel plugins"
"$OPSDECK" act --yes -c "$CFG" rabbit queues moveback %2F/orders.created.dlq >/dev/null 2>"$T/act.err"
check "without the shovel plugin move-back exits 1" is "$?" 1
check "saying which plugins to enable" contains "$(cat "$T/act.err")" \
    "the shovel plugin is not enabled: enable rabbitmq_shovel and rabbitmq_shovel_management"
doctor noshovel "$CFG"
check "doctor without the shovel plugin: move-back impossible, which plugins to enable (WARN)" \
    has noshovel "  WARN  actions: move-back impossible: the shovel plugin is not enabled: enable rabbitmq_shovel and rabbitmq_shovel_management (rabbitmq-plugins enable rabbitmq_shovel rabbitmq_shovel_management)"
check "RabbitMQ itself answers 400 'component shovel not found'" \
    contains "$(curl -s -u guest:guest -XPUT -H 'content-type: application/json' \
        --data-binary '{"value":{"src-uri":"amqp://","src-queue":"a","dest-uri":"amqp://","dest-queue":"b"}}' \
        "$API/parameters/shovel/%2F/probe")" "component shovel not found"

# ---- the console in tmux ----

for i in 1 2 3; do publish emails.outbound "again $i" || bail "publish"; done
wait_until 15 has_messages emails.outbound 3 || bail "emails.outbound refill"
e2e_start 80 24 LANG=C.UTF-8 RMQ_PASSWORD=guest -- -c "$CFG"
keys 1
check "the Queues pane shows the real queues" wait_line "emails\.outbound( +/)?( +running)? +3 " 15
check "at 80 columns the header reads, the DLQ column kept over VHOST and STATE" \
    wait_line "QUEUE +MSGS +READY +UNACK +CONS +IN/s +OUT/s +TREND +DLQ"
check "and the link shows, cut to fit" wait_line "orders\.created +5 .*orders\.creat"
keys / e m a i l s Enter
wait_for "filter: emails"
keys P
check "purge asks, naming the queue" wait_for "Purge queue %2F/emails.outbound"
check "and wants the queue's name typed, not its key" wait_for "Type 'emails.outbound' to confirm"
keys Tab Enter
check "without the typed name, nothing happens" wait_for "Purge queue %2F/emails.outbound"
keys Escape
check "Esc cancels" wait_for "cancelled: Purge queue %2F/emails.outbound"
keys P
wait_for "to confirm: _"
tm send-keys -t main -l 'emails.outbound'
check "the typed name shows" wait_for "Type 'emails.outbound' to confirm: emails.outbound_"
keys Tab Enter
check "purged, says the status bar" wait_for "purged emails.outbound" 10
check "the row shows it empty" wait_line "emails\.outbound( +/)?( +running)? +0 " 15
check "RabbitMQ agrees" wait_until 10 has_messages emails.outbound 0
# the DLQ's own row: its DLQ cell points back ("<- orders.created")
keys Escape /
tm send-keys -t main -l '<- orders'
keys Enter
wait_for "filter: <- orders"
check "the DLQ's row links back to its source" wait_line "orders\.created\.dlq .*<- orders\.cr"
keys p
check "peek asks for a count, 5 by default" wait_for "5_"
keys Tab Enter
check "the viewer opens with the messages" wait_for "--- message 1 of 1 ---" 10
check "showing the payload" wait_for "late letter"
check "the status bar sums up" wait_for "peeked 1 message of"
keys q
check "q closes the viewer, back to the table" wait_gone "--- message 1 of 1 ---"
keys M
check "move-back says how many messages go where" \
    wait_for "Moves 1 message from orders.created.dlq back to orders.created."
check "and warns that nobody consumes the destination" \
    wait_for "Warning: orders.created has no consumers"
check "RabbitMQ agrees: orders.created has no consumer" \
    test "$(curl -s -u guest:guest "$API/queues/%2F/orders.created" | python3 -c 'import json,sys; print(json.load(sys.stdin)["consumers"])')" = 0
keys Escape
check "Esc cancels the move-back" wait_for "cancelled: Move dead letters back %2F/orders.created.dlq"
keys q
check "q quits with status 0" test "$(wait_exit)" = 0


# ---- RabbitMQ stopped and started mid-run (issue 20): backoff, then back on its own ----

# refresh 1 s, backoff_cap 15 s: during the outage the pane says when the next try is, the
# tries thin out (the next one up to 15 s away, never further), and once the server is back
# the console finds it within one capped interval, without a key
cat >"$T/recover.ini" <<INI
[backend "rabbit"]
type = rabbitmq
url = http://127.0.0.1:$MGMT_PORT
auth = basic
user = guest
password_env = RMQ_PASSWORD
refresh = 1s
timeout = 5s
backoff_cap = 15s
INI
e2e_start 200 30 LANG=C.UTF-8 RMQ_PASSWORD=guest -- -c "$T/recover.ini"
keys 1
check "the console shows the queues" wait_line "orders\.created\.dlq" 15
# the outage: the node killed as a crash or the OOM killer would (its ports close at once);
# epmd stays, as on a host whose broker died
kill -KILL "$(cat "$RMQ_DIR/rabbitmq.pid")" || bail "cannot kill the RabbitMQ node"
down_at=$EPOCHREALTIME
check "the pane goes to error, saying when it tries next" \
    wait_line "rabbit: error: .*, next try in [0-9]+s" 20
# watch the next try for 20 s: with a 1 s refresh it says 1s or less without backoff
max_next=0
until [ "${EPOCHREALTIME%.*}" -ge $((${down_at%.*} + 20)) ]; do
    n=$(screen | sed -n 's/.*rabbit: error: .*, next try in \([0-9]*\)s.*/\1/p' | head -1)
    [ -n "$n" ] && [ "$n" -gt "$max_next" ] && max_next=$n
    sleep 0.5
done
echo "# while down, the next try was up to ${max_next} s away (refresh 1 s, backoff_cap 15 s)"
check "the tries thin out: the next try was more than the 1 s refresh away" test "$max_next" -ge 2
check "and never further than backoff_cap (15 s)" test "$max_next" -le 15
# started again: the same node, data dir and ports
rabbitmq-server >>"$T/rabbitmq-restart.log" 2>&1 &
PIDS+=($!)
wait_until 120 curl -sf -u guest:guest "$API/overview" || bail "RabbitMQ did not start again"
back_at=$EPOCHREALTIME
check "the console finds it on its own (no key): the error goes" \
    poll_until 40 screen_lacks -F "rabbit: error"
ok_at=$EPOCHREALTIME
recovery=$(python3 -c "print('%.1f' % ($ok_at - $back_at))")
echo "# RabbitMQ was down $(python3 -c "print('%.0f' % ($back_at - $down_at))") s; the pane recovered $recovery s after its API answered again (backoff_cap 15 s)"
check "within one capped interval (15 s, + 3 s for the poll and the screen)" \
    python3 -c "import sys; sys.exit(0 if $ok_at - $back_at <= 18 else 1)"
check "with the queues as RabbitMQ has them" wait_line "orders\.created\.dlq" 5
keys q
check "q quits with status 0" test "$(wait_exit)" = 0

done_testing
