#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Per-user accounting with a standalone meter (issue 15, thesis ch. 5(c)):
# alice's muisp-uinfod says `scheme standalone`.  The module on alice's host
# tags nothing (method count) and counts, per mapped user, the IP bytes and
# packets they send and receive; uinfod turns the counters into usage
# records in its spool every usage-interval and sends them to muispd, which
# stores them and acknowledges each; a record leaves the spool only once
# acknowledged.  So:
#   - users 1001 and 1002 send, root sends, 1001 receives (IPv4), 1001 sends
#     over IPv6: the host counts each user's bytes exactly (root's are no
#     one's; the router, which knows the agent as standalone, puts no Query
#     into what it sends the host), the router's `agent usage` comes to the
#     same figures, and they agree with the router's own meter for the
#     host's address;
#   - user 7001 has a contract of their own (11): each of their records
#     moves from the host's contract to 11 as muispd stores it, so their
#     contract and its exports carry what the host counted for them; 7002
#     has none, and theirs stay the host's;
#   - muisp-uinfod killed (SIGKILL) and started again: its baseline is in
#     the spool, so what follows is counted once, nothing twice;
#   - muispd frozen (SIGSTOP): what the users send meanwhile stays in the
#     spool; thawed, the agent keys again, sends it again, and the router
#     stores each record once;
#   - a record the router's meter never saw (1002 sends to the router
#     itself) is cut to what the host's contract counted: nothing moves.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfod-lib.bash"
S=$SCRATCH
topo_up
diagnose() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- tag users (alice), agent usage; muispd.log, uinfod.log tails"
		on alice muispctl --json tag user list || :
		J agent usage || :
		tail -n 20 $S/muispd.log || :
		tail -n 20 $S/uinfod.log || :
	fi
	[ -n "${MUISPD-}" ] && kill -CONT $MUISPD 2>/dev/null
	topo_down
}
J() { on router muispctl --daemon $S/muispd.sock --json "$@"; }
trap diagnose EXIT
gate_up
for c in 1 11; do ctl contract set $c metric bytes status active; done
bind_addr $ALICE4 1
bind_addr $ALICE6 1
ctl user bind $ALICE4 7001 11

ca agentca
cert alice agentca IP:$ALICE4,IP:$ALICE6
muispd_conf <<-EOF
price bytes voucher ah 1000 1000000
agent-ca $S/agentca.crt
agent-keepalive 1
EOF
start_muispd
UINFOD_USERS="user 1001 7001
user 1002 7002
scheme standalone
usage-interval 1
usage-spool $S/usage.db" uinfod_conf alice alice

on inet socat -u UDP4-RECV:9100 OPEN:"$S/rx",creat,append &
on inet socat -u UDP6-RECV:9100,ipv6only=1 OPEN:"$S/rx6",creat,append &
wait_until -t 20 on inet sh -c 'ss -lnu | grep -q "0.0.0.0:9100 " && ss -lnu | grep -q "\[::\]:9100 "'
rx() { cat "$S/rx" 2>/dev/null | wc -c; }
rx6() { cat "$S/rx6" 2>/dev/null | wc -c; }
# counted UID: what alice's module counted for UID, "SENT PKTS RECV PKTS"
counted() {
	on alice muispctl --json tag user list |
		jq -r ".[] | select(.uid == $1) | \"\(.sent_bytes) \(.sent_packets) \(.recv_bytes) \(.recv_packets)\""
}
# usage: the router's stored records, per user
usage() {
	J agent usage |
		jq -r '[.[] | "\(.user) \(.sent_bytes) \(.sent_packets) \(.recv_bytes) \(.recv_packets)"] | join("|")'
}

start_uinfod alice
check "agent keyed, standalone" wait_until -t 30 keyed
expect "  alice's role counts, tags nothing" "count" \
	"$(on alice muispctl --json tag show | jq -r .method)"
grep -q "standalone" $S/muispd.log || fail "muispd did not log the scheme"

