// SPDX-License-Identifier: GPL-2.0
/*
 * Flow-table self-tests, #included at the end of flowtable.c when the
 * module is built with MUISP_DEBUG=1 (-DDEBUG) and run by muisp_init(),
 * which fails the load if they fail.  They exercise on private tables the
 * kernel paths the host model cannot: RCU lookup + entry lock, striped
 * insert/evict from several CPUs at once racing flush, walk, GC and the
 * bucket array's resizes, and check that the exported records account for every metered packet
 * exactly once, and that a flow's start time reads the same in every dump
 * and in its end record.  Logs "flow table self-tests: pass"; the VM scenario
 * ft-selftest loads such a module and looks for that line.
 */
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/delay.h>

#define FTST_FLOWS	256
#define FTST_THREADS	2
#define FTST_PACKETS	40000

struct ftst_sink {
	atomic64_t bytes[FTST_FLOWS][2];
	atomic64_t packets[FTST_FLOWS][2];
	atomic64_t records;
	atomic64_t by_reason[MUISP_FLOW_END_MAX + 1];
	atomic64_t bad;
};

struct ftst_thread {
	struct muisp_flowtable *ft;
	struct completion done;
	unsigned int seed;
	u64 sent_bytes[FTST_FLOWS][2];
	u64 sent_packets[FTST_FLOWS][2];
	u64 errors, enospc;
	bool gc_mode;		/* two phases over two halves of the flows */
	bool *stop;		/* gc_mode: run phase 2 until set */
};

static void ftst_key(struct muisp_flow_key *k, unsigned int i)
{
	__be32 c = cpu_to_be32(0xc0000200 | (i & 0x3f));
	__be32 p = cpu_to_be32(0xc6336402);

	muisp_flow_key_init(k, AF_INET, i & 1 ? IPPROTO_UDP : IPPROTO_TCP,
			    &c, &p, cpu_to_be16(1024 + i), cpu_to_be16(80));
}

static void ftst_export(void *ctx, const struct muisp_flow_record *rec)
{
	struct ftst_sink *s = ctx;
	unsigned int i = be16_to_cpu(rec->key.client_port) - 1024;

	if (i >= FTST_FLOWS || rec->end_reason > MUISP_FLOW_END_MAX ||
	    rec->end_reason == MUISP_FLOW_END_UNSPEC) {
		atomic64_inc(&s->bad);
		return;
	}
	atomic64_add(rec->bytes[0], &s->bytes[i][0]);
	atomic64_add(rec->bytes[1], &s->bytes[i][1]);
	atomic64_add(rec->packets[0], &s->packets[i][0]);
	atomic64_add(rec->packets[1], &s->packets[i][1]);
	atomic64_inc(&s->by_reason[rec->end_reason]);
	atomic64_inc(&s->records);
}

/* The contracts of the tests: payer i has id i. */
static struct muisp_flow_payer ftst_payers[16] = {
	{ 0 }, { 1 }, { 2 }, { 3 }, { 4 }, { 5 }, { 6 }, { 7 },
	{ 8 }, { 9 }, { 10 }, { 11 }, { 12 }, { 13 }, { 14 }, { 15 },
};

static int ftst_meter(struct muisp_flowtable *ft, unsigned int i, int dir,
		      unsigned int len, u8 flags, u32 contract)
{
	struct muisp_flow_key k;
	int ret;

	ftst_key(&k, i);
	local_bh_disable();
	rcu_read_lock();
	ret = muisp_ft_account(ft, muisp_ft_pos(ft, &k), &k, dir, len, flags,
			       &ftst_payers[contract], muisp_ft_gen(ft), NULL);
	rcu_read_unlock();
	local_bh_enable();
	return ret;
}

