#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The IPFIX host suite (issue 13): muisp-ipfixd fed from --replay files
# written by ipfix-gen (no module needed), exporting to nfacctd (pmacct,
# through tests/ipfix/nf.sh) and to tests/ipfix/decode.py, in a netns of
# its own with private sockets.  Parts:
#   exact    known flows (IPv4 and IPv6, TCP/UDP/ICMP, every end reason,
#            contract ids above 2^32, one-way flows) decode to the input
#            per 5-tuple and direction in both collectors; a gap of 5 in
#            the numbers is records_lost_overrun 5; a collector without a
#            route counts every record in records_lost_send and the
#            daemon goes on; the counters equal what was sent
#   restart  nfacctd killed and started again mid-stream: templates_sent
#            rises, the loss is whole messages ending right before a
#            message with the templates, and everything after decodes
#   term     SIGTERM sends the message still waiting for its flush
#   replay   a replay file not owned by root is refused
#   absent   started without the module: warns, runs, waits for it
#   encoder  tests/ipfix/encoder.sh: lib/ipfix's messages (its own checks)
#
# Usage: tests/ipfix/run.sh [PART ...]     (root; `make` first)
# Prints "ipfix: N passed, N failed" last; exit 0 iff all passed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/ipfix
bin=${MUISP_BIN:-$top/build/bin}
. "$top/tests/lib/check.sh"
. "$here/nf.sh"
CHECK_SUITE=ipfix
[ "$(id -u)" -eq 0 ] || { echo "ipfix: needs root"; echo "ipfix: 0 passed, 1 failed"; exit 1; }
for p in muisp-ipfixd ipfix-gen; do
	[ -x "$bin/$p" ] || { echo "ipfix: $bin/$p missing (make)"; echo "ipfix: 0 passed, 1 failed"; exit 1; }
done
command -v nfacctd >/dev/null || { echo "ipfix: nfacctd missing (scripts/deps.sh)"; echo "ipfix: 0 passed, 1 failed"; exit 1; }

