#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Short libFuzzer runs for `make check` (the long runs are in `make bench`).
# Each target starts from tests/fuzz/corpus/NAME/ (copied, never modified)
# and runs for FUZZ_SECONDS (default 15).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_SECONDS:-15}
pass=0 fail=0
for f in "$@"; do
	name=$(basename "$f")
	work=$(mktemp -d)
	[ -d "$top/tests/fuzz/corpus/$name" ] && cp -r "$top/tests/fuzz/corpus/$name/." "$work/"
	log=$(mktemp)
	if "$f" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$work/" "$work" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "  ok   $name (${execs:-?} execs in ${secs}s)"
		pass=$((pass + 1))
	else
		echo "  FAIL $name"
		tail -n 30 "$log" | sed 's/^/    | /'
		ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* 2>/dev/null | sed 's/^/    artifact: /'
		fail=$((fail + 1))
	fi
	rm -rf "$work" "$log"
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
