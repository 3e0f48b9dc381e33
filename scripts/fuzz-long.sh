#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make fuzz-long`: every libFuzzer target to FUZZ_RUNS executions
# (default 10^7), FUZZ_JOBS targets at a time (default 2), outside
# `make check` (which runs each for 6 s: scripts/run-fuzz.sh).  Hours on
# a 2-core machine: run it with `nice -n 19` next to other work.
#
#   scripts/fuzz-long.sh build/fuzz/NAME...   (make fuzz-long passes all;
#                                              FUZZ_TARGETS="NAME ..." picks)
#
# Each target starts from its kept corpus, build/fuzz-long/corpus/NAME/
# (the seeds of tests/fuzz/corpus/NAME/ plus what earlier runs found),
# writes what it finds into a scratch directory, and at the end the two are
# merged (-merge=1) into a fresh corpus that replaces the kept one: only
# inputs that add coverage survive, so the corpus grows with coverage, not
# with time.  A crash, leak, time-out (FUZZ_TIMEOUT s for one input,
# default 60) or out-of-memory stops that target: libFuzzer's reproducer
# is kept in build/fuzz-long/artifacts/NAME/ and the run fails; so does a
# target that ended short of FUZZ_RUNS.  Logs: build/fuzz-long/log/NAME.log.
#
# Prints one line a target:
#   FUZZ NAME: runs=N cov=C ft=F corpus=FILES/BYTES new=N exec/s=R
#        rss=MB time=S crashes=0 commit=REV
# (cov and ft: libFuzzer's edge coverage and feature count at DONE, of
# the merged corpus; REV: the tree's commit, "+" if the sources the
# targets are built from differed from it), then
# "fuzz-long: N passed, N failed".  A target's last passing line is kept in
# build/fuzz-long/result/NAME, and build/fuzz-long/report.txt gathers them
# all, so targets may be run a few at a time (FUZZ_TARGETS).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/fuzz-long
runs=${FUZZ_RUNS:-10000000}
jobs=${FUZZ_JOBS:-2}
tmo=${FUZZ_TIMEOUT:-60}

# One target: "--one BIN"; prints its FUZZ line, or "FAIL NAME: why".
if [ "${1:-}" = --one ]; then
	f=$2 name=$(basename "$2")
	corpus=$out/corpus/$name art=$out/artifacts/$name
	scratch=$out/scratch/$name log=$out/log/$name.log
	rm -rf "$scratch" "$art"
	mkdir -p "$corpus" "$art" "$scratch" "$out/log"
	# Seeds always come in (cp -n: a kept file of the same name stays).
	[ -d "$top/tests/fuzz/corpus/$name" ] &&
		cp -rn "$top/tests/fuzz/corpus/$name/." "$corpus/"
	t0=$SECONDS
	"$f" -runs="$runs" -timeout="$tmo" -print_final_stats=1 \
		-artifact_prefix="$art/" "$scratch" "$corpus" >"$log" 2>&1
	rc=$?
	secs=$((SECONDS - t0))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	arts=$(ls "$art" 2>/dev/null | tr '\n' ' ')
	if [ $rc -ne 0 ] || [ -n "$arts" ]; then
		echo "FAIL $name: exit $rc after ${execs:-?} runs, ${secs}s; artifacts in ${art#$top/}/: ${arts:-none}"
		grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | sed 's/^/    | /'
		exit 1
	fi
	# Merge the kept corpus and this run's finds into a fresh one.
	merged=$out/merged/$name
	rm -rf "$merged"
	mkdir -p "$merged"
	if ! "$f" -merge=1 -timeout="$tmo" "$merged" "$corpus" "$scratch" \
		>"$log.merge" 2>&1; then
		echo "FAIL $name: merge failed (${log#$top/}.merge)"
		exit 1
	fi
	rm -rf "$corpus" "$scratch"
	mv "$merged" "$corpus"
	# cov/ft of the merged corpus: one pass over it (-runs=0).
	"$f" -runs=0 "$corpus" >"$log.cov" 2>&1
	cov=$(sed -n 's/.*\(INITED\|DONE\) *cov: \([0-9]*\) ft: \([0-9]*\).*/\2 \3/p' "$log.cov" | tail -1)
	files=$(find "$corpus" -type f | wc -l)
	bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
	fstat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
	if [ "${execs:-0}" -lt "$runs" ]; then
		echo "FAIL $name: ${execs:-0} runs, short of $runs"
		exit 1
	fi
	rev=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')
	git -C "$top" diff --quiet HEAD -- include lib daemon tools tests/fuzz \
		2>/dev/null || rev=$rev+
	mkdir -p "$out/result"
	echo "FUZZ $name: runs=$execs cov=${cov% *} ft=${cov#* } corpus=$files/$bytes new=$(fstat new_units_added) exec/s=$(fstat average_exec_per_sec) rss=$(fstat peak_rss_mb)MB time=${secs}s crashes=0 commit=$rev" |
		tee "$out/result/$name"
	exit 0
fi

. "$top/tests/lib/check.sh"
CHECK_SUITE=fuzz-long
sel=()
for f in "$@"; do
	[ -z "${FUZZ_TARGETS:-}" ] ||
		[[ " $FUZZ_TARGETS " == *" $(basename "$f") "* ]] || continue
	[ -x "$f" ] || { bad "$(basename "$f"): not built"; continue; }
	sel+=("$f")
done
mkdir -p "$out"
echo "fuzz-long: ${#sel[@]} target(s), $runs runs each, $jobs at a time (logs in ${out#$top/}/log/)"
results=$(mktemp)
trap 'rm -f "$results"' EXIT
printf '%s\n' "${sel[@]}" |
	xargs -r -P "$jobs" -I{} "$0" --one {} | tee "$results"
for f in "${sel[@]}"; do
	name=$(basename "$f")
	if grep -q "^FUZZ $name:" "$results"; then
		ok "$name"
	else
		bad "$name"
	fi
done
cat "$out"/result/* 2>/dev/null | sort >"$out/report.txt"
summary
