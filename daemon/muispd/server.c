// SPDX-License-Identifier: GPL-2.0
/*
 * muispd's start-up, loop and dispatch: opens the store, the receipt
 * keys, the kernel and the payment methods, restores the outstanding
 * contracts, then serves the control channel (TLS 1.3, or plain TCP for
 * ESP tunnels, paper §5), the operator socket, the module's events and
 * charon's in one single-threaded poll loop.  Every state change is
 * committed to the store (and pushed to the kernel) before the reply is
 * queued.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "log.h"
#include "muispd.h"
#include "payment_online.h"

/* An empty daemon with its configuration (nothing opened yet). */
void muispd_init(struct muispd *md, const struct muispd_conf *conf)
{
	memset(md, 0, sizeof(*md));
	md->conf = *conf;
	md->lfd = md->ufd = -1;
}

/* The state without the network: store, keys, kernel, payment methods,
 * the outstanding contracts. */
int muispd_open(struct muispd *md)
{
	const struct muispd_conf *conf = &md->conf;
	uint64_t now = muispd_now(md);

	md->online = payment_online_new();
	if (!md->online)
		return -1;
	if (conf->provider_port)
		payment_online_config(md->online, conf->provider_host,
				      conf->provider_port, conf->currency);
	payment_register(&md->pay, &payment_voucher);
	payment_register(&md->pay, &payment_room);
	payment_register(&md->pay, &payment_cash);
	payment_register(&md->pay, md->online);
	if (store_open(conf->database, &md->st))
		return -1;
	if (store_keys_load(md->st, &md->kr))
		return -1;
	if (!receipt_key_current(&md->kr)) {
		struct receipt_key k;
		int64_t id = receipt_keyring_rotate(&md->kr, now, 0, &k);

		if (id < 0 || store_key_put(md->st, &k))
			return -1;
		log_info("receipt key %lld created", (long long)id);
	}
	if (kernel_open(conf->use_kernel, &md->k))
		return -1;
	if (session_load(md, now))
		return -1;
	if (conf->vici[0] && !conf->use_kernel)
		log_warnx("vici %s ignored: no kernel module (kernel no)",
			  conf->vici);
	log_info("%u outstanding contracts restored", md->nlives);
	md->next_ckpt = now + conf->checkpoint_s;
	return 0;
}

void muispd_close(struct muispd *md)
{
	for (unsigned i = 0; i < md->nconns; i++)
		conn_free(md->conns[i]);
	md->nconns = 0;
	if (md->lfd >= 0)
		close(md->lfd);
	if (md->ufd >= 0) {
		close(md->ufd);
		unlink(md->conf.socket);
	}
	md->lfd = md->ufd = -1;
	ikesync_close(md);
	kernel_close(md->k);
	md->k = NULL;
	store_close(md->st);
	md->st = NULL;
	SSL_CTX_free(md->tls);
	md->tls = NULL;
	if (md->online)
		payment_online_free(md->online);
	md->online = NULL;
	free(md->lives);
	md->lives = NULL;
	md->nlives = md->caplives = 0;
}

int server_init(struct muispd *md, const struct muispd_conf *conf)
{
	muispd_init(md, conf);
	if (conn_tls_init(md) || muispd_open(md))
		return -1;
	return conn_listen(md);
}

void server_shutdown(struct muispd *md)
{
	md->quit = 1;
}

/* A decoded message from c: replies are refused, operator types go to
 * control.c (operator socket only), the others to channel.c. */
void server_dispatch(struct muispd *md, struct conn *c,
		     const struct mp_msg *m)
{
	if (m->flags & (MP_F_REPLY | MP_F_ASYNC)) {
		conn_error(c, m, MP_ERR_PROTO, "replies are not requests");
		return;
	}
	if (m->type >= 128) {
		if (c->kind != CONN_OP)
			conn_error(c, m, MP_ERR_PERM, "operator only");
		else
			control_dispatch(md, c, m);
		return;
	}
	channel_dispatch(md, c, m);
}

int server_run(struct muispd *md)
{
	struct pollfd *pfd = calloc(MUISPD_MAX_CONNS + 4, sizeof(*pfd));
	uint64_t now, next_tick = 0;

	if (!pfd)
		return -1;

	ikesync_connect(md, muispd_now(md));
	while (!md->quit) {
		unsigned n = 0, base;
		int kfd = kernel_event_fd(md->k);
		int ifd = ikesync_fd(md);

		pfd[n].fd = md->lfd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = md->ufd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = kfd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = ifd;
		pfd[n++].events = POLLIN;
		base = n;
		for (unsigned i = 0; i < md->nconns; i++) {
			struct conn *c = md->conns[i];

			pfd[n].fd = c->fd;
			pfd[n].events = POLLIN;
			if (c->wlen || c->want_write)
				pfd[n].events |= POLLOUT;
			pfd[n].revents = 0;
			n++;
		}
		if (poll(pfd, n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			free(pfd);
			return -1;
		}
		if (pfd[0].revents & POLLIN)
			conn_accept(md, md->lfd, CONN_USER);
		if (pfd[1].revents & POLLIN)
			conn_accept(md, md->ufd, CONN_OP);
		/* POLLERR is a pending ENOBUFS: the read clears it. */
		if (kfd >= 0 && (pfd[2].revents & (POLLIN | POLLERR)))
			kernel_events(md->k, session_kernel_event, md);
		/* charon: events, or the socket closed (charon stopped) */
		if (ifd >= 0 && (pfd[3].revents & (POLLIN | POLLHUP | POLLERR)))
			ikesync_dispatch(md);
		/* Connections: index i still matches pfd[base + i] because
		 * new ones were appended after the snapshot. */
		for (unsigned i = 0; i < n - base; i++)
			if (pfd[base + i].revents)
				conn_event(md, md->conns[i],
					   pfd[base + i].revents);
		/* Metering, warnings and checkpoints once a second, however
		 * busy the channel is. */
		now = muispd_now(md);
		if (now >= next_tick) {
			session_tick(md, now);
			ikesync_connect(md, now);
			ikesync_probe(md);
			next_tick = now + 1;
		}
		/* Flush replies and warnings queued by others' events. */
		for (unsigned i = 0; i < md->nconns;) {
			struct conn *c = md->conns[i];

			if (c->state == C_OPEN && c->wlen && conn_flush(c))
				c->state = C_CLOSING;
			if (c->state == C_CLOSING) {
				if (c->wlen)
					conn_flush(c);
				conn_free(c);
				md->conns[i] = md->conns[--md->nconns];
				continue;
			}
			i++;
		}
	}
	free(pfd);
	session_checkpoint_final(md);
	muispd_close(md);
	return 0;
}
