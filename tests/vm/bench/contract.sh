#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 900
# disk: 1G
#
# Contract establishment benchmark (issue 5).  muispd in the router netns
# with the module (gate on lan0, IKE excluded: require-tunnel off); alice
# holds $N client addresses (100.64.0.1-N, routed on the router's lan0).
# estab-load (tests/contract/estab_load.c, one process, one poll loop)
# starts all N clients at once, each on its own source address, and times
# each on CLOCK_MONOTONIC:
#   contract   TCP connect -> TLS 1.3 handshake -> offer -> request ->
#              voucher deposit -> receipt.  muispd binds the address in
#              the kernel before it sends the receipt (h_deposit() in
#              daemon/muispd/channel.c), so the receipt marks "bound".
#   handshake  TCP connect -> TLS 1.3 handshake to the same port, nothing
#              more (the bare-handshake baseline).
# Both at the same concurrency, interleaved over ROUNDS counted rounds
# after a warm-up round; after each contract run estab-load terminates
# the N contracts (not timed; the statements must refund every deposit),
# so each round starts from the same empty tables.  Median and p99 are
# nearest-rank over all counted clients.  The load generator is pinned to
# CPU 0 and muispd to CPU 1 (the guest has two): the clients' own TLS work
# (two ECDSA verifications each, more than the router's one signature)
# cannot take the router's CPU, and the router's cannot take theirs.
# estab-load also reports muispd's CPU time over each run (-P), so the
# second ratio figure gives the router's CPU per establishment and per bare
# handshake, which the clients' side does not blur.  TCG emulates the CPU
# (and its crypto): only the ratios mean anything.
# muispd's database is on the ext4 file system of the scenario's virtio
# disk (run.sh's "# disk:", $MUISP_DISK), so synchronous=FULL pays for
# real flushes; MUISP_BENCH_DB=tmpfs puts it in the scratch directory
# instead (figures named *.tmpfs).
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/lib/bench.sh"

ROUNDS=${MUISP_BENCH_ROUNDS:-3}
N=${MUISP_BENCH_CLIENTS:-200}
NV=20 PREFIX=100.64.0
S=$SCRATCH
[ "$N" -ge 1 ] && [ "$N" -le 254 ] || fail "MUISP_BENCH_CLIENTS: 1..254"
sfx=
if [ "${MUISP_BENCH_DB:-disk}" = tmpfs ]; then
	DB=$S/muispd.db sfx=.tmpfs
else
	[ -n "${MUISP_DISK:-}" ] || fail "no disk (run.sh's '# disk:' header)"
	DB=$MUISP_DISK/muispd.db
