#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Userspace C style with clang-format and the tree's .clang-format.
#   scripts/format.sh          rewrite every userspace C file in place
#   scripts/format.sh --check  change nothing; list the files that differ
#                              and fail if any does (make format-check)
# kmod/ is kernel code (scripts/checkpatch.sh); generated files are left as
# their generator writes them.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. tests/lib/check.sh
check=0
[ "${1:-}" = --check ] && check=1
cf=${CLANG_FORMAT:-clang-format}
command -v "$cf" >/dev/null ||
	{ echo "format: $cf not found (scripts/deps.sh)" >&2; exit 1; }
# Every C source and header outside kmod/, less what a generator writes.
files=$(find daemon lib tools tests -name '*.[ch]' -not -path '*/corpus/*' |
	sort | while read -r f; do
		head -5 "$f" | grep -q 'do not edit' || echo "$f"
	done)
if [ $check -eq 0 ]; then
	"$cf" -i $files
	exit
fi
CHECK_SUITE=format
for f in $files; do
	if "$cf" "$f" | cmp -s - "$f"; then
		CHECK_PASS=$((CHECK_PASS + 1))
	else
		bad "$f" "differs from clang-format's output (scripts/format.sh fixes it)"
	fi
done
summary
