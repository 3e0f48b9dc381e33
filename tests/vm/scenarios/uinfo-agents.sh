#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# The meter's agents (per-user accounting): the multi-user hosts whose
# User Information options the module opens, registered with muispctl
# agent set/list/del against the real module.  Keys come from files (or
# standard input) and are never read back; a new key keeps the agent's id;
# the kernel's refusals come with its extended-ack text; an unprivileged
# caller changes nothing (exit 4); a container's root stops at
# MUISP_USERNS_MAX_AGENTS (ENOSPC, with the reason).  Every agent the
# module logs as created is logged as destroyed (guest.sh's lifecycle
# check at the unload).  No traffic: one namespace of its own.
. "$MUISP_TOP/tests/vm/lib.sh"

NS=agt-$$
ip netns add $NS
trap 'ip netns del $NS 2>/dev/null || true' EXIT
R() { ip netns exec $NS muispctl "$@"; }
J() { ip netns exec $NS muispctl --json "$@"; }
# id, address and key generation of every agent, in id order
agents() { J agent list | jq -r 'map("\(.id) \(.addr) \(.key_id)") | join(",")'; }

umask 077
printf '000102030405060708090a0b0c0d0e0f\ndeadbeef\n' >"$SCRATCH/k1"
printf '101112131415161718191a1b1c1d1e1fcafef00d\n' >"$SCRATCH/k2"

expect "no agents" "[]" "$(J agent list)"
expect "set: the new agent's id" 1 \
	"$(J agent set 192.0.2.9 key-id 1 key-file "$SCRATCH/k1" | jq .id)"
expect "set from standard input, IPv6" 2 \
	"$(J agent set 2001:db8::9 key-id 7 key-file - <"$SCRATCH/k2" | jq .id)"
expect "list: both, counters zero, no key" \
	'[{"id":1,"addr":"192.0.2.9","state":"keyed","scheme":"in-band","key_id":1,"opened":0,"forged":0,"replayed":0,"blocked":0,"redirects":0,"rollbacks":0,"queries":0,"acks":0,"hold_queue":null,"held":null,"answered":null},{"id":2,"addr":"2001:db8::9","state":"keyed","scheme":"in-band","key_id":7,"opened":0,"forged":0,"replayed":0,"blocked":0,"redirects":0,"rollbacks":0,"queries":0,"acks":0,"hold_queue":null,"held":null,"answered":null}]' \
	"$(J agent list | jq -c .)"
expect "a new key keeps the agent's id" "1|1 192.0.2.9 2,2 2001:db8::9 7" \
	"$(J agent set 192.0.2.9 key-id 2 key-file "$SCRATCH/k2" | jq .id)|$(agents)"
R agent list >"$SCRATCH/list.txt"
expect "list (text): header and rows" "ID  ADDRESS      STATE  SCHEME   KEY-ID  OPENED  FORGED  REPLAYED  BLOCKED  REDIRECTS  ROLLBACKS  QUERIES  ACKS  HOLD-QUEUE  HELD  ANSWERED
 1  192.0.2.9    keyed  in-band       2       0       0         0        0          0          0        0     0  -           -     -
 2  2001:db8::9  keyed  in-band       7       0       0         0        0          0          0        0     0  -           -     -" "$(<"$SCRATCH/list.txt")"
# closed (the key agreement down): the same agent, no key id
expect "close: the same id, closed, no key id" '1|1 192.0.2.9 null|closed' \
	"$(J agent close 192.0.2.9 | jq .id)|$(agents | cut -d, -f1)|$(J agent list | jq -r '.[0].state')"
fails 2 "muispctl: agent close needs one ADDRESS (try --help)" R agent close
R agent set 192.0.2.9 key-id 2 key-file "$SCRATCH/k2"
expect "  keyed again" "1 192.0.2.9 2|keyed" "$(agents | cut -d, -f1)|$(J agent list | jq -r '.[0].state')"
# out of band (uinfo-oob has the traffic): a hold queue, then in-band again
hq() { J agent list | jq -r '.[0] | "\(.scheme) \(.hold_queue) \(.held) \(.answered)"'; }
R agent set 192.0.2.9 key-id 2 key-file "$SCRATCH/k2" hold-queue 7
expect "  out of band: its hold queue, nothing held or answered" \
	"out-of-band 7 0 0" "$(hq)"
