#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# `make demo`: the router's job in one story, on a real kernel in the VM.
# A café LAN (alice, bob, mallory on one hub) behind a muisp router; an
# internet host behind its WAN.  Every command shown is run for real.
. "$MUISP_TOP/tests/vm/lib.sh"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { echo "router# muispctl $*"; on router muispctl "$@"; }
try() { # host command...: run on a LAN host, show the outcome
	local h=$1
	shift
	echo "$h\$ $*"
	if on "$h" "$@" 2>&1 | sed 's/^/    /'; then echo "    -> ok"; else echo "    -> blocked"; fi
}
fetch() { # host bytes: download BYTES from the internet host over TCP
	local n
	n=$(on "$1" timeout 8 socat -u TCP:$INET4:8080,connect-timeout=3 - 2>/dev/null | wc -c) || true
	echo "$1\$ fetch http://$INET4:8080/ ($2 bytes offered) -> received $n bytes"
}

topo_up
on inet socat TCP-LISTEN:8080,reuseaddr,fork SYSTEM:"head -c 100000 /dev/zero" &
# This demo has no IPsec (see the ike-* scenarios): a trusted LAN, where
# bindings go by address alone.
on router muispctl config set lan lan0 idle-timeout 30s require-tunnel off
wait_until -t 5 on inet sh -c 'ss -lnt | grep -q ":8080 "'

say "The router: muisp.ko gates lan0 (kernel $(uname -r))"
show config show

say "Alice has not paid: the kernel drops her packets to the internet"
try alice ping -c 2 -W 1 -q $INET4
show stats show

say "Alice buys 250 kB (warned at 150 kB); her address is bound to contract 1"
show contract set 1 status active metric bytes soft 150k hard 250k expires +1h
show addr set $ALICE4 state bound contract 1
try alice ping -c 2 -W 1 -q $INET4
try bob ping -c 2 -W 1 -q $INET4

say "Every flow is metered exactly, per direction"
on router stdbuf -oL muispctl monitor all >"$SCRATCH/monitor.log" 2>&1 &
mon=$!
fetch alice 100000
show flow list
show contract show 1

say "Past the soft limit the contract turns delinquent: forwarding stops"
fetch alice 100000
show contract show 1
try alice ping -c 1 -W 1 -q $INET4

say "Alice extends her soft limit up to the hard limit: service resumes until the hard limit"
show contract set 1 soft 250k status active
fetch alice 100000
show contract show 1

say "The hard limit cut her at the packet that would cross it; nothing more passes"
try alice ping -c 1 -W 1 -q $INET4

say "Events the kernel sent while this happened (muispctl monitor)"
kill $mon 2>/dev/null || true
grep -v '^$' "$SCRATCH/monitor.log" | head -20

say "The operator's block list overrides any contract"
show contract set 2 status active metric bytes hard 1G
show addr set $BOB4 state bound contract 2
try bob ping -c 1 -W 1 -q $INET4
show block add $BOB_MAC
try bob ping -c 1 -W 1 -q $INET4
show stats show

say "Done.  Drops are counted by reason; flows end as records, so no usage is lost."
