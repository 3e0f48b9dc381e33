# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The forwarding benchmarks' rig (forward.sh, insn.sh, ipfix.sh), sourced
# after lib.sh with NADDR and NPORT set: netns gen -> router -> sink, pktgen
# in gen from NADDR source addresses (addr_of I) x NPORT source ports
# (10000 and up, so that masquerading keeps them apart), the router's
# forwarding pinned to CPU 1.  The router's LAN address lies outside the
# sources' range (198.19.255.254), else the packets from it were martians.
#   bench_topo [--dummy]       the namespaces; --dummy: wan0 is a dummy
#                              device (frees what it is given) and there
#                              is no sink namespace, so nothing but
#                              forwarding runs on the router's CPU
#   pktgen_setup               pktgen's device, the NADDR x NPORT flows
#   pktgen_flows N P           pktgen's flows: N addresses x P ports
#   softnet_drops              packets dropped at the backlogs (all CPUs)
#   bind_all [N] [tunnel]      the first N (NADDR) source addresses each
#                              bound to its own active contract (tunnel:
#                              by its AH SA, require-tunnel on)
#   measure                    packets forwarded per second over SECS,
#                              and the backlogs' drops
#   median WORDS, ratios NUMS DENS, ci95 NUMS (mean and 95 % half-width)
GEN_MAC=02:00:00:00:01:01 RTR_IN_MAC=02:00:00:00:01:02
SINK_MAC=02:00:00:00:01:03 SINK_DST=198.51.100.200
RTR_LAN=198.19.255.254 TUN_SPI0=0x10000000

addr_of() { # index -> 198.18.x.y, starting at 198.18.0.10
	local n=$(($1 + 10))
	echo "198.18.$((n / 256)).$((n % 256))"
}
SRC_MIN=$(addr_of 0)

bench_topo() {
	local ns nss="gen router sink"
	[ "${1-}" = --dummy ] && nss="gen router"
	for ns in $nss; do ip netns add $ns; done
	# shellcheck disable=SC2064 # the namespaces made now
	trap "for ns in $nss; do ip netns del \$ns 2>/dev/null; done" EXIT
	ip link add eth0 netns gen address $GEN_MAC type veth peer name lan0 \
		netns router address $RTR_IN_MAC
	if [ "${1-}" = --dummy ]; then
		ip -n router link add wan0 type dummy
	else
		ip link add wan0 netns router type veth peer name eth0 \
			netns sink address $SINK_MAC
	fi
	ip -n gen -batch - <<-EOF
	addr add 198.18.0.1/15 dev eth0
	link set eth0 up
	EOF
	ip -n router -batch - <<-EOF
	addr add $RTR_LAN/15 dev lan0
	addr add 198.51.100.1/24 dev wan0
	link set lan0 up
	link set wan0 up
	EOF
	if [ "${1-}" != --dummy ]; then
		ip -n router neigh add $SINK_DST lladdr $SINK_MAC dev wan0 nud permanent
		ip -n sink link set eth0 up
	fi
	on router sysctl -qw net.ipv4.ip_forward=1
	# Forwarding on CPU 1, pktgen on CPU 0.
	on router sh -c 'echo 2 > /sys/class/net/lan0/queues/rx-0/rps_cpus'
}

# bind_all [N] [tunnel]: the first N (NADDR) addresses bound to N active
# contracts, in one muispctl process; "tunnel": require-tunnel on, address
# I bound with its AH SA, SPI TUN_SPI0 + I and reqid I + 1
# (tests/bench/ahgen.c)
bind_all() {
	local i n=${1:-$NADDR} t='' req=off batch=$SCRATCH/bind.batch
	[ "${2-}" = tunnel ] && req=on
	echo "config set lan lan0 require-tunnel $req" >"$batch"
	for ((i = 0; i < n; i++)); do
		[ $req = on ] && t=" tunnel ah spi $((TUN_SPI0 + i)) reqid $((i + 1))"
		echo "contract set $((i + 1)) status active metric bytes hard 1T" >>"$batch"
		echo "addr set $(addr_of $i) state bound contract $((i + 1))$t" >>"$batch"
	done
	on router muispctl -batch "$batch"
}

