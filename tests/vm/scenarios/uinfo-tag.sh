#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Per-user accounting end to end (issue 15): alice's namespace is a
# multi-user host whose module is the agent (muispctl tag), the router's
# the meter.  Local users 1001 and 1002 send from their own sockets
# (setpriv); the agent tags their packets with Accounting IDs 7001 and
# 7002, which the router binds to contracts 11 and 12; root is not mapped
# and stays the host's (contract 1):
#   - UDP of each user, and a TCP connection, charged to the right
#     contract, up and down, exactly where the sizes are known;
#   - every tag the agent sealed opened at the meter, none forged or
#     replayed, none left on the WAN side;
#   - a datagram the tag pushes over the MTU: IPv4 sealed as a fragment
#     and fragmented by the host, both fragments opened and charged;
#     IPv6 left untagged (skipped), still the user's by its flow;
#   - the flow method tags one packet of a TCP connection (the SYN), and
#     the connection is still the user's;
#   - closed by hand: the role (tag close) drops mapped users' packets on
#     the host, the meter's agent (agent close) everything to or from it;
#   - a blocked user (tag user set ... blocked): their packets dropped on
#     the host and counted as denied, the other user's still tagged; and
#     charged again once unblocked.
#   - the flow method over UDP (IPv4 and IPv6): a flow tagged until the
#     router's Acknowledgment comes back in its echo, then untagged and
#     still the user's; another user on the same ports tagged again and
#     charged to their own contract; a forged Acknowledgment (mallory)
#     counted and ignored.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfo-lib.bash"
topo_up
diagnose() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- agent (alice), agents, contracts, flows"
		on alice muispctl --json tag show || :
		on alice muispctl --json tag user list || :
		jctl agent list || :
		jctl contract list kernel || :
		jctl flow list | jq -c '.[] | [.client, .client_port, .peer_port, .up_bytes, .up_packets, .contract]' || :
	fi
	topo_down
}
trap diagnose EXIT
gate_up
# closed TCP flows kept, so both connections' flows are there to count
ctl config set fin-timeout 10m
for c in 1 11 12; do ctl contract set $c metric bytes status active; done
bind_addr $ALICE4 1
bind_addr $ALICE6 1
uinfo_agents $ALICE4 $ALICE6
ctl user bind $ALICE4 7001 11
ctl user bind $ALICE4 7002 12
ctl user bind $ALICE6 7001 11

# the host: its module is the agent, with the key the router has for it
atag() { on alice muispctl "$@"; }
atag tag set eth0 key-id 1 key-file "$SCRATCH/key"
atag tag user set 1001 7001
atag tag user set 1002 7002
expect "agent: setting and map" "$(on alice cat /sys/class/net/eth0/ifindex) 1 packet|1001 7001|1002 7002" \
	"$(atag --json tag show | jq -r '"\(.ifindex) \(.key_id) \(.method)"')|$(atag --json tag user list | jq -r '[.[] | "\(.uid) \(.user)"] | join("|")')"

# udp4 USER SPORT BYTES / udp6: one datagram of BYTES to inet's sink
udp4() { printf "%0$3d" 0 | as "$1" socat -u - UDP4-SENDTO:$INET4:9100,sourceport=$2; }
udp6() { printf "%0$3d" 0 | as "$1" socat -u - UDP6-SENDTO:[$INET6]:9100,sourceport=$2; }
up() { cfields "$1" up_bytes up_packets; }
# the tags opened: with the packet method the copies of what users
# receive (uinfo-inbound) open too, and are counted apart
opened() { jctl agent list | jq -r "[.[] | .opened - .redirects] | add"; }
tagged() { atag --json tag show | jq -r '"\(.tagged) \(.skipped)"'; }
on inet socat -u UDP4-RECV:9100 OPEN:"$SCRATCH/rx4",creat,append &
on inet socat -u UDP6-RECV:9100,ipv6only=1 OPEN:"$SCRATCH/rx6",creat,append &
inet_services
ip netns exec inet tcpdump -i eth0 -U -n -w "$SCRATCH/wan.pcap" \
	'ip or ip6' 2>"$SCRATCH/tcpdump.err" &
capture=$!
wait_until -t 20 on inet sh -c 'ss -lnu | grep -q "0.0.0.0:9100 " && ss -lnu | grep -q "\[::\]:9100 "'
wait_until -t 20 grep -q "listening on" "$SCRATCH/tcpdump.err"
rx() { echo "$(wc -c <"$SCRATCH/rx4") $(wc -c <"$SCRATCH/rx6")"; }

