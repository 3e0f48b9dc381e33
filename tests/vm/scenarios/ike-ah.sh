#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 480
#
# Real strongSwan in the router and alice namespaces.  Alice (self-signed
# certificate, registered with the router over VICI) brings up an AH tunnel
# to the router (certificate from the test CA): the kernel holds AH SAs in
# tunnel mode with hmac(sha256) truncated to 128 bits and anti-replay on;
# alice reaches the internet host through the tunnel (the router's inbound
# SA counts her packets); ike_watch reports "up" for alice's address with
# the reqid and SPI the kernel has for that SA.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
ike_scenario --watch
W=$IKE_WATCH

log "initiate"
ike_initiate
log "initiated"
ike_wait_up
log "watch: $IKE_UP"
reqid=$IKE_REQID spi=$IKE_SPI
case "$IKE_UP" in
*" proto AH mode tunnel "*" integ HMAC_SHA2_256_128/"*) ;;
*) fail "not an AH tunnel with HMAC-SHA-256-128: $IKE_UP" ;;
esac

# the kernel's view on the router: the inbound SA the watcher named
st=$(on router ip xfrm state list spi "$spi" proto ah)
log "router SA: $(echo $st)"
case "$(echo $st)" in
*"src $ALICE4 dst $ROUTER_LAN4 proto ah spi $spi reqid $reqid mode tunnel "*) ;;
*) fail "router SA differs from the watcher's (spi $spi reqid $reqid)" ;;
esac
case "$(echo $st)" in
*"replay-window 32 "*"auth-trunc hmac(sha256) 0x"*" 128 "*) ;;
*) fail "not hmac(sha256)/128 with a replay window of 32" ;;
esac
expect "AH tunnel SAs on alice" \
	2 "$(on alice ip xfrm state | grep -c 'proto ah spi .* mode tunnel')"

# alice reaches inet through the tunnel: the router's inbound SA counts
on alice ping -c 3 -i 0.3 -W 5 $INET4 >/dev/null || fail "alice cannot reach inet"
pk=$(on router ip -s xfrm state list spi "$spi" proto ah |
	grep -o '[0-9][0-9]*(packets)' | head -1 | tr -dc 0-9)
[ "${pk:-0}" -ge 3 ] || fail "router inbound SA counted ${pk:-0} packets, want >= 3"
log "ok: inbound SA counted $pk packets"
expect "child-updown up events" 1 "$(grep -c '^up ' "$W")"
expect "malformed events" 0 "$(grep -c '^malformed' "$W")"
