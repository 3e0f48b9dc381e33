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
log() { printf '[%(%T)T] %s\n' -1 "$*"; }	# no fork per line
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
wait_until 30 grep -qx "muispctl: monitoring events flows" "$SCRATCH/mon.jerr"
wait_until 30 grep -qx "muispctl: monitoring events flows" "$SCRATCH/mon.terr"

# --- event 1: the address is bound -------------------------------------------
R addr set 192.0.2.10 state bound contract 7

# --- a flow with exact counts (84-byte ICMP echo and reply) ------------------
on alice ping -c 2 -i 0.2 -W 10 $INET4 >/dev/null
J flow list >"$SCRATCH/flows.json"
assert_eq 1 "$(jq length "$SCRATCH/flows.json")" "one live flow"
assert_eq '{"proto":"icmp","client":"192.0.2.10","peer":"198.51.100.2","peer_port":0,"up_bytes":168,"up_packets":2,"down_bytes":168,"down_packets":2,"tcp_flags":null,"contract":7}' \
	"$(jq -c '.[0] | del(.id, .client_port, .first_ms, .last_ms)' "$SCRATCH/flows.json")" \
	"flow list"
fid=$(jq '.[0].id' "$SCRATCH/flows.json")
first=$(jq '.[0].first_ms' "$SCRATCH/flows.json")
last=$(jq '.[0].last_ms' "$SCRATCH/flows.json")
[ "$last" -ge "$first" ] || fail "flow last $last before first $first"
assert_eq "$fid" "$(J flow list addr 192.0.2.10 contract 7 | jq '.[0].id')" \
	"filter by address and contract"
assert_eq "[]" "$(J flow list addr 192.0.2.11)" "filter: other address"
assert_eq "[]" "$(J flow list contract 8)" "filter: other contract"
R flow list | grep -Eq "^ *$fid  icmp +192\.0\.2\.10 .* 168 +2 +168 +2 " ||
	fail "flow list (text)"

# --- record 2: flushing the contract's flows ---------------------------------
R flow flush contract 7
assert_eq "[]" "$(J flow list)" "flows flushed"

# --- event 3: the hard limit (4 packets used, the 5th echo is the last) -------
on alice ping -c 3 -i 0.2 -W 1 $INET4 >/dev/null || true
lines_ge() { [ "$(wc -l <"$1")" -ge "$2" ]; }
wait_until 60 lines_ge "$SCRATCH/mon.json" 3
wait_until 60 lines_ge "$SCRATCH/mon.txt" 3
wait $mj || fail "json monitor failed"
wait $mt || fail "text monitor failed"

assert_eq 3 "$(wc -l <"$SCRATCH/mon.json")" "three JSON lines"
assert_eq '{"type":"addr-state","contract":7,"status":null,"used":null,"limit":null,"addr":"192.0.2.10","old_state":"none","new_state":"bound"}' \
	"$(sed -n 1p "$SCRATCH/mon.json" | jq -c '.event | del(.time_ms)')" \
	"event: address bound"
assert_eq "{\"id\":$fid,\"proto\":\"icmp\",\"client\":\"192.0.2.10\",\"peer\":\"198.51.100.2\",\"peer_port\":0,\"up_bytes\":168,\"up_packets\":2,\"down_bytes\":168,\"down_packets\":2,\"first_ms\":$first,\"last_ms\":$last,\"tcp_flags\":null,\"contract\":7,\"end\":\"flush\"}" \
	"$(sed -n 2p "$SCRATCH/mon.json" | jq -c '.flow | del(.client_port)')" \
	"flow record: same flow, same counts, ended by flush"
assert_eq '{"type":"hard-limit","contract":7,"status":"extinguished","used":5,"limit":5,"addr":null,"old_state":null,"new_state":null}' \
	"$(sed -n 3p "$SCRATCH/mon.json" | jq -c '.event | del(.time_ms)')" \
	"event: hard limit"

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

assert_eq '"extinguished" 5 3 2' \
	"$(J contract show 7 | jq -r '"\(.status|tojson) \(.used) \(.up_packets) \(.down_packets)"')" \
	"contract counts"
R config set lan none
