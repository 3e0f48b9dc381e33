// SPDX-License-Identifier: GPL-2.0
/*
 * lib/nfq: the NFQUEUE client.
 *
 * The parser on messages made here, each in a heap block of exactly the
 * length given, so that ASan sees any read past it: a good packet (the
 * payload last and unpadded, as the kernel writes it), no NFQA_PACKET_HDR,
 * truncated attributes and messages, another message type, NFQA_CAP_LEN,
 * every prefix of a message.
 *
 * Then the real thing in a network namespace of the test's own: UDP to a
 * port on lo is queued on output (nft's queue expression, or xtables'
 * NFQUEUE target where the kernel has no nft_queue), held until the
 * verdict, delivered on accept and not on drop; a second bind of the same
 * queue fails in words; a short queue drops the packets past its length
 * (fail-closed), and so does an overflowing socket (-ENOBUFS).  Skipped,
 * saying why, if the kernel has no NFQUEUE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "nfq.h"

#define PACKET_TYPE ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)

/* ---- messages ---- */

union msgbuf {
	struct nlmsghdr h;
	uint8_t b[2048];
};

static struct nlmsghdr *msg_start(union msgbuf *m, uint16_t type,
				  uint8_t family)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;

	memset(m, 0, sizeof(*m));
	nlh = mnl_nlmsg_put_header(m->b);
	nlh->nlmsg_type = type;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(7);
	return nlh;
}

static void put_hdr(struct nlmsghdr *nlh, uint32_t id, uint16_t proto)
{
	struct nfqnl_msg_packet_hdr h = { .packet_id = htonl(id),
					  .hw_protocol = htons(proto),
					  .hook = NF_INET_LOCAL_OUT };

	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(h), &h);
}

/* The packet last and unpadded, as the kernel writes it: nlmsg_len may
 * end off a 4-byte boundary. */
static void put_payload(struct nlmsghdr *nlh, const void *data, uint16_t len)
{
	struct nlattr *a = mnl_nlmsg_get_payload_tail(nlh);

	a->nla_type = NFQA_PAYLOAD;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
	nlh->nlmsg_len += NLA_HDRLEN + len;
}

/* An IPv4/UDP packet of len bytes (>= 28), 10.0.0.1:1111 -> :2222. */
static void ip4_udp(uint8_t *p, uint16_t len)
{
	unsigned int i;

	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = IPPROTO_UDP;
	p[12] = 10, p[15] = 1;
	p[16] = 10, p[19] = 2;
	p[20] = 1111 >> 8, p[21] = 1111 & 0xff;
	p[22] = 2222 >> 8, p[23] = 2222 & 0xff;
	for (i = 28; i < len; i++)
		p[i] = (uint8_t)i;
}

/* A copy of the first len bytes of m in a block of exactly len bytes. */
static void *exact(const void *m, size_t len)
{
	void *c = malloc(len ? len : 1);

	assert_non_null(c);
	memcpy(c, m, len);
	return c;
}

/* nfq_parse on an exact copy; *copy keeps what p points into. */
static int parse_exact(const void *m, size_t len, struct nfq_pkt *p,
		       void **copy)
{
	*copy = exact(m, len);
	return nfq_parse(*copy, len, p);
}

