#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# Issue 10, attacks 2 and 3 and the relay check, as mallory performs them
# on her port of the shared segment (frames made by hostile-dhcp.py in one
# Python run, replayed with tcpreplay) while alice, leased by DHCP and
# bound to contract 7 with the gate on, keeps being served:
#   - forged RELEASE and DECLINE of alice's lease (her chaddr and ciaddr,
#     from mallory's MAC and from alice's spoofed MAC): every one refused
#     and counted by reason, .100 stays bound to contract 7, her lease
#     stays hers, her pings are metered exactly;
#   - DISCOVERs with random chaddrs from mallory's MAC: offers-per-source
#     (4) holds, the rest are offered without holding an address; DECLINEs
#     of those offers are refused (never ACKed); a burst beyond source-rate
#     is dropped and counted;
#   - REQUEST + DECLINE of 20 addresses from 20 MACs: quarantine-max (16)
#     holds, the oldest 4 end early;
#   - up to 1,200 DISCOVERs from as many MACs at 40/s (30 s; stopped once
#     bob is served): offer-share (50 %) holds, and bob, a walk-in with
#     ISC dhclient, gets an address while it runs;
#   - a relayed DISCOVER whose giaddr is mallory's own address (on the
#     subnet, not a configured relay): dropped, counted, no reply.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up

T=$SCRATCH
. "$MUISP_TOP/tests/vm/scenarios/dhcp-lib.bash"
state() { jctl addr show "$1" | jq -r '"\(.state) \(.contract)"'; }
# dstat KEY...: the counters, space-separated (0 for one never counted).
dstat() {
	local q="" k
	for k in "$@"; do q="$q\(.$k // 0) "; done
	lease stats | jq -r "\"${q% }\""
}
stat_is() { # WANT KEY...: re-signal until the counters read WANT
	local want=$1
	shift
	usr1_sync
	[ "$(dstat "$@")" = "$want" ]
}
burst_seen() { # every DISCOVER of the burst answered or rate-limited
	local d r
	usr1_sync
	read -r d r <<<"$(dstat rx_discover drop_rate_limited)"
	[ $((d + r)) -eq 111 ]
}
replay() { # PCAP [tcpreplay options]: all of it, or fail
	local p=$1
	shift
	on mallory tcpreplay -q "$@" -i eth0 "$T/$p.pcap" >"$T/$p.out" 2>&1 ||
		fail "tcpreplay $p: $(cat "$T/$p.out")"
}
usage() { cfields 7 up_packets down_packets; }

cat >"$T/dhcpd.conf" <<EOF
lease-db $T/leases.db
kernel-sync yes
offer-time 600
interface lan0 {
	subnet 192.0.2.0/24
	server-id 192.0.2.1
	pool 192.0.2.100 192.0.2.163
	router 192.0.2.1
	lease-time 600
	renew-time 300
	rebind-time 500
}
EOF
trap dhcp_cleanup EXIT

# Mallory's frames, made once (one Python start).
/usr/bin/python3 "$MUISP_TOP/tests/vm/scenarios/hostile-dhcp.py" "$T" ||
	fail "hostile-dhcp.py"
log "mallory's frames made"

on alice ip -4 addr flush dev eth0
on bob ip -4 addr flush dev eth0
gate_up
start_dhcpd
wait_until -t 20 grep -q 'kernel hand-off: connected' "$T/dhcpd.log"
log "muisp-dhcpd connected to the module"

# --- alice: leased, bound, metered -------------------------------------------
dhclient_in alice
log "alice leased"
expect "alice's address" 192.0.2.100 "$(addr_of alice)"
ctl contract set 7 metric bytes status active
bind_addr 192.0.2.100 7
expect "alice's ping through the gate" 3 "$(ping_rx alice -c 3 -i 0.2 -W 5 $INET4)"
expect "alice's pings metered (up, down)" "3 3" "$(usage)"
log "alice leased, bound and metered"

# --- attack 2: forged RELEASE and DECLINE of alice's lease -------------------
replay forge
wait_until -t 20 stat_is "1 1 2" release_refused_mac release_refused_bound \
	decline_refused_bound
expect "nothing else of the forgeries honoured or quarantined" \
	"0 0 0 2 2" "$(dstat quarantined decline_refused_mac \
	release_refused_tunnel rx_release rx_decline)"
expect "alice's address after the forgeries" "bound 7" "$(state 192.0.2.100)"
expect "contract 7 keeps its address" 1 "$(cfield 7 naddrs)"
expect "alice's lease is still hers" "leased $ALICE_MAC" \
	"$(lease show 192.0.2.100 | jq -r '"\(.state) \(.mac)"')"
