# SPDX-License-Identifier: GPL-2.0
# daemon/ipfixd: muisp-ipfixd, the IPFIX exporter of flow records.
IPFIXD_CORE_SRCS := daemon/ipfixd/config.c daemon/ipfixd/export.c \
	daemon/ipfixd/replay.c $(LIB_IPFIX_SRCS) $(LIB_CONF_SRCS) \
	$(LIB_LOG_SRCS) $(LIB_NL_SRCS)
IPFIXD_SRCS := $(IPFIXD_CORE_SRCS) daemon/ipfixd/main.c lib/proto.c \
	$(LIB_EVLOOP_SRCS) $(LIB_NL_FOLLOW_SRCS)

$(eval $(call program,muisp-ipfixd,$(IPFIXD_SRCS),$(LIB_NL_LIBS) $(LIB_EVLOOP_LIBS),sbin))

MAN5 += daemon/ipfixd/muisp-ipfixd.conf.5
MAN8 += daemon/ipfixd/muisp-ipfixd.8
UNITS += daemon/ipfixd/muisp-ipfixd.service
CONFS += daemon/ipfixd/muisp-ipfixd.conf
