#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 600
#
# Large dumps through muispctl: 100,000 addresses and 1,000 contracts
# created in one `muispctl -b` batch come back from `addr list` /
# `contract list` exactly once each, also while another muispctl
# rebinds an address during the dump (the kernel then flags the dump
# NLM_F_DUMP_INTR and lib/muisp_nl restarts it: the result must still be
# exactly the table, no duplicates, no holes).
. "$MUISP_TOP/tests/vm/lib.sh"

NS=dump-$$
ip netns add $NS
trap 'kill $churn 2>/dev/null || true; ip netns del $NS 2>/dev/null || true' EXIT
churn=
R() { ip netns exec $NS muispctl "$@"; }

N=100000 C=1000
# 10.0.0.0/8: address i is 10.(i>>16).((i>>8)&255).(i&255), bound to
# contract 1 + i % C.
awk -v n=$N -v c=$C 'BEGIN {
	print "config set require-tunnel off"	# bindings without IPsec
	for (k = 1; k <= c; k++)
		printf "contract set %d metric bytes status active\n", k
	for (i = 1; i <= n; i++)
		printf "addr set 10.%d.%d.%d state bound contract %d\n",
			int(i / 65536), int(i / 256) % 256, i % 256, 1 + i % c
}' >"$SCRATCH/batch"
log "creating $N addresses and $C contracts"
R -b "$SCRATCH/batch"

# Rows, distinct addresses and bound ones: "ADDRESS STATE" lines in, the
# three counts out.  (awk, not jq: jq takes ~25 s on 100,000 objects under
# emulation, and both dumps are the same netlink dump.)
counts() {
	awk '{ n++; if (!seen[$1]++) u++; if ($2 == "bound") b++ }
	     END { print n + 0, u + 0, b + 0 }'
}
# the text listing's ADDRESS and STATE columns, found by the header
text_cols() {
	awk 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
	     { print $c["ADDRESS"], $c["STATE"] }'
}
# check NAME: the text dump has exactly the table (count, unique, all bound)
check() {
	R addr list >"$SCRATCH/addrs.txt"
	expect "$1" "$N $N $N" "$(text_cols <"$SCRATCH/addrs.txt" | counts)"
}
R --json addr list >"$SCRATCH/addrs.json"
expect "addr dump (JSON)" "$N $N $N" \
	"$(jq -r '.[] | "\(.addr) \(.state)"' "$SCRATCH/addrs.json" | counts)"
check "addr dump (text)"
expect "addr list (text): header + rows" $((N + 1)) "$(wc -l <"$SCRATCH/addrs.txt")"
R --json contract list >"$SCRATCH/contracts.json"
expect "contract dump: every contract, naddrs sum to $N" "$C $N" \
	"$(jq -r '"\(length) \(map(.naddrs) | add)"' "$SCRATCH/contracts.json")"

# Dump while the table changes: 12 rebinds of one address race the dump
# (each one bumps the table's generation); the dump restarts until it gets
# a consistent pass and must then be exactly the table.  Each change can
# spoil at most one pass, so 12 stay below the client's 16 tries however
# the two processes interleave: the result is deterministic.
awk 'BEGIN { for (i = 0; i < 12; i++)
	printf "addr set 10.0.0.1 state bound contract %d\n", 1 + i % 2 }' \
	>"$SCRATCH/churn"
R -b "$SCRATCH/churn" &
churn=$!
check "addr dump racing 12 changes"
wait $churn || fail "churn batch failed"
churn=
expect "the last rebind (i = 11: contract 2) won" \
	"bound 2" "$(R --json addr show 10.0.0.1 | jq -r '"\(.state) \(.contract)"')"
