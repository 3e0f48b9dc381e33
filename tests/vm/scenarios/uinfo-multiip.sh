#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 180
#
# The Multi-IP scheme (thesis ch. 6), the agent's anti-spoofing: alice's
# namespace is a multi-user host whose module is the agent (muispctl tag,
# set by hand as in uinfo-tag), the router's the meter.  Local user 1001
# has an address of their own, USER4 on eth0, which their policy routing
# rule (uidrange, table 101) sends from and which the router binds to a
# contract of its own (21); alice's address is the host's (contract 1).
# The map: 1001 -> 7001 with USER4, 1002 -> 7002 without.
#   - 1001's datagram leaves from USER4 untagged (the meter opens nothing)
#     and is charged to contract 21, root's to contract 1; 1001's IPv6
#     one (no address of that family) is tagged as any mapped user's;
#   - inet's ping to USER4 is answered: the kernel's ICMP socket is not
#     judged;
#   - 1001 from alice's address, root and 1002 from USER4: each refused on
#     the host (EPERM), counted as spoofed, none received;
#   - a datagram from inet to USER4 reaches 1001's socket; one that
#     root's wildcard socket would take is dropped, counted as spoofed;
#   - closed: 1001's datagram still leaves (their address names them),
#     1002's is dropped as blocked; 1001 blocked is still denied;
#   - 1002 given USER4 while 1001 has it: refused (EEXIST), the message
#     naming uid 1001; once 1001 has none, 1002 may;
#   - muisp-uinfod with "user 1001 7001 address USER4/24" makes the same
#     from its configuration (the hand-made rule and address gone first):
#     USER4 moved back from 1002 to 1001 in the map, on eth0, its uid rule
#     and table; 1001's unbound socket then sends from USER4, charged to
#     contract 21, with no key agreed (the meter is not there);
#   - the module unloaded and loaded again under muisp-uinfod: it sets
#     the agent's role (closed) and the map again by itself, so 1001's
#     datagram leaves from USER4 again and 1002's is blocked.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfo-lib.bash"
. "$MUISP_TOP/tests/vm/scenarios/uinfod-lib.bash"
S=$SCRATCH
USER4=$LAN4.21
topo_up
diagnose() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- agent (alice), its map, agents, contracts, flows"
		on alice muispctl --json tag show || :
		on alice muispctl --json tag user list || :
		ip -n alice -batch - <<<$'rule show\nroute show table 101\naddr show dev eth0' || :
		jctl agent list || :
		jctl contract list kernel || :
		jctl flow list | jq -c '.[] | [.client, .client_port, .peer_port, .up_bytes, .up_packets, .contract]' || :
		tail -n 12 $S/uinfod.log 2>/dev/null || :
	fi
	topo_down
}
trap diagnose EXIT
gate_up
for c in 1 11 21; do ctl contract set $c metric bytes status active; done
bind_addr $ALICE4 1
bind_addr $ALICE6 1
bind_addr $USER4 21
uinfo_agents $ALICE4 $ALICE6
ctl user bind $ALICE6 7001 11

# the host: user 1001's own address and route, the agent with the key
ip -n alice -batch - <<-EOF
addr add $USER4/24 dev eth0
rule add uidrange 1001-1001 table 101
route add default via $ROUTER_LAN4 dev eth0 src $USER4 table 101
EOF
atag() { on alice muispctl "$@"; }
atag tag set eth0 key-id 1 key-file "$SCRATCH/key"
atag tag user set 1001 7001 address $USER4
atag tag user set 1002 7002
map() { atag --json tag user list | jq -r '[.[] | "\(.uid) \(.user) \(.blocked) \(.addr)"] | join("|")'; }
expect "agent's map: 1001 with their address" "1001 7001 false $USER4|1002 7002 false null" "$(map)"

