# SPDX-License-Identifier: GPL-2.0
# tests/unit: cmocka tests.  Each owner appends its own lines.

# muispd (contracts)
$(eval $(call unit_test,test_proto,tests/unit/test_proto.c lib/proto.c,))
$(eval $(call unit_test,test_contract,tests/unit/test_contract.c lib/contract.c,))
$(eval $(call unit_test,test_receipt,tests/unit/test_receipt.c daemon/muispd/receipt.c,$$(shell $$(PKG_CONFIG) --libs libcrypto)))
$(eval $(call unit_test,test_tunnel,tests/unit/test_tunnel.c daemon/muispd/tunnel.c,))
$(eval $(call unit_test,test_contract_store,tests/unit/test_contract_store.c daemon/muispd/store.c daemon/muispd/receipt.c lib/log.c,$$(shell $$(PKG_CONFIG) --libs sqlite3 libcrypto)))

# flow table (kmod/flow_core.c and its host model in tests/bench/)
$(eval $(call unit_test,test_flow_core,tests/unit/test_flow_core.c kmod/flow_core.c,-lm))
$(eval $(call unit_test,test_flow_model,tests/unit/test_flow_model.c tests/bench/ft_model.c kmod/flow_core.c,))
$(eval $(call unit_test,test_ft_index,tests/unit/test_ft_index.c tests/bench/ft_model.c kmod/flow_core.c,))
$(eval $(call unit_test,test_contract_payment,tests/unit/test_contract_payment.c daemon/muispd/payment.c daemon/muispd/payment_voucher.c daemon/muispd/payment_desk.c daemon/muispd/payment_online.c daemon/muispd/store.c daemon/muispd/receipt.c lib/contract.c lib/proto.c lib/log.c $(LIB_EVLOOP_SRCS),$$(shell $$(PKG_CONFIG) --libs sqlite3 libcrypto libcurl) $(LIB_EVLOOP_LIBS)))

# lib/output, lib/muisp_nl, muispctl (tools)
$(eval $(call unit_test,test_output,tests/unit/test_output.c lib/output.c,))
$(eval $(call unit_test,test_nl,tests/unit/test_nl.c $(LIB_NL_SRCS),$(LIB_NL_LIBS)))

# muisp-dhcpd (DHCP)
$(eval $(call unit_test,test_dhcp_packet,tests/unit/test_dhcp_packet.c $(LIB_DHCP_SRCS) daemon/dhcpd/io.c daemon/dhcpd/witness.c lib/log.c,))
$(eval $(call unit_test,test_muispctl,tests/unit/test_muispctl.c $(MUISPCTL_SRCS),$(MUISPCTL_LIBS)))
$(eval $(call unit_test,test_muispctl_daemon,tests/unit/test_muispctl_daemon.c $(MUISPCTL_SRCS),$(MUISPCTL_LIBS)))
$(eval $(call unit_test,test_dhcp_pool,tests/unit/test_dhcp_pool.c daemon/dhcpd/pool.c,))
$(eval $(call unit_test,test_dhcp_source,tests/unit/test_dhcp_source.c daemon/dhcpd/source.c,))
$(eval $(call unit_test,test_dhcp_witness,tests/unit/test_dhcp_witness.c daemon/dhcpd/witness.c daemon/dhcpd/io.c lib/udp4.c lib/log.c,))
$(eval $(call unit_test,test_dhcp_config,tests/unit/test_dhcp_config.c daemon/dhcpd/config.c $(LIB_CONF_SRCS),))
$(eval $(call unit_test,test_dhcp_leasedb,tests/unit/test_dhcp_leasedb.c lib/leasedb.c,$(SQLITE_LIBS)))
$(eval $(call unit_test,test_dhcp_server,tests/unit/test_dhcp_server.c daemon/dhcpd/server.c daemon/dhcpd/pool.c daemon/dhcpd/source.c $(LIB_DHCP_SRCS) daemon/dhcpd/config.c $(LIB_CONF_SRCS) lib/leasedb.c lib/log.c,$(SQLITE_LIBS)))

# kmod gate logic (kmod/gate.c, kernel engineer)
$(eval $(call unit_test,test_gate,tests/unit/test_gate.c kmod/gate.c,))
# per-CPU quota slices of the contracts (kmod/quota.c); threads for CPUs
$(eval $(call unit_test,test_quota,tests/unit/test_quota.c kmod/quota.c kmod/gate.c,-lpthread))

