// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-dhcpd: start-up and the event loop (lib/evloop, sd-event): two io
 * sources per interface (the UDP socket, the packet socket), one timer at
 * the next deadline (leases, offers, quarantines; the kernel reconnect),
 * and a post source that expires, flushes and re-arms that timer after
 * every pass.  Signals come
 * from evloop: SIGHUP reloads, SIGUSR1 applies operator requests and logs
 * the counters, SIGTERM/SIGINT exit; systemd readiness too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "daemon_opts.h"
#include "evloop.h"
#include "io.h"
#include "kernel.h"
#include "leasedb.h"
#include "log.h"
#include "server.h"

#define KERNEL_RETRY_S 10
#define RX_BUF	       65536
#define MAX_WAIT_S     86400
/* Frames read off a packet socket per pass once its UDP socket is empty
 * (the loop comes back if more are queued). */
#define DRAIN_FRAMES 1024

struct dhcpd {
	const char *path;
	struct dhcp_conf *conf;
	struct leasedb *db;
	struct server srv;
	struct kernel_nl *knl;
	int kernel_wanted;
	int64_t kernel_retry_at;
	sd_event *e;
	sd_event_source *io[CONF_MAX_IFACES];  /* srv.ifaces[i].udp_fd */
	sd_event_source *pio[CONF_MAX_IFACES]; /* srv.ifaces[i].pkt_fd */
	sd_event_source *wit[CONF_MAX_IFACES]; /* end of a wait for a frame */
	sd_event_source *timer;
};

static struct dhcpd D;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: muisp-dhcpd [-dnv] [-f config]\n"
		"  -d         stay in the foreground, log to stderr\n"
		"  -f FILE    configuration (default " CONF_DEFAULT_PATH ")\n"
		"  -n         check the configuration and exit\n"
		"  -v         verbose (repeat for debug)\n"
		"  -h, --help this text\n"
		"Signals: HUP reload, TERM/INT exit, USR1 apply operator "
		"requests and log counters.\n");
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static void kernel_connect(struct dhcpd *d, int64_t now)
{
	if (!d->kernel_wanted)
		return;
	if (!d->knl) {
		d->knl = kernel_nl_open();
		if (!d->knl) {
			log_warn("kernel hand-off: cannot open the muisp "
				 "generic netlink family (is muisp.ko "
				 "loaded?); leases are served but the access "
				 "gate does not see them; retrying every %d s",
				 KERNEL_RETRY_S);
			d->srv.kops.update = NULL;
			d->srv.kops.lookup = NULL;
			d->srv.kernel_failed = 1;
			d->kernel_retry_at = now + KERNEL_RETRY_S;
			return;
		}
		kernel_nl_ops(d->knl, &d->srv.kops);
		log_info("kernel hand-off: connected to the muisp family");
	}
	if (server_kernel_resync(&d->srv) < 0) {
		log_warn("kernel hand-off: resync failed; retrying in %d s",
			 KERNEL_RETRY_S);
		kernel_nl_close(d->knl);
		d->knl = NULL;
		d->srv.kops.update = NULL;
		d->srv.kops.lookup = NULL;
		d->srv.kernel_failed = 1;
		d->kernel_retry_at = now + KERNEL_RETRY_S;
	}
}

static int resolve_ids(struct dhcp_conf *c, uint32_t *ids)
{
	unsigned int i;
	char b[INET_ADDRSTRLEN];

	for (i = 0; i < c->nifaces; i++) {
		struct conf_iface *ifc = &c->ifaces[i];
		struct in_addr a;

		ids[i] = ifc->server_id;
		if (!ids[i] && io_iface_addr(ifc->name, &ids[i]) < 0) {
			log_warn("interface %s: no server-id configured and "
				 "no IPv4 address",
				 ifc->name);
			return -1;
		}
		a.s_addr = htonl(ids[i]);
		if ((ids[i] & ifc->mask) != ifc->net) {
			log_warnx("interface %s: server id %s is not on %s's "
				  "subnet",
				  ifc->name,
				  inet_ntop(AF_INET, &a, b, sizeof(b)),
				  ifc->name);
			return -1;
		}
	}
	return 0;
}

