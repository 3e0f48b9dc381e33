// SPDX-License-Identifier: GPL-2.0
/* muisp-dhcpd frame witnesses (daemon/dhcpd/witness.c): the IPv4/UDP
 * parser's refusals, and pairing datagrams with frames: oldest first,
 * each frame used once, the whole payload compared, the ring's limit.
 * Then io.c's sockets on a loopback device in a network namespace of the
 * test's own: a datagram with its frame, a datagram whose frame is
 * queued after it (waited for, not taken as from the unknown source) and
 * one whose frame never comes (unknown once the wait is over). */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon/dhcpd/config.h"

#include "daemon/dhcpd/io.h"
#include "daemon/dhcpd/witness.h"

static uint8_t pkt[2048];

/* An IPv4/UDP packet 10.0.0.<s> -> 10.0.0.1, 68 -> 67, payload n bytes
 * of value v; returns its length. */
static size_t build(uint8_t s, uint8_t v, size_t n)
{
	uint8_t pay[1600];

	memset(pay, v, n);
	return udp4_build(pkt, sizeof(pkt), htonl(0x0a000000u + s),
			  htonl(0x0a000001u), 68, 67, pay, n);
}

static void test_parse(void **state)
{
	struct udp4_frame f;
	size_t len = build(5, 0xab, 300);

	assert_int_equal(udp4_parse(pkt, len, &f), 0);
	assert_int_equal(f.saddr, htonl(0x0a000005u));
	assert_int_equal(f.daddr, htonl(0x0a000001u));
	assert_int_equal(f.sport, 68);
	assert_int_equal(f.dport, 67);
	assert_int_equal(f.len, 300);
	assert_ptr_equal(f.payload, pkt + 28);
	/* Ethernet padding after the datagram is ignored. */
	assert_int_equal(udp4_parse(pkt, len + 10, &f), 0);
	assert_int_equal(f.len, 300);
	/* Refused: short, IPv6, header length, total length past the
	 * buffer, a fragment (MF, offset), not UDP, UDP length. */
	assert_int_equal(udp4_parse(pkt, 19, &f), -1);
	assert_int_equal(udp4_parse(pkt, len - 1, &f), -1);
	pkt[0] = 0x65;
	assert_int_equal(udp4_parse(pkt, len, &f), -1);
	pkt[0] = 0x44;
	assert_int_equal(udp4_parse(pkt, len, &f), -1);
	pkt[0] = 0x45;
	pkt[6] = 0x20; /* MF */
	assert_int_equal(udp4_parse(pkt, len, &f), -1);
	pkt[6] = 0x00;
	pkt[7] = 0x01; /* offset 8 */
	assert_int_equal(udp4_parse(pkt, len, &f), -1);
	pkt[7] = 0x00;
	pkt[6] = 0x40; /* DF alone is fine */
	assert_int_equal(udp4_parse(pkt, len, &f), 0);
	pkt[9] = 6;
	assert_int_equal(udp4_parse(pkt, len, &f), -1);
	pkt[9] = 17;
	pkt[24] = 0;
	pkt[25] = 7; /* UDP length below its header */
	assert_int_equal(udp4_parse(pkt, len, &f), -1);
	pkt[24] = 0x10; /* past the IP datagram */
	assert_int_equal(udp4_parse(pkt, len, &f), -1);
}

static const uint8_t m1[6] = { 2, 0, 0, 0, 0, 1 }, m2[6] = { 2, 0, 0, 0, 0, 2 };

static void add(struct witness *w, uint8_t s, uint8_t v, size_t n,
		const uint8_t *mac)
{
	struct udp4_frame f;

	assert_int_equal(udp4_parse(pkt, build(s, v, n), &f), 0);
	wit_add(w, &f, mac);
}

static int take(struct witness *w, uint8_t s, uint8_t v, size_t n, uint8_t *mac)
{
	uint8_t pay[1600];

	memset(pay, v, n);
	return wit_take(w, htonl(0x0a000000u + s), htonl(0x0a000001u), 68, pay,
			n, mac);
}

