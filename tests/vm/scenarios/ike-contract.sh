#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# Payment bound to the client's IPsec SA, end to end: real charon in the
# router and alice namespaces, muispd following the router's charon over
# VICI (its `vici` setting), require-tunnel on (the default).
#   1. Without a tunnel alice cannot buy: MP_ERR_PERM, nothing paid.
#   2. Alice's AH SA comes up while muispd is down; muispd starts, lists
#      the SAs and records it in alice's address entry (proto, SPI, reqid
#      as `ip xfrm state` has them).
#   3. Alice buys a contract through the tunnel: bound, her pings to the
#      internet host metered exactly.
#   4. The router rekeys: the entry's SPI moves to the new SA with the old
#      one as previous; when charon has destroyed the old SA the previous
#      slot is cleared; traffic keeps flowing and is metered.
#   5. Alice terminates her IKE_SA: identity cleared, address unallocated,
#      contract outstanding-unbound (not lost), her traffic dropped.
#   6. charon restarts: muispd survives and reconnects.
#   7. Alice brings a new tunnel up (recorded from the live event) and
#      rebinds from her receipt: metered again.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
ike_scenario

S=$SCRATCH
R() { on router muispctl "$@"; }
R config set lan lan0
expect "require-tunnel on by default" true "$(R --json config show | jq .require_tunnel)"

. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
muispd_conf <<EOF
vici $(ike_vici router)
checkpoint-interval 1
price bytes voucher ah 1000 1000000
EOF

ML=$S/muispd.log
# alice's entry in the module: state contract proto spi spi_prev reqid
ent() {
	R --json addr show $ALICE4 | jq -r '"\(.state) \(.contract // 0) \(.xfrm_proto // "-") \(.xfrm_spi // "-") \(.xfrm_spi_prev // "-") \(.xfrm_reqid // "-")"'
}
# the router's inbound SAs from alice, one "proto spi reqid" per line
xin() {
	on router ip xfrm state list src $ALICE4 dst $ROUTER_LAN4 |
		sed -n 's/^[[:space:]]*proto \([a-z]*\) spi \(0x[0-9a-f]*\) reqid \([0-9]*\) mode tunnel.*/\1 \2 \3/p'
}
# the contract in the module: packets up, down, bytes used (84 per ping)
usage() { R --json contract show $serial | jq -r '"\(.up_packets) \(.down_packets) \(.used)"'; }
connected() { [ "$(grep -c 'vici: connected to charon' $ML)" -ge "$1" ]; }
ent_is() { [ "$(ent)" = "$1" ]; }
# the entry names a new SA with OLD as previous (kept in REK)
rekeyed() { REK=$(ent); local e=($REK); [ "${e[3]}" != "$1" ] && [ "${e[4]}" = "$1" ]; }
xin_count() { [ "$(xin | wc -l)" = "$1" ]; }
exited() { [ ! -e /proc/$1 ] || [ "$(awk '{print $3}' /proc/$1/stat)" = Z ]; }

# --- 1. no tunnel: no purchase ---------------------------------------------
start_muispd
wait_until -t 30 connected 1
grep -q "vici: connected to charon at $(ike_vici router): 0 CHILD_SAs up" $ML ||
	fail "muispd: $(grep vici $ML)"
code=$(field code "$(op voucher-issue 200)")
rc=0
cl -m voucher -P "$code" --start buy bytes 100000 200000 >$S/buy0.out 2>$S/buy0.err || rc=$?
expect "purchase without a tunnel refused" "1 muisp-client: not permitted on this channel: $ALICE4 has no IPsec tunnel: bring the tunnel up, then buy" \
	"$rc $(<$S/buy0.err)"
expect "voucher untouched" 200 "$(field balance "$(op voucher-show "$code")")"
stop_muispd

# --- 2. SA up while muispd is down; recorded at its start -------------------
ike_initiate
wait_until -t 30 xin_count 1
read -r proto spi reqid <<<"$(xin)"
log "router's inbound SA from alice: $proto $spi reqid $reqid"
expect "alice's tunnel is AH" ah "$proto"
start_muispd
wait_until -t 30 connected 2
grep -q "vici: connected to charon at $(ike_vici router): 1 CHILD_SAs up" $ML ||
	fail "muispd: $(grep vici $ML)"
expect "SA recorded at start-up (sync)" "allocated 0 ah $spi - $reqid" "$(ent)"

# --- 3. buy through the tunnel: bound, metered ------------------------------
out=$(cl -m voucher -P "$code" --start buy bytes 100000 200000)
serial=$(field serial "$(head -n1 <<<"$out")")
expect "bought and started through the tunnel" active "$(field state "$(tail -n1 <<<"$out")")"
expect "bound, SA kept across the bind" "bound $serial ah $spi - $reqid" "$(ent)"
on alice ping -c 3 -i 0.2 -W 5 $INET4 >/dev/null || fail "alice's paid pings"
expect "alice's pings metered (packets up, down; bytes)" "3 3 504" "$(usage)"