R agent set 192.0.2.9 key-id 2 key-file "$SCRATCH/k2"
expect "  in-band again: no hold queue" "in-band null null null" "$(hq)"
# the other schemes (uinfo-report, uinfo-standalone have the traffic):
# packet-based has answers and no queue, standalone neither
R agent set 192.0.2.9 key-id 2 key-file "$SCRATCH/k2" scheme out-of-band-packet
expect "  packet-based: answers, no queue" \
	"out-of-band-packet null null 0" "$(hq)"
R agent set 192.0.2.9 key-id 2 key-file "$SCRATCH/k2" scheme standalone
expect "  standalone: neither" "standalone null null null" "$(hq)"
fails 1 "muispctl: agent set: a hold queue is for out-of-band (flow-based) agents, and they need one" \
	R agent set 192.0.2.9 key-id 2 key-file "$SCRATCH/k2" scheme standalone hold-queue 7
fails 1 "muispctl: agent set: a hold queue is for out-of-band (flow-based) agents, and they need one" \
	R agent set 192.0.2.9 key-id 2 key-file "$SCRATCH/k2" scheme out-of-band
expect "  refused, it stays as it was" "standalone null null null" "$(hq)"
R agent set 192.0.2.9 key-id 2 key-file "$SCRATCH/k2" scheme in-band

R agent del 2001:db8::9
expect "del: one left" "1 192.0.2.9 2" "$(agents)"
fails 1 "muispctl: agent del: no agent has that address" R agent del 2001:db8::9
fails 2 "muispctl: agent set needs key-id N and key-file FILE (try --help)" \
	R agent set 192.0.2.10 key-id 3
chmod 644 "$SCRATCH/k1"
fails 1 "muispctl: agent set: key file $SCRATCH/k1: group or others may access it (mode 0644): chmod 600 it" \
	R agent set 192.0.2.10 key-id 3 key-file "$SCRATCH/k1"

# --- an unprivileged caller changes nothing ----------------------------------
NOBODY=(ip netns exec "$NS" setpriv --reuid=nobody --regid=nogroup --clear-groups)
fails 4 "muispctl: agent list: permission denied: needs CAP_NET_ADMIN (run as root)" \
	"${NOBODY[@]}" muispctl agent list
fails 4 "muispctl: agent set: permission denied: needs CAP_NET_ADMIN (run as root)" \
	"${NOBODY[@]}" muispctl agent set 192.0.2.10 key-id 3 key-file - <"$SCRATCH/k2"
fails 4 "muispctl: agent del: permission denied: needs CAP_NET_ADMIN (run as root)" \
	"${NOBODY[@]}" muispctl agent del 192.0.2.9
expect "unprivileged requests changed nothing" "1 192.0.2.9 2" "$(agents)"

# --- a container's root: MUISP_USERNS_MAX_AGENTS ------------------------------
for i in $(seq 257); do
	echo "agent set 10.9.$((i / 256)).$((i % 256)) key-id 1 key-file $SCRATCH/k2"
done >"$SCRATCH/batch"
created0=$(kmsg_count 'netns [0-9]* agent [0-9]* created')
destroyed0=$(kmsg_count 'netns [0-9]* agent [0-9]* destroyed')
# shellcheck disable=SC2016
unshare -rn sh -c '
	muispctl -b "$1/batch" >/dev/null 2>"$1/batch.err"; echo "batch $?"
	echo "size $(muispctl --json agent list | jq length)"
' sh "$SCRATCH" >"$SCRATCH/userns.out" 2>&1
expect "container root: 256 agents, the 257th refused" "batch 1|size 256" \
	"$(paste -sd'|' "$SCRATCH/userns.out")"
check "  the line after the last one refused" \
	grep -q "batch:257: command failed" "$SCRATCH/batch.err"
check "  with ENOSPC's reason" grep -qF "muispctl: agent set: agent table full (MUISP_MAX_AGENTS; MUISP_USERNS_MAX_AGENTS without CAP_NET_ADMIN in the initial user namespace)" "$SCRATCH/batch.err"
expect "  256 agents created" 256 "$(($(kmsg_count 'netns [0-9]* agent [0-9]* created') - created0))"
all_destroyed() { [ $(($(kmsg_count 'netns [0-9]* agent [0-9]* destroyed') - destroyed0)) -eq 256 ]; }
check "  all 256 destroyed with the container's namespace" wait_until -t 30 all_destroyed
