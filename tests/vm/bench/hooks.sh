#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Netfilter dispatches to the module per forwarded packet (a count, not a
# time): kprobes on its three hook functions (tests/vm/scenarios/dp-lib.bash)
# count the calls, in every namespace, while alice and inet exchange
# MUISP_BENCH_PINGS echo requests and replies through the router
# (tests/vm/lib.sh topology: the router, alice's and inet's namespaces).
#   lan     the router's gate on lan0, require-tunnel off, alice bound to an
#           active contract (the datapath scenarios' configuration)
#   nolan   the module loaded, nothing configured
# For the module under test (MUISP_KO) and, if MUISP_BENCH_KO_BASE names
# one (a path under the checkout, e.g. build/kmod-base/kmod/muisp.ko built
# from an earlier commit by scripts/kmod-build.sh), for that one too, in the
# same run.  Figures: hooks.dispatch_per_pkt.CONFIG[.base].
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/lib/bench.sh"

PINGS=${MUISP_BENCH_PINGS:-500}

# measure NAME: dispatches per forwarded packet of PINGS round trips
measure() {
	local c rx pre fwd lin
	c=$(hook_delta sh -c "ip netns exec alice ping -f -c $PINGS -W 2 $INET4 >$SCRATCH/ping")
	rx=$(sed -n 's/.* \([0-9]\+\) received.*/\1/p' $SCRATCH/ping)
	read -r pre fwd lin <<<"$c"
	[ "$rx" -gt 0 ] || fail "$1: no reply"
	log "$1: $PINGS requests, $rx replies: calls pre $pre forward $fwd local_in $lin"
	# forwarded: each request, each reply
	bench_result "hooks.dispatch_per_pkt.$1" \
		"$(awk -v c=$((pre + fwd + lin)) -v n=$((PINGS + rx)) \
			'BEGIN { printf "%.3f", c / n }')" "calls/pkt" "" 1
}

# run SUFFIX KO: both configurations with module KO
run() {
	[ -d /sys/module/muisp ] && rmmod muisp
	insmod "$2" dyndbg=+p	# as tests/vm/guest.sh loads it
	topo_up
	hook_probes_on
	trap 'hook_probes_off; topo_down' EXIT
	ping_rx alice -c 2 -W 2 $INET4 >/dev/null	# neighbours resolved
	measure "nolan$1"
	gate_up
	ctl contract set 1 metric bytes status active
	bind_addr $ALICE4 1
	measure "lan$1"
	hook_probes_off
	topo_down
}

if [ -n "${MUISP_BENCH_KO_BASE:-}" ]; then
	run .base "$MUISP_TOP/$MUISP_BENCH_KO_BASE"
fi
run "" "$MUISP_KO"
