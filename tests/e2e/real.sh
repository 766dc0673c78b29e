#!/bin/bash
# The console against real servers, as a person uses it: a real Alertmanager
# and a real HAProxy on loopback, plus a backend that never answers. Silence an
# alert and see it silenced; drain a server and see DRAIN; keys stay instant
# while the hung backend shows its error in its own pane only.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
T="$E2E_DIR/srv"
mkdir -p "$T/www" "$T/am"
AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager)
for tool in "$AM_BIN" haproxy curl; do
    command -v "$tool" >/dev/null || { echo "not ok 1 - $tool is installed (scripts/deps --test)"; echo "1..1"; exit 1; }
done

# Alertmanager with one alert
read -r AM_PORT P_WEB1 P_WEB2 P_WEB3 P_FE < <(free_ports 5)
printf "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n" >"$T/am.yml"
"$AM_BIN" --config.file="$T/am.yml" --storage.path="$T/am" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$T/am.log" 2>&1 &
PIDS+=($!)
wait_until 20 curl -sf "http://127.0.0.1:$AM_PORT/-/ready" || { echo "Bail out! alertmanager"; exit 1; }
curl -sf -H 'Content-Type: application/json' -d '[{"labels":{"alertname":"CheckoutErrors",
  "severity":"critical","service":"checkout"},"annotations":{"summary":"checkout 5xx above 5%"}}]' \
    "http://127.0.0.1:$AM_PORT/api/v2/alerts" >/dev/null

# HAProxy with web1, web2 answering and web3 dead
python3 -m http.server "$P_WEB1" --bind 127.0.0.1 --directory "$T/www" >/dev/null 2>&1 &
PIDS+=($!)
python3 -m http.server "$P_WEB2" --bind 127.0.0.1 --directory "$T/www" >/dev/null 2>&1 &
PIDS+=($!)
cat >"$T/haproxy.cfg" <<CFG
global
    stats socket $T/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 10s
    timeout server 10s
frontend fe_web
    bind 127.0.0.1:$P_FE
    default_backend be_web
backend be_web
    option httpchk GET /
    # a slow answer on a loaded test machine must not flap a live server
    timeout check 5s
    default-server inter 1s fall 2 rise 1
    server web1 127.0.0.1:$P_WEB1 check
    server web2 127.0.0.1:$P_WEB2 check
    server web3 127.0.0.1:$P_WEB3 check
CFG
haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
PIDS+=($!)
wait_until 10 test -S "$T/admin.sock" || { echo "Bail out! haproxy"; exit 1; }

# a server that accepts and never answers
python3 "$HERE/../integration/faultserver.py" 300 >"$T/fault.port" &
PIDS+=($!)
wait_until 10 test -s "$T/fault.port"

mkdir -p "$XDG_CONFIG_HOME"
cat >"$T/opsdeck.ini" <<INI
[backend "am"]
type = alertmanager
url = http://127.0.0.1:$AM_PORT
refresh = 1s

[backend "edge"]
type = haproxy
socket = $T/admin.sock
refresh = 1s

[backend "hung"]
type = alertmanager
url = http://127.0.0.1:$(cat "$T/fault.port")/hang
timeout = 3s
retries = 0
INI

e2e_start 160 48 LANG=C.UTF-8 -- -c "$T/opsdeck.ini"
check "the real alert is on screen" wait_line "critical +CheckoutErrors +firing"
check "the real servers are on screen" wait_line "be_web +web1 +UP"
check "web3 goes DOWN by HAProxy's own check" wait_line "be_web +web3 +DOWN" 15
check "no DEMO marker with a real config" bash -c '! tmux -S "$1" capture-pane -p -t main | grep -q "DEMO"' _ "$E2E_SOCK"

