#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# The access gate end to end: an unpaid client reaches nothing on the WAN
# (ICMP, UDP, TCP: each drop counted as not-bound) but reaches the
# router's DHCP, IKE and control-channel ports and nothing else on it;
# once her addresses are bound to an active contract alice reaches the
# internet host over IPv4 and IPv6 and her contract counts exactly the
# bytes and packets sent each way, while bob still cannot.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up
gate_up
inet_services
snap=$SCRATCH/snap0
stats_snapshot >"$snap"

# --- unpaid alice: nothing reaches the WAN --------------------------------
! on alice ping -c 1 -W 1 -s 100 $INET4 >/dev/null || fail "unpaid ping passed"
expect "ICMP dropped as not bound" 1 "$(delta "$snap" drop_not_bound)"
echo hello | on alice socat -u - UDP:$INET4:9000
wait_until -t 5 eval 'test "$(delta "$snap" drop_not_bound)" = 2'
! on alice timeout 10 socat -u /dev/null TCP:$INET4:8080,connect-timeout=1 2>/dev/null ||
	fail "unpaid TCP connected"
[ "$(delta "$snap" drop_not_bound)" -ge 3 ] || fail "TCP SYN not counted"
! on alice ping -6 -c 1 -W 1 $INET6 >/dev/null || fail "unpaid ping6 passed"

# --- router services stay reachable ----------------------------------------
for p in 67 500 4500; do
	on router socat -u UDP-RECV:$p CREATE:$SCRATCH/udp$p &
done
on router socat -u TCP-LISTEN:4433,reuseaddr CREATE:$SCRATCH/ctl &
on router socat -u UDP-RECV:9999 CREATE:$SCRATCH/udp9999 &
wait_until -t 5 on router sh -c 'ss -lnt | grep -q ":4433 " && ss -lnu | grep -q ":9999 "'
snap=$SCRATCH/snap1
stats_snapshot >"$snap"
for p in 67 500 4500; do
	echo "svc$p" | on alice socat -u - UDP:$ROUTER_LAN4:$p
	wait_until -t 5 grep -q "svc$p" $SCRATCH/udp$p
done
echo control | on alice timeout 10 socat -u - TCP:$ROUTER_LAN4:4433
wait_until -t 5 grep -q control $SCRATCH/ctl
echo nope | on alice socat -u - UDP:$ROUTER_LAN4:9999
wait_until -t 5 eval 'test "$(delta "$snap" drop_local)" = 1'
[ ! -s $SCRATCH/udp9999 ] || fail "router port 9999 reachable unpaid"
log "router services reachable, other ports not"

# --- bind alice to an active byte contract ----------------------------------
ctl contract set 1 metric bytes status active
bind_addr $ALICE4 1
bind_addr $ALICE6 1
expect "alice state" bound "$(jctl addr show $ALICE4 | jq -r .state)"
expect "addresses bound to contract 1" 2 "$(cfield 1 naddrs)"

on alice ping -c 3 -i 0.2 -W 2 -s 100 $INET4 >/dev/null
# 3 echo requests and 3 replies of 20 + 8 + 100 bytes
expect "bytes and packets each way after ping" \
	"384 3 384 3" "$(cfields 1 up_bytes up_packets down_bytes down_packets)"

on alice ping -6 -c 2 -i 0.2 -W 2 -s 100 $INET6 >/dev/null
# + 2 x (40 + 8 + 100)
expect "after ping6" "$((384 + 296)) 5" "$(cfields 1 up_bytes down_packets)"

# one UDP datagram of 50 bytes echoed: 20 + 8 + 50 each way
out=$(head -c 50 /dev/zero | tr '\0' a | on alice timeout 20 socat -t 2 - UDP:$INET4:9000,sourceport=40000 | wc -c)
expect "UDP echo came back" 50 "$out"
expect "after UDP (used = both directions)" \
	"758 758 1516" "$(cfields 1 up_bytes down_bytes used)"

# the flow table saw the same
flows=$(jctl flow list contract 1)
expect "UDP flow up bytes" 78 "$(echo "$flows" | jq -r '.[] | select(.proto == "udp" and .client_port == 40000) | .up_bytes')"
expect "UDP flow down packets" 1 "$(echo "$flows" | jq -r '.[] | select(.proto == "udp" and .client_port == 40000) | .down_packets')"

# TCP works for alice
expect "alice TCP echo" tcp-ok "$(echo tcp-ok | on alice timeout 20 socat -t 2 - TCP:$INET4:8080)"

# --- bob is still unpaid ------------------------------------------------------
snap=$SCRATCH/snap2
stats_snapshot >"$snap"
! on bob ping -c 1 -W 1 $INET4 >/dev/null || fail "bob reached the internet"
expect "bob dropped as not bound" 1 "$(delta "$snap" drop_not_bound)"
log "gate ok"
