// SPDX-License-Identifier: GPL-2.0
/*
 * radius-bench: accounting records per second through muispd's real spool
 * and sender (issue 12 benchmark, part a; tests/bench/radius-bench.sh).
 *
 *   radius-bench CONF RECORDS_FILE N RATE:SECONDS...
 *
 * Starts muispd's core from CONF (server_init: the store with the spool on
 * disk, the accounting client to CONF's radius-acct-server) and runs its
 * sd-event loop.  A 10 ms timer offers Interim-Update records through
 * acct_spool_put(), each tick's in one store transaction (as acct.c writes
 * them: in the transaction of their event), then acct_spool_kick(): RATE
 * records per second for SECONDS, for each RATE:SECONDS in turn.  Records
 * go round 1,000 sessions (the sender keeps one in flight per session and
 * up to radius-window per server).  After each rate the spool drains (not
 * counted; at most 60 s) so that the next starts empty.  The first
 * RATE:SECONDS is a warm-up (printed, not as a figure).  Prints
 *
 *   radius acked/offered@RATE = RATIO (acked A of O in S s; spool
 *     start X end Y)
 *   radius muispd_saturated_rate = R records/s (N records put at once,
 *     time until all acked)
 *
 * each (but the warm-up) followed by its figure (tests/lib/bench.h):
 * radius.acked/offered.RATE, radius.muispd_saturated_rate.
 *
 * and writes the N records of the saturation run to RECORDS_FILE in
 * radclient's text form (one attribute a line, a blank line between
 * records), so that `radclient -p 64 -f RECORDS_FILE` sends the same
 * records to the same server in the same run (the script compares).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/muispd/acct.h"
#include "daemon/muispd/muispd.h"
#include "daemon/muispd/store.h"
#include "lib/evloop.h"
#include "lib/log.h"
#include "lib/radius.h"
#include "tests/lib/bench.h"

#define NSESS	  1000
#define TICK_US	  10000
#define DRAIN_MAX 60.0
#define MAXPH	  16

struct phase {
	uint64_t rate;
	double secs;
};

static struct bench {
	struct muispd *md;
	struct phase ph[MAXPH];
	unsigned nph, cur;
	uint64_t nsat; /* records of the saturation run */
	FILE *rec;     /* radclient text of those, while put */
	FILE *recf;
	int state;	  /* 0 offering, 1 draining, 2 saturating */
	double t0;	  /* state's start (monotonic s) */
	uint64_t put;	  /* records put in all */
	uint64_t ph_put;  /* in this phase */
	uint64_t ph_ack0; /* acked when the phase began */
	uint64_t pend0;	  /* spool when the phase began */
	uint64_t seq;	  /* record counter (sessions, counters) */
	int failed;
} B;

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t acked(void)
{
	uint64_t p = acct_spool_pending(B.md);

	return B.put > p ? B.put - p : 0;
}

/* Record k: an Interim-Update of session k % NSESS with counters that grow
 * with k, the attributes acct.c puts in one (frozen: no Delay-Time, no
 * Message-Authenticator). */
