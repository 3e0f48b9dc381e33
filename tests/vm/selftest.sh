#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Harness self-test: run the self-test scenarios (one passes, one breaks an
# assertion, one makes the kernel WARN, one hangs past its time-out, one
# sticks in the kernel so only the host watchdog can end it, after which
# the rest must still run in a new boot) and
# check that the harness reports exactly that and exits non-zero.
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
MUISP_VM_GRACE=10 "$top/tests/vm/run.sh" --kver "$kver" --dir "$top/tests/vm/selftest/scenarios" >"$out" 2>&1
rc=$?
set -e
sed 's/^/  | /' "$out"
ok=1
expect() { grep -Eq "$1" "$out" || { echo "selftest: missing: $1"; ok=0; }; }
[ $rc -ne 0 ] || { echo "selftest: harness exited 0 despite failures"; ok=0; }
expect '^PASS passes '
expect '^FAIL fails .*exit-1'
expect '^FAIL warns .*kernel-log'
expect '^FAIL hangs .*timeout'
expect '^FAIL stalls .*hang'
expect '^PASS kmsg-lifecycle '
expect '^vm: 3 passed, 4 failed$'
# the created/destroyed checker itself, on canned kernel logs
"$top/tests/vm/kmsg-lifecycle.sh" --self-test | sed 's/^/  /' || ok=0
if [ $ok -eq 1 ]; then
	echo "harness self-test: pass"
else
	echo "harness self-test: FAILED"
	exit 1
fi
