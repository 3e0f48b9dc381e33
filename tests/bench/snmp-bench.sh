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
# Prints "BENCH snmp ..." lines (scripts/bench-json.py collects them).
# Root (netns); build first.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
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
stats() { # label ms... -> BENCH lines: median, max
	local v=$1
	shift
	printf '%s\n' "$@" | sort -n | awk -v v="$v" -v n="$N" -v r="$RUNS" '
		{ a[NR] = $1 } END {
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		printf "BENCH snmp walk_%s_median_ms = %d (snmpbulkwalk -Cr50 of muispContractTable, %d rows x 17 columns, %d runs)\n", v, m, n, r
		printf "BENCH snmp walk_%s_max_ms = %d\n", v, a[NR]
		printf "BENCH snmp walk_%s_rows_per_s = %.0f (median)\n", v, n * 1000 / m }'
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
echo "BENCH snmp cache_build_max_ms = ${build:-0} (muispd snapshot + join, $N contracts, the slowest build of the run)"

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
awk -v i="$idle" -v b="$busy" -v w="$walks" -v s="$SECS" -v hz="$HZ" \
	-v ag="$ag" -v sn="$sn" 'BEGIN {
	printf "BENCH snmp muispd_cpu_walks/idle = %.2f (muispd utime+stime over %d s: idle %.2f s, %d back-to-back walks %.2f s)\n", (i ? b / i : b), s, i / hz, w, b / hz
	printf "BENCH snmp muispd_cpu_ms_per_walk = %.1f\n", b * 1000 / hz / w
	printf "BENCH snmp agentx_cpu_ms_per_walk = %.0f\n", ag * 1000 / hz / w
	printf "BENCH snmp snmpd_cpu_ms_per_walk = %.0f\n", sn * 1000 / hz / w }'
ok "snmp benchmark ran"
summary >/dev/null
