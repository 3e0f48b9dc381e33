#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 480
#
# muispctl against the real module: set/list/show/del of addresses,
# contracts, block-list and walled-garden entries and the configuration,
# with exact --json (and some text) output; the kernel's refusals reported
# with its extended-ack text and exit 1; usage errors (exit 2); an
# unprivileged caller (exit 4, nothing changes); the module unloaded
# (exit 3).  No traffic, so no topology: one namespace of its own (module
# state is per namespace), and few process spawns (the guest is slow).
. "$MUISP_TOP/tests/vm/lib.sh"

NS=ctl-$$
ip netns add $NS
trap 'ip netns del $NS 2>/dev/null || true' EXIT
ip -n $NS link add lan0 type veth peer name lan0p

R() { ip netns exec $NS muispctl "$@"; }
J() { ip netns exec $NS muispctl --json "$@"; }

# --- empty tables ---------------------------------------------------------
expect "empty tables" \
	"[] [] [] [] []" "$(J addr list) $(J contract list) $(J flow list) $(J block list) $(J garden list)"

# --- contracts ------------------------------------------------------------
R contract set 7 status active metric bytes soft 1M hard 2M \
	expires @2000000000
# Limits in the contract's own unit: a time metric takes durations.
R contract set 8 metric usage-time soft 30m hard 1h
J contract list >"$SCRATCH/c.json"
# An update without the metric learns it from the kernel: 2h is a time.
R contract set 8 hard 2h
expect "contracts 7 and 8, then 8's hard limit raised to 2h" '[{"id":7,"status":"active","metric":"bytes","used":0,"soft_limit":1000000,"hard_limit":2000000,"expires_s":2000000000,"up_bytes":0,"up_packets":0,"down_bytes":0,"down_packets":0,"usage_ms":0,"naddrs":0,"nusers":0},{"id":8,"status":"suspended","metric":"usage-time","used":0,"soft_limit":1800000,"hard_limit":3600000,"expires_s":0,"up_bytes":0,"up_packets":0,"down_bytes":0,"down_packets":0,"elapsed_ms":0,"usage_ms":0,"naddrs":0,"nusers":0}] 7200000' \
	"$(jq -c 'map(if .id == 7 then del(.elapsed_ms) else . end)' "$SCRATCH/c.json") $(J contract show 8 | jq .hard_limit)"

# --- addresses ------------------------------------------------------------
# require-tunnel is on by default: binding needs the address's tunnel.
fails 1 "muispctl: addr set: require-tunnel is on: the address has no tunnel" \
	R addr set 192.0.2.10 state bound contract 7
R addr set 192.0.2.10 state bound contract 7 mac 02:00:00:00:00:10 \
	tunnel ah spi 0xc0000001 reqid 5
R addr set 2001:db8:1::10 state allocated
J addr list >"$SCRATCH/a.json"
expect "addr list" '[{"addr":"192.0.2.10","state":"bound","contract":7,"status":"active","mac":"02:00:00:00:00:10","xfrm_proto":"ah","xfrm_spi":"0xc0000001","xfrm_spi_prev":null,"xfrm_reqid":5,"xfrm_if_id":null},{"addr":"2001:db8:1::10","state":"allocated","contract":null,"status":null,"mac":null,"xfrm_proto":null,"xfrm_spi":null,"xfrm_spi_prev":null,"xfrm_reqid":null,"xfrm_if_id":null}] true' \
	"$(jq -c 'map(del(.id))' "$SCRATCH/a.json") $(jq '.[0].id >= 1 and .[1].id > .[0].id' "$SCRATCH/a.json")"
# The text table, without its ID column.
R addr list | cut -c5- >"$SCRATCH/addr.txt"
expect "addr list (text)" "ADDRESS         STATE      CONTRACT  STATUS  MAC                TUNNEL  SPI         SPI_PREV  REQID  IF_ID
192.0.2.10      bound             7  active  02:00:00:00:00:10  ah      0xc0000001  -             5  -
2001:db8:1::10  allocated  -         -       -                  -       -           -         -      -" \
	"$(<"$SCRATCH/addr.txt")"
