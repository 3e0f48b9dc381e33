#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host integration test of muispd + muisp-client over loopback only (no
# kernel module: muispd runs with "kernel no"; bytes usage is fed through
# the operator socket).  Exercises: TLS 1.3 control channel with a CA made
# here, voucher purchase -> receipt -> bind -> usage -> soft limit ->
# extend -> kill -9 and restart -> terminate -> statement and refund;
# tampered receipt; plain TCP refused; offline password contract billed to
# a room; rebind after unbind; receipt presented elsewhere (replay refused
# while the owner answers; rebind on a new address once it does not);
# muispctl's operator commands (voucher issue/show, contract list/show/
# terminate/settle) against this muispd, including a refund that fails and
# is settled later, and muispd unreachable (stale socket, no socket,
# permission); a slow payment provider (other clients served while a
# deposit waits); SIGHUP reloading muispd.conf (a new price, a refused
# file); the payment provider over HTTPS with its CA pinned (a provider
# with another CA is not spoken to), answers checked (a 200 that does
# not authorise what was asked is voided), a provider that hangs (the
# deadline fires, the user is told, others are served, the reference is
# voided), an authorisation whose establishment fails voided; receipts
# bound to their holder's key (a copied receipt refused without it); the
# control channel attacked (1,100 idle connections, a REQUEST flood from
# 32 addresses, descriptors run out: EMFILE) while others are served
# (tests/contract/ctlflood.py is the attacker).
#
# usage: tests/contract/run.sh [BINDIR]     (default build/bin)
# Prints one line per check and "contract: N passed, N failed"; exit 0 iff
# all passed.  The first failed check stops the run (later steps build on
# earlier ones; tests/lib/check.sh, CHECK_FATAL).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/lib/testca.sh"
CHECK_SUITE=contract CHECK_FATAL=1
bin=${1:-$top/build/bin}
[ -x "$bin/muispd" ] && [ -x "$bin/muisp-client" ] ||
	fail "build muispd and muisp-client first"

T=$(mktemp -d /tmp/muisp-contract.XXXXXX)
pid=
ppid_=
cleanup() { # a killed child waits with 128+N; under set -e that must not be our status
	local rc=$?
	if [ $rc -ne 0 ] && [ -e "$T/muispd.log" ]; then
		echo "--- muispd log" >&2
		tail -n 30 "$T/muispd.log" >&2
	fi
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }
	[ -n "$ppid_" ] && kill "$ppid_" 2>/dev/null && { wait "$ppid_" 2>/dev/null || true; }
	rm -rf "$T"
}
trap cleanup EXIT

field() {	# field KEY TEXT -> value of KEY=... in TEXT
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n1
}

# --- throwaway CA and router certificate (never committed) ---
testca_router "$T"

# The payment provider's own CA and certificate (HTTPS, pinned by muispd).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/pca.key" -out "$T/pca.crt" -days 2 -subj "/CN=provider CA" \
	2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/provider.key" -out "$T/provider.csr" -subj "/CN=127.0.0.1" \
	2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/pext"
openssl x509 -req -in "$T/provider.csr" -CA "$T/pca.crt" -CAkey "$T/pca.key" \
	-CAcreateserial -out "$T/provider.crt" -days 2 -extfile "$T/pext" \
	2>/dev/null

# A free port: let the kernel pick one.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# The test payment provider (HTTPS/JSON) for the online plug-in; the test
# talks to it on its plain control port.
python3 "$top/tests/contract/provider.py" "$T/provider.port" \
	"$T/provider.crt" "$T/provider.key" &
ppid_=$!
wait_until -t 20 -m "the payment provider's port" test -s "$T/provider.port"
read -r pport cport <"$T/provider.port"

cat >"$T/muispd.conf" <<EOF
listen 127.0.0.1
port $port
socket $T/muispd.sock
database $T/muispd.db
cert $T/router.crt
key $T/router.key
kernel no
checkpoint-interval 1
warn-interval 1
warn-tries 2
currency EUR
price bytes voucher ah 10 1000000
price time voucher ah 100 3600
price elapsed voucher ah 60 3600
price bytes room ah 10 1000000
price bytes cash ah 10 1000000
price bytes online ah 10 1000000
online-provider https://127.0.0.1:$pport
online-provider-ca $T/pca.crt
EOF

start_daemon() {
	rm -f "$T/muispd.sock"
	"$bin/muispd" -d -v -f "$T/muispd.conf" >>"$T/muispd.log" 2>&1 &
	pid=$!
	wait_until -t 10 -m "muispd's socket (or its exit)" \
		eval '[ -S "$T/muispd.sock" ] || ! kill -0 "$pid"'
	[ -S "$T/muispd.sock" ] || fail "muispd exited at start"
}

"$bin/muispd" -n -f "$T/muispd.conf" 2>/dev/null || fail "config check"
ok "muispd -n accepts the config"
start_daemon

op() { "$bin/muisp-client" -O "$T/muispd.sock" op "$@"; }
ctl() { "$bin/muispctl" --daemon "$T/muispd.sock" "$@"; }
# run_ctl ARGS...: muispctl with stdout in $T/ctl.out, stderr in $T/ctl.err,
# exit status in $rc.
run_ctl() { rc=0; ctl "$@" >"$T/ctl.out" 2>"$T/ctl.err" || rc=$?; }
# Without the module (build hosts cannot load it), contract list/show say
# the module's metering is missing; the checks of that note run only there.
rc=0
"$bin/muispctl" stats >/dev/null 2>&1 || rc=$?
nomod=0
[ "$rc" != 3 ] || nomod=1
nomod_note="muispctl: note: muisp kernel module not loaded: muispd's contracts without the module's metering"
cl() {	# cl STATEDIR SOURCE args...
	local sd=$1 src=$2
	shift 2
	"$bin/muisp-client" -s 127.0.0.1 -p "$port" -b "$src" --ca "$T/ca.crt" \
		--name router.muisp.test -S "$T/$sd" "$@"
}

# --- offer over TLS ---
out=$(cl alice 127.0.0.2 offer)
expect "offer currency" EUR "$(field currency "$out")"
expect "offer items" 6 "$(grep -c ' per ' <<<"$out")"

# --- plain TCP refused (no ESP tunnel) ---
if cl alice 127.0.0.2 --plain offer >"$T/plain.out" 2>&1; then
	fail "plain control channel accepted"
