#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# MUISP-MIB's host suite (no root, no network): the MIB is clean SMIv2 and
# agrees with the catalogue of named counters (lib/stats_defs.c) and with
# the module's drop reasons (include/uapi/muisp.h).
#   lint       smilint -l 3 and -l 6 print nothing (smilint exits 0 even
#              on errors, so any output fails), with the stub IETF
#              modules of tests/mib/stubs (Debian ships none; README)
#   catalogue  every stats_defs[] entry's mib_name is in the MIB at
#              muispObjects.GROUP.ARC with its type (Counter64, Gauge32);
#              group 2 entries are muispDropReason's labels = values;
#              every named scalar of muispGlobal, muispFlow and muispIpfix
#              is a catalogue entry (or one of the agent's own three)
#   drops      muispDropReason = enum muisp_drop_reason: same values, the
#              label the camel case of the C name, every reason present,
#              its key drop_<name in lower case>
#   keys       catalogue keys, MIB names and arcs unique; keys fit the
#              muispCounterName index (1..63 of [a-z0-9_])
# The MIB side comes from smidump (identifiers: name and OID; mosy: SMI
# type and enumerations), the C side from build/bin/mib-catdump.
#
# Usage: tests/mib/run.sh          (`make` first, or `make check-mib`)
# Env:   MUISP_BIN (default build/bin), MUISP_MIB (default
#        mibs/MUISP-MIB.txt: check another copy), KEEP=1 keeps the temp dir.
# Prints one line per check and "mib: N passed, N failed"; exit 0 iff all
# passed (tests/lib/check.sh).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/check.sh"
CHECK_SUITE=mib
cd "$top" || exit 1
mib=$(realpath -m "${MUISP_MIB:-mibs/MUISP-MIB.txt}")
catdump=$(realpath -m "${MUISP_BIN:-build/bin}/mib-catdump")
uapi=include/uapi/muisp.h
export SMIPATH=$top/tests/mib/stubs
root=1.3.6.1.4.1.32473.1
objects=$root.1

if ! command -v smilint >/dev/null || ! command -v smidump >/dev/null; then
	fail "needs smilint and smidump (package smitools; scripts/deps.sh)"
fi
[ -r "$mib" ] || fail "no MIB $mib"
[ -x "$catdump" ] || fail "needs $catdump (make, or make check-mib)"

T=$(mktemp -d /tmp/muisp-mib.XXXXXX)
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then
		echo "mib: files kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT

# ---- lint ----
# The one warning left out at -l 6 is node-implicit: "::= { enterprises
# 32473 1 }" leaves the enterprise's own node 32473 undefined, as it must
# (it is the PEN's registrant's, and MODULE-IDENTITY has to come first).
for level in 3 6; do
	out=$(smilint -l $level -s -m -i node-implicit "$mib" 2>&1)
	if [ -z "$out" ]; then
		ok "smilint -l $level prints nothing"
	else
		bad "smilint -l $level prints nothing" "$(printf '\n%s' "$out")"
	fi
done

# ---- the MIB as smidump sees it ----
# dump FORMAT: smidump -f FORMAT into $T/FORMAT, a check that it said
# nothing on stderr
dump() {
	if smidump -f "$1" "$mib" >"$T/$1" 2>"$T/$1.err" &&
		[ ! -s "$T/$1.err" ]; then
		ok "smidump -f $1"
	else
		bad "smidump -f $1" "$(cat "$T/$1.err")"
	fi
}
# ids: NAME KIND OID (scalar, column, notification, ...)
dump identifiers
awk '$1 == "MUISP-MIB" && NF == 4 { print $2, $3, $4 }' "$T/identifiers" \
	>"$T/ids"
# types: NAME TYPE of every OBJECT-TYPE; enums: LABEL VALUE of
# muispDropReason
dump mosy
awk '$1 !~ /^(%|--)/ && NF == 5 { print $1, $3 }' "$T/mosy" >"$T/types"
awk '$1 == "%ev" && $2 == "muispDropReason" { print $3, $4 }' "$T/mosy" \
	>"$T/enum"
if [ ! -s "$T/ids" ] || [ ! -s "$T/types" ] || [ ! -s "$T/enum" ]; then
	fail "smidump gave no identifiers, types or muispDropReason values"
fi

oid_of() { awk -v n="$1" '$1 == n { print $3 }' "$T/ids"; }
kind_of() { awk -v n="$1" '$1 == n { print $2 }' "$T/ids"; }
type_of() { awk -v n="$1" '$1 == n { print $2 }' "$T/types"; }
# lines to one line of words
words() { paste -sd' ' -; }
enum_of() { awk -v n="$1" '$1 == n { print $2 }' "$T/enum"; }

# ---- the catalogue ----
if "$catdump" >"$T/cat" 2>"$T/cat.err"; then
	ok "mib-catdump"
else
	fail "mib-catdump" "$(cat "$T/cat.err")"
