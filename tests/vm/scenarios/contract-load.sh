#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 120
#
# Load pricing through muispd and the module (issue 11 item 5): load is
# the contracts bound to an address (suspended or active) over
# load-capacity; at 80 % or more the offer's prices rise by
# load-surcharge, and fall back when load drops.  Seen as a client sees
# it: muisp-client's offer (load= and the item's price) and its quote's
# deposit over the TLS control channel.  Capacity 5, surcharge 50 %:
# four bound contracts (estab-load, four source addresses) make 80 %.
# (No IKE here: require-tunnel off, as the other contract-* scenarios.)
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
topo_up
on router muispctl config set lan lan0 require-tunnel off
PREFIX=100.64.0
alice_addrs $PREFIX 4
muispd_setup <<EOF
load-capacity 5
load-surcharge 50
price bytes voucher ah 1000 1000000
EOF
# offer: "LOAD PRICE" of the bytes item as alice is offered it now.
offer() {
	local out
	out=$(cl offer) || fail "offer: $out"
	echo "$(field load "$out") $(awk '$1 == "bytes" { print $4 }' <<<"$out")"
}
kload() { on router muispctl --json contract list | jq '[.[] | select(.naddrs > 0)] | length'; }

expect "idle router: load 0 %, list price" "0 1000" "$(offer)"

code=$(field code "$(op voucher-issue 100000)")
echo "$code" >$S/codes
on alice estab-load -s $ROUTER_LAN4 -p 4433 -A $S/ca.crt -n router.muisp.test \
	-b $PREFIX.1 -c 4 -V $S/codes -H 1000000 -t 60 contract >$S/load.out 2>&1 ||
	fail "estab-load: $(tail -n 5 $S/load.out)"
expect "module: 4 contracts bound" 4 "$(kload)"
expect "4 of 5 bound: load 80 %, price + 50 %" "80 1500" "$(offer)"

# The quote prices the offer alice was given: 1,000,000 bytes at 1500.
out=$(cl -m voucher -P "$code" buy bytes 1000000 1000000)
expect "quote at the surcharged price" 1500 "$(field deposit "$(head -n1 <<<"$out")")"
expect "alice bound too: load 100 %" "100 1500" "$(offer)"

# Two contracts end: 3 of 5, 60 %, the list price again.
for s in $(awk '$1 == "client" { for (i = 2; i <= NF; i++)
	if ($i ~ /^serial=/) print substr($i, 8) }' $S/load.out | head -n 2); do
	op contract-terminate "$s" >/dev/null
done
expect "module: 3 contracts bound" 3 "$(kload)"
expect "3 of 5 bound: load 60 %, list price" "60 1000" "$(offer)"
kill $MUISPD
wait $MUISPD 2>/dev/null || true
log "contract-load ok"
