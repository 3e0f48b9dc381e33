# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the scenarios that run muisp-dhcpd in the router namespace
# (dhcp-kernel.sh, hostile-dhcp.sh); sourced after lib.sh, with T set to
# the scenario's directory ($T/dhcpd.conf is the daemon's configuration,
# $T/leases.db its database).  Not a scenario itself.
#   start_dhcpd          start the daemon (DHCPD is its pid; log $T/dhcpd.log)
#   logcount RE, more RE N   lines of the log matching RE; more than N?
#   lease ARGS...        muispctl --json lease on the daemon's database
#   usr1_sync            make the daemon write and log its counters, wait
#   dhclient_in NS       ISC dhclient on NS's eth0, once (timeout 20 s):
#                        sets the address and a default route via .1
#   addr_of NS           NS's IPv4 address on eth0
#   dhcp_cleanup         EXIT trap: the log on failure, stop every daemon

logcount() { grep -c -- "$1" "$T/dhcpd.log" || true; }
# Conditions for wait_until (evaluated on every try).
more() { [ "$(logcount "$1")" -gt "$2" ]; }
# muispctl lease reads the daemon's database: no netns, no netlink.
lease() { muispctl --json lease --db "$T/leases.db" "$@"; }
# SIGUSR1 makes the daemon write its counters and log them; the signal
# can overtake datagrams still queued: conditions signal on every try.
usr1_sync() {
	local n
	n=$(logcount '^stats:')
	kill -USR1 "$DHCPD"
	wait_until -t 10 more '^stats:' "$n"
}
start_dhcpd() {
	# Not through on(): $! must be the daemon, not a subshell.
	ip netns exec router muisp-dhcpd -d -v -f "$T/dhcpd.conf" \
		>>"$T/dhcpd.log" 2>&1 &
	DHCPD=$!
}

printf 'timeout 20;\n' >"$T/dhclient.conf"
cat >"$T/dhclient-script" <<'SCRIPT'
#!/bin/sh
case $reason in
BOUND|RENEW|REBIND|REBOOT)
	ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface"
	ip -4 route replace default via 192.0.2.1 dev "$interface" ;;
esac
exit 0
SCRIPT
chmod +x "$T/dhclient-script"
dhclient_in() { # NS [args]
	local ns=$1
	shift
	on "$ns" dhclient -4 -1 -cf "$T/dhclient.conf" -sf "$T/dhclient-script" \
		-pf "$T/$ns.pid" -lf "$T/$ns.leases" "$@" eth0 >>"$T/$ns.out" 2>&1
}
addr_of() { on "$1" ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1; }

dhcp_cleanup() {
	local rc=$? f
	if [ $rc -ne 0 ]; then
		echo "--- dhcpd log"
		tail -60 "$T/dhcpd.log"
	fi
	[ -z "$DHCPD" ] || kill "$DHCPD" 2>/dev/null || true
	for f in "$T"/*.pid; do
		if [ -f "$f" ]; then kill "$(cat "$f")" 2>/dev/null || true; fi
	done
	topo_down
}
DHCPD=
