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
# the longest-idle of mallory's channels to make room).  Then the online
# payment provider (tests/contract/provider.py on the WAN, HTTPS with its
# CA pinned) hangs on mallory's online purchase: while muispd waits for
# it, alice is metered exactly and answered, carol (a walk-in) buys with a
# voucher and is bound, the operator is answered; then the deadline:
# mallory is told, her reference voided, nothing held of her account.
# (No IKE: the tunnel scenarios cover it.)
. "$MUISP_TOP/tests/vm/lib.sh"
topo_up
on router muispctl config set lan lan0 require-tunnel off

. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
# The payment provider's own CA and certificate; the provider starts now
# (Python: 2 s) and is first needed after the flood.  Its stderr (a late
# answer to a closed connection: its trace) in provider.log.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout $S/pca.key -out $S/pca.crt -days 2 -subj "/CN=provider CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout $S/provider.key -out $S/provider.csr -subj "/CN=$INET4" 2>/dev/null
printf 'subjectAltName=IP:%s\n' $INET4 >$S/pext
openssl x509 -req -in $S/provider.csr -CA $S/pca.crt -CAkey $S/pca.key \
	-CAcreateserial -out $S/provider.crt -days 2 -extfile $S/pext 2>/dev/null
on inet python3 "$MUISP_TOP/tests/contract/provider.py" $S/provider.port \
	$S/provider.crt $S/provider.key $INET4 443 2>$S/provider.log &
muispd_setup <<EOF
$FLOW_CONF
max-conns 256
handshake-timeout 120
price bytes online ah 1000 1000000
online-provider https://$INET4:443
online-provider-ca $S/pca.crt
online-provider-timeout 10
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

# --- the payment provider hangs (docs/SECURITY.md "Online payment
# provider") ---
# The provider takes mallory's authorisation and never answers; muispd
# gives up after online-provider-timeout, 10 s: room for what must be
# served meanwhile on a loaded guest.  The harness talks to the provider
# on its plain control port, in the inet namespace.
wait_until -t 20 -m "the payment provider's port" test -s $S/provider.port
read -r _ cport <$S/provider.port
provider() { on inet curl -sf -d '{}' http://127.0.0.1:$cport$1 >/dev/null; }
ledger() { on inet curl -sf http://127.0.0.1:$cport/ledger | jq -r "$@"; }
waiting() { [ "$(ledger .waiting)" = "$1" ]; }
provider /hold
on mallory muisp-client -s $ROUTER_LAN4 -b $MALLORY4 --ca $S/ca.crt \
	--name router.muisp.test -S $S/mallory -m online -P tok-hang \
	buy bytes 30000 60000 >$S/hang.out 2>&1 &
hpid=$!
wait_until -t 20 -m "the provider never got mallory's authorisation" waiting 1
# While muispd waits for the provider: carol walks in (on bob's port) and
# buys with a voucher, alice is metered and answered, the operator too.
ip -n bob addr add $LAN4.12/32 dev eth0
code3=$(field code "$(op voucher-issue 200)")
out=$(on bob muisp-client -s $ROUTER_LAN4 -b $LAN4.12 --ca $S/ca.crt \
	--name router.muisp.test -S $S/carol -m voucher -P "$code3" --start \
	buy bytes 30000 60000) || fail "walk-in while the provider hangs: $out"
expect "walk-in bound while the provider hangs" "active $LAN4.12 bound" \
	"$(field state "$(tail -n1 <<<"$out")") $(field addr "$(tail -n1 <<<"$out")") $(on router muispctl --json addr show $LAN4.12 | jq -r .state)"
on alice ping -c 1 -W 2 -s 1000 $INET4 >/dev/null || fail "alice's ping while the provider hangs"
expect "alice metered while the provider hangs" 6168 "$(used)"
expect "alice answered while the provider hangs" active "$(field state "$(cl status)")"
expect "operator answered while the provider hangs" 140 "$(field balance "$(op voucher-show "$code3")")"
check "mallory's purchase still waiting for the provider" eval 'kill -0 $hpid && waiting 1'
# The deadline: mallory told, her reference voided; once the provider lets
# her request go, it holds nothing of her account.
! wait $hpid || fail "mallory's purchase succeeded with a hanging provider"
expect "hanging provider: mallory told" "payment provider unreachable" \
	"$(sed -n 's/.*payment declined: //p' $S/hang.out)"
sh=$(field serial "$(grep '^quote' $S/hang.out)")
check "the deadline logged" grep -q "no answer to authorize muisp-$sh" $S/muispd.log
voided() { [ "$(ledger --arg r "muisp-$sh" 'any(.voided[]; . == $r)')" = true ]; }
wait_until -t 10 -m "muisp-$sh was not voided" voided
provider /release
wait_until -t 10 -m "the provider still holds mallory's request" waiting 0
expect "hanging provider: nothing held, nothing taken" "|100" \
	"$(ledger --arg r "muisp-$sh" '([.holds[] | select(.reference == $r) | "\(.amount) \(.voided)"] | join(" ")) + "|\(.accounts["tok-hang"])"')"
