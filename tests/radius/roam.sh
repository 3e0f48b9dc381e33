#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Roaming users on the control channel (issue 12 item 3; payment method
# roam, daemon/muispd/payment_radius.c), on the host: root, its own netns,
# two real FreeRADIUS 3.2 (tests/radius/fr.sh: "visited" on 127.0.0.1
# proxies realm partner.example to "home" on 127.0.0.2), muispd with
# "kernel no" (usage through the operator socket).
#   - u@partner.example (roampw) buys through the proxy: the receipt's
#     limits are the Accept's (Session-Timeout 3600 -> expiry, quota
#     50,000,000 -> hard and soft), Class partner-bill-0001 and the
#     interim/idle time-outs are in radius_auth; the home's auth.log saw
#     the login (the Access-Request's attributes from a capture); after
#     kill -9 and a restart the contract is back; settlement: the charge
#     on the ledger realm:partner.example and the statement line
#   - muisp-client's password from --secret-fd, and from stdin without a
#     terminal
#   - bad@partner.example -> ROAM_REJECT with the home's "account suspended"
#   - a wrong password -> ROAM_REJECT
#   - a realm not in radius-roam-realms -> ROAM_REJECT, no packet sent
#   - the home server stopped -> ROAM_UNREACHABLE within
#     radius-auth-timeout while another user is served meanwhile
#   - accounting: the home's acct.log gets the roaming contract's Start
#     with its Class (the Access-Request announced its Acct-Session-Id)
#
# usage: tests/radius/roam.sh [BINDIR]   (default $MUISP_BIN, else build/bin)
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/radius/fr.sh"
CHECK_SUITE=radius-roam CHECK_FATAL=1
bin=${1:-${MUISP_BIN:-$top/build/bin}}
fr_need muispd muisp-client

fr_part roam
tpid=
fr_at_exit() { fr_kill "$tpid"; }
ok "two FreeRADIUS (visited proxies partner.example to home)"

# --- throwaway CA and router certificate ---
testca_router "$T"

fr_secret radius.secret nas-secret
port=4433
{
	fr_conf
	cat <<EOF
currency EUR
price bytes voucher esp 10 1000000
price bytes roam esp 2 1000000
price time roam esp 1 60
radius-nas-identifier muisp-roam-test
radius-nas-ip 127.0.0.1
radius-auth-server 127.0.0.1:1812 $T/radius.secret
radius-timeout 1
radius-retries 1
radius-auth-timeout 3
radius-roam-realms partner.example
radius-acct-server 127.0.0.1:1813 $T/radius.secret
EOF
} >"$T/muispd.conf"

fr_muispd_check
ok "muispd -n accepts price ... roam and the radius-* keys"
fr_muispd_start

# roam STATEDIR SOURCE IDENTITY PASSWORD args...: the password on fd 3
roam() {
	local sd=$1 src=$2 id=$3 pw=$4
	shift 4
	fr_cl "$sd" "$src" --roam "$id" --secret-fd 3 "$@" 3< <(printf '%s\n' "$pw")
}

# --- the offer lists roam ---
out=$(fr_cl u 127.0.0.3 offer)
check "offer has bytes roam esp" grep -q 'bytes.*roam' <<<"$out"

# --- u@partner.example: Accept through the proxy, limits in the receipt ---
# muispd's Access-Requests to the visited server, captured
ip netns exec "$NS" tcpdump -i lo -U --immediate-mode -n -Z root -w "$T/auth.pcap" \
	udp and dst host 127.0.0.1 and dst port 1812 2>"$T/tcpdump.err" &
tpid=$!
wait_until -t 10 -m "tcpdump listening" grep -q 'listening on' "$T/tcpdump.err"
t0=$(date +%s)
out=$(roam u 127.0.0.3 u@partner.example roampw --start buy bytes 90000000 100000000)
t1=$(date +%s)
wait_until -t 5 -m "the Access-Request in the capture" \
	eval '[ "$(stat -c %s "$T/auth.pcap")" -gt 24 ]'
