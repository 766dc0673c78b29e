"""What the benchmarks that drive the console in a pseudo-terminal share:
start it at a size, read what it draws, and read its CPU time and memory
from /proc. Imported by bench_*.py (Python puts a script's own directory on
sys.path, so `import benchpty` finds this file)."""
import fcntl
import os
import pty
import select
import struct
import termios
import time


def spawn(argv, env, size):
    """Run argv in a new pty of size (cols, rows); (pid, master fd)."""
    cols, rows = size
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, fd


TAIL = [b""]  # the last bytes the console wrote (for a message when it ends early)


def _read(fd):
    """One read of what the terminal got (b"" at its end), its last bytes kept in TAIL."""
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        return b""
    TAIL[0] = (TAIL[0] + chunk)[-600:]
    return chunk


def read_until(fd, needle, timeout):
    """Read until needle has been drawn (TimeoutError after timeout seconds); memory stays small."""
    buf = b""
    end = time.monotonic() + timeout
    while needle not in buf:
        left = end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no {needle!r} within {timeout}s")
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = _read(fd)
            if not chunk:
                return
            buf = buf[-len(needle):] + chunk


def drain(fd, seconds):
    """Read and drop what the terminal gets for a while."""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        r, _, _ = select.select([fd], [], [], left)
        if r and not _read(fd):
            return


def quiet(fd, gap=0.012, limit=1.0):
    """Read until the terminal has been silent for gap seconds (the frame is whole)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], gap)
        if not r or not _read(fd):
            return


def collect(fd, seconds):
    """Everything the terminal gets for a while."""
    buf = b""
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return buf
        r, _, _ = select.select([fd], [], [], left)
        if r:
            chunk = _read(fd)
            if not chunk:
                return buf
            buf += chunk


def ungroup_if_auto(fd, pane=b"2", back=None):
    """Issue 19: a table pane groups itself above [opsdeck] group_above rows;
    numbers for the flat table press = where the footer says the grouping is
    automatic (a build before issue 19 never groups)."""
    os.write(fd, pane)
    if b"auto:" in collect(fd, 1.0):
        os.write(fd, b"=")
        collect(fd, 0.5)
    if back is not None:
        os.write(fd, back)
        collect(fd, 0.5)


def cpu_s(pid):
    """User + system time of pid, in seconds (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_ns(pid):
    """Time the console has run on a CPU, in ns (/proc/PID/schedstat)."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def vm_mib(pid, key):
    """A /proc/PID/status size (VmRSS, VmHWM) in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(sorted_ms, p):
    if not sorted_ms:
        return float("nan")
    i = min(len(sorted_ms) - 1, max(0, int(round(p / 100 * len(sorted_ms))) - 1))
    return sorted_ms[i]


def stats(ms):
    """median, p95, p99, max of the samples; None is a sample lost."""
    s = sorted(x for x in ms if x is not None)
    return {"n": len(s), "lost": sum(1 for x in ms if x is None), "median": pct(s, 50),
            "p95": pct(s, 95), "p99": pct(s, 99), "max": s[-1] if s else float("nan")}
