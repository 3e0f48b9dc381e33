#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 180
#
# The client's suspend and resume through muispd with the real module
# (issue 11 item 5), a usage-time contract (1 per second of use):
#   1. Active: alice's pings pass, the module counts usage time.
#   2. suspend: suspended in muispd and the module; her pings are refused
#      and counted as such, the usage time stands still.
#   3. resume: active again, pings pass, the time counts again but not
#      the suspended span.
#   4. terminate: the statement charges the usage time the module
#      counted, the rest of the deposit goes back to the voucher.
# (No IKE here: the tunnel scenarios cover it.)
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
life_setup <<<"price time voucher ah 60 60"

# soft 300 s, hard 600 s at 1 per second: deposit 600
out=$(cl -m voucher -P "$code" --start buy time 300 600)
serial=$(field serial "$(head -n1 <<<"$out")")
expect "deposit" 600 "$(field deposit "$(head -n1 <<<"$out")")"
expect "started" "active active" \
	"$(field state "$(tail -n1 <<<"$out")") $(kc $serial .status)"

# --- 1. active: time counted ---------------------------------------------
on alice ping -c 6 -i 0.5 -W 2 $INET4 >/dev/null || fail "active: pings"
u1=$(kc $serial .usage_ms)
[ "$u1" -ge 2000 ] || fail "usage time after 6 pings 0.5 s apart: $u1 ms"
log "usage time active: $u1 ms"

# --- 2. suspended: refused, counted, the time stands ------------------------
out=$(cl suspend)
expect "suspended (muispd, module)" "suspended suspended" \
	"$(field state "$out") $(kc $serial .status)"
d0=$(on router muispctl --json stats | jq -r .drop_suspended)
! on alice ping -c 8 -i 0.5 -W 1 $INET4 >/dev/null || fail "ping while suspended"
d1=$(on router muispctl --json stats | jq -r .drop_suspended)
[ "$d1" -ge $((d0 + 8)) ] || fail "refused while suspended: $d0 -> $d1, want +8"
expect "usage time stood still while suspended" "$u1" "$(kc $serial .usage_ms)"
expect "muispd's usage (s) is the module's" $((u1 / 1000)) "$(field usage "$(cl status)")"

# --- 3. resumed: passes, counts again, not the suspended span --------------
out=$(cl resume)
expect "resumed (muispd, module)" "active active" \
	"$(field state "$out") $(kc $serial .status)"
on alice ping -c 4 -i 0.5 -W 2 $INET4 >/dev/null || fail "pings after resume"
u2=$(kc $serial .usage_ms)
# 4 pings 0.5 s apart cost about 1.5 s; the 4 s and more suspended cost 0
[ "$u2" -gt "$u1" ] && [ $((u2 - u1)) -lt 3500 ] ||
	fail "usage time after resume: $u1 -> $u2 ms"
log "usage time after resume: $u2 ms"

# --- 4. the statement -----------------------------------------------------
out=$(cl terminate)
u=$((u2 / 1000))
expect "statement: the time used charged, the rest refunded" \
	"$u 600 $u $((600 - u))" \
	"$(fields "$out" usage deposit charge refund)"
expect "voucher" $((1000 - u)) "$(field balance "$(op voucher-show "$code")")"
stop_muispd
log "suspend and resume ok"
