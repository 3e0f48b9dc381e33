#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RADIUS accounting benchmark (issue 12; `make bench` part
# host-radius-bench; root; ~4.5 min on 2 cores).  One network namespace
# muisp-rad-bench-PID holds FreeRADIUS "visited" (tests/radius/fr.sh; no
# -X, linelog to disk) and muispd; every file is under /var/tmp (disk).
#
# (a) Records per second, sustained / offered.  radius-bench
#     (tests/bench/radius_bench.c: muispd's core, its real spool and sender
#     on its sd-event loop, the spool in SQLite WAL with synchronous=FULL)
#     offers Interim-Updates round 1,000 sessions at 500 ... 20,000/s, 8 s
#     each after a warm-up, and reports acked/offered per rate; the knee is
#     the highest rate whose ratio is >= 0.99 with a spool that did not grow
#     (at most a tenth of a second of records left at the end).  Then
#     20,000 records put at once: muispd's saturated rate, divided by
#     `radclient -p 64` sending the same 20,000 records to the same server
#     in the same run (the server's ceiling).
# (b) CPU of muispd ("kernel no") holding 1,000 bound contracts (estab-load,
#     1,000 TLS clients on loopback), accounting off, then on (the same
#     database restarted with radius-acct-server; radius-interim 25 with 24 s
#     of jitter puts every session's first Interim inside the window, ~40/s),
#     CPU time from /proc/PID/schedstat over RADIUS_BENCH_CPU_SECS (50) each:
#     the ratio and microseconds per contract per second.  Then both again
#     under callgrind: instructions per session_tick (which calls acct_tick),
#     inclusive, exactly countable; the profiles are left in
#     build/bench/radius-callgrind.{off,on} (callgrind_annotate).
#     radius-interim-min 25 is the documented test knob (the floor is 60 s).
#
# Usage: tests/bench/radius-bench.sh [BUILD_DIR]     (after `make`)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$top/build}/bin
. "$top/tests/lib/check.sh"
. "$top/tests/lib/bench.sh"
. "$top/tests/radius/fr.sh"
CPU_SECS=${RADIUS_BENCH_CPU_SECS:-50}
N=1000 NSAT=20000
RATES="1000:3 500:8 1000:8 2000:8 5000:8 10000:8 20000:8"

[ "$(id -u)" -eq 0 ] || { echo "radius-bench: needs root" >&2; exit 1; }
for b in radius-bench muispd muisp-client estab-load; do
	[ -x "$bin/$b" ] || { echo "radius-bench: $bin/$b not built (make)" >&2; exit 1; }
done
for c in freeradius radclient; do
	command -v $c >/dev/null || { echo "radius-bench: $c missing (scripts/deps.sh)" >&2; exit 1; }
done

T=$(mktemp -d /var/tmp/muisp-radbench.XXXXXX)
NS=muisp-rad-bench-$$
pid=
cleanup() {
	local rc=$?
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }
	fr_stop $T/fr visited
	ip netns pids $NS 2>/dev/null | xargs -r kill 2>/dev/null || true
	ip netns del $NS 2>/dev/null || true
	if [ $rc -ne 0 ]; then
		for f in $T/*.log; do
			[ -e "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
		done
	fi
	rm -rf "$T"
}
trap cleanup EXIT
ip netns add $NS
ip -n $NS link set lo up
on() { ip netns exec $NS "$@"; }

fr_setup $T/fr
fr_start $T/fr visited $NS
printf 'nas-secret\n' >$T/radius.secret
chmod 600 $T/radius.secret

# a throwaway CA and router certificate (part b's TLS clients)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout $T/ca.key -out $T/ca.crt -days 2 -subj "/CN=muisp bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout $T/router.key -out $T/router.csr -subj "/CN=router.muisp.test" 2>/dev/null
printf 'subjectAltName=DNS:router.muisp.test,IP:127.0.0.1\n' >$T/ext
openssl x509 -req -in $T/router.csr -CA $T/ca.crt -CAkey $T/ca.key \
	-CAcreateserial -out $T/router.crt -days 2 -extfile $T/ext 2>/dev/null

conf() { # NAME DB [radius]: muispd.conf
	{
		cat <<-EOF
		listen 127.0.0.1
		port 4433
		socket $T/$1.sock
		database $T/$2
		cert $T/router.crt
		key $T/router.key
		kernel no
		max-conns 2048
		price bytes voucher ah 1 1000000
		EOF
		[ "${3:-}" != radius ] || cat <<-EOF
		radius-nas-identifier bench-nas
		radius-acct-server 127.0.0.1:1813 $T/radius.secret
		radius-spool-max 1000000
		radius-stop-wait 2
		radius-interim-min 25
		radius-interim 25
		radius-interim-jitter 24
		EOF
	} >$T/$1.conf
}
acct_lines() { grep -c "^$1|" $T/fr/visited/log/acct.log || true; }

# --- (a) records per second ------------------------------------------------
conf a a.db radius
echo "== radius (a): records offered through muispd's spool (disk) to FreeRADIUS"
on $bin/radius-bench $T/a.conf $T/records.txt $NSAT $RATES >$T/a.out 2>$T/a.log ||
	{ cat $T/a.out; echo "radius-bench failed" >&2; exit 1; }
cat $T/a.out
sat=$(sed -n 's/^radius muispd_saturated_rate = \([0-9.]*\) .*/\1/p' $T/a.out)
[ -n "$sat" ] || { echo "radius-bench: no saturated rate" >&2; exit 1; }
# the knee: highest rate with ratio >= 0.99 and end spool <= rate / 10
knee=$(awk '/^radius acked\/offered@/ {
	split($2, a, "@"); r = a[2]; ratio = $4
	for (i = 1; i <= NF; i++) if ($i == "end") e = $(i + 1) + 0
	if (ratio >= 0.99 && e <= r / 10 && r > k) k = r }
	END { print k + 0 }' $T/a.out)