# --- 4. rekey: SPI moves, old one previous until charon drops it ------------
ike_swanctl router --rekey --child muisp >$S/rekey.log 2>&1 ||
	fail "rekey: $(tail -5 $S/rekey.log)"
wait_until -t 60 rekeyed "$spi"
e=($REK)
new=${e[3]}
log "rekeyed: $spi -> $new"
expect "new SPI current, old SPI previous" "bound $serial ah $new $spi $reqid" "$REK"
xin | grep -qx "ah $new $reqid" || fail "router has no inbound SA $new reqid $reqid: $(xin)"
grep -q "$ALICE4: tunnel ah spi $spi reqid $reqid -> ah spi $new spi-prev $spi reqid $reqid (bound)" $ML ||
	fail "muispd did not log the rekey: $(grep "$ALICE4: tunnel" $ML)"
on alice ping -c 3 -i 0.2 -W 5 $INET4 >/dev/null || fail "pings across the rekey"
wait_until -t 60 ent_is "bound $serial ah $new - $reqid"
log "ok: previous SPI cleared"
expect "old SA gone from the kernel" "" "$(xin | grep " $spi " || true)"
expect "the router's only inbound SA from alice" "ah $new $reqid" "$(xin)"
on alice ping -c 3 -i 0.2 -W 5 $INET4 >/dev/null || fail "pings after the rekey"
expect "all pings metered across the rekey" "9 9 1512" "$(usage)"

# --- 5. alice's SA goes down: identity cleared, contract unbound, kept -----
ike_swanctl alice --terminate --ike muisp --timeout 60 >$S/term.log 2>&1 ||
	fail "terminate: $(tail -5 $S/term.log)"
wait_until -t 60 ent_is "unallocated 0 - - - -"
log "ok: identity cleared, address unallocated"
grep -q "contract $serial: unbound from $ALICE4: its IPsec SA is gone" $ML ||
	fail "muispd did not unbind: $(tail -5 $ML)"
out=$(op contract-show $serial)
expect "contract outstanding-unbound (operator)" "unbound " "$(field state "$out") $(field addr "$out")"
expect "contract kept in the module" suspended "$(R --json contract show $serial | jq -r .status)"
rc=0
cl status >$S/status.out 2>$S/status.err || rc=$?
expect "status from alice: not bound" "1 muisp-client: unknown contract, offer or voucher: no contract $serial bound to $ALICE4" \
	"$rc $(<$S/status.err)"
nb=$(R --json stats | jq -r .drop_not_bound)
! on alice ping -c 2 -i 0.2 -W 1 $INET4 >/dev/null || fail "ping passed without tunnel and binding"
expect "alice's 2 pings dropped as not bound, nothing metered" \
	"$((nb + 2)) 9 9 1512" "$(R --json stats | jq -r .drop_not_bound) $(usage)"

# --- 6. charon restarts: muispd survives and reconnects --------------------
# (the pid ike_charon keeps is of the netns wrapper; charon's own pid
# file is in the private /run)
charon=$(cat $IKE_DIR/router/run/charon.pid)
kill $charon
wait_until -t 30 exited $charon
wait_until -t 30 grep -q "vici: connection to charon lost" $ML
kill -0 $MUISPD || fail "muispd died with charon"
ike_charon router router
muisp-ike load-cert --uri "$(ike_vici router)" $IKE_DIR/alice/swanctl/x509/alice.pem >/dev/null
wait_until -t 30 connected 3
kill -0 $MUISPD || fail "muispd died"
log "ok: muispd reconnected to the restarted charon"

# --- 7. a new tunnel (live event) and a rebind from the receipt ------------
ike_initiate init2
wait_until -t 30 xin_count 1
read -r proto spi reqid <<<"$(xin)"
wait_until -t 30 ent_is "unallocated 0 ah $spi - $reqid"
log "ok: new SA $spi recorded from the child-updown event"
out=$(cl --start bind)
expect "rebound from the receipt" \
	"active $ALICE4" "$(field state "$(tail -n1 <<<"$out")") $(field addr "$(tail -n1 <<<"$out")")"
expect "bound again through the new SA" "bound $serial ah $spi - $reqid" "$(ent)"
on alice ping -c 3 -i 0.2 -W 5 $INET4 >/dev/null || fail "pings after the rebind"
expect "metered again after the rebind, nothing counted twice" "12 12 2016" "$(usage)"
expect "muispd mirrors the module's usage" 2016 "$(field usage "$(cl status)")"
stop_muispd
log "ike-contract ok"
