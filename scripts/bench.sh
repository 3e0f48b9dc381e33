#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: every benchmark, each reporting ratios against a baseline
# measured in the same run (the VM emulates its CPU, so absolute rates mean
# nothing there).  Lines starting with "BENCH" are the results that
# docs/PERFORMANCE.md quotes.  Select with BENCH="host vm-forward ...".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s -j"$(nproc)" all || exit 1
want=${BENCH:-all}
rc=0
run() { # name command...
	local name=$1
	shift
	case " $want " in *" all "*|*" $name "*) ;; *) return 0 ;; esac
	echo "== bench $name"
	"$@" || { echo "bench $name: FAILED"; rc=1; }
}
for b in tests/bench/*.sh; do
	[ -e "$b" ] && run "host-$(basename "$b" .sh)" "$b"
done
# Per-component host benchmarks: tests/COMPONENT/bench.sh.
for b in tests/*/bench.sh; do
	[ -e "$b" ] && run "host-$(basename "$(dirname "$b")")" "$b"
done
# Long fuzz runs (FUZZ_RUNS executions per target, default 10 million):
# only when asked for, e.g. BENCH=fuzz-long make bench (about 15 min a target;
# FUZZ_TARGETS="fuzz_dhcp_packet ..." picks targets).
fuzz_long() {
	local f rc=0
	make -s -j"$(nproc)" check-fuzz FUZZ_SECONDS=1 >/dev/null || return 1
	for f in build/fuzz/*; do
		[ -z "${FUZZ_TARGETS:-}" ] ||
			[[ " $FUZZ_TARGETS " == *" $(basename "$f") "* ]] || continue
		local work
		work=$(mktemp -d)
		cp -r "tests/fuzz/corpus/$(basename "$f")/." "$work/" 2>/dev/null
		if "$f" -runs="${FUZZ_RUNS:-10000000}" -print_final_stats=1 \
			-artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
			echo "BENCH fuzz $(basename "$f"): $(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log") executions, 0 crashes"
		else
			echo "fuzz $(basename "$f"): FAILED"; tail -20 "$work.log"; rc=1
		fi
		rm -rf "$work" "$work.log"
	done
	return $rc
}
case " $want " in *" fuzz-long "*) run fuzz-long fuzz_long ;; esac
for b in tests/vm/bench/*.sh; do
	[ -e "$b" ] && run "vm-$(basename "$b" .sh)" \
		tests/vm/run.sh --dir tests/vm/bench "$(basename "$b" .sh)" \
		--show-log
done
exit $rc
