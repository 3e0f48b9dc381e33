#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 180
# Flow-table kernel self-tests (kmod/flowtable.c, ft_selftest parameter):
# exact per-flow accounting and the eviction counter on a private table,
# idle expiry through the GC work with exact record counts, and two CPUs
# metering while flush, walk and GC run, every metered packet in exactly
# one record.  Then an unload/reload with the tables alive is clean.
. "$MUISP_TOP/tests/vm/lib.sh"
[ -w /sys/module/muisp/parameters/ft_selftest ] || fail "no ft_selftest parameter"
mark="ft-selftest-$$"
echo "$mark" > /dev/kmsg
echo 1 > /sys/module/muisp/parameters/ft_selftest || fail "self-tests returned an error"
out=$(dmesg | sed -n "/$mark/,\$p")
grep -F "flowtable self-test (" <<<"$out" || true
grep -q "flowtable self-tests: pass" <<<"$out" || fail "no pass line"
! grep -q "self-test failed" <<<"$out" || fail "a self-test failed"
log "flowtable self-tests pass"
rmmod muisp || fail "unload"
insmod "$MUISP_KO" || fail "reload"
[ -d /sys/module/muisp ] || fail "not reloaded"
log "unload/reload clean"
