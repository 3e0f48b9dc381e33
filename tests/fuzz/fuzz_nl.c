// SPDX-License-Identifier: GPL-2.0
/*
 * lib/muisp_nl parsers on arbitrary bytes: every typed codec, the
 * extended-ack parser, the family parser and the reply state machine.
 * Whatever the input, no crash, no out-of-bounds read (ASan), and a
 * parse that fails leaves its object zeroed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netlink.h>

#include "muisp_nl.h"

static int count_cb(const struct nlmsghdr *nlh, void *arg)
{
	(*(unsigned int *)arg)++;
	return nlh->nlmsg_len & 1 ? MNL_CB_STOP : MNL_CB_OK;
}

static void check_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i])
			abort();
}

#define PARSE(type, fn, msg)                       \
	do {                                       \
		struct muisp_nl_##type o;          \
		if (fn(msg, &o) < 0)               \
			check_zero(&o, sizeof(o)); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[65536] __attribute__((aligned(8)));
	static const struct nlmsghdr req = { .nlmsg_len = 64, .nlmsg_seq = 1 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct muisp_nl_run st = { .portid = 0 };
	struct muisp_nl_family fam;
	struct muisp_nl_ext ext;
	unsigned int n = 0;

	if (size < sizeof(*nlh) || size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	/* The transport only hands over messages that fit what was read. */
	if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > size)
		nlh->nlmsg_len = (uint32_t)size;

	PARSE(addr, muisp_nl_addr_parse, nlh);
	PARSE(contract, muisp_nl_contract_parse, nlh);
	PARSE(flow, muisp_nl_flow_parse, nlh);
	PARSE(garden, muisp_nl_garden_parse, nlh);
	PARSE(block, muisp_nl_block_parse, nlh);
	PARSE(config, muisp_nl_config_parse, nlh);
	PARSE(stats, muisp_nl_stats_parse, nlh);
	PARSE(event, muisp_nl_event_parse, nlh);
	PARSE(agent, muisp_nl_agent_parse, nlh);
	PARSE(user, muisp_nl_user_parse, nlh);
	PARSE(tag, muisp_nl_tag_parse, nlh);
	PARSE(tag_user, muisp_nl_tag_user_parse, nlh);
	PARSE(tag_report, muisp_nl_tag_report_parse, nlh);
	if (muisp_nl_parse_family(nlh, &fam) == 0 &&
	    fam.ngroups > MUISP_NL_MAX_GROUPS)
		abort();
	/* the controller's notifications (lib/nl_follow) */
	if (muisp_nl_parse_ctrl(nlh, "muisp", &fam) > 0 &&
	    (strcmp(fam.name, "muisp") != 0 ||
	     fam.ngroups > MUISP_NL_MAX_GROUPS))
		abort();
	if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
		if (muisp_nl_parse_ext(nlh, &req, &ext) == 0 &&
		    (ext.error < 0 || strlen(ext.msg) >= sizeof(ext.msg)))
			abort();
	}
	/* The whole buffer as one datagram of replies. */
	muisp_nl_run_buf(&st, buf, size, &req, count_cb, &n);
	(void)muisp_nl_cmd(nlh);
	return 0;
}
