#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 150
#
# NAPT on the uplink (seed §9, docs/NAT.md), with require-tunnel off as in
# the dp-* scenarios: the AH/ESP tunnel ends at the router before any NAT
# hook (the ike-* scenarios cover it), so NAT sees the same packets either
# way.  The internet host knows the router by its one WAN address only
# (topo_up --napt).  The shipped ruleset (nat/muisp-nat.nft with the shipped
# nat/nat.conf) runs beside an operator's own nftables table (forward
# counters, a port forward) and iptables-nft rules, all at once:
# - without the ruleset a bound client gets no reply; with it the internet
#   host sees only the router's WAN address (its counters by source, and
#   the peer address its UDP service answers with);
# - alice's and bob's contracts count exactly what each sent and received,
#   with the LAN address as their flows' client;
# - unpaid mallory gets nothing through, not even by a port forward, and
#   nothing of hers is translated or tracked (the masquerade counter,
#   conntrack), while the operator's forward counters, at priority 0
#   before the module's, see her packets;
# - the port forward reaches alice and is metered to her; IPv6 is routed,
#   not translated: inet sees alice's own address;
# - loading the ruleset again replaces its table and nothing else.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up --napt
gate_up
WAN=$ROUTER_WAN4

# counters NS FAMILY TABLE: "name=packets" of each named counter, sorted.
counters() {
	on "$1" nft -j list counters table "$2" "$3" | jq -r \
		'[.nftables[] | select(.counter) | .counter |
		  "\(.name)=\(.packets)"] | sort | join(" ")'
}
# masq: packets of muisp_nat's masquerade rule (one per new connection).
masq() {
	on router nft -j list table ip muisp_nat | jq -r \
		'.nftables[] | select(.rule) | .rule.expr[] | select(.counter) |
		 .counter.packets'
}
# ipt: packets of the operator's two iptables FORWARD rules.
ipt() { on router iptables -nvxL FORWARD | awk 'NR > 2 { printf "%s ", $1 }'; }
nat_load() {
	on router nft -I "$SCRATCH/etc" -f "$MUISP_TOP/nat/muisp-nat.nft"
}

# inet: counters by source address; a UDP service that answers with the
# peer address it sees; a UDP sink.  alice: the port forward's target.
on inet nft -f - <<EOF
table inet seen {
	counter lan6 {}
	counter other4 {}
	counter sink {}
	counter wan {}
	chain in {
		type filter hook input priority filter; policy accept;
		iifname "eth0" ip saddr $WAN counter name "wan"
		iifname "eth0" ip saddr != $WAN counter name "other4"
		iifname "eth0" ip6 saddr $LAN6::/64 counter name "lan6"
		udp dport 9002 counter name "sink"
	}
}
EOF
# shellcheck disable=SC2016 # expanded by socat's shell, per datagram
on inet socat UDP-RECVFROM:9003,fork SYSTEM:'echo $SOCAT_PEERADDR' \
	>/dev/null 2>&1 &
on inet socat -u UDP-RECV:9002 /dev/null >/dev/null 2>&1 &
on alice socat TCP-LISTEN:8022,reuseaddr PIPE >/dev/null 2>&1 &
wait_until -t 20 eval 'on inet ss -lnu | grep -q ":9003 " &&
	on inet ss -lnu | grep -q ":9002 " && on alice ss -lnt | grep -q ":8022 "'

ctl contract set 1 metric bytes status active
ctl contract set 2 metric bytes status active
bind_addr $ALICE4 1
bind_addr $ALICE6 1
bind_addr $BOB4 2

# --- without NAT: the internet has no way back to the LAN -----------------
! on alice ping -c 1 -W 1 $INET4 >/dev/null || fail "reply without NAT"
expect "inet saw alice's own address" "lan6=0 other4=1 sink=0 wan=0" \
	"$(counters inet inet seen)"
up0=84	# 20 + 8 + 56: the echo request, metered, never answered

# --- the ruleset (shipped parameters), the operator's rules ----------------
mkdir -p "$SCRATCH/etc/muisp"
cp "$MUISP_TOP/nat/nat.conf" "$SCRATCH/etc/muisp/"
nat_load
on router nft -f - <<EOF
table inet operator {
	counter fwd2222 {}
	counter lan_out {}
	counter mallory {}
	counter wan_in {}
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "lan0" oifname "wan0" counter name "lan_out"
		iifname "wan0" oifname "lan0" counter name "wan_in"
		ip saddr $MALLORY4 counter name "mallory"
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan0" tcp dport 2222 counter name "fwd2222" \
			dnat ip to $ALICE4:8022
		iifname "wan0" udp dport 2266 dnat ip to $MALLORY4:9000
	}
}
EOF
on router iptables-restore --noflush <<EOF
*filter
-A FORWARD -s $LAN4.0/24 -i lan0 -o wan0
-A FORWARD -d $LAN4.0/24 -i wan0 -o lan0
COMMIT
EOF
expect "masquerade from nat.conf" 1 "$(on router nft list table ip muisp_nat |
	grep -c "oifname \"wan0\" ip saddr $LAN4.0/24 counter .* masquerade")"

