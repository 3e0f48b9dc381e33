// SPDX-License-Identifier: GPL-2.0
/*
 * ikewatch-print: a test program for VM scenarios.  Connects an ike_watch
 * to charon's VICI socket and prints one line per callback:
 *
 *   ready
 *   up ADDR reqid R proto AH|ESP ...      (ike_child_format)
 *   down ADDR reqid R ...
 *   rekey ADDR reqid R spi_in OLD -> NEW
 *   ike-up|ike-down NAME ID REMOTE
 *   event NAME, malformed N   (every event; IKEWATCH_DUMP=1 dumps it)
 *
 * usage: ikewatch-print URI [MAX_SECONDS]
 * Exits 0 after MAX_SECONDS (default 600) or when charon goes away.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ike_watch.h"

static void pr(const char *what, const struct ike_child *c)
{
	char buf[768];

	ike_child_format(c, buf, sizeof(buf));
	printf("%s %s\n", what, buf);
	fflush(stdout);
}

static void on_up(void *arg, const struct ike_child *c)
{
	pr("up", c);
}

static void on_down(void *arg, const struct ike_child *c)
{
	pr("down", c);
}

static void on_rekey(void *arg, const struct ike_child *o,
		     const struct ike_child *n)
{
	printf("rekey addr %s reqid %u -> %u spi_in 0x%08x -> 0x%08x proto %s\n",
	       n->addr_str, o->reqid, n->reqid, o->spi_in, n->spi_in,
	       n->proto == IPPROTO_AH ? "AH" : "ESP");
	fflush(stdout);
}

static void on_ike(void *arg, const char *name, uint32_t id, int up,
		   const char *remote)
{
	printf("ike-%s %s %u %s\n", up ? "up" : "down", name, id,
	       remote ? remote : "-");
	fflush(stdout);
}

static void on_event(void *arg, const char *name, const struct vici_msg *msg)
{
	printf("event %s%s\n", name, msg ? "" : " (malformed)");
	if (msg && getenv("IKEWATCH_DUMP"))
		vici_msg_dump(&msg->root, stdout, 1);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct ike_watch_ops ops = {
		.child_up = on_up,
		.child_down = on_down,
		.child_rekey = on_rekey,
		.ike_updown = on_ike,
		.event = on_event,
	};
	unsigned long bad = 0;
	const struct ike_watch_stats *st;
	struct ike_watch *w;
	time_t end;
	int n;

	if (argc < 2) {
		fprintf(stderr, "usage: ikewatch-print URI [SECONDS]\n");
		return 2;
	}
	end = time(NULL) + (argc > 2 ? atoi(argv[2]) : 600);
	w = ike_watch_open(argv[1], &ops, NULL);
	if (!w) {
		perror("ike_watch_open");
		return 1;
	}
	n = ike_watch_sync(w);
	if (n < 0) {
		perror("ike_watch_sync");
		return 1;
	}
	printf("ready synced %d\n", n);
	fflush(stdout);
	while (time(NULL) < end) {
		struct pollfd pfd = { .fd = ike_watch_fd(w), .events = POLLIN };

		if (poll(&pfd, 1, 1000) > 0 && ike_watch_dispatch(w) < 0)
			break;
		st = ike_watch_stats(w);
		if (st->malformed != bad) {
			bad = st->malformed;
			printf("malformed %lu\n", bad);
			fflush(stdout);
		}
	}
	st = ike_watch_stats(w);
	printf("stats events %lu up %lu down %lu rekey %lu malformed %lu\n",
	       st->events, st->child_up, st->child_down, st->child_rekey,
	       st->malformed);
	ike_watch_close(w);
	return 0;
}