fi
awk -F'\t' '$1 == "def" { print $2, $3, $4, $5, $6 }' "$T/cat" >"$T/defs"
drop_max=$(awk -F'\t' '$1 == "drop_max" { print $2 }' "$T/cat")
if [ ! -s "$T/defs" ] || [ -z "$drop_max" ]; then
	fail "mib-catdump printed nothing"
fi

while read -r key name group arc type; do
	case $group in
	1 | 3 | 8)
		want="scalar $objects.$group.$arc $type"
		got="$(kind_of "$name") $(oid_of "$name") $(type_of "$name")"
		expect "catalogue $key: $name" "$want" "$got"
		;;
	2)
		# a drop reason: a label of the table's index, its counter
		# the table's one Counter64 column
		expect "catalogue $key: muispDropReason $name($arc) $type" \
			"$arc Counter64" "$(enum_of "$name") $type"
		;;
	*)
		bad "catalogue $key: $name" "group $group is not a named group"
		;;
	esac
done <"$T/defs"
expect "muispDropPackets is the drop table's Counter64 column" \
	"column $objects.2.1.2 Counter64" \
	"$(kind_of muispDropPackets) $(oid_of muispDropPackets) $(type_of muispDropPackets)"

# Named scalars of the catalogue's groups without an entry: only the agent's
# own (cache age, kernel present, source errors).
re="^${objects//./\\.}\\.(1|3|8)\\.[0-9]+\$"
extra=$(awk -v re="$re" '$2 == "scalar" && $3 ~ re { print $1 }' "$T/ids" |
	sort | comm -23 - <(awk '{ print $2 }' "$T/defs" | sort) | words)
expect "named scalars without a catalogue entry: the agent's own" \
	"muispCacheAge muispKernelPresent muispSourceErrors" "$extra"
# Every muispDropReason label is a catalogue entry of group 2.
extra=$(awk '{ print $1 }' "$T/enum" | sort |
	comm -23 - <(awk '$3 == 2 { print $2 }' "$T/defs" | sort) | words)
expect "every muispDropReason label is in the catalogue" "" "$extra"

# ---- drops: the MIB's enumeration = the module's enum ----
awk '/^enum muisp_drop_reason \{/ { f = 1; next }
	f && /^\};/ { exit }
	f && $1 ~ /^MUISP_DROP_[A-Z_]+,?$/ {
		if ($0 ~ /=/) { print "EXPLICIT"; exit }
		sub(/,$/, "", $1); print $1
	}' "$uapi" >"$T/kenum"
grep -q EXPLICIT "$T/kenum" &&
	fail "enum muisp_drop_reason has explicit values: teach run.sh"
expect "enum muisp_drop_reason: first UNSPEC, last MUISP_DROP_MAX" \
	"MUISP_DROP_UNSPEC $drop_max" \
	"$(head -1 "$T/kenum") $(($(wc -l <"$T/kenum") - 1))"
v=0
while read -r c; do
	if [ "$v" -gt 0 ]; then
		n=${c#MUISP_DROP_}
		label=$(awk -v s="$n" 'BEGIN {
			k = split(tolower(s), w, "_"); o = w[1]
			for (i = 2; i <= k; i++)
				o = o toupper(substr(w[i], 1, 1)) substr(w[i], 2)
			print o }')
		key=drop_${n,,}
		# the MIB's label of value v; the catalogue's entry of the key
		mlabel=$(awk -v v="$v" '$2 == v { print $1 }' "$T/enum")
		centry=$(awk -v k="$key" '$1 == k { print $2, $3, $4 }' "$T/defs")
		expect "drop $c = $v: muispDropReason $label, key $key" \
			"$label $label 2 $v" "$mlabel $centry"
	fi
	v=$((v + 1))
done <"$T/kenum"
expect "muispDropReason has one label per reason" \
	"$drop_max" "$(wc -l <"$T/enum")"

# ---- keys ----
dups() { sort | uniq -d | tr '\n' ' '; }
expect "catalogue keys unique" "" "$(awk '{ print $1 }' "$T/defs" | dups)"
expect "catalogue MIB names unique" "" "$(awk '{ print $2 }' "$T/defs" | dups)"
expect "catalogue arcs unique" "" "$(awk '{ print $3 "." $4 }' "$T/defs" | dups)"
expect "catalogue keys fit muispCounterName (1..63 of [a-z0-9_])" "" \
	"$(awk '$1 !~ /^[a-z0-9_]+$/ || length($1) > 63 { print $1 }' "$T/defs")"
expect "muispCounterName is OCTET STRING (SIZE (1..63))" \
	'OCTET STRING (SIZE (1..63))' \
	"$(awk '/^muispCounterName OBJECT-TYPE/ { f = 1 }
		f && /SYNTAX/ { sub(/^ *SYNTAX */, ""); print; exit }' "$mib")"

summary
