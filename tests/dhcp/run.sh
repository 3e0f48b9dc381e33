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
# It also covers `muispctl lease` (list/show/release/stats read and queue
# through the lease database; no kernel module needed), the pool gauges
# muisp-dhcpd writes to the database's pools table, and the malformed
# datagrams of tests/dhcp/malformed.py (scapy), sent on a UDP socket and
# replayed from its pcap with tcpreplay.
#
# Usage: tests/dhcp/run.sh        (root; `make` first)
# Env:   MUISP_BIN (default build/bin), KEEP=1 keeps the temp dir.
# Prints one line per check and "dhcp: N passed, N failed"; exit 0 iff all
# passed (tests/lib/check.sh).  Without root, netns support, a client or a
# tool it fails at once: scripts/deps.sh installs every one.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
CHECK_SUITE=dhcp
bin=${MUISP_BIN:-$top/build/bin}/muisp-dhcpd
ctl=${MUISP_BIN:-$top/build/bin}/muispctl

[ "$(id -u)" -eq 0 ] || fail "needs root"
need() { # COMMAND PACKAGE
	command -v "$1" >/dev/null || fail "$1 missing ($2: scripts/deps.sh)"
}
need dhclient isc-dhcp-client
need dhcpcd dhcpcd5
need sqlite3 sqlite3
need jq jq
need tcpreplay tcpreplay
for b in "$bin" "$ctl"; do
	[ -x "$b" ] || fail "$b not built (make)"
done

T=$(mktemp -d /tmp/muisp-dhcp.XXXXXX)
P=mdh$$
S=$P-S W=$P-W
clients=()
srv_pid=
starts=0

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
	if [ "${KEEP:-0}" = 1 ] || [ "$CHECK_FAIL" -ne 0 ]; then
		echo "dhcp: logs kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

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
link_up() { # NS DEV: operstate UP
	ip -n "$1" -br link show dev "$2" | awk '$2 == "UP" { ok = 1 } END { exit !ok }'
}
mac_of() { ip -n "$1" -o link show dev eth0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2; }
# muispctl lease on the suite's database; rc and err of the last lease_rc.
lease() { "$ctl" lease --db "$T/leases.db" "$@"; }
jlease() { "$ctl" --json lease --db "$T/leases.db" "$@"; }
lease_rc() { # ARGS...: sets rc and err (stderr), stdout discarded
	err=$(lease "$@" 2>&1 >/dev/null)
	rc=$?
}
# "ADDR MAC" per leased address, sorted: from muispctl's JSON, its table,
# and from what the clients hold.
leased_json() { jlease list | jq -r '.[] | select(.state == "leased") | "\(.addr) \(.mac)"' | sort; }
leased_text() { lease list state leased | awk 'NR > 1 {print $1, $3}' | sort; }
held_by() { # NS... -> "ADDR MAC" of each client that has an address
	local ns
	for ns in "$@"; do
		[ -n "$(addr_of "$ns")" ] && echo "$(addr_of "$ns") $(mac_of "$ns")"
	done | sort
}

# --- topology -----------------------------------------------------------
ip netns add "$S" && ip netns add "$W" || fail "cannot create network namespaces"
ip -n "$W" link add br0 type bridge
ip -n "$W" link set br0 up
ip link add lan0 netns "$S" type veth peer name s-port netns "$W"
ip -n "$W" link set s-port master br0 up
ip -n "$S" addr add 10.77.0.1/24 dev lan0
ip -n "$S" link set lan0 up
ip -n "$S" link set lo up
wait_until -t 10 -m "the server's link" \
	eval 'link_up "$S" lan0 && link_up "$W" s-port' || :

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
	# The kernel applies a veth's carrier up to 1 s after "up" (until
	# then the noop qdisc drops every frame): a client started earlier
	# loses its first DISCOVER and backs off for seconds.
	wait_until -t 10 -m "$ns's link" \
		eval 'link_up "$ns" eth0 && link_up "$W" "c$n"' || :
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

