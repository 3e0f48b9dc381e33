#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 1200
# qemu-insn: yes
# qemu-cpu: max
#
# Per-user accounting's cost (issue 15 deliverable 9; docs/PERFORMANCE.md
# "Per-user accounting: the agent and the meter"), counted in
# instructions by the TCG plugin: alice's namespace is the agent (its
# module tags user 1001's packets, packet method), the router's the meter
# (opens and strips the option, charges user 1001's contract).  One
# process (udp-send, as user 1001 or 1002) sends N datagrams of each size
# through the router to a dummy device, pinned to CPU 0, where the agent's
# tagging runs; the router's receive, meter, gate and forwarding run on
# CPU 1 (RPS on lan0).  Per packet and CPU:
#   (busy window - idle window of the same length) / N
# for user 1002 (not mapped: no tag, charged to the host's contract) and
# user 1001 (tagged, charged to their own).  Figures, per IPv4 size S:
#   uinfo.agent_insn_per_pkt.{plain,tagged}.S   CPU 0
#   uinfo.agent_overhead.S       CPU 0 tagged / plain - 1
#   uinfo.meter_insn_per_pkt.{plain,tagged}.S   CPU 1
#   uinfo.meter_plain_over_tagged.S  CPU 1 plain / tagged: the meter's
#                                throughput with tags relative to without
# and inbound (inet sends to a socket of 1002, or of 1001, whose every
# datagram the agent copies to the meter, packet method; alice's receive
# on CPU 0, the router's with the copies' intake on CPU 1):
#   uinfo.agent_in_insn_per_pkt.{plain,copied}.S   CPU 0
#   uinfo.agent_in_overhead.S    CPU 0 copied / plain - 1
#   uinfo.meter_in_insn_per_pkt.{plain,copied}.S   CPU 1
# The guest's CPU is QEMU's "max" (the qemu-cpu line): AES-NI and
# PCLMULQDQ, as on any x86 router since 2010, and aesni_intel loaded, so the
# seals use the AES-NI GCM (kmod/uinfo.c), as they would there;
# MUISP_VM_CPU=qemu64 counts the generic C code instead.
# MUISP_BENCH_PKTS (N, default 10000), MUISP_BENCH_RUNS (3),
# MUISP_BENCH_SIZES (IPv4 sizes, default "64 300 1000 1400").
# Where the instructions go: after the counted rounds, one more window per
# user at the smallest and the largest size is profiled (insn-profile.bash)
# on both CPUs, and the log shows per function what tagging adds (tagged
# less plain); the reports are insn-profile.uinfo.* in the run directory.
# MUISP_BENCH_PROFILE=0 leaves the profiles out.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/lib/bench.sh"
. "$MUISP_TOP/tests/vm/bench/insn-profile.bash"

N=${MUISP_BENCH_PKTS:-10000}
RUNS=${MUISP_BENCH_RUNS:-3}
SIZES=${MUISP_BENCH_SIZES:-"64 300 1000 1400"}
SINK=203.0.113.1
INSN_OUT=/muisp-out/insn.out
[ -e "$INSN_OUT" ] || fail "no instruction counter (tests/vm/run.sh loads it with MUISP_VM_INSN=1)"
# this shell and its children on CPU 0: CPU 1 runs the router's side
taskset -pc 0 $$ >/dev/null

topo_up
trap topo_down EXIT
gate_up
for c in 1 11; do ctl contract set $c metric bytes status active; done
bind_addr $ALICE4 1
ctl user bind $ALICE4 7001 11
# as udev loads them at boot on a CPU with AES-NI (the guest runs none)
modprobe aesni_intel 2>/dev/null || log "aesni_intel not loaded"
modprobe ghash_clmulni_intel 2>/dev/null || log "ghash_clmulni_intel not loaded"
(umask 077 && echo 000102030405060708090a0b0c0d0e0fdeadbeef >"$SCRATCH/key")
ctl agent set $ALICE4 key-id 1 key-file "$SCRATCH/key"
on alice muispctl tag set eth0 key-id 1 key-file "$SCRATCH/key"
on alice muispctl tag user set 1001 7001
on router ip link add dum0 type dummy
on router ip link set dum0 up
on router ip route add $SINK/32 dev dum0
on router sh -c 'echo 2 > /sys/class/net/lan0/queues/rx-0/rps_cpus'

