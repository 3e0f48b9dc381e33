#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Everything `make check` runs, in order: build (userspace -Werror, module
# W=1), the module against the other installed kernel lines (6.12), sparse
# on the module (every line), kernel style (checkpatch), the uAPI files
# against their spec (nlspec), unit tests under ASan+UBSan, short fuzz
# runs, host integration suites (tests/*/run.sh other than the VM's and the
# soak's), the VM suite on a real kernel (the default line), a subset of it
# on each other installed line (vm-6.12), and the VM harness self-test.
# Each stage prints "STAGE: N passed, N failed"; the last line sums them.
# Exits non-zero if anything failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=${JOBS:-$(nproc)}
total_pass=0 total_fail=0
times=() failures=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# A stage that runs past its limit is stopped and fails (seconds; the VM
# suite enforces its own per-scenario limits and watchdog inside this one).
limit_of() {
	case $1 in
	vm) echo 3600 ;;
	vm-[0-9]*) echo 900 ;;
	*) echo 1200 ;;
	esac
}

# What each other kernel line runs (at most 5 min of CI time):
# the module's code that meets kernel APIs which differ between the lines,
# the datapath, unload, netlink and IPsec paths.
#   dp-unload    40 load/unload cycles under a flood (under a minute): hook
#                registration, teardown under RCU, references, flows
#                metered and exported, the unpaid dropped
#   dp-netlink   the generic netlink family: every command's policy, bad
#                input, an unprivileged caller
#   dp-gate      the hooks' verdicts end to end, IPv4 and IPv6, exact
#                counters
#   ft-selftest  the flow table's kernel self-tests (GC work, two CPUs
#                racing flush, walk and GC)
#   ike-spoof    IPsec: the address bound to alice's AH SA (the hook reads
#                the skb's secpath), spoofed and replayed packets dropped
#                (ike-ah checks strongSwan and xfrm only, not the module)
#   dp-hooks     hooks registered on demand (about 30 s): no dispatch
#                without a LAN, the configuration flipping hooks and the
#                hook static keys, require-tunnel on at once under a flood
#   uinfo-meter  the meter opening and stripping User Information options
#                (about 70 s): the skb rewritten in FORWARD, fragments,
#                reassembly by conntrack, IPv6 headers shrunk or removed
#   uinfo-tag    the agent tagging real sockets' packets in POST_ROUTING
#                (about 35 s): the socket's uid, checksums left to the
#                device, the path MTU, the host's own fragmentation; the
#                meter's and the agent's keys, each a gcm(aes) transform of
#                the line's crypto API, set again, closed and freed after a
#                grace period (so uinfo-agents, the same, stays on 6.1)
#   uinfo-multiip the agent's anti-spoofing (about 25 s): the socket's
#                uid and the kernel's own sockets, an rhashtable by
#                address, the extended ack's formatted message (compat.h)
#   uinfo-inbound the agent's redirected copies (about 40 s): the kernel's
#                own socket lookups (inet_lookup(), udp4_lib_lookup() and
#                their IPv6 twins), the route's gateway, a packet sent
#                from a LOCAL_IN hook; the meter's intake before conntrack
#   uinfo-oob    the out-of-band hold (about 30 s): NF_QUEUE from a
#                FORWARD hook, NF_REPEAT back into it, nfnetlink_queue
#   uinfo-standalone the agent's per-user counters (about 30 s): per-CPU
#                memory handed from entry to entry, freed by call_rcu,
#                the socket lookups counting what comes in
#   uinfo-report the agent's packet reports (about 45 s): a genetlink
#                multicast from POST_ROUTING, GFP_ATOMIC; the answers a
#                report leaves for a flow not yet begun
# Left to the default line for time: dp-bulk, dp-flows, dp-limits, dp-lists
# (the same hooks and tables at scale), hostile-kernel, the other ike-*
# (the same hook path as ike-spoof) and the userspace-driven scenarios.
OTHER_LINE_SCENARIOS=(dp-unload dp-hooks dp-netlink dp-gate ft-selftest ike-spoof
	uinfo-meter uinfo-tag uinfo-multiip uinfo-inbound uinfo-oob
	uinfo-standalone uinfo-report)

