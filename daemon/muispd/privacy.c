// SPDX-License-Identifier: GPL-2.0
/*
 * Privacy as paid for.  A contract's privacy option (0 AH, 1 ESP) is
 * priced per offer item; the tunnel an address really uses is the SA the
 * module's entry records for it (ikesync.c, from charon's CHILD_SAs), and
 * the module passes an address's traffic only through that SA.  So the
 * rule is one comparison: a contract is bound only where the recorded SA
 * is of the protocol bought, in both directions (AH bought, ESP run: the
 * cheap item over the dear tunnel; ESP bought, AH run: the client does not
 * get the secrecy it paid for and must bring up the right tunnel).
 *
 * Checked when a contract is bought (DEPOSIT, before anything is paid)
 * and bound (BIND, session_bind), and after every SA change muispd sees
 * for a bound address (tun_sync_addr: rekey, new SA, resync after a
 * restart): a mismatch then unbinds the contract.  Unbinding, not
 * suspending nor settling: the contract stays outstanding with its usage
 * so far (charged as usual when it is settled) and binds again from its
 * receipt once the client has a tunnel of the privacy it bought.
 *
 * An address without a recorded SA (no vici, require-tunnel off) is not
 * checked: muispd does not know its tunnel.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "acct.h"
#include "log.h"
#include "muispd.h"
#include "uapi/muisp.h"

const char *privacy_name(unsigned privacy)
{
	return privacy ? "ESP" : "AH";
}

int privacy_mismatch(uint8_t privacy, const struct tun_id *id)
{
	if (!id->spi)
		return 0;
	return id->proto != (privacy ? IPPROTO_ESP : IPPROTO_AH);
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_ESP ? "ESP" : proto == IPPROTO_AH ? "AH" : "?";
}

static struct log_rl rl_privacy = LOG_RL_INIT(10, 5);

int privacy_check(struct muispd *md, const char *addr, uint8_t privacy,
		  const char *what, char *msg, size_t len)
{
	struct kernel_addr ka;
	int rc = kernel_addr_get(md->k, addr, &ka);

	if (rc < 0) {
		if (msg)
			snprintf(msg, len, "cannot read the tunnel of %s",
				 addr);
		return MP_ERR_INTERNAL;
	}
	if (rc > 0 || !privacy_mismatch(privacy, &ka.e.id))
		return 0;
	if (msg) {
		snprintf(msg, len,
			 "bought %s, but the tunnel of %s is %s: bring up an "
			 "%s tunnel, then %s",
			 privacy_name(privacy), addr, proto_name(ka.e.id.proto),
			 privacy_name(privacy), what);
		log_ratelimited(&rl_privacy, LOG_INFO, "%s: %s refused: %s",
				addr, what, msg);
	}
	return MP_ERR_PRIVACY;
}

void privacy_enforce(struct muispd *md, const char *addr,
		     const struct tun_entry *e, uint64_t lost)
{
	uint64_t serial = e->state == MUISP_ADDR_STATE_BOUND ? e->contract :
							       lost;
	struct live *l = live_find(md, serial);

	if (!e->exists || !l || !privacy_mismatch(l->rec.privacy, &e->id))
		return;
	if (serial == lost) {
		/* Unbound already (its SA is gone); say why it will not
		 * bind through the SA that took the address over. */
		log_info("contract %llu: bought %s, the new tunnel of %s is "
			 "%s: it binds again only through an %s tunnel",
			 (unsigned long long)serial,
			 privacy_name(l->rec.privacy), addr,
			 proto_name(e->id.proto), privacy_name(l->rec.privacy));
		return;
	}
	if (!contract_is_bound(l->rec.state) || strcmp(l->rec.addr, addr) ||
	    session_step(l, CE_UNBIND, 0, muispd_now(md)))
		return;
	l->acct_cause = RAD_TERM_LOST_SERVICE;
	l->rec.addr[0] = '\0';
	l->pending = 0;
	session_save(md, l, 1);
	if (kernel_addr_unbind(md->k, addr))
		session_kretry(md, addr, serial);
	log_info("contract %llu: unbound from %s: bought %s, its tunnel is "
		 "now %s (spi 0x%08x); it binds again through an %s tunnel",
		 (unsigned long long)serial, addr, privacy_name(l->rec.privacy),
		 proto_name(e->id.proto), e->id.spi,
		 privacy_name(l->rec.privacy));
}
