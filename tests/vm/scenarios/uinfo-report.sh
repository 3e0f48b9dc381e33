#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Per-user accounting out of band, packet-based (issue 15, thesis ch. 5(a)):
# alice's muisp-uinfod says `scheme out-of-band-packet`.  The module on
# alice's host tags nothing (method report): it reports each TCP or UDP
# packet a mapped user sends on the "reports" group; uinfod sends the router
# a User Information message for a flow's first packet at once (the rest
# coalesced, once a second), and muispd has the module move the flow, with
# what it carried, from the host's address to the user's contract.  The
# router holds nothing: the packet left before anyone knew whose it was.
#   - user 1001's datagram: forwarded on the host's contract, then moved
#     to 1001's, exactly; the same over IPv6, also behind a routing
#     header; root's stays the host's;
#   - a report that beats its packet (the packet held on alice by a plug):
#     kept by the module as the answer for the flow's first packet, which
#     then begins the flow on 1001's contract;
#   - 1001's TCP connection: wholly 1001's;
#   - a flow begun from outside (inet asks 1001's echo socket): 1001's
#     reply is reported, and the flow moves both ways;
#   - the host's contract ends with root's bytes only.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfod-lib.bash"
S=$SCRATCH
topo_up
diagnose() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- tag (alice), contracts; muispd.log, uinfod.log tails"
		on alice muispctl --json tag show || :
		jctl contract list || :
		jctl agent list || :
		jctl flow list || :
		tail -n 20 $S/muispd.log || :
		tail -n 20 $S/uinfod.log || :
	fi
	topo_down
}
trap diagnose EXIT
gate_up
for c in 1 11; do ctl contract set $c metric bytes status active; done
bind_addr $ALICE4 1
bind_addr $ALICE6 1
ctl user bind $ALICE4 7001 11
ctl user bind $ALICE6 7001 11

ca agentca
cert alice agentca IP:$ALICE4,IP:$ALICE6
muispd_conf <<-EOF
price bytes voucher ah 1000 1000000
agent-ca $S/agentca.crt
agent-keepalive 1
EOF
start_muispd
UINFOD_USERS="user 1001 7001
scheme out-of-band-packet" uinfod_conf alice alice

up() { cfields "$1" up_bytes up_packets; }
updown() { cfields "$1" up_bytes up_packets down_bytes down_packets; }
on inet socat -u UDP4-RECV:9100 OPEN:"$S/rx",creat,append &
on inet socat -u UDP6-RECV:9100,ipv6only=1 OPEN:"$S/rx6",creat,append &
on inet socat TCP4-LISTEN:9200,fork,reuseaddr OPEN:/dev/null &
wait_until -t 20 on inet sh -c 'ss -lnu | grep -q "0.0.0.0:9100 " && ss -lnu | grep -q "\[::\]:9100 " && ss -lnt | grep -q "0.0.0.0:9200 "'
rx() { cat "$S/rx" 2>/dev/null | wc -c; }
rx6() { cat "$S/rx6" 2>/dev/null | wc -c; }

start_uinfod alice
check "agent keyed, out of band packet-based" wait_until -t 30 keyed
expect "  alice's role reports, tags nothing" "report" \
	"$(on alice muispctl --json tag show | jq -r .method)"
grep -q "packet-based" $S/muispd.log || fail "muispd did not log the scheme"

# --- 1001's datagram: the host's first, then moved to 1001's --------------
udp4 1001 21001 100
check "user 1001's datagram received" wait_until -t 10 eval '[ "$(rx)" = 100 ]'
check "  reported, its flow moved to 1001's contract: 128 bytes" \
	wait_until -t 10 eval '[ "$(up 11)" = "128 1" ]'
expect "  the host's contract keeps nothing of it" "0 0" "$(up 1)"
expect "  the router's agent: packet-based, no hold queue" "out-of-band-packet null" \
	"$(jctl agent list | jq -r ".[] | select(.addr == \"$ALICE4\") | \"\(.scheme) \(.hold_queue)\"")"
expect "  nothing tagged, the packet reported" "0 yes" \
	"$(on alice muispctl --json tag show | jq -r '"\(.tagged) \(if .reported > 0 then "yes" else "no" end)"')"
