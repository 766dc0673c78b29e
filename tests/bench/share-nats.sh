#!/bin/bash
# Publish-to-follower latency of the war room over loopback NATS JetStream:
# share_nats_peer bench runs an owner and a follower on one loop against a
# nats-server started here (free port), N events 20 ms apart, and prints
# p50/p95/max from share_nats_publish() to the follower's line callback.
# Args: PEER [N]. Prints numbers, judges nothing (README: benchmarks).
set -u
PEER=${1:?usage: share-nats.sh PEER [N]}
EVENTS=${2:-500}
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/opsdeck-share-nats-bench.XXXXXX)
. "$HERE/../tap.sh"
read -r PORT < <(free_ports 1)
nats-server -a 127.0.0.1 -p "$PORT" -js -sd "$T/js" >"$T/nats.log" 2>&1 &
NATS=$!
trap 'kill $NATS 2>/dev/null; wait $NATS 2>/dev/null; rm -rf "$T"' EXIT
wait_until 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" ||
    bail "nats-server did not start"
"$PEER" bench "nats://127.0.0.1:$PORT" "bench-$$" "$EVENTS"
