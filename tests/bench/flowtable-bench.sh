#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Flow-table host microbenchmark: mean probes per lookup at the default
# load factor, bytes per flow entry, and instructions per packet for
# lookup + update (and for a new flow) under callgrind.  ~10 s.
# Usage: tests/bench/flowtable-bench.sh [BUILD_DIR]   (after `make userspace`)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/bench.sh"
bin=${1:-$top/build}/bin/flowtable-bench
[ -x "$bin" ] || { echo "flowtable-bench: build it first (make userspace)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "flowtable-bench: valgrind missing (scripts/deps.sh)" >&2; exit 1; }

# A fixed hash seed makes the run repeat exactly; override to sample others.
export FT_BENCH_SEED=${FT_BENCH_SEED:-1}

echo "== flow table: sizes"
"$bin" sizes
echo "== flow table: probes (key compares per lookup; target <= 1.1 at the default load factor)"
"$bin" probes
# The power-of-two rounding leaves the load at max between 0.1 and 0.2; the
# worst case (max_flows = 2^19 / 5) at load 0.2:
"$bin" probes 104857 |
	sed -n 's/^BENCH {"name": "flowtable.probes_per_hit_lookup"/BENCH {"name": "flowtable.probes_per_hit_lookup_worst_load"/p'

# Instructions (callgrind Ir) inside the measured loop only, per packet.
ir() { # FUNC ARGS...
	local fn=$1 out log n
	shift
	out=$(mktemp) log=$(mktemp)
	valgrind --tool=callgrind --toggle-collect="$fn" --callgrind-out-file="$out" \
		"$bin" "$@" >/dev/null 2>"$log"
	n=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log")
	rm -f "$out" "$log"
	echo "$n"
}
n=200000
hit=$(ir bench_hit_loop hits $n)
echo "== flow table: instructions (callgrind)"
echo "lookup+update of an existing flow, callgrind, $n packets over 10000 flows:"
bench_result flowtable.instructions_per_packet \
	"$(awk -v t="$hit" -v n=$n 'BEGIN { printf "%.1f", t / n }')" insn/pkt
m=50000
ins=$(ir bench_insert_loop inserts $m)
echo "miss+insert, malloc included, $m flows:"
bench_result flowtable.instructions_per_new_flow \
	"$(awk -v t="$ins" -v n=$m 'BEGIN { printf "%.1f", t / n }')" insn/flow
