#!/usr/bin/env python3
"""A small exporter of HTTP golden-signal metrics for tests/integration/signals.sh,
plus a proxy in front of Prometheus that can be made to fail.

    signalexporter.py PROMETHEUS_URL [LIFETIME_S]

prints "METRICS_PORT PROXY_PORT" (both on 127.0.0.1) and serves until killed
(or LIFETIME_S, 300 by default, in case the test that started it died).

Metrics port:
  /metrics   http_requests_total{service,code} (counters) and the histogram
             http_request_duration_seconds{service} (_bucket{le}, _sum, _count)
             for the services checkout and payments. Every 100 ms each service
             serves rate * 0.1 requests, a share `errors` of them code 500 and
             the rest 200; their latencies follow a distribution whose scale
             drifts with time, so the quantiles move.
  /set?service=S&rate=R&errors=E   change a service's request rate and error
             share at run time (either may be left out); answers "ok".
Proxy port: every request is passed to PROMETHEUS_URL, except that the signals'
  queries (/api/v1/query and /api/v1/query_range) obey the fault mode:
  /fault?mode=ok|500|error|slow   ok: pass; 500: HTTP 500 with a text body;
             error: HTTP 422 with Prometheus's error JSON; slow: answer after 30 s.
"""
import http.server
import math
import os
import socketserver
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]
lock = threading.Lock()
services = {
    "checkout": {"rate": 40.0, "errors": 0.05, "ok": 0.0, "err": 0.0,
                 "buckets": [0.0] * (len(BUCKETS) + 1), "sum": 0.0},
    "payments": {"rate": 20.0, "errors": 0.02, "ok": 0.0, "err": 0.0,
                 "buckets": [0.0] * (len(BUCKETS) + 1), "sum": 0.0},
}
fault = {"mode": "ok"}
START = time.time()


def tick():
    """100 ms of traffic for every service."""
    while True:
        time.sleep(0.1)
        t = time.time() - START
        with lock:
            for name, s in services.items():
                n = s["rate"] * 0.1
                e = n * s["errors"]
                s["err"] += e
                s["ok"] += n - e
                # latencies: exponential with a mean that drifts (40..120 ms)
                mean = 0.08 + 0.04 * math.sin(t / 7.0 + (1 if name == "payments" else 0))
                prev = 0.0
                for i, le in enumerate(BUCKETS):
                    cdf = 1 - math.exp(-le / mean)
                    s["buckets"][i] += n * (cdf - prev)
                    prev = cdf
                s["buckets"][-1] += n * (1 - prev)
                s["sum"] += n * mean


def exposition():
    out = ["# TYPE http_requests_total counter"]
    with lock:
        for name, s in services.items():
            out.append('http_requests_total{service="%s",code="200"} %r' % (name, s["ok"]))
            out.append('http_requests_total{service="%s",code="500"} %r' % (name, s["err"]))
        out.append("# TYPE http_request_duration_seconds histogram")
        for name, s in services.items():
            cum = 0.0
            for i, le in enumerate(BUCKETS):
                cum += s["buckets"][i]
                out.append('http_request_duration_seconds_bucket{service="%s",le="%s"} %r'
                           % (name, le, cum))
            cum += s["buckets"][-1]
            out.append('http_request_duration_seconds_bucket{service="%s",le="+Inf"} %r'
                       % (name, cum))
            out.append('http_request_duration_seconds_sum{service="%s"} %r' % (name, s["sum"]))
            out.append('http_request_duration_seconds_count{service="%s"} %r' % (name, cum))
    return ("\n".join(out) + "\n").encode()


class Metrics(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/metrics":
            return self.send(200, exposition(), "text/plain; version=0.0.4")
        if url.path == "/set":
            with lock:
                s = services.get(q.get("service", ""))
                if s is None:
                    return self.send(404, b"no such service")
                if "rate" in q:
                    s["rate"] = float(q["rate"])
                if "errors" in q:
                    s["errors"] = float(q["errors"])
            return self.send(200, b"ok")
        return self.send(404, b"no such path")


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = ""

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def relay(self, body):
        path = urllib.parse.urlparse(self.path).path
        if path == "/fault":
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
            fault["mode"] = q.get("mode", "ok")
            return self.send(200, b"ok", "text/plain")
        if path in ("/api/v1/query", "/api/v1/query_range"):
            mode = fault["mode"]
            if mode == "500":
                return self.send(500, b"proxy: injected failure", "text/plain")
            if mode == "error":
                return self.send(422, b'{"status":"error","errorType":"execution",'
                                      b'"error":"injected: query timed out"}')
            if mode == "slow":
                time.sleep(30)
        req = urllib.request.Request(self.upstream + self.path, data=body, method=self.command)
        if self.headers.get("Content-Type"):
            req.add_header("Content-Type", self.headers["Content-Type"])
        try:
            with urllib.request.urlopen(req, timeout=20) as r:
                return self.send(r.status, r.read(), r.headers.get("Content-Type", ""))
        except urllib.error.HTTPError as e:
            return self.send(e.code, e.read(), e.headers.get("Content-Type", ""))
        except (OSError, BrokenPipeError):
            return None

    def do_GET(self):
        return self.relay(None)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.relay(self.rfile.read(n))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    Proxy.upstream = sys.argv[1].rstrip("/")
    metrics = Server(("127.0.0.1", 0), Metrics)
    proxy = Server(("127.0.0.1", 0), Proxy)
    threading.Thread(target=tick, daemon=True).start()
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    print(metrics.server_address[1], proxy.server_address[1], flush=True)
    threading.Timer(float(sys.argv[2]) if len(sys.argv) > 2 else 300, os._exit, [0]).start()
    metrics.serve_forever()


if __name__ == "__main__":
    main()
