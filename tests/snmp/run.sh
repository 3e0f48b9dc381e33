#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The SNMP host suite (issue 13): runs every part tests/snmp/PART.sh (each
# standalone: root, its own netns muisp-snmp-PART-PID, snmpd + snmptrapd
# on private sockets and muisp-agentx through tests/snmp/lib.sh) and sums
# their results.  The VM scenario snmp-ipfix checks what needs the module.
#
# Usage: tests/snmp/run.sh [PART ...]      (root; `make` first)
# Env:   MUISP_BIN (default build/bin) reaches the parts unchanged.
# Prints each part's checks, one line "PART: N passed, N failed, S s" per
# part and, last, "snmp: N passed, N failed"; exit 0 iff every part
# passed and at least one ran.  A part that exits non-zero without a
# summary line counts as one failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/snmp
export MUISP_BIN=${MUISP_BIN:-$top/build/bin}

parts=()
if [ $# -gt 0 ]; then
	for p in "$@"; do
		p=${p%.sh}
		[ -r "$here/$p.sh" ] || { echo "snmp: no part $here/$p.sh" >&2; exit 2; }
		parts+=("$here/$p.sh")
	done
else
	for f in "$here"/*.sh; do
		# run.sh is this script; lib.sh the helpers the parts source
		case ${f##*/} in run.sh | lib.sh) continue ;; esac
		parts+=("$f")
	done
fi

pass=0 fail=0 ran=0 times=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
[ "$(id -u)" -eq 0 ] || { echo "snmp: needs root"; echo "snmp: 0 passed, 1 failed"; exit 1; }
for f in "${parts[@]}"; do
	name=${f##*/}
	name=${name%.sh}
	t0=${EPOCHREALTIME/./}
	echo "== snmp part $name"
	# Each part in a session of its own: stopped after
	# MUISP_SNMP_PART_LIMIT seconds, and whatever it leaves running is
	# ended with it.
	setsid bash "$f" >"$log" 2>&1 &
	pid=$!
	timeout "${MUISP_SNMP_PART_LIMIT:-120}" tail -s 0.1 --pid=$pid -f /dev/null
	lim=$?
	[ $lim -eq 0 ] || kill -TERM -- -$pid 2>/dev/null
	wait $pid
	rc=$?
	kill -TERM -- -$pid 2>/dev/null || true
	cat "$log"
	dt=$(((${EPOCHREALTIME/./} - t0) / 100000))
	line=$(grep -E '^[a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")
		n=$(sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
	else
		p=0 n=0
	fi
	[ $lim -eq 0 ] || echo "snmp part $name: stopped after its limit"
	[ "$rc" -ne 0 ] && [ "$n" -eq 0 ] && n=1
	[ $lim -eq 0 ] || [ "$n" -gt 0 ] || n=1
	[ "$p" -eq 0 ] && [ "$n" -eq 0 ] && n=1 # ran no check
	pass=$((pass + p)) fail=$((fail + n)) ran=$((ran + 1))
	times+=("$(printf '%s: %d passed, %d failed, %d.%d s' "$name" "$p" "$n" $((dt / 10)) $((dt % 10)))")
done
echo "== snmp parts"
[ ${#times[@]} -eq 0 ] || printf '  %s\n' "${times[@]}"
if [ "$ran" -eq 0 ]; then
	echo "snmp: no part in $here"
	fail=$((fail + 1))
fi
echo "snmp: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