static int ftst_thread_fn(void *arg)
{
	struct ftst_thread *t = arg;
	unsigned int n, i, len, dir;
	u32 x = t->seed;
	int ret;
	u8 flags;

	for (n = 0; n < FTST_PACKETS || (t->gc_mode && !READ_ONCE(*t->stop));
	     n++) {
		x = x * 1103515245 + 12345;
		if (t->gc_mode)
			i = (x >> 8) % (FTST_FLOWS / 2) +
			    (n < FTST_PACKETS / 2 ? 0 : FTST_FLOWS / 2);
		else
			i = (x >> 8) % FTST_FLOWS;
		dir = (x >> 20) & 1;
		len = 40 + ((x >> 4) & 1023);
		/* now and then close a TCP flow, or re-open it */
		flags = (i & 1) ? 0 : ((x >> 24) % 64 == 0 ? MUISP_TCP_RST :
				       (x >> 24) % 64 == 1 ? MUISP_TCP_SYN :
				       MUISP_TCP_ACK);
		/*
		 * evict mode: the contract changes every 5000 packets (the
		 * threads drift apart, so flows ping-pong: REBIND records)
		 */
		ret = ftst_meter(t->ft, i, dir, len, flags,
				 t->gc_mode ? 1 : 1 + (n / 5000) % 2);
		if (ret) {
			t->errors++;
			t->enospc += ret == -ENOSPC;
		} else {
			t->sent_bytes[i][dir] += len;
			t->sent_packets[i][dir]++;
		}
		if (!(n & 255))
			cond_resched();
	}
	complete(&t->done);
	return 0;
}

struct ftst_walk {
	unsigned int budget, seen;
	u64 last_flow;
};

static int ftst_walk_fn(void *arg, const struct muisp_flow_record *rec)
{
	struct ftst_walk *w = arg;

	if (!w->budget)
		return 1;
	w->budget--;
	w->seen++;
	return 0;
}

/* Record the first failure in *ret (the test goes on); returns @ok. */
static bool ftst_check(bool ok, const char *what, int line, int *ret)
{
	if (!ok && !*ret) {
		pr_err("flow table self-test failed: %s (line %d)\n", what,
		       line);
		*ret = -EIO;
	}
	return ok;
}

#define FTST_CHECK(cond) ftst_check(!!(cond), #cond, __LINE__, &ret)

/*
 * Flow-first: muisp_ft_find() hands out the live flow locked, and
 * muisp_ft_count() counts in it; muisp_ft_unbind() ends one client's
 * flows (or all) with the reason given; a flow begun under a stale
 * binding generation ends at once, its packet in its record.
 */
