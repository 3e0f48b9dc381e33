# SPDX-License-Identifier: GPL-2.0
# tests/bench: host microbenchmarks (run by tests/bench/*.sh from scripts/bench.sh)

# flow table: kmod/flow_core.c through the host model
$(eval $(call program,flowtable-bench,tests/bench/flowtable_bench.c tests/bench/ft_model.c kmod/flow_core.c,,noinst))

# RADIUS accounting: records/s through muispd's real spool and sender
# (tests/bench/radius-bench.sh)
$(eval $(call program,radius-bench,tests/bench/radius_bench.c $(MUISPD_CORE_SRCS),$(MUISPD_LIBS),noinst))

# qemu-insn: the QEMU TCG plugin counting guest instructions per vCPU
# between the guest's markers (tests/bench/qemu-insn/), loaded by
# tests/vm/run.sh with MUISP_VM_INSN=1; insn-mark, the guest's side, is a
# static program in build/bin.  `make qemu-insn-check` boots a one-vCPU
# guest that runs a loop of known length and checks the count.
.PHONY: qemu-insn qemu-insn-check
qemu-insn: $(BUILD)/qemu-insn.so $(BUILD)/bin/insn-mark
$(BUILD)/qemu-insn.so: tests/bench/qemu-insn/insn.c tests/bench/qemu-insn/mark.h tests/bench/qemu-insn/qemu-plugin-api.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 -g $(WARNINGS) -fPIC -fvisibility=hidden -shared $(CFLAGS) -o $@ $< -lpthread
NOINST += insn-mark
ALL_PROGRAMS += $(BUILD)/bin/insn-mark
$(BUILD)/bin/insn-mark: tests/bench/qemu-insn/insn-mark.c tests/bench/qemu-insn/mark.h
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -O2 $(WARNINGS) -static $(CFLAGS) -o $@ $<
qemu-insn-check: qemu-insn
	tests/bench/qemu-insn/selftest.sh

# block list and walled garden lookups: kmod/lists_core.c against the
# linear scans it replaced (tests/bench/lists-bench.sh)
$(eval $(call program,lists-bench,tests/bench/lists_bench.c kmod/lists_core.c kmod/gate.c,,noinst))

# contract charge: shared-line locked operations before/after the per-CPU
# quota (kmod/quota.c, #included with an op counter; tests/bench/quota-bench.sh)
$(eval $(call program,quota-bench,tests/bench/quota_bench.c kmod/gate.c,,noinst))

# AH tunnel traffic of many clients for the forwarding benchmark with
# require-tunnel on (tests/vm/bench/insn-tun.sh): the router's SAs, the
# frames (HMAC-SHA-256-128 ICVs) and their sender, run in the guest
$(eval $(call program,ahgen,tests/bench/ahgen.c tests/bench/ah_frames.c,$$(shell $$(PKG_CONFIG) --libs libcrypto),noinst))

# datagrams from one socket as the calling user (tests/vm/bench/uinfo.sh:
# the agent's overhead per packet size, the meter's with and without tags)
$(eval $(call program,udp-send,tests/bench/udp_send.c,,noinst))

# new TCP connections' time, and local UDP request/response as the floor
# of a userspace decision (tests/vm/bench/conn.sh: per-connection billing)
$(eval $(call program,conn-lat,tests/bench/conn_lat.c,,noinst))
