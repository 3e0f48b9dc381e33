#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The soak (`make soak`; not part of `make check`): walk-ins come, wave
# after wave, through DHCP and a contract while mallory attacks both
# daemons the whole time; then what held, and whether anything was lost.
# On the host, like tests/dhcp/run.sh and tests/contract/run.sh: network
# namespaces msk<pid>-* on a bridge, no kernel module (muisp-dhcpd with
# kernel-sync no, muispd with kernel no), the daemons of build/bin (the
# release build) with the descriptor limit their systemd unit gives them
# (LimitNOFILE, or systemd's default soft limit, 1024).
#
#        S  lan0 10.64.0.1/20: muisp-dhcpd (pool 10.64.1.0-10.64.5.75,
#           |                   1,100 addresses), muispd (port 4433)
#        W  br0
#       /  \
#      B    M
#   bob      the walk-ins' host (10.64.0.11): per wave, tests/soak/walkin.py
#            gets WAVE leases, each walk-in with its own MAC as chaddr and
#            Ethernet source; the leased addresses go on bob's eth0 and
#            estab-load (tests/contract/estab_load.c) runs each walk-in's
#            contract from its own address: TLS, OFFER_GET, REQUEST,
#            voucher DEPOSIT (its own voucher of 1,000, issued before the
#            attack), RECEIPT, START;
#            then even walk-ins TERMINATE (statement: usage 0, charge 0,
#            the deposit refunded) and odd ones keep their contract.
#   mallory  (10.64.0.66) from before the first wave to after the last:
#            tests/soak/mallory.py: DHCPDISCOVERs with random chaddrs
#            (SOAK_DISCOVER_PPS a second, default 100, every other one
#            from her own Ethernet address, the others from the chaddr;
#            each would hold an offer for offer-time, 30 s: 3,000
#            outstanding > the pool); at the same rate, round after round,
#            a forged DHCPRELEASE and DHCPDECLINE of every walk-in leased
#            so far (its chaddr and address, a random Ethernet source of
#            hers); SOAK_JUNK (4) connections at a time sending junk to
#            the control port; estab-load idle: SOAK_IDLE (1,100) TCP
#            connections that send nothing, 16 from each of her addresses
#            10.64.6.x; estab-load flood: SOAK_FLOOD (20) TLS channels,
#            each from its own address 10.64.7.x, asking OFFER_GET,
#            REQUEST without end, never paying (both reconnect a second
#            after a close).
#
# Asserted (every check runs; the summary says what failed):
#   - every walk-in got a lease (distinct addresses and MACs) and a
#     contract (distinct serials, each from its walk-in's address);
#   - each wave, the operator socket answered (muispctl voucher show);
#   - nothing lost: at the end the lease database still holds every
#     walk-in's address leased to its MAC; muispd's records hold every
#     keeper's contract active on its address with its deposit, every
#     leaver's extinguished with charge 0 and its deposit refunded; each
#     voucher's balance is exactly 1,000 minus what its walk-in still holds;
#     after kill -9 and a restart muispd restores every keeper's contract
#     (the deposits and receipts were on disk);
#   - both daemons alive after the attack, their descriptors back to what
#     they were before it (muisp-dhcpd's exactly, muispd's at most), and
#     their RSS grown by at most SOAK_RSS_BOUND_KIB (default 32768, 32 MiB)
#     each over the whole soak, and by at most SOAK_RSS_LATE_KIB (4096,
#     4 MiB) from the end of the middle wave to the end of the last,
#     under attack all the while: the state of 1,000 walk-ins and a full
#     connection table are well under these, a leak per attack packet or
#     connection is not (mallory opens some 450 connections a second: 32
#     bytes lost per connection exceed the second bound);
#   - the soak took at most SOAK_SECONDS (default 1200); the waves are
#     spread over SOAK_MINUTES (default 10), so that the attack runs that
#     long (a wave may take up to 180 s: leases within 60 s, contracts
#     within 120 s; none starts that could end past SOAK_SECONDS).
# Figures ("SOAK " lines, also in build/soak/report.txt): per wave the
# time, leases, contracts, muispd's connections and descriptors, both
# daemons' RSS; the most connections muispd held (sampled every second);
# each daemon's RSS, peak RSS and descriptors before and after; what
# mallory sent and got; muisp-dhcpd's counters; the lines each daemon
# logged; then PASS or FAIL.
#
# usage: tests/soak/run.sh   (root; `make` first)
# Env: MUISP_BIN (default build/bin), SOAK_WALKINS (1000), SOAK_WAVE (100:
# even, at most 1,000, at most 255 waves), SOAK_ATTACKS (default "discover
# forge idle flood junk": a subset picks), the SOAK_* above, KEEP=1 keeps
# the temp dir (kept on a failure).  Exit 0 iff every check passed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
CHECK_SUITE=soak
bin=${MUISP_BIN:-$top/build/bin}
N=${SOAK_WALKINS:-1000}
WAVE=${SOAK_WAVE:-100}
ATTACKS=" ${SOAK_ATTACKS-discover forge idle flood junk} "
DISC_PPS=${SOAK_DISCOVER_PPS:-100}
NIDLE=${SOAK_IDLE:-1100} NFLOOD=${SOAK_FLOOD:-20} NJUNK=${SOAK_JUNK:-4}
RSS_BOUND=${SOAK_RSS_BOUND_KIB:-32768}
LATE_BOUND=${SOAK_RSS_LATE_KIB:-4096}
SPAN=${SOAK_MINUTES:-10}
LIMIT=${SOAK_SECONDS:-1200}
VOUCHER=1000 HUNIT=10000 PORT=4433
RTR=10.64.0.1 BOB=10.64.0.11 MAL=10.64.0.66
PY=/usr/bin/python3
out=$top/build/soak
t_start=$SECONDS

