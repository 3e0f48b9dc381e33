#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 420
#
# 200 clients buying contracts concurrently (issue 5): no contract lost or
# duplicated, totals reconcile.  muispd runs in the router netns with the
# module (gate on lan0; no IKE here, so require-tunnel is off).  Alice's
# eth0 holds 200 client addresses, 100.64.0.1-200 (a second prefix, routed
# on the router's lan0).  estab-load (tests/contract/estab_load.c) starts
# all 200 purchases at once from one process, each client on its own
# source address: TLS 1.3 -> offer -> request -> voucher deposit ->
# receipt.  Client k (address 100.64.0.k) buys bytes, soft k * 500,000,
# hard k * 1,000,000 at 10 per 1,000,000: deposit 10 k.  20 vouchers, each
# shared by 10 clients (client k pays with voucher (k - 1) % 20) and issued
# with exactly the sum of their deposits, so every one must end at 0.
# Then, exactly:
#   - 200 receipts of 144 bytes, 200 distinct serials, 200 addresses;
#   - a second purchase from each of the 200 addresses, all at once, is
#     refused (ERROR(STATE): bound to its own contract), none dropped;
#   - muispd's database holds those 200 contracts (serial, address,
#     deposit, limits, state suspended, the very receipt bytes) and
#     nothing else; its serial counter reserved 200; the operator socket
#     lists the same 200;
#   - the kernel has 200 contracts (suspended, the client's limits, one
#     address each) and 200 bound addresses, each bound to its serial;
#   - payment: every voucher's issued amount minus its balance equals the
#     deposits of the contracts paid with it; all balances are 0; the
#     deposits add up to 10 * (1 + ... + 200) = 201,000.
. "$MUISP_TOP/tests/vm/lib.sh"
topo_up
on router muispctl config set lan lan0 require-tunnel off

N=200 NV=20 PREFIX=100.64.0
S=$SCRATCH

. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
alice_addrs $PREFIX $N
muispd_setup <<EOF
currency EUR
load-surcharge 0
price bytes voucher ah 10 1000000
EOF
# same WHAT EXPECTED-FILE ACTUAL-FILE: identical lists (logged in one line).
same() {
	diff "$2" "$3" >"$3.diff" ||
		fail "$1: differs (< expected, > got): $(head -n 6 "$3.diff")"
	log "ok: $1 ($(wc -l <"$2") lines identical)"
}

# Voucher v pays for clients k = v + 1, v + 21, ..., v + 181:
# 10 * sum(k) = 100 v + 9,100.
: >$S/codes
: >$S/issued
for ((v = 0; v < NV; v++)); do
	amount=$((100 * v + 9100))
	code=$(field code "$(op voucher-issue $amount)")
	echo "$code" >>$S/codes
	echo "$code $amount" >>$S/issued
done
expect "distinct vouchers issued" $NV "$(sort -u $S/codes | wc -l)"

log "starting $N purchases at once"
mkdir $S/receipts
rc=0
on alice estab-load -s $ROUTER_LAN4 -p 4433 -A $S/ca.crt \
	-n router.muisp.test -b $PREFIX.1 -c $N -V $S/codes -H 1000000 \
	-R $S/receipts -t 300 contract >$S/load.out 2>$S/load.err || rc=$?
grep -E '^(fail|summary)' $S/load.out || true
cat $S/load.err
expect "estab-load exit status" 0 "$rc"
expect "every purchase got its receipt" "clients=$N ok=$N failed=0" \
	"$(grep -o 'clients=[0-9]* ok=[0-9]* failed=[0-9]*' $S/load.out)"
kill -0 $MUISPD || fail "muispd died"

# The clients' view: "serial addr deposit receipt-hex", by serial.
awk '$1 == "client" {
	for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	print f["serial"], f["addr"], f["deposit"], f["receipt"]
}' $S/load.out | sort -n >$S/client.txt
expect "receipts received" $N "$(wc -l <$S/client.txt)"
expect "distinct serials" $N "$(cut -d' ' -f1 $S/client.txt | sort -u | wc -l)"
expect "distinct addresses" $N "$(cut -d' ' -f2 $S/client.txt | sort -u | wc -l)"
# Client k's deposit is 10 k (its hard limit is k MB).
expect "deposit 10 k for client k" $N "$(awk -v p=$PREFIX. 'index($2, p) == 1 &&
	$3 == 10 * substr($2, length(p) + 1) { n++ } END { print n + 0 }' $S/client.txt)"

# A second purchase from each of the 200 bound addresses, again all at
# once: every one refused with ERROR(STATE) naming the address's own
# contract, none dropped (muispd once closed healthy channels after other
# clients' abrupt closes: OpenSSL's shared error queue), nothing paid or
# reserved (the checks below see the same 200 contracts and vouchers).
rc=0
on alice estab-load -s $ROUTER_LAN4 -p 4433 -A $S/ca.crt \
	-n router.muisp.test -b $PREFIX.1 -c $N -V $S/codes -H 1000000 \
	-t 300 contract >$S/again.out 2>&1 || rc=$?
