#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# RADIUS accounting with the real module (issue 12): what the host suite
# (tests/radius/, muispd with "kernel no") cannot check.  FreeRADIUS
# "visited" (tests/radius/fr.sh) runs in the router's namespace on
# 127.0.0.1, so muispd reaches it on loopback; every accounting request it
# gets is a line of its acct.log (linelog: status|sid|...|in-octets|
# in-gigawords|out-octets|out-gigawords|in-packets|out-packets|...).
#   1. A bytes contract bound; a fixed transfer (8 echoes of 1228 bytes,
#      then 50 UDP datagrams of 1028 bytes from the internet host): the
#      Start carries zeros; an Interim carries exactly the octets and
#      packets the module metered (muispctl contract show), which equal a
#      capture on lan0 (IP total lengths per direction).
#   2. Gigawords: the module's up-bytes counter of the live contract set
#      above 4 GiB (muispctl contract set): the next Interim carries
#      Acct-Input-Gigawords 1 and the exact low word.
#   3. One Disconnect-Request (radclient, RFC 5176) by Acct-Session-Id:
#      ACKed, the kernel unbinds the address, and the Stop carries
#      Admin-Reset and the module's final counters.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
. "$MUISP_TOP/tests/radius/fr.sh"
topo_up
on router muispctl config set lan lan0 require-tunnel off

# --- FreeRADIUS and muispd ------------------------------------------------
fr_setup $S/fr
fr_start $S/fr visited router
# secret files: one line, no group/other bits (muispd.conf(5))
printf 'nas-secret\n' >$S/radius.secret
printf 'dae-secret\n' >$S/dae.secret
chmod 600 $S/radius.secret $S/dae.secret
muispd_setup <<EOF
checkpoint-interval 1
price bytes voucher ah 1 1000000
radius-nas-identifier vm-router
radius-acct-server 127.0.0.1:1813 $S/radius.secret
radius-interim 3
radius-interim-min 2
radius-interim-jitter 0
radius-dae-listen 127.0.0.1:3799
radius-dae-client 127.0.0.1 $S/dae.secret
EOF
trap 'rc=$?; [ $rc -eq 0 ] || { echo "--- muispd.log" >&2; tail -n 40 $S/muispd.log >&2;
	echo "--- acct.log" >&2; tail -n 20 $S/fr/visited/log/acct.log >&2;
	tail -n 20 $S/fr/visited/log/stdout.log >&2; }; topo_down' EXIT
ACCT=$S/fr/visited/log/acct.log
wait_until -t 20 -m "Accounting-On at FreeRADIUS" grep -q '^Accounting-On|' $ACCT

# --- 1. a bytes contract, a fixed transfer ----------------------------------
code=$(field code "$(op voucher-issue 20000)")
# soft 9 GB, hard 10 GB at 1 per 10^6 bytes: room for step 2's 5 GiB
out=$(cl -m voucher -P "$code" --start buy bytes 9000000000 10000000000)
serial=$(field serial "$(head -n1 <<<"$out")")
expect "started" active "$(field state "$(tail -n1 <<<"$out")")"
db() { sqlite3 -separator ' ' $S/muispd.db "$1"; }
sid=$(db "SELECT sid FROM acct_sessions WHERE serial = $serial AND stopped IS NULL")
[ -n "$sid" ] || fail "no open accounting session for contract $serial"
read -r bub bup bdb bdp <<<"$(db "SELECT base_ub, base_up, base_db, base_dp FROM acct_sessions WHERE sid = '$sid'")"
log "session $sid, base $bub $bup $bdb $bdp"

# acct STATUS: the counters of STATUS's lines of the session, one line
# each: in-octets+2^32*in-gigawords out-octets+2^32*out-gigawords in-packets
# out-packets (absent attributes are 0)
acct() {
	awk -F'|' -v st="$1" -v sid="$sid" '$1 == st && $2 == sid {
		printf "%.0f %.0f %.0f %.0f\n", $8 + $9 * 4294967296, $10 + $11 * 4294967296, $12, $13 }' $ACCT
}
wait_until -t 20 -m "the Start" eval '[ -n "$(acct Start)" ]'
expect "Start: zero counters" "0 0 0 0" "$(acct Start | head -n1)"
expect "Start: one record" 1 "$(acct Start | wc -l)"

# the module's counters of the contract, minus the session's base
module() {
	on router muispctl --json contract show $serial kernel |
		jq -r --argjson b "[$bub,$bdb,$bup,$bdp]" \
			'"\(.up_bytes - $b[0]) \(.down_bytes - $b[1]) \(.up_packets - $b[2]) \(.down_packets - $b[3])"'
}
expect "module: nothing metered yet" "0 0 0 0" "$(module)"

