#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Block list and walled garden lookups, host microbenchmark: instructions
# per lookup (callgrind Ir inside the measured loop, loop included) for a
# miss and a hit at 0, 16 and 4096 entries, through the lookup set of
# kmod/lists_core.c ("set") and through a model of the linear scans it
# replaced ("scan"); the set's bytes per entry; the instructions of one
# rebuild (what every add, delete or expiry costs).  ~30 s.
# Usage: tests/bench/lists-bench.sh [BUILD_DIR]   (after `make userspace`)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$top/build}/bin/lists-bench
[ -x "$bin" ] || { echo "lists-bench: build it first (make userspace)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "lists-bench: valgrind missing (scripts/deps.sh)" >&2; exit 1; }
. "$top/tests/lib/bench.sh"

echo "== lists: set sizes"
"$bin" sizes

ir() { # [-f FUNC] ITER ARGS... -> instructions per iteration
	local fn=bench_loop cmd=run iter n
	[ "$1" != -f ] || { fn=$2 cmd=build; shift 2; }
	iter=$1
	shift
	n=$(callgrind_ir $fn "$bin" $cmd "$@" "$iter") || return 1
	awk -v t="$n" -v i="$iter" 'BEGIN { printf "%.1f", t / i }'
}
echo "== lists: instructions per lookup (callgrind; FORWARD from the LAN: source, destination, MAC)"
for list in addr mixed garden; do
	for n in 0 16 4096; do
		[ $list = addr ] || [ $n = 4096 ] || continue
		for what in miss hit; do
			[ $n != 0 ] || [ $what = miss ] || continue
			new=$(ir 20000 set $list $n $what)
			# the scans at 4096 entries cost ~10^5 a lookup: fewer rounds
			old=$(ir $([ $n = 4096 ] && echo 200 || echo 20000) scan $list $n $what)
			echo "$list $n entries, $what: set $new, scan $old"
			bench_result "lists.insn_per_lookup.$list.$n.$what" "$new" insn/lookup
			bench_result "lists.insn_per_lookup_scan.$list.$n.$what" "$old" insn/lookup
		done
	done
done
echo "== lists: one rebuild of the set (every change)"
for n in 16 4096 8192; do
	b=$(ir -f bench_build_loop 20 mixed $n)
	echo "mixed $n entries: $b instructions"
	bench_result "lists.insn_per_rebuild.mixed.$n" "$b" insn/rebuild
done
