#!/usr/bin/env python3
"""
The examples of the format man pages are valid (TAP): every .EX block that a
`.\\" manexamples: NAME` comment marks (the next .EX .. .EE after it) is taken
as the reader sees it (groff renders it, so the escapes are resolved as man
resolves them), written to a file called NAME, and must pass `opsdeck lint
--strict`. A page whose marked example no longer
lints, or a page with no marked example, fails.

Usage: OPSDECK=build/opsdeck manexamples.py SOURCE_ROOT
"""
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
OPSDECK = os.path.abspath(os.environ["OPSDECK"]) if os.environ.get("OPSDECK") else None
PAGES = ["opsdeck.ini.5", "opsdeck-runbook.5", "opsdeck-drill.5"]

n = 0
failed = 0


def check(ok, what, detail=""):
    global n, failed
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))
    if not ok:
        failed += 1
        for line in detail.strip().splitlines():
            print("# " + line)


def examples(page):
    """[(name, text)] of the marked examples of a page."""
    lines = open(os.path.join(ROOT, "docs", page), encoding="utf-8").read().split("\n")
    out = []
    for i, line in enumerate(lines):
        m = re.match(r'^\.\\"\s*manexamples:\s*(\S+)\s*$', line)
        if not m:
            continue
        start = next(j for j in range(i, len(lines)) if lines[j].startswith(".EX"))
        end = next(j for j in range(start, len(lines)) if lines[j].startswith(".EE"))
        roff = ".ll 1000n\n.nf\n" + "\n".join(lines[start + 1:end]) + "\n"
        r = subprocess.run(["groff", "-Tascii", "-P-cbou"], input=roff, capture_output=True, text=True)
        text = r.stdout.rstrip("\n").lstrip("\n") + "\n"
        out.append((m.group(1), text))
    return out


if not OPSDECK or not os.access(OPSDECK, os.X_OK):
    print("Bail out! OPSDECK must name the opsdeck binary")
    sys.exit(1)
if shutil.which("groff") is None:
    print("Bail out! groff is not installed (apt-get install groff-base)")
    sys.exit(1)

tmp = tempfile.mkdtemp(prefix="opsdeck-manexamples.")
try:
    home = os.path.join(tmp, "home")
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
               XDG_STATE_HOME=os.path.join(tmp, "state"), LC_ALL="C.UTF-8")
    for page in PAGES:
        found = examples(page)
        check(len(found) > 0, "%s has a marked example" % page)
        for name, text in found:
            d = os.path.join(tmp, page)
            os.makedirs(d, exist_ok=True)
            path = os.path.join(d, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            argv = [OPSDECK, "lint", "--strict", path]
            if name.endswith(".ini"):
                # the secret files the example names, as a user would have them (0600)
                for m in re.finditer(r"^\s*\w+_file\s*=\s*~/(\S+)", text, re.M):
                    secret = os.path.join(home, m.group(1))
                    os.makedirs(os.path.dirname(secret), exist_ok=True)
                    with open(secret, "w") as f:
                        f.write("example-secret\n")
                    os.chmod(secret, stat.S_IRUSR | stat.S_IWUSR)
            # the hooks' variables an example names are set, as where it would run (the page says so)
            hooks = dict((v, "https://hooks.example.invalid/x") for v in re.findall(
                r"^\s*(?:url_env|routing_key_env|sandbox_env|notify_\w+)\s*:\s*(\w+)", text, re.M))
            r = subprocess.run(argv, capture_output=True, text=True, env=dict(env, **hooks), cwd=d)
            check(r.returncode == 0, "%s: the example %s passes %s" % (page, name, " ".join(argv[1:-1] + [name])),
                  r.stdout + r.stderr)
finally:
    shutil.rmtree(tmp)
print("1..%d" % n)
sys.exit(1 if failed else 0)
