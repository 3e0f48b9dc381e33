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
assert_eq 5 "$rx" "echo replies within a 10-packet hard limit"
assert_eq "10 10 extinguished" "$(cfields 2 used up_packets down_packets status | awk '{print $1, $2+$3, $4}')" \
	"used, packets, status after the hard limit"
assert_eq 3 "$(delta "$snap" drop_hard_limit)" "requests dropped after the hard limit"
wait_until 5 grep -q hard-limit $SCRATCH/ev
assert_eq "2 10 10 extinguished" \
	"$(events $SCRATCH/ev hard-limit "contract used limit status")" \
	"hard-limit event"
assert_eq "192.0.2.10 none bound 2" \
	"$(events $SCRATCH/ev addr-state "addr old_state new_state contract" | head -1)" \
	"address state event"
! ctl contract set 2 status active 2>/dev/null || fail "reactivated beyond the hard limit"

# --- hard limit, bytes: 1000 bytes, 128-byte packets ------------------------
# request 1..4 and reply 1..3 fit (7 x 128 = 896); reply 4 would overshoot
ctl contract set 3 metric bytes hard 1000 status active
bind_addr $ALICE4 3
stats_snapshot >"$snap"
rx=$(ping_rx alice -c 6 -i 0.2 -W 1 -s 100 $INET4 || true)
assert_eq 3 "$rx" "echo replies within a 1000-byte hard limit"
assert_eq "896 512 384 extinguished" "$(cfields 3 used up_bytes down_bytes status)" \
	"byte counters stop below the hard limit"
assert_eq 3 "$(delta "$snap" drop_hard_limit)" "reply 4 and requests 5, 6 dropped"

# --- soft limit -> delinquent -> extend -> active ----------------------------
ctl contract set 4 metric packets soft 4 hard 100 status active
bind_addr $BOB4 4
stats_snapshot >"$snap"
rx=$(ping_rx bob -c 4 -i 0.2 -W 1 $INET4 || true)
assert_eq 2 "$rx" "echo replies up to the soft limit"
assert_eq "4 delinquent" "$(cfields 4 used status)" "delinquent at the soft limit"
assert_eq 2 "$(delta "$snap" drop_delinquent)" "requests dropped while delinquent"
wait_until 5 grep -q soft-limit $SCRATCH/ev
assert_eq "4 4 4 delinquent" \
	"$(events $SCRATCH/ev soft-limit "contract used limit status")" \
	"soft-limit event"
! ctl contract set 4 status active 2>/dev/null || fail "active again without an extend"
assert_eq delinquent "$(cfield 4 status)" "refused extend changed nothing"
ctl contract set 4 soft 20 status active
assert_eq active "$(cfield 4 status)" "extended"
rx=$(ping_rx bob -c 2 -i 0.2 -W 1 $INET4)
assert_eq 2 "$rx" "bob forwards again after the extend"
assert_eq 8 "$(cfield 4 used)" "usage continues after the extend"

# --- elapsed time only while active -----------------------------------------
ctl contract set 5 metric elapsed-time
assert_eq "suspended 0" "$(cfields 5 status elapsed_ms)" "new contract is suspended"
sleep 1.2	# time passing is what is measured here
assert_eq 0 "$(cfield 5 elapsed_ms)" "suspended contract charged no time"
ctl contract set 5 status active
sleep 1.2
ctl contract set 5 status suspended
e1=$(cfield 5 elapsed_ms)
[ "$e1" -ge 1000 ] && [ "$e1" -lt 60000 ] || fail "elapsed while active: $e1"
sleep 1.2
assert_eq "$e1" "$(cfield 5 elapsed_ms)" "no time charged while suspended"

# --- usage time: gaps between packets shorter than the usage gap ------------
ctl config set usage-gap 1s
ctl contract set 8 metric usage-time status active
bind_addr $BOB4 8
assert_eq 3 "$(ping_rx bob -c 3 -i 0.5 -W 2 $INET4)" "usage-time contract forwards"
read -r used usage <<<"$(cfields 8 used usage_ms)"
assert_eq "$usage" "$used" "usage time is the metric"
# two 0.5 s gaps between the requests, plus the request->reply gaps
[ "$usage" -ge 900 ] && [ "$usage" -le 1500 ] || fail "usage time $usage ms for 3 pings 0.5 s apart"
sleep 1.5	# idle longer than the usage gap: not charged
assert_eq 1 "$(ping_rx bob -c 1 -W 2 $INET4)" "one more ping"
u2=$(cfield 8 usage_ms)
[ $((u2 - usage)) -le 400 ] || fail "an idle gap was charged: $usage -> $u2"

# --- elapsed-time hard limit and expiry act without traffic -----------------
ctl contract set 6 metric elapsed-time hard 1500ms status active
ctl contract set 7 metric bytes expires +2s status active
wait_for 10 'test "$(cfield 6 status)" = extinguished'
wait_for 10 'test "$(cfield 7 status)" = extinguished'
wait_until 5 grep -q expired $SCRATCH/ev
assert_eq 7 "$(events $SCRATCH/ev expired contract)" "expiry event"
assert_eq "2
3
6" "$(events $SCRATCH/ev hard-limit contract)" "hard-limit events"
bind_addr $ALICE4 7
stats_snapshot >"$snap"
! on alice ping -c 1 -W 1 $INET4 >/dev/null || fail "expired contract forwarded"
assert_eq 1 "$(delta "$snap" drop_expired)" "drop counted as expired"
log "limits ok"
