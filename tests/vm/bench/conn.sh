#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 900
# qemu-insn: yes
# qemu-append: clocksource=tsc tsc=reliable
#
# Per-connection billing's cost (issue 16 deliverable 6; docs/PERFORMANCE.md
# "Per-connection billing").  muispd says `conn-billing tcp` with
# `conn-accept-port 9300` (Edell's S2: accepted without asking anyone), so
# each new connection alice makes to inet:9300 is held by the module until
# muispd's verdict; bob's address is bound to a contract of the module's
# own, which holds nothing: the baseline, through the same router.  In one
# run (times under TCG mean nothing alone; their ratios do):
#   conn.connect_us.{hold,plain}      median connect() time, N sequential
#                                     connections (conn-lat tcp)
#   conn.hold_added_us                what the hold adds: hold - plain
#   conn.udp_rr_us                    one UDP request/response between two
#                                     local processes (the floor of any
#                                     userspace decision), same run
#   conn.hold_added_over_udp_rr       hold_added / udp_rr (target <= 3)
#   conn.rate_ratio                   new connections a second through the
#                                     hold over without (target >= 0.8), as
#                                     a busy LAN makes them: PAR under way
#                                     at once (conn-lat tcp-par)
#   conn.rate_ratio_serial            the same, one at a time: the inverse
#                                     of the latencies' ratio
# The guest reads its clock from the TSC, as a router does (TCG's guest
# kernel finds the TSC unstable and falls back to the HPET, an emulated
# device: every clock read a system call and a trip through QEMU's device
# model, and muispd's event loop reads three clocks a wake).  And, as
# TCG's times are still not the CPU's (a halted vCPU is slow to wake, the
# instruction counter slows every block), the same in guest instructions
# (qemu-insn, both vCPUs, busy-waiting left out, less an idle window as
# long), conn-lat's N operations and what they leave to be done: the
# window stays open LINGER after them, long enough for their flows'
# ends (the module's flow records, a second after the FIN here, and
# muispd's billing records of them, a second later at most) -- a
# connection's whole cost, not some other round's ends that fall in its
# window:
#   conn.insn_per_conn.{hold,plain}   instructions a connection, one at
#                                     a time (conn-lat tcp)
#   conn.insn_udp_rr                  instructions a UDP request/response
#   conn.insn_added_over_udp_rr       (hold - plain) / udp_rr (target <= 3)
#   conn.insn_per_conn_par.{hold,plain}  instructions a connection, PAR
#                                     under way (conn-lat tcp-par)
#   conn.insn_rate_ratio              plain / hold of those: new
#                                     connections a second with the CPU
#                                     the bound, as a busy LAN makes them
#                                     (target >= 0.8)
#   conn.insn_rate_ratio_serial       the same one at a time
# and a SYN flood from alice (raw SYNs, each from another port, to a port
# no rule accepts; conn-default refuse), once within the module's
# per-source rate and once with the rate off, so that the queue's bound
# is what holds:
#   conn.flood_unaccounted.{rate,norate}  SYNs sent less those the module
#                                     counted (held, or dropped over the
#                                     rate), plus held ones neither refused
#                                     by muispd nor dropped by the queue or
#                                     muispd: 0 means every one accounted
#   conn.flood_rss_kb.{rate,norate}   muispd's resident memory growth
# MUISP_BENCH_CONNS (N, default 300), MUISP_BENCH_RUNS (5),
# MUISP_BENCH_PAR (16), MUISP_BENCH_FLOOD (SYNs, default 5000).
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
. "$MUISP_TOP/tests/lib/bench.sh"

N=${MUISP_BENCH_CONNS:-300}
RUNS=${MUISP_BENCH_RUNS:-5}
PAR=${MUISP_BENCH_PAR:-16}
FLOOD=${MUISP_BENCH_FLOOD:-5000}
LINGER=3500000 # us: what they leave is done within about 2.3 s
S=$SCRATCH
INSN_OUT=/muisp-out/insn.out
[ -e "$INSN_OUT" ] || fail "no instruction counter (tests/vm/run.sh loads it with MUISP_VM_INSN=1)"
topo_up
trap topo_down EXIT
gate_up
modprobe nfnetlink_queue || fail "no nfnetlink_queue module"
ctl addr set $ALICE4 state allocated
muispd_conf <<-EOF
$FLOW_CONF
conn-billing tcp
conn-accept-port 9300
conn-default refuse
conn-hold-max 1024
EOF
start_muispd
code=$(field code "$(op voucher-issue 200000)")
# room for every round's connections (~400 bytes each): a contract
# used up would turn the rest away as delinquent
out=$(cl -m voucher -P "$code" --start buy bytes 90000000 100000000)
k0=$(field serial "$(head -n1 <<<"$out")")
[ -n "$k0" ] || fail "alice could not buy: $out"
ctl contract set 99 metric bytes status active
bind_addr $BOB4 99
on inet conn-lat sink 9300 &
wait_until -t 20 on inet sh -c 'ss -lnt | grep -q "0.0.0.0:9300 "'
# the module's per-source rate would pace N connections: off for them;
# a closed connection's flow ends a second after its FIN, not ten, so
# that the window's LINGER sees it (the same work, sooner)
ctl config set conn-rate 0 fin-timeout 1

