#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Accounting that loses nothing (issue 12 item 2; daemon/muispd/acct_spool.c
# on radclient.c), on the host: root, its own netns, two real FreeRADIUS
# 3.2 (tests/radius/fr.sh) as muispd's two accounting servers: "visited"
# 127.0.0.1:1813 the primary, "home" 127.0.0.2:1813 the secondary.  muispd
# runs with "kernel no" (usage through the operator socket), Interims
# every 2 s (radius-interim-min 2).
#   - three voucher contracts bound (Starts), used (one past 4 GiB:
#     Gigawords), Interims at the primary
#   - the primary stopped: the Interims go to the secondary (failover)
#   - both stopped for more than 5 Interim intervals; muispd killed with
#     -9 in between and started again (no second Accounting-On: the
#     sessions go on under the same Acct-Session-Id)
#   - the primary started again: the spool drains; the contracts end
#     (Stops, User-Request); a clean stop sends Accounting-Off
#   - every record spooled during the outage arrived; after dedup
#     (Status-Type, Acct-Session-Id, Event-Timestamp) each session has one
#     Start first, one Stop last, Interims in order with counters that
#     never go down, the Stop's octets = the usage fed, Session-Time =
#     Stop - Start; the spool is empty; a re-sent record carries a fresh
#     Acct-Delay-Time
#   - muispctl report cdr agrees with the Stops in acct.log
#
# usage: tests/radius/outage.sh [BINDIR]       (default build/bin)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/radius/fr.sh"
CHECK_SUITE=radius-outage CHECK_FATAL=1
bin=${1:-${MUISP_BIN:-$top/build/bin}}
fr_need muispd muisp-client muispctl
command -v sqlite3 >/dev/null || fail "sqlite3 not installed"

fr_part outage visited home
db() { sqlite3 -readonly "$T/muispd.db" "$@"; }
ok "two FreeRADIUS: primary visited 127.0.0.1, secondary home 127.0.0.2"

testca_router "$T"

# the home server knows 127.0.0.1 as the visited proxy's address
fr_secret visited.secret nas-secret
fr_secret home.secret proxy-secret
port=4433
{
	fr_conf
	cat <<EOF
currency EUR
price bytes voucher esp 1 1000000
radius-nas-identifier muisp-outage-test
radius-acct-server 127.0.0.1:1813 $T/visited.secret
radius-acct-server 127.0.0.2:1813 $T/home.secret
radius-timeout 1
radius-retries 1
radius-dead-time 1
radius-interim 2
radius-interim-min 2
radius-interim-jitter 0
radius-stop-wait 5
EOF
} >"$T/muispd.conf"

fr_muispd_check
fr_muispd_start

VLOG=$T/fr/visited/log/acct.log
HLOG=$T/fr/home/log/acct.log
touch "$VLOG" "$HLOG"

# --- three contracts bound and used ---
declare -A serial used src
users=(alice bob carol)
src=([alice]=127.0.0.3 [bob]=127.0.0.4 [carol]=127.0.0.5)
for u in "${users[@]}"; do
	code=$(fr_field code "$(fr_op voucher-issue 20000)")
	out=$(fr_cl "$u" "${src[$u]}" -m voucher -P "$code" --start \
		buy bytes 9000000000 10000000000)
	serial[$u]=$(fr_field serial "$(tail -n1 <<<"$out")")
	[ -n "${serial[$u]}" ] || fail "$u: no contract: $out"
	used[$u]=0
done
ok "three voucher contracts bound: ${serial[*]}"
feed() { # feed USER BYTES
	fr_op usage-add "${serial[$1]}" "$2" >/dev/null
	used[$1]=$((used[$1] + $2))
}
feed_all() {
	feed alice "$1"
	feed bob $(($1 / 2))
	feed carol $(($1 / 3))
}
sid_of() { db "SELECT sid FROM acct_sessions WHERE serial = ${serial[$1]}"; }
declare -A sid
for u in "${users[@]}"; do
	sid[$u]=$(sid_of "$u")
	[ -n "${sid[$u]}" ] || fail "$u: no accounting session"
