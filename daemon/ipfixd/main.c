// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-ipfixd: start-up and the event loop (lib/evloop, sd-event).  One
 * generic netlink socket on the module's "flows" group (or a --replay
 * file), one connected UDP socket per collector, a periodic tick of
 * ipfix-flush-ms that sends the open message, and the operator socket
 * answering MP_T_OP_STATS.  SIGTERM sends the pending message, then exits.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "daemon_opts.h"
#include "evloop.h"
#include "ipfixd.h"
#include "log.h"
#include "nl_follow.h"
#include "parse.h"
#include "proto.h"

#define NL_BATCH     256 /* records read per wake-up */
#define REPLAY_BATCH 512 /* records replayed per pass (full speed) */
#define REPLAY_TICK  (10 * EVLOOP_USEC_PER_MSEC)
#define OP_MAX_CONNS 8

struct opconn {
	int fd;
	sd_event_source *src;
	size_t len;
	uint8_t buf[MP_MAX_FRAME];
};

struct ipfixd {
	const char *path;
	struct ipfixd_conf conf;
	struct ipfixd_exp x;
	sd_event *e;
	struct nl_follow follow; /* the module's "flows" group */
	int ufd[IPFIXD_MAX_COLLECTORS];
	uint8_t connected[IPFIXD_MAX_COLLECTORS];
	int opfd;
	struct opconn *conns[OP_MAX_CONNS];
	uint64_t rx_tick; /* records received by the last tick */
	/* --replay */
	const char *replay_path;
	uint64_t replay_rate; /* records/s, 0: as fast as possible */
	uint8_t *rbuf;
	size_t rlen;
	struct ipfixd_replay rp;
	sd_event_source *replay_src;
	uint64_t replay_t0, replayed;
};

static struct ipfixd D = { .opfd = -1 };

static void usage(FILE *f)
{
	fprintf(f,
		"usage: muisp-ipfixd [-dnv] [-f config] [--replay FILE "
		"[--replay-rate N]]\n"
		"  -d                stay in the foreground, log to stderr\n"
		"  -f FILE           configuration (default " IPFIXD_CONF_PATH
		")\n"
		"  -n                check the configuration and exit\n"
		"  -v                verbose (repeat for debug)\n"
		"  --replay FILE     export the flow records of FILE (netlink "
		"messages,\n"
		"                    root-owned) instead of the module's\n"
		"  --replay-rate N   at N records/s (default: as fast as "
		"possible)\n"
		"  -h, --help        this text\n"
		"Signals: TERM/INT send the pending message and exit.\n");
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * EVLOOP_USEC_PER_SEC +
	       (uint64_t)ts.tv_nsec / 1000;
}

/* ---- collectors ---- */

static int coll_connect(struct ipfixd *d, unsigned int k)
{
	const struct ipfixd_collector *c = &d->conf.coll[k];

	if (d->connected[k])
		return 0;
	if (connect(d->ufd[k], (const struct sockaddr *)&c->sa, c->salen) < 0)
		return -1;
	d->connected[k] = 1;
	return 0;
}

static int send_coll(void *arg, unsigned int k, struct iovec *msgs,
		     unsigned int n, uint8_t *ok)
{
	struct ipfixd *d = arg;
	struct mmsghdr mm[IPFIXD_QUEUE];
	unsigned int i = 0, j;
	int err = 0, r;

	if (coll_connect(d, k) < 0)
		return errno;
	memset(mm, 0, sizeof(mm));
	for (j = 0; j < n; j++) {
		mm[j].msg_hdr.msg_iov = &msgs[j];
		mm[j].msg_hdr.msg_iovlen = 1;
	}
	while (i < n) {
		r = sendmmsg(d->ufd[k], mm + i, n - i, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			ok[i++] = 0; /* that one is lost; go on */
			continue;
		}
		for (j = 0; j < (unsigned int)r; j++)
			ok[i + j] = 1;
		i += (unsigned int)r;
	}
	return err;
}

static void open_collectors(struct ipfixd *d)
{
	unsigned int k;

	for (k = 0; k < d->conf.ncoll; k++) {
		d->ufd[k] = socket(d->conf.coll[k].sa.ss_family,
				   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
				   0);
		if (d->ufd[k] < 0)
			fatal("collector %s: socket", d->conf.coll[k].name);
		if (coll_connect(d, k) < 0)
			log_warn("collector %s: connect (retried on every "
				 "send)",
				 d->conf.coll[k].name);
	}
}

/* ---- records in ---- */

