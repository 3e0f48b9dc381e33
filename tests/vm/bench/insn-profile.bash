# SPDX-License-Identifier: GPL-2.0
# The instruction counter's profiles, for the benchmarks: sourced.
#
# insn_profile NAME PACKETS CPU: the last profile (insn-mark profile) per
# packet, CPU's instructions by function: the blocks' start addresses
# resolved with /proc/kallsyms, a block charged whole to the function it
# starts in.  Writes /muisp-out/insn-profile.NAME ("insn/pkt share%
# function", largest first, a "(total)" line) and logs its top 25.
insn_profile() {
	local rep=/muisp-out/insn-profile.$1
	{
		awk '$2 ~ /^[tTwW]$/ {print $1, 0, $3, $4}' /proc/kallsyms
		# the last profile: up to its header (all read: no SIGPIPE to tac)
		tac /muisp-out/insn.prof | sed -n '1,/^profile /p' | awk -v col=$(($3 + 2)) '$col > 0 {
			print substr("0000000000000000", 1, 16 - length($1)) $1, 1, $col }'
	} | LC_ALL=C sort | awk -v n="$2" '
		BEGIN { s = "(below every kernel symbol: user space)" }
		$2 == 0 { s = $3 ($4 != "" ? " " $4 : ""); next }
		{ c[s] += $3; t += $3 }
		END {
			for (s in c) printf "%10.1f %5.1f%%  %s\n", c[s] / n, 100 * c[s] / t, s
			printf "%10.1f 100.0%%  (total)\n", t / n
		}' | sort -rn >"$rep"
	log "profile $1: insn/pkt on CPU $3 by function ($2 packets), top 25"
	sed -n 1,25p "$rep"
}

# insn_profile_diff A B: per function, B's insn/pkt less A's (two
# insn_profile reports of the same CPU), largest differences first
insn_profile_diff() {
	awk '$NF != "(total)" { f = $3; for (i = 4; i <= NF; i++) f = f " " $i
		if (FILENAME == ARGV[1]) a[f] = $1; else b[f] = $1; all[f] = 1 }
		END { for (f in all) printf "%10.1f  %s\n", b[f] - a[f], f }' \
		"/muisp-out/insn-profile.$1" "/muisp-out/insn-profile.$2" | sort -rn
}
