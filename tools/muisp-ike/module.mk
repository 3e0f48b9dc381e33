# SPDX-License-Identifier: GPL-2.0
# tools/muisp-ike: the router's strongSwan helper (charon configuration,
# client certificates over VICI).  The CA is `muispctl ca`.
MUISP_IKE_SRCS := tools/muisp-ike/muisp-ike.c $(LIB_IKE_CONF_SRCS) \
	$(LIB_VICI_SRCS) $(LIB_PARSE_SRCS) $(LIB_CLI_SRCS) $(LIB_SECRET_SRCS)
$(eval $(call program,muisp-ike,$(MUISP_IKE_SRCS),,sbin))
MAN8 += tools/muisp-ike/muisp-ike.8
