#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 200
#
# RADIUS accounting against the real module (issue 12), what acct.c and
# kernel.c do with the module's four counters (radius-acct.sh checks the
# records at FreeRADIUS; here no server answers, the records stay in the
# spool):
#   1. the usage checkpoint writes the module's up/down bytes and packets
#      to acct_counters;
#   2. a contract the module lost (as after a reboot: its address
#      unbound, the contract deleted) comes back with all four counters,
#      not its whole usage as up_bytes; the session that was open stops
#      with NAS-Reboot at them, Accounting-On follows, and the new
#      session's base is them;
#   3. a kill -9 is a crash: no Accounting-On, the session goes on;
#   4. the module unloaded and loaded again under muispd: muispd exits
#      as a crash would (status 1, for systemd's Restart=on-failure)
#      and, started again, restores the contract into the new module,
#      bound, with all four counters of its checkpoint, its session
#      stopped and started again as at a reboot.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
topo_up
on router muispctl config set lan lan0 require-tunnel off
printf 'nas-secret\n' >$S/radius.secret
chmod 600 $S/radius.secret
# nobody listens on 127.0.0.1:1813 in the router's namespace
muispd_setup <<EOF
checkpoint-interval 1
price bytes voucher ah 1 1000000
radius-acct-server 127.0.0.1:1813 $S/radius.secret
radius-stop-wait 0
EOF
db() { sqlite3 -separator ' ' $S/muispd.db "$1"; }
ctr() { kc $serial '"\(.up_bytes) \(.down_bytes) \(.up_packets) \(.down_packets)"'; }
spooled() { db "SELECT status FROM acct_spool WHERE id > ${1:-0} ORDER BY id" | tr '\n' ' '; }

code=$(field code "$(op voucher-issue 1000)")
out=$(cl -m voucher -P "$code" --start buy bytes 90000000 100000000)
serial=$(field serial "$(head -n1 <<<"$out")")
expect "started" active "$(field state "$(tail -n1 <<<"$out")")"
sid=$(db "SELECT sid FROM acct_sessions WHERE serial = $serial AND stopped IS NULL")
[ -n "$sid" ] || fail "no open accounting session"
# (then the Interim of the START command, a limit event)
expect "first start: Accounting-On, then the Start" "7 1" "$(spooled | cut -d' ' -f1,2)"

# 8 echoes of 1228 bytes each way, 20 datagrams of 1028 bytes down
known_transfer $serial
m=$(ctr)
log "module: $m"
expect "the transfer's sizes" "9824 30384 8 28" "$m"

# 1. the checkpoint has the four counters (ub db up dp)
wait_until -t 10 -m "acct_counters = the module's" \
	eval '[ "$(db "SELECT ub, db, up, dp FROM acct_counters WHERE serial = $serial")" = "$m" ]'
ok "acct_counters checkpoint = the module's four counters"

# 3. kill -9: the session goes on, no Accounting-On
last=$(db "SELECT max(id) FROM acct_spool")
kill -9 $MUISPD
wait $MUISPD 2>/dev/null || true
start_muispd
expect "after kill -9: the same session" "$sid" \
	"$(db "SELECT sid FROM acct_sessions WHERE serial = $serial AND stopped IS NULL")"
expect "after kill -9: no record (no Accounting-On)" "" "$(spooled $last)"
expect "after kill -9: the module's counters" "$m" "$(ctr)"

# 2. the module loses the contract while muispd is down
kill -9 $MUISPD
wait $MUISPD 2>/dev/null || true
on router muispctl addr set $ALICE4 state allocated
on router muispctl contract del $serial
! on router muispctl contract show $serial kernel >/dev/null 2>&1 || fail "the module still has it"
start_muispd
expect "restored: all four counters" "$m" "$(ctr)"
expect "restored: bound" bound "$(on router muispctl --json addr show $ALICE4 | jq -r .state)"
expect "lost: Stop, Accounting-On, Start" "2 7 1 " "$(spooled $last)"
expect "the old session: NAS-Reboot" 11 "$(db "SELECT cause FROM acct_sessions WHERE sid = '$sid'")"
expect "its counters: the module's" "$m" \
	"$(db "SELECT ub - base_ub, db - base_db, up - base_up, dp - base_dp FROM acct_sessions WHERE sid = '$sid'")"
expect "the new session's base: the restored counters" "$m" \
	"$(db "SELECT base_ub, base_db, base_up, base_dp FROM acct_sessions WHERE serial = $serial AND stopped IS NULL")"
on alice ping -c 1 -W 2 $INET4 >/dev/null || fail "ping after the restore"

# 4. the module unloaded and loaded again under muispd: it exits by
# itself (status 1: systemd starts it again), and started again it puts
# the contract back into the new module as after a reboot
m=$(ctr)
last=$(db "SELECT max(id) FROM acct_spool")
wait_until -t 10 -m "the checkpoint at the module's counters" \
	eval '[ "$(db "SELECT ub, db, up, dp FROM acct_counters WHERE serial = $serial")" = "$m" ]'
rmmod muisp || fail "unload under muispd"
insmod "$MUISP_KO" dyndbg=+p || fail "reload"
check "muispd exits once the module is back" \
	wait_until -t 30 eval '! kill -0 $MUISPD 2>/dev/null'
rc=0
wait $MUISPD || rc=$?
expect "  with status 1" 1 $rc
check "  and says why" grep -q "the muisp module is back (reload 1): exiting" $S/muispd.log
# the operator's setting went with the module too (as after a reboot)
on router muispctl config set lan lan0 require-tunnel off
start_muispd
expect "started again: the contract back, all four counters" "$m" "$(ctr)"
expect "  bound" bound "$(on router muispctl --json addr show $ALICE4 | jq -r .state)"
expect "  as at a reboot: Stop (NAS-Reboot), Accounting-On, Start" \
	"2 7 1 " "$(spooled $last)"
on alice ping -c 1 -W 2 $INET4 >/dev/null || fail "ping after the reload"

# clean stop: Stop (NAS-Request) and Accounting-Off
last=$(db "SELECT max(id) FROM acct_spool")
stop_muispd
expect "clean stop: Stop, Accounting-Off" "2 8 " "$(spooled $last)"
expect "NAS-Request" 10 "$(db "SELECT cause FROM acct_sessions WHERE serial = $serial ORDER BY bindno DESC LIMIT 1")"
log "acct restore ok"
