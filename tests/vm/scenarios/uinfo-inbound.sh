#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# What a user of a shared host receives, on their own contract (issue 15,
# thesis §4.1.4 redirected copies, §4.1.6 rollback).  alice's namespace
# is the agent (muispctl tag), the router's the meter; local user 1001
# (Accounting ID 7001) is bound to contract 11, user 1002 (7002) to none,
# root is not mapped; the host's address pays on contract 1.  inet sends
# to sockets of theirs on alice:
#   - packet method: every datagram to 1001's socket is redirected; the
#     first copy moves the flow, and what it carried, from the host's
#     contract to 1001's (one rollback), so 1001's contract is charged
#     exactly every byte received and the host's none;
#   - root's datagram is not redirected, 1002's is but stays the host's
#     (no contract of their own);
#   - the copies never leave the router: replayed from alice's port they
#     are dropped and counted as replayed, nothing moves;
#   - hybrid with conntrack on alice: a TCP connection from inet to
#     1001's listener (an echo) is redirected once (its SYN), its flow is
#     1001's from the first byte, both ways;
#   - 1001's own connection to inet's echo: no GSO for the socket and
#     inet's MSS lowered on the way in, so every full-size segment has
#     room for its tag: none skipped;
#   - IPv6 likewise, also behind a Hop-by-Hop header;
#   - the meter's Query in the first packet down of each flow the host
#     pays for: root's datagram carrying it is received whole; after the
#     router's flows are flushed, the next datagram of 1001's flow (which
#     conntrack on alice no longer calls new) is redirected because it was
#     asked about, and the flow is 1001's again;
#   - the flow method without conntrack redirects every datagram (the
#     method's fallback); a closed role redirects nothing.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfo-lib.bash"
topo_up
diagnose() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- agent (alice), agents, contracts, flows"
		on alice muispctl --json tag show || :
		jctl agent list || :
		jctl contract list kernel || :
		jctl stats show || :
		jctl flow list | jq -c '.[] | [.client, .client_port, .peer_port, .up_bytes, .down_bytes, .down_packets, .contract]' || :
	fi
	topo_down
}
trap diagnose EXIT
gate_up
ctl config set fin-timeout 10m
for c in 1 11; do ctl contract set $c metric bytes status active; done
bind_addr $ALICE4 1
bind_addr $ALICE6 1
uinfo_agents $ALICE4 $ALICE6
ctl user bind $ALICE4 7001 11
ctl user bind $ALICE6 7001 11

atag() { on alice muispctl "$@"; }
atag tag set eth0 key-id 1 key-file "$SCRATCH/key" method packet
atag tag user set 1001 7001
atag tag user set 1002 7002

as 1001 socat -u UDP4-RECV:7001 OPEN:/dev/null &
as 1001 socat -u UDP6-RECV:7001,ipv6only=1 OPEN:/dev/null &
as 1002 socat -u UDP4-RECV:7002 OPEN:/dev/null &
as 0 socat -u UDP4-RECV:7000 OPEN:"$SCRATCH/rx0",creat,append &
as 1001 socat TCP4-LISTEN:7003,reuseaddr,fork PIPE &
wait_until -t 20 on alice sh -c 'ss -lnu | grep -q "0.0.0.0:7001 " &&
	ss -lnu | grep -q "\[::\]:7001 " && ss -lnu | grep -q ":7002 " &&
	ss -lnu | grep -q ":7000 " && ss -lnt | grep -q ":7003 "'
ip netns exec alice tcpdump -i eth0 -U -n -w "$SCRATCH/copies.pcap" \
	'ip[0] & 15 > 5 and dst host '"$ROUTER_LAN4" 2>"$SCRATCH/tcpdump.err" &
capture=$!
wait_until -t 20 grep -q "listening on" "$SCRATCH/tcpdump.err"

# udp4 PORT SPORT BYTES / udp6: one datagram of BYTES from inet to alice
udp4() { printf "%0$3d" 0 | on inet socat -u - UDP4-SENDTO:$ALICE4:$1,sourceport=$2; }
udp6() { printf "%0$3d" 0 | on inet socat -u - UDP6-SENDTO:[$ALICE6]:$1,sourceport=$2; }
down() { cfields "$1" down_bytes down_packets; }
# the meter's count of copies taken and flows moved; the agent's sent
meter() { jctl agent list | jq -r '"\([.[] | .redirects] | add) \([.[] | .rollbacks] | add)"'; }
sent() { atag --json tag show | jq -r '"\(.redirected) \(.skipped)"'; }
# the Query options the meter put in, and the agent received
queries() { echo "$(jctl agent list | jq -r '[.[] | .queries] | add') $(atag --json tag show | jq -r .queried)"; }

