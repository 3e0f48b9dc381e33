#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the kernel release to build and test against: $KVER if set, else the
# newest release that has both headers (build/) and an image in /boot.
if [ -n "${KVER:-}" ]; then echo "$KVER"; exit 0; fi
for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -rV); do
	r=${d#/lib/modules/}; r=${r%/build}
	[ -e "/boot/vmlinuz-$r" ] && { echo "$r"; exit 0; }
done
exit 0
