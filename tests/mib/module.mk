# SPDX-License-Identifier: GPL-2.0
# tests/mib: MUISP-MIB's checks (tests/mib/run.sh: smilint with the stubs
# of tests/mib/stubs, and the MIB against lib/stats_defs.c through
# mib-catdump).  `make check` runs it with the other host suites;
# `make check-mib` runs it alone.
$(eval $(call program,mib-catdump,tests/mib/catdump.c lib/stats_defs.c,,noinst))

.PHONY: check-mib
check-mib: $(BUILD)/bin/mib-catdump
	tests/mib/run.sh
