# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# muispd in the router namespace for the contract scenarios: a test CA and
# router certificate made at test time, a configuration, and helpers:
#   muispd_conf             PKI + $S/muispd.conf: listen/port/socket/
#                           database/cert/key/kernel, then the lines on stdin
#   muispd_setup            muispd_conf, start muispd, dump its log on failure
#   start_muispd            (re)start muispd; MUISPD is its pid
#   op ARGS...              muisp-client operator commands on muispd's socket
#   cl ARGS...              muisp-client as alice (state in $S/alice)
#   field NAME TEXT         NAME=value out of muisp-client's output
#   fields TEXT NAME...     the values of NAME... in TEXT, one line
#   stop_muispd             stop muispd (MUISPD) and wait for it
#   alice_addrs PREFIX N    alice also holds PREFIX.1..N (/32), routed
#                           to the LAN by the router (many clients, one host)
#   life_setup              the life-cycle scenarios' start: topology,
#                           require-tunnel off, muispd with $FLOW_CONF and
#                           the lines on stdin; a voucher of 1000 in $code
#   kc SERIAL FILTER        the module's contract SERIAL through jq FILTER
#   watch_start             `cl watch` into $S/watch.out, once it listens
#   known_transfer SERIAL   alice on contract SERIAL: 8 echoes of 1228 bytes
#                           each way, then 20 UDP datagrams of 1028 bytes
#                           from the internet host; returns once the module
#                           metered them (SERIAL's 28 down packets)
# FLOW_CONF: the settings of the contract-flow family (checkpoint and warn
# every second, bytes at 1000 per 10^6 by voucher).
S=$SCRATCH

FLOW_CONF='checkpoint-interval 1
warn-interval 1
warn-tries 2
price bytes voucher ah 1000 1000000'

alice_addrs() {
	local k
	on router ip route add "$1.0/24" dev lan0
	# one batch: one process for all N addresses
	for ((k = 1; k <= $2; k++)); do
		echo "addr add $1.$k/32 dev eth0"
	done | ip -n alice -batch -
}

muispd_conf() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout $S/ca.key -out $S/ca.crt -days 2 -subj "/CN=muisp test CA" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout $S/router.key -out $S/router.csr -subj "/CN=router.muisp.test" 2>/dev/null
	printf 'subjectAltName=DNS:router.muisp.test,IP:%s\n' $ROUTER_LAN4 >$S/ext
	openssl x509 -req -in $S/router.csr -CA $S/ca.crt -CAkey $S/ca.key \
		-CAcreateserial -out $S/router.crt -days 2 -extfile $S/ext 2>/dev/null
	{
		cat <<-EOF
		listen ::
		port 4433
		socket $S/muispd.sock
		database $S/muispd.db
		cert $S/router.crt
		key $S/router.key
		kernel yes
		EOF
		cat
	} >$S/muispd.conf
}

muispd_setup() {
	muispd_conf
	start_muispd
	trap 'rc=$?; [ $rc -eq 0 ] || { echo "--- muispd.log" >&2; tail -n 40 $S/muispd.log >&2; }; topo_down' EXIT
}

start_muispd() {
	rm -f $S/muispd.sock
	ip netns exec router muispd -d -v -f $S/muispd.conf >>$S/muispd.log 2>&1 &
	MUISPD=$!
	wait_until -t 20 test -S $S/muispd.sock
}

op() { ip netns exec router muisp-client -O $S/muispd.sock op "$@"; }
cl() { ip netns exec alice muisp-client -s $ROUTER_LAN4 --ca $S/ca.crt \
	--name router.muisp.test -S $S/alice "$@"; }
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n1; }
fields() {
	local t=$1 n v=()
	shift
	for n; do v+=("$(field "$n" "$t")"); done
	echo "${v[*]}"
}
stop_muispd() {
	kill $MUISPD
	wait $MUISPD 2>/dev/null || true
}

life_setup() {
	topo_up
	on router muispctl config set lan lan0 require-tunnel off
	muispd_setup < <(echo "$FLOW_CONF"; cat)
	code=$(field code "$(op voucher-issue 1000)")
}

kc() { on router muispctl --json contract show "$1" kernel | jq -r "$2"; }

watch_start() {
	cl watch 300 >$S/watch.out 2>&1 &
	wait_until -t 20 grep -q watching $S/watch.out
}

known_transfer() {
	local recv kt_serial=$1 # (seen by the condition wait_until evaluates)
	ip netns exec alice socat -u UDP-RECV:5001 OPEN:/dev/null &
	recv=$!
	wait_until -t 10 -m "alice's UDP receiver" eval '[ -n "$(on alice ss -Hlun "sport = :5001")" ]'
	on alice ping -c 8 -i 0.2 -W 2 -s 1200 $INET4 >/dev/null || fail "paid pings"
	head -c 20000 /dev/zero >$S/blob
	on inet socat -u -b 1000 OPEN:$S/blob UDP:$ALICE4:5001
	wait_until -t 10 -m "the transfer metered" eval '[ "$(kc $kt_serial .down_packets)" = 28 ]'
	kill $recv 2>/dev/null || true
}
