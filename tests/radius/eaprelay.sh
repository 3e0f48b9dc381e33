#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The EAP roaming relay (daemon/muispd/radrelay.c) against two real
# FreeRADIUS 3.2 (tests/radius/fr.sh: "visited" proxies partner.example to
# "home"), on the host: root, its own netns, muispd with "kernel no" and
# radius-eap-relay.  radclient stands in for charon's eap-radius (same
# secret as radius-auth-server, Message-Authenticator, NAS-Port = the
# IKE_SA): it verifies every reply's Response Authenticator itself, so an
# answer at all means the datagrams passed unchanged both ways.
#   - config: radius-eap-relay without a 'price METRIC roam esp' line, or
#     without radius-auth-server, is refused by muispd -n
#   - u@partner.example (PAP through the relay, the proxy and the home):
#     Access-Accept with the home's attributes; the tap kept it (log)
#   - bad@partner.example: the Reject and its Reply-Message pass
#   - a request with another secret: no answer, counted
#     (eap_relay.dropped_authenticator), the home never sees it
#   - muispctl stats radius shows the relay's counters
#
# usage: tests/radius/eaprelay.sh [BINDIR]       (default build/bin)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/radius/fr.sh"
CHECK_SUITE=radius-eaprelay CHECK_FATAL=1
bin=${1:-${MUISP_BIN:-$top/build/bin}}
fr_need muispd muispctl

fr_part eaprelay
ok "two FreeRADIUS (visited proxies partner.example to home)"

fr_secret radius.secret nas-secret
port=4433 FR_PLAIN=1
base() {
	fr_conf
	cat <<-EOF
	price bytes voucher esp 10 1000000
	radius-nas-identifier muisp-eaprelay-test
	radius-roam-realms partner.example
	radius-eap-relay 127.0.0.1:18120
	EOF
}
{ base; echo "radius-auth-server 127.0.0.1:1812 $T/radius.secret"; } >"$T/noprice.conf"
! "$bin/muispd" -n -f "$T/noprice.conf" 2>"$T/check.err" ||
	fail "no roam price line accepted"
grep -q "radius-eap-relay: no line 'price bytes roam esp" "$T/check.err" ||
	fail "wrong refusal: $(cat "$T/check.err")"
{ base; echo "price bytes roam esp 1 1000"; } >"$T/noauth.conf"
! "$bin/muispd" -n -f "$T/noauth.conf" 2>"$T/check.err" ||
	fail "no auth server accepted"
grep -q "radius-eap-relay: no radius-auth-server" "$T/check.err" ||
	fail "wrong refusal: $(cat "$T/check.err")"
ok "muispd -n: radius-eap-relay needs a roam price line and an auth server"

{
	base
	echo "price bytes roam esp 1 1000"
	echo "radius-auth-server 127.0.0.1:1812 $T/radius.secret"
} >"$T/muispd.conf"
fr_muispd_check
fr_muispd_start
grep -q "radius-eap-relay: listening on 127.0.0.1:18120" "$T/muispd.log" ||
	fail "relay not listening"
ok "muispd listens on the relay port"

# ask USER PASSWORD NAS-PORT SECRET: one Access-Request through the relay
ask() {
	printf 'User-Name = "%s"\nUser-Password = "%s"\nNAS-Port = %s\nNAS-Port-Id = "muisp-eap-roam"\nCalling-Station-Id = "192.0.2.9"\nMessage-Authenticator = 0x00\n' \
		"$1" "$2" "$3" |
		nsx radclient -x -r1 -t2 127.0.0.1:18120 auth "$4" 2>&1 || true
}
out=$(ask u@partner.example roampw 77 nas-secret)
grep -q "Received Access-Accept" <<<"$out" || fail "no Accept through the relay: $out"
grep -q 'ChilliSpot-Max-Total-Octets = 50000000' <<<"$out" ||
	fail "the home's attributes did not pass: $out"
grep -q 'Class = 0x706172746e65722d62696c6c2d30303031' <<<"$out" ||
	fail "the home's Class did not pass: $out"
ok "Access-Accept from home through proxy and relay, verified by radclient"
wait_until -t 5 -m "the tap's log line" grep -q \
	"radius relay: Access-Accept for u@partner.example (IKE_SA 77) kept" \
	"$T/muispd.log"
ok "the tap kept the Accept by NAS-Port (IKE_SA 77)"

out=$(ask bad@partner.example x 78 nas-secret)
grep -q "Received Access-Reject" <<<"$out" || fail "no Reject through the relay: $out"
grep -q 'Reply-Message = "account suspended"' <<<"$out" ||
	fail "the Reply-Message did not pass: $out"
ok "Access-Reject with the home's Reply-Message through the relay"

n_home=$(wc -l <"$T/fr/home/log/auth.log")
out=$(ask u@partner.example roampw 79 wrong-secret)
! grep -q "Received Access" <<<"$out" || fail "a wrong secret got an answer: $out"
expect "the home saw nothing of it" "$n_home" "$(wc -l <"$T/fr/home/log/auth.log")"
stats=$("$bin/muispctl" --daemon "$T/muispd.sock" stats radius)
grep -Eq "eap_relay.dropped_authenticator: +1$" <<<"$stats" ||
	fail "not counted: $stats"
grep -Eq "eap_relay.accepts: +1$" <<<"$stats" || fail "accepts: $stats"
grep -Eq "eap_relay.replies: +2$" <<<"$stats" || fail "replies: $stats"
ok "a request with another secret: dropped and counted (muispctl stats radius)"
! grep -q "nas-secret" "$T/muispd.log" || fail "the secret in muispd's log"
ok "the secret in no log line"
summary
