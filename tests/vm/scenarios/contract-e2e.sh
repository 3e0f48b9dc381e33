#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# The whole μISP flow in one boot, every part real (seed §2 phases 1-6),
# with no operator action between DHCP and the bound contract:
# muisp-dhcpd gives alice her address (kernel: allocated) -> muisp-client
# connect registers her new self-signed certificate with muispd over TLS
# (muispd checks it, stores it and loads it into the router's charon) and
# brings up her AH tunnel with strongSwan (muispd, following charon, records
# the SA in her entry; require-tunnel on) -> TLS control channel through the
# tunnel ->
# offer -> voucher -> receipt -> bound -> her traffic metered -> soft-limit
# warning, traffic stops -> extend -> hard-limit cut (the module refuses the
# crossing packet) -> settlement statement: deposit kept, no refund, the
# voucher debited by exactly the deposit, the address released.  Then
# muispd restarts and loads her registration into charon again, and the
# operator forgets it (muispctl register forget): muispd ends her IKE_SA and
# the one she brings up without registering, until she registers again.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
topo_up
ike_modules
T=$SCRATCH

# --- phase 1: DHCP ----------------------------------------------------------
cat >"$T/dhcpd.conf" <<CONF
lease-db $T/leases.db
kernel-sync yes
interface lan0 {
	subnet 192.0.2.0/24
	server-id 192.0.2.1
	pool 192.0.2.100 192.0.2.103
	router 192.0.2.1
	lease-time 600
}
CONF
cat >"$T/dhclient-script" <<'SCRIPT'
#!/bin/sh
case $reason in
BOUND|RENEW|REBIND|REBOOT)
	ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
	[ -z "$new_routers" ] ||
		ip -4 route replace default via "${new_routers%% *}" dev "$interface" ;;
esac
exit 0
SCRIPT
chmod +x "$T/dhclient-script"
on alice ip -4 addr flush dev eth0
ip netns exec router muisp-dhcpd -d -v -f "$T/dhcpd.conf" >>"$T/dhcpd.log" 2>&1 &
DHCPD=$!
wait_until -t 20 grep -q 'kernel hand-off: connected' "$T/dhcpd.log"
on alice dhclient -4 -1 -sf "$T/dhclient-script" -pf "$T/dhclient.pid" \
	-lf "$T/dhclient.leases" eth0 >"$T/dhclient.out" 2>&1 || fail "dhclient: $(cat "$T/dhclient.out")"
A=$(on alice ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)
expect "alice's address and default router from muisp-dhcpd" \
	"192.0.2.100 192.0.2.1" "$A $(on alice ip -4 route show default | awk '{print $3}')"
ent() {
	on router muispctl --json addr show $A 2>/dev/null |
		jq -r '"\(.state) \(.contract // 0) \(.xfrm_proto // "-")"'
}
ent_is() { [ "$(ent)" = "$1" ]; }
expect "kernel entry after the ACK" "allocated 0 -" "$(ent)"

# --- phase 2: registration and the tunnel, followed by muispd ----------------
ike_router_alice --self-service	# no muisp-ike load-cert
on router muispctl config set lan lan0
muispd_setup <<CONF
$FLOW_CONF
vici $(ike_vici router)
CONF
trap 'rc=$?; kill $DHCPD 2>/dev/null; [ -f "$T/dhclient.pid" ] && kill "$(cat "$T/dhclient.pid")" 2>/dev/null; ike_dump; exit $rc' EXIT
wait_until -t 30 grep -q 'vici: connected to charon' $S/muispd.log
ike_client_connect $S/alice || fail "connect: $(cat $T/connect.err)"
subj=$(sed -n 's/^certificate=.* subject=\/\([^ ]*\) .*/\1/p' $T/connect.out)
case $subj in CN=anon-*) ;; *) fail "alice's subject: $(cat $T/connect.out)" ;; esac
grep -q "^registered $subj: charon trusts it (expiry=" $T/connect.out ||
	fail "no registration: $(cat $T/connect.out)"
grep -q '^connected router=192.0.2.1 .* proto=AH' $T/connect.out ||
	fail "not connected: $(cat $T/connect.out)"
reg() { sqlite3 -separator ' ' $S/muispd.db "SELECT addr, subject, keytype FROM registrations"; }
expect "her registration in muispd's store" "$A $subj RSA-2048" "$(reg)"
ike_swanctl router --list-certs >$T/certs.out 2>&1
grep -q "subject: *\"$subj\"" $T/certs.out || fail "charon lacks her certificate: $(cat $T/certs.out)"
wait_until -t 30 ent_is "allocated 0 ah"