# --- each user's datagrams on their own contract, root's on the host's ----
for i in 1 2 3; do udp4 1001 21001 100; done
udp4 1002 21002 100
udp4 0 21003 100
check "5 datagrams received" wait_until -t 10 eval '[ "$(rx)" = "500 0" ]'
# 20 + 8 + 100 as they left the router, the 28-byte option taken out
expect "user 1001's 3 on contract 11" "384 3" "$(up 11)"
expect "user 1002's on contract 12" "128 1" "$(up 12)"
expect "root's (not mapped) on the host's contract" "128 1" "$(up 1)"
expect "4 tagged by the agent, 4 opened by the meter" "4 0|4" "$(tagged)|$(opened)"

udp6 1001 21001 100
check "over IPv6 too" wait_until -t 10 eval '[ "$(rx)" = "500 100" ]'
# 40 + 8 + 100, the 32-byte Destination Options header taken out
expect "  charged to contract 11" "532 4" "$(up 11)"

# --- a TCP connection of user 1002 (the echo on inet) -------------------------
head -c 4000 /dev/urandom >"$SCRATCH/data"
as 1002 socat -t 5 - TCP4:$INET4:8080 <"$SCRATCH/data" >"$SCRATCH/echo" ||
	fail "user 1002's TCP connection"
check "user 1002's TCP connection echoed whole" cmp "$SCRATCH/data" "$SCRATCH/echo"
tcp12() { jctl flow list contract 12 | jq -r '[.[] | select(.peer_port == 8080)] | "\(length) \(map(.down_bytes) | add)"'; }
# the 4000 bytes back, in segments with their headers
check "  its flow on contract 12, the echo charged there" \
	test "$(tcp12 | cut -d' ' -f1)" = 1 -a "$(tcp12 | cut -d' ' -f2)" -gt 4000
expect "  nothing of it on the host's contract" "128 1" "$(up 1)"
expect "  no flow to port 8080 of another contract" 1 \
	"$(jctl flow list | jq '[.[] | select(.peer_port == 8080)] | length')"

# --- pushed over the MTU by the tag --------------------------------------------
read -r t0 s0 <<<"$(tagged)"
# 20 + 8 + 1460 = 1488 fits 1500; with the 28-byte option it does not
snap=$(up 11)
udp4 1001 21001 1460
check "IPv4: the datagram fragmented by the host, reassembled at inet" \
	wait_until -t 10 eval '[ "$(rx)" = "1960 100" ]'
# fragments of 48 + 1448 and 48 + 20 bytes, without the option 1468 + 40
expect "  both fragments opened, charged to contract 11" "$(($(cut -d' ' -f1 <<<"$snap") + 1508)) 6" "$(up 11)"
expect "  one datagram tagged" "$((t0 + 1)) $s0" "$(tagged)"
snap=$(up 11)
udp6 1001 21001 1452
check "IPv6: 40 + 8 + 1452 = 1500 has no room for the tag, sent untagged" \
	wait_until -t 10 eval '[ "$(rx)" = "1960 1552" ]'
expect "  skipped" "$((t0 + 1)) $((s0 + 1))" "$(tagged)"
expect "  on user 1001's IPv6 flow, so still charged to contract 11" \
	"$(($(cut -d' ' -f1 <<<"$snap") + 1500)) 7|128 1" "$(up 11)|$(up 1)"

# --- the flow method: one tag per TCP connection --------------------------
atag tag set eth0 key-id 1 key-file "$SCRATCH/key" method flow
read -r t0 s0 <<<"$(tagged)"
o0=$(opened)
as 1002 socat -t 5 - TCP4:$INET4:8080 <"$SCRATCH/data" >"$SCRATCH/echo2" ||
	fail "user 1002's second TCP connection"
check "flow method: the connection echoed whole" cmp "$SCRATCH/data" "$SCRATCH/echo2"
expect "  one packet tagged (the SYN), one seal opened" "$((t0 + 1)) $s0|$((o0 + 1))" \
	"$(tagged)|$(opened)"
expect "  both connections' flows on contract 12" 2 "$(tcp12 | cut -d' ' -f1)"
expect "  the host's contract unchanged" "128 1" "$(up 1)"

# --- fail-closed, by hand (muisp-uinfod does it in uinfo-keys) ---------------
# the agent's role closed: mapped users' packets dropped on the host,
# root's still leave (and are the host's)
blocked() { atag --json tag show | jq -r '"\(.state) \(.blocked)"'; }
atag tag close eth0
expect "tag close: closed, nothing blocked yet" "closed 0|null" \
	"$(blocked)|$(atag --json tag show | jq -r .key_id)"
