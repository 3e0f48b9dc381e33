#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Short libFuzzer runs for `make check` (the long runs: `make fuzz-long`,
# scripts/fuzz-long.sh).
# Each target starts from tests/fuzz/corpus/NAME/ (copied, never modified)
# and runs for FUZZ_SECONDS (default 6), FUZZ_JOBS (default: one per CPU)
# targets at a time; the results are reported in the order given.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/check.sh"
CHECK_SUITE=fuzz
secs=${FUZZ_SECONDS:-6}
jobs=${FUZZ_JOBS:-$(nproc)}
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT

# fuzz_one TARGET DIR: run it from its corpus; DIR gets log, rc, work/.
fuzz_one() {
	local f=$1 d=$2 name
	name=$(basename "$f")
	mkdir -p "$d/work"
	[ -d "$top/tests/fuzz/corpus/$name" ] &&
		cp -r "$top/tests/fuzz/corpus/$name/." "$d/work/"
	"$f" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$d/work/" "$d/work" >"$d/log" 2>&1
	echo $? >"$d/rc"
}

i=0
for f in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	fuzz_one "$f" "$runs/$i" &
	i=$((i + 1))
done
wait

i=0
for f in "$@"; do
	name=$(basename "$f")
	d=$runs/$i
	i=$((i + 1))
	if [ "$(cat "$d/rc" 2>/dev/null)" = 0 ]; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log")
		ok "$name (${execs:-?} execs in ${secs}s)"
	else
		bad "$name"
		tail -n 30 "$d/log" | sed 's/^/    | /'
		ls "$d/work"/crash-* "$d/work"/leak-* "$d/work"/timeout-* \
			2>/dev/null | sed 's/^/    artifact: /'
	fi
done
summary