pg() { echo "$2" >"/proc/net/pktgen/$1"; }

pktgen_setup() {
	on gen sh -c '
		echo "rem_device_all" > /proc/net/pktgen/kpktgend_0
		echo "add_device eth0" > /proc/net/pktgen/kpktgend_0'
	on gen sh -c "
		f=/proc/net/pktgen/eth0
		for c in 'count 0' 'pkt_size 64' 'delay 0' 'clone_skb 0' \
			'dst $SINK_DST' 'dst_mac $RTR_IN_MAC' \
			'udp_dst_min 9' 'udp_dst_max 9' \
			'flag IPSRC_RND' 'flag UDPSRC_RND'; do
			echo \"\$c\" > \$f
		done"
	pktgen_flows "$NADDR" "$NPORT"
}

# pktgen_flows N P: pktgen's sources from then on, addr_of 0 .. N - 1 x
# ports 10000 .. 10000 + P - 1 (pktgen stopped)
pktgen_flows() {
	on gen sh -c "
		f=/proc/net/pktgen/eth0
		for c in 'src_min $(addr_of 0)' 'src_max $(addr_of $(($1 - 1)))' \
			'udp_src_min 10000' 'udp_src_max $((10000 + $2 - 1))'; do
			echo \"\$c\" > \$f
		done"
}

tx_packets() { on router cat /sys/class/net/wan0/statistics/tx_packets; }
# The backlogs' drops (/proc/net/softnet_stat, 2nd column, hex), all CPUs.
softnet_drops() {
	local n=0 d
	for d in $(awk '{print $2}' /proc/net/softnet_stat); do
		n=$((n + 16#$d))
	done
	echo $n
}

# One measurement: packets forwarded per second of pktgen running, and the
# packets the backlogs dropped meanwhile ("RATE DROPS"; drops > 0 show that
# the forwarding CPU, not pktgen, set the rate).
measure() {
	local before after t0 t1 gen d0
	before=$(tx_packets) d0=$(softnet_drops)
	on gen sh -c 'echo start > /proc/net/pktgen/pgctrl' &
	gen=$!
	t0=$(date +%s%N)
	sleep "$SECS" # the measurement window itself
	on gen sh -c 'echo stop > /proc/net/pktgen/pgctrl'
	wait $gen
	t1=$(date +%s%N)
	after=$(tx_packets)
	echo $(((after - before) * 1000000000 / (t1 - t0))) $(($(softnet_drops) - d0))
}

median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# ratios(NUM DEN): the ratio of each round's pair, one per line.  Rounds
# drift (the host's load moves every configuration of a round alike), so
# the median of per-round ratios is the steadier estimate.
ratios() { awk -v n="$1" -v d="$2" 'BEGIN {
	k = split(n, N, " "); split(d, D, " ")
	for (i = 1; i <= k; i++) printf "%.3f\n", N[i] / D[i] }'; }
# ci95 NUMS: "MEAN HALF" - the mean and its 95 % confidence half-width
# (Student's t, n - 1 degrees of freedom; n <= 10, else the normal 1.96).
ci95() { awk -v v="$1" 'BEGIN {
	split("12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262", T, " ")
	n = split(v, X, " ")
	for (i = 1; i <= n; i++) s += X[i]
	m = s / n
	for (i = 1; i <= n; i++) q += (X[i] - m) ^ 2
	t = n - 1 <= 9 ? T[n - 1] : 1.96
	printf "%.3f %.3f\n", m, (n > 1 ? t * sqrt(q / (n - 1) / n) : 0) }'; }

# stock_gate [N]: muisp's job done with stock parts in the router: a set of
# the N (NADDR) paid addresses with a counter per element, matched on every
# packet, and policy drop (with conntrack, which the set's rule needs).
stock_gate() {
	local i elems=
	for ((i = 0; i < ${1:-$NADDR}; i++)); do elems+="$(addr_of $i), "; done
	on router nft -f - <<-EOF
	table ip bench {
		set paid { type ipv4_addr; counter; elements = { ${elems%, } } }
		chain gate {
			type filter hook forward priority 0; policy drop;
			ct state established,related accept
			ip saddr @paid accept
			ip daddr @paid accept
		}
	}
	EOF
}
