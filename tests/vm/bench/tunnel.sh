#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 1500
#
# Tunnel benchmark (issue: secure tunnel), in one VM run with real charon in
# the router and alice namespaces: iperf3 TCP from alice to the internet
# host through the router,
#   plain   no tunnel (the gate off)
#   ah      AH tunnel, HMAC-SHA-256-128 (the gate off)
#   ah+gate AH tunnel with muisp's gate on: alice bound to an active
#           contract by her SA (require-tunnel), metered and checked
#   esp     ESP tunnel, AES-128-GCM (the privacy option; the gate off)
# each twice: on alice's bare veth, where the emulated CPU is the
# bottleneck (plain TCP rides 64 KB GSO segments through the veths while
# every tunnelled 1.5 KB packet pays for emulated crypto), and with alice's
# uplink shaped to $LINK (tc tbf), the seed's §11 setting: a shared access
# link that the tunnel must keep up with, where AH costs its header bytes.
# Also the time `swanctl --initiate` takes to bring up IKE_SA + CHILD_SA
# (certificate authentication both ways).  TCG emulates the CPU and its
# crypto (no AES-NI/SHA extensions): only ratios within this run mean
# anything.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"

ROUNDS=${MUISP_BENCH_ROUNDS:-3}
SECS=${MUISP_BENCH_SECS:-5}
LINK=${MUISP_BENCH_LINK:-10mbit}
ike_scenario
on inet iperf3 -s -D >/dev/null
wait_until -t 10 on inet sh -c 'ss -lnt | grep -q ":5201 "'
A=$IKE_DIR/alice/swanctl

ms() { echo $(($(date +%s%N) / 1000000)); }
up() { # ah|esp -> prints the set-up time in ms
	local t0 t1 priv=
	[ "$1" = esp ] && priv=--privacy
	muisp-ike conf client --router $ROUTER_LAN4 --router-id $ROUTER_ID \
		--cacert ca.pem --cert alice.pem $priv >"$A/swanctl.conf"
	ike_swanctl alice --load-conns >/dev/null
	t0=$(ms)
	ike_swanctl alice --initiate --child muisp --timeout 120 >"$SCRATCH/init.log" 2>&1 ||
		fail "initiate $1: $(tail -3 "$SCRATCH/init.log")"
	t1=$(ms)
	echo $((t1 - t0))
}
down() {
	ike_swanctl alice --terminate --ike muisp --timeout 60 >/dev/null 2>&1 || true
	wait_until -t 30 ike_no_state router
}
shaped() { # iperf on alice's uplink shaped to $LINK
	on alice tc qdisc replace dev eth0 root tbf rate "$LINK" burst 32kbit latency 100ms
	iperf
	on alice tc qdisc del dev eth0 root
}
iperf() { # -> bits/s received
	on alice iperf3 -c $INET4 -t "$SECS" -J >"$SCRATCH/iperf.json" 2>&1 ||
		fail "iperf3: $(jq -r .error "$SCRATCH/iperf.json" 2>/dev/null || tail -3 "$SCRATCH/iperf.json")"
	jq -r '.end.sum_received.bits_per_second | floor' "$SCRATCH/iperf.json"
}
gate_on() {
	local spi
	spi=$(on router ip xfrm state list src $ALICE4 dst $ROUTER_LAN4 proto ah |
		awk '$1 == "proto" && $2 == "ah" { print $4; exit }')
	[ -n "$spi" ] || fail "no inbound AH SA for alice"
	on router muispctl -b - <<-B
	config set lan lan0
	contract set 1 metric bytes status active
	addr set $ALICE4 state bound contract 1 tunnel ah spi $spi
	B
}
gate_off() {
	on router muispctl -b - <<-B
	config set lan none
	addr del $ALICE4
	contract del 1
	B
}

declare -A rate m
setup=
keep() { [ "$r" -eq 0 ] || rate[$1]+="$2 "; }
# Round 0 warms the TCG translation cache; it is not counted.
for ((r = 0; r <= ROUNDS; r++)); do
	keep plain "$(iperf)"
	keep plain@link "$(shaped)"
	t=$(up ah)
	[ $r -eq 0 ] || setup+="$t "
	keep ah "$(iperf)"
	keep ah@link "$(shaped)"
	gate_on
	v=$(iperf)
	pk=$(on router muispctl --json contract show 1 2>/dev/null | jq .up_packets)
	[ "$pk" -gt 0 ] || fail "ah+gate: nothing metered"
	gate_off
	keep ah+gate "$v"
	down
	t=$(up esp)
	[ $r -eq 0 ] || setup+="$t "
	keep esp "$(iperf)"
	keep esp@link "$(shaped)"
	down
	[ $r -gt 0 ] && for k in plain ah ah+gate esp plain@link ah@link esp@link; do
		echo "round $r $k: $(awk '{ print $NF }' <<<"${rate[$k]}")"
	done | paste -sd' '
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for k in plain ah ah+gate esp plain@link ah@link esp@link; do
	m[$k]=$(median "${rate[$k]}")
done
echo "median bit/s (emulated): $(for k in "${!m[@]}"; do printf '%s=%s ' "$k" "${m[$k]}"; done)"
echo "IKE set-up ms: $setup"
awk -v p="${m[plain]}" -v a="${m[ah]}" -v g="${m[ah+gate]}" -v e="${m[esp]}" \
	-v pl="${m[plain@link]}" -v al="${m[ah@link]}" -v el="${m[esp@link]}" \
	-v s="$(median "$setup")" -v link="$LINK" 'BEGIN {
	printf "BENCH tunnel ah/plain on a %s link  = %.3f (seed §11: 0.94; target >= 0.90)\n", link, al / pl
	printf "BENCH tunnel esp/plain on a %s link = %.3f\n", link, el / pl
	printf "BENCH tunnel ah/plain, CPU-bound     = %.3f (emulated crypto vs GSO plain)\n", a / p
	printf "BENCH tunnel esp/plain, CPU-bound    = %.3f\n", e / p
	printf "BENCH tunnel ah+gate/ah, CPU-bound   = %.3f (muisp anti-spoofing + metering)\n", g / a
	printf "BENCH tunnel ike-setup               = %d ms median (emulated; seed §11: 0.5-2.1 s)\n", s
}'
