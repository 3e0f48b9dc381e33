#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# SNMP part "objects": with the module absent (kernel no), muispd holding
# 3 contracts and a lease database of two pools, every object of
# MUISP-MIB answers: each scalar of muispGlobal, muispFlow and muispIpfix
# (0 for a source that is not there), muispKernelPresent false, every
# drop reason, every column of a contract row and of a pool row, and the
# counter table's rows (the lease database's dhcp_* counters); the whole
# tree reads the same by snmpwalk and snmpbulkwalk, v2c and v3.
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
. "$top/tests/snmp/lib.sh"
snmp_part objects
O=$MUISP_OID.1

muispd_start 3
leasedb_make lan1:leased lan1:offered lan1:quarantine lan1:free lan0:free

snmpd_start
agentx_conf
agentx_start
wait_until -t 10 -m "the subagent answers" answers "$O.1.12.0" ||
	fail "muisp-agentx does not answer"

# The scalars: muispGlobal .1-.14, muispFlow .1-.5, muispIpfix .1-.6
missing=''
for o in $(seq -f "1.%g" 1 14) $(seq -f "3.%g" 1 5) $(seq -f "8.%g" 1 6); do
	answers "$O.$o.0" || missing+=" $o"
done
expect "every scalar answers" "" "$missing"
expect "muispKernelPresent false (2), kernel no" "2" "$(sget "$O.1.13.0")"
expect "muispUpPackets 0 without the module" "0" "$(sget "$O.1.1.0")"
missing=''
for r in $(seq 1 11); do answers "$O.2.1.2.$r" || missing+=" $r"; done
expect "every drop reason answers" "" "$missing"

# A contract row: every column
walk=$(swalk "$O.4")
expect "contract table: 3 rows x 17 columns" 51 "$(grep -c '^\.' <<<"$walk")"
missing=''
for c in $(seq 2 18); do
	answers "$O.4.1.$c.0.0.0.0.0.0.0.2" || missing+=" $c"
done
expect "every column of contract 2 answers (GET)" "" "$missing"

# The pools: muisp-dhcpd's pools table, indexed in its (configuration)
# order, lan1 first although lan0 sorts first
expect "pool 1 is lan1" '"lan1"' "$(sget "$O.6.1.2.1")"
expect "pool 1 lan1: size leased offered quarantined free" "4 1 1 1 1" \
	"$(for c in 3 4 5 6 7; do sget "$O.6.1.$c.1"; done | tr '\n' ' ' | sed 's/ $//')"
expect "pool 2 is lan0, free 1 of 1" '"lan0" 1 1' \
	"$(sget "$O.6.1.2.2") $(sget "$O.6.1.3.2") $(sget "$O.6.1.7.2")"

# The counter table: the lease database's counters, by key
key=dhcp_addrs_leased
sub=".${#key}$(printf '%s' "$key" | od -An -tu1 | tr -s ' \n' '.' | sed 's/\.$//')"
expect "muispCounterValue.\"$key\"" "1" "$(sget "$O.7.1.2$sub")"
check "the counter table walks" test "$(swalk "$O.7" | grep -c '^\.')" -ge 3

# The whole tree by GETNEXT (snmpwalk) and by GETBULK, v2c and v3: the
# same instances in the same order (values such as muispCacheAge move)
oids() { grep '^\.' | cut -d' ' -f1; }
b2=$(swalk "$MUISP_OID" | oids)
check "snmpbulkwalk v2c reads the tree (> 100 instances)" \
	test "$(grep -c . <<<"$b2")" -gt 100
expect "snmpwalk v2c (GETNEXT): the same instances" "$b2" \
	"$(nsx snmpwalk -v2c -c public -On -t 2 -r 0 "127.0.0.1:$SNMP_PORT" \
		"$MUISP_OID" | oids)"
expect "snmpwalk v3 authPriv (GETNEXT): the same instances" "$b2" \
	"$(nsx snmpwalk "${SNMP_V3[@]}" -On -t 2 -r 0 "127.0.0.1:$SNMP_PORT" \
		"$MUISP_OID" | oids)"
expect "snmpbulkwalk v3 authPriv: the same instances" "$b2" \
	"$(swalk3 "$MUISP_OID" | oids)"

summary
