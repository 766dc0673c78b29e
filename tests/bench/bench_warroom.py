#!/usr/bin/env python3
"""War-room numbers on one host (docs/war-room.md), two real consoles on ptys.
Reports (does not judge; the targets are in the README):

  event -> follower screen   the owner's Enter until the next step's title is on
                             the follower's terminal (median, p95)
  owner key, 0 followers     the owner's Enter until its own terminal shows the
                             next step (median, p95)
  owner key, 1 follower      the same with one console following
  owner key, 51 followers    ... and 50 more followers reading the run's socket
                             (raw clients in another process: the owner's fan-out
                             cost alone, not 50 consoles' drawing)
  owner CPU per key          the owner process's own CPU time per key (schedstat),
                             with 1 and with 51 followers: what the followers cost
                             the owner, apart from the machine's other work

usage: bench_warroom.py OPSDECK [--keys N]
"""
import argparse
import glob
import os
import select
import shutil
import socket
import statistics
import sys
import tempfile
import time

import benchpty

COLS, ROWS = 160, 48


def spawn(argv, env):
    return benchpty.spawn(argv, env, (COLS, ROWS))


def title(i):
    # every step's title differs from the one before at every position, so the
    # terminal gets the whole title when it becomes the current step
    return "".join(chr(ord("A") + (i * 7 + k * 3) % 26) for k in range(12))


class Reader:
    """Drains every terminal and socket; waits for text on one of them."""

    def __init__(self):
        self.fds = {}

    def add(self, name, fd):
        self.fds[name] = [fd, b""]

    def pump(self, timeout):
        r, _, _ = select.select([v[0] for v in self.fds.values()], [], [], timeout)
        for name, v in self.fds.items():
            if v[0] in r:
                try:
                    chunk = os.read(v[0], 1 << 20)
                except OSError:
                    chunk = b""
                v[1] = (v[1] + chunk)[-(1 << 20):]

    def wait(self, name, needle, timeout=10.0):
        end = time.monotonic() + timeout
        while needle not in self.fds[name][1]:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{name}: no {needle!r} within {timeout}s; got {self.fds[name][1][-600:]!r}")
            self.pump(left)
        return time.monotonic()

    def clear(self):
        for v in self.fds.values():
            v[1] = b""


def raw_followers(path, n, ready_fd):
    """n followers that read everything the owner sends (their own process)."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        socks.append(s)
    bufs = {s.fileno(): b"" for s in socks}
    synced = set()
    while len(synced) < n:
        r, _, _ = select.select(socks, [], [], 10)
        for s in r:
            b = bufs[s.fileno()] + s.recv(1 << 16)
            if b'"t":"synced"' in b:
                synced.add(s.fileno())
            bufs[s.fileno()] = b[-64:]
    os.write(ready_fd, b"ready")
    while True:
        r, _, _ = select.select(socks, [], [], 10)
        for s in r:
            if not s.recv(1 << 16):
                return


def cpu_ns(pid):
    """CPU time a process has used so far (ns, /proc/PID/schedstat)."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def show(label, ms):
    print(f"{label:28s} median {statistics.median(ms):7.2f} ms   p95 {pct(ms, 0.95):7.2f} ms"
          f"   ({len(ms)} keys)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("opsdeck")
    ap.add_argument("--keys", type=int, default=20)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="opsdeck-bench-wr.")
    share = os.path.join(tmp, "share")
    os.makedirs(share)
    os.chmod(share, 0o2770)
    cfg = os.path.join(tmp, "opsdeck.ini")
    with open(cfg, "w") as f:
        f.write(f"[share]\ndir = {share}\nparticipants = *\n")
    nsteps = 4 * a.keys + 5  # four rounds of keys, each moves one step
    rb = os.path.join(tmp, "bench.md")
    with open(rb, "w") as f:
        f.write("# Bench\n\n## Stay calm\n\n")
        for i in range(nsteps):
            f.write(f"### {title(i)}\nNothing to do.\n\n")
    base = {"TERM": "xterm-256color", "LANG": "C.UTF-8", "PATH": os.environ.get("PATH", ""),
            "HOME": tmp, "USER": os.environ.get("USER", "bench")}
    pids = []
    try:
        env = dict(base, XDG_STATE_HOME=os.path.join(tmp, "own"),
                   XDG_CONFIG_HOME=os.path.join(tmp, "c"))
        opid, ofd = spawn([a.opsdeck, "run", rb, "-c", cfg], env)
        pids.append(opid)
        rd = Reader()
        rd.add("owner", ofd)
        rd.wait("owner", b"shared", 15)
        run = os.path.basename(glob.glob(os.path.join(share, "*.sock"))[0])[:-5]
        step = 0

        def owner_key(follower=None):
            nonlocal step
            rd.clear()
            t0 = time.monotonic()
            os.write(ofd, b"\r")
            step += 1
            want = title(step).encode()
            t_own = rd.wait("owner", want)
            t_fol = rd.wait(follower, want) if follower else None
            # let both finish the frame before the next key
            time.sleep(0.05)
            rd.pump(0)
            return (t_own - t0) * 1000, (t_fol - t0) * 1000 if t_fol else None

        own0 = [owner_key()[0] for _ in range(a.keys)]

        fenv = dict(base, XDG_STATE_HOME=os.path.join(tmp, "fol"),
                    XDG_CONFIG_HOME=os.path.join(tmp, "c"))
        fpid, ffd = spawn([a.opsdeck, "join", run, "-c", cfg], fenv)
        pids.append(fpid)
        rd.add("follower", ffd)
        rd.wait("follower", b"you: participant", 15)
        fol = [owner_key("follower")[1] for _ in range(a.keys)]

        c0 = cpu_ns(opid)
        own1 = [owner_key()[0] for _ in range(a.keys)]
        cpu1 = (cpu_ns(opid) - c0) / 1e6 / a.keys
        # 50 more followers, read by another process (this one only measures)
        rpipe, wpipe = os.pipe()
        rawpid = os.fork()
        if rawpid == 0:
            os.close(rpipe)
            raw_followers(os.path.join(share, run + ".sock"), 50, wpipe)
            os._exit(0)
        pids.append(rawpid)
        os.close(wpipe)
        rd.add("raw", rpipe)  # the terminals are drained while the 50 join
        rd.wait("raw", b"ready", 30)
        c0 = cpu_ns(opid)
        own50 = [owner_key()[0] for _ in range(a.keys)]
        cpu50 = (cpu_ns(opid) - c0) / 1e6 / a.keys

        print(f"war room on one host: {nsteps}-step runbook, {COLS}x{ROWS}, "
              f"{os.cpu_count()} CPUs")
        show("event -> follower screen", fol)
        show("owner key, 0 followers", own0)
        show("owner key, 1 follower", own1)
        show("owner key, 51 followers", own50)
        print(f"{'50 more followers cost':28s} median "
              f"{statistics.median(own50) - statistics.median(own1):+7.2f} ms (wall, shared CPUs)")
        print(f"{'owner CPU per key':28s} 1 follower {cpu1:6.2f} ms   51 followers {cpu50:6.2f} ms"
              f"   ({cpu50 - cpu1:+.2f} ms)")
    finally:
        for pid in pids:
            try:
                os.kill(pid, 15)
                os.waitpid(pid, 0)
            except OSError:
                pass
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