/* Datagrams of interface id (either of its sockets is readable, or a
 * wait for a frame ended): a batch of at most SRV_MAX_PENDING, the
 * replies and kernel calls flushed together (the source fires again if
 * more are queued).  Once the UDP socket is empty, the frames left on the
 * packet socket are ones that never became datagrams here (dropped on the
 * way, or not yet delivered): read into the witness ring so they cannot
 * fill its queue.  While the next datagram waits for its frame (io.h),
 * the UDP socket stays readable: its source is off until the packet
 * socket's fires or the wait's timer does. */
static void serve(struct dhcpd *d, unsigned int id)
{
	static uint8_t buf[RX_BUF];
	struct srv_iface *ifc = &d->srv.ifaces[id];
	int64_t now = now_s();
	int empty = 0, waiting = 0;
	unsigned int k;

	for (k = 0; k < SRV_MAX_PENDING; k++) {
		struct srv_src src;
		ssize_t len = io_recv(ifc, buf, sizeof(buf), &src);

		if (len < 0) {
			if (errno == EINPROGRESS) {
				waiting = 1;
				break;
			}
			if (errno != EAGAIN && errno != EINTR)
				log_warn("%s: recv", d->conf->ifaces[id].name);
			empty = 1;
			break;
		}
		server_input(&d->srv, id, buf, (size_t)len, &src, now);
		if (d->srv.nout >= SRV_MAX_PENDING - 1)
			break;
	}
	if (sd_event_source_set_enabled(d->io[id], waiting ? SD_EVENT_OFF :
							     SD_EVENT_ON) < 0 ||
	    (waiting ? evloop_timer_set(d->wit[id], io_wit_left(ifc)) :
		       evloop_timer_stop(d->wit[id])) < 0)
		fatalx("event loop: cannot wait for a frame");
	if (empty)
		io_drain_frames(ifc, DRAIN_FRAMES);
	server_flush(&d->srv, now);
}

static int on_packet(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct dhcpd *d = arg;
	unsigned int id;

	for (id = 0; id < d->srv.nifaces && d->io[id] != s && d->pio[id] != s;
	     id++)
		;
	if (id < d->srv.nifaces)
		serve(d, id);
	return 0;
}

static int on_wit_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct dhcpd *d = arg;
	unsigned int id;

	for (id = 0; id < d->srv.nifaces && d->wit[id] != s; id++)
		;
	if (id < d->srv.nifaces)
		serve(d, id);
	return 0;
}

static void unwatch(struct dhcpd *d)
{
	unsigned int i;

	for (i = 0; i < CONF_MAX_IFACES; i++) {
		d->io[i] = sd_event_source_disable_unref(d->io[i]);
		d->pio[i] = sd_event_source_disable_unref(d->pio[i]);
		d->wit[i] = sd_event_source_disable_unref(d->wit[i]);
	}
}

static int watch(struct dhcpd *d)
{
	unsigned int i;
	int r;

	for (i = 0; i < d->srv.nifaces; i++) {
		r = sd_event_add_io(d->e, &d->io[i], d->srv.ifaces[i].udp_fd,
				    EPOLLIN, on_packet, d);
		if (r >= 0)
			r = sd_event_add_io(d->e, &d->pio[i],
					    d->srv.ifaces[i].pkt_fd, EPOLLIN,
					    on_packet, d);
		if (r >= 0)
			r = evloop_timer(d->e, &d->wit[i], 0, 0, on_wit_timer,
					 d);
		if (r >= 0)
			r = evloop_timer_stop(d->wit[i]);
		if (r < 0) {
			errno = -r;
			return -1;
		}
	}
	return 0;
}

