#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Per-user accounting's key agreement (issue 15, thesis §4.4, §4.5.5):
# muisp-uinfod on alice's multi-user host and muispd on the router agree
# on the agent's key over TLS (RFC 5705 exporter) and each installs it,
# so user 1001's tagged datagrams open at the meter and are charged to
# their contract; root's (not mapped) stay the host's.  Alice's
# certificate names her IPv4 and IPv6 addresses: the one session (over
# IPv4) keys both.  Then:
#   - the agent killed: muispd closes the meter's agents, and nothing to or
#     from the host passes (agent-down) until a new agent keys again;
#   - the agent frozen (SIGSTOP): silent for three keep-alive intervals,
#     closed the same way; thawed, it finds its channel gone and keys again;
#   - muispd killed: the agent closes its role at once (the users'
#     packets dropped on the host, root's still leave); muispd restarted
#     closes every agent it finds keyed, and the agent keys again with a
#     key id past the earlier ones (muispd silent on an open channel:
#     test_uinfod's session tests, on the host);
#   - bob with alice's certificate, or with one from another CA: refused,
#     no agent, no key.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfod-lib.bash"
S=$SCRATCH
topo_up
diagnose() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- tag (alice), agents; muispd.log, uinfod.log tails"
		on alice muispctl --json tag show || :
		jctl agent list || :
		tail -n 12 $S/muispd.log || :
		tail -n 12 $S/uinfod.log || :
	fi
	topo_down
}
trap diagnose EXIT
gate_up
for c in 1 11; do ctl contract set $c metric bytes status active; done
bind_addr $ALICE4 1
bind_addr $ALICE6 1
ctl user bind $ALICE4 7001 11
ctl user bind $ALICE6 7001 11

# --- PKI: the router's (contract-lib), the agents' CA, alice's certificate
# naming her addresses, one from another CA ---------------------------------
ca agentca
ca otherca
cert alice agentca IP:$ALICE4,IP:$ALICE6
cert bobother otherca IP:$BOB4
muispd_conf <<-EOF
price bytes voucher ah 1000 1000000
agent-ca $S/agentca.crt
agent-keepalive 1
EOF
start_muispd
uinfod_conf alice alice

up() { cfields "$1" up_bytes up_packets; }
on inet socat -u UDP4-RECV:9100 OPEN:"$S/rx",creat,append &
on inet socat -u UDP6-RECV:9100,ipv6only=1 OPEN:"$S/rx6",creat,append &
wait_until -t 20 on inet sh -c 'ss -lnu | grep -q "0.0.0.0:9100 "'
wait_until -t 20 on inet sh -c 'ss -lnu | grep -q "\[::\]:9100 "'
rx() { wc -c <"$S/rx"; }
rx6() { cat "$S/rx6" 2>/dev/null | wc -c; }

# --- the key agreement ----------------------------------------------------
start_uinfod alice
check "agent keyed: both ends hold the same key id" wait_until -t 30 keyed
expect "  the user map installed" "1001 7001" \
	"$(on alice muispctl --json tag user list | jq -r '.[] | "\(.uid) \(.user)"')"
id1=$(key_id)
udp4 1001 21001 100
udp4 0 21003 100
check "both datagrams received" wait_until -t 10 eval '[ "$(rx)" = 200 ]'
# 20 + 8 + 100 as they left the router, the option taken out
expect "  user 1001's opened at the meter, on contract 11" "128 1|1" \
	"$(up 11)|$(opened $ALICE4)"
expect "  root's on the host's contract" "128 1" "$(up 1)"
expect "  alice's IPv6 address keyed by the same session, same key" "keyed $id1" \
	"$(agent $ALICE6 | cut -d' ' -f1,2)"
udp6 1001 21002 100
check "  user 1001's IPv6 datagram received" wait_until -t 10 eval '[ "$(rx6)" = 100 ]'
# 40 + 8 + 100: the Destination Options header taken out
expect "  opened at the meter, on contract 11" "276 2|1" "$(up 11)|$(opened $ALICE6)"

