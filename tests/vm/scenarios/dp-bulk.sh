#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 400
#
# Dumps of 100k entries resume correctly across messages: 100,000
# addresses are set (batched requests), a raw dump returns each id exactly
# once and in order over many buffers, a change in the middle of a dump is
# flagged NLM_F_DUMP_INTR, and muispctl (which retries such dumps) lists
# them all.  Deleting the namespace with them in place frees everything.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up
N=100000
on router env MUISP_TOP="$MUISP_TOP" /usr/bin/python3 \
	"$MUISP_TOP/tests/vm/scenarios/dp-nlbad.py" bulk $N >$SCRATCH/bulk.out 2>&1 ||
	{ cat $SCRATCH/bulk.out; fail "bulk dump"; }
cat $SCRATCH/bulk.out
expect "addresses in the table" $((N + 1)) "$(stat addrs)"
expect "muispctl lists every address" $((N + 1)) "$(jctl addr list | jq length)"
expect "entry 99999 listed once" \
	1 "$(jctl addr list | jq '[.[] | select(.addr == "100.65.134.159")] | length')"
log "bulk ok"
