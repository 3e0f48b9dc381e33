#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Flow-table host microbenchmark: at 1k, 10k, 100k and 1M flows, bytes of
# bucket array per flow and mean probes (key compares) per lookup as the
# index grows with the flows, and instructions per packet for lookup +
# update under callgrind (and for a new flow at 50k).  ~2 min, most of it
# callgrind filling the 1M-flow table.
# Usage: tests/bench/flowtable-bench.sh [BUILD_DIR]   (after `make userspace`)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$top/build}/bin/flowtable-bench
[ -x "$bin" ] || { echo "flowtable-bench: build it first (make userspace)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "flowtable-bench: valgrind missing (scripts/deps.sh)" >&2; exit 1; }
. "$top/tests/lib/bench.sh"

# A fixed hash seed makes the run repeat exactly; override to sample others.
export FT_BENCH_SEED=${FT_BENCH_SEED:-1}
scales="1000 10000 100000 1000000"
name() { case $1 in 1000000) echo 1M ;; 100000) echo 100k ;; 10000) echo 10k ;; 1000) echo 1k ;; *) echo "$1" ;; esac; }

echo "== flow table: sizes"
"$bin" sizes
echo "== flow table: bucket bytes per flow and probes per lookup (targets <= 64 B at 10k, <= 1.1)"
for f in $scales; do "$bin" scale "$f"; done

# Instructions (callgrind Ir) inside the measured loop only, per packet.
ir() { callgrind_ir "$1" "$bin" "${@:2}"; } # FUNC ARGS...
echo "== flow table: instructions (callgrind; lookup+update of an existing flow)"
n=200000
for f in $scales; do
	hit=$(ir bench_hit_loop hits $n "$f")
	bench_result "flowtable.instructions_per_packet_$(name "$f")" \
		"$(awk -v t="$hit" -v n=$n 'BEGIN { printf "%.1f", t / n }')" insn/pkt
done
m=50000
# miss + insert (malloc included) into an array already grown: what a new
# flow costs the packet path
ins=$(ir bench_insert_loop inserts-pregrown $m)
bench_result flowtable.instructions_per_new_flow \
	"$(awk -v t="$ins" -v n=$m 'BEGIN { printf "%.1f", t / n }')" insn/flow
# the same with the array growing from its minimum as the flows come: the
# difference is the resizes' work (the module's collector does it)
grow=$(ir bench_insert_loop inserts $m)
bench_result flowtable.instructions_per_new_flow_with_resizes \
	"$(awk -v t="$grow" -v n=$m 'BEGIN { printf "%.1f", t / n }')" insn/flow
