#!/usr/bin/env python3
"""The other JSON lists of issue 19: a RabbitMQ management API (a test server
in this process: /api/queues, /api/bindings, /api/consumers in RabbitMQ's
shape, about 1.3 KB a queue) with N queues, the console in a pty at 120x30,
refresh 2 s. Reports (judges nothing):

  peak RSS   VmHWM of the console (/proc/PID/status) after the idle stretch
  idle CPU   user + system time over an idle stretch, the payload unchanged:
             percent of one core
  keys       j/k -> first byte of the answer, at irregular intervals while the
             payload churns (every answer changes: each queue's count), so
             keys land during refreshes; median, p95, p99, max

usage: bench_lists.py OPSDECK [--before OPSDECK] [--queues 10000,50000]
                      [--idle S] [--keys S]
"""
import argparse
import http.server
import json
import os
import random
import select
import sys
import tempfile
import threading
import time

import benchpty
from benchpty import cpu_s, drain, quiet, vm_mib

COLS, ROWS = 120, 30


def spawn(argv, env):
    return benchpty.spawn(argv, env, (COLS, ROWS))


def queues_body(n, gen):
    qs = []
    for i in range(n):
        dl = i % 10 == 0
        qs.append({
            "name": "q%05d" % i, "vhost": "/", "type": "classic", "state": "running",
            "durable": True, "auto_delete": False, "exclusive": False, "node": "rabbit@mq-1",
            "arguments": {"x-dead-letter-exchange": "dlx"} if dl else {},
            "policy": None, "effective_policy_definition": {},
            "messages": (i * 7 + gen) % 1000, "messages_ready": (i * 7 + gen) % 1000,
            "messages_unacknowledged": 0, "consumers": i % 3, "memory": 14000 + i,
            "message_stats": {"publish": 1000 + i, "publish_details": {"rate": 1.5},
                              "deliver_get": 900 + i, "deliver_get_details": {"rate": 1.2},
                              "ack": 900 + i, "ack_details": {"rate": 1.2}},
            "messages_details": {"rate": 0.0}, "messages_ready_details": {"rate": 0.0},
            "backing_queue_status": {"mode": "default", "q1": 0, "q2": 0, "delta": ["delta", 0, 0, 0, 0],
                                     "q3": 0, "q4": 0, "len": 0, "target_ram_count": "infinity",
                                     "next_seq_id": 0, "avg_ingress_rate": 0.0,
                                     "avg_egress_rate": 0.0, "avg_ack_ingress_rate": 0.0,
                                     "avg_ack_egress_rate": 0.0},
            "garbage_collection": {"fullsweep_after": 65535, "max_heap_size": 0,
                                   "min_bin_vheap_size": 46422, "min_heap_size": 233,
                                   "minor_gcs": 12},
            "idle_since": "2026-12-04T22:00:00.000+00:00",
            "reductions": 123456, "reductions_details": {"rate": 0.0},
        })
    return json.dumps(qs).encode()


def bindings_body(n):
    bs = [{"source": "dlx", "vhost": "/", "destination": "q00001", "destination_type": "queue",
           "routing_key": "q%05d" % i, "arguments": {}} for i in range(0, n, 10)]
    return json.dumps(bs).encode()


def consumers_body(n):
    cs = [{"consumer_tag": "c%d" % i, "queue": {"name": "q%05d" % i, "vhost": "/"},
           "channel_details": {"name": "10.0.0.1:5555 -> 10.0.0.2:5672 (1)", "user": "app"},
           "prefetch_count": 10, "ack_required": True, "active": True}
          for i in range(0, n, 3)]
    return json.dumps(cs).encode()


class Server:
    def __init__(self, n):
        self.n = n
        self.churn = False
        self.gen = 0
        self.static = queues_body(n, 0)
        # made up front: a body made while serving would hold the GIL the key timing needs
        self.variants = [queues_body(n, g) for g in range(1, 4)]
        self.bindings = bindings_body(n)
        self.consumers = consumers_body(n)
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path.startswith("/api/queues"):
                    if outer.churn:
                        outer.gen += 1
                        b = outer.variants[outer.gen % len(outer.variants)]
                    else:
                        b = outer.static
                elif self.path.startswith("/api/bindings"):
                    b = outer.bindings
                elif self.path.startswith("/api/consumers"):
                    b = outer.consumers
                else:
                    b = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()
                self.wfile.write(b)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()


def key_latency(fd, key):
    quiet(fd)
    os.write(fd, key)
    t0 = time.monotonic()
    r, _, _ = select.select([fd], [], [], 3.0)
    if not r:
        return None
    ms = (time.monotonic() - t0) * 1000
    quiet(fd)
    return ms


def pct(s, p):
    if not s:
        return float("nan")
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s))) - 1))]


def measure(opsdeck, n, idle_s, keys_s):
    srv = Server(n)
    rnd = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = os.path.join(tmp, "lists.ini")
        with open(cfg, "w") as f:
            f.write('[backend "mq"]\ntype = rabbitmq\nurl = http://127.0.0.1:%d\n'
                    "refresh = 2s\ntimeout = 20s\nmax_body = 256M\n" % srv.port)
        env = dict(os.environ, TERM="xterm-256color", LANG="C.UTF-8", XDG_STATE_HOME=tmp,
                   XDG_CONFIG_HOME=tmp)
        pid, fd = spawn([opsdeck, "-c", cfg], env)
        try:
            drain(fd, 10)  # the first polls
            c0 = cpu_s(pid)
            drain(fd, idle_s)
            idle = (cpu_s(pid) - c0) / idle_s * 100
            rss = vm_mib(pid, "VmHWM")
            srv.churn = True
            ms = []
            end = time.monotonic() + keys_s
            while time.monotonic() < end:
                # j then k: each key moves the selection, so each has an answer to time
                ms.append(key_latency(fd, b"j" if len(ms) % 2 == 0 else b"k"))
                time.sleep(rnd.uniform(0.02, 0.09))
            rss_end = vm_mib(pid, "VmHWM")
        finally:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            srv.stop()
    s = sorted(x for x in ms if x is not None)
    return {"rss": rss, "rss_end": rss_end, "idle": idle, "n": len(s),
            "lost": sum(1 for x in ms if x is None), "median": pct(s, 50), "p95": pct(s, 95),
            "p99": pct(s, 99), "max": s[-1] if s else float("nan"),
            "body_mb": len(srv.static) / 1e6}


def show(label, n, m):
    print(f"{label:>7} {n:>6} queues ({m['body_mb']:.1f} MB): peak RSS {m['rss']:.1f} MiB idle, "
          f"{m['rss_end']:.1f} MiB after churn; idle CPU {m['idle']:.2f}%; keys n={m['n']} "
          f"lost={m['lost']} median {m['median']:.1f} p95 {m['p95']:.1f} p99 {m['p99']:.1f} "
          f"max {m['max']:.1f} ms")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("opsdeck")
    ap.add_argument("--before")
    ap.add_argument("--queues", default="10000,50000")
    ap.add_argument("--idle", type=float, default=20)
    ap.add_argument("--keys", type=float, default=20)
    a = ap.parse_args()
    for n in [int(x) for x in a.queues.split(",")]:
        if a.before:
            show("before", n, measure(a.before, n, a.idle, a.keys))
        show("after", n, measure(a.opsdeck, n, a.idle, a.keys))


if __name__ == "__main__":
    main()