# what a failed run leaves to read: muispd's last lines, its and the
# module's counters, the queue
diagnose() {
	tail -n 40 $S/muispd.log
	on router muispctl --daemon $S/muispd.sock stats radius | grep -i conn
	on router muispctl stats | grep -i "conn\|unmetered\|drop"
	cat /proc/net/netfilter/nfnetlink_queue
}
lat() { on "$1" env CONN_LAT_LINGER_US=$LINGER conn-lat tcp $INET4 9300 $N || { diagnose >&2; return 1; }; }
par() { on "$1" env CONN_LAT_LINGER_US=$LINGER conn-lat tcp-par $INET4 9300 $N $PAR || { diagnose >&2; return 1; }; }
# muispd's counters whose key matches the regex $1, summed
mctr() { on router muispctl --daemon $S/muispd.sock --json stats radius | jq -r "[to_entries[] | select(.key | test(\"$1\")) | .value] | add // 0"; }
val() { sed -n "s/.*$1 \([0-9]*\).*/\1/p" <<<"$2"; }
# the last window's instructions, both vCPUs, busy-waiting left out
insn() {
	tail -1 "$INSN_OUT" | sed -n 's/.* cpu0=\([0-9]*\) cpu1=\([0-9]*\) spin0=\([0-9]*\) spin1=\([0-9]*\).*/\1 \2 \3 \4/p' |
		awk '{ print $1 + $2 - $3 - $4 }'
}
# every record written in the window: LINGER long enough
written() {
	[ "$(mctr '^conn_records_closed$')" -eq "$(mctr '^conn_records_opened$')" ] ||
		fail "alice's billing records not all written in the window's $LINGER us"
}
# per_op OUT: conn-lat's window just closed (OUT its output) less an idle
# window as long, per operation
per_op() {
	local b i
	b=$(insn)
	on router conn-lat idle "$(val window_us "$1")"
	i=$(insn)
	[ -n "$b" ] && [ -n "$i" ] || fail "no instruction window"
	echo $(((b - i) / N))
}
# nothing left to be done of earlier connections (the module's flows, the
# billing records): a window counts its own connections' work alone
F0=$(stat flows)
settle() {
	CHECK_FATAL=0 wait_until -t 60 eval '[ "$(stat flows)" -le $F0 ] && [ "$(mctr "^conn_records_closed$")" -eq "$(mctr "^conn_records_opened$")" ]' ||
		{ on router muispctl --json flow list | head -c 3000; fail "earlier connections' flows or records still open: $(stat flows) flows (before: $F0), $(mctr '^conn_records_closed$') of $(mctr '^conn_records_opened$') records closed"; }
}
hold=() plain=() rr=() added=() over=() rate=() serial=()
ihold=() iplain=() irr=() iover=() irate=() iserial=() iphold=() ipplain=()
for ((r = 1; r <= RUNS; r++)); do
	settle
	a=$(lat alice) || fail "alice's connections failed"
	ia=$(per_op "$a")
	written
	b=$(lat bob) || fail "bob's connections failed"
	ib=$(per_op "$b")
	u=$(on router conn-lat udp-rr $N) || fail "udp-rr failed"
	iu=$(per_op "$u")
	ihold+=("$ia") iplain+=("$ib") irr+=("$iu")
	iover+=("$(awk -v a="$ia" -v b="$ib" -v u="$iu" 'BEGIN { printf "%.3f", (a - b) / u }')")
	iserial+=("$(awk -v a="$ia" -v b="$ib" 'BEGIN { printf "%.3f", b / a }')")
	settle
	pa=$(par alice) || fail "alice's parallel connections failed"
	ipa=$(per_op "$pa")
	written
	settle
	pp=$(par bob) || fail "bob's parallel connections failed"
	ipb=$(per_op "$pp")
	iphold+=("$ipa") ipplain+=("$ipb")
	irate+=("$(awk -v a="$ipa" -v b="$ipb" 'BEGIN { printf "%.3f", b / a }')")
	ha=$(val median_us "$a") pb=$(val median_us "$b") uu=$(val median_us "$u")
	ta=$(val total_us "$a") tb=$(val total_us "$b")
	hold+=("$ha") plain+=("$pb") rr+=("$uu")
	added+=("$((ha > pb ? ha - pb : 0))")
	over+=("$(awk -v a="$ha" -v b="$pb" -v u="$uu" 'BEGIN { d = a - b; if (d < 0) d = 0; printf "%.3f", d / u }')")
	serial+=("$(awk -v a="$ta" -v b="$tb" 'BEGIN { printf "%.3f", b / a }')")
	qa=$(val total_us "$pa") qb=$(val total_us "$pp")
	rate+=("$(awk -v a="$qa" -v b="$qb" 'BEGIN { printf "%.3f", b / a }')")
	echo "round $r: connect hold ${ha} us, plain ${pb} us, udp rr ${uu} us; all $N one at a time: hold ${ta} us, plain ${tb} us; $PAR at a time: hold ${qa} us, plain ${qb} us"
	echo "round $r: instructions: connection held $ia, plain $ib; udp rr $iu; $PAR at a time: held $ipa, plain $ipb"