expect "second purchases from bound addresses all refused" "1 clients=$N ok=0 failed=$N" \
	"$rc $(grep -o 'clients=[0-9]* ok=[0-9]* failed=[0-9]*' $S/again.out)"
sed -n "s/^fail addr=\([^ ]*\) stage=quote error=not allowed in the contract's state: address already bound to contract \([0-9]*\)\$/\1 \2/p" \
	$S/again.out | sort >$S/again.txt
awk '{ print $2, $1 }' $S/client.txt | sort >$S/expect-again.txt
same "each refused as bound to its own contract" $S/expect-again.txt $S/again.txt

# The receipt files: 200 of 144 bytes, named by the serials, holding the
# bytes the clients got (od prints one 144-byte file a line).
cd $S/receipts
expect "receipt files of 144 bytes" $N "$(find . -type f -size 144c | wc -l)"
ls | sort -n >$S/rfiles
cut -d' ' -f1 $S/client.txt >$S/serials
same "receipt files named by serial" $S/serials $S/rfiles
cut -d' ' -f4 $S/client.txt >$S/rhex
od -An -v -tx1 -w144 $(cat $S/rfiles) | tr -d ' ' >$S/rfiles.hex
same "receipt file contents" $S/rhex $S/rfiles.hex
cd $S

# muispd's store: exactly these contracts, bound and suspended (state 1),
# voucher-paid (method 1), with the very receipts the clients hold.
awk -v p=$PREFIX. '{ k = substr($2, length(p) + 1)
	print $1, $2, $3, 1, k * 500000, k * 1000000, 1, $4 }' $S/client.txt >$S/expect-db.txt
sqlite3 -separator ' ' $S/muispd.db "SELECT serial, addr, deposit, state,
	soft, hard, method, lower(hex(receipt)) FROM contracts ORDER BY serial" >$S/db.txt
same "store: exactly the $N contracts and their receipts" $S/expect-db.txt $S/db.txt
expect "contract serials reserved" \
	$N "$(sqlite3 $S/muispd.db "SELECT v FROM meta WHERE k = 'contract'")"
# The operator's view over the socket.
op contract-list >$S/list.txt
awk '{ print $1, $2, "suspended" }' $S/client.txt >$S/expect-list.txt
awk '{ delete f
	for (i = 1; i <= NF; i++) if (split($i, kv, "=") == 2) f[kv[1]] = kv[2]
	print f["serial"], f["addr"], f["state"] }' $S/list.txt | sort -n >$S/oplist.txt
same "operator contract-list" $S/expect-list.txt $S/oplist.txt

# The kernel: 200 contracts and 200 addresses, each bound to its serial.
on router muispctl --json addr list >$S/kaddr.json
on router muispctl --json contract list >$S/kcontract.json
awk '{ print $2, "bound", $1 }' $S/client.txt | sort >$S/expect-kaddr.txt
jq -r '.[] | "\(.addr) \(.state) \(.contract)"' $S/kaddr.json | sort >$S/kaddr.txt
same "kernel addresses: $N, each bound to its serial" $S/expect-kaddr.txt $S/kaddr.txt
awk '{ print $1, "suspended", $5, $6, 1 }' $S/expect-db.txt >$S/expect-kc.txt
jq -r '.[] | "\(.id) \(.status) \(.soft_limit) \(.hard_limit) \(.naddrs)"' \
	$S/kcontract.json | sort -n >$S/kc.txt
same "kernel contracts: $N, suspended, the clients' limits, one address each" \
	$S/expect-kc.txt $S/kc.txt

# Payment totals.  Per voucher: issued - balance = deposits paid with it.
sqlite3 -separator ' ' $S/muispd.db "SELECT v.code, v.balance,
	(SELECT sum(deposit) FROM contracts c WHERE c.payref = v.code)
	FROM vouchers v ORDER BY v.code" >$S/vouchers.txt
sort $S/issued | awk '{ print $1, 0, $2 }' >$S/expect-vouchers.txt
same "vouchers: each debited exactly its clients' deposits, balance 0" \
	$S/expect-vouchers.txt $S/vouchers.txt
total=$(awk '{ s += $3 } END { print s }' $S/client.txt)
expect "deposits on the receipts" 201000 "$total"
expect "deposits in the store" \
	201000 "$(sqlite3 $S/muispd.db "SELECT sum(deposit) FROM contracts")"
expect "vouchers issued" 201000 "$(awk '{ s += $2 } END { print s }' $S/issued)"
# And as the payment method reports it over the operator socket.
bal=0
while read -r code; do
	bal=$((bal + $(field balance "$(op voucher-show "$code")")))
done <$S/codes
expect "voucher balances (operator socket)" 0 "$bal"
expect "establishments logged" \
	$N "$(grep -c ': established (bytes voucher' $S/muispd.log)"

kill $MUISPD
wait $MUISPD 2>/dev/null || true
log "contract-200 ok"
