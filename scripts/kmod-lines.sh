#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build muisp.ko against every other installed kernel line (W=1, warnings
# fail) in build/kmod-KVER/, so the default kmod/ build is left alone, and
# the module with its self-tests (MUISP_DEBUG=1) in build/kmod-selftest/KVER/
# (`make kmod-selftest` builds that one for the default line).
# The VM suite runs on one of them with: tests/vm/run.sh --kver KVER
#   --ko build/kmod-KVER/kmod/muisp.ko
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/check.sh"
CHECK_SUITE=kmod-lines
build() { # what out kver [VAR=value...]
	local what=$1 out=$2 kver=$3
	shift 3
	if "$top/scripts/kmod-build.sh" "$out" "$kver" "$@"; then
		ok "$what for $kver"
	else
		bad "$what for $kver"
		grep -E 'error|warning' "$out/build.log" | head -20 | sed 's/^/    | /'
	fi
}
for kver in $("$top/scripts/kver.sh" --others); do
	build muisp.ko "$top/build/kmod-$kver" "$kver"
	build "muisp.ko with self-tests" "$top/build/kmod-selftest/$kver" \
		"$kver" MUISP_DEBUG=1
done
summary