# dhcpcd: private /run (tmpfs) and /var/lib/dhcpcd in its own mount ns,
# and without privilege separation: Debian's dhcpcd 9.4.1 hands a RELEASE
# to its root process, which passes it on to the network proxy and then
# deletes the address itself, so under load the proxy's send can come after
# the deletion and fail (the lease stays held).  Without the "dhcpcd" user
# (an /etc/passwd without it, in that mount namespace only) dhcpcd runs as
# one process and sends the RELEASE before it deletes the address.
grep -v '^dhcpcd:' /etc/passwd >"$T/passwd"
cat >"$T/dhcpcd.conf" <<'EOF'
clientid
option subnet_mask, routers, domain_name_servers, domain_name
ipv4only
noipv4ll
EOF
printf '#!/bin/sh\necho "$reason $new_ip_address" >>"%s/dhcpcd-$interface.hook"\n' "$T" \
	>"$T/dhcpcd-hook"
chmod +x "$T/dhcpcd-hook"
dhcpcd_start() { # NS: $T/NS.dpid is dhcpcd's pid (each command execs the next)
	mkdir -p "$T/$1.db"
	ip netns exec "$1" unshare -m sh -c "mount --bind '$T/$1.db' /var/lib/dhcpcd &&
		mount -t tmpfs none /run && mount --bind '$T/passwd' /etc/passwd &&
		exec dhcpcd -4 -B -d -f '$T/dhcpcd.conf' -c '$T/dhcpcd-hook' eth0" \
		>>"$T/$1.out" 2>&1 &
	echo $! >"$T/$1.dpid"
}
dhcpcd_release() { # NS: dhcpcd -k in the daemon's own mount namespace; it
	# returns once the daemon has sent its RELEASE and exited
	nsenter -t "$(cat "$T/$1.dpid")" -m -n dhcpcd -4 -k eth0 >>"$T/$1.out" 2>&1
}

