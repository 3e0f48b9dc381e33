// SPDX-License-Identifier: GPL-2.0
/*
 * ahgen: AH tunnel traffic of many clients for the forwarding benchmark
 * with require-tunnel on (tests/vm/bench/insn-tun.sh, ah_frames.h).
 * Client I has the address SRC + I, inside and outside its tunnel (as
 * muisp-ike's client configuration makes it: remote_ts = dynamic), the SPI
 * SPI + I, the reqid I + 1 and the key ahf_key(I).
 *
 *   ahgen xfrm CLIENTS SRC ROUTER SPI
 *       the router's SAs and policies as `ip -batch` lines: per client an
 *       inbound AH SA as strongSwan installs it (tunnel mode, replay
 *       window 32, and align4: the AH header padded to 32 bits on IPv4,
 *       RFC 4302, not the kernel's default of 64) and the policies it
 *       installs for a client (in, fwd: from the client's address; out:
 *       to it)
 *   ahgen craft CLIENTS SRC ROUTER DST SMAC DMAC PORTS SPI PASSES N FILE
 *       PASSES x N frames into FILE, each pass N frames round-robin over
 *       the clients (UDP source port 10000 + (K / CLIENTS) % PORTS, to DST
 *       port 9), each client's sequence numbers 1, 2, ... over all passes
 *   ahgen send DEV FILE PASS N
 *       sends frames PASS x N to PASS x N + N - 1 of FILE on DEV
 *       (AF_PACKET, sendmmsg, the qdisc bypassed), from the CPU it runs on
 *
 * It reads nothing but its arguments and the frames it wrote itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ah_frames.h"

#define BATCH	   256
#define SNDBUF	   (256 << 20) /* never blocks: no wake-up from CPU 1 */
#define PORT0	   10000
#define DPORT	   9
#define REPLAY_WIN 32

static void die(const char *what)
{
	fprintf(stderr, "ahgen: %s: %s\n", what, errno ? strerror(errno) : "");
	exit(1);
}

static unsigned long num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || !*s || *end)
		die(what);
	return v;
}

static uint32_t addr(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		errno = EINVAL;
		die(s);
	}
	return ntohl(a.s_addr);
}

static void mac(const char *s, uint8_t m[6])
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2],
		   &m[3], &m[4], &m[5]) != 6) {
		errno = EINVAL;
		die(s);
	}
}

