#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 480
#
# 1. The router presents a certificate for the right name from the wrong
#    CA: alice's charon refuses it (no trusted key for the router's
#    identity) and no CHILD_SA comes up.
# 2. With the certificate from the muisp CA, alice (privacy option: ESP
#    AES-GCM, self-signed certificate) comes up; the watcher reports ESP.
# 3. Neither side rekeys and the lifetime is 25 s: the SA expires, the
#    watcher reports "down" for alice's SPI and the kernel SAs are gone.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
P=$IKE_DIR/pki R=$IKE_DIR/router/swanctl
# the rogue CA's key generation overlaps the set-up's (2 vCPUs)
mkdir -p "$P/other"
muispctl ca init "$P/other" "rogue CA" --days 2 >/dev/null &
rogue_ca=$!
ike_scenario --watch --router "--life 25 --no-rekey" --privacy --life 25 --no-rekey
W=$IKE_WATCH

# 1. wrong CA
wait $rogue_ca || fail "rogue CA"
muispctl ca issue $ROUTER_ID --ca "$P/other" --out-cert "$P/rogue.pem" \
	--out-key "$P/rogue.key" --days 2 >/dev/null
cp "$P/rogue.pem" "$R/x509/router.pem"
cp "$P/rogue.key" "$R/private/router.key"
ike_reload_router_creds
! ike_swanctl alice --initiate --child muisp --timeout 120 >"$SCRATCH/init-rogue.log" 2>&1 ||
	fail "alice accepted a router certificate from the wrong CA"
grep -q "no trusted RSA public key found for 'router.muisp.test'" \
	"$IKE_DIR/alice/charon.log" || fail "alice did not refuse for the router's key"
expect "SAs on alice after refusal" 0 "$(on alice ip xfrm state | grep -c '^src')"
# the responder installs its side before the initiator checks the router's
# AUTH; the client's AUTH_FAILED makes it delete that again
wait_until -t 60 ike_no_state router
expect "every SA the router reported up during the refusal went down" \
	"$(grep -c '^up ' "$W")" "$(grep -c '^down ' "$W")"
nd=$(grep -c '^down ' "$W" || true)
log "ok: router certificate from the wrong CA refused"

# 2. right CA, privacy: ESP
cp "$P/router.pem" "$R/x509/router.pem"
cp "$P/router.key" "$R/private/router.key"
ike_reload_router_creds
ike_initiate
wait_until -t 60 ike_count_gt '^up ' "$W" "$nd"
up=$(grep "^up addr $ALICE4 " "$W" | tail -1)
log "watch: $up"
expect "protocol with privacy" ESP "$(ike_field "$up" proto)"
spi=$(ike_field "$up" spi_in)
reqid=$(ike_field "$up" reqid)
case "$(ike_xstate router "$spi" esp)" in
*"proto esp spi $spi reqid $reqid mode tunnel"*"aead rfc4106(gcm(aes))"*) ;;
*) fail "kernel has no ESP AES-GCM tunnel SA $spi/$reqid" ;;
esac
on alice ping -c 2 -W 5 $INET4 >/dev/null || fail "alice cannot reach inet over ESP"

# 3. expiry (25 s, no rekey)
wait_until -t 120 ike_count_gt '^down ' "$W" "$nd"
down=$(grep "^down addr $ALICE4 " "$W" | tail -1)
log "watch: $down"
expect "expired SA's SPI" "$spi" "$(ike_field "$down" spi_in)"
expect "expired SA's reqid" "$reqid" "$(ike_field "$down" reqid)"
wait_until -t 30 ike_no_state router "$spi" esp
expect "rekey events" 0 "$(grep -c '^rekey ' "$W")"