static int start_server(struct dhcpd *d, struct dhcp_conf *c)
{
	uint32_t ids[CONF_MAX_IFACES];
	unsigned int i;

	if (resolve_ids(c, ids) < 0)
		return -1;
	d->srv.send = io_send;
	if (server_init(&d->srv, c, ids, d->db, now_s()) < 0) {
		log_warn("cannot build the pools from the lease database");
		return -1;
	}
	for (i = 0; i < d->srv.nifaces; i++) {
		if (io_open(&d->srv.ifaces[i]) < 0) {
			log_warn("interface %s: sockets", c->ifaces[i].name);
			while (i-- > 0)
				io_close(&d->srv.ifaces[i]);
			return -1;
		}
	}
	return 0;
}

static void stop_server(struct dhcpd *d)
{
	unsigned int i;

	for (i = 0; i < d->srv.nifaces; i++)
		io_close(&d->srv.ifaces[i]);
	server_fini(&d->srv);
}

/* The timer: the next deadline, or the kernel reconnect if sooner. */
static void arm_timer(struct dhcpd *d, int64_t now)
{
	int64_t next = server_next_deadline(&d->srv), wait;

	if (d->kernel_wanted && d->srv.kernel_failed &&
	    (next < 0 || d->kernel_retry_at < next))
		next = d->kernel_retry_at;
	/* Counters and pool gauges not written yet (at most once a second):
	 * the next second, even when nothing else happens. */
	if (d->srv.stats_dirty && (next < 0 || d->srv.stats_written + 1 < next))
		next = d->srv.stats_written + 1;
	if (next < 0) {
		evloop_timer_stop(d->timer);
		return;
	}
	wait = next <= now	       ? 0 :
	       next - now > MAX_WAIT_S ? MAX_WAIT_S :
					 next - now;
	if (evloop_timer_set(d->timer, (uint64_t)wait * EVLOOP_USEC_PER_SEC) <
	    0)
		fatalx("event loop: cannot arm the timer");
}

/* The timer's work is the pass that follows it. */
static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	return 0;
}

/* After every pass of the loop (packets, timer, signals). */
static int on_pass(sd_event_source *s, void *arg)
{
	struct dhcpd *d = arg;
	int64_t now = now_s();

	server_expire(&d->srv, now);
	server_flush(&d->srv, now);
	if (d->kernel_wanted && d->srv.kernel_failed &&
	    now >= d->kernel_retry_at)
		kernel_connect(d, now);
	arm_timer(d, now);
	return 0;
}

/* SIGHUP: a bad file, or one that cannot be served, keeps the running
 * configuration; every lease is on disk, so the pools are rebuilt from
 * the database either way. */
static int on_reload(void *arg)
{
	struct dhcpd *d = arg;
	struct dhcp_conf *nc;
	uint64_t saved[ST__MAX];
	char err[512];
	int ret = 0;

	log_info("SIGHUP: reloading %s", d->path);
	nc = calloc(1, sizeof(*nc));
	if (!nc) {
		log_warn("reload");
		return -1;
	}
	if (config_load(d->path, nc, err, sizeof(err)) < 0) {
		log_warnx("reload: %s; keeping the running configuration", err);
		free(nc);
		return -1;
	}
	if (strcmp(nc->lease_db, d->conf->lease_db))
		log_warnx("reload: lease-db changes need a restart; "
			  "keeping %s",
			  d->conf->lease_db);
	strcpy(nc->lease_db, d->conf->lease_db);
	server_flush(&d->srv, now_s());
	memcpy(saved, d->srv.st, sizeof(saved));
	unwatch(d);
	stop_server(d);
	if (start_server(d, nc) < 0) {
		log_warnx("reload: new configuration failed; back to the "
			  "running one");
		stop_server(d);
		free(nc);
		if (start_server(d, d->conf) < 0)
			fatalx("cannot restore the running configuration");
		ret = -1;
	} else {
		free(d->conf);
		d->conf = nc;
		d->kernel_wanted = nc->kernel_sync;
		log_info("configuration reloaded");
	}
	memcpy(d->srv.st, saved, sizeof(saved));
	/* The pools as configured now (an interface added or gone). */
	server_write_stats(&d->srv, now_s());
	if (watch(d) < 0)
		fatal("event loop");
	if (d->kernel_wanted)
		kernel_connect(d, now_s());
	else
		d->srv.kops.update = NULL;
	return ret;
}

