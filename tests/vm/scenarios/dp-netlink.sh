#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Netlink bad input: missing, oversized and wrongly typed attributes,
# out-of-range values, unknown attributes, flags and commands, broken
# framing, semantic errors, and an unprivileged caller each get their
# exact error code; none of them changes any state.  Besides the cases
# written by hand, dp-nlbad.py derives cases from the family's spec
# (include/uapi/muisp.yaml): each attribute outside a command's policy,
# and each check of one inside it, for every command.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up
gate_up
ctl contract set 1 metric bytes status active soft 1000 hard 2000
bind_addr $ALICE4 1
ctl garden add 198.51.100.0/24 proto tcp port 443
ctl block add 02:00:00:00:00:99

state() {
	{
		jctl addr list
		jctl contract list | jq 'map(del(.elapsed_ms))'
		jctl config show
		jctl garden list
		jctl block list
		jctl agent list
	} | jq -c .
}
before=$(state)
py=$MUISP_TOP/tests/vm/scenarios/dp-nlbad.py
on router env MUISP_TOP="$MUISP_TOP" /usr/bin/python3 "$py" bad >$SCRATCH/bad.out 2>&1 ||
	{ cat $SCRATCH/bad.out; fail "bad input cases"; }
cat $SCRATCH/bad.out
expect "failed bad-input cases" 0 "$(grep -c FAIL $SCRATCH/bad.out)"
[ "$(grep -v '^ok spec-' $SCRATCH/bad.out | grep -c '^ok ')" -ge 40 ] ||
	fail "too few cases ran"
# from the spec alone: every command x every attribute of its set
[ "$(grep -c '^ok spec-' $SCRATCH/bad.out)" -ge 200 ] ||
	fail "too few spec cases ran"
on router setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all env MUISP_TOP="$MUISP_TOP" /usr/bin/python3 "$py" unpriv \
	>$SCRATCH/unpriv.out 2>&1 || { cat $SCRATCH/unpriv.out; fail "unprivileged cases"; }
cat $SCRATCH/unpriv.out
expect "unprivileged cases" 7 "$(grep -c '^ok unpriv-' $SCRATCH/unpriv.out)"
[ "$(grep -c '^ok spec-unpriv-' $SCRATCH/unpriv.out)" -ge 17 ] ||
	fail "too few spec unprivileged cases ran"
expect "state unchanged by rejected requests" "$before" "$(state)"
# the module still works
expect "alice still forwards" 1 "$(ping_rx alice -c 1 -W 2 $INET4)"
log "netlink bad input ok"
