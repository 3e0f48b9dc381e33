#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# Hooks on demand (kmod/hooks.c, muisp_hooks_set()): the module's netfilter
# hooks are registered in a namespace only while it has a LAN interface
# configured, PRE_ROUTING only while require-tunnel is on too.  Kprobes
# count the calls of the three hook functions in all namespaces together:
#  - nothing configured: round trips alice <-> inet through the router call
#    no hook (with hooks in every namespace: 4 calls per forwarded packet,
#    PRE_ROUTING and FORWARD in the router, PRE_ROUTING and LOCAL_IN in the
#    receiving host's namespace);
#  - LAN set, require-tunnel off: one FORWARD call per forwarded packet and
#    nothing else, in alice's and inet's namespaces none;
#  - require-tunnel on: PRE_ROUTING too, once per packet;
#  - LAN unset again: none; a namespace that goes with its hooks registered.
# Then the configuration flips the hooks, and with them the kernel's hook
# static keys (nothing else holds them), between pings: each state
# forwards or drops as it should.  Last, with the keys held by an nft table
# (multi-threaded TCG runs stale code after live patching under a flood:
# docs/DESIGN.md, "Kernel lines"), it flips them under a ping flood, and
# require-tunnel switched on stops an untunnelled client at once: nothing
# of hers is charged once the reply is in (docs/SECURITY.md).  The harness
# fails the scenario on any kernel warning; the unload at the end of the
# run finds no hook left behind.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up
hook_probes_on
trap 'hook_probes_off; topo_down' EXIT
N=40

# N round trips alice -> inet, the replies received in $SCRATCH/rx.
rt() { ping_rx alice -c $N -i 0.01 -W 1 $INET4 >$SCRATCH/rx; }
# calls LABEL: the hook calls (pre forward input) of N round trips.
calls() {
	local c
	c=$(hook_delta rt)
	log "$1: $N round trips: hook calls (pre forward input) $c, $(<$SCRATCH/rx) replies" >&2
	echo "$c"
}

# --- nothing configured: no dispatch anywhere --------------------------------
expect "alice reaches inet (no gate)" 3 "$(ping_rx alice -c 3 -i 0.2 -W 2 $INET4)"
expect "no LAN: no hook called" "0 0 0" "$(calls "no LAN")"
expect "no LAN: replies" $N "$(<$SCRATCH/rx)"

# --- LAN, require-tunnel off: FORWARD in the router only ---------------------
gate_up
ctl contract set 1 metric bytes status active
bind_addr $ALICE4 1
read -r pre fwd lin <<<"$(calls "LAN")"
expect "LAN: replies" $N "$(<$SCRATCH/rx)"
expect "LAN: one FORWARD call per forwarded packet, no PRE_ROUTING" \
	"0 $((2 * N))" "$pre $fwd"
# LOCAL_IN only for what reaches the router itself (none of the pings;
# with hooks everywhere alice and inet would add 2N)
[ "$lin" -lt $N ] || fail "LAN: $lin LOCAL_IN calls for $N round trips"

# --- require-tunnel on: PRE_ROUTING too --------------------------------------
ctl config set require-tunnel on
read -r pre fwd lin <<<"$(calls "LAN, require-tunnel")"
# alice is bound without a tunnel: each request is dropped in FORWARD.
# A packet for the router itself passes PRE_ROUTING and LOCAL_IN: the
# forwarded ones are PRE_ROUTING less LOCAL_IN.  (Counting PRE_ROUTING
# alone, 2, 4 and 5 calls too many, each with as many LOCAL_IN calls, in
# 3 runs of 5 booted one after another: the five other namespaces' IPv6
# router solicitations, sent on a backoff of about 1, 5, 13, 29 s after
# their links came up, likely; what the window caught varies with timing.)
expect "require-tunnel: PRE_ROUTING and FORWARD once per request, no reply" \
	"$N $N 0" "$((pre - lin)) $fwd $(<$SCRATCH/rx)"
[ "$lin" -lt $N ] || fail "require-tunnel: $lin LOCAL_IN calls"

