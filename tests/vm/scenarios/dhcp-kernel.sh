#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 420
#
# muisp-dhcpd drives the kernel address table (seed Fig. 5), with real
# clients (ISC dhclient on alice, dhcpcd on bob): allocation -> allocated; a renewal leaves a binding
# alone; malformed datagrams from mallory (tests/dhcp/malformed.py, as L2
# broadcasts and as unicast UDP) are dropped and counted exactly by reason
# while alice keeps renewing; a restart of the daemon mid-lease keeps the
# lease and the binding; a release -> unallocated; a lease that expires on
# a bound address unbinds it (-> unallocated, the contract survives,
# unbound); `muispctl lease release` goes through the daemon to the kernel
# (-> unallocated).
. "$MUISP_TOP/tests/vm/lib.sh"
topo_up

T=$SCRATCH
. "$MUISP_TOP/tests/vm/scenarios/dhcp-lib.bash"
state() { on router muispctl --json addr show "$1" | jq -r .state; }
contract_of() { on router muispctl --json addr show "$1" | jq -r .contract; }
is_state() { [ "$(state "$1")" = "$2" ]; }
drop_keys=.drop_truncated,.drop_oversized,.drop_bad_magic,.drop_bad_op,.drop_bad_hlen,.drop_option_overflow,.drop_bad_overload,.drop_bad_msg_type,.drop_bad_option_length
drops() { lease stats | jq -r "[$drop_keys] | map(tostring) | join(\" \")"; }
drops_are() { usr1_sync; [ "$(drops)" = "$1" ]; }

cat >"$T/dhcpd.conf" <<EOF
lease-db $T/leases.db
kernel-sync yes
interface lan0 {
	subnet 192.0.2.0/24
	server-id 192.0.2.1
	pool 192.0.2.100 192.0.2.103
	router 192.0.2.1
	lease-time 40
	renew-time 3
	rebind-time 35
}
EOF
trap dhcp_cleanup EXIT

# The LAN clients get their IPv4 address by DHCP in this scenario.
on alice ip -4 addr flush dev eth0
on bob ip -4 addr flush dev eth0

start_dhcpd
wait_until -t 20 grep -q 'kernel hand-off: connected' "$T/dhcpd.log"
log "muisp-dhcpd connected to the muisp family"

# --- allocation ---------------------------------------------------------
dhclient_in alice
expect "alice's address" 192.0.2.100 "$(addr_of alice)"
expect "kernel state after ACK" allocated "$(state 192.0.2.100)"
expect "lease MAC in the kernel" \
	02:00:00:00:00:10 "$(on router muispctl --json addr show 192.0.2.100 | jq -r .mac)"

# --- bind, renew: the binding survives ------------------------------------
on router muispctl config set require-tunnel off	# no IPsec in this scenario
on router muispctl contract set 7 status active metric elapsed-time hard 1h
on router muispctl addr set 192.0.2.100 state bound contract 7
n=$(logcount 'ACK 192.0.2.100 .*renewed')
wait_until -t 15 more 'ACK 192.0.2.100 .*renewed' "$n"
expect "state after a renewal" bound "$(state 192.0.2.100)"
expect "contract after a renewal" 7 "$(contract_of 192.0.2.100)"
expect "muispctl lease list: alice's lease, only" "192.0.2.100 $ALICE_MAC" \
	"$(lease list state leased | jq -r '.[] | "\(.addr) \(.mac)"')"

# --- malformed datagrams from mallory ----------------------------------------
# One Python process (slow to start here): the 27 datagrams as Ethernet
# broadcasts from 0.0.0.0:68 (fragmented where large), then again as
# unicast UDP to the server, so every reason counts twice its share of
# 5 2 3 3 1 4 4 3 2 (truncated, oversized, bad magic, bad op, bad hlen,
# option overflow, bad overload, bad message type, bad option length).
wait_until -t 10 drops_are "0 0 0 0 0 0 0 0 0"
log "ok: no drops counted before"
out=$(on mallory /usr/bin/python3 "$MUISP_TOP/tests/dhcp/malformed.py" \
	--iface eth0 --send $ROUTER_LAN4 --src-mac $MALLORY_MAC)
