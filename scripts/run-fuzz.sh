#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Short libFuzzer runs for `make check` (the long runs: `make fuzz-long`,
# scripts/fuzz-long.sh).
# Each target starts from tests/fuzz/corpus/NAME/ (copied, never modified)
# and runs for FUZZ_SECONDS (default 15).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/check.sh"
CHECK_SUITE=fuzz
secs=${FUZZ_SECONDS:-15}
for f in "$@"; do
	name=$(basename "$f")
	work=$(mktemp -d)
	[ -d "$top/tests/fuzz/corpus/$name" ] && cp -r "$top/tests/fuzz/corpus/$name/." "$work/"
	log=$(mktemp)
	if "$f" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$work/" "$work" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		ok "$name (${execs:-?} execs in ${secs}s)"
	else
		bad "$name"
		tail -n 30 "$log" | sed 's/^/    | /'
		ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null | sed 's/^/    artifact: /'
	fi
	rm -rf "$work" "$log"
done
summary
