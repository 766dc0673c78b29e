#!/usr/bin/env python3
"""100,000 queue rows (issue 17): the demo with `--demo-queues 100000`, live
(the demo refreshes every 2 s), in a pty at 160x48, the Queues pane focused.
Reports (judges nothing; the targets and the numbers are in README's
performance section):

  peak RSS      VmHWM of the console (/proc/PID/status) before the sort keys
                and at the end of the run
  idle CPU      user + system time (/proc/PID/stat) over an idle stretch with
                no keys, the demo still refreshing: percent of one core
  navigation    key (j, k, PgDn, PgUp) -> first byte of the answer on the
                terminal, keys at irregular intervals of 20-90 ms for a while,
                so that many of them land while a refresh is being handled
  filter        the same for filter keystrokes: `/`, then a word typed one
                character at a time, Backspace twice (each one a keystroke
                that re-filters), then Esc; the Esc latency is reported on
                its own: it includes curses' ESCDELAY (25 ms unless the
                environment sets it), the time curses waits to tell a lone
                Esc from the start of an escape sequence
  sort          s pressed 15 times (every column, then unsorted again)
  each with median, p95, p99 and max over the samples; for the keys also
  the console's CPU time per key (/proc/PID/schedstat), which a machine
  busy with other work does not inflate the way it inflates wall time.

usage: bench_queues.py OPSDECK [--before OPSDECK] [--rows N] [--idle S] [--keys S]
With --before, the same measures run on that binary first (e.g. a build of
the commit before the change), and both are printed side by side.
"""
import argparse
import os
import random
import select
import sys
import tempfile
import time

import benchpty
from benchpty import (collect, cpu_s, drain, pct, quiet, read_until, run_ns, stats,
                      ungroup_if_auto, vm_mib)

COLS, ROWS = 160, 48


def spawn(argv, env):
    return benchpty.spawn(argv, env, (COLS, ROWS))


END_OF_FRAME = b"q quit"  # the status bar is the last thing a frame draws
NAV_KEYS = [b"j", b"j", b"k", b"\x1b[6~", b"j", b"\x1b[5~", b"\x1b[6~"]
WORDS = ["bulk.q1", "q0042", "orders", "q9", "7x", "emails"]


CPU = []  # per key: the console's CPU time from the key to its whole answer


def key_latency(fd, key, pid=None):
    """ms from writing key to the first byte back (None: no answer in 3 s)."""
    quiet(fd)
    c0 = run_ns(pid) if pid else 0
    os.write(fd, key)
    t0 = time.monotonic()
    r, _, _ = select.select([fd], [], [], 3.0)
    if not r:
        return None
    ms = (time.monotonic() - t0) * 1000
    quiet(fd)
    if pid:
        CPU.append((run_ns(pid) - c0) / 1e6)
    return ms


