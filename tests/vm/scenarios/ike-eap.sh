#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# Devices without muisp-client: bob's charon is configured as a phone's or
# laptop's built-in IKEv2 client is (EAP-MSCHAPv2 with a username and
# password, no client certificate, ESP, a virtual IP requested; its IKE
# identity is its address, as Windows sends) and bob runs no muisp-client.
# The router's charon has the EAP connection (muisp-ike conf router
# --eap-pool), muispd has `eap yes` and loads vouchers into charon over
# VICI.
#   1. muispctl voucher issue prints the EAP username and password: the
#      code's halves.
#   2. A wrong password is refused: no SA, no contract, voucher untouched.
#   3. The voucher's credentials: SA up with a virtual IP from the pool, a
#      contract established, bound to the virtual IP and started with no
#      other step; bob's pings to the internet host are metered exactly.
#   4. bob ends the SA: the contract is terminated and settled, the unused
#      deposit goes back to the voucher.
#   5. A voucher that buys 1000 bytes: its contract reaches the hard
#      limit, muispd terminates the IKE_SA and unloads the spent voucher:
#      bob cannot connect with it again.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
ike_scenario --bare

S=$SCRATCH
POOL=$LAN4.224/27
R() { on router muispctl "$@"; }
R config set lan lan0

# --- charons: the router's with the EAP connection, bob's as a native one --
r=$IKE_DIR/router b=$IKE_DIR/bob
ike_setup router --eap
ike_setup bob --eap
ike_pki "$IKE_DIR/pki"
IKE_ROUTER_OPTS="--eap-pool $POOL --eap-dns $ROUTER_LAN4" ike_router_conf
cp "$IKE_DIR/pki/ca.pem" "$b/swanctl/x509ca/"
openssl x509 -in "$IKE_DIR/pki/router.pem" -noout -ext extendedKeyUsage >$S/eku
grep -q "TLS Web Server Authentication" $S/eku ||
	fail "router certificate without serverAuth: $(cat $S/eku)"
# bob: what a phone is told (server, remote ID, username, password; the
# CA installed), with macOS/iOS' default proposals
bob_conf() { ike_native_conf bob "$1" "$2"; }
bob_conf nobody nothing
ike_charon router router
ike_charon bob bob
log "charons up"

. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
muispd_conf <<EOF
vici $(ike_vici router)
checkpoint-interval 1
eap yes
eap-offer bytes
price bytes voucher esp 1 1000
EOF
ML=$S/muispd.log
start_muispd
trap 'rc=$?; [ $rc -eq 0 ] || { echo "--- muispd.log" >&2; tail -n 40 $ML >&2; }; ike_dump' EXIT
wait_until -t 30 grep -q "vici: connected to charon" $ML

# --- 1. the voucher's EAP credentials ---------------------------------------
out=$(on router muispctl --daemon $S/muispd.sock --json voucher issue 500)
code=$(jq -r '.[0].code' <<<"$out")
user=$(jq -r '.[0].eap_user' <<<"$out")
pass=$(jq -r '.[0].eap_password' <<<"$out")
expect "EAP username and password are the code's halves" "$code" "$user-$pass"
# bob's phone is set up; the secret reached charon (loaded on issue)
have_secret() { ike_swanctl router --list-creds 2>/dev/null | grep -q "$user"; }

# --- 2. a wrong password: refused ------------------------------------------
bob_conf "$user" WRONG-PASS
ike_swanctl bob --load-all --clear >$S/creds.log 2>&1 || fail "bob creds: $(cat $S/creds.log)"
rc=0
ike_swanctl bob --initiate --child native --timeout 60 >$S/wrong.log 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a wrong password got an SA: $(tail -5 $S/wrong.log)"
grep -q "EAP-MS-CHAPv2 verification failed\|EAP method EAP_MSCHAPV2 failed" "$r/charon.log" ||
	fail "router did not refuse the password: $(grep -i eap "$r/charon.log" | tail -5)"
log "ok: wrong password refused"
expect "no contract for a wrong password" "" "$(op contract-list 2>/dev/null | grep -v '^$' || true)"
expect "voucher untouched" 500 "$(field balance "$(op voucher-show "$code")")"

# --- 3. the right one: SA, contract bound and started, metered -------------
bob_conf "$user" "$pass"
ike_swanctl bob --load-all --clear >$S/creds.log 2>&1 || fail "bob creds: $(cat $S/creds.log)"
ike_swanctl bob --initiate --child native --timeout 60 >$S/init.log 2>&1 ||
	fail "initiate: $(tail -8 $S/init.log)"