done
feed_all 1000000
# every session's Start and an Interim at the primary
interims_in() { # interims_in LOG SID
	grep -c "^Interim-Update|$2|" "$1" || true
}
all_have() { # all_have LOG N: every session has N Interims in LOG
	local u
	for u in "${users[@]}"; do
		[ "$(interims_in "$1" "${sid[$u]}")" -ge "$2" ] || return 1
	done
}
wait_until -t 15 -m "Interims at the primary" all_have "$VLOG" 1
for u in "${users[@]}"; do
	check "$u: Start at the primary" grep -q "^Start|${sid[$u]}|" "$VLOG"
done
expect "Accounting-On at the primary" 1 "$(grep -c '^Accounting-On|' "$VLOG")"

# --- the primary down: failover to the secondary ---
fr_stop "$T/fr" visited
feed_all 2000000
wait_until -t 20 -m "Interims at the secondary" all_have "$HLOG" 1
ok "primary down: the Interims went to the secondary"

# --- both down: records accumulate; kill -9 in between ---
fr_stop "$T/fr" home
t_out=$(date +%s)
spooled() { # spooled N: every session has N Interims in the spool
	local u
	for u in "${users[@]}"; do
		[ "$(db "SELECT count(*) FROM acct_spool WHERE sid = '${sid[$u]}' AND status = 3")" -ge "$1" ] || return 1
	done
}
feed alice 4500000000 # past 4 GiB: Gigawords
wait_until -t 20 -m "3 Interims each spooled" spooled 3
feed_all 3000000
# "kernel no" keeps usage in muispd's memory until the checkpoint (the
# module would keep counting across the crash): kill after it
checkpointed() {
	local u
	for u in "${users[@]}"; do
		[ "$(db "SELECT usage FROM contracts WHERE serial = ${serial[$u]}")" = "${used[$u]}" ] || return 1
	done
}
wait_until -t 10 -m "usage checkpointed" checkpointed
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
ok "muispd killed with -9 during the outage"
rows=$(db "SELECT count(*) FROM acct_spool")
check "the spool kept the records ($rows)" test "$rows" -ge 9
fr_muispd_start
for u in "${users[@]}"; do
	expect "$u: the same session after the crash" "${sid[$u]}" "$(sid_of "$u")"
done
feed_all 4000000
wait_until -t 30 -m "6 Interims each spooled" spooled 6
t_back=$(date +%s)
check "outage of at least 5 Interim intervals ($((t_back - t_out)) s)" \
	test $((t_back - t_out)) -ge 10
# what the spool holds now must all arrive
db "SELECT CASE status WHEN 1 THEN 'Start' WHEN 2 THEN 'Stop'
	WHEN 3 THEN 'Interim-Update' WHEN 7 THEN 'Accounting-On'
	WHEN 8 THEN 'Accounting-Off' END || '|' || sid || '|' || event_ts
	FROM acct_spool ORDER BY id" >"$T/snapshot"
check "the snapshot has the outage's records ($(wc -l <"$T/snapshot"))" \
	test "$(wc -l <"$T/snapshot")" -ge 18

# --- the primary back: the spool drains ---
fr_start "$T/fr" visited "$NS"
spool_empty() { [ "$(db 'SELECT count(*) FROM acct_spool')" = 0 ]; }
wait_until -t 40 -m "the spool drained to the primary" spool_empty
ok "spool drained after the outage"
feed_all 5000000
for u in "${users[@]}"; do
	fr_cl "$u" "${src[$u]}" terminate >/dev/null
done
wait_until -t 20 -m "the Stops delivered" spool_empty
kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
wait_until -t 10 -m "Accounting-Off" grep -q '^Accounting-Off|' "$VLOG"

# --- what the servers saw ---
cat "$VLOG" "$HLOG" >"$T/all.log"
cut -d'|' -f1,2,5 "$T/all.log" | sort -u >"$T/keys"
missing=$(sort -u "$T/snapshot" | comm -23 - "$T/keys" | wc -l)
expect "every record spooled during the outage arrived" 0 "$missing"
expect "one Accounting-On in all (none after the crash)" 1 \
	"$(grep -c '^Accounting-On|' "$T/keys")"
