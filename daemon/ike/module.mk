# SPDX-License-Identifier: GPL-2.0
# daemon/ike: strongSwan integration — swanctl.conf generation, client
# certificate loading over VICI, CA commands (muisp-ike), and the
# CHILD_SA watcher library (ike_watch.c) that muispd links.
IKE_WATCH_SRCS := daemon/ike/ike_watch.c lib/vici.c
IKE_CONF_SRCS := daemon/ike/ike_conf.c
LIB_CA_SRCS := lib/ca.c
LIB_CA_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
$(eval $(call program,muisp-ike,daemon/ike/muisp_ike.c $(IKE_CONF_SRCS) lib/vici.c lib/ca.c lib/log.c,$(LIB_CA_LIBS),sbin))
