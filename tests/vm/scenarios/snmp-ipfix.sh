#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# SNMP and IPFIX with the real module (issue 13): what the host suites
# (tests/snmp, tests/ipfix: muispd "kernel no", recorded flow records)
# cannot check.  The router runs muispd, muisp-dhcpd (one lease, mallory's:
# its lease database feeds muispPoolTable), muisp-ipfixd, snmpd (AgentX on
# a private socket, v2c community and a v3 user) and muisp-agentx under
# it; the internet host runs snmptrapd (snmpd's trap2sink) and nfacctd
# (pmacct, the IPFIX collector); mallory takes a DHCP lease.
# `muispctl --json monitor flows` captures the module's flow records.
#   1. A bytes contract; a fixed transfer (8 echoes of 1228 bytes, 20 UDP
#      datagrams of 1028 bytes down); its flows flushed.  At a quiet
#      moment (muispctl's counters the same before and after, the
#      subagent's cache built in between) a walk of MUISP-MIB
#      (snmpbulkwalk v2c) has an instance of every readable object of the
#      MIB, and equals muispctl: every counter of `stats --json` in
#      muispCounterTable and in its named object, the contract row =
#      `contract list --json`, the address rows = `addr list --json`, the
#      pool row = the pool as configured (4 addresses, mallory's lease),
#      muispUserTable = the one user bound (`user bind`: alice's address,
#      Accounting ID 7, the transfer's contract) with the contract's id
#      and counters.  The v3 (authPriv) walk is the same.
#   2. bob crosses a soft limit, then a hard limit, then an expiry
#      (contracts the module alone has): muispSoftLimit, muispHardLimit
#      and muispExpired reach snmptrapd with their contract ids.
#   3. snmpd restarted: the subagent reconnects and answers again.
#   4. nfacctd's bytes and packets per 5-tuple (with contract id and client
#      address) = the module's flow records, up and down, exactly.
#   5. nfacctd restarted: muisp-ipfixd sends its templates again and the
#      next flow decodes at the new collector.
#   6. muisp.ko unloaded and loaded again: muisp-ipfixd and muisp-agentx
#      join their groups again by themselves; a flow of the new module
#      reaches nfacctd, its hard limit snmptrapd.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
topo_up
on router muispctl config set lan lan0 require-tunnel off
# the LAN hosts stop soliciting routers (IPv6 repeats it, backing off from
# 4 s: packets to the router that local_packets counts at any moment)
for h in alice bob mallory; do
	on $h sysctl -qw net.ipv6.conf.eth0.router_solicitations=0
done

ROOT=.1.3.6.1.4.1.32473.1 # muispMIB (placeholder PEN: docs/DESIGN.md)
OBJ=$ROOT.1
V2=(-v2c -c public -On -OQ -Oe -Ot)
V3=(-v3 -l authPriv -u nms -a SHA -A authpass123 -x AES -X privpass123
	-On -OQ -Oe -Ot)
AGENT=udp:127.0.0.1:161
IPFIX_PORT=4739

# --- the daemons ---------------------------------------------------------
muispd_setup <<EOF
checkpoint-interval 1
price bytes voucher ah 1 1000000
EOF
cat >$S/dhcpd.conf <<EOF
lease-db $S/leases.db
kernel-sync no
interface lan0 {
	subnet 192.0.2.0/24
	server-id 192.0.2.1
	pool 192.0.2.200 192.0.2.203
	router 192.0.2.1
}
EOF
T=$S
. "$MUISP_TOP/tests/vm/scenarios/dhcp-lib.bash"
start_dhcpd
cat >$S/snmpd.conf <<EOF
[snmp] mibs :
[snmp] persistentDir $S/snmp
master agentx
agentXSocket unix:$S/agentx.sock
agentXPerms 0600 0700
rocommunity public 127.0.0.1
dontLogTCPWrappersConnects yes
createUser nms SHA "authpass123" AES "privpass123"
rouser nms priv
trap2sink $INET4:162 public
EOF
printf '[snmp] mibs :\n[snmp] persistentDir %s/trapd\ndisableAuthorization yes\n' \
	$S >$S/snmptrapd.conf
