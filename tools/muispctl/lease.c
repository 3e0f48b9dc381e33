// SPDX-License-Identifier: GPL-2.0
/*
 * muispctl lease [--db PATH] list|show|release|stats: muisp-dhcpd's lease
 * database (daemon/dhcpd/leasedb.h).  No kernel involved: these verbs never
 * call ctl_nl(), so they work without muisp.ko.  Reads open the database
 * read-only; a release goes through leasedb_request_release(), which queues
 * it for the running daemon (and signals it) or, with no daemon, releases
 * the row itself.  With a daemon, muispctl waits until the row shows the
 * release, so exit 0 means the address is free (the daemon tells the
 * kernel right after that commit).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "muispctl.h"
#include "leasedb.h"

#define RELEASE_WAIT_MS 5000
#define RELEASE_POLL_MS 20

enum {
	C_ADDR,
	C_STATE,
	C_MAC,
	C_CLIENT_ID,
	C_IAID,
	C_HOSTNAME,
	C_IFACE,
	C_STARTS,
	C_EXPIRES,
	C_REMAINING,
};
static const struct out_col cols[] = {
	[C_ADDR] = { "addr", "ADDRESS" },
	[C_STATE] = { "state", "STATE" },
	[C_MAC] = { "mac", "MAC" },
	[C_CLIENT_ID] = { "client_id", "CLIENT_ID" },
	[C_IAID] = { "iaid", "IAID" },
	[C_HOSTNAME] = { "hostname", "HOSTNAME" },
	[C_IFACE] = { "iface", "IFACE" },
	[C_STARTS] = { "starts_s", "STARTS" },
	[C_EXPIRES] = { "expires_s", "EXPIRES" },
	[C_REMAINING] = { "remaining_s", "REMAINING" },
};

static const char *db_path; /* --db, else LEASEDB_DEFAULT_PATH */

static const char *addr_str(uint32_t host, char *buf)
{
	struct in_addr a = { .s_addr = htonl(host) };

	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static int parse_addr(const char *s, uint32_t *host)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*host = ntohl(a.s_addr);
	return 0;
}

static int bad_addr(const char *s)
{
	return cli_badarg("address", s, "not an IPv4 address");
}

static struct leasedb *open_db(int flags)
{
	struct leasedb *db = leasedb_open(db_path, flags);

	if (!db)
		cli_warn(
			"lease database %s: %s%s", db_path, strerror(errno),
			errno == ENOENT ?
				" (is muisp-dhcpd's lease-db elsewhere? --db PATH)" :
				"");
	return db;
}

/*
 * The client key is 'I' + client identifier (option 61) or 'H' + htype +
 * chaddr when the client sent none: only the former is a client id.
 */
static int client_id_hex(const struct lease_rec *r, char *buf, size_t len)
{
	size_t i, o = 0;

	if (r->keylen < 2 || r->key[0] != 'I')
		return -1;
	for (i = 1; i < r->keylen && o + 4 <= len; i++)
		o += (size_t)snprintf(buf + o, len - o,
				      i > 1 ? ":%02x" : "%02x", r->key[i]);
	return 0;
}

/*
 * An RFC 4361 client identifier (type 255, IAID, DUID) names which of a
 * host's interfaces, or of its users, holds the lease: muisp-uinfod puts
 * a local user's uid there.  0 with *iaid, or -1 for another kind.
 */
static int client_iaid(const struct lease_rec *r, uint32_t *iaid)
{
	if (r->keylen < 1 + 1 + 4 + 2 || r->key[0] != 'I' || r->key[1] != 255)
		return -1;
	*iaid = (uint32_t)r->key[2] << 24 | (uint32_t)r->key[3] << 16 |
		(uint32_t)r->key[4] << 8 | r->key[5];
	return 0;
}

static int row(const struct lease_rec *r, void *arg)
{
	struct out_table *t = arg;
	char ip[INET_ADDRSTRLEN], hw[49], cid[3 * 256], tbuf[32];
	int64_t now = (int64_t)time(NULL), left;
	uint32_t iaid;

	if (out_row(t) < 0)
		return -1;
	out_str(t, C_ADDR, addr_str(r->addr, ip));
	out_str(t, C_STATE, lease_state_str(r->state));
	if (r->hwlen) {
		leasedb_fmt_hw(r->hw, r->hwlen, hw);
		out_str(t, C_MAC, hw);
	}
	if (client_id_hex(r, cid, sizeof(cid)) == 0)
		out_str(t, C_CLIENT_ID, cid);
	if (client_iaid(r, &iaid) == 0)
		out_u64(t, C_IAID, iaid);
	if (r->hostname[0])
		out_str(t, C_HOSTNAME, r->hostname);
	if (r->iface[0])
		out_str(t, C_IFACE, r->iface);
	/* A free address has no lease: its times are history. */
	if (r->state == LEASE_FREE || r->ends <= 0)
		return 0;
	if (r->starts > 0)
		out_u64_as(t, C_STARTS, (uint64_t)r->starts,
			   fmt_time_s((uint64_t)r->starts, tbuf, sizeof(tbuf)));
	out_u64_as(t, C_EXPIRES, (uint64_t)r->ends,
		   fmt_time_s((uint64_t)r->ends, tbuf, sizeof(tbuf)));
	left = r->ends - now;
	if (left > 0)
		out_u64(t, C_REMAINING, (uint64_t)left);
	else
		out_u64_as(t, C_REMAINING, 0, "expired");
	return 0;
}

