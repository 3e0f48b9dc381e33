# SPDX-License-Identifier: GPL-2.0
# tools/muisp-client: the user's client of the muisp control channel.
MUISP_CLIENT_SRCS := tools/muisp-client/muisp-client.c \
	tools/muisp-client/ike.c tools/muisp-client/agent.c \
	$(LIB_CHANNEL_SRCS) \
	$(LIB_IKE_CONF_SRCS) $(LIB_IKE_WATCH_SRCS) $(LIB_CA_SRCS) \
	$(LIB_PARSE_SRCS) $(LIB_CLI_SRCS)
$(eval $(call program,muisp-client,$(MUISP_CLIENT_SRCS),$(shell $(PKG_CONFIG) --libs openssl)))
MAN1 += tools/muisp-client/muisp-client.1 tools/muisp-client/muisp-agent.1
# muisp-agent(1), the purchasing agent, is muisp-client under another name
# (its agent command): one channel, state directory and holder key
ALL_PROGRAMS += $(BUILD)/bin/muisp-agent
$(BUILD)/bin/muisp-agent: $(BUILD)/bin/muisp-client
	ln -sf muisp-client $@
BIN_LINKS += muisp-agent=muisp-client
