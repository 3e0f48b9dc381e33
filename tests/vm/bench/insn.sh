#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 2400
# qemu-insn: yes
#
# Instructions per forwarded packet (docs/PERFORMANCE.md, "Instructions per
# forwarded packet"), counted by the TCG plugin tests/bench/qemu-insn/ on
# the forwarding vCPU, with require-tunnel off: pktgen's 60-byte UDP
# packets from 1,000 sources x 10 ports through the router to a dummy WAN
# device, in five configurations (insn-lib.bash, which has the method):
#   a       plain forwarding, muisp.ko not loaded
#   a_napt  NAPT: conntrack + masquerade (nat/muisp-nat.nft, as shipped)
#   b       muisp.ko, the 1,000 addresses bound to 1,000 active contracts
#   b_napt  NAPT + muisp (the deployment)
#   c       nftables doing muisp's job: a set of the paid addresses with
#           per-element counters, conntrack with accounting
# The same 10,000 flows from 10 or 10,000 sources (b_c10, b_c10k: 10 or
# 10,000 bound contracts; a_c10, a_c10k) and the tunnel-on configurations
# (AH, XFRM; insn-tun.sh's) can be chosen here with MUISP_BENCH_CONFIGS.
#
# MUISP_BENCH_PKTS (default 100000), MUISP_BENCH_RUNS (3),
# MUISP_BENCH_CONFIGS (these five), MUISP_BENCH_PROFILE (1; 0: no profile;
# runs: every run's busy window profiled, insn-profile.CFG.RUN).
INSN_CONFIGS="a a_napt b b_napt c"
. "$MUISP_TOP/tests/vm/bench/insn-lib.bash"