# --- phases 3-5: control channel, offer, voucher, receipt -------------------
code=$(field code "$(op voucher-issue 200)")
# bytes: soft 3000, hard 8000 at 1000 per 1e6 bytes: deposit 8.
out=$(cl -m voucher -P "$code" --start buy bytes 3000 8000) || fail "buy: $out"
serial=$(field serial "$(head -n1 <<<"$out")")
expect "deposit" 8 "$(field deposit "$(head -n1 <<<"$out")")"
expect "bound through the SA" "bound $serial ah" "$(ent)"
cl watch 300 >$S/watch.out 2>&1 &
wait_until -t 20 grep -q watching $S/watch.out

# --- phase 6: metering, soft limit, extend, hard limit ----------------------
# 1028-byte packets each way, 2056 per echo.
on alice ping -c 1 -W 2 -s 1000 $INET4 >/dev/null || fail "paid ping"
expect "metered" 2056 "$(on router muispctl --json contract show $serial 2>/dev/null | jq .used)"
on alice ping -c 1 -W 1 -s 1000 $INET4 >/dev/null || true	# 3084 >= 3000
wait_until -t 20 grep -q "warning: soft-limit serial=$serial" $S/watch.out
expect "delinquent after the soft limit" delinquent "$(field state "$(cl status)")"
! on alice ping -c 1 -W 1 $INET4 >/dev/null || fail "delinquent ping passed"
out=$(cl extend 8000)
expect "extended to the hard limit" active "$(field state "$out")"
# used is 3084 or 4112 (the second echo's reply may have been refused);
# two more echoes cross 8000: the module refuses the packet that would.
on alice ping -c 3 -i 0.3 -W 1 -s 1000 $INET4 >/dev/null 2>&1 || true
wait_until -t 60 grep -q "warning: hard-limit serial=$serial" $S/watch.out
! on alice ping -c 1 -W 1 $INET4 >/dev/null || fail "ping after the hard limit"

# --- settlement ----------------------------------------------------------------
out=$(op contract-show $serial)
expect "statement: deposit kept, no refund" \
	"extinguished 8 0" "$(field state "$out") $(field charge "$out") $(field refund "$out")"
[ "$(field usage "$out")" -le 8000 ] || fail "usage above the hard limit: $out"
expect "voucher debited by the deposit" 192 "$(field balance "$(op voucher-show "$code")")"
wait_until -t 20 ent_is "unallocated 0 ah"
log "whole flow ok"

# --- a restart keeps her registration ---------------------------------------
kill $MUISPD
wait $MUISPD || true
start_muispd
wait_until -t 30 grep -q 'registration: 1 of 1 certificates loaded into charon' $S/muispd.log
expect "her registration after the restart" "$A $subj RSA-2048" "$(reg)"

# --- the operator forgets her registration ----------------------------------
# charon keeps trusting a loaded certificate (no per-certificate unload in
# strongSwan 5.9): muispd ends its IKE_SA at once and any later one, until
# she registers again.
ctl() { on router muispctl --daemon $S/muispd.sock "$@"; }
expect "register list" "$A $subj RSA-2048" \
	"$(ctl --json register list | jq -r '.[] | "\(.addr) \(.subject) \(.key)"')"
expect "register forget" "forgot $subj of $A: 1 IKE_SA ended" \
	"$(ctl register forget $A)"
wait_until -t 20 ike_no_state router
expect "no registration left" "" "$(reg)"
# the same certificate without registering: charon accepts it, muispd ends it
ike_client_connect $S/alice --no-register --wait 20 || true
wait_until -t 30 ike_count_gt "registration of $subj was forgotten (by the operator at .*): register again; IKE_SA" $S/muispd.log 1
wait_until -t 20 ike_no_state router
# registering again: welcome back
ike_client_connect $S/alice || fail "connect again: $(cat $T/connect.err)"
grep -q "^registered $subj: charon trusts it" $T/connect.out ||
	fail "no registration again: $(cat $T/connect.out)"
wait_until -t 30 ent_is "unallocated 0 ah"
expect "her SA is not ended again" 2 "$(grep -c "registration of $subj was forgotten" $S/muispd.log)"
expect "registered again" "$A $subj RSA-2048" "$(reg)"
log "forget ok"