static void test_parse_good(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh;
	struct nfq_pkt p;
	uint8_t pkt[33];
	void *c;

	(void)state;
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV4);
	put_hdr(nlh, 0x01020304, ETH_P_IP);
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_OUTDEV, htonl(1));
	mnl_attr_put_u32(nlh, NFQA_MARK, htonl(0x42));
	ip4_udp(pkt, sizeof(pkt));
	put_payload(nlh, pkt, sizeof(pkt));
	assert_int_not_equal(nlh->nlmsg_len % 4, 0);

	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), 0);
	assert_int_equal(p.id, 0x01020304);
	assert_int_equal(p.hw_proto, ETH_P_IP);
	assert_int_equal(p.len, sizeof(pkt));
	assert_int_equal(p.orig_len, sizeof(pkt));
	assert_non_null(p.payload);
	assert_memory_equal(p.payload, pkt, sizeof(pkt));
	assert_ptr_equal(p.payload,
			 (uint8_t *)c + nlh->nlmsg_len - sizeof(pkt));
	free(c);

	/* more after it (the next message of a datagram): not read */
	assert_int_equal(nfq_parse(m.b, sizeof(m.b), &p), 0);
	assert_int_equal(p.len, sizeof(pkt));

	/* no packet (copy mode meta): no payload */
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV4);
	put_hdr(nlh, 9, ETH_P_IP);
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), 0);
	assert_int_equal(p.id, 9);
	assert_null(p.payload);
	assert_int_equal(p.len, 0);
	assert_int_equal(p.orig_len, 0);
	free(c);

	/* no hardware protocol: the hook's family says it */
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV6);
	put_hdr(nlh, 10, 0);
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), 0);
	assert_int_equal(p.hw_proto, ETH_P_IPV6);
	free(c);
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_BRIDGE);
	put_hdr(nlh, 11, 0);
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), 0);
	assert_int_equal(p.hw_proto, 0);
	free(c);
}

static void test_parse_no_hdr(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh;
	struct nfq_pkt p;
	uint8_t pkt[40];
	void *c;

	(void)state;
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV4);
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_OUTDEV, htonl(1));
	ip4_udp(pkt, sizeof(pkt));
	put_payload(nlh, pkt, sizeof(pkt));
	memset(&p, 0xa5, sizeof(p));
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -EINVAL);
	assert_null(p.payload);
	assert_int_equal(p.len, 0);
	free(c);

	/* a header too short for its packet_id, hw_protocol and hook */
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV4);
	mnl_attr_put(nlh, NFQA_PACKET_HDR, 6, "\0\0\0\1\x08\0");
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -EINVAL);
	free(c);

	/* nothing but the headers; and less than the nfgenmsg */
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV4);
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -EINVAL);
	free(c);
	nlh->nlmsg_len = NLMSG_HDRLEN + 2;
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -EINVAL);
	free(c);
}

static void test_parse_truncated(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh;
	struct nlattr *a;
	struct nfq_pkt p;
	uint8_t pkt[100];
	void *c;

	(void)state;
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV4);
	put_hdr(nlh, 1, ETH_P_IP);
	a = mnl_nlmsg_get_payload_tail(nlh);
	ip4_udp(pkt, sizeof(pkt));
	put_payload(nlh, pkt, sizeof(pkt));

	/* the payload claims more than the message has */
	a->nla_len += 1;
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -EINVAL);
	free(c);
	a->nla_len -= 1;

	/* an attribute shorter than its own header */
	a->nla_len = 3;
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -EINVAL);
	free(c);
	a->nla_len = (uint16_t)(NLA_HDRLEN + sizeof(pkt));

	/* stray bytes after the last attribute, fewer than a header */
	nlh->nlmsg_len = (uint32_t)((uint8_t *)a - m.b) + 3;
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -EINVAL);
	free(c);
	nlh->nlmsg_len =
		(uint32_t)((uint8_t *)a - m.b) + NLA_HDRLEN + sizeof(pkt);

	/*
	 * The message says it is longer than what was read: its payload
	 * lies past len and must not be read (ASan: the block ends at len).
	 */
	assert_int_equal(parse_exact(m.b, 60, &p, &c), -EINVAL);
	free(c);
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len - 1, &p, &c), -EINVAL);
	free(c);
	/* shorter than a netlink header */
	assert_int_equal(parse_exact(m.b, NLMSG_HDRLEN - 1, &p, &c), -EINVAL);
	free(c);
	assert_int_equal(nfq_parse(m.b, 0, &p), -EINVAL);
	nlh->nlmsg_len = 8;
	assert_int_equal(parse_exact(m.b, 64, &p, &c), -EINVAL);
	free(c);
}

