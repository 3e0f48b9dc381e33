#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Per-connection billing (issue 16; Edell, McKeown and Varaiya, "Billing
# users for TCP"): muispd says `conn-billing tcp`, so the contract alice's
# root buys for her address holds each new TCP connection from alice at the
# module (its SYN to muispd's conn-queue, uncharged) until muispd's access
# controller has a verdict.  alice is a two-user host with muisp-uinfod,
# its useridd: muispd asks it whose socket the connection's host end is.
#   - user 1001 (7001, in conn-accept-user) connects: asked, accepted, the
#     whole connection charged to the contract and metered in the flow
#     table; one request for it in the module;
#   - user 1002 (7002) connects: asked, refused (conn-default refuse): the
#     module drops the SYN and its retransmissions as conn-refused;
#   - 1002 to conn-accept-port 9201: accepted without asking;
#   - the agent silent: the SYN and its retransmission wait together (one
#     request, two held), then conn-fail closed refuses them;
#   - more packets than a source's share of conn-hold-max: dropped, logged;
#   - the module's per-source rate (conn-rate 1, conn-burst 1): a second
#     new connection within the second is dropped as conn-rate, unheld.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfod-lib.bash"
S=$SCRATCH
topo_up
diagnose() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- stats; muispd.log, uinfod.log tails"
		jctl stats show || :
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
cert alice agentca IP:$ALICE4
muispd_conf <<-EOF
$FLOW_CONF
agent-ca $S/agentca.crt
agent-keepalive 30
conn-billing tcp
conn-accept-user 7001
conn-accept-port 9201
conn-default refuse
conn-fail closed
conn-hold-timeout 2
conn-hold-max 8
conn-record-delay 3
EOF
start_muispd
grep -q "per-connection billing (tcp): new connections held on queue 28022" \
	$S/muispd.log || fail "muispd did not bind its connection queue"
UINFOD_USERS="user 1001 7001
user 1002 7002" uinfod_conf alice alice
start_uinfod alice
check "alice's agent keyed" wait_until -t 30 keyed
code=$(field code "$(op voucher-issue 1000)")
out=$(cl -m voucher -P "$code" --start buy bytes 400000 900000)
k0=$(field serial "$(head -n1 <<<"$out")")
[ -n "$k0" ] || fail "root of alice could not buy: $out"
for p in 9200 9201 9202; do
	on inet socat TCP4-LISTEN:$p,fork,reuseaddr OPEN:/dev/null &
done
wait_until -t 20 on inet sh -c 'ss -lnt | grep -q "0.0.0.0:9200 " && ss -lnt | grep -q "0.0.0.0:9201 " && ss -lnt | grep -q "0.0.0.0:9202 "'
up() { cfields "$1" up_bytes up_packets; }
conns() { echo "$(stat conn_requests) $(stat conn_held)"; }
# tcp UID SPORT DPORT [SECONDS]: 2000 bytes over a new connection, 3 s (or
# SECONDS) to connect
tcp() {
	head -c 2000 /dev/zero |
		as "$1" socat -u - TCP4:$INET4:$3,sourceport=$2,connect-timeout=${4:-3}
}
logged() { grep -qF "conn: tcp $ALICE4:$1 -> $INET4:$2: $3" $S/muispd.log; }

# --- 1001: asked, accepted, charged, metered --------------------------------
c0=$(conns)
# the request, as the operator sees it on the module's "conns" group
on router muispctl monitor conns count 1 >$S/mon.out 2>$S/mon.err &
mon=$!
wait_until -t 30 grep -qx "muispctl: monitoring conns" $S/mon.err
check "user 1001's connection accepted" tcp 1001 22001 9200
wait_until -t 10 eval '! kill -0 $mon 2>/dev/null' || fail "muispctl monitor saw no request"
grep -q " conn tcp $ALICE4:22001 -> $INET4:9200 contract $k0 held$" $S/mon.out ||
	fail "muispctl monitor conns: $(cat $S/mon.out)"
ok "  muispctl monitor conns: the request"
logged 22001 9200 "accepted (user 7001, conn-accept-user)" ||
	fail "muispd did not log 1001's verdict"
expect "  one request, one packet held" "$(($(cut -d' ' -f1 <<<"$c0") + 1)) $(($(cut -d' ' -f2 <<<"$c0") + 1))" "$(conns)"
p=$(up $k0 | cut -d' ' -f2)
[ "$p" -ge 4 ] || fail "1001's connection not on the contract ($p packets up)"
ok "  the whole connection on the contract ($p packets up)"
grep -q "owner of tcp $ALICE4:22001 -> $INET4:9200: uid 1001, user 7001" \
	$S/uinfod.log || fail "the agent did not log the owner"

