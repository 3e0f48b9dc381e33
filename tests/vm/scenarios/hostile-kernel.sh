#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 240
#
# Attacks on the module from the LAN and from local users (issue 10: 4, 5,
# 6 and the 64-bit contract ids of 8), in one boot, while a paying alice
# (contract id 2^32 + 7) keeps being served:
#   - an unprivileged local user cannot join the "events" or "flows"
#     multicast group (EPERM), root can and sees alice's events;
#   - user namespaces: `unshare -rn` makes a namespace without a flow
#     table (the module's kmsg lifecycle lines), which appears only with
#     a LAN interface and goes with it; a container root may not raise
#     max_flows above MUISP_USERNS_MAX_FLOWS (EPERM) nor fill the tables
#     past MUISP_USERNS_MAX_* (ENOSPC), the initial namespace's root past
#     MUISP_MAX_GARDEN (ENOSPC);
#   - mallory moves bulk data over DNS to the router (TXT queries whose
#     names carry the data, replayed at top speed): over-long ones are all
#     dropped, the rest get at most burst + rate x time through (default
#     10/s, burst 30), each drop counted as "dns"; a walk-in (bob) still
#     gets his queries through, paying alice's DNS is not limited at all
#     and her pings are counted exactly.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up
gate_up
ALICE_ID=$(((1 << 32) + 7))
ctl contract set $ALICE_ID metric bytes status active hard 100M
monitor_start "$SCRATCH/events" events
bind_addr $ALICE4 $ALICE_ID
expect "alice's contract id whole in the module" "$ALICE_ID bound" \
	"$(jctl addr show $ALICE4 | jq -r '"\(.contract) \(.state)"')"
expect "and in the contract table" "$ALICE_ID" \
	"$(jctl contract show $ALICE_ID kernel | jq -r .id)"

# --- 4: flows and events are root's -------------------------------------
unpriv() {
	on router setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all "$@"
}
for g in events flows; do
	! unpriv muispctl monitor $g count 1 >"$SCRATCH/unpriv-$g" 2>&1 ||
		fail "an unprivileged monitor of $g ran"
	grep -q "join multicast group: permission denied" "$SCRATCH/unpriv-$g" ||
		fail "unprivileged join of $g: $(cat "$SCRATCH/unpriv-$g")"
	ok "unprivileged join of $g: EPERM"
done
bound_event() { [ -n "$(events "$SCRATCH/events" addr-state contract)" ]; }
wait_until -t 10 bound_event
expect "root's monitor saw alice bound, id whole" "$ALICE_ID" \
	"$(events "$SCRATCH/events" addr-state contract)"

# --- 5: user namespaces ---------------------------------------------------
ns0=$(kmsg_count 'netns [0-9]* created') ft0=$(kmsg_count 'flow table [0-9]* created')
for i in 1 2 3; do unshare -rn true; done
expect "3 namespaces from unshare -rn: state made, no flow table" "3 0" \
	"$(($(kmsg_count 'netns [0-9]* created') - ns0)) $(($(kmsg_count 'flow table [0-9]* created') - ft0))"
for i in $(seq 257); do echo "garden add 10.1.$((i / 256)).$((i % 256))/32"; done >"$SCRATCH/garden"
for i in $(seq 257); do echo "block add 10.2.$((i / 256)).$((i % 256))"; done >"$SCRATCH/block"
for i in $(seq 4097); do echo "contract set $(((1 << 40) + i)) metric bytes"; done >"$SCRATCH/contract"
log "userns tables"
ftd0=$(kmsg_count 'flow table [0-9]* destroyed')
# shellcheck disable=SC2016
unshare -rn sh -c '
	cd "$1"
	ip link add d0 type dummy
	muispctl config set max-flows 65537 2>maxflows.err; echo "max-flows $?"
	muispctl config set lan d0 max-flows 65536; echo "lan $?"
	for t in garden block contract; do
		muispctl -b $t >/dev/null 2>$t.err; echo "$t $?"
	done
	echo "sizes $(muispctl --json garden list | jq length)" \
		"$(muispctl --json block list | jq length)" \
		"$(muispctl --json contract list kernel | jq length)"
	muispctl config set lan none; echo "unset $?"
' sh "$SCRATCH" >"$SCRATCH/userns.out" 2>&1 || { cat "$SCRATCH/userns.out"; fail "userns run"; }
cat "$SCRATCH/userns.out"
expect "container root: max-flows above 65536 refused" \
	"max-flows 1" "$(grep '^max-flows ' "$SCRATCH/userns.out")"
check "  with EPERM's reason" grep -q "MUISP_USERNS_MAX_FLOWS" "$SCRATCH/maxflows.err"
expect "container root: tables stop at 256, 256 and 4096 entries" \
	"lan 0|garden 1|block 1|contract 1|sizes 256 256 4096|unset 0" \
	"$(grep -E '^(lan|garden|block|contract|sizes|unset) ' "$SCRATCH/userns.out" | paste -sd'|')"
for t in garden:257 block:257 contract:4097; do
	check "  ${t%:*}: the line after the last one refused, table full" \
		grep -q "${t%:*}:${t#*:}: command failed" "$SCRATCH/${t%:*}.err"
	check "  ${t%:*}: ENOSPC's reason" grep -q "full" "$SCRATCH/${t%:*}.err"
done
expect "its flow table made with the LAN interface, gone without it" "1 1" \
	"$(($(kmsg_count 'flow table [0-9]* created') - ft0)) $(($(kmsg_count 'flow table [0-9]* destroyed') - ftd0))"