start_server() {
	ip netns exec "$S" "$bin" -d -v -f "$T/dhcpd.conf" >>"$T/dhcpd.log" 2>&1 &
	srv_pid=$!
	starts=$((starts + 1))
	wait_until -t 10 eval 'test "$(grep -c "^started:" "$T/dhcpd.log" 2>/dev/null)" -ge "$starts"'
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

if start_server; then ok "server starts"; else fail "server starts"; fi

# --- obtain: dhclient and dhcpcd -------------------------------------------
new_client; C1=$CL
# C1's dhclient stays in the foreground (-d) so its log shows RENEW vs
# REBIND requests.
ip netns exec "$C1" env DHCP_HOOK_LOG="$T/$C1.hook" \
	dhclient -4 -d -v -cf "$T/dhclient.conf" -sf "$T/dhclient-script" \
	-pf "$T/$C1.pid" -lf "$T/$C1.leases" eth0 >>"$T/$C1.out" 2>&1 &
check "dhclient obtains the FIFO head 10.77.0.100" \
	wait_until -t 15 eval 'test "$(addr_of "$C1")" = 10.77.0.100'
check "lease of .100 is on disk" test "$(lease_state 10.77.0.100)" = leased
check "dhclient got router, DNS, domain" \
	grep -q 'routers.*10.77.0.1' "$T/$C1.leases"
pings() { ip netns exec "$1" ping -c1 -W2 "$2" >/dev/null 2>&1; }
check "client reaches the router with its address" pings "$C1" 10.77.0.1

new_client; C2=$CL
dhcpcd_start "$C2"
check "dhcpcd obtains 10.77.0.101" \
	wait_until -t 20 eval 'test "$(addr_of "$C2")" = 10.77.0.101'
check "lease of .101 is on disk" \
	wait_until -t 5 eval 'test "$(lease_state 10.77.0.101)" = leased'

# --- muispctl lease list/show -----------------------------------------------
want=$(printf '10.77.0.100 02:00:00:77:00:01\n10.77.0.101 02:00:00:77:00:02')
check "lease list --json: exactly the two leases (address, MAC)" \
	test "$(leased_json)" = "$want"
check "lease list --json: clients hold exactly those" test "$(held_by "$C1" "$C2")" = "$want"
check "lease list (table): the same two rows" test "$(leased_text)" = "$want"
check "lease list: no other row" test "$(jlease list | jq length)" = 2
# the pool gauges muisp-dhcpd writes with its counters (muispPoolTable)
pool_row() { db "SELECT idx, iface, size, leased, offered, quarantined, free FROM pools"; }
check "pools table: lan0 as configured, 2 of 4 leased" \
	wait_until -t 3 eval 'test "$(pool_row)" = "1|lan0|4|2|0|0|2"'
# dhcpcd renews every 3 s, moving the lease end: take the snapshot between
# two reads of the row that agree, so "show" and the disk are compared at
# one moment.
for _ in 1 2 3 4 5; do
	ends_before=$(db "SELECT ends FROM lease WHERE addr=$(ip2int 10.77.0.101)")
	show=$(jlease show 10.77.0.101)
	ends_after=$(db "SELECT ends FROM lease WHERE addr=$(ip2int 10.77.0.101)")
	[ "$ends_before" = "$ends_after" ] && break
done
check "lease show .101: address, state, MAC, interface" test \
	"$(jq -r '"\(.addr) \(.state) \(.mac) \(.iface)"' <<<"$show")" = \
	"10.77.0.101 leased 02:00:00:77:00:02 lan0"
# dhcpcd's bare "clientid": hardware type 1 + its MAC (dhcpcd.conf(5)).
check "lease show .101: client id 01:<MAC> (dhcpcd's clientid)" \
	test "$(jq -r .client_id <<<"$show")" = 01:02:00:00:77:00:02
check "lease show .101: client id is the key on disk, in hex" test \
	"$(jq -r .client_id <<<"$show" | tr -d :)" = \
	"$(db "SELECT lower(hex(substr(client_key, 2))) FROM lease WHERE addr=$(ip2int 10.77.0.101)")"
check "lease show .101: expires_s is the lease end on disk" test \
	"$(jq .expires_s <<<"$show")" = "$ends_after"
check "lease show .101: remaining_s in 1..30 (lease-time 30)" \
	jq -e '.remaining_s >= 1 and .remaining_s <= 30' <<<"$show" >/dev/null
check "lease show .100: dhclient sent no client id (null)" \
	test "$(jlease show 10.77.0.100 | jq -r .client_id)" = null
if "$ctl" addr list >/dev/null 2>&1; [ $? -eq 3 ]; then
	echo "  note: no muisp family here (muispctl addr list: exit 3): muispctl lease works without it"
fi

# --- renew ------------------------------------------------------------------
check "dhclient renews (unicast REQUEST, ACK renewed)" \
	wait_until -t 15 grep -q "ACK 10.77.0.100 .*renewed" "$T/dhcpd.log"
check "dhcpcd renews" \
	wait_until -t 15 grep -q "ACK 10.77.0.101 .*renewed" "$T/dhcpd.log"

# --- restart mid-lease --------------------------------------------------
check "SIGTERM: clean exit (status 0)" stop_server
before=$(logcount 'ACK 10.77.0.100 .*renewed')
start_server
check "restart: both leases still in the database" \
	test "$(nstate leased)" = 2
check "restart: dhclient's renewal is ACKed as a renewal" \
	wait_until -t 15 eval 'test "$(logcount "ACK 10.77.0.100 .*renewed")" -gt "$before"'
check "restart: client kept 10.77.0.100" test "$(addr_of "$C1")" = 10.77.0.100

# --- REBINDING: the server is down past T2 -------------------------------
# Renewals (unicast to the server) fail; after T2 the client broadcasts
# its REQUEST; the restarted server answers it from the database.
stop_server
rebinds() { grep -c 'DHCPREQUEST for 10.77.0.100 on eth0 to 255.255.255.255' "$T/$C1.out"; }
check "server down: dhclient goes to REBINDING (broadcast REQUEST)" \
	wait_until -t 30 eval 'test "$(rebinds)" -ge 1'
before=$(logcount 'ACK 10.77.0.100 .*renewed')
start_server
check "rebinding client is ACKed (lease kept across the outage)" \
	wait_until -t 20 eval 'test "$(logcount "ACK 10.77.0.100 .*renewed")" -gt "$before"'
check "rebinding client kept 10.77.0.100" test "$(addr_of "$C1")" = 10.77.0.100

# --- SIGHUP reload keeps leases -----------------------------------------
sed -i 's/domain-name muisp.test/domain-name reloaded.test/' "$T/dhcpd.conf"
kill -HUP "$srv_pid"
check "SIGHUP: configuration reloaded" \
	wait_until -t 5 grep -q "configuration reloaded" "$T/dhcpd.log"
before=$(logcount 'ACK 10.77.0.101 .*renewed')
check "SIGHUP: dhcpcd's lease still renews as a renewal" \
	wait_until -t 15 eval 'test "$(logcount "ACK 10.77.0.101 .*renewed")" -gt "$before"'

# --- release ------------------------------------------------------------
dhclient_release "$C1"
check "dhclient release frees .100" \
	wait_until -t 5 eval 'test "$(lease_state 10.77.0.100)" = free'
dhcpcd_release "$C2"
check "dhcpcd ran without privilege separation and sent its RELEASE" \
	eval 'grep -q "no such user dhcpcd" "$T/$C2.out" && grep -q "sending RELEASE" "$T/$C2.out"'
check "dhcpcd release frees .101" \
	wait_until -t 5 eval 'test "$(lease_state 10.77.0.101)" = free'
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
check "lease list --json: exactly the four FIFO clients' leases (address, MAC)" \
	test "$(leased_json)" = "$(held_by "${FIFO_CLIENTS[@]}")" -a "$(leased_json | wc -l)" = 4

# --- exhaustion: no offer, a log line, no crash -----------------------------
new_client; C7=$CL
before=$(logcount 'pool exhausted')
# this client gives up after 4 s, not the usual 8: one DISCOVER (dhclient's next
# would come at 5 s), which the server logs as refused
sed 's/^timeout .*/timeout 4;/' "$T/dhclient.conf" >"$T/dhclient-4s.conf"
timeout 30 ip netns exec "$C7" env DHCP_HOOK_LOG="$T/$C7.hook" dhclient -4 -1 -d -cf "$T/dhclient-4s.conf" \
	-sf "$T/dhclient-script" -pf "$T/$C7.pid" -lf "$T/$C7.leases" eth0 \
	>>"$T/$C7.out" 2>&1
check "exhausted pool: the client gets no address" test -z "$(addr_of "$C7")"
check "exhausted pool: logged" test "$(logcount 'pool exhausted')" -gt "$before"
check "exhausted pool: no DHCPOFFER reached the client" \
	bash -c "! grep -q 'DHCPOFFER of' '$T/$C7.out'"
check "exhausted pool: server still running" kill -0 "$srv_pid"
check "exhausted pool: pools table free 0, 4 of 4 leased" \
	wait_until -t 3 eval 'test "$(pool_row)" = "1|lan0|4|4|0|0|0"'

# --- DECLINE: quarantine ------------------------------------------------
# Free .100 then .101 (FIFO: .100, .101), let a squatter use .100 on the
# link; dhcpcd's ARP probe finds it after the ACK and DECLINEs it.
dhclient_release "${FIFO_CLIENTS[2]}"
dhclient_release "${FIFO_CLIENTS[3]}"
check "two addresses free again" wait_until -t 5 \
	eval 'test "$(nstate free)" = 2'
new_client; Q=$CL
ip -n "$Q" addr add 10.77.0.100/24 dev eth0
new_client; C8=$CL
dhcpcd_start "$C8"
check "DECLINE logged for .100" \
	wait_until -t 30 grep -q "declined 10.77.0.100" "$T/dhcpd.log"
check ".100 is quarantined on disk" test "$(lease_state 10.77.0.100)" = quarantine
check "declining client ends up on .101" \
	wait_until -t 40 eval 'test "$(addr_of "$C8")" = 10.77.0.101'
check "quarantined .100 not offered again after the DECLINE" \
	test "$(sed -n '/declined 10.77.0.100/,$p' "$T/dhcpd.log" |
		grep -c 'OFFER 10.77.0.100')" = 0

