#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Privacy as paid for (issue 11 item 3), real charons, muispd following the
# router's over VICI: a contract binds only through a tunnel of the
# protocol bought (AH 1000, ESP 2000 per 10^6 bytes here).
#   1. AH tunnel, ESP bought: refused (MP_ERR_PRIVACY, naming both),
#      nothing paid.
#   2. AH bought over AH: bound, metered.
#   3. Alice re-initiates with ESP: while her AH SA is up the binding stays
#      on it; when it goes, the binding is lost with the reason logged
#      (bought AH, the new tunnel is ESP); BIND is refused with the reason
#      (in muispd's log too); her traffic is dropped.
#   4. ESP tunnel, AH bought (the cheap item over the dear tunnel):
#      refused, nothing paid.
#   5. Back to AH: the receipt binds again, metering goes on from where it
#      stood, and the statement charges the usage only.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
ike_scenario
on router muispctl config set lan lan0
muispd_conf <<EOF
vici $(ike_vici router)
checkpoint-interval 1
price bytes voucher ah 1000 1000000
price bytes voucher esp 2000 1000000
EOF
start_muispd
ML=$S/muispd.log
R() { on router muispctl "$@"; }
# alice's entry in the module: state, contract, the SA's protocol
ent() {
	R --json addr show $ALICE4 2>/dev/null |
		jq -r '"\(.state) \(.contract // 0) \(.xfrm_proto // "-")"'
}
ent_is() { [ "$(ent)" = "$1" ]; }
usage() { R --json contract show $serial kernel | jq -r .used; }
# cl_err NAME ARGS...: muisp-client must fail; "rc stderr"
cl_err() {
	local n=$1 rc=0
	shift
	cl "$@" >$S/$n.out 2>$S/$n.err || rc=$?
	echo "$rc $(<$S/$n.err)"
}
E="1 muisp-client: the tunnel is not the privacy bought: bought"
code=$(field code "$(op voucher-issue 1000)")

# --- 1. AH tunnel, ESP bought: refused ------------------------------------
ike_initiate
wait_until -t 30 ent_is "allocated 0 ah"
expect "ESP over an AH tunnel refused" \
	"$E ESP, but the tunnel of $ALICE4 is AH: bring up an ESP tunnel, then buy" \
	"$(cl_err buy1 --esp -m voucher -P "$code" buy bytes 100000 200000)"
expect "nothing paid" 1000 "$(field balance "$(op voucher-show "$code")")"

# --- 2. AH over AH: bound, metered ----------------------------------------
out=$(cl -m voucher -P "$code" --start buy bytes 100000 200000)
serial=$(field serial "$(head -n1 <<<"$out")")
expect "AH bought over AH: active" active "$(field state "$(tail -n1 <<<"$out")")"
expect "bound through the AH SA" "bound $serial ah" "$(ent)"
on alice ping -c 3 -i 0.2 -W 5 $INET4 >/dev/null || fail "alice's paid pings"
expect "metered" 504 "$(usage)"

# --- 3. re-initiated with ESP: binding lost, BIND refused with the reason --
# The ESP SA comes up beside the AH one: the binding stays on its SA (the
# module passes only that SA's traffic); then alice's AH SA goes and the
# ESP SA takes the address over, unbound, with the reason logged.
ike_alice_conf --privacy
ike_initiate init2
wait_until -t 30 grep -q "$ALICE4: 2 CHILD_SAs claim the address: the bound one stays its SA" $ML
expect "still bound through the AH SA" "bound $serial ah" "$(ent)"
ah=$(ike_swanctl alice --list-sas |
	sed -n 's/^ *muisp: #\([0-9]*\), reqid [0-9]*, INSTALLED, TUNNEL, AH.*/\1/p')
[ -n "$ah" ] || fail "alice's AH CHILD_SA: $(ike_swanctl alice --list-sas)"
ike_swanctl alice --terminate --child-id "$ah" --timeout 60 >$S/term.log 2>&1 ||
	fail "terminate: $(tail -5 $S/term.log)"
wait_until -t 30 ent_is "unallocated 0 esp"
grep -q "contract $serial: unbound from $ALICE4: its IPsec SA is gone" $ML ||
	fail "not unbound: $(grep "contract $serial" $ML)"
grep -q "contract $serial: bought AH, the new tunnel of $ALICE4 is ESP: it binds again only through an AH tunnel" $ML ||
	fail "no reason logged: $(grep "contract $serial" $ML)"
expect "BIND over ESP of a contract bought for AH refused" \
	"$E AH, but the tunnel of $ALICE4 is ESP: bring up an AH tunnel, then bind" \
	"$(cl_err bind1 bind)"
grep -q "$ALICE4: bind refused: bought AH, but the tunnel of $ALICE4 is ESP" $ML ||
	fail "refusal not logged: $(tail -5 $ML)"
expect "contract outstanding, unbound (operator)" unbound \
	"$(field state "$(op contract-show $serial)")"
! on alice ping -c 2 -i 0.2 -W 1 $INET4 >/dev/null || fail "ping passed unbound"
expect "nothing metered meanwhile" 504 "$(usage)"

# --- 4. ESP tunnel, AH bought: refused -------------------------------------
code2=$(field code "$(op voucher-issue 500)")
expect "AH over an ESP tunnel refused" \
	"$E AH, but the tunnel of $ALICE4 is ESP: bring up an AH tunnel, then buy" \
	"$(cl_err buy2 -m voucher -P "$code2" buy bytes 100000 200000)"
expect "nothing paid" 500 "$(field balance "$(op voucher-show "$code2")")"

# --- 5. back to AH: rebound, metered on, the usage charged only -----------
ike_swanctl alice --terminate --ike muisp --timeout 60 >$S/term2.log 2>&1 ||
	fail "terminate: $(tail -5 $S/term2.log)"
wait_until -t 30 ent_is "unallocated 0 -"
ike_alice_conf
ike_initiate init3
wait_until -t 30 ent_is "unallocated 0 ah"
out=$(cl --start bind)
expect "rebound over AH" "active $ALICE4" "$(fields "$(tail -n1 <<<"$out")" state addr)"
expect "bound through the new AH SA" "bound $serial ah" "$(ent)"
on alice ping -c 3 -i 0.2 -W 5 $INET4 >/dev/null || fail "pings after the rebind"
expect "metered on from 504" 1008 "$(usage)"
out=$(cl terminate)
# 1008 bytes at 1000 per 10^6: 2 (rounded up) of the deposit of 200
expect "statement: the usage charged, the rest refunded" "1008 200 2 198" \
	"$(fields "$out" usage deposit charge refund)"
expect "voucher" 998 "$(field balance "$(op voucher-show "$code")")"
stop_muispd
log "ike-privacy ok"
