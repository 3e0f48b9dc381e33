// SPDX-License-Identifier: GPL-2.0
/*
 * ipfix-encode: lib/ipfix's messages for flows given as text (test tool,
 * never installed).  tests/ipfix/encoder.sh sends them to nfacctd and
 * tests/ipfix/decode.py reads them back.
 *
 *   ipfix-encode [-d DOMAIN] [-s SEQ] [-t TIME] [-m MTU] [-T] [-L LOST]
 *                < flows > messages
 *
 *   -d  observation domain id (default 1)
 *   -s  sequence number of the first message (default 0)
 *   -t  export time, UNIX seconds (default 0: now)
 *   -m  largest message (default 1400)
 *   -T  templates (and the options template) in the first message
 *   -L  an options record (template 258) with notSentFlowTotalCount LOST
 *       in the first message
 *
 * One flow a line, blank lines and # comments skipped:
 *   CLIENT PEER CPORT PPORT PROTO UP_BYTES UP_PKTS DOWN_BYTES DOWN_PKTS
 *   FIRST_MS LAST_MS TCP_FLAGS CONTRACT_ID FLOW_ID END_REASON
 * (addresses IPv4 or IPv6, END_REASON the enum muisp_flow_end number).
 * The messages are written one after another to stdout (each carries its
 * own length at offset 2); a new message starts when a flow does not fit.
 * Exit 0, or 1 with a message on a bad line or write error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipfix.h"
#include "parse.h"

static uint8_t buf[IPFIX_MAX_LEN];

static int parse_flow(char *line, struct muisp_nl_flow *f)
{
	char c[64], p[64];
	const char *why;
	unsigned int cport, pport, proto, flags, end;

	memset(f, 0, sizeof(*f));
	if (sscanf(line,
		   "%63s %63s %u %u %u %" SCNu64 " %" SCNu64 " %" SCNu64
		   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %u %" SCNu64
		   " %" SCNu64 " %u",
		   c, p, &cport, &pport, &proto, &f->up_bytes, &f->up_packets,
		   &f->down_bytes, &f->down_packets, &f->first_ms, &f->last_ms,
		   &flags, &f->contract_id, &f->id, &end) != 15)
		return -1;
	if (parse_ip(c, &f->client_addr, &why) ||
	    parse_ip(p, &f->peer_addr, &why) || cport > 65535 ||
	    pport > 65535 || proto > 255 || flags > 255 || end > 255)
		return -1;
	f->client_port = (uint16_t)cport;
	f->peer_port = (uint16_t)pport;
	f->proto = (uint8_t)proto;
	f->tcp_flags = (uint8_t)flags;
	f->end_reason = (uint8_t)end;
	return 0;
}

static int emit(struct ipfix_msg *m)
{
	size_t len = ipfix_msg_finish(m);

	if (fwrite(buf, 1, len, stdout) != len) {
		perror("ipfix-encode: write");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t domain = 1, seq = 0, now = 0;
	size_t mtu = 1400;
	int templates = 0, opt, lineno = 0;
	long long lost = -1;
	char line[1024];
	struct ipfix_msg m;

	while ((opt = getopt(argc, argv, "d:s:t:m:TL:")) != -1) {
		switch (opt) {
		case 'd':
			domain = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 's':
			seq = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 't':
			now = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			mtu = strtoul(optarg, NULL, 0);
			break;
		case 'T':
			templates = 1;
			break;
		case 'L':
			lost = strtoll(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: ipfix-encode [-d DOMAIN] "
					"[-s SEQ] [-t TIME] [-m MTU] [-T] "
					"[-L LOST] < flows\n");
			return 1;
		}
	}
	if (!now)
		now = (uint32_t)time(NULL);
	ipfix_msg_init(&m, buf, mtu, domain, seq, now);
	if (templates && ipfix_put_templates(&m)) {
		fprintf(stderr, "ipfix-encode: MTU %zu too small\n", mtu);
		return 1;
	}
	if (lost >= 0 &&
	    ipfix_put_loss(&m, (uint32_t)getpid(), (uint64_t)lost)) {
		fprintf(stderr, "ipfix-encode: MTU %zu too small\n", mtu);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		struct muisp_nl_flow f;
		char *s = line + strspn(line, " \t");

		lineno++;
		if (*s == '#' || *s == '\n' || !*s)
			continue;
		if (parse_flow(s, &f)) {
			fprintf(stderr, "ipfix-encode: line %d: bad flow\n",
				lineno);
			return 1;
		}
		int r = ipfix_put_flow(&m, &f);

		if (r == -ENOSPC) {
			if (emit(&m))
				return 1;
			ipfix_msg_init(&m, buf, mtu, domain,
				       ipfix_msg_next_seq(&m), now);
			r = ipfix_put_flow(&m, &f);
		}
		if (r < 0) {
			fprintf(stderr, "ipfix-encode: line %d: %s\n", lineno,
				strerror(-r));
			return 1;
		}
	}
	if (m.len > IPFIX_HDR_LEN && emit(&m))
		return 1;
	return fflush(stdout) ? 1 : 0;
}
