#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: every benchmark, each reporting ratios against a baseline
# measured in the same run (the VM emulates its CPU, so absolute rates mean
# nothing there).  Lines starting with "BENCH" are the results that
# docs/PERFORMANCE.md quotes; they are also collected, with the run's
# commit, kernel and date, into build/bench/results.json (the quoted run is
# committed as docs/bench/results.json).  Select with
# BENCH="host vm-forward ...".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s -j"$(nproc)" all || exit 1
want=${BENCH:-all}
rc=0
out=$top/build/bench
mkdir -p "$out"
log=$out/bench.log
: >"$log"
run() { # name command...
	local name=$1
	shift
	case " $want " in *" all "*|*" $name "*) ;; *) return 0 ;; esac
	echo "== bench $name" | tee -a "$log"
	"$@" 2>&1 | tee -a "$log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "bench $name: FAILED" | tee -a "$log"; rc=1; }
}
for b in tests/bench/*.sh; do
	[ -e "$b" ] && run "host-$(basename "$b" .sh)" "$b"
done
# Per-component host benchmarks: tests/COMPONENT/bench.sh (tests/lib's is
# the library that prints the figures).
for b in tests/*/bench.sh; do
	[ "$b" != tests/lib/bench.sh ] && [ -e "$b" ] && run "host-$(basename "$(dirname "$b")")" "$b"
done
# The VM's instruction counter checked against loops of known length
# before vm-insn uses it (tests/bench/qemu-insn/selftest.sh).
run host-qemu-insn make -s qemu-insn-check
for b in tests/vm/bench/*.sh; do
	[ -e "$b" ] && run "vm-$(basename "$b" .sh)" \
		tests/vm/run.sh --dir tests/vm/bench "$(basename "$b" .sh)" \
		--show-log
done
scripts/bench-json.py "$log" "$want" --meta "$out/run.json" \
	>"$out/results.json" ||
	{ echo "bench: cannot write $out/results.json"; rc=1; }
echo "bench: results in ${out#$top/}/results.json"
exit $rc
