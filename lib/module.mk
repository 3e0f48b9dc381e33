# SPDX-License-Identifier: GPL-2.0
# lib/: code shared by several programs (daemons, tools, test programs).
# Programs list the lib sources they use (LIB_LOG_SRCS, ...) in their own
# SOURCES and link the matching LIB_*_LIBS.
LIB_LOG_SRCS := lib/log.c
# muisp generic-netlink client (muispctl, muisp-dhcpd, muispd): libmnl.
LIB_NL_SRCS := lib/muisp_nl.c lib/muisp_nl_codec.c
LIB_NL_LIBS := $(shell $(PKG_CONFIG) --libs libmnl 2>/dev/null || echo -lmnl)
# Text tables and JSON for tools.
LIB_OUTPUT_SRCS := lib/output.c
# The control channel: codec (proto) and contract vocabulary and state
# machine (contract): muispd, muispctl, muisp-client, estab-load.
LIB_CHANNEL_SRCS := lib/proto.c lib/contract.c
# A blocking client of a daemon's operator socket (muispd, muisp-ipfixd):
# muispctl, muisp-agentx, lib/stats_cat.
LIB_OPCLIENT_SRCS := lib/opclient.c lib/proto.c
# DHCPv4 messages (RFC 2131) and the IPv4/UDP packets a packet socket
# carries them in: muisp-dhcpd (server), muisp-uinfod (users' leases).
LIB_DHCP_SRCS := lib/dhcp_msg.c lib/udp4.c
# muisp-dhcpd's SQLite lease store (the daemon; muispctl lease).
LIB_LEASEDB_SRCS := lib/leasedb.c
SQLITE_LIBS := $(shell $(PKG_CONFIG) --libs sqlite3 2>/dev/null || echo -lsqlite3)
LIB_LEASEDB_LIBS := $(SQLITE_LIBS)
# The catalogue of counters and their collection from the module, muispd,
# muisp-dhcpd's lease database and muisp-ipfixd: muispctl stats,
# muisp-agentx.
LIB_STATS_SRCS := lib/stats_cat.c lib/stats_defs.c $(LIB_OPCLIENT_SRCS) \
	$(LIB_NL_SRCS) $(LIB_LEASEDB_SRCS)
LIB_STATS_LIBS = $(LIB_NL_LIBS) $(LIB_LEASEDB_LIBS)
# strongSwan: VICI client, CHILD_SA watcher, swanctl.conf generators.
LIB_VICI_SRCS := lib/vici.c
LIB_IKE_WATCH_SRCS := lib/ike_watch.c $(LIB_VICI_SRCS)
LIB_IKE_CONF_SRCS := lib/ike_conf.c
# The operator's CA and self-signed client certificates (OpenSSL).
LIB_CA_SRCS := lib/ca.c
LIB_CA_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
# The daemons' start-up: their common options (daemon_opts) and event loop
# (signals, timers, systemd notify; sd-event).
LIB_EVLOOP_SRCS := lib/evloop.c lib/daemon_opts.c
# A muisp multicast group followed across module reloads (muisp-ipfixd,
# muisp-agentx): with LIB_EVLOOP_SRCS, LIB_NL_SRCS and LIB_LOG_SRCS.
LIB_NL_FOLLOW_SRCS := lib/nl_follow.c
LIB_EVLOOP_LIBS := $(shell $(PKG_CONFIG) --libs libsystemd 2>/dev/null || echo -lsystemd)
# Value parsers (numbers, sizes, durations, addresses, ...) and the
# configuration reader ("FILE:LINE: message" errors): daemons and tools.
LIB_PARSE_SRCS := lib/parse.c
LIB_CONF_SRCS := lib/conf.c $(LIB_PARSE_SRCS)
# The tools' error messages and exit codes.
LIB_CLI_SRCS := lib/cli.c
# Secrets kept in files (RADIUS secrets, agent keys): muispd, muisp-ike,
# muispctl.
LIB_SECRET_SRCS := lib/secret.c
# RADIUS packets (lib/radius): muispd's client and DM/CoA listener; MD5 and
# HMAC-MD5 from libcrypto.
LIB_RADIUS_SRCS := lib/radius.c
LIB_RADIUS_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
# IPFIX messages (RFC 7011): muisp-ipfixd's encoder, pure.
LIB_IPFIX_SRCS := lib/ipfix.c
# The owner of a TCP connection from the kernel's socket table
# (NETLINK_SOCK_DIAG, libmnl): muisp-uinfod.
LIB_SOCKOWNER_SRCS := lib/sockowner.c
LIB_SOCKOWNER_LIBS = $(LIB_NL_LIBS)
# NFQUEUE (nfnetlink_queue, libmnl): muispd holds a multi-user host's new
# flows' first packets until the host's agent names the user.
LIB_NFQ_SRCS := lib/nfq.c
LIB_NFQ_LIBS = $(LIB_NL_LIBS)