static void test_parse_type(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	struct nfq_pkt p;
	void *c;

	(void)state;
	nlh = msg_start(&m, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG,
			NFPROTO_IPV4);
	put_hdr(nlh, 1, ETH_P_IP);
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -ENOMSG);
	free(c);
	/* the same operation of another subsystem (ulog's packet) */
	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFQNL_MSG_PACKET;
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -ENOMSG);
	free(c);

	/* the kernel's complaint about a verdict */
	memset(&m, 0, sizeof(m));
	nlh = mnl_nlmsg_put_header(m.b);
	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -ENOENT;
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -ENOMSG);
	free(c);
}

static void test_parse_cap_len(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh;
	struct nfq_pkt p;
	uint8_t pkt[NFQ_COPY_RANGE + 64];
	void *c;

	(void)state;
	/* a 1500-byte packet of which NFQ_COPY_RANGE bytes were copied */
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV4);
	put_hdr(nlh, 5, ETH_P_IP);
	mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(1500));
	ip4_udp(pkt, NFQ_COPY_RANGE);
	put_payload(nlh, pkt, NFQ_COPY_RANGE);
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), 0);
	assert_int_equal(p.len, NFQ_COPY_RANGE);
	assert_int_equal(p.orig_len, 1500);
	free(c);

	/* shorter than the copy: malformed */
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV4);
	put_hdr(nlh, 5, ETH_P_IP);
	mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(NFQ_COPY_RANGE - 1));
	put_payload(nlh, pkt, NFQ_COPY_RANGE);
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -EINVAL);
	assert_int_equal(p.id, 0);
	free(c);

	/* not a u32 */
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV4);
	put_hdr(nlh, 5, ETH_P_IP);
	mnl_attr_put_u16(nlh, NFQA_CAP_LEN, htons(1500));
	put_payload(nlh, pkt, NFQ_COPY_RANGE);
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), -EINVAL);
	free(c);

	/* a copy longer than we ask for: no more than NFQ_COPY_RANGE of it
	 * is handed on, the whole length is still known */
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV4);
	put_hdr(nlh, 6, ETH_P_IP);
	ip4_udp(pkt, sizeof(pkt));
	put_payload(nlh, pkt, sizeof(pkt));
	assert_int_equal(parse_exact(m.b, nlh->nlmsg_len, &p, &c), 0);
	assert_int_equal(p.len, NFQ_COPY_RANGE);
	assert_int_equal(p.orig_len, sizeof(pkt));
	free(c);
}

/* Every prefix of a message, as read (nlmsg_len past it) and as sent
 * (nlmsg_len cut to it): never a read past the end, never a payload
 * beyond it. */
static void test_parse_prefixes(void **state)
{
	union msgbuf m;
	struct nlmsghdr *nlh;
	struct nfq_pkt p;
	uint8_t pkt[45];
	uint32_t full, k;
	void *c;

	(void)state;
	nlh = msg_start(&m, PACKET_TYPE, NFPROTO_IPV4);
	put_hdr(nlh, 77, ETH_P_IP);
	mnl_attr_put_u32(nlh, NFQA_CAP_LEN, htonl(1400));
	ip4_udp(pkt, sizeof(pkt));
	put_payload(nlh, pkt, sizeof(pkt));
	full = nlh->nlmsg_len;
	for (k = 0; k < full; k++) {
		assert_int_equal(parse_exact(m.b, k, &p, &c), -EINVAL);
		free(c);
	}
	for (k = NLMSG_HDRLEN; k <= full; k++) {
		int rc;

		nlh->nlmsg_len = k;
		rc = parse_exact(m.b, k, &p, &c);
		if (rc == 0) {
			assert_int_equal(p.id, 77);
			assert_true(!p.payload ||
				    p.payload + p.len <= (uint8_t *)c + k);
		} else {
			assert_int_equal(rc, -EINVAL);
		}
		free(c);
	}
}

static void test_open_args(void **state)
{
	char err[128] = "";

	(void)state;
	assert_null(nfq_open(7, 0, err, sizeof(err)));
	assert_non_null(strstr(err, "queue 7"));
	nfq_close(NULL);
}

