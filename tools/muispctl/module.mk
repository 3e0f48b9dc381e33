# SPDX-License-Identifier: GPL-2.0
# muispctl: operator's tool for the muisp kernel module (libmnl).
MUISPCTL_SRCS := tools/muispctl/muispctl.c tools/muispctl/args.c \
	$(LIB_PARSE_SRCS) $(LIB_CLI_SRCS) $(LIB_SECRET_SRCS) \
	tools/muispctl/addr.c tools/muispctl/contract.c \
	tools/muispctl/flow.c tools/muispctl/lists.c tools/muispctl/agent.c \
	tools/muispctl/user.c tools/muispctl/tag.c \
	tools/muispctl/config.c tools/muispctl/monitor.c \
	tools/muispctl/lease.c $(LIB_LEASEDB_SRCS) \
	tools/muispctl/ca.c $(LIB_CA_SRCS) \
	tools/muispctl/daemon.c $(LIB_OPCLIENT_SRCS) $(LIB_STATS_SRCS) \
	tools/muispctl/voucher.c tools/muispctl/conn.c \
	tools/muispctl/key.c tools/muispctl/register.c \
	tools/muispctl/report.c $(LIB_CONF_SRCS) \
	$(LIB_CHANNEL_SRCS) \
	$(LIB_NL_SRCS) $(LIB_OUTPUT_SRCS)
MUISPCTL_LIBS = $(LIB_NL_LIBS) $(LIB_LEASEDB_LIBS) $(LIB_CA_LIBS)
$(eval $(call program,muispctl,tools/muispctl/main.c $(MUISPCTL_SRCS),$(MUISPCTL_LIBS),sbin))
MAN8 += tools/muispctl/muispctl.8
# --version prints the release (VERSION), as the packages and module do.
MUISP_RELEASE := $(shell cat VERSION)
$(BUILD)/rel/tools/muispctl/muispctl.o $(BUILD)/san/tools/muispctl/muispctl.o: \
	CPPFLAGS += -DMUISP_VERSION='"$(MUISP_RELEASE)"'
$(BUILD)/rel/tools/muispctl/muispctl.o $(BUILD)/san/tools/muispctl/muispctl.o: \
	VERSION
