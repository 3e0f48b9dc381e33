#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 180
# Flow-table kernel self-tests (kmod/selftest/flowtable.c), which only the
# module built with MUISP_DEBUG=1 carries (`make kmod-selftest`, run by
# `make check-vm` and `make check`, puts it in build/kmod-selftest/KVER/):
# exact per-flow accounting and the eviction counter on a private table,
# idle expiry through the GC work with exact record counts, and two CPUs
# metering while flush, walk and GC run, every metered packet in exactly
# one record; and the contract quota self-tests (kmod/selftest/contract.c):
# every online CPU charging one contract up to its hard limit, usage never
# past it and ending exactly at it, the soft limit once; and the user
# information self-tests (kmod/selftest/uinfo.c): the kernel's gcm(aes)
# seals the known answer computed apart (kmod/uinfo_kat.h), the
# architecture's SIMD one (AES-NI on a CPU with aes and pclmulqdq, whose
# modules guest.sh loads as udev would) and the generic one each; and the
# out-of-band answers' table (kmod/selftest/answers.c): a report's answer
# never takes a fresh held one's slot, and takes any other.  The module
# runs them at load and refuses to load if one fails.  The product module
# under test must carry none of that code.
# Then the product module is loaded again and an unload/reload is clean.
. "$MUISP_TOP/tests/vm/lib.sh"
st_ko=$MUISP_TOP/build/kmod-selftest/$(uname -r)/kmod/muisp.ko
[ -r "$st_ko" ] || fail "no $st_ko (make kmod-selftest KVER=$(uname -r))"
syms=$(nm "$MUISP_KO")
! grep -qE 'ftst_|ctst_|utst_' <<<"$syms" || fail "self-test code in the product module"
syms=$(nm "$st_ko")
grep -q ftst_ <<<"$syms" || fail "no self-test code in $st_ko"
grep -q ctst_ <<<"$syms" || fail "no contract self-test code in $st_ko"
grep -q utst_ <<<"$syms" || fail "no user information self-test code in $st_ko"
ok "self-test code in the debug module only"

mark="ft-selftest-$$"
echo "$mark" > /dev/kmsg
rmmod muisp || fail "unload the product module"
loaded=1
insmod "$st_ko" || loaded=0
out=$(dmesg | sed -n "/$mark/,\$p")
# every self-test line, a failing check's among them
grep -E "(flow table|contract|user information|out-of-band answers) self-test" <<<"$out" || true
[ $loaded = 1 ] || fail "self-tests failed: the module refused to load"
grep -q "muisp: flow table self-tests: pass" <<<"$out" || fail "no pass line"
! grep -q "self-test failed" <<<"$out" || fail "a self-test failed"
ok "flow table self-tests pass"
grep -q "muisp: contract self-tests: pass" <<<"$out" || fail "no contract pass line"
ok "contract self-tests pass"
grep -q "muisp: user information self-tests: pass" <<<"$out" ||
	fail "no user information pass line"
grep -q "muisp: out-of-band answers self-tests: pass" <<<"$out" ||
	fail "no out-of-band answers pass line"
seals=$(grep -o "user information seals: .*" <<<"$out" | head -1)
[ -n "$seals" ] || fail "no line naming the seals' gcm(aes)"
if grep -qw aes /proc/cpuinfo && grep -qw pclmulqdq /proc/cpuinfo; then
	grep -q "seals: __[a-z0-9_-]*gcm" <<<"$seals" ||
		fail "a CPU with AES-NI, and the seals do not use it: $seals"
fi
ok "user information self-tests pass (the kernel's gcm(aes) seals the known answer: $seals)"
rmmod muisp || fail "unload the self-test module"

insmod "$MUISP_KO" dyndbg=+p || fail "reload"
rmmod muisp || fail "unload"
insmod "$MUISP_KO" dyndbg=+p || fail "reload"
[ -d /sys/module/muisp ] || fail "not reloaded"
ok "unload/reload clean"
