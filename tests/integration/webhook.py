#!/usr/bin/env python3
"""A local webhook receiver for notify tests (Slack and PagerDuty stand-in).

Usage:
    python3 webhook.py PORT LOG [LIFETIME_S]

Binds 127.0.0.1:PORT (0 lets the system choose) and prints the bound port
and a newline on stdout once it accepts connections: read that line to know
the port and that the server is ready (or pick PORT with free_ports in
tests/tap.sh and wait_until the line is in the captured stdout). Exits after
LIFETIME_S seconds (default 300) so a forgotten server does not linger.

Every request is appended to LOG, before it is answered, as one JSON line:
    {"method": "POST", "path": "/services/T0/B0/x",
     "headers": {"Content-Type": "application/json", ...}, "body": "..."}
(the body as text, undecodable bytes replaced). Lines are flushed at once.

Answers, by path:
    /status/N...    HTTP N with the body "error N at PATH: BODY" (failures:
                    /status/500; the echo tests that secrets are scrubbed)
    /hang...        never answers (timeouts); the connection stays open
    /v2/enqueue...  202 {"status": "success", "message": "Event processed",
                    "dedup_key": <the request's, or a made-up one>} (PagerDuty)
    anything else   200 "ok" (a Slack incoming webhook)

Point a notify at it with e.g.
    SLACK_URL=http://127.0.0.1:PORT/services/T0/B0/secret
    PD_URL=http://127.0.0.1:PORT/v2/enqueue   (url_env for pagerduty)
"""
import http.server
import json
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass  # stderr noise would clutter test output

    def record(self, body):
        line = json.dumps({
            "method": self.command,
            "path": self.path,
            "headers": dict(self.headers.items()),
            "body": body.decode("utf-8", "replace"),
        })
        with self.server.log_lock:
            with open(self.server.log_path, "a", encoding="utf-8") as f:
                f.write(line + "\n")
                f.flush()

    def answer(self, status, body, ctype="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        self.record(body)
        path = self.path
        if path.startswith("/hang"):
            time.sleep(3600)
            return
        if path.startswith("/status/"):
            code = path[len("/status/"):].split("/")[0].split("?")[0]
            try:
                status = int(code)
            except ValueError:
                status = 400
            # echo the path and body back, as careless servers do: callers
            # must keep them (secrets) out of their own messages
            self.answer(status, "error %d at %s: %s" % (
                status, path, body.decode("utf-8", "replace")))
            return
        if path.startswith("/v2/enqueue"):
            dedup = None
            try:
                dedup = json.loads(body).get("dedup_key")
            except (ValueError, AttributeError):
                pass
            self.answer(202, json.dumps({
                "status": "success",
                "message": "Event processed",
                "dedup_key": dedup or "made-up-%d" % int(time.time() * 1000),
            }), "application/json")
            return
        self.answer(200, "ok")

    do_POST = handle_any
    do_GET = handle_any
    do_PUT = handle_any


def main():
    if len(sys.argv) < 3:
        sys.stderr.write("usage: webhook.py PORT LOG [LIFETIME_S]\n")
        sys.exit(2)
    port = int(sys.argv[1])
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.log_path = sys.argv[2]
    server.log_lock = threading.Lock()
    timer = threading.Timer(lifetime, server.shutdown)
    timer.daemon = True
    timer.start()
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
