#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The RADIUS host suite (issue 12): runs every part tests/radius/PART.sh
# (dae, outage, roam, ...; each standalone: root, its own netns
# muisp-rad-PART-PID, two FreeRADIUS 3.2 through tests/radius/fr.sh,
# muispd with "kernel no" and usage fed through the operator socket) and
# sums their results (tests/lib/parts.sh).  The VM scenario radius-acct
# checks what needs the module (exact counters, Gigawords, a Disconnect
# that unbinds).
#
# Usage: tests/radius/run.sh [PART ...]      (root; `make` first)
#        make check-radius                   (the same, after building)
# Env:   MUISP_BIN (default build/bin) reaches the parts unchanged;
#        MUISP_RADIUS_PART_LIMIT seconds per part (default 300).
# Prints each part's checks, one line "PART: N passed, N failed, S s" per
# part and, last, "radius: N passed, N failed"; exit 0 iff every part
# passed and at least one ran.  A part that exits non-zero without a
# summary line counts as one failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
export MUISP_BIN=${MUISP_BIN:-$top/build/bin}
. "$top/tests/lib/parts.sh"
# run.sh is this script; fr.sh is the FreeRADIUS library the parts source
run_parts radius "$top/tests/radius" "${MUISP_RADIUS_PART_LIMIT:-300}" \
	"run.sh fr.sh" "$@"