# not through on(): $! must be tcpdump itself, for its SIGINT
ip netns exec router tcpdump -nn -U -i lan0 -w $S/lan0.pcap ip >$S/tcpdump.out 2>&1 &
TCPDUMP=$!
wait_until -t 20 -m tcpdump grep -q 'listening on lan0' $S/tcpdump.out
ip netns exec alice socat -u UDP-RECV:5001 OPEN:/dev/null &
RECV=$!
wait_until -t 10 -m "alice's UDP receiver" eval '[ -n "$(on alice ss -Hlun "sport = :5001")" ]'
on alice ping -c 8 -i 0.2 -W 2 -s 1200 $INET4 >/dev/null || fail "paid pings"
head -c 50000 /dev/zero >$S/blob
on inet socat -u -b 1000 OPEN:$S/blob UDP:$ALICE4:5001
# every datagram metered: 8 echoes each way, 50 datagrams down
wait_until -t 10 -m "the transfer metered" eval '[ "$(module | cut -d" " -f4)" = 58 ]'
m1=$(module)
log "module after the transfer: $m1"
# the next Interim after the transfer carries the module's counters
wait_until -t 20 -m "an Interim with the module's counters" eval 'acct Interim-Update | grep -qx "$m1"'
ok "Interim: octets and packets = the module's ($m1)"
kill -INT $TCPDUMP
wait $TCPDUMP || true
kill $RECV 2>/dev/null || true
# the capture: IP total length and count per direction (tcpdump -v prints
# the IP header's "length N)")
cap() {
	tcpdump -nn -v -r $S/lan0.pcap "$1" 2>/dev/null |
		awk 'match($0, /, length [0-9]+\)/) { s += substr($0, RSTART + 9, RLENGTH - 10); n++ }
			END { printf "%.0f %.0f\n", s, n }'
}
read -r cub cup <<<"$(cap "ip src $ALICE4 and not ip dst $ROUTER_LAN4")"
read -r cdb cdp <<<"$(cap "ip dst $ALICE4 and not ip src $ROUTER_LAN4")"
expect "capture on lan0 = the module's counters" "$m1" "$cub $cdb $cup $cdp"
expect "the transfer's sizes" "9824 61224 8 58" "$m1"

# --- 2. Gigawords: a counter above 4 GiB ------------------------------------
# 5 GiB + 123457 from the user: Input-Gigawords 1, the low word exact
big=$((5 * 1073741824 + 123457))
on router muispctl contract set $serial up-bytes $big
m2=$(module)
expect "module: up-bytes above 4 GiB" $((big - bub)) "${m2%% *}"
wait_until -t 20 -m "an Interim with Gigawords" eval 'acct Interim-Update | grep -qx "$m2"'
gw=$(awk -F'|' -v sid="$sid" -v want=$(((big - bub) % 4294967296)) \
	'$1 == "Interim-Update" && $2 == sid && $8 == want { print $9 }' $ACCT | head -n1)
expect "Interim: Acct-Input-Gigawords 1, Input-Octets the low word" 1 "$gw"

# --- 3. Disconnect-Request: the kernel unbinds --------------------------------
expect "bound before the Disconnect" bound "$(on router muispctl --json addr show $ALICE4 | jq -r .state)"
printf 'Acct-Session-Id = "%s"\nEvent-Timestamp = %d\nMessage-Authenticator = 0x00\n' \
	"$sid" "$(date +%s)" |
	on router radclient -x -r 1 -t 10 127.0.0.1:3799 disconnect dae-secret >$S/dm.out 2>&1 ||
	fail "Disconnect-Request: $(cat $S/dm.out)"
grep -q 'Received Disconnect-ACK' $S/dm.out || fail "no Disconnect-ACK: $(cat $S/dm.out)"
ok "Disconnect-ACK"
wait_until -t 20 -m "the address unbound in the kernel" \
	eval '[ "$(on router muispctl --json addr show $ALICE4 | jq -r .state)" != bound ]'
! on alice ping -c 1 -W 1 $INET4 >/dev/null || fail "ping after the Disconnect"
expect "contract extinguished" extinguished "$(field state "$(op contract-show $serial)")"
wait_until -t 20 -m "the Stop" eval '[ -n "$(acct Stop)" ]'
expect "Stop: the module's final counters" "$m2" "$(acct Stop)"
expect "Stop: Admin-Reset" Admin-Reset \
	"$(awk -F'|' -v sid="$sid" '$1 == "Stop" && $2 == sid { print $16 }' $ACCT | head -n1)"
stop_muispd
wait_until -t 20 -m "Accounting-Off" grep -q '^Accounting-Off|' $ACCT
fr_stop $S/fr visited
log "radius accounting ok"
