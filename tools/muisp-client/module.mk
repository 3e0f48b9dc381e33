# SPDX-License-Identifier: GPL-2.0
# tools/muisp-client: the user's client of the muisp control channel.
MUISP_CLIENT_SRCS := tools/muisp-client/muisp-client.c \
	daemon/muispd/proto.c daemon/muispd/contract.c \
	tools/muisp-client/ike.c daemon/ike/ike_conf.c daemon/ike/ike_watch.c \
	lib/vici.c lib/ca.c
$(eval $(call program,muisp-client,$(MUISP_CLIENT_SRCS),$(shell $(PKG_CONFIG) --libs openssl)))
MAN1 += tools/muisp-client/muisp-client.1
