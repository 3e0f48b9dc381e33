# SPDX-License-Identifier: GPL-2.0
# daemon/uinfod: muisp-uinfod, the multi-user host's side of the agent's
# key agreement (TLS 1.3 with muispd; the module's tagger keyed or closed).
UINFOD_CONF_SRCS := daemon/uinfod/config.c $(LIB_CONF_SRCS)
