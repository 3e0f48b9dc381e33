#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host integration test of muisp-dhcpd against real clients: ISC dhclient
# and dhcpcd, each in its own network namespace, on a bridge in a "switch"
# namespace; the server in a "router" namespace.  Nothing touches the
# host's interfaces: every link is a veth created inside namespaces named
# mdh<pid>-*, the clients' pid, lease and hook files live in a temp dir,
# and dhcpcd runs in a private mount namespace with a tmpfs on /run and a
# temp dir over /var/lib/dhcpcd.  The kernel hand-off is off (kernel-sync
# no): the VM scenarios cover it with muisp.ko loaded.
#
#            mdh-S (lan0 10.77.0.1, muisp-dhcpd)
#                |
#            mdh-W  br0 (bridge)
#           /   |   |   ...   \
#        C1    C2   C3 ...   Q (squatter, static address)
#
# Usage: tests/dhcp/run.sh        (root; `make` first)
# Env:   MUISP_BIN (default build/bin), KEEP=1 keeps the temp dir.
# Prints one line per check and "dhcp: N passed, N failed"; exit 0 iff all
# passed.  Without root, netns support or the clients it prints a skip
# note and "dhcp: 0 passed, 0 failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${MUISP_BIN:-$top/build/bin}/muisp-dhcpd

skip() {
	echo "dhcp: skipped: $*"
	echo "dhcp: 0 passed, 0 failed"
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v dhclient >/dev/null || skip "dhclient missing (isc-dhcp-client)"
command -v dhcpcd >/dev/null || skip "dhcpcd missing (dhcpcd5)"
command -v sqlite3 >/dev/null || skip "sqlite3 missing"
[ -x "$bin" ] || { echo "dhcp: $bin not built"; echo "dhcp: 0 passed, 1 failed"; exit 1; }

T=$(mktemp -d /tmp/muisp-dhcp.XXXXXX)
P=mdh$$
S=$P-S W=$P-W
clients=()
srv_pid=
pass=0 fail=0 starts=0

cleanup() {
	local ns pid
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
	for ns in "${clients[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null
		done
	done
	for ns in "${clients[@]}" "$S" "$W"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ] || [ "$fail" -ne 0 ]; then
		echo "dhcp: logs kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

ok() { echo "  ok   $1"; pass=$((pass + 1)); }
bad() { echo "  FAIL $1${2:+: $2}"; fail=$((fail + 1)); }
check() { # NAME CMD...
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
# Poll a condition (not a sleep standing in for an event): up to $1 s.
# The condition is a string, evaluated afresh on every try.
wait_until() {
	local end=$((SECONDS + $1)) cond=$2
	while ! eval "$cond"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}
ip2int() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}
db() { sqlite3 -cmd '.timeout 2000' "$T/leases.db" "$@"; }
lease_state() { db "SELECT state FROM lease WHERE addr=$(ip2int "$1")"; }
nstate() { db "SELECT count(*) FROM lease WHERE state='$1'"; }
stat() { db "SELECT value FROM stats WHERE name='$1'"; }
logcount() { grep -c -- "$1" "$T/dhcpd.log"; }
addr_of() { # NS -> the IPv4 address on eth0, or nothing
	ip -n "$1" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1 | head -1
}

# --- topology -----------------------------------------------------------
ip netns add "$S" && ip netns add "$W" || skip "cannot create network namespaces"
ip -n "$W" link add br0 type bridge
ip -n "$W" link set br0 up
ip link add lan0 netns "$S" type veth peer name s-port netns "$W"
ip -n "$W" link set s-port master br0 up
ip -n "$S" addr add 10.77.0.1/24 dev lan0
ip -n "$S" link set lan0 up
ip -n "$S" link set lo up

n=0
new_client() { # -> namespace name on stdout; MAC 02:00:00:77:00:NN
	n=$((n + 1))
	local ns=$P-C$n
	ip netns add "$ns"
	ip link add eth0 netns "$ns" address "$(printf '02:00:00:77:00:%02x' $n)" \
		type veth peer name c$n netns "$W"
	ip -n "$W" link set c$n master br0 up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	clients+=("$ns")
	CL=$ns
}

cat >"$T/dhcpd.conf" <<EOF
lease-db $T/leases.db
kernel-sync no
quarantine-time 600
offer-time 10
interface lan0 {
	subnet 10.77.0.0/24
	server-id 10.77.0.1
	pool 10.77.0.100 10.77.0.103
	router 10.77.0.1
	dns 10.77.0.1
	domain-name muisp.test
	lease-time 30
	renew-time 3
	rebind-time 8
}
EOF

# dhclient: our own config, script, pid and lease files.
cat >"$T/dhclient.conf" <<'EOF'
timeout 8;
retry 60;
request subnet-mask, broadcast-address, routers, domain-name-servers, domain-name;
EOF
cat >"$T/dhclient-script" <<'EOF'
#!/bin/sh
# Configure only the address, in the client's own namespace; no resolv.conf.
echo "$reason $new_ip_address" >>"$DHCP_HOOK_LOG"
case $reason in
BOUND|RENEW|REBIND|REBOOT)
	[ -n "$old_ip_address" ] && [ "$old_ip_address" != "$new_ip_address" ] &&
		ip -4 addr del "$old_ip_address/$new_subnet_mask" dev "$interface" 2>/dev/null
	ip -4 addr replace "$new_ip_address/$new_subnet_mask" dev "$interface" ;;
