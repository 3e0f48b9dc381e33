# SPDX-License-Identifier: GPL-2.0
# daemon/agentx: muisp-agentx, the AgentX subagent that serves MUISP-MIB.
# net-snmp: only its agent and base libraries (net-snmp-config
# --agent-libs would add the MIB modules of snmpd, with -lsensors -lpci;
# a subagent needs none of them; docs/DESIGN.md "net-snmp on sd-event").
AGENTX_SNMP_LIBS := -lnetsnmpagent -lnetsnmp
AGENTX_CORE_SRCS := daemon/agentx/config.c daemon/agentx/notify.c \
	$(LIB_CONF_SRCS)
# the cache and the handlers (cache.c's builders are unit-tested)
AGENTX_CACHE_SRCS := daemon/agentx/cache.c daemon/agentx/tables.c \
	daemon/agentx/scalars.c
AGENTX_SRCS := daemon/agentx/main.c daemon/agentx/snmploop.c \
	daemon/agentx/trap.c daemon/agentx/trapvb.c $(AGENTX_CACHE_SRCS) \
	$(LIB_NL_FOLLOW_SRCS) \
	$(AGENTX_CORE_SRCS) $(LIB_LOG_SRCS) $(LIB_EVLOOP_SRCS) \
	$(LIB_STATS_SRCS)

$(eval $(call program,muisp-agentx,$(AGENTX_SRCS),$(AGENTX_SNMP_LIBS) $(LIB_LEASEDB_LIBS) $(LIB_NL_LIBS) $(LIB_EVLOOP_LIBS),sbin))

MAN8 += daemon/agentx/muisp-agentx.8
MAN5 += daemon/agentx/muisp-agentx.conf.5
UNITS += daemon/agentx/muisp-agentx.service
CONFS += daemon/agentx/muisp-agentx.conf