expect "mallory's malformed set" "malformed: 27 datagrams: drop_bad_hlen=1 drop_bad_magic=3 drop_bad_msg_type=3 drop_bad_op=3 drop_bad_option_length=2 drop_bad_overload=4 drop_option_overflow=4 drop_oversized=2 drop_truncated=5" \
	"$out"
wait_until -t 30 drops_are "10 4 6 6 2 8 8 6 4"
usr1_sync
expect "drops by reason, after one more counter write" "10 4 6 6 2 8 8 6 4" "$(drops)"
kill -0 "$DHCPD" || fail "muisp-dhcpd died"
n=$(logcount 'ACK 192.0.2.100 .*renewed')
wait_until -t 15 more 'ACK 192.0.2.100 .*renewed' "$n"
log "ok: alice's lease still renews after the malformed set"
expect "alice's binding after the malformed set" bound "$(state 192.0.2.100)"

# --- restart mid-lease ------------------------------------------------------
kill -TERM $DHCPD
wait $DHCPD || { tail -5 "$T/dhcpd.log"; fail "muisp-dhcpd did not exit cleanly"; }
start_dhcpd
wait_until -t 20 more 'kernel hand-off: connected' 1
n=$(logcount 'ACK 192.0.2.100 .*renewed')
wait_until -t 15 more 'ACK 192.0.2.100 .*renewed' "$n"
expect "state after restart + renewal" bound "$(state 192.0.2.100)"

# --- release -> unallocated ---------------------------------------------
on alice dhclient -4 -r -cf "$T/dhclient.conf" -sf "$T/dhclient-script" \
	-pf "$T/alice.pid" -lf "$T/alice.leases" eth0 >>"$T/alice.out" 2>&1
wait_until -t 10 is_state 192.0.2.100 unallocated
log "ok: release -> unallocated (and unbound)"
expect "contract 7 has no address after the release" \
	0 "$(on router muispctl --json contract show 7 | jq .naddrs)"

# --- dhcpcd; expiry of a bound lease unbinds (Fig. 5) ---------------------
printf 'clientid\noption subnet_mask, routers\nipv4only\nnoipv4ll\n' \
	>"$T/dhcpcd.conf"
printf '#!/bin/sh\nexit 0\n' >"$T/dhcpcd-hook"
chmod +x "$T/dhcpcd-hook"
on bob dhcpcd -4 -B -f "$T/dhcpcd.conf" -c "$T/dhcpcd-hook" eth0 \
	>>"$T/bob.out" 2>&1 &
has_addr() { [ "$(addr_of bob)" = "$1" ]; }
wait_until -t 150 has_addr 192.0.2.101
log "ok: dhcpcd on bob got 192.0.2.101 (FIFO: never-used .101 before released .100)"
expect "kernel state of dhcpcd's lease" allocated "$(state 192.0.2.101)"
on router muispctl addr set 192.0.2.101 state bound contract 7
expect "bob bound" bound "$(state 192.0.2.101)"
# bob's machine "crashes": its client dies without releasing.
kill -9 $(ip netns pids bob)
wait_until -t 60 grep -q 'lease of 192.0.2.101 expired' "$T/dhcpd.log"
expect "state after expiry" unallocated "$(state 192.0.2.101)"
expect "the contract survives its address" \
	7 "$(on router muispctl --json contract show 7 | jq .id)"
expect "contract 7 unbound" \
	0 "$(on router muispctl --json contract show 7 | jq .naddrs)"

# --- operator release (muispctl lease release): daemon -> kernel -----------
dhclient_in alice
expect "alice's new lease in the kernel" allocated "$(state 192.0.2.100)"
muispctl lease --db "$T/leases.db" release 192.0.2.100 ||
	fail "muispctl lease release 192.0.2.100"
expect "lease state when muispctl lease release returns" \
	free "$(lease show 192.0.2.100 | jq -r .state)"
wait_until -t 10 is_state 192.0.2.100 unallocated
log "ok: operator release -> unallocated in the kernel"
expect "daemon's log of the operator release" \
	1 "$(logcount '192.0.2.100 released by the operator')"

kill -TERM $DHCPD
wait $DHCPD || { tail -5 "$T/dhcpd.log"; fail "muisp-dhcpd did not exit cleanly"; }
grep -q 'kernel_errors' "$T/dhcpd.log" && fail "kernel hand-off errors: $(grep stats: "$T/dhcpd.log")"
log "dhcp-kernel: all steps passed"
