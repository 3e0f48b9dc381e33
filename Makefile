# SPDX-License-Identifier: GPL-2.0
#
# muisp top-level build.
#
# The kernel module is built by Kbuild (see Kbuild and kmod/Kbuild) against
# the headers of $(KVER).  Userspace is one non-recursive make: every
# directory adds its programs, unit tests, fuzz targets, man pages, units and
# configs through a module.mk fragment, using the macros defined below.
#
#   make            userspace + module
#   make kmod MUISP_DEBUG=1   the module with its self-tests (run at load)
#   make check      dependencies, unit tests (ASan+UBSan), short fuzz runs,
#                   the VM suite (and a subset on the other kernel lines),
#                   the harness self-test (stages: scripts/check.sh)
#   make check-vm KVER=...   the whole VM suite on one kernel line
#   make sparse     sparse (C=2) on the module, every installed kernel line
#   make demo       the walk-in, told and checked step by step in the VM
#   make bench      benchmarks (ratios within one run)
#   make fuzz-long  every fuzz target to FUZZ_RUNS (10^7) executions (hours)
#   make soak       1,000 walk-ins while an attacker floods (root, <= 20 min)
#   make install    DESTDIR-aware install (PREFIX, default /usr/local)
#   make deb        Debian packages muisp, muisp-client, muisp-dkms in build/deb/
#                   (make deb-lint: lintian on them)
#   make nlspec     regenerate the uAPI files from include/uapi/muisp.yaml
#                   (check-nlspec: fail if the committed ones differ)

BUILD    ?= build
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
BINDIR   ?= $(PREFIX)/bin
MANDIR   ?= $(PREFIX)/share/man
DATADIR  ?= $(PREFIX)/share/muisp
SYSCONFDIR ?= /etc
UNITDIR  ?= /lib/systemd/system
# net-snmp's MIB directory (not under PREFIX: Debian's net-snmp does not
# look in /usr/local)
MIBDIR   ?= /usr/share/snmp/mibs
DESTDIR  ?=

# Kernel line under test: newest installed headers unless KVER is given.
# Scripts get --kver only when the user chose one (a fresh machine has no
# kernel installed until scripts/deps.sh ran, after this file was read).
KVER_ARG := $(if $(filter command line environment,$(origin KVER)),--kver $(KVER))
KVER     ?= $(shell scripts/kver.sh)
KDIR     ?= /lib/modules/$(KVER)/build

CC       ?= cc
CLANG    ?= clang
PKG_CONFIG ?= pkg-config

WARNINGS := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	    -Wmissing-declarations -Wshadow -Wpointer-arith -Wcast-qual \
	    -Wsign-compare -Wformat=2 -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Ilib
REL_CFLAGS := -std=gnu11 -O2 -g $(WARNINGS) -fstack-protector-strong \
	      -D_FORTIFY_SOURCE=3 -fPIE $(CFLAGS)
REL_LDFLAGS := -pie -Wl,-z,relro,-z,now $(LDFLAGS)
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
       -fno-omit-frame-pointer
SAN_CFLAGS := -std=gnu11 -O1 -g $(WARNINGS) $(SAN) -DMUISP_TESTING $(CFLAGS)
SAN_LDFLAGS := $(SAN) $(LDFLAGS)
FUZZ_CFLAGS := -std=gnu11 -O1 -g -fsanitize=fuzzer,address,undefined \
	       -DMUISP_TESTING -DMUISP_FUZZING -Wall -Wextra -Werror \
	       -Wno-unused-parameter

# Tests name the sources they test by their path from the top of the tree
# ("kmod/gate.h", "daemon/dhcpd/pool.h"); pure logic in kmod/ is compiled
# for the host with kmod/portable.h standing in for the kernel headers.
UNIT_CPPFLAGS := -I.

BINS :=
SBINS :=
NOINST :=
UNIT_TESTS :=
FUZZERS :=
MAN1 :=
MAN5 :=
MAN8 :=
UNITS :=
CONFS :=
DATA :=
SNMP_MIBS :=

# $(call program,NAME,SOURCES,LDLIBS[,sbin|noinst])
#   build/bin/NAME (hardened) and build/san/bin/NAME (sanitizers); installed
#   to SBINDIR with "sbin", not at all with "noinst" (test and bench tools).
define program
$(if $(filter sbin,$(4)),SBINS,$(if $(filter noinst,$(4)),NOINST,BINS)) += $(1)
ALL_PROGRAMS += $(BUILD)/bin/$(1)
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/rel/%.o,$(2))
	@mkdir -p $$(@D)
	$$(CC) $$(REL_LDFLAGS) -o $$@ $$^ $(3)
$(BUILD)/san/bin/$(1): $(patsubst %.c,$(BUILD)/san/%.o,$(2))
	@mkdir -p $$(@D)
	$$(CC) $$(SAN_LDFLAGS) -o $$@ $$^ $(3)
endef

