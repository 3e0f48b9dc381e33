#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 480
#
# Privacy and SA expiry with muispd following charon (vici), require-tunnel
# on (the default):
#   1. Without a tunnel a plain-TCP control channel is refused: the
#      daemon's check says the tunnel does not encrypt (seed §5).
#   2. Alice's ESP tunnel (privacy option, AES-GCM; 30 s lifetime, no
#      rekey) comes up; muispd records proto esp and the SA's SPI in her
#      entry.
#   3. Over that tunnel alice buys with a plain-TCP control channel, which
#      is accepted because the tunnel encrypts; bound, metered.
#   4. The SA's lifetime ends: the identity is cleared, the address is
#      unbound (unallocated), the contract survives, unbound.  (Alice's
#      charon then sets up a new SA, which muispd records again, but the
#      address stays unbound until alice rebinds.)
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
ike_scenario --router "--life 30 --no-rekey" --privacy --life 30 --no-rekey
on router muispctl config set lan lan0
muispd_conf <<CONF
$FLOW_CONF
vici $(ike_vici router)
price bytes voucher esp 1000 1000000
CONF
start_muispd
R() { on router muispctl "$@"; }
ent() {
	R --json addr show $ALICE4 2>/dev/null |
		jq -r '"\(.state) \(.contract // 0) \(.xfrm_proto // "-") \(.xfrm_spi // "-")"'
}
ent_is() { [ "$(ent)" = "$1" ]; }
# state and contract only: alice's charon sets up a new SA after expiry
state_is() { local e; e=$(ent); [ "${e% * *}" = "$1" ]; }

# 1. plain TCP without an encrypting tunnel
code=$(field code "$(op voucher-issue 100)")
rc=0
cl --plain --esp -m voucher -P "$code" buy bytes 50000 100000 >$S/plain0.out 2>&1 || rc=$?
expect "plain control channel refused without ESP" \
	"1 1" "$rc $(grep -c 'use TLS: the tunnel does not encrypt' $S/plain0.out)"
expect "nothing paid" 100 "$(field balance "$(op voucher-show "$code")")"

# 2. the ESP tunnel comes up; muispd records it
ike_initiate
spi=$(on router ip xfrm state list src $ALICE4 dst $ROUTER_LAN4 proto esp |
	sed -n 's/^[[:space:]]*proto esp spi \(0x[0-9a-f]*\) .*/\1/p' | head -1)
[ -n "$spi" ] || fail "no inbound ESP SA"
wait_until -t 30 ent_is "allocated 0 esp $spi"
log "entry: $(ent)"

# 3. plain TCP through the ESP tunnel: accepted
out=$(cl --plain --esp -m voucher -P "$code" --start buy bytes 50000 100000) ||
	fail "plain buy over ESP: $out"
serial=$(field serial "$(head -n1 <<<"$out")")
expect "bound through the ESP SA" "bound $serial esp $spi" "$(ent)"
on alice ping -c 3 -i 0.2 -W 5 $INET4 >/dev/null || fail "alice's pings through ESP"
expect "metered" \
	"3 3" "$(R --json contract show $serial | jq -r '"\(.up_packets) \(.down_packets)"')"

# 4. the SA expires (30 s, no rekey): unbound, contract kept
wait_until -t 150 state_is "unallocated 0"
expect "contract outstanding, unbound" unbound "$(field state "$(op contract-show $serial)")"
! on alice ping -c 1 -W 2 $INET4 >/dev/null 2>&1 || fail "forwarded after the SA expired"
log "ESP and expiry ok"
