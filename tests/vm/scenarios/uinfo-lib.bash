# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers for the per-user accounting scenarios (uinfo-*.sh); sourced
# after dp-lib.bash.  Not a scenario itself.

# The agents' key and salt, as `muispctl agent set` reads them.
UINFO_KEY=000102030405060708090a0b0c0d0e0fdeadbeef

# uinfo_frames SET: uinfo-frames.py's frames of SET into $SCRATCH, in the
# background ($! is its pid), while the topology comes up (Python's start
# is slow under TCG).
uinfo_frames() {
	python3 "$MUISP_TOP/tests/vm/scenarios/uinfo-frames.py" "$1" "$SCRATCH" \
		$UINFO_KEY $ALICE_MAC $ROUTER_LAN_MAC $ALICE4 $INET4 $ALICE6 $INET6 \
		$MALLORY4 &
}

# uinfo_agents ADDR...: register each address as an agent with the key.
uinfo_agents() {
	local a
	(umask 077 && echo $UINFO_KEY >"$SCRATCH/key")
	for a in "$@"; do
		ctl agent set "$a" key-id 1 key-file "$SCRATCH/key"
	done
}

# replay PCAP N: send $SCRATCH/PCAP.pcap from alice's port; it has N frames.
replay() {
	on alice tcpreplay -q --topspeed -i eth0 "$SCRATCH/$1.pcap" >"$SCRATCH/$1.out" 2>&1 ||
		fail "tcpreplay $1: $(cat "$SCRATCH/$1.out")"
	grep -q "$2 packets" "$SCRATCH/$1.out" || fail "tcpreplay $1: $(cat "$SCRATCH/$1.out")"
}

# as USER CMD...: CMD as USER (uid and gid) in alice's namespace
as() { local u=$1; shift; ip netns exec alice setpriv --reuid="$u" --regid="$u" --clear-groups "$@"; }