struct list_arg {
	struct out_table *t;
	int state; /* -1: every row */
};

static int list_row(const struct lease_rec *r, void *arg)
{
	struct list_arg *la = arg;

	if (la->state >= 0 && r->state != la->state)
		return 0;
	return row(r, la->t);
}

static int state_arg(const char *s)
{
	static const int states[] = { LEASE_LEASED, LEASE_FREE,
				      LEASE_QUARANTINE };
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(s, lease_state_str(states[i])))
			return states[i];
	return -1;
}

static int lease_list(struct ctl *c, int argc, char **argv)
{
	struct list_arg la = { .state = -1 };
	struct leasedb *db;
	int rc = EXIT_OK, r;

	if (argc == 3 && !strcmp(argv[1], "state")) {
		la.state = state_arg(argv[2]);
		if (la.state < 0) {
			return cli_badarg("state", argv[2],
					  "expected leased|free|quarantine");
		}
	} else if (argc != 1) {
		return cli_usage("lease list takes at most 'state STATE'");
	}
	db = open_db(LEASEDB_RDONLY);
	if (!db)
		return EXIT_FAIL;
	la.t = out_new(cols, sizeof(cols) / sizeof(cols[0]));
	if (!la.t) {
		leasedb_close(db);
		return EXIT_FAIL;
	}
	r = leasedb_foreach(db, list_row, &la);
	if (r < 0) {
		cli_warn("lease list: %s", leasedb_errmsg(db));
		rc = EXIT_FAIL;
	} else if (r > 0) {
		rc = EXIT_FAIL; /* out of memory in row() */
	} else {
		out_print(la.t, c->out, c->fmt, OUT_LIST);
	}
	out_free(la.t);
	leasedb_close(db);
	return rc;
}

/* The row of addr; EXIT_OK, or the exit code after the message. */
static int get_row(struct leasedb *db, const char *verb, const char *s,
		   uint32_t addr, struct lease_rec *r)
{
	if (leasedb_get(db, addr, r) == 0)
		return EXIT_OK;
	if (errno == ENOENT)
		cli_warn("lease %s: no lease for %s in %s", verb, s, db_path);
	else
		cli_warn("lease %s: %s", verb, leasedb_errmsg(db));
	return EXIT_FAIL;
}

static int lease_show(struct ctl *c, int argc, char **argv)
{
	struct lease_rec r;
	struct out_table *t;
	struct leasedb *db;
	uint32_t addr;
	int rc;

	if (argc != 2)
		return cli_usage("lease show needs one ADDRESS");
	if (parse_addr(argv[1], &addr) < 0)
		return bad_addr(argv[1]);
	db = open_db(LEASEDB_RDONLY);
	if (!db)
		return EXIT_FAIL;
	rc = get_row(db, "show", argv[1], addr, &r);
	leasedb_close(db);
	if (rc != EXIT_OK)
		return rc;
	t = out_new(cols, sizeof(cols) / sizeof(cols[0]));
	if (!t || row(&r, t) < 0)
		rc = EXIT_FAIL;
	else
		out_print(t, c->out, c->fmt, OUT_RECORD);
	out_free(t);
	return rc;
}

/* Has the lease in old ended?  (A new lease of the address by someone
 * else, after the release, has another start or client.) */
static int released(const struct lease_rec *old, const struct lease_rec *r)
{
	return r->state != LEASE_LEASED || r->starts != old->starts ||
	       r->keylen != old->keylen ||
	       memcmp(r->key, old->key, old->keylen);
}

