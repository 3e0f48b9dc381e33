#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Per-user accounting out of band (issue 15, thesis ch. 5, flow-based):
# alice's muisp-uinfod says `scheme out-of-band`.  Nothing is tagged on the
# host (no module role there); instead the meter holds each TCP or UDP
# flow alice begins, from its first packet, on muispd's NFQUEUE, muispd
# asks the agent who owns the host's end (UINFO_OWNER_GET with PROTO; the
# agent looks the socket up with sock_diag) and tells the module
# (MUISP_CMD_AGENT_FLOW_SET), and the held packets go on.  So:
#   - user 1001 (Accounting ID 7001) buys their own contract, alice's
#     address unbound: 1001's datagram is held, answered, sent round the
#     hook again and charged to 1001's contract exactly; root's is the
#     host's own, dropped as not bound; once root buys for the address,
#     root's and unmapped 1002's go to the host's contract;
#   - 1001's TCP connection likewise: the SYN held, the whole connection
#     1001's, the host's contract untouched;
#   - the operator blocks user 7001: 1001's next flow is dropped at the
#     router (the host tags nothing, so the router is where it is
#     enforced), root's still leaves;
#   - muisp-uinfod stopped (SIGSTOP: its channel open, its answers gone):
#     the held flow times out and is dropped, nothing leaves.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfod-lib.bash"
S=$SCRATCH
topo_up
diagnose() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- agents, users; muispd.log, uinfod.log tails"
		jctl agent list || :
		jctl user list || :
		tail -n 30 $S/muispd.log || :
		tail -n 12 $S/uinfod.log || :
	fi
	[ -n "${UINFOD-}" ] && kill -CONT $UINFOD 2>/dev/null
	topo_down
}
trap diagnose EXIT
gate_up
modprobe nfnetlink_queue || fail "no nfnetlink_queue module"
ctl addr set $ALICE4 state allocated

ca agentca
cert alice agentca IP:$ALICE4,IP:$ALICE6
muispd_conf <<-EOF
$FLOW_CONF
agent-ca $S/agentca.crt
agent-keepalive 5
agent-hold-timeout 1
EOF
start_muispd
grep -q "out-of-band agents' new flows held on queue 28021" $S/muispd.log ||
	fail "muispd did not bind its hold queue"
UINFOD_USERS="user 1001 7001
scheme out-of-band" uinfod_conf alice alice
chmod 711 $S
for u in 1001 1002; do
	mkdir -p $S/u$u && chown $u:$u $S/u$u
done
code=$(field code "$(op voucher-issue 1000)")
code2=$(field code "$(op voucher-issue 1000)")
up() { cfields "$1" up_bytes up_packets; }
hold() { jctl agent list | jq -r ".[] | select(.addr == \"$ALICE4\") | \"\(.hold_queue) \(.held) \(.answered)\""; }
on inet socat -u UDP4-RECV:9100 OPEN:"$S/rx",creat,append &
on inet socat -u UDP6-RECV:9101 OPEN:"$S/rx6",creat,append &
on inet socat TCP4-LISTEN:9200,fork,reuseaddr OPEN:/dev/null &
wait_until -t 20 on inet sh -c 'ss -lnu | grep -q "0.0.0.0:9100 " && ss -lnu | grep -q ":9101 " && ss -lnt | grep -q "0.0.0.0:9200 "'
rx() { cat "$S/rx" 2>/dev/null | wc -c; }
rx6() { cat "$S/rx6" 2>/dev/null | wc -c; }
# hudp UID PORT TOTAL: 100 bytes from UID's UDP port PORT, its socket kept
# open until TOTAL bytes have arrived (the agent answers from the socket
# table: a socket closed before the router asks is no one's)
hudp() {
	{ printf "%0100d" 0; wait_until -t 10 eval "[ \"\$(rx)\" = $3 ]"; } |
		as "$1" socat -u - UDP4-SENDTO:$INET4:9100,sourceport=$2
}

start_uinfod alice
check "agent keyed, out of band" wait_until -t 30 eval \
	'[ "$(agent | cut -d" " -f1)" = keyed ]'
expect "  its new flows held on muispd's queue" "28021 0 0" "$(hold)"
grep -q "out of band: its new flows held" $S/muispd.log ||
	fail "muispd did not log the scheme"

