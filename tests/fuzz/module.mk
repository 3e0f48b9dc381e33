# SPDX-License-Identifier: GPL-2.0
# tests/fuzz: libFuzzer targets.  Each owner appends its own lines.

# muispd (contracts): control-channel decoder round trip
$(eval $(call fuzz_target,fuzz_ctl,tests/fuzz/fuzz_ctl.c lib/proto.c,))

# muisp-dhcpd (DHCP): packet parser + re-encoding, option encoder alone
$(eval $(call fuzz_target,fuzz_dhcp_packet,tests/fuzz/fuzz_dhcp_packet.c lib/dhcp_msg.c,))
$(eval $(call fuzz_target,fuzz_dhcp_options,tests/fuzz/fuzz_dhcp_options.c lib/dhcp_msg.c,))
# ... the packet socket's frames (witnesses), and the server's input path
$(eval $(call fuzz_target,fuzz_dhcp_frame,tests/fuzz/fuzz_dhcp_frame.c daemon/dhcpd/witness.c lib/udp4.c,))
$(eval $(call fuzz_target,fuzz_dhcp_server,tests/fuzz/fuzz_dhcp_server.c $(DHCPD_CORE_SRCS) lib/log.c,$(LIB_LEASEDB_LIBS)))

# IKE: VICI message codec, packet layer, framing and the CHILD_SA watcher
$(eval $(call fuzz_target,fuzz_vici,tests/fuzz/fuzz_vici.c $(LIB_IKE_WATCH_SRCS),))

# lib/muisp_nl: typed codecs, extended acks, family and reply parsing
$(eval $(call fuzz_target,fuzz_nl,tests/fuzz/fuzz_nl.c $(LIB_NL_SRCS),$(LIB_NL_LIBS)))

# Daemon configurations (lib/conf, lib/parse and each daemon's validation)
$(eval $(call fuzz_target,fuzz_dhcpd_conf,tests/fuzz/fuzz_dhcpd_conf.c daemon/dhcpd/config.c $(LIB_CONF_SRCS),))
$(eval $(call fuzz_target,fuzz_agentx_conf,tests/fuzz/fuzz_agentx_conf.c daemon/agentx/config.c $(LIB_CONF_SRCS),))
$(eval $(call fuzz_target,fuzz_muispd_conf,tests/fuzz/fuzz_muispd_conf.c daemon/muispd/config.c daemon/muispd/radclient.c $(LIB_RADIUS_SRCS) $(LIB_SECRET_SRCS) $(LIB_CONF_SRCS) lib/proto.c lib/log.c,$(LIB_RADIUS_LIBS) $(LIB_EVLOOP_LIBS)))

# Receipts (muispd's BIND, muisp-client's files): parse, verify, one encoding
$(eval $(call fuzz_target,fuzz_receipt,tests/fuzz/fuzz_receipt.c daemon/muispd/receipt.c,$$(shell $$(PKG_CONFIG) --libs libcrypto)))

# The module's packet-header parser (kmod/gate.c, host build as in test_gate)
$(eval $(call fuzz_target,fuzz_gate,tests/fuzz/fuzz_gate.c kmod/gate.c,))

# muispd: the online payment provider's JSON answers (payment_online.c
# needs the rest of the payment code to link, as in test_contract_payment)
FUZZ_PAYMENT_SRCS := daemon/muispd/payment.c daemon/muispd/payment_voucher.c \
	daemon/muispd/payment_desk.c daemon/muispd/payment_online.c \
	daemon/muispd/store.c daemon/muispd/receipt.c $(LIB_CHANNEL_SRCS) \
	$(LIB_LOG_SRCS) $(LIB_EVLOOP_SRCS)
$(eval $(call fuzz_target,fuzz_payment_json,tests/fuzz/fuzz_payment_json.c $(FUZZ_PAYMENT_SRCS),$$(shell $$(PKG_CONFIG) --libs sqlite3 libcrypto libcurl) $(LIB_EVLOOP_LIBS)))

# muispd: a client's certificate to register (MP_T_REGISTER), before any
# tunnel: the checks of daemon/muispd/regcert.c
$(eval $(call fuzz_target,fuzz_register,tests/fuzz/fuzz_register.c daemon/muispd/regcert.c,$$(shell $$(PKG_CONFIG) --libs libcrypto)))

# RADIUS (lib/radius.c): parse, walk, VSAs, verify, one encoding
$(eval $(call fuzz_target,fuzz_radius,tests/fuzz/fuzz_radius.c $(LIB_RADIUS_SRCS),$(LIB_RADIUS_LIBS)))

# muispd's RFC 5176 listener: dae_decide on a fake session table, the
# reply (dae.c links with the rest of muispd's core)
$(eval $(call fuzz_target,fuzz_radius_dae,tests/fuzz/fuzz_radius_dae.c $(MUISPD_CORE_SRCS),$(MUISPD_LIBS)))

# muispd: a roaming Access-Accept into a contract's limits
# (payment_radius.c; it needs the rest of muispd to link)
$(eval $(call fuzz_target,fuzz_roam_accept,tests/fuzz/fuzz_roam_accept.c $(MUISPD_CORE_SRCS),$(MUISPD_LIBS)))

# muispd's EAP roaming relay: the datagram logic without sockets and the
# tap (radrelay.c links with the rest of muispd's core, as dae.c)
$(eval $(call fuzz_target,fuzz_radrelay,tests/fuzz/fuzz_radrelay.c $(MUISPD_CORE_SRCS),$(MUISPD_LIBS)))

# lib/ipfix: the IPFIX encoder (muisp-ipfixd), bounded writes and the
# message it builds walked back
$(eval $(call fuzz_target,fuzz_ipfix,tests/fuzz/fuzz_ipfix.c $(LIB_IPFIX_SRCS),))

# muisp-ipfixd: --replay files through the exporter, and its config file
$(eval $(call fuzz_target,fuzz_ipfixd,tests/fuzz/fuzz_ipfixd.c $(IPFIXD_CORE_SRCS),$(LIB_NL_LIBS)))

# per-user accounting: the User Information option a meter reads and strips
# (kmod/uinfo_core.c; seals opened with OpenSSL as in test_uinfo_core)
$(eval $(call fuzz_target,fuzz_uinfo,tests/fuzz/fuzz_uinfo.c kmod/uinfo_core.c tests/unit/uinfo_aead_host.c,$$(shell $$(PKG_CONFIG) --libs libcrypto)))

# muisp-uinfod: its config file (logins from a fake passwd)
$(eval $(call fuzz_target,fuzz_uinfod_conf,tests/fuzz/fuzz_uinfod_conf.c $(UINFOD_CONF_SRCS),))
# ... and its users' leases: DHCP replies from the LAN into the client
$(eval $(call fuzz_target,fuzz_uinfod_lease,tests/fuzz/fuzz_uinfod_lease.c $(UINFOD_LEASE_SRCS),))

# lib/nfq: the packet messages of nfnetlink_queue (muispd's held flows)
$(eval $(call fuzz_target,fuzz_nfq,tests/fuzz/fuzz_nfq.c $(LIB_NFQ_SRCS),$(LIB_NFQ_LIBS)))