# udp4 USER SPORT [ADDR] / udp6 USER SPORT: 100 bytes to inet's sink
udp4() { printf "%0100d" 0 | as "$1" socat -u - "UDP4-SENDTO:$INET4:9100,bind=${3-}:$2"; }
udp6() { printf "%0100d" 0 | as "$1" socat -u - "UDP6-SENDTO:[$INET6]:9100,sourceport=$2"; }
up() { cfields "$1" up_bytes up_packets; }
opened() { jctl agent list | jq -r "[.[] | .opened] | add"; }
# the agent's TAGGED BLOCKED DENIED SPOOFED
ctrs() { atag --json tag show | jq -r '"\(.tagged) \(.blocked) \(.denied) \(.spoofed)"'; }
on inet socat -u UDP4-RECV:9100 OPEN:"$SCRATCH/rx4",creat,append &
on inet socat -u UDP6-RECV:9100,ipv6only=1 OPEN:"$SCRATCH/rx6",creat,append &
wait_until -t 20 on inet sh -c 'ss -lnu | grep -q "0.0.0.0:9100 " && ss -lnu | grep -q "\[::\]:9100 "'
rx() { echo "$(wc -c <"$SCRATCH/rx4") $(wc -c <"$SCRATCH/rx6")"; }

# --- from their own address: untagged, charged by address ------------------
udp4 1001 21001
udp4 0 21000
check "1001's and root's datagrams received" wait_until -t 10 eval '[ "$(rx)" = "200 0" ]'
# 20 + 8 + 100, as they left the router
expect "  1001's on their address's contract 21, root's on the host's 1" \
	"128 1|128 1" "$(up 21)|$(up 1)"
expect "  neither tagged nor dropped, nothing opened at the meter" "0 0 0 0|0" \
	"$(ctrs)|$(opened)"
udp6 1001 21001
check "1001's IPv6 datagram received" wait_until -t 10 eval '[ "$(rx)" = "200 100" ]'
# 40 + 8 + 100, the Destination Options header taken out
expect "  no IPv6 address of theirs: tagged, opened, on 7001's contract 11" \
	"1 0 0 0|1|148 1" "$(ctrs)|$(opened)|$(up 11)"
expect "inet's ping to 1001's address answered (the kernel's ICMP socket)" 1 \
	"$(ping_rx inet -c 1 -W 5 $USER4)"
expect "  nothing spoofed" "1 0 0 0" "$(ctrs)"

# --- from another's address: refused on the host ----------------------------
# spoof WHAT USER SPORT ADDR: the send from ADDR refused with EPERM, counted
spoof() {
	local t b d s
	read -r t b d s <<<"$(ctrs)"
	! udp4 "$2" "$3" "$4" 2>"$SCRATCH/err" || fail "$1: not refused"
	check "$1: refused (EPERM)" grep -q "Operation not permitted" "$SCRATCH/err"
	expect "  counted as spoofed" "$t $b $d $((s + 1))" "$(ctrs)"
}
read -r b1 p1 <<<"$(up 1)"
read -r b21 p21 <<<"$(up 21)"
spoof "1001 from alice's address" 1001 21001 $ALICE4
spoof "root from 1001's address" 0 21000 $USER4
spoof "1002 from 1001's address" 1002 21002 $USER4
udp4 0 21000
check "  none received, root's next datagram is" wait_until -t 10 eval '[ "$(rx)" = "300 100" ]'
expect "  none charged" "$((b1 + 128)) $((p1 + 1))|$b21 $p21" "$(up 1)|$(up 21)"

# --- what comes in for 1001's address: to 1001's sockets only ---------------
# root's wildcard listener would take a datagram to USER4: dropped on the
# host, counted as spoofed; 1001's own socket takes its one
chmod 0711 "$S"		# 1001 writes what it receives under it
install -d -m 0777 "$S/in"
on alice socat -u UDP4-RECV:7100 OPEN:"$S/in/root",creat,append &
as 1001 socat -u UDP4-RECV:7101 OPEN:"$S/in/1001",creat,append &
wait_until -t 20 on alice sh -c 'ss -lnu | grep -q ":7100 " && ss -lnu | grep -q ":7101 "'
read -r t b d s <<<"$(ctrs)"
printf "%0100d" 0 | on inet socat -u - UDP4-SENDTO:$USER4:7100
printf "%0100d" 0 | on inet socat -u - UDP4-SENDTO:$USER4:7101
check "inbound: 1001's socket received its datagram" \
	wait_until -t 10 eval '[ "$(wc -c <"$S/in/1001" 2>/dev/null)" = 100 ]'