kill "$tpid"
wait "$tpid" 2>/dev/null || true
tpid=
# the first Access-Request (code 1) in the capture: its attributes by
# type (type=value: strings as text, integers and addresses decoded;
# type:length for the rest; CLEAR if the password is in it)
req=$(python3 - "$T/auth.pcap" <<'PY'
import socket, struct, sys
d = open(sys.argv[1], 'rb').read()
o = 24
while o + 16 <= len(d):
    n = struct.unpack('<I', d[o + 8:o + 12])[0]
    f = d[o + 16:o + 16 + n]
    o += 16 + n
    ihl = (f[14] & 15) * 4
    r = f[14 + ihl + 8:]
    if not r or r[0] != 1:
        continue
    out, a = [], 20
    while a + 2 <= len(r):
        t, l = r[a], r[a + 1]
        v = r[a + 2:a + l]
        a += l
        if t in (1, 32, 44):
            out.append('%d=%s' % (t, v.decode()))
        elif t in (4, 8):
            out.append('%d=%s' % (t, socket.inet_ntoa(v)))
        elif t in (6, 61):
            out.append('%d=%d' % (t, struct.unpack('>I', v)[0]))
        else:
            out.append('%d:%d' % (t, len(v)))
    out.sort(key=lambda x: int(x.replace(':', '=').split('=')[0]))
    print(' '.join(out) + (' CLEAR' if b'roampw' in r else ''))
    break
PY
)
# the Acct-Session-Id it announced is the session's
sid=$(sqlite3 "$T/muispd.db" "SELECT sid FROM acct_sessions WHERE serial = $(fr_field serial "$(tail -n1 <<<"$out")") AND bindno = 1")
want="1=u@partner.example 2:16 4=127.0.0.1 6=2 8=127.0.0.3 32=muisp-roam-test 44=$sid 61=5 80:16"
expect "Access-Request: User-Name, hidden User-Password, NAS-IP/Identifier, Service-Type Framed, Framed-IP, NAS-Port-Type Virtual, Message-Authenticator, Acct-Session-Id" \
	"$want" "$req"
st=$(tail -n1 <<<"$out")
serial=$(fr_field serial "$st")
expect "roam contract: method" roam "$(fr_field method "$st")"
expect "hard = the Accept's quota" 50000000 "$(fr_field hard "$st")"
expect "soft <= hard" 50000000 "$(fr_field soft "$st")"
expect "deposit owed by the partner (50 MB at 2)" 100 "$(fr_field deposit "$st")"
exp=$(fr_field expiry "$st")
check "expiry = now + Session-Timeout 3600" \
	test "$exp" -ge $((t0 + 3600)) -a "$exp" -le $((t1 + 3600))
