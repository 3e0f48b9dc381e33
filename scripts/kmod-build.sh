#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build muisp.ko from a copy of the tree in OUT, so the default kmod/ build
# is left alone: W=1, and any compiler warning fails.  Further arguments go
# to Kbuild (MUISP_DEBUG=1: the module with its self-tests, see kmod/Kbuild).
#   scripts/kmod-build.sh OUT KVER [VAR=value ...]
# Leaves OUT/kmod/muisp.ko and OUT/build.log.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -ge 2 ] || { echo "usage: kmod-build.sh OUT KVER [VAR=value ...]" >&2; exit 2; }
out=$(realpath -m "$1") kver=$2
shift 2
kdir=/lib/modules/$kver/build
[ -d "$kdir" ] || { echo "kmod-build: no kernel headers for $kver" >&2; exit 2; }
rm -rf "$out"
mkdir -p "$out"
cp -r "$top/Kbuild" "$top/VERSION" "$top/kmod" "$top/include" "$out/"
find "$out/kmod" -name '*.o' -o -name '*.ko' -o -name '.*.cmd' | xargs rm -f
# compiler warnings fail; make's own (jobserver) do not
make -C "$kdir" M="$out" W=1 "$@" modules >"$out/build.log" 2>&1 &&
	! awk '/warning:/ && !/^make/ { w = 1 } END { exit !w }' "$out/build.log"