static void after_batch(struct ipfixd *d)
{
	ipfixd_exp_send(&d->x);
}

static int on_record(const struct muisp_nl_flow *f, void *arg)
{
	struct ipfixd *d = arg;

	if (ipfixd_exp_record(&d->x, f) < 0)
		log_debug("flow record %llu: not exportable",
			  (unsigned long long)f->id);
	return MNL_CB_OK;
}

static void on_nl(struct muisp_nl *nl, void *arg)
{
	struct ipfixd *d = arg;
	unsigned int k;

	for (k = 0; k < NL_BATCH; k++) {
		if (muisp_nl_recv_events(nl, NULL, on_record, d) == 0)
			continue;
		if (errno == EAGAIN)
			break;
		if (errno == ENOBUFS) {
			/* the loss itself shows as a gap in the numbers */
			if (!d->x.ctr.overruns++)
				log_warnx("netlink socket overrun: flow "
					  "records lost (counted as "
					  "records_lost_overrun; raise "
					  "ipfix-rcvbuf)");
		} else if (errno != EINTR) {
			d->x.ctr.records_invalid++;
			log_debug("netlink: %s", strerror(errno));
		}
	}
	after_batch(d);
}

/* The module went away or came back: a new module numbers from 1 again,
 * so what the old one left missing is counted now and the numbering
 * starts afresh. */
static void on_nl_change(bool up, void *arg)
{
	struct ipfixd *d = arg;

	ipfixd_exp_flush(&d->x);
	ipfixd_count_lost(&d->x.ctr, ipfixd_seq_restart(&d->x.seq));
	if (up)
		d->x.ctr.module_reloads = d->follow.reloads;
}

/* The tick: send what waited, count the missing numbers as lost once
 * nothing came for a whole tick (no late record can still be coming). */
static int on_tick(sd_event_source *s, uint64_t usec, void *arg)
{
	struct ipfixd *d = arg;

	ipfixd_exp_flush(&d->x);
	if (d->x.ctr.records_received == d->rx_tick)
		ipfixd_count_lost(&d->x.ctr, ipfixd_seq_settle(&d->x.seq));
	d->rx_tick = d->x.ctr.records_received;
	return 0;
}

/* ---- --replay ---- */

static void replay_end(struct ipfixd *d)
{
	double dt;

	/* the open message goes with the next tick, as it would live */
	ipfixd_count_lost(&d->x.ctr, ipfixd_seq_settle(&d->x.seq));
	dt = (double)(now_usec() - d->replay_t0) / 1e6;
	log_info("replay: %llu records in %.3f s (%.0f records/s), "
		 "exported %llu, lost %llu",
		 (unsigned long long)d->replayed, dt,
		 dt > 0 ? (double)d->replayed / dt : 0.0,
		 (unsigned long long)d->x.ctr.records_exported,
		 (unsigned long long)(d->x.ctr.records_lost_send +
				      d->x.ctr.records_lost_overrun));
	/* off, not freed: this runs inside the source's own callback */
	sd_event_source_set_enabled(d->replay_src, SD_EVENT_OFF);
}

/* Replay up to n records; 0 while there are more, 1 at the end. */
static int replay_some(struct ipfixd *d, uint64_t n)
{
	struct muisp_nl_flow f;
	char err[128];
	int r = 1;

	while (n-- &&
	       (r = ipfixd_replay_next(&d->rp, &f, err, sizeof(err))) == 1) {
		on_record(&f, d);
		d->replayed++;
	}
	after_batch(d);
	if (r < 0) /* checked at start-up: cannot happen */
		fatalx("replay %s: %s", d->replay_path, err);
	if (r == 0) {
		replay_end(d);
		return 1;
	}
	return 0;
}

static int on_replay_defer(sd_event_source *s, void *arg)
{
	replay_some(arg, REPLAY_BATCH);
	return 0;
}

static int on_replay_tick(sd_event_source *s, uint64_t usec, void *arg)
{
	struct ipfixd *d = arg;
	uint64_t due = d->replay_rate * (now_usec() - d->replay_t0) /
		       EVLOOP_USEC_PER_SEC;

	if (due > d->replayed)
		replay_some(d, due - d->replayed);
	return 0;
}

