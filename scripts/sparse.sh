#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static analysis of the module with sparse (Kbuild's C=2) on every
# installed kernel line: endianness (__be32, __le64), lock context
# annotations, address spaces.  Each line is built apart in
# build/sparse/KVER/ (scripts/kmod-build.sh), with its self-tests
# (MUISP_DEBUG=1): that build compiles every file of kmod/, the self-tests
# included, and leaves out nothing the product module has.
# A warning (sparse's or the compiler's) in one of our files -- the copy's
# kmod/ and include/ -- fails the line.  Warnings located in the kernel's
# own headers are the kernel's: they are shown and do not count (there are
# none on 6.1 and 6.12 today).
#   scripts/sparse.sh   (make sparse; make check: stage sparse)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib/check.sh"
CHECK_SUITE=sparse
command -v sparse >/dev/null || fail "sparse is not installed (scripts/deps.sh)"
for kver in $("$top/scripts/kver.sh") $("$top/scripts/kver.sh" --others); do
	out=$top/build/sparse/$kver
	"$top/scripts/kmod-build.sh" "$out" "$kver" -j"${JOBS:-$(nproc)}" C=2 \
		MUISP_DEBUG=1
	if [ ! -e "$out/kmod/muisp.ko" ]; then
		bad "sparse on $kver" "the module did not build"
		grep -E 'error' "$out/build.log" | head -20 | sed 's/^/    | /'
		continue
	fi
	# FILE:LINE[:COL]: warning|error: ..., FILE ours or the kernel's
	ours=$(awk -v o="$out/" '/^[^ :]+:[0-9]+:([0-9]+:)? (warning|error):/ &&
		(index($0, o "kmod/") == 1 || index($0, o "include/") == 1)' \
		"$out/build.log")
	theirs=$(awk -v o="$out/" '/^[^ :]+:[0-9]+:([0-9]+:)? (warning|error):/ &&
		index($0, o) != 1' "$out/build.log")
	[ -z "$theirs" ] ||
		sed 's/^/    kernel headers (not counted) | /' <<<"$theirs"
	if [ -z "$ours" ]; then
		ok "sparse on $kver"
	else
		bad "sparse on $kver" "$(wc -l <<<"$ours") warning(s)"
		while read -r l; do echo "    | ${l#"$out/"}"; done <<<"$ours"
	fi
done
summary
