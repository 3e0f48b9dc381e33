#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 900
#
# The DHCP client suite (tests/dhcp/run.sh) on the VM's Debian kernel: real
# ISC dhclient and dhcpcd in network namespaces obtain, renew, rebind after
# a server restart and release leases; a restart mid-lease keeps them; FIFO
# reuse order; pool exhaustion (no offer, a log line); DECLINE quarantine;
# scapy-built malformed datagrams dropped and counted exactly; muispctl
# lease.  (The kernel hand-off with the module is dhcp-kernel.)  A suite
# that ran no check (a client missing, say) fails this scenario.
. "$MUISP_TOP/tests/vm/lib.sh"
rc=0
"$MUISP_TOP/tests/dhcp/run.sh" >"$SCRATCH/out" 2>&1 || rc=$?
cat "$SCRATCH/out"
if [ $rc -ne 0 ]; then	# the guest's /tmp goes with it: show the logs
	kept=$(sed -n 's/^dhcp: logs kept in //p' "$SCRATCH/out")
	for f in "$kept"/*.log "$kept"/*.out; do
		[ -f "$f" ] && { echo "--- $f (last 40 lines)"; tail -40 "$f"; }
	done
fi
line=$(grep -E '^dhcp: [0-9]+ passed, [0-9]+ failed' "$SCRATCH/out" | tail -1)
expect "the DHCP client suite's status" 0 "$rc"
[[ $line =~ ^dhcp:\ [1-9][0-9]*\ passed,\ 0\ failed$ ]] ||
	fail "no clean summary with checks run: $line"
log "$line"
