# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Instructions per forwarded packet on the forwarding vCPU
# (docs/PERFORMANCE.md, "Instructions per forwarded packet"): the body of
# insn.sh (require-tunnel off) and insn-tun.sh (on, AH), sourced with
# INSN_CONFIGS, the configurations run when MUISP_BENCH_CONFIGS is unset.
#
# pktgen in netns "gen" (CPU 0) sends PKTS 60-byte UDP packets from 1,000
# source addresses x 10 source ports (10,000 flows; other layouts below)
# to a dummy WAN device of netns "router", whose LAN port's receive RPS
# moves to CPU 1; this script and everything it starts run on CPU 0.  The
# backlog holds them all (netdev_max_backlog), so none is dropped.
#
# One window counts CPU 1 from the first packet sent until the last one
# has left; an idle window of the same length follows, and
#   per packet = (busy - idle) / packets forwarded
# leaves out the periodic work (timers, the collector) that lands on CPU 1
# in proportion to the time.  Both windows leave out CPU 1's busy-waiting
# (the plugin's spin count: PAUSE loops, a lock held on CPU 0), whose
# count follows how long the wait lasts; each run's log line shows it.
# CPU 1 is held in a pktgen window (the plugin's hold, held_send) at the
# entry of net_rx_action until all the packets are in its backlog, so that
# it forwards them all in full batches whatever the host's scheduling of
# the two vCPUs does, and the idle window is as long as CPU 1 ran
# (MUISP_BENCH_HOLD=0: not held; its figures are named ".unheld").  Each
# configuration is set up, warmed with one pass of PKTS packets (its flows
# exist, the translation cache is warm), then counted RUNS times:
#   a       plain forwarding, muisp.ko not loaded
#   a_napt  NAPT: conntrack + masquerade (nat/muisp-nat.nft, as shipped)
#   b       muisp.ko, the 1,000 addresses bound to 1,000 active contracts
#   b_napt  NAPT + muisp (the deployment)
#   c       nftables doing muisp's job: a set of the paid addresses with
#           per-element counters, conntrack with accounting
#   b_c10   as b with the same 10,000 flows from 10 sources x 1,000 ports,
#           10 bound contracts
#   b_c10k  as b with 10,000 sources x 1 port, 10,000 bound contracts
#   a_c10, a_c10k  as a with those flows (a keeps no per-source state)
# The b configurations also report the memory the binding took per
# contract (Slab + Percpu + VmallocUsed of /proc/meminfo; the slab caches
# that grew in the log).
# All these with require-tunnel off (pktgen cannot make per-client IPsec
# SAs), and with it on, the production path, where ahgen (tests/bench/ahgen.c) in
# "gen" on CPU 0 replays TUN_PKTS frames per pass, crafted in the guest
# before the first window: the 1,000 clients' AH tunnel-mode packets
# (HMAC-SHA-256-128, sequence numbers advancing per SA over all passes,
# replay window 32 as strongSwan sets it) around the same 60-byte UDP
# packets; on the router an AH SA and in/fwd/out policies per client:
#   a_napt_xfrm  (a') + XFRM: NAPT, the SAs and policies, muisp.ko not
#                loaded
#   b_napt_tun   (b') with require-tunnel on: NAPT, XFRM, muisp with each
#                address bound with its SA (tunnel ah spi, reqid)
# A tunnel configuration fails unless every packet of every pass was
# decapsulated (the SAs' packet counts, no XFRM error) and forwarded (the
# dummy's tx count), none dropped at the backlogs or by muisp.
#
# Then one more window per configuration, profiled: the instructions CPU 1
# executed per packet in each kernel function (the plugin's per-block
# counts resolved with /proc/kallsyms), the top ones and muisp's and
# netfilter's.
#
# Each run's log line has CPU 1's interrupts, softirqs and idle time in
# both windows, its backlog at the release and the plugin's holds: without
# the hold, (a) spread by per-batch work (RPS IPIs, NET_RX softirqs, waking
# from idle) whenever CPU 1 kept up with pktgen and drained its backlog, as
# the host happened to schedule the two vCPUs.  ahgen's windows (the tunnel
# configurations, where CPU 1 is several times slower than the generator)
# are not held.
#
# MUISP_BENCH_PKTS (default 100000), MUISP_BENCH_TUN_PKTS (20000),
# MUISP_BENCH_RUNS (3), MUISP_BENCH_CONFIGS (INSN_CONFIGS),
# MUISP_BENCH_PROFILE (1; 0: no profile; runs: every run's busy window
# profiled, insn-profile.CFG.RUN), MUISP_BENCH_HOLD (1; 0: CPU 1 not held
# until pktgen has queued all the packets, docs/PERFORMANCE.md,
# "Repeatability of (a)").  A benchmark that cannot hold (insn-tun.sh:
# ahgen's frames) sets INSN_UNHELD=1 before sourcing this; its figures
# keep their names.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/lib/bench.sh"

