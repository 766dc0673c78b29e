#!/usr/bin/env python3
"""An alert storm (issue 19): the console against amstorm.py, a test server in
Alertmanager's shape serving 10,000 and 50,000 alerts (about 750 bytes each),
refresh 2 s, in a pty at 120x30, the Alerts pane focused. Reports (judges
nothing; the targets and the numbers are in README's performance section):

  first data    exec to the second GET /api/v2/alerts (the console asks again
                only once the first answer is handled: the poll is chained)
  peak RSS      VmHWM of the console (/proc/PID/status) after the idle stretch
                and at the end of the run (after the churn)
  idle CPU      user + system time (/proc/PID/stat) over an idle stretch with
                no keys while the server answers the same bytes every time:
                percent of one core
  key latency   key (j, k, PgDn, PgUp in turn, each one moving the selection)
                -> first byte of the answer on the
                terminal, keys at irregular intervals of 20-400 ms while the
                server changes K alerts per request (so every refresh has new
                bytes to parse and keys land while it is handled): median,
                p95, p99, max; also the console's CPU time per key
                (/proc/PID/schedstat), which other load on the machine does
                not inflate the way it inflates wall time

usage: bench_storm.py OPSDECK [--before OPSDECK] [--alerts 10000,50000]
                      [--idle S] [--keys S] [--churn K] [--etag] [--key-set nav|redraw]
With --before, the same measures run on that binary first (e.g. a build of
the commit before the change), and both are printed side by side.
--etag: the server sends ETag/Last-Modified and answers 304 when unchanged
(default: no validators, so "unchanged" can only be seen by the bytes).
"""
import argparse
import json
import os
import random
import select
import subprocess
import sys
import tempfile
import time
import urllib.request

import benchpty
from benchpty import TAIL, cpu_s, drain, pct, quiet, read_until, run_ns, stats, vm_mib

COLS, ROWS = 120, 30


def spawn(argv, env):
    return benchpty.spawn(argv, env, (COLS, ROWS))


END_OF_FRAME = b"q quit"  # the status bar is the last thing a frame draws
# j, k, PgDn, PgUp in turn from the second row: every key moves the selection, also
# in a short list (50 group rows when grouped), so every key has an answer on the
# terminal; a key at the edge of the list changes nothing and would be "answered"
# only by the clock's next tick, up to a second later
NAV_KEYS = [b"j", b"k", b"\x1b[6~", b"\x1b[5~"]
# --key-set redraw: Ctrl-L, a key whose answer reads no table row (a build whose
# selection keys crash on a storm, as 49912e8's do, can still be timed with it)
KEY_SETS = {"nav": NAV_KEYS, "redraw": [b"\x0c"]}
HERE = os.path.dirname(os.path.abspath(__file__))




def exited(pid):
    """The console's exit status if it has ended (reaped), else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return -1
    if not done:
        return None
    return os.waitstatus_to_exitcode(status)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def key_latency(fd, key, pid, cpu):
    """ms from writing key to the first byte back (None: no answer in 5 s)."""
    quiet(fd)
    c0 = run_ns(pid)
    os.write(fd, key)
    t0 = time.monotonic()
    r, _, _ = select.select([fd], [], [], 5.0)
    if not r:
        return None
    ms = (time.monotonic() - t0) * 1000
    quiet(fd)
    cpu.append((run_ns(pid) - c0) / 1e6)
    return ms


class Server:
    """amstorm.py in a child process; its port from its first line."""

    def __init__(self, alerts, etag):
        argv = [sys.executable, os.path.join(HERE, "amstorm.py"), "--alerts", str(alerts)]
        if etag:
            argv.append("--etag")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.port = int(self.proc.stdout.readline())
        self.info = self.proc.stderr.readline().decode().strip()

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=30) as r:
            return json.loads(r.read())

    def stats(self):
        return self.get("/-/stats")

    def churn(self, k):
        return self.get(f"/-/churn?k={k}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def wait_requests(srv, n, timeout):
    """Wait until the server has answered n alerts requests; seconds taken, or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if srv.stats()["alerts"] >= n:
            return time.monotonic() - t0
        time.sleep(0.1)
    return None


