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
# MUISP_FR_* set).
#
# usage: tests/radius/radclient.sh     (root; make build/san/tests/test_radclient)
# Prints one line per check and "radius-radclient: N passed, N failed".
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/radius/fr.sh"
CHECK_SUITE=radius-radclient
bin=$top/build/san/tests/test_radclient
[ "$(id -u)" = 0 ] || fail "run as root (a netns of its own)"
[ -x "$bin" ] || fail "make build/san/tests/test_radclient first"

T=$(mktemp -d /tmp/muisp-rad-radclient.XXXXXX)
NS=muisp-rad-radclient-$$
cleanup() {
	fr_stop "$T/fr" visited
	fr_stop "$T/fr" home
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

ip netns add "$NS"
ip -n "$NS" link set lo up
fr_setup "$T/fr"
fr_start "$T/fr" home "$NS"
fr_start "$T/fr" visited "$NS"

# shellcheck disable=SC2154 # set by fr_start
check "radclient against FreeRADIUS (accounting, PAP local and roaming, Status-Server after an outage)" \
	env MUISP_FR_PID="$_fr_pid_visited" MUISP_FR_HOST=127.0.0.1 \
	MUISP_FR_SECRET=nas-secret \
	ip netns exec "$NS" "$bin"
# the server logged the records (the outage's one at least once more)
n=$(grep -c '|0000beef-1-1|' "$T/fr/visited/log/acct.log" || true)
check "acct.log has both records ($n lines)" test "$n" -ge 2
check "auth.log: local1 accepted and rejected" \
	grep -q '^local1|Access-Reject' "$T/fr/visited/log/auth.log"
check "home auth.log: the roaming user" \
	grep -q '^u@partner.example|Access-Accept' "$T/fr/home/log/auth.log"
summary