tmp=$(mktemp -d /tmp/muisp-ipfix.XXXXXX)
ns=muisp-ipfix-$$
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for d in "$tmp"/*/nf; do [ -d "$d" ] && nf_stop "$d" "$ns"; done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" || { echo "ipfix: cannot create netns"; exit 1; }
ip -n "$ns" link set lo up
# ports of this run (the netns is ours alone, but stale collectors of a
# killed run must not answer: fresh numbers each time)
base=$((20000 + $$ % 20000))
nsx() { ip netns exec "$ns" "$@"; }
listening() { nsx ss -Hlun "sport = :$1" | grep -q .; }
check_py() { python3 "$here/ipfixd_check.py" "$@"; }
stat_of() { check_py stats "$1" | jq -r ".$2"; }

# ipfixd DIR CONF-LINES... -- ARGS: start muisp-ipfixd in the netns with
# DIR/ipfixd.conf (socket DIR/ipfixd.sock); its pid in $ipfixd_pid
ipfixd() {
	local dir=$1
	shift
	: >"$dir/ipfixd.conf"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do echo "$1" >>"$dir/ipfixd.conf"; shift; done
	shift
	echo "socket $dir/ipfixd.sock" >>"$dir/ipfixd.conf"
	# not through a function: $! must be the daemon itself
	ip netns exec "$ns" "$bin/muisp-ipfixd" -d -v -f "$dir/ipfixd.conf" "$@" 2>"$dir/ipfixd.log" &
	ipfixd_pid=$!
	pids+=("$ipfixd_pid")
	wait_until -t 10 -m "muisp-ipfixd did not start (see $dir/ipfixd.log)" \
		eval "[ -S '$dir/ipfixd.sock' ]"
}
# decoder DIR PORT [ADDR]: decode.py on ADDR:PORT into DIR/decoded.json
decoder() {
	local dir=$1 port=$2 addr=${3:-127.0.0.1}
	ip netns exec "$ns" python3 "$here/decode.py" --udp "$addr:$port" --timeout 60 \
		>"$dir/decoded.json" 2>"$dir/decode.err" &
	decoder_pid=$!
	pids+=("$decoder_pid")
	wait_until -t 10 -m "decode.py did not start" listening "$port"
}
replayed() { grep -q 'replay: .* records in' "$1/ipfixd.log"; }

part_exact() {
	local d=$tmp/exact n
	mkdir -p "$d"
	"$bin/ipfix-gen" "$d/flows.bin" <"$here/spec-known.txt" || fail "ipfix-gen"
	n=$(grep -c '^flow' "$here/spec-known.txt")
	nf_start "$d/nf" "$ns" $((base + 1)) || fail "nfacctd"
	decoder "$d" $((base + 2)) '[::1]'
	ipfixd "$d" "ipfix-collector 127.0.0.1:$((base + 1))" \
		"ipfix-collector [::1]:$((base + 2))" \
		"ipfix-collector 192.0.2.1:4739" "ipfix-domain-id 7" -- \
		--replay "$d/flows.bin"
	wait_until -t 20 -m "replay did not end" replayed "$d"
	nrec=$(python3 -c "import sys; sys.path.insert(0, '$here'); import ipfixd_check as c
print(len(c.spec_records('$here/spec-known.txt')))")
	wait_until -t 10 eval "[ \$(grep -c '\"type\": \"record\"' '$d/decoded.json') -ge $nrec ]"
	wait_until -t 10 eval "[ \$(wc -l <'$d/nf/out.json') -ge $nrec ]"
	check "decode.py: every record equals the input ($nrec records of $n flows)" \
		check_py compare "$here/spec-known.txt" decode "$d/decoded.json"
	check "nfacctd: every record equals the input" \
		check_py compare "$here/spec-known.txt" nfacctd "$d/nf/out.json"
	expect "observation domain 7" 7 "$(jq -r 'select(.type == "message") | .domain' "$d/decoded.json" | sort -u)"
	local msgs s
	msgs=$(grep -c '"type": "message"' "$d/decoded.json")
	s=$(check_py stats "$d/ipfixd.sock")
	echo "    counters: $s"
	expect "records_received" "$n" "$(jq -r .records_received <<<"$s")"
	expect "records_exported: once per reachable collector" $((2 * n)) "$(jq -r .records_exported <<<"$s")"
	expect "records_lost_send: every record of the unroutable collector" "$n" "$(jq -r .records_lost_send <<<"$s")"
	expect "records_lost_overrun: the gap of 5" 5 "$(jq -r .records_lost_overrun <<<"$s")"
	expect "overruns (no netlink socket)" 0 "$(jq -r .overruns <<<"$s")"
	expect "messages_sent: decode.py's messages, twice" $((2 * msgs)) "$(jq -r .messages_sent <<<"$s")"
	expect "templates_sent: the first message, twice" 2 "$(jq -r .templates_sent <<<"$s")"
	check "the daemon runs on" kill -0 "$ipfixd_pid"
	check "the unroutable collector is logged, not once per message" \
		eval "[ \$(grep -c 'collector 192.0.2.1:4739' '$d/ipfixd.log') -le 2 ]"
	kill "$ipfixd_pid"
	wait "$ipfixd_pid"
	expect "exit status after SIGTERM" 0 $?
	check "the operator socket is gone" eval "[ ! -e '$d/ipfixd.sock' ]"
	nf_stop "$d/nf" "$ns"
}

part_restart() {
	local d=$tmp/restart t1 t2
	mkdir -p "$d"
	echo "synth 2000" | "$bin/ipfix-gen" "$d/flows.bin" || fail "ipfix-gen"
	nf_start "$d/nf" "$ns" $((base + 3)) || fail "nfacctd"
	decoder "$d" $((base + 4))
	ipfixd "$d" "ipfix-collector 127.0.0.1:$((base + 3))" \
		"ipfix-collector 127.0.0.1:$((base + 4))" \
		"ipfix-template-every 4" "ipfix-flush-ms 20" -- \
		--replay "$d/flows.bin" --replay-rate 200
	wait_until -t 10 eval "[ \$(stat_of '$d/ipfixd.sock' records_received) -ge 700 ]"
	nf_stop "$d/nf" "$ns"
	mv "$d/nf/out.json" "$d/before.json"
	t1=$(stat_of "$d/ipfixd.sock" templates_sent)
	wait_until -t 10 eval "[ \$(stat_of '$d/ipfixd.sock' records_received) -ge 900 ]"
	# 1,100 records (5.5 s) are still to come; the exporter waits while
	# the collector starts again (seconds on a loaded machine), so what
	# it sends next meets a listening collector.
	kill -STOP "$ipfixd_pid"
	nf_start "$d/nf" "$ns" $((base + 3)) || fail "nfacctd restart"
	kill -CONT "$ipfixd_pid"
	wait_until -t 20 -m "replay did not end" replayed "$d"
	t2=$(stat_of "$d/ipfixd.sock" templates_sent)
	check "templates_sent rises after the restart ($t1 -> $t2)" eval "[ $t2 -gt $t1 ]"
	wait_until -t 10 eval "[ \$(grep -c '\"type\": \"message\"' '$d/decoded.json') -ge \$(( \$(stat_of '$d/ipfixd.sock' messages_sent) / 2 )) ]"
	wait_until -t 10 eval "grep -q '\"muisp_flow_id\": \"2000\"' '$d/nf/out.json'"
	cat "$d/before.json" "$d/nf/out.json" >"$d/nf-all.json"
	local r
	r=$(check_py restart "$d/decoded.json" "$d/nf-all.json")
	check "collector restart: only messages before the next template lost, the rest decodes" \
		check_py restart "$d/decoded.json" "$d/nf-all.json"
	echo "    $r"
	kill "$ipfixd_pid"
	wait "$ipfixd_pid"
	nf_stop "$d/nf" "$ns"
}

# Without the module (this host suite never loads it): the daemon warns,
# keeps running and waits for it (lib/nl_follow; the VM scenario snmp-ipfix
# unloads and loads the module under it)
part_absent() {
	local d=$tmp/absent
	mkdir -p "$d"
	ip netns exec "$ns" "$bin/muispctl" flow list >/dev/null 2>&1
	if [ $? -ne 3 ]; then # 3: the module is not loaded
		echo "   (the muisp module is loaded here: part skipped)"
		return
	fi
	ipfixd "$d" "ipfix-collector 127.0.0.1:$((base + 5))" --
	check "no module: the daemon says so and waits" \
		grep -q 'cannot join the muisp module.s "flows" group (is muisp.ko loaded?).*waiting' "$d/ipfixd.log"
	check "... still running" kill -0 "$ipfixd_pid"
	expect "... answers op-stats" "0 0" \
		"$(stat_of "$d/ipfixd.sock" records_received) $(stat_of "$d/ipfixd.sock" module_reloads)"
	kill "$ipfixd_pid"
	wait "$ipfixd_pid"
	expect "... exits 0 on SIGTERM" 0 $?
}

part_term() {
	local d=$tmp/term
	mkdir -p "$d"
	printf 'flow 192.0.2.20 1000 198.51.100.9 443 tcp 100 1 200 2 5 idle\n' |
		"$bin/ipfix-gen" "$d/flows.bin" || fail "ipfix-gen"
	decoder "$d" $((base + 5))
	ipfixd "$d" "ipfix-collector 127.0.0.1:$((base + 5))" "ipfix-flush-ms 60000" -- \
		--replay "$d/flows.bin"
	wait_until -t 10 eval "[ \$(stat_of '$d/ipfixd.sock' records_received) -eq 1 ]"
	expect "nothing sent before the flush" 0 "$(grep -c . "$d/decoded.json")"
	kill "$ipfixd_pid"
	wait "$ipfixd_pid"
	wait_until -t 5 eval "[ \$(grep -c '\"type\": \"record\"' '$d/decoded.json') -eq 2 ]"
	expect "SIGTERM sent the waiting message (2 records)" 2 \
		"$(grep -c '"type": "record"' "$d/decoded.json")"
}

part_replay() {
	local d=$tmp/replay out rc
	mkdir -p "$d"
	printf 'flow 192.0.2.20 1000 198.51.100.9 443 tcp 100 1 200 2 5 idle\n' |
		"$bin/ipfix-gen" "$d/flows.bin" || fail "ipfix-gen"
	chown nobody "$d/flows.bin"
	printf 'ipfix-collector 127.0.0.1:9\nsocket %s/s.sock\n' "$d" >"$d/c.conf"
	out=$(nsx "$bin/muisp-ipfixd" -d -f "$d/c.conf" --replay "$d/flows.bin" 2>&1)
	rc=$?
	expect "a replay file owned by another user: exit 1" 1 "$rc"
	check "... and says why" grep -q 'owned by root' <<<"$out"
	chown root "$d/flows.bin"
	head -c 30 "$d/flows.bin" >"$d/short.bin"
	out=$(nsx "$bin/muisp-ipfixd" -d -f "$d/c.conf" --replay "$d/short.bin" 2>&1)
	rc=$?
	expect "a truncated replay file: exit 1" 1 "$rc"
	check "... with its offset" grep -q 'offset 0: bad message length' <<<"$out"
}

# lib/ipfix's checks (a script of its own, with its own summary):
# its counts join ours
part_encoder() {
	local out p n
	out=$(bash "$here/encoder.sh" "$bin" 2>&1)
	echo "$out"
	p=$(sed -nE 's/^ipfix-encoder: ([0-9]+) passed, ([0-9]+) failed.*/\1/p' <<<"$out")
	n=$(sed -nE 's/^ipfix-encoder: ([0-9]+) passed, ([0-9]+) failed.*/\2/p' <<<"$out")
	[ -n "$p" ] || { bad "encoder.sh ended without a summary"; return; }
	CHECK_PASS=$((CHECK_PASS + p)) CHECK_FAIL=$((CHECK_FAIL + n))
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(encoder exact restart term replay absent)
for p in "${parts[@]}"; do
	echo "== ipfix part $p"
	t0=$SECONDS
	"part_$p"
	echo "   ($p: $((SECONDS - t0)) s)"
done
summary
