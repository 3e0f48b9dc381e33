#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run cmocka unit tests (built with ASan + UBSan); count test cases.
# Usage: run-unit.sh TEST...
set -uo pipefail
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0 fail=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	p=$(sed -n 's/.*\[  PASSED  \] \([0-9]\+\) test.*/\1/p' <<<"$out" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/.*\[  FAILED  \] \([0-9]\+\) test.*/\1/p' <<<"$out" | awk '{s+=$1} END {print s+0}')
	# A crash or sanitizer report counts as a failure even if cmocka said nothing.
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + p)) fail=$((fail + f))
	if [ $rc -eq 0 ]; then
		echo "  ok   $(basename "$t") ($p)"
	else
		echo "  FAIL $(basename "$t") (exit $rc)"
		sed 's/^/    | /' <<<"$out" | tail -n 40
	fi
done
echo "unit: $pass passed, $fail failed"
[ $fail -eq 0 ]