/* ---- the kernel's queue, in our own namespace ---- */

#define PORT_A 5601 /* queue QA: held, accepted, dropped */
#define PORT_B 5602 /* queue QB: two at most */
#define PORT_C 5603 /* queue QC: a socket that overflows */
#define QA     7
#define QB     8
#define QC     9

static char no_live[256]; /* why the live tests are skipped; "" if not */
static const char *rules_by;
static int v6_rules; /* IPv6 is queued too */
static int
	as_root; /* not in a user namespace: the kernel's table is ours to read */

static const struct {
	uint16_t port, num;
} rules[] = { { PORT_A, QA }, { PORT_B, QB }, { PORT_C, QC } };

/* A shell command, quiet: 0 if it succeeded. */
static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd) - 16, fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(cmd) - 16);
	strcat(cmd, " >/dev/null 2>&1");
	return system(cmd) == 0 ? 0 : -1;
}

/* Queue UDP to lo's ports on output: nft's queue expression if the
 * kernel has it (nft_queue), else xtables' NFQUEUE target (nft_compat
 * or the legacy tables). */
static int add_rules(void)
{
	static const char *const xt[][2] = {
		{ "iptables", "ip6tables" },
		{ "iptables-legacy", "ip6tables-legacy" },
	};
	unsigned int i, j;
	int ok;

	ok = run("nft add table inet nfq_test && nft add chain inet nfq_test "
		 "out '{ type filter hook output priority 0; }'") == 0;
	for (j = 0; ok && j < sizeof(rules) / sizeof(rules[0]); j++)
		ok = run("nft add rule inet nfq_test out oif lo udp dport %u "
			 "queue num %u",
			 rules[j].port, rules[j].num) == 0;
	if (ok) {
		rules_by = "nft's queue expression";
		v6_rules = 1;
		return 0;
	}
	run("nft delete table inet nfq_test");
	for (i = 0; i < sizeof(xt) / sizeof(xt[0]); i++) {
		ok = 1;
		for (j = 0; ok && j < sizeof(rules) / sizeof(rules[0]); j++)
			ok = run("%s -A OUTPUT -o lo -p udp --dport %u -j "
				 "NFQUEUE --queue-num %u",
				 xt[i][0], rules[j].port, rules[j].num) == 0;
		if (!ok) {
			run("%s -F OUTPUT", xt[i][0]);
			continue;
		}
		v6_rules = 1;
		for (j = 0; v6_rules && j < sizeof(rules) / sizeof(rules[0]);
		     j++)
			v6_rules = run("%s -A OUTPUT -o lo -p udp --dport %u "
				       "-j NFQUEUE --queue-num %u",
				       xt[i][1], rules[j].port,
				       rules[j].num) == 0;
		rules_by = xt[i][0];
		return 0;
	}
	return -1;
}

/* Write s to the file path: 0 or -1. */
static int put_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");
	int rc;

	if (!f)
		return -1;
	rc = fputs(s, f) < 0 ? -1 : 0;
	return fclose(f) == 0 ? rc : -1;
}

/*
 * A network namespace of our own: as root, or else in a user namespace
 * of our own where we are root (so that nft and iptables, which we run,
 * keep the capabilities).
 */
static int own_netns(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];

	if (unshare(CLONE_NEWNET) == 0) {
		as_root = 1;
		return 0;
	}
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
	if (put_file("/proc/self/uid_map", map) < 0 ||
	    put_file("/proc/self/setgroups", "deny") < 0)
		return -1;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
	return put_file("/proc/self/gid_map", map);
}

static int lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -1;
	ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
	rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return rc;
}

