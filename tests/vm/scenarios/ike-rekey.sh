#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 480
#
# A short CHILD_SA lifetime (rekey after 20 s): the router rekeys alice's
# AH SA while a TCP transfer from alice to the internet host runs; the
# watcher reports "rekeyed" with the same reqid and a new inbound SPI, the
# kernel holds the new SA under that reqid, and the transfer completes
# with every byte.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/ike/ike-lib.sh"
ike_scenario --watch --router "--life 90 --rekey 20"
W=$IKE_WATCH
ike_initiate
ike_wait_up
reqid=$IKE_REQID spi=$IKE_SPI
log "up: reqid $reqid spi_in $spi"

# 400 x 1000 bytes, one every 0.1 s (bash builtins only: no process per
# chunk), so the transfer spans the rekey
slow_writer() {
	local i
	mkfifo "$SCRATCH/tick"
	exec 3<>"$SCRATCH/tick"	# never written: read -t is a timer
	for ((i = 0; i < 400; i++)); do
		printf '%01000d' 0
		read -r -t 0.1 -u 3 || true
	done
}
on inet socat -u TCP-LISTEN:5001,reuseaddr CREATE:"$SCRATCH/rx" &
wait_until -t 10 on inet sh -c 'ss -lnt | grep -q ":5001 "'
slow_writer | on alice socat -u STDIN TCP:$INET4:5001 &
tx=$!
wait_until -t 120 grep -q "^rekey addr $ALICE4 " "$W"
kill -0 $tx 2>/dev/null || fail "transfer ended before the rekey"
rk=$(grep "^rekey addr $ALICE4 " "$W" | head -1)
log "watch: $rk"
expect "reqid across the rekey" \
	"$reqid -> $reqid" "$(echo "$rk" | sed -n 's/.* reqid \([0-9]* -> [0-9]*\) .*/\1/p')"
new=$(echo "$rk" | sed -n 's/.* spi_in 0x[0-9a-f]* -> \(0x[0-9a-f]*\) .*/\1/p')
old=$(echo "$rk" | sed -n 's/.* spi_in \(0x[0-9a-f]*\) -> .*/\1/p')
expect "old SPI is the one that came up" "$spi" "$old"
[ -n "$new" ] && [ "$new" != "$spi" ] || fail "no new inbound SPI: $rk"
case "$(ike_xstate router "$new" ah)" in
*"src $ALICE4 dst $ROUTER_LAN4 proto ah spi $new reqid $reqid mode tunnel"*) ;;
*) fail "kernel has no AH SA $new with reqid $reqid" ;;
esac
wait $tx || fail "TCP transfer failed across the rekey"
wait_until -t 30 ike_size_is "$SCRATCH/rx" 400000
expect "bytes received across the rekey" 400000 "$(stat -c %s "$SCRATCH/rx")"
expect "up events (a rekey is no new SA)" 1 "$(grep -c "^up " "$W")"
expect "down events" 0 "$(grep -c "^down " "$W")"
