#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Real strongSwan in the router and alice namespaces.  Alice (self-signed
# certificate, registered with the router over VICI) brings up an AH tunnel
# to the router (certificate from the test CA): the kernel holds AH SAs in
# tunnel mode with hmac(sha256) truncated to 128 bits and anti-replay on;
# alice reaches the internet host through the tunnel (the SA counters
# move); ike_watch reports "up" for alice's address with the reqid the
# kernel has for that SA.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
topo_up
ike_trap
ike_modules
ike_router_alice
W=$SCRATCH/watch.out
ike_watch_start "$W"

ike_swanctl alice --initiate --child muisp --timeout 120 >"$SCRATCH/init.log" 2>&1 ||
	fail "initiate: $(tail -5 "$SCRATCH/init.log")"
wait_until 30 grep -q "^up $ALICE4 " "$W"
line=$(grep "^up $ALICE4 " "$W")
log "watch: $line"
reqid=$(echo "$line" | sed -n 's/.* reqid \([0-9]*\) .*/\1/p')
spi=$(echo "$line" | sed -n 's/.* spi_in \(0x[0-9a-f]*\) .*/\1/p')
echo "$line" | grep -q " proto AH mode tunnel " || fail "not AH tunnel: $line"
echo "$line" | grep -q " integ HMAC_SHA2_256_128/" || fail "integ: $line"

# the kernel's view on the router: the inbound SA the watcher named
st=$(on router ip xfrm state list spi "$spi" proto ah)
log "router SA: $(echo "$st" | tr '\n' ' ')"
echo "$st" | grep -q "src $ALICE4 dst $ROUTER_LAN4" || fail "inbound SA not alice->router"
echo "$st" | grep -q "proto ah spi $spi reqid $reqid mode tunnel" ||
	fail "SA spi/reqid/mode differ from the watcher's"
echo "$st" | grep -q "auth-trunc hmac(sha256) 0x[0-9a-f]* 128" ||
	fail "not hmac(sha256) truncated to 128 bits"
echo "$st" | grep -q "replay-window 32" || fail "anti-replay window not 32"
assert_eq 2 "$(on router ip xfrm state | grep -c '^src.*' )" "SAs on the router (in+out)"
assert_eq 2 "$(on alice ip xfrm state | grep -c 'proto ah')" "AH SAs on alice"

# alice reaches inet through the tunnel: the router's inbound SA counts
on alice ping -c 3 -i 0.3 -W 5 $INET4 >/dev/null || fail "alice cannot reach inet"
pk=$(on router ip -s xfrm state list spi "$spi" proto ah |
	sed -n 's/^ *[0-9]*(bytes), \([0-9]*\)(packets)$/\1/p')
[ "${pk:-0}" -ge 3 ] || fail "router inbound SA counted ${pk:-0} packets, want >= 3"
log "ok: inbound SA counted $pk packets"
# and it really is AH on the wire: the router saw no plain ICMP from alice
assert_eq 1 "$(grep -c '^up ' "$W")" "child-updown up events"