# --- the packet method: every datagram redirected, one rollback ---------------
for i in 1 2 3; do udp4 7001 31001 100; done
check "3 copies sent by the agent, taken by the meter" \
	wait_until -t 10 eval '[ "$(meter)" = "3 1" ]'
expect "  the agent sent 3, skipped none" "3 0" "$(sent)"
# 20 + 8 + 100 each
expect "  all three on user 1001's contract" "384 3" "$(down 11)"
expect "  none on the host's" "0 0" "$(down 1)"
expect "  one flow, 1001's, with every byte" "1 384" \
	"$(jctl flow list contract 11 | jq -r '[.[] | select(.client_port == 7001)] | "\(length) \(map(.down_bytes) | add)"')"

udp4 7000 31000 100
udp4 7002 31002 100
check "root's not redirected, 1002's redirected but stays the host's" \
	wait_until -t 10 eval '[ "$(meter)" = "4 1" ]'
expect "  the agent sent one more" "4 0" "$(sent)"
check "  both on the host's contract" wait_until -t 10 eval '[ "$(down 1)" = "256 2" ]'
expect "  1001's unchanged" "384 3" "$(down 11)"
# the first packet down of each flow the host paid for carried the
# meter's Query (1001's first, root's, 1002's); root's socket got its
# datagram whole all the same
expect "the meter asked about each new flow; the agent saw every Query" \
	"3 3" "$(queries)"
check "  root's datagram, with the Query, received whole" \
	wait_until -t 10 eval '[ "$(wc -c <"$SCRATCH/rx0")" = 100 ]'

# --- the copies are the meter's own: replayed, dropped, nothing moves ---------
check "4 copies captured at alice" wait_until -t 10 eval \
	'[ "$(tcpdump -nr "$SCRATCH/copies.pcap" 2>/dev/null | wc -l)" = 4 ]'
kill -INT $capture
wait $capture 2>/dev/null || :
r0=$(jctl agent list | jq -r '[.[] | .replayed] | add')
d0=$(stat drop_user_info)
on alice tcpreplay -q --topspeed -i eth0 "$SCRATCH/copies.pcap" >/dev/null 2>&1 ||
	fail "tcpreplay of the copies"
check "replayed copies dropped as user-info" \
	wait_until -t 10 eval '[ "$(stat drop_user_info)" = $((d0 + 4)) ]'
expect "  counted replayed, no copy taken, no flow moved" "$((r0 + 4))|4 1" \
	"$(jctl agent list | jq -r '[.[] | .replayed] | add')|$(meter)"
expect "  the contracts unchanged" "384 3|256 2" "$(down 11)|$(down 1)"

# --- hybrid, with conntrack on the host: one copy per TCP connection ---------
on alice nft -f - <<-EOF
	table inet track { chain in { type filter hook input priority 0; ct state new counter; }; }
EOF
atag tag set eth0 key-id 1 key-file "$SCRATCH/key" method hybrid
read -r s0 k0 <<<"$(sent)"
read -r m0 b0 <<<"$(meter)"
head -c 4000 /dev/urandom >"$SCRATCH/data"
on inet socat -t 5 - TCP4:$ALICE4:7003 <"$SCRATCH/data" >"$SCRATCH/echo" ||
	fail "inet's TCP connection to user 1001's listener"
check "  the echo whole" cmp "$SCRATCH/data" "$SCRATCH/echo"
tcp11() { jctl flow list contract 11 | jq -r '[.[] | select(.client_port == 7003)] | "\(length) \(map(.down_bytes) | add) \(map(.up_packets) | add)"'; }
check "hybrid: the connection's SYN redirected, its flow moved" \
	wait_until -t 10 eval '[ "$(meter)" = "$((m0 + 1)) $((b0 + 1))" ]'
# (not "none skipped": the echo's first 4000 bytes may leave as one GSO
# packet, before the tag hook has seen the server's socket)
expect "  one copy sent" "$((s0 + 1))" "$(sent | cut -d' ' -f1)"
read -r n b p <<<"$(tcp11)"
check "  one flow on contract 11, the 4000 bytes in, the replies out" \
	test "$n" = 1 -a "$b" -gt 4000 -a "$p" -gt 0
expect "  nothing of it on the host's contract" "256 2" "$(down 1)"
expect "  no flow to port 7003 of another contract" 1 \
	"$(jctl flow list | jq '[.[] | select(.client_port == 7003)] | length')"

