// SPDX-License-Identifier: GPL-2.0
/*
 * muisp-dhcpd: start-up, the single-threaded epoll loop, signals
 * (SIGHUP reload, SIGTERM/SIGINT exit, SIGUSR1 operator requests + stats),
 * and systemd readiness.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "io.h"
#include "kernel.h"
#include "leasedb.h"
#include "log.h"
#include "server.h"

#define KERNEL_RETRY_S	10
#define RX_BUF		65536

static struct server srv;
static struct kernel_nl *knl;
static int kernel_wanted;
static int64_t kernel_retry_at;

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

/* systemd readiness: a datagram on $NOTIFY_SOCKET (sd_notify(3)). */
static void notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sun.sun_path))
		return;
	memcpy(sun.sun_path, path, strlen(path));
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			  strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
		   (struct sockaddr *)&sun, len) < 0)
		log_warn("sd_notify");
	close(fd);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static void kernel_connect(int64_t now)
{
	if (!kernel_wanted)
		return;
	if (!knl) {
		knl = kernel_nl_open();
		if (!knl) {
			log_warn("kernel hand-off: cannot open the muisp "
				 "generic netlink family (is muisp.ko "
				 "loaded?); leases are served but the access "
				 "gate does not see them; retrying every %d s",
				 KERNEL_RETRY_S);
			srv.kops.update = NULL;
			srv.kernel_failed = 1;
			kernel_retry_at = now + KERNEL_RETRY_S;
			return;
		}
		kernel_nl_ops(knl, &srv.kops);
		log_info("kernel hand-off: connected to the muisp family");
	}
	if (server_kernel_resync(&srv) < 0) {
		log_warn("kernel hand-off: resync failed; retrying in %d s",
			 KERNEL_RETRY_S);
		kernel_nl_close(knl);
		knl = NULL;
		srv.kops.update = NULL;
		srv.kernel_failed = 1;
		kernel_retry_at = now + KERNEL_RETRY_S;
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
				 "no IPv4 address", ifc->name);
			return -1;
		}
		a.s_addr = htonl(ids[i]);
		if ((ids[i] & ifc->mask) != ifc->net) {
			log_warnx("interface %s: server id %s is not on %s's "
				  "subnet", ifc->name,
				  inet_ntop(AF_INET, &a, b, sizeof(b)),
				  ifc->name);
			return -1;
		}
	}
	return 0;
}

static int start_server(struct dhcp_conf *c, struct leasedb *db)
{
	uint32_t ids[CONF_MAX_IFACES];
	unsigned int i;

	if (resolve_ids(c, ids) < 0)
		return -1;
	srv.send = io_send;
	if (server_init(&srv, c, ids, db, now_s()) < 0) {
		log_warn("cannot build the pools from the lease database");
		return -1;
	}
	for (i = 0; i < srv.nifaces; i++) {
		if (io_open(&srv.ifaces[i]) < 0) {
			log_warn("interface %s: sockets", c->ifaces[i].name);
			while (i-- > 0)
				io_close(&srv.ifaces[i]);
			return -1;
		}
	}
	return 0;
}

static void stop_server(void)
{
	unsigned int i;

	for (i = 0; i < srv.nifaces; i++)
		io_close(&srv.ifaces[i]);
	server_fini(&srv);
}

static int epoll_setup(int ep, int sfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int i;

	ev.data.u32 = UINT32_MAX;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev) < 0)
		return -1;
	for (i = 0; i < srv.nifaces; i++) {
		ev.data.u32 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, srv.ifaces[i].udp_fd, &ev) < 0)
			return -1;
	}
	return 0;
}

static void reload(const char *path, struct dhcp_conf **conf,
		   struct leasedb *db, int *ep, int sfd)
{
	struct dhcp_conf *nc;
	char err[512];
	uint64_t saved[ST__MAX];

	notify("RELOADING=1");
	nc = calloc(1, sizeof(*nc));
	if (!nc) {
		log_warn("reload");
		goto out;
	}
	if (config_load(path, nc, err, sizeof(err)) < 0) {
		log_warnx("reload: %s; keeping the running configuration", err);
		free(nc);
		goto out;
	}
	if (strcmp(nc->lease_db, (*conf)->lease_db))
		log_warnx("reload: lease-db changes need a restart; "
			  "keeping %s", (*conf)->lease_db);
	strcpy(nc->lease_db, (*conf)->lease_db);
	server_flush(&srv, now_s());
	memcpy(saved, srv.st, sizeof(saved));
	/* Every lease is on disk: rebuild the pools from the database. */
	stop_server();
	close(*ep);
	*ep = epoll_create1(EPOLL_CLOEXEC);
	if (start_server(nc, db) < 0) {
		log_warnx("reload: new configuration failed; back to the "
			  "running one");
		stop_server();
		free(nc);
		if (start_server(*conf, db) < 0)
			fatalx("cannot restore the running configuration");
	} else {
		free(*conf);
		*conf = nc;
		kernel_wanted = nc->kernel_sync;
		log_info("configuration reloaded");
	}
	memcpy(srv.st, saved, sizeof(saved));
	if (*ep < 0 || epoll_setup(*ep, sfd) < 0)
		fatal("epoll");
	if (kernel_wanted)
		kernel_connect(now_s());
	else
		srv.kops.update = NULL;
out:
	notify("READY=1");
}