PKTS=${MUISP_BENCH_PKTS:-100000}
TUN_PKTS=${MUISP_BENCH_TUN_PKTS:-20000}
RUNS=${MUISP_BENCH_RUNS:-3}
CONFIGS=${MUISP_BENCH_CONFIGS:-$INSN_CONFIGS}
NADDR=1000 NPORT=10
# the tunnel configurations' frames: warm-up, RUNS windows, the profile
TUN_PASSES=$((RUNS + 2)) TUN_FRAMES=$SCRATCH/ah.frames
. "$MUISP_TOP/tests/vm/bench/fwd-lib.bash"
. "$MUISP_TOP/tests/vm/bench/insn-profile.bash"

INSN_OUT=/muisp-out/insn.out
[ -e "$INSN_OUT" ] || fail "no instruction counter (tests/vm/run.sh loads it with MUISP_VM_INSN=1)"
# This shell and its children on CPU 0: CPU 1 runs the forwarding only.
taskset -pc 0 $$ >/dev/null

# cpu1_window: CPU 1's count in the window the plugin wrote last, less
# its busy-waiting, and that busy-waiting (the plugin's blocks with a PAUSE
# and the loop test after each): "COUNT SPIN".  A CPU spinning for a lock
# another holds counts the wait's wall time, not work.
cpu1_window() {
	tail -1 "$INSN_OUT" |
		sed -n 's/^window [0-9]* .*cpu1=\([0-9]*\) .*spin1=\([0-9]*\).*/\1 \2/p' |
		awk '{print $1 - $2, $2}'
}

# Calibration: a loop of 2 x 10^6 instructions on CPU 1, as counted there;
# the least of three windows (an interrupt on CPU 1 may land in one).
cal=
for i in 1 2 3; do
	taskset -c 1 insn-mark loop 1000000
	read -r c _ < <(cpu1_window)
	[ -n "$cal" ] && [ "$cal" -le "$c" ] || cal=$c
done
log "calibration: a loop of 2000000 instructions on CPU 1 counted as $cal (least of 3)"
check "counter calibration" test "$cal" -ge 2000000 -a "$cal" -le 2040000