# --- two bound clients through NAT, fixed sizes -----------------------------
on alice ping -c 2 -i 0.2 -W 2 -s 100 $INET4 >/dev/null
expect "inet sees alice as the router" $WAN \
	"$(echo x | on alice timeout 10 socat -t 2 - UDP:$INET4:9003)"
head -c 200 /dev/zero | on alice socat -u - UDP:$INET4:9002
on bob ping -c 1 -W 2 -s 300 $INET4 >/dev/null
expect "inet sees bob as the router" $WAN \
	"$(echo x | on bob timeout 10 socat -t 2 - UDP:$INET4:9003)"
wait_until -t 10 eval '[ "$(counters inet inet seen)" = \
	"lan6=0 other4=1 sink=1 wan=6" ]'
# alice: 2 x 128 each way (ping); 30 up, 41 down ("x\n", "198.51.100.1\n");
# 228 up (the sink).  bob: 328 each way; 30 up, 41 down.
expect "alice's contract: what she sent and received" \
	"$((up0 + 256 + 30 + 228)) $((256 + 41))" "$(cfields 1 up_bytes down_bytes)"
expect "bob's contract: what he sent and received" \
	"$((328 + 30)) $((328 + 41))" "$(cfields 2 up_bytes down_bytes)"
expect "alice's flows: her LAN address, inet" "$ALICE4 $INET4" \
	"$(jctl flow list contract 1 | jq -r '[.[] | "\(.client) \(.peer)"] | unique | join(",")')"
expect "bob's flows: his LAN address, inet" "$BOB4 $INET4" \
	"$(jctl flow list contract 2 | jq -r '[.[] | "\(.client) \(.peer)"] | unique | join(",")')"
expect "connections masqueraded" 5 "$(masq)"
ct=$(on router conntrack -L --src-nat 2>/dev/null)
expect "alice's 3 connections translated to $WAN" 3 \
	"$(grep "src=$ALICE4 " <<<"$ct" | grep -c "dst=$WAN ")"
expect "bob's 2 connections translated to $WAN" 2 \
	"$(grep "src=$BOB4 " <<<"$ct" | grep -c "dst=$WAN ")"

# --- unpaid mallory: nothing through, nothing translated --------------------
snap=$SCRATCH/snap
stats_snapshot >"$snap"
! on mallory ping -c 1 -W 1 $INET4 >/dev/null || fail "unpaid ping passed"
echo x | on mallory socat -u - UDP:$INET4:9003
echo x | on inet socat -u - UDP:$WAN:2266	# her port forward
wait_until -t 5 eval 'test "$(delta "$snap" drop_not_bound)" = 3'
expect "nothing of mallory's masqueraded" 5 "$(masq)"
expect "no conntrack entry of mallory's" 0 \
	"$(on router conntrack -L 2>/dev/null | grep -c "=$MALLORY4 " || :)"
expect "nothing more reached inet" "lan6=0 other4=1 sink=1 wan=6" \
	"$(counters inet inet seen)"
# the operator's chains at priority 0 run before the module's (60): they
# count mallory's packets (two out, one in by her port forward), which the
# module then drops
expect "operator's nft counters" "fwd2222=0 lan_out=8 mallory=2 wan_in=6" \
	"$(counters router inet operator)"
expect "operator's iptables counters" "8 6 " "$(ipt)"

# --- the operator's port forward, metered to alice --------------------------
expect "port forward to alice" fwd-ok \
	"$(echo fwd-ok | on inet timeout 10 socat -t 2 - TCP:$WAN:2222)"
expect "port forward flow metered to alice" "$ALICE4 $INET4 true true" \
	"$(jctl flow list contract 1 | jq -r '.[] | select(.client_port == 8022) |
	"\(.client) \(.peer) \(.up_packets > 0) \(.down_packets > 0)"')"
expect "port forward counted once (its first packet)" 1 \
	"$(counters router inet operator | sed 's/ .*//; s/.*=//')"

# --- IPv6 is routed: alice's own address -----------------------------------
on alice ping -6 -c 1 -W 2 $INET6 >/dev/null
expect "inet sees alice's IPv6 address" lan6=1 \
	"$(counters inet inet seen | cut -d' ' -f1)"

# --- loading the ruleset again replaces its table only ----------------------
before=$(counters router inet operator) ipt_before=$(ipt)
nat_load
expect "operator's nft rules and counters kept" "$before" \
	"$(counters router inet operator)"
expect "operator's iptables rules kept" "$ipt_before" "$(ipt)"
expect "masquerade counter new" 0 "$(masq)"
on alice ping -c 1 -W 2 $INET4 >/dev/null
expect "NAT after the reload" 1 "$(masq)"
log "napt ok"