def measure(opsdeck, alerts, a):
    rnd = random.Random(a.seed)
    srv = Server(alerts, a.etag)
    pid = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = os.path.join(tmp, "opsdeck.ini")
            with open(cfg, "w") as f:
                f.write(f'[backend "storm"]\ntype = alertmanager\nurl = http://127.0.0.1:{srv.port}\n'
                        f"refresh = 2s\ntimeout = 60s\nmax_body = 256M\n")
            env = dict(os.environ)
            env.update(TERM="xterm-256color", LANG="C.UTF-8", XDG_STATE_HOME=tmp,
                       XDG_CONFIG_HOME=tmp)
            env.pop("NO_COLOR", None)
            env.pop("ESCDELAY", None)
            load0 = loadavg()
            t0 = time.monotonic()
            pid, fd = spawn([opsdeck, "-c", cfg], env)
            read_until(fd, END_OF_FRAME, 60)
            # the second request: the first answer has been handled
            t = wait_requests(srv, 2, a.settle)
            first = (time.monotonic() - t0) if t is not None else None
            drain(fd, 2.0)
            os.write(fd, b"1")  # focus Alerts (the first pane)
            drain(fd, 1.0)
            # idle: the same bytes on every request
            s0 = srv.stats()
            c0, w0 = cpu_s(pid), time.monotonic()
            drain(fd, a.idle)
            idle = 100 * (cpu_s(pid) - c0) / (time.monotonic() - w0)
            s1 = srv.stats()
            hwm_idle = vm_mib(pid, "VmHWM")
            gone = exited(pid)
            if gone is not None:
                raise RuntimeError(f"the console ended during the idle stretch (exit {gone}); its last"
                                   f" output: {TAIL[0][-300:]!r}")
            # keys while K alerts change per request
            srv.churn(a.churn)
            if a.key_set == "nav":  # the second row: then k and PgUp move too
                os.write(fd, b"j")
                quiet(fd)
            turn = 0
            cpu, lat = [], []
            end = time.monotonic() + a.keys
            crash = None
            hwm = rss = 0.0
            while time.monotonic() < end:
                hwm, rss = max(hwm, hwm_idle, vm_mib(pid, "VmHWM")), vm_mib(pid, "VmRSS") or rss
                nlat, ncpu = len(lat), len(cpu)
                try:
                    keyset = KEY_SETS[a.key_set]
                    lat.append(key_latency(fd, keyset[turn % len(keyset)], pid, cpu))
                    turn += 1
                except OSError:  # its /proc entry is gone: it ended
                    pass
                gone = exited(pid)
                if gone is not None:
                    # the last key's "answer" was the end of the terminal: not a latency
                    del lat[nlat:], cpu[ncpu:]
                    crash = f"the console ENDED during the keys (exit {gone}) after {len(lat)} keys"
                    break
                time.sleep(rnd.uniform(0.02, 0.4))
            s2 = srv.stats()
            if crash is None:
                hwm, rss = vm_mib(pid, "VmHWM"), vm_mib(pid, "VmRSS")
                os.write(fd, b"q")
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    if exited(pid) is not None:
                        break
                    drain(fd, 0.1)
                else:
                    os.kill(pid, 9)
                    os.waitpid(pid, 0)
            os.close(fd)
    finally:
        if pid is not None and exited(pid) is None:  # measuring failed half-way: end it
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        srv.stop()
    return {"load": f"{load0} -> {loadavg()}", "alerts": alerts, "server": srv.info, "first": first, "hwm_idle": hwm_idle, "hwm": hwm,
            "rss": rss, "idle": idle, "idle_req": s1["alerts"] - s0["alerts"],
            "idle_304": s1["not_modified"] - s0["not_modified"],
            "keys_req": s2["alerts"] - s1["alerts"], "crash": crash, "keys": stats(lat), "keys_cpu": stats(cpu)}


def measure_or_error(opsdeck, alerts, a):
    try:
        return measure(opsdeck, alerts, a)
    except (RuntimeError, TimeoutError, OSError) as e:
        return {"alerts": alerts, "server": "amstorm.py", "load": loadavg(), "error": f"not measured: {e}"}


def show(label, m, a):
    print(f"{label} {m['alerts']} alerts ({m['server']}; load average {m['load']}):")
    if "error" in m:
        print(f"  {m['error']}")
        sys.stdout.flush()
        return
    first = f"{m['first']:.1f} s" if m["first"] is not None else f"none within {a.settle:.0f} s"
    print(f"  peak RSS {m['hwm_idle']:.1f} MiB after the idle stretch, {m['hwm']:.1f} MiB at the end"
          f" (at the end {m['rss']:.1f} MiB resident); first data handled after {first}")
    n304 = f", {m['idle_304']} answered 304" if a.etag else ""
    print(f"  idle CPU {m['idle']:.2f} % of a core over {a.idle:.0f} s, payload unchanged"
          f" ({m['idle_req']} alerts requests{n304})")
    s, c = m["keys"], m["keys_cpu"]
    lost = f", {s['lost']} unanswered in 5 s" if s["lost"] else ""
    keys = "j/k/PgDn/PgUp" if a.key_set == "nav" else "Ctrl-L (redraw)"
    print(f"  keys {keys} while {a.churn} alerts change per request ({m['keys_req']} requests"
          f" in {a.keys:.0f} s): median {s['median']:.1f} ms, p95 {s['p95']:.1f}, p99 {s['p99']:.1f},"
          f" max {s['max']:.1f} over {s['n']} keys{lost}")
    if m["crash"]:
        print(f"    {m['crash']}; the numbers are those keys'")
    print(f"    its CPU time (schedstat, key to the whole answer; a refresh landing meanwhile"
          f" counts): median {c['median']:.1f} ms, p95 {c['p95']:.1f}, p99 {c['p99']:.1f},"
          f" max {c['max']:.1f}")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("opsdeck")
    ap.add_argument("--before", help="a build of the base commit, measured first")
    ap.add_argument("--alerts", default="10000,50000", help="comma-separated alert counts")
    ap.add_argument("--idle", type=float, default=20.0, help="seconds of idle CPU")
    ap.add_argument("--keys", type=float, default=30.0, help="seconds of keys")
    ap.add_argument("--churn", type=int, default=100, help="alerts changed per request")
    ap.add_argument("--key-set", choices=sorted(KEY_SETS), default="nav",
                    help="nav: j/k/PgDn/PgUp (default); redraw: Ctrl-L")
    ap.add_argument("--etag", action="store_true", help="the server sends ETag/Last-Modified")
    ap.add_argument("--settle", type=float, default=180.0,
                    help="seconds to wait for the first answer to be handled")
    ap.add_argument("--seed", type=int, default=19)
    a = ap.parse_args()
    print(f"alert storm: amstorm.py (Alertmanager's shape), refresh 2 s, {COLS}x{ROWS}, Alerts"
          f" focused; validators {'on' if a.etag else 'off'}")
    for n in [int(x) for x in a.alerts.split(",") if x]:
        if a.before:
            show("before", measure_or_error(a.before, n, a), a)
        show("after " if a.before else "now", measure_or_error(a.opsdeck, n, a), a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
