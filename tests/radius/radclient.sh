#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# muispd's RADIUS client (daemon/muispd/radclient.c) against a real
# FreeRADIUS 3.2 (tests/radius/fr.sh: visited proxying partner.example to
# home) in a netns of its own: an Accounting-Request acknowledged; PAP
# Access-Requests accepted and rejected, locally and through the proxy,
# with the Message-Authenticator muispd requires in the replies; the
# server stopped (SIGSTOP) is marked dead, answers the Status-Server probe
# once continued and gets the record, rebuilt.  The C side is
# build/san/tests/test_radclient's "freeradius" group (it runs only with
# MUISP_FR_* set).  Then muispd itself (kernel no) with radius-* keys: a
# secret file others may read refused by name (the secret in no message),
# the clients' counters in muispctl stats radius, SIGHUP adding a server,
# a reload with a bad secret file refused.
#
# usage: tests/radius/radclient.sh [BINDIR]   (root; default $MUISP_BIN or build/bin;
#        make build/san/tests/test_radclient build/bin/muispd
#        build/bin/muispctl)
# Prints one line per check and "radius-radclient: N passed, N failed".
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/radius/fr.sh"
CHECK_SUITE=radius-radclient
tbin=$top/build/san/tests/test_radclient
bin=${1:-${MUISP_BIN:-$top/build/bin}}
[ -x "$tbin" ] || fail "make build/san/tests/test_radclient first"
fr_need muispd muispctl

fr_part radclient
# shellcheck disable=SC2154 # set by fr_start
check "radclient against FreeRADIUS (accounting, PAP local and roaming, Status-Server after an outage)" \
	env MUISP_FR_PID="$_fr_pid_visited" MUISP_FR_HOST=127.0.0.1 \
	MUISP_FR_SECRET=nas-secret \
	ip netns exec "$NS" "$tbin"
# the server logged the records (the outage's one at least once more)
n=$(grep -c '|0000beef-1-1|' "$T/fr/visited/log/acct.log" || true)
check "acct.log has both records ($n lines)" test "$n" -ge 2
check "auth.log: local1 accepted and rejected" \
	grep -q '^local1|Access-Reject' "$T/fr/visited/log/auth.log"
check "home auth.log: the roaming user" \
	grep -q '^u@partner.example|Access-Accept' "$T/fr/home/log/auth.log"

# ---- muispd with radius-* keys ----
fr_secret secret nas-secret
printf 'nas-secret\n' >"$T/open-secret"
chmod 644 "$T/open-secret"
cat >"$T/base.conf" <<EOF
listen 127.0.0.1
port 14433
socket $T/muispd.sock
database $T/muispd.db
kernel no
tls no
price bytes voucher ah 10 1000000
radius-nas-identifier radclient-test
radius-auth-server 127.0.0.1:1812 $T/secret
radius-acct-server 127.0.0.1:1813 $T/secret
EOF
cp "$T/base.conf" "$T/muispd.conf"
{
	cat "$T/base.conf"
	echo "radius-acct-server 127.0.0.2:1813 $T/open-secret"
} >"$T/bad.conf"
if out=$("$bin/muispd" -n -f "$T/bad.conf" 2>&1); then
	bad "a readable secret file accepted"
else
	expect "a readable secret file refused by name" \
		"muispd: $T/bad.conf:11: radius-acct-server: '$T/open-secret': secret: group or others may access it (mode 0644): chmod 600 it" \
		"$(head -1 <<<"$out")"
fi

ctl() { "$bin/muispctl" --daemon "$T/muispd.sock" "$@"; }
fr_muispd_start
js=$(ctl --json stats radius)
check "stats radius: one auth server, up" \
	grep -q '"auth_servers":1,"auth_servers_up":1,' <<<"$js"
check "stats radius: one acct server, up" \
	grep -q '"acct_servers":1,"acct_servers_up":1,' <<<"$js"
check "stats radius as text" grep -Eq '^acct.sent: +[0-9]+$' <<<"$(ctl stats radius)"
# muispd's Accounting-On (acct.c, through the spool's sender) acked by
# FreeRADIUS
acked() { ctl --json stats radius | grep -q '"acct_acked":[1-9]'; }
wait_until -t 10 -m "Accounting-On acked" acked && ok "Accounting-On acked"

# SIGHUP: a second accounting server
{
	cat "$T/base.conf"
	echo "radius-acct-server 127.0.0.2:1813 $T/secret"
} >"$T/muispd.conf"
kill -HUP "$pid"
two() { ctl --json stats radius | grep -q '"acct_servers":2,'; }
wait_until -t 10 -m "two accounting servers after SIGHUP" two &&
	ok "SIGHUP: a second accounting server"
# a reload with a bad secret file is refused: the running servers stay
cp "$T/bad.conf" "$T/muispd.conf"
kill -HUP "$pid"
wait_until -t 10 -m "the refused reload logged" \
	grep -q 'reload refused' "$T/muispd.log" &&
	ok "SIGHUP with a readable secret file refused"
check "still two accounting servers" two
check "the secret in no log line" eval '! grep -q nas-secret "$T/muispd.log"'
summary
