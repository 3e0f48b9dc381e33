#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SNMP benchmark (`make bench`, part host-snmp-bench):
# muispd (kernel no) holding SNMP_BENCH_N (10,000) contracts, muisp-agentx
# (cache-ttl 5 s) under a private snmpd, as tests/snmp/walk10k.sh sets
# them up.  Measures
#   - snmpbulkwalk -Cr50 of the whole muispContractTable, v2c and v3
#     authPriv SHA/AES, SNMP_BENCH_RUNS (5) runs each: median and max ms,
#     rows/s;
#   - the cache's build time for N contracts (muisp-agentx -v's log);
#   - muispd's CPU (utime+stime, /proc/PID/stat) over SNMP_BENCH_SECS (60)
#     idle and over as long of back-to-back v2c walks: the ratio, and ms of
#     muispd CPU per walk; the subagent's and snmpd's CPU per walk.
# Prints its figures with bench_result (tests/lib/bench.sh; collected by
# scripts/bench-json.py).
# Root (netns); build first.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/lib/bench.sh"
. "$top/tests/snmp/lib.sh"
snmp_part snmpbench
N=${SNMP_BENCH_N:-10000}
RUNS=${SNMP_BENCH_RUNS:-5}
SECS=${SNMP_BENCH_SECS:-60}
TBL=$MUISP_OID.1.4
HZ=$(getconf CLK_TCK)

muispd_start "$N"
snmpd_start
agentx_conf "cache-ttl 5s"
agentx_start -v
wait_until -t 10 -m "the subagent answers" answers "$MUISP_OID.1.1.12.0" ||
	fail "muisp-agentx does not answer"

cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
walk_ms() { # v2c|v3 -> ms of one whole walk; fails unless N x 17 lines
	local t0 n
	t0=$(ms_now)
	if [ "$1" = v3 ]; then n=$(swalk3 "$TBL" | grep -c '^\.'); else n=$(swalk "$TBL" | grep -c '^\.'); fi
	[ "$n" -eq $((N * 17)) ] || { echo "walk: $n lines, not $((N * 17))" >&2; return 1; }
	echo $(($(ms_now) - t0))
}
stats() { # label ms... -> the figures: median (with the spread), max, rows/s
	local v=$1 m x
	shift
	echo "    snmpbulkwalk -Cr50 of muispContractTable, $N rows x 17 columns, $# runs"
	bench_rounds "snmp.walk_${v}_median_ms" ms "" "$@"
	read -r m x <<<"$(printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END {
		printf "%d %d\n", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2, a[NR] }')"
	bench_result "snmp.walk_${v}_max_ms" "$x" ms "" "$#"
	bench_result "snmp.walk_${v}_rows_per_s" \
		"$(awk -v n="$N" -v m="$m" 'BEGIN { printf "%.0f", n * 1000 / m }')" rows/s "" "$#"
}

walk_ms v2c >/dev/null || fail "first walk"
for v in v2c v3; do
	t=()
	for _ in $(seq "$RUNS"); do
		ms=$(walk_ms "$v") || fail "walk $v"
		t+=("$ms")
	done
	echo "    $v: ${t[*]} ms"
	stats "$v" "${t[@]}"
done
build=$(sed -n "s/.*cache: $N contracts, .* in \([0-9]*\) ms/\1/p" "$T/agentx.log" | sort -n | tail -1)
echo "cache build: muispd snapshot + join, $N contracts, the slowest build of the run"
bench_result snmp.cache_build_max_ms "${build:-0}" ms

# muispd's CPU: idle, then back-to-back walks, as long each
sleep 6 # past cache-ttl: the idle period starts with nothing due
m0=$(cpu "$muispd_pid")
sleep "$SECS"
idle=$(($(cpu "$muispd_pid") - m0))
m0=$(cpu "$muispd_pid") a0=$(cpu "$agentx_pid") s0=$(cpu "$snmpd_pid")
end=$(($(ms_now) + SECS * 1000)) walks=0
while [ "$(ms_now)" -lt "$end" ]; do
	walk_ms v2c >/dev/null || fail "walk during the CPU run"
	walks=$((walks + 1))
done
busy=$(($(cpu "$muispd_pid") - m0))
ag=$(($(cpu "$agentx_pid") - a0)) sn=$(($(cpu "$snmpd_pid") - s0))
awk -v i="$idle" -v b="$busy" -v w="$walks" -v s="$SECS" -v hz="$HZ" 'BEGIN {
	printf "muispd utime+stime over %d s: idle %.2f s, %d back-to-back walks %.2f s\n", s, i / hz, w, b / hz }'
per_walk() { awk -v c="$1" -v w="$walks" -v hz="$HZ" -v f="$2" 'BEGIN { printf f, c * 1000 / hz / w }'; }
bench_result snmp.muispd_cpu_walks/idle \
	"$(awk -v i="$idle" -v b="$busy" 'BEGIN { printf "%.2f", (i ? b / i : b) }')" ratio
bench_result snmp.muispd_cpu_ms_per_walk "$(per_walk "$busy" %.1f)" ms/walk
bench_result snmp.agentx_cpu_ms_per_walk "$(per_walk "$ag" %.0f)" ms/walk
bench_result snmp.snmpd_cpu_ms_per_walk "$(per_walk "$sn" %.0f)" ms/walk
ok "snmp benchmark ran"
summary >/dev/null
