#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The BENCH lines of a `make bench` log as JSON (build/bench/results.json).

Each line "BENCH GROUP METRIC... = VALUE REST" or "BENCH GROUP METRIC VALUE
REST" becomes {"bench", "group", "metric", "value", "note"}; the bench is
the "== bench NAME" section it came from.  A run that produced no result
fails (exit 1): an empty file would look like a benchmark that ran.
"""
import datetime
import json
import os
import re
import subprocess
import sys

NUM = re.compile(r"^-?[0-9][0-9,]*(\.[0-9]+)?$")


def number(tok):
    tok = tok.rstrip(";,")
    if not NUM.match(tok):
        return None
    v = float(tok.replace(",", ""))
    return int(v) if v.is_integer() and "." not in tok else v


def parse(line):
    body = line[len("BENCH "):].strip()
    group, _, rest = body.partition(" ")
    if " = " in rest:
        metric, _, tail = rest.partition(" = ")
        toks = tail.split(None, 1)
        value = number(toks[0]) if toks else None
        note = toks[1] if len(toks) > 1 else ""
        if value is None:  # e.g. "median = 12 ms, p99 = ..."
            value, note = None, tail
    else:
        toks = rest.split(None, 2)
        metric = toks[0] if toks else ""
        value = number(toks[1]) if len(toks) > 1 else None
        note = toks[2] if len(toks) > 2 else ""
    return {"group": group, "metric": metric.strip(), "value": value,
            "note": note.strip(), "line": body}


def git(*args):
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main():
    log, want = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "all"
    results, bench, failed = [], "", []
    with open(log, errors="replace") as f:
        for raw in f:
            line = raw.strip()
            m = re.match(r"^== bench (\S+)", line)
            if m:
                bench = m.group(1)
                continue
            m = re.match(r"^bench (\S+): FAILED", line)
            if m:
                failed.append(m.group(1))
                continue
            i = line.find("BENCH ")
            if i >= 0:
                r = parse(line[i:])
                r["bench"] = bench
                results.append(r)
    if not results:
        print("bench-json: no BENCH lines in " + log, file=sys.stderr)
        return 1
    doc = {
        "date": datetime.datetime.now(datetime.timezone.utc)
        .strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": git("rev-parse", "HEAD"),
        "host_kernel": os.uname().release,
        "selected": want,
        "failed": failed,
        "results": results,
    }
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