tunnel() { case $1 in *_xfrm | *_tun) true ;; *) false ;; esac; }
cfg_reset() {
	on router nft flush ruleset
	[ -d /sys/module/muisp ] && rmmod muisp
	if [ -n "${TUN_XFRM-}" ]; then
		on router ip xfrm policy flush
		on router ip xfrm state flush
	fi
	true
}
cfg_a() { :; }
napt() {
	mkdir -p "$SCRATCH/nat/muisp"
	cat >"$SCRATCH/nat/muisp/nat.conf" <<-EOF
	define muisp_wan = "wan0"
	define muisp_lan4 = { 198.18.0.0/15 }
	EOF
	on router nft -I "$SCRATCH/nat" -f "$MUISP_TOP/nat/muisp-nat.nft"
}
cfg_a_napt() { napt; }
cfg_b() {
	local m0
	insmod "$MUISP_KO"
	m0=$(mem_snap)
	bind_all "$NADDR" >/dev/null
	mem_report "$m0"
}
# The same 10,000 flows as 10 sources x 1,000 ports and 10,000 sources x 1
# port (layout below): every source bound to its own contract in b_*.
cfg_a_c10() { :; }
cfg_a_c10k() { :; }
cfg_b_c10() { cfg_b; }
cfg_b_c10k() { cfg_b; }
# layout CFG: "NADDR NPORT" of CFG's flows
layout() {
	case $1 in
	*_c10) echo 10 1000 ;;
	*_c10k) echo 10000 1 ;;
	*) echo 1000 10 ;;
	esac
}

# mem_snap: Slab, Percpu and VmallocUsed (kB, /proc/meminfo), then each
# slab cache's active objects' bytes (/proc/slabinfo)
mem_snap() {
	awk '$1 ~ /^(Slab|Percpu|VmallocUsed):$/ {printf "%s ", $2}' /proc/meminfo
	awk 'NR > 2 {printf "%s=%d ", $1, $2 * $4}' /proc/slabinfo
}
# mem_report SNAP: the memory the binding of NADDR contracts took since
# SNAP, per contract (the largest slab caches' shares in the log)
mem_report() {
	local per
	per=$(awk -v a="$1" -v b="$(mem_snap)" -v n="$NADDR" 'BEGIN {
		split(a, A, " "); split(b, B, " ")
		printf "%.0f", (B[1] + B[2] + B[3] - A[1] - A[2] - A[3]) * 1024 / n }')
	log "memory: $NADDR contracts took $per bytes each (Slab + Percpu + VmallocUsed); by slab cache, bytes per contract:"
	awk -v a="$1" -v b="$(mem_snap)" -v n="$NADDR" 'BEGIN {
		k = split(a, A, " "); for (i = 4; i <= k; i++) { split(A[i], x, "="); o[x[1]] = x[2] }
		k = split(b, B, " "); for (i = 4; i <= k; i++) { split(B[i], x, "="); d = x[2] - o[x[1]]
			if (d * 100 > n) printf "  %8.1f %s\n", d / n, x[1] } }' | sort -rn | sed -n 1,8p
	bench_result "forward.mem_per_contract.$cfg" "$per" bytes/contract
}
cfg_b_napt() {
	napt
	cfg_b
}
cfg_c() { stock_gate "$NADDR"; }
# The clients' SAs and policies, fresh (sequence numbers from 1).
xfrm_clients() { on router ip -batch "$TUN_XFRM"; }
cfg_a_napt_xfrm() {
	napt
	xfrm_clients
}
cfg_b_napt_tun() {
	napt
	xfrm_clients
	insmod "$MUISP_KO"
	bind_all "$NADDR" tunnel >/dev/null
}
# tun_setup: ahgen's SAs and policies for the router (ip -batch) and its
# frames, crafted here on CPU 0 before any window
tun_setup() {
	# some are built in or absent on other kernel lines; ip xfrm says
	modprobe -qa ah4 xfrm_user hmac sha256_generic 2>/dev/null || true
	TUN_XFRM=$SCRATCH/xfrm.batch
	ahgen xfrm $NADDR "$SRC_MIN" $RTR_LAN $TUN_SPI0 >"$TUN_XFRM" ||
		fail "ahgen xfrm"
	ahgen craft $NADDR "$SRC_MIN" $RTR_LAN $SINK_DST $GEN_MAC $RTR_IN_MAC \
		$NPORT $TUN_SPI0 $TUN_PASSES "$TUN_PKTS" "$TUN_FRAMES" ||
		fail "ahgen craft"
	log "tunnel: $NADDR clients' AH frames, $TUN_PASSES passes of $TUN_PKTS"
}
# tun_check CFG PASSES: every frame of PASSES passes decapsulated by its
# SA, none with an XFRM error, none dropped by muisp, all metered
tun_check() {
	local n=$(($2 * TUN_PKTS)) dec err st
	dec=$(on router ip -s xfrm state | awk '/lifetime current:/ {
		getline; sub(/\(packets\).*/, "", $2); n += $2 } END { print n + 0 }')
	err=$(on router cat /proc/net/xfrm_stat | awk '$2 != 0 { printf "%s=%s ", $1, $2 }')
	log "$1: $dec of $n frames decapsulated by their SAs; XFRM errors: ${err:-none}"
	check "$1: every frame decapsulated" test "$dec" -eq "$n"
	check "$1: no XFRM error" test -z "$err"
	[ -d /sys/module/muisp ] || return 0
	st=$(on router muispctl --json stats show | jq -r '"\([to_entries[] |
		select(.key | startswith("drop_")) | .value | tonumber] | add // 0) \(.up_packets)"')
	log "$1: muisp: drops (all reasons) and up packets: $st"
	check "$1: muisp dropped none, metered all" test "$st" = "0 $n"
}

