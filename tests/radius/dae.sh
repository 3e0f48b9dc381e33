#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RFC 5176 Disconnect and CoA (issue 12 item 4; daemon/muispd/dae.c) on
# the host: root, its own netns, muispd with "kernel no" and accounting to
# FreeRADIUS "visited" (tests/radius/fr.sh; the sessions name what a
# request identifies), radclient as the Dynamic Authorization Client.
#   - a Disconnect and a CoA with a wrong secret: no answer (radclient
#     gives up), counted, the contract untouched
#   - an unknown Acct-Session-Id: Disconnect-NAK Session-Context-Not-Found
#   - an attribute muispd does not act on: CoA-NAK Unsupported-Attribute
#   - raising a paid contract's quota: CoA-NAK Administratively-Prohibited
#   - a live CoA: Filter-Id suspend, then a lower quota -> CoA-ACK, the
#     contract suspended with the new hard limit
#   - a live Disconnect by Acct-Session-Id (Event-Timestamp,
#     Message-Authenticator): Disconnect-ACK with a Message-Authenticator,
#     the contract settled and unbound, its Stop at the server with
#     Acct-Terminate-Cause Admin-Reset (retransmissions, every
#     Error-Cause and drop: tests/unit/test_dae.c)
#   - muispctl stats radius shows the dae.* counters
#
# usage: tests/radius/dae.sh [BINDIR]        (default build/bin)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/radius/fr.sh"
CHECK_SUITE=radius-dae CHECK_FATAL=1
bin=${1:-${MUISP_BIN:-$top/build/bin}}
fr_need muispd muisp-client muispctl

fr_part dae visited
ok "FreeRADIUS visited (accounting)"

fr_secret radius.secret nas-secret
fr_secret dae.secret dae-secret
port=4433
FR_PLAIN=1
{
	fr_conf
	cat <<EOF
currency EUR
price bytes voucher esp 10 1000000
radius-nas-identifier muisp-dae-test
radius-acct-server 127.0.0.1:1813 $T/radius.secret
radius-timeout 1
radius-dae-listen 127.0.0.1:3799
radius-dae-client 127.0.0.1 $T/dae.secret
radius-dae-window 300
EOF
} >"$T/muispd.conf"
fr_muispd_check
fr_muispd_start
check "muispd listens for DM/CoA" grep -q 'radius dae: listening on 127.0.0.1:3799' "$T/muispd.log"

ctl() { "$bin/muispctl" --daemon "$T/muispd.sock" "$@"; }
# dac CODE SECRET: radclient with the attributes on stdin; its output
dac() {
	nsx radclient -x -r 1 -t 1 127.0.0.1:3799 "$1" "$2" 2>&1 || true
}
state() { fr_field state "$(fr_op contract-show "$1")"; }
counter() { # counter NAME -> the value in muispctl stats radius
	ctl stats radius | awk -v n="$1:" '$1 == n { print $2 }'
}

code=$(fr_field code "$(fr_op voucher-issue 100)")
out=$(fr_cl alice 127.0.0.2 -m voucher -P "$code" --start buy bytes 1000000 2000000)
alice=$(fr_field serial "$(tail -n1 <<<"$out")")
out=$(fr_cl bob 127.0.0.3 -m voucher -P "$code" --start buy bytes 1000000 2000000)
bob=$(fr_field serial "$(tail -n1 <<<"$out")")
expect "alice active" active "$(state "$alice")"
sid_of() {
	sqlite3 "$T/muispd.db" "SELECT sid FROM acct_sessions WHERE serial = $1 AND stopped IS NULL"
}
wait_until -t 5 -m "alice's RADIUS session" eval '[ -n "$(sid_of "$alice")" ]'
sida=$(sid_of "$alice")
sidb=$(sid_of "$bob")
wait_until -t 10 -m "alice's Start at the server" \
	grep -q "^Start|$sida|" "$T/fr/visited/log/acct.log"
ok "two bound contracts with RADIUS sessions ($sida, $sidb)"

# --- a wrong secret: no answer at all, nothing changed ---
out=$(printf 'Acct-Session-Id = "%s"\nEvent-Timestamp = %d\n' "$sida" "$(date +%s)" |
	dac disconnect wrong-secret)
check "Disconnect with a wrong secret: no reply" \
	eval '! grep -q "Received Disconnect" <<<"$out"'