# --- 6: free internet over DNS -------------------------------------------
log "dns"
expect "default DNS limit of unpaid clients" "10 30" \
	"$(jctl config show | jq -r '"\(.dns_rate) \(.dns_burst)"')"
python3 - "$SCRATCH" <<PY
import struct, sys
ROUTER = "$ROUTER_LAN4"
RMAC = "$ROUTER_LAN_MAC"
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def mac(m):
    return bytes.fromhex(m.replace(":", ""))
def ip(a):
    return bytes(int(x) for x in a.split("."))
def frame(smac, sip, i, tag, nlabels):
    # a TXT query whose name carries 63-byte chunks of data, as a DNS
    # tunnel's does: <tag><seq>.<data>...<data>.t.example
    data = (b"%08d" % i) * 8
    labels = [tag + b"%06d" % i] + [data[:63]] * nlabels + [b"t", b"example"]
    q = struct.pack("!6H", i & 0xffff, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l for l in labels) + b"\0"
    q += struct.pack("!HH", 16, 1)
    udp = struct.pack("!4H", 10000 + i % 50000, 53, 8 + len(q), 0) + q
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xffff, 0,
                    64, 17, 0, ip(sip), ip(ROUTER))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return mac(RMAC) + mac(smac) + b"\x08\x00" + h + udp
def pcap(name, frames):
    with open(sys.argv[1] + "/" + name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)
pcap("long.pcap", [frame("$MALLORY_MAC", "$MALLORY4", i, b"m4ll0ry", 12)
                   for i in range(100)])
pcap("flood.pcap", [frame("$MALLORY_MAC", "$MALLORY4", i, b"m4ll0ry", 3)
                    for i in range(3000)])
pcap("bob.pcap", [frame("$BOB_MAC", "$BOB4", i, b"w4lkin", 3)
                  for i in range(10)])
pcap("alice.pcap", [frame("$ALICE_MAC", "$ALICE4", i, b"4l1ce", 3)
                    for i in range(100)])
PY
# The router's resolver, as far as the attack goes: whatever reaches port 53.
on router socat -u UDP4-RECV:53,bind=$ROUTER_LAN4 - >"$SCRATCH/resolver" 2>&1 &
wait_until -t 10 on router sh -c "ss -lnu | grep -q '$ROUTER_LAN4:53 '"
got() { { grep -ao "$1" "$SCRATCH/resolver" || :; } | wc -l; }
got_ge() { [ "$(got "$1")" -ge "$2" ]; }
replay() { # NS PCAP N
	on "$1" tcpreplay -q --topspeed -i eth0 "$SCRATCH/$2" >"$SCRATCH/$2.out" 2>&1 ||
		fail "tcpreplay $2: $(cat "$SCRATCH/$2.out")"
	grep -q "$3 packets" "$SCRATCH/$2.out" || fail "tcpreplay $2: $(cat "$SCRATCH/$2.out")"
}
seen_all() { [ $(($(stat drop_dns) - d0 + $(got "$1"))) -ge "$2" ]; }
d0=$(stat drop_dns)
replay mallory long.pcap 100
wait_until -t 20 seen_all m4ll0ry 100
expect "100 queries over MUISP_DNS_MAX_LEN: all dropped as dns, none at the resolver" \
	"100 0" "$(($(stat drop_dns) - d0)) $(got m4ll0ry)"
d0=$(stat drop_dns)
t0=$(date +%s%N)
replay mallory flood.pcap 3000
wait_until -t 30 seen_all m4ll0ry 3000
t1=$(date +%s%N)
passed=$(got m4ll0ry) dropped=$(($(stat drop_dns) - d0))
max=$((30 + 10 * (t1 - t0) / 1000000000 + 1))
log "flood: $passed of 3000 through in $(((t1 - t0) / 1000000)) ms (at most $max), $dropped dropped"
expect "every flood query either dropped as dns or at the resolver" 3000 $((passed + dropped))
[ "$passed" -ge 30 ] || fail "the burst did not pass: $passed"
[ "$passed" -le "$max" ] || fail "$passed queries through, more than burst + rate x time ($max)"
replay bob bob.pcap 10
wait_until -t 20 got_ge w4lkin 10
d0=$(stat drop_dns)
expect "walk-in bob: all 10 queries at the resolver" 10 "$(got w4lkin)"
replay alice alice.pcap 100
wait_until -t 20 got_ge 4l1ce 100
expect "paying alice: 100 queries at top speed, none dropped" "100 0" \
	"$(got 4l1ce) $(($(stat drop_dns) - d0))"
before=$(cfields $ALICE_ID up_packets down_packets up_bytes down_bytes)
expect "alice's pings" 5 "$(ping_rx alice -c 5 -i 0.2 -W 2 $INET4)"
read -r up dn ub db <<<"$before"
expect "alice's contract counts exactly her 5 pings" "$((up + 5)) $((dn + 5)) $((ub + 420)) $((db + 420))" \
	"$(cfields $ALICE_ID up_packets down_packets up_bytes down_bytes)"
expect "alice still bound" bound "$(jctl addr show $ALICE4 | jq -r .state)"

# --- 5: the initial namespace's root stops at MUISP_MAX_GARDEN -----------
log "garden maximum"
for i in $(seq 4097); do echo "garden add 10.3.$((i / 256)).$((i % 256))/32"; done >"$SCRATCH/garden4k"
! ctl -b "$SCRATCH/garden4k" >/dev/null 2>"$SCRATCH/garden4k.err" || fail "4,097 garden entries taken"
check "the 4,097th garden entry refused" grep -q "garden4k:4097: command failed" "$SCRATCH/garden4k.err"
expect "the walled garden holds 4,096" 4096 "$(jctl garden list | jq length)"
log "hostile-kernel ok"