expect "  root's wildcard socket none of 1001's address, counted as spoofed" \
	"0|$t $b $d $((s + 1))" "$(wc -c <"$S/in/root" 2>/dev/null || echo 0)|$(ctrs)"
printf "%0100d" 0 | on inet socat -u - UDP4-SENDTO:$ALICE4:7100
check "  root's socket still takes the host's address" \
	wait_until -t 10 eval '[ "$(wc -c <"$S/in/root" 2>/dev/null)" = 100 ]'

# --- closed: the address still names 1001 -----------------------------------
atag tag close eth0
read -r t b d s <<<"$(ctrs)"
udp4 1001 21001
! udp4 1002 21002 2>/dev/null || fail "1002's send not refused while closed"
check "closed: 1001's datagram received" wait_until -t 10 eval '[ "$(rx)" = "400 100" ]'
expect "  on contract 21; 1002's dropped as blocked" \
	"$((b21 + 128)) $((p21 + 1))|$t $((b + 1)) $d $s" "$(up 21)|$(ctrs)"
atag tag user set 1001 7001 blocked address $USER4
! udp4 1001 21001 2>/dev/null || fail "blocked 1001's send not refused"
expect "  1001 blocked: denied all the same" "$t $((b + 1)) $((d + 1)) $s" "$(ctrs)"

# --- one address, one user ---------------------------------------------------
fails 1 "muispctl: tag user set: address: uid 1001 has that address" \
	atag tag user set 1002 7002 address $USER4
expect "  the map unchanged" "1001 7001 true $USER4|1002 7002 false null" "$(map)"
atag tag user set 1001 7001
atag tag user set 1002 7002 address $USER4
expect "once 1001 has none, 1002 may have it" "1001 7001 false null|1002 7002 false $USER4" \
	"$(map)"

# --- muisp-uinfod makes it from its configuration ----------------------------
ip -n alice -batch - <<-EOF
rule del uidrange 1001-1001 table 101
addr del $USER4/24 dev eth0
EOF
ca ca
ca agentca
cert alice agentca IP:$ALICE4
UINFOD_USERS="user 1001 7001 address $USER4/24
user 1002 7002" uinfod_conf alice alice
read -r b21 p21 <<<"$(up 21)"
start_uinfod alice
rules() { ip -n alice rule | grep -c "uidrange 1001-1001 lookup 1836384256"; }
check "uinfod: USER4 back to 1001 in the map, its uid rule made" \
	wait_until -t 20 eval \
	'[ "$(map)" = "1001 7001 false $USER4|1002 7002 false null" ] && [ "$(rules)" = 1 ]'
expect "  on eth0, and 1001's table routes from it" "1|1" \
	"$(ip -n alice -o addr show dev eth0 | grep -c " $USER4/24 ")|$(ip -n alice route show table 1836384256 | grep -c "default via $ROUTER_LAN4 dev eth0 proto 109 src $USER4")"
udp4 1001 21001
check "  1001's datagram (an unbound socket) received" \
	wait_until -t 10 eval '[ "$(rx)" = "500 100" ]'
expect "  from USER4: on contract 21, with no key agreed" \
	"$((b21 + 128)) $((p21 + 1))|closed" "$(up 21)|$(atag --json tag show | jq -r .state)"

# --- the module loaded again under uinfod: the host's side set up again ------
# (one kernel: the router's state goes too, so only the host's is looked at)
rmmod muisp || fail "unload under uinfod"
! atag tag show >/dev/null 2>&1 || fail "module unloaded: alice's role still shown"
insmod "$MUISP_KO" dyndbg=+p || fail "reload"
check "uinfod sets the role (closed) and the map again by itself" \
	wait_until -t 30 eval \
	'[ "$(map)" = "1001 7001 false $USER4|1002 7002 false null" ] && [ "$(atag --json tag show | jq -r .state)" = closed ]'
check "  and says so" grep -q "the muisp module is back (reload 1)" "$SCRATCH/uinfod.log"
! udp4 1002 21002 2>/dev/null || fail "1002's send not refused while closed"
udp4 1001 21001
check "  1001's datagram from USER4 leaves again, 1002's is blocked" \
	wait_until -t 10 eval '[ "$(rx)" = "600 100" ]'
kill -TERM $UINFOD
wait $UINFOD 2>/dev/null || :