def measure(opsdeck, rows, idle_s, keys_s, seed):
    rnd = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.update(TERM="xterm-256color", LANG="C.UTF-8", XDG_STATE_HOME=tmp,
                   XDG_CONFIG_HOME=tmp)
        env.pop("NO_COLOR", None)
        env.pop("ESCDELAY", None)
        t0 = time.monotonic()
        pid, fd = spawn([opsdeck, "--demo-queues", str(rows), "--seed", "1"], env)
        read_until(fd, END_OF_FRAME, 60)
        first = (time.monotonic() - t0) * 1000
        drain(fd, 4.5)  # a couple of refreshes
        ungroup_if_auto(fd)  # focus Queues, flat
        drain(fd, 1.0)
        c0, w0 = cpu_s(pid), time.monotonic()
        drain(fd, idle_s)
        idle = 100 * (cpu_s(pid) - c0) / (time.monotonic() - w0)
        for _ in range(30):  # away from the top, so that k and PgUp always move
            os.write(fd, b"\x1b[6~")
            quiet(fd)
        nav = []
        end = time.monotonic() + keys_s
        while time.monotonic() < end:
            nav.append(key_latency(fd, rnd.choice(NAV_KEYS), pid))
            time.sleep(rnd.uniform(0.02, 0.09))
        nav_cpu = stats(CPU)
        CPU.clear()
        typing, esc = [], []
        end = time.monotonic() + keys_s
        while time.monotonic() < end:
            typing.append(key_latency(fd, b"/", pid))
            for ch in rnd.choice(WORDS):
                time.sleep(rnd.uniform(0.02, 0.09))
                typing.append(key_latency(fd, ch.encode(), pid))
            for _ in range(2):
                time.sleep(rnd.uniform(0.02, 0.09))
                typing.append(key_latency(fd, b"\x7f", pid))
            time.sleep(rnd.uniform(0.02, 0.09))
            esc.append(key_latency(fd, b"\x1b"))
            time.sleep(rnd.uniform(0.02, 0.09))
        filter_cpu = stats(CPU)
        CPU.clear()
        hwm_keys = vm_mib(pid, "VmHWM")  # before sorting, which needs a second array of rows
        sort = []
        for _ in range(15):  # s: sort by the next column; 15 presses come back to unsorted
            sort.append(key_latency(fd, b"s", pid))
            time.sleep(rnd.uniform(0.02, 0.09))
        sort_cpu = stats(CPU)
        CPU.clear()
        hwm = vm_mib(pid, "VmHWM")
        rss = vm_mib(pid, "VmRSS")
        os.write(fd, b"q")
        os.waitpid(pid, 0)
        os.close(fd)
    return {"first": first, "hwm": hwm, "hwm_keys": hwm_keys, "rss": rss, "idle": idle, "nav": stats(nav),
            "filter": stats(typing), "esc": stats(esc), "sort": stats(sort),
            "nav_cpu": nav_cpu, "filter_cpu": filter_cpu, "sort_cpu": sort_cpu}


def show(label, m):
    print(f"{label}: peak RSS {m['hwm_keys']:.1f} MiB through navigation and filtering,"
          f" {m['hwm']:.1f} MiB after sorting (at the end {m['rss']:.1f} MiB);"
          f" idle CPU {m['idle']:.2f} % of a core; first frame {m['first']:.0f} ms")
    for k, name in (("nav", "navigation j/k/PgDn/PgUp"), ("filter", "filter keystrokes (/ a-z Bksp)"),
                    ("esc", "Esc (includes ESCDELAY)"), ("sort", "sort (s, every column)")):
        s = m[k]
        lost = f", {s['lost']} unanswered" if s["lost"] else ""
        print(f"  {name}: median {s['median']:.1f} ms, p95 {s['p95']:.1f}, p99 {s['p99']:.1f},"
              f" max {s['max']:.1f} over {s['n']} keys{lost}")
        if k + "_cpu" in m:
            c = m[k + "_cpu"]
            print(f"    its CPU time (schedstat, from the key to the whole answer; a refresh"
                  f" landing meanwhile counts): median {c['median']:.1f} ms, p95 {c['p95']:.1f},"
                  f" p99 {c['p99']:.1f}, max {c['max']:.1f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("opsdeck")
    ap.add_argument("--before", help="a build of the base commit, measured first")
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--idle", type=float, default=30.0, help="seconds of idle CPU")
    ap.add_argument("--keys", type=float, default=20.0, help="seconds of each key kind")
    ap.add_argument("--seed", type=int, default=17)
    a = ap.parse_args()
    print(f"{a.rows} queue rows, {COLS}x{ROWS}, `opsdeck --demo-queues {a.rows} --seed 1`,"
          f" Queues focused, demo refreshing every 2 s")
    if a.before:
        show("before", measure(a.before, a.rows, a.idle, a.keys, a.seed))
        sys.stdout.flush()
    show("after " if a.before else "now", measure(a.opsdeck, a.rows, a.idle, a.keys, a.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
