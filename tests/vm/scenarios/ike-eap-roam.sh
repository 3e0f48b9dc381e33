#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 180
#
# Roamers through the EAP path (issue 12 item 3): bob's charon is a
# phone's built-in IKEv2 client with the credentials of his home ISP,
# u@partner.example (tests/radius/freeradius/home/users), and the router's
# identity for roamers (roam.muisp.test, a second certificate from the
# CA).  The router's charon has NAME-eap-roam (muisp-ike conf router
# --eap-roam-id) with eap-radius to muispd's relay (conf strongswan
# --eap-radius); muispd forwards to FreeRADIUS "visited", which proxies
# the realm to "home", which ends EAP-MSCHAPv2 (tests/radius/fr.sh, both
# in the router's namespace).
#   1. A wrong password: the home's Reject passes the relay, no SA, no
#      contract.
#   2. The right one: SA up with a virtual IP; the relay's tap kept the
#      Accept; a contract of method roam bound and started, its hard limit
#      the home's quota (ChilliSpot-Max-Total-Octets 50000000), its expiry
#      within Session-Timeout, the Accept in radius_auth (Class); bob's
#      pings metered; the home server receives the Start with the Class.
#   3. bob ends the SA: the contract is settled, the home gets the Stop.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
. "$MUISP_TOP/tests/radius/fr.sh"
ike_scenario --bare

S=$SCRATCH
POOL=$LAN4.224/27
ROAM_ID=roam.muisp.test
R() { on router muispctl "$@"; }
R config set lan lan0

# --- FreeRADIUS: visited proxies partner.example to home -------------------
fr_setup $S/fr
fr_start $S/fr home router
fr_start $S/fr visited router
printf 'nas-secret\n' >$S/radius.secret
chmod 600 $S/radius.secret

# --- charons: the router's with the roam connection, bob's as a phone's -----
r=$IKE_DIR/router b=$IKE_DIR/bob
ike_setup router --eap --eap-radius 127.0.0.1:18120 \
	--eap-radius-secret $S/radius.secret
ike_setup bob --eap
ike_pki "$IKE_DIR/pki"
muispctl ca issue $ROAM_ID --ca "$IKE_DIR/pki" --out-cert "$r/swanctl/x509/roam.pem" \
	--out-key "$r/swanctl/private/roam.key" --days 2 \
	--notice "muisp test LAN, VM scenario" >/dev/null
IKE_ROUTER_OPTS="--eap-pool $POOL --eap-roam-id $ROAM_ID --eap-roam-cert roam.pem" \
	ike_router_conf
cp "$IKE_DIR/pki/ca.pem" "$b/swanctl/x509ca/"
# bob: server, remote ID (the roaming name), username, password
bob_conf() { ROUTER_ID=$ROAM_ID ike_native_conf bob "$1" "$2"; }
bob_conf u@partner.example WRONG-PASS
ike_charon router router
ike_charon bob bob
log "charons up"

. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
muispd_conf <<EOF
vici $(ike_vici router)
checkpoint-interval 1
eap-offer bytes
price bytes roam esp 1 1000
radius-nas-identifier vm-router
radius-auth-server 127.0.0.1:1812 $S/radius.secret
radius-acct-server 127.0.0.1:1813 $S/radius.secret
radius-roam-realms partner.example
radius-eap-relay 127.0.0.1:18120
radius-interim-jitter 0
EOF
ML=$S/muispd.log
start_muispd
trap 'rc=$?; [ $rc -eq 0 ] || { echo "--- muispd.log" >&2; tail -n 40 $ML >&2;
	tail -n 20 $S/fr/*/log/*.log >&2;
	on router muispctl --daemon $S/muispd.sock stats radius >&2; }; ike_dump' EXIT
wait_until -t 30 grep -q "vici: connected to charon" $ML
grep -q "radius-eap-relay: listening on 127.0.0.1:18120" $ML ||
	fail "relay not listening: $(tail -5 $ML)"
HOME_ACCT=$S/fr/home/log/acct.log

# --- 1. a wrong password: refused at home ----------------------------------
rc=0
ike_swanctl bob --initiate --child native --timeout 60 >$S/wrong.log 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a wrong password got an SA: $(tail -5 $S/wrong.log)"
wait_until -t 10 -m "charon heard the home's Reject" \
	grep -q "RADIUS authentication of 'u@partner.example' failed" "$r/charon.log" ||
	fail "charon did not hear the Reject: $(grep -i radius "$r/charon.log" | tail -5)"
expect "no contract for a wrong password" "" "$(op contract-list 2>/dev/null | grep -v '^$' || true)"
log "ok: wrong password refused by the home server"

# --- 2. the right one: an SA, a roam contract with the home's limits -------
bob_conf u@partner.example roampw
ike_swanctl bob --load-all --clear >$S/creds.log 2>&1 || fail "bob creds: $(cat $S/creds.log)"
t0=$(date +%s)
ike_swanctl bob --initiate --child native --timeout 60 >$S/init.log 2>&1 ||
	fail "initiate: $(tail -8 $S/init.log)"
vip=$(sed -n 's/.*installing new virtual IP \([0-9.]*\).*/\1/p' "$b/charon.log" | tail -n1)
[ -n "$vip" ] || fail "bob got no virtual IP: $(tail -5 $b/charon.log)"
grep -q "selected peer config 'muisp-eap-roam'" "$r/charon.log" ||
	fail "not the roam connection: $(grep 'peer config' "$r/charon.log" | tail -3)"
grep -q "radius relay: Access-Accept for u@partner.example (IKE_SA [0-9]*) kept" $ML ||
	fail "the tap kept no Accept: $(tail -5 $ML)"
wait_until -t 30 grep -q "eap: $vip (u@partner.example): contract [0-9]* bound and started" $ML
serial=$(sed -n "s/.*eap: $vip (u@partner.example): contract \([0-9]*\) bound and started.*/\1/p" $ML | tail -n1)
out=$(op contract-show $serial)
expect "contract active on the virtual IP, method roam, the home's quota" \
	"active $vip roam 50000000 50000000" \
	"$(fields "$out" state addr method soft hard)"
exp=$(field expiry "$out")
[ "$exp" -le $((t0 + 3600 + 5)) ] || fail "expiry $exp beyond Session-Timeout (t0 $t0)"
db() { sqlite3 -separator ' ' $S/muispd.db "$1"; }
expect "radius_auth: the Accept" "u@partner.example partner.example 300 60 partner-bill-0001" \
	"$(db "SELECT user_name, realm, idle_timeout, interim, substr(CAST(class AS TEXT), 3) FROM radius_auth WHERE serial = $serial")"
ent=$(R --json addr show $vip | jq -r '"\(.state) \(.contract) \(.xfrm_proto)"')
expect "module: the virtual IP bound through its ESP SA" "bound $serial esp" "$ent"
on bob ping -c 3 -i 0.2 -W 5 -I $vip $INET4 >/dev/null || fail "bob's pings through the tunnel"
expect "bob's pings metered" "3 3 504" \
	"$(R --json contract show $serial | jq -r '"\(.up_packets) \(.down_packets) \(.used)"')"
# the home's linelog: ...|User-Name|Class|... (Class as FreeRADIUS prints it)
CLASS_RE='(0x706172746e65722d62696c6c2d30303031|partner-bill-0001)'
wait_until -t 20 -m "the home server's Start with the Class" \
	grep -Eq "^Start\|.*\|u@partner\.example\|$CLASS_RE\|" $HOME_ACCT
ok "the home server got the Start with the Class"

# --- 3. SA down: the contract ends, the home gets the Stop ------------------
ike_swanctl bob --terminate --ike native --timeout 60 >$S/term.log 2>&1 ||
	fail "terminate: $(tail -5 $S/term.log)"
wait_until -t 30 grep -q "contract $serial: settled" $ML
expect "contract extinguished" extinguished "$(field state "$(op contract-show $serial)")"
wait_until -t 20 -m "the home server's Stop with the Class" \
	grep -Eq "^Stop\|.*\|u@partner\.example\|$CLASS_RE\|" $HOME_ACCT
ok "the home server got the Stop with the Class"
kill $MUISPD
wait $MUISPD 2>/dev/null || true
fr_stop $S/fr visited
fr_stop $S/fr home
log "ike-eap-roam ok"