static void test_pairing(void **state)
{
	struct witness *w = malloc(sizeof(*w));
	uint8_t mac[6];
	unsigned int i;

	wit_init(w);
	assert_int_equal(take(w, 5, 1, 300, mac), 0); /* empty ring */
	/* Two identical datagrams from two MACs: paired in order. */
	add(w, 5, 1, 300, m1);
	add(w, 5, 1, 300, m2);
	assert_int_equal(take(w, 5, 1, 300, mac), 1);
	assert_memory_equal(mac, m1, 6);
	assert_int_equal(take(w, 5, 1, 300, mac), 1);
	assert_memory_equal(mac, m2, 6);
	assert_int_equal(take(w, 5, 1, 300, mac), 0); /* used up */
	/* Source address, length and content must all agree. */
	add(w, 5, 2, 300, m1);
	assert_int_equal(take(w, 6, 2, 300, mac), 0);
	assert_int_equal(take(w, 5, 2, 299, mac), 0);
	assert_int_equal(take(w, 5, 3, 300, mac), 0);
	assert_int_equal(take(w, 5, 2, 300, mac), 1);
	/* Beyond the prefix kept verbatim: the hash of the rest. */
	add(w, 5, 4, 1000, m2);
	{
		uint8_t pay[1000];

		memset(pay, 4, sizeof(pay));
		pay[999] = 5;
		assert_int_equal(wit_take(w, htonl(0x0a000005u),
					  htonl(0x0a000001u), 68, pay, 1000,
					  mac),
				 0);
		pay[999] = 4;
		assert_int_equal(wit_take(w, htonl(0x0a000005u),
					  htonl(0x0a000001u), 68, pay, 1000,
					  mac),
				 1);
		assert_memory_equal(mac, m2, 6);
	}
	/* A frame never taken is pushed out once the ring wraps. */
	add(w, 7, 9, 300, m1);
	for (i = 0; i < WIT_SLOTS; i++)
		add(w, 8, (uint8_t)i, 300, m2);
	assert_int_equal(take(w, 7, 9, 300, mac), 0);
	assert_int_equal(w->evicted, 1);
	assert_int_equal(take(w, 8, WIT_SLOTS - 1, 300, mac), 1);
	free(w);
}

/* --- io.c's sockets on "lo" in a namespace of our own ------------------ */

static struct conf_iface lo_conf = { .name = "lo" };
static struct srv_iface lo;
static int cli = -1, inj = -1;

