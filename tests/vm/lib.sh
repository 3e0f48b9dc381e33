# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by every VM scenario.  Topology built by topo_up:
#
#   alice(eth0) ─┐
#   bob(eth0)   ─┼─ sw: br0 (hub) ── lan0 router wan0 ── eth0 inet
#   mallory(eth0)┘
#
#   LAN 192.0.2.0/24, 2001:db8:1::/64   router .1/::1  alice .10  bob .11
#                                       mallory .66
#   WAN 198.51.100.0/24, 2001:db8:2::/64 router .1/::1  inet .2
#
# topo_up --napt: the internet host knows the router only by its one WAN
# address (no route back to the LAN's IPv4 prefix), as behind a router that
# masquerades the LAN; IPv6 stays a routed prefix (docs/NAT.md).
#
# The bridge never learns (ageing 0), so every LAN frame reaches every port:
# mallory can sniff and spoof as on the seed's shared Ethernet.
#
# Checks: tests/lib/check.sh (ok, fail, check, expect, wait_until), with
# CHECK_FATAL=1: the first failed check ends the scenario.

set -euo pipefail
. "${BASH_SOURCE[0]%/*}/../lib/check.sh"
CHECK_FATAL=1

MUISP_BIN=${MUISP_BIN:-$MUISP_TOP/build/bin}
export PATH="$MUISP_BIN:$PATH"

LAN4=192.0.2 WAN4=198.51.100 LAN6=2001:db8:1 WAN6=2001:db8:2
ROUTER_LAN4=$LAN4.1 ROUTER_WAN4=$WAN4.1 INET4=$WAN4.2
ALICE4=$LAN4.10 BOB4=$LAN4.11 MALLORY4=$LAN4.66
ROUTER_LAN6=$LAN6::1 INET6=$WAN6::2
ALICE6=$LAN6::10 BOB6=$LAN6::11 MALLORY6=$LAN6::66
ALICE_MAC=02:00:00:00:00:10 BOB_MAC=02:00:00:00:00:11
MALLORY_MAC=02:00:00:00:00:66 ROUTER_LAN_MAC=02:00:00:00:00:01

log() { printf '[%(%T)T] %s\n' -1 "$*"; }

# fails RC STDERR CMD...: CMD exits with RC, prints exactly STDERR on
# stderr and nothing on stdout.
fails() {
	local want_rc=$1 want_err=$2 rc=0
	shift 2
	"$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || rc=$?
	expect "$*" "rc=$want_rc err=$want_err out=" \
		"rc=$rc err=$(<"$SCRATCH/err") out=$(<"$SCRATCH/out")"
}

# kmsg_count PATTERN: lines of the kernel log matching "muisp: PATTERN"
kmsg_count() { dmesg | grep -c "muisp: $1" || :; }

# on NS CMD...: run CMD in network namespace NS.
on() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# ip -batch cannot switch namespaces per line: build one batch per namespace.
_lan_host() { # name ip4 ip6 mac
	ip -n "$1" -batch - <<-EOF
	link set eth0 address $4
	addr add $2/24 dev eth0
	addr add $3/64 dev eth0 nodad
	link set lo up
	link set eth0 up
	route add default via $ROUTER_LAN4
	route add default via $ROUTER_LAN6
	EOF
}

topo_up() {
	local ns h lan4_route="route add $LAN4.0/24 via $ROUTER_WAN4"
	[ "${1-}" = --napt ] && lan4_route=
	for ns in sw router alice bob mallory inet; do
		ip netns add "$ns"
		# No DAD: while a link-local address is tentative the router
		# sends no neighbour solicitation for forwarded packets (one
		# second of silence before the retry).
		on "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
	done
	trap topo_down EXIT
	ip -batch - <<-EOF
	link add lan0 netns router type veth peer name sw-router netns sw
	link add wan0 netns router type veth peer name eth0 netns inet
	link add eth0 netns alice type veth peer name sw-alice netns sw
	link add eth0 netns bob type veth peer name sw-bob netns sw
	link add eth0 netns mallory type veth peer name sw-mallory netns sw
	EOF
	ip -n sw -batch - <<-EOF
	link add br0 type bridge ageing_time 0 stp_state 0 mcast_snooping 0
	link set br0 up
	link set lo up
	EOF
	for h in router alice bob mallory; do
		ip -n sw link set "sw-$h" master br0 up
	done
	ip -n router -batch - <<-EOF
	link set lan0 address $ROUTER_LAN_MAC
	addr add $ROUTER_LAN4/24 dev lan0
	addr add $ROUTER_LAN6/64 dev lan0 nodad
	addr add $ROUTER_WAN4/24 dev wan0
	addr add $WAN6::1/64 dev wan0 nodad
	link set lo up
	link set lan0 up
	link set wan0 up
	EOF
	ip -n inet -batch - <<-EOF
	addr add $INET4/24 dev eth0
	addr add $INET6/64 dev eth0 nodad
	link set lo up
	link set eth0 up
	$lan4_route
	route add $LAN6::/64 via $WAN6::1
	EOF
	_lan_host alice $ALICE4 $ALICE6 $ALICE_MAC
	_lan_host bob $BOB4 $BOB6 $BOB_MAC
	_lan_host mallory $MALLORY4 $MALLORY6 $MALLORY_MAC
	on router sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	wait_until -t 10 _topo_links_up
}

# A veth's carrier comes up at once, but the kernel's link watcher applies
# it (operstate UP, and the real qdisc instead of the noop one that drops
# everything) up to a second later, and IPv6 joins an address's
# solicited-node group from a work queue after that: until both are done,
# a scenario's first packets or neighbour solicitations are lost (seen as a
# 1 s neighbour-discovery retry).
_topo_links_up() {
	_ns_ready sw "" 0 && _ns_ready router ff02::1:ff00:1 2 &&
		_ns_ready inet ff02::1:ff00:2 1 &&
		_ns_ready alice ff02::1:ff00:10 1 &&
		_ns_ready bob ff02::1:ff00:11 1 &&
		_ns_ready mallory ff02::1:ff00:66 1
}

# _ns_ready NS GROUP N: every link of NS but lo is UP and N of them joined
# the IPv6 multicast GROUP.
_ns_ready() {
	ip -n "$1" -batch - <<<$'link show\nmaddr show' |
		awk -v g="$2" -v n="$3" '
		/ state / && $2 != "lo:" && !/ state UP / { bad = 1 }
		$1 == "inet6" && $2 == g { seen++ }
		END { exit bad || seen < n }'
}

topo_down() {
	local ns
	for ns in sw router alice bob mallory inet; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
}
