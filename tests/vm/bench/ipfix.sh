#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# IPFIX export benchmark (issue 13).  The forwarding rig of forward.sh
# (fwd-lib.bash: pktgen in "gen" -> "router" -> "sink", forwarding on
# CPU 1) with flows that end all the time: pktgen keeps FLOWS flows of
# FLOWLEN packets each and replaces a finished one by a new random
# destination, so the module ends about one flow per FLOWLEN packets
# (max-flows MAXF: the oldest are evicted).  Two
# configurations, interleaved over ROUNDS rounds after a warm-up round:
#   muisp  the module metering, no listener on the flow-record group (the
#          module then builds no record messages)
#   ipfix  the same, with muisp-ipfixd exporting every record to a UDP
#          collector in "sink"
# Reported: packets forwarded per second of each (emulated: only their
# ratio means anything), records exported per second by muisp-ipfixd and
# what was lost (its overrun and send counters, the module's records_lost).
. "$MUISP_TOP/tests/vm/lib.sh"

ROUNDS=${MUISP_BENCH_ROUNDS:-3}
SECS=${MUISP_BENCH_SECS:-5}
NADDR=1000 NPORT=10
FLOWS=${MUISP_BENCH_FLOWS:-2000} FLOWLEN=${MUISP_BENCH_FLOWLEN:-8}
MAXF=${MUISP_BENCH_MAXF:-16384}
COLLECTOR=198.51.100.2
. "$MUISP_TOP/tests/vm/bench/fwd-lib.bash"
. "$MUISP_TOP/tests/lib/bench.sh"

modprobe pktgen
bench_topo
pktgen_setup
# pktgen's flows vary the destination only: one client (the first bound
# address, one port) to FLOWS destinations at a time out of 10.200/16,
# each kept for FLOWLEN packets, then a new random one
on gen sh -c "f=/proc/net/pktgen/eth0
	for c in 'src_min $SRC_MIN' 'src_max $SRC_MIN' 'udp_src_min 1000' \
		'udp_src_max 1000' 'flag !IPSRC_RND' 'flag !UDPSRC_RND' \
		'dst_min 10.200.0.0' 'dst_max 10.200.255.255' 'flag IPDST_RND' \
		'flows $FLOWS' 'flowlen $FLOWLEN'; do
		echo \"\$c\" >\$f
	done"
on router ip route add 10.200.0.0/16 via $SINK_DST dev wan0
on sink ip -batch - <<EOF
addr add $COLLECTOR/24 dev eth0
link set lo up
EOF
[ -d /sys/module/muisp ] || insmod "$MUISP_KO"
bind_all "$NADDR"
on router muispctl config set max-flows $MAXF
# the collector: a socket that reads and discards
on sink socat -u UDP-RECV:4739 OPEN:/dev/null &
cat >$SCRATCH/ipfixd.conf <<EOF
socket $SCRATCH/ipfixd.sock
ipfix-collector $COLLECTOR:4739
ipfix-domain-id 1
EOF

IPFIXD=
ipfixd_on() {
	[ -n "$IPFIXD" ] && return
	ip netns exec router muisp-ipfixd -d -f $SCRATCH/ipfixd.conf \
		>>$SCRATCH/ipfixd.log 2>&1 &
	IPFIXD=$!
	wait_until -t 20 test -S $SCRATCH/ipfixd.sock
}
ipfixd_off() {
	[ -z "$IPFIXD" ] && return
	kill $IPFIXD
	wait $IPFIXD 2>/dev/null || true
	IPFIXD=
	rm -f $SCRATCH/ipfixd.sock
}
# ipfixd's and the module's counters: exported lost_overrun lost_send records_lost
ctr() {
	on router muispctl --json stats --ipfixd $SCRATCH/ipfixd.sock |
		jq -r '"\(.ipfix_records_exported) \(.ipfix_records_lost_overrun) \(.ipfix_records_lost_send) \(.records_lost) \(.flow_records)"'
}

declare -A sum
exp_rates= lost_total=0
for ((r = 0; r <= ROUNDS; r++)); do
	for cfg in muisp ipfix; do
		on router muispctl flow flush
		if [ $cfg = ipfix ]; then
			ipfixd_on
			read -r e0 o0 s0 l0 f0 <<<"$(ctr)"
		else
			ipfixd_off
		fi
		t0=$(date +%s%N)
		read -r rate _ < <(measure)
		t1=$(date +%s%N)
		if [ $cfg = ipfix ]; then
			# the records of the window, once ipfixd has sent them all
			on router muispctl flow flush
			read -r e1 o1 s1 l1 f1 <<<"$(ctr)"
			ended=$((f1 - f0))
			wait_until -t 30 eval '[ "$(ctr | cut -d" " -f1)" -ge $((e0 + ended - (o1 - o0) - (s1 - s0))) ]' || true
			read -r e1 o1 s1 l1 f1 <<<"$(ctr)"
			lost=$(((o1 - o0) + (s1 - s0) + (l1 - l0)))
			erate=$(((e1 - e0) * 1000000000 / (t1 - t0)))
			echo "round $r ipfix: $rate pkt/s, $((f1 - f0)) records ended, $((e1 - e0)) exported ($erate/s), lost $lost (overrun $((o1 - o0)) send $((s1 - s0)) kernel $((l1 - l0)))"
		else
			echo "round $r muisp: $rate pkt/s"
		fi
		[ $r -eq 0 ] && continue
		sum[$cfg]+="$rate "
		if [ $cfg = ipfix ]; then
			exp_rates+="$erate "
			lost_total=$((lost_total + lost))
		fi
	done
done
ipfixd_off

a=$(median "${sum[muisp]}") b=$(median "${sum[ipfix]}")
echo "median pkt/s: muisp=$a ipfix=$b"
ba=$(ratios "${sum[ipfix]}" "${sum[muisp]}")
echo "per-round ipfix/muisp: $(echo $ba)"
echo "forwarding with export / without: median of per-round ratios; records exported per second: emulated, $FLOWLEN packets a flow; records lost: all rounds"
# shellcheck disable=SC2086 # the rounds' values
bench_rounds ipfix.forwarding_export/none ratio "" $ba
# shellcheck disable=SC2086
bench_rounds ipfix.records_exported_per_s records/s "" $exp_rates
bench_result ipfix.records_lost "$lost_total" records "== 0" "$ROUNDS"
