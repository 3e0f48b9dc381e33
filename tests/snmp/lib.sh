# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The SNMP host suite's helpers (tests/snmp/run.sh runs the parts
# tests/snmp/PART.sh; each part sources tests/lib/check.sh and this file).
# Everything runs as root in a netns of the part's own with private
# sockets under a new directory: snmpd as the AgentX
# master (v2c community "public", SNMPv3 user nms, SHA/AES authPriv,
# trap2sink to snmptrapd), snmptrapd writing every trap to a file, and
# muisp-agentx from $MUISP_BIN.  Every daemon is stopped by the pid this
# file started.
#
#   snmp_part NAME      the start of a part: root and programs checked,
#                       NS=muisp-snmp-NAME-PID (lo up), T=a new directory,
#                       SNMP_PORT/TRAP_PORT picked, configs written; at
#                       exit every daemon started here is stopped, the
#                       logs shown if the part failed, NS and T removed
#   nsx CMD...          CMD in NS
#   snmpd_start / snmpd_stop      (snmpd_pid) answers on 127.0.0.1:SNMP_PORT
#                       (start in the background with ip netns exec, not
#                       nsx: $! must be the daemon's own pid)
#   trapd_start / trapd_stop      (trapd_pid) traps in $T/traps.log
#   leasedb_make IFACE:STATE...   $T/dhcpd.db, muisp-dhcpd's schema with
#                       one lease per argument (addresses from 192.168.1.10;
#                       STATE leased, free, quarantine, or offered: a 'free'
#                       row, as muisp-dhcpd keeps offers in memory), and
#                       its pools table: one row per interface, idx in the
#                       order of first appearance, size = its arguments
#   muispd_start N      (muispd_pid) muispd, kernel no, socket
#                       $T/muispd.sock, holding N offline contracts (bytes,
#                       cash; soft 1000000+i, hard 2000000+i), or fail
#   agentx_conf [LINE...]  $T/agentx.conf: the master's socket, kernel no,
#                       sockets and database under $T, then LINE...
#   agentx_start [ARGS...] / agentx_stop   (agentx_pid) muisp-agentx -d
#                       -f $T/agentx.conf ARGS, stderr to $T/agentx.log
#   fake_ipfixd_start   (ipfixd_pid) tests/snmp/fake-ipfixd.py on
#                       $T/ipfixd.sock: muisp-ipfixd's counters as
#                       $T/ipfix.counters says ("name value" lines, read
#                       at every request)
#   sget OID            snmpget v2c, "-Oqvn" (the value alone)
#   sget3 OID           the same as SNMPv3 user nms, authPriv SHA/AES
#   swalk OID / swalk3 OID   snmpbulkwalk -Cr50 -On, v2c / v3
#   answers OID         sget OID gives a value (the subagent is there)
#   trap_seen PATTERN   the trap log has a line matching PATTERN (ERE)
#   ms_now              CLOCK_REALTIME in ms (for measured waits)
#   MUISP_OID           .1.3.6.1.4.1.32473.1 (the MIB root)

# shellcheck disable=SC2034 # used by the parts
MUISP_OID=.1.3.6.1.4.1.32473.1
SNMP_V3=(-v3 -l authPriv -u nms -a SHA -A authpass123 -x AES -X privpass123)
bin=${MUISP_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/bin}
snmpd_pid='' trapd_pid='' agentx_pid='' ipfixd_pid='' muispd_pid=''

nsx() { ip netns exec "$NS" "$@"; }
ms_now() { echo $((${EPOCHREALTIME/./} / 1000)); }

_snmp_kill() {
	[ -n "$1" ] || return 0
	kill "$1" 2>/dev/null && wait "$1" 2>/dev/null
	return 0
}

_snmp_exit() {
	local rc=$?
	_snmp_kill "$agentx_pid"
	_snmp_kill "$ipfixd_pid"
	_snmp_kill "$muispd_pid"
	_snmp_kill "$trapd_pid"
	_snmp_kill "$snmpd_pid"
	if [ "$rc" -ne 0 ] || [ "${CHECK_FAIL:-0}" -ne 0 ]; then
		for f in agentx.log snmpd.log traps.log; do
			[ -s "$T/$f" ] || continue
			echo "---- $f (last 30 lines)"
			tail -n 30 "$T/$f"
		done
	fi
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
	exit "$rc"
}

