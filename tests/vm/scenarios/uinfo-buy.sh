#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Per-user contracts bought through muispd (issue 15; Edell's useridd in
# its modern form): on alice's multi-user host muisp-uinfod maps user 1001
# to Accounting ID 7001 (1002 is not mapped).  When a control connection
# from alice makes its first request, muispd asks the agent who opened it
# (UINFO_OWNER_GET); the agent looks the socket up in its kernel's table
# (sock_diag) and answers.  So:
#   - user 1001 buys with muisp-client: the contract is "7001@alice",
#     bound in the module's user table, not alice's address; 1001's tagged
#     datagrams are charged to it, and RADIUS-style names follow;
#   - root buys on the same host: alice's address, as before; root's
#     datagrams go there, 1001's still to 1001's contract;
#   - user 1002 (not mapped) is the host: their connection may not use
#     1001's contract;
#   - the operator blocks user 7001 of alice (muispctl user block): the
#     agent drops 1001's packets on the host (the router sees only alice's
#     address), root's still leave; a restarted agent gets the list before
#     its key; allowed again, 1001's traffic flows and is charged again;
#   - the agent killed: a user's purchase is refused (BUSY, "not
#     connected"), never made for the host's address on a guess.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfod-lib.bash"
S=$SCRATCH
topo_up
diagnose() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- agents, users; muispd.log, uinfod.log tails"
		jctl agent list || :
		jctl user list || :
		tail -n 20 $S/muispd.log || :
		tail -n 12 $S/uinfod.log || :
	fi
	topo_down
}
trap diagnose EXIT
gate_up
# alice's address known to the module, unbound, as her DHCP lease makes it
ctl addr set $ALICE4 state allocated

ca agentca
cert alice agentca IP:$ALICE4
muispd_conf <<-EOF
$FLOW_CONF
agent-ca $S/agentca.crt
agent-keepalive 1
EOF
start_muispd
UINFOD_USERS="user 1001 7001" uinfod_conf alice alice
# the local users' muisp-client state and the router's CA, theirs to read
chmod 711 $S
for u in 1001 1002; do
	mkdir -p $S/u$u && chown $u:$u $S/u$u
done
code=$(field code "$(op voucher-issue 1000)")
code2=$(field code "$(op voucher-issue 1000)")
J() { on router muispctl --daemon $S/muispd.sock --json "$@"; }
up() { cfields "$1" up_bytes up_packets; }
on inet socat -u UDP4-RECV:9100 OPEN:"$S/rx",creat,append &
wait_until -t 20 on inet sh -c 'ss -lnu | grep -q "0.0.0.0:9100 "'
rx() { cat "$S/rx" 2>/dev/null | wc -c; }

start_uinfod alice
check "agent keyed" wait_until -t 30 keyed

# --- user 1001 buys: the contract is theirs, not the host's ----------------
out=$(ucl 1001 -m voucher -P "$code" --start buy bytes 3000 20000)
k1=$(field serial "$(head -n1 <<<"$out")")
expect "user 1001's purchase: started" active "$(field state "$(tail -n1 <<<"$out")")"
expect "  bound to user 7001 of alice, in muispd" "7001@$ALICE4 active" \
	"$(J contract show $k1 | jq -r '"\(.addr) \(.state)"')"
expect "  in the module's user table" "$ALICE4 7001 $k1" \
	"$(jctl user list | jq -r '.[] | "\(.addr) \(.user) \(.contract)"')"
expect "  alice's address not bound to it" "allocated" \
	"$(jctl addr show $ALICE4 | jq -r .state)"
grep -q "7001@$ALICE4: connection opened by a user of the host" $S/muispd.log ||
	fail "muispd did not log the owner"
udp4 1001 21001 100
check "  user 1001's datagram leaves" wait_until -t 10 eval '[ "$(rx)" = 100 ]'
# 20 + 8 + 100 as it left the router, the option taken out
expect "  charged to user 1001's contract" "128 1" "$(up $k1)"

# --- root buys on the same host: alice's address, as before ---------------
d0=$(stat drop_not_bound)
udp4 0 21003 100
check "root's datagram before root pays: dropped, not bound" \
	wait_until -t 10 eval '[ "$(stat drop_not_bound)" = $((d0 + 1)) ]'