EXPIRE|FAIL|RELEASE|STOP)
	[ -n "$old_ip_address" ] &&
		ip -4 addr del "$old_ip_address/$old_subnet_mask" dev "$interface" 2>/dev/null ;;
esac
exit 0
EOF
chmod +x "$T/dhclient-script"
dhclient_run() { # NS [extra args]: one try, then it stays in the background
	local ns=$1
	shift
	DHCP_HOOK_LOG=$T/$ns.hook ip netns exec "$ns" env DHCP_HOOK_LOG="$T/$ns.hook" \
		dhclient -4 -1 -cf "$T/dhclient.conf" -sf "$T/dhclient-script" \
		-pf "$T/$ns.pid" -lf "$T/$ns.leases" "$@" eth0 >>"$T/$ns.out" 2>&1
}
dhclient_release() {
	ip netns exec "$1" env DHCP_HOOK_LOG="$T/$1.hook" \
		dhclient -4 -r -cf "$T/dhclient.conf" -sf "$T/dhclient-script" \
		-pf "$T/$1.pid" -lf "$T/$1.leases" eth0 >>"$T/$1.out" 2>&1
}

# dhcpcd: private /run (tmpfs) and /var/lib/dhcpcd in its own mount ns.
cat >"$T/dhcpcd.conf" <<'EOF'
clientid
option subnet_mask, routers, domain_name_servers, domain_name
ipv4only
noipv4ll
EOF
printf '#!/bin/sh\necho "$reason $new_ip_address" >>"%s/dhcpcd-$interface.hook"\n' "$T" \
	>"$T/dhcpcd-hook"
chmod +x "$T/dhcpcd-hook"
dhcpcd_start() { # NS
	mkdir -p "$T/$1.db"
	ip netns exec "$1" unshare -m sh -c "mount --bind '$T/$1.db' /var/lib/dhcpcd &&
		mount -t tmpfs none /run &&
		exec dhcpcd -4 -B -d -f '$T/dhcpcd.conf' -c '$T/dhcpcd-hook' eth0" \
		>>"$T/$1.out" 2>&1 &
}
dhcpcd_release() { # NS: dhcpcd -k in the daemon's own mount namespace
	local pid
	pid=$(ip netns pids "$1" | head -1)
	[ -n "$pid" ] && nsenter -t "$pid" -m -n dhcpcd -4 -k eth0 >>"$T/$1.out" 2>&1
}

start_server() {
	ip netns exec "$S" "$bin" -d -v -f "$T/dhcpd.conf" >>"$T/dhcpd.log" 2>&1 &
	srv_pid=$!
	starts=$((starts + 1))
	wait_until 10 'test "$(grep -c "^started:" "$T/dhcpd.log" 2>/dev/null)" -ge "$starts"'
}
stop_server() {
	kill -TERM "$srv_pid"
	wait "$srv_pid"
	local rc=$?
	srv_pid=
	return $rc
}

echo "dhcp: temp dir $T"

# --- configuration check --------------------------------------------------
check "config -n accepts the test config" "$bin" -n -f "$T/dhcpd.conf"
printf 'interface lan0 {\nsubnet 10.77.0.0/24\npool 10.77.0.9 10.77.1.9\n}\n' >"$T/bad.conf"
out=$("$bin" -n -f "$T/bad.conf" 2>&1)
rc=$?
check "config -n rejects a bad pool with file:line" \
	test $rc -eq 1 -a "$out" = "$T/bad.conf:3: pool 10.77.0.9 10.77.1.9: not inside the hosts of 10.77.0.0/24"

start_server || { bad "server starts"; exit 1; }
ok "server starts"