static int ftst_flow_first(struct muisp_flowtable *ft, struct ftst_sink *s)
{
	const struct muisp_flow_payer *payer;
	struct muisp_ft_hint hint;
	struct muisp_ft_stats st0, st;
	u64 bytes[2], packets[2];
	struct muisp_flow_key k;
	__be32 client[4] = {};
	u32 gen, pos;
	int ret = 0;

	muisp_ft_stats(ft, &st0);
	FTST_CHECK(!ftst_meter(ft, 250, MUISP_DIR_UP, 100, 0, 3));
	FTST_CHECK(!ftst_meter(ft, 251, MUISP_DIR_UP, 100, 0, 3));
	ftst_key(&k, 250);
	pos = muisp_ft_pos(ft, &k);
	local_bh_disable();
	rcu_read_lock();
	gen = muisp_ft_gen(ft);
	payer = muisp_ft_find(ft, pos, &k, 0, &hint);
	FTST_CHECK(payer == &ftst_payers[3] && hint.e);
	FTST_CHECK(!muisp_ft_account(ft, pos, &k, MUISP_DIR_DOWN, 300, 0,
				     payer, gen, &hint));
	/* the flow's hint with another payer: REBIND, a new flow */
	FTST_CHECK(muisp_ft_find(ft, pos, &k, 0, &hint) == &ftst_payers[3]);
	FTST_CHECK(!muisp_ft_account(ft, pos, &k, MUISP_DIR_UP, 10, 0,
				     &ftst_payers[4], gen, &hint));
	FTST_CHECK(muisp_ft_find(ft, pos, &k, 0, &hint) == &ftst_payers[4]);
	rcu_read_unlock();
	local_bh_enable();
	/* client of flow 250 only: its flow ends, REBIND */
	client[0] = k.client_addr[0];
	FTST_CHECK(muisp_ft_unbind(ft, AF_INET, client,
				   MUISP_FLOW_END_REBIND) == 1);
	FTST_CHECK(muisp_ft_gen(ft) == gen + 1);
	FTST_CHECK(atomic64_read(&s->bytes[250][0]) == 110 &&
		   atomic64_read(&s->bytes[250][1]) == 300);
	local_bh_disable();
	rcu_read_lock();
	FTST_CHECK(!muisp_ft_find(ft, pos, &k, 0, &hint) && !hint.e);
	/* a packet judged under the old generation: a flow ended at once */
	FTST_CHECK(!muisp_ft_account(ft, pos, &k, MUISP_DIR_UP, 40, 0,
				     &ftst_payers[3], gen, NULL));
	rcu_read_unlock();
	local_bh_enable();
	FTST_CHECK(atomic64_read(&s->bytes[250][0]) == 150);
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.count == st0.count + 1 &&
		   st.rebinds == st0.rebinds + 3 &&
		   st.exported == st0.exported + 3);
	/*
	 * Flow 251 repaid to payer 5 between a packet's muisp_ft_find() (it
	 * gave payer 3) and its count: the packet counts in the flow, which
	 * stays payer 5's (no REBIND), and the caller learns it was repaid.
	 */
	ftst_key(&k, 251);
	pos = muisp_ft_pos(ft, &k);
	local_bh_disable();
	rcu_read_lock();
	gen = muisp_ft_gen(ft);
	payer = muisp_ft_find(ft, pos, &k, 0, &hint);
	FTST_CHECK(payer == &ftst_payers[3] && hint.payer == payer);
	FTST_CHECK(muisp_ft_repay(ft, pos, &k, &ftst_payers[5], gen, bytes,
				  packets) == &ftst_payers[3]);
	FTST_CHECK(bytes[0] == 100 && !bytes[1] && packets[0] == 1);
	FTST_CHECK(muisp_ft_account(ft, pos, &k, MUISP_DIR_DOWN, 60, 0,
				    payer, gen, &hint) == MUISP_FT_REPAID);
	FTST_CHECK(hint.payer == &ftst_payers[5]);
	FTST_CHECK(muisp_ft_find(ft, pos, &k, 0, &hint) == &ftst_payers[5]);
	rcu_read_unlock();
	local_bh_enable();
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.count == st0.count + 1 &&
		   st.rebinds == st0.rebinds + 3);
	/* every client: flow 251 ends, FLUSH */
	FTST_CHECK(muisp_ft_unbind(ft, 0, NULL, MUISP_FLOW_END_FLUSH) == 1);
	FTST_CHECK(atomic64_read(&s->bytes[251][0]) == 100 &&
		   atomic64_read(&s->bytes[251][1]) == 60);
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.count == 0 && st.exported == st.inserts);
	return ret;
}

