#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# muispctl flow list and monitor with real traffic: alice pings the
# internet host through the gate; `flow list` shows the flow with its exact
# counts (filters by address and contract); `flow flush` ends it and its
# record reaches `monitor` with the same counts; a 5-packet hard limit
# makes the kernel emit a hard-limit event.  Two monitors run at once
# (--json and text) and each stops by itself after the 3 messages.
. "$MUISP_TOP/tests/vm/lib.sh"
topo_up

R() { on router muispctl "$@"; }
J() { on router muispctl --json "$@"; }

R config set lan lan0 require-tunnel off
R contract set 7 status active metric packets hard 5

on router muispctl --json monitor count 3 >"$SCRATCH/mon.json" \
	2>"$SCRATCH/mon.jerr" &
mj=$!
on router muispctl monitor all count 3 >"$SCRATCH/mon.txt" \
	2>"$SCRATCH/mon.terr" &
mt=$!
# Each prints this once it has joined the multicast groups.
wait_until -t 30 grep -qx "muispctl: monitoring events flows conns" "$SCRATCH/mon.jerr"
wait_until -t 30 grep -qx "muispctl: monitoring events flows conns" "$SCRATCH/mon.terr"

# --- event 1: the address is bound -------------------------------------------
R addr set 192.0.2.10 state bound contract 7

# --- a flow with exact counts (84-byte ICMP echo and reply) ------------------
on alice ping -c 2 -i 0.2 -W 10 $INET4 >/dev/null
J flow list >"$SCRATCH/flows.json"
expect "one live flow" 1 "$(jq length "$SCRATCH/flows.json")"
expect "flow list" '{"proto":"icmp","client":"192.0.2.10","peer":"198.51.100.2","peer_port":0,"up_bytes":168,"up_packets":2,"down_bytes":168,"down_packets":2,"tcp_flags":null,"contract":7}' \
	"$(jq -c '.[0] | del(.id, .client_port, .first_ms, .last_ms)' "$SCRATCH/flows.json")"
fid=$(jq '.[0].id' "$SCRATCH/flows.json")
first=$(jq '.[0].first_ms' "$SCRATCH/flows.json")
last=$(jq '.[0].last_ms' "$SCRATCH/flows.json")
[ "$last" -ge "$first" ] || fail "flow last $last before first $first"
expect "filter by address and contract" \
	"$fid" "$(J flow list addr 192.0.2.10 contract 7 | jq '.[0].id')"
expect "filter: other address" "[]" "$(J flow list addr 192.0.2.11)"
expect "filter: other contract" "[]" "$(J flow list contract 8)"
R flow list | grep -Eq "^ *$fid  icmp +192\.0\.2\.10 .* 168 +2 +168 +2 " ||
	fail "flow list (text)"

# --- record 2: flushing the contract's flows ---------------------------------
R flow flush contract 7
expect "flows flushed" "[]" "$(J flow list)"

# --- event 3: the hard limit (4 packets used, the 5th echo is the last) -------
on alice ping -c 3 -i 0.2 -W 1 $INET4 >/dev/null || true
lines_ge() { [ "$(wc -l <"$1")" -ge "$2" ]; }
wait_until -t 60 lines_ge "$SCRATCH/mon.json" 3
wait_until -t 60 lines_ge "$SCRATCH/mon.txt" 3
wait $mj || fail "json monitor failed"
wait $mt || fail "text monitor failed"

expect "three JSON lines" 3 "$(wc -l <"$SCRATCH/mon.json")"
expect "event: address bound" '{"type":"addr-state","contract":7,"status":null,"used":null,"limit":null,"addr":"192.0.2.10","old_state":"none","new_state":"bound"}' \
	"$(sed -n 1p "$SCRATCH/mon.json" | jq -c '.event | del(.time_ms)')"
expect "flow record: same flow, same counts, ended by flush" "{\"id\":$fid,\"proto\":\"icmp\",\"client\":\"192.0.2.10\",\"peer\":\"198.51.100.2\",\"peer_port\":0,\"up_bytes\":168,\"up_packets\":2,\"down_bytes\":168,\"down_packets\":2,\"first_ms\":$first,\"last_ms\":$last,\"tcp_flags\":null,\"contract\":7,\"end\":\"flush\"}" \
	"$(sed -n 2p "$SCRATCH/mon.json" | jq -c '.flow | del(.client_port, .seq)')"
expect "flow record: numbered (seq)" number \
	"$(sed -n 2p "$SCRATCH/mon.json" | jq -r '.flow.seq | type')"
expect "event: hard limit" '{"type":"hard-limit","contract":7,"status":"extinguished","used":5,"limit":5,"addr":null,"old_state":null,"new_state":null}' \
	"$(sed -n 3p "$SCRATCH/mon.json" | jq -c '.event | del(.time_ms)')"

# The text monitor saw the same three messages.
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z'
sed -n 1p "$SCRATCH/mon.txt" |
	grep -Eqx "$ts addr-state 192\.0\.2\.10 none -> bound contract 7" ||
	fail "text event 1: $(sed -n 1p "$SCRATCH/mon.txt")"
sed -n 2p "$SCRATCH/mon.txt" |
	grep -Eqx "$ts flow $fid icmp 192\.0\.2\.10:[0-9]+ -> 198\.51\.100\.2:0 up 2/168 down 2/168 contract 7 end flush" ||
	fail "text record: $(sed -n 2p "$SCRATCH/mon.txt")"
sed -n 3p "$SCRATCH/mon.txt" |
	grep -Eqx "$ts hard-limit contract 7 status extinguished used 5 limit 5" ||
	fail "text event 3: $(sed -n 3p "$SCRATCH/mon.txt")"

expect "contract counts" '"extinguished" 5 3 2' \
	"$(J contract show 7 | jq -r '"\(.status|tojson) \(.used) \(.up_packets) \(.down_packets)"')"
R config set lan none
