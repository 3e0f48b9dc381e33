#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 1500
#
# Forwarding benchmark (issue: kernel datapath).  In one VM run, pktgen in
# netns "gen" sends 64-byte UDP packets from 1,000 source addresses x 10
# source ports (10,000 concurrent flows) through netns "router" to a dummy
# WAN device (no sink namespace: nothing but forwarding runs on CPU 1).
# Three configurations, interleaved over ROUNDS rounds:
#   none   muisp.ko not loaded, plain forwarding
#   muisp  muisp.ko: the 1,000 addresses bound to 1,000 active contracts
#          (gate + flow-table metering + contract charging)
#   nft    nftables doing the same job: a set of paid addresses with
#          per-element counters, conntrack with accounting, drop the rest
# Forwarding runs on the router's receive CPU (RPS pins it to CPU 1, pktgen
# runs on CPU 0), so the rate is bounded by the forwarding path: each
# round checks that the backlog dropped packets (/proc/net/softnet_stat),
# i.e. that CPU 1 was saturated.  TCG emulates the CPU: only the ratios
# within this run mean anything; they are reported as the median of the
# per-round ratios and as a mean with its 95 % confidence interval.  The
# steadier figure is tests/vm/bench/insn.sh's instruction count.
#
# MUISP_BENCH_PROFILE=1: afterwards, profile CPU 1 (perf, cpu-clock) for
# each configuration under load and print its top kernel symbols, the
# module's and netfilter's; the raw data goes to the run directory.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/lib/bench.sh"

ROUNDS=${MUISP_BENCH_ROUNDS:-7}
SECS=${MUISP_BENCH_SECS:-8}
NADDR=1000 NPORT=10
. "$MUISP_TOP/tests/vm/bench/fwd-lib.bash"

cfg_none() { [ -d /sys/module/muisp ] && rmmod muisp; true; }

cfg_muisp() {
	[ -d /sys/module/muisp ] || insmod "$MUISP_KO"
	bind_all "$NADDR"
}

cfg_nft() {
	cfg_none
	on router sysctl -qw net.netfilter.nf_conntrack_acct=1 2>/dev/null || true
	stock_gate "$NADDR"
	on router sysctl -qw net.netfilter.nf_conntrack_acct=1
}

cfg_reset() { on router nft flush ruleset 2>/dev/null || true; }

modprobe pktgen
modprobe dummy
bench_topo --dummy
pktgen_setup
CONFIGS=${MUISP_BENCH_CONFIGS:-none muisp nft}
declare -A sum
unsat=0
for cfg in $CONFIGS; do sum[$cfg]=; done
# Round 0 warms caches and the TCG translation cache; it is not counted.
for ((r = 0; r <= ROUNDS; r++)); do
	for cfg in $CONFIGS; do
		cfg_reset
		"cfg_$cfg"
		read -r rate drops < <(measure)
		[ $r -eq 0 ] && continue
		sum[$cfg]+="$rate "
		sat=saturated
		if [ "$drops" -eq 0 ]; then
			sat="NOT saturated"
			unsat=$((unsat + 1))
		fi
		echo "round $r $cfg: $rate pkt/s (emulated), $drops dropped at the backlog: $sat"
	done
done
cfg_reset
[ -d /sys/module/muisp ] || insmod "$MUISP_KO"

# profile CFG: where the forwarding CPU spends its time under load.
profile() {
	local cfg=$1 data=$SCRATCH/perf.$1 rep=$SCRATCH/report.$1
	cfg_reset
	"cfg_$cfg"
	on gen sh -c 'echo start > /proc/net/pktgen/pgctrl' &
	perf record -q -a -C 1 -e cpu-clock -o "$data" -- sleep "$SECS" \
		>/dev/null 2>&1
	on gen sh -c 'echo stop > /proc/net/pktgen/pgctrl'
	wait
	perf report -i "$data" --stdio --sort sym 2>/dev/null |
		grep -v '^#' | grep . >"$rep" || true
	echo "profile $cfg: top symbols on the forwarding CPU"
	sed -n 1,25p "$rep"
	echo "profile $cfg: module and netfilter symbols"
	grep -E 'muisp|nf_|nft_|conntrack' "$rep" | sed -n 1,20p || true
	cp "$data" "/muisp-out/perf.$cfg.data" 2>/dev/null || true
}
if [ "${MUISP_BENCH_PROFILE:-0}" = 1 ] && ! command -v perf >/dev/null; then
	echo "profile: perf not found (Debian package linux-perf); skipped"
elif [ "${MUISP_BENCH_PROFILE:-0}" = 1 ]; then
	echo 0 >/proc/sys/kernel/kptr_restrict
	for cfg in $CONFIGS; do profile "$cfg"; done
	cfg_reset
	[ -d /sys/module/muisp ] || insmod "$MUISP_KO"
fi

a=$(median "${sum[none]:-}") b=$(median "${sum[muisp]:-}") c=$(median "${sum[nft]:-}")
echo "median pkt/s: none=$a muisp=$b nft=$c"
echo "rounds in which CPU 1 was not saturated (no backlog drop): $unsat"
ba=$(ratios "${sum[muisp]:-}" "${sum[none]:-}")
bc=$(ratios "${sum[muisp]:-}" "${sum[nft]:-}")
echo "per-round (b)/(a): $(echo $ba)   (b)/(c): $(echo $bc)"
awk -v a="$a" -v b="$b" -v c="$c" 'BEGIN {
	printf "ratio of medians: (b)/(a) %.3f, (b)/(c) %.3f\n", b / a, b / c }'
read -r bam bah < <(ci95 "$(echo $ba)")
read -r bcm bch < <(ci95 "$(echo $bc)")
echo "mean of per-round ratios, 95 % CI: (b)/(a) $bam +- $bah, (b)/(c) $bcm +- $bch"
# VALUE: the median of per-round ratios; SPREAD: the 95 % CI half-width.
bench_result forward.time.b_over_a "$(median "$(echo $ba)")" ratio ">= 0.95" \
	"$ROUNDS" "$bah"
bench_result forward.time.b_over_c "$(median "$(echo $bc)")" ratio ">= 1.00" \
	"$ROUNDS" "$bch"
