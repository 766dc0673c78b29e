#!/usr/bin/env python3
"""The Signals pane at scale: 50 services x 4 signals (plus the SLO windows and
the last hour's series) from a real Prometheus, refreshed every 10 s. Reports
(judges nothing; the numbers go in the README):

  key latency   a key (s: sort by the next column, every 100 ms, so every key
                redraws the header whatever the rows) to the first byte of
                the answer on the terminal: median, p95, max, over the run;
                once with the 50 services, once with the same prometheus
                backend and no services (the baseline)
  CPU           the console's user + system time over the run (/proc)
  RSS           the console's resident set at the end and its peak (VmHWM)

A tiny exporter (in this script) serves http_requests_total{service,code}
and http_request_duration_seconds histograms for the 50 services; Prometheus
scrapes it every 2 s on loopback; opsdeck runs in a pty at 160x48 with the
Signals pane in view.

usage: bench_signals.py OPSDECK [--seconds S] [--services N]
"""
import argparse
import http.server
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import benchpty
from benchpty import collect, cpu_s, vm_mib

COLS, ROWS = 160, 48


def spawn(argv, env):
    return benchpty.spawn(argv, env, (COLS, ROWS))


BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
T0 = time.time()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metrics(nservices):
    t = time.time() - T0
    out = ["# TYPE http_requests_total counter",
           "# TYPE http_request_duration_seconds histogram"]
    for i in range(nservices):
        svc = f"svc{i:02d}"
        rate = 10 + i
        total = rate * t
        errors = total * (0.001 * (i % 7))
        out.append(f'http_requests_total{{service="{svc}",code="200"}} {total - errors:.3f}')
        out.append(f'http_requests_total{{service="{svc}",code="500"}} {errors:.3f}')
        cum = 0.0
        for le in BUCKETS:
            cum = total * min(1.0, le / (0.05 + 0.01 * (i % 5)))
            out.append(f'http_request_duration_seconds_bucket{{service="{svc}",le="{le}"}} {cum:.3f}')
        out.append(f'http_request_duration_seconds_bucket{{service="{svc}",le="+Inf"}} {total:.3f}')
        out.append(f'http_request_duration_seconds_count{{service="{svc}"}} {total:.3f}')
        out.append(f'http_request_duration_seconds_sum{{service="{svc}"}} {total * 0.04:.3f}')
    return ("\n".join(out) + "\n").encode()


def serve_exporter(port, nservices):
    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = metrics(nservices)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def run(opsdeck, cfg, tmp, seconds, keys_to_signals):
    env = dict(os.environ)
    env.update(TERM="xterm-256color", LANG="C.UTF-8", XDG_STATE_HOME=tmp, XDG_CONFIG_HOME=tmp)
    env.pop("NO_COLOR", None)
    pid, fd = spawn([opsdeck, "-c", cfg], env)
    collect(fd, 3)
    for k in keys_to_signals:
        os.write(fd, k)
        collect(fd, 0.3)
    collect(fd, 12)  # one refresh in, every service shown
    screen = b""
    lat = []
    c0 = cpu_s(pid)
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        os.write(fd, b"s")
        t0 = time.monotonic()
        r, _, _ = select.select([fd], [], [], 2.0)
        if r:
            lat.append((time.monotonic() - t0) * 1000)
        screen += collect(fd, 0.1)
        i += 1
    cpu = cpu_s(pid) - c0
    rss, hwm = vm_mib(pid, "VmRSS"), vm_mib(pid, "VmHWM")
    os.write(fd, b"q")
    os.waitpid(pid, 0)
    os.close(fd)
    return lat, cpu, rss, hwm, screen


def show(label, lat, cpu, rss, hwm, seconds):
    lat = sorted(lat)
    p95 = lat[int(len(lat) * 0.95) - 1] if lat else 0
    print(f"{label}: key -> first byte median {statistics.median(lat):.2f} ms, p95 {p95:.2f} ms,"
          f" max {lat[-1]:.2f} ms over {len(lat)} keys; CPU {cpu:.2f} s in {seconds:.0f} s"
          f" ({100 * cpu / seconds:.2f} %); RSS {rss:.1f} MiB, peak {hwm:.1f} MiB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("opsdeck")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--services", type=int, default=50)
    a = ap.parse_args()
    prom_bin = shutil.which("prometheus")
    if prom_bin is None:
        print("prometheus is not installed (scripts/deps --test)")
        return 1
    tmp = tempfile.mkdtemp(prefix="opsdeck-bench-signals.")
    exp_port, prom_port = free_port(), free_port()
    serve_exporter(exp_port, a.services)
    with open(f"{tmp}/prometheus.yml", "w") as f:
        f.write(f"global:\n  scrape_interval: 2s\n  evaluation_interval: 2s\n"
                f"scrape_configs:\n  - job_name: shop\n    static_configs:\n"
                f"      - targets: ['127.0.0.1:{exp_port}']\n")
    prom = subprocess.Popen([prom_bin, f"--config.file={tmp}/prometheus.yml",
                             f"--storage.tsdb.path={tmp}/tsdb",
                             f"--web.listen-address=127.0.0.1:{prom_port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{prom_port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/-/ready", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(6)  # a few scrapes, so rates have two samples
        backend = f'[backend "prom"]\ntype = prometheus\nurl = {url}\nrefresh = 10s\n'
        base = f"{tmp}/base.ini"
        with open(base, "w") as f:
            f.write(backend)
        full = f"{tmp}/signals.ini"
        with open(full, "w") as f:
            f.write(backend)
            for i in range(a.services):
                f.write(f'\n[service "svc{i:02d}"]\nbackend = prom\n')
        # Signals shares the first slot with Alerts (no Silences without an Alertmanager):
        # v brings it; in the baseline nothing feeds Signals and v does nothing
        lat0, cpu0, rss0, hwm0, _ = run(a.opsdeck, base, tmp, a.seconds, [b"v"])
        lat1, cpu1, rss1, hwm1, screen = run(a.opsdeck, full, tmp, a.seconds, [b"v"])
        if b"svc49" not in screen and b"svc00" not in screen:
            print("warning: no service row seen on the screen during the run")
        if b"signals: " in screen:
            print("warning: the signals query failed during the run (health error on screen)")
        print(f"{a.services} services x 4 signals + 7 SLO windows + last hour, refresh 10 s,"
              f" {COLS}x{ROWS}:")
        show("  no services (baseline)", lat0, cpu0, rss0, hwm0, a.seconds)
        show(f"  {a.services} services        ", lat1, cpu1, rss1, hwm1, a.seconds)
    finally:
        prom.terminate()
        prom.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