# --- muispctl lease release: through the running daemon --------------------
# .102 and .103 are FIFO clients' (dhclient), .101 the declining dhcpcd's.
check "before: leased .101 .102 .103, quarantined .100" test \
	"$(jlease list | jq -r '.[] | "\(.addr)=\(.state)"' | tr '\n' ' ')" = \
	"10.77.0.100=quarantine 10.77.0.101=leased 10.77.0.102=leased 10.77.0.103=leased "
lease_rc release 10.77.0.103
check "lease release .103: exit 0, silent" test "$rc" = 0 -a -z "$err"
# muispctl returns once the daemon has applied it: no waiting here.
check "lease release .103: free on disk when muispctl returns" \
	test "$(lease_state 10.77.0.103)" = free
check "lease release .103: the daemon logged it, once" \
	test "$(logcount '10.77.0.103 released by the operator')" = 1
check "lease release .103: gone from lease list state leased" test \
	"$(leased_text | cut -d' ' -f1 | tr '\n' ' ')" = "10.77.0.101 10.77.0.102 "
check "lease release .103: the request queue is empty" \
	test "$(db 'SELECT count(*) FROM request')" = 0
lease_rc release 10.77.0.103
check "lease release of a free address: exit 1, says so" test "$rc" = 1 -a \
	"$err" = "muispctl: lease release: 10.77.0.103 is not leased (free)"