/* Exact accounting, eviction counter, walk resume, single-threaded. */
static int ftst_basic(struct ftst_sink *s)
{
	struct muisp_ft_params p = { .max_flows = 64, .idle_timeout_s = 600 };
	struct muisp_ft_cursor c;
	struct ftst_walk w = { 0 };
	struct muisp_ft_stats st;
	struct muisp_flowtable *ft;
	unsigned int i, calls = 0;
	int ret = 0;

	ft = muisp_ft_create(&p, ftst_export, s);
	if (IS_ERR(ft))
		return PTR_ERR(ft);
	for (i = 0; i < 64; i++) {
		FTST_CHECK(!ftst_meter(ft, i, MUISP_DIR_UP, 100 + i, 0, 7));
		FTST_CHECK(!ftst_meter(ft, i, MUISP_DIR_DOWN, 1000, 0, 7));
		FTST_CHECK(!ftst_meter(ft, i, MUISP_DIR_DOWN, 1000, 0, 7));
	}
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.count == 64 && st.inserts == 64 && st.evictions == 0);
	/* dump one record per call: 64 calls deliver 64 flows */
	muisp_ft_cursor_init(&c);
	do {
		w.budget = 1;
		ret = muisp_ft_walk(ft, &c, ftst_walk_fn, &w);
		calls++;
	} while (ret && calls < 1000);
	ret = 0;
	FTST_CHECK(w.seen == 64 && c.done);
	/* filter by contract: none for 8 */
	muisp_ft_cursor_init(&c);
	c.filter = MUISP_FT_FILTER_CONTRACT;
	c.contract_id = 8;
	w.budget = 1000;
	w.seen = 0;
	FTST_CHECK(!muisp_ft_walk(ft, &c, ftst_walk_fn, &w) && !w.seen);
	/* contract 7: all 64 */
	muisp_ft_cursor_init(&c);
	c.filter = MUISP_FT_FILTER_CONTRACT;
	c.contract_id = 7;
	w.seen = 0;
	FTST_CHECK(!muisp_ft_walk(ft, &c, ftst_walk_fn, &w) && w.seen == 64);
	/* client 192.0.2.5: flow 5 only (64 flows, 64 clients) */
	muisp_ft_cursor_init(&c);
	c.filter = MUISP_FT_FILTER_CLIENT | MUISP_FT_FILTER_CONTRACT;
	c.contract_id = 7;
	c.family = AF_INET;
	c.client_addr[0] = cpu_to_be32(0xc0000205);
	w.seen = 0;
	FTST_CHECK(!muisp_ft_walk(ft, &c, ftst_walk_fn, &w) && w.seen == 1);
	/* 36 more flows at the cap: 36 evictions, each exported */
	for (i = 64; i < 100; i++)
		FTST_CHECK(!ftst_meter(ft, i, MUISP_DIR_UP, 50, 0, 7));
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.count == 64 && st.evictions == 36 && st.inserts == 100);
	FTST_CHECK(atomic64_read(&s->by_reason[MUISP_FLOW_END_EVICTED]) == 36);
	/* cap lowered to 32: 32 new flows shrink the table to 32 */
	p.max_flows = 32;
	FTST_CHECK(!muisp_ft_set_params(ft, &p));
	for (i = 200; i < 232; i++)
		FTST_CHECK(!ftst_meter(ft, i, MUISP_DIR_UP, 10, 0, 7));
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.count == 32 && st.evictions == 36 + 64);
	FTST_CHECK(muisp_ft_flush(ft, 7) == 32);
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.count == 0 && st.exported == 132 && st.flushed == 32);
	for (i = 0; i < 64; i++) {
		FTST_CHECK(atomic64_read(&s->bytes[i][0]) == 100 + i);
		FTST_CHECK(atomic64_read(&s->bytes[i][1]) == 2000);
		FTST_CHECK(atomic64_read(&s->packets[i][1]) == 2);
	}
	for (; i < 100; i++)
		FTST_CHECK(atomic64_read(&s->bytes[i][0]) == 50);
	for (i = 200; i < 232; i++)
		FTST_CHECK(atomic64_read(&s->bytes[i][0]) == 10);
	/* TCP flow 100: SYN, RST, then a new SYN starts a new flow */
	FTST_CHECK(!ftst_meter(ft, 100, MUISP_DIR_UP, 60, MUISP_TCP_SYN, 7));
	FTST_CHECK(!ftst_meter(ft, 100, MUISP_DIR_DOWN, 40, MUISP_TCP_RST, 7));
	FTST_CHECK(!ftst_meter(ft, 100, MUISP_DIR_UP, 60, MUISP_TCP_SYN, 7));
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.expired_closed == 1 && st.count == 1);
	FTST_CHECK(atomic64_read(&s->bytes[100][0]) == 60 &&
		   atomic64_read(&s->bytes[100][1]) == 40);
	/* the same flow under another contract: REBIND record */
	FTST_CHECK(!ftst_meter(ft, 100, MUISP_DIR_UP, 70, MUISP_TCP_ACK, 9));
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.rebinds == 1 && st.count == 1);
	FTST_CHECK(atomic64_read(&s->bytes[100][0]) == 120);
	FTST_CHECK(muisp_ft_flush(ft, 0) == 1);
	FTST_CHECK(atomic64_read(&s->bytes[100][0]) == 190);
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.exported == st.inserts && st.inserts == 135);
	FTST_CHECK(!ftst_flow_first(ft, s));
	muisp_ft_destroy(ft);
	return ret;
}