static int lo_up(void **state)
{
	struct ifreq ifr;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons(68),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd;

	/* root (make check), or an unprivileged user namespace */
	if (unshare(CLONE_NEWNET) < 0 &&
	    unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return -1;
	close(fd);
	lo.conf = &lo_conf;
	if (io_open(&lo) < 0)
		return -1;
	/* The client (port 68), and a raw socket to queue frames of our
	 * own making to lo: the late copies of datagrams' frames. */
	cli = socket(AF_INET, SOCK_DGRAM, 0);
	inj = socket(AF_PACKET, SOCK_RAW, 0);
	if (cli < 0 || inj < 0 ||
	    bind(cli, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	return 0;
}

static int lo_down(void **state)
{
	io_close(&lo);
	close(cli);
	close(inj);
	return 0;
}

/* A datagram of n bytes of value v from 127.0.0.1:68 to 127.0.0.1:67. */
static void send_dgram(uint8_t v, size_t n)
{
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(67),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint8_t pay[1600];

	memset(pay, v, n);
	assert_int_equal(sendto(cli, pay, n, 0, (struct sockaddr *)&to,
				sizeof(to)),
			 (ssize_t)n);
}

/* Take the frame of the datagram just sent off the packet socket (the
 * kernel queued it there before the datagram reached the UDP socket):
 * its IPv4 packet into ip, its length returned. */
static size_t steal_frame(uint8_t *ip, size_t max)
{
	ssize_t n = recv(lo.pkt_fd, ip, max, MSG_DONTWAIT);

	assert_true(n > 28);
	assert_int_equal(recv(lo.pkt_fd, ip, max, MSG_DONTWAIT), -1);
	return (size_t)n;
}

/* Queue that frame again, from Ethernet source mac, with its IP header
 * checksum broken: the packet socket takes it (checksums are the IP
 * stack's business), the IP stack drops it, so no second datagram. */
static void queue_frame(const uint8_t *ip, size_t len, const uint8_t *mac)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET,
				  .sll_ifindex = lo.ifindex };
	uint8_t f[14 + 1600];

	memset(f, 0, 6); /* lo's own address */
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memcpy(f + 14, ip, len);
	f[14 + 10] ^= 0xff;
	assert_int_equal(sendto(inj, f, 14 + len, 0, (struct sockaddr *)&ll,
				sizeof(ll)),
			 (ssize_t)(14 + len));
}

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void test_io_witnessed(void **state)
{
	static const uint8_t zero[6];
	uint8_t buf[2048];
	struct srv_src src;

	send_dgram(1, 300);
	assert_int_equal(io_recv(&lo, buf, sizeof(buf), &src), 300);
	assert_int_equal(src.has_mac, 1);
	assert_memory_equal(src.mac, zero, 6); /* lo's */
	assert_int_equal(src.saddr, htonl(INADDR_LOOPBACK));
	assert_int_equal(src.sport, 68);
	assert_int_equal(io_recv(&lo, buf, sizeof(buf), &src), -1);
	assert_int_equal(errno, EAGAIN);
	/* The host's own frames (lo's outgoing copies) are no witnesses. */
	assert_int_equal(recv(lo.pkt_fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
}

/*
 * The interleaving behind a datagram from a known MAC counted as from
 * the unknown source: the loop read the datagram while its frame was not
 * on the packet socket yet (a socket bound to ETH_P_IP got its copy only
 * after the IP stack had queued the datagram).  io_recv() must not decide
 * then: it keeps the datagram queued, and pairs it once the frame comes.
 */
static void test_io_late_frame(void **state)
{
	static const uint8_t m7[6] = { 2, 0, 0, 0, 0, 7 };
	uint8_t buf[2048], ip[2048];
	struct pollfd p = { .fd = lo.pkt_fd, .events = POLLIN };
	struct srv_src src;
	size_t iplen;

	send_dgram(2, 300);
	iplen = steal_frame(ip, sizeof(ip));
	assert_int_equal(io_recv(&lo, buf, sizeof(buf), &src), -1);
	assert_int_equal(errno, EINPROGRESS);
	assert_true(io_wit_left(&lo) > 0);
	assert_true(io_wit_left(&lo) <= IO_WIT_WAIT_US);
	/* Asked again before the frame: still waiting, still queued. */
	assert_int_equal(io_recv(&lo, buf, sizeof(buf), &src), -1);
	assert_int_equal(errno, EINPROGRESS);
	queue_frame(ip, iplen, m7);
	assert_int_equal(poll(&p, 1, 5000), 1); /* the loop's wake-up */
	assert_int_equal(io_recv(&lo, buf, sizeof(buf), &src), 300);
	assert_int_equal(src.has_mac, 1);
	assert_memory_equal(src.mac, m7, 6);
	assert_int_equal(buf[0], 2);
	assert_int_equal(io_wit_left(&lo), 0);
	assert_int_equal(io_recv(&lo, buf, sizeof(buf), &src), -1);
	assert_int_equal(errno, EAGAIN);
}

/* A frame that never comes: the datagram waits IO_WIT_WAIT_US, no more,
 * then it is from the unknown source; the next one is served as usual. */
static void test_io_lost_frame(void **state)
{
	uint8_t buf[2048], ip[2048];
	struct srv_src src;
	uint64_t t0 = mono_us();
	ssize_t n;
	int k;

	send_dgram(3, 300);
	steal_frame(ip, sizeof(ip));
	send_dgram(4, 200);
	for (k = 0; k < 1000; k++) {
		n = io_recv(&lo, buf, sizeof(buf), &src);
		if (n >= 0 || errno != EINPROGRESS)
			break;
		/* the loop's timer: wake when the wait ends */
		poll(NULL, 0, (int)(io_wit_left(&lo) / 1000) + 1);
	}
	assert_int_equal(n, 300);
	assert_int_equal(buf[0], 3);
	assert_int_equal(src.has_mac, 0);
	assert_true(mono_us() - t0 >= IO_WIT_WAIT_US);
	/* Behind it, in order, with its frame. */
	assert_int_equal(io_recv(&lo, buf, sizeof(buf), &src), 200);
	assert_int_equal(buf[0], 4);
	assert_int_equal(src.has_mac, 1);
}

/* A flood's leftovers: more frames ahead of a datagram's than WIT_SEARCH
 * (frames whose datagrams the IP stack dropped: the IP header checksum
 * broken), and the packet socket dropped none: the search goes on to the
 * datagram's own frame. */
static void test_io_deep_search(void **state)
{
	static const uint8_t m8[6] = { 2, 0, 0, 0, 0, 8 };
	uint8_t buf[2048];
	struct srv_src src;
	uint64_t added = lo.wit->added;
	unsigned int i;

	for (i = 0; i < WIT_SLOTS + 40; i++) {
		size_t len = build(1, (uint8_t)i, 100);

		queue_frame(pkt, len, m8);
	}
	send_dgram(5, 300);
	assert_int_equal(io_recv(&lo, buf, sizeof(buf), &src), 300);
	assert_int_equal(src.has_mac, 1);
	assert_memory_equal(src.mac, (uint8_t[6]){ 0 }, 6); /* lo's */
	/* every frame read, the datagram's last */
	assert_int_equal(lo.wit->added - added, WIT_SLOTS + 40 + 1);
	assert_int_equal(io_recv(&lo, buf, sizeof(buf), &src), -1);
	assert_int_equal(errno, EAGAIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_pairing),
	};
	const struct CMUnitTest io_tests[] = {
		cmocka_unit_test(test_io_witnessed),
		cmocka_unit_test(test_io_late_frame),
		cmocka_unit_test(test_io_lost_frame),
		cmocka_unit_test(test_io_deep_search),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	return failed +
	       cmocka_run_group_tests_name("io", io_tests, lo_up, lo_down);
}