static int setup(void **state)
{
	struct nfq *q;
	char err[256];

	(void)state;
	if (own_netns() < 0) {
		snprintf(no_live, sizeof(no_live),
			 "no network namespace of our own: %s",
			 strerror(errno));
		return 0;
	}
	if (lo_up() < 0) {
		snprintf(no_live, sizeof(no_live), "cannot bring lo up: %s",
			 strerror(errno));
		return 0;
	}
	q = nfq_open(QA, 4, err, sizeof(err));
	if (!q) {
		snprintf(no_live, sizeof(no_live), "%s", err);
		return 0;
	}
	nfq_close(q);
	if (add_rules() < 0)
		snprintf(no_live, sizeof(no_live),
			 "no way to queue packets here (neither nft's queue "
			 "nor xtables' NFQUEUE target)");
	return 0;
}

#define LIVE()                                                           \
	do {                                                             \
		if (no_live[0]) {                                        \
			print_message("skipped: %s (the VM tests cover " \
				      "NFQUEUE)\n",                      \
				      no_live);                          \
			skip();                                          \
		}                                                        \
	} while (0)

struct got {
	int n;
	struct nfq_pkt p[128];
	uint8_t data[128][NFQ_COPY_RANGE];
};

static void collect(void *arg, const struct nfq_pkt *p)
{
	struct got *g = arg;

	assert_true(g->n < 128);
	assert_true(p->len <= NFQ_COPY_RANGE);
	g->p[g->n] = *p;
	if (p->payload)
		memcpy(g->data[g->n], p->payload, p->len);
	g->p[g->n].payload = p->payload ? g->data[g->n] : NULL;
	g->n++;
}

/* nfq_receive until g has want packets or ms have passed: its last
 * answer. */
static int pull(struct nfq *q, struct got *g, int want, int ms)
{
	struct pollfd pfd = { .fd = nfq_fd(q), .events = POLLIN };
	int rc = 0;

	while (g->n < want && poll(&pfd, 1, ms) > 0)
		rc = nfq_receive(q, collect, g);
	return rc;
}

static socklen_t addr_of(int af, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = in6addr_loopback;
		return sizeof(*a);
	}
}

/* A receiving socket on the loopback address of af and port, or -1. */
static int receiver(int af, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(af, port, &ss);
	int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A sender on af, bound to a port of the kernel's choosing (*sport). */
static int sender(int af, uint16_t *sport)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of(af, 0, &ss);
	int fd = socket(af, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*sport = ntohs(af == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
				       ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static void send_to(int fd, int af, uint16_t port, const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_of(af, port, &ss);

	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl),
			 (ssize_t)len);
}

/* What rx has within ms (its length), or -1 if nothing came. */
static ssize_t delivered(int rx, void *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = rx, .events = POLLIN };

	if (poll(&pfd, 1, ms) <= 0)
		return -1;
	return recv(rx, buf, len, 0);
}

/* The UDP ports of a queued packet (IPv4 or IPv6 without extension
 * headers). */
static void udp_ports(const struct nfq_pkt *p, uint16_t *sport, uint16_t *dport)
{
	const uint8_t *u;

	assert_non_null(p->payload);
	if (p->hw_proto == ETH_P_IP) {
		assert_int_equal(p->payload[0] >> 4, 4);
		assert_int_equal(p->payload[9], IPPROTO_UDP);
		u = p->payload + (p->payload[0] & 0xf) * 4;
	} else {
		assert_int_equal(p->hw_proto, ETH_P_IPV6);
		assert_int_equal(p->payload[0] >> 4, 6);
		assert_int_equal(p->payload[6], IPPROTO_UDP);
		u = p->payload + 40;
	}
	assert_true(u + 8 <= p->payload + p->len);
	*sport = (uint16_t)(u[0] << 8 | u[1]);
	*dport = (uint16_t)(u[2] << 8 | u[3]);
}

struct qstat {
	unsigned int total, mode, range, dropped, user_dropped;
};

/* Queue num's line in the kernel's table (root's to read, not a user
 * namespace's): 0, or -1 if it has none. */
static int qstat(uint16_t num, struct qstat *st)
{
	FILE *f = fopen("/proc/self/net/netfilter/nfnetlink_queue", "re");
	unsigned int n, port;
	char line[256];
	int rc = -1;

	if (!f)
		return -1;
	while (rc < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %u %u %u %u %u %u", &n, &port, &st->total,
			   &st->mode, &st->range, &st->dropped,
			   &st->user_dropped) == 7 &&
		    n == num)
			rc = 0;
	fclose(f);
	return rc;
}