# user 1001 buys their own contract; alice's address stays unbound (the
# control connection is asked of the agent as in-band: it is 1001's TCP)
out=$(ucl 1001 -m voucher -P "$code" --start buy bytes 3000 20000)
k1=$(field serial "$(head -n1 <<<"$out")")
J() { on router muispctl --daemon $S/muispd.sock --json "$@"; }
expect "user 1001's contract is theirs, alice's address unbound" \
	"7001@$ALICE4 active|allocated" \
	"$(J contract show $k1 | jq -r '"\(.addr) \(.state)"')|$(jctl addr show $ALICE4 | jq -r .state)"

# --- 1001's datagram: held, asked, answered, charged to 1001 --------------
check "user 1001's datagram held, answered, left" hudp 1001 21001 100
expect "  held once, answered once" "28021 1 1" "$(hold)"
expect "  charged to user 1001's contract, exactly" "128 1" "$(up $k1)"
grep -q "owner of udp $ALICE4:21001 -> $INET4:9100: uid 1001, user 7001" \
	$S/uinfod.log || fail "the agent did not log the UDP owner"
# the same over IPv6 (the certificate names both addresses; the purchase
# bound the user at the IPv4 address it came from, so alice's IPv6 address
# and the user's binding there are made by hand, as a purchase from there
# would make them): 40 + 8 + 100
ctl addr set $ALICE6 state allocated
ctl user bind $ALICE6 7001 $k1
check "user 1001's IPv6 datagram held, answered, left" eval \
	'{ printf "%0100d" 0; wait_until -t 10 eval "[ \$(rx6) = 100 ]"; } |
		as 1001 socat -u - UDP6-SENDTO:[$INET6]:9101,sourceport=21011'
expect "  charged to user 1001's contract" "276 2" "$(up $k1)"

# --- root's before anyone pays for the address: the host's, not bound ----
d0=$(stat drop_not_bound)
check "root's datagram: answered the host's own, dropped as not bound" eval \
	'{ printf "%0100d" 0; wait_until -t 10 eval "[ \$(stat drop_not_bound) = $((d0 + 1)) ]"; } |
		as 0 socat -u - UDP4-SENDTO:$INET4:9100,sourceport=21002'
expect "  nothing arrived, 1001's contract unchanged" "100|276 2" "$(rx)|$(up $k1)"

# --- root buys for the address: root's and unmapped 1002's are the host's -
out=$(cl -m voucher -P "$code2" --start buy bytes 3000 20000)
k0=$(field serial "$(head -n1 <<<"$out")")
expect "root's contract is alice's address's" "$ALICE4 active" \
	"$(J contract show $k0 | jq -r '"\(.addr) \(.state)"')"
check "root's datagram leaves" hudp 0 21003 200
check "unmapped 1002's datagram leaves" hudp 1002 21004 300
expect "  both on the host's contract, 1001's unchanged" "256 2|276 2" \
	"$(up $k0)|$(up $k1)"

# --- 1001's TCP connection: the SYN held, the whole connection 1001's -----
b1="$(up $k0)"
p1=$(up $k1 | cut -d' ' -f2)
head -c 2000 /dev/zero | as 1001 socat -u - TCP4:$INET4:9200,sourceport=21005 ||
	fail "user 1001's TCP connection failed"
expect "  the host's contract untouched" "$b1" "$(up $k0)"
p2=$(up $k1 | cut -d' ' -f2)
[ "$p2" -ge $((p1 + 4)) ] ||
	fail "user 1001's TCP packets not on their contract ($p1 -> $p2)"
ok "  user 1001's TCP connection on their contract ($((p2 - p1)) packets up)"

# --- the operator blocks user 7001: dropped at the router -----------------
M() { on router muispctl --daemon $S/muispd.sock "$@"; }
M user block $ALICE4 7001 reason "abuse" >/dev/null
# ludp UID PORT LINE: hudp's datagram, its socket open until muispd logs LINE
ludp() {
	{ printf "%0100d" 0; wait_until -t 10 grep -qF "$3" $S/muispd.log; } |
		as "$1" socat -u - UDP4-SENDTO:$INET4:9100,sourceport=$2
}
check "blocked user 1001's flow refused at the router" ludp 1001 21006 \
	"hold: udp $ALICE4:21006 -> $INET4:9100: user 7001@$ALICE4 is blocked: dropped"
check "  root's datagram still leaves" hudp 0 21007 400
M user allow $ALICE4 7001 >/dev/null

# --- the agent silent: the question times out, nothing leaves -------------
kill -STOP $UINFOD
check "agent silent: the held flow dropped after agent-hold-timeout" \
	ludp 1001 21008 "hold: udp $ALICE4:21008 -> $INET4:9100: no answer from the agent within 1 s: dropped"
expect "  nothing of it left" 400 "$(rx)"
kill -CONT $UINFOD