# $(call unit_test,NAME,SOURCES,LDLIBS)
#   cmocka test built with ASan+UBSan; run by `make check-unit`.
define unit_test
UNIT_TESTS += $(BUILD)/san/tests/$(1)
$(BUILD)/san/tests/$(1): $(patsubst %.c,$(BUILD)/san/%.o,$(2))
	@mkdir -p $$(@D)
	$$(CC) $$(SAN_LDFLAGS) -o $$@ $$^ $(3) $$(CMOCKA_LIBS)
endef

# $(call fuzz_target,NAME,SOURCES,LDLIBS)
#   libFuzzer target; `make check-fuzz` runs each briefly on its corpus.
define fuzz_target
FUZZERS += $(BUILD)/fuzz/$(1)
$(BUILD)/fuzz/$(1): $(2)
	@mkdir -p $$(@D)
	$$(CLANG) $$(CPPFLAGS) $$(UNIT_CPPFLAGS) $$(FUZZ_CFLAGS) -o $$@ $$^ $(3)
endef

CMOCKA_LIBS = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)

.PHONY: all userspace kmod kmod-selftest check check-unit check-fuzz \
	check-vm check-style check-nlspec nlspec format format-check bench demo \
	fuzz-long soak install install-userspace install-kmod install-dkms deb deb-lint \
	clean deps

all: userspace kmod