expect "alice's pings after the forgeries" 3 \
	"$(ping_rx alice -c 3 -i 0.2 -W 5 $INET4)"
expect "metered exactly (up, down)" "6 6" "$(usage)"
log "ok: forged RELEASE/DECLINE refused (mac 1, bound 1+2), alice served"

# --- attack 3: offers per source, DECLINE of an offer, source-rate ----------
# 10 DISCOVERs from mallory's MAC: 4 reserved (.101-.104), 6 not; her
# DECLINEs of the 4 are refused: offered, never ACKed.  (rx_discover
# counts alice's one too.)
replay offer
wait_until -t 20 stat_is "11 6 4 4" rx_discover tx_offer_unreserved \
	decline_refused_not_acked offers_held
# 100 more at once: beyond source-rate (20/s, bursts of 40) dropped; those
# let through are all offered without holding an address.
expect "nothing rate-limited before the burst" 0 "$(dstat drop_rate_limited)"
replay burst -t
wait_until -t 20 burst_seen
read -r disc unres held unknown <<<"$(dstat rx_discover tx_offer_unreserved \
	offers_held rx_source_unknown)"
drops=$(dstat drop_rate_limited)
check "source-rate dropped part of the burst ($drops)" test "$drops" -gt 0
# A datagram whose frame the packet socket lost counts as from the one
# unknown source, which has its own 4 offers: at most min(unknown, 4)
# more held (none when every frame was witnessed).
extra=$((unknown < 4 ? unknown : 4))
check "mallory's 4 held, plus at most $extra of the unknown source ($held)" \
	test "$held" -ge 4 -a "$held" -le $((4 + extra))
expect "every other DISCOVER of mallory's unreserved" \
	"$((disc - 1 - held))" "$unres"
log "ok: offers-per-source 4 held; $drops of 100 burst frames rate-limited; $unknown from the unknown source"

# REQUEST (ACKed) then DECLINE of 20 addresses from 20 MACs: quarantine-max
# 16 holds, the 4 oldest end early.
replay ack
wait_until -t 30 stat_is 21 tx_ack	# the 20, and alice's
replay decline
wait_until -t 30 stat_is "20 4" quarantined quarantine_evicted
expect "quarantined now (quarantine-max)" 16 "$(dstat addrs_quarantine)"
log "ok: quarantine-max 16 held (20 quarantined, 4 ended early)"

# DISCOVERs from 1,200 MACs at 40/s.  Unleased: 64 - alice - 16
# quarantined = 47; offer-share 50 % lets 24 be held (mallory's 4 + 20).
# Bob starts once they are: his offer is unreserved, his REQUEST wins.
# Not through on(): $! must be tcpreplay, to stop it.
ip netns exec mallory tcpreplay -q --pps=40 -i eth0 "$T/flood.pcap" \
	>"$T/flood.out" 2>&1 &
flood=$!
wait_until -t 30 stat_is 24 offers_held
n0=$(dstat rx_discover)
dhclient_in bob
bob=$(addr_of bob)
kill -0 $flood 2>/dev/null || fail "the flood ended before bob was served"
n1=$(dstat rx_discover)
kill $flood
wait $flood || true
case $bob in
192.0.2.1[0-5][0-9] | 192.0.2.16[0-3]) ;;
*) fail "bob got no pool address during the flood: '$bob'" ;;
esac
expect "bob's lease in the kernel" allocated "$(jctl addr show "$bob" | jq -r .state)"
usr1_sync
read -r held unres <<<"$(dstat offers_held tx_offer_unreserved)"
expect "offers held after the flood (offer-share)" 24 "$held"
log "ok: bob got $bob during the flood ($n0 -> $n1 DISCOVERs), 24 held, $unres unreserved"

# --- a relayed DISCOVER from a host that is not a relay -----------------------
read -r offers naks <<<"$(dstat tx_offer tx_nak)"
replay relay
wait_until -t 20 stat_is 1 drop_relay
expect "no reply to the relayed DISCOVER" "$offers $naks" "$(dstat tx_offer tx_nak)"
log "ok: giaddr on the subnet from a non-relay dropped"

# --- alice, after it all ---------------------------------------------------------
expect "alice's address at the end" "bound 7" "$(state 192.0.2.100)"
expect "alice's pings at the end" 3 "$(ping_rx alice -c 3 -i 0.2 -W 5 $INET4)"
expect "metered exactly (up, down)" "9 9" "$(usage)"
kill -0 "$DHCPD" || fail "muisp-dhcpd died"
expect "no kernel or database errors" "0 0" "$(dstat kernel_errors db_errors)"
log "hostile-dhcp: all steps passed"
