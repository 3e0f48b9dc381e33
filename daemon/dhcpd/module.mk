# SPDX-License-Identifier: GPL-2.0
# daemon/dhcpd: muisp-dhcpd, the DHCPv4 server (issue 4).
DHCPD_CORE_SRCS := daemon/dhcpd/packet.c daemon/dhcpd/pool.c \
	daemon/dhcpd/config.c daemon/dhcpd/server.c daemon/dhcpd/leasedb.c
DHCPD_SRCS := $(DHCPD_CORE_SRCS) daemon/dhcpd/io.c daemon/dhcpd/kernel.c \
	daemon/dhcpd/main.c $(LIB_LOG_SRCS) $(LIB_NL_SRCS)
SQLITE_LIBS = $(shell $(PKG_CONFIG) --libs sqlite3 2>/dev/null || echo -lsqlite3)
# For muispctl (tools/): link daemon/dhcpd/leasedb.c with $(LEASEDB_LIBS).
LEASEDB_SRCS := daemon/dhcpd/leasedb.c
LEASEDB_LIBS = $(SQLITE_LIBS)

$(eval $(call program,muisp-dhcpd,$(DHCPD_SRCS),$(SQLITE_LIBS) $(LIB_NL_LIBS),sbin))

MAN5 += daemon/dhcpd/muisp-dhcpd.conf.5
MAN8 += daemon/dhcpd/muisp-dhcpd.8
UNITS += daemon/dhcpd/muisp-dhcpd.service
CONFS += daemon/dhcpd/muisp-dhcpd.conf