# --- what the users send and receive, counted on the host ------------------
udp4 1001 21001 100
udp4 1002 21002 200
udp4 0 21003 50
check "the three datagrams received" wait_until -t 10 eval '[ "$(rx)" = 350 ]'
expect "  user 1001's: 20 + 8 + 100 bytes, one packet" "128 1 0 0" "$(counted 1001)"
expect "  user 1002's: 228 bytes" "228 1 0 0" "$(counted 1002)"
expect "  nothing tagged" 0 "$(on alice muispctl --json tag show | jq -r .tagged)"
# 1001 receives: its socket on alice's port 9300; the router asks nothing
# of a standalone agent (no Query in the flow's first packet down)
as 1001 socat -u UDP4-RECV:9300 STDOUT >>$S/arx &
wait_until -t 20 on alice sh -c 'ss -lnu | grep -q "0.0.0.0:9300 "'
printf "%060d" 0 | on inet socat -u - UDP4-SENDTO:$ALICE4:9300
check "1001's socket got the 60 bytes" wait_until -t 10 eval \
	'[ "$(cat $S/arx 2>/dev/null | wc -c)" = 60 ]'
expect "  counted as received by 1001: 88 bytes" "128 1 88 1" "$(counted 1001)"
expect "  the router's agent: standalone, no Query put in" "standalone 0" \
	"$(jctl agent list | jq -r ".[] | select(.addr == \"$ALICE4\") | \"\(.scheme) \(.queries)\"")"
udp6 1001 21011 100
check "1001's IPv6 datagram received" wait_until -t 10 eval '[ "$(rx6)" = 100 ]'
expect "  counted: 40 + 8 + 100 more" "276 2 88 1" "$(counted 1001)"

# --- collected by the router ----------------------------------------------
ctrs() { cfields "$1" up_bytes up_packets down_bytes down_packets; }
check "the router stored the host's records, per user" wait_until -t 20 eval \
	'[ "$(usage)" = "7001 276 2 88 1|7002 228 1 0 0" ]'
check "  7001's moved to their own contract" wait_until -t 10 eval \
	'[ "$(ctrs 11)" = "276 2 88 1" ]'
# the router's meter counted 582 4 88 1 for the host: root's and 7002's
# stay on its contract
expect "  the host's contract keeps root's and 7002's" "306 2 0 0" "$(ctrs 1)"
expect "  the host's record: alice's address" "$ALICE4" \
	"$(J agent usage | jq -r '[.[].host] | unique | join(" ")')"

# --- the agent killed and started again: counted once ---------------------
kill -9 $UINFOD
wait $UINFOD 2>/dev/null || :
start_uinfod alice
check "agent keyed again" wait_until -t 30 keyed
udp4 1002 21004 100
check "1002's datagram received" wait_until -t 10 eval '[ "$(rx)" = 450 ]'
check "the router has it once, and the earlier ones once" wait_until -t 20 eval \
	'[ "$(usage)" = "7001 276 2 88 1|7002 356 2 0 0" ]'
expect "  7001's contract as it was" "276 2 88 1" "$(ctrs 11)"

# --- muispd frozen: spooled, sent again, stored once ----------------------
kill -STOP $MUISPD
udp4 1001 21005 100
check "1001's datagram received while muispd is frozen" \
	wait_until -t 10 eval '[ "$(rx)" = 550 ]'
check "  the agent loses the router (silent three intervals)" \
	wait_until -t 20 eval '[ "$(role | cut -d" " -f1)" = closed ]'
kill -CONT $MUISPD
check "agent keyed once more" wait_until -t 30 keyed
check "the spooled record arrived, stored once" wait_until -t 20 eval \
	'[ "$(usage)" = "7001 404 3 88 1|7002 356 2 0 0" ]'
expect "  the host's count for 1001 is on 7001's contract, moved once" \
	"$(counted 1001)" "$(ctrs 11)"
expect "  the host's contract: root's and 7002's" "434 3 0 0" "$(ctrs 1)"

# --- a record bigger than what the router counted: cut --------------------
# alice's address on a new contract (2), 1002 on one of their own (12);
# 1002's datagram to the router itself is counted on alice, not by the
# router's meter (nothing forwarded): its record moves nothing
for c in 2 12; do ctl contract set $c metric bytes status active; done
bind_addr $ALICE4 2
ctl user bind $ALICE4 7002 12
printf "%0100d" 0 | as 1002 socat -u - UDP4-SENDTO:$ROUTER_LAN4:9,sourceport=21006
check "1002's record cut to what the host's contract counted" \
	wait_until -t 20 grep -q "user 7002's counts cut" $S/muispd.log
expect "  nothing moved" "0 0 0 0|0 0 0 0" "$(ctrs 2)|$(ctrs 12)"
