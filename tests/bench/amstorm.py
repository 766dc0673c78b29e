#!/usr/bin/env python3
"""An alert storm in Alertmanager's shape (issue 19): a test server for the
storm benchmark (bench_storm.py) and for trying the console by hand.

Serves, on a free loopback port (printed on stdout, one line, then flushed):
  GET /api/v2/alerts    N alerts of about 700 bytes each, as Alertmanager 0.25
                        answers them (labels, annotations, status with
                        silencedBy/inhibitedBy, receivers, fingerprint,
                        startsAt/updatedAt/endsAt, generatorURL), 50 alert
                        names, severities critical/warning/info in turn
  GET /api/v2/silences  [] (or one silence with --silence)
  GET /api/v2/status    a status document (versionInfo, cluster disabled)
  GET /-/stats          {"alerts": requests of /api/v2/alerts served,
                         "not_modified": of those answered 304,
                         "bytes": body bytes sent, "churn": K now}
  GET /-/churn?k=K      from now on, K alerts change per alerts request
                        (0: static); answers the stats

Modes:
  static (--churn 0, the default): every answer has the same bytes.
  churn (--churn K): each GET /api/v2/alerts first changes K alerts, taken in
      turn through the list: their annotation `value`, their `updatedAt`, and
      every third time their status flips between active and suppressed (by a
      silence id that the silences list does not have: what a console shows,
      not what it checks).
  --etag: the answer carries an ETag (the generation of the list) and a
      Last-Modified; a request whose If-None-Match is that ETag (or whose
      If-Modified-Since is not older than Last-Modified, without
      If-None-Match) gets 304 with no body. Without --etag, no validators.

usage: amstorm.py [--alerts N] [--churn K] [--etag] [--silence] [--port P]
(--port 0, the default, takes a free port). Judges nothing.
"""
import argparse
import email.utils
import http.server
import json
import sys
import threading
import time
import urllib.parse

NAMES = ["Storm%s%02d" % (kind, i)
         for i, kind in enumerate(["HighErrorRate", "InstanceDown", "DiskFull", "HighLatency",
                                   "QueueBacklog"] * 10)]
SEVERITIES = ["critical", "warning", "info"]
SILENCE_ID = "5c1e0ce0-0000-4000-8000-000000000019"


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


class Storm:
    def __init__(self, n, churn, etag, silence):
        self.lock = threading.Lock()
        self.n = n
        self.churn = churn
        self.etag = etag
        self.now = time.time()
        self.alerts = [self.make(i, 0) for i in range(n)]
        self.enc = [json.dumps(a, separators=(",", ":")).encode() for a in self.alerts]
        self.next = 0  # the next alert a churn changes
        self.generation = 1
        self.modified = int(self.now)
        self.body = self.join()
        self.stats = {"alerts": 0, "not_modified": 0, "bytes": 0}
        self.silences = b"[]"
        if silence:
            self.silences = json.dumps([{
                "id": SILENCE_ID, "status": {"state": "active"}, "updatedAt": iso(self.now),
                "comment": "storm bench", "createdBy": "amstorm", "startsAt": iso(self.now - 60),
                "endsAt": iso(self.now + 3600),
                "matchers": [{"isEqual": True, "isRegex": False, "name": "alertname",
                              "value": NAMES[0]}]}]).encode()

    def make(self, i, turn):
        name = NAMES[i % len(NAMES)]
        host = "host-%05d" % i
        state = "suppressed" if turn % 3 == 2 else "active"
        starts = self.now - 3600 + (i * 37) % 3540  # within the last hour, none in the last minute
        return {
            "annotations": {
                "summary": "%s on %s is firing" % (name, host),
                "description": "%s fires for %s in prod-%d: see the runbook" % (name, host, i % 4),
                "runbook_url": "https://runbooks.example/alerts/%s" % name,
                "value": "%d" % (100 + turn),
            },
            "endsAt": iso(self.now + 86400),
            "fingerprint": "%016x" % ((i * 2654435761 + 97) & 0xFFFFFFFFFFFFFFFF),
            "receivers": [{"name": "pager"}],
            "startsAt": iso(starts),
            "status": {"inhibitedBy": [], "silencedBy": [SILENCE_ID] if state == "suppressed" else [],
                       "state": state},
            "updatedAt": iso(self.now + turn),
            "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up%%7Binstance%%3D%%22%s%%22%%7D"
                            "&g0.tab=1" % host,
            "labels": {"alertname": name, "severity": SEVERITIES[i % 3], "instance": host + ":9100",
                       "job": "node", "service": "svc-%02d" % (i % 20), "region": "eu-west-1",
                       "cluster": "prod-%d" % (i % 4)},
        }

    def join(self):
        return b"[" + b",".join(self.enc) + b"]"

    def step(self):
        """One alerts request: change K alerts (churn mode). Under the lock."""
        if self.churn <= 0 or self.n == 0:
            return
        for _ in range(min(self.churn, self.n)):
            i = self.next
            self.next = (self.next + 1) % self.n
            turn = int(self.alerts[i]["annotations"]["value"]) - 100 + 1
            self.alerts[i] = self.make(i, turn)
            self.enc[i] = json.dumps(self.alerts[i], separators=(",", ":")).encode()
        self.generation += 1
        self.modified = max(self.modified + 1, int(time.time()))
        self.body = self.join()