# --- room for the tag in every segment (hybrid tags them all) ---------------
# 1001 connects to inet's echo and sends 4000 bytes: its SYN turns off GSO
# for the socket (one seal per segment), inet's SYN-ACK has its MSS lowered
# by the tag's 28 bytes on the way in, so each full-size segment fits the
# MTU with its tag: all tagged, none skipped
inet_services
tags() { atag --json tag show | jq -r '"\(.tagged) \(.skipped) \(.clamped)"'; }
read -r t0 k0 c0 <<<"$(tags)"
as 1001 socat -t 5 - TCP4:$INET4:8080 <"$SCRATCH/data" >"$SCRATCH/echo2" ||
	fail "user 1001's TCP connection to inet"
check "1001's connection echoed whole" cmp "$SCRATCH/data" "$SCRATCH/echo2"
read -r t1 k1 c1 <<<"$(tags)"
expect "  the SYN-ACK's MSS lowered once, nothing skipped" "$((c0 + 1)) $k0" "$c1 $k1"
# SYN, the 3 data segments, ACKs, FIN
check "  every packet tagged: at least 5" test $((t1 - t0)) -ge 5

udp6 7001 31006 100
check "IPv6: the datagram redirected, its flow moved" \
	wait_until -t 10 eval '[ "$(meter)" = "$((m0 + 2)) $((b0 + 2))" ]'
# 40 + 8 + 100
expect "  on contract 11" 148 \
	"$(jctl flow list contract 11 | jq -r '[.[] | select(.client_port == 7001 and (.client | contains(":")))] | map(.down_bytes) | add')"
# behind a Hop-by-Hop header (8 bytes of padding): the agent finds the
# ports past it, as the router's gate keys the flow, so it is redirected
# and the flow moved; named by the header instead it would stay the host's
read -r m1 b1 <<<"$(meter)"
on inet python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 31016))
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, bytes([0, 0, 1, 4, 0, 0, 0, 0]))
s.sendto(b"0" * 100, (sys.argv[1], 7001))' "$ALICE6" ||
	fail "inet could not send with a Hop-by-Hop header"
check "IPv6 behind a Hop-by-Hop header: redirected, its flow moved" \
	wait_until -t 10 eval '[ "$(meter)" = "$((m1 + 1)) $((b1 + 1))" ]'
# 40 + 8 + 8 + 100
expect "  on contract 11" 156 \
	"$(jctl flow list contract 11 | jq -r '[.[] | select(.peer_port == 31016)] | map(.down_bytes) | add')"

# --- the Query: a flow the meter begins under the host is asked about ---
# conntrack on alice confirmed this flow with its first datagram, so the
# method sends no copy for the next; after the router's flows ended, only
# the meter's Query on it brings one, and the flow is 1001's again
read -r m0 b0 <<<"$(meter)"
read -r q0 a0 <<<"$(queries)"
udp4 7001 31009 100
check "a new flow: one copy (asked, and the first packet), the flow moved" \
	wait_until -t 10 eval '[ "$(meter)" = "$((m0 + 1)) $((b0 + 1))" ]'
ctl flow flush >/dev/null
snap=$(down 11)
udp4 7001 31009 100
check "  the router's flows flushed: the next datagram asked about, moved again" \
	wait_until -t 10 eval '[ "$(meter)" = "$((m0 + 2)) $((b0 + 2))" ]'
expect "  two Queries put in and seen" "$((q0 + 2)) $((a0 + 2))" "$(queries)"
expect "  the datagram on 1001's contract" \
	"$(($(cut -d' ' -f1 <<<"$snap") + 128)) $(($(cut -d' ' -f2 <<<"$snap") + 1))" \
	"$(down 11)"

# --- the flow method without conntrack: every datagram (the fallback) -------
on alice nft delete table inet track
atag tag set eth0 key-id 1 key-file "$SCRATCH/key" method flow
read -r s0 k0 <<<"$(sent)"
for i in 1 2; do udp4 7001 31007 100; done
check "flow without conntrack: both datagrams redirected" \
	wait_until -t 10 eval '[ "$(sent)" = "$((s0 + 2)) $k0" ]'

# --- closed: nothing redirected, the host pays -------------------------------
atag tag close eth0
read -r m0 b0 <<<"$(meter)"
snap=$(down 1)
udp4 7001 31008 100
check "closed: the datagram on the host's contract" wait_until -t 10 eval \
	'[ "$(down 1 | cut -d" " -f2)" = $(($(cut -d" " -f2 <<<"$snap") + 1)) ]'
expect "  no copy" "$m0 $b0|$((s0 + 2))" "$(meter)|$(sent | cut -d' ' -f1)"
expect "no seal failed at the meter but the replays" 0 \
	"$(jctl agent list | jq -r '[.[] | .forged] | add')"
