#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lib/ipfix's messages checked by two independent decoders (issue 13):
# root, its own netns muisp-ipfix-encoder-PID, no daemon of ours.
#   - tests/ipfix/decode.py reads ipfix-encode's messages back field by
#     field, reads the probe's hand-made message (probe-send.hex: the bytes
#     a hand-made exporter (send.py) sent, with RFC 5103 reverse fields and another PEN)
#     and refuses malformed ones (exit 1, no traceback)
#   - nfacctd (pmacct 1.7.7) with docs/examples/pmacct/primitives.lst
#     prints every record with the right addresses, ports, bytes,
#     packets, contract id, client address, flow id, direction, end reason
#     and sequence number; a zero-packet direction is not sent
#   - MTU packing: 40 flows at -m 600 become several messages, each at
#     most 600 bytes, whose sequence numbers count the records before
#     them; nfacctd gets all 80 records
#   - docs/examples/pmacct/nfacctd.conf runs: bytes per contract and
#     direction
#
# usage: tests/ipfix/encoder.sh [BINDIR]        (default build/bin)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/ipfix/nf.sh"
CHECK_SUITE=ipfix-encoder CHECK_FATAL=1
bin=${1:-${MUISP_BIN:-$top/build/bin}}
here=$top/tests/ipfix
[ "$(id -u)" -eq 0 ] || fail "needs root"
[ -x "$bin/ipfix-encode" ] || fail "no $bin/ipfix-encode (make first)"
command -v nfacctd >/dev/null || fail "nfacctd not installed (scripts/deps.sh)"

NS=muisp-ipfix-encoder-$$
T=$(mktemp -d /tmp/muisp-ipfix-encoder.XXXXXX)
end() {
	local rc=$?
	[ $rc -eq 0 ] || [ ! -e "$T/nf/nf.log" ] || tail -n 20 "$T/nf/nf.log" >&2
	nf_stop "$T/nf" "$NS" || true
	nf_stop "$T/ex" "$NS" || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$T"
}
trap end EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up

decode() { python3 "$here/decode.py" "$@"; }
# jq over decode.py's record lines: q FILE FILTER
q() { jq -c "select(.type == \"record\") | $2" "$1"; }

# --- decode.py on our messages
# client peer cport pport proto upB upP downB downP first last flags
# contract flowid end
cat >"$T/flows" <<'EOF'
10.0.0.2 192.0.2.1 40000 443 6 1500 3 90000 60 1764680000000 1764680005308 27 1099511627776 7 2
2001:db8::2 2001:db8:1::1 40001 53 17 120 1 0 0 1764680000000 1764680001000 0 42 8 1
# nothing to send: both directions 0 packets
10.0.0.9 192.0.2.9 1 2 17 0 0 0 0 1764680000000 1764680000000 0 5 9 4
10.0.0.3 198.51.100.7 0 0 1 0 0 84 1 1764680002000 1764680002000 0 18446744073709551615 10 3
EOF
"$bin/ipfix-encode" -d 7 -s 100 -t 1764680006 -T -L 5 <"$T/flows" >"$T/m1"
decode "$T/m1" >"$T/m1.json"
expect "one message, templates 256 257 258, 5 records, seq 100" \
	'{"seq":100,"domain":7,"records":5,"templates":[256,257,258]}' \
	"$(jq -c 'select(.type == "message") | {seq, domain, records, templates}' "$T/m1.json")"
expect "the options record: notSentFlowTotalCount 5" \
	5 "$(q "$T/m1.json" 'select(.template == 258) | .notSentFlowTotalCount')"
expect "up record of the IPv4 flow" \
	'["10.0.0.2","192.0.2.1",40000,443,6,27,1500,3,3,0,1099511627776,"10.0.0.2",7]' \
	"$(q "$T/m1.json" 'select(.muispFlowId == 7 and .flowDirection == 0) | [.sourceIPv4Address, .destinationIPv4Address, .sourceTransportPort, .destinationTransportPort, .protocolIdentifier, .tcpControlBits, .octetDeltaCount, .packetDeltaCount, .flowEndReason, .flowDirection, .muispContractId, .muispClientIPv4Address, .muispFlowId]')"
expect "down record of the IPv4 flow: addresses and ports swapped" \
	'["192.0.2.1","10.0.0.2",443,40000,90000,60,1]' \
	"$(q "$T/m1.json" 'select(.muispFlowId == 7 and .flowDirection == 1) | [.sourceIPv4Address, .destinationIPv4Address, .sourceTransportPort, .destinationTransportPort, .octetDeltaCount, .packetDeltaCount, .flowDirection]')"
expect "IPv6 flow: up only (down had 0 packets), template 257" \
	'[257,"2001:db8::2","2001:db8:1::1",120,1,1,"2001:db8::2",1764680000000,1764680001000]' \
	"$(q "$T/m1.json" 'select(.muispFlowId == 8) | [.template, .sourceIPv6Address, .destinationIPv6Address, .octetDeltaCount, .packetDeltaCount, .flowEndReason, .muispClientIPv6Address, .flowStartMilliseconds, .flowEndMilliseconds]')"
