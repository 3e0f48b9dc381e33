#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Administrative block list and walled garden:
#  - a blocked address, prefix or MAC loses even an active contract, the
#    walled garden and the router's services; each drop counted "blocked";
#  - of overlapping prefixes the most specific entry blocks and counts;
#  - a walled-garden entry lets an unpaid client reach its prefix/port (and
#    only that) until its expiry, then stops, then disappears.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up
gate_up
inet_services
ctl contract set 20 metric bytes status active
bind_addr $ALICE4 20
expect "alice paid: ping works" 1 "$(ping_rx alice -c 1 -W 2 $INET4)"
snap=$SCRATCH/s0

# --- block by address beats an active contract -------------------------------
id=$(jctl block add $ALICE4 | jq -r .id)
stats_snapshot >"$snap"
expect "blocked address: ping" 0 "$(ping_rx alice -c 1 -W 1 $INET4 || true)"
expect "drop counted as blocked" 1 "$(delta "$snap" drop_blocked)"
expect "block entry hits" 1 "$(jctl block list | jq -r ".[] | select(.id == $id) | .hits")"
ctl block del "$id"
expect "unblocked: ping works" 1 "$(ping_rx alice -c 1 -W 2 $INET4)"

# --- block by WAN prefix -------------------------------------------------------
id=$(jctl block add 198.51.100.0/24 | jq -r .id)
stats_snapshot >"$snap"
expect "blocked WAN prefix" 0 "$(ping_rx alice -c 1 -W 1 $INET4 || true)"
expect "prefix drop counted" 1 "$(delta "$snap" drop_blocked)"
ctl block del "$id"

# --- overlapping prefixes: the most specific live entry answers -------------
wide=$(jctl block add $WAN4.0/24 | jq -r .id)
narrow=$(jctl block add $INET4/32 | jq -r .id)
hits() { jctl block list | jq -r ".[] | select(.id == $1) | .hits"; }
expect "overlapping entries: ping" 0 "$(ping_rx alice -c 1 -W 1 $INET4 || true)"
expect "the /32 counts the hit" 1 "$(hits "$narrow")"
expect "the /24 does not" 0 "$(hits "$wide")"
ctl block del "$narrow"
expect "the /24 still blocks" 0 "$(ping_rx alice -c 1 -W 1 $INET4 || true)"
expect "then the /24 counts it" 1 "$(hits "$wide")"
ctl block del "$wide"
expect "both gone: ping works" 1 "$(ping_rx alice -c 1 -W 2 $INET4)"

# --- block by MAC: also the router's own services ---------------------------
on router socat -u UDP-RECV:67 CREATE:$SCRATCH/dhcp &
wait_until -t 5 on router sh -c 'ss -lnu | grep -q ":67 "'
id=$(jctl block add $ALICE_MAC | jq -r .id)
stats_snapshot >"$snap"
expect "blocked MAC: ping" 0 "$(ping_rx alice -c 1 -W 1 $INET4 || true)"
echo blocked | on alice socat -u - UDP:$ROUTER_LAN4:67
# ping + DHCP at least (alice's own IPv6 neighbour discovery is blocked too)
wait_until -t 5 eval 'test "$(delta "$snap" drop_blocked)" -ge 2'
[ ! -s $SCRATCH/dhcp ] || fail "blocked MAC reached DHCP"
expect "bob (other MAC) still reaches the router" 1 "$(ping_rx bob -c 1 -W 1 $ROUTER_LAN4)"
ctl block del "$id"
echo allowed | on alice socat -u - UDP:$ROUTER_LAN4:67
wait_until -t 5 grep -q allowed $SCRATCH/dhcp
expect "block list empty" 0 "$(jctl block list | jq -r length)"

# --- walled garden: one TCP port of one host, until its expiry -------------
# The checks below need the entry alive (each is checked to have run before
# the expiry); about 5 s under emulation, so 25 s leaves room on a slow host.
exp=$(($(date +%s) + 25))
gid=$(jctl garden add $INET4/32 proto tcp port 8080 expires @$exp | jq -r .id)
expect "garden TCP" garden "$(echo garden | on bob timeout 20 socat -t 2 - TCP:$INET4:8080)"
[ "$(date +%s)" -lt "$exp" ] || fail "test too slow: garden expired before it was used"
stats_snapshot >"$snap"
expect "ICMP is not in the garden" 0 "$(ping_rx bob -c 1 -W 1 $INET4 || true)"
expect "garden miss counted as not bound" 1 "$(delta "$snap" drop_not_bound)"
hits=$(jctl garden list | jq -r ".[] | select(.id == $gid) | .hits")
[ "$hits" -ge 2 ] || fail "garden hits $hits"
# blocked beats the garden
bid=$(jctl block add $BOB4 | jq -r .id)
log "blocked bob tries the garden"
! on bob timeout 10 socat -u /dev/null TCP:$INET4:8080,connect-timeout=1 2>/dev/null || fail "blocked bob used the garden"
[ "$(date +%s)" -lt "$exp" ] || fail "test too slow: garden expired before the block was tried"
ctl block del "$bid"
wait_until -t 90 eval '[ "$EPOCHSECONDS" -ge "$exp" ]'
log "garden expiry passed"
! on bob timeout 10 socat -u /dev/null TCP:$INET4:8080,connect-timeout=1 2>/dev/null || fail "garden entry outlived its expiry"
wait_until -t 5 eval 'test "$(jctl garden list | jq -r length)" = 0'
log "garden entry expired at $exp and was removed"

# --- a whole-prefix garden entry passes ICMP, not metered --------------------
ctl garden add 198.51.100.0/24
stats_snapshot >"$snap"
expect "garden prefix: bob ping" 1 "$(ping_rx bob -c 1 -W 2 $INET4)"
expect "garden packets (request + reply)" 2 "$(delta "$snap" garden_packets)"
expect "garden traffic not charged" 0 "$(delta "$snap" up_packets)"
log "lists ok"