echo "knee: the highest offered rate acked at >= 0.99 with a spool that did not grow"
bench_result radius.knee_records_per_s "$knee" records/s
lines=$(grep -c '^Acct-Status-Type' $T/records.txt)
[ "$lines" = $NSAT ] || { echo "radius-bench: $lines records written, not $NSAT" >&2; exit 1; }
t0=${EPOCHREALTIME/./}
on radclient -q -p 64 -r 3 -t 2 -f $T/records.txt 127.0.0.1:1813 acct nas-secret >$T/radclient.log 2>&1 ||
	{ echo "radclient failed" >&2; exit 1; }
t1=${EPOCHREALTIME/./}
rc_rate=$(awk -v n=$NSAT -v us=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (us / 1e6) }')
echo "radclient -p 64 -r 3: the same $NSAT records, same server, same run; muispd/radclient: saturated rate, spool on disk, over radclient without one"
bench_result radius.radclient_p64_rate "$rc_rate" records/s
bench_result radius.muispd/radclient \
	"$(awk -v m="$sat" -v r="$rc_rate" 'BEGIN { printf "%.2f", m / r }')" ratio

# --- (b) CPU with accounting off and on ---------------------------------------
echo "== radius (b): muispd CPU with $N bound contracts, accounting off then on"
start() { # NAME [valgrind args...]
	local name=$1
	shift
	rm -f $T/$name.sock
	# not through on(): $! must be muispd itself (kill, schedstat)
	ip netns exec $NS "$@" $bin/muispd -d -f $T/$name.conf >>$T/$name.log 2>&1 &
	pid=$!
	wait_until -t 120 -m "muispd's socket ($name)" \
		eval '[ -S $T/$name.sock ] || ! kill -0 $pid'
	[ -S $T/$name.sock ] || { echo "muispd $name did not start" >&2; exit 1; }
}
halt() {
	kill $pid
	wait $pid 2>/dev/null || true
	pid=
}
# CPU time in ns (/proc/PID/schedstat: utime+stime at 10 ms ticks would
# read 0 for the idle baseline)
cpu() { cut -d' ' -f1 /proc/$pid/schedstat; }
conf off b.db
conf on b.db radius
start off
code=$(on $bin/muisp-client -O $T/off.sock op voucher-issue 600000 | sed -n 's/.*\bcode=\([^ ]*\).*/\1/p')
echo "$code" >$T/codes
on $bin/estab-load -s 127.0.0.1 -p 4433 -A $T/ca.crt -n router.muisp.test \
	-b 127.1.0.1 -c $N -V $T/codes -H 1000000 -t 300 contract >$T/estab.log 2>&1 ||
	{ grep -E '^(fail|summary)' $T/estab.log | head -5; echo "estab-load failed" >&2; exit 1; }
