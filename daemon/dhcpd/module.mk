# SPDX-License-Identifier: GPL-2.0
# daemon/dhcpd: muisp-dhcpd, the DHCPv4 server.
DHCPD_CORE_SRCS := $(LIB_DHCP_SRCS) daemon/dhcpd/pool.c \
	daemon/dhcpd/source.c daemon/dhcpd/config.c daemon/dhcpd/server.c \
	$(LIB_CONF_SRCS) $(LIB_LEASEDB_SRCS)
DHCPD_SRCS := $(DHCPD_CORE_SRCS) daemon/dhcpd/io.c daemon/dhcpd/witness.c \
	daemon/dhcpd/kernel.c daemon/dhcpd/main.c $(LIB_LOG_SRCS) \
	$(LIB_NL_SRCS) $(LIB_EVLOOP_SRCS)

$(eval $(call program,muisp-dhcpd,$(DHCPD_SRCS),$(LIB_LEASEDB_LIBS) $(LIB_NL_LIBS) $(LIB_EVLOOP_LIBS),sbin))

MAN5 += daemon/dhcpd/muisp-dhcpd.conf.5
MAN8 += daemon/dhcpd/muisp-dhcpd.8
UNITS += daemon/dhcpd/muisp-dhcpd.service
CONFS += daemon/dhcpd/muisp-dhcpd.conf
