#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# muisp-client connect with real charons in the router and alice
# namespaces.  The operator's PKI is made with `muispctl ca`; alice's side
# is only what muisp-client generates (her charon starts with no
# configuration at all).
#
# 1. `muisp-client cert` makes alice's self-signed certificate (anonymous
#    CN, key 0600) and prints its path and fingerprint.
# 2. Before the router knows that certificate, connect fails saying it must
#    be registered; no SA anywhere.
# 3. Registered (muisp-ike load-cert on the router), but the router
#    presents a certificate for its name from another CA: connect fails,
#    refusing the router (charon finds no trusted key for the name); no SA
#    stays up.
# 4. With the right certificate, connect brings up AH:
#    the router's kernel has the AH tunnel SA with hmac(sha256)/128 and the
#    SPIs connect printed; alice reaches the internet host through it (the
#    router's inbound SA counts her packets).  A second connect reports the
#    SA instead of making another.  disconnect removes the SAs.
# 5. connect --privacy gives ESP AES-GCM.
# 6. The rogue certificate again, now that alice's charon has seen the
#    real one (the signature does not verify with its key): refused too.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
ike_scenario --bare	# its own PKI; the charons start further down

P=$IKE_DIR/pki R=$IKE_DIR/router/swanctl S=$SCRATCH/alice-state
CERT=$S/ike/x509/client.pem LOGF=$S/ike/connect.log
NOTICE="muisp test LAN, ike-connect"
: >"$IKE_DIR/alice/swanctl/swanctl.conf"	# nothing: connect loads it
ln -s "$LOGF" "$SCRATCH/client-connect.log"	# shown by ike_dump on failure

# muisp-client in alice's namespace against alice's charon; no muispd
# here: the operator registers her (muisp-ike load-cert), so --no-register
client() {
	on alice env STRONGSWAN_CONF="$IKE_DIR/alice/strongswan.conf" \
		muisp-client -S "$S" --uri "$(ike_vici alice)" --no-register \
		--router $ROUTER_LAN4 --router-id $ROUTER_ID \
		--cacert "$P/ca/ca.pem" --wait 120 "$@"
}
# router_cert PEM KEY: the router presents another certificate (--clear
# drops alice's registration too: load it again)
router_cert() {
	cp "$1" "$R/x509/router.pem"
	cp "$2" "$R/private/router.key"
	ike_swanctl router --load-all --clear >"$IKE_DIR/router/creds.log" 2>&1 ||
		fail "reload router creds: $(cat "$IKE_DIR/router/creds.log")"
	muisp-ike load-cert --uri "$(ike_vici router)" "$CERT" >/dev/null
}
# rogue_refused OUT: connect to the router with the rogue certificate fails
rogue_refused() {
	local st=0
	log "connect to a router with a rogue certificate ($1)"
	client connect >"$SCRATCH/$1.out" 2>"$SCRATCH/$1.err" || st=$?
	expect "$1: status" 1 "$st"
	expect "$1: only the certificate line" "$CERTLINE" "$(cat "$SCRATCH/$1.out")"
	expect "$1: refusal" "muisp-client: refused the router: it did not prove '$ROUTER_ID' with a certificate from the muISP CA $P/ca/ca.pem (details: $LOGF)" \
		"$(cat "$SCRATCH/$1.err")"
	grep -q 'issuer is "CN=rogue CA"' "$LOGF" || fail "$1: the log does not show the rogue issuer"
	grep -q "generating INFORMATIONAL request 2 \[ N(AUTH_FAILED) \]" "$LOGF" ||
		fail "$1: alice did not send AUTH_FAILED"
	expect "$1: SAs on alice" 0 "$(n_states alice)"
	# the responder installs its side before the initiator checks the
	# router's AUTH; the client's AUTH_FAILED makes it delete that again
	wait_until -t 60 no_states router
	expect "$1: no IKE_SA left on alice" "not connected" "$(client disconnect)"
}
# xfrm states (lines starting with "src") in a namespace
n_states() { on "$1" ip xfrm state | grep -c '^src' || true; }
no_states() { [ "$(n_states "$1")" = 0 ]; }

