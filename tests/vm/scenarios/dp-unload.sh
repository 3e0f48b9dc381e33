#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 900
#
# Load/unload cycles under traffic (40 by default, under a second each in
# TCG; MUISP_DP_UNLOAD_CYCLES=N for a longer hunt, e.g. 1000):
# alice (bound) and bob (unpaid) flood the internet host and inet pings alice, while one process loads
# muisp.ko, enables the gate, binds alice to an active contract (her
# flood creates flows, charges the contract and, with a 1 s idle time-out,
# exports records), checks every 10th cycle with a listener on the flows
# group that her traffic is metered and bob's dropped, and unloads the
# module with the flows live.  The harness fails the scenario on any
# kernel warning; each rmmod must succeed (no leaked references).
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up
# Keep the netfilter hook static keys (pre-routing, forward, input) enabled
# for the whole run, as any router with nftables or conntrack has them:
# otherwise every load/unload flips them and the kernel live-patches the
# NF_HOOK sites of the IP stack while the other CPU runs them for the flood.
# Under TCG that is the emulator's weak spot, not the module's: with forward
# and input flipping, the flooded CPU stalled for 20+ s (soft lockup, seen
# in CI); with pre-routing flipping, 6.12 guests die of an "int3" Oops at
# ip_rcv/ipv6_rcv+0x42 whose bytes already hold the new jump, i.e. a vCPU
# ran the breakpoint after the patch was done (multi-threaded TCG only;
# clean with MUISP_VM_ACCEL=tcg,thread=single; docs/DESIGN.md, "Kernel
# lines").  MUISP_DP_UNLOAD_FLIP=1 leaves pre-routing flipping, for a run
# on single-threaded TCG or real hardware.
pre='chain keys_pre { type filter hook prerouting priority 0; }'
[ "${MUISP_DP_UNLOAD_FLIP:-0}" = 1 ] && pre=
on inet nft -f - <<NFT
table inet keys {
	chain keys_in { type filter hook input priority 0; }
	chain keys_fwd { type filter hook forward priority 0; }
	$pre
}
NFT
CYCLES=${MUISP_DP_UNLOAD_CYCLES:-40}

# ip netns exec execs ping, so $! is the ping itself (`on NS ping &` forks
# a subshell for the function, and killing that leaves the ping running,
# its replies then crowding the check's ping below: see dp-hooks.sh)
floods=
flood() {
	ip netns exec "$@" >/dev/null 2>&1 &
	floods="$floods $!"
}
flood alice ping -f -s 200 $INET4
flood bob ping -f $INET4
flood inet ping -i 0.01 $ALICE4
flood alice ping -6 -i 0.02 $INET6

on router env MUISP_TOP="$MUISP_TOP" /usr/bin/python3 \
	"$MUISP_TOP/tests/vm/scenarios/dp-nlbad.py" cycles "$CYCLES" "$MUISP_KO" \
	>$SCRATCH/cycles.out 2>&1 || { cat $SCRATCH/cycles.out; fail "cycles"; }
cat $SCRATCH/cycles.out
expect "cycles run" "cycles $CYCLES checked $((CYCLES / 10))" "$(tail -1 $SCRATCH/cycles.out)"
[ -d /sys/module/muisp ] || fail "module not loaded again"
kill $floods
wait $floods || true
expect "floods stopped" "" "$(ip netns pids alice; ip netns pids bob)"
[ "$(ping_rx alice -c 3 -i 0.2 -W 2 $INET4)" -ge 1 ] || fail "no forwarding after the cycles (gate off)"
log "$CYCLES load/unload cycles ok"
