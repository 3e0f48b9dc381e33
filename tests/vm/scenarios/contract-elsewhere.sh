#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# Receipt presented from another address (paper §6-§7, Fig 5):
# mallory replays alice's receipt from her own address while alice is live
# (her client answers warnings): mallory gets no service and alice is
# warned.  Then alice's client "crashes" and comes back on a new address:
# it rebinds from its stored receipt, the old address is unbound in the
# module, and traffic flows from the new address only.
. "$MUISP_TOP/tests/vm/lib.sh"
topo_up
on router muispctl config set lan lan0 require-tunnel off

S=$SCRATCH
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout $S/ca.key -out $S/ca.crt -days 2 -subj "/CN=muisp test CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout $S/router.key -out $S/router.csr -subj "/CN=router.muisp.test" 2>/dev/null
printf 'subjectAltName=DNS:router.muisp.test\n' >$S/ext
openssl x509 -req -in $S/router.csr -CA $S/ca.crt -CAkey $S/ca.key \
	-CAcreateserial -out $S/router.crt -days 2 -extfile $S/ext 2>/dev/null
cat >$S/muispd.conf <<EOF
port 4433
socket $S/muispd.sock
database $S/muispd.db
cert $S/router.crt
key $S/router.key
kernel yes
warn-interval 1
warn-tries 3
price elapsed voucher ah 100 3600
EOF
ip netns exec router muispd -d -v -f $S/muispd.conf >$S/muispd.log 2>&1 &
MUISPD=$!
trap 'rc=$?; [ $rc -eq 0 ] || { echo "--- muispd.log" >&2; tail -n 40 $S/muispd.log >&2; }; topo_down' EXIT
wait_until -t 20 test -S $S/muispd.sock

op() { ip netns exec router muisp-client -O $S/muispd.sock op "$@"; }
cl() { local ns=$1 sd=$2; shift 2
	ip netns exec "$ns" muisp-client -s $ROUTER_LAN4 --ca $S/ca.crt \
		--name router.muisp.test -S $S/$sd "$@"; }
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n1; }

code=$(field code "$(op voucher-issue 500)")
out=$(cl alice alice -m voucher -P "$code" --start buy elapsed 1800 3600)
serial=$(field serial "$(head -n1 <<<"$out")")
expect "bound to alice" $ALICE4 "$(field addr "$(tail -n1 <<<"$out")")"
on alice ping -c 1 -W 2 $INET4 >/dev/null || fail "alice paid ping"

# Mallory has a copy of the receipt (as if sniffed or stolen) and a key
# of her own.
mkdir -p $S/mallory/receipts
cp $S/alice/receipts/$serial $S/mallory/receipts/
echo $serial >$S/mallory/current
openssl genpkey -algorithm ed25519 -out $S/mallory/holder.key 2>/dev/null

# Alice is live: her client keeps the channel and answers warnings.
cl alice alice watch 30 >$S/watch.out 2>&1 &
WATCH=$!
wait_until -t 10 grep -q watching $S/watch.out
# Her key does not sign for alice's: the copied receipt binds nowhere,
# and alice is not even asked (muispd checks the signature before it
# warns anyone).
! cl mallory mallory --wait 5 bind >$S/mallory0.err 2>&1 || fail "a copied receipt bound with another key"
grep -q "the signature is not the receipt's holder's" $S/mallory0.err ||
	fail "mallory with her own key: $(cat $S/mallory0.err)"
check "mallory's key refused" grep -q "$MALLORY4: contract $serial: the signature is not the receipt's holder's, refused" $S/muispd.log
expect "alice not warned for a copy without her key" 0 \
	"$(grep -c "presented-elsewhere warning" $S/muispd.log)"
# Then she steals alice's key too (alice's disk copied).
cp $S/alice/holder.key $S/mallory/
! cl mallory mallory --wait 5 bind 2>$S/mallory.err || fail "replay bound"
grep -q "bound to another address" $S/mallory.err || fail "mallory: $(cat $S/mallory.err)"
grep -q "warning: presented-elsewhere serial=$serial" $S/watch.out ||
	fail "alice not warned"
expect "still alice's" $ALICE4 "$(field addr "$(op contract-show $serial)")"
expect "alice still bound" bound "$(on router muispctl --json addr show $ALICE4 | jq -r .state)"
! on mallory ping -c 1 -W 1 $INET4 >/dev/null || fail "mallory got service"
grep -q "$ALICE4 answered, $MALLORY4 refused" $S/muispd.log || fail "no answer log"

# Alice's computer crashes (no channel) and comes back as .12.
kill $WATCH 2>/dev/null || true
wait $WATCH 2>/dev/null || true
on alice ip addr del $ALICE4/24 dev eth0
on alice ip addr add $LAN4.12/24 dev eth0
on alice ip route replace default via $ROUTER_LAN4
out=$(cl alice alice --wait 20 bind)
expect "rebound on the new address" $LAN4.12 "$(field addr "$out")"
grep -q "$ALICE4 did not answer, unbound" $S/muispd.log || fail "old address not unbound"
expect "old address released" unallocated "$(on router muispctl --json addr show $ALICE4 | jq -r .state)"
expect "new address bound" bound "$(on router muispctl --json addr show $LAN4.12 | jq -r .state)"
out=$(cl alice alice resume)
expect "resumed" active "$(field state "$out")"
on alice ping -c 1 -W 2 $INET4 >/dev/null || fail "ping from the new address"

kill $MUISPD
wait $MUISPD 2>/dev/null || true
log "elsewhere ok"
