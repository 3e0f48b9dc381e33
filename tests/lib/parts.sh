# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The runner of a host suite made of parts (tests/radius/run.sh,
# tests/snmp/run.sh): sourced, then
#
#   run_parts SUITE DIR LIMIT SKIP [PART ...]
#
# runs DIR/PART.sh for each PART named (each must exist; exit 2 if not),
# or every DIR/*.sh whose name is not in SKIP (a space-separated list of
# file names: the runner, the helpers the parts source).  Each part runs
# in a session of its own (its process group is its pid), is stopped
# after LIMIT seconds, and whatever it leaves running (a daemon of a part
# that failed) is ended with it and cannot hold the output open.  Prints
# each part's checks, "PART: N passed, N failed, S s" per part and, last,
# "SUITE: N passed, N failed"; returns 0 iff every part passed and at
# least one ran.  A part that exits non-zero without a summary line, or
# runs no check, counts as one failure.  Needs root.
run_parts() {
	local suite=$1 here=$2 limit=$3 skip=" $4 " f p n name t0 dt line
	local pid rc lim log pass=0 fail=0 ran=0 parts=() times=()
	shift 4
	if [ $# -gt 0 ]; then
		for p in "$@"; do
			p=${p%.sh}
			[ -r "$here/$p.sh" ] ||
				{ echo "$suite: no part $here/$p.sh" >&2; return 2; }
			parts+=("$here/$p.sh")
		done
	else
		for f in "$here"/*.sh; do
			[[ $skip == *" ${f##*/} "* ]] || parts+=("$f")
		done
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "$suite: needs root"
		echo "$suite: 0 passed, 1 failed"
		return 1
	fi
	log=$(mktemp)
	for f in "${parts[@]}"; do
		name=${f##*/}
		name=${name%.sh}
		t0=${EPOCHREALTIME/./}
		echo "== $suite part $name"
		setsid bash "$f" >"$log" 2>&1 &
		pid=$!
		timeout "$limit" tail -s 0.1 --pid=$pid -f /dev/null
		lim=$?
		[ $lim -eq 0 ] || kill -TERM -- -$pid 2>/dev/null
		wait $pid
		rc=$?
		kill -TERM -- -$pid 2>/dev/null || true
		cat "$log"
		dt=$(((${EPOCHREALTIME/./} - t0) / 100000))
		line=$(grep -aE '^[a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' \
			"$log" | tail -1)
		if [ -n "$line" ]; then
			p=$(sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed.*/\1/' <<<"$line")
			n=$(sed -E 's/^[^:]+: ([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
		else
			p=0 n=0
		fi
		[ $lim -eq 0 ] || echo "$suite part $name: stopped after its limit"
		[ "$rc" -ne 0 ] && [ "$n" -eq 0 ] && n=1
		[ $lim -eq 0 ] || [ "$n" -gt 0 ] || n=1
		[ "$p" -eq 0 ] && [ "$n" -eq 0 ] && n=1 # ran no check
		pass=$((pass + p)) fail=$((fail + n)) ran=$((ran + 1))
		times+=("$(printf '%s: %d passed, %d failed, %d.%d s' "$name" \
			"$p" "$n" $((dt / 10)) $((dt % 10)))")
	done
	rm -f "$log"
	echo "== $suite parts"
	[ ${#times[@]} -eq 0 ] || printf '  %s\n' "${times[@]}"
	if [ "$ran" -eq 0 ]; then
		echo "$suite: no part in $here"
		fail=$((fail + 1))
	fi
	echo "$suite: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