# --- obtain: dhclient and dhcpcd -------------------------------------------
new_client; C1=$CL
# C1's dhclient stays in the foreground (-d) so its log shows RENEW vs
# REBIND requests.
ip netns exec "$C1" env DHCP_HOOK_LOG="$T/$C1.hook" \
	dhclient -4 -d -v -cf "$T/dhclient.conf" -sf "$T/dhclient-script" \
	-pf "$T/$C1.pid" -lf "$T/$C1.leases" eth0 >>"$T/$C1.out" 2>&1 &
check "dhclient obtains the FIFO head 10.77.0.100" \
	wait_until 15 'test "$(addr_of "$C1")" = 10.77.0.100'
check "lease of .100 is on disk" test "$(lease_state 10.77.0.100)" = leased
check "dhclient got router, DNS, domain" \
	grep -q 'routers.*10.77.0.1' "$T/$C1.leases"
pings() { ip netns exec "$1" ping -c1 -W2 "$2" >/dev/null 2>&1; }
check "client reaches the router with its address" pings "$C1" 10.77.0.1

new_client; C2=$CL
dhcpcd_start "$C2"
check "dhcpcd obtains 10.77.0.101" wait_until 20 'test "$(addr_of "$C2")" = 10.77.0.101'
check "lease of .101 is on disk" wait_until 5 'test "$(lease_state 10.77.0.101)" = leased'

# --- renew ------------------------------------------------------------------
check "dhclient renews (unicast REQUEST, ACK renewed)" \
	wait_until 15 'grep -q "ACK 10.77.0.100 .*renewed" "$T/dhcpd.log"'
check "dhcpcd renews" \
	wait_until 15 'grep -q "ACK 10.77.0.101 .*renewed" "$T/dhcpd.log"'

# --- restart mid-lease --------------------------------------------------
check "SIGTERM: clean exit (status 0)" stop_server
before=$(logcount 'ACK 10.77.0.100 .*renewed')
start_server
check "restart: both leases still in the database" \
	test "$(nstate leased)" = 2
check "restart: dhclient's renewal is ACKed as a renewal" \
	wait_until 15 'test "$(logcount "ACK 10.77.0.100 .*renewed")" -gt "$before"'
check "restart: client kept 10.77.0.100" test "$(addr_of "$C1")" = 10.77.0.100

# --- REBINDING: the server is down past T2 -------------------------------
# Renewals (unicast to the server) fail; after T2 the client broadcasts
# its REQUEST; the restarted server answers it from the database.
stop_server
rebinds() { grep -c 'DHCPREQUEST for 10.77.0.100 on eth0 to 255.255.255.255' "$T/$C1.out"; }
check "server down: dhclient goes to REBINDING (broadcast REQUEST)" \
	wait_until 30 'test "$(rebinds)" -ge 1'
before=$(logcount 'ACK 10.77.0.100 .*renewed')
start_server
check "rebinding client is ACKed (lease kept across the outage)" \
	wait_until 20 'test "$(logcount "ACK 10.77.0.100 .*renewed")" -gt "$before"'
check "rebinding client kept 10.77.0.100" test "$(addr_of "$C1")" = 10.77.0.100

# --- SIGHUP reload keeps leases -----------------------------------------
sed -i 's/domain-name muisp.test/domain-name reloaded.test/' "$T/dhcpd.conf"
kill -HUP "$srv_pid"
check "SIGHUP: configuration reloaded" \
	wait_until 5 'grep -q "configuration reloaded" "$T/dhcpd.log"'
before=$(logcount 'ACK 10.77.0.101 .*renewed')
check "SIGHUP: dhcpcd's lease still renews as a renewal" \
	wait_until 15 'test "$(logcount "ACK 10.77.0.101 .*renewed")" -gt "$before"'

# --- release ------------------------------------------------------------
dhclient_release "$C1"
check "dhclient release frees .100" wait_until 5 'test "$(lease_state 10.77.0.100)" = free'
dhcpcd_release "$C2"
check "dhcpcd release frees .101" wait_until 5 'test "$(lease_state 10.77.0.101)" = free'
check "released in order: .100 before .101" test \
	"$(db "SELECT addr FROM lease WHERE state='free' ORDER BY seq" | tr '\n' ' ')" \
	= "$(ip2int 10.77.0.100) $(ip2int 10.77.0.101) "

# --- FIFO reuse: never-used first, then in release order ----------------
order=
for want in 10.77.0.102 10.77.0.103 10.77.0.100 10.77.0.101; do
	new_client
	dhclient_run "$CL"
	order="$order $(addr_of "$CL")"
	FIFO_CLIENTS+=("$CL")