# A change that does not name the tunnel keeps it (the DHCP server and the
# contract daemon write states without knowing SAs); a rekey adds the new
# SPI and keeps the old one until its SA is gone; spi 0 clears it.
R addr set 192.0.2.10 state allocated
R addr set 192.0.2.10 state bound contract 7
R addr set 192.0.2.10 state bound contract 7 tunnel ah spi 0xc0000003 \
	spi-prev 0xc0000001 reqid 5
expect "tunnel kept across state changes, then rekeyed" "bound ah 0xc0000003 0xc0000001 5" \
	"$(J addr show 192.0.2.10 | jq -r '"\(.state) \(.xfrm_proto) \(.xfrm_spi) \(.xfrm_spi_prev) \(.xfrm_reqid)"')"
fails 1 "muispctl: addr set: require-tunnel is on: the address has no tunnel" \
	R addr set 192.0.2.10 state bound contract 7 spi 0
fails 1 "muispctl: addr set: reqid: tunnel attributes need XFRM_SPI" \
	R addr set 192.0.2.12 state allocated reqid 5
fails 2 "muispctl: invalid tunnel 'gre': must be ah or esp" \
	R addr set 192.0.2.12 state allocated tunnel gre spi 1
R addr set 2001:db8:1::10 state bound contract 7 tunnel esp spi 0xc0000002
n2=$(J contract show 7 | jq .naddrs)
R addr del 2001:db8:1::10
expect "dual-stack binding counted, then one address deleted" \
	"2 1 bound" "$n2 $(J contract show 7 | jq .naddrs) $(J addr show 192.0.2.10 | jq -r .state)"

# --- what the kernel refuses: exit 1 and its message -----------------------
fails 1 "muispctl: addr set: no such contract" \
	R addr set 192.0.2.11 state bound contract 99
fails 1 "muispctl: contract del: contract is bound to an address" \
	R contract del 7
fails 1 "muispctl: contract set: soft limit above hard limit" \
	R contract set 9 metric bytes soft 2M hard 1M
fails 1 "muispctl: contract set: a new contract needs a metric" \
	R contract set 9 status active
fails 1 "muispctl: addr del: no such address" R addr del 192.0.2.99
fails 1 "muispctl: config set: idle-timeout: integer out of range" \
	R config set idle-timeout 0
fails 1 "muispctl: config set: max-flows: integer out of range" \
	R config set max-flows 5M
fails 1 "muispctl: garden del: no such entry" R garden del 999
expect "refusals changed nothing" "7 8 1800" \
	"$(J contract list | jq -r 'map(.id) | join(" ")') $(J config show | jq .idle_timeout_s)"

# --- usage errors: exit 2, found before the kernel is asked ----------------
fails 2 "muispctl: invalid address '192.0.2.300': not an IPv4 or IPv6 address" \
	R addr set 192.0.2.300 state allocated
fails 2 "muispctl: invalid soft '1X': unknown unit" \
	R contract set 7 soft 1X
fails 2 "muispctl: invalid prefix '198.51.100.1/24': host bits set beyond the prefix length" \
	R garden add 198.51.100.1/24