# send N [CMD...]: pktgen (or, in a tunnel configuration, ahgen: pass
# TUN_PASS of the frames, then the next) sends N packets, CMD runs just
# before they start to move, and send returns when the router has
# forwarded them all (or stopped forwarding)
send() {
	local tx=-1 n=$1
	shift
	if tunnel "$cfg"; then
		"$@"
		on gen ahgen send eth0 "$TUN_FRAMES" $((TUN_PASS++)) "$n" >/dev/null ||
			fail "ahgen send"
	else
		on gen sh -c "echo 'count $n' > /proc/net/pktgen/eth0"
		"$@"
		if [ $# -gt 0 ] && [ "$HOLD" = 1 ]; then
			held_send "$n"
		else
			on gen sh -c 'echo start > /proc/net/pktgen/pgctrl'
		fi
	fi
	while [ "$(tx_packets)" != "$tx" ]; do
		tx=$(tx_packets)
		sleep 0.2
	done
}

# held_send N: pktgen sends N packets while CPU 1 is held at the entry of
# net_rx_action (insn-mark hold): the RPS IPI for the first packet stops it
# there, the backlog fills with all N, and once released CPU 1 forwards
# them in full batches (the backlog's weight, 64 a poll), woken once,
# instead of keeping up with pktgen in batches as small as the host's
# scheduling of the two vCPUs happens to make them (docs/PERFORMANCE.md,
# "Repeatability of (a)").  While CPU 1 is frozen nothing here may wait for
# it, so this shell forks nothing (a new process could wait for an RCU
# grace period, a TLB flush or a 9p read, whose interrupt may be CPU 1's)
# until it tells insn-mark, locked in memory and waiting since before the
# hold, to release it.  Sets HELD (CPU 1's backlog at the release) and
# T_RELEASE.
held_send() {
	local pg q=0 l hp hw
	coproc HOLDER { insn-mark hold "$HOLD_AT"; }
	hp=$HOLDER_PID hw=${HOLDER[1]}
	if ! read -r -u "${HOLDER[0]}" l || [ "$l" != armed ]; then
		fail "insn-mark hold"
	fi
	on gen sh -c 'echo start > /proc/net/pktgen/pgctrl' &
	pg=$!
	while [ "$q" -lt "$1" ] && kill -0 $pg 2>/dev/null; do
		read -r -t 0.02 -u "$NAP" l || true
		q=0
		while read -r -a l; do # backlog length, CPU (softnet_stat)
			[ "${l[12]}" = 00000001 ] && q=$((16#${l[11]}))
		done </proc/net/softnet_stat
	done
	T_RELEASE=$EPOCHREALTIME HELD=$q
	echo release >&"$hw"
	wait "$hp"
	wait $pg || fail "pktgen"
}

# cpu1_stats: CPU 1's counts that say how it spent a window: interrupts
# (local timer, function call = RPS IPIs, rescheduling), softirqs
# (NET_RX, TIMER, RCU), idle and softirq time (/proc/stat, 1/100 s) and
# ksoftirqd/1's context switches
KSOFTIRQD1=$(pgrep -x ksoftirqd/1)
cpu1_stats() {
	{
		awk '$1 ~ /^(LOC|CAL|RES|NET_RX|TIMER|RCU):$/ {print $1 $3}' \
			/proc/interrupts /proc/softirqs
		awk '$1 == "cpu1" {print "idle:" $5; print "softirq:" $8}' /proc/stat
		awk '/ctxt_switches/ {n += $2} END {print "ksoftirqd:" n}' \
			"/proc/$KSOFTIRQD1/status"
	} | tr '\n' ' '
}
# stats_delta BEFORE AFTER: "NAME N,NAME N,..." (cpu1_stats' differences)
stats_delta() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, A, " "); split(b, B, " ")
		for (i = 1; i <= n; i++) {
			split(A[i], x, ":"); split(B[i], y, ":")
			printf "%s%s %d", (i > 1 ? "," : ""), x[1], y[2] - x[2]
		} }'
}