# --- LAN unset: nothing again ---------------------------------------------------
ctl config set lan none
expect "LAN unset: no hook called" "0 0 0" "$(calls "LAN unset")"
expect "LAN unset: replies" $N "$(<$SCRATCH/rx)"

# A namespace of its own with every hook registered goes (.pre_exit).
ip netns add hk-extra
ip -n hk-extra link add d0 type dummy
ip -n hk-extra link set d0 up
on hk-extra muispctl config set lan d0 require-tunnel on
expect "extra namespace: require-tunnel" true \
	"$(on hk-extra muispctl --json config show | jq .require_tunnel)"
ip netns del hk-extra

# --- flips between pings: the hook static keys change with them ------------
for ((i = 0; i < 5; i++)); do
	ctl config set lan lan0 require-tunnel off
	expect "flip $i: bound alice forwarded" 1 "$(ping_rx alice -c 1 -W 2 $INET4)"
	ctl config set require-tunnel on
	expect "flip $i: untunnelled alice dropped" 0 "$(ping_rx alice -c 1 -W 1 $INET4)"
	ctl config set lan none
	expect "flip $i: gate off, forwarded" 1 "$(ping_rx alice -c 1 -W 2 $INET4)"
done
log "5 flips between pings ok"

# --- flips under a flood, the keys held ----------------------------------------
on inet nft -f - <<'NFT'
table inet keys {
	chain keys_pre { type filter hook prerouting priority 0; }
	chain keys_in { type filter hook input priority 0; }
	chain keys_fwd { type filter hook forward priority 0; }
}
NFT
ctl config set lan lan0 require-tunnel off
# alice's entry names a tunnel, but her traffic is plain: only the
# PRE_ROUTING check (require-tunnel on) drops it
ctl addr set $ALICE4 state bound contract 1 tunnel ah spi 0x1000 reqid 1
# ip netns exec execs ping: $! is the flood itself (`on NS ping &` forks a
# subshell for the function, and killing that leaves the ping running)
ip netns exec alice ping -f -s 200 $INET4 >/dev/null 2>&1 &
floods=$!
ip netns exec bob ping -f $INET4 >/dev/null 2>&1 &
floods="$floods $!"
for ((i = 0; i < 10; i++)); do
	ctl config set require-tunnel on
	ctl config set lan none
	ctl config set lan lan0
	ctl config set require-tunnel off
done
log "10 flip cycles under the flood ok"

p=$(cfield 1 up_packets)
wait_until -t 10 eval '[ "$(cfield 1 up_packets)" -gt "$p" ]'
for ((i = 0; i < 3; i++)); do
	d=$(stat drop_tunnel)
	ctl config set require-tunnel on
	p=$(cfield 1 up_packets)
	sleep 1
	expect "round $i: nothing of alice's charged after the reply" "$p" \
		"$(cfield 1 up_packets)"
	[ "$(stat drop_tunnel)" -gt "$d" ] || fail "round $i: no tunnel drop"
	ctl config set require-tunnel off
	wait_until -t 10 eval '[ "$(cfield 1 up_packets)" -gt "$p" ]'
done
log "require-tunnel on stops the untunnelled flood at the reply, 3 of 3"

# The floods must be gone before the last count.  While `on alice ping
# -f &` outlived `kill $(jobs -p)`, the count lost its first reply now and
# then: iputils' ping reads from a raw socket that takes every ICMP message
# alice gets, and attaches the filter for its own id only once it has
# read one that is not its own; until then the flood's replies fill the
# socket's buffer (128 KiB), and the reply to icmp_seq=1 is dropped in
# raw_rcv() with reason SOCKET_RCVBUFF (skb:kfree_skb), no module hook
# called.  The key flips below would also have run under the flood
# (docs/DESIGN.md, "Kernel lines").
kill $floods
wait $floods || true
expect "floods stopped" "" "$(ip netns pids alice; ip netns pids bob)"
on inet nft delete table inet keys
ctl config set lan none
expect "at the end: no hook called" "0 0 0" "$(calls "end")"
expect "at the end: replies" $N "$(<$SCRATCH/rx)"
hook_probes_off
