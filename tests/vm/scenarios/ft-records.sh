#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Flow records end to end (flow table + datapath + monitor):
#  - with a short idle time-out, alice's UDP and ICMP flows expire and their
#    records arrive on the "flows" multicast group with the exact byte and
#    packet counts of what was sent each way, and her TCP connection ends
#    "closed" after FIN; the records add up exactly to her contract's
#    counters (two independent meters agree);
#  - at max-flows 4, ten new flows evict exactly six, each evicted flow
#    arrives as a record, the eviction counter says 6, and evicted plus
#    live flows are the ten;
#  - unloading the module with live flows is clean (harness checks kmsg).
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up
gate_up
inet_services
ctl config set idle-timeout 10 fin-timeout 5
ctl contract set 1 metric bytes status active
bind_addr $ALICE4 1

# flow FILE SELECT FIELDS: fields of the one record matching a jq SELECT
flow() {
	jq -r "select(.flow) | .flow | select($2) | [$3] | map(tostring) | join(\" \")" "$1"
}

# nrec_ge FILE SELECT N: at least N records match SELECT (for wait_until)
nrec_ge() {
	[ "$(jq -r "select(.flow) | .flow | select($2) | .id" "$1" | wc -l)" -ge "$3" ]
}

rec=$SCRATCH/rec
monitor_start $rec flows

# --- idle and closed expiry -------------------------------------------------
# one socat, 50-byte reads: three datagrams of 50 bytes, echoed
out=$(head -c 150 /dev/zero | on alice socat -b 50 -t 1 - UDP:$INET4:9000,sourceport=40001 | wc -c)
expect "UDP echo came back" 150 "$out"

on alice ping -c 2 -i 0.2 -W 2 -s 100 $INET4 >/dev/null
out=$(head -c 1000 /dev/zero | on alice socat -t 2 - TCP:$INET4:8080,sourceport=40002 | wc -c)
expect "TCP echo came back" 1000 "$out"
wait_until -t 60 nrec_ge $rec true 3
# 3 datagrams of 20 + 8 + 50 bytes each way
expect "UDP flow record" "3 234 3 234 idle 1" \
	"$(flow $rec '.proto == "udp"' '.up_packets, .up_bytes, .down_packets, .down_bytes, .end, .contract')"
# 2 echo requests and replies of 20 + 8 + 100 bytes
expect "ICMP flow record" "2 256 2 256 idle" \
	"$(flow $rec '.proto == "icmp"' '.up_packets, .up_bytes, .down_packets, .down_bytes, .end')"
expect "TCP flow record" "40002 8080 closed" \
	"$(flow $rec '.proto == "tcp"' '.client_port, .peer_port, .end')"
tcp_up=$(flow $rec '.proto == "tcp"' '.up_bytes')
tcp_down=$(flow $rec '.proto == "tcp"' '.down_bytes')
[ "$tcp_up" -gt 1000 ] && [ "$tcp_down" -gt 1000 ] || fail "TCP bytes $tcp_up/$tcp_down"
expect "records add up to the contract's counters" "$((234 + 256 + tcp_up)) $((234 + 256 + tcp_down))" \
	"$(cfields 1 up_bytes down_bytes)"
expect "exactly three records" 3 "$(jq -r 'select(.flow) | .flow.id' $rec | wc -l)"
expect "no flow left" 0 "$(stat flows)"

# --- eviction at max-flows ---------------------------------------------------
ctl config set idle-timeout 30m max-flows 4
ev0=$(stat evictions)
for p in $(seq 41001 41010); do
	echo x | on alice socat -t 0.3 - UDP:$INET4:9000,sourceport=$p >/dev/null
done
wait_until -t 60 nrec_ge $rec '.end == "evicted"' 6
expect "evictions counted" 6 "$(( $(stat evictions) - ev0 ))"
expect "flows at the cap" 4 "$(stat flows)"
expect "six evicted records of one 30-byte datagram each" \
	"6 6" "$(flow $rec '.end == "evicted"' .end | wc -l) $(flow $rec '.end == "evicted" and .up_bytes == 30 and .down_bytes == 30' .id | wc -l)"
# evicted and live flows are the ten, each exactly once (which six go is
# LRU among the probed buckets' flows: in this sparse table, not global)
expect "evicted + live = the ten flows" "$(seq 41001 41010 | xargs)" \
	"$( (flow $rec '.end == "evicted"' .client_port
	    jctl flow list contract 1 | jq -r '.[].client_port') | sort -n | xargs)"

# --- unload with live flows --------------------------------------------------
rmmod muisp || fail "unload with live flows"
insmod "$MUISP_KO" dyndbg=+p || fail "reload"
log "unload with 4 live flows clean"