[ "$(id -u)" -eq 0 ] || fail "needs root"
for b in muisp-dhcpd muispd muispctl estab-load; do
	[ -x "$bin/$b" ] || fail "$bin/$b not built (make)"
done
for c in jq ss; do
	command -v $c >/dev/null || fail "$c missing (scripts/deps.sh)"
done
[ $((N % WAVE)) -eq 0 ] && [ $((WAVE % 2)) -eq 0 ] && [ "$WAVE" -le 1000 ] &&
	[ $((N / WAVE)) -le 255 ] ||
	fail "SOAK_WALKINS must be a multiple of SOAK_WAVE (even, <= 1000), in at most 255 waves"
attack() { [[ $ATTACKS == *" $1 "* ]]; }
figure() { echo "SOAK $*" | tee -a "$out/report.txt"; }
mkdir -p "$out"
: >"$out/report.txt"

T=$(mktemp -d /tmp/muisp-soak.XXXXXX)
P=msk$$
S=$P-S W=$P-W B=$P-B M=$P-M
dhcpd= muispd= sampler=
BG=()
cleanup() {
	local p ns
	for p in "${BG[@]}" $sampler $dhcpd $muispd; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	for ns in $B $M $S $W; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ] || [ "$CHECK_FAIL" -ne 0 ]; then
		echo "soak: logs kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

# --- the network -------------------------------------------------------------
link_up() { # NS DEV
	ip -n "$1" -br link show dev "$2" | awk '$2 == "UP" { ok = 1 } END { exit !ok }'
}
for ns in $S $W $B $M; do
	ip netns add $ns || fail "cannot create network namespaces"
	ip -n $ns link set lo up
done
ip -n $W link add br0 type bridge
ip -n $W link set br0 up
port() { # NS DEV MAC ADDR PEER
	local ns=$1 dev=$2 peer=$5
	ip link add $dev netns $ns address "$3" type veth peer name $peer netns $W
	ip -n $W link set $peer master br0 up
	ip -n $ns addr add "$4/20" dev $dev
	ip -n $ns link set $dev up
	wait_until -t 10 -m "$ns's link" eval 'link_up $ns $dev && link_up $W $peer'
}
port $S lan0 02:00:00:64:00:01 $RTR s-port
port $B eth0 02:00:00:64:00:0b $BOB b-port
port $M eth0 02:00:00:64:00:66 $MAL m-port