udp6 1001 21011 100
check "user 1001's IPv6 datagram received" wait_until -t 10 eval '[ "$(rx6)" = 100 ]'
check "  moved: 40 + 8 + 100 more" wait_until -t 10 eval '[ "$(up 11)" = "276 2" ]'
# a routing header before UDP (type 2, which IPV6_RTHDR lets any user add;
# inet drops it, having no home address): reported by its ports past the
# header, as the router's gate keys the flow, so it does not stay the host's
as 1001 python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 21013))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RTHDR,
             struct.pack("BBBB4x", 0, 2, 2, 1) + socket.inet_pton(socket.AF_INET6, sys.argv[1]))
s.sendto(b"0" * 100, (sys.argv[1], 9100))' "$INET6" ||
	fail "user 1001 could not send with a routing header"
check "  1001's datagram behind a routing header moved: 40 + 24 + 8 + 100" \
	wait_until -t 10 eval '[ "$(up 11)" = "448 3" ]'

# --- root's: not mapped, not reported, the host's -------------------------
udp4 0 21002 50
check "root's datagram received" wait_until -t 10 eval '[ "$(rx)" = 150 ]'
expect "  on the host's contract" "78 1" "$(up 1)"

# --- a report that beats its packet ----------------------------------------
# alice's qdisc plugs 1001's next datagram (from port 21021) until it is
# released; its report, on the channel, goes, so muispd's word reaches
# the module first, finds no flow to move, and is kept as the answer for
# the flow's first packet (MUISP_HOLD_ANSWER_S, 5 s), which then begins
# the flow on 1001's contract: without the answer it would be the host's
answered() { jctl agent list | jq -r ".[] | select(.addr == \"$ALICE4\") | .answered"; }
on alice tc qdisc add dev eth0 root handle 1: prio bands 2 \
	priomap 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
on alice tc qdisc add dev eth0 parent 1:2 handle 20: plug limit 10000
on alice tc filter add dev eth0 parent 1: protocol ip prio 1 u32 \
	match ip protocol 17 0xff match ip sport 21021 0xffff flowid 1:2
a0=$(answered)
read -r b0 p0 <<<"$(up 11)"
udp4 1001 21021 100
check "the report first: muispd told the module" \
	wait_until -t 10 eval '[ "$(answered)" -gt $a0 ]'
expect "  while the datagram waits on alice" 150 "$(rx)"
on alice tc qdisc change dev eth0 parent 1:2 handle 20: plug release_indefinite
check "  released, it arrives" wait_until -t 10 eval '[ "$(rx)" = 250 ]'
check "  its flow begun on 1001's contract" \
	wait_until -t 5 eval '[ "$(up 11)" = "$((b0 + 128)) $((p0 + 1))" ]'
expect "  the host's contract: root's datagram only" "78 1" "$(up 1)"
on alice tc qdisc del dev eth0 root

# --- 1001's TCP connection: wholly theirs ----------------------------------
p1=$(up 11 | cut -d' ' -f2)
head -c 2000 /dev/zero | as 1001 socat -u - TCP4:$INET4:9200,sourceport=21005 ||
	fail "user 1001's TCP connection failed"
check "  its packets moved to 1001's contract" wait_until -t 10 eval \
	'[ "$(up 11 | cut -d" " -f2)" -ge $((p1 + 4)) ]'
expect "  the host's contract untouched" "78 1" "$(up 1)"

# --- a flow begun from outside: 1001's reply names it ---------------------
before=$(updown 11)
as 1001 socat UDP4-RECVFROM:9300,fork SYSTEM:cat &
wait_until -t 20 on alice sh -c 'ss -lnu | grep -q "0.0.0.0:9300 "'
out=$(printf "%060d" 0 | on inet timeout 10 socat -t 5 - UDP4:$ALICE4:9300 | wc -c)
expect "inet's request echoed by 1001's socket" 60 "$out"
# the request (88 bytes down) and the echo (88 up), both moved
read -r ub up_ db dp <<<"$before"
check "  the flow moved, both ways, to 1001's contract" wait_until -t 10 eval \
	'[ "$(updown 11)" = "$((ub + 88)) $((up_ + 1)) $((db + 88)) $((dp + 1))" ]'
expect "  the host's contract: root's datagram only" "78 1 0 0" "$(updown 1)"