static int record(uint64_t k, struct rad_buf *p, char *sid, size_t sidlen)
{
	unsigned s = (unsigned)(k % NSESS);
	uint64_t in = 1000 * k + 4096, out = 7000 * k + 65536;
	uint32_t ts = (uint32_t)time(NULL);
	char user[32], msid[32], mac[24];
	uint8_t ip[4] = { 100, 64, (uint8_t)(s >> 8), (uint8_t)s };

	snprintf(msid, sizeof(msid), "0bench00-%x", s + 1);
	snprintf(sid, sidlen, "%s-1", msid);
	snprintf(user, sizeof(user), "voucher-%u", s + 1);
	snprintf(mac, sizeof(mac), "02-00-00-00-%02X-%02X", s >> 8, s & 0xff);
	rad_init(p, RAD_ACCT_REQUEST, 0);
	if (rad_put_u32(p, RAD_ACCT_STATUS_TYPE, RAD_STATUS_INTERIM) ||
	    rad_put_str(p, RAD_ACCT_SESSION_ID, sid) ||
	    rad_put_str(p, RAD_ACCT_MULTI_SESSION_ID, msid) ||
	    rad_put_str(p, RAD_USER_NAME, user) ||
	    rad_put_str(p, RAD_NAS_IDENTIFIER, "bench-nas") ||
	    rad_put_u32(p, RAD_NAS_PORT_TYPE, 5) ||
	    rad_put(p, RAD_FRAMED_IP_ADDRESS, ip, 4) ||
	    rad_put_str(p, RAD_CALLING_STATION_ID, mac) ||
	    rad_put_u32(p, RAD_ACCT_INPUT_OCTETS, (uint32_t)in) ||
	    rad_put_u32(p, RAD_ACCT_INPUT_GIGAWORDS, (uint32_t)(in >> 32)) ||
	    rad_put_u32(p, RAD_ACCT_OUTPUT_OCTETS, (uint32_t)out) ||
	    rad_put_u32(p, RAD_ACCT_OUTPUT_GIGAWORDS, (uint32_t)(out >> 32)) ||
	    rad_put_u32(p, RAD_ACCT_INPUT_PACKETS, (uint32_t)(k + 10)) ||
	    rad_put_u32(p, RAD_ACCT_OUTPUT_PACKETS, (uint32_t)(k + 20)) ||
	    rad_put_u32(p, RAD_ACCT_SESSION_TIME, (uint32_t)(k / NSESS)) ||
	    rad_put_u32(p, RAD_EVENT_TIMESTAMP, ts))
		return -1;
	if (B.rec)
		fprintf(B.rec,
			"Acct-Status-Type = Interim-Update\n"
			"Acct-Session-Id = \"%s\"\n"
			"Acct-Multi-Session-Id = \"%s\"\n"
			"User-Name = \"%s\"\n"
			"NAS-Identifier = \"bench-nas\"\n"
			"NAS-Port-Type = Virtual\n"
			"Framed-IP-Address = %u.%u.%u.%u\n"
			"Calling-Station-Id = \"%s\"\n"
			"Acct-Input-Octets = %" PRIu32 "\n"
			"Acct-Input-Gigawords = %" PRIu32 "\n"
			"Acct-Output-Octets = %" PRIu32 "\n"
			"Acct-Output-Gigawords = %" PRIu32 "\n"
			"Acct-Input-Packets = %" PRIu32 "\n"
			"Acct-Output-Packets = %" PRIu32 "\n"
			"Acct-Session-Time = %" PRIu32 "\n"
			"Event-Timestamp = %" PRIu32 "\n"
			"Acct-Delay-Time = 0\n\n",
			sid, msid, user, ip[0], ip[1], ip[2], ip[3], mac,
			(uint32_t)in, (uint32_t)(in >> 32), (uint32_t)out,
			(uint32_t)(out >> 32), (uint32_t)(k + 10),
			(uint32_t)(k + 20), (uint32_t)(k / NSESS), ts);
	return 0;
}

/* Put n records in one transaction. */
static int offer(uint64_t n)
{
	struct rad_buf p;
	char sid[48];
	uint64_t i;

	if (!n)
		return 0;
	if (store_begin(B.md->st))
		return -1;
	for (i = 0; i < n; i++) {
		if (record(B.seq, &p, sid, sizeof(sid)) ||
		    acct_spool_put(B.md->st, sid, RAD_STATUS_INTERIM,
				   (uint64_t)time(NULL), p.b + RAD_HDR_LEN,
				   p.len - RAD_HDR_LEN)) {
			store_rollback(B.md->st);
			return -1;
		}
		B.seq++;
	}
	if (store_commit(B.md->st))
		return -1;
	B.put += n;
	B.ph_put += n;
	acct_spool_kick(B.md);
	return 0;
}

static void phase_begin(double now)
{
	B.state = 0;
	B.t0 = now;
	B.ph_put = 0;
	B.ph_ack0 = acked();
	B.pend0 = acct_spool_pending(B.md);
}

static void stop(int failed)
{
	B.failed = failed;
	sd_event_exit(B.md->ev, 0);
}