-include lib/module.mk
-include $(sort $(wildcard daemon/*/module.mk))
-include $(sort $(wildcard tools/*/module.mk))
-include $(sort $(wildcard tests/*/module.mk))
-include nat/module.mk
-include mibs/module.mk

userspace: $(ALL_PROGRAMS)

$(BUILD)/rel/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(REL_CFLAGS) -MMD -MP -c -o $@ $<

# Test and bench programs built with userspace find what they test the same
# way as unit tests do.
$(BUILD)/rel/tests/%.o: CPPFLAGS += $(UNIT_CPPFLAGS)

$(BUILD)/san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(UNIT_CPPFLAGS) $(SAN_CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD)/rel $(BUILD)/san -name '*.d' 2>/dev/null)

# The module: W=1, and any compiler warning fails the build.
kmod:
	@test -d "$(KDIR)" || { echo "kernel headers for '$(KVER)' not found" \
		"(run scripts/deps.sh or set KVER)" >&2; exit 1; }
	@log=$$(mktemp); \
		$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules 2>&1 | tee $$log; \
		st=$${PIPESTATUS[0]}; \
		if grep -q 'warning:' $$log; then \
			echo "kmod: compiler warnings are errors" >&2; st=1; fi; \
		rm -f $$log; exit $$st

# $(call kmod_apart,DIR[,VAR=value...]): the module for $(KVER) built from a
# copy of the tree in DIR (scripts/kmod-build.sh), kmod/ left alone.
kmod_apart = scripts/kmod-build.sh $(1) $(KVER) $(2) || \
	{ grep -E 'error|warning' $(1)/build.log >&2; exit 1; }

# The module with its self-tests (kmod/selftest/, run at load), built apart
# in build/kmod-selftest/KVER/ for the VM scenario ft-selftest.
kmod-selftest:
	+@$(call kmod_apart,$(BUILD)/kmod-selftest/$(KVER),MUISP_DEBUG=1)

# Static analysis of the module on every installed kernel line (C=2).
.PHONY: sparse
sparse:
	scripts/sparse.sh

SHELL := /bin/bash

deps:
	scripts/deps.sh

check:
	scripts/deps.sh
	scripts/check.sh

check-unit: $(UNIT_TESTS)
	scripts/run-unit.sh $(UNIT_TESTS)

check-fuzz: $(FUZZERS)
	scripts/run-fuzz.sh $(FUZZERS)

# Outside `make check`: long fuzzing (scripts/fuzz-long.sh; FUZZ_RUNS,
# FUZZ_JOBS, FUZZ_TARGETS).
fuzz-long: $(FUZZERS)
	scripts/fuzz-long.sh $(FUZZERS)

# Outside `make check`: the soak on the host (tests/soak/run.sh; SOAK_*).
soak: userspace
	tests/soak/run.sh

# The whole VM suite on one kernel line (KVER=..., default scripts/kver.sh):
# the default line loads kmod/muisp.ko; another line's module is built apart
# in build/kmod-KVER/ (as scripts/kmod-lines.sh does), so that kmod/ stays
# built for the default line.
check-vm: userspace kmod-selftest
	+@if [ "$(KVER)" = "$$(KVER= scripts/kver.sh)" ]; then \
		$(MAKE) --no-print-directory kmod || exit 1; \
		ko=kmod/muisp.ko; \
	else \
		$(call kmod_apart,$(BUILD)/kmod-$(KVER)); \
		ko=$(BUILD)/kmod-$(KVER)/kmod/muisp.ko; \
	fi; \
	tests/vm/run.sh --kver $(KVER) --ko $$ko

check-style:
	scripts/checkpatch.sh

# Userspace C style (.clang-format); kmod/ is checkpatch's.
format:
	scripts/format.sh

format-check:
	scripts/format.sh --check

# The uAPI's one source: include/uapi/muisp.yaml.  The generated files are
# committed, so neither build needs Python; Debian's python3 has the yaml
# module (python3-yaml), a python3 earlier on PATH may not.
NLSPEC := /usr/bin/python3 scripts/nlspec.py

nlspec:
	$(NLSPEC) gen

check-nlspec:
	$(NLSPEC) check

bench:
	scripts/deps.sh
	scripts/bench.sh

demo:
	scripts/deps.sh
	$(MAKE) all
	tests/vm/run.sh $(KVER_ARG) --demo

# The units and man pages name the installed paths as PREFIX=/usr/local has
# them; other prefixes (the Debian packages: /usr) are written in on install.
INSTALL_PATHS := sed -e 's|/usr/local/sbin|$(SBINDIR)|g' \
	-e 's|/usr/local/share/muisp|$(DATADIR)|g'

# install: everything, the module for KVER included.  install-userspace:
# programs, man pages, units, configuration, MIB (what the muisp and
# muisp-client packages hold); install-dkms: the module's source under
# /usr/src/muisp-VERSION with dkms.conf (the muisp-dkms package).
install: install-userspace install-kmod

install-userspace: $(addprefix $(BUILD)/bin/,$(SBINS) $(BINS))
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/muisp $(DESTDIR)$(DATADIR) \
		$(DESTDIR)$(MIBDIR)
	$(foreach b,$(SBINS),install -m 0755 $(BUILD)/bin/$(b) $(DESTDIR)$(SBINDIR)/$(b);)
	$(foreach b,$(BINS),install -m 0755 $(BUILD)/bin/$(b) $(DESTDIR)$(BINDIR)/$(b);)
	$(foreach l,$(BIN_LINKS),ln -sf $(lastword $(subst =, ,$(l))) \
		$(DESTDIR)$(BINDIR)/$(firstword $(subst =, ,$(l)));)
	$(foreach s,1 5 8,$(foreach m,$(MAN$(s)),$(INSTALL_PATHS) $(m) \
		>$(DESTDIR)$(MANDIR)/man$(s)/$(notdir $(m)) && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man$(s)/$(notdir $(m));))
	$(foreach u,$(UNITS),$(INSTALL_PATHS) $(u) >$(DESTDIR)$(UNITDIR)/$(notdir $(u)) && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$(notdir $(u));)
	$(foreach d,$(DATA),install -m 0644 $(d) $(DESTDIR)$(DATADIR)/;)
	$(foreach m,$(SNMP_MIBS),install -m 0644 $(m) $(DESTDIR)$(MIBDIR)/;)
	$(foreach u,$(SYSUSERS),install -D -m 0644 $(u) $(DESTDIR)/usr/lib/sysusers.d/muisp.conf;)
	$(foreach u,$(TMPFILES),install -D -m 0644 $(u) $(DESTDIR)/usr/lib/tmpfiles.d/muisp.conf;)
	$(foreach c,$(CONFS),test -e $(DESTDIR)$(SYSCONFDIR)/muisp/$(notdir $(c)) || \
		install -m 0640 $(c) $(DESTDIR)$(SYSCONFDIR)/muisp/;)

install-kmod: kmod
	install -D -m 0644 kmod/muisp.ko $(DESTDIR)/lib/modules/$(KVER)/extra/muisp.ko
	install -D -m 0644 include/uapi/muisp.h $(DESTDIR)$(PREFIX)/include/linux/muisp.h

# What DKMS builds from: the top-level Kbuild and VERSION, kmod/ without the
# self-tests (MUISP_DEBUG builds only), the uAPI header, dkms.conf.
VERSION := $(shell cat VERSION)
DKMS_SRC := $(DESTDIR)/usr/src/muisp-$(VERSION)
install-dkms:
	install -d $(DKMS_SRC)/kmod $(DKMS_SRC)/include/uapi
	install -m 0644 Kbuild VERSION $(DKMS_SRC)/
	sed 's/#MODULE_VERSION#/$(VERSION)/' dkms.conf >$(DKMS_SRC)/dkms.conf
	chmod 0644 $(DKMS_SRC)/dkms.conf
	install -m 0644 kmod/Kbuild kmod/*.c kmod/*.h $(DKMS_SRC)/kmod/
	install -m 0644 include/uapi/muisp.h $(DKMS_SRC)/include/uapi/

# The Debian packages (debian/, dpkg-buildpackage) into build/deb/: muisp,
# muisp-client, muisp-dkms, with their .buildinfo and .changes.  No tests
# (`make check` runs them); DEB_JOBS compile jobs.
DEB_JOBS ?= 2
deb:
	scripts/deb.sh $(DEB_JOBS)

# lintian on what `make deb` built (the .changes names the three packages)
deb-lint:
	lintian --fail-on error,warning build/deb/*.changes

clean:
	rm -rf $(BUILD)
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(CURDIR) clean
