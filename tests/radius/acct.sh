#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RADIUS accounting records (issue 12 item 1; daemon/muispd/acct.c) at a
# real FreeRADIUS 3.2, on the host: root, its own netns, the "visited"
# server of tests/radius/fr.sh on 127.0.0.1 (one acct.log line per
# request), muispd with "kernel no" (usage through the operator socket,
# counted as Input).
#   - Accounting-On at the first start; a voucher contract's Start
#     (User-Name the code's first half, Framed-IP, NAS-Identifier, the
#     ids INST-SERIALHEX-BINDNO / INST-SERIALHEX)
#   - Interims every radius-interim (2 s) with the usage, Gigawords above
#     4 GiB
#   - the operator's unbind: Stop Admin-Reset; bound again: a new session
#     (BINDNO 2, the same Multi-Session-Id)
#   - kill -9 and restart: no Accounting-On, the session goes on
#   - the user's terminate: Stop User-Request with the session's counters
#   - SIGTERM: Stop NAS-Request for the open session and Accounting-Off,
#     delivered before muispd exits; the next start: Accounting-On and a
#     new Start
#   - after deduplication one Start and one Stop per session
#
# usage: tests/radius/acct.sh [BINDIR]       (default build/bin)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/radius/fr.sh"
CHECK_SUITE=radius-acct CHECK_FATAL=1
bin=${1:-$top/build/bin}
fr_need muispd muisp-client

fr_part acct visited
fr_at_exit() {
	[ "$1" -ne 0 ] || return 0
	echo "--- acct.log" >&2
	tail -n 20 "$T/fr/visited/log/acct.log" >&2 || true
	echo "--- acct_spool" >&2
	sqlite3 "$T/muispd.db" "SELECT id, sid, status, event_ts FROM acct_spool" >&2 || true
	sqlite3 "$T/muispd.db" "SELECT * FROM acct_sessions" >&2 || true
}
LOG=$T/fr/visited/log/acct.log

testca_router "$T"
fr_secret radius.secret nas-secret
port=4433
{
	fr_conf
	cat <<EOF
price bytes voucher esp 1 1000000
radius-nas-identifier muisp-acct-test
radius-nas-ip 192.0.2.1
radius-acct-server 127.0.0.1:1813 $T/radius.secret
radius-timeout 1
radius-interim 2
radius-interim-min 2
radius-interim-jitter 0
radius-stop-wait 5
EOF
} >"$T/muispd.conf"

# the acct.log lines of status $1 (and session $2): field $3
lines() { awk -F'|' -v st="$1" -v sid="${2:-}" '$1 == st && (sid == "" || $2 == sid)' "$LOG"; }
n() { lines "$@" | wc -l; }
col() { lines "$1" "$2" | tail -n1 | cut -d'|' -f"$3"; }
db() { sqlite3 "$T/muispd.db" "$1"; }

fr_muispd_start
wait_until -t 10 -m "Accounting-On" eval '[ "$(n Accounting-On)" = 1 ]'
ok "first start: Accounting-On"

# --- a voucher contract: Start ---
code=$(fr_field code "$(fr_op voucher-issue 100000)")
out=$(fr_cl a 127.0.0.3 -m voucher -P "$code" --start buy bytes 30000000000 40000000000)
serial=$(fr_field serial "$(tail -n1 <<<"$out")")
sid=$(db "SELECT sid FROM acct_sessions WHERE serial = $serial AND stopped IS NULL")
inst=${sid%%-*}
expect "Acct-Session-Id INST-SERIALHEX-1" "$inst-$(printf %x "$serial")-1" "$sid"
wait_until -t 10 -m "the Start" eval '[ "$(n Start "$sid")" = 1 ]'
expect "Start: Multi-Session-Id" "$inst-$(printf %x "$serial")" "$(col Start "$sid" 3)"
expect "Start: User-Name the code's first half" "${code:0:9}" "$(col Start "$sid" 6)"
expect "Start: Framed-IP-Address" 127.0.0.3 "$(col Start "$sid" 17)"
expect "Start: NAS-Identifier" muisp-acct-test "$(col Start "$sid" 19)"
check "the code's second half is nowhere in acct.log" eval '! grep -q "${code:10:9}" "$LOG"'