grep '^summary' $T/estab.log
bound=$(sqlite3 $T/b.db "SELECT count(*) FROM contracts WHERE addr != ''")
[ "$bound" = $N ] || { echo "radius-bench: $bound contracts bound, not $N" >&2; exit 1; }
measure() { # -> CPU ns over CPU_SECS
	local c0 c1
	c0=$(cpu)
	sleep "$CPU_SECS" # a measurement window, not synchronisation
	c1=$(cpu)
	echo $((c1 - c0))
}
off=$(measure)
halt
start on
wait_until -t 60 -m "$N Starts at FreeRADIUS" eval '[ "$(acct_lines Start)" -ge $N ]'
i0=$(acct_lines Interim-Update)
on_=$(measure)
i1=$(acct_lines Interim-Update)
halt
awk -v off=$off -v on=$on_ -v hz=1e9 -v s=$CPU_SECS -v n=$N -v i=$((i1 - i0)) 'BEGIN {
	uoff = off / hz / s / n * 1e6; uon = on / hz / s / n * 1e6
	printf "muispd CPU time, /proc/PID/schedstat, %d bound contracts, %d s each: accounting off %.3f s, on %.3f s with %d Interims\n", n, s, off / hz, on / hz, i
	printf "%.2f %.3f %.3f\n", (off ? on / off : 0), uoff, uon }' >$T/cpu.out
head -1 $T/cpu.out
read -r ratio uoff uon <<<"$(tail -1 $T/cpu.out)"
bench_result radius.cpu_on/off "$ratio" ratio
bench_result radius.us_per_contract_s_off "$uoff" us/contract/s
bench_result radius.us_per_contract_s_on "$uon" us/contract/s

# callgrind: instructions per session_tick (acct_tick inside), inclusive
ticks() { # OUTFILE: "calls inclusive_Ir" of session_tick from the timer
	# (on_tick; session_load's one call at start is not a tick)
	python3 - "$1" <<'PY'
import re, sys
names, caller, callee, calls, ir, want = {}, None, None, 0, 0, None
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"^c?fn=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
    if m:
        if m.group(2):
            names[m.group(1)] = m.group(2)
        if line.startswith("cfn="):
            callee = names.get(m.group(1))
        else:
            caller = names.get(m.group(1))
        continue
    if (line.startswith("calls=") and callee == "session_tick"
            and caller == "on_tick"):
        calls += int(line.split()[0][6:])
        want = True
        continue
    if want:
        ir += int(line.split()[1])
        want = None
print(calls, ir)
PY
}
if command -v valgrind >/dev/null; then
	# a usage checkpoint (and with accounting the four counters'
	# acct_counters row) every tick, so that every tick does the same work
	# and the count repeats; the default checkpoint-interval 10 puts one
	# or two in a window
	for m in off on; do
		{ cat $T/$m.conf; echo "checkpoint-interval 1"; } >$T/cg$m.conf
		rm -f $T/cg$m.sock
		sed -i "s#^socket .*#socket $T/cg$m.sock#" $T/cg$m.conf
	done
	for m in off on; do
		start cg$m valgrind --tool=callgrind --callgrind-out-file=$T/cg.$m
		[ $m = off ] || wait_until -t 120 -m "Starts under callgrind" \
			eval '[ "$(acct_lines Start)" -ge $((2 * N)) ]'
		sleep 15 # ticks to count, not synchronisation
		halt
		read -r c i <<<"$(ticks $T/cg.$m)"
		mkdir -p "$top/build/bench"
		cp $T/cg.$m "$top/build/bench/radius-callgrind.$m"
		eval "cg_$m='$c $i'"
	done
	read -r coff ioff <<<"$cg_off"
	read -r con ion <<<"$cg_on"
	[ "${coff:-0}" -gt 0 ] && [ "${con:-0}" -gt 0 ] ||
		{ echo "radius-bench: no session_tick call counted" >&2; exit 1; }
	echo "session_tick (with acct_tick when on), $N bound contracts, a usage checkpoint every tick, callgrind: $coff ticks off, $con on"
	bench_result radius.instructions_per_tick_off \
		"$(awk -v c=$coff -v i=$ioff 'BEGIN { printf "%.0f", i / c }')" insn/tick
	bench_result radius.instructions_per_tick_on \
		"$(awk -v c=$con -v i=$ion 'BEGIN { printf "%.0f", i / c }')" insn/tick
	bench_result radius.instructions_per_tick_on/off \
		"$(awk -v co=$coff -v io=$ioff -v cn=$con -v in_=$ion \
			'BEGIN { printf "%.2f", (in_ / cn) / (io / co) }')" ratio
else
	echo "radius-bench: valgrind missing: no instruction counts"
fi