start_snmpd() {
	ip netns exec router snmpd -f -Lf $S/snmpd.log -C -c $S/snmpd.conf \
		-I -ifTable,ifXTable $AGENT &
	SNMPD=$!
}
start_snmpd
ip netns exec inet snmptrapd -f -Lf $S/traps.log -C -c $S/snmptrapd.conf \
	udp:$INET4:162 &
cat >$S/ipfixd.conf <<EOF
socket $S/ipfixd.sock
ipfix-collector $INET4:$IPFIX_PORT
ipfix-domain-id 7
ipfix-flush-ms 100
ipfix-template-refresh 1s
EOF
ip netns exec router muisp-ipfixd -d -v -f $S/ipfixd.conf >>$S/ipfixd.log 2>&1 &
IPFIXD=$!
cat >$S/agentx.conf <<EOF
agentx-socket unix:$S/agentx.sock
muispd-socket $S/muispd.sock
ipfixd-socket $S/ipfixd.sock
dhcpd-db $S/leases.db
cache-ttl 1s
agentx-ping-interval 1s
EOF
ip netns exec router muisp-agentx -d -v -f $S/agentx.conf >>$S/agentx.log 2>&1 &
AGENTX=$!
# nfacctd (stopped by its pid: it renames its processes), one JSON line per
# record: the 5-tuple, the counts and muisp's elements
# (muisp's enterprise elements: PEN 32473, lib/ipfix.h)
cat >$S/prim.lst <<EOF
name=muisp_contract_id field_type=32473:1001 len=8 semantics=u_int
name=muisp_client_ipv4 field_type=32473:1002 len=4 semantics=ip
EOF
start_nfacctd() { # OUTPUT-FILE
	cat >$S/nfacctd.conf <<-EOF
	daemonize: false
	nfacctd_ip: $INET4
	nfacctd_port: $IPFIX_PORT
	plugins: print[p]
	aggregate[p]: src_host, dst_host, src_port, dst_port, proto, muisp_contract_id, muisp_client_ipv4
	aggregate_primitives: $S/prim.lst
	print_output[p]: json
	print_output_file[p]: $1
	print_output_file_append[p]: true
	print_refresh_time[p]: 1
	logfile: $S/nfacctd.log
	EOF
	ip netns exec inet nfacctd -f $S/nfacctd.conf &
	NFACCTD=$! # (ip netns exec execs it: the core process)
	wait_until -t 20 -m "nfacctd listening" \
		eval '[ -n "$(on inet ss -Hlun "sport = :$IPFIX_PORT")" ]'
}
stop_nfacctd() { # the core process and the plugin it started (nfacctd
	# takes seconds over a SIGTERM)
	pkill -9 -P $NFACCTD || true
	kill -9 $NFACCTD
	wait $NFACCTD 2>/dev/null || true
	wait_until -t 20 -m "nfacctd gone" eval '[ -z "$(on inet ss -Hlun "sport = :$IPFIX_PORT")" ]'
}
start_nfacctd $S/ipfix1.json
trap 'rc=$?; [ $rc -eq 0 ] || { for f in muispd agentx ipfixd snmpd dhcpd nfacctd; do
	echo "--- $f.log" >&2; tail -n 25 $S/$f.log >&2; done; echo "--- traps" >&2;
	tail -n 10 $S/traps.log >&2; }; topo_down' EXIT

