#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 300
#
# Contract limits enforced in the kernel (seed section 7):
#  - a hard limit cuts at the next packet, exactly (packets and bytes);
#  - the soft limit makes the contract delinquent (event), an extend makes
#    it active again;
#  - elapsed time is charged only while active (suspended: not a single
#    millisecond), and an elapsed-time hard limit or an expiry takes
#    effect without traffic, with its event.
. "$MUISP_TOP/tests/vm/lib.sh"
. "$MUISP_TOP/tests/vm/scenarios/dp-lib.bash"
topo_up
gate_up

# --- hard limit, packets: 10 packets = 5 echo request/reply pairs ----------
monitor_start $SCRATCH/ev events
ctl contract set 2 metric packets hard 10 status active
bind_addr $ALICE4 2
snap=$SCRATCH/s0
stats_snapshot >"$snap"
rx=$(ping_rx alice -c 8 -i 0.2 -W 1 $INET4 || true)
expect "echo replies within a 10-packet hard limit" 5 "$rx"
expect "used, packets, status after the hard limit" \
	"10 10 extinguished" "$(cfields 2 used up_packets down_packets status | awk '{print $1, $2+$3, $4}')"
expect "requests dropped after the hard limit" 3 "$(delta "$snap" drop_hard_limit)"
wait_until -t 5 grep -q hard-limit $SCRATCH/ev
expect "hard-limit event" "2 10 10 extinguished" \
	"$(events $SCRATCH/ev hard-limit "contract used limit status")"
expect "address state event" "192.0.2.10 none bound 2" \
	"$(events $SCRATCH/ev addr-state "addr old_state new_state contract" | head -1)"
! ctl contract set 2 status active 2>/dev/null || fail "reactivated beyond the hard limit"

# --- hard limit, bytes: 1000 bytes, 128-byte packets ------------------------
# request 1..4 and reply 1..3 fit (7 x 128 = 896); reply 4 would overshoot
ctl contract set 3 metric bytes hard 1000 status active
bind_addr $ALICE4 3
stats_snapshot >"$snap"
rx=$(ping_rx alice -c 6 -i 0.2 -W 1 -s 100 $INET4 || true)
expect "echo replies within a 1000-byte hard limit" 3 "$rx"
expect "byte counters stop below the hard limit" \
	"896 512 384 extinguished" "$(cfields 3 used up_bytes down_bytes status)"
expect "reply 4 and requests 5, 6 dropped" 3 "$(delta "$snap" drop_hard_limit)"

# --- soft limit -> delinquent -> extend -> active ----------------------------
ctl contract set 4 metric packets soft 4 hard 100 status active
bind_addr $BOB4 4
stats_snapshot >"$snap"
rx=$(ping_rx bob -c 4 -i 0.2 -W 1 $INET4 || true)
expect "echo replies up to the soft limit" 2 "$rx"
expect "delinquent at the soft limit" "4 delinquent" "$(cfields 4 used status)"
expect "requests dropped while delinquent" 2 "$(delta "$snap" drop_delinquent)"
wait_until -t 5 grep -q soft-limit $SCRATCH/ev
expect "soft-limit event" "4 4 4 delinquent" \
	"$(events $SCRATCH/ev soft-limit "contract used limit status")"
! ctl contract set 4 status active 2>/dev/null || fail "active again without an extend"
expect "refused extend changed nothing" delinquent "$(cfield 4 status)"
ctl contract set 4 soft 20 status active
expect "extended" active "$(cfield 4 status)"
rx=$(ping_rx bob -c 2 -i 0.2 -W 1 $INET4)
expect "bob forwards again after the extend" 2 "$rx"
expect "usage continues after the extend" 8 "$(cfield 4 used)"

# --- elapsed time only while active -----------------------------------------
ctl contract set 5 metric elapsed-time
expect "new contract is suspended" "suspended 0" "$(cfields 5 status elapsed_ms)"
sleep 1.2	# time passing is what is measured here
expect "suspended contract charged no time" 0 "$(cfield 5 elapsed_ms)"
ctl contract set 5 status active
sleep 1.2
ctl contract set 5 status suspended
e1=$(cfield 5 elapsed_ms)
[ "$e1" -ge 1000 ] && [ "$e1" -lt 60000 ] || fail "elapsed while active: $e1"
sleep 1.2
expect "no time charged while suspended" "$e1" "$(cfield 5 elapsed_ms)"

# --- usage time: gaps between packets shorter than the usage gap ------------
ctl config set usage-gap 1s
ctl contract set 8 metric usage-time status active
bind_addr $BOB4 8
expect "usage-time contract forwards" 3 "$(ping_rx bob -c 3 -i 0.5 -W 2 $INET4)"
read -r used usage <<<"$(cfields 8 used usage_ms)"
expect "usage time is the metric" "$usage" "$used"
# two 0.5 s gaps between the requests, plus the request->reply gaps
[ "$usage" -ge 900 ] && [ "$usage" -le 1500 ] || fail "usage time $usage ms for 3 pings 0.5 s apart"
sleep 1.5	# idle longer than the usage gap: not charged
expect "one more ping" 1 "$(ping_rx bob -c 1 -W 2 $INET4)"
u2=$(cfield 8 usage_ms)
[ $((u2 - usage)) -le 400 ] || fail "an idle gap was charged: $usage -> $u2"

# --- elapsed-time hard limit and expiry act without traffic -----------------
ctl contract set 6 metric elapsed-time hard 1500ms status active
ctl contract set 7 metric bytes expires +2s status active
wait_until -t 10 eval 'test "$(cfield 6 status)" = extinguished'
wait_until -t 10 eval 'test "$(cfield 7 status)" = extinguished'
wait_until -t 5 grep -q expired $SCRATCH/ev
expect "expiry event" 7 "$(events $SCRATCH/ev expired contract)"
expect "hard-limit events" "2
3
6" "$(events $SCRATCH/ev hard-limit contract)"
bind_addr $ALICE4 7
stats_snapshot >"$snap"
! on alice ping -c 1 -W 1 $INET4 >/dev/null || fail "expired contract forwarded"
expect "drop counted as expired" 1 "$(delta "$snap" drop_expired)"
log "limits ok"