# --- the daemons -------------------------------------------------------------
# The descriptor limit of a daemon's unit (systemd's default soft limit
# when it sets none).
nofile() { sed -n 's/^LimitNOFILE=\([0-9]*\).*/\1/p' "$top/daemon/$1" | grep . || echo 1024; }
cat >"$T/dhcpd.conf" <<EOF
lease-db $T/dhcpd.db
kernel-sync no
quarantine-time 600
offer-time 30
interface lan0 {
	subnet 10.64.0.0/20
	server-id $RTR
	pool 10.64.1.0 10.64.5.75
	router $RTR
	lease-time 3600
}
EOF
# The router's certificate from muispctl's own CA (as an operator makes it).
"$bin/muispctl" ca init "$T/ca" "muisp soak CA" --days 2 >/dev/null &&
	"$bin/muispctl" ca issue router.muisp.test --ca "$T/ca" --days 2 \
		--out-cert "$T/router.crt" --out-key "$T/router.key" >/dev/null ||
	fail "muispctl ca: the router's certificate"
cat >"$T/muispd.conf" <<EOF
listen $RTR
port $PORT
socket $T/muispd.sock
database $T/muispd.db
cert $T/router.crt
key $T/router.key
kernel no
currency EUR
price bytes voucher ah 1 1000
EOF
NOFILE_DHCPD=$(nofile dhcpd/muisp-dhcpd.service)
NOFILE_MUISPD=$(nofile muispd/muispd.service)
start_dhcpd() {
	ip netns exec $S prlimit --nofile=$NOFILE_DHCPD \
		"$bin/muisp-dhcpd" -d -f "$T/dhcpd.conf" >>"$T/dhcpd.log" 2>&1 &
	dhcpd=$!
}
start_muispd() {
	rm -f "$T/muispd.sock"
	ip netns exec $S prlimit --nofile=$NOFILE_MUISPD \
		"$bin/muispd" -d -f "$T/muispd.conf" >>"$T/muispd.log" 2>&1 &
	muispd=$!
	wait_until -t 20 -m "muispd's socket (or its exit)" \
		eval '[ -S "$T/muispd.sock" ] || ! kill -0 $muispd' || :
	[ -S "$T/muispd.sock" ] || fail "muispd did not start: $(tail -3 "$T/muispd.log")"
}
start_dhcpd
start_muispd
ctl() { "$bin/muispctl" --json --daemon "$T/muispd.sock" "$@"; }
leases() { "$bin/muispctl" --json lease --db "$T/dhcpd.db" list; }
wait_until -t 20 -m "muisp-dhcpd's lease database" test -s "$T/dhcpd.db" || :
kill -0 $dhcpd || fail "muisp-dhcpd did not start: $(tail -3 "$T/dhcpd.log")"
figure "daemons: muisp-dhcpd and muispd of $bin, descriptor limits" \
	"$NOFILE_DHCPD and $NOFILE_MUISPD; $N walk-ins in waves of $WAVE;" \
	"attacks:$ATTACKS(DISCOVERs $DISC_PPS/s, $NIDLE idle, $NFLOOD flood," \
	"$NJUNK junk connections)"

# snap NAME: each daemon's RSS, peak RSS (KiB) and descriptors.
snap() {
	local d p
	for d in dhcpd muispd; do
		p=${!d}
		echo "$d $(awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 }
			END { print r, h }' /proc/$p/status) $(ls /proc/$p/fd | wc -l)"
	done >"$T/$1.proc"
}
proc() { awk -v d=$2 -v f=$3 '$1 == d { print $f }' "$T/$1.proc"; }
rss() { awk '/^VmRSS/ { print $2 }' /proc/$1/status; }
fds() { ls /proc/$1/fd | wc -l; }
conns() { ip netns exec $S ss -Htn state established "( sport = :$PORT )" | wc -l; }