done
accepted=$(mctr '^conn_accepted$')
[ "$accepted" -ge "$((2 * RUNS * N))" ] ||
	fail "not every held connection was accepted by the port rule ($accepted)"
bench_rounds conn.connect_us.hold us "" "${hold[@]}"
bench_rounds conn.connect_us.plain us "" "${plain[@]}"
bench_rounds conn.udp_rr_us us "" "${rr[@]}"
bench_rounds conn.hold_added_us us "" "${added[@]}"
bench_rounds conn.hold_added_over_udp_rr ratio "<= 3" "${over[@]}"
bench_rounds conn.rate_ratio ratio ">= 0.8" "${rate[@]}"
bench_rounds conn.rate_ratio_serial ratio "" "${serial[@]}"
bench_rounds conn.insn_per_conn.hold insn "" "${ihold[@]}"
bench_rounds conn.insn_per_conn.plain insn "" "${iplain[@]}"
bench_rounds conn.insn_udp_rr insn "" "${irr[@]}"
bench_rounds conn.insn_added_over_udp_rr ratio "<= 3" "${iover[@]}"
bench_rounds conn.insn_per_conn_par.hold insn "" "${iphold[@]}"
bench_rounds conn.insn_per_conn_par.plain insn "" "${ipplain[@]}"
bench_rounds conn.insn_rate_ratio ratio ">= 0.8" "${irate[@]}"
bench_rounds conn.insn_rate_ratio_serial ratio "" "${iserial[@]}"

# --- SYN flood: bounded, nothing unaccounted -------------------------------
# the queue's counters: queue_dropped (full), user_dropped (the socket)
nfq() { on router awk -v q=28022 '$1 == q { print $6 + $7 }' /proc/net/netfilter/nfnetlink_queue; }
rss() { awk '/^VmRSS/ { print $2 }' /proc/$(pgrep -x muispd | head -n1)/status; }
flood() { # NAME FIRST-PORT
	local c0 c1 r0 r1 f0 f1 q0 q1 m0 m1 s0 s1 sent unacc
	c0=$(stat conn_held) r0=$(stat drop_conn_rate) f0=$(stat drop_conn_refused)
	q0=$(nfq) m0=$(mctr '^conn_full$') s0=$(rss)
	on alice conn-lat syn $ALICE4 $INET4 9400 $FLOOD $2 >/dev/null ||
		fail "the flood could not be sent"
	# every held SYN decided: nothing left in the queue
	wait_until -t 120 eval '[ "$(on router awk -v q=28022 "\$1 == q { print \$3 }" /proc/net/netfilter/nfnetlink_queue)" = 0 ]' ||
		fail "held SYNs left in the queue"
	c1=$(stat conn_held) r1=$(stat drop_conn_rate) f1=$(stat drop_conn_refused)
	q1=$(nfq) m1=$(mctr '^conn_full$') s1=$(rss)
	sent=$FLOOD
	unacc=$(( (sent - (c1 - c0) - (r1 - r0)) + ((c1 - c0) - (f1 - f0) - (q1 - q0) - (m1 - m0)) ))
	echo "flood $1: $sent SYNs: held $((c1 - c0)) (refused $((f1 - f0)), queue dropped $((q1 - q0)), muispd dropped $((m1 - m0))), over the rate $((r1 - r0)); muispd RSS $s0 -> $s1 kB"
	bench_result "conn.flood_unaccounted.$1" "$unacc" SYNs "== 0"
	bench_result "conn.flood_rss_kb.$1" "$((s1 - s0))" kB
}
ctl config set conn-rate 20 conn-burst 40
flood rate 1024
ctl config set conn-rate 0
flood norate 30000
