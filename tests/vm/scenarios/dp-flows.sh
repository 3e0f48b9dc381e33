#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Flow metering and flow records: with a short idle time-out, flows expire
# and their records arrive on the "flows" multicast group with exactly the
# bytes and packets sent each way; a closed TCP connection ends after the
# FIN time-out; the records add up to the contract's counters; deleting
# the contract's flows exports them with reason flush.  A change of an
# address's binding ends its live flows at once: rebound to another
# contract (reason rebind), then unbound (reason flush), after which its
# packets are dropped, not passed on the strength of the old flow.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up
gate_up
inet_services
ctl config set idle-timeout 2s fin-timeout 1s
expect "time-outs" "2 1" "$(jctl config show | jq -r '"\(.idle_timeout_s) \(.fin_timeout_s)"')"
ctl contract set 10 metric bytes status active
bind_addr $ALICE4 10
bind_addr $ALICE6 10
monitor_start $SCRATCH/rec flows
snap=$SCRATCH/s0
stats_snapshot >"$snap"

# ICMP: 3 x 128 bytes each way; ICMPv6: 2 x 148; UDP: 1 x 78 each way
on alice ping -c 3 -i 0.2 -W 2 -s 100 $INET4 >/dev/null
on alice ping -6 -c 2 -i 0.2 -W 2 -s 100 $INET6 >/dev/null
out=$(head -c 50 /dev/zero | on alice timeout 20 socat -t 2 - UDP:$INET4:9000,sourceport=40001 | wc -c)
expect "UDP echo" 50 "$out"
# TCP: a short exchange, then close (FIN both ways)
out=$(echo tcp-record | on alice timeout 20 socat -t 2 - TCP:$INET4:8080,sourceport=40002) ||
	{ jctl stats show; jctl flow list; fail "TCP exchange failed"; }
expect "TCP echo" tcp-record "$out"

wait_until -t 30 eval '[ "$(grep -c flow $SCRATCH/rec)" -ge 4 ]'
rec() { jq -r "select(.flow.proto == \"$1\" and .flow.client_port == $2) | .flow | \"$3\"" $SCRATCH/rec; }
icmp=$(jq -r 'select(.flow.proto == "icmp") | .flow | "\(.up_packets) \(.up_bytes) \(.down_packets) \(.down_bytes) \(.contract) \(.end) \(.client) \(.peer)"' $SCRATCH/rec)
expect "ICMP flow record" "3 384 3 384 10 idle 192.0.2.10 198.51.100.2" "$icmp"
icmp6=$(jq -r 'select(.flow.proto == "ipv6-icmp" or .flow.proto == "icmpv6" or .flow.proto == "icmp6") | .flow | "\(.up_packets) \(.up_bytes) \(.down_packets) \(.down_bytes) \(.end)"' $SCRATCH/rec)
expect "ICMPv6 flow record" "2 296 2 296 idle" "$icmp6"
expect "UDP flow record" \
	"1 78 1 78 idle 9000" "$(rec udp 40001 '\(.up_packets) \(.up_bytes) \(.down_packets) \(.down_bytes) \(.end) \(.peer_port)')"
tcp=$(rec tcp 40002 '\(.end) \(.up_bytes) \(.down_bytes)')
expect "TCP flow ended by FIN" closed "${tcp%% *}"

# every byte of the contract is in a record, and nothing is left
read -r cub cdb <<<"$(cfields 10 up_bytes down_bytes)"
expect "records add up to the contract counters" \
	"$cub $cdb" "$(jq -s -r '[.[].flow] | "\(map(.up_bytes) | add) \(map(.down_bytes) | add)"' $SCRATCH/rec)"
expect "no live flows after the time-out" 0 "$(stat flows)"
expect "flow records counted" 4 "$(delta "$snap" flow_records)"
expect "no record lost" 0 "$(delta "$snap" records_lost)"
# each record carries its number: one apart, the last = flow_records
expect "records numbered one by one up to flow_records" \
	"4 true $(stat flow_records)" \
	"$(jq -s -r '[.[].flow.seq] | sort | "\(map(numbers) | length) \(. as $s | all(range(1; length); $s[.] == $s[. - 1] + 1)) \(last)"' $SCRATCH/rec)"

# live flows can be dumped, filtered and flushed (records with reason flush)
ctl config set idle-timeout 1h
on alice ping -c 2 -i 0.2 -W 2 $INET4 >/dev/null
expect "flow dump by address" "2 2" "$(jctl flow list addr $ALICE4 | jq -r '.[] | "\(.up_packets) \(.down_packets)"')"
expect "no flows for bob" 0 "$(jctl flow list addr $BOB4 | jq -r length)"
expect "flow dump by contract" 1 "$(jctl flow list contract 10 | jq -r length)"
n=$(grep -c flow $SCRATCH/rec)
ctl flow flush contract 10
wait_until -t 10 eval '[ "$(grep -c flow $SCRATCH/rec)" -gt "$n" ]'
expect "flushed flow record" \
	"flush 2 2" "$(jq -r 'select(.flow.end == "flush") | .flow | "\(.end) \(.up_packets) \(.down_packets)"' $SCRATCH/rec)"
expect "flush ended the flows" 0 "$(stat flows)"

# a binding change ends the address's flows before the reply
on alice ping -c 2 -i 0.2 -W 2 $INET4 >/dev/null
expect "a live flow of contract 10" "10" "$(jctl flow list addr $ALICE4 | jq -r '.[].contract')"
ctl contract set 11 metric bytes status active
n=$(grep -c flow $SCRATCH/rec)
bind_addr $ALICE4 11
expect "rebind ended the flow at once" 0 "$(jctl flow list addr $ALICE4 | jq -r length)"
wait_until -t 10 eval '[ "$(grep -c flow $SCRATCH/rec)" -gt "$n" ]'
expect "its record: reason rebind, contract 10, both pings" "rebind 10 2 2" \
	"$(jq -r 'select(.flow.end == "rebind") | .flow | "\(.end) \(.contract) \(.up_packets) \(.down_packets)"' $SCRATCH/rec)"
on alice ping -c 2 -i 0.2 -W 2 $INET4 >/dev/null
expect "the next flow is charged to contract 11" "11 2" "$(jctl flow list addr $ALICE4 | jq -r '.[] | "\(.contract) \(.up_packets)"')"
expect "contract 11 counted the pings" 2 "$(cfields 11 up_packets)"
snap=$SCRATCH/s1
stats_snapshot >"$snap"
n=$(grep -c flow $SCRATCH/rec)
ctl addr set $ALICE4 state allocated
expect "unbind ended the flow at once" 0 "$(jctl flow list addr $ALICE4 | jq -r length)"
wait_until -t 10 eval '[ "$(grep -c flow $SCRATCH/rec)" -gt "$n" ]'
expect "its record: reason flush, contract 11" "flush 11 2" \
	"$(jq -r 'select(.flow.end == "flush" and .flow.contract == 11) | .flow | "\(.end) \(.contract) \(.up_packets)"' $SCRATCH/rec)"
on alice ping -c 2 -i 0.2 -W 1 $INET4 >/dev/null && fail "an unbound address was forwarded"
expect "unbound: its packets dropped (not bound)" 2 "$(delta "$snap" drop_not_bound)"
expect "no flow, nothing more charged to contract 11" "0 2" \
	"$(jctl flow list addr $ALICE4 | jq -r length) $(cfields 11 up_packets)"
log "flows ok"