snmp() { # VERB OPTIONS... OID: one net-snmp tool in the router's namespace
	local verb=$1
	shift
	ip netns exec router "snmp$verb" "${@:1:$#-1}" $AGENT "${@:$#}" 2>&1
}
# every counter (module, muispd, muisp-dhcpd, muisp-ipfixd), as JSON
mstats() {
	on router muispctl --json --daemon $S/muispd.sock stats \
		--db $S/leases.db --ipfixd $S/ipfixd.sock
}
hexid() { # ID: its 8 octets as snmptrapd prints them
	local i h=
	for i in 7 6 5 4 3 2 1 0; do
		printf -v h '%s %02X' "$h" $((($1 >> (8 * i)) & 255))
	done
	echo "${h# }"
}
# objects with no instance of their own: table indices, and the
# accessible-for-notify varbinds of the traps
NOT_READABLE='^(muispDropReason|muispContractId|muispAddrType|muispAddr|muispPoolIndex|muispCounterName|muispUserAddrType|muispUserAddr|muispUserId|muispNotify[A-Za-z]*)$'

ip netns exec router muispctl --json monitor flows >$S/flows.json 2>$S/mon.err &
wait_until -t 30 grep -q "muispctl: monitoring" $S/mon.err
wait_until -t 20 -m "the subagent registered" \
	eval 'snmp get "${V2[@]}" $OBJ.1.13.0 | grep -q "= 1$"'

# --- 1. known traffic, then quiet ------------------------------------------
# a lease (mallory's), so that the pool row has a leased address
wait_until -t 20 grep -q '^started:' $S/dhcpd.log
dhclient_in mallory
expect "mallory's lease" 192.0.2.200 "$(on mallory ip -4 -o addr show dev eth0 | awk '$4 ~ /^192\.0\.2\.200\// { print "192.0.2.200" }')"
code=$(field code "$(op voucher-issue 1000)")
# bytes, up and down: the transfer uses 40,208 of them
out=$(cl -m voucher -P "$code" --start buy bytes 50000 60000)
serial=$(field serial "$(head -n1 <<<"$out")")
expect "started" active "$(field state "$(tail -n1 <<<"$out")")"
cid=$(kc $serial .id)
known_transfer $serial
expect "the transfer's sizes" "9824 30384 8 28" \
	"$(kc $serial '"\(.up_bytes) \(.down_bytes) \(.up_packets) \(.down_packets)"')"
# a user of alice's address (Accounting ID 7) bound to that contract: a
# row of muispUserTable with the contract's counters
on router muispctl user bind $ALICE4 7 $cid >/dev/null
on router muispctl flow flush
wait_until -t 10 -m "two flow records" eval '[ "$(wc -l <$S/flows.json)" -ge 2 ]'
# dhcpd's stats table written
usr1_sync

# walk OPTS... : MUISP-MIB in OID order, "OID value" per line
walk() { ip netns exec router snmpbulkwalk "$@" -Cr50 $AGENT $ROOT | sed 's/ = /\t/; s/"//g'; }
# A walk at a quiet moment: muispctl's counters read before and after it
# are the same (hosts on the LAN may still send to the router: IPv6 router
# solicitations, a late ACK: local_packets), and the subagent's cache was
# built after the first read (its age at the start of the walk is below
# the time since then).  The counters only grow, so the cache saw them.
quiet_walk() {
	local t0 t1 age
	t0=$(date +%s%3N)
	mstats >$S/stats.json
	t1=$(date +%s%3N)
	walk "${V2[@]}" >$S/walk2
	walk "${V3[@]}" >$S/walk3
	mstats >$S/stats2.json
	age=$(awk -F'\t' -v o=$OBJ.1.12.0 '$1 == o { print $2 }' $S/walk2)
	[ -n "$age" ] && [ $((t1 - age)) -ge "$t0" ] &&
		cmp -s $S/stats.json $S/stats2.json
}
wait_until -t 40 -m "a walk at a quiet moment" quiet_walk
log "walk: $(wc -l <$S/walk2) instances"
val() { awk -F'\t' -v o="$1" '$1 == o { print $2; f = 1 } END { exit !f }' $S/walk2; }

