#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host part "agentx" of the SNMP suite (tests/snmp/run.sh): muisp-agentx
# as a subagent of a private snmpd (tests/snmp/lib.sh), "kernel no".
#   - configuration errors: FILE:LINE and a non-zero exit;
#   - started before snmpd: alive, and answers once snmpd appears;
#   - muispCacheAge over SNMPv2c and SNMPv3 authPriv (SHA/AES);
#   - snmpd killed and restarted, twice: answers again within 2 s;
#   - muispPoolExhausted reaches snmptrapd when the last free address of
#     a pool in a crafted lease database is leased;
#   - muispExportLoss when muisp-ipfixd's lost records rise (a fake
#     ipfixd socket, tests/snmp/fake-ipfixd.py);
#   - stderr without net-snmp's MIB noise; SIGTERM ends it with 0.
# (muispSoftLimit/HardLimit/Expired need the module: the VM scenario
# snmp-ipfix; the decisions are unit-tested in test_agentx_notify.)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib/check.sh"
. "$here/lib.sh"
snmp_part agentx

AGE=$MUISP_OID.1.1.12.0 # muispCacheAge

# ---- configuration errors ----
printf 'kernel no\n# fine\ncache-ttl 1ms\n' >"$T/bad1.conf"
printf 'agentx-socket tcp:127.0.0.1:705\n' >"$T/bad2.conf"
printf 'kernel no\nno-such-key 1\n' >"$T/bad3.conf"
for n in 1 2 3; do
	out=$("$bin/muisp-agentx" -n -f "$T/bad$n.conf" 2>&1)
	rc=$?
	want=("" "$T/bad1.conf:3: cache-ttl" "$T/bad2.conf:1: agentx-socket"
		"$T/bad3.conf:2: unknown keyword")
	check "bad config $n: exit non-zero" test "$rc" -ne 0
	check "bad config $n: '${want[$n]#"$T/"}...'" \
		test "${out#"${want[$n]}"}" != "$out"
done
out=$("$bin/muisp-agentx" -n -f "$T/nonexistent.conf" 2>&1)
rc=$?
check "missing -f file: exit non-zero" test "$rc" -ne 0
check "missing -f file: named" grep -q nonexistent.conf <<<"$out"

# ---- started before snmpd ----
leasedb_make lan0:leased lan0:free lan0:free
agentx_conf "drop-rate-interval 1"
printf 'records_exported 5\nrecords_lost_overrun 0\nrecords_lost_send 0\n' \
	>"$T/ipfix.counters"
fake_ipfixd_start
trapd_start
agentx_start
wait_until -t 5 -m "a failed connect logged" \
	grep -q 'Failed to connect to the agentx master' "$T/agentx.log"
check "no snmpd: muisp-agentx keeps running" kill -0 "$agentx_pid"
t0=$(ms_now)
snmpd_start
if wait_until -t 5 -m "answers once snmpd is up" answers "$AGE"; then
	dt=$(($(ms_now) - t0))
	echo "    snmpd started after the subagent: answers after $dt ms"
	check "snmpd appears: answers within 3 s ($dt ms)" test "$dt" -lt 3000
fi

# ---- v2c and v3 ----
v=$(sget "$AGE")
check "v2c get muispCacheAge: a number ($v)" eval '[[ $v =~ ^[0-9]+$ ]]'
v=$(sget3 "$AGE")
check "v3 authPriv get muispCacheAge: a number ($v)" eval '[[ $v =~ ^[0-9]+$ ]]'
w=$(swalk3 "$MUISP_OID.1.1")
check "v3 bulkwalk of muispGlobal has muispCacheAge" \
	grep -q "^$AGE = " <<<"$w"
v=$(nsx snmpget -v3 -l authPriv -u nms -a SHA -A wrongpass123 -x AES \
	-X privpass123 -Oqvn -t 1 -r 0 "127.0.0.1:$SNMP_PORT" "$AGE" 2>&1)
check "v3 with a wrong password: refused" eval '! [[ $v =~ ^[0-9]+$ ]]'

# ---- snmpd restarted ----
for i in 1 2; do
	snmpd_stop
	check "restart $i: no answer while snmpd is down" eval '! answers "$AGE"'
	t0=$(ms_now)
	snmpd_start
	if wait_until -t 5 -m "answers after snmpd restart $i" answers "$AGE"; then
		dt=$(($(ms_now) - t0))
		echo "    snmpd restart $i: answers again after $dt ms"
		check "restart $i: answers again within 2 s ($dt ms)" \
			test "$dt" -lt 2000
	fi
done
check "still the same subagent" kill -0 "$agentx_pid"

# ---- a trap: the last free address of lan0 leased ----
# (as muisp-dhcpd writes it: the lease row and its pool's gauges)
sqlite3 "$T/dhcpd.db" \
	"UPDATE lease SET state='leased' WHERE addr=3232235787;
	 UPDATE pools SET leased=leased+1, free=free-1 WHERE iface='lan0'" ||
	bad "lease one address"
sqlite3 "$T/dhcpd.db" \
	"UPDATE lease SET state='leased' WHERE addr=3232235788;
	 UPDATE pools SET leased=leased+1, free=free-1 WHERE iface='lan0'" ||
	bad "lease the last address"
if wait_until -t 5 -m "muispPoolExhausted in snmptrapd's log" \
	trap_seen "$MUISP_OID\.0\.4"; then
	ok "muispPoolExhausted reached snmptrapd"
	check "the trap names lan0 (muispPoolIfName)" \
		trap_seen "$MUISP_OID\.1\.6\.1\.2\.1 = STRING: \"?lan0"
	check "the trap has muispPoolSize 3" \
		trap_seen "$MUISP_OID\.1\.6\.1\.3\.1 = Gauge32: 3"
fi
n=$(grep -c "$MUISP_OID\.0\.4" "$T/traps.log")
expect "one muispPoolExhausted trap" 1 "$n"

# ---- a trap: muisp-ipfixd lost records ----
check "muispIpfixRecordsExported from ipfixd's socket" \
	test "$(sget "$MUISP_OID.1.8.2.0")" = 5
printf 'records_exported 9\nrecords_lost_overrun 0\nrecords_lost_send 3\n' \
	>"$T/ipfix.counters"
if wait_until -t 5 -m "muispExportLoss in snmptrapd's log" \
	trap_seen "$MUISP_OID\.0\.6"; then
	ok "muispExportLoss reached snmptrapd"
	check "the trap has muispIpfixRecordsLostSend 3" \
		trap_seen "$MUISP_OID\.0\.6.*$MUISP_OID\.1\.8\.4\.0 = Counter64: 3"
fi

# ---- quiet stderr, clean exit ----
check "no MIB noise on stderr" eval '! grep -q "Cannot find module\|Cannot adopt\|Did not find" "$T/agentx.log"'
n=$(wc -l <"$T/agentx.log")
check "stderr is short ($n lines)" test "$n" -lt 25
kill "$agentx_pid"
wait "$agentx_pid"
rc=$?
agentx_pid=''
expect "SIGTERM: exit 0" 0 "$rc"
summary
