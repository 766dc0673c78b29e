#!/usr/bin/env python3
"""A real AMQP 0-9-1 consumer for the RabbitMQ integration test, stdlib only.

    amqpconsume.py HOST PORT VHOST QUEUE TAG PREFETCH [USER [PASSWORD]]

Connects (PLAIN, guest/guest by default), opens channel 1, sets basic.qos
prefetch PREFETCH, basic.consume QUEUE with consumer tag TAG and no-ack
false, prints "ready" once consume-ok arrives, then holds the connection
open, never acking, so that up to PREFETCH messages stay unacknowledged
until the process is killed. Heartbeats are turned off (tune-ok 0) so an
idle test does not lose the connection. Exits 1 with a message when the
server refuses or closes the connection.
"""
import socket
import struct
import sys

FRAME_METHOD, FRAME_HEADER, FRAME_BODY, FRAME_HEARTBEAT = 1, 2, 3, 8
FRAME_END = 0xCE


def shortstr(s):
    b = s.encode()
    if len(b) > 255:
        raise ValueError("shortstr too long: %r" % s)
    return struct.pack("!B", len(b)) + b


def longstr(b):
    return struct.pack("!I", len(b)) + b


def table(d):
    body = b"".join(shortstr(k) + b"S" + longstr(v.encode()) for k, v in d.items())
    return longstr(body)


class Conn:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.buf = b""

    def read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the server closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self):
        ftype, channel, size = struct.unpack("!BHI", self.read(7))
        payload = self.read(size)
        if self.read(1)[0] != FRAME_END:
            raise ValueError("bad frame end")
        return ftype, channel, payload

    def send_method(self, channel, cls, meth, args=b""):
        payload = struct.pack("!HH", cls, meth) + args
        self.sock.sendall(struct.pack("!BHI", FRAME_METHOD, channel, len(payload)) + payload +
                          bytes([FRAME_END]))

    def expect(self, cls, meth):
        """The next method frame, which must be cls.meth; a close says why."""
        while True:
            ftype, channel, payload = self.frame()
            if ftype == FRAME_HEARTBEAT:
                continue
            if ftype != FRAME_METHOD:
                raise ValueError("expected a method frame, got type %d" % ftype)
            got = struct.unpack("!HH", payload[:4])
            if got in ((10, 50), (20, 40)):  # connection.close, channel.close
                code = struct.unpack("!H", payload[4:6])[0]
                n = payload[6]
                raise EOFError("closed by the server: %d %s" %
                               (code, payload[7:7 + n].decode(errors="replace")))
            if got != (cls, meth):
                raise ValueError("expected method %d.%d, got %d.%d" % (cls, meth, *got))
            return payload[4:]


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    host, port, vhost, queue, tag = sys.argv[1], int(sys.argv[2]), *sys.argv[3:6]
    prefetch = int(sys.argv[6])
    user = sys.argv[7] if len(sys.argv) > 7 else "guest"
    password = sys.argv[8] if len(sys.argv) > 8 else "guest"

    c = Conn(host, port)
    c.sock.sendall(b"AMQP\x00\x00\x09\x01")
    c.expect(10, 10)  # connection.start
    c.send_method(0, 10, 11,  # connection.start-ok
                  table({"product": "opsdeck amqpconsume.py"}) + shortstr("PLAIN") +
                  longstr(b"\0" + user.encode() + b"\0" + password.encode()) + shortstr("en_US"))
    tune = c.expect(10, 30)  # connection.tune
    channel_max, frame_max, _heartbeat = struct.unpack("!HIH", tune[:8])
    c.send_method(0, 10, 31, struct.pack("!HIH", channel_max, frame_max, 0))  # tune-ok
    c.send_method(0, 10, 40, shortstr(vhost) + shortstr("") + b"\x00")  # connection.open
    c.expect(10, 41)
    c.send_method(1, 20, 10, shortstr(""))  # channel.open
    c.expect(20, 11)
    c.send_method(1, 60, 10, struct.pack("!IHB", 0, prefetch, 0))  # basic.qos
    c.expect(60, 11)
    # basic.consume: reserved, queue, tag, no-local/no-ack/exclusive/no-wait all off, no arguments
    c.send_method(1, 60, 20, struct.pack("!H", 0) + shortstr(queue) + shortstr(tag) + b"\x00" +
                  longstr(b""))
    c.expect(60, 21)
    print("ready", flush=True)
    c.sock.settimeout(None)
    while True:  # deliveries are read and never acked
        ftype, _channel, payload = c.frame()
        if ftype == FRAME_METHOD and struct.unpack("!HH", payload[:4]) in ((10, 50), (20, 40)):
            raise EOFError("closed by the server")


if __name__ == "__main__":
    try:
        main()
    except (OSError, EOFError, ValueError) as e:
        print("amqpconsume: %s" % e, file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