/* Idle expiry through the GC work: records arrive with exact counts. */
static int ftst_gc(struct ftst_sink *s)
{
	struct muisp_ft_params p = { .idle_timeout_s = 1, .fin_timeout_s = 1 };
	struct muisp_ft_stats st;
	struct muisp_flowtable *ft;
	unsigned int i, waited;
	int ret = 0;

	ft = muisp_ft_create(&p, ftst_export, s);
	if (IS_ERR(ft))
		return PTR_ERR(ft);
	for (i = 0; i < 10; i++)
		FTST_CHECK(!ftst_meter(ft, i, MUISP_DIR_UP, 300, 0, 3));
	/* bounded wait on the condition (GC sweeps every ~2 s) */
	for (waited = 0; waited < 200; waited++) {
		muisp_ft_stats(ft, &st);
		if (st.expired_idle == 10)
			break;
		msleep(50);
	}
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.expired_idle == 10 && st.count == 0);
	FTST_CHECK(atomic64_read(&s->by_reason[MUISP_FLOW_END_IDLE]) == 10);
	for (i = 0; i < 10; i++)
		FTST_CHECK(atomic64_read(&s->bytes[i][0]) == 300 &&
			   atomic64_read(&s->packets[i][0]) == 1);
	muisp_ft_destroy(ft);
	return ret;
}

/*
 * Several CPUs metering while flush, walk and GC run: nothing lost or
 * doubled.  Without gc_mode the cap is half the flows (constant eviction)
 * and contract 2 is flushed repeatedly; with gc_mode there is room for
 * all, the threads leave the first half of the flows idle and go on with
 * the second until the GC has expired some of the first (1 s time-out).
 */