lease_rc release 10.77.0.100
check "lease release of a quarantined address: exit 1, says so" test "$rc" = 1 -a \
	"$err" = "muispctl: lease release: 10.77.0.100 is not leased (quarantine)"
lease_rc release 10.77.0.50
check "lease release of an unknown address: exit 1" test "$rc" = 1 -a \
	"$err" = "muispctl: lease release: no lease for 10.77.0.50 in $T/leases.db"
lease_rc show 10.77.0.50
check "lease show of an unknown address: exit 1" test "$rc" = 1 -a \
	"$err" = "muispctl: lease show: no lease for 10.77.0.50 in $T/leases.db"
lease_rc release 10.77.0.300
check "lease release of a bad address: exit 2" test "$rc" = 2 -a \
	"$err" = "muispctl: invalid address '10.77.0.300': not an IPv4 address"
lease_rc show fe80::1
check "lease show of an IPv6 address: exit 2" test "$rc" = 2
lease_rc release
check "lease release without an address: exit 2" test "$rc" = 2
lease_rc list state gone
check "lease list state gone: exit 2" test "$rc" = 2
err=$("$ctl" lease --db "$T/nonexistent.db" list 2>&1 >/dev/null)
rc=$?
check "lease list of a missing database: exit 1, names it" test "$rc" = 1 -a \
	"$err" = "muispctl: lease database $T/nonexistent.db: No such file or directory (is muisp-dhcpd's lease-db elsewhere? --db PATH)"
check "failed releases changed nothing in the daemon's log" \
	test "$(logcount 'released by the operator')" = 1 -a "$(logcount 'operator release of')" = 0
check "server still running" kill -0 "$srv_pid"
# .103's client "left" without a word: stop it, so it cannot take .103
# back when its own lease runs out.
kill "$(cat "$T/${FIFO_CLIENTS[1]}.pid")"
ip -n "${FIFO_CLIENTS[1]}" -4 addr flush dev eth0

# --- malformed datagrams are dropped and counted ----------------------------
# tests/dhcp/malformed.py builds 27 datagrams with scapy, each breaking one
# parser rule.  Per reason, in the order of $drop_names:
drop_names="drop_truncated drop_oversized drop_bad_magic drop_bad_op drop_bad_hlen
	drop_option_overflow drop_bad_overload drop_bad_msg_type drop_bad_option_length"
drop_set="5 2 3 3 1 4 4 3 2"
drops() { local n; for n in $drop_names; do printf '%s ' "$(stat "$n")"; done; }
scaled() { local x out=; for x in $drop_set; do out="$out$((x * $1)) "; done; echo "$out"; }
# SIGUSR1 writes the counters and logs them: wait for that log line.  The
# signal can overtake datagrams still queued, so callers poll with it.
usr1_sync() {
	local n
	n=$(logcount '^stats:')
	kill -USR1 "$srv_pid" &&
		wait_until -t 5 eval 'test "$(logcount "^stats:")" -gt '"$n"
}
drops_are() { usr1_sync && test "$(drops)" = "$1"; }
check "no drops counted before the malformed set" drops_are "$(scaled 0)"
unknown=$(stat rx_source_unknown)
check "every client datagram so far paired with its frame (unknown source: $unknown)" \
	test "$unknown" = 0

ip netns exec "$C1" ip -4 addr replace 10.77.0.200/24 dev eth0
out=$(ip netns exec "$C1" /usr/bin/python3 "$top/tests/dhcp/malformed.py" \
	--send 10.77.0.1 --pcap "$T/malformed.pcap" --src-mac 02:00:00:77:00:01 2>&1)