# --- 1002: asked, refused; the SYN and retransmissions dropped -------------
b=$(up $k0)
r0=$(stat drop_conn_refused)
check "user 1002's connection refused" eval '! tcp 1002 22002 9200'
logged 22002 9200 "refused (user 7002, conn-default)" ||
	fail "muispd did not log 1002's verdict"
r1=$(stat drop_conn_refused)
[ "$r1" -ge $((r0 + 2)) ] ||
	fail "the SYN and its retransmission not dropped as refused ($r0 -> $r1)"
expect "  nothing charged" "$b" "$(up $k0)"
ok "  dropped as conn-refused: $((r1 - r0)) SYNs"

# --- S2 by port: accepted unasked ------------------------------------------
a0=$(grep -c "owner of tcp" $S/uinfod.log)
check "1002 to conn-accept-port 9201 accepted" tcp 1002 22003 9201
logged 22003 9201 "accepted (conn-accept-port)" ||
	fail "muispd did not log the port rule"
expect "  the agent not asked" "$a0" "$(grep -c "owner of tcp" $S/uinfod.log)"

# --- the agent silent: retransmissions joined, then conn-fail closed -------
kill -STOP $UINFOD
c0=$(conns)
check "silent agent: 1001's connection refused on time-out" \
	eval '! tcp 1001 22004 9200'
wait_until -t 10 logged 22004 9200 "refused (conn-fail, no answer in time)" ||
	fail "no time-out verdict"
