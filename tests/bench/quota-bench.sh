#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Contract charge, host model (tests/bench/quota_bench.c): locked operations
# per packet on shared cache lines before and after the per-CPU quota
# slices (kmod/quota.c), and instructions per charge under callgrind.  ~5 s.
# Usage: tests/bench/quota-bench.sh [BUILD_DIR]   (after `make userspace`)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$top/build}/bin/quota-bench
[ -x "$bin" ] || { echo "quota-bench: build it first (make userspace)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "quota-bench: valgrind missing (scripts/deps.sh)" >&2; exit 1; }
. "$top/tests/lib/bench.sh"

echo "== contract charge: locked operations per packet"
"$bin" ops

# Instructions (callgrind Ir) inside the measured loop only, per charge.
ir() { callgrind_ir "$1" "$bin" "${@:2}"; } # FUNC ARGS...
n=200000
old=$(ir bench_old_loop old $n)
new=$(ir bench_new_loop new $n)
echo "== contract charge: instructions (callgrind, $n packets, no limit near)"
bench_result quota.insn_per_charge.before "$(awk -v t="$old" -v n=$n 'BEGIN { printf "%.2f", t / n }')" insn/pkt
bench_result quota.insn_per_charge.after "$(awk -v t="$new" -v n=$n 'BEGIN { printf "%.2f", t / n }')" insn/pkt
