#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 150
#
# Control channel exhaustion (docs/SECURITY.md): mallory, from 40
# addresses of the LAN, opens 1,000 TCP connections to muispd's control
# port (max-conns 256, max-conns-per-addr 16) and sends nothing, or a junk
# TLS record on every fifth.  Meanwhile paying alice keeps working: her contract
# stays bound, her traffic is metered to the byte, her status is answered;
# and bob, a walk-in, buys a contract during the attack (the table closes
# the longest-idle of mallory's channels to make room).  (No IKE: the
# tunnel scenarios cover it.)
. "$MUISP_TOP/tests/vm/lib.sh"
topo_up
on router muispctl config set lan lan0 require-tunnel off

. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
muispd_setup <<EOF
$FLOW_CONF
max-conns 256
handshake-timeout 120
EOF

# alice pays and her traffic is metered: 1028-byte packets each way.
code=$(field code "$(op voucher-issue 200)")
out=$(cl -m voucher -P "$code" --start buy bytes 30000 60000)
serial=$(field serial "$(head -n1 <<<"$out")")
used() { on router muispctl --json contract show "$serial" | jq .used; }
on alice ping -c 1 -W 2 -s 1000 $INET4 >/dev/null || fail "paid ping"
expect "alice metered before the attack" 2056 "$(used)"

# mallory: 40 more addresses, 1,000 connections (25 each in a row), a
# junk record on every 5th.
{
	for ((k = 150; k < 190; k++)); do
		echo "addr add $LAN4.$k/32 dev eth0"
	done
} | ip -n mallory -batch -
mkfifo $S/idle.in
on mallory python3 "$MUISP_TOP/tests/contract/ctlflood.py" \
	"$ROUTER_LAN4:4433" - idle 1000 $LAN4.150 40 5 <$S/idle.in >$S/idle.out &
ipid=$!
exec {idle_fd}>$S/idle.in
wait_until -t 30 -m "mallory's connections" grep -q "^idle 1000$" $S/idle.out
nfds() { ls /proc/$MUISPD/fd | wc -l; }
wait_until -t 30 -m "muispd's table full" eval '[ "$(nfds)" -ge 256 ]'
# The junk is refused, the per-address cap and the full table hit: at
# least the 200 junk records and the 4 idle ones over the cap of each
# address closed.
wait_until -t 30 -m "mallory's connections refused" grep -q "^closed 360$" $S/idle.out
check "junk refused" grep -q "$LAN4.1[5-8][0-9]: TLS handshake failed" $S/muispd.log
check "per-address cap" grep -q "more than 16 connections from one address" $S/muispd.log
n=$(nfds)
[ "$n" -le $((256 + 16 + 64)) ] || fail "muispd holds $n descriptors"
ok "muispd's descriptors bounded ($n)"

# During the attack: bob walks in and buys at once (mallory's addresses
# hold several channels each, so one of them makes room for him however
# fresh); alice is served and metered exactly.
code2=$(field code "$(op voucher-issue 200)")
out=$(on bob muisp-client -s $ROUTER_LAN4 --ca $S/ca.crt --name router.muisp.test \
	-S $S/bob -m voucher -P "$code2" --start buy bytes 30000 60000) ||
	fail "walk-in during the attack: $out"
expect "walk-in bound during the attack" "active $BOB4" \
	"$(field state "$(tail -n1 <<<"$out")") $(field addr "$(tail -n1 <<<"$out")")"
check "an idle channel of mallory closed for him" \
	grep -q "connections full (256), closed its channel idle" $S/muispd.log
on alice ping -c 1 -W 2 -s 1000 $INET4 >/dev/null || fail "alice's ping during the attack"
expect "alice metered during the attack" 4112 "$(used)"
expect "alice still bound and answered" "bound active" \
	"$(on router muispctl --json addr show $ALICE4 | jq -r .state) $(field state "$(cl status)")"
exec {idle_fd}>&-
wait $ipid