snmp_part() {
	# shellcheck disable=SC2034 # tests/lib/check.sh's
	CHECK_SUITE=$1
	if [ "$(id -u)" -ne 0 ]; then
		echo "$1: needs root"
		echo "$1: 0 passed, 1 failed"
		exit 1
	fi
	for p in snmpd snmptrapd snmpget snmpbulkwalk "$bin/muisp-agentx"; do
		command -v "$p" >/dev/null || {
			echo "$1: $p missing"
			echo "$1: 0 passed, 1 failed"
			exit 1
		}
	done
	NS=muisp-snmp-$1-$$
	T=$(mktemp -d "/tmp/muisp-snmp-$1.XXXXXX")
	chmod 755 "$T"
	mkdir -p "$T/persist" "$T/trapd"
	ip netns add "$NS" || exit 1
	trap _snmp_exit EXIT
	nsx ip link set lo up
	SNMP_PORT=$((20000 + RANDOM % 20000))
	TRAP_PORT=$((SNMP_PORT + 1))
	cat >"$T/snmpd.conf" <<-EOT
		master agentx
		agentXSocket unix:$T/agentx.sock
		agentXPerms 0660 0770
		rocommunity public 127.0.0.1
		createUser nms SHA "authpass123" AES "privpass123"
		rouser nms priv
		trap2sink 127.0.0.1:$TRAP_PORT public
		[snmp] persistentDir $T/persist
		[snmp] mibs :
	EOT
	cat >"$T/snmptrapd.conf" <<-EOT
		disableAuthorization yes
		[snmp] mibs :
	EOT
}

snmpd_start() {
	rm -f "$T/snmpd.pid"
	# ip netns exec (not the function nsx): $! must be snmpd itself
	ip netns exec "$NS" snmpd -f -Lf "$T/snmpd.log" -C -c "$T/snmpd.conf" \
		-p "$T/snmpd.pid" -I -ifTable,ifXTable \
		"udp:127.0.0.1:$SNMP_PORT" </dev/null >/dev/null 2>&1 &
	snmpd_pid=$!
	wait_until -t 5 -m "snmpd's AgentX socket" test -S "$T/agentx.sock"
}

snmpd_stop() {
	_snmp_kill "$snmpd_pid"
	snmpd_pid=''
	rm -f "$T/agentx.sock"
}

trapd_start() {
	ip netns exec "$NS" snmptrapd -f -Lf "$T/traps.log" -C -c "$T/snmptrapd.conf" \
		--persistentDir="$T/trapd" -On "udp:127.0.0.1:$TRAP_PORT" \
		</dev/null >/dev/null 2>&1 &
	trapd_pid=$!
	wait_until -t 5 -m "snmptrapd listening" \
		eval "nsx ss -Hlun | grep -q ':$TRAP_PORT '"
}

trapd_stop() {
	_snmp_kill "$trapd_pid"
	trapd_pid=''
}

