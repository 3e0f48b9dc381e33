#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# SNMP part "walk10k": muispd (kernel no) holding 10,000 contracts,
# muisp-agentx under a private snmpd.  snmpbulkwalk of muispContractTable
# gives every column of every contract exactly once, the values of a few
# rows are those of `muispctl contract list --json`, and an snmpget of one
# row works (the 8-octet IMPLIED index); a walk during which the tables
# are rebuilt and swapped many times (cache-ttl 100 ms) still gives every
# row once.  MUISP_WALK_N changes the count.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/snmp/lib.sh"
snmp_part walk10k
N=${MUISP_WALK_N:-10000}
COLS=17 # muispContractSerial (.2) .. muispContractExpires (.18)
TBL=$MUISP_OID.1.4.1

t0=$(ms_now)
muispd_start "$N"
ok "$N contracts created"
echo "    muispd started and the contracts created in $(($(ms_now) - t0)) ms"

snmpd_start
agentx_conf "cache-ttl 60s"
agentx_start
wait_until -t 10 -m "the subagent answers" answers "$MUISP_OID.1.1.12.0" ||
	fail "muisp-agentx does not answer"

t0=$(ms_now)
swalk "$TBL" >"$T/walk" 2>"$T/walk.err"
echo "    walk of $N rows in $(($(ms_now) - t0)) ms"
expect "walk: $N x $COLS values" $((N * COLS)) "$(grep -c '^\.' "$T/walk")"
# every column has every row once
bad_cols=$(sed -E 's/^\.1\.3\.6\.1\.4\.1\.32473\.1\.1\.4\.1\.([0-9]+)\..*/\1/' "$T/walk" |
	sort -n | uniq -c | awk -v n="$N" '$1 != n { print $2 "=" $1 }' | tr '\n' ' ')
expect "every column has $N rows" "" "$bad_cols"
rows=$(grep -c "^$TBL\.2\." "$T/walk")
uniq_rows=$(grep "^$TBL\.2\." "$T/walk" | cut -d' ' -f1 | sort -u | wc -l)
expect "$N distinct contract indexes" "$rows" "$uniq_rows"

# A few rows against `muispctl contract show ID --json` (contract list
# of 10,000 is more than muispd queues for one reply): id, usage, soft,
# hard, deposit, expiry.
idx() { # serial -> the 8 index sub-identifiers
	local s=$1 i o=''
	for i in 7 6 5 4 3 2 1 0; do o+=".$(((s >> (i * 8)) & 255))"; done
	echo "$o"
}
val() { # column serial -> the walked value
	grep -F "$TBL.$1$(idx "$2") = " "$T/walk" | sed -E 's/^[^=]*= [A-Za-z0-9]+: //; s/^"(.*)"$/\1/'
}
for s in 1 2 $((N / 2)) "$N"; do
	want=$(nsx "$bin/muispctl" --daemon "$T/muispd.sock" --json \
		contract show "$s" 2>/dev/null | jq -r '
		[.id, .usage, .soft, .hard, .deposit, .receipt_expires_s] |
		map(tostring) | join(" ")')
	got="$(val 2 "$s") $(val 7 "$s") $(val 8 "$s") $(val 9 "$s") $(val 10 "$s") $(val 18 "$s")"
	expect "row $s = contract show --json" "$want" "$got"
done
expect "currency" "EUR" "$(val 11 1)"
expect "state unbound (0)" "0" "$(val 3 1)"
expect "kernel status none (0), kernel no" "0" "$(val 4 1)"

# GET of one row: the IMPLIED index answers as GETNEXT found it
s=$((N / 3))
expect "snmpget of contract $s" "\"$s\"" "$(sget "$TBL.2$(idx "$s")")"
v3=$(nsx snmpget "${SNMP_V3[@]}" -Oqvn -t 2 -r 0 "127.0.0.1:$SNMP_PORT" \
	"$TBL.9$(idx "$s")")
expect "snmpget v3 of its hard limit" "$((2000000 + s - 1))" "$v3"
absent=$(sget "$TBL.2$(idx $((N + 5)))")
check "snmpget of an absent contract: noSuchInstance" \
	test "${absent#No Such Instance}" != "$absent"

# The tables rebuilt and swapped many times during one walk (cache-ttl
# 100 ms, the least): the walk still gives every row once.
agentx_stop
before=$(grep -c "cache: $N contracts" "$T/agentx.log")
agentx_conf "cache-ttl 100ms"
agentx_start -v
wait_until -t 10 -m "the subagent answers again" answers "$MUISP_OID.1.1.12.0" ||
	fail "muisp-agentx does not answer after its restart"
swalk "$TBL" >"$T/walk2" 2>>"$T/walk.err"
builds=$(($(grep -c "cache: $N contracts" "$T/agentx.log") - before))
echo "    $builds builds of the tables during the walk"
check "the cache was rebuilt during the walk ($builds times)" test "$builds" -ge 3
expect "walk across swaps: $N x $COLS values" $((N * COLS)) "$(grep -c '^\.' "$T/walk2")"
expect "walk across swaps: every row once" "$rows" \
	"$(grep "^$TBL\.2\." "$T/walk2" | cut -d' ' -f1 | sort -u | wc -l)"

summary