# window: the last window's "CPU0 CPU1" counts, busy-waiting left out
window() {
	tail -1 "$INSN_OUT" | sed -n 's/.* cpu0=\([0-9]*\) cpu1=\([0-9]*\) spin0=\([0-9]*\) spin1=\([0-9]*\).*/\1 \2 \3 \4/p' |
		awk '{ print $1 - $3, $2 - $4 }'
}
dummy_tx() { on router cat /sys/class/net/dum0/statistics/tx_packets; }
tagged() { on alice muispctl --json tag show | jq -r .tagged; }
opened() { jctl agent list | jq -r '.[0].opened'; }
# send USER SIZE: N datagrams of IPv4 size SIZE as USER, all forwarded
send() {
	ip netns exec alice setpriv --reuid="$1" --regid="$1" --clear-groups \
		udp-send $SINK 9 $(($2 - 28)) "$N"
}
# per_pkt DONE CMD...: CMD in a counted window that ends when DONE (an
# expression for eval) holds, then an idle window as long: "CPU0 CPU1"
# instructions per packet (N of them), busy less idle
per_pkt() {
	local done=$1 b0 b1 i0 i1 t0 t1
	shift
	t0=$(date +%s.%N)
	insn-mark start
	"$@"
	wait_until -t 60 eval "$done"
	insn-mark stop
	t1=$(date +%s.%N)
	read -r b0 b1 < <(window)
	insn-mark start
	sleep "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')"
	insn-mark stop
	read -r i0 i1 < <(window)
	awk -v b0="$b0" -v b1="$b1" -v i0="$i0" -v i1="$i1" -v n="$N" \
		'BEGIN { printf "%.1f %.1f\n", (b0 - i0) / n, (b1 - i1) / n }'
}
# count USER SIZE: per_pkt of N datagrams sent as USER, all forwarded
count() {
	local tx0
	tx0=$(dummy_tx)
	# the router's backlog drained: every packet out of dum0
	per_pkt '[ $(($(dummy_tx) - tx0)) -ge '"$N"' ]' send "$1" "$2"
	[ $(($(dummy_tx) - tx0)) -eq "$N" ] || fail "$(($(dummy_tx) - tx0)) of $N forwarded"
}

# which gcm(aes) the seals use: the module logs it with its first key
# (the SIMD one, used where the FPU may be, else the generic one)
gcm=$(dmesg | grep -o 'user information seals: .*' | tail -n1 | cut -d' ' -f4-)
log "CPU: $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2-); aes flag: $(grep -qw aes /proc/cpuinfo && echo yes || echo no); gcm(aes): ${gcm:-?}"

declare -A c0 c1
for s in $SIZES; do
	for u in 1002 1001; do
		send $u "$s" # warm-up: code translated, flow and caches made
	done
done
t_0=$(tagged) o_0=$(opened)
for s in $SIZES; do
	for r in $(seq "$RUNS"); do
		for u in 1002 1001; do
			read -r a b < <(count $u "$s")
			log "size $s user $u run $r: CPU 0 $a, CPU 1 $b instructions per packet"
			c0[$u.$s]+="$a " c1[$u.$s]+="$b "
		done
	done
done
# profile USER SIZE: one more window of N datagrams, profiled on both CPUs
profile() {
	local tx0
	tx0=$(dummy_tx)
	insn-mark start
	send "$1" "$2"
	wait_until -t 30 eval '[ $(($(dummy_tx) - tx0)) -ge '"$N"' ]'
	insn-mark profile
	insn-mark stop
	insn_profile "uinfo.$1.$2.cpu0" "$N" 0 >/dev/null
	insn_profile "uinfo.$1.$2.cpu1" "$N" 1 >/dev/null
}
profiled=0
if [ "${MUISP_BENCH_PROFILE:-1}" != 0 ]; then
	set -- $SIZES
	for s in "$1" "${!#}"; do
		for u in 1002 1001; do profile $u "$s"; done
		profiled=$((profiled + N)) # user 1001's, tagged
		for c in 0 1; do
			log "size $s, CPU $c: what tagging adds per packet, by function (tagged less plain), top 20"
			insn_profile_diff "uinfo.1002.$s.cpu$c" "uinfo.1001.$s.cpu$c" | sed -n 1,20p
		done
	done
fi
runs=$(echo "$SIZES" | wc -w)
expect "every datagram of user 1001 tagged and opened, none of 1002's" \
	"$((runs * RUNS * N + profiled)) $((runs * RUNS * N + profiled))" \
	"$(($(tagged) - t_0)) $(($(opened) - o_0))"

