#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Leases per second with durable storage, measured with perfdhcp (kea-admin)
# against muisp-dhcpd (SQLite WAL, synchronous=FULL: fsync before the ACK),
# kea-dhcp4 (memfile, persist) and dnsmasq (its lease file), each in a fresh
# pair of network namespaces, lease files on the same file system.
# perfdhcp runs full DORA exchanges at an offered rate above what the
# slowest server sustains, for DURATION seconds, each request from a new
# simulated client; the figure is completed exchanges (ACKs) per second.
# ROUNDS rounds (DHCP_BENCH_ROUNDS, 5), the servers' order rotating from
# round to round, on each file system of DHCP_BENCH_FS ("disk tmpfs":
# /var/tmp and /dev/shm); figures are medians with their spread.
# Then each server once more, on disk, under strace (perfdhcp at 200/s for
# 3 s): its fsync/fdatasync calls and O_SYNC/O_DSYNC opens per completed
# exchange, the durability it actually has.
#
# Usage: tests/dhcp/bench.sh [DURATION [RATE]]     (root; `make` first)
# Prints "bench-dhcp: ..." lines and the figures (tests/lib/bench.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"	# wait_until
. "$top/tests/lib/bench.sh"
bin=${MUISP_BIN:-$top/build/bin}/muisp-dhcpd
dur=${1:-10}
rate=${2:-4000}
rounds=${DHCP_BENCH_ROUNDS:-5}
fss=${DHCP_BENCH_FS:-disk tmpfs}
for t in perfdhcp kea-dhcp4 dnsmasq strace; do
	command -v $t >/dev/null || { echo "bench-dhcp: $t missing (deps.sh)"; exit 1; }
done
[ -x "$bin" ] || { echo "bench-dhcp: build muisp-dhcpd first"; exit 1; }

# Logs and the on-disk lease files in $T; $D is the running server's
# lease directory.
T=$(mktemp -d /var/tmp/muisp-dhcp-bench.XXXXXX)
M=$(mktemp -d /dev/shm/muisp-dhcp-bench.XXXXXX)
D=$T
S=mdb$$-S C=mdb$$-C
srv=
cleanup() {
	ip netns pids "$S" 2>/dev/null | xargs -r kill 2>/dev/null
	[ -n "$srv" ] && wait "$srv" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	rm -rf "$M"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap cleanup EXIT

net_up() {
	ip netns add "$S"
	ip netns add "$C"
	ip link add lan0 netns "$S" type veth peer name eth0 netns "$C"
	ip -n "$S" addr add 10.78.0.1/16 dev lan0
	ip -n "$S" link set lan0 up
	ip -n "$S" link set lo up
	ip -n "$C" addr add 10.78.0.2/16 dev eth0
	ip -n "$C" link set eth0 up
	ip -n "$C" link set lo up
}
net_down() {
	ip netns del "$S"
	ip netns del "$C"
}

stop_srv() { # the server (not only strace, which would detach from it)
	ip netns pids "$S" | xargs -r kill
	wait "$srv"
	srv=
}

wait_log() { # FILE PATTERN: poll (10 s at most) for the server's start line
	wait_until -t 10 -m "the server's start line in $1" grep -q "$2" "$1"
}

# perfdhcp: DORA at $rate/s for $dur s; prints completed exchanges/s.
measure() {
	local out
	out=$(ip netns exec "$C" perfdhcp -4 -l eth0 -r "$rate" -R 1000000 \
		-p "$dur" 2>&1)
	echo "$out" >"$T/perfdhcp-$1.out"
	# perfdhcp's own figure: completed 4-way exchanges per second
	sed -n 's/^Rate: \([0-9.]*\) 4-way exchanges.*/\1/p' <<<"$out" | head -1
}

run_muisp() {
	cat >"$T/muisp.conf" <<EOF
lease-db $D/muisp.db
kernel-sync no
interface lan0 {
	subnet 10.78.0.0/16
	server-id 10.78.0.1
	pool 10.78.1.0 10.78.255.254
	lease-time 3600
	# perfdhcp sends as a relay agent (giaddr = its address): a LAN
	# host's relayed datagrams are served only from configured relays
	relay 10.78.0.2
}
EOF
	ip netns exec "$S" $wrap "$bin" -d -f "$T/muisp.conf" >"$T/muisp.log" 2>&1 &
	srv=$!
	wait_log "$T/muisp.log" '^started:'
	measure muisp
	stop_srv
}

run_kea() {
	cat >"$T/kea.conf" <<EOF
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "lan0" ], "dhcp-socket-type": "raw" },
  "lease-database": { "type": "memfile", "persist": true,
                      "name": "$D/kea-leases4.csv", "lfc-interval": 0 },
  "valid-lifetime": 3600,
  "subnet4": [ { "id": 1, "subnet": "10.78.0.0/16",
                  "pools": [ { "pool": "10.78.1.0 - 10.78.255.254" } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ { "output": "$T/kea.log" } ] } ]
} }
EOF
	KEA_PIDFILE_DIR=$T KEA_LOCKFILE_DIR=$T \
		ip netns exec "$S" $wrap kea-dhcp4 -c "$T/kea.conf" >"$T/kea.out" 2>&1 &
	srv=$!
	wait_log "$T/kea.log" DHCP4_STARTED
	measure kea
	stop_srv
}