# ---- PKI: the operator's CA, a rogue CA, alice's certificate; the key
# generations overlap (2 vCPUs)
log "pki"
muispctl ca init "$P/ca" "muisp test CA" --days 2 >"$SCRATCH/ca.out" &
p1=$!
muispctl ca init "$P/rogue" "rogue CA" --days 2 >/dev/null &
p2=$!
on alice muisp-client -S "$S" cert >"$SCRATCH/cert.out" 2>"$SCRATCH/cert.err" &
p3=$!
wait $p1 || fail "muispctl ca init"
wait $p2 || fail "muispctl ca init (rogue)"
wait $p3 || fail "muisp-client cert: $(cat "$SCRATCH/cert.err")"
muispctl ca issue $ROUTER_ID --ca "$P/ca" --days 2 --notice "$NOTICE" \
	--out-cert "$P/router.pem" --out-key "$P/router.key" >/dev/null &
p1=$!
muispctl ca issue $ROUTER_ID --ca "$P/rogue" --days 2 \
	--out-cert "$P/rogue.pem" --out-key "$P/rogue.key" >/dev/null &
p2=$!
wait $p1 || fail "muispctl ca issue"
wait $p2 || fail "muispctl ca issue (rogue)"
log "pki done"
expect "muispctl ca init output" "certificate: $P/ca/ca.pem
key:         $P/ca/ca.key" "$(cat "$SCRATCH/ca.out")"
expect "router certificate verifies" "$P/router.pem: OK" \
	"$(muispctl ca verify "$P/ca/ca.pem" "$P/router.pem")"
expect "router certificate notice" "notice:      $NOTICE" \
	"$(muispctl ca show "$P/router.pem" | grep '^notice:')"
cp "$P/router.pem" "$R/x509/router.pem"
cp "$P/router.key" "$R/private/router.key"
cp "$P/ca/ca.pem" "$R/x509ca/"
muisp-ike conf router --cert router.pem --id $ROUTER_ID \
	--local-addrs $ROUTER_LAN4 >"$R/swanctl.conf"

# ---- 1. alice's certificate
subj=$(muispctl ca show "$CERT" | sed -n 's/^subject: *//p')
fpr=$(openssl x509 -noout -fingerprint -sha256 -in "$CERT" | cut -d= -f2)
case $subj in
/CN=anon-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
*) fail "alice's certificate subject is not anonymous: $subj" ;;
esac
CERTLINE="certificate=$CERT subject=$subj sha256=$fpr"
expect "muisp-client cert output" "$CERTLINE" "$(cat "$SCRATCH/cert.out")"
expect "first-use note" "muisp-client: new self-signed certificate $CERT: the router must know it before a tunnel comes up (the operator loads it: muisp-ike load-cert FILE)" \
	"$(cat "$SCRATCH/cert.err")"
expect "client key mode" 600 "$(stat -c %a "$S/ike/private/client.key")"
expect "self-signed" "$CERT: OK" "$(muispctl ca verify "$CERT" "$CERT")"
expect "self-signed flag" "self-signed: yes" "$(muispctl ca show "$CERT" | grep '^self-signed:')"
# a second cert run keeps the identity
expect "cert again: same certificate" "$CERTLINE" "$(on alice muisp-client -S "$S" cert 2>&1)"

log "charons"
ike_charon router router
ike_charon alice alice
log "charons up"