leasedb_make() {
	local a=3232235786 l st
	local -a ifs=()
	local -A n=()
	{
		cat <<-'EOT'
			CREATE TABLE lease(addr INTEGER PRIMARY KEY,
			 state TEXT NOT NULL CHECK(state IN ('free','leased','quarantine')),
			 hwaddr BLOB, client_key BLOB, hostname TEXT, iface TEXT,
			 starts INTEGER NOT NULL DEFAULT 0, ends INTEGER NOT NULL DEFAULT 0,
			 seq INTEGER NOT NULL DEFAULT 0);
			CREATE TABLE stats(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
			CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER);
			CREATE TABLE request(id INTEGER PRIMARY KEY, addr INTEGER NOT NULL,
			 action TEXT NOT NULL);
			CREATE TABLE pools(idx INTEGER PRIMARY KEY, iface TEXT NOT NULL,
			 size INTEGER NOT NULL, leased INTEGER NOT NULL,
			 offered INTEGER NOT NULL, quarantined INTEGER NOT NULL,
			 free INTEGER NOT NULL);
			INSERT INTO meta VALUES('schema', 1);
		EOT
		for l in "$@"; do
			st=${l#*:}
			[ -n "${n[${l%%:*}:size]:-}" ] || ifs+=("${l%%:*}")
			n[${l%%:*}:size]=$((${n[${l%%:*}:size]:-0} + 1))
			n[${l%%:*}:$st]=$((${n[${l%%:*}:$st]:-0} + 1))
			[ "$st" != offered ] || st=free
			echo "INSERT INTO lease(addr, state, iface) VALUES($a, '$st', '${l%%:*}');"
			a=$((a + 1))
		done
		for l in "${!ifs[@]}"; do
			st=${ifs[$l]}
			echo "INSERT INTO pools VALUES($((l + 1)), '$st', ${n[$st:size]}," \
				"${n[$st:leased]:-0}, ${n[$st:offered]:-0}," \
				"${n[$st:quarantine]:-0}, ${n[$st:free]:-0});"
		done
	} | sqlite3 "$T/dhcpd.db" || fail "crafted lease database"
}

muispd_start() {
	cat >"$T/muispd.conf" <<-EOT
		listen 127.0.0.1
		port $((SNMP_PORT + 2))
		socket $T/muispd.sock
		database $T/muispd.db
		kernel no
		tls no
		currency EUR
		price bytes cash ah 10 1000000
	EOT
	ip netns exec "$NS" "$bin/muispd" -d -f "$T/muispd.conf" \
		2>>"$T/muispd.log" &
	muispd_pid=$!
	wait_until -t 10 -m "muispd's socket" test -S "$T/muispd.sock" ||
		fail "muispd did not start"
	[ "$(python3 "${BASH_SOURCE[0]%/*}/mkcontracts.py" "$T/muispd.sock" \
		"$1")" = "created $1" ] || fail "$1 contracts not created"
}

agentx_conf() {
	{
		echo "agentx-socket $T/agentx.sock"
		echo "kernel no"
		echo "muispd-socket $T/muispd.sock"
		echo "ipfixd-socket $T/ipfixd.sock"
		echo "dhcpd-db $T/dhcpd.db"
		for l in "$@"; do echo "$l"; done
	} >"$T/agentx.conf"
}

agentx_start() {
	[ -r "$T/agentx.conf" ] || agentx_conf ""
	ip netns exec "$NS" "$bin/muisp-agentx" -d -f "$T/agentx.conf" "$@" \
		</dev/null >>"$T/agentx.log" 2>&1 &
	agentx_pid=$!
}

agentx_stop() {
	_snmp_kill "$agentx_pid"
	agentx_pid=''
}

fake_ipfixd_start() {
	touch "$T/ipfix.counters"
	ip netns exec "$NS" python3 "$(dirname "${BASH_SOURCE[0]}")/fake-ipfixd.py" \
		"$T/ipfixd.sock" "$T/ipfix.counters" </dev/null >/dev/null 2>&1 &
	ipfixd_pid=$!
	wait_until -t 5 -m "fake ipfixd's socket" test -S "$T/ipfixd.sock"
}

sget() { nsx snmpget -v2c -c public -Oqvn -t 1 -r 0 "127.0.0.1:$SNMP_PORT" "$@"; }
sget3() { nsx snmpget "${SNMP_V3[@]}" -Oqvn -t 1 -r 0 "127.0.0.1:$SNMP_PORT" "$@"; }
swalk() { nsx snmpbulkwalk -v2c -c public -Cr50 -On -t 2 -r 0 "127.0.0.1:$SNMP_PORT" "$@"; }
swalk3() { nsx snmpbulkwalk "${SNMP_V3[@]}" -Cr50 -On -t 2 -r 0 "127.0.0.1:$SNMP_PORT" "$@"; }

# A value, not "No Such Object/Instance" (snmpget exits 0 with those in v2c)
answers() {
	local v
	v=$(sget "$1" 2>/dev/null) || return 1
	[ -n "$v" ] && [[ $v != No\ Such* ]]
}

trap_seen() { grep -Eq -- "$1" "$T/traps.log" 2>/dev/null; }