out=$(cl -m voucher -P "$code2" --start buy bytes 3000 20000)
k0=$(field serial "$(head -n1 <<<"$out")")
expect "root's purchase: alice's address" "$ALICE4 active" \
	"$(J contract show $k0 | jq -r '"\(.addr) \(.state)"')"
expect "  the module binds the address to it" "bound $k0" \
	"$(jctl addr show $ALICE4 | jq -r '"\(.state) \(.contract)"')"
udp4 0 21003 100
udp4 1001 21001 100
check "  both datagrams leave" wait_until -t 10 eval '[ "$(rx)" = 300 ]'
expect "  root's on the host's contract, 1001's on theirs" "128 1|256 2" \
	"$(up $k0)|$(up $k1)"

# --- user 1002 (not mapped) is the host: 1001's contract is not theirs ----
! ucl 1002 -c $k1 status >$S/u1002.out 2>&1 ||
	fail "user 1002 saw user 1001's contract: $(cat $S/u1002.out)"
check "user 1002 (not mapped) is the host: 1001's contract is not theirs" \
	grep -q "no contract $k1 bound to $ALICE4\$" $S/u1002.out
grep -q "$ALICE4: connection opened by the host" $S/muispd.log ||
	fail "muispd did not log the host's connection"

# --- the operator blocks user 7001 of alice (thesis §3.6) -----------------
# the router sees alice's address only: its agent drops the user's packets
M() { on router muispctl --daemon $S/muispd.sock "$@"; }
pushed() { J user blocked | jq -r '[.[] | "\(.addr) \(.user) \(.agent)"] | join("|")'; }
denied() { on alice muispctl --json tag show | jq -r .denied; }
expect "user 7001 of alice blocked" "7001@$ALICE4 blocked: sent to its agent" \
	"$(M user block $ALICE4 7001 reason "abuse report 12")"
check "  the agent applied it" wait_until -t 10 eval \
	'[ "$(pushed)" = "$ALICE4 7001 applied" ]'
expect "  kept with its reason" "abuse report 12" \
	"$(J user blocked | jq -r '.[0].reason')"
d0=$(denied)
! udp4 1001 21001 100 2>/dev/null || fail "blocked user 1001's send not refused"
udp4 0 21003 100
check "  root's datagram leaves" wait_until -t 10 eval '[ "$(rx)" = 400 ]'
expect "  1001's dropped on the host, denied, not charged; root's charged" \
	"$((d0 + 1))|256 2|256 2" "$(denied)|$(up $k0)|$(up $k1)"
# a new session: the list comes before the key, so nothing of 1001's
# leaves under it, however soon after the agent keys they send
k=$(key_id)
kill -TERM $UINFOD
wait $UINFOD 2>/dev/null || :
start_uinfod alice
check "  the agent restarted: keyed again" wait_until -t 30 keyed "$k"
! udp4 1001 21001 100 2>/dev/null ||
	fail "blocked user 1001's send not refused after the agent's restart"
expect "  still blocked: denied at once" "$((d0 + 2))" "$(denied)"
expect "  the new session applied it" "$ALICE4 7001 applied" "$(pushed)"
expect "user 7001 allowed again" \
	"7001@$ALICE4 allowed again: sent to its agent" \
	"$(M user allow $ALICE4 7001)"
check "  the list empty" wait_until -t 10 eval '[ -z "$(pushed)" ]'
check "  1001's datagram leaves again" wait_until -t 10 eval \
	'udp4 1001 21001 100 2>/dev/null'
check "  ... arrives" wait_until -t 10 eval '[ "$(rx)" = 500 ]'
expect "  charged to 1001's contract" "384 3" "$(up $k1)"

# --- the agent killed: no purchase on a guess -----------------------------
kill -KILL $UINFOD
wait $UINFOD 2>/dev/null || :
check "agent killed: the meter's agent closed" \
	wait_until -t 10 eval '[ "$(agent | cut -d" " -f1)" = closed ]'
! ucl 1001 -m voucher -P "$code" buy bytes 3000 20000 >$S/busy.out 2>&1 ||
	fail "a purchase while the agent is down: $(cat $S/busy.out)"
grep -q "not connected" $S/busy.out ||
	fail "the refusal does not say why: $(cat $S/busy.out)"
expect "  nothing more bound" "$ALICE4 7001 $k1" \
	"$(jctl user list | jq -r '.[] | "\(.addr) \(.user) \(.contract)"')"