vip=$(sed -n 's/.*installing new virtual IP \([0-9.]*\).*/\1/p' "$b/charon.log" | tail -n1)
[ -n "$vip" ] || fail "bob got no virtual IP: $(tail -5 $b/charon.log)"
log "bob's virtual IP: $vip"
case $vip in $LAN4.22[4-9] | $LAN4.2[3-5][0-9]) ;; *) fail "virtual IP $vip not from $POOL" ;; esac
wait_until -t 30 grep -q "eap: $vip ($user): contract [0-9]* bound and started" $ML
serial=$(sed -n "s/.*eap: $vip ($user): contract \([0-9]*\) bound and started.*/\1/p" $ML | tail -n1)
out=$(op contract-show $serial)
expect "contract active on the virtual IP: the voucher's 500 buy 500000 bytes" \
	"active $vip voucher 500 500000 500000" \
	"$(field state "$out") $(field addr "$out") $(field method "$out") $(field deposit "$out") $(field soft "$out") $(field hard "$out")"
ent=$(R --json addr show $vip | jq -r '"\(.state) \(.contract) \(.xfrm_proto)"')
expect "module: the virtual IP bound through its ESP SA" "bound $serial esp" "$ent"
usage() { R --json contract show $serial | jq -r '"\(.up_packets) \(.down_packets) \(.used)"'; }
on bob ping -c 3 -i 0.2 -W 5 -I $vip $INET4 >/dev/null || fail "bob's pings through the tunnel"
expect "bob's pings metered (packets up, down; bytes)" "3 3 504" "$(usage)"
nb=$(R --json stats | jq -r .drop_not_bound)
! on bob ping -c 1 -W 1 $INET4 >/dev/null || fail "bob's plain ping (outside the tunnel) passed"
expect "outside the tunnel nothing passes" "$((nb + 1))" "$(R --json stats | jq -r .drop_not_bound)"

# --- 4. SA down: the contract ends, the rest goes back to the voucher ------
ike_swanctl bob --terminate --ike native --timeout 60 >$S/term.log 2>&1 ||
	fail "terminate: $(tail -5 $S/term.log)"
wait_until -t 30 grep -q "contract $serial: settled (terminated): charge 1 refund 499" $ML
out=$(op contract-show $serial)
expect "contract extinguished, charge and refund" "extinguished 1 499" \
	"$(field state "$out") $(field charge "$out") $(field refund "$out")"
expect "voucher credited with the unused deposit" 499 "$(field balance "$(op voucher-show "$code")")"
expect "virtual IP unbound" unallocated "$(R --json addr show $vip | jq -r .state)"

# --- 5. a spent voucher: the IKE_SA is ended, the voucher refused ----------
out=$(on router muispctl --daemon $S/muispd.sock --json voucher issue 1)
code2=$(jq -r '.[0].code' <<<"$out")
user2=$(jq -r '.[0].eap_user' <<<"$out")
bob_conf "$user2" "$(jq -r '.[0].eap_password' <<<"$out")"
ike_swanctl bob --load-all --clear >$S/creds.log 2>&1 || fail "bob creds: $(cat $S/creds.log)"
ike_swanctl bob --initiate --child native --timeout 60 >$S/init2.log 2>&1 ||
	fail "initiate 2: $(tail -8 $S/init2.log)"
wait_until -t 30 grep -q "eap: [0-9.]* ($user2): contract [0-9]* bound and started, hard limit 1000 bytes" $ML
vip=$(sed -n "s/.*eap: \([0-9.]*\) ($user2): contract.*/\1/p" $ML | tail -n1)
! on bob ping -c 2 -i 0.2 -W 1 -s 600 -I $vip $INET4 >/dev/null 2>&1 || true
wait_until -t 30 grep -q "eap: $vip ($user2): IKE_SA [0-9]* terminated: its contract has ended" $ML
wait_until -t 30 grep -q "eap: $vip ($user2): IKE_SA [0-9]* down" $ML
expect "spent voucher" 0 "$(field balance "$(op voucher-show "$code2")")"
rc=0
ike_swanctl bob --initiate --child native --timeout 60 >$S/init3.log 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a spent voucher got an SA"
log "ok: the spent voucher's IKE_SA ended, the voucher refused"
kill $MUISPD
wait $MUISPD 2>/dev/null || true
log "ike-eap ok"