# every readable object of the MIB has an instance (tables have rows here)
SMIPATH=$MUISP_TOP/tests/mib/stubs smidump -f identifiers \
	$MUISP_TOP/mibs/MUISP-MIB.txt 2>/dev/null |
	awk '$3 == "scalar" || $3 == "column" { print $2, $4 }' >$S/objects
[ -s $S/objects ] || fail "smidump listed no objects"
missing=$(awk -F'\t' 'NR == FNR { seen[$1]; next }
	{ split($0, w, " "); o = "." w[2]
	  for (s in seen) if (index(s, o ".") == 1) next; print w[1] }' \
	$S/walk2 $S/objects | grep -Ev "$NOT_READABLE" || true)
expect "every readable MUISP-MIB object answered" "" "$missing"

# counters: `muispctl stats --json` = muispCounterTable, key by key; and
# each named scalar (lib/stats_defs.c's arcs) = its catalogue key
jq -r 'to_entries[] | select(.value | type == "number") | "\(.key) \(.value)"' \
	$S/stats.json | sort >$S/stats.want
# muispCounterName is the JSON key as a length-prefixed OCTET STRING index
awk -F'\t' -v p="$OBJ.7.1.2." 'index($1, p) == 1 {
	n = split(substr($1, length(p) + 1), c, "."); k = ""
	for (i = 2; i <= n; i++) k = k sprintf("%c", c[i])
	print k, $2 }' $S/walk2 | sort >$S/counters.got
expect "muispCounterTable = muispctl stats --json" \
	"$(cat $S/stats.want)" "$(cat $S/counters.got)"