static int tick(sd_event_source *s, uint64_t usec, void *arg)
{
	double now = mono(), el = now - B.t0;
	struct phase *ph = &B.ph[B.cur];
	uint64_t want, a, pend;

	switch (B.state) {
	case 0: /* offering at ph->rate */
		if (el >= ph->secs) {
			a = acked() - B.ph_ack0;
			pend = acct_spool_pending(B.md);
			/* the first rate warms up (Accounting-On, caches) */
			printf("%sradius acked/offered@%" PRIu64
			       " = %.3f (acked %" PRIu64 " of %" PRIu64
			       " offered in %.0f s; spool start %" PRIu64
			       " end %" PRIu64 ")\n",
			       B.cur ? "" : "warm-up: ", ph->rate,
			       B.ph_put ? (double)a / B.ph_put : 0, a, B.ph_put,
			       ph->secs, B.pend0, pend);
			if (B.cur) {
				char name[64];

				snprintf(name, sizeof(name),
					 "radius.acked/offered.%" PRIu64,
					 ph->rate);
				bench_result(name,
					     B.ph_put ? (double)a / B.ph_put :
							0,
					     "ratio", NULL, 1, -1);
			}
			fflush(stdout);
			B.state = 1;
			B.t0 = now;
			break;
		}
		want = (uint64_t)(ph->rate * el);
		if (want > B.ph_put && offer(want - B.ph_put)) {
			fprintf(stderr, "radius-bench: spool put failed\n");
			stop(1);
		}
		break;
	case 1: /* draining */
		if (acct_spool_pending(B.md) && el < DRAIN_MAX)
			break;
		if (acct_spool_pending(B.md))
			printf("radius-bench: %" PRIu64
			       " records still spooled after %.0f s\n",
			       acct_spool_pending(B.md), DRAIN_MAX);
		if (++B.cur < B.nph) {
			phase_begin(now);
			break;
		}
		/* saturation: N records at once (in chunks of 1,000 per
		 * transaction), time until the last is acked */
		B.state = 2;
		B.rec = B.recf;
		B.t0 = now;
		B.ph_put = 0;
		B.ph_ack0 = acked();
		while (B.ph_put < B.nsat)
			if (offer(B.nsat - B.ph_put > 1000 ?
					  1000 :
					  B.nsat - B.ph_put)) {
				stop(1);
				return 0;
			}
		fclose(B.recf);
		B.rec = B.recf = NULL;
		break;
	case 2:
		if (acct_spool_pending(B.md) && el < DRAIN_MAX)
			break;
		a = acked() - B.ph_ack0;
		printf("radius muispd_saturated_rate = %.0f records/s "
		       "(%" PRIu64 " of %" PRIu64
		       " records put at once acked in %.3f s; spool on disk, "
		       "synchronous=FULL)\n",
		       a / el, a, B.nsat, el);
		bench_result("radius.muispd_saturated_rate", a / el,
			     "records/s", NULL, 1, -1);
		stop(a != B.nsat);
		break;
	}
	(void)s;
	(void)usec;
	(void)arg;
	return 0;
}

int main(int argc, char **argv)
{
	struct muispd_conf conf;
	int i, rc;

	if (argc < 5) {
		fprintf(stderr, "usage: radius-bench CONF RECORDS_FILE N "
				"RATE:SECONDS...\n");
		return 2;
	}
	for (i = 4; i < argc && B.nph < MAXPH; i++) {
		if (sscanf(argv[i], "%" SCNu64 ":%lf", &B.ph[B.nph].rate,
			   &B.ph[B.nph].secs) != 2 ||
		    !B.ph[B.nph].rate || B.ph[B.nph].secs <= 0) {
			fprintf(stderr, "radius-bench: bad RATE:SECONDS %s\n",
				argv[i]);
			return 2;
		}
		B.nph++;
	}
	B.nsat = strtoull(argv[3], NULL, 10);
	B.recf = fopen(argv[2], "w");
	if (!B.recf || !B.nsat) {
		fprintf(stderr, "radius-bench: %s: %s\n", argv[2],
			strerror(errno));
		return 2;
	}
	log_init(1, 0);
	conf_defaults(&conf);
	if (conf_load(argv[1], &conf))
		return 2;
	if (!radius_acct_on(&conf.radius)) {
		fprintf(stderr, "radius-bench: no radius-acct-server\n");
		return 2;
	}
	B.md = calloc(1, sizeof(*B.md));
	if (!B.md || server_init(B.md, &conf, argv[1]))
		return 1;
	if (evloop_timer(B.md->ev, NULL, TICK_US, TICK_US, tick, NULL) < 0)
		return 1;
	phase_begin(mono());
	rc = server_run(B.md);
	free(B.md);
	return rc || B.failed ? 1 : 0;
}
