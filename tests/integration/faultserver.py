#!/usr/bin/env python3
"""A misbehaving HTTP server on loopback for fault tests. Prints its port, then
serves until killed. Paths:

  /ok             200 {"ok": true}
  /hang           accepts, reads the request, never answers
  /trickle        200 with a body sent one byte per second
  /status/N       answers status N with a short text body
  /garbage        200 with random bytes
  /truncated      Content-Length: 1000 but 10 bytes, then close
  /huge           200 with a 100 MB body (Content-Length set)
  /huge-chunked   200 with a 100 MB chunked body (no length)
  /flaky/KEY      503 on the first two requests for KEY, then 200
  /always/S/KEY/...    status S to every request (issue 20: a backend's url may end
  /always/S+R/KEY/...  in it, its paths follow), with Retry-After: R when +R is given
  /slow/N/KEY/...      200 [] after N seconds (N may be a fraction): [] is a valid
                       answer for alertmanager's alerts and silences, and for an
                       http-json backend with rows = ""
  /count/KEY      how many requests KEY has seen (flaky, always, slow)
  /log/KEY        {"now": T, "requests": [[start, end, path], ...]} for KEY: wall-clock
                  seconds, end null while a request is still being answered
  /auth           200 with the Authorization header echoed, 401 without one
  /echo           200 with the method, Content-Type and body echoed as JSON
"""
import http.server
import json
import os
import socketserver
import sys
import threading
import time

counts = {}
log = {}  # KEY -> [[start, end, path], ...]
lock = threading.Lock()


def record(key, path):
    """A request for KEY starts: counted and logged; returns its log entry and count."""
    entry = [time.time(), None, path]
    with lock:
        counts[key] = counts.get(key, 0) + 1
        log.setdefault(key, []).append(entry)
        return entry, counts[key]


def done(entry):
    with lock:
        entry[1] = time.time()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, ctype="application/json", length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path
        if p == "/ok":
            return self.send(200, b'{"ok": true}')
        if p.startswith("/hang"):
            time.sleep(3600)
            return None
        if p == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(1)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as it should
            return None
        if p.startswith("/status/"):
            code = int(p.split("/")[2])
            return self.send(code, b"something went wrong\nsecond line", "text/plain")
        if p == "/garbage":
            return self.send(200, os.urandom(4096), "application/octet-stream")
        if p == "/truncated":
            self.send(200, b'[{"labels"', length=1000)
            self.close_connection = True
            return None
        if p == "/huge":
            self.send_response(200)
            self.send_header("Content-Length", str(100 << 20))
            self.end_headers()
            chunk = b"[" * 65536
            try:
                for _ in range((100 << 20) // 65536):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if p == "/huge-chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"[" * 65536
            try:
                for _ in range((100 << 20) // 65536):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if p.startswith("/flaky/"):
            entry, n = record(p.split("/")[2], p)
            if n <= 2:
                self.send(503, b"try later", "text/plain")
            else:
                self.send(200, b'{"ok": true}')
            return done(entry)
        if p.startswith("/always/") and p.count("/") >= 3:
            return self.always(p)
        if p.startswith("/slow/") and p.count("/") >= 3:
            return self.slow(p)
        if p.startswith("/count/"):
            key = p.split("/")[2]
            with lock:
                return self.send(200, str(counts.get(key, 0)).encode())
        if p.startswith("/log/"):
            key = p.split("/")[2]
            with lock:
                out = {"now": time.time(), "requests": [list(e) for e in log.get(key, [])]}
            return self.send(200, json.dumps(out).encode())
        if p == "/auth":
            auth = self.headers.get("Authorization")
            if not auth:
                return self.send(401, b"no credentials", "text/plain")
            return self.send(200, json.dumps({"authorization": auth}).encode())
        return self.send(404, b"no such path", "text/plain")

    def always(self, p):
        _, _, spec, key = p.split("/", 4)[:4]
        status, _, retry_after = spec.partition("+")
        entry, _ = record(key.split("?")[0], p)
        self.send_response(int(status))
        self.send_header("Content-Type", "text/plain")
        if retry_after:
            self.send_header("Retry-After", retry_after)
        body = b"always %s" % status.encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        done(entry)

    def slow(self, p):
        _, _, secs, key = p.split("/", 4)[:4]
        entry, _ = record(key.split("?")[0], p)
        time.sleep(float(secs))
        try:
            self.send(200, b"[]")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): logged as ended all the same
        done(entry)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8", "replace")
        if self.path.startswith("/flaky/"):
            return self.do_GET()
        out = {"method": self.command, "content_type": self.headers.get("Content-Type"),
               "body": body}
        return self.send(200, json.dumps(out).encode())

    do_DELETE = do_POST
    do_PUT = do_POST


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    print(srv.server_address[1], flush=True)
    # stop by ourselves after a while, in case the test that started us died
    threading.Timer(float(sys.argv[1]) if len(sys.argv) > 1 else 300, os._exit, [0]).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