# --- Interims with the usage, Gigawords ---
big=$((5 * 4294967296 + 12345))
fr_op usage-add "$serial" $big >/dev/null
wait_until -t 10 -m "an Interim with Gigawords" \
	eval '[ -n "$(lines Interim-Update "$sid" | awk -F"|" "\$9 == 5")" ]'
expect "Interim: Input-Octets the low word" 12345 \
	"$(lines Interim-Update "$sid" | awk -F'|' '$9 == 5 { print $8 }' | tail -n1)"
# shellcheck disable=SC2034 # used in the eval below
t1=$(lines Interim-Update "$sid" | tail -n1 | cut -d'|' -f5)
wait_until -t 10 -m "the next Interim" \
	eval '[ "$(lines Interim-Update "$sid" | tail -n1 | cut -d"|" -f5)" -gt "$t1" ]'
ok "Interims go on (radius-interim 2)"

# --- the operator's unbind: Stop Admin-Reset; bound again: session 2 ---
fr_op unbind "$serial" >/dev/null
wait_until -t 10 -m "the Stop" eval '[ "$(n Stop "$sid")" = 1 ]'
expect "Stop: Admin-Reset" Admin-Reset "$(col Stop "$sid" 16)"
expect "Stop: Input-Gigawords" 5 "$(col Stop "$sid" 9)"
fr_cl a 127.0.0.3 bind >/dev/null
sid2=$(db "SELECT sid FROM acct_sessions WHERE serial = $serial AND stopped IS NULL")
expect "bound again: BINDNO 2" "$inst-$(printf %x "$serial")-2" "$sid2"
wait_until -t 10 -m "its Start" eval '[ "$(n Start "$sid2")" = 1 ]'
expect "the same Multi-Session-Id" "$(col Start "$sid" 3)" "$(col Start "$sid2" 3)"

# --- kill -9: no Accounting-On, the session goes on ---
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
fr_muispd_start
fr_cl a 127.0.0.3 start >/dev/null # bound again: suspended
fr_op usage-add "$serial" 1000 >/dev/null
wait_until -t 10 -m "an Interim of the same session after the crash" \
	eval '[ -n "$(lines Interim-Update "$sid2" | awk -F"|" "\$8 == 1000")" ]'
expect "no Accounting-On after the crash" 1 "$(n Accounting-On)"

# --- the user's terminate: Stop User-Request ---
fr_cl a 127.0.0.3 terminate >/dev/null
wait_until -t 10 -m "the Stop" eval '[ "$(n Stop "$sid2")" = 1 ]'
expect "Stop: User-Request" User-Request "$(col Stop "$sid2" 16)"
expect "Stop: the session's Input-Octets" 1000 "$(col Stop "$sid2" 8)"

# --- SIGTERM: Stop NAS-Request, Accounting-Off, delivered before exit ---
code=$(fr_field code "$(fr_op voucher-issue 1000)")
out=$(fr_cl b 127.0.0.4 -m voucher -P "$code" --start buy bytes 90000000 100000000)
serial=$(fr_field serial "$(tail -n1 <<<"$out")")
sid3=$(db "SELECT sid FROM acct_sessions WHERE serial = $serial AND stopped IS NULL")
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
expect "at exit: the Stop at the server" 1 "$(n Stop "$sid3")"
expect "Stop: NAS-Request" NAS-Request "$(col Stop "$sid3" 16)"
expect "at exit: Accounting-Off at the server" 1 "$(n Accounting-Off)"
expect "the spool empty" 0 "$(db 'SELECT count(*) FROM acct_spool')"
fr_muispd_start
wait_until -t 10 -m "Accounting-On after the clean stop" eval '[ "$(n Accounting-On)" = 2 ]'
sid4=$(db "SELECT sid FROM acct_sessions WHERE serial = $serial AND stopped IS NULL")
wait_until -t 10 -m "a new Start" eval '[ "$(n Start "$sid4")" = 1 ]'
check "a new session" test "$sid4" != "$sid3"

# --- after deduplication (Status-Type, Session-Id, Event-Timestamp; a
# retransmission or a record re-sent after the kill -9 may come twice):
# one Start and at most one Stop per session ---
twice=$(fr_dedup "$LOG" | cut -d' ' -f2 | awk -F'|' '$1 == "Start" || $1 == "Stop" { print $1 "|" $2 }' | sort | uniq -d)
expect "one Start, one Stop per session after dedup" "" "$twice"
summary