# walkins WAVE COUNT FILE PLAN...: COUNT walk-ins' leases into FILE.leases,
# their addresses on bob, a voucher each, and their contracts, the
# walk-ins split among the PLANs in turn (estab-load's output in
# FILE.PLAN.out, "ADDR CODE" in FILE.PLAN.walkins).
walkins() {
	local w=$1 count=$2 X=$3 plan k=0 p pids=()
	shift 3
	# Their vouchers, issued before the attack (the lines of codes.all).
	sed -n "$((next_code + 1)),$((next_code + count))p" "$T/codes.all" >"$X.codes"
	next_code=$((next_code + count))
	ip netns exec $B $PY "$top/tests/soak/walkin.py" eth0 $w $count 32 60 \
		>"$X.leases" 2>"$X.dhcp"
	awk '{ print "addr add " $1 "/32 dev eth0" }' "$X.leases" |
		ip -n $B -force -batch - || bad "${X##*/}: addresses on bob"
	for plan in "$@"; do
		paste -d' ' "$X.leases" "$X.codes" |
			awk -v k=$k -v n=$# 'NR % n == k { print $1, $3 }' >"$X.$plan.walkins"
		k=$((k + 1))
		[ -s "$X.$plan.walkins" ] || continue
		cut -d' ' -f1 "$X.$plan.walkins" >"$X.$plan.addrs"
		cut -d' ' -f2 "$X.$plan.walkins" >"$X.$plan.codes"
		ip netns exec $B "$bin/estab-load" -s $RTR -p $PORT -A "$T/ca/ca.pem" \
			-n router.muisp.test -a "$X.$plan.addrs" -V "$X.$plan.codes" \
			-H $HUNIT -k 0 -w $plan -t 120 walkin >"$X.$plan.out" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
}

# Every walk-in's voucher, issued now: the operator's work under attack
# is checked on its own, each wave.
nwaves=$((N / WAVE))
{
	echo "voucher issue $VOUCHER"
	for ((w = 0; w < nwaves; w++)); do echo "voucher issue $VOUCHER count $WAVE"; done
} | ctl -b - | jq -r '.. | .code? // empty' >"$T/codes.all"
expect "vouchers issued (distinct)" $((N + 1)) "$(sort -u "$T/codes.all" | grep -c .)"
next_code=0

# One warm-up walk-in, not counted: both daemons' lazily built state
# (TLS, SQLite's cache, the lease database) before the first snapshot.
walkins 255 1 "$T/warm" keep
grep -q '^client ' "$T/warm.keep.out" 2>/dev/null ||
	fail "the warm-up walk-in: $(cat "$T/warm.dhcp" "$T/warm.keep.out" 2>/dev/null | tail -3)"
snap before

# --- the attack starts ---------------------------------------------------------
t_att0=$SECONDS
: >"$T/victims"
if attack discover || attack forge || attack junk; then
	ip netns exec $M $PY "$top/tests/soak/mallory.py" eth0 $RTR \
		02:00:00:64:00:01 $PORT "$(attack discover && echo $DISC_PPS || echo 0)" \
		"$(attack forge && echo "$T/victims" || echo -)" \
		"$(attack junk && echo $NJUNK || echo 0)" >"$T/mallory.out" 2>&1 &
	BG+=($!)
fi
# Mallory's own addresses (outside the pool): idle connections 16 to an
# address, each flood channel from its own, so that a cap per address
# alone does not stop them.
seq 1 $(((NIDLE + 15) / 16)) | sed 's/^/10.64.6./' >"$T/idle.addrs"
seq 1 "$NFLOOD" | sed 's/^/10.64.7./' >"$T/flood.addrs"
cat "$T/idle.addrs" "$T/flood.addrs" | sed 's|.*|addr add &/32 dev eth0|' |
	ip -n $M -batch - || fail "mallory's addresses"
for m in idle flood; do
	attack $m || continue
	n=$([ $m = idle ] && echo $NIDLE || echo $NFLOOD)
	ip netns exec $M "$bin/estab-load" -s $RTR -p $PORT -A "$T/ca/ca.pem" \
		-n router.muisp.test -a "$T/$m.addrs" -c $n -t 3600 $m \
		>"$T/$m.out" 2>&1 &
	BG+=($!)
done
# The connections on muispd's port, every second.
(while :; do conns; sleep 1; done) >"$T/conns" 2>/dev/null &
sampler=$!

