// SPDX-License-Identifier: GPL-2.0
/*
 * Users' own addresses leased at login (the Multi-IP scheme's dynamic
 * allocation, thesis ch. 6; uinfod.h): each user with "address dhcp" has
 * a DHCP client of their own (lease.c) while systemd-logind says they
 * are logged in, and main.c is told when an address becomes theirs or
 * stops being theirs.
 *
 * The clients share one AF_PACKET socket on the interface rather than a
 * UDP socket on port 68, which the host's own DHCP client holds: a
 * classic BPF filter lets through only unfragmented IPv4/UDP to port 68,
 * and the transaction id tells which user's exchange a reply answers.
 * Requests go out the same socket with IP and UDP headers built here
 * (lib/udp4), broadcast or to the server's MAC; no address of the host's
 * is needed, and none is touched.
 *
 * Logins come from sd-login: a monitor of "uid" (systemd-logind's
 * /run/systemd/users, one file per user with a session or lingering)
 * wakes the loop, and sd_get_uids() says who is there now.
 */
#include <errno.h>
#include <linux/filter.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "log.h"
#include "udp4.h"
#include "uinfod.h"

/* Replies read per wake-up (the loop comes back for more). */
#define DHCP_BATCH 64

struct uinfod_dhcp {
	sd_event *e;
	const struct uinfod_conf *c;
	uint32_t ifindex;
	uint8_t mac[6];
	int fd;
	sd_event_source *io, *timer, *login_io;
	sd_login_monitor *mon;
	struct uinfod_lease *leases;
	unsigned int n;
	const struct uinfod_dhcp_ops *ops;
	void *arg;
	uint64_t bad, not_ours; /* replies dropped: malformed, no exchange */
};

static uint32_t rnd32(void)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)random();
	return r;
}

static uint64_t now_ms(const struct uinfod_dhcp *d)
{
	uint64_t us = 0;

	sd_event_now(d->e, CLOCK_MONOTONIC, &us);
	return us / 1000;
}

static void send_tx(struct uinfod_dhcp *d, const struct uinfod_lease *l,
		    const struct uinfod_lease_tx *tx)
{
	uint8_t pkt[28 + sizeof(tx->buf)];
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = (int)d->ifindex,
		.sll_halen = 6,
	};
	size_t n;

	if (!tx->len)
		return;
	memcpy(ll.sll_addr, tx->dst_mac, 6);
	n = udp4_build(pkt, sizeof(pkt), tx->src, tx->dst, 68, 67, tx->buf,
		       tx->len);
	if (sendto(d->fd, pkt, n, 0, (struct sockaddr *)&ll, sizeof(ll)) < 0)
		log_warn("uid %u's lease: send", l->uid);
}

/* An event of lease l's: main.c applies it; the timer follows. */
static void handle(struct uinfod_dhcp *d, struct uinfod_lease *l,
		   enum uinfod_lease_event ev, const struct uinfod_lease_tx *tx)
{
	if (ev != UINFOD_LEASE_NONE)
		d->ops->changed(d->arg, l, ev);
	send_tx(d, l, tx);
}

static void arm(struct uinfod_dhcp *d)
{
	uint64_t next = UINT64_MAX;

	for (unsigned int i = 0; i < d->n; i++)
		if (d->leases[i].next < next)
			next = d->leases[i].next;
	if (next == UINT64_MAX) {
		sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
		return;
	}
	sd_event_source_set_time(d->timer, next * 1000);
	sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
}

static int on_timer(sd_event_source *s, uint64_t usec, void *arg)
{
	struct uinfod_dhcp *d = arg;
	uint64_t now = now_ms(d);

	for (unsigned int i = 0; i < d->n; i++) {
		struct uinfod_lease *l = &d->leases[i];
		struct uinfod_lease_tx tx;

		if (l->next <= now)
			handle(d, l, uinfod_lease_timer(l, now, rnd32(), &tx),
			       &tx);
	}
	arm(d);
	return 0;
}

static struct log_rl rl_bad = LOG_RL_INIT(60, 3);

/* One reply: to the lease whose exchange it answers, if any; with
 * csum, its UDP checksum is there to check. */
