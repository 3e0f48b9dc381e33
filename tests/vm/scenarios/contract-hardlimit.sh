#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# Hard limit with the real module (seed §8): the module refuses the packet
# that would cross the hard limit and extinguishes the contract; muispd
# takes the module's event as final (the usage it reports stays below the
# limit), warns the user, keeps the whole deposit and releases the address.
# (No IKE here: the tunnel scenarios cover it.)
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
topo_up
on router muispctl config set lan lan0 require-tunnel off
muispd_setup <<<"$FLOW_CONF"

code=$(field code "$(op voucher-issue 50)")
# soft = hard = 6000 bytes at 1000 per 1e6: deposit 6.
out=$(cl -m voucher -P "$code" --start buy bytes 6000 6000)
serial=$(field serial "$(head -n1 <<<"$out")")
expect "started" active "$(field state "$(tail -n1 <<<"$out")")"
cl watch 120 >$S/watch.out 2>&1 &
wait_until -t 20 grep -q watching $S/watch.out
# 1028-byte packets, 2056 per echo: two echoes use 4112 bytes, the third
# request brings it to 5140, its reply would make 6168 > 6000: refused.
on alice ping -c 4 -i 0.3 -W 1 -s 1000 $INET4 >/dev/null 2>&1 || true
wait_until -t 60 grep -q "warning: hard-limit serial=$serial" $S/watch.out
! on alice ping -c 1 -W 1 $INET4 >/dev/null || fail "ping after the hard limit"
out=$(op contract-show $serial)
expect "extinguished, deposit retained, usage as the module counted it" "extinguished 6 0 5140" \
	"$(field state "$out") $(field charge "$out") $(field refund "$out") $(field usage "$out")"
expect "voucher" 44 "$(field balance "$(op voucher-show "$code")")"
expect "address released" unallocated "$(on router muispctl --json addr show $ALICE4 | jq -r .state)"
kill $MUISPD
wait $MUISPD 2>/dev/null || true
log "hard limit ok"
