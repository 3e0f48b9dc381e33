#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 2400
# qemu-insn: yes
#
# Instructions per forwarded packet with require-tunnel on, the production
# path (docs/PERFORMANCE.md, "Tunnel on (AH)"): insn.sh's count on the
# forwarding vCPU (insn-lib.bash, which has the method), the packets
# arriving through per-client AH tunnels.  ahgen (tests/bench/ahgen.c)
# crafts, in the guest before the first window, TUN_PKTS frames per pass
# from 1,000 clients, each with its own SA (HMAC-SHA-256-128 as the
# product's ah_proposals sha256, tunnel mode, replay window 32, sequence
# numbers advancing over all passes), and replays them from netns "gen" on
# CPU 0 (AF_PACKET, sendmmsg, qdisc bypassed); the router's LAN RPS moves
# receive, XFRM input and forwarding to CPU 1 as with pktgen.
#   a_napt       NAPT, require-tunnel off, pktgen: the baseline of the run
#   a_napt_xfrm  (a') + XFRM: NAPT, the clients' AH SAs and in/fwd/out
#                policies, muisp.ko not loaded
#   b_napt_tun   (b') with require-tunnel on: NAPT, XFRM, muisp with each
#                address bound with its SA (tunnel ah spi, reqid)
# Fails unless every frame was decapsulated by its SA and forwarded, with
# no XFRM error and no drop at the backlogs or by muisp.
#
# MUISP_BENCH_TUN_PKTS (frames per pass, default 20000), MUISP_BENCH_PKTS
# (a_napt's, 100000), MUISP_BENCH_RUNS (3), MUISP_BENCH_CONFIGS (these
# three), MUISP_BENCH_PROFILE (1; 0: no profile).  Not held
# (MUISP_BENCH_HOLD): ahgen's frames cannot be, and the ratios compare
# a_napt with the tunnel configurations, so a_napt is not held either.
INSN_CONFIGS="a_napt a_napt_xfrm b_napt_tun"
INSN_UNHELD=1
. "$MUISP_TOP/tests/vm/bench/insn-lib.bash"