c1=$(conns)
expect "  one request for it" "$(($(cut -d' ' -f1 <<<"$c0") + 1))" "${c1%% *}"
[ "${c1##* }" -ge $((${c0##* } + 2)) ] ||
	fail "the retransmitted SYN was not held with the first ($c0 -> $c1)"
ok "  its SYN and retransmission held together ($((${c1##* } - ${c0##* })) packets)"

# --- more than alice's share of conn-hold-max (8/4 + 1 = 3) ----------------
pids=()
for sp in 22010 22011 22012 22013; do
	tcp 1001 $sp 9200 2>/dev/null &
	pids+=($!)
done
check "a source's share of the queue bounded" wait_until -t 10 grep -q \
	"too many packets waiting (.* of conn-hold-max 8): dropped" $S/muispd.log
wait "${pids[@]}" || :
kill -CONT $UINFOD
check "alice's agent keyed again" wait_until -t 30 keyed

# --- the module's per-source rate of new connections -----------------------
ctl config set conn-rate 1 conn-burst 1
q0=$(stat drop_conn_rate)
pids=()
for sp in 22020 22021 22022; do
	tcp 1001 $sp 9200 2>/dev/null &
	pids+=($!)
done
wait "${pids[@]}" || :
q1=$(stat drop_conn_rate)
[ "$q1" -gt "$q0" ] || fail "no new connection dropped over the rate ($q0 -> $q1)"
ok "over conn-rate: $((q1 - q0)) dropped, unheld"
ctl config set conn-rate 20 conn-burst 40

# --- billing records: one per accepted connection, closed with its flow ----
M() { on router muispctl --daemon $S/muispd.sock --json "$@"; }
row() { M conn list | jq -r ".[] | select(.host_port == $1) | \"\(.state) \(.user) \(.contract) \(.up_bytes + .down_bytes) \(.cost)\""; }
check "1001's connection recorded, closed with its flow" wait_until -t 20 \
	eval '[ "$(row 22001 | cut -d" " -f1)" = closed ]'
read -r st u k bytes cost <<<"$(row 22001)"
expect "  its user and contract" "7001 $k0" "$u $k"
[ "$bytes" -ge 2000 ] || fail "its bytes not recorded ($bytes)"
expect "  its cost at the contract's price (1000 per 10^6 bytes)" \
	"$(((bytes * 1000 + 999999) / 1000000))" "$cost"
expect "  the refused one not recorded" "" "$(row 22002)"
expect "  the port rule's one recorded (1002 unknown: the host's)" "closed 0 $k0" \
	"$(row 22003 | cut -d' ' -f1-3)"
# the store itself, not listed (a list writes what waits)
db() { sqlite3 $S/muispd.db "SELECT $1 FROM conn_records WHERE hport = $2"; }
# a connection open longer than conn-record-delay (3 s here): its row is
# written open, then closed when it ends
ctl config set fin-timeout 1
{ sleep 30; } | as 1001 socat -u - TCP4:$INET4:9200,sourceport=22031 &
long=$!
check "a connection open past conn-record-delay: its row written, open" \
	wait_until -t 20 eval '[ "$(db "count(*), end_ms IS NULL" 22031)" = "1|1" ]'
pkill -f "sourceport=22031" || :
wait $long || :
check "  closed in the store at its end" \
	wait_until -t 20 eval '[ "$(db end_reason 22031)" = closed ]'
# the connection table's idle time-out (1800 s by default; 2 s here): an
# idle connection's flow ends, and its record with it, written once
ctl config set idle-timeout 2
{ sleep 6; } | as 1001 socat -u - TCP4:$INET4:9200,sourceport=22030 &
idle=$!
check "an idle connection's record closed by the idle time-out" \
	wait_until -t 20 eval '[ "$(db end_reason 22030)" = idle ]'
expect "  its row, listed" idle "$(row 22030 | cut -d' ' -f1)"
wait $idle || :
ctl config set idle-timeout 1800 fin-timeout 10

# --- user 1002's purchasing agent: asked with the price, answers signed ----
chmod 711 $S
mkdir -p $S/u1002 && chown 1002:1002 $S/u1002
code2=$(field code "$(op voucher-issue 1000)")
out=$(ucl 1002 -m voucher -P "$code2" --start buy bytes 400000 900000)
k2=$(field serial "$(head -n1 <<<"$out")")
expect "user 1002's own contract" "7002@$ALICE4" \
	"$(M contract show $k2 | jq -r .addr)"
as 1002 muisp-agent -s $ROUTER_LAN4 --ca $S/ca.crt --name router.muisp.test \
	-S $S/u1002 accept-port 9202 >$S/pa.log 2>&1 &
PA=$!
check "1002's agent answers for the contract" wait_until -t 20 \
	grep -q "purchasing agent for contract $k2" $S/pa.log
check "1002 to 9202: the agent accepts" tcp 1002 22040 9202
logged 22040 9202 "accepted (user 7002, the user's agent: accept-port)" ||
	fail "muispd did not log the agent's verdict"
grep -q "accept tcp $ALICE4:22040 -> $INET4:9202" $S/pa.log ||
	fail "the agent did not log its answer"
check "1002 to 9200: the agent refuses" eval '! tcp 1002 22041 9200'
logged 22041 9200 "refused (user 7002, the user's agent: no rule)" ||
	fail "muispd did not log the agent's refusal"
check "  the agent hears the accepted one's cost at its end" wait_until -t 30 \
	grep -q "cost tcp $ALICE4:22040 -> $INET4:9202: .* (ended)" $S/pa.log
expect "  its record: 1002's contract" "closed 7002 $k2" \
	"$(row 22040 | cut -d' ' -f1-3)"
kill $PA 2>/dev/null || :

# --- conn-fail open, by a reload: the silent agent's connection accepted --
sed -i 's/^conn-fail closed$/conn-fail open/' $S/muispd.conf
n0=$(grep -c "configuration reloaded" $S/muispd.log || :)
kill -HUP $MUISPD
wait_until -t 10 eval '[ "$(grep -c "configuration reloaded" $S/muispd.log)" -gt $n0 ]' ||
	fail "muispd did not reload"
kill -STOP $UINFOD
check "conn-fail open: the silent agent's connection accepted at the time-out" \
	tcp 1001 22050 9200 8
logged 22050 9200 "accepted (conn-fail, no answer in time)" ||
	fail "no fail-open verdict logged"
kill -CONT $UINFOD

# --- a crash: the row still waiting (conn-record-delay) is written at the
# next start, from the module's flow, its user unknown -----------------------
sed -i 's/^conn-record-delay 3$/conn-record-delay 3600/' $S/muispd.conf
n0=$(grep -c "configuration reloaded" $S/muispd.log || :)
kill -HUP $MUISPD
wait_until -t 10 eval '[ "$(grep -c "configuration reloaded" $S/muispd.log)" -gt $n0 ]' ||
	fail "muispd did not reload"
ctl config set fin-timeout 1
{ sleep 30; } | as 1001 socat -u - TCP4:$INET4:9200,sourceport=22060 &
crashed=$!
check "a connection accepted, its row waiting" wait_until -t 10 \
	logged 22060 9200 "accepted (user 7001, conn-accept-user)"
expect "  not in the store" 0 "$(db 'count(*)' 22060)"
kill -9 $MUISPD
wait $MUISPD 2>/dev/null || :
start_muispd
check "  written at the restart: open, user unknown, its contract" \
	wait_until -t 20 eval '[ "$(db "end_ms IS NULL, user, contract" 22060)" = "1|0|$k0" ]'
# (22050's too, if the reload came within its conn-record-delay)
grep -Eq "[1-9][0-9]* of them without a row, written now" $S/muispd.log ||
	fail "muispd did not say it wrote the row at start"
pkill -f "sourceport=22060" || :
wait $crashed || :
check "  closed at its end" wait_until -t 20 \
	eval '[ "$(db end_reason 22060)" = closed ]'
ctl config set fin-timeout 10
