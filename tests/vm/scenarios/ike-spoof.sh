#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# Anti-spoofing bound to the SA (seed §4), with real strongSwan: alice has
# an AH tunnel and an active contract; the router's address entry names
# her SA (require-tunnel is on by default, so binding without it is
# refused).  Mallory, on the same hub, then
#   - sends 10,000 UDP packets with alice's IP and MAC (built with scapy,
#     replayed with tcpreplay): none reaches the internet host, all are
#     counted as TUNNEL drops, alice's contract is not charged;
#   - does the same with alice's IPv6 address (the IPv6 path of the check;
#     this setup has no IPv6 tunnel, the entry names the IPv4 SA);
#   - replays 10 AH packets of alice's she captured off the hub: the
#     kernel's anti-replay window drops every one (XfrmInStateSeqError),
#     the internet host sees no extra echo request, nothing is charged.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
ike_scenario --watch
R() { on router muispctl "$@"; }
drops() { R --json stats | jq -r .drop_tunnel; }
usage() { R --json contract show 1 | jq -r '"\(.up_packets) \(.down_packets)"'; }
seqerr() { on router awk '$1 == "XfrmInStateSeqError" { print $2 }' /proc/net/xfrm_stat; }
# conditions for wait_until (evaluated on every try)
drops_ge() { [ "$(drops)" -ge "$1" ]; }
seqerr_ge() { [ "$(($(seqerr) - before))" -ge "$1" ]; }
# Counters on the internet host: spoofed UDP, echo requests.
ike_inet_counters
seen() { ike_seen "$1"; }

ike_initiate
ike_wait_up
reqid=$IKE_REQID spi=$IKE_SPI
log "alice's SA: spi $spi reqid $reqid"

R config set lan lan0
expect "require-tunnel on by default" true "$(R --json config show | jq .require_tunnel)"
R contract set 1 metric bytes status active
rc=0
R addr set $ALICE4 state bound contract 1 2>"$SCRATCH/err" || rc=$?
expect "binding without the tunnel refused" "1 muispctl: addr set: require-tunnel is on: the address has no tunnel" \
	"$rc $(<"$SCRATCH/err")"
R addr set $ALICE4 state bound contract 1 mac $ALICE_MAC tunnel ah spi $spi reqid $reqid
R addr set $ALICE6 state bound contract 1 tunnel ah spi $spi reqid $reqid

on alice ping -c 3 -i 0.2 -W 5 $INET4 >/dev/null || fail "alice cannot reach inet through her tunnel"
expect "alice's pings metered (up, down)" "3 3" "$(usage)"
expect "no drops; inet saw 3 echo requests" "0 3 0" "$(drops) $(seen echo) $(seen spoof)"

# --- mallory spoofs alice: IPv4 and IPv6 ----------------------------------
ike_spoof_pcap "$SCRATCH/spoof4.pcap" 10000 $ALICE4 $INET4 \
	"$SCRATCH/spoof6.pcap" 1000 $ALICE6 $INET6
on mallory tcpreplay -q -i eth0 "$SCRATCH/spoof4.pcap" >"$SCRATCH/replay4.out" 2>&1 ||
	fail "tcpreplay: $(cat "$SCRATCH/replay4.out")"
grep -q "10000 packets" "$SCRATCH/replay4.out" || fail "tcpreplay: $(cat "$SCRATCH/replay4.out")"
wait_until -t 30 drops_ge 10000
expect "10,000 spoofed IPv4 packets: all TUNNEL drops, none at inet, nothing charged" \
	"10000 0 3 3" "$(drops) $(seen spoof) $(usage)"
on mallory tcpreplay -q -i eth0 "$SCRATCH/spoof6.pcap" >"$SCRATCH/replay6.out" 2>&1 ||
	fail "tcpreplay: $(cat "$SCRATCH/replay6.out")"
wait_until -t 30 drops_ge 11000
expect "1,000 spoofed IPv6 packets: all TUNNEL drops, none at inet, nothing charged" \
	"11000 0 3 3" "$(drops) $(seen spoof) $(usage)"

# --- mallory replays alice's AH packets ------------------------------------
on mallory tcpdump -i eth0 -U -c 10 -w "$SCRATCH/ah.pcap" "ip proto 51 and src $ALICE4" \
	>"$SCRATCH/tcpdump.out" 2>&1 &
cap=$!
wait_until -t 20 grep -q "listening on" "$SCRATCH/tcpdump.out"
on alice ping -c 10 -i 0.2 -W 5 $INET4 >/dev/null || fail "alice's second pings"
wait $cap || fail "capture: $(cat "$SCRATCH/tcpdump.out")"
expect "alice's 10 more pings through the tunnel" "13 13 13" "$(seen echo) $(usage)"
before=$(seqerr)
on mallory tcpreplay -q -i eth0 "$SCRATCH/ah.pcap" >"$SCRATCH/replayah.out" 2>&1 ||
	fail "tcpreplay: $(cat "$SCRATCH/replayah.out")"
wait_until -t 30 seqerr_ge 10
expect "10 replayed AH packets: all refused by anti-replay, no echo at inet, nothing charged" \
	"10 13 13 13 11000" "$(($(seqerr) - before)) $(seen echo) $(usage) $(drops)"
log "anti-spoofing ok"