# window_open: the busy window opens (sets count's tx0 d0 s0 t0)
window_open() {
	tx0=$(tx_packets) d0=$(softnet_drops)
	s0=$(cpu1_stats)
	t0=$(date +%s.%N)
	insn-mark start
}

# hold_report: "BACKLOG,held=N,hold_timeouts=N" of the last window: CPU
# 1's backlog at the release and the plugin's holds (none: no hold)
hold_report() {
	echo "$HELD,$(tail -1 "$INSN_OUT" | grep -o 'held=.*' | tr ' ' ,)"
}

# count: one busy and one idle window; prints "busy idle packets drops
# busy-stats idle-stats hold spin" (stats_delta's, without spaces;
# hold_report's; the busy window's busy-waiting, left out of busy).  The
# idle window is as long as CPU 1 ran in the busy one: from the release to
# the end (a frozen vCPU runs no periodic work).
count() {
	local tx0 tx1 d0 t0 t1 busy idle s0 s1 s2 h spin
	T_RELEASE='' HELD=-
	send "$N" window_open
	[ "${MUISP_BENCH_PROFILE:-1}" != runs ] || insn-mark profile
	insn-mark stop
	t1=$(date +%s.%N)
	read -r busy spin < <(cpu1_window)
	h=$(hold_report)
	tx1=$(tx_packets)
	s1=$(cpu1_stats)
	insn-mark start
	sleep "$(awk -v a="${T_RELEASE:-$t0}" -v b="$t1" 'BEGIN {print b - a}')"
	insn-mark stop
	read -r idle _ < <(cpu1_window)
	s2=$(cpu1_stats)
	echo "$busy $idle $((tx1 - tx0)) $(($(softnet_drops) - d0))" \
		"$(stats_delta "$s0" "$s1" | tr -d ' ')" \
		"$(stats_delta "$s1" "$s2" | tr -d ' ')" "$h" "$spin"
}

# profile_open: the profiled window opens (sets profile's tx0)
profile_open() {
	tx0=$(tx_packets)
	insn-mark start
}

# profile CFG: one more busy window, profiled (profile_report)
profile() {
	local tx0
	send "$N" profile_open
	insn-mark profile
	insn-mark stop
	profile_report "$1" $(($(tx_packets) - tx0))
}

# profile_report NAME PACKETS: the last profile per packet, CPU 1's
# (insn_profile in insn-profile.bash), its muisp and netfilter lines too
profile_report() {
	insn_profile "$1" "$2" 1
	log "profile $1: muisp and netfilter"
	grep -E 'muisp|nf_|nft_|conntrack|nf_hook' "/muisp-out/insn-profile.$1" | sed -n 1,25p || true
}

