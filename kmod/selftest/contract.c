// SPDX-License-Identifier: GPL-2.0
/*
 * Contract quota self-tests, #included at the end of contract.c when the
 * module is built with MUISP_DEBUG=1 (-DDEBUG) and run by muisp_init(),
 * which fails the load if they fail.  One kthread per online CPU charges
 * a private contract through muisp_contract_charge() (the packet path's
 * entry) while it is ACTIVE, as the gate does, and a reader polls the
 * usage meanwhile: usage never passes the hard limit, the soft limit
 * fires once at the packet that crosses it, and the charged total ends
 * exactly at the hard limit when the packet sizes allow it.  Logs
 * "contract self-tests: pass"; the VM scenario ft-selftest looks for it.
 */
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/random.h>

#define CTST_MAX_THREADS	16

struct ctst_thread {
	struct muisp_net *mn;
	struct muisp_contract *c;
	struct completion done;
	unsigned int len;	/* 0: random 40..1500 */
	u32 seed;
	u64 bytes, packets, refused, max_len;
};

static void ctst_check(bool ok, const char *what, int line, int *ret)
{
	if (ok)
		return;
	pr_err("contract self-test failed: %s (line %d)\n", what, line);
	*ret = -EINVAL;
}

#define CTST_CHECK(cond) ctst_check(!!(cond), #cond, __LINE__, &ret)

static int ctst_thread_fn(void *arg)
{
	struct ctst_thread *t = arg;
	unsigned int len, n = 0;
	int why;

	while (READ_ONCE(t->c->status) == MUISP_CONTRACT_STATUS_ACTIVE) {
		t->seed = t->seed * 1103515245 + 12345;
		len = t->len ? t->len : 40 + (t->seed >> 8) % 1461;
		local_bh_disable();
		why = muisp_contract_charge(t->mn, t->c, (t->seed >> 20) & 1,
					    len);
		local_bh_enable();
		if (!why) {
			t->bytes += len;
			t->packets++;
			t->max_len = max_t(u64, t->max_len, len);
		} else {
			t->refused++;
		}
		if (++n % 256 == 0)
			cond_resched();
	}
	complete(&t->done);
	return 0;
}

static struct muisp_contract *ctst_contract(u8 metric)
{
	struct muisp_contract *c = kzalloc(sizeof(*c), GFP_KERNEL);

	if (!c)
		return NULL;
	c->pcpu = alloc_percpu(struct muisp_contract_cpu);
	if (!c->pcpu) {
		kfree(c);
		return NULL;
	}
	c->id = 1;
	c->metric = metric;
	spin_lock_init(&c->lock);
	muisp_quota_init(&c->quota, nr_cpu_ids, 0, 0, 0);
	return c;
}

static void ctst_free(struct muisp_contract *c)
{
	free_percpu(c->pcpu);
	kfree(c);
}

/* Limits as a netlink change sets them, then ACTIVE. */
static void ctst_activate(struct muisp_contract *c, u64 soft, u64 hard)
{
	unsigned long flags;

	spin_lock_irqsave(&c->lock, flags);
	muisp_quota_hold(&c->quota, &c->pcpu->q);
	WRITE_ONCE(c->soft, soft);
	WRITE_ONCE(c->hard, hard);
	muisp_quota_release(&c->quota, 0, soft, hard, contract_par(c));
	set_status_locked(c, MUISP_CONTRACT_STATUS_ACTIVE, muisp_now_ms());
	c->drop_reason = 0;
	spin_unlock_irqrestore(&c->lock, flags);
}

/*
 * Charge from every online CPU until the contract leaves ACTIVE; the
 * usage read meanwhile never passes @cap.  Returns the usage charged
 * (the threads' sum), the largest packet in *max_len.
 */