# lib/stats_defs.c's entries: K/KG(key, title, name, group, arc) ->
# muispObjects.group.arc.0, DROP(..., reason) -> muispDropPackets.reason,
# IPFIX(..., arc) -> muispIpfix.arc.0
named=$(awk -v obj=$OBJ '
	{ t = t " " $0 }
	END {
		while (match(t, /(^|[^A-Z_])(K|KG|DROP|IPFIX)\("[^)]*\)/)) {
			e = substr(t, RSTART, RLENGTH); t = substr(t, RSTART + RLENGTH)
			sub(/^[^A-Z]*/, "", e)
			m = e; sub(/\(.*/, "", m)
			gsub(/^[A-Z]*\(|\)$/, "", e)
			n = split(e, w, ",")
			key = w[1]; gsub(/[ \t"]/, "", key)
			a = w[n]; gsub(/[ \t]/, "", a); g = w[n - 1]; gsub(/[ \t]/, "", g)
			if (m == "K" || m == "KG") oid = obj "." g "." a ".0"
			else if (m == "DROP") oid = obj ".2.1.2." a
			else oid = obj ".8." a ".0"
			print key, oid
		}
	}' $MUISP_TOP/lib/stats_defs.c)
[ -n "$named" ] || fail "no named counters in lib/stats_defs.c"
while read -r key oid; do
	want=$(awk -v k="$key" '$1 == k { print $2 }' $S/stats.want)
	expect "$key ($oid)" "${want:-absent}" "$(val "$oid" || echo absent)"
done <<<"$named"

# the contract's row = muispctl contract list --json (kernel) and muispd
# muispContractId: 8 octets, big-endian: sub-identifiers in the index,
# "Hex-STRING" octets in a trap
row=
for i in 7 6 5 4 3 2 1 0; do
	printf -v row '%s.%d' "$row" $(((cid >> (8 * i)) & 255))
done
row=${row#.}
contracts=$(on router muispctl --json contract list kernel)
expect "contract list: one contract" 1 "$(jq length <<<"$contracts")"
c() { val "$OBJ.4.1.$1.$row"; }
expect "muispContractSerial" "$serial" "$(c 2)"
expect "muispContract{Up,Down}{Octets,Packets}" \
	"$(jq -r '.[0] | "\(.up_bytes) \(.up_packets) \(.down_bytes) \(.down_packets)"' <<<"$contracts")" \
	"$(c 14) $(c 15) $(c 16) $(c 17)"
expect "muispContract{Usage,SoftLimit,HardLimit}" \
	"$(jq -r '.[0] | "\(.used) \(.soft_limit) \(.hard_limit)"' <<<"$contracts")" \
	"$(c 7) $(c 8) $(c 9)"
# hex octets "C0 00 02 0A" -> numbers (mawk has no strtonum)
HEX='function hex(s,  i, v) { s = toupper(s); v = 0
	for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789ABCDEF", substr(s, i, 1)) - 1
	return v }'
expect "muispContractAddr" "$ALICE4" \
	"$(c 13 | awk "$HEX"'{ printf "%d.%d.%d.%d", hex($1), hex($2), hex($3), hex($4) }')"

# the user row, the table's only one: index type 1, length 4, alice's
# address, Accounting ID 7; the contract's id, and its counters as the
# contract's row of the same walk has them (= contract list, above)
urow=1.4.$ALICE4.7
expect "muispUserTable: alice's user 7 alone, every column" \
	"$(printf "$OBJ.10.1.%d.$urow " 4 5 6 7 8)" \
	"$(awk -F'\t' -v p="$OBJ.10." 'index($1, p) == 1 { printf "%s ", $1 }' $S/walk2)"
u() { val "$OBJ.10.1.$1.$urow"; }
expect "muispUserContractId" "$cid" \
	"$(u 4 | awk "$HEX"'{ id = 0; for (i = 1; i <= NF; i++) id = id * 256 + hex($i); print id }')"
expect "muispUser{Up,Down}{Octets,Packets} = the contract's" \
	"$(c 14) $(c 15) $(c 16) $(c 17)" "$(u 5) $(u 6) $(u 7) $(u 8)"

# address rows = muispctl addr list --json: the addresses and their contracts
on router muispctl --json addr list |
	jq -r '.[] | "\(.addr) \(.contract // 0)"' | sort >$S/addrs.want
awk -F'\t' -v p="$OBJ.5.1.4." "$HEX"'index($1, p) == 1 {
	n = split(substr($1, length(p) + 1), o, ".")
	# index: type, length, octets (IPv4 only in this scenario)
	a = o[3] "." o[4] "." o[5] "." o[6]
	split($2, h, " "); id = 0
	for (i = 1; i <= 8; i++) if (h[i] != "") id = id * 256 + hex(h[i])
	print a, id }' $S/walk2 | sort >$S/addrs.got
expect "muispAddrTable = muispctl addr list --json" "$(cat $S/addrs.want)" "$(cat $S/addrs.got)"

# the pool row = muisp-dhcpd's pool as configured (one pool, lan0:
# 192.0.2.200-203, mallory's lease), leased = muispctl lease stats --json
lease=$(muispctl --json lease --db $S/leases.db stats)
expect "muispPoolIfName.1" lan0 "$(val $OBJ.6.1.2.1)"
expect "muispPool{Size,Leased,Offered,Quarantined,Free}" "4 1 0 0 3" \
	"$(val $OBJ.6.1.3.1) $(val $OBJ.6.1.4.1) $(val $OBJ.6.1.5.1) $(val $OBJ.6.1.6.1) $(val $OBJ.6.1.7.1)"
expect "muispPoolLeased = lease stats' addrs_leased" \
	"$(jq -r .addrs_leased <<<"$lease")" "$(val $OBJ.6.1.4.1)"

# and muisp-dhcpd's counters in muispctl stats (so in muispCounterTable)
# are lease stats' own, "dhcp_" before each name
expect "dhcp_* = muispctl lease stats --json" \
	"$(jq -r 'to_entries[] | select(.key != "updated") | "dhcp_\(.key) \(.value)"' <<<"$lease" | sort)" \
	"$(grep '^dhcp_' $S/stats.want)"

# v3 authPriv: the same instances and values (the cache age aside)
expect "the v3 walk = the v2c walk" \
	"$(grep -v "^$OBJ.1.12.0" $S/walk2)" "$(grep -v "^$OBJ.1.12.0" $S/walk3)"
expect "snmpget of a row" "$(c 14)" \
	"$(snmp get "${V3[@]}" $OBJ.4.1.14.$row | sed "s/.* = //")"

# --- 2. soft, then hard limit: two traps -----------------------------------
# bob on contracts of the module's own (muispd's reaction to the events
# is not the point): 4242 with a soft limit of 2 packets, crossed by the
# first echo's reply (the module then holds the contract: delinquent);
# then 4243 with a hard limit of 3, crossed by the second echo's reply
on router muispctl contract set 4242 status active metric packets soft 2 hard 100
on router muispctl contract set 4243 status active metric packets hard 3
on router muispctl addr set $BOB4 state bound contract 4242
on bob ping -c 1 -W 2 $INET4 >/dev/null || fail "bob's first echo"
on router muispctl addr set $BOB4 state bound contract 4243
on bob ping -c 2 -i 0.2 -W 1 $INET4 >/dev/null 2>&1 || true
trap_with() { # ARC ID: a trap muispNotifications.ARC carrying contract ID
	grep -F "OID: iso.3.6.1.4.1.32473.1.0.$1" $S/traps.log | grep -qF "$(hexid $2)"
}
wait_until -t 20 -m "muispSoftLimit at snmptrapd" trap_with 1 4242
wait_until -t 20 -m "muispHardLimit at snmptrapd" trap_with 2 4243
ok "muispSoftLimit with contract id 4242, muispHardLimit with 4243"
# then 4246, which expires 2 s after it is set: bob's echoes go on until
# the module ends it (its sweep or the next packet) and the trap is there
on router muispctl contract set 4246 status active metric packets hard 1000 expires +2s
on router muispctl addr set $BOB4 state bound contract 4246
wait_until -t 30 -m "muispExpired at snmptrapd" \
	eval 'on bob ping -c 1 -W 1 $INET4 >/dev/null 2>&1; trap_with 3 4246'
ok "muispExpired with contract id 4246"

# --- 3. snmpd restarted: the subagent answers again ------------------------
kill $SNMPD
wait $SNMPD 2>/dev/null || true
start_snmpd
wait_until -t 20 -m "the subagent answers after snmpd's restart" \
	eval 'snmp get "${V2[@]}" $OBJ.1.13.0 | grep -q "= 1$"'
ok "the subagent answers again"

# --- 4. nfacctd = the module's flow records --------------------------------
on router muispctl flow flush
n=$(wc -l <$S/flows.json)
# one line per non-empty direction: src dst sport dport proto contract client bytes packets
want_ipfix() {
	jq -r 'select(.flow) | .flow |
		(if .up_packets > 0 then "\(.client) \(.peer) \(.client_port) \(.peer_port) \(.proto) \(.contract) \(.client) \(.up_bytes) \(.up_packets)" else empty end),
		(if .down_packets > 0 then "\(.peer) \(.client) \(.peer_port) \(.client_port) \(.proto) \(.contract) \(.client) \(.down_bytes) \(.down_packets)" else empty end)' "$1" | sort
}
got_ipfix() { # the collector's records summed per key
	jq -r '"\(.ip_src) \(.ip_dst) \(.port_src) \(.port_dst) \(.ip_proto) \(.muisp_contract_id) \(.muisp_client_ipv4) \(.bytes) \(.packets)"' "$1" |
		awk '{ k = $1 " " $2 " " $3 " " $4 " " $5 " " $6 " " $7; b[k] += $8; p[k] += $9 }
			END { for (k in b) print k, b[k], p[k] }' | sort
}
want_ipfix $S/flows.json >$S/ipfix.want
[ -s $S/ipfix.want ] || fail "no flow records from the module"
wait_until -t 20 -m "nfacctd has every record" \
	eval '[ "$(got_ipfix $S/ipfix1.json)" = "$(cat $S/ipfix.want)" ]'
ok "nfacctd per 5-tuple = the module's $n flow records ($(wc -l <$S/ipfix.want) directions)"
last_msg=$(date +%s%3N) # muisp-ipfixd's last message had arrived by now

# --- 5. nfacctd restarted: templates again, data decodes -------------------
ts() { mstats | jq .ipfix_templates_sent; }
stop_nfacctd
t1=$(ts)
start_nfacctd $S/ipfix2.json
n0=$(wc -l <$S/flows.json)
# the template refresh (1 s) is due for the next message
wait_until -t 5 eval '[ $(($(date +%s%3N) - last_msg)) -gt 1000 ]'
# bob, on a new contract of the module's own
on router muispctl contract set 4244 status active metric packets hard 1000
on router muispctl addr set $BOB4 state bound contract 4244
on bob ping -c 2 -i 0.2 -W 2 $INET4 >/dev/null || fail "bob's ping after the restart"
on router muispctl flow flush
wait_until -t 10 -m "the new flow's record" eval '[ "$(wc -l <$S/flows.json)" -gt $n0 ]'
tail -n +$((n0 + 1)) $S/flows.json >$S/flows2.json
want_ipfix $S/flows2.json >$S/ipfix.want
wait_until -t 20 -m "templates sent again" eval '[ "$(ts)" -gt "$t1" ]'
wait_until -t 20 -m "the new collector decodes the next flow" \
	eval '[ "$(got_ipfix $S/ipfix2.json)" = "$(cat $S/ipfix.want)" ]'
ok "after nfacctd's restart: templates again, the next flow decoded"
expect "no record lost by muisp-ipfixd" "0 0" \
	"$(mstats | jq -r '"\(.ipfix_records_lost_overrun) \(.ipfix_records_lost_send)"')"

# --- 6. the module reloaded: both daemons join their groups again ----------
# (lib/nl_follow: the controller's DELFAMILY / NEWFAMILY of "muisp"); the
# new module numbers its records from 1 again: no loss counted
rmmod muisp || fail "rmmod"
wait_until -t 20 -m "muisp-ipfixd saw the module go" \
	grep -q 'muisp module unloaded: left its "flows" group' $S/ipfixd.log
insmod "$MUISP_KO" dyndbg=+p || fail "insmod"
wait_until -t 20 -m "muisp-ipfixd joined \"flows\" again" \
	grep -q 'muisp module is back (reload 1)' $S/ipfixd.log
wait_until -t 20 -m "muisp-agentx joined \"events\" again" \
	grep -q 'muisp module is back (reload 1): joined its "events"' $S/agentx.log
on router muispctl config set lan lan0 require-tunnel off
# bob on a contract with a hard limit of 3 packets, crossed by the second
# echo's reply: a flow record to export and a trap
on router muispctl contract set 4245 status active metric packets hard 3
on router muispctl addr set $BOB4 state bound contract 4245
on bob ping -c 2 -i 0.2 -W 1 $INET4 >/dev/null 2>&1 || true
on router muispctl flow flush
wait_until -t 20 -m "the new module's flow record at nfacctd" \
	eval 'got_ipfix $S/ipfix2.json | grep -q "^$BOB4 $INET4 .* 4245 $BOB4 "'
wait_until -t 20 -m "muispHardLimit from the new module" trap_with 2 4245
expect "after the reload: reloads, records lost" "1 0 0" \
	"$(mstats | jq -r '"\(.ipfix_module_reloads) \(.ipfix_records_lost_overrun) \(.ipfix_records_lost_send)"')"
ok "module reloaded: flow export and traps resumed"
stop_nfacctd
log "snmp-ipfix ok"
