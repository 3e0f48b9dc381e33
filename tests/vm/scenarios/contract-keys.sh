#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 150
#
# Receipt-key rotation through muispd and the module (issue 11 item 5).
# Alice buys contract A: its receipt carries key 1.  The operator rotates
# (muispctl key rotate): key 2 signs, key 1 is retiring.  A's receipt
# still binds (the operator unbinds A, muisp-client bind with the stored
# receipt).  A ends: key 1 has no outstanding contract and
# key-retire-after (2 s) has passed, so it retires, and A's receipt is
# refused with "receipt key 1 is retired".  A new purchase carries the
# current key.  muispd restarts: the keys and their states are the
# store's, and the schedule (key-rotate-interval 20) is counted from the
# current key's creation: the next key comes 20 s after it, and the
# receipt it retires still binds.  (No IKE: require-tunnel off, as the
# other contract-* scenarios.)
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
topo_up
on router muispctl config set lan lan0 require-tunnel off
muispd_setup <<EOF
price bytes voucher ah 1000 1000000
key-rotate-interval 20
key-retire-after 2
EOF
kctl() { on router muispctl --daemon $S/muispd.sock "$@"; }
# "ID:STATE ..." of muispctl key list, by id.
keys() { kctl --json key list | jq -r '[.[] | "\(.id):\(.state)"] | join(" ")'; }
keys_are() { [ "$(keys)" = "$1" ]; }
key_json() { kctl --json key list | jq -r ".[] | select(.id == $1) | .$2"; }
# The key id of a receipt file (bytes 4..7, big-endian).
rkey() { od -An -tu1 -j4 -N4 "$1" | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }'; }
buy() {
	local out
	out=$(cl -m voucher -P "$code" buy bytes 1000000 1000000) || fail "buy: $out"
	field serial "$(tail -n1 <<<"$out")"
}

expect "a fresh router: key 1 current" "1:current" "$(keys)"
code=$(field code "$(op voucher-issue 10000)")
A=$(buy)
cp $S/alice/receipts/$A $S/A.receipt
expect "A's receipt signed by key 1" 1 "$(rkey $S/A.receipt)"

kctl key rotate >$S/rotate.out || fail "key rotate: $(cat $S/rotate.out)"
expect "after key rotate" "1:retiring 2:current" "$(keys)"
expect "key 1 retires no sooner than A expires" 1 \
	"$(( $(key_json 1 retires_s) >= $(field expiry "$(op contract-show $A)") ))"

# A's receipt, signed by the retiring key, still binds.
op unbind $A >/dev/null
out=$(cl bind 2>&1) || fail "bind with key 1's receipt: $out"
expect "A rebound by its key-1 receipt" "suspended $ALICE4" \
	"$(field state "$out") $(field addr "$out")"

# A ends: nothing signed by key 1 is outstanding; it retires.
cl terminate >/dev/null
wait_until -t 20 keys_are "1:retired 2:current"
cp $S/A.receipt $S/alice/receipts/$A
out=$(cl -c $A bind 2>&1) && fail "a retired key's receipt bound: $out"
expect "refused: the key is retired" 1 \
	"$(grep -c 'receipt key 1 is retired' <<<"$out")"

# A new purchase carries the current key.
B=$(buy)
cur=$(kctl --json key list | jq -r '.[] | select(.state == "current") | .id')
expect "B's receipt signed by the current key" "$cur" "$(rkey $S/alice/receipts/$B)"
[ "$cur" -ge 2 ] || fail "current key $cur"

# Restart: the same keys, the same states; the schedule from the store.
before=$(keys)
kill $MUISPD
wait $MUISPD 2>/dev/null || true
start_muispd
expect "keys after a restart" "$before" "$(keys)"
made=$(key_json $cur created_s)
next=$((cur + 1))
wait_until -t 40 keys_are "$cur:retiring $next:current"
expect "the scheduled rotation came 20 s after the key's creation" 1 \
	"$(( $(key_json $next created_s) >= made + 20 ))"
# B's receipt, now under a retiring key, still binds.
op unbind $B >/dev/null
out=$(cl -c $B bind 2>&1) || fail "bind with key $cur's receipt: $out"
expect "B rebound by its key-$cur receipt" suspended "$(field state "$out")"
kill $MUISPD
wait $MUISPD 2>/dev/null || true
log "contract-keys ok"