# ---- 2. not registered yet
st=0
client connect >"$SCRATCH/c1.out" 2>"$SCRATCH/c1.err" || st=$?
expect "connect before registration: status" 1 "$st"
expect "connect prints the certificate" "$CERTLINE" "$(cat "$SCRATCH/c1.out")"
expect "unregistered refusal" "muisp-client: the router refused to authenticate this client: its certificate must be registered with the router first (the operator runs: muisp-ike load-cert $CERT), and --router-id '$ROUTER_ID' must be the router's name (details: $LOGF)" \
	"$(cat "$SCRATCH/c1.err")"
grep -q "received AUTHENTICATION_FAILED notify" "$LOGF" || fail "no AUTH_FAILED in $LOGF"
expect "SAs on alice after the refusal" 0 "$(n_states alice)"
expect "SAs on the router after the refusal" 0 "$(n_states router)"
# the generated configuration: AH, the router pinned to the CA and its name
grep -q "^				ah_proposals = sha256-modp2048$" "$S/ike/swanctl.conf" || fail "no AH proposal"
grep -q "^			cacerts = muisp-ca.pem$" "$S/ike/swanctl.conf" || fail "CA not pinned"
grep -q "^			id = $ROUTER_ID$" "$S/ike/swanctl.conf" || fail "router id not pinned"
cmp -s "$P/ca/ca.pem" "$S/ike/x509ca/muisp-ca.pem" || fail "CA not copied"

# ---- 3. registered; the router's certificate from another CA
router_cert "$P/rogue.pem" "$P/rogue.key"
rogue_refused rogue1
grep -q "no trusted RSA public key found for '$ROUTER_ID'" "$LOGF" ||
	fail "rogue1: no 'no trusted RSA public key' in $LOGF"

# ---- 4. the router's own certificate: AH
router_cert "$P/router.pem" "$P/router.key"
log "connect (AH)"
client connect >"$SCRATCH/c2.out" 2>"$SCRATCH/c2.err" ||
	fail "connect: $(cat "$SCRATCH/c2.err")"
log "connected: $(tail -1 "$SCRATCH/c2.out")"
expect "connect output lines" 2 "$(wc -l <"$SCRATCH/c2.out")"
expect "connect certificate line" "$CERTLINE" "$(head -1 "$SCRATCH/c2.out")"
line=$(tail -1 "$SCRATCH/c2.out")
spi_in=$(sed -n 's/.* spi_in=\(0x[0-9a-f]\{8\}\) .*/\1/p' <<<"$line")
spi_out=$(sed -n 's/.* spi_out=\(0x[0-9a-f]\{8\}\)$/\1/p' <<<"$line")
expect "connect (AH) result" "connected router=$ROUTER_LAN4 id=$ROUTER_ID proto=AH integ=HMAC_SHA2_256_128 local_ts=$ALICE4/32 spi_in=$spi_in spi_out=$spi_out" \
	"$line"
expect "connect stderr" "" "$(cat "$SCRATCH/c2.err")"
# the router's inbound SA is alice's outbound one
st=$(ike_xstate router "$spi_out" ah)
log "router SA: $st"
case $st in
"src $ALICE4 dst $ROUTER_LAN4 proto ah spi $spi_out reqid "*" mode tunnel replay-window 32 "*"auth-trunc hmac(sha256) 0x"*" 128 "*) ;;
*) fail "router: no AH tunnel SA $spi_out with hmac(sha256)/128: $st" ;;
esac
case $(ike_xstate router "$spi_in" ah) in
"src $ROUTER_LAN4 dst $ALICE4 proto ah spi $spi_in reqid "*" mode tunnel "*"auth-trunc hmac(sha256) 0x"*" 128 "*) ;;
*) fail "router: no outbound AH SA $spi_in" ;;
esac
expect "SAs on the router" 2 "$(n_states router)"
expect "AH tunnel SAs on alice" 2 "$(on alice ip xfrm state | grep -c "proto ah spi .* mode tunnel")"
on alice ping -c 3 -i 0.3 -W 5 $INET4 >/dev/null || fail "alice cannot reach inet through the tunnel"
pk=$(on router ip -s xfrm state list spi "$spi_out" proto ah |
	grep -o '[0-9][0-9]*(packets)' | head -1 | tr -dc 0-9)