# keys stay instant while 'hung' waits on a server that never answers
# only fed panes show: 1 Alerts (am, hung), 2 Pools (edge)
keys 2 / w e b 2
check "typing shows at once while a backend hangs" wait_for "/web2_" 1
keys Enter
check "the filter applies" wait_for "filter: web2"
check "the hung backend's error shows in the Alerts pane title" wait_for "hung: error: timed out after 3000 ms" 15
check "the other backends stay ok" wait_line "am: ok .*edge: ok"

keys d
check "drain asks first" wait_for "Drain server be_web/web2"
keys Tab Enter
check "web2 shows DRAIN from HAProxy itself" wait_line "be_web +web2 +DRAIN" 10
check "HAProxy agrees" bash -c 'echo "show stat" | socat stdio "UNIX-CONNECT:$1" | grep -q "^be_web,web2,.*,DRAIN,"' _ "$T/admin.sock"
keys r Tab Enter
check "ready brings web2 back" wait_line "be_web +web2 +UP" 10
keys Escape

keys 1 / C h e c k o u t Enter
wait_for "filter: Checkout"
keys m
check "silence opens a form with the alert's labels as matchers" \
    wait_for 'Matchers (=, !=, =~, !~): alertname="CheckoutErrors", service="checkout", severity="critical"_'
check "the form has a duration" wait_for "Duration: 2h"
check "and a comment" wait_for "Comment: silenced from opsdeck"
keys C-u
tm send-keys -t main -l 'alertname="CheckoutErrors", service=~"check.*"'
keys Enter C-u 4 5 m Enter C-u
tm send-keys -t main -l 'deploy in progress'
check "the edits show" wait_for "Comment: deploy in progress_"
keys Enter
check "Enter past the last field lands on the Silence button, it does not confirm" wait_for "[ Silence ]"
keys Enter
check "the alert shows silenced, as Alertmanager reports it" wait_line "critical +CheckoutErrors +silenced" 10
silences() {
    curl -sf "http://127.0.0.1:$AM_PORT/api/v2/silences" | python3 -c '
import json, sys
s = [x for x in json.load(sys.stdin) if x["status"]["state"] == "active"]
print(len(s), s[0]["comment"] if s else "", sorted((m["name"], m["value"], m["isRegex"]) for m in (s[0]["matchers"] if s else [])))'
}
check "Alertmanager has the edited silence: the regex matcher, the comment" \
    bash -c '[ "$1" = "1 deploy in progress [('"'"'alertname'"'"', '"'"'CheckoutErrors'"'"', False), ('"'"'service'"'"', '"'"'check.*'"'"', True)]" ]' _ "$(silences)"
keys e Tab Enter
check "expire makes it fire again" wait_line "critical +CheckoutErrors +firing" 10

# the silences view: silence again with the defaults, find it there, expire it there
keys m Enter Enter Enter Enter
check "silenced again" wait_line "critical +CheckoutErrors +silenced" 10
keys Escape v
check "v shows Alertmanager's silences" wait_for "1 Silences 1 active, 0 pending, 1 expired" 10
check "the new silence is active, with the alert's labels" \
    wait_line 'active +alertname="CheckoutErrors", service="checkout"'
check "the expired one with the regex matcher is listed after it" \
    wait_line 'expired +alertname="CheckoutErrors", service=~"check\.\*"'
keys G e
check "the selection stayed on the expired silence: expire asks, Alertmanager is not asked" \
    wait_for "[ Cancel ]  [ Expire ]"
keys Tab Enter
check "and it says it has already expired" wait_for "has already expired"
keys g e
check "expire asks first" wait_for "[ Cancel ]  [ Expire ]"
keys Tab Enter
check "both show expired, from Alertmanager's own list" wait_for "1 Silences 0 active, 0 pending, 2 expired" 10
check "Alertmanager has no active silence left" test "$(silences | cut -c1)" = 0
keys v
check "the alert fires again" wait_line "critical +CheckoutErrors +firing" 10
keys q
check "q quits with status 0" test "$(wait_exit)" = 0
done_testing
