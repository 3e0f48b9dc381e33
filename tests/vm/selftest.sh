#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test: run the self-test scenarios (one passes, one breaks an
# assertion, one makes the kernel WARN, one hangs past its time-out, one
# sticks in the kernel so only the host watchdog can end it, after which
# the rest must still run in a new boot) in two lanes, the first lane's
# first boot dying before userspace (MUISP_VM_BREAK_BOOT: that boot is
# retried, and no scenario is lost), and check that the harness reports
# exactly that and exits non-zero.  Then a run whose every boot dies before
# userspace must fail, every scenario "not-run".
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kver=${KVER:-$("$top/scripts/kver.sh")}
# the scenarios load it from the checkout's share: $MUISP_TOP/build/vm/warnmod
wm=$top/build/vm/warnmod
mkdir -p "$wm"
cp "$top"/tests/vm/selftest/warnmod/{warnmod.c,Kbuild} "$wm/"
make -s -C "/lib/modules/$kver/build" M="$wm" modules >/dev/null

out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
MUISP_VM_GRACE=10 MUISP_VM_BREAK_BOOT=1 "$top/tests/vm/run.sh" --kver "$kver" --lanes 2 \
	--dir "$top/tests/vm/selftest/scenarios" >"$out" 2>&1
rc=$?
set -e
sed 's/^/  | /' "$out"
ok=1
expect() { grep -Eq "$1" "$out" || { echo "selftest: missing: $1"; ok=0; }; }
[ $rc -ne 0 ] || { echo "selftest: harness exited 0 despite failures"; ok=0; }
expect '^PASS passes '
expect '^FAIL fails .*exit-1'
# under it, which check failed
expect "^    \\| fails: FAIL deliberately broken assertion: expected '1', got '2'"
expect '^FAIL warns .*kernel-log'
expect '^FAIL hangs .*timeout'
expect '^FAIL stalls .*hang'
expect '^PASS kmsg-lifecycle '
expect '^  \[1\] boot 1: the guest kernel died before userspace started'
expect '^  \[1\] booting again'
expect '^vm: 1 boot\(s\) died before userspace'
# each lane that finishes adds unload-module and kmsg-lifecycle
expect '^vm: [3-5] passed, 4 failed$'
# Every boot dying before userspace: nothing may pass.
set +e
MUISP_VM_MAX_BOOTS=1 MUISP_VM_BREAK_BOOT=1 "$top/tests/vm/run.sh" --kver "$kver" \
	--dir "$top/tests/vm/selftest/scenarios" passes >"$out.2" 2>&1
rc=$?
set -e
sed 's/^/  | /' "$out.2"
[ $rc -ne 0 ] || { echo "selftest: a run with no boot past the kernel exited 0"; ok=0; }
grep -q '^FAIL passes .*not-run' "$out.2" || { echo "selftest: missing: FAIL passes not-run"; ok=0; }
grep -q '^FAIL vm-boot ' "$out.2" || { echo "selftest: missing: FAIL vm-boot"; ok=0; }
grep -q '^vm: 0 passed, 2 failed$' "$out.2" || { echo "selftest: missing: vm: 0 passed, 2 failed"; ok=0; }
rm -f "$out.2"
# the created/destroyed checker itself, on canned kernel logs
"$top/tests/vm/kmsg-lifecycle.sh" --self-test | sed 's/^/  /' || ok=0
if [ $ok -eq 1 ]; then
	echo "harness self-test: pass"
else
	echo "harness self-test: FAILED"
	exit 1
fi
