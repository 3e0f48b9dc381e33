#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The operator's example docs/examples/freeradius/ on Debian's own
# /etc/freeradius/3.0 (a copy), installed as its README says, against the
# partner's home server of the tests (tests/radius/freeradius/home), in a
# netns; radclient plays the router:
#   - u@partner.example is proxied to the home and accepted, the Accept
#     carries the home's limits and Class, and a Message-Authenticator
#     (the post-auth lines: what muispd requires, BLAST-RADIUS)
#   - bad@partner.example: Reject with the home's Reply-Message, signed
#   - a request without Message-Authenticator is dropped
#     (require_message_authenticator in the client)
#   - an Accounting-Request of a roamer reaches the home's acct.log and
#     the muisp_acctlog line here, once
# Only the addresses and secrets the README tells the operator to edit
# are changed (and the listen address: the home shares the netns).
#
# usage: tests/radius/example.sh    (root; needs /etc/freeradius/3.0)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/radius/fr.sh"
CHECK_SUITE=radius-example CHECK_FATAL=1
fr_need
[ -r /etc/freeradius/3.0/radiusd.conf ] || fail "no /etc/freeradius/3.0"

fr_part example home
vpid=
fr_at_exit() {
	if [ "$1" -ne 0 ] && [ -e "$T/log/stdout.log" ]; then
		echo "--- the example's server" >&2
		tail -n 20 "$T/log/stdout.log" >&2
	fi
	fr_kill "$vpid"
}

# --- the README's installation, on a copy of Debian's tree ---
ex=$top/docs/examples/freeradius
D=$T/raddb
cp -r /etc/freeradius/3.0 "$D"
# Debian's "client localhost" is 127.0.0.1, where radclient plays the
# router here: moved out of the way (a real router is never localhost)
sed -i 's/^\(\s*ipaddr = \)127\.0\.0\.1$/\1127.0.0.254/' "$D/clients.conf"
cat "$ex/clients.conf.muisp" >>"$D/clients.conf"
cat "$ex/proxy.conf.muisp" >>"$D/proxy.conf"
cp "$ex/mods-available/muisp_linelog" "$D/mods-available/"
cp "$ex/sites-available/muisp" "$D/sites-available/"
ln -s ../mods-available/muisp_linelog "$D/mods-enabled/"
ln -s ../sites-available/muisp "$D/sites-enabled/"
rm "$D/sites-enabled/default"
# ... the operator's edits: router and partner addresses, secrets
sed -i 's/192\.0\.2\.1/127.0.0.1/; s/CHANGE-ME-nas-secret/nas-secret/' \
	"$D/clients.conf"
sed -i 's/198\.51\.100\.10/127.0.0.2/; s/CHANGE-ME-proxy-secret/proxy-secret/' \
	"$D/proxy.conf"
sed -i 's/ipaddr = \*/ipaddr = 127.0.0.1/' "$D/sites-available/muisp"
# ... and a private place to run: paths, no user switch
mkdir -p "$T/log" "$T/run"
sed -i -e "s#^raddbdir = .*#raddbdir = $D#" -e "s#^logdir = .*#logdir = $T/log#" \
	-e "s#^run_dir = .*#run_dir = $T/run#" \
	-e 's/^\(\s*\)\(user\|group\) = freerad/\1#\2 = freerad/' \
	"$D/radiusd.conf"
chmod -R go-w "$D"
freeradius -XC -d "$D" >"$T/check.out" 2>&1 || fail "freeradius -XC: $(tail -n 5 "$T/check.out")"
ok "Debian's tree with the example passes freeradius -XC"

: >"$T/log/stdout.log"
ip netns exec "$NS" freeradius -f -d "$D" -l "$T/log/stdout.log" \
	>>"$T/log/stdout.log" 2>&1 &
vpid=$!
wait_until -t 20 -m "the example's server ready" \
	grep -q 'Ready to process' "$T/log/stdout.log"

# rad FILE PORT TYPE: radclient's verbose exchange with the example
rad() {
	ip netns exec "$NS" radclient -x -r1 -t3 "127.0.0.1:$2" "$3" \
		nas-secret <"$1" >"$T/rad.out" 2>&1 || true
}

printf '%s\n' 'User-Name = "u@partner.example"' 'User-Password = "roampw"' \
	'Message-Authenticator = 0x00' 'NAS-Identifier = "muisp-example"' \
	>"$T/u.req"
rad "$T/u.req" 1812 auth
check "u@partner.example accepted through the proxy" \
	grep -q 'Received Access-Accept' "$T/rad.out"
check "... with the home's Session-Timeout" grep -q 'Session-Timeout = 3600' "$T/rad.out"
check "... quota" grep -q 'ChilliSpot-Max-Total-Octets = 50000000' "$T/rad.out"
check "... and Class" grep -q 'Class = 0x706172746e65722d62696c6c2d30303031' "$T/rad.out"
check "... signed: Message-Authenticator in the Accept" \
	eval "sed -n '/Received Access-Accept/,\$p' \"\$T/rad.out\" | grep -q Message-Authenticator"
check "the home's auth.log saw it" \
	grep -q '^u@partner.example|Access-Accept' "$T/fr/home/log/auth.log"
check "muisp_authlog logged it here" \
	grep -q '^u@partner.example|Access-Accept' "$T/log/muisp-auth.log"

printf '%s\n' 'User-Name = "bad@partner.example"' 'User-Password = "x"' \
	'Message-Authenticator = 0x00' >"$T/bad.req"
rad "$T/bad.req" 1812 auth
check "bad@partner.example rejected" grep -q 'Received Access-Reject' "$T/rad.out"
check "... with the home's Reply-Message" grep -q 'Reply-Message = "account suspended"' "$T/rad.out"
check "... signed" \
	eval "sed -n '/Received Access-Reject/,\$p' \"\$T/rad.out\" | grep -q Message-Authenticator"

printf '%s\n' 'User-Name = "u@partner.example"' 'User-Password = "roampw"' \
	>"$T/noma.req"
rad "$T/noma.req" 1812 auth
check "a request without Message-Authenticator gets no answer" \
	eval '! grep -q "Received Access" "$T/rad.out"'

now=$(date +%s)
printf '%s\n' 'Acct-Status-Type = Start' 'Acct-Session-Id = "ex-1-1"' \
	'User-Name = "u@partner.example"' 'Class = 0x706172746e65722d62696c6c2d30303031' \
	"Event-Timestamp = $now" 'Message-Authenticator = 0x00' >"$T/start.req"
rad "$T/start.req" 1813 acct
check "the roamer's Start acknowledged" grep -q 'Received Accounting-Response' "$T/rad.out"
wait_until -t 5 -m "the Start in the home's acct.log" \
	grep -q '^Start|ex-1-1|' "$T/fr/home/log/acct.log"
ok "the home's acct.log has the roamer's Start"
check "... with User-Name and Class" grep -q \
	'^Start|ex-1-1|[^|]*|[^|]*|[^|]*|u@partner.example|\(partner-bill-0001\|0x706172746e65722d62696c6c2d30303031\)|' \
	"$T/fr/home/log/acct.log"
expect "muisp-acct.log here: one line (logged after the home's answer)" 1 \
	"$(grep -c '^Start|ex-1-1|' "$T/log/muisp-acct.log")"

summary