expect "a flow without packets sends nothing" \
	"" "$(q "$T/m1.json" 'select(.muispFlowId == 9) | .muispFlowId')"
expect "ICMP flow with only a reply: one down record, evicted = 5" \
	'[1,84,5]' \
	"$(q "$T/m1.json" 'select(.muispFlowId == 10) | [.flowDirection, .octetDeltaCount, .flowEndReason]')"
# jq reads numbers as doubles: the u64 maximum checked in the text
expect "contract id 2^64-1 exact" 1 \
	"$(grep -c '"muispContractId": 18446744073709551615, "muispClientIPv4Address": "10.0.0.3"' "$T/m1.json")"

# --- decode.py on the probe's hand-made message (send.py)
python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read()))' \
	"$here/probe-send.hex" >"$T/probe"
decode "$T/probe" >"$T/probe.json"
expect "probe: two messages, seq 3 and 6, template only in the first" \
	'[3,[256]] [6,[]]' \
	"$(jq -c 'select(.type == "message") | [.seq, .templates]' "$T/probe.json" | tr '\n' ' ' | sed 's/ $//')"
expect "probe: reverse fields (PEN 29305) and an unknown PEN decoded" \
	'[3000,2,90000,60,"0000010000000001"]' \
	"$(q "$T/probe.json" 'select(.msg == 1 and .sourceIPv4Address == "10.0.0.3") | [.octetDeltaCount, .packetDeltaCount, .reverseOctetDeltaCount, .reversePacketDeltaCount, .e99999_101]')"

# --- decode.py refuses malformed messages
bad_msg() { # NAME PYTHON-EXPR-ON-m (bytearray of m1)
	python3 -c "import sys; m = bytearray(open(sys.argv[1], 'rb').read()); $2; sys.stdout.buffer.write(m)" \
		"$T/m1" >"$T/bad"
	if decode "$T/bad" >/dev/null 2>"$T/bad.err"; then
		bad "decode.py refuses $1" "exit 0"
	elif grep -q Traceback "$T/bad.err"; then
		bad "decode.py refuses $1" "$(tail -n 1 "$T/bad.err")"
	else
		ok "decode.py refuses $1: $(cat "$T/bad.err")"
	fi
}
bad_msg "version 9" 'm[1] = 9'
bad_msg "a truncated message" 'm = m[:-1]'
bad_msg "a set past the message" 'm[18:20] = (len(m)).to_bytes(2, "big")'
bad_msg "a template withdrawal" 'm[22:24] = bytes(2)'