static int lease_release(struct ctl *c, int argc, char **argv)
{
	struct lease_rec old, r;
	struct leasedb *db;
	uint32_t addr;
	int rc, q, waited;

	(void)c;
	if (argc != 2)
		return cli_usage("lease release needs one ADDRESS");
	if (parse_addr(argv[1], &addr) < 0)
		return bad_addr(argv[1]);
	db = open_db(0);
	if (!db)
		return EXIT_FAIL;
	rc = get_row(db, "release", argv[1], addr, &old);
	if (rc != EXIT_OK)
		goto out;
	if (old.state != LEASE_LEASED) {
		cli_warn("lease release: %s is not leased "
			 "(%s)",
			 argv[1], lease_state_str(old.state));
		rc = EXIT_FAIL;
		goto out;
	}
	q = leasedb_request_release(db, addr);
	if (q < 0) {
		if (errno == ENOENT) /* it ended meanwhile */
			cli_warn("lease release: %s is not leased", argv[1]);
		else if (errno == EPERM)
			cli_warn("lease release: cannot "
				 "signal muisp-dhcpd: %s",
				 strerror(errno));
		else
			cli_warn("lease release: %s",
				 *leasedb_errmsg(db) ? leasedb_errmsg(db) :
						       strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	if (q == 0)
		goto out; /* no daemon: released in the database */
	/* Queued and signalled: wait for the daemon to apply it. */
	for (waited = 0; waited < RELEASE_WAIT_MS; waited += RELEASE_POLL_MS) {
		if (leasedb_get(db, addr, &r) == 0 && released(&old, &r))
			goto out;
		usleep(RELEASE_POLL_MS * 1000);
	}
	cli_warn("lease release: muisp-dhcpd did not "
		 "release %s within %d s (see its log)",
		 argv[1], RELEASE_WAIT_MS / 1000);
	rc = EXIT_FAIL;
out:
	leasedb_close(db);
	return rc;
}

/* ---- stats: the daemon's counters plus addresses by state ---- */

#define MAX_STATS 64

struct stats_arg {
	char *names[MAX_STATS];
	uint64_t vals[MAX_STATS];
	unsigned int n;
};

static int stat_cb(const char *name, uint64_t v, void *arg)
{
	struct stats_arg *sa = arg;

	if (!name || sa->n == MAX_STATS)
		return 0;
	sa->names[sa->n] = strdup(name);
	if (!sa->names[sa->n])
		return 1;
	sa->vals[sa->n++] = v;
	return 0;
}

static int count_cb(const struct lease_rec *r, void *arg)
{
	uint64_t *n = arg;

	if (r->state >= LEASE_FREE && r->state <= LEASE_QUARANTINE)
		n[r->state]++;
	return 0;
}

static int lease_stats(struct ctl *c, int argc, char **argv)
{
	static const struct {
		int state;
		const char *key;
	} by_state[3] = {
		{ LEASE_LEASED, "addrs_leased" },
		{ LEASE_QUARANTINE, "addrs_quarantine" },
		{ LEASE_FREE, "addrs_free" },
	};
	struct out_col scols[3 + MAX_STATS];
	struct stats_arg sa = { .n = 0 };
	uint64_t counts[3] = { 0, 0, 0 };
	struct out_table *t = NULL;
	struct leasedb *db;
	unsigned int i;
	char tbuf[32];
	int rc = EXIT_OK;

	(void)argv;
	if (argc > 1)
		return cli_usage("lease stats takes no arguments");
	db = open_db(LEASEDB_RDONLY);
	if (!db)
		return EXIT_FAIL;
	if (leasedb_foreach(db, count_cb, counts) != 0 ||
	    leasedb_foreach_stat(db, stat_cb, &sa) != 0) {
		cli_warn("lease stats: %s", *leasedb_errmsg(db) ?
						    leasedb_errmsg(db) :
						    strerror(errno));
		rc = EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < 3; i++) {
		scols[i].key = by_state[i].key;
		scols[i].title = by_state[i].key;
	}
	for (i = 0; i < sa.n; i++) {
		scols[3 + i].key = sa.names[i];
		scols[3 + i].title = sa.names[i];
	}
	t = out_new(scols, 3 + sa.n);
	if (!t || out_row(t) < 0) {
		rc = EXIT_FAIL;
		goto out;
	}
	for (i = 0; i < 3; i++)
		out_u64(t, i, counts[by_state[i].state]);
	for (i = 0; i < sa.n; i++) {
		if (!strcmp(sa.names[i], "updated"))
			out_u64_as(t, 3 + i, sa.vals[i],
				   fmt_time_s(sa.vals[i], tbuf, sizeof(tbuf)));
		else
			out_u64(t, 3 + i, sa.vals[i]);
	}
	out_print(t, c->out, c->fmt, OUT_RECORD);
out:
	out_free(t);
	for (i = 0; i < sa.n; i++)
		free(sa.names[i]);
	leasedb_close(db);
	return rc;
}

static const struct ctl_verb verbs[] = {
	{ "list", lease_list, "[state leased|free|quarantine]" },
	{ "show", lease_show, "ADDRESS" },
	{ "release", lease_release, "ADDRESS" },
	{ "stats", lease_stats, "" },
	{ NULL, NULL, NULL },
};

/* argv: "lease" [--db PATH | --db=PATH] [VERB ARGS...] */
int cmd_lease(struct ctl *c, int argc, char **argv)
{
	db_path = LEASEDB_DEFAULT_PATH;
	if (argc > 1 && !strncmp(argv[1], "--db=", 5)) {
		db_path = argv[1] + 5;
		argv[1] = argv[0];
		argc--;
		argv++;
	} else if (argc > 1 && !strcmp(argv[1], "--db")) {
		if (argc < 3)
			return cli_usage("'--db' needs a value");
		db_path = argv[2];
		argv[2] = argv[0];
		argc -= 2;
		argv += 2;
	}
	if (!*db_path)
		return cli_badarg("--db", db_path, "empty path");
	if (argc > 1 && ctl_is_help(argv[1])) {
		ctl_usage_of("lease [--db PATH]", verbs, stdout);
		printf("PATH: muisp-dhcpd's lease-db (default %s)\n",
		       LEASEDB_DEFAULT_PATH);
		return EXIT_OK;
	}
	return ctl_dispatch(c, verbs, argc, argv);
}
