#!/usr/bin/env python3
"""End-to-end numbers for the console on a real pty, on the demo with a
10,000-row queue table. Reports (does not judge; see the targets in README):

  first frame   exec -> the first complete frame is on the terminal (median of runs)
  idle bytes/s  bytes written per second while no data changes (--demo-mode still)
  change bytes  bytes per refresh when one row changes (--demo-mode trickle)
  peak RSS      of the 10,000-row run (ru_maxrss)

usage: bench_ui.py OPSDECK [--runs N] [--seconds S]
"""
import argparse
import os
import select
import statistics
import sys
import tempfile
import time

import benchpty
from benchpty import collect, read_until, ungroup_if_auto

COLS, ROWS = 160, 48


def spawn(argv, env):
    return benchpty.spawn(argv, env, (COLS, ROWS))


END_OF_FRAME = b"q quit"  # the status bar is the last thing a frame draws


def count_bytes(fd, seconds):
    total = 0
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return total
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                total += len(os.read(fd, 65536))
            except OSError:
                return total


def stop(pid, fd):
    os.write(fd, b"q")
    _, status, usage = os.wait4(pid, 0)
    os.close(fd)
    return status, usage


def env_for(tmp):
    env = dict(os.environ)
    env.update(TERM="xterm-256color", LANG="C.UTF-8", XDG_STATE_HOME=tmp,
               XDG_CONFIG_HOME=tmp)
    env.pop("NO_COLOR", None)
    return env


def first_frame(opsdeck, env, runs):
    times = []
    for _ in range(runs):
        t0 = time.monotonic()
        pid, fd = spawn([opsdeck, "--demo-queues", "10000", "--seed", "1"], env)
        read_until(fd, END_OF_FRAME, 10)
        times.append((time.monotonic() - t0) * 1000)
        stop(pid, fd)
    return times


def steady(opsdeck, env, mode, seconds):
    pid, fd = spawn([opsdeck, "--demo-queues", "10000", "--demo-mode", mode, "--seed", "1"], env)
    read_until(fd, END_OF_FRAME, 10)
    ungroup_if_auto(fd, b"2", b"1")  # the Queues pane flat, as before issue 19; Alerts focused
    count_bytes(fd, 2.5)  # let the first refreshes settle
    n = count_bytes(fd, seconds)
    _, usage = stop(pid, fd)
    return n, usage.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("opsdeck")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--seconds", type=float, default=10.0)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = env_for(tmp)
        ff = first_frame(a.opsdeck, env, a.runs)
        idle, rss_idle = steady(a.opsdeck, env, "still", a.seconds)
        change, rss_change = steady(a.opsdeck, env, "trickle", a.seconds)
        live, rss_live = steady(a.opsdeck, env, "live", a.seconds)
    refreshes = a.seconds / 2.0  # the demo refreshes every 2 s
    print(f"first frame (10,000 queues, {COLS}x{ROWS}): median {statistics.median(ff):.1f} ms,"
          f" min {min(ff):.1f}, max {max(ff):.1f} over {a.runs} runs")
    print(f"idle (nothing changes):  {idle / a.seconds:.1f} bytes/s")
    print(f"one row changes per refresh: {change / refreshes:.0f} bytes/refresh "
          f"({change / a.seconds:.1f} bytes/s, clock included)")
    print(f"live demo:  {live / a.seconds:.0f} bytes/s")
    print(f"peak RSS: still {rss_idle / 1024:.1f} MiB, trickle {rss_change / 1024:.1f} MiB,"
          f" live {rss_live / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