done
check "FIFO reuse order .102 .103 .100 .101 (got$order)" \
	test "$order" = " 10.77.0.102 10.77.0.103 10.77.0.100 10.77.0.101"

# --- exhaustion: no offer, a log line, no crash -----------------------------
new_client; C7=$CL
before=$(logcount 'pool exhausted')
timeout 30 ip netns exec "$C7" env DHCP_HOOK_LOG="$T/$C7.hook" dhclient -4 -1 -d -cf "$T/dhclient.conf" \
	-sf "$T/dhclient-script" -pf "$T/$C7.pid" -lf "$T/$C7.leases" eth0 \
	>>"$T/$C7.out" 2>&1
check "exhausted pool: the client gets no address" test -z "$(addr_of "$C7")"
check "exhausted pool: logged" test "$(logcount 'pool exhausted')" -gt "$before"
check "exhausted pool: no DHCPOFFER reached the client" \
	bash -c "! grep -q 'DHCPOFFER of' '$T/$C7.out'"
check "exhausted pool: server still running" kill -0 "$srv_pid"

# --- DECLINE: quarantine ------------------------------------------------
# Free .100 then .101 (FIFO: .100, .101), let a squatter use .100 on the
# link; dhcpcd's ARP probe finds it after the ACK and DECLINEs it.
dhclient_release "${FIFO_CLIENTS[2]}"
dhclient_release "${FIFO_CLIENTS[3]}"
check "two addresses free again" wait_until 5 \
	'test "$(nstate free)" = 2'
new_client; Q=$CL
ip -n "$Q" addr add 10.77.0.100/24 dev eth0
new_client; C8=$CL
dhcpcd_start "$C8"
check "DECLINE logged for .100" \
	wait_until 30 'grep -q "declined 10.77.0.100" "$T/dhcpd.log"'
check ".100 is quarantined on disk" test "$(lease_state 10.77.0.100)" = quarantine
check "declining client ends up on .101" wait_until 40 'test "$(addr_of "$C8")" = 10.77.0.101'
check "quarantined .100 not offered again after the DECLINE" \
	test "$(sed -n '/declined 10.77.0.100/,$p' "$T/dhcpd.log" |
		grep -c 'OFFER 10.77.0.100')" = 0

# --- malformed datagrams are dropped and counted ----------------------------
ip netns exec "$C1" ip -4 addr replace 10.77.0.200/24 dev eth0
ip netns exec "$C1" python3 - <<'EOF'
import socket, struct
def pkt(opts, magic=b'\x63\x82\x53\x63', op=1):
    h = bytes([op, 1, 6, 0]) + b'\x12\x34\x56\x78' + b'\0' * 20
    h += bytes([2, 0, 0, 0x77, 0, 0xee]) + b'\0' * 10 + b'\0' * 192
    return h + magic + opts
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = ('10.77.0.1', 67)
for n in (0, 100, 239):                       # truncated x3
    s.sendto(pkt(b'')[:n] if n else b'', dst)
s.sendto(pkt(b'\x35\x01\x01\xff', magic=b'\x63\x82\x53\x64'), dst)  # magic x2
s.sendto(pkt(b'\x35\x01\x01\xff', magic=b'\0\0\0\0'), dst)
s.sendto(pkt(b'\x35\x01\x01\x0c\xc8abc'), dst)                      # overflow
s.sendto(pkt(b'\x35\x01\x01\x34\x01\x07\xff'), dst)                 # overload
s.sendto(pkt(b'\x35\x01\x01\xff' + b'\0' * 5000), dst)              # oversized
s.sendto(pkt(b'\x35\x01\x01\xff', op=2), dst)                       # bad op
EOF
kill -USR1 "$srv_pid"
drops_ok() {
	[ "$(stat drop_truncated)" = 3 ] && [ "$(stat drop_bad_magic)" = 2 ] &&
	[ "$(stat drop_option_overflow)" = 1 ] &&
	[ "$(stat drop_bad_overload)" = 1 ] &&
	[ "$(stat drop_oversized)" = 1 ] && [ "$(stat drop_bad_op)" = 1 ]
}
check "malformed datagrams dropped and counted exactly (stats table)" \
	wait_until 5 drops_ok
check "counters in the log on SIGUSR1" \
	wait_until 5 'grep -q "stats:.*drop_truncated=3" "$T/dhcpd.log"'
check "server survived them" kill -0 "$srv_pid"

check "final SIGTERM: clean exit" stop_server
check "no sanitizer/crash output in the server log" \
	bash -c "! grep -qE 'ERROR: AddressSanitizer|runtime error|Segmentation' '$T/dhcpd.log'"

echo "dhcp: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