run_dnsmasq() {
	ip netns exec "$S" $wrap dnsmasq -d -k --conf-file=/dev/null --port=0 \
		--interface=lan0 --bind-interfaces --no-ping \
		--dhcp-range=10.78.1.0,10.78.255.254,1h --dhcp-lease-max=70000 \
		--dhcp-leasefile="$D/dnsmasq.leases" --pid-file="$T/dnsmasq.pid" \
		--log-facility="$T/dnsmasq.log" >"$T/dnsmasq.out" 2>&1 &
	srv=$!
	wait_log "$T/dnsmasq.log" 'DHCP, IP range'
	measure dnsmasq
	stop_srv
}

wrap= # strace's command line, for the durability check
fstype() { stat -f -c %T "$1"; }
echo "bench-dhcp: disk = $T ($(fstype "$T")), tmpfs = $M ($(fstype "$M")); $rounds rounds of $dur s at $rate/s"
[ "$(fstype "$M")" = tmpfs ] || { echo "bench-dhcp: $M is not tmpfs"; exit 1; }

one() { # SERVER FS: one measurement; prints exchanges/s
	D=$T
	[ "$2" = tmpfs ] && D=$M
	rm -f "$D"/muisp.db* "$D"/kea-leases4.csv* "$D"/dnsmasq.leases
	net_up
	run_$1 "$2"
	net_down
}

declare -A res
servers=(muisp kea dnsmasq)
for ((r = 1; r <= rounds; r++)); do
	for fs in $fss; do
		line="round $r $fs:"
		for ((i = 0; i < 3; i++)); do
			s=${servers[$(((i + r) % 3))]}
			v=$(one $s $fs)
			v=${v:-0}
			# A server that completed nothing is a broken run, not a ratio of 0.
			awk -v r="$v" 'BEGIN { exit !(r > 0) }' || {
				echo "bench-dhcp: $s on $fs completed no exchange (KEEP=1 keeps the logs in $T)"
				exit 1
			}
			res[$s@$fs@$r]=$v
			line+=" $s $v"
		done
		echo "bench-dhcp: $line leases/s"
	done
done

per_round() { # EXPR(m, k, d) FS: the expression's value in every round
	local r out=
	for ((r = 1; r <= rounds; r++)); do
		out+=$(awk -v m="${res[muisp@$2@$r]}" -v k="${res[kea@$2@$r]}" \
			-v d="${res[dnsmasq@$2@$r]}" "BEGIN { printf \"%.4f \", $1 }")
	done
	echo "$out"
}
for fs in $fss; do
	for s in "${servers[@]}"; do
		# shellcheck disable=SC2046 # the rounds' values
		bench_rounds "dhcp.leases_per_s.$s.$fs" "leases/s" "" \
			$(per_round "${s:0:1}" $fs)
	done
	target=
	[ $fs = disk ] && target=">= 1"
	# shellcheck disable=SC2046
	bench_rounds "dhcp.muisp/kea.$fs" ratio "$target" $(per_round "m / k" $fs)
	# shellcheck disable=SC2046
	bench_rounds "dhcp.muisp/dnsmasq.$fs" ratio "" $(per_round "m / d" $fs)
done

# Durability: what each server asks of the file system per exchange.
drate=200 ddur=3
for s in "${servers[@]}"; do
	D=$T
	rm -f "$D"/muisp.db* "$D"/kea-leases4.csv* "$D"/dnsmasq.leases
	wrap="strace -f -qq -o $T/strace-$s -e trace=fsync,fdatasync,sync_file_range,msync,syncfs,sync,open,openat"
	net_up
	rate=$drate dur=$ddur run_$s disk >/dev/null
	net_down
	wrap=
	acks=$(sed -n 's/^Rate: .*//; /REQUEST-ACK/,/received packets/ s/^received packets: \([0-9]*\)/\1/p' \
		"$T/perfdhcp-$s.out" | head -1)
	syncs=$(grep -cE '^[0-9]+ +(fsync|fdatasync|sync_file_range|msync|syncfs|sync)\(' "$T/strace-$s")
	osync=$(grep -E '^[0-9]+ +open(at)?\(' "$T/strace-$s" | grep -E 'O_(D)?SYNC' |
		grep -cE 'muisp\.db|kea-leases4|dnsmasq\.leases')
	echo "bench-dhcp: $s under strace: ${acks:-0} exchanges, $syncs fsync-type calls, $osync O_SYNC/O_DSYNC opens of its lease file"
	[ "${acks:-0}" -gt 0 ] || { echo "bench-dhcp: $s: no exchange under strace"; exit 1; }
	bench_result "dhcp.fsyncs_per_lease.$s" \
		"$(awk -v a="$acks" -v f="$syncs" 'BEGIN { printf "%.3f", f / a }')" \
		"fsync/lease"
done
