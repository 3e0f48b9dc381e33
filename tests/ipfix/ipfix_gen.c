// SPDX-License-Identifier: GPL-2.0
/*
 * ipfix-gen: write a muisp-ipfixd --replay file, netlink FLOW_RECORD
 * messages back to back as the kernel sends them (lib/muisp_nl's codec),
 * numbered 1, 2, ... in MUISP_FLOW_A_SEQ.
 *
 * Usage: ipfix-gen OUT < SPEC
 * SPEC, one statement a line ('#' comments):
 *   flow CLIENT CPORT PEER PPORT PROTO UPBYTES UPPKTS DOWNBYTES DOWNPKTS
 *        CONTRACT END      one record (END: idle closed evicted flush
 *                          rebind); addresses IPv4 or IPv6, PROTO a name
 *                          or number
 *   skip N                 the next N numbers are never written (records
 *                          "lost" by the kernel: a gap of N)
 *   synth N                N made-up flows (every 4th IPv6; TCP and UDP
 *                          in turn; 1..4 packets each way)
 * Exit 0, or 1 with "ipfix-gen: LINE: why".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>

#include "muisp_nl.h"
#include "parse.h"

static const char *const ends[] = { "",	       "idle",	"closed",
				    "evicted", "flush", "rebind" };

static uint64_t seq;
static FILE *out;

static void put(struct muisp_nl_flow *f)
{
	static char buf[1024] __attribute__((aligned(8)));
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = 0x1d; /* any family id: not checked on replay */
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = MUISP_CMD_FLOW_RECORD;
	g->version = MUISP_GENL_VERSION;
	f->seq = ++seq;
	f->id = f->seq;
	f->first_ms = 1796000000000ULL + f->seq * 10;
	f->last_ms = f->first_ms + 5;
	MUISP_NL_SET(f, MUISP_FLOW_A_ID);
	MUISP_NL_SET(f, MUISP_FLOW_A_CLIENT_ADDR);
	MUISP_NL_SET(f, MUISP_FLOW_A_PEER_ADDR);
	MUISP_NL_SET(f, MUISP_FLOW_A_PROTO);
	MUISP_NL_SET(f, MUISP_FLOW_A_CLIENT_PORT);
	MUISP_NL_SET(f, MUISP_FLOW_A_PEER_PORT);
	MUISP_NL_SET(f, MUISP_FLOW_A_UP_BYTES);
	MUISP_NL_SET(f, MUISP_FLOW_A_UP_PACKETS);
	MUISP_NL_SET(f, MUISP_FLOW_A_DOWN_BYTES);
	MUISP_NL_SET(f, MUISP_FLOW_A_DOWN_PACKETS);
	MUISP_NL_SET(f, MUISP_FLOW_A_FIRST_MS);
	MUISP_NL_SET(f, MUISP_FLOW_A_LAST_MS);
	MUISP_NL_SET(f, MUISP_FLOW_A_CONTRACT_ID);
	MUISP_NL_SET(f, MUISP_FLOW_A_END_REASON);
	MUISP_NL_SET(f, MUISP_FLOW_A_SEQ);
	if (f->proto == 6) {
		f->tcp_flags = 0x13;
		MUISP_NL_SET(f, MUISP_FLOW_A_TCP_FLAGS);
	}
	if (muisp_nl_flow_put(nlh, f) < 0 ||
	    fwrite(buf, 1, NLMSG_ALIGN(nlh->nlmsg_len), out) !=
		    NLMSG_ALIGN(nlh->nlmsg_len)) {
		perror("ipfix-gen");
		exit(1);
	}
}

static void synth(uint64_t n)
{
	struct muisp_nl_flow f;
	char a[64];
	uint64_t i;

	for (i = 0; i < n; i++) {
		memset(&f, 0, sizeof(f));
		if (i % 4 == 3) {
			snprintf(a, sizeof(a), "2001:db8:1::%x",
				 (unsigned)(i % 65521) + 1);
			muisp_nl_ip_from_str(&f.client_addr, a);
			muisp_nl_ip_from_str(&f.peer_addr, "2001:db8:ff::1");
		} else {
			snprintf(a, sizeof(a), "10.%u.%u.%u",
				 (unsigned)(i >> 16) & 255,
				 (unsigned)(i >> 8) & 255, (unsigned)i & 255);
			muisp_nl_ip_from_str(&f.client_addr, a);
			muisp_nl_ip_from_str(&f.peer_addr, "198.51.100.7");
		}
		f.proto = i % 2 ? 17 : 6;
		f.client_port = (uint16_t)(1024 + i % 60000);
		f.peer_port = 443;
		f.up_packets = 1 + i % 4;
		f.up_bytes = 60 * f.up_packets;
		f.down_packets = 1 + (i / 4) % 4;
		f.down_bytes = 1400 * f.down_packets;
		f.contract_id = 1000 + i % 100;
		f.end_reason = MUISP_FLOW_END_IDLE;
		put(&f);
	}
}

static int num(const char *s, uint64_t max, uint64_t *v)
{
	const char *why;

	return parse_uint(s, max, v, &why);
}

int main(int argc, char **argv)
{
	char line[512], *w[16], *p;
	unsigned int lineno = 0, nw;
	struct muisp_nl_flow f;
	uint64_t v[8];
	const char *why;
	unsigned int i;

	if (argc != 2) {
		fprintf(stderr, "usage: ipfix-gen OUT < SPEC\n");
		return 2;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin)) {
		lineno++;
		p = strchr(line, '#');
		if (p)
			*p = '\0';
		nw = 0;
		for (p = strtok(line, " \t\n"); p && nw < 16;
		     p = strtok(NULL, " \t\n"))
			w[nw++] = p;
		if (!nw)
			continue;
		if (!strcmp(w[0], "skip") && nw == 2 &&
		    !num(w[1], 1000000, v)) {
			seq += v[0];
		} else if (!strcmp(w[0], "synth") && nw == 2 &&
			   !num(w[1], 100000000, v)) {
			synth(v[0]);
		} else if (!strcmp(w[0], "flow") && nw == 12) {
			memset(&f, 0, sizeof(f));
			if (parse_ip(w[1], &f.client_addr, &why) ||
			    parse_ip(w[3], &f.peer_addr, &why) ||
			    parse_proto(w[5], &f.proto, &why) ||
			    num(w[2], 65535, &v[0]) || num(w[4], 65535, &v[1]))
				goto bad;
			f.client_port = (uint16_t)v[0];
			f.peer_port = (uint16_t)v[1];
			if (num(w[6], UINT64_MAX, &f.up_bytes) ||
			    num(w[7], UINT64_MAX, &f.up_packets) ||
			    num(w[8], UINT64_MAX, &f.down_bytes) ||
			    num(w[9], UINT64_MAX, &f.down_packets) ||
			    num(w[10], UINT64_MAX, &f.contract_id))
				goto bad;
			for (i = 1; i < sizeof(ends) / sizeof(ends[0]); i++)
				if (!strcmp(w[11], ends[i]))
					break;
			if (i == sizeof(ends) / sizeof(ends[0]))
				goto bad;
			f.end_reason = (uint8_t)i;
			put(&f);
		} else {
			goto bad;
		}
	}
	if (fclose(out)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
bad:
	fprintf(stderr, "ipfix-gen: %u: bad statement\n", lineno);
	return 1;
}
