#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# The meter's side of the User Information option (issue 15): alice is a
# multi-user host registered as an agent; her UDP packets carry sealed
# options, built on the host by uinfo-frames.py apart from the module's
# code (Python's AES-GCM) and replayed on the LAN:
#   - sealed IPv4 and IPv6 packets, and datagrams in fragments that each
#     carry the option, pass; the option is gone on the WAN side (capture),
#     the UDP checksums still hold (the receiving sockets get every byte),
#     and the contract is charged the packets as they left, without it;
#   - the same packets again are replays, and a changed ICV, an unsealed
#     option, a bound field changed after sealing and another key's seal
#     are forgeries: all dropped as user-info, counted on the agent, logged,
#     nothing of them on the WAN;
#   - a host that is no agent has its option taken out and passes; ours
#     twice, or beside record route, is dropped;
#   - with conntrack on (the router reassembles), a fragmented datagram
#     still opens, once;
#   - all with a capture on the router's LAN port, which makes every frame
#     IP sees a clone.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfo-lib.bash"
uinfo_frames meter
frames=$!
topo_up
# on failure: the agents, the drops, what reached the WAN side
diagnose() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- agents, stats, receivers, WAN capture"
		jctl agent list || :
		stats_snapshot | grep -v '=0$' || :
		ls -l "$SCRATCH"/rx* || :
		tcpdump -nr "$SCRATCH/wan.pcap" -v 2>/dev/null | tail -30 || :
		echo "--- LAN capture"
		tcpdump -nr "$SCRATCH/lan.pcap" 2>/dev/null || :
	fi
	topo_down
}
trap diagnose EXIT
gate_up
ctl contract set 1 metric bytes status active
ctl contract set 2 metric bytes status active
bind_addr $ALICE4 1
bind_addr $ALICE6 1
bind_addr $MALLORY4 2

uinfo_agents $ALICE4 $ALICE6

# counters of alice's agent at ADDR: "opened forged replayed"
agent() {
	jctl agent list | jq -r ".[] | select(.addr == \"$1\") |
		\"\(.opened) \(.forged) \(.replayed)\""
}
# bytes the receivers on inet got, IPv4 and IPv6
rx() { echo "$(wc -c <"$SCRATCH/rx4") $(wc -c <"$SCRATCH/rx6")"; }

on inet socat -u UDP4-RECV:9100 OPEN:"$SCRATCH/rx4",creat,append &
on inet socat -u UDP6-RECV:9100,ipv6only=1 OPEN:"$SCRATCH/rx6",creat,append &
# not through on(): $! is then tcpdump itself (ip netns exec execs it)
ip netns exec inet tcpdump -i eth0 -U -n -w "$SCRATCH/wan.pcap" \
	'not arp and not icmp6' 2>"$SCRATCH/tcpdump.err" &
capture=$!
# and on the router's LAN port: with a packet socket there, IP gets a
# clone of each frame (skb_share_check()), so the meter must copy the
# header before it rewrites it (skb_ensure_writable())
ip netns exec router tcpdump -i lan0 -U -n -w "$SCRATCH/lan.pcap" \
	'ip or ip6' 2>"$SCRATCH/tcpdump-lan.err" &
lan_capture=$!
wait_until -t 20 on inet sh -c 'ss -lnu | grep -q "0.0.0.0:9100 " && ss -lnu | grep -q "\[::\]:9100 "'
wait_until -t 20 grep -q "listening on" "$SCRATCH/tcpdump.err"
wait_until -t 20 grep -q "listening on" "$SCRATCH/tcpdump-lan.err"
wait $frames || fail "uinfo-frames.py failed"
stats_snapshot >"$SCRATCH/snap"
forged0=$(kmsg_count 'netns [0-9]* agent [0-9]*: forged user information dropped')
replayed0=$(kmsg_count 'netns [0-9]* agent [0-9]*: replayed user information dropped')

# --- sealed packets pass, without the option, charged as they left --------
replay good4 10
check "10 sealed IPv4 packets through: every payload byte" \
	wait_until -t 10 eval '[ "$(rx)" = "1000 0" ]'
expect "  opened on alice's agent" "10 0 0" "$(agent $ALICE4)"
# 20 + 8 + 100 bytes each, not the 28 of the option
expect "  contract charged the packets as they left" "1280 10" \
	"$(cfields 1 up_bytes up_packets)"

replay frag4 2
check "a datagram in two fragments, both tagged: reassembled at inet" \
	wait_until -t 10 eval '[ "$(rx)" = "1300 0" ]'
expect "  both fragments opened (the second on the first's number)" \
	"12 0 0" "$(agent $ALICE4)"
expect "  charged 20 + 152 and 20 + 156 bytes" "1628 12" \
	"$(cfields 1 up_bytes up_packets)"