expect "receipt stored" "$serial" "$(cat "$T/u/current")"
row=$(sqlite3 "$T/muispd.db" "SELECT user_name, realm, hex(class), session_timeout, idle_timeout, quota, interim FROM radius_auth WHERE serial = $serial")
class_hex=$(printf partner-bill-0001 | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
expect "radius_auth: the Accept kept (Class as its TLV)" \
	"u@partner.example|partner.example|1913$class_hex|3600|300|50000000|60" \
	"$row"
check "contract payref roam:partner.example" \
	grep -q 'roam:partner.example' <(sqlite3 "$T/muispd.db" "SELECT payref FROM contracts WHERE serial = $serial")
check "the home's auth.log saw u@partner.example accepted (through the proxy)" \
	grep -q '^u@partner.example|Access-Accept' "$T/fr/home/log/auth.log"
check "the visited server's auth.log too" \
	grep -q '^u@partner.example|Access-Accept' "$T/fr/visited/log/auth.log"
check "the password is not in muispd's log" \
	eval '! grep -q roampw "$T/muispd.log"'
check "the password is not in the database" \
	eval '! grep -aq roampw "$T/muispd.db" "$T"/muispd.db-wal 2>/dev/null'

wait_until -t 10 -m "the roaming Start at the home server" \
	grep -qi "^Start|$sid|[^|]*|[^|]*|[^|]*|u@partner.example|\(partner-bill-0001\|0x$class_hex\)|" \
	"$T/fr/home/log/acct.log"
ok "home acct.log: the roaming contract's Start with its Class"

# a quota on a time contract is refused (the home limits bytes)
rc=0
roam u2 127.0.0.4 u@partner.example roampw buy time 60 120 >"$T/time.out" 2>&1 || rc=$?
expect "time contract with a byte quota refused" 1 "$rc"
check "... saying to buy bytes" grep -q 'bytes' "$T/time.out"

# --- a crash: the roaming contract comes back as it was ---
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
fr_muispd_start
out=$(fr_op contract-show "$serial")
expect "after kill -9: the roam contract restored" "roam 50000000 active" \
	"$(fr_field method "$out") $(fr_field hard "$out") $(fr_field state "$out")"

# --- usage and settlement: the partner owes the charge ---
out=$(fr_op usage-add "$serial" 10000000)
expect "usage" 10000000 "$(fr_field usage "$out")"
out=$(fr_cl u 127.0.0.3 terminate)
check "statement: roaming line" grep -q 'roaming via partner.example: billed by your home ISP' <<<"$out"
expect "charge 10 MB at 2" 20 "$(fr_field charge "$(grep '^statement' <<<"$out")")"
out=$(fr_op room-show realm:partner.example)
expect "ledger realm:partner.example owes the charge" 20 "$(fr_field balance "$out")"

# --- no terminal (setsid): the password from stdin ---
out=$(printf 'roampw\n' | setsid -w ip netns exec "$NS" "$bin/muisp-client" \
	-s 127.0.0.1 -p "$port" -b 127.0.0.10 --ca "$T/ca.crt" \
	--name router.muisp.test -S "$T/stdin" --esp --roam u@partner.example \
	buy bytes 1000000 2000000)
expect "no terminal: the password read from stdin" "roam 2000000" \
	"$(fr_field method "$(tail -n1 <<<"$out")") $(fr_field hard "$(tail -n1 <<<"$out")")"
fr_cl stdin 127.0.0.10 terminate >/dev/null

# --- bad@partner.example: the home's Reply-Message ---
rc=0
roam bad 127.0.0.5 bad@partner.example whatever buy bytes 1000000 2000000 >"$T/bad.out" 2>&1 || rc=$?
expect "bad@partner.example refused" 1 "$rc"
check "ROAM_REJECT with the home's message" \
	grep -q 'refused by the home ISP.*account suspended\|account suspended.*refused by the home ISP' "$T/bad.out"
rc=0
roam w 127.0.0.6 u@partner.example wrongpw buy bytes 1000000 2000000 >"$T/wrong.out" 2>&1 || rc=$?
expect "wrong password refused" 1 "$rc"
check "... as ROAM_REJECT" grep -q 'refused by the home ISP' "$T/wrong.out"

# --- a realm not configured: refused here, no packet ---
before=$(cat "$T/fr/visited/log/auth.log" | wc -l)
rc=0
roam x 127.0.0.7 x@elsewhere.example pw buy bytes 1000000 2000000 >"$T/x.out" 2>&1 || rc=$?
expect "unknown realm refused" 1 "$rc"
check "... as not a roaming partner" grep -q 'elsewhere.example is not a roaming partner here' "$T/x.out"
expect "no request reached the RADIUS server" "$before" "$(wc -l <"$T/fr/visited/log/auth.log")"
check "muispd sent no Access-Request for it" \
	eval '! grep -q "x@elsewhere.example.*Access-Request sent" "$T/muispd.log"'

# --- home stopped: unreachable within radius-auth-timeout, others served ---
fr_stop "$T/fr" home
sent() { grep -c 'contract [0-9]*): Access-Request sent' "$T/muispd.log" || true; }
n0=$(sent)
s0=$(date +%s%N)
roam u3 127.0.0.8 u@partner.example roampw buy bytes 1000000 2000000 >"$T/down.out" 2>&1 &
rpid=$!
wait_until -t 5 -m "muispd sent the Access-Request" \
	eval "[ \"\$(sent)\" -gt ${n0} ]"
# meanwhile another user is served
code=$(fr_field code "$(fr_op voucher-issue 50)")
out=$(fr_cl v 127.0.0.9 -m voucher -P "$code" buy bytes 1000000 2000000)
expect "a voucher user served while the roam waits" voucher "$(fr_field method "$(tail -n1 <<<"$out")")"
check "... and the roam still waited" kill -0 "$rpid"
rc=0
wait "$rpid" || rc=$?
s1=$(date +%s%N)
expect "home down: refused" 1 "$rc"
check "ROAM_UNREACHABLE" grep -q 'roaming server unreachable' "$T/down.out"
ms=$(((s1 - s0) / 1000000))
check "within radius-auth-timeout 3 s (+1 s): ${ms} ms" test "$ms" -le 4000
check "muispd still serves" eval 'fr_cl v 127.0.0.9 status >/dev/null'

summary