static void on_reply(struct uinfod_dhcp *d, const uint8_t *pkt, size_t n,
		     const struct sockaddr_ll *from, int csum)
{
	static struct dhcp_msg m; /* large: one at a time */
	struct uinfod_lease_tx tx;
	struct udp4_frame f;
	enum dhcp_perr e;

	if (udp4_parse(pkt, n, &f) < 0 || f.sport != 67 ||
	    !udp4_sums_ok(pkt, &f, csum) || from->sll_halen != 6) {
		d->bad++;
		return;
	}
	e = dhcp_parse(f.payload, f.len, BOOTREPLY, &m);
	if (e != DHCP_OK) {
		d->bad++;
		log_ratelimited(&rl_bad, LOG_INFO,
				"users' leases: a reply dropped: %s (%llu in "
				"all)",
				dhcp_perr_str(e), (unsigned long long)d->bad);
		return;
	}
	for (unsigned int i = 0; i < d->n; i++) {
		struct uinfod_lease *l = &d->leases[i];

		if (l->state == UINFOD_LEASE_IDLE || l->xid != m.xid)
			continue;
		handle(d, l,
		       uinfod_lease_input(l, &m, from->sll_addr, now_ms(d),
					  rnd32(), &tx),
		       &tx);
		return;
	}
	d->not_ours++; /* the host's own client's, or late */
}

/* struct tpacket_auxdata (linux/if_packet.h, which clashes with
 * netpacket/packet.h): tp_status says whether the checksum is done. */
struct auxdata {
	uint32_t tp_status, tp_len, tp_snaplen;
	uint16_t tp_mac, tp_net, tp_vlan_tci, tp_vlan_tpid;
};
#define AUX_CSUMNOTREADY (1u << 3) /* TP_STATUS_CSUMNOTREADY */
#define AUX_CSUM_VALID	 (1u << 7) /* TP_STATUS_CSUM_VALID */

static int on_packet(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct uinfod_dhcp *d = arg;
	uint8_t pkt[65536];

	for (unsigned int k = 0; k < DHCP_BATCH; k++) {
		union {
			struct cmsghdr h;
			uint8_t b[CMSG_SPACE(sizeof(struct auxdata))];
		} ctl;
		struct sockaddr_ll from;
		struct iovec iov = { pkt, sizeof(pkt) };
		struct msghdr mh = { .msg_name = &from,
				     .msg_namelen = sizeof(from),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = &ctl,
				     .msg_controllen = sizeof(ctl) };
		struct cmsghdr *c;
		int csum = 1;
		ssize_t n = recvmsg(fd, &mh, 0);

		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("users' leases: receive");
			break;
		}
		/* a sender on this machine (a veth) or a virtual NIC leaves
		 * the UDP checksum to hardware that never computes it */
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct auxdata aux;

			if (c->cmsg_level != SOL_PACKET ||
			    c->cmsg_type != PACKET_AUXDATA ||
			    c->cmsg_len < CMSG_LEN(sizeof(aux)))
				continue;
			memcpy(&aux, CMSG_DATA(c), sizeof(aux));
			if (aux.tp_status & (AUX_CSUMNOTREADY | AUX_CSUM_VALID))
				csum = 0;
		}
		on_reply(d, pkt, (size_t)n, &from, csum);
	}
	arm(d);
	return 0;
}

static int logged_in(const uid_t *uids, int n, uint32_t uid)
{
	for (int i = 0; i < n; i++)
		if (uids[i] == uid)
			return 1;
	return 0;
}

/* Who is logged in now: a lease started for each user who came, given
 * back (RELEASE) for each who left. */
static void logins(struct uinfod_dhcp *d)
{
	uid_t *uids = NULL;
	int n = sd_get_uids(&uids);

	if (n < 0) {
		log_warnx("logins: %s (users' leases unchanged)", strerror(-n));
		return;
	}
	for (unsigned int i = 0; i < d->n; i++) {
		struct uinfod_lease *l = &d->leases[i];
		int in = logged_in(uids, n, l->uid);
		struct uinfod_lease_tx tx;

		if (in && l->state == UINFOD_LEASE_IDLE) {
			log_info("uid %u logged in: asking for an address of "
				 "their own",
				 l->uid);
			uinfod_lease_start(l, now_ms(d), rnd32(), &tx);
			send_tx(d, l, &tx);
		} else if (!in && l->state != UINFOD_LEASE_IDLE) {
			log_info("uid %u logged out: their lease given back",
				 l->uid);
			handle(d, l, uinfod_lease_stop(l, &tx), &tx);
		}
	}
	free(uids);
	arm(d);
}