replay good6 5
check "5 sealed IPv6 packets through" \
	wait_until -t 10 eval '[ "$(rx)" = "1300 500" ]'
expect "  opened on alice's IPv6 agent" "5 0 0" "$(agent $ALICE6)"
# four lose their 32-byte header; the last, with another option after
# ours, keeps 16 of its 40 (the other option, under 8 bytes of padding)
expect "  charged 4 x (40 + 108) + 40 + 16 + 108" "2384 17" \
	"$(cfields 1 up_bytes up_packets)"
replay frag6 2
check "an IPv6 datagram in two fragments, both tagged" \
	wait_until -t 10 eval '[ "$(rx)" = "1300 800" ]'
expect "  both opened" "7 0 0" "$(agent $ALICE6)"
expect "  charged 40 + 8 + 152 and 40 + 8 + 156" "2788 19" \
	"$(cfields 1 up_bytes up_packets)"
expect "nothing dropped so far" 0 "$(delta "$SCRATCH/snap" drop_user_info)"

# --- replays and forgeries are dropped -------------------------------------
replay good4 10
check "the 10 again: replays, all dropped" \
	wait_until -t 10 eval '[ "$(agent $ALICE4)" = "12 0 10" ]'
replay forged4 6
check "changed ICV (3), unsealed, rebound, another key's: forged" \
	wait_until -t 10 eval '[ "$(agent $ALICE4)" = "12 6 10" ]'
expect "  each dropped as user-info" 16 "$(delta "$SCRATCH/snap" drop_user_info)"
expect "  nothing more received, nothing charged" "1300 800|2788 19" \
	"$(rx)|$(cfields 1 up_bytes up_packets)"
check "  forgeries logged" \
	test "$(kmsg_count 'netns [0-9]* agent [0-9]*: forged user information dropped')" -gt "$forged0"
check "  replays logged" \
	test "$(kmsg_count 'netns [0-9]* agent [0-9]*: replayed user information dropped')" -gt "$replayed0"

# --- a host that is no agent ------------------------------------------------
replay other4 1
check "mallory (no agent): the option taken out, the packet through" \
	wait_until -t 10 eval '[ "$(rx)" = "1400 800" ]'
expect "  charged to her own contract without it" "128 1" \
	"$(cfields 2 up_bytes up_packets)"
replay twice4 2
check "ours twice, ours beside record route: dropped" \
	wait_until -t 10 eval '[ "$(delta "$SCRATCH/snap" drop_user_info)" = 18 ]'
expect "  alice's agents untouched" "12 6 10|7 0 0" \
	"$(agent $ALICE4)|$(agent $ALICE6)"

# --- the router reassembles (conntrack): the datagram opens once ----------
on router nft -f - <<-EOF
	table inet uinfo { chain pre { type filter hook prerouting priority 0; ct state new counter; }; }
EOF
replay frag4ct 2
check "with conntrack: the fragments reassembled, opened once, through" \
	wait_until -t 10 eval '[ "$(rx)" = "1700 800" ]'
expect "  one seal opened" "13 6 10" "$(agent $ALICE4)"

# --- nothing of the option on the WAN ---------------------------------------
# tcpdump drops what it has not read yet when it is stopped: wait for both
# captures to hold every packet first
pcount() { tcpdump -nr "$SCRATCH/$1.pcap" "$2" 2>/dev/null | wc -l; }
lan_tagged() { pcount lan 'ip and ip[0] & 0xf != 5'; }
wan_passed() { pcount wan "src $ALICE4 or src $MALLORY4 or src $ALICE6"; }
check "LAN capture: the 33 IPv4 frames with options sent" \
	wait_until -t 10 eval '[ "$(lan_tagged)" -ge 33 ]'
# 10 + 2 + 5 + 2 + 1, and the reassembled datagram fragmented again
check "WAN capture: the 22 packets that passed" \
	wait_until -t 10 eval '[ "$(wan_passed)" -ge 22 ]'
kill -INT $capture $lan_capture
wait $capture $lan_capture 2>/dev/null || :
expect "  and no more" "33 22" "$(lan_tagged) $(wan_passed)"
tcpdump -nr "$SCRATCH/wan.pcap" -v 2>/dev/null >"$SCRATCH/wan.txt"
expect "WAN: no IPv4 packet with options" 0 "$(pcount wan 'ip and ip[0] & 0xf != 5')"
expect "WAN: no IPv6 option 0x3e, the other option kept" "0 1" \
	"$(grep -c 'opt_type 0x3e' "$SCRATCH/wan.txt") $(grep -c 'opt_type 0x1e' "$SCRATCH/wan.txt")"
expect "WAN: nothing to the dropped cases' port" 0 "$(pcount wan 'udp dst port 9101')"