stage() { # name command...
	local name=$1 rc line p f t0=$SECONDS lim
	shift
	lim=$(limit_of "$name")
	echo "== $name ($(date -u +%H:%M:%S))"
	timeout -k 10 "$lim" "$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	[ $rc -eq 124 ] && echo "$name: stopped after its ${lim}s limit"
	times+=("$(printf '%-12s %5ds' "$name" $((SECONDS - t0)))")
	line=$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")
		f=$(sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
	else
		p=$((rc == 0)) f=$((rc != 0))
	fi
	# A stage that failed without saying how many counts as one failure;
	# so does one that ran nothing ("0 passed, 0 failed").
	[ $rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "$name: nothing ran"
		f=1
	fi
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	times[-1]+=$(printf '  %4d passed, %d failed' "$p" "$f")
	# What failed, repeated at the end: a CI log is often read by its tail.
	if [ "$f" -gt 0 ]; then
		failures+=("$name (exit $rc):")
		mapfile -t -O "${#failures[@]}" failures < <(grep -E \
			'(^|[ |])(FAIL|not ok|fail:|FAILED|ERROR)|stopped after|nothing ran' \
			"$log" | tail -12 | sed 's/^/    /')
	fi
	return 0
}

# kmod-selftest: the module with its self-tests, for the VM scenario ft-selftest
stage build bash -c 'make -s -j"$0" all kmod-selftest && echo "build: 1 passed, 0 failed"' "$jobs"
stage kmod-lines scripts/kmod-lines.sh
stage sparse scripts/sparse.sh
stage style scripts/checkpatch.sh
stage format scripts/format.sh --check
stage nlspec make -s check-nlspec
stage unit make -s -j"$jobs" check-unit
stage fuzz make -s -j"$jobs" check-fuzz
# The DHCP client suite runs inside the VM (scenario dhcp-clients, on
# Debian's kernel); run it on the host with tests/dhcp/run.sh.
for suite in tests/*/run.sh; do
	[ "$suite" = tests/vm/run.sh ] && continue
	[ "$suite" = tests/dhcp/run.sh ] && continue
	# The soak (10 min) is `make soak`, outside make check.
	[ "$suite" = tests/soak/run.sh ] && continue
	stage "$(basename "$(dirname "$suite")")" "$suite"
done
# The default line's suite boots one guest per core side by side (--lanes:
# the guests share one queue, each with its two vCPUs on one host thread);
# the other lines run in one guest with a host thread per vCPU, where the
# CPUs of dp-unload, ft-selftest and uinfo-tag race truly in parallel.
stage vm tests/vm/run.sh --lanes "$jobs"
# Each other installed kernel line (scripts/kver.sh --others) boots once for
# OTHER_LINE_SCENARIOS (above), with the modules kmod-lines built
# (build/kmod-KVER/, build/kmod-selftest/KVER/ for ft-selftest); the stage
# is named by the line (vm-6.12).  `make check-vm KVER=...` runs the whole
# suite on any line.
# They run on QEMU's "max" CPU (AES-NI, PCLMULQDQ), the default line on
# its default CPU, so that the seals' SIMD gcm(aes) and the generic one
# (kmod/uinfo.c) both run here.
for kver in $(scripts/kver.sh --others); do
	stage "vm-$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$kver")" \
		env MUISP_VM_CPU=max tests/vm/run.sh --kver "$kver" \
		--ko "build/kmod-$kver/kmod/muisp.ko" "${OTHER_LINE_SCENARIOS[@]}"
done
stage vm-selftest bash -c 'tests/vm/selftest.sh && echo "vm-selftest: 1 passed, 0 failed"'

echo "== time per stage"
printf '  %s\n' "${times[@]}"
if [ ${#failures[@]} -gt 0 ]; then
	echo "== what failed"
	printf '  %s\n' "${failures[@]}"
fi
echo "check: $total_pass passed, $total_fail failed"
[ $total_fail -eq 0 ]