# IKE (strongSwan VICI client, CHILD_SA watcher, config generator, CA)
$(eval $(call unit_test,test_vici,tests/unit/test_vici.c lib/vici.c,))
$(eval $(call unit_test,test_ike_watch,tests/unit/test_ike_watch.c lib/ike_watch.c lib/ike_conf.c lib/vici.c,))
$(eval $(call unit_test,test_ca,tests/unit/test_ca.c lib/ca.c,$$(shell $$(PKG_CONFIG) --libs libcrypto)))
$(eval $(call unit_test,test_nl_codec,tests/unit/test_nl_codec.c lib/muisp_nl_codec.c,$(LIB_NL_LIBS)))

# muispd's handlers through a struct muispd (store, kernel "none", no TLS)
$(eval $(call unit_test,test_muispd,tests/unit/test_muispd.c $(MUISPD_CORE_SRCS),$(MUISPD_LIBS)))
# RADIUS accounting records through the same core (acct.c, every
# Acct-Terminate-Cause path, restarts), parsed with lib/radius
$(eval $(call unit_test,test_acct,tests/unit/test_acct.c $(MUISPD_CORE_SRCS),$(MUISPD_LIBS)))

# lib/evloop (sd-event), lib/conf, lib/parse
$(eval $(call unit_test,test_evloop,tests/unit/test_evloop.c $(LIB_EVLOOP_SRCS),$(LIB_EVLOOP_LIBS)))
$(eval $(call unit_test,test_parse,tests/unit/test_parse.c $(LIB_PARSE_SRCS),))
$(eval $(call unit_test,test_conf,tests/unit/test_conf.c $(LIB_CONF_SRCS),))
$(eval $(call unit_test,test_cli,tests/unit/test_cli.c $(LIB_CLI_SRCS),))
$(eval $(call unit_test,test_log,tests/unit/test_log.c $(LIB_LOG_SRCS),))

# muispd's registration of clients' self-signed certificates: the checks
# and the store's registrations table
$(eval $(call unit_test,test_register,tests/unit/test_register.c daemon/muispd/regcert.c daemon/muispd/store.c daemon/muispd/receipt.c lib/log.c,$$(shell $$(PKG_CONFIG) --libs sqlite3 libcrypto)))

# lib/radius: the RADIUS codec (known answers from radclient/FreeRADIUS)
$(eval $(call unit_test,test_radius,tests/unit/test_radius.c $(LIB_RADIUS_SRCS),$(LIB_RADIUS_LIBS)))
# muispd's accounting spool sender (acct_spool.c) with the RADIUS client
# played by the test
$(eval $(call unit_test,test_spool,tests/unit/test_spool.c daemon/muispd/acct_spool.c daemon/muispd/store.c daemon/muispd/receipt.c $(LIB_RADIUS_SRCS) $(LIB_LOG_SRCS) $(LIB_EVLOOP_SRCS),$$(shell $$(PKG_CONFIG) --libs sqlite3 libcrypto) $(LIB_EVLOOP_LIBS)))

# muispd's EAP roaming relay (radrelay.c): loopback sockets, a fake server
$(eval $(call unit_test,test_radrelay,tests/unit/test_radrelay.c $(MUISPD_CORE_SRCS),$(MUISPD_LIBS)))

# payment method roam: the Access-Accept -> limits mapping, radius_auth
$(eval $(call unit_test,test_roam,tests/unit/test_roam.c $(MUISPD_CORE_SRCS),$(MUISPD_LIBS)))

# muispd's RADIUS client against fake servers on loopback, and the
# radius-* keys of muispd.conf
$(eval $(call unit_test,test_radclient,tests/unit/test_radclient.c daemon/muispd/radclient.c daemon/muispd/config.c lib/proto.c lib/log.c $(LIB_CONF_SRCS) $(LIB_RADIUS_SRCS) $(LIB_SECRET_SRCS),$(LIB_RADIUS_LIBS) $(LIB_EVLOOP_LIBS)))

# muispd's RFC 5176 Disconnect/CoA listener on a real core (dae.c)
$(eval $(call unit_test,test_dae,tests/unit/test_dae.c $(MUISPD_CORE_SRCS),$(MUISPD_LIBS)))

# muispctl report on a database made by muispd's store.c
$(eval $(call unit_test,test_report,tests/unit/test_report.c $(MUISPCTL_SRCS) daemon/muispd/store.c daemon/muispd/receipt.c $(LIB_LOG_SRCS),$(MUISPCTL_LIBS) $$(shell $$(PKG_CONFIG) --libs sqlite3 libcrypto)))