fi
log "database $DB on $(findmnt -n -o FSTYPE,SOURCE --target "${DB%/*}")"

topo_up
on router muispctl config set lan lan0 require-tunnel off
. "$MUISP_TOP/tests/vm/scenarios/contract-lib.bash"
alice_addrs $PREFIX $N
# The shipped defaults (checkpoint every 10 s), one price.
muispd_conf <<EOF
currency EUR
load-surcharge 0
price bytes voucher ah 10 1000000
EOF
sed -i "s#^database .*#database $DB#" $S/muispd.conf
ip netns exec router taskset -c 1 muispd -d -f $S/muispd.conf >>$S/muispd.log 2>&1 &
MUISPD=$!
trap 'rc=$?; [ $rc -eq 0 ] || { echo "--- muispd.log" >&2; tail -n 40 $S/muispd.log >&2; }; topo_down' EXIT
wait_until -t 20 test -S $S/muispd.sock

# 20 vouchers; client k (deposit 10 k) pays with voucher (k - 1) % 20,
# each issued with exactly its clients' deposits.  Every contract run
# drains them and the terminations refund them in full.
: >$S/codes
: >$S/issued
for ((v = 0; v < NV; v++)); do
	amount=0
	for ((k = v + 1; k <= N; k += NV)); do amount=$((amount + 10 * k)); done
	[ $amount -gt 0 ] || amount=1
	code=$(field code "$(op voucher-issue $amount)")
	echo "$code" >>$S/codes
	echo "$code $amount" >>$S/issued
done

load() { # contract|handshake OUTFILE
	local extra=()
	[ "$1" = contract ] && extra=(-V $S/codes -T)
	on alice taskset -c 0 estab-load -s $ROUTER_LAN4 -p 4433 \
		-A $S/ca.crt -n router.muisp.test -b $PREFIX.1 -c $N \
		-H 1000000 -t 300 -P $MUISPD "${extra[@]}" "$1" >"$2" ||
		fail "$1 run: $(grep -E '^(fail|summary)' "$2" | head -5)"
}
# nearest-rank percentile P of the numbers in a file
pct() { sort -g "$2" | awk -v p="$1" '{ v[NR] = $1 }
	END { r = int((NR * p + 99) / 100); if (r < 1) r = 1; printf "%.1f", v[r] }'; }
col() { # FIELD FILE: the FIELD=value numbers of the client lines
	awk -v k="$1" '$1 == "client" { for (i = 2; i <= NF; i++) {
		split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$2"
}
summ() { # FIELD FILE: FIELD=value of the summary line
	awk -v k="$1" '$1 == "summary" { for (i = 2; i <= NF; i++) {
		split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$2"
}

: >$S/hs.ms
: >$S/ct.ms
: >$S/ct-tls.ms
: >$S/ct-proto.ms
: >$S/ratio.rounds
: >$S/cpu.rounds
scpu_hs=0 scpu_ct=0 ccpu_hs=0 ccpu_ct=0
for ((r = 0; r <= ROUNDS; r++)); do
	order="handshake contract"
	[ $((r % 2)) -eq 1 ] && order="contract handshake"
	for mode in $order; do
		load $mode $S/$mode.$r
		log "round $r $mode: $(grep '^summary' $S/$mode.$r)"
	done
	# Every contract of the round was terminated: empty kernel tables.
	expect "round $r: kernel contracts and bound addresses after the terminations" \
		"0 0" "$(on router muispctl --json contract list | jq length) $(on router muispctl --json addr list | jq 'map(select(.state == "bound")) | length')"
	[ $r -eq 0 ] && continue	# warm-up
	col total_ms $S/handshake.$r >>$S/hs.ms
	col total_ms $S/contract.$r >>$S/ct.ms
	col tls_ms $S/contract.$r >>$S/ct-tls.ms
	awk '$1 == "client" { for (i = 2; i <= NF; i++) { split($i, kv, "=")
		f[kv[1]] = kv[2] } print f["total_ms"] - f["tls_ms"] }' \
		$S/contract.$r >>$S/ct-proto.ms
	# per-round ratios: the spread of the figures
	echo "$(pct 50 <(col total_ms $S/contract.$r)) $(pct 50 <(col total_ms $S/handshake.$r))" |
		awk '{ printf "%.4f\n", $1 / $2 }' >>$S/ratio.rounds
	echo "$(summ server_cpu_ms $S/contract.$r) $(summ server_cpu_ms $S/handshake.$r)" |
		awk '{ printf "%.4f\n", $1 / $2 }' >>$S/cpu.rounds
	scpu_hs=$((scpu_hs + $(summ server_cpu_ms $S/handshake.$r)))
	scpu_ct=$((scpu_ct + $(summ server_cpu_ms $S/contract.$r)))
	ccpu_hs=$((ccpu_hs + $(summ cpu_ms $S/handshake.$r)))
	ccpu_ct=$((ccpu_ct + $(summ cpu_ms $S/contract.$r)))
done
kill -0 $MUISPD || fail "muispd died"

# Reconciliation: (ROUNDS + 1) * N deposits taken and refunded in full.
sqlite3 -separator ' ' $DB "SELECT code, balance FROM vouchers
	ORDER BY code" >$S/vouchers.txt
sort $S/issued >$S/issued.sorted
diff $S/issued.sorted $S/vouchers.txt >&2 || fail "vouchers not back to their issued amounts"
log "ok: all $NV vouchers back to their issued amounts"
expect "contracts established, all extinguished, nothing charged" "$(((ROUNDS + 1) * N)) 0" \
	"$(sqlite3 -separator ' ' $DB "SELECT count(*), sum(charge) FROM contracts WHERE state = 5")"
expect "counted contract samples" $((ROUNDS * N)) "$(wc -l <$S/ct.ms)"
expect "counted handshake samples" $((ROUNDS * N)) "$(wc -l <$S/hs.ms)"

cm=$(pct 50 $S/ct.ms) cp=$(pct 99 $S/ct.ms)
hm=$(pct 50 $S/hs.ms) hp=$(pct 99 $S/hs.ms)
echo "$N concurrent clients, $ROUNDS rounds: handshake p99 = $hp ms;" \
	"inside the contract runs: connect+handshake median = $(pct 50 $S/ct-tls.ms) ms," \
	"offer->receipt median = $(pct 50 $S/ct-proto.ms) ms (emulated)"
awk -v n=$((ROUNDS * N)) -v sh=$scpu_hs -v sc=$scpu_ct -v ch=$ccpu_hs \
	-v cc=$ccpu_ct 'BEGIN {
	printf "CPU per client (ms, emulated): muispd %.2f establishment, %.2f handshake; estab-load %.2f contract, %.2f handshake\n", sc / n, sh / n, cc / n, ch / n
}'
half() { sort -g "$1" | awk '{ v[NR] = $1 } END { printf "%.4f", (v[NR] - v[1]) / 2 }'; }
echo "per-round establishment/handshake medians: $(echo $(cat $S/ratio.rounds)); muispd CPU: $(echo $(cat $S/cpu.rounds))"
echo "figures over all $((ROUNDS * N)) counted clients (nearest rank); ratio spreads: half the range of the per-round ratios"
bench_result contract.establishment_median_ms$sfx "$cm" ms "" $ROUNDS
bench_result contract.establishment_p99_ms$sfx "$cp" ms "" $ROUNDS
bench_result contract.handshake_median_ms$sfx "$hm" ms "" $ROUNDS
bench_result contract.establishment/handshake$sfx \
	"$(awk -v cm="$cm" -v hm="$hm" 'BEGIN { printf "%.3f", cm / hm }')" \
	ratio "<= 3" $ROUNDS "$(half $S/ratio.rounds)"
bench_result contract.muispd_cpu_establishment/handshake$sfx \
	"$(awk -v sh=$scpu_hs -v sc=$scpu_ct 'BEGIN { printf "%.3f", sc / sh }')" \
	ratio "" $ROUNDS "$(half $S/cpu.rounds)"
kill $MUISPD
wait $MUISPD 2>/dev/null || true
