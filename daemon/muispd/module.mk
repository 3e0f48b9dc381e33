# SPDX-License-Identifier: GPL-2.0
# daemon/muispd: the contract daemon (control channel, offers, payment,
# receipts, metering lifecycle, settlement, recovery, tunnel identities
# from charon's CHILD_SAs over VICI).
# MUISPD_CORE_SRCS: everything but main(), for the handler unit tests.
MUISPD_CORE_SRCS := daemon/muispd/server.c daemon/muispd/conn.c \
	daemon/muispd/session.c daemon/muispd/channel.c \
	daemon/muispd/control.c daemon/muispd/ikesync.c \
	daemon/muispd/eap.c daemon/muispd/acct.c daemon/muispd/dae.c \
	daemon/muispd/config.c daemon/muispd/receipt.c \
	daemon/muispd/store.c daemon/muispd/payment.c \
	daemon/muispd/payment_voucher.c daemon/muispd/payment_desk.c \
	daemon/muispd/payment_online.c daemon/muispd/payment_radius.c \
	daemon/muispd/kernel.c daemon/muispd/tunnel.c \
	daemon/muispd/limits.c daemon/muispd/register.c \
	daemon/muispd/regcert.c \
	daemon/muispd/privacy.c daemon/muispd/keys.c daemon/muispd/uinfo.c \
	daemon/muispd/uinfo_hold.c daemon/muispd/holdq.c \
	daemon/muispd/conn_hold.c daemon/muispd/conn_records.c \
	daemon/muispd/pagent.c \
	$(LIB_NFQ_SRCS) kmod/gate.c \
	daemon/muispd/uinfo_usage.c daemon/muispd/uinfo_report.c \
	daemon/muispd/userblock.c \
	daemon/muispd/radrelay.c \
	daemon/muispd/acct_spool.c \
	$(LIB_RADIUS_SRCS) $(LIB_SECRET_SRCS) \
	daemon/muispd/radclient.c \
	$(LIB_CHANNEL_SRCS) $(LIB_IKE_WATCH_SRCS) $(LIB_EVLOOP_SRCS) \
	$(LIB_LOG_SRCS) $(LIB_NL_SRCS) $(LIB_NL_FOLLOW_SRCS) $(LIB_CONF_SRCS)
MUISPD_SRCS := daemon/muispd/main.c $(MUISPD_CORE_SRCS)
# libcurl: the online payment provider's HTTP, on the loop (multi API).
MUISPD_LIBS := $(shell $(PKG_CONFIG) --libs openssl sqlite3 libcurl) \
	$(LIB_NL_LIBS) $(LIB_EVLOOP_LIBS)
$(eval $(call program,muispd,$(MUISPD_SRCS),$(MUISPD_LIBS),sbin))
MAN8 += daemon/muispd/muispd.8
MAN5 += daemon/muispd/muispd.conf.5
UNITS += daemon/muispd/muispd.service
# its user (sysusers.d) and the group of its configuration and key
# (tmpfiles.d; both run by systemd at boot, or by hand after install)
SYSUSERS += daemon/muispd/muispd.sysusers
TMPFILES += daemon/muispd/muispd.tmpfiles
CONFS += daemon/muispd/muispd.conf
# The module's packet parser (kmod/gate.c, its host build) reads a held
# packet's flow (holdq.c): one parser for the kernel and muispd.
$(BUILD)/rel/daemon/muispd/holdq.o: CPPFLAGS += $(UNIT_CPPFLAGS)