/* Held, accepted, dropped; the verdict for an id the kernel does not
 * hold; the queue someone else has. */
static void round_trip(int af, uint16_t proto)
{
	static struct got g;
	struct qstat st;
	uint8_t big[1000], buf[1100];
	uint16_t sport, s, d;
	struct nfq *q, *q2;
	char err[256];
	int rx, tx;

	rx = receiver(af, PORT_A);
	if (rx < 0) {
		print_message("skipped: no loopback address of family %d\n",
			      af);
		skip();
	}
	tx = sender(af, &sport);
	q = nfq_open(QA, 16, err, sizeof(err));
	if (!q)
		fail_msg("nfq_open: %s", err);
	assert_int_equal(nfq_num(q), QA);
	assert_true(nfq_fd(q) >= 0);
	if (as_root) { /* the kernel's table says how it was set up */
		assert_int_equal(qstat(QA, &st), 0);
		assert_int_equal(st.mode, NFQNL_COPY_PACKET);
		assert_int_equal(st.range, NFQ_COPY_RANGE);
	}

	/* held until accepted */
	memset(&g, 0, sizeof(g));
	send_to(tx, af, PORT_A, "hello", 5);
	assert_int_equal(pull(q, &g, 1, 2000), 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.p[0].hw_proto, proto);
	udp_ports(&g.p[0], &s, &d);
	assert_int_equal(s, sport);
	assert_int_equal(d, PORT_A);
	assert_int_equal(g.p[0].len, (af == AF_INET ? 20 : 40) + 8 + 5);
	assert_int_equal(g.p[0].orig_len, g.p[0].len);
	assert_memory_equal(g.p[0].payload + g.p[0].len - 5, "hello", 5);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 100), -1);
	assert_int_equal(nfq_verdict(q, g.p[0].id, 1), 0);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 2000), 5);
	assert_memory_equal(buf, "hello", 5);

	/* round the hook again: queued anew (a new id), then accepted */
	memset(&g, 0, sizeof(g));
	send_to(tx, af, PORT_A, "again", 5);
	assert_int_equal(pull(q, &g, 1, 2000), 1);
	assert_int_equal(nfq_repeat(q, g.p[0].id), 0);
	pull(q, &g, 2, 2000);
	assert_int_equal(g.n, 2);
	assert_true(g.p[1].id != g.p[0].id);
	assert_memory_equal(g.p[1].payload + g.p[1].len - 5, "again", 5);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 100), -1);
	assert_int_equal(nfq_verdict(q, g.p[1].id, 1), 0);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 2000), 5);
	assert_memory_equal(buf, "again", 5);

	/* dropped */
	memset(&g, 0, sizeof(g));
	send_to(tx, af, PORT_A, "drop me", 7);
	assert_int_equal(pull(q, &g, 1, 2000), 1);
	assert_int_equal(nfq_verdict(q, g.p[0].id, 0), 0);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 300), -1);

	/* a packet longer than the copy: its headers, and its length */
	memset(&g, 0, sizeof(g));
	memset(big, 'x', sizeof(big));
	send_to(tx, af, PORT_A, big, sizeof(big));
	assert_int_equal(pull(q, &g, 1, 2000), 1);
	assert_int_equal(g.p[0].len, NFQ_COPY_RANGE);
	assert_int_equal(g.p[0].orig_len,
			 (af == AF_INET ? 20 : 40) + 8 + sizeof(big));
	udp_ports(&g.p[0], &s, &d);
	assert_int_equal(d, PORT_A);
	assert_int_equal(nfq_verdict(q, g.p[0].id, 1), 0);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 2000), sizeof(big));

	/* an id the kernel does not hold: its complaint is skipped */
	assert_int_equal(nfq_verdict(q, g.p[0].id + 1000, 1), 0);
	memset(&g, 0, sizeof(g));
	assert_int_equal(nfq_receive(q, collect, &g), 0);
	assert_int_equal(g.n, 0);
	if (as_root) {
		assert_int_equal(qstat(QA, &st), 0);
		assert_int_equal(st.total, 0);
	}

	/* someone else's queue */
	q2 = nfq_open(QA, 16, err, sizeof(err));
	assert_null(q2);
	print_message("second bind: %s\n", err);
	assert_non_null(strstr(err, "queue 7 is bound by another program"));

	/* unbound at once on close: a new bind succeeds, and meanwhile
	 * the rule drops (fail-closed) */
	nfq_close(q);
	send_to(tx, af, PORT_A, "nobody", 6);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 300), -1);
	q = nfq_open(QA, 16, err, sizeof(err));
	if (!q)
		fail_msg("nfq_open again: %s", err);

	/* a packet held when the queue goes is dropped */
	memset(&g, 0, sizeof(g));
	send_to(tx, af, PORT_A, "held", 4);
	assert_int_equal(pull(q, &g, 1, 2000), 1);
	nfq_close(q);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 300), -1);
	close(tx);
	close(rx);
}

