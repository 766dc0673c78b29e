#!/usr/bin/env python3
"""Print one closing line for the test runs: 'tests: N passed, N failed'.

Reads meson's testlog.json of each build directory given, so the line counts
exactly what meson ran, in every build. No test here skips on purpose, so a
skip (exit 77, which is also libFuzzer's default for a finding) fails the run.
"""
import json
import sys

passed = failed = skipped = 0
for d in sys.argv[1:]:
    try:
        with open(f"{d}/meson-logs/testlog.json") as f:
            for line in f:
                r = json.loads(line)
                res = r.get("result")
                if res in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif res == "SKIP":
                    skipped += 1
                    print(f"SKIPPED (counted as a failure): {d}: {r.get('name')}")
                else:
                    failed += 1
                    print(f"FAILED: {d}: {r.get('name')} ({res})")
    except FileNotFoundError:
        print(f"no test log in {d}")
        failed += 1
line = f"tests: {passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed or skipped else 0)