modprobe pktgen
modprobe dummy
bench_topo --dummy
pktgen_setup
sysctl -qw net.core.netdev_max_backlog=$((PKTS + 10000))
# Flows outlive the run: no conntrack entry times out between its windows.
on router modprobe nf_conntrack 2>/dev/null || true
sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600 2>/dev/null || true
on router sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600 \
	net.netfilter.nf_conntrack_acct=1 2>/dev/null || true
for cfg in $CONFIGS; do
	if tunnel "$cfg"; then
		tun_setup
		break
	fi
done

[ -d /sys/module/muisp ] && rmmod muisp
echo 0 >/proc/sys/kernel/kptr_restrict
# held_send's hold: net_rx_action's entry; its naps: a FIFO never written
# Unheld pktgen figures are named apart (".unheld"): they are not
# comparable with held ones.  ahgen's (the tunnel configurations', and
# insn-tun.sh's ratios between them) are never held and keep their names.
HOLD=${MUISP_BENCH_HOLD:-1} HOLD_SUFFIX= RATIO_SUFFIX=
[ -z "${INSN_UNHELD-}" ] || HOLD=0
[ "$HOLD" = 1 ] || HOLD_SUFFIX=.unheld
[ -n "${INSN_UNHELD-}" ] || RATIO_SUFFIX=$HOLD_SUFFIX
HOLD_AT=$(awk '$3 == "net_rx_action" {print $1; exit}' /proc/kallsyms)
[ -n "$HOLD_AT" ] || fail "net_rx_action not in /proc/kallsyms"
mkfifo "$SCRATCH/nap"
exec {NAP}<>"$SCRATCH/nap"
declare -A per spread
for cfg in $CONFIGS; do
	cfg_reset
	N=$PKTS TUN_PASS=0
	tunnel "$cfg" && N=$TUN_PKTS
	read -r NADDR NPORT < <(layout "$cfg")
	pktgen_flows "$NADDR" "$NPORT"
	"cfg_$cfg"
	on router conntrack -F 2>/dev/null || true
	send "$N" # warm-up: the flows exist, the code is translated
	vals=
	for ((r = 1; r <= RUNS; r++)); do
		# in this shell: send's pass counter and fail
		count >"$SCRATCH/count"
		read -r busy idle pkts drops bstats istats hold spin <"$SCRATCH/count"
		# Counted per packet forwarded; a loss would be the rig's fault.
		# A tunnel configuration's loss would be XFRM's or muisp's too
		# (one more is the router's own IPv6 on wan0: an RS, an MLD report).
		if [ "$pkts" -ne "$N" ] || [ "$drops" -ne 0 ]; then
			if tunnel "$cfg" && { [ "$pkts" -lt "$N" ] || [ "$drops" -ne 0 ]; }; then
				fail "$cfg run $r: $pkts of $N forwarded, $drops dropped at the backlogs"
			fi
			log "WARNING: $cfg run $r: $pkts of $N forwarded, $drops dropped at the backlogs"
		fi
		v=$(awk -v b="$busy" -v i="$idle" -v n="$pkts" 'BEGIN {printf "%.1f", (b - i) / n}')
		log "$cfg run $r: busy $busy idle $idle insn on CPU 1, $pkts packets: $v insn/pkt" \
			"(besides $(awk -v s="$spin" -v n="$pkts" 'BEGIN {printf "%.1f", s / n}') busy-waiting)"
		log "$cfg run $r: CPU 1 busy window: $bstats; idle window: $istats;" \
			"backlog at the release, holds: $hold"
		# held until all N were queued (not ahgen's windows: "-")
		case $hold in
		-*) ;;
		*",held="[1-9]*",hold_timeouts=0") [ "${hold%%,*}" -ge "$N" ] ||
			log "WARNING: $cfg run $r: CPU 1 released with ${hold%%,*} of $N packets queued" ;;
		*) log "WARNING: $cfg run $r: CPU 1 not held until all packets were queued ($hold)" ;;
		esac
		[ "${MUISP_BENCH_PROFILE:-1}" != runs ] || profile_report "$cfg.$r" "$pkts"
		vals+="$v "
	done
	per[$cfg]=$(median "$vals")
	spread[$cfg]=$(tr ' ' '\n' <<<"$vals" | grep . | sort -n |
		awk '{a[NR] = $1} END {printf "%.1f", (a[NR] - a[1]) / 2}')
	log "$cfg: median ${per[$cfg]} insn/pkt, spread +-${spread[$cfg]} ($vals)"
	sfx=$HOLD_SUFFIX
	! tunnel "$cfg" || sfx=
	bench_result "forward.insn_per_pkt.$cfg$sfx" "${per[$cfg]}" insn/pkt "" \
		"$RUNS" "${spread[$cfg]}"
	[ "${MUISP_BENCH_PROFILE:-1}" != 1 ] || profile "$cfg"
	if tunnel "$cfg"; then tun_check "$cfg" "$TUN_PASS"; fi
