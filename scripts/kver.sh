#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the kernel release to build and test against: $KVER if set; else the
# release Debian's linux-image-amd64 meta-package points at (the stable
# line), if its headers and image are installed; else the newest release
# that has both headers (build/) and an image in /boot.
#   scripts/kver.sh --others: every other release with headers installed
#   (the other kernel lines make check builds and tests), oldest first.
default_kver() {
	if [ -n "${KVER:-}" ]; then echo "$KVER"; return; fi
	meta=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
		sed -n 's/.*linux-image-\([0-9][^ ,]*\).*/\1/p')
	if [ -n "$meta" ] && [ -e "/lib/modules/$meta/build" ] &&
		[ -e "/boot/vmlinuz-$meta" ]; then
		echo "$meta"; return
	fi
	for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -rV); do
		r=${d#/lib/modules/}; r=${r%/build}
		[ -e "/boot/vmlinuz-$r" ] && { echo "$r"; return; }
	done
}
if [ "${1:-}" = --others ]; then
	default=$(default_kver)
	for d in $(ls -d /lib/modules/*/build 2>/dev/null | sort -V); do
		r=${d#/lib/modules/}; r=${r%/build}
		[ "$r" = "$default" ] || echo "$r"
	done
	exit 0
fi
default_kver
exit 0