static int ftst_concurrent(struct ftst_sink *s, bool gc_mode)
{
	struct muisp_ft_params p = {
		.max_flows = gc_mode ? FTST_FLOWS * 2 : FTST_FLOWS / 2,
		.idle_timeout_s = 1, .fin_timeout_s = 1,
	};
	unsigned long deadline = jiffies + 60 * HZ;
	bool stop = false;
	struct ftst_thread *t[FTST_THREADS] = { NULL };
	struct task_struct *task;
	struct muisp_ft_cursor c;
	struct ftst_walk w;
	struct muisp_ft_stats st;
	struct muisp_flowtable *ft;
	unsigned int i, j, d, rounds = 0;
	u64 sb, sp;
	int ret = 0;

	ft = muisp_ft_create(&p, ftst_export, s);
	if (IS_ERR(ft))
		return PTR_ERR(ft);
	for (i = 0; i < FTST_THREADS; i++) {
		t[i] = kvzalloc(sizeof(*t[i]), GFP_KERNEL);
		if (!FTST_CHECK(t[i]))
			goto out;
		t[i]->ft = ft;
		t[i]->seed = 17 + i * 7919 + gc_mode;
		t[i]->gc_mode = gc_mode;
		t[i]->stop = &stop;
		init_completion(&t[i]->done);
	}
	for (i = 0; i < FTST_THREADS; i++) {
		task = kthread_run(ftst_thread_fn, t[i], "muisp-ftst/%u", i);
		if (IS_ERR(task)) {
			/* the ones started must finish before we free */
			WRITE_ONCE(stop, true);
			while (i--)
				wait_for_completion(&t[i]->done);
			ret = PTR_ERR(task);
			goto out;
		}
	}
	while (!completion_done(&t[0]->done) ||
	       !completion_done(&t[FTST_THREADS - 1]->done)) {
		if (!gc_mode && rounds % 3 == 0)
			muisp_ft_flush(ft, 2);
		muisp_ft_stats(ft, &st);
		if (st.expired_idle >= 16 || time_after(jiffies, deadline))
			WRITE_ONCE(stop, true);
		muisp_ft_cursor_init(&c);
		w.budget = 16;
		w.seen = 0;
		while (muisp_ft_walk(ft, &c, ftst_walk_fn, &w))
			w.budget = 16;
		rounds++;
		usleep_range(500, 1000);
	}
	for (i = 0; i < FTST_THREADS; i++)
		wait_for_completion(&t[i]->done);
	muisp_ft_stats(ft, &st);
	FTST_CHECK(!gc_mode || st.expired_idle >= 16);
	FTST_CHECK(gc_mode || st.evictions > 0);
	muisp_ft_flush(ft, 0);
	muisp_ft_stats(ft, &st);
	FTST_CHECK(st.count == 0);
	/* a full table always finds a victim: nothing unmetered for room */
	FTST_CHECK(!t[0]->enospc && !t[1]->enospc);
	FTST_CHECK(st.exported == st.inserts);
	FTST_CHECK(atomic64_read(&s->records) == st.exported);
	FTST_CHECK(!atomic64_read(&s->bad));
	for (j = 0; j < FTST_FLOWS; j++)
		for (d = 0; d < 2; d++) {
			sb = 0;
			sp = 0;
			for (i = 0; i < FTST_THREADS; i++) {
				sb += t[i]->sent_bytes[j][d];
				sp += t[i]->sent_packets[j][d];
			}
			FTST_CHECK(atomic64_read(&s->bytes[j][d]) == sb);
			FTST_CHECK(atomic64_read(&s->packets[j][d]) == sp);
		}
	pr_info("flow table self-test (%s): %u threads, %llu flows, %llu evicted, %llu rebinds, %llu closed, %llu idle, %llu flushed, %llu unmetered, %u flush/walk rounds\n",
		gc_mode ? "gc" : "evict", FTST_THREADS, st.inserts,
		st.evictions, st.rebinds,
		st.expired_closed, st.expired_idle, st.flushed,
		t[0]->errors + t[1]->errors, rounds);
out:
	muisp_ft_destroy(ft);
	for (i = 0; i < FTST_THREADS; i++)
		kvfree(t[i]);
	return ret;
}

#define FTST_BIG_FLOWS	12000	/* per thread: several grows */

struct ftst_big {
	struct muisp_flowtable *ft;
	struct completion done;
	unsigned int first;
	u64 sent, errors;
};

struct ftst_big_sink {
	atomic64_t bytes, records;
};

static void ftst_big_export(void *ctx, const struct muisp_flow_record *rec)
{
	struct ftst_big_sink *s = ctx;

	atomic64_add(rec->bytes[0] + rec->bytes[1], &s->bytes);
	atomic64_inc(&s->records);
}

/*
 * Wait up to 5 s for the collector to size the array for the flows there
 * are; true if it did.
 */
static bool ftst_wait_sized(struct muisp_flowtable *ft,
			    struct muisp_ft_stats *st)
{
	unsigned int waited;

	for (waited = 0; waited < 100; waited++) {
		muisp_ft_stats(ft, st);
		if (st->count * 5 <= st->buckets)
			return true;
		msleep(50);
	}
	return false;
}

