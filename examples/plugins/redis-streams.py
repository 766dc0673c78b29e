#!/usr/bin/env python3
"""opsdeck exec plugin: Redis Streams consumer groups in the Queues pane.

Poll (no arguments): prints the opsdeck row schema (docs/plugins.md) with one
row per stream and one row per consumer group:

  stream row  key STREAM         QUEUE=STREAM  TYPE=stream  MSGS=XLEN
              READY=largest group lag  UNACK=pending of all groups  CONS=consumers
  group row   key STREAM/GROUP   QUEUE=STREAM/GROUP  TYPE=group
              MSGS=lag+pending  READY=lag (entries not yet delivered to the group)
              UNACK=pending (delivered, not acknowledged)  CONS=consumers

Streams come from REDIS_STREAMS (space-separated names) or, when unset, from
`SCAN 0 TYPE stream` over the whole keyspace. The server is REDIS_HOST
(127.0.0.1) and REDIS_PORT (6379); REDIS_CLI names the client (redis-cli).
Redis 7 reports lag; older servers report none and the cell stays empty.

Actions (called by opsdeck with shell-quoted arguments, see plugins.ini):
  trim STREAM MAXLEN        XTRIM STREAM MAXLEN = MAXLEN
  setid KEY [ID]            XGROUP SETID for the group row KEY (ID default $)

redis-cli is run with an argument list, never through a shell: names reach
Redis exactly as they are, whatever they contain.
"""
import json
import os
import subprocess
import sys

HOST = os.environ.get("REDIS_HOST", "127.0.0.1")
PORT = os.environ.get("REDIS_PORT", "6379")
CLI = os.environ.get("REDIS_CLI", "redis-cli")


class RedisError(Exception):
    pass


def redis(*args):
    """One command; its reply as lines (redis-cli prints raw replies when piped)."""
    try:
        p = subprocess.run([CLI, "-h", HOST, "-p", PORT, "--no-auth-warning"] + list(args),
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    except FileNotFoundError:
        raise RedisError(f"{CLI} not found (install redis-tools or set REDIS_CLI)")
    except subprocess.TimeoutExpired:
        raise RedisError(f"{CLI} {args[0]} timed out")
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace").strip()
    if p.returncode != 0 or out.startswith(("ERR ", "WRONGTYPE", "NOAUTH", "Could not connect")):
        raise RedisError((err or out).strip().splitlines()[-1] if (err or out).strip() else
                         f"{CLI} exited {p.returncode}")
    if out.endswith("\n"):
        out = out[:-1]
    return out.split("\n") if out else []


def streams():
    named = os.environ.get("REDIS_STREAMS")
    if named is not None:
        return named.split()
    found, cursor = [], "0"
    while True:
        reply = redis("SCAN", cursor, "COUNT", "1000", "TYPE", "stream")
        if not reply:
            break
        cursor, keys = reply[0], reply[1:]
        found.extend(k for k in keys if k != "")
        if cursor == "0":
            break
    return sorted(set(found))


def groups(stream):
    """XINFO GROUPS as a list of dicts: flat name/value pairs, a new group at each 'name'."""
    lines = redis("XINFO", "GROUPS", stream)
    result = []
    for i in range(0, len(lines) - 1, 2):
        name, value = lines[i], lines[i + 1]
        if name == "name":
            result.append({})
        if result:
            result[-1][name] = value
    return result


def num(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def rows():
    out = []
    for s in streams():
        length = num(redis("XLEN", s)[0]) if s else 0
        gs = groups(s)
        lags = [num(g.get("lag")) for g in gs]
        pending = sum(num(g.get("pending")) or 0 for g in gs)
        consumers = sum(num(g.get("consumers")) or 0 for g in gs)
        worst = max((x for x in lags if x is not None), default=None)
        cells = {"QUEUE": s, "TYPE": "stream", "MSGS": length, "UNACK": pending,
                 "CONS": consumers}
        if worst is not None:
            cells["READY"] = worst
        tone = "warn" if (worst or 0) > 0 else "normal"
        if gs and consumers == 0:
            tone = "crit"
        out.append({"key": s, "cells": cells, "tone": tone,
                    "detail": {"stream": s, "groups": len(gs)}})
        for g in gs:
            lag, pend = num(g.get("lag")), num(g.get("pending")) or 0
            key = f"{s}/{g.get('name', '')}"
            cells = {"QUEUE": key, "TYPE": "group", "UNACK": pend,
                     "CONS": num(g.get("consumers")) or 0}
            if lag is not None:
                cells["READY"] = lag
                cells["MSGS"] = lag + pend
            out.append({"key": key, "cells": cells,
                        "tone": "warn" if (lag or 0) > 0 else "normal",
                        "detail": {"stream": s, "group": g.get("name", ""),
                                   "last-delivered-id": g.get("last-delivered-id", ""),
                                   "entries-read": g.get("entries-read", "")}})
    return out


def setid(key, ident):
    for s in streams():
        for g in groups(s):
            if f"{s}/{g.get('name', '')}" == key:
                reply = redis("XGROUP", "SETID", s, g["name"], ident)
                return f"group {g['name']} of {s} set to {ident}: {' '.join(reply)}"
    raise RedisError(f"no consumer group row '{key}' (the key of a group row, STREAM/GROUP)")


def main(argv):
    try:
        if len(argv) == 0:
            print(json.dumps({"rows": rows()}))
        elif argv[0] == "trim" and len(argv) == 3:
            if num(argv[2]) is None or num(argv[2]) < 0:
                raise RedisError(f"MAXLEN must be a whole number, not '{argv[2]}'")
            removed = redis("XTRIM", argv[1], "MAXLEN", argv[2])
            print(f"trimmed {' '.join(removed)} entries from {argv[1]}")
        elif argv[0] == "setid" and len(argv) in (2, 3):
            print(setid(argv[1], argv[2] if len(argv) == 3 else "$"))
        else:
            print("usage: redis-streams.py [trim STREAM MAXLEN | setid STREAM/GROUP [ID]]",
                  file=sys.stderr)
            return 2
    except RedisError as e:
        if len(argv) == 0:
            print(json.dumps({"error": f"redis {HOST}:{PORT}: {e}"}))
            return 0
        print(f"redis {HOST}:{PORT}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