static void replay_start(struct ipfixd *d)
{
	struct muisp_nl_flow f;
	char err[256];
	uint64_t n = 0;
	int r;

	if (ipfixd_replay_load(d->replay_path, &d->rbuf, &d->rlen, err,
			       sizeof(err)) < 0)
		fatalx("replay: %s", err);
	/* the whole file is checked before anything is sent */
	ipfixd_replay_init(&d->rp, d->rbuf, d->rlen);
	while ((r = ipfixd_replay_next(&d->rp, &f, err, sizeof(err))) == 1)
		n++;
	if (r < 0)
		fatalx("replay %s: %s", d->replay_path, err);
	ipfixd_replay_init(&d->rp, d->rbuf, d->rlen);
	log_info("replay: %llu flow records from %s", (unsigned long long)n,
		 d->replay_path);
	d->replay_t0 = now_usec();
	r = d->replay_rate ? evloop_timer(d->e, &d->replay_src, REPLAY_TICK,
					  REPLAY_TICK, on_replay_tick, d) :
			     sd_event_add_defer(d->e, &d->replay_src,
						on_replay_defer, d);
	if (r >= 0 && !d->replay_rate)
		r = sd_event_source_set_enabled(d->replay_src, SD_EVENT_ON);
	if (r < 0)
		fatalx("event loop: %s", strerror(-r));
}

/* ---- the operator socket ---- */

static void counter_put(void *arg, const char *name, uint64_t v)
{
	if (mp_add_counter(arg, name, v) < 0)
		log_warnx("counter %s not sent", name);
}

static void op_close(struct ipfixd *d, struct opconn *c)
{
	unsigned int i;

	for (i = 0; i < OP_MAX_CONNS; i++)
		if (d->conns[i] == c)
			d->conns[i] = NULL;
	sd_event_source_disable_unref(c->src);
	close(c->fd);
	free(c);
}

/* Answer one request frame; -1 to drop the connection. */
static int op_answer(struct opconn *c, const uint8_t *frame, size_t len)
{
	static struct mp_msg req, rep;
	static uint8_t out[MP_MAX_FRAME];
	int n, st = mp_decode(frame, len, &req);

	if (st == 0 && req.type == MP_T_OP_STATS) {
		mp_init(&rep, MP_T_OP_COUNTERS, MP_F_REPLY, req.serial);
		ipfixd_counters_each(&D.x.ctr, counter_put, &rep);
	} else {
		mp_init(&rep, MP_T_ERROR, MP_F_REPLY, req.serial);
		mp_set_u(&rep, MP_A_ERROR, MP_ERR_PROTO);
		mp_set_s(&rep, MP_A_MESSAGE,
			 st ? mp_strerror(st) :
			      "muisp-ipfixd answers op-stats only");
	}
	n = mp_encode(&rep, out, sizeof(out));
	if (n < 0 ||
	    send(c->fd, out, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) != n)
		return -1;
	return st ? -1 : 0;
}

static int on_op_data(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct opconn *c = arg;
	ssize_t n = recv(fd, c->buf + c->len, sizeof(c->buf) - c->len,
			 MSG_DONTWAIT);
	int flen;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		op_close(&D, c);
		return 0;
	}
	c->len += (size_t)n;
	for (;;) {
		flen = mp_frame_len(c->buf, c->len);
		if (flen == MP_E_SHORT || (flen > 0 && (size_t)flen > c->len))
			return 0; /* wait for the rest */
		if (flen < 0) {
			/* a bad header: say why, then hang up */
			op_answer(c, c->buf, c->len);
			op_close(&D, c);
			return 0;
		}
		if (op_answer(c, c->buf, (size_t)flen) < 0) {
			op_close(&D, c);
			return 0;
		}
		memmove(c->buf, c->buf + flen, c->len - (size_t)flen);
		c->len -= (size_t)flen;
	}
}

static int on_op_accept(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct ipfixd *d = arg;
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	struct opconn *c;
	unsigned int i;
	int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return 0;
	if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) ||
	    (cr.uid != 0 && cr.uid != geteuid())) {
		log_warnx("operator socket: uid refused");
		close(cfd);
		return 0;
	}
	for (i = 0; i < OP_MAX_CONNS && d->conns[i]; i++)
		;
	c = i < OP_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		log_warnx("operator socket: too many connections");
		close(cfd);
		return 0;
	}
	c->fd = cfd;
	if (sd_event_add_io(d->e, &c->src, cfd, EPOLLIN, on_op_data, c) < 0) {
		close(cfd);
		free(c);
		return 0;
	}
	d->conns[i] = c;
	return 0;
}