# --- block list -------------------------------------------------------------
b1=$(J block add 192.0.2.66 | jq .id)
b2=$(J block add 192.0.2.0/24 | jq .id)
b3=$(R block add 02:00:00:00:00:66)	# text: "id: N"
b3=${b3#id: }
b4=$(J block add 2001:db8:1::/64 expires @2000000000 | jq .id)
J block list >"$SCRATCH/b.json"
R block del "$b2"
expect "block list, then one entry deleted" "[{\"id\":$b1,\"prefix\":\"192.0.2.66/32\",\"mac\":null,\"expires_s\":0,\"hits\":0},{\"id\":$b2,\"prefix\":\"192.0.2.0/24\",\"mac\":null,\"expires_s\":0,\"hits\":0},{\"id\":$b3,\"prefix\":null,\"mac\":\"02:00:00:00:00:66\",\"expires_s\":0,\"hits\":0},{\"id\":$b4,\"prefix\":\"2001:db8:1::/64\",\"mac\":null,\"expires_s\":2000000000,\"hits\":0}] $b1,$b3,$b4" \
	"$(<"$SCRATCH/b.json") $(J block list | jq -r 'map(.id) | join(",")')"

# --- walled garden ----------------------------------------------------------
now=$(printf '%(%s)T' -1)
g1=$(J garden add 198.51.100.0/24 proto tcp port 80-443 expires +600 | jq .id)
g2=$(J garden add 2001:db8:2::/64 | jq .id)
J garden list >"$SCRATCH/g.json"
R garden del "$g2"
expect "garden list (expiry now+600), then one entry deleted" "[{\"id\":$g1,\"prefix\":\"198.51.100.0/24\",\"proto\":\"tcp\",\"port_min\":80,\"port_max\":443,\"hits\":0},{\"id\":$g2,\"prefix\":\"2001:db8:2::/64\",\"proto\":\"any\",\"port_min\":null,\"port_max\":null,\"expires_s\":0,\"hits\":0}] true $g1" \
	"$(jq -c 'map(if .id == '"$g1"' then del(.expires_s) else . end)' "$SCRATCH/g.json") $(jq ".[0].expires_s >= $now + 600 and .[0].expires_s <= $now + 610" "$SCRATCH/g.json") $(J garden list | jq -r 'map(.id) | join(",")')"

# --- configuration and statistics --------------------------------------------
R config set idle-timeout 5m fin-timeout 20 usage-gap 30 max-flows 1k lan lan0 dns-rate 5 dns-burst 12
ifindex=$(ip netns exec $NS cat /sys/class/net/lan0/ifindex)
expect "config" "{\"lan\":\"lan0\",\"lan_ifindex\":$ifindex,\"idle_timeout_s\":300,\"fin_timeout_s\":20,\"max_flows\":1000,\"control_port\":4433,\"usage_gap_s\":30,\"require_tunnel\":true,\"dns_rate\":5,\"dns_burst\":12,\"conn_rate\":20,\"conn_burst\":40}" \
	"$(J config show)"
R config set lan none
expect "stats: table sizes and every drop reason" "2 1 1000 15" \
	"$(J stats | jq -r '"\(.contracts) \(.addrs) \(.max_flows) \([to_entries[] | select(.key | startswith("drop_"))] | length)"')"

# --- an unprivileged caller changes nothing ----------------------------------
NOBODY=(ip netns exec $NS setpriv --reuid=nobody --regid=nogroup --clear-groups)
fails 4 "muispctl: addr list: permission denied: needs CAP_NET_ADMIN (run as root)" \
	"${NOBODY[@]}" muispctl addr list
fails 4 "muispctl: addr set: permission denied: needs CAP_NET_ADMIN (run as root)" \
	"${NOBODY[@]}" muispctl addr set 192.0.2.10 state allocated
fails 4 "muispctl: contract del: permission denied: needs CAP_NET_ADMIN (run as root)" \
	"${NOBODY[@]}" muispctl contract del 8
expect "unprivileged requests changed nothing" "bound 7 8" \
	"$(J addr show 192.0.2.10 | jq -r .state) $(J contract list | jq -r 'map(.id) | join(" ")')"

# --- module not loaded --------------------------------------------------------
rmmod muisp
fails 3 "muispctl: muisp kernel module not loaded (modprobe muisp)" \
	R addr list
fails 3 "muispctl: muisp kernel module not loaded (modprobe muisp)" \
	R monitor
insmod "$MUISP_KO" dyndbg=+p
expect "fresh module, empty table" "[]" "$(J addr list)"
