#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Leases per second with durable storage, measured with perfdhcp (kea-admin)
# against muisp-dhcpd (SQLite WAL, fsync before the ACK), kea-dhcp4
# (memfile) and dnsmasq, one after the other in the same run, each in a
# fresh pair of network namespaces, lease files on the same file system.
# perfdhcp runs full DORA exchanges at an offered rate well above what any
# of the servers sustains, for DURATION seconds, each request from a new
# simulated client; the figure is completed exchanges (ACKs) per second.
#
# Usage: tests/dhcp/bench.sh [DURATION [RATE]]     (root; `make` first)
# Prints "bench-dhcp: SERVER N leases/s" lines and the ratios.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"	# wait_until
bin=${MUISP_BIN:-$top/build/bin}/muisp-dhcpd
dur=${1:-10}
rate=${2:-4000}
for t in perfdhcp kea-dhcp4 dnsmasq; do
	command -v $t >/dev/null || { echo "bench-dhcp: $t missing (deps.sh)"; exit 1; }
done
[ -x "$bin" ] || { echo "bench-dhcp: build muisp-dhcpd first"; exit 1; }

T=$(mktemp -d /var/tmp/muisp-dhcp-bench.XXXXXX)
S=mdb$$-S C=mdb$$-C
srv=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null && wait "$srv" 2>/dev/null
	ip netns del "$S" 2>/dev/null
	ip netns del "$C" 2>/dev/null
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
lease-db $T/muisp.db
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
	ip netns exec "$S" "$bin" -d -f "$T/muisp.conf" >"$T/muisp.log" 2>&1 &
	srv=$!
	wait_log "$T/muisp.log" '^started:'
	measure muisp
	kill "$srv"
	wait "$srv"
	srv=
}

run_kea() {
	cat >"$T/kea.conf" <<EOF
{ "Dhcp4": {
  "interfaces-config": { "interfaces": [ "lan0" ], "dhcp-socket-type": "raw" },
  "lease-database": { "type": "memfile", "persist": true,
                      "name": "$T/kea-leases4.csv", "lfc-interval": 0 },
  "valid-lifetime": 3600,
  "subnet4": [ { "id": 1, "subnet": "10.78.0.0/16",
                  "pools": [ { "pool": "10.78.1.0 - 10.78.255.254" } ] } ],
  "loggers": [ { "name": "kea-dhcp4", "severity": "INFO",
                 "output_options": [ { "output": "$T/kea.log" } ] } ]
} }
EOF
	KEA_PIDFILE_DIR=$T KEA_LOCKFILE_DIR=$T \
		ip netns exec "$S" kea-dhcp4 -c "$T/kea.conf" >"$T/kea.out" 2>&1 &
	srv=$!
	wait_log "$T/kea.log" DHCP4_STARTED
	measure kea
	kill "$srv"
	wait "$srv"
	srv=
}

run_dnsmasq() {
	ip netns exec "$S" dnsmasq -d -k --conf-file=/dev/null --port=0 \
		--interface=lan0 --bind-interfaces --no-ping \
		--dhcp-range=10.78.1.0,10.78.255.254,1h --dhcp-lease-max=70000 \
		--dhcp-leasefile="$T/dnsmasq.leases" --pid-file="$T/dnsmasq.pid" \
		--log-facility="$T/dnsmasq.log" >"$T/dnsmasq.out" 2>&1 &
	srv=$!
	wait_log "$T/dnsmasq.log" 'DHCP, IP range'
	measure dnsmasq
	kill "$srv"
	wait "$srv"
	srv=
}

declare -A res
for s in muisp kea dnsmasq; do
	net_up
	res[$s]=$(run_$s)
	net_down
	echo "bench-dhcp: $s ${res[$s]:-0} leases/s"
done
# A server that completed nothing is a broken run, not a ratio of 0.
for s in muisp kea dnsmasq; do
	awk -v r="${res[$s]:-0}" 'BEGIN { exit !(r > 0) }' || {
		echo "bench-dhcp: $s completed no exchange (KEEP=1 keeps the logs)"
		exit 1
	}
done
awk -v m="${res[muisp]}" -v k="${res[kea]}" -v d="${res[dnsmasq]}" 'BEGIN {
	printf "BENCH dhcp muisp/kea = %.2f (4-way exchanges per second, perfdhcp, same run)\n", m / k
	printf "BENCH dhcp muisp/dnsmasq = %.2f\n", m / d }'