static int ftst_big_fn(void *arg)
{
	struct muisp_ft_stats st;
	struct ftst_big *b = arg;
	struct muisp_flow_key k;
	unsigned int r, i;
	__be32 c, p;
	int ret;

	for (r = 0; r < 3; r++) {
		for (i = b->first; i < b->first + FTST_BIG_FLOWS; i++) {
			c = cpu_to_be32(0x0a000000 | (i & 0xffff));
			p = cpu_to_be32(0xcb007100 | (i >> 16));
			muisp_flow_key_init(&k, AF_INET, IPPROTO_UDP, &c, &p,
					    cpu_to_be16(1024 + r % 2),
					    cpu_to_be16(53));
			local_bh_disable();
			rcu_read_lock();
			ret = muisp_ft_account(b->ft, muisp_ft_pos(b->ft, &k),
					       &k, MUISP_DIR_UP, 100, 0,
					       &ftst_payers[1],
					       muisp_ft_gen(b->ft), NULL);
			rcu_read_unlock();
			local_bh_enable();
			if (ret)
				b->errors++;
			else
				b->sent += 100;
			if (!(i & 127))
				cond_resched();
		}
		/*
		 * However the scheduler shares the CPUs, the array grows
		 * at least twice: for the first 2 x 12,000 flows before
		 * the next, and again for those.
		 */
		if (!r && !ftst_wait_sized(b->ft, &st))
			b->errors++;
	}
	complete(&b->done);
	return 0;
}

/*
 * The bucket array follows the flows: two CPUs create 2 x 12,000 flows
 * (then 12,000 more each) while walks and flushes run, so the collector
 * grows the array under load, at least twice (how often depends on how
 * the scheduler shares the CPUs); then it shrinks back once they are
 * flushed.  No flow lost, doubled or dumped twice.
 */
static int ftst_resize(void)
{
	struct muisp_ft_params p = { .idle_timeout_s = 600 };
	struct ftst_big b[FTST_THREADS] = {};
	struct ftst_big_sink s = {};
	struct task_struct *task;
	struct muisp_ft_cursor c;
	struct muisp_ft_stats st;
	struct muisp_flowtable *ft;
	struct ftst_walk w;
	unsigned int i, rounds = 0, waited;
	bool sized;
	u64 sent = 0;
	int ret = 0;

	ft = muisp_ft_create(&p, ftst_big_export, &s);
	if (IS_ERR(ft))
		return PTR_ERR(ft);
	for (i = 0; i < FTST_THREADS; i++) {
		b[i].ft = ft;
		b[i].first = i * FTST_BIG_FLOWS;
		init_completion(&b[i].done);
		task = kthread_run(ftst_big_fn, &b[i], "muisp-ftst/%u", i);
		if (IS_ERR(task)) {
			while (i--)
				wait_for_completion(&b[i].done);
			ret = PTR_ERR(task);
			goto out;
		}
	}
	while (!completion_done(&b[0].done) ||
	       !completion_done(&b[FTST_THREADS - 1].done)) {
		/* contract 2 has no flows: flush walks every stripe */
		muisp_ft_flush(ft, 2);
		muisp_ft_cursor_init(&c);
		w.budget = 64;
		w.seen = 0;
		while (muisp_ft_walk(ft, &c, ftst_walk_fn, &w))
			w.budget = 64;
		rounds++;
		usleep_range(500, 1000);
	}
	for (i = 0; i < FTST_THREADS; i++) {
		wait_for_completion(&b[i].done);
		sent += b[i].sent;
		FTST_CHECK(!b[i].errors);
	}
	/* a grow may still be under way: a dump sees each flow once anyway */
	muisp_ft_cursor_init(&c);
	w.budget = 97;
	w.seen = 0;
	while (muisp_ft_walk(ft, &c, ftst_walk_fn, &w))
		w.budget = 97;
	FTST_CHECK(w.seen == 4 * FTST_BIG_FLOWS);
	sized = ftst_wait_sized(ft, &st);
	pr_info("flow table self-test (resize): %llu flows, %llu buckets, %llu resizes, %u walk rounds\n",
		st.count, st.buckets, st.resizes, rounds);
	FTST_CHECK(st.count == 4 * FTST_BIG_FLOWS && st.evictions == 0);
	FTST_CHECK(st.resizes >= 2);
	FTST_CHECK(sized);
	FTST_CHECK(st.count * 8 >= st.buckets);
	FTST_CHECK(muisp_ft_flush(ft, 0) == 4 * FTST_BIG_FLOWS);
	/* empty: the collector shrinks the array to its minimum */
	for (waited = 0; waited < 100; waited++) {
		muisp_ft_stats(ft, &st);
		if (st.buckets == FTI_MIN_BUCKETS)
			break;
		msleep(50);
	}
	FTST_CHECK(st.buckets == FTI_MIN_BUCKETS);
	FTST_CHECK(st.exported == st.inserts &&
		   atomic64_read(&s.records) == st.exported);
	FTST_CHECK(atomic64_read(&s.bytes) == sent);
out:
	muisp_ft_destroy(ft);
	return ret;
}