# --- the waves -------------------------------------------------------------------
: >"$T/walkins"
: >"$T/contracts"
: >"$T/codes"
gap=$((SPAN * 60 / nwaves))
for ((w = 0; w < nwaves; w++)); do
	# Wave w starts w * SOAK_MINUTES / waves after the attack did (or
	# when wave w - 1 ended, if later): wave 0 comes with the attack's
	# burst (all of mallory's connections new at once), and the attack
	# runs for the whole span.
	t0=$((t_att0 + w * gap))
	[ "$SECONDS" -ge $t0 ] || sleep $((t0 - SECONDS))
	if [ $((SECONDS - t_start + 210)) -gt "$LIMIT" ]; then
		bad "soak within $LIMIT s" "no time left for wave $w (a wave may take 180 s)"
		break
	fi
	t0=$SECONDS
	X=$T/wave$w
	walkins $w $WAVE "$X" terminate keep
	got=$(grep -c . "$X.leases")
	expect "wave $w: $WAVE leases" "$WAVE" "$got"
	check "wave $w: the operator answered (voucher show)" \
		eval 'ctl voucher show "$(head -1 "$X.codes")" >/dev/null'
	cat "$X.leases" >>"$T/walkins"
	cat "$X.leases" >>"$T/victims"
	ok=0
	for plan in terminate keep; do
		[ -s "$X.$plan.walkins" ] || continue
		cat "$X.$plan.walkins" >>"$T/codes"
		grep '^client ' "$X.$plan.out" >>"$T/contracts"
		ok=$((ok + $(grep -c '^client ' "$X.$plan.out")))
		grep '^fail ' "$X.$plan.out" | sed 's/addr=[^ ]* //' | sort |
			uniq -c | sort -rn | head -3
	done
	expect "wave $w: $WAVE contracts" "$WAVE" "$ok"
	# RSS during the attack: halfway through the waves and at the end.
	[ $w -eq $(((nwaves - 1) / 2)) ] && snap half
	snap last
	figure "wave $w: leases $got/$WAVE ($(sed 's/^walkin: leased=[^ ]* //' "$X.dhcp" | tr '\n' ' ')), contracts $ok/$WAVE," \
		"$((SECONDS - t0))s; muispd: $(conns) connections, $(fds $muispd) fds," \
		"$(rss $muispd) KiB; muisp-dhcpd: $(fds $dhcpd) fds, $(rss $dhcpd) KiB"
done
# estab-load's "client addr=A serial=S deposit=D plan=P ..." lines with
# each walk-in's voucher: "ADDR SERIAL DEPOSIT PLAN CODE".
awk 'NR == FNR { code[$1] = $2; next }
	{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	print f["addr"], f["serial"], f["deposit"], f["plan"], code[f["addr"]] }' \
	"$T/codes" "$T/contracts" | sort >"$T/walkin-contracts"

# --- the attack stops ----------------------------------------------------------------
sleep_s=$SECONDS
for p in "${BG[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${BG[@]}"; do wait "$p" 2>/dev/null; done
BG=()
kill $sampler 2>/dev/null && wait $sampler 2>/dev/null
sampler=
t_attack=$((sleep_s - t_att0))
check "muispd alive after the attack" kill -0 $muispd
check "muisp-dhcpd alive after the attack" kill -0 $dhcpd
fds_back() { [ "$(fds $muispd)" -le "$(proc before muispd 4)" ]; }
wait_until -t 60 fds_back
snap after

# --- what held -------------------------------------------------------------------------
n=$(grep -c . "$T/walkins")
expect "walk-ins leased (distinct addresses, MACs)" "$N $N $N" \
	"$n $(cut -d' ' -f1 "$T/walkins" | sort -u | wc -l) $(cut -d' ' -f2 "$T/walkins" | sort -u | wc -l)"
expect "walk-ins with a contract (distinct serials, addresses)" "$N $N $N" \
	"$(wc -l <"$T/walkin-contracts") $(cut -d' ' -f2 "$T/walkin-contracts" | sort -u | wc -l) $(cut -d' ' -f1 "$T/walkin-contracts" | sort -u | wc -l)"
# Leases: every walk-in's address still leased to its MAC.
leases | jq -r '.[] | select(.state == "leased") | "\(.addr) \(.mac)"' |
	sort >"$T/leased"
sort "$T/walkins" >"$T/walkins.sorted"
expect "leases lost (walk-ins' addresses no longer leased to their MAC)" 0 \
	"$(comm -23 "$T/walkins.sorted" "$T/leased" | wc -l)"
# muispd's records: keepers active on their address with their deposit,
# leavers extinguished, charge 0, all refunded.
records() {
	ctl contract list daemon | jq -r '.[] | "\(.id) \(.state) \(.addr) \(.deposit) \(.charge) \(.refund)"' |
		sort >"$T/records.$1"
}
want_records() {
	awk '{ if ($4 == "keep") print $2, "active", $1, $3, "null", "null"
		else print $2, "extinguished", "null", $3, 0, $3 }' \
		"$T/walkin-contracts" | sort
}
records end
want_records >"$T/records.want"
expect "contracts lost or wrong in muispd's records" 0 \
	"$(comm -23 "$T/records.want" "$T/records.end" | wc -l)"
