#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The figures of a `make bench` log as build/bench/results.json.

The file is a list of objects
  {"name", "value", "unit", "target", "rounds", "spread", "kernel", "date"}
one per figure, in the order the log printed them.  A benchmark prints a
figure as one line "BENCH {json}" (tests/lib/bench.sh, tests/lib/bench.h);
"kernel" defaults to this machine's release, "date" is the run's.  A line
in the older free form "BENCH GROUP METRIC[ =] VALUE NOTE" is still read:
name GROUP.METRIC, a "(target OP X)" in its note becomes the target.

usage: bench-json.py LOG [SELECTED] [--meta FILE]
--meta writes the run's commit, selection and failed benchmarks to FILE.
A run that produced no figure fails (exit 1): an empty list would look like
a benchmark that ran; so does a line that is not valid JSON.
"""
import datetime
import json
import os
import re
import subprocess
import sys

NUM = re.compile(r"^-?[0-9][0-9,]*(\.[0-9]+)?$")
TARGET = re.compile(r"target\s*([<>]=?|==)\s*(-?[0-9][0-9.,]*)")
KEYS = ("name", "value", "unit", "target", "rounds", "spread", "kernel",
        "date")


def number(tok):
    tok = tok.rstrip(";,")
    if not NUM.match(tok):
        return None
    v = float(tok.replace(",", ""))
    return int(v) if v.is_integer() and "." not in tok else v


def slug(s):
    return re.sub(r"[^A-Za-z0-9_.:/+()-]+", "_", s.strip()).strip("_")


def legacy(body):
    """ "GROUP METRIC[ =] VALUE NOTE" -> a figure, or None if no value."""
    group, _, rest = body.partition(" ")
    if " = " in rest:
        metric, _, tail = rest.partition(" = ")
        toks = tail.split(None, 1)
    else:
        toks = rest.split(None, 2)
        metric, toks = (toks[0] if toks else ""), toks[1:]
    value = number(toks[0]) if toks else None
    if value is None:
        return None
    note = toks[1] if len(toks) > 1 else ""
    m = TARGET.search(note)
    return {"name": slug(group) + "." + slug(metric), "value": value,
            "unit": "", "target": f"{m.group(1)} {m.group(2)}" if m else None}


def figure(body, kernel, date):
    if body.startswith("{"):
        fig = json.loads(body)
        for k in ("name", "value", "unit"):
            if k not in fig:
                raise ValueError(f"no {k!r}")
        if not isinstance(fig["value"], (int, float)):
            raise ValueError("value is not a number")
    else:
        fig = legacy(body)
        if fig is None:
            return None
    out = {k: fig.get(k) for k in KEYS}
    out["rounds"] = out["rounds"] or 1
    out["kernel"] = out["kernel"] or kernel
    out["date"] = out["date"] or date
    return out


def git(*args):
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def main(argv):
    meta = None
    if "--meta" in argv:
        i = argv.index("--meta")
        meta = argv[i + 1]
        del argv[i:i + 2]
    log, want = argv[1], argv[2] if len(argv) > 2 else "all"
    date = datetime.datetime.now(datetime.timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    kernel = os.uname().release
    results, failed, bad = [], [], 0
    with open(log, errors="replace") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            m = re.match(r"^bench (\S+): FAILED", line)
            if m:
                failed.append(m.group(1))
                continue
            i = line.find("BENCH ")
            if i < 0:
                continue
            try:
                fig = figure(line[i + 6:].strip(), kernel, date)
            except ValueError as e:
                print(f"bench-json: {log}:{n}: {e}: {line}", file=sys.stderr)
                bad += 1
                continue
            if fig:
                results.append(fig)
    if meta:
        with open(meta, "w") as f:
            json.dump({"date": date, "commit": git("rev-parse", "HEAD"),
                       "host_kernel": kernel, "selected": want,
                       "failed": failed}, f, indent=1)
            f.write("\n")
    if not results:
        print("bench-json: no BENCH lines in " + log, file=sys.stderr)
        return 1
    json.dump(results, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