fi
grep -q "not permitted on this channel" "$T/plain.out" || fail "plain: $(cat "$T/plain.out")"
ok "plain TCP control channel refused"

# --- voucher purchase: bytes, soft 1 MB, hard 2 MB, 10 per MB ---
code=$(field code "$(op voucher-issue 50)")
[ ${#code} -eq 19 ] || fail "voucher code '$code'"
ok "voucher code of 19 characters"
out=$(cl alice 127.0.0.2 -m voucher -P "$code" --start buy bytes 1000000 2000000)
serial=$(field serial "$(grep '^quote' <<<"$out")")
expect "deposit" 20 "$(field deposit "$(grep '^quote' <<<"$out")")"
expect "started" active "$(field state "$(tail -n1 <<<"$out")")"
expect "bound addr" 127.0.0.2 "$(field addr "$(tail -n1 <<<"$out")")"
# The receipt holds the key alice's client committed to (MUR2, 176 bytes).
expect "receipt stored, with the holder key" "176 MUR2 600" \
	"$(stat -c %s "$T/alice/receipts/$serial") $(head -c4 "$T/alice/receipts/$serial") $(stat -c %a "$T/alice/holder.key")"
expect "current" "$serial" "$(cat "$T/alice/current")"
expect "voucher debited" 30 "$(field balance "$(op voucher-show "$code")")"

# A second purchase from the same address is refused while bound.
if cl alice 127.0.0.2 -m voucher -P "$code" buy bytes 10 20 >/dev/null 2>&1; then
	fail "second contract on a bound address"
fi
ok "second contract on a bound address refused"

# --- usage, soft limit, extend ---
out=$(op usage-add "$serial" 300000)
expect "usage" 300000 "$(field usage "$out")"
out=$(cl alice 127.0.0.2 status)
expect "status usage" 300000 "$(field usage "$out")"
expect "status state" active "$(field state "$out")"
out=$(op usage-add "$serial" 800000)
expect "soft limit reached" delinquent "$(field state "$out")"
if cl alice 127.0.0.2 extend 2000001 >/dev/null 2>&1; then
	fail "extend past the hard limit"
fi
ok "extend past the hard limit refused"
if cl alice 127.0.0.2 resume >/dev/null 2>&1; then
	fail "resume while delinquent"
fi
ok "resume while delinquent refused"
out=$(cl alice 127.0.0.2 extend 1500000)
expect "extended" active "$(field state "$out")"
expect "new soft" 1500000 "$(field soft "$out")"

# --- tampered receipt (one byte changed) is rejected ---
mkdir -p "$T/evil/receipts"
cp "$T/alice/receipts/$serial" "$T/evil/receipts/$serial"
echo "$serial" >"$T/evil/current"
printf '\x55' | dd of="$T/evil/receipts/$serial" bs=1 seek=50 conv=notrunc 2>/dev/null
cmp -s "$T/alice/receipts/$serial" "$T/evil/receipts/$serial" && fail "tamper"
if cl evil 127.0.0.9 bind >"$T/evil.out" 2>&1; then
	fail "tampered receipt accepted"
fi
grep -q "receipt MAC mismatch" "$T/evil.out" || fail "tamper: $(cat "$T/evil.out")"
ok "tampered receipt rejected (MAC mismatch)"

# --- kill -9 and restart: contract kept, usage kept ---
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
pid=
# Its socket is left behind with nobody listening.
run_ctl voucher show "$code"
expect "muispctl, muispd killed" "1|muispctl: muispd not reachable at $T/muispd.sock: Connection refused (muispd is not running)|" \
	"$rc|$(cat "$T/ctl.err")|$(cat "$T/ctl.out")"
start_daemon
out=$(cl alice 127.0.0.2 status)
expect "after restart state" active "$(field state "$out")"
expect "after restart usage" 1100000 "$(field usage "$out")"
expect "after restart soft" 1500000 "$(field soft "$out")"
grep -q "1 outstanding contracts restored" "$T/muispd.log" || fail "restore log"
ok "outstanding contract restored (log)"

# --- terminate: statement with the right refund ---
# usage 1100000 bytes at 10 per 1000000 = ceil(11.0) = 11; refund 9.
out=$(cl alice 127.0.0.2 terminate)
expect "charge" 11 "$(field charge "$out")"
expect "refund" 9 "$(field refund "$out")"
grep -q "credit        9  residual credited to voucher $code (balance 39)" <<<"$out" ||
	fail "statement lines: $out"
ok "statement: residual credited to the voucher"
expect "voucher credited" 39 "$(field balance "$(op voucher-show "$code")")"
[ ! -e "$T/alice/receipts/$serial" ] || fail "receipt kept after settlement"
ok "receipt removed after settlement"
out=$(op contract-show "$serial")
expect "extinguished" extinguished "$(field state "$out")"
# Its receipt no longer binds.
cp "$T/evil/receipts/$serial" /dev/null
mkdir -p "$T/old/receipts"
echo "$serial" >"$T/old/current"
op contract-show "$serial" >/dev/null
if cl old 127.0.0.2 bind >/dev/null 2>&1; then fail "bind after settle"; fi
ok "receipt of a settled contract does not bind"

# --- offline: password contract billed to room 101 ---
out=$(op contract-create bytes 1000000 2000000 room 101)
pw=$(field password "$out")
s2=$(field serial "$out")
expect "offline state" unbound "$(field state "$out")"
expect "room billed" 20 "$(field balance "$(op room-show 101)")"
out=$(cl bob 127.0.0.3 --password "$pw" bind)
expect "password bind" suspended "$(field state "$out")"
expect "password receipt" 144 "$(stat -c %s "$T/bob/receipts/$s2")"
if cl carol 127.0.0.5 --password "$pw" bind >/dev/null 2>&1; then
	fail "password reused while bound"
fi
ok "password reused while bound refused"
# Lease expiry unbinds; the stored receipt binds again.
expect "unbind" unbound "$(field state "$(op unbind "$s2")")"
out=$(cl bob 127.0.0.3 --start bind)
expect "rebind from receipt" suspended "$(field state "$(head -n1 <<<"$out")")"
expect "started after rebind" active "$(field state "$(tail -n1 <<<"$out")")"
op usage-add "$s2" 250000 >/dev/null
out=$(cl bob 127.0.0.3 terminate)
expect "room charge" 3 "$(field charge "$out")"
expect "room refund" 17 "$(field refund "$out")"
expect "room balance" 3 "$(field balance "$(op room-show 101)")"

# --- online payment through the provider plug-in ---
if cl erin 127.0.0.6 -m online -P tok-poor buy bytes 1000000 2000000 >"$T/poor.out" 2>&1; then
	fail "online deposit beyond the account accepted"
fi
grep -q "declined by provider: insufficient funds" "$T/poor.out" || fail "poor: $(cat "$T/poor.out")"
ok "online deposit beyond the account declined"
out=$(cl erin 127.0.0.6 -m online -P tok-good --start buy bytes 1000000 2000000)
s4=$(field serial "$(grep '^quote' <<<"$out")")
# provider METHOD PATH [JSON]: its reply's body (bash's /dev/tcp: no process
# to start).
provider() {
	local body=${3:-} line
	exec 9<>"/dev/tcp/127.0.0.1/$cport"
	printf '%s %s HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
		"$1" "$2" "${#body}" "$body" >&9
	while IFS= read -r line <&9 && [ "${line%$'\r'}" ]; do :; done
	cat <&9
	exec 9<&-
}
ledger() { python3 -c 'import json,sys,urllib.request; d=json.load(urllib.request.urlopen("http://127.0.0.1:'"$cport"'/ledger")); print(eval(sys.argv[1]))' "$1"; }
expect "provider holds deposit" 980 "$(ledger 'd["accounts"]["tok-good"]')"
op usage-add "$s4" 1234567 >/dev/null
out=$(cl erin 127.0.0.6 terminate)
expect "online charge" 13 "$(field charge "$out")"
expect "online refund" 7 "$(field refund "$out")"
expect "provider captured" 13 "$(ledger 'd["holds"]["tx-1"]["captured"]')"
expect "provider released" 987 "$(ledger 'd["accounts"]["tok-good"]')"
expect "provider reference" "muisp-$s4" "$(ledger 'd["holds"]["tx-1"]["reference"]')"

# --- a slow provider: while a deposit waits for it, others are served ---
# The provider holds every authorisation until released; the buyer waits,
# another client's offer and the operator are answered meanwhile.
provider POST /hold '{}' >/dev/null
cl heidi 127.0.0.11 -m online -P tok-slow --start buy bytes 1000000 2000000 \
	>"$T/slow.out" 2>&1 &
spid=$!
held() { [ "$(ledger 'd["waiting"]')" = 1 ]; }
wait_until -t 10 -m "the provider never got heidi's authorisation" held
out=$(cl ivan 127.0.0.12 offer)
expect "offer while a deposit waits" "EUR 6" \
	"$(field currency "$out") $(grep -c ' per ' <<<"$out")"
expect "operator while a deposit waits" 39 "$(field balance "$(op voucher-show "$code")")"
check "heidi's deposit still waiting for the provider" held
provider POST /release '{}' >/dev/null
wait "$spid" || fail "heidi's purchase: $(cat "$T/slow.out")"
expect "slow purchase" "active 127.0.0.11" \
	"$(field state "$(tail -n1 "$T/slow.out")") $(field addr "$(tail -n1 "$T/slow.out")")"
expect "slow provider holds the deposit" 80 "$(ledger 'd["accounts"]["tok-slow"]')"

# --- muispctl voucher and contract: the operator's commands ---
# Two codes from muispctl; the first pays for a contract (deposit 30).
run_ctl --json voucher issue 40 count 2
expect "ctl voucher issue" "0||2 40 40 valid valid 0" \
	"$rc|$(cat "$T/ctl.err")|$(jq -r '"\(length) \(.[0].balance) \(.[1].balance) \(.[0].state) \(.[1].state) \(.[0].expires_s)"' "$T/ctl.out")"
vc=$(jq -r '.[0].code' "$T/ctl.out")
vc2=$(jq -r '.[1].code' "$T/ctl.out")
[[ $vc =~ ^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$ ]] && [ "$vc" != "$vc2" ] ||
	fail "ctl voucher codes '$vc' '$vc2'"
ok "ctl voucher codes well-formed and distinct"
# The text table lists the codes too; an expiry is kept.
run_ctl voucher issue 5 expires @4102444800
expect "ctl voucher issue (text)" "0|CODE STATE BALANCE EXPIRES EAP-USER EAP-PASSWORD|valid 5 2100-01-01T00:00:00Z" \
	"$rc|$(head -n1 "$T/ctl.out" | tr -s ' ')|$(tail -n1 "$T/ctl.out" | tr -s ' ' | cut -d' ' -f2-4)"
# ... with the code's EAP credentials: its two halves
read -r c5 _ _ _ u5 p5 <<<"$(tail -n1 "$T/ctl.out")"
expect "ctl voucher issue: EAP username and password" "$c5" "$u5-$p5"
out=$(cl grace 127.0.0.8 -m voucher -P "$vc" --start buy bytes 2000000 3000000)
s6=$(field serial "$(grep '^quote' <<<"$out")")
expect "ctl voucher pays" "30 active" \
	"$(field deposit "$(grep '^quote' <<<"$out")") $(field state "$(tail -n1 <<<"$out")")"
expect "ctl voucher show after purchase" "$vc valid 10 0" \
	"$(ctl --json voucher show "$vc" | jq -r '"\(.code) \(.state) \(.balance) \(.expires_s)"')"
expect "ctl other voucher untouched" "valid 40" \
	"$(ctl --json voucher show "$vc2" | jq -r '"\(.state) \(.balance)"')"
op usage-add "$s6" 1234567 >/dev/null
# list: muispd's records (no module here: the note says so on stderr).
run_ctl --json contract list
[ "$nomod" = 0 ] || expect "ctl contract list note" "0|$nomod_note" "$rc|$(cat "$T/ctl.err")"
expect "ctl contract list row" '["active","127.0.0.8","voucher","bytes",1234567,2000000,3000000,30,10,1000000,"ah",1,null,null,null,86400]' \
	"$(jq -c --argjson id "$s6" '.[] | select(.id == $id) | [.state,.addr,.method,.metric,.usage,.soft,.hard,.deposit,.price,.unit,.privacy,.key_id,.charge,.refund,.room,(.receipt_expires_s - .issued_s)]' "$T/ctl.out")"
expect "ctl contract list ids" "$(op contract-list | sed -n 's/^serial=\([0-9]*\) .*/\1/p' | paste -sd' ')" \
	"$(jq -r 'map(.id) | join(" ")' "$T/ctl.out")"
expect "ctl contract list earlier ones" "extinguished 11 9 extinguished 3 17" \
	"$(jq -r --argjson a "$serial" --argjson b "$s2" 'map(select(.id == $a or .id == $b)) | map("\(.state) \(.charge) \(.refund)") | join(" ")' "$T/ctl.out")"
# "daemon" asks muispd only: no note; the keys scripts rely on.
run_ctl --json contract list daemon
expect "ctl contract list daemon" '0||["id","state","addr","method","metric","usage","soft","hard","deposit","receipt_expires_s","charge","refund","issued_s","price","unit","privacy","room","key_id"]' \
	"$rc|$(cat "$T/ctl.err")|$(jq -c '.[0] | keys_unsorted' "$T/ctl.out")"
run_ctl contract list daemon
expect "ctl contract list (text)" "ID STATE ADDRESS METHOD METRIC USAGE SOFT HARD DEPOSIT EXPIRES|$s6 active 127.0.0.8 voucher bytes 1234567 2000000 3000000 30" \
	"$(head -n1 "$T/ctl.out" | tr -s ' ')|$(grep "127.0.0.8" "$T/ctl.out" | tr -s ' ' | sed 's/^ //' | cut -d' ' -f1-9)"
# show: the same record plus the offline password (none here).
run_ctl --json contract show "$s6"
expect "ctl contract show" "0|active 127.0.0.8 1234567 30 null" \
	"$rc|$(jq -r '"\(.state) \(.addr) \(.usage) \(.deposit) \(.password)"' "$T/ctl.out")"
[ "$nomod" = 0 ] || expect "ctl contract show note" "$nomod_note" "$(cat "$T/ctl.err")"
expect "ctl contract show offline password" "$pw room 101" \
	"$(ctl --json contract show "$s2" daemon | jq -r '"\(.password) \(.method) \(.room)"')"
run_ctl contract show "$s6" daemon
expect "ctl contract show (text)" "STATE:    active|ADDRESS:  127.0.0.8" \
	"$(grep -E '^(STATE|ADDRESS):' "$T/ctl.out" | paste -sd'|')"
# settle is only for a contract whose refund failed.
run_ctl contract settle "$s6"
expect "ctl settle while active" "1|muispctl: contract settle: contract $s6 is active, not in settlement (to end it: muispctl contract terminate $s6)|" \
	"$rc|$(cat "$T/ctl.err")|$(cat "$T/ctl.out")"
# terminate: settled at once; 1234567 bytes at 10 per 1000000 = 13, the
# other 17 of the deposit go back to the voucher (10 + 17 = 27).
run_ctl --json contract terminate "$s6"
expect "ctl terminate statement" "0||{\"id\":$s6,\"state\":\"extinguished\",\"method\":\"voucher\",\"usage\":1234567,\"deposit\":30,\"charge\":13,\"refund\":17,\"lines\":[{\"kind\":\"debit\",\"amount\":30,\"description\":\"deposit (voucher $vc)\"},{\"kind\":\"debit\",\"amount\":0,\"description\":\"usage 1234567 bytes at 10 per 1000000 = 13\"},{\"kind\":\"credit\",\"amount\":17,\"description\":\"residual credited to voucher $vc (balance 27)\"}]}" \
	"$rc|$(cat "$T/ctl.err")|$(cat "$T/ctl.out")"
expect "ctl voucher credited" "valid 27" "$(ctl --json voucher show "$vc" | jq -r '"\(.state) \(.balance)"')"
expect "ctl terminated contract" "extinguished null 13 17" \
	"$(ctl --json contract show "$s6" daemon | jq -r '"\(.state) \(.addr) \(.charge) \(.refund)"')"
run_ctl contract terminate "$s6"
expect "ctl terminate twice" "1|muispctl: contract terminate: contract $s6 is already extinguished (charge 13, refund 17)|" \
	"$rc|$(cat "$T/ctl.err")|$(cat "$T/ctl.out")"
# Unknown ids and codes.
for verb in terminate settle; do
	run_ctl contract $verb 999999
	expect "ctl $verb unknown" "1|muispctl: contract $verb: no contract 999999 in muispd|" \
		"$rc|$(cat "$T/ctl.err")|$(cat "$T/ctl.out")"
done
run_ctl contract show 999999 daemon
expect "ctl show unknown" "1|muispctl: contract show: no contract 999999 in muispd|" \
	"$rc|$(cat "$T/ctl.err")|$(cat "$T/ctl.out")"
run_ctl voucher show AAAA-BBBB-CCCC-DDDD
expect "ctl voucher unknown" "1|muispctl: voucher show: no voucher 'AAAA-BBBB-CCCC-DDDD' in muispd|" \
	"$rc|$(cat "$T/ctl.err")|$(cat "$T/ctl.out")"
# One connection serves a whole batch.
printf 'voucher show %s\ncontract show %s daemon\n' "$vc2" "$s6" >"$T/ctl.batch"
run_ctl --json -b "$T/ctl.batch"
expect "ctl batch" '0|{"code":"'"$vc2"'","state":"valid","balance":40,"expires_s":0,"eap_user":"'"${vc2:0:9}"'","eap_password":"'"${vc2:10}"'"}|extinguished' \
	"$rc|$(head -n1 "$T/ctl.out")|$(tail -n1 "$T/ctl.out" | jq -r .state)"
# Not root nor muispd's user: refused with exit 4.
if [ "$(id -u)" = 0 ]; then
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/muispctl" \
		--daemon "$T/muispd.sock" voucher show "$vc" >"$T/ctl.out" 2>"$T/ctl.err" || rc=$?
	expect "ctl unprivileged" "4|muispctl: muispd not reachable at $T/muispd.sock: Permission denied (the operator socket is for root and muispd's user)" \
		"$rc|$(cat "$T/ctl.err")"
fi

# --- a refund that fails: the contract stays in settlement; settle retries ---
out=$(cl frank 127.0.0.7 -m online -P tok-good --start buy bytes 1000000 2000000)
s5=$(field serial "$(grep '^quote' <<<"$out")")
op usage-add "$s5" 500000 >/dev/null
provider POST /fail-captures '{"count": 1}' >/dev/null
run_ctl contract terminate "$s5"
expect "ctl terminate, refund failed" "1|muispctl: contract terminate: muispd: settlement pending
muispctl: contract terminate: contract $s5 is in settlement; retry with 'muispctl contract settle $s5'|" \
	"$rc|$(cat "$T/ctl.err")|$(cat "$T/ctl.out")"
expect "ctl in settlement" "in-settlement null null" \
	"$(ctl --json contract show "$s5" daemon | jq -r '"\(.state) \(.charge) \(.refund)"')"
provider GET /ledger >"$T/ledger.json"
tx=$(jq -r --arg r "muisp-$s5" '.holds | to_entries[] | select(.value.reference == $r) | .key' "$T/ledger.json")
expect "provider: nothing captured yet" "null 20" \
	"$(jq -r --arg tx "$tx" '.holds[$tx] | "\(.captured) \(.amount)"' "$T/ledger.json")"
# 500000 bytes at 10 per 1000000 = 5 charged, 15 released.
run_ctl contract settle "$s5"
expect "ctl settle" "0|ID:      $s5
STATE:   extinguished
METHOD:  online
USAGE:   500000
DEPOSIT: 20
CHARGE:  5
REFUND:  15

KIND    AMOUNT  DESCRIPTION
debit       20  deposit (online $tx)
debit        0  usage 500000 bytes at 10 per 1000000 = 5
credit      15  authorisation $tx: released|" "$rc|$(cat "$T/ctl.out")|$(cat "$T/ctl.err")"
expect "provider after settle: captured, account" "5 982" \
	"$(provider GET /ledger | jq -r --arg tx "$tx" '"\(.holds[$tx].captured) \(.accounts["tok-good"])"')"
run_ctl contract settle "$s5"
expect "ctl settle twice" "1|muispctl: contract settle: contract $s5 is already extinguished (charge 5, refund 15)" \
	"$rc|$(cat "$T/ctl.err")"

# --- receipt presented elsewhere ---
code=$(field code "$(op voucher-issue 100)")
out=$(cl dave 127.0.0.4 -m voucher -P "$code" buy time 600 3600)
s3=$(field serial "$(grep '^quote' <<<"$out")")
# Eve has a copy of dave's receipt only: without the holder key it
# binds nowhere, and dave is not even warned.
mkdir -p "$T/eve/receipts"
cp "$T/dave/receipts/$s3" "$T/eve/receipts/"
echo "$s3" >"$T/eve/current"
if cl eve 127.0.0.65 bind >"$T/eve.out" 2>&1; then
	fail "a copied receipt bound without its holder key"
fi
check "copied receipt without the key: refused" grep -q "holder.key is missing" "$T/eve.out"
# Her own key is not dave's: the signature does not prove his.
mkdir -p "$T/eve2/receipts"
cp "$T/dave/receipts/$s3" "$T/eve2/receipts/"
echo "$s3" >"$T/eve2/current"
openssl genpkey -algorithm ed25519 -out "$T/eve2/holder.key" 2>/dev/null
if cl eve2 127.0.0.65 bind >"$T/eve2.out" 2>&1; then
	fail "a copied receipt bound with another key"
fi
check "copied receipt with another key: refused" grep -q "the signature is not the receipt's holder's" "$T/eve2.out"
expect "dave's despite eve" "127.0.0.4 suspended" \
	"$(field addr "$(op contract-show "$s3")") $(field state "$(op contract-show "$s3")")"
check "eve's attempts logged" grep -q "127.0.0.65: contract $s3: the signature is not the receipt's holder's, refused" "$T/muispd.log"
! grep -q "presented-elsewhere warning to 127.0.0.4" "$T/muispd.log" ||
	fail "dave warned for eve's attempts"
ok "dave not warned for eve's attempts"
# Mallory has the receipt and the key (dave's disk copied): the holder's
# other computer, as far as the router can tell.
mkdir -p "$T/mallory/receipts"
cp "$T/dave/receipts/$s3" "$T/mallory/receipts/"
cp "$T/dave/holder.key" "$T/mallory/"
echo "$s3" >"$T/mallory/current"
# Dave is live (answers warnings); mallory's replay gets nothing.
cl dave 127.0.0.4 watch 6 >"$T/dave.watch" 2>&1 &
wpid=$!
wait_until -t 20 grep -q watching "$T/dave.watch"
if cl mallory 127.0.0.66 --wait 3 bind >"$T/mallory.out" 2>&1; then
	fail "replayed receipt bound while the owner answers"
fi
grep -q "bound to another address" "$T/mallory.out" || fail "mallory: $(cat "$T/mallory.out")"
ok "replayed receipt refused while the owner answers"
wait "$wpid" || true
grep -q "warning: presented-elsewhere serial=$s3" "$T/dave.watch" ||
	fail "dave not warned: $(cat "$T/dave.watch")"
ok "owner warned of the replay"
# A watch with nothing to show outlives the client's I/O time-out: the
# records without data that come after the TLS handshake (the router's
# session tickets) are read past, not waited on until the socket times out.
cl dave 127.0.0.4 --io-timeout 1 watch 4 >"$T/quiet.watch" 2>&1 &
wpid=$! rc=0
wait "$wpid" || rc=$?
expect "a quiet watch lasts its 4 s (--io-timeout 1)" "0 watching" \
	"$rc $(cat "$T/quiet.watch")"
expect "still dave's" 127.0.0.4 "$(field addr "$(op contract-show "$s3")")"
# Dave's computer "crashes" (no channel) and comes back on a new address:
# the old address does not answer and is unbound; the new one binds.
out=$(cl dave 127.0.0.40 --wait 15 bind)
expect "rebound on new address" 127.0.0.40 "$(field addr "$out")"
grep -q "127.0.0.4 did not answer, unbound" "$T/muispd.log" || fail "no-answer log"
ok "old address unbound (it did not answer)"

# --- key rotation: old receipts still verify ---
expect "rotated" 2 "$(field key "$(op key-rotate)")"
op unbind "$s3" >/dev/null
out=$(cl dave 127.0.0.40 bind)
expect "old-key receipt after rotation" suspended "$(field state "$out")"

# --- a malformed frame does not hurt the daemon ---
python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\x16\x03\x01\x00\x05hello")   # junk TLS record
s.close()
PY
out=$(cl dave 127.0.0.40 status)
expect "alive after junk" suspended "$(field state "$out")"

# --- concurrent purchases: none lost or duplicated, totals reconcile ---
n=${CONTRACT_N:-40}
for i in $(seq $n); do
	field code "$(op voucher-issue 30)"
done >"$T/codes"
expect "vouchers" $n "$(sort -u "$T/codes" | wc -l)"
i=0
bpids=()
while read -r c; do
	i=$((i + 1))
	cl "many$i" "127.0.1.$i" -m voucher -P "$c" buy bytes 500000 1000000 \
		>"$T/many$i.out" 2>&1 &
	bpids+=($!)
done <"$T/codes"
wait_fail=0
for j in "${bpids[@]}"; do wait "$j" || wait_fail=$((wait_fail + 1)); done
expect "concurrent buys failed" 0 "$wait_fail"
cat "$T"/many*.out | grep '^quote' | sed 's/.*serial=\([0-9]*\).*/\1/' | sort -n >"$T/serials"
expect "contracts bought" $n "$(wc -l <"$T/serials")"
expect "serials unique" $n "$(sort -u "$T/serials" | wc -l)"
list=$(op contract-list)
expect "contracts listed bound" $n "$(grep -c 'addr=127.0.1.' <<<"$list")"
# Every voucher paid exactly one deposit of 10 (10 per MB, hard 1 MB).
total=0
while read -r c; do
	total=$((total + $(field balance "$(op voucher-show "$c")")))
done <"$T/codes"
expect "voucher totals" $((n * 20)) "$total"
expect "ctl list of all contracts" "$n $n" \
	"$(ctl --json contract list daemon | jq -r '[.[] | select(.addr != null and (.addr | startswith("127.0.1.")))] | "\(length) \(map(select(.state == "suspended" and .deposit == 10)) | length)"')"

# --- SIGHUP reloads muispd.conf ---
# logged TEXT N: muispd logged TEXT N times.
logged() { [ "$(grep -c "$1" "$T/muispd.log")" -ge "$2" ]; }
wait_log() { wait_until -t 10 -m "muispd did not log '$1' ($2 times)" logged "$@"; }
s1=$(head -n1 "$T/serials")
cp "$T/muispd.conf" "$T/muispd.conf.orig"
sed -i 's/^price bytes voucher ah 10 1000000$/price bytes voucher ah 12 1000000/' "$T/muispd.conf"
kill -HUP "$pid"
wait_log "muispd.conf: configuration reloaded" 1
out=$(cl judy 127.0.0.13 offer)
expect "new price offered" 1 "$(grep -c '^  bytes    voucher  ah  12 per 1000000$' <<<"$out")"
code=$(field code "$(op voucher-issue 50)")
out=$(cl judy 127.0.0.13 -m voucher -P "$code" buy bytes 1000000 2000000)
expect "new price quoted" 24 "$(field deposit "$(grep '^quote' <<<"$out")")"
expect "running contract keeps its price" "10 10" \
	"$(ctl --json contract show "$s1" daemon | jq -r '"\(.price) \(.deposit)"')"
# A file with errors is refused; the running configuration serves on.
echo "price bytes voucher" >>"$T/muispd.conf"
kill -HUP "$pid"
wait_log "reload refused, running configuration kept" 1
check "muispd serves on after a bad reload" kill -0 "$pid"
out=$(cl judy 127.0.0.13 offer)
expect "price kept after a refused reload" 1 "$(grep -c '^  bytes    voucher  ah  12 per 1000000$' <<<"$out")"
# So is a key that does not load: TLS goes on with the running one.
sed "s#^key .*#key $T/missing.key#" "$T/muispd.conf.orig" >"$T/muispd.conf"
kill -HUP "$pid"
wait_log "reload refused, running configuration kept" 2
check "TLS error logged for the missing key" \
	grep -q "TLS: cannot use $T/router.crt / $T/missing.key" "$T/muispd.log"
out=$(cl judy 127.0.0.13 offer)
expect "TLS after a refused key" EUR "$(field currency "$out")"
cp "$T/muispd.conf.orig" "$T/muispd.conf"
kill -HUP "$pid"
wait_log "muispd.conf: configuration reloaded" 2
out=$(cl judy 127.0.0.13 offer)
expect "old price back" 1 "$(grep -c '^  bytes    voucher  ah  10 per 1000000$' <<<"$out")"

# --- the payment provider: TLS pinned, answers checked, voids ---
# The configuration check refuses plain http without the insecure
# setting, and https without the provider's CA.
bad_conf() { # NAME LINES...: muispd -n refuses the config plus LINES
	local name=$1
	shift
	grep -v '^online-provider' "$T/muispd.conf.orig" >"$T/bad.conf"
	printf '%s\n' "$@" >>"$T/bad.conf"
	! "$bin/muispd" -n -f "$T/bad.conf" >"$T/bad.out" 2>&1 ||
		fail "$name: config accepted"
}
bad_conf "plain http" "online-provider http://127.0.0.1:$pport"
check "plain http provider refused" grep -q "plain http needs online-provider-insecure yes" "$T/bad.out"
bad_conf "https without CA" "online-provider https://127.0.0.1:$pport"
check "https provider without its CA refused" grep -q "https needs online-provider-ca FILE" "$T/bad.out"
# Devices without muisp-client: eap needs an ESP voucher price for its
# offer's metric; eap-offer names a metric.
bad_conf "eap without an esp price" "eap yes" "eap-offer packets"
check "eap without its price refused" grep -q "eap: no line 'price packets voucher esp PRICE UNIT'" "$T/bad.out"
bad_conf "eap-offer metric" "eap-offer parsecs"
check "eap-offer with an unknown metric refused" grep -q "eap-offer: 'parsecs': expected" "$T/bad.out"
grep -v '^online-provider' "$T/muispd.conf.orig" >"$T/eap.conf"
printf 'eap yes\neap-offer bytes 5000000\neap-connection walkin\nprice bytes voucher esp 20 1000000\n' >>"$T/eap.conf"
check "eap with its esp voucher price accepted" "$bin/muispd" -n -f "$T/eap.conf"
# held REF: the provider's hold of reference REF as "amount voided".
held_ref() { ledger '" ".join("%s %s" % (h["amount"], h["voided"]) for h in d["holds"].values() if h["reference"] == "'"$1"'")'; }
voided_ref() { [ "$(ledger '"'"$1"'" in d["voided"]')" = True ]; }
# A 200 that does not authorise the amount asked: refused, and voided.
provider POST /mode '{"authorize": "wrong-amount"}' >/dev/null
if cl olga 127.0.0.14 -m online -P tok-void buy bytes 1000000 2000000 >"$T/wrong.out" 2>&1; then
	fail "online deposit with a wrong answer accepted"
fi
expect "wrong answer: the user is told" "payment provider's answer not valid: nothing was paid" \
	"$(sed -n 's/.*payment declined: //p' "$T/wrong.out")"
sw=$(field serial "$(grep '^quote' "$T/wrong.out")")
wait_until -t 10 -m "the hold of muisp-$sw was not voided" voided_ref "muisp-$sw"
expect "wrong answer: the hold voided, the money back" "20 True|100" \
	"$(held_ref "muisp-$sw")|$(ledger 'd["accounts"]["tok-void"]')"
provider POST /mode '{"authorize": "not-authorized"}' >/dev/null
! cl olga 127.0.0.14 -m online -P tok-void buy bytes 1000000 2000000 >"$T/wrong.out" 2>&1 ||
	fail "online deposit answered 'pending' accepted"
sw=$(field serial "$(grep '^quote' "$T/wrong.out")")
wait_until -t 10 -m "the hold of muisp-$sw was not voided" voided_ref "muisp-$sw"
expect "not authorised: voided, the money back" "20 True|100" \
	"$(held_ref "muisp-$sw")|$(ledger 'd["accounts"]["tok-void"]')"
provider POST /mode '{"authorize": "ok"}' >/dev/null
# The establishment fails after the authorisation (the address bought
# with a voucher meanwhile): voided, and the buyer told nothing was paid.
provider POST /hold '{}' >/dev/null
cl pat 127.0.0.15 -m online -P tok-void buy bytes 1000000 2000000 >"$T/void.out" 2>&1 &
vpid=$!
wait_until -t 10 -m "the provider never got pat's authorisation" held
code=$(field code "$(op voucher-issue 50)")
out=$(cl pat2 127.0.0.15 -m voucher -P "$code" buy bytes 1000000 2000000)
expect "the address bought meanwhile" 127.0.0.15 "$(field addr "$(tail -n1 <<<"$out")")"
provider POST /release '{}' >/dev/null
! wait "$vpid" || fail "pat's online purchase succeeded on a bound address"
expect "bind failed: the buyer told nothing was paid" \
	"not allowed in the contract's state: address already bound; nothing was paid: the authorisation was released by the provider" \
	"$(sed -n 's/^muisp-client: //p' "$T/void.out")"
sv=$(field serial "$(grep '^quote' "$T/void.out")")
expect "bind failed: the provider agrees (voided, money back)" "20 True|100" \
	"$(held_ref "muisp-$sv")|$(ledger 'd["accounts"]["tok-void"]')"
grep -q "contract $sv: not established (address already bound): voiding" "$T/muispd.log" ||
	fail "no void log for $sv"
# A provider that hangs: the deadline fires, the buyer is told, others
# are served meanwhile; the reference is voided, so the late answer holds
# nothing.
sed -i "s/^online-provider-ca .*/&\nonline-provider-timeout 1/" "$T/muispd.conf"
kill -HUP "$pid"
wait_log "muispd.conf: configuration reloaded" 3
provider POST /hold '{}' >/dev/null
cl quinn 127.0.0.16 -m online -P tok-hang buy bytes 1000000 2000000 >"$T/hang.out" 2>&1 &
hpid=$!
wait_until -t 10 -m "the provider never got quinn's authorisation" held
out=$(cl rita 127.0.0.17 offer)
expect "offer while the provider hangs" EUR "$(field currency "$out")"
! wait "$hpid" || fail "quinn's purchase succeeded with a hanging provider"
expect "hanging provider: the buyer told" "payment provider unreachable" \
	"$(sed -n 's/.*payment declined: //p' "$T/hang.out")"
sh=$(field serial "$(grep '^quote' "$T/hang.out")")
check "the deadline logged" grep -q "no answer to authorize muisp-$sh" "$T/muispd.log"
wait_until -t 10 -m "muisp-$sh was not voided" voided_ref "muisp-$sh"
provider POST /release '{}' >/dev/null
wait_until -t 10 -m "the provider still holds quinn's request" eval '[ "$(ledger '"'"'d["waiting"]'"'"')" = 0 ]'
expect "hanging provider: nothing held, nothing taken" "|100" \
	"$(held_ref "muisp-$sh")|$(ledger 'd["accounts"]["tok-hang"]')"
# A provider with a certificate of another CA is not spoken to.
sed -i "s#^online-provider-ca .*#online-provider-ca $T/ca.crt#" "$T/muispd.conf"
kill -HUP "$pid"
wait_log "muispd.conf: configuration reloaded" 4
nholds=$(ledger 'len(d["holds"])')
! cl sam 127.0.0.18 -m online -P tok-ca buy bytes 1000000 2000000 >"$T/ca.out" 2>&1 ||
	fail "online deposit through a provider of another CA"
expect "another CA: the buyer told" "payment provider unreachable" \
	"$(sed -n 's/.*payment declined: //p' "$T/ca.out")"
check "another CA: the certificate refused" grep -q "SSL certificate problem" "$T/muispd.log"
expect "another CA: the provider saw nothing" "$nholds 100" \
	"$(ledger 'len(d["holds"])') $(ledger 'd["accounts"]["tok-ca"]')"
cp "$T/muispd.conf.orig" "$T/muispd.conf"
kill -HUP "$pid"
wait_log "muispd.conf: configuration reloaded" 5

# --- control channel exhaustion (docs/SECURITY.md) ---
flood=$top/tests/contract/ctlflood.py
# nfds PID: descriptors PID has open.
nfds() { ls "/proc/$1/fd" | wc -l; }
# cpu PID: its user + system time so far, in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# 1,100 idle TCP connections, each from its own address, nothing sent:
# the table (max-conns 1024) closes the longest idle for a newcomer, so a
# client's offer and the operator are answered during the attack.
vb=$(field balance "$(op voucher-show "$vc")")
mkfifo "$T/idle.in"
python3 "$flood" "$port" "$T/ca.crt" idle 1100 127.0.4.1 <"$T/idle.in" >"$T/idle.out" &
ipid=$!
exec {idle_fd}>"$T/idle.in"
wait_until -t 20 -m "mallory's connections" grep -q "^idle 1100$" "$T/idle.out"
wait_until -t 20 -m "muispd holding 1024 connections" eval '[ "$(nfds "$pid")" -ge 1024 ]'
# The table evicts only a channel idle for a second or more.
t1=$(($(date +%s%N) + 1100000000))
wait_until -t 5 eval '[ "$(date +%s%N)" -ge "$t1" ]'
out=$(cl rita 127.0.0.17 offer)
expect "offer during 1,100 idle connections" EUR "$(field currency "$out")"
expect "operator during 1,100 idle connections" "$vb" "$(field balance "$(op voucher-show "$vc")")"
check "an idle channel closed for the newcomer" grep -q "connections full (1024), closed its channel idle" "$T/muispd.log"
n=$(nfds "$pid")
[ "$n" -le $((1024 + 16 + 64)) ] || fail "muispd holds $n descriptors"
ok "muispd's descriptors bounded during the attack ($n)"
exec {idle_fd}>&-
wait "$ipid"

# A message flood: 32 addresses each send 200 REQUESTs on one channel
# while alice holds a quote; each address keeps at most quotes-per-addr
# (4) quotes and is cut at msg-burst (50) messages, so alice's quote
# stays and her deposit succeeds.
code=$(field code "$(op voucher-issue 50)")
python3 "$flood" "$port" "$T/ca.crt" flood "$code" 200 >"$T/flood.out"
read -r _ _ nq _ nr < <(grep '^mallory' "$T/flood.out")
[ "$nq" -ge 1024 ] && [ "$nr" = 32 ] ||
	fail "the flood was not one: $(cat "$T/flood.out")"
ok "mallory flooded ($nq quotes), cut at the rate on all 32 channels"
check "alice paid her quote after the flood" grep -q "^alice receipt [0-9]" "$T/flood.out"

# Descriptors run out (LimitNOFILE 24): accept fails with EMFILE and
# muispd rests the listener a second instead of spinning: its CPU time
# over three such seconds stays small, its log a few lines.
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed -e "s/^port .*/port $port2/" -e "s#^socket .*#socket $T/m2.sock#" \
	-e "s#^database .*#database $T/m2.db#" "$T/muispd.conf.orig" >"$T/m2.conf"
printf 'max-conns 16\nhandshake-timeout 3600\n' >>"$T/m2.conf"
prlimit --nofile=24:24 "$bin/muispd" -d -v -f "$T/m2.conf" >"$T/m2.log" 2>&1 &
m2=$!
wait_until -t 10 -m "the second muispd's socket" test -S "$T/m2.sock"
mkfifo "$T/idle2.in"
python3 "$flood" "$port2" "$T/ca.crt" idle 100 127.0.5.1 <"$T/idle2.in" >"$T/idle2.out" &
ipid=$!
exec {idle_fd}>"$T/idle2.in"
# Each pause refuses one waiting connection through the spare
# descriptor: mallory sees it closed.
wait_until -t 20 -m "EMFILE" grep -q "^closed 1$" "$T/idle2.out"
c0=$(cpu "$m2") t0=$(date +%s%N)
wait_until -t 20 -m "four EMFILE pauses" grep -q "^closed 4$" "$T/idle2.out"
c1=$(cpu "$m2") t1=$(date +%s%N)
check "EMFILE logged" grep -q "accept: Too many open files: new connections refused for a second" "$T/m2.log"
[ $((t1 - t0)) -ge 2900000000 ] || fail "no pause at EMFILE: 3 refusals in $((t1 - t0)) ns"
[ $((c1 - c0)) -le 30 ] || fail "muispd spun at EMFILE: $((c1 - c0)) ticks in 3 s"
ok "no spin at EMFILE ($((c1 - c0)) ticks of CPU in 3 s)"
n=$(grep -c "accept: " "$T/m2.log")
[ "$n" -le 10 ] || fail "$n accept lines logged"
ok "EMFILE logged $n times, not once a turn"
exec {idle_fd}>&-
wait "$ipid"
# Once mallory has gone, muispd serves again.
wait_until -t 20 -m "offer after EMFILE" eval \
	'"$bin/muisp-client" -s 127.0.0.1 -p $port2 -b 127.0.0.18 --ca "$T/ca.crt" --name router.muisp.test -S "$T/sam" offer 2>/dev/null | grep -q currency=EUR'
ok "served again after EMFILE"
kill "$m2"
wait "$m2" 2>/dev/null || true
if grep -q Sanitizer "$T/m2.log"; then fail "sanitizer report (EMFILE)"; fi

kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
if grep -q Sanitizer "$T/muispd.log"; then fail "sanitizer report"; fi
ok "no sanitizer report"
# muispd stopped (its socket removed): each command says so.
run_ctl voucher show "$vc"
expect "ctl, no muispd" "1|muispctl: muispd not reachable at $T/muispd.sock: No such file or directory (is muispd running? --daemon PATH names another socket)|" \
	"$rc|$(cat "$T/ctl.err")|$(cat "$T/ctl.out")"
run_ctl contract terminate 1
expect "ctl terminate, no muispd" "1|muispctl: muispd not reachable at $T/muispd.sock: No such file or directory (is muispd running? --daemon PATH names another socket)" \
	"$rc|$(cat "$T/ctl.err")"
# list with neither muispd nor the module: both reasons, the module's code.
run_ctl contract list
[ "$nomod" = 0 ] || expect "ctl list, no muispd, no module" "3|muispctl: muispd not reachable at $T/muispd.sock: No such file or directory (is muispd running? --daemon PATH names another socket)
muispctl: muisp kernel module not loaded (modprobe muisp)|" "$rc|$(cat "$T/ctl.err")|$(cat "$T/ctl.out")"
summary