# --- the agent killed: fail-closed at the meter, then recovery ----------------
kill -KILL $UINFOD
wait $UINFOD 2>/dev/null || :
check "agent killed: the meter's agents closed" \
	wait_until -t 10 eval '[ "$(agent)" = "closed null 0" ]'
expect "  the IPv6 address's too" "closed null" "$(agent $ALICE6 | cut -d' ' -f1,2)"
d0=$(stat drop_agent_down)
udp4 0 21003 100
udp4 1001 21001 100
check "  root's and user 1001's datagrams dropped at the router" \
	wait_until -t 10 eval '[ "$(agent)" = "closed null 2" ]'
expect "  as agent-down, none received, nothing charged" "$((d0 + 2))|200|276 2|128 1" \
	"$(stat drop_agent_down)|$(rx)|$(up 11)|$(up 1)"
start_uinfod alice
check "  a new agent keys again, with a new key id" wait_until -t 30 keyed "$id1"
id2=$(key_id)
expect "  the key id grows" 1 "$((id2 > id1))"
udp4 1001 21001 100
check "  user 1001's datagram passes, on contract 11" \
	wait_until -t 10 eval '[ "$(rx)" = 300 ] && [ "$(up 11)" = "404 3" ]'

# --- the agent frozen: silent for 3 keep-alive intervals ----------------------
kill -STOP $UINFOD
check "agent frozen: closed by muispd after 3 silent intervals" \
	wait_until -t 15 eval '[ "$(agent | cut -d" " -f1)" = closed ]'
grep -q "$ALICE4: agent silent" $S/muispd.log || fail "muispd did not log the silence"
kill -CONT $UINFOD
check "  thawed: keyed again" wait_until -t 30 keyed "$id2"
id3=$(key_id)

# --- muispd killed: the agent closes its role ----------------------------------
kill -KILL $MUISPD
wait $MUISPD 2>/dev/null || :
check "muispd killed: the agent's role closed" \
	wait_until -t 10 eval '[ "$(role | cut -d" " -f1)" = closed ]'
b0=$(role | cut -d' ' -f3)
! udp4 1001 21001 100 2>/dev/null || fail "user 1001's send not refused (EPERM)"
udp4 0 21003 100
check "  root's datagram still leaves (the host's)" \
	wait_until -t 10 eval '[ "$(rx)" = 400 ]'
expect "  user 1001's dropped on the host" "closed null $((b0 + 1))|404 3" \
	"$(role)|$(up 11)"
start_muispd
check "  muispd restarted: the agent keyed again, key id past the others" \
	wait_until -t 30 keyed "$id3"
expect "  restart closed the agents it found keyed (IPv4 and IPv6)" 1 \
	"$(grep -c "2 agents closed until they key again" $S/muispd.log)"
id4=$(key_id)
expect "  key ids grow across muispd's restart" 1 "$((id4 > id3))"
udp4 1001 21001 100
check "  user 1001's datagram passes again" \
	wait_until -t 10 eval '[ "$(rx)" = 500 ] && [ "$(up 11)" = "532 4" ]'

# --- certificates that do not make bob an agent --------------------------------
uinfod_conf bob alice
start_uinfod bob
check "bob with alice's certificate: refused" wait_until -t 30 \
	grep -q "$BOB4: agent refused: certificate does not name this address" $S/muispd.log
kill $UINFOD
wait $UINFOD 2>/dev/null || :
uinfod_conf bob bobother
start_uinfod bob
check "bob with another CA's certificate: refused" wait_until -t 30 \
	grep -q "$BOB4: agent refused: certificate refused by agent-ca: unable to verify the first certificate" $S/muispd.log
kill $UINFOD
wait $UINFOD 2>/dev/null || :
expect "  no agent for bob, bob's role closed" "0|closed null" \
	"$(jctl agent list | jq "[.[] | select(.addr == \"$BOB4\")] | length")|$(on bob muispctl --json tag show | jq -r '"\(.state) \(.key_id)"')"
expect "alice's agent untouched" keyed "$(agent | cut -d' ' -f1)"