static void op_listen(struct ipfixd *d)
{
	struct sockaddr_un su = { .sun_family = AF_UNIX };
	mode_t old;
	int rc;

	if (strlen(d->conf.socket) >= sizeof(su.sun_path))
		fatalx("socket %s: path too long", d->conf.socket);
	strcpy(su.sun_path, d->conf.socket);
	unlink(d->conf.socket);
	d->opfd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->opfd < 0)
		fatal("operator socket");
	old = umask(077); /* mode 0600 */
	rc = bind(d->opfd, (struct sockaddr *)&su, sizeof(su));
	umask(old);
	if (rc < 0 || listen(d->opfd, 16) < 0)
		fatal("operator socket %s", d->conf.socket);
	rc = sd_event_add_io(d->e, NULL, d->opfd, EPOLLIN, on_op_accept, d);
	if (rc < 0)
		fatalx("event loop: %s", strerror(-rc));
}

static void on_stopping(void *arg)
{
	ipfixd_exp_flush(&((struct ipfixd *)arg)->x);
}

static const struct evloop_ops ops = {
	.stopping = on_stopping,
};

/* --replay FILE, --replay-rate N (daemon_opts' own-option callback). */
static int replay_opt(int ch, const char *arg, void *ctx)
{
	struct ipfixd *d = ctx;
	const char *why;

	if (ch == 'R') {
		d->replay_path = arg;
		return 0;
	}
	if (parse_uint(arg, 100000000, &d->replay_rate, &why) < 0) {
		fprintf(stderr, "muisp-ipfixd: invalid replay-rate '%s': %s\n",
			arg, why);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "replay", required_argument, NULL, 'R' },
		{ "replay-rate", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon_opts o = { .conf = IPFIXD_CONF_PATH };
	struct ipfixd *d = &D;
	int fg, check, verbose, r;
	char err[512];
	unsigned int k;

	r = daemon_opts_parse(argc, argv, &o, NULL, lopts, replay_opt, d,
			      usage);
	if (r != DAEMON_OPTS_RUN)
		return r;
	d->path = o.conf;
	fg = o.foreground;
	check = o.check;
	verbose = o.verbose;
	if (ipfixd_config_load(d->path, &d->conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", d->path);
		return 0;
	}
	log_init(fg, LOG_DAEMON);
	log_setverbose(verbose);

	if (ipfixd_exp_init(&d->x, &d->conf, send_coll, d) < 0)
		fatal("memory");
	r = evloop_new(&d->e, &ops, d);
	if (r < 0)
		fatalx("event loop: %s", strerror(-r));
	open_collectors(d);
	if (d->replay_path) {
		replay_start(d);
	} else {
		d->follow.e = d->e;
		d->follow.group = MUISP_GENL_MCGRP_FLOWS;
		d->follow.what = "flow records";
		d->follow.rcvbuf = (int)d->conf.rcvbuf;
		d->follow.retry_s = IPFIXD_RETRY_S;
		d->follow.on_data = on_nl;
		d->follow.on_change = on_nl_change;
		d->follow.arg = d;
		if (nl_follow_start(&d->follow) < 0)
			fatalx("event loop: the netlink sources");
	}
	op_listen(d);
	r = evloop_timer(d->e, NULL, d->conf.flush_ms * EVLOOP_USEC_PER_MSEC,
			 d->conf.flush_ms * EVLOOP_USEC_PER_MSEC, on_tick, d);
	if (r < 0)
		fatalx("event loop: %s", strerror(-r));
	log_info("started: %u collector%s, domain %u, mtu %u%s", d->conf.ncoll,
		 d->conf.ncoll == 1 ? "" : "s", d->conf.domain_id, d->conf.mtu,
		 d->replay_path ? ", replaying a file" : "");
	r = evloop_run(d->e);
	if (r < 0)
		log_warnx("event loop: %s", strerror(-r));

	ipfixd_exp_flush(&d->x);
	for (k = 0; k < OP_MAX_CONNS; k++)
		if (d->conns[k])
			op_close(d, d->conns[k]);
	sd_event_source_disable_unref(d->replay_src);
	nl_follow_stop(&d->follow);
	evloop_free(d->e);
	for (k = 0; k < d->conf.ncoll; k++)
		close(d->ufd[k]);
	if (d->opfd >= 0) {
		close(d->opfd);
		unlink(d->conf.socket);
	}
	ipfixd_exp_fini(&d->x);
	free(d->rbuf);
	log_info("exiting: %llu records received, %llu exported, %llu lost",
		 (unsigned long long)d->x.ctr.records_received,
		 (unsigned long long)d->x.ctr.records_exported,
		 (unsigned long long)(d->x.ctr.records_lost_overrun +
				      d->x.ctr.records_lost_send));
	return r < 0 ? 1 : 0;
}