done
cfg_reset
insmod "$MUISP_KO"

# The ratios, when their configurations ran (named as above).
ratio() { # NAME EXPR TARGET UNIT [SPREAD]: EXPR of a, an (a_napt), b,
	# bn, c, ax (a_napt_xfrm), bt (b_napt_tun)
	bench_result "$1$RATIO_SUFFIX" "$(awk -v a="${per[a]:-0}" -v an="${per[a_napt]:-0}" \
		-v b="${per[b]:-0}" -v bn="${per[b_napt]:-0}" -v c="${per[c]:-0}" \
		-v ax="${per[a_napt_xfrm]:-0}" -v bt="${per[b_napt_tun]:-0}" \
		"BEGIN {printf \"%.3f\", $2}")" "$4" "$3" "$RUNS" "${5-}"
}
if [ -n "${per[a]:-}" ] && [ -n "${per[b]:-}" ]; then
	ratio forward.insn.b_minus_a "b - a" "<= 350" insn/pkt
	ratio forward.insn.a_over_b "a / b" ">= 0.92" ratio
	[ -n "${per[c]:-}" ] &&
		ratio forward.insn.c_cost_over_b_cost "(c - a) / (b - a)" ">= 4" ratio
fi
if [ -n "${per[a_napt]:-}" ] && [ -n "${per[b_napt]:-}" ]; then
	# the rate ratio (b')/(a') of forward.sh's kind is I(a') / I(b')
	ratio forward.insn.a_napt_over_b_napt "an / bn" ">= 0.95" ratio
fi
if [ -n "${per[a_napt_xfrm]:-}" ] && [ -n "${per[b_napt_tun]:-}" ]; then
	# muisp's added cost on the production path, over (a') + XFRM
	# (spread: the two configurations' spreads added, a bound)
	ratio forward.insn.b_napt_tun_minus_a_napt_xfrm "bt - ax" "" insn/pkt \
		"$(awk -v x="${spread[a_napt_xfrm]}" -v y="${spread[b_napt_tun]}" 'BEGIN {printf "%.1f", x + y}')"
	ratio forward.insn.a_napt_xfrm_over_b_napt_tun "ax / bt" "" ratio
fi
if [ -n "${per[a_napt]:-}" ] && [ -n "${per[a_napt_xfrm]:-}" ]; then
	# what the AH tunnel itself costs a NAPT router per packet
	ratio forward.insn.a_napt_xfrm_minus_a_napt "ax - an" "" insn/pkt \
		"$(awk -v x="${spread[a_napt]}" -v y="${spread[a_napt_xfrm]}" 'BEGIN {printf "%.1f", x + y}')"
fi
true