# Vouchers: 1,000 less the deposit a keeper still holds; a leaver's back.
awk -v v=$VOUCHER '{ print "voucher show " $5 }' "$T/walkin-contracts" |
	ctl -b - | jq -r '"\(.code) \(.balance)"' | sort >"$T/vouchers"
awk -v v=$VOUCHER '{ print $5, ($4 == "keep" ? v - $3 : v) }' \
	"$T/walkin-contracts" | sort >"$T/vouchers.want"
expect "vouchers with a wrong balance" 0 \
	"$(comm -23 "$T/vouchers.want" "$T/vouchers" | wc -l)"
# Durable: kill -9, restart, every keeper's contract restored.
kill -9 $muispd
wait $muispd 2>/dev/null
muispd=
start_muispd
records restart
expect "contracts lost or wrong after kill -9 and a restart" 0 \
	"$(comm -23 "$T/records.want" "$T/records.restart" | wc -l)"
keepers=$(awk '$4 == "keep"' "$T/walkin-contracts" | wc -l)
check "muispd restored at least the $keepers keepers' contracts" \
	eval '[ "$(sed -n "s/.* \([0-9]*\) outstanding contracts restored.*/\1/p" "$T/muispd.log" | tail -1)" -ge $keepers ]'

for d in dhcpd muispd; do
	read -r _ r0 h0 f0 < <(grep "^$d " "$T/before.proc")
	read -r _ r1 h1 f1 < <(grep "^$d " "$T/after.proc")
	figure "$d: RSS $r0 -> $r1 KiB (+$((r1 - r0))), peak $h0 -> $h1 KiB, descriptors $f0 -> $f1"
	[ "$((r1 - r0))" -le "$RSS_BOUND" ] &&
		ok "$d: RSS growth $((r1 - r0)) KiB <= $RSS_BOUND KiB" ||
		bad "$d: RSS growth" "$((r1 - r0)) KiB > $RSS_BOUND KiB"
done
if [ "$nwaves" -ge 2 ]; then
	for d in dhcpd muispd; do
		g=$(($(proc last $d 2) - $(proc half $d 2)))
		[ $g -le "$LATE_BOUND" ] &&
			ok "$d: RSS growth over the second half of the waves $g KiB <= $LATE_BOUND KiB" ||
			bad "$d: RSS growth over the second half of the waves" "$g KiB > $LATE_BOUND KiB"
	done
fi
expect "muisp-dhcpd's descriptors as before the attack" \
	"$(proc before dhcpd 4)" "$(proc after dhcpd 4)"
check "muispd's descriptors back to at most before the attack" \
	[ "$(proc after muispd 4)" -le "$(proc before muispd 4)" ]
figure "muispd: at most $(sort -n "$T/conns" | tail -1) connections on its port (sampled every second for ${t_attack}s)"
for m in idle flood; do
	attack $m && figure "mallory $(grep '^summary' "$T/$m.out" | cut -d' ' -f2-)"
done
[ -s "$T/mallory.out" ] && figure "$(cat "$T/mallory.out")"
figure "muisp-dhcpd's counters: $("$bin/muispctl" --json lease --db "$T/dhcpd.db" stats |
	jq -c 'with_entries(select(.value != 0 and .key != "updated"))')"
figure "log lines: muisp-dhcpd $(wc -l <"$T/dhcpd.log"), muispd $(wc -l <"$T/muispd.log")"
figure "walk-ins: $n leased, $(wc -l <"$T/walkin-contracts") contracts ($keepers kept)," \
	"attack ${t_attack}s, soak $((SECONDS - t_start))s"
check "soak within $LIMIT s" [ $((SECONDS - t_start)) -le "$LIMIT" ]
if [ "$CHECK_FAIL" -eq 0 ]; then
	figure "PASS: every walk-in served, nothing lost, growth within bounds"
else
	figure "FAIL: $CHECK_FAIL check(s) failed (the FAIL lines above)"
fi
summary