static int ctst_run(struct muisp_net *mn, struct muisp_contract *c,
		    unsigned int len, u64 cap, u64 *charged, u64 *max_len)
{
	struct ctst_thread *t;
	struct task_struct *task;
	unsigned int n = 0, i, cpu;
	u64 used, peak = 0, polls = 0;
	int ret = 0;

	t = kcalloc(CTST_MAX_THREADS, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		if (n == CTST_MAX_THREADS)
			break;
		t[n] = (struct ctst_thread){ .mn = mn, .c = c, .len = len,
					     .seed = 17 + cpu * 7919 };
		init_completion(&t[n].done);
		task = kthread_create(ctst_thread_fn, &t[n], "muisp-ctst/%u",
				      cpu);
		if (IS_ERR(task)) {
			ret = PTR_ERR(task);
			break;
		}
		kthread_bind(task, cpu);
		wake_up_process(task);
		n++;
	}
	if (ret) {
		/* stop the ones started before freeing */
		WRITE_ONCE(c->status, MUISP_CONTRACT_STATUS_SUSPENDED);
		for (i = 0; i < n; i++)
			wait_for_completion(&t[i].done);
		kfree(t);
		return ret;
	}
	for (;;) {
		bool all = true;

		used = muisp_contract_used(c, muisp_now_ms());
		peak = max(peak, used);
		CTST_CHECK(used <= cap);
		CTST_CHECK(muisp_quota_granted(&c->quota) <= cap);
		polls++;
		for (i = 0; i < n; i++)
			all &= completion_done(&t[i].done);
		if (all)
			break;
		usleep_range(100, 200);
	}
	*charged = 0;
	*max_len = 0;
	for (i = 0; i < n; i++) {
		wait_for_completion(&t[i].done);
		*charged += c->metric == MUISP_METRIC_PACKETS ? t[i].packets :
							       t[i].bytes;
		*max_len = max(*max_len, t[i].max_len);
	}
	pr_info("contract self-test: %u CPUs, usage %llu of %llu, %llu polls (peak %llu)\n",
		n, *charged, cap, polls, peak);
	kfree(t);
	return ret;
}

static int ctst_hard_exact(struct muisp_net *mn)
{
	struct muisp_contract *c = ctst_contract(MUISP_METRIC_BYTES);
	u64 hard = 20000 * 1000ULL, charged, max_len;
	int ret;

	if (!c)
		return -ENOMEM;
	ctst_activate(c, 0, hard);
	ret = ctst_run(mn, c, 1000, hard, &charged, &max_len);
	CTST_CHECK(charged == hard);
	CTST_CHECK(muisp_contract_used(c, muisp_now_ms()) == hard);
	CTST_CHECK(muisp_quota_granted(&c->quota) == hard);
	CTST_CHECK(c->status == MUISP_CONTRACT_STATUS_EXTINGUISHED);
	CTST_CHECK(c->drop_reason == MUISP_DROP_HARD_LIMIT);
	ctst_free(c);
	return ret;
}

/* Random sizes: refused only when the exact usage leaves no room. */
static int ctst_hard_random(struct muisp_net *mn)
{
	struct muisp_contract *c = ctst_contract(MUISP_METRIC_BYTES);
	u64 hard = 15000000 + 7919, charged, max_len;
	int ret;

	if (!c)
		return -ENOMEM;
	ctst_activate(c, 0, hard);
	ret = ctst_run(mn, c, 0, hard, &charged, &max_len);
	/* the packet refused (at most 1500 bytes) did not fit */
	CTST_CHECK(charged <= hard && charged + 1500 > hard && max_len <= 1500);
	CTST_CHECK(muisp_contract_used(c, muisp_now_ms()) == charged);
	CTST_CHECK(c->status == MUISP_CONTRACT_STATUS_EXTINGUISHED);
	ctst_free(c);
	return ret;
}

/* Packets: soft once at its packet, then raised, then hard exactly. */
static int ctst_soft_then_hard(struct muisp_net *mn)
{
	struct muisp_contract *c = ctst_contract(MUISP_METRIC_PACKETS);
	u64 soft = 100000, hard = 250000, charged, max_len, events;
	int ret;

	if (!c)
		return -ENOMEM;
	events = atomic64_read(&mn->events);
	ctst_activate(c, soft, hard);
	ret = ctst_run(mn, c, 100, hard, &charged, &max_len);
	CTST_CHECK(charged == soft);
	CTST_CHECK(c->status == MUISP_CONTRACT_STATUS_DELINQUENT);
	CTST_CHECK(atomic64_read(&mn->events) == events + 1);
	/* the soft limit extended: on to the hard limit */
	ctst_activate(c, hard, hard);
	ret = ret ?: ctst_run(mn, c, 100, hard, &charged, &max_len);
	CTST_CHECK(muisp_contract_used(c, muisp_now_ms()) == hard);
	CTST_CHECK(c->status == MUISP_CONTRACT_STATUS_EXTINGUISHED);
	CTST_CHECK(atomic64_read(&mn->events) == events + 2);
	ctst_free(c);
	return ret;
}

bool muisp_contract_selftest(void)
{
	struct muisp_net *mn;
	int ret;

	mn = kzalloc(sizeof(*mn), GFP_KERNEL);
	if (!mn)
		return false;
	mn->cfg.usage_gap_s = 60;
	mn->dying = true;	/* no events leave */
	ret = ctst_hard_exact(mn);
	ret = ret ?: ctst_hard_random(mn);
	ret = ret ?: ctst_soft_then_hard(mn);
	kfree(mn);
	if (ret) {
		pr_err("contract self-tests: FAIL (%d)\n", ret);
		return false;
	}
	pr_info("contract self-tests: pass\n");
	return true;
}
