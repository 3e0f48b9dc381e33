#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# The contract flow against the real module: control channel (TLS 1.3) ->
# offer -> voucher -> receipt -> bound and started in the kernel -> traffic
# metered by the module -> soft-limit warning (traffic stops) -> extend ->
# kill -9 of muispd and restart (contract still bound, usage within one
# checkpoint interval) -> terminate -> exact refund from the module's
# usage; a receipt with one byte changed is rejected; muispctl's contract
# view joins muispd's record with the module's metering.  (The hard-limit cut
# is contract-hardlimit.)  (No IKE here: the tunnel scenarios cover it.)
. "$MUISP_TOP/tests/vm/lib.sh"
topo_up
on router muispctl config set lan lan0 require-tunnel off

. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
# Receipt serials are 64-bit: this flow's contract is number 2^32 + 1, which
# the module must get whole (it used to get the low 32 bits).
sqlite3 $S/muispd.db "CREATE TABLE meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL);
	INSERT INTO meta VALUES ('contract', 4294967296);"
muispd_setup <<<"$FLOW_CONF"

# Unpaid: the WAN is unreachable.
! on alice ping -c 1 -W 1 $INET4 >/dev/null || fail "unpaid ping passed"

code=$(field code "$(op voucher-issue 200)")
# bytes: soft 3000, hard 20000 at 1000 per 1e6 bytes: deposit 20.
out=$(cl -m voucher -P "$code" --start buy bytes 3000 20000)
serial=$(field serial "$(head -n1 <<<"$out")")
expect "a serial beyond 32 bits" 4294967297 "$serial"
expect "deposit" 20 "$(field deposit "$(head -n1 <<<"$out")")"
expect "started" active "$(field state "$(tail -n1 <<<"$out")")"
expect "kernel binding" bound "$(on router muispctl --json addr show $ALICE4 | jq -r .state)"
expect "kernel contract, its id whole" "active $serial" \
	"$(on router muispctl --json contract show $serial kernel | jq -r '"\(.status) \(.id)"')"
expect "alice bound to it" "$serial" "$(on router muispctl --json addr show $ALICE4 | jq -r .contract)"
# muispctl: muispd's record and the module's object, joined on the id.
J() { on router muispctl --daemon $S/muispd.sock --json "$@"; }
expect "muispctl contract show: muispd's record and the module's" "active active $ALICE4 voucher bytes 20 3000 20000 3000 20000 1" \
	"$(J contract show $serial | jq -r '"\(.state) \(.status) \(.addr) \(.method) \(.metric) \(.deposit) \(.soft) \(.hard) \(.soft_limit) \(.hard_limit) \(.naddrs)"')"
# Without --daemon (no muispd at the default path): the module's view, said so.
expect "muispctl contract show without muispd" "active|muispctl: note: muispd not reachable at /run/muisp/muispd.sock (No such file or directory): the module's contracts only" \
	"$(on router muispctl --json contract show $serial 2>$S/note.err | jq -r .status)|$(cat $S/note.err)"

# Keep alice's channel open to receive (and answer) warnings.
cl watch 200 >$S/watch.out 2>&1 &
wait_until -t 10 grep -q watching $S/watch.out

# One ping of 1028-byte packets each way: 2056 bytes, under the soft limit.
on alice ping -c 1 -W 2 -s 1000 $INET4 >/dev/null || fail "paid ping"
# The next request crosses the soft limit (3084 >= 3000).
on alice ping -c 1 -W 1 -s 1000 $INET4 >/dev/null || true
wait_until -t 10 grep -q "warning: soft-limit serial=$serial" $S/watch.out
expect "delinquent after soft limit" delinquent "$(field state "$(cl status)")"
! on alice ping -c 1 -W 1 $INET4 >/dev/null || fail "delinquent ping passed"

! cl extend 20001 2>/dev/null || fail "extend past the hard limit"
out=$(cl extend 20000)
expect "extend" active "$(field state "$out")"
on alice ping -c 1 -W 2 -s 1000 $INET4 >/dev/null || fail "ping after extend"
log "traffic after extend"

# kill -9 and restart: still bound; the module kept counting, so the usage
# is at least what it was (checkpoints bound the loss after a reboot).
log "muispd wchan $(cat /proc/$MUISPD/wchan 2>/dev/null) state $(awk '{print $3}' /proc/$MUISPD/stat 2>/dev/null)"
out=$(cl status 2>&1) || fail "status: $out"
before=$(field usage "$out")
log "usage before kill -9: $before"
kill -9 $MUISPD
wait $MUISPD 2>/dev/null || true
start_muispd
log "muispd restarted"
out=$(cl status)
expect "state after kill -9" active "$(field state "$out")"
after=$(field usage "$out")
[ "$after" -ge "$before" ] || fail "usage went back: $before -> $after"
expect "still bound" bound "$(on router muispctl --json addr show $ALICE4 | jq -r .state)"

log "tampered receipt"
# Tampered receipt (one byte changed) is rejected.
mkdir -p $S/evil/receipts
cp $S/alice/receipts/$serial $S/evil/receipts/
echo $serial >$S/evil/current
printf '\x55' | dd of=$S/evil/receipts/$serial bs=1 seek=60 conv=notrunc 2>/dev/null
! on bob muisp-client -s $ROUTER_LAN4 --ca $S/ca.crt --name router.muisp.test \
	-S $S/evil bind 2>$S/evil.err || fail "tampered receipt accepted"
grep -q "receipt MAC mismatch" $S/evil.err || fail "tamper: $(cat $S/evil.err)"

log "terminate"
# Terminate early: usage mirrored from the module, exact refund.
used=$(on router muispctl --json contract show $serial | jq -r .used)
expect "daemon mirrors the module's usage" "$used" "$(field usage "$(cl status)")"
expect "muispctl contract show: muispd's usage and the module's" \
	"active $used $used" "$(J contract show $serial | jq -r '"\(.state) \(.usage) \(.used)"')"
out=$(cl terminate)
charge=$(( (used * 1000 + 999999) / 1000000 ))
expect "charge = ceil(usage * price / unit)" $charge "$(field charge "$out")"
expect "refund" $((20 - charge)) "$(field refund "$out")"
expect "voucher after refund" $((200 - charge)) "$(field balance "$(op voucher-show "$code")")"
# Extinguished: muispd keeps the record, the module's contract is gone.
expect "muispctl contract list after terminate" "extinguished null $charge $((20 - charge)) null" \
	"$(J contract list | jq -r --argjson id $serial '.[] | select(.id == $id) | "\(.state) \(.status) \(.charge) \(.refund) \(.up_bytes)"')"
! on alice ping -c 1 -W 1 $INET4 >/dev/null || fail "ping after terminate"
kill $MUISPD
wait $MUISPD 2>/dev/null || true
log "contract flow ok"