out=$(printf 'Acct-Session-Id = "%s"\nFilter-Id = "suspend"\n' "$sida" |
	dac coa wrong-secret)
check "CoA with a wrong secret: no reply" eval '! grep -q "Received CoA" <<<"$out"'
expect "alice still active" active "$(state "$alice")"
expect "dae.drop_bad_authenticator counted" 2 "$(counter dae.drop_bad_authenticator)"

# --- NAKs ---
out=$(printf 'Acct-Session-Id = "%s"\n' "00000000-ff-1" | dac disconnect dae-secret)
check "unknown session: Disconnect-NAK" grep -q "Received Disconnect-NAK" <<<"$out"
check "... Session-Context-Not-Found" grep -q "Error-Cause = Session-Context-Not-Found" <<<"$out"
out=$(printf 'Acct-Session-Id = "%s"\nFramed-Pool = "x"\n' "$sida" | dac coa dae-secret)
check "Framed-Pool: CoA-NAK Unsupported-Attribute" \
	grep -q "Error-Cause = Unsupported-Attribute" <<<"$out"
out=$(printf 'Acct-Session-Id = "%s"\nChilliSpot-Max-Total-Octets = 9000000\n' "$sida" |
	dac coa dae-secret)
check "raising a paid quota: CoA-NAK Administratively-Prohibited" \
	grep -q "Error-Cause = Administratively-Prohibited" <<<"$out"
st=$(fr_op contract-show "$alice")
expect "alice unchanged: state" active "$(fr_field state "$st")"
expect "alice unchanged: hard" 2000000 "$(fr_field hard "$st")"

# --- a live CoA ---
out=$(printf 'User-Name = "%s"\nFramed-IP-Address = 127.0.0.2\nFilter-Id = "suspend"\nChilliSpot-Max-Total-Octets = 1500000\nMessage-Authenticator = 0x00\n' \
	"$(sqlite3 "$T/muispd.db" "SELECT user_name FROM acct_sessions WHERE sid = '$sida'")" |
	dac coa dae-secret)
check "live CoA: CoA-ACK" grep -q "Received CoA-ACK" <<<"$out"
st=$(fr_op contract-show "$alice")
expect "alice suspended by the CoA" suspended "$(fr_field state "$st")"
expect "alice's hard limit lowered" 1500000 "$(fr_field hard "$st")"
expect "bob untouched" active "$(state "$bob")"

# --- a live Disconnect ---
printf 'Acct-Session-Id = "%s"\nEvent-Timestamp = %d\nMessage-Authenticator = 0x00\n' \
	"$sida" "$(date +%s)" >"$T/dm.txt"
out=$(nsx radclient -x -r 1 -t 2 127.0.0.1:3799 disconnect dae-secret <"$T/dm.txt" 2>&1 || true)
check "live Disconnect: Disconnect-ACK" grep -q "Received Disconnect-ACK" <<<"$out"
check "... with a Message-Authenticator" grep -q "Message-Authenticator" <<<"$(sed -n '/Received Disconnect-ACK/,$p' <<<"$out")"
st=$(fr_op contract-show "$alice")
check "alice ended (settlement or extinguished)" \
	grep -Eq '^(in-settlement|extinguished)$' <<<"$(fr_field state "$st")"
check "alice no longer bound" eval '[ -z "$(fr_field addr "$st")" ]'
expect "bob still active" active "$(state "$bob")"
expect "alice's session stopped with Admin-Reset (6)" 6 \
	"$(sqlite3 "$T/muispd.db" "SELECT cause FROM acct_sessions WHERE sid = '$sida' AND stopped IS NOT NULL")"
wait_until -t 10 -m "alice's Stop at the server" \
	grep -q "^Stop|$sida|" "$T/fr/visited/log/acct.log"
check "the server's Stop says Admin-Reset" \
	grep -q "^Stop|$sida|.*|Admin-Reset|" "$T/fr/visited/log/acct.log"
expect "bob's session open" 1 \
	"$(sqlite3 "$T/muispd.db" "SELECT count(*) FROM acct_sessions WHERE sid = '$sidb' AND stopped IS NULL")"
expect "dae.disconnect_acks" 1 "$(counter dae.disconnect_acks)"
expect "dae.contracts_ended" 1 "$(counter dae.contracts_ended)"
expect "dae.nak_503" 1 "$(counter dae.nak_503)"
expect "dae.coa_acks" 1 "$(counter dae.coa_acks)"
summary