# --- nfacctd
port=$((20000 + $$ % 20000))
nf_start "$T/nf" "$NS" "$port"
ok "nfacctd listens on 127.0.0.1:$port"
send() { # FILE: each message one datagram
	ip netns exec "$NS" python3 -c '
import socket, sys
d = open(sys.argv[1], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while d:
    n = int.from_bytes(d[2:4], "big")
    s.sendto(d[:n], ("127.0.0.1", int(sys.argv[2])))
    d = d[n:]' "$1" "$port"
}
send "$T/m1"
nrec() { [ "$(grep -c '"ip_proto"' "$T/nf/out.json")" -ge "$1" ]; }
wait_until -t 10 -m "nfacctd printed 4 flow records" nrec 4
n() { jq -c "select(.muisp_flow_id == \"$1\" and .flow_direction == \"$2\") | $3" "$T/nf/out.json"; }
expect "nfacctd: up record of the IPv4 flow" \
	'["10.0.0.2","192.0.2.1",40000,443,"tcp","27",1500,3,"1099511627776","10.0.0.2","3",100]' \
	"$(n 7 0 '[.ip_src, .ip_dst, .port_src, .port_dst, .ip_proto, .tcp_flags, .bytes, .packets, .muisp_contract_id, .muisp_client_ipv4, .flow_end_reason, .export_proto_seqno]')"
expect "nfacctd: down record of the IPv4 flow" \
	'["192.0.2.1","10.0.0.2",443,40000,90000,60,"1099511627776"]' \
	"$(n 7 1 '[.ip_src, .ip_dst, .port_src, .port_dst, .bytes, .packets, .muisp_contract_id]')"
expect "nfacctd: the IPv6 record" \
	'["2001:db8::2","2001:db8:1::1",40001,53,"udp",120,1,"42","2001:db8::2","1"]' \
	"$(n 8 0 '[.ip_src, .ip_dst, .port_src, .port_dst, .ip_proto, .bytes, .packets, .muisp_contract_id, .muisp_client_ipv6, .flow_end_reason]')"
expect "nfacctd: the ICMP reply record, contract id 2^64-1" \
	'["198.51.100.7","10.0.0.3",84,1,"18446744073709551615","5"]' \
	"$(n 10 1 '[.ip_src, .ip_dst, .bytes, .packets, .muisp_contract_id, .flow_end_reason]')"
expect "nfacctd: no record of the flow without packets" \
	"" "$(jq -c 'select(.muisp_flow_id == "9")' "$T/nf/out.json")"

# --- MTU packing: 40 flows, messages of at most 600 bytes, no templates
# (nfacctd has them from m1; same domain)
for i in $(seq 1 40); do
	echo "10.0.1.$i 203.0.113.1 $((30000 + i)) 80 6 $((1000 * i)) $i $((2000 * i)) $((2 * i)) 1764680010000 1764680011000 24 77 $((1000 + i)) 1"
done >"$T/flows40"
"$bin/ipfix-encode" -d 7 -s 105 -t 1764680012 -m 600 <"$T/flows40" >"$T/m40"
decode "$T/m40" >"$T/m40.json" 2>&1 || fail "decode.py: $(cat "$T/m40.json")"
expect "decode.py without the templates: 10 unknown sets" \
	10 "$(jq -s '[.[] | select(.type == "unknown_set")] | length' "$T/m40.json")"
# with them (m1 first, as nfacctd gets them)
decode "$T/m1" "$T/m40" | jq -c 'select(.msg > 0)' >"$T/m40.json"
# 600 = 16 + 4 + 4 * 136 + 36: 4 flows (8 records) a message, 10 messages
expect "40 flows at -m 600: 10 messages of 8 records" \
	"10 8" "$(jq -s '[.[] | select(.type == "message")] | "\(length) \(map(.records) | unique | .[0])"' -r "$T/m40.json")"
expect "every message at most 600 bytes" \
	"true" "$(jq -s '[.[] | select(.type == "message") | .length <= 600] | all' "$T/m40.json")"
expect "sequence numbers count the records before each message" \
	"105 113 121 129 137 145 153 161 169 177" \
	"$(jq -r 'select(.type == "message") | .seq' "$T/m40.json" | tr '\n' ' ' | sed 's/ $//')"
send "$T/m40"
wait_until -t 10 -m "nfacctd printed 84 flow records" nrec 84
expect "nfacctd: the 80 records' bytes sum to 3 * 1000 * (1 + ... + 40)" \
	2460000 "$(jq -s '[.[] | select(.muisp_contract_id == "77") | .bytes] | add' "$T/nf/out.json")"
expect "nfacctd: their sequence numbers are the 10 messages'" \
	"105 113 121 129 137 145 153 161 169 177" \
	"$(jq -r 'select(.muisp_contract_id == "77") | .export_proto_seqno' "$T/nf/out.json" | sort -nu | tr '\n' ' ' | sed 's/ $//')"
nf_stop "$T/nf" "$NS"

# --- the operator example starts (paths moved into $T; it writes every
# second here, not every minute).  The two sends may land in two writes of
# the same minute's file: the example appends, so both count.
mkdir -p "$T/ex"
sed -e "s|/run/nfacctd-muisp.pid|$T/ex/nf.pid|" \
	-e "s|/var/log/pmacct/|$T/ex/|" -e "s|/var/lib/pmacct/|$T/ex/|" \
	-e "s|/etc/pmacct/muisp-primitives.lst|$top/docs/examples/pmacct/primitives.lst|" \
	-e "s|nfacctd_ip: 0.0.0.0|nfacctd_ip: 127.0.0.1|" \
	-e "s|nfacctd_port: 4739|nfacctd_port: $port|" \
	-e "s|print_refresh_time\[contracts\]: 60|print_refresh_time[contracts]: 1|" \
	"$top/docs/examples/pmacct/nfacctd.conf" >"$T/ex/nf.conf"
ip netns exec "$NS" nfacctd -f "$T/ex/nf.conf" >"$T/ex/out" 2>&1 ||
	fail "example nfacctd.conf refused: $(cat "$T/ex/out")"
wait_until -t 10 -m "example nfacctd.conf: nfacctd listens" \
	eval "ip netns exec '$NS' ss -Hlun 'sport = :$port' | grep -q ."
ok "docs/examples/pmacct/nfacctd.conf: nfacctd starts and listens"
send "$T/m1"
send "$T/m40"
ex() { cat "$T"/ex/muisp-contracts-*.json 2>/dev/null; }
exsum() { # CONTRACT DIRECTION: bytes summed over the files written so far
	ex | jq -s "[.[] | select(.muisp_contract_id == \"$1\" and .flow_direction == \"$2\") | .bytes] | add // 0"
}
extotals() { echo "$(exsum 77 0) $(exsum 77 1) $(exsum 1099511627776 1)"; }
wait_until -t 10 -m "the example's per-contract totals" \
	eval '[ "$(extotals)" = "820000 1640000 90000" ]'
expect "example: contract 77 up and down bytes, contract 2^40 down" \
	"820000 1640000 90000" "$(extotals)"
nf_stop "$T/ex" "$NS"

summary
