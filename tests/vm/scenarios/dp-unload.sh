#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 900
#
# 100 load/unload cycles under traffic: each cycle loads muisp.ko, enables
# the gate, binds alice to an active contract (so her flood creates flows,
# charges the contract and, with a 1 s idle time-out, exports records) while
# bob's flood is dropped, then unloads the module with the flows still
# live.  The harness fails the scenario on any kernel warning; here we also
# check that each cycle really metered and dropped traffic, and that the
# module unloads every time (no leaked references).
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up
CYCLES=${DP_UNLOAD_CYCLES:-100}

on alice ping -f -s 200 $INET4 >/dev/null 2>&1 &
on bob ping -f $INET4 >/dev/null 2>&1 &
on inet ping -i 0.01 $ALICE4 >/dev/null 2>&1 &

metered=0
for i in $(seq 1 "$CYCLES"); do
	if [ -d /sys/module/muisp ]; then
		rmmod muisp || fail "cycle $i: rmmod failed"
	fi
	insmod "$MUISP_KO" || fail "cycle $i: insmod failed"
	ctl config set lan lan0 idle-timeout 1s fin-timeout 1s
	ctl contract set 1 metric bytes status active
	bind_addr $ALICE4 1
	# a monitor listening for records while the module goes away
	if [ $((i % 10)) -eq 0 ]; then
		on router muispctl monitor flows >/dev/null 2>&1 &
		mon=$!
		read -r up down <<<"$(cfields 1 up_packets down_packets)"
		[ "$up" -gt 0 ] && [ "$down" -gt 0 ] || fail "cycle $i: nothing metered ($up/$down)"
		[ "$(stat drop_not_bound)" -gt 0 ] || fail "cycle $i: bob not dropped"
		metered=$((metered + 1))
	fi
	rmmod muisp || fail "cycle $i: rmmod under traffic failed"
	if [ -n "${mon:-}" ]; then
		kill "$mon" 2>/dev/null || true
		wait "$mon" 2>/dev/null || true
		mon=
	fi
done
assert_eq $((CYCLES / 10)) "$metered" "cycles checked for metering"
# the traffic generators were never disturbed by a crash
on alice ping -c 1 -W 2 $INET4 >/dev/null || fail "forwarding after the cycles"
insmod "$MUISP_KO"
log "$CYCLES load/unload cycles ok"