snap1=$(up 1)
# the drop in POST_ROUTING is the sender's EPERM
! udp4 1001 21001 100 2>/dev/null || fail "user 1001's send not refused"
udp4 0 21003 100
check "  root's datagram received" wait_until -t 10 eval '[ "$(rx)" = "2060 1552" ]'
expect "  user 1001's dropped on the host, counted" "closed 1" "$(blocked)"
expect "  root's on the host's contract" "$(($(cut -d' ' -f1 <<<"$snap1") + 128))" \
	"$(up 1 | cut -d' ' -f1)"
atag tag set eth0 key-id 1 key-file "$SCRATCH/key"
# the meter's agent closed: nothing to or from the host passes
jagent() { jctl agent list | jq -r ".[] | select(.addr == \"$ALICE4\") | \"\(.state) \(.blocked)\""; }
d0=$(stat drop_agent_down)
ctl agent close $ALICE4
udp4 0 21003 100
udp4 1001 21001 100
check "agent close: both datagrams dropped at the router" \
	wait_until -t 10 eval '[ "$(jagent)" = "closed 2" ]'
expect "  as agent-down" $((d0 + 2)) "$(stat drop_agent_down)"
expect "  none received" "2060 1552" "$(rx)"
ctl agent set $ALICE4 key-id 1 key-file "$SCRATCH/key"
udp4 1001 21001 100
check "  keyed again: user 1001's datagram passes" \
	wait_until -t 10 eval '[ "$(rx)" = "2160 1552" ]'

# --- a blocked user (the router's block list, pushed into the map) ----------
denied() { atag --json tag show | jq -r '"\(.tagged) \(.denied)"'; }
read -r t0 n0 <<<"$(denied)"
read -r b11 p11 <<<"$(up 11)"
read -r b12 p12 <<<"$(up 12)"
atag tag user set 1001 7001 blocked
expect "tag user set 1001 7001 blocked: listed" "1001 7001 true|1002 7002 false" \
	"$(atag --json tag user list | jq -r '[.[] | "\(.uid) \(.user) \(.blocked)"] | join("|")')"
! udp4 1001 21001 100 2>/dev/null || fail "blocked user 1001's send not refused"
printf x | as 1001 socat -u - UDP4-SENDTO:127.0.0.1:9 ||
	fail "blocked user 1001's send through lo refused"
udp4 1002 21002 100
check "  user 1002's datagram received, not 1001's" \
	wait_until -t 10 eval '[ "$(rx)" = "2260 1552" ]'
expect "  1001's denied on the host, 1002's tagged" "$((t0 + 1)) $((n0 + 1))" "$(denied)"
expect "  1002's on contract 12, nothing more on 11" \
	"$((b12 + 128)) $((p12 + 1))|$b11 $p11" "$(up 12)|$(up 11)"
atag tag user set 1001 7001
udp4 1001 21001 100
check "  unblocked: user 1001's datagram received" \
	wait_until -t 10 eval '[ "$(rx)" = "2360 1552" ]'
expect "  tagged, on contract 11" "$((t0 + 2)) $((n0 + 1))|$((b11 + 128)) $((p11 + 1))" \
	"$(denied)|$(up 11)"

# --- nothing forged or replayed; no option on the WAN ------------------------
expect "no seal failed at the meter" "0 0" \
	"$(jctl agent list | jq -r '[.[] | .forged + .replayed] | "\(add) \(length - 2)"')"
wan() { tcpdump -nr "$SCRATCH/wan.pcap" "$1" 2>/dev/null | wc -l; }
check "WAN capture holds the last echo's segments" \
	wait_until -t 10 eval '[ "$(wan "tcp port 8080")" -gt 6 ]'
kill -INT $capture
wait $capture 2>/dev/null || :
expect "WAN: no IPv4 options, no IPv6 Destination Options" "0 0" \
	"$(wan 'ip and ip[0] & 0xf != 5') $(wan 'ip6 and ip6[6] == 60')"

# --- the flow method over UDP: tagged until the router acknowledges -------
# with conntrack on the host, as a host with a firewall has it
on alice nft -f - <<-EOF
	table inet track { chain out { type filter hook output priority 0; ct state new counter; }; }