[ "${pk:-0}" -ge 3 ] || fail "router's inbound SA counted ${pk:-0} packets, want >= 3"
log "ok: alice reached inet; the router's inbound AH SA counted $pk packets"

# connect again: the SA is reported, not doubled
client connect >"$SCRATCH/c3.out" 2>"$SCRATCH/c3.err" || fail "connect again: $(cat "$SCRATCH/c3.err")"
expect "connect again: the same SA" "$line" "$(tail -1 "$SCRATCH/c3.out")"
expect "connect again: note" "muisp-client: already connected" "$(cat "$SCRATCH/c3.err")"
expect "SAs on alice after a second connect" 2 "$(n_states alice)"
# asking for ESP while AH is up is refused
st=0
client --privacy connect >/dev/null 2>"$SCRATCH/c4.err" || st=$?
expect "connect --privacy while AH is up: status" 1 "$st"
expect "connect --privacy while AH is up" "muisp-client: already connected with AH: disconnect first" \
	"$(cat "$SCRATCH/c4.err")"

# disconnect
expect "disconnect" "disconnected${line#connected}" "$(client disconnect)"
wait_until -t 60 no_states alice
wait_until -t 60 no_states router
expect "disconnect again" "not connected" "$(client disconnect)"

# ---- 5. privacy: ESP AES-GCM
log "connect --privacy (ESP)"
client --privacy connect >"$SCRATCH/c5.out" 2>"$SCRATCH/c5.err" ||
	fail "connect --privacy: $(cat "$SCRATCH/c5.err")"
line=$(tail -1 "$SCRATCH/c5.out")
spi_in=$(sed -n 's/.* spi_in=\(0x[0-9a-f]\{8\}\) .*/\1/p' <<<"$line")
spi_out=$(sed -n 's/.* spi_out=\(0x[0-9a-f]\{8\}\)$/\1/p' <<<"$line")
expect "connect --privacy result" "connected router=$ROUTER_LAN4 id=$ROUTER_ID proto=ESP encr=AES_GCM_16-128 local_ts=$ALICE4/32 spi_in=$spi_in spi_out=$spi_out" \
	"$line"
grep -q "^				esp_proposals = aes128gcm16-modp2048,aes256gcm16-modp2048$" \
	"$S/ike/swanctl.conf" || fail "no ESP proposal with --privacy"
st=$(ike_xstate router "$spi_out" esp)
log "router SA: $st"
case $st in
"src $ALICE4 dst $ROUTER_LAN4 proto esp spi $spi_out reqid "*" mode tunnel replay-window 32 "*"aead rfc4106(gcm(aes)) 0x"*" 128 "*) ;;
*) fail "router: no ESP AES-GCM tunnel SA $spi_out: $st" ;;
esac
expect "AH SAs on the router with privacy" 0 "$(on router ip xfrm state | grep -c 'proto ah')"
on alice ping -c 2 -W 5 $INET4 >/dev/null || fail "alice cannot reach inet over ESP"
pk=$(on router ip -s xfrm state list spi "$spi_out" proto esp |
	grep -o '[0-9][0-9]*(packets)' | head -1 | tr -dc 0-9)
[ "${pk:-0}" -ge 2 ] || fail "router's inbound ESP SA counted ${pk:-0} packets, want >= 2"
expect "disconnect (ESP)" "disconnected${line#connected}" "$(client disconnect)"
wait_until -t 60 no_states alice
wait_until -t 60 no_states router

# ---- 6. the rogue certificate again, the real one seen before
router_cert "$P/rogue.pem" "$P/rogue.key"
rogue_refused rogue2
grep -q "signature validation failed" "$LOGF" ||
	fail "rogue2: no 'signature validation failed' in $LOGF"
