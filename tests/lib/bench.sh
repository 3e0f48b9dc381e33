# SPDX-License-Identifier: GPL-2.0
# The one way a benchmark reports a figure (sourced; POSIX sh, runs in the
# VM guest too).  Each call prints one line
#   BENCH {"name": ..., "value": ..., "unit": ..., "target": ..., ...}
# that scripts/bench-json.py copies into build/bench/results.json; the
# human-readable text a benchmark prints around it is for the log only.
#
#   bench_result NAME VALUE UNIT [TARGET] [ROUNDS] [SPREAD] [KERNEL]
#
# NAME    dotted, stable across runs (forward.insn_per_pkt.b): what
#         docs/PERFORMANCE.md and later runs refer to; [A-Za-z0-9_.:/+-]
# VALUE   a number (the figure: a median, a ratio, a count)
# UNIT    "ratio", "insn/pkt", "bytes/flow", "probes", "ms", ... ("" none)
# TARGET  "" or a comparison such as ">= 0.95" or "<= 350"
# ROUNDS  how many measurements VALUE summarises (default 1)
# SPREAD  "" or the spread of those rounds, in UNIT: (max - min) / 2, or a
#         95 % confidence half-width where the benchmark says so
# KERNEL  the kernel the figure was measured on (default: uname -r where
#         the line is printed: the guest's in a VM benchmark)
bench_result() {
	_bn=$1 _bv=$2 _bu=$3 _bt=${4:-} _br=${5:-1} _bs=${6:-} _bk=${7:-}
	case $_bn in
	'' | *[!A-Za-z0-9_.:/+-]*)
		echo "bench_result: bad name '$_bn'" >&2
		return 1
		;;
	esac
	case $_bv in
	'' | *[!0-9.eE+-]*)
		echo "bench_result: $_bn: value '$_bv' is not a number" >&2
		return 1
		;;
	esac
	[ -n "$_bk" ] || _bk=$(uname -r)
	[ -n "$_bs" ] || _bs=null
	if [ -n "$_bt" ]; then _bt="\"$_bt\""; else _bt=null; fi
	printf 'BENCH {"name": "%s", "value": %s, "unit": "%s", "target": %s, "rounds": %s, "spread": %s, "kernel": "%s"}\n' \
		"$_bn" "$_bv" "$_bu" "$_bt" "$_br" "$_bs" "$_bk"
}

# bench_rounds NAME UNIT TARGET VALUE...: one figure from the VALUEs of
# several rounds: their median (the mean of the middle two for an even
# count), ROUNDS their count and SPREAD (max - min) / 2.
bench_rounds() {
	_bn=$1 _bu=$2 _bt=$3
	shift 3
	# shellcheck disable=SC2046 # the three numbers awk prints
	set -- $(printf '%s\n' "$@" | grep . | sort -g | awk '{ v[NR] = $1 }
		END { if (NR == 0) exit 1
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.6g %.6g %d\n", m, (v[NR] - v[1]) / 2, NR }')
	[ $# -eq 3 ] || {
		echo "bench_rounds: $_bn: no values" >&2
		return 1
	}
	bench_result "$_bn" "$1" "$_bu" "$_bt" "$3" "$2"
}

# callgrind_ir FUNC PROGRAM ARGS...: the instructions (callgrind's Ir)
# PROGRAM ARGS executes inside FUNC and what it calls, the host benchmarks'
# count.  Fails, with valgrind's log on stderr, if the program fails or
# nothing was counted.
callgrind_ir() {
	_cf=$1
	shift
	_co=$(mktemp) _cl=$(mktemp) _cn=
	valgrind --tool=callgrind --toggle-collect="$_cf" \
		--callgrind-out-file="$_co" "$@" >/dev/null 2>"$_cl" &&
		_cn=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$_cl")
	[ -n "$_cn" ] || {
		echo "callgrind_ir: $* failed or counted nothing" >&2
		cat "$_cl" >&2
	}
	rm -f "$_co" "$_cl"
	[ -n "$_cn" ] && echo "$_cn"
}
