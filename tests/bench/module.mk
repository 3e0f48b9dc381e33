# SPDX-License-Identifier: GPL-2.0
# tests/bench: host microbenchmarks (run by tests/bench/*.sh from scripts/bench.sh)

# flow table: kmod/flow_core.c through the host model
$(eval $(call program,flowtable-bench,tests/bench/flowtable_bench.c tests/bench/ft_model.c kmod/flow_core.c,,noinst))

# RADIUS accounting: records/s through muispd's real spool and sender
# (tests/bench/radius-bench.sh)
$(eval $(call program,radius-bench,tests/bench/radius_bench.c $(MUISPD_CORE_SRCS),$(MUISPD_LIBS),noinst))

# contract charge: shared-line locked operations before/after the per-CPU
# quota (kmod/quota.c, #included with an op counter; tests/bench/quota-bench.sh)
$(eval $(call program,quota-bench,tests/bench/quota_bench.c kmod/gate.c,,noinst))
