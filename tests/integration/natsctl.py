#!/usr/bin/env python3
"""A tiny NATS client for the integration tests: the text protocol over one TCP
socket (INFO, CONNECT, PING/PONG, SUB, PUB with a reply inbox, MSG and HMSG),
enough to call the JetStream API, publish and fetch without a client library.

  natsctl.py PORT req SUBJECT JSON         request, print the JSON reply;
                                           exit 1 when it holds an "error"
  natsctl.py PORT pub SUBJECT COUNT        publish COUNT messages, wait for
                                           every JetStream ack (exit 1 if any fails)
  natsctl.py PORT fetch STREAM CONSUMER N [ACK [NAK]]
                                           pull N messages; ack the first ACK,
                                           nak the next NAK (they come back
                                           redelivered), leave the rest pending;
                                           print how many arrived

Everything is on 127.0.0.1; every wait is bounded (5 s).
"""
import json
import socket
import sys
import time

TIMEOUT = 5.0


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""
        self.sid = 0
        line = self.line()
        if not line.startswith(b"INFO "):
            raise SystemExit("natsctl: expected INFO, got %r" % line[:80])
        opts = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True,
                "lang": "python3", "version": "0", "protocol": 1}
        self.send(b"CONNECT " + json.dumps(opts).encode() + b"\r\n")
        self.flush()

    def send(self, data):
        self.sock.sendall(data)

    def fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise SystemExit("natsctl: timed out")
        self.sock.settimeout(left)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise SystemExit("natsctl: the server closed the connection")
        self.buf += chunk

    def line(self, deadline=None):
        deadline = deadline or time.monotonic() + TIMEOUT
        while b"\r\n" not in self.buf:
            self.fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def take(self, n, deadline):
        while len(self.buf) < n + 2:
            self.fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def next_msg(self, deadline):
        """The next MSG or HMSG as (subject, reply, headers, payload); answers PINGs."""
        while True:
            line = self.line(deadline)
            parts = line.split()
            if not parts:
                continue
            op = parts[0].upper()
            if op == b"PING":
                self.send(b"PONG\r\n")
            elif op == b"-ERR":
                raise SystemExit("natsctl: server error: %s" % line.decode(errors="replace"))
            elif op == b"MSG":
                reply = parts[3] if len(parts) == 5 else b""
                return parts[1], reply, b"", self.take(int(parts[-1]), deadline)
            elif op == b"HMSG":
                reply = parts[3] if len(parts) == 6 else b""
                hlen, total = int(parts[-2]), int(parts[-1])
                data = self.take(total, deadline)
                return parts[1], reply, data[:hlen], data[hlen:]
            # +OK, PONG, INFO: nothing to do

    def flush(self):
        """PING and wait for the PONG: everything sent before is processed."""
        self.send(b"PING\r\n")
        deadline = time.monotonic() + TIMEOUT
        while True:
            line = self.line(deadline)
            if line.startswith(b"PONG"):
                return
            if line.startswith(b"PING"):
                self.send(b"PONG\r\n")
            elif line.startswith(b"-ERR"):
                raise SystemExit("natsctl: server error: %s" % line.decode(errors="replace"))

    def sub(self, subject):
        self.sid += 1
        self.send(b"SUB %s %d\r\n" % (subject.encode(), self.sid))
        return self.sid

    def pub(self, subject, payload, reply=None):
        head = b"PUB " + subject.encode()
        if reply:
            head += b" " + reply.encode()
        self.send(head + b" %d\r\n" % len(payload) + payload + b"\r\n")


def status_of(headers):
    """'404' from b'NATS/1.0 404 No Messages\\r\\n...', '' when none."""
    first = headers.split(b"\r\n", 1)[0].split()
    return first[1].decode() if len(first) > 1 else ""


def request(c, subject, payload):
    inbox = "_INBOX.natsctl.%d" % time.monotonic_ns()
    c.sub(inbox)
    c.pub(subject, payload, inbox)
    _, _, headers, data = c.next_msg(time.monotonic() + TIMEOUT)
    if status_of(headers) == "503":
        raise SystemExit("natsctl: no responders for %s (is JetStream on?)" % subject)
    return data


def main():
    port, cmd, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    c = Conn(port)
    if cmd == "req":
        data = request(c, args[0], args[1].encode())
        print(data.decode(errors="replace"))
        return 1 if "error" in json.loads(data or b"{}") else 0
    if cmd == "pub":
        inbox = "_INBOX.natsctl.pub"
        c.sub(inbox)
        n = int(args[1])
        for i in range(n):
            c.pub(args[0], b'{"n":%d}' % i, inbox)
        failed = 0
        deadline = time.monotonic() + TIMEOUT
        for _ in range(n):
            _, _, headers, data = c.next_msg(deadline)
            if status_of(headers) or "error" in json.loads(data or b"{}"):
                failed += 1
        return 1 if failed else 0
    if cmd == "fetch":
        stream, consumer, n = args[0], args[1], int(args[2])
        acks = int(args[3]) if len(args) > 3 else 0
        naks = int(args[4]) if len(args) > 4 else 0
        inbox = "_INBOX.natsctl.fetch"
        c.sub(inbox)
        body = json.dumps({"batch": n, "expires": 1_000_000_000}).encode()
        c.pub("$JS.API.CONSUMER.MSG.NEXT.%s.%s" % (stream, consumer), body, inbox)
        got = 0
        deadline = time.monotonic() + 3
        while got < n:
            _, reply, headers, _ = c.next_msg(deadline)
            if status_of(headers):  # 404 no messages, 408 request expired
                break
            if got < acks:
                c.pub(reply.decode(), b"+ACK")
            elif got < acks + naks:
                c.pub(reply.decode(), b"-NAK")
            got += 1
        c.flush()
        print(got)
        return 0
    raise SystemExit("natsctl: unknown command %s" % cmd)


if __name__ == "__main__":
    sys.exit(main())
