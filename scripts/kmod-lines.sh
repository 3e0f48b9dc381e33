#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build muisp.ko against every other installed kernel line (W=1, warnings
# fail) in build/kmod-KVER/, so the default kmod/ build is left alone.
# The VM suite runs on one of them with: tests/vm/run.sh --kver KVER
#   --ko build/kmod-KVER/kmod/muisp.ko
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/check.sh"
CHECK_SUITE=kmod-lines
default=$("$top/scripts/kver.sh")
for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -V); do
	kver=${d#/lib/modules/}; kver=${kver%/build}
	[ "$kver" = "$default" ] && continue
	out=$top/build/kmod-$kver
	rm -rf "$out"
	mkdir -p "$out"
	cp -r "$top/Kbuild" "$top/kmod" "$top/include" "$out/"
	find "$out/kmod" -name '*.o' -o -name '*.ko' -o -name '.*.cmd' | xargs rm -f
	log=$out/build.log
	if make -C "$d" M="$out" W=1 modules >"$log" 2>&1 && ! grep -q 'warning:' "$log"; then
		ok "muisp.ko for $kver"
	else
		bad "muisp.ko for $kver"
		grep -E 'error|warning' "$log" | head -20 | sed 's/^/    | /'
	fi
done
summary
