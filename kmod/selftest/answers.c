// SPDX-License-Identifier: GPL-2.0
/*
 * Self-tests of the out-of-band answers' table, #included at the end of
 * uinfo_meter.c when the module is built with MUISP_DEBUG=1 (-DDEBUG) and
 * run by muisp_init(), which fails the load if they fail: a report's
 * answer never takes the slot of another flow's fresh held answer (a
 * host reporting flows that never come would make held packets miss
 * theirs), and takes any other.  Logs "out-of-band answers self-tests:
 * pass"; the VM scenario ft-selftest looks for it.
 */

static void atst_check(bool ok, const char *what, int line, int *ret)
{
	if (ok || *ret)
		return;
	pr_err("out-of-band answers self-test failed: %s (line %d)\n", what,
	       line);
	*ret = -EIO;
}

#define ATST_CHECK(cond) atst_check(!!(cond), #cond, __LINE__, &ret)

static const u8 atst_src[4] = { 10, 77, 0, 100 }, atst_dst[4] = { 192, 0, 2, 1 };

/* The flow from atst_src:port to atst_dst:53/udp. */
static void atst_flow(struct muisp_flow_key *key, u16 port)
{
	__be32 a[4] = { }, b[4] = { };

	memcpy(a, atst_src, 4);
	memcpy(b, atst_dst, 4);
	muisp_flow_key_set(key, AF_INET, IPPROTO_UDP, a, b, htons(port),
			   htons(53));
}

static int atst_answers(void)
{
	struct muisp_flow_key held, rep, other;
	struct muisp_hold_answers *h;
	u32 user = 0;
	int ret = 0;
	u16 port;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	spin_lock_init(&h->lock);
	get_random_bytes(&h->seed, sizeof(h->seed));
	atst_flow(&held, 1000);
	/* two more flows on held's slot (256 of them: a few hundred tries) */
	for (port = 1001; port; port++) {
		atst_flow(&rep, port);
		if (answer_slot(h, &rep) == answer_slot(h, &held))
			break;
	}
	for (port++; port; port++) {
		atst_flow(&other, port);
		if (answer_slot(h, &other) == answer_slot(h, &held))
			break;
	}
	ATST_CHECK(port);
	if (ret)
		goto out;
	local_bh_disable();
	ATST_CHECK(muisp_hold_answer_put(h, &held, 7, true));
	/* a report's answer on a fresh held one's slot: not kept */
	ATST_CHECK(!muisp_hold_answer_put(h, &rep, 8, false));
	ATST_CHECK(muisp_hold_answer_get(h, &held, &user) && user == 7);
	ATST_CHECK(!muisp_hold_answer_get(h, &rep, &user));
	/* the same flow reported: the answer is updated */
	ATST_CHECK(muisp_hold_answer_put(h, &held, 9, false));
	ATST_CHECK(muisp_hold_answer_get(h, &held, &user) && user == 9);
	/* a report's answer takes another report's slot */
	ATST_CHECK(muisp_hold_answer_put(h, &rep, 8, false));
	ATST_CHECK(muisp_hold_answer_get(h, &rep, &user) && user == 8);
	ATST_CHECK(!muisp_hold_answer_get(h, &held, &user));
	/* a held answer takes any slot */
	ATST_CHECK(muisp_hold_answer_put(h, &other, 10, true));
	ATST_CHECK(muisp_hold_answer_get(h, &other, &user) && user == 10);
	/* a held answer gone stale: a report's takes its slot */
	answer_slot(h, &other)->expires = (jiffies - 1) | 1;
	ATST_CHECK(!muisp_hold_answer_get(h, &other, &user));
	ATST_CHECK(muisp_hold_answer_put(h, &rep, 11, false));
	ATST_CHECK(muisp_hold_answer_get(h, &rep, &user) && user == 11);
	local_bh_enable();
out:
	kfree(h);
	return ret;
}

bool muisp_answers_selftest(void)
{
	int ret = atst_answers();

	if (ret) {
		pr_err("out-of-band answers self-tests: FAIL (%d)\n", ret);
		return false;
	}
	pr_info("out-of-band answers self-tests: pass\n");
	return true;
}