static void test_live_ipv4(void **state)
{
	(void)state;
	LIVE();
	print_message("queued by %s\n", rules_by);
	round_trip(AF_INET, ETH_P_IP);
}

static void test_live_ipv6(void **state)
{
	(void)state;
	LIVE();
	if (!v6_rules) {
		print_message("skipped: no IPv6 queue rule (%s)\n", rules_by);
		skip();
	}
	round_trip(AF_INET6, ETH_P_IPV6);
}

/* maxlen: the packets past it are dropped, not let through. */
static void test_live_maxlen(void **state)
{
	static struct got g;
	struct qstat st;
	uint16_t sport;
	struct nfq *q;
	char err[256], buf[64];
	int rx, tx, i;

	(void)state;
	LIVE();
	rx = receiver(AF_INET, PORT_B);
	assert_true(rx >= 0);
	tx = sender(AF_INET, &sport);
	q = nfq_open(QB, 2, err, sizeof(err));
	if (!q)
		fail_msg("nfq_open: %s", err);
	for (i = 0; i < 3; i++)
		send_to(tx, AF_INET, PORT_B, "abc", 3);
	memset(&g, 0, sizeof(g));
	pull(q, &g, 3, 300);
	assert_int_equal(g.n, 2);
	if (as_root) {
		assert_int_equal(qstat(QB, &st), 0);
		assert_int_equal(st.total, 2);
		assert_int_equal(st.dropped, 1);
	}
	for (i = 0; i < g.n; i++)
		assert_int_equal(nfq_verdict(q, g.p[i].id, 1), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(delivered(rx, buf, sizeof(buf), 2000), 3);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 300), -1);
	nfq_close(q);
	close(tx);
	close(rx);
}

/* Batched verdicts are sent at nfq_batch_end, in one go, and not before;
 * with drop, every one of them becomes a drop. */