check "malformed.py sent 27 datagrams and wrote the pcap" test \
	"$out" = "malformed: 27 datagrams: drop_bad_hlen=1 drop_bad_magic=3 drop_bad_msg_type=3 drop_bad_op=3 drop_bad_option_length=2 drop_bad_overload=4 drop_option_overflow=4 drop_oversized=2 drop_truncated=5"
check "UDP: each dropped and counted by reason, exactly ($(scaled 1))" \
	wait_until -t 10 eval 'drops_are "$(scaled 1)"'
check "UDP: still exact after one more counter write" drops_are "$(scaled 1)"
check "counters in the log on SIGUSR1" \
	grep -q "stats:.*drop_truncated=5 .*drop_bad_option_length=2" "$T/dhcpd.log"

# The same set as L2 broadcasts from 0.0.0.0:68, large ones IP-fragmented.
check "pcap: 34 frames (27 datagrams, 3 of them in 3+4+3 fragments)" \
	test "$(tcpdump -r "$T/malformed.pcap" 2>/dev/null | wc -l)" = 34
check "tcpreplay of the pcap succeeds" \
	ip netns exec "$C1" tcpreplay -q -i eth0 "$T/malformed.pcap" >>"$T/tcpreplay.out" 2>&1
check "pcap replay: each counted again, exactly ($(scaled 2))" \
	wait_until -t 10 eval 'drops_are "$(scaled 2)"'
check "pcap replay: still exact after one more counter write" drops_are "$(scaled 2)"
check "lease stats --json agrees with the stats table" test \
	"$(jlease stats | jq -r "[$(printf '.%s,' $drop_names | sed 's/,$//')] | map(tostring) | join(\" \")") " = \
	"$(drops)"
check "server survived them" kill -0 "$srv_pid"
# ... and still serves: a client that needs a new lease gets one.
before=$(logcount 'ACK 10.77.0.103 .*(new')
new_client; C9=$CL
dhclient_run "$C9"
check "after the malformed set: a new client gets .103 (released by the operator)" \
	test "$(addr_of "$C9")" = 10.77.0.103
check "after the malformed set: its lease was ACKed as new" \
	test "$(logcount 'ACK 10.77.0.103 .*(new')" = $((before + 1))

# --- a datagram without a frame: waited for, then unknown; the rest served --
# Sent from the server's own namespace out of lan0, it reaches the UDP
# socket through lo, never lan0's packet socket: no frame will come.  It
# waits (20 ms at most) with the datagrams behind it, then counts as from
# the unknown source; the 5 sent right behind it from C1 have their frames.
# All 6 are 100 bytes, short of a BOOTP header: counted as truncated (the
# clients' renewals, meanwhile, are counted elsewhere).
usr1_sync
read -r tr0 unk0 <<<"$(stat drop_truncated) $(stat rx_source_unknown)"
ip netns exec "$S" /usr/bin/python3 -c '
import ctypes, os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lan0")
s.sendto(b"l" * 100, ("10.77.0.1", 67))
# then, within the wait, from C1 (a socket made in its namespace)
fd = os.open("/run/netns/" + sys.argv[1], os.O_RDONLY)
if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:
    sys.exit("setns: " + os.strerror(ctypes.get_errno()))
c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(5):
    c.sendto(bytes([i]) * 100, ("10.77.0.1", 67))
' "$C1"
check "6 datagrams read, the frameless one alone from the unknown source" \
	wait_until -t 10 eval 'usr1_sync && test "$(stat drop_truncated) $(stat rx_source_unknown)" = "$((tr0 + 6)) $((unk0 + 1))"'

check "final SIGTERM: clean exit" stop_server

# --- muispctl lease release without a daemon: applied to the database -----
rel=$(jlease list state leased | jq -r '.[0].addr')
maxseq=$(db 'SELECT max(seq) FROM lease')
lease_rc release "$rel"
check "no daemon: lease release $rel: exit 0" test "$rc" = 0 -a -z "$err"
check "no daemon: $rel free on disk, last in the FIFO" test \
	"$(db "SELECT state, seq FROM lease WHERE addr=$(ip2int "$rel")")" = "free|$((maxseq + 1))"
check "no daemon: nothing queued" test "$(db 'SELECT count(*) FROM request')" = 0
check "no sanitizer/crash output in the server log" \
	bash -c "! grep -qE 'ERROR: AddressSanitizer|runtime error|Segmentation' '$T/dhcpd.log'"

summary