EOF
atag tag set eth0 key-id 1 key-file "$SCRATCH/key" method flow
# udp_echo USER ADDR SPORT: 100 bytes from port SPORT to inet's echo at
# ADDR (port 9000, inet_services), its reply awaited (10 s at most);
# prints its length
udp_echo() {
	as "$1" python3 -c '
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[2])))
s.settimeout(10)
s.connect((sys.argv[1], 9000))
s.send(b"0" * 100)
print(len(s.recv(2048)))' "$2" "$3"
}
# the host's Acknowledgments honoured and forged, the router's sent
acks() { echo "$(atag --json tag show | jq -r '"\(.acked) \(.ack_forged)"') $(jctl agent list | jq -r '[.[] | .acks] | add')"; }
ntag() { tagged | cut -d' ' -f1; }
t0=$(ntag)
read -r k0 f0 m0 <<<"$(acks)"
read -r b11 p11 <<<"$(up 11)"
read -r b12 p12 <<<"$(up 12)"
expect "flow method, UDP: user 1001's datagram echoed" 100 "$(udp_echo 1001 $INET4 21011)"
expect "  tagged (asking for an Acknowledgment), on contract 11" \
	"$((t0 + 1))|$((b11 + 128)) $((p11 + 1))" "$(ntag)|$(up 11)"
expect "  the echo carried the router's Acknowledgment, honoured" \
	"$((k0 + 1)) $f0 $((m0 + 1))" "$(acks)"
expect "  the flow's next datagram echoed" 100 "$(udp_echo 1001 $INET4 21011)"
expect "  untagged, still on contract 11" \
	"$((t0 + 1))|$((b11 + 256)) $((p11 + 2))" "$(ntag)|$(up 11)"
# the ports taken over by another user: conntrack calls the flow
# established, so a tag on its first packet only would leave 1002's
# datagram untagged and on 1001's flow; the agent's table knows better
expect "user 1002 on the same ports: echoed" 100 "$(udp_echo 1002 $INET4 21011)"
expect "  tagged as 1002's: on contract 12, nothing more on 11" \
	"$((t0 + 2))|$((b12 + 128)) $((p12 + 1))|$((b11 + 256)) $((p11 + 2))" \
	"$(ntag)|$(up 12)|$(up 11)"
expect "  acknowledged as 1002's" "$((k0 + 2)) $f0 $((m0 + 2))" "$(acks)"
read -r b11 p11 <<<"$(up 11)"
expect "IPv6: user 1001's datagram echoed" 100 "$(udp_echo 1001 $INET6 21013)"
expect "  tagged, acknowledged" "$((t0 + 3))|$((k0 + 3)) $f0 $((m0 + 3))" \
	"$(ntag)|$(acks)"
expect "  the next untagged; both on contract 11" \
	"100|$((t0 + 3))|$((b11 + 296)) $((p11 + 2))" \
	"$(udp_echo 1001 $INET6 21013)|$(ntag)|$(up 11)"

# a forged Acknowledgment: mallory, posing as inet's sink, to a flow of
# 1001's the router has not acknowledged (the sink never answers)
udp4 1001 21012 100
expect "to the sink: tagged, no Acknowledgment" "$((t0 + 4))|$((k0 + 3))" \
	"$(ntag)|$(acks | cut -d' ' -f1)"
on mallory python3 -c '
import os, socket, struct, sys
src, dst, sport, dport = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
# type 0x9e, 28 bytes: E | Acknowledgment, a number in the meter space,
# an Accounting ID and ICV not sealed by the key
opt = bytes([0x9e, 28]) + struct.pack("!HQ", 0x8003, (1 << 63) | 1) + os.urandom(16)
udp = struct.pack("!HHHH", sport, dport, 18, 0) + b"x" * 10
ip = struct.pack("!BBHHHBBH4s4s", 0x40 | (20 + len(opt)) // 4, 0,
                 20 + len(opt) + len(udp), 0x4d55, 0, 64, socket.IPPROTO_UDP, 0,
                 socket.inet_aton(src), socket.inet_aton(dst))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + opt + udp, (dst, 0))' $INET4 $ALICE4 9100 21012
check "a forged Acknowledgment counted on the host" \
	wait_until -t 10 eval '[ "$(acks | cut -d" " -f2)" = $((f0 + 1)) ]'
udp4 1001 21012 100
expect "  and ignored: 1001's next datagram still tagged" "$((t0 + 5))" "$(ntag)"
expect "no seal failed at the meter" 0 \
	"$(jctl agent list | jq -r '[.[] | .forged + .replayed] | add')"