static int on_login(sd_event_source *s, int fd, uint32_t revents, void *arg)
{
	struct uinfod_dhcp *d = arg;

	sd_login_monitor_flush(d->mon);
	logins(d);
	return 0;
}

static int open_socket(struct uinfod_dhcp *d, char *err, size_t errlen)
{
	struct sock_filter insn[UDP4_FILTER_LEN];
	struct sock_fprog prog = { .len = UDP4_FILTER_LEN, .filter = insn };
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = (int)d->ifindex,
	};
	struct ifreq ifr = { 0 };
	int one = 1;

	udp4_filter(insn, 68);
	/* protocol 0 receives nothing until bound, after the filter */
	d->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		snprintf(err, errlen, "a packet socket: %s", strerror(errno));
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", d->c->interface);
	errno = 0;
	if (ioctl(d->fd, SIOCGIFHWADDR, &ifr) < 0 ||
	    ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
		snprintf(err, errlen, "%s: not an Ethernet interface%s%s",
			 d->c->interface, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return -1;
	}
	memcpy(d->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (setsockopt(d->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
		       sizeof(prog)) < 0 ||
	    setsockopt(d->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(d->fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) <
		    0 ||
	    bind(d->fd, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		snprintf(err, errlen, "a packet socket on %s: %s",
			 d->c->interface, strerror(errno));
		return -1;
	}
	return 0;
}

struct uinfod_dhcp *uinfod_dhcp_new(sd_event *e, const struct uinfod_conf *c,
				    uint32_t ifindex,
				    const struct uinfod_dhcp_ops *ops,
				    void *arg, char *err, size_t errlen)
{
	struct uinfod_dhcp *d = calloc(1, sizeof(*d));
	unsigned int i, n = 0;
	int r;

	if (!d) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	d->e = e;
	d->c = c;
	d->ifindex = ifindex;
	d->ops = ops;
	d->arg = arg;
	d->fd = -1;
	for (i = 0; i < c->nusers; i++)
		n += c->users[i].dhcp;
	d->leases = calloc(n ? n : 1, sizeof(*d->leases));
	if (!d->leases) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto fail;
	}
	if (open_socket(d, err, errlen) < 0)
		goto fail;
	for (i = 0; i < c->nusers; i++)
		if (c->users[i].dhcp)
			uinfod_lease_init(&d->leases[d->n++], c->users[i].uid,
					  d->mac);
	r = sd_login_monitor_new("uid", &d->mon);
	if (r < 0) {
		snprintf(err, errlen,
			 "logins: /run/systemd/users: %s (is systemd-logind "
			 "running?)",
			 strerror(-r));
		goto fail;
	}
	r = sd_event_add_io(e, &d->io, d->fd, EPOLLIN, on_packet, d);
	if (r >= 0)
		r = sd_event_add_io(
			e, &d->login_io, sd_login_monitor_get_fd(d->mon),
			(uint32_t)sd_login_monitor_get_events(d->mon), on_login,
			d);
	if (r >= 0)
		r = sd_event_add_time(e, &d->timer, CLOCK_MONOTONIC, UINT64_MAX,
				      0, on_timer, d);
	if (r < 0) {
		snprintf(err, errlen, "event loop: %s", strerror(-r));
		goto fail;
	}
	sd_event_source_set_enabled(d->timer, SD_EVENT_OFF);
	logins(d); /* who is here already */
	return d;
fail:
	uinfod_dhcp_free(d, 0);
	return NULL;
}

void uinfod_dhcp_free(struct uinfod_dhcp *d, int release)
{
	if (!d)
		return;
	for (unsigned int i = 0; release && i < d->n; i++) {
		struct uinfod_lease_tx tx;

		handle(d, &d->leases[i], uinfod_lease_stop(&d->leases[i], &tx),
		       &tx);
	}
	if (d->n)
		log_info("users' leases: %llu replies dropped as malformed, "
			 "%llu not for a user's exchange",
			 (unsigned long long)d->bad,
			 (unsigned long long)d->not_ours);
	sd_event_source_disable_unref(d->io);
	sd_event_source_disable_unref(d->login_io);
	sd_event_source_disable_unref(d->timer);
	sd_login_monitor_unref(d->mon);
	if (d->fd >= 0)
		close(d->fd);
	free(d->leases);
	free(d);
}
