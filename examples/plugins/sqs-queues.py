#!/usr/bin/env python3
"""opsdeck exec plugin: Amazon SQS queues in the Queues pane, through the AWS CLI.

Poll (no arguments): `aws sqs list-queues`, then `aws sqs get-queue-attributes`
for each queue, printed in the opsdeck row schema (docs/plugins.md):
  QUEUE  the queue's name       TYPE  fifo or standard
  READY  ApproximateNumberOfMessages            (visible, waiting)
  UNACK  ApproximateNumberOfMessagesNotVisible  (in flight)
  MSGS   READY + UNACK + ApproximateNumberOfMessagesDelayed
Set SQS_QUEUE_PREFIX to list only queues whose names start with it. AWS_CLI
names the client (aws); credentials and region come the usual AWS ways
(AWS_PROFILE, AWS_REGION, ...). The numbers are approximate, as SQS says.
A queue with a redrive policy shows its dead-letter queue in the detail view;
a queue whose name ends in -dlq or _dlq with messages is marked crit.

Action (see plugins.ini): purge QUEUE -> aws sqs purge-queue. The AWS CLI
runs with an argument list, never through a shell.
"""
import json
import os
import subprocess
import sys

AWS = os.environ.get("AWS_CLI", "aws")


def aws(*args):
    try:
        p = subprocess.run([AWS, "sqs"] + list(args) + ["--output", "json"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    except FileNotFoundError:
        sys.exit(f"{AWS} not found (install the AWS CLI or set AWS_CLI)")
    if p.returncode != 0:
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        sys.exit(err[-1] if err else f"{AWS} exited {p.returncode}")
    text = p.stdout.decode("utf-8", "replace").strip()
    try:
        return json.loads(text) if text else {}
    except json.JSONDecodeError:
        sys.exit(f"{AWS} printed something that is not JSON")


def count(attrs, name):
    try:
        return int(attrs.get(name, 0))
    except (TypeError, ValueError):
        return 0


def rows():
    args = ["list-queues"]
    if os.environ.get("SQS_QUEUE_PREFIX"):
        args += ["--queue-name-prefix", os.environ["SQS_QUEUE_PREFIX"]]
    out = []
    for url in aws(*args).get("QueueUrls", []):
        name = url.rstrip("/").rsplit("/", 1)[-1]
        attrs = aws("get-queue-attributes", "--queue-url", url,
                    "--attribute-names", "All").get("Attributes", {})
        visible = count(attrs, "ApproximateNumberOfMessages")
        flight = count(attrs, "ApproximateNumberOfMessagesNotVisible")
        delayed = count(attrs, "ApproximateNumberOfMessagesDelayed")
        detail = {"url": url, "delayed": delayed}
        if "RedrivePolicy" in attrs:
            try:
                detail["dead-letter queue"] = json.loads(attrs["RedrivePolicy"]).get(
                    "deadLetterTargetArn", "")
            except (TypeError, ValueError):
                pass
        dlq = name.removesuffix(".fifo").endswith(("-dlq", "_dlq"))
        out.append({"key": name,
                    "cells": {"QUEUE": name, "TYPE": "fifo" if name.endswith(".fifo")
                              else "standard",
                              "MSGS": visible + flight + delayed, "READY": visible,
                              "UNACK": flight},
                    "tone": "crit" if dlq and visible > 0 else "normal",
                    "detail": detail})
    return out


def main(argv):
    if not argv:
        print(json.dumps({"rows": rows()}))
        return 0
    if argv[0] == "purge" and len(argv) == 2:
        url = aws("get-queue-url", "--queue-name", argv[1]).get("QueueUrl")
        if not url:
            sys.exit(f"no queue named {argv[1]}")
        aws("purge-queue", "--queue-url", url)
        print(f"purge of {argv[1]} requested (SQS takes up to 60 s)")
        return 0
    print("usage: sqs-queues.py [purge QUEUE]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