static void admin_release(uint32_t addr, void *arg)
{
	char b[INET_ADDRSTRLEN];
	struct in_addr a = { .s_addr = htonl(addr) };

	if (server_admin_release(&srv, addr, now_s()) < 0)
		log_warnx("operator release of %s: not leased",
			  inet_ntop(AF_INET, &a, b, sizeof(b)));
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONF_DEFAULT_PATH;
	int fg = 0, check = 0, verbose = 0, ch, ep, sfd, running = 1;
	struct dhcp_conf *conf;
	struct leasedb *db;
	static uint8_t buf[RX_BUF];
	char err[512];
	sigset_t mask;

	while ((ch = getopt_long(argc, argv, "df:hnv", lopts, NULL)) != -1) {
		switch (ch) {
		case 'd': fg = 1; break;
		case 'f': path = optarg; break;
		case 'n': check = 1; break;
		case 'v': verbose++; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	conf = calloc(1, sizeof(*conf));
	if (!conf) {
		perror("muisp-dhcpd");
		return 1;
	}
	if (config_load(path, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		free(conf);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", path);
		free(conf);
		return 0;
	}
	/* systemd runs us in the foreground (Type=notify); log to syslog
	 * unless -d. */
	log_init(fg, LOG_DAEMON);
	log_setverbose(verbose);

	db = leasedb_open(conf->lease_db, LEASEDB_CREATE);
	if (!db)
		fatal("lease database %s", conf->lease_db);
	if (leasedb_set_meta(db, "pid", getpid()) < 0)
		fatalx("lease database %s: %s", conf->lease_db,
		       leasedb_errmsg(db));
	if (start_server(conf, db) < 0)
		fatalx("start-up failed");
	kernel_wanted = conf->kernel_sync;
	if (kernel_wanted)
		kernel_connect(now_s());
	else
		log_info("kernel hand-off disabled (kernel-sync no)");

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0 || epoll_setup(ep, sfd) < 0)
		fatal("event loop");

	/* Expire what ended while we were down, then serve. */
	server_expire(&srv, now_s());
	server_flush(&srv, now_s());
	log_info("started: %u interface%s, lease db %s", srv.nifaces,
		 srv.nifaces == 1 ? "" : "s", conf->lease_db);
	notify("READY=1");

	while (running) {
		struct epoll_event evs[16];
		int64_t now = now_s(), next = server_next_deadline(&srv);
		int timeout = -1, n, e;

		if (next >= 0)
			timeout = next <= now ? 0 :
				  (int)((next - now) > 86400 ? 86400000 :
					(next - now) * 1000);
		if (kernel_wanted && srv.kernel_failed) {
			int64_t d = kernel_retry_at - now;
			int t = d <= 0 ? 0 : (int)(d * 1000);

			if (timeout < 0 || t < timeout)
				timeout = t;
		}
		n = epoll_wait(ep, evs, 16, timeout);
		if (n < 0 && errno != EINTR)
			fatal("epoll_wait");
		now = now_s();
		for (e = 0; e < n; e++) {
			uint32_t id = evs[e].data.u32;

			if (id == UINT32_MAX) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) ==
				       sizeof(si)) {
					switch (si.ssi_signo) {
					case SIGHUP:
						log_info("SIGHUP: reloading %s",
							 path);
						reload(path, &conf, db, &ep,
						       sfd);
						/* evs[] refer to the old epoll
						 * set: start over. */
						n = 0;
						break;
					case SIGUSR1:
						if (leasedb_take_requests(db,
						    admin_release, NULL) < 0)
							log_warnx("requests: %s",
								  leasedb_errmsg(db));
						server_flush(&srv, now);
						server_write_stats(&srv, now);
						server_log_stats(&srv);
						break;
					default:
						running = 0;
						break;
					}
				}
				continue;
			}
			if (id >= srv.nifaces)
				continue;
			for (unsigned int k = 0; k < SRV_MAX_PENDING; k++) {
				ssize_t len = io_recv(&srv.ifaces[id], buf,
						      sizeof(buf));

				if (len < 0) {
					if (errno != EAGAIN && errno != EINTR)
						log_warn("%s: recv",
							 conf->ifaces[id].name);
					break;
				}
				server_input(&srv, id, buf, (size_t)len, now);
				if (srv.nout >= SRV_MAX_PENDING - 1)
					break;
			}
			server_flush(&srv, now);
		}
		server_expire(&srv, now);
		server_flush(&srv, now);
		if (kernel_wanted && srv.kernel_failed &&
		    now >= kernel_retry_at)
			kernel_connect(now);
	}

	notify("STOPPING=1");
	server_flush(&srv, now_s());
	server_write_stats(&srv, now_s());
	server_log_stats(&srv);
	leasedb_set_meta(db, "pid", 0);
	stop_server();
	kernel_nl_close(knl);
	leasedb_close(db);
	free(conf);
	close(ep);
	close(sfd);
	log_info("exiting");
	return 0;
}
