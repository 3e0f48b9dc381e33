#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Kernel style check of kmod/ and the uAPI header with the kernel's own
# checkpatch.pl (taken from Debian's linux-source package, cached in build/).
# Any error or warning fails; --strict checks are reported as well.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cp_dir=$top/build/checkpatch
if [ ! -x "$cp_dir/scripts/checkpatch.pl" ]; then
	src=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -1)
	[ -n "$src" ] || { echo "checkpatch: linux-source not installed (scripts/deps.sh)" >&2; exit 1; }
	mkdir -p "$cp_dir"
	base=$(basename "$src" .tar.xz)
	tar -xJf "$src" -C "$cp_dir" --strip-components=1 \
		"$base/scripts/checkpatch.pl" "$base/scripts/spelling.txt" \
		"$base/scripts/const_structs.checkpatch"
fi
cd "$top"
# kmod/host_shim.h is not kernel code: host builds' stand-ins for the
# kernel's list and lock types (typedefs and volatile by design), never
# compiled into the module.  The self-tests (kmod/selftest/) are.
files=$(ls kmod/*.c kmod/*.h kmod/selftest/*.c include/uapi/*.h 2>/dev/null |
	grep -v -e '^kmod/compat.h$' -e '^kmod/host_shim.h$')
run_cp() { # checkpatch with our settings; extra --ignore types in $1
	"$cp_dir/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
		--ignore "FILE_PATH_CHANGES,SPDX_LICENSE_TAG$1" -f "${@:2}" 2>&1 || true
}
# No git tree for checkpatch: --no-tree; this is a module, not a patch.
# Kernel-version checks belong in kmod/compat.h only (an out-of-tree module
# built for several kernel lines has to make them somewhere).
out=$(run_cp "" $files; [ -e kmod/compat.h ] &&
	run_cp ",LINUX_VERSION_CODE,CONSTANT_COMPARISON" kmod/compat.h)
[ -e kmod/compat.h ] && files="$files kmod/compat.h"
echo "$out" | grep -E ': (ERROR|WARNING|CHECK):' || true
errs=$(echo "$out" | grep -c ': ERROR:' || true)
warns=$(echo "$out" | grep -c ': WARNING:' || true)
checks=$(echo "$out" | grep -c ': CHECK:' || true)
echo "checkpatch: $(echo $files | wc -w) files, $errs errors, $warns warnings, $checks checks"
[ "$errs" -eq 0 ] && [ "$warns" -eq 0 ] && echo "style: 1 passed, 0 failed" ||
	{ echo "style: 0 passed, 1 failed"; exit 1; }
