# SPDX-License-Identifier: GPL-2.0
# daemon/uinfod: muisp-uinfod, the multi-user host's side of the agent's
# key agreement (TLS 1.3 with muispd; the module's tagger keyed or closed;
# standalone, its users' usage records spooled and sent; out-of-band-
# packet, the module's reports sent as UINFO_REPORT).
UINFOD_CONF_SRCS := daemon/uinfod/config.c $(LIB_CONF_SRCS)
# The standalone scheme's usage spool (SQLite), pure of the kernel.
UINFOD_USAGE_SRCS := daemon/uinfod/usage.c
# The out-of-band-packet scheme's reports into messages, pure of the
# kernel and of the session.
UINFOD_REPORT_SRCS := daemon/uinfod/report.c
# Users' own addresses by DHCP: the client state machine, pure.
UINFOD_LEASE_SRCS := daemon/uinfod/lease.c $(LIB_DHCP_SRCS)
# What the unit tests link: the configuration and the agreement (agree.c,
# session.c) with lib/proto's codec and the owner queries' sock_diag
# (lib/sockowner), the usage spool, not the module's netlink.
UINFOD_CORE_SRCS := $(UINFOD_CONF_SRCS) daemon/uinfod/agree.c \
	daemon/uinfod/session.c lib/proto.c $(LIB_SOCKOWNER_SRCS) \
	$(UINFOD_USAGE_SRCS) $(LIB_LOG_SRCS) $(LIB_EVLOOP_SRCS)
UINFOD_SRCS := $(UINFOD_CORE_SRCS) daemon/uinfod/kernel.c \
	daemon/uinfod/addrs.c daemon/uinfod/dhcp.c $(UINFOD_LEASE_SRCS) \
	$(UINFOD_REPORT_SRCS) \
	daemon/uinfod/main.c $(LIB_NL_SRCS) $(LIB_NL_FOLLOW_SRCS)
UINFOD_LIBS = $(shell $(PKG_CONFIG) --libs openssl 2>/dev/null || echo -lssl -lcrypto) \
	$(LIB_EVLOOP_LIBS) $(LIB_SOCKOWNER_LIBS) $(SQLITE_LIBS)

$(eval $(call program,muisp-uinfod,$(UINFOD_SRCS),$(UINFOD_LIBS) $(LIB_NL_LIBS),sbin))

MAN5 += daemon/uinfod/muisp-uinfod.conf.5
MAN8 += daemon/uinfod/muisp-uinfod.8
UNITS += daemon/uinfod/muisp-uinfod.service
CONFS += daemon/uinfod/muisp-uinfod.conf