static void admin_release(uint32_t addr, void *arg)
{
	struct dhcpd *d = arg;
	char b[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = htonl(addr) };

	if (server_admin_release(&d->srv, addr, now_s()) < 0)
		log_warnx("operator release of %s: not leased",
			  inet_ntop(AF_INET, &a, b, sizeof(b)));
}

/* SIGUSR1: the operator's requests (muispctl lease release), then the
 * counters to the database and the log. */
static void on_usr1(void *arg)
{
	struct dhcpd *d = arg;
	int64_t now = now_s();

	if (leasedb_take_requests(d->db, admin_release, d) < 0)
		log_warnx("requests: %s", leasedb_errmsg(d->db));
	server_flush(&d->srv, now);
	server_write_stats(&d->srv, now);
	server_log_stats(&d->srv);
}

static const struct evloop_ops ops = {
	.reload = on_reload,
	.usr1 = on_usr1,
};

int main(int argc, char **argv)
{
	struct daemon_opts o = { .conf = CONF_DEFAULT_PATH };
	struct dhcpd *d = &D;
	int fg, check, verbose, r;
	char err[512];

	r = daemon_opts_parse(argc, argv, &o, NULL, NULL, NULL, NULL, usage);
	if (r != DAEMON_OPTS_RUN)
		return r;
	d->path = o.conf;
	fg = o.foreground;
	check = o.check;
	verbose = o.verbose;
	d->conf = calloc(1, sizeof(*d->conf));
	if (!d->conf) {
		perror("muisp-dhcpd");
		return 1;
	}
	if (config_load(d->path, d->conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		free(d->conf);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", d->path);
		free(d->conf);
		return 0;
	}
	/* systemd runs us in the foreground (Type=notify); log to syslog
	 * unless -d. */
	log_init(fg, LOG_DAEMON);
	log_setverbose(verbose);

	d->db = leasedb_open(d->conf->lease_db, LEASEDB_CREATE);
	if (!d->db)
		fatal("lease database %s", d->conf->lease_db);
	if (leasedb_set_meta(d->db, "pid", getpid()) < 0)
		fatalx("lease database %s: %s", d->conf->lease_db,
		       leasedb_errmsg(d->db));
	r = evloop_new(&d->e, &ops, d);
	if (r < 0)
		fatalx("event loop: %s", strerror(-r));
	if (start_server(d, d->conf) < 0)
		fatalx("start-up failed");
	d->kernel_wanted = d->conf->kernel_sync;
	if (d->kernel_wanted)
		kernel_connect(d, now_s());
	else
		log_info("kernel hand-off disabled (kernel-sync no)");
	if (watch(d) < 0)
		fatal("event loop");
	r = evloop_timer(d->e, &d->timer, 0, 0, on_timer, d);
	if (r >= 0)
		r = sd_event_add_post(d->e, NULL, on_pass, d);
	if (r < 0)
		fatalx("event loop: %s", strerror(-r));

	/* Expire what ended while we were down, then serve. */
	server_expire(&d->srv, now_s());
	server_flush(&d->srv, now_s());
	server_write_stats(&d->srv, now_s()); /* the pools from the start */
	arm_timer(d, now_s());
	log_info("started: %u interface%s, lease db %s", d->srv.nifaces,
		 d->srv.nifaces == 1 ? "" : "s", d->conf->lease_db);
	r = evloop_run(d->e);
	if (r < 0)
		log_warnx("event loop: %s", strerror(-r));

	server_flush(&d->srv, now_s());
	server_write_stats(&d->srv, now_s());
	server_log_stats(&d->srv);
	leasedb_set_meta(d->db, "pid", 0);
	unwatch(d);
	stop_server(d);
	sd_event_source_unref(d->timer);
	evloop_free(d->e);
	kernel_nl_close(d->knl);
	leasedb_close(d->db);
	free(d->conf);
	log_info("exiting");
	return r < 0 ? 1 : 0;
}
