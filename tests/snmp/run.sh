#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The SNMP host suite (issue 13): runs every part tests/snmp/PART.sh (each
# standalone: root, its own netns muisp-snmp-PART-PID, snmpd + snmptrapd
# on private sockets and muisp-agentx through tests/snmp/lib.sh) and sums
# their results (tests/lib/parts.sh).  The VM scenario snmp-ipfix checks
# what needs the module.
#
# Usage: tests/snmp/run.sh [PART ...]      (root; `make` first)
# Env:   MUISP_BIN (default build/bin) reaches the parts unchanged;
#        MUISP_SNMP_PART_LIMIT seconds per part (default 120).
# Prints each part's checks, one line "PART: N passed, N failed, S s" per
# part and, last, "snmp: N passed, N failed"; exit 0 iff every part
# passed and at least one ran.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
export MUISP_BIN=${MUISP_BIN:-$top/build/bin}
. "$top/tests/lib/parts.sh"
# run.sh is this script; lib.sh the helpers the parts source
run_parts snmp "$top/tests/snmp" "${MUISP_SNMP_PART_LIMIT:-120}" \
	"run.sh lib.sh" "$@"
