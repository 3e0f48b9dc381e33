# SPDX-License-Identifier: GPL-2.0
# lib/: code shared by daemons and tools.  Programs list the lib sources
# they use (LIB_LOG_SRCS, ...) in their own SOURCES.
LIB_LOG_SRCS := lib/log.c
# muisp generic-netlink client (muispctl, muisp-dhcpd, muispd): libmnl.
LIB_NL_SRCS := lib/muisp_nl.c lib/muisp_nl_codec.c
LIB_NL_LIBS := $(shell $(PKG_CONFIG) --libs libmnl 2>/dev/null || echo -lmnl)
# Text tables and JSON for tools.
LIB_OUTPUT_SRCS := lib/output.c
