#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 200
#
# Contract-lifetime expiry through muispd with the real module (issue 11
# item 5): lifetime 60 s (the shortest muispd.conf takes), expiry-warning
# 50 s.
#   1. Alice buys and browses (metered); `muisp-client watch` shows the
#      expiry warning ahead of the expiry (state active) ...
#   2. ... and at the expiry a second one (state extinguished); her traffic
#      stops, the address is released.
#   3. The contract is settled as at a hard limit: the deposit is retained
#      (statement), the usage as the module counted it.
# (No IKE here: the tunnel scenarios cover it.)
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
life_setup <<EOF
lifetime 60
expiry-warning 50
EOF

out=$(cl -m voucher -P "$code" --start buy bytes 100000 200000)
serial=$(field serial "$(head -n1 <<<"$out")")
expiry=$(field expiry "$(tail -n1 <<<"$out")")
expect "started" active "$(field state "$(tail -n1 <<<"$out")")"
watch_start
on alice ping -c 2 -i 0.2 -W 2 $INET4 >/dev/null || fail "paid pings"
expect "metered" 336 "$(kc $serial .used)"

# --- 1. the warning ahead -----------------------------------------------
wait_until -t 30 grep -q "warning: expiry serial=$serial .* state=active expiry=$expiry" $S/watch.out
now=$(date +%s)
[ "$now" -lt "$expiry" ] || fail "expiry warning at $now, not ahead of $expiry"
log "expiry warning $((expiry - now)) s ahead"
expect "warned once, still active" "1 active" \
	"$(grep -c "warning: expiry serial=$serial" $S/watch.out) $(field state "$(cl status)")"
on alice ping -c 1 -W 2 $INET4 >/dev/null || fail "ping after the warning"

# --- 2. at the expiry ---------------------------------------------------
wait_until -t 100 grep -q "warning: expiry serial=$serial .* state=extinguished" $S/watch.out
[ "$(date +%s)" -ge "$expiry" ] || fail "extinguished before its expiry $expiry"
! on alice ping -c 1 -W 1 $INET4 >/dev/null || fail "ping after the expiry"
expect "address released" unallocated "$(on router muispctl --json addr show $ALICE4 | jq -r .state)"

# --- 3. settled: the deposit retained -----------------------------------
out=$(op contract-show $serial)
expect "extinguished, deposit retained, usage as metered" "extinguished 200 0 504" \
	"$(fields "$out" state charge refund usage)"
expect "voucher" 800 "$(field balance "$(op voucher-show "$code")")"
stop_muispd
log "expiry ok"