static const char *dotted(uint32_t a, char *buf)
{
	struct in_addr in = { htonl(a) };

	return inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

static int cmd_xfrm(char **av)
{
	unsigned long i, n = num(av[0], "CLIENTS");
	uint32_t src = addr(av[1]), spi = num(av[3], "SPI");
	char c[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN], hex[2 * AHF_KEY_LEN + 1];
	uint8_t key[AHF_KEY_LEN];
	unsigned int k;

	dotted(addr(av[2]), r);
	for (i = 0; i < n; i++) {
		dotted(src + i, c);
		ahf_key(i, key);
		for (k = 0; k < AHF_KEY_LEN; k++)
			sprintf(hex + 2 * k, "%02x", key[k]);
		printf("xfrm state add src %s dst %s proto ah spi 0x%08lx reqid %lu mode tunnel replay-window %d flag align4 auth-trunc hmac(sha256) 0x%s %d\n",
		       c, r, spi + i, i + 1, REPLAY_WIN, hex, AHF_ICV_LEN * 8);
		printf("xfrm policy add src %s/32 dst 0.0.0.0/0 dir in tmpl src %s dst %s proto ah reqid %lu mode tunnel\n",
		       c, c, r, i + 1);
		printf("xfrm policy add src %s/32 dst 0.0.0.0/0 dir fwd tmpl src %s dst %s proto ah reqid %lu mode tunnel\n",
		       c, c, r, i + 1);
		printf("xfrm policy add src 0.0.0.0/0 dst %s/32 dir out tmpl src %s dst %s proto ah reqid %lu mode tunnel\n",
		       c, r, c, i + 1);
	}
	return fflush(stdout) ? 1 : 0;
}

static int cmd_craft(char **av)
{
	unsigned long n = num(av[0], "CLIENTS"), ports = num(av[6], "PORTS");
	unsigned long passes = num(av[8], "PASSES"), per = num(av[9], "N");
	uint32_t src = addr(av[1]), spi = num(av[7], "SPI"), *seq;
	struct ahf_spec s = {
		.outer_dst = addr(av[2]),
		.inner_dst = addr(av[3]),
		.dport = DPORT,
	};
	uint8_t key[AHF_KEY_LEN], frame[AHF_FRAME_LEN];
	unsigned long c, p, k;
	EVP_MAC_CTX **ctx;
	FILE *f;

	mac(av[4], s.smac);
	mac(av[5], s.dmac);
	if (!n || !ports) {
		errno = EINVAL;
		die("CLIENTS and PORTS must not be 0");
	}
	ctx = calloc(n, sizeof(*ctx));
	seq = calloc(n, sizeof(*seq));
	if (!ctx || !seq)
		die("calloc");
	for (c = 0; c < n; c++) {
		ahf_key(c, key);
		ctx[c] = ahf_mac_new(key);
		if (!ctx[c])
			die("HMAC-SHA-256");
	}
	f = fopen(av[10], "w");
	if (!f)
		die(av[10]);
	for (p = 0; p < passes; p++) {
		for (k = 0; k < per; k++) {
			c = k % n;
			s.outer_src = s.inner_src = src + c;
			s.sport = PORT0 + (k / n) % ports;
			s.spi = spi + c;
			s.seq = ++seq[c];
			if (ahf_build(frame, &s, ctx[c]))
				die("HMAC-SHA-256");
			if (fwrite(frame, sizeof(frame), 1, f) != 1)
				die(av[10]);
		}
	}
	if (fclose(f))
		die(av[10]);
	for (c = 0; c < n; c++)
		EVP_MAC_CTX_free(ctx[c]);
	free(ctx);
	free(seq);
	return 0;
}

static int cmd_send(char **av)
{
	unsigned long pass = num(av[2], "PASS"), n = num(av[3], "N"), done = 0;
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_halen = 6,
	};
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	int fd, s, one = 1, buf = SNDBUF;
	uint8_t *frames; /* mapped read-only */
	struct stat st;
	unsigned int i;

	to.sll_ifindex = if_nametoindex(av[0]);
	if (!to.sll_ifindex)
		die(av[0]);
	fd = open(av[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		die(av[1]);
	if ((unsigned long long)st.st_size < (pass + 1) * n * AHF_FRAME_LEN) {
		errno = ERANGE;
		die("the file holds fewer passes");
	}
	frames = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE,
		      fd, 0);
	if (frames == MAP_FAILED)
		die("mmap");
	frames += pass * n * AHF_FRAME_LEN;
	/* protocol 0: a sender that receives nothing */
	s = socket(AF_PACKET, SOCK_RAW, 0);
	if (s < 0 ||
	    setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)))
		die("AF_PACKET socket");
	memcpy(to.sll_addr, frames, 6);
	while (done < n) {
		unsigned int k = n - done < BATCH ? n - done : BATCH;
		int sent;

		memset(m, 0, sizeof(m));
		for (i = 0; i < k; i++) {
			iov[i].iov_base = frames + (done + i) * AHF_FRAME_LEN;
			iov[i].iov_len = AHF_FRAME_LEN;
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
			m[i].msg_hdr.msg_name = &to;
			m[i].msg_hdr.msg_namelen = sizeof(to);
		}
		sent = sendmmsg(s, m, k, 0);
		if (sent < 0 && errno != EINTR && errno != ENOBUFS)
			die("sendmmsg");
		if (sent > 0)
			done += sent;
	}
	close(s);
	printf("%lu\n", done);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "xfrm") && argc == 6)
		return cmd_xfrm(argv + 2);
	if (!strcmp(cmd, "craft") && argc == 13)
		return cmd_craft(argv + 2);
	if (!strcmp(cmd, "send") && argc == 6)
		return cmd_send(argv + 2);
	fprintf(stderr,
		"usage: ahgen xfrm CLIENTS SRC ROUTER SPI\n"
		"       ahgen craft CLIENTS SRC ROUTER DST SMAC DMAC PORTS SPI PASSES N FILE\n"
		"       ahgen send DEV FILE PASS N\n");
	return 2;
}