/* The first_ns the last record or walk showed (ftst_clock). */
static void ftst_clock_export(void *ctx, const struct muisp_flow_record *rec)
{
	WRITE_ONCE(*(u64 *)ctx, rec->first_ns);
}

static int ftst_clock_walk(void *arg, const struct muisp_flow_record *rec)
{
	*(u64 *)arg = rec->first_ns;
	return 0;
}

/*
 * A flow's start time, in wall-clock time, is the same in every dump
 * while it lives and in its end record, however many ticks apart: the
 * table's clock converts to CLOCK_REALTIME by a fixed offset
 * (ft_mono_to_real()).  Twenty dumps, a few ticks apart.
 */
static int ftst_clock(void)
{
	struct muisp_ft_params p = { .max_flows = 16, .idle_timeout_s = 600 };
	struct muisp_flowtable *ft;
	struct muisp_ft_cursor c;
	u64 first = 0, seen, ended = 0;
	unsigned int i;
	int ret = 0;

	ft = muisp_ft_create(&p, ftst_clock_export, &ended);
	if (IS_ERR(ft))
		return PTR_ERR(ft);
	FTST_CHECK(!ftst_meter(ft, 1, MUISP_DIR_UP, 100, 0, 7));
	for (i = 0; i < 20 && !ret; i++) {
		seen = 0;
		muisp_ft_cursor_init(&c);
		FTST_CHECK(!muisp_ft_walk(ft, &c, ftst_clock_walk, &seen));
		if (!i)
			first = seen;
		FTST_CHECK(seen && seen == first);
		usleep_range(3000, 6000);
	}
	FTST_CHECK(muisp_ft_flush(ft, 0) == 1);
	FTST_CHECK(READ_ONCE(ended) == first);
	muisp_ft_destroy(ft);
	return ret;
}

bool muisp_ft_selftest(void)
{
	struct ftst_sink *s;
	int ret;

	s = kvzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return false;
	ret = ftst_basic(s);
	if (!ret) {
		memset(s, 0, sizeof(*s));
		ret = ftst_gc(s);
	}
	if (!ret) {
		memset(s, 0, sizeof(*s));
		ret = ftst_concurrent(s, false);
	}
	if (!ret) {
		memset(s, 0, sizeof(*s));
		ret = ftst_concurrent(s, true);
	}
	if (!ret)
		ret = ftst_resize();
	if (!ret)
		ret = ftst_clock();
	kvfree(s);
	if (ret) {
		pr_err("flow table self-tests: FAIL (%d)\n", ret);
		return false;
	}
	pr_info("flow table self-tests: pass\n");
	return true;
}
