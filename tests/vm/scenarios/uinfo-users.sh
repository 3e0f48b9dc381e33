#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# Per-user contracts (issue 15): alice's host is a multi-user host with an
# agent; two of its users, 1001 and 1002, have contracts of their own (11
# and 12), the host address its own (1).  Sealed frames from
# uinfo-frames.py, replayed on the LAN:
#   - each user's packets are charged to their contract exactly, the host's
#     untagged packet to the host's, and each flow carries its user's
#     contract, so the replies to a user's port are charged to that user;
#   - an untagged packet of a user's flow (the flow method) stays the user's;
#   - a user past their hard limit is cut, the other user and the host not;
#   - another host's unsealed claim to be user 1001 buys nothing;
#   - a contract a user is bound to cannot be deleted; unbinding a user ends
#     their contract's flows and makes their packets the host's again;
#     rebinding moves them to the new contract;
#   - IPv6 the same.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfo-lib.bash"
uinfo_frames users
frames=$!
topo_up
diagnose() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- users, agents, contracts, flows, stats"
		jctl user list || :
		jctl agent list || :
		jctl contract list || :
		jctl flow list || :
		stats_snapshot | grep -v '=0$' || :
	fi
	topo_down
}
trap diagnose EXIT
gate_up
for c in 1 2 11 12; do ctl contract set $c metric bytes status active; done
bind_addr $ALICE4 1
bind_addr $ALICE6 1
bind_addr $MALLORY4 2
uinfo_agents $ALICE4 $ALICE6
ctl user bind $ALICE4 1001 11
ctl user bind $ALICE4 1002 12
ctl user bind $ALICE6 1001 11
expect "user list" "$ALICE4 1001 11 active|$ALICE4 1002 12 active|$ALICE6 1001 11 active" \
	"$(jctl user list | jq -r '[.[] | "\(.addr) \(.user) \(.contract) \(.status)"] | join("|")')"
expect "contracts count their users" "2 1" "$(cfields 11 nusers) $(cfields 12 nusers)"

# Nothing but the replayed frames and the replies below: the ports they go
# to have no socket, and the port-unreachable errors would be traffic too.
for ns in alice inet; do
	on $ns nft -f - <<-EOF
	table inet quiet { chain out { type filter hook output priority 0;
		icmp type destination-unreachable drop;
		icmpv6 type destination-unreachable drop; }; }
	EOF
done
# reply PORT: a 50-byte datagram from inet's port 9100 to alice's PORT
reply() {
	printf '%050d' 0 | on inet socat -u - UDP4-SENDTO:$ALICE4:$1,sourceport=9100
}
up() { cfields "$1" up_bytes up_packets; }
down() { cfields "$1" down_bytes down_packets; }
flows_of() { jctl flow list contract "$1" | jq length; }
wait $frames || fail "uinfo-frames.py failed"
stats_snapshot >"$SCRATCH/snap"

# --- each user on their own contract, the host on its own ----------------
replay users4 6
# 20 + 8 + 100 bytes each as they leave, the 28-byte option taken out
check "user 1001's 3 packets charged to contract 11" \
	wait_until -t 10 eval '[ "$(up 11)" = "384 3" ]'
expect "  user 1002's 2 to contract 12" "256 2" "$(up 12)"
expect "  the host's untagged packet to the host's contract" "128 1" "$(up 1)"
expect "  all five seals opened" 5 "$(jctl agent list | jq ".[] | select(.addr == \"$ALICE4\") | .opened")"
expect "  each user's flow carries the user's contract" "21001 11|21002 12|21003 1" \
	"$(jctl flow list addr $ALICE4 | jq -r 'sort_by(.client_port) | [.[] | "\(.client_port) \(.contract)"] | join("|")')"

reply 21001
reply 21001
reply 21002
# 20 + 8 + 50
check "replies to a user's port charged to that user" \
	wait_until -t 10 eval '[ "$(down 11)|$(down 12)" = "156 2|78 1" ]'
expect "  none to the host" "0 0" "$(down 1)"
expect "user list: each user's usage (their contract's counters)" \
	"$ALICE4 1001 384 3 156 2|$ALICE4 1002 256 2 78 1" \
	"$(jctl user list | jq -r "[.[] | select(.addr == \"$ALICE4\") | \"\(.addr) \(.user) \(.up_bytes) \(.up_packets) \(.down_bytes) \(.down_packets)\"] | join(\"|\")")"

replay cont4 1
check "an untagged packet of user 1001's flow stays user 1001's" \
	wait_until -t 10 eval '[ "$(up 11)" = "512 4" ]'
expect "  the host's contract unchanged" "128 1" "$(up 1)"

# --- a user's limit cuts that user only ------------------------------------
ctl contract set 12 hard "$(cfield 12 used)"
replay cut4 2
check "user 1001 still through" wait_until -t 10 eval '[ "$(up 11)" = "640 5" ]'
expect "  user 1002, at their hard limit, dropped" "256 2|1" \
	"$(up 12)|$(delta "$SCRATCH/snap" drop_hard_limit)"

# --- another host claiming to be user 1001 ---------------------------------
replay claim4 1
check "mallory's unsealed claim: charged to mallory's own contract" \
	wait_until -t 10 eval '[ "$(up 2)" = "128 1" ]'
expect "  not to user 1001's" "640 5" "$(up 11)"

# --- IPv6 ----------------------------------------------------------------------
replay users6 1
# 40 + 8 + 100, the 32-byte Destination Options header taken out
check "user 1001 over IPv6 charged to contract 11" \
	wait_until -t 10 eval '[ "$(up 11)" = "788 6" ]'

# --- bindings change ---------------------------------------------------------
expect "a contract with users bound is not deleted" "bound to a user" \
	"$(ctl contract del 11 2>&1 >/dev/null | grep -o 'bound to a user')"
expect "  and is still there" active "$(cfield 11 status)"
ctl user unbind $ALICE4 1001
ctl user unbind $ALICE6 1001
expect "unbinding user 1001 ends contract 11's flows" 0 "$(flows_of 11)"
expect "  and the contract counts no user" 0 "$(cfield 11 nusers)"
replay after4 1
check "  user 1001's next packet is the host's" \
	wait_until -t 10 eval '[ "$(up 1)" = "256 2" ]'
expect "  contract 11 unchanged" "788 6" "$(up 11)"

ctl user bind $ALICE4 1002 11
expect "rebinding user 1002 ends contract 12's flows" 0 "$(flows_of 12)"
replay rebound4 1
check "  user 1002's next packet is charged to contract 11" \
	wait_until -t 10 eval '[ "$(up 11)" = "916 7" ]'
expect "  on a flow of contract 11" 1 "$(flows_of 11)"
ctl user unbind $ALICE4 1002
check "contracts without users can go" ctl contract del 12
expect "user list empty" 0 "$(jctl user list | jq length)"
expect "no seal failed on the way" "0 0" \
	"$(jctl agent list | jq -r ".[] | select(.addr == \"$ALICE4\") | \"\(.forged) \(.replayed)\"")"