# --- inbound: the agent's redirected copies (thesis §4.1.4) ---------------
# inet (CPU 1, with the router) sends N datagrams of each size to a socket
# of user 1002 (not mapped: nothing more) and of user 1001 (mapped: the
# agent's LOCAL_IN hook looks the socket up and sends the meter a copy of
# the headers).  alice's receive runs on CPU 0 (RPS on its eth0), and so
# do the two sockets' readers; the copies go back through the router's
# lan0, to CPU 1.  A window ends when alice's UDP has taken all N in
# (delivered or refused by a full socket: the hook ran for each).  The
# backlog is raised so that none is lost before the hook.
sysctl -qw net.core.netdev_max_backlog=100000
on alice sh -c 'echo 1 > /sys/class/net/eth0/queues/rx-0/rps_cpus'
as_sink() { ip netns exec alice setpriv --reuid="$1" --regid="$1" --clear-groups "${@:2}"; }
as_sink 1002 socat -u UDP4-RECV:9202,rcvbuf=4194304 OPEN:/dev/null &
as_sink 1001 socat -u UDP4-RECV:9201,rcvbuf=4194304 OPEN:/dev/null &
wait_until -t 20 on alice sh -c 'ss -lnu | grep -q ":9201 " && ss -lnu | grep -q ":9202 "'
udp_in() { on alice awk '/^Udp: [0-9]/ { print $2 + $4; exit }' /proc/net/snmp; }
redirects() { jctl agent list | jq -r '.[0].redirects'; }
# count_in USER SIZE: per_pkt of N datagrams from inet to USER's socket
count_in() {
	local u0
	u0=$(udp_in)
	per_pkt '[ $(($(udp_in) - u0)) -ge '"$N"' ]' \
		on inet taskset -c 1 udp-send $ALICE4 $((9200 + $1 - 1000)) $(($2 - 28)) "$N"
	[ $(($(udp_in) - u0)) -eq "$N" ] || fail "$(($(udp_in) - u0)) of $N taken in"
}
declare -A d0 d1
u_w=$(udp_in)
for s in $SIZES; do
	for u in 1002 1001; do # warm-up
		on inet taskset -c 1 udp-send $ALICE4 $((9200 + u - 1000)) $((s - 28)) "$N"
	done
done
# the warm-up's datagrams taken in and their copies counted before the first
wait_until -t 120 eval '[ $(($(udp_in) - u_w)) -ge '"$((2 * $(echo "$SIZES" | wc -w) * N))"' ]'
r_w=-1
wait_until -t 30 eval 'r_0=$(redirects); [ "$r_0" = "$r_w" ] || { r_w=$r_0; false; }'
r_0=$(redirects)
for s in $SIZES; do
	for r in $(seq "$RUNS"); do
		for u in 1002 1001; do
			read -r a b < <(count_in $u "$s")
			log "inbound size $s user $u run $r: CPU 0 $a, CPU 1 $b instructions per packet"
			d0[$u.$s]+="$a " d1[$u.$s]+="$b "
		done
	done
done
want=$(($(echo "$SIZES" | wc -w) * RUNS * N))
wait_until -t 30 eval '[ $(($(redirects) - r_0)) -ge '"$want"' ]'
expect "a copy of each datagram to user 1001, none for 1002's" \
	"$want" "$(($(redirects) - r_0))"

# ratio EXPR over the rounds of A and B (same order): the rounds' values
rounds() { # EXPR A-VALUES B-VALUES
	awk -v e="$1" -v a="$2" -v b="$3" 'BEGIN {
		n = split(a, A, " "); split(b, B, " ")
		for (i = 1; i <= n; i++)
			print (e == "over" ? A[i] / B[i] : B[i] / A[i] - 1) }'
}
for s in $SIZES; do
	# shellcheck disable=SC2086 # the rounds' values, one word each
	{
		bench_rounds "uinfo.agent_insn_per_pkt.plain.$s" insn/pkt "" ${c0[1002.$s]}
		bench_rounds "uinfo.agent_insn_per_pkt.tagged.$s" insn/pkt "" ${c0[1001.$s]}
		bench_rounds "uinfo.agent_overhead.$s" ratio "" \
			$(rounds minus "${c0[1002.$s]}" "${c0[1001.$s]}")
		bench_rounds "uinfo.meter_insn_per_pkt.plain.$s" insn/pkt "" ${c1[1002.$s]}
		bench_rounds "uinfo.meter_insn_per_pkt.tagged.$s" insn/pkt "" ${c1[1001.$s]}
		bench_rounds "uinfo.meter_plain_over_tagged.$s" ratio "" \
			$(rounds over "${c1[1002.$s]}" "${c1[1001.$s]}")
		bench_rounds "uinfo.agent_in_insn_per_pkt.plain.$s" insn/pkt "" ${d0[1002.$s]}
		bench_rounds "uinfo.agent_in_insn_per_pkt.copied.$s" insn/pkt "" ${d0[1001.$s]}
		bench_rounds "uinfo.agent_in_overhead.$s" ratio "" \
			$(rounds minus "${d0[1002.$s]}" "${d0[1001.$s]}")
		bench_rounds "uinfo.meter_in_insn_per_pkt.plain.$s" insn/pkt "" ${d1[1002.$s]}
		bench_rounds "uinfo.meter_in_insn_per_pkt.copied.$s" insn/pkt "" ${d1[1001.$s]}
	}
done
