#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# muisp-ipfixd's export rate on the host (`make bench`, part host-ipfix):
# files of synthetic flows (ipfix-gen: every 4th IPv6, TCP and UDP, both
# directions, so two IPFIX records per flow) replayed to one collector
# (tests/ipfix/sink.py, counting messages) in a netns of our own.
#   - as fast as the replay goes: flow records/s exported, no loss
#   - paced at RATE flow records/s (10,000 first, then higher) for a few
#     seconds each: records exported, lost (records_lost_send +
#     records_lost_overrun) and the collector's messages = messages_sent
# The kernel's side (the flows multicast, SO_RCVBUFFORCE) is not in this
# path: the VM benchmark measures that.
#
# Usage: tests/ipfix/bench.sh [SECONDS]      (root; `make` first)
# Prints its figures with bench_result (tests/lib/bench.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/ipfix
. "$top/tests/lib/check.sh" # wait_until
. "$top/tests/lib/bench.sh"
bin=${MUISP_BIN:-$top/build/bin}
secs=${1:-5}
[ "$(id -u)" -eq 0 ] || { echo "bench-ipfix: needs root"; exit 1; }
T=$(mktemp -d /tmp/muisp-ipfix-bench.XXXXXX)
ns=muisp-ipfix-bench-$$
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
port=4739

# run NAME FLOWS [RATE]: replay FLOWS synthetic flows (at RATE/s);
# sets exported lost msgs sink_msgs secs_taken
run() {
	local name=$1 n=$2 rate=${3:-} d=$T/$1 p s t0 t1
	mkdir -p "$d"
	echo "synth $n" | "$bin/ipfix-gen" "$d/flows.bin" || exit 1
	printf 'ipfix-collector 127.0.0.1:%d\nsocket %s/s.sock\nipfix-rcvbuf 32Mi\n' \
		"$port" "$d" >"$d/c.conf"
	ip netns exec "$ns" python3 "$here/sink.py" "127.0.0.1:$port" 2 >"$d/sink.out" &
	s=$!
	pids+=("$s")
	wait_until -t 10 eval "ip netns exec $ns ss -Hlun 'sport = :$port' | grep -q ."
	t0=${EPOCHREALTIME/./}
	ip netns exec "$ns" "$bin/muisp-ipfixd" -d -f "$d/c.conf" --replay "$d/flows.bin" \
		${rate:+--replay-rate "$rate"} 2>"$d/log" &
	p=$!
	pids+=("$p")
	wait_until -t 120 eval "[ -S '$d/s.sock' ] && [ \$(python3 '$here/ipfixd_check.py' stats '$d/s.sock' | jq '.records_exported + .records_lost_send') -ge $n ]"
	t1=${EPOCHREALTIME/./}
	st=$(python3 "$here/ipfixd_check.py" stats "$d/s.sock")
	kill "$p"
	wait "$p"
	wait "$s"
	exported=$(jq .records_exported <<<"$st")
	lost=$(jq '.records_lost_send + .records_lost_overrun' <<<"$st")
	msgs=$(jq .messages_sent <<<"$st")
	sink_msgs=$(awk '{print $2}' "$d/sink.out")
	# from the first record to the last sent (polled every 0.1 s)
	secs_taken=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')
	echo "  $name: $n flows${rate:+ at $rate/s}: exported $exported, lost $lost, messages $msgs, collector got $sink_msgs, $secs_taken s; $(grep -o 'replay: [0-9]* records in .*records/s' "$d/log")"
}

n=$((200000))
run max $n
rps=$(sed -n 's/.*replay: [0-9]* records in [0-9.]* s (\([0-9]*\) records\/s).*/\1/p' "$T/max/log")
echo "flow records read, encoded and sent per second, as fast as the replay goes, $n flows, $((2 * n)) IPFIX records, one collector on loopback, host CPU; lost $lost of $n, collector got $sink_msgs of $msgs messages"
bench_result ipfix.replay_records_per_s "$rps" records/s
bench_result ipfix.replay_lost "$lost" records
for rate in 10000 50000 100000; do
	run "r$rate" $((rate * secs)) "$rate"
	echo "at $rate/s: exported $exported of $((rate * secs)) flow records in ${secs} s; lost $lost; collector got $sink_msgs of $msgs messages; done in $secs_taken s"
	bench_result "ipfix.exported_at_${rate}_per_s" "$exported" records
	bench_result "ipfix.lost_at_${rate}_per_s" "$lost" records
done