STORM = None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if code != 304:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if code != 304 and self.command != "HEAD":
            self.wfile.write(body)

    def stats(self):
        s = dict(STORM.stats)
        s["churn"] = STORM.churn
        s["generation"] = STORM.generation
        return json.dumps(s).encode()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/api/v2/alerts":
            with STORM.lock:
                STORM.step()
                body, gen, modified = STORM.body, STORM.generation, STORM.modified
                STORM.stats["alerts"] += 1
                headers = []
                if STORM.etag:
                    tag = '"storm-%d"' % gen
                    headers = [("ETag", tag), ("Last-Modified", email.utils.formatdate(modified, usegmt=True))]
                    inm = self.headers.get("If-None-Match")
                    ims = self.headers.get("If-Modified-Since")
                    fresh = False
                    if inm is not None:
                        fresh = tag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
                    elif ims is not None:
                        try:
                            fresh = email.utils.parsedate_to_datetime(ims).timestamp() >= modified
                        except (TypeError, ValueError):
                            fresh = False
                    if fresh:
                        STORM.stats["not_modified"] += 1
                        self.send(304, b"", headers)
                        return
                STORM.stats["bytes"] += len(body)
            self.send(200, body, headers)
        elif url.path == "/api/v2/silences":
            self.send(200, STORM.silences)
        elif url.path == "/api/v2/status":
            self.send(200, json.dumps({
                "cluster": {"peers": [], "status": "disabled"}, "config": {"original": ""},
                "uptime": iso(STORM.now),
                "versionInfo": {"branch": "storm", "buildDate": "", "buildUser": "amstorm",
                                "goVersion": "", "revision": "amstorm", "version": "0.25.0"}}).encode())
        elif url.path == "/-/stats":
            with STORM.lock:
                self.send(200, self.stats())
        elif url.path == "/-/churn":
            k = urllib.parse.parse_qs(url.query).get("k", ["0"])[0]
            with STORM.lock:
                STORM.churn = int(k)
                self.send(200, self.stats())
        elif url.path in ("/-/ready", "/-/healthy"):
            self.send(200, b"OK")
        else:
            self.send(404, b'{"error":"not found"}')


def main():
    global STORM
    ap = argparse.ArgumentParser(description="an alert storm in Alertmanager's shape")
    ap.add_argument("--alerts", type=int, default=10000)
    ap.add_argument("--churn", type=int, default=0, help="alerts changed per alerts request")
    ap.add_argument("--etag", action="store_true", help="ETag/Last-Modified, 304 when unchanged")
    ap.add_argument("--silence", action="store_true", help="one silence in /api/v2/silences")
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    STORM = Storm(a.alerts, a.churn, a.etag, a.silence)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    sys.stderr.write("amstorm: %d alerts, %d bytes (%d per alert), churn %d, etag %s\n"
                     % (a.alerts, len(STORM.body), len(STORM.body) // max(1, a.alerts), a.churn,
                        "on" if a.etag else "off"))
    print(srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
