# A real HAProxy on loopback for the integration tests (source it after
# tap.sh, with $T a temp dir and PIDS an array the caller's cleanup kills):
# be_web with web1 and web2 answered by python's http.server and web3 where
# nothing listens (DOWN), the runtime API on $SOCK (level admin) and the stats
# page on $P_STATS. haproxy_start returns once HAProxy agrees on that state;
# hstat SERVER COLUMN reads HAProxy's own `show stat` (through socat).

# HAProxy's own view, columns by header name: hstat SERVER COLUMN
hstat() {
    echo "show stat" | socat -t 2 stdio "UNIX-CONNECT:$SOCK" 2>/dev/null | python3 -c '
import csv, sys
rows = [r for r in csv.reader(sys.stdin) if r]
head = [h.lstrip("# ") for h in rows[0]]
for r in rows[1:]:
    d = dict(zip(head, r))
    if d["pxname"] == "be_web" and d["svname"] == sys.argv[1]:
        print(d[sys.argv[2]])
' "$1" "$2" 2>/dev/null
}
hstat_is() {
    [ "$(hstat "$1" "$2")" = "$3" ]
}

haproxy_start() {
    read -r P_WEB1 P_WEB2 P_DEAD P_FE P_STATS < <(free_ports 5)
    SOCK="$T/admin.sock"

    mkdir -p "$T/www"
    echo ok >"$T/www/index.html"
    python3 -m http.server "$P_WEB1" --bind 127.0.0.1 --directory "$T/www" >"$T/web1.log" 2>&1 &
    PIDS+=($!)
    python3 -m http.server "$P_WEB2" --bind 127.0.0.1 --directory "$T/www" >"$T/web2.log" 2>&1 &
    PIDS+=($!)

    cat >"$T/haproxy.cfg" <<CFG
global
    stats socket $SOCK mode 600 level admin
    stats timeout 30s

defaults
    mode http
    timeout connect 1s
    timeout client  10s
    timeout server  10s

frontend fe_web
    bind 127.0.0.1:$P_FE
    default_backend be_web

backend be_web
    balance roundrobin
    option httpchk GET /
    # a slow answer on a loaded test machine must not flap a live server
    timeout check 5s
    default-server inter 1s fall 2 rise 1
    server web1 127.0.0.1:$P_WEB1 check weight 100
    server web2 127.0.0.1:$P_WEB2 check weight 100
    server web3 127.0.0.1:$P_DEAD check weight 100

frontend stats
    bind 127.0.0.1:$P_STATS
    stats enable
    stats uri /stats
CFG
    haproxy -c -q -f "$T/haproxy.cfg" >"$T/check.log" 2>&1 || bail "haproxy rejects the test config"
    haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
    PIDS+=($!)

    wait_until 10 test -S "$SOCK" || bail "haproxy did not start"
    wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$P_STATS/stats;csv" || bail "no stats page"
    wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$P_WEB1/" || bail "web1 did not start"
    wait_until 10 curl -sf -o /dev/null "http://127.0.0.1:$P_WEB2/" || bail "web2 did not start"
    wait_until 15 hstat_is web3 status DOWN || bail "web3 never went DOWN"
    wait_until 15 hstat_is web1 status UP || bail "web1 is not UP"
    wait_until 15 hstat_is web2 status UP || bail "web2 is not UP"
}