# lib/ipfix: the IPFIX encoder (muisp-ipfixd)
$(eval $(call unit_test,test_ipfix,tests/unit/test_ipfix.c $(LIB_IPFIX_SRCS),))
# muisp-agentx: notification decisions (pure, a fake sender) and its
# configuration
$(eval $(call unit_test,test_agentx_notify,tests/unit/test_agentx_notify.c daemon/agentx/notify.c,))
$(eval $(call unit_test,test_agentx_config,tests/unit/test_agentx_config.c daemon/agentx/config.c $(LIB_CONF_SRCS),))
# the cache's row builders (net-snmp only for snmp_oid_compare)
$(eval $(call unit_test,test_agentx_cache,tests/unit/test_agentx_cache.c daemon/agentx/cache.c $(LIB_STATS_SRCS) $(LIB_LOG_SRCS),$(LIB_STATS_LIBS) -lnetsnmp))
$(eval $(call unit_test,test_agentx_trapvb,tests/unit/test_agentx_trapvb.c daemon/agentx/trapvb.c,-lnetsnmp))
# lib/opclient: the operator-socket client against a fake daemon
$(eval $(call unit_test,test_opclient,tests/unit/test_opclient.c $(LIB_OPCLIENT_SRCS),))
# lib/stats_cat: the catalogue, its builders, collection from fake daemons
# and a lease database
$(eval $(call unit_test,test_stats_cat,tests/unit/test_stats_cat.c $(LIB_STATS_SRCS),$(LIB_STATS_LIBS)))

# muisp-ipfixd (IPFIX exporter)
$(eval $(call unit_test,test_ipfixd,tests/unit/test_ipfixd.c $(IPFIXD_CORE_SRCS),$(LIB_NL_LIBS)))

# muisp-uinfod (the agent's key agreement): the configuration; the
# agreement's pure parts and the session against a TLS server in-process
$(eval $(call unit_test,test_uinfod_config,tests/unit/test_uinfod_config.c $(UINFOD_CONF_SRCS),))
$(eval $(call unit_test,test_uinfod,tests/unit/test_uinfod.c $(UINFOD_CORE_SRCS) $(LIB_CA_SRCS),$(UINFOD_LIBS) -lpthread))
# the standalone scheme's usage spool (usage.c): collections from dumps
# made by the test, in a temporary directory
$(eval $(call unit_test,test_uinfod_usage,tests/unit/test_uinfod_usage.c $(UINFOD_USAGE_SRCS) $(LIB_LOG_SRCS),$(SQLITE_LIBS)))
# the out-of-band-packet scheme's reports into messages (report.c):
# reports, a clock and a send function of the test's
$(eval $(call unit_test,test_uinfod_report,tests/unit/test_uinfod_report.c $(UINFOD_REPORT_SRCS) $(LIB_LOG_SRCS),))
# its Multi-IP routing (addrs.c), in a network namespace of its own
# ... users' leases (the DHCP client, pure)
$(eval $(call unit_test,test_uinfod_lease,tests/unit/test_uinfod_lease.c $(UINFOD_LEASE_SRCS),))
$(eval $(call unit_test,test_uinfod_addrs,tests/unit/test_uinfod_addrs.c daemon/uinfod/addrs.c $(LIB_LOG_SRCS),$(LIB_NL_LIBS)))

# the instruction counter's QEMU plugin (tests/bench/qemu-insn/)
$(eval $(call unit_test,test_qemu_insn,tests/unit/test_qemu_insn.c tests/bench/qemu-insn/insn.c,-lpthread))

# block list and walled garden: the lookup set (kmod/lists_core.c)
$(eval $(call unit_test,test_lists_core,tests/unit/test_lists_core.c kmod/lists_core.c kmod/gate.c,))

# the AH frames of the tunnel-on forwarding benchmark (tests/bench/ahgen)
$(eval $(call unit_test,test_ah_frames,tests/unit/test_ah_frames.c tests/bench/ah_frames.c,$$(shell $$(PKG_CONFIG) --libs libcrypto)))

# per-user accounting: the User Information option (kmod/uinfo_core.c),
# sealed with OpenSSL on the host (the kernel's gcm(aes) in muisp.ko)
$(eval $(call unit_test,test_uinfo_core,tests/unit/test_uinfo_core.c kmod/uinfo_core.c tests/unit/uinfo_aead_host.c,$$(shell $$(PKG_CONFIG) --libs libcrypto)))

# lib/sockowner: a TCP or UDP socket's owner from the kernel (sock_diag), on
# loopback; as root, another user's socket (a child under uid 4242)
$(eval $(call unit_test,test_sockowner,tests/unit/test_sockowner.c $(LIB_SOCKOWNER_SRCS),$(LIB_SOCKOWNER_LIBS)))

# lib/nfq: the NFQUEUE client's parser on crafted messages, and a real
# queue in a network namespace of the test's own (skipped without NFQUEUE)
$(eval $(call unit_test,test_nfq,tests/unit/test_nfq.c $(LIB_NFQ_SRCS),$(LIB_NFQ_LIBS)))
