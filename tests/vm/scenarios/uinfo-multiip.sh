#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
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
#     datagram leaves from USER4 again and 1002's is blocked;
#   - allocation at login, "user 1001 7001 address dhcp", muisp-dhcpd on
#     the router: nothing leased while 1001 is not logged in; 1001 logs
#     in (systemd-logind's /run/systemd/users/1001): uinfod leases an
#     address of the pool for them (RFC 4361 client identifier, IAID
#     1001, beside the host's own lease keyed by its MAC), the router's
#     kernel has it allocated, the map, eth0 and their rule have it, and
#     1001's datagram leaves from it, charged to the contract the
#     operator binds it to; the lease renews; 1001 logs out: the lease
#     given back (free on the router, unallocated in its kernel), the
#     address, rule and map entry gone, 1001 blocked again (closed); in
#     again, an address again; uinfod stopped: given back again;
#     mallory's junk and forged replies to port 68 meanwhile counted
#     and ignored.
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
		tail -n 20 $S/dhcpd.log 2>/dev/null || :
	fi
	[ -z "${DHCPD-}" ] || kill "$DHCPD" 2>/dev/null || :
	[ -z "${UINFOD-}" ] || kill "$UINFOD" 2>/dev/null || :
	rm -rf /run/systemd/users
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

# --- an address leased at login: muisp-dhcpd on the router ----------------
# (the reload took the router's setting and contracts: set again)
gate_up
ctl contract set 21 metric bytes status active
T=$S
. "$MUISP_TOP/tests/vm/scenarios/dhcp-lib.bash"
cat >"$T/dhcpd.conf" <<EOF
lease-db $T/leases.db
kernel-sync yes
interface lan0 {
	subnet $LAN4.0/24
	server-id $ROUTER_LAN4
	pool $LAN4.100 $LAN4.103
	router $ROUTER_LAN4
	lease-time 40
	renew-time 3
	rebind-time 35
}
EOF
start_dhcpd
check "muisp-dhcpd up" wait_until -t 20 grep -q 'kernel hand-off: connected' "$T/dhcpd.log"
# no systemd-logind in the VM: its directory, written as it writes it
mkdir -p /run/systemd/users
login() { printf 'STATE=active\n' >/run/systemd/users/.t; mv /run/systemd/users/.t "/run/systemd/users/$1"; }
logout() { rm "/run/systemd/users/$1"; }
UINFOD_USERS="user 1001 7001 address dhcp
user 1002 7002" uinfod_conf alice alice
start_uinfod alice
check "uinfod (1001 not logged in): 1001 mapped, no address" \
	wait_until -t 20 eval '[ "$(map)" = "1001 7001 false null|1002 7002 false null" ] && grep -q "tagged on eth0" $S/uinfod.log'
expect "  nothing leased" 0 "$(lease list state leased | jq length)"
# mallory at alice's port 68: 10 truncated datagrams, 10 well-formed
# replies to no exchange (xid "ABCD"); counted, and the lease below is
# unaffected
printf 'junk' >$S/junk
{ printf '\x02\x01\x06\x00ABCD'; head -c 228 /dev/zero
  printf '\x63\x82\x53\x63\x35\x01\x05\xff'; } >$S/forged
for i in 1 2 3 4 5 6 7 8 9 10; do
	on mallory socat -u OPEN:$S/junk UDP4-SENDTO:$ALICE4:68,sourceport=67
	on mallory socat -u OPEN:$S/forged UDP4-SENDTO:$ALICE4:68,sourceport=67
done
login 1001
leased() { map | sed -n 's/^1001 7001 false \([0-9.]*\)|.*/\1/p'; }
check "1001 logs in: an address leased for them, in the map" \
	wait_until -t 30 eval '[ -n "$(leased)" ]'
A=$(leased)
expect "  the pool's first, on the router: leased to IAID 1001, allocated" \
	"$LAN4.100 leased 1001 $ALICE_MAC allocated" \
	"$A $(lease show $A | jq -r '"\(.state) \(.iaid) \(.mac)"') $(jctl addr show $A | jq -r .state)"
expect "  on eth0, 1001's rule and table route from it" "1|1|1" \
	"$(ip -n alice -o addr show dev eth0 | grep -c " $A/24 ")|$(rules)|$(ip -n alice route show table 1836384256 | grep -c "default via $ROUTER_LAN4 dev eth0 proto 109 src $A")"
check "  and says so" grep -q "uid 1001: $A/24 leased from $ROUTER_LAN4 for 40 s" $S/uinfod.log
bind_addr $A 21
read -r b21 p21 <<<"$(up 21)"
n=$(rx)
udp4 1001 21001
check "  1001's datagram received" wait_until -t 10 eval '[ "$(rx)" = "$((${n% *} + 100)) 100" ]'
expect "  from the leased address, charged to contract 21 (untagged)" \
	"$((b21 + 128)) $((p21 + 1))" "$(up 21)"
check "the lease renews (T1 3 s)" wait_until -t 20 more "ACK $A .*renewed" 0
check "  and uinfod hears the server's ACK (from a veth: partial checksum)" \
	wait_until -t 10 grep -q "uid 1001: $A renewed (40 s)" $S/uinfod.log
logout 1001
check "1001 logs out: the address off eth0, out of the map" \
	wait_until -t 20 eval '[ "$(map)" = "1001 7001 false null|1002 7002 false null" ] && [ "$(rules)" = 0 ]'
gone() { echo "$(ip -n alice -o addr show dev eth0 | grep -c " $A/24 ")|$(lease show $A | jq -r .state)|$(jctl addr show $A | jq -r .state)"; }
check "  given back: free on the router, unallocated in its kernel" \
	wait_until -t 10 eval '[ "$(gone)" = "0|free|unallocated" ]'
! udp4 1001 21001 2>/dev/null || fail "1001 (no address, closed) not blocked"
login 1001
# (muisp-dhcpd hands out never-used addresses before a released one)
check "1001 logs in again: an address leased again, on eth0" \
	wait_until -t 30 eval '[ -n "$(leased)" ] && [ "$(rules)" = 1 ]'
A=$(leased)
expect "  leased to IAID 1001 on the router" "leased 1001" \
	"$(lease show $A | jq -r '"\(.state) \(.iaid)"')"
kill -TERM $UINFOD
wait $UINFOD 2>/dev/null || :
UINFOD=
check "uinfod stopped: the lease given back, the address off eth0" \
	wait_until -t 10 eval '[ "$(gone)|$(rules)" = "0|free|unallocated|0" ]'
read -r bad other < <(sed -n "s/.*users' leases: \([0-9]*\) replies dropped as malformed, \([0-9]*\) not for.*/\1 \2/p" $S/uinfod.log)
expect "  mallory's: 10 dropped as malformed, 10 (at least) for no exchange" \
	"10 1" "$bad $((other >= 10))"