expect "one Accounting-Off" 1 "$(grep -c '^Accounting-Off|' "$T/keys")"
dups=$(fr_dedup "$T/all.log" | awk '$1 > 1' | wc -l)
ok "dedup: $(wc -l <"$T/keys") records, $dups of them received more than once"
# 64-bit octets of a line (Input+Gigawords, Output+Gigawords)
octets() { # octets LINE -> "IN OUT"
	awk -F'|' '{ printf "%.0f %.0f\n", $8 + $9 * 4294967296, $10 + $11 * 4294967296 }' <<<"$1"
}
delayed=0
for u in "${users[@]}"; do
	s=${sid[$u]}
	for log in "$VLOG" "$HLOG"; do
		# per server, in arrival order (deduplicated): timestamps rise
		check "$u: in order at ${log#"$T"/fr/}" eval \
			"grep '^[A-Za-z-]*|$s|' '$log' | cut -d'|' -f1,5 | awk -F'|' '!seen[\$0]++' |
			 awk -F'|' 'NR > 1 && \$2 < last { exit 1 } { last = \$2 }'"
	done
	grep "^[A-Za-z-]*|$s|" "$T/all.log" | sort -t'|' -k5,5n -s |
		awk -F'|' '!seen[$1 "|" $5]++' >"$T/$u.recs"
	expect "$u: one Start" 1 "$(grep -c '^Start|' "$T/$u.recs")"
	expect "$u: one Stop" 1 "$(grep -c '^Stop|' "$T/$u.recs")"
	expect "$u: Start first" Start "$(head -n1 "$T/$u.recs" | cut -d'|' -f1)"
	expect "$u: Stop last" Stop "$(tail -n1 "$T/$u.recs" | cut -d'|' -f1)"
	n=$(grep -c '^Interim-Update|' "$T/$u.recs")
	# >= 1 at the primary, >= 1 at the secondary, >= 6 spooled
	check "$u: at least 8 Interims ($n)" test "$n" -ge 8
	check "$u: counters never go down" eval \
		"awk -F'|' '{ v = \$8 + \$9 * 4294967296 + \$10 + \$11 * 4294967296;
			if (v < last) exit 1; last = v }' '$T/$u.recs'"
	stop=$(grep '^Stop|' "$T/$u.recs")
	read -r in out <<<"$(octets "$stop")"
	expect "$u: the Stop's octets = the usage fed" "${used[$u]}" $((in + out))
	start_ts=$(head -n1 "$T/$u.recs" | cut -d'|' -f5)
	stop_ts=$(cut -d'|' -f5 <<<"$stop")
	expect "$u: Session-Time = Stop - Start" $((stop_ts - start_ts)) \
		"$(cut -d'|' -f14 <<<"$stop")"
	expect "$u: Terminate-Cause" User-Request "$(cut -d'|' -f16 <<<"$stop")"
	# the CDR of the session, from muispd's database
	cdr=$("$bin/muispctl" report cdr --csv --database "$T/muispd.db" |
		grep "^$s,")
	expect "$u: report cdr start/stop/seconds = acct.log" \
		"$start_ts,$stop_ts,$((stop_ts - start_ts))" \
		"$(cut -d, -f9-11 <<<"$cdr")"
	expect "$u: report cdr octets = the Stop's" "$in,$out" \
		"$(cut -d, -f12-13 <<<"$cdr")"
	expect "$u: report cdr packets = the Stop's" \
		"$(cut -d'|' -f12,13 <<<"$stop" | tr '|' ,)" \
		"$(cut -d, -f14-15 <<<"$cdr")"
	expect "$u: report cdr cause" 1 "$(cut -d, -f16 <<<"$cdr")"
	# a record re-sent after the outage says how late it is
	d=$(awk -F'|' '$1 == "Interim-Update" && $15 >= 5' "$T/$u.recs" | wc -l)
	delayed=$((delayed + d))
done
check "records sent after the outage carry Acct-Delay-Time >= 5 ($delayed)" \
	test "$delayed" -ge 3
check "alice's Gigawords reached the server" \
	eval "grep '^Stop|${sid[alice]}|' '$T/all.log' | cut -d'|' -f9 | grep -qx 1"
expect "the spool is empty" 0 "$(db 'SELECT count(*) FROM acct_spool')"

summary
