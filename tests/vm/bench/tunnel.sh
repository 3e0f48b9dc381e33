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
# plain, ah and esp are measured a third time CPU-bound with GSO, TSO and
# GRO off on every interface of the path (alice, the switch, the router,
# the internet host; ethtool -K, restored afterwards): plain TCP then
# crosses the router in MTU-sized packets too, so the ratio compares
# per-packet crypto with per-packet forwarding.
# Also the time `swanctl --initiate` takes to bring up IKE_SA + CHILD_SA
# (certificate authentication both ways).  TCG emulates the CPU and its
# crypto (no AES-NI/SHA extensions): only ratios within this run mean
# anything.  Each ratio figure is the median of the per-round ratios, with
# half their range as its spread.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
. "$MUISP_TOP/tests/lib/bench.sh"

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
# GSO/TSO/GRO off on every interface of alice, sw, router and inet, and back
# to what each had.
declare -A offl
offloads_off() {
	local ns dev
	for ns in alice sw router inet; do
		for dev in $(ip -n $ns -o link show | awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); print $2 }'); do
			offl[$ns/$dev]=$(ip netns exec $ns ethtool -k "$dev" | awk '
				/^generic-segmentation-offload:/ { g = $2 }
				/^tcp-segmentation-offload:/ { t = $2 }
				/^generic-receive-offload:/ { r = $2 }
				END { print "gso " g " tso " t " gro " r }')
			ip netns exec $ns ethtool -K "$dev" gso off tso off gro off 2>/dev/null ||
				fail "ethtool -K $dev (netns $ns) gso off tso off gro off"
		done
	done
}
offloads_restore() {
	local k
	for k in "${!offl[@]}"; do
		# shellcheck disable=SC2086 # "gso on tso on gro off"
		ip netns exec "${k%%/*}" ethtool -K "${k#*/}" ${offl[$k]} 2>/dev/null ||
			fail "ethtool -K ${k#*/} ${offl[$k]}"
	done
	offl=()
}
nooff() { # iperf with the offloads off
	offloads_off
	iperf
	offloads_restore
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
KEYS="plain ah ah+gate esp plain@link ah@link esp@link plain@nooff ah@nooff esp@nooff"
setup=
keep() { [ "$r" -eq 0 ] || rate[$1]+="$2 "; }
# Round 0 warms the TCG translation cache; it is not counted.
for ((r = 0; r <= ROUNDS; r++)); do
	keep plain "$(iperf)"
	keep plain@link "$(shaped)"
	keep plain@nooff "$(nooff)"
	t=$(up ah)
	[ $r -eq 0 ] || setup+="$t "
	keep ah "$(iperf)"
	keep ah@link "$(shaped)"
	keep ah@nooff "$(nooff)"
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
	keep esp@nooff "$(nooff)"
	down
	[ $r -gt 0 ] && for k in $KEYS; do
		echo "round $r $k: $(awk '{ print $NF }' <<<"${rate[$k]}")"
	done | paste -sd' '
done

median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for k in $KEYS; do
	m[$k]=$(median "${rate[$k]}")
done
echo "median bit/s (emulated): $(for k in $KEYS; do printf '%s=%s ' "$k" "${m[$k]}"; done)"
echo "IKE set-up ms: $setup"
ratios() { # A B: A's rate over B's, round by round
	paste <(tr ' ' '\n' <<<"${rate[$1]}" | grep .) <(tr ' ' '\n' <<<"${rate[$2]}" | grep .) |
		awk '{ printf "%.4f ", $1 / $2 }'
}
fig() { # NAME TARGET A B: the median of the per-round A/B, with the spread
	local r
	r=$(ratios "$3" "$4")
	echo "$1: per round $r"
	# shellcheck disable=SC2086 # the rounds' ratios
	bench_rounds "$1" ratio "$2" $r
}
echo "on a $LINK link (seed §11: AH 0.94); CPU-bound: emulated crypto vs GSO plain; without offloads: per-packet crypto vs per-packet plain"
fig "tunnel.ah/plain.link_$LINK" ">= 0.90" ah@link plain@link
fig "tunnel.esp/plain.link_$LINK" "" esp@link plain@link
fig tunnel.ah/plain.cpu "" ah plain
fig tunnel.esp/plain.cpu "" esp plain
fig tunnel.ah/plain.cpu_no_offload "" ah@nooff plain@nooff
fig tunnel.esp/plain.cpu_no_offload "" esp@nooff plain@nooff
fig tunnel.ah+gate/ah.cpu "" ah+gate ah
# shellcheck disable=SC2086 # the set-up times
bench_rounds tunnel.ike_setup_ms ms "" $setup
