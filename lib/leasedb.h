/* SPDX-License-Identifier: GPL-2.0 */
/*
 * leasedb: the SQLite lease store of muisp-dhcpd, also linked by muispctl
 * (`muispctl lease list|show|release`, `muispctl lease stats`).
 *
 * Database (default /var/lib/muisp/dhcpd.db), WAL mode, synchronous=FULL:
 * a committed transaction is on stable storage when leasedb_commit()
 * returns, which muisp-dhcpd does before it sends the ACK.
 *
 *   lease(addr INTEGER PRIMARY KEY   -- IPv4, host byte order
 *         state TEXT                 -- 'leased' | 'free' | 'quarantine'
 *         hwaddr BLOB, client_key BLOB, hostname TEXT, iface TEXT,
 *         starts INTEGER, ends INTEGER  -- Unix seconds
 *         seq INTEGER)               -- release order of free addresses
 *   stats(name TEXT PRIMARY KEY, value INTEGER)   -- daemon counters
 *   meta(key TEXT PRIMARY KEY, value INTEGER)     -- 'pid', 'schema'
 *   pools(idx INTEGER PRIMARY KEY,  -- config order, from 1
 *         iface TEXT, size, leased, offered, quarantined, free INTEGER)
 *                                   -- gauges, written with the stats
 *   request(id INTEGER PRIMARY KEY, addr INTEGER, action TEXT)
 *
 * muisp-dhcpd is the only writer of `lease`.  An operator release goes
 * through `request`: leasedb_request_release() queues it and signals the
 * daemon (SIGUSR1 to meta.pid), which applies it (kernel hand-off
 * included).  When no daemon is running the row is released directly.
 *
 * Every function returns 0 or -1 with errno set; leasedb_errmsg() has
 * SQLite's message for the last failure.
 */
#ifndef MUISP_LEASEDB_H
#define MUISP_LEASEDB_H

#include <stdint.h>

#define LEASEDB_DEFAULT_PATH "/var/lib/muisp/dhcpd.db"

struct leasedb;

enum lease_rec_state {
	LEASE_FREE = 0,
	LEASE_LEASED = 1,
	LEASE_QUARANTINE = 2,
};
const char *lease_state_str(int state);

struct lease_rec {
	uint32_t addr; /* host order */
	int state;     /* enum lease_rec_state */
	uint8_t hwlen;
	uint8_t hw[16];
	uint16_t keylen;
	uint8_t key[256];
	char hostname[64];
	char iface[16];
	int64_t starts, ends;
	uint64_t seq;
};

#define LEASEDB_RDONLY 0x1
#define LEASEDB_CREATE 0x2

struct leasedb *leasedb_open(const char *path, int flags);
void leasedb_close(struct leasedb *db);
const char *leasedb_errmsg(const struct leasedb *db);

/* Transactions: many puts, one fsync. */
int leasedb_begin(struct leasedb *db);
int leasedb_commit(struct leasedb *db);
int leasedb_rollback(struct leasedb *db);

int leasedb_put(struct leasedb *db, const struct lease_rec *r);
/* -1 ENOENT if the address has no row. */
int leasedb_get(struct leasedb *db, uint32_t addr, struct lease_rec *r);
/* Rows in address order; cb returns non-zero to stop (returned). */
typedef int (*leasedb_cb)(const struct lease_rec *r, void *arg);
int leasedb_foreach(struct leasedb *db, leasedb_cb cb, void *arg);
uint64_t leasedb_max_seq(struct leasedb *db);

int leasedb_set_meta(struct leasedb *db, const char *key, int64_t v);
int leasedb_get_meta(struct leasedb *db, const char *key, int64_t *v);

int leasedb_put_stat(struct leasedb *db, const char *name, uint64_t v);
typedef int (*leasedb_stat_cb)(const char *name, uint64_t v, void *arg);
int leasedb_foreach_stat(struct leasedb *db, leasedb_stat_cb cb, void *arg);

/*
 * Per-interface pool gauges, written by muisp-dhcpd with its stats (same
 * transaction, at most once a second) and read by muisp-agentx and
 * muispctl.  size counts the addresses the pool hands out to any client:
 * the configured ranges less exclusions and static reservations;
 * size = leased + offered + quarantined + free (reserved addresses are in
 * no column).  idx is the interface's place in muisp-dhcpd.conf, from 1.
 */
struct leasedb_pool {
	uint32_t idx;
	char iface[16];
	uint32_t size, leased, offered, quarantined, free;
};
/* Replace every row with v[0..n-1]. */
int leasedb_put_pools(struct leasedb *db, const struct leasedb_pool *v,
		      unsigned int n);
/* Rows by idx; none from a database older than the table (schema 1). */
typedef int (*leasedb_pool_cb)(const struct leasedb_pool *p, void *arg);
int leasedb_foreach_pool(struct leasedb *db, leasedb_pool_cb cb, void *arg);

/*
 * Operator release of a leased address.  1 = queued for the running
 * daemon (signalled), 0 = applied directly (no daemon), -1 ENOENT if the
 * address is not leased.
 */
int leasedb_request_release(struct leasedb *db, uint32_t addr);
/* Daemon side: run cb(addr) for each queued release and delete them. */
typedef void (*leasedb_req_cb)(uint32_t addr, void *arg);
int leasedb_take_requests(struct leasedb *db, leasedb_req_cb cb, void *arg);

/* Helpers for printing (buf >= 49 bytes for hw). */
void leasedb_fmt_hw(const uint8_t *hw, unsigned int len, char *buf);

#endif
