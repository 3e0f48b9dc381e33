#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the Debian packages muisp, muisp-client and muisp-dkms (debian/)
# with `dpkg-buildpackage -us -uc -b`, no tests, JOBS compile jobs, and
# leave them with their .buildinfo and .changes in build/deb/.
#   scripts/deb.sh [JOBS]
# dpkg-buildpackage writes its results next to the source directory, so it
# runs in a copy of the tree under build/: the work tree gets no debian/tmp
# or stamps, and nothing lands outside build/.  The log: build/deb.log.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=${1:-2}
ver=$(cat "$top/VERSION")
out=$top/build/deb
work=$top/build/deb-src
log=$top/build/deb.log
rm -rf "$out" "$work"
mkdir -p "$out" "$work/muisp-$ver"
# the tree as it is (uncommitted changes included), without build output
tar -C "$top" --exclude=./build --exclude=./.git --exclude='*.o' \
	--exclude='*.ko' --exclude='.*.cmd' --exclude='*.mod*' \
	--exclude=./debian/tmp --exclude=./debian/build -cf - . |
	tar -C "$work/muisp-$ver" -xf -
t0=$SECONDS
if ! (cd "$work/muisp-$ver" &&
	DEB_BUILD_OPTIONS="nocheck parallel=$jobs${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}" \
		dpkg-buildpackage -us -uc -b) >"$log" 2>&1; then
	tail -30 "$log" >&2
	echo "deb: dpkg-buildpackage failed (log: $log)" >&2
	exit 1
fi
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
rm -rf "$work"
echo "deb: $(cd "$out" && echo *.deb) in build/deb/ ($((SECONDS - t0)) s)"