static void test_live_batch(void **state)
{
	static struct got g;
	struct qstat st;
	uint16_t sport;
	struct nfq *q;
	char err[256], buf[64];
	int rx, tx, i;

	(void)state;
	LIVE();
	rx = receiver(AF_INET, PORT_B);
	assert_true(rx >= 0);
	tx = sender(AF_INET, &sport);
	q = nfq_open(QB, 8, err, sizeof(err));
	if (!q)
		fail_msg("nfq_open: %s", err);
	for (i = 0; i < 3; i++)
		send_to(tx, AF_INET, PORT_B, "abc", 3);
	memset(&g, 0, sizeof(g));
	pull(q, &g, 3, 2000);
	assert_int_equal(g.n, 3);
	nfq_batch_begin(q);
	assert_int_equal(nfq_verdict(q, g.p[0].id, 1), 0);
	assert_int_equal(nfq_repeat(q, g.p[1].id), 0);
	assert_int_equal(nfq_verdict(q, g.p[2].id, 0), 0);
	/* gathered, not sent */
	assert_int_equal(delivered(rx, buf, sizeof(buf), 200), -1);
	if (as_root) {
		assert_int_equal(qstat(QB, &st), 0);
		assert_int_equal(st.total, 3);
	}
	assert_int_equal(nfq_batch_end(q, 0), 0);
	/* the first delivered, the second queued again, the third gone */
	assert_int_equal(delivered(rx, buf, sizeof(buf), 2000), 3);
	memset(&g, 0, sizeof(g));
	pull(q, &g, 1, 2000);
	assert_int_equal(g.n, 1);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 200), -1);

	/* a batch turned into drops: that one and two more */
	for (i = 0; i < 2; i++)
		send_to(tx, AF_INET, PORT_B, "abc", 3);
	pull(q, &g, 3, 2000);
	assert_int_equal(g.n, 3);
	nfq_batch_begin(q);
	for (i = 0; i < 3; i++)
		assert_int_equal(nfq_verdict(q, g.p[i].id, 1), 0);
	assert_int_equal(nfq_batch_end(q, 1), 0);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 300), -1);
	if (as_root) {
		assert_int_equal(qstat(QB, &st), 0);
		assert_int_equal(st.total, 0);
	}
	/* an empty batch sends nothing */
	nfq_batch_begin(q);
	assert_int_equal(nfq_batch_end(q, 0), 0);
	nfq_close(q);
	close(tx);
	close(rx);
}

/*
 * The socket overflows: -ENOBUFS after the packets that were read.  The
 * kernel does not hold the ones it could not hand us: it drops them
 * (fail-closed, "user dropped"), whatever the queue's length.
 */
static void test_live_overflow(void **state)
{
	static struct got g;
	struct qstat st;
	uint16_t sport;
	struct nfq *q;
	char err[256], buf[64];
	int rx, tx, i, rc, small = 1, n = 64;

	(void)state;
	LIVE();
	rx = receiver(AF_INET, PORT_C);
	assert_true(rx >= 0);
	tx = sender(AF_INET, &sport);
	q = nfq_open(QC, 1024, err, sizeof(err));
	if (!q)
		fail_msg("nfq_open: %s", err);
	/* the smallest buffer the kernel allows: a few messages */
	assert_int_equal(setsockopt(nfq_fd(q), SOL_SOCKET, SO_RCVBUF, &small,
				    sizeof(small)),
			 0);
	for (i = 0; i < n; i++)
		send_to(tx, AF_INET, PORT_C, "abc", 3);
	memset(&g, 0, sizeof(g));
	rc = nfq_receive(q, collect, &g);
	print_message("overflow: %d of %d read, then %d\n", g.n, n, rc);
	assert_int_equal(rc, -ENOBUFS);
	assert_true(g.n > 0 && g.n < n);
	assert_int_equal(nfq_receive(q, collect, &g), 0); /* said once */
	if (as_root) {
		assert_int_equal(qstat(QC, &st), 0);
		assert_int_equal(st.total, (unsigned int)g.n);
		assert_int_equal(st.user_dropped, (unsigned int)(n - g.n));
	}
	for (i = 0; i < g.n; i++)
		assert_int_equal(nfq_verdict(q, g.p[i].id, 1), 0);
	for (i = 0; i < g.n; i++)
		assert_int_equal(delivered(rx, buf, sizeof(buf), 2000), 3);
	assert_int_equal(delivered(rx, buf, sizeof(buf), 300), -1);
	nfq_close(q);
	close(tx);
	close(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_no_hdr),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_type),
		cmocka_unit_test(test_parse_cap_len),
		cmocka_unit_test(test_parse_prefixes),
		cmocka_unit_test(test_open_args),
		cmocka_unit_test(test_live_ipv4),
		cmocka_unit_test(test_live_ipv6),
		cmocka_unit_test(test_live_maxlen),
		cmocka_unit_test(test_live_batch),
		cmocka_unit_test(test_live_overflow),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
