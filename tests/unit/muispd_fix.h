/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the tests that build a struct muispd on a temporary directory
 * share (test_muispd.c, test_dae.c, test_acct.c).  Include after
 * <cmocka.h>.
 */
#ifndef TESTS_UNIT_MUISPD_FIX_H
#define TESTS_UNIT_MUISPD_FIX_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/muispd/muispd.h"

/* The clock the fixtures start at; two users' addresses. */
#define T0    1700000000ull
#define ALICE "10.0.0.2"
#define BOB   "10.0.0.3"

/* Each test between the file's setup and teardown. */
#define MUISPD_FIX_TEST(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

/* Remove the directory of a test's store: the database, its WAL files, a
 * configuration file written there, then the directory. */
static inline void muispd_fix_rmdir(const char *dir)
{
	static const char *const files[] = { "db", "db-wal", "db-shm", "conf" };
	char p[256];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		unlink(p);
	}
	rmdir(dir);
}

/* A new temporary directory DIR ("/tmp/muisp-test-NAME-XXXXXX") and *conf
 * for a muispd on it: the defaults, the database and the socket in DIR,
 * no kernel, no TLS.  -1 if the directory cannot be made. */
static inline int muispd_fix_conf(char *dir, size_t size, const char *name,
				  struct muispd_conf *conf)
{
	snprintf(dir, size, "/tmp/muisp-test-%s-XXXXXX", name);
	if (!mkdtemp(dir))
		return -1;
	conf_defaults(conf);
	snprintf(conf->database, sizeof(conf->database), "%s/db", dir);
	snprintf(conf->socket, sizeof(conf->socket), "%s/sock", dir);
	conf->use_kernel = 0;
	conf->tls = 0;
	return 0;
}

/* *mdp: a muispd on conf, its clock at now, opened on an event loop of
 * its own.  -1 on a failure (*mdp, if allocated, for muispd_fix_close). */
static inline int muispd_fix_open(struct muispd **mdp,
				  const struct muispd_conf *conf, uint64_t now)
{
	*mdp = calloc(1, sizeof(**mdp));
	if (!*mdp)
		return -1;
	muispd_init(*mdp, conf);
	(*mdp)->clock = now;
	if (sd_event_new(&(*mdp)->ev) < 0 || muispd_open(*mdp))
		return -1;
	return 0;
}

/* md closed and freed; dir (muispd_fix_conf's) removed, if given. */
static inline void muispd_fix_close(struct muispd *md, const char *dir)
{
	muispd_close(md);
	free(md);
	if (dir)
		muispd_fix_rmdir(dir);
}

/* Encode m into c's input and let md read it. */
static inline void muispd_fix_feed(struct muispd *md, struct conn *c,
				   const struct mp_msg *m)
{
	int n = mp_encode(m, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);

	assert_true(n > 0);
	c->rlen += (size_t)n;
	conn_input(md, c);
}

/* The next frame c was sent, decoded; fails if there is none. */
static inline void muispd_fix_next(struct conn *c, struct mp_msg *out)
{
	int n;

	assert_true(c->wlen > 0);
	n = mp_frame_len(c->wbuf, c->wlen);
	assert_true(n > 0 && (size_t)n <= c->wlen);
	assert_int_equal(mp_decode(c->wbuf, (size_t)n, out), 0);
	memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
	c->wlen -= (size_t)n;
}

/* The file's teardown, for a struct fix with dir and md (muispd_fix_conf's
 * and muispd_fix_open's) allocated by its setup. */
#define MUISPD_FIX_TEARDOWN                      \
	static int teardown(void **state)        \
	{                                        \
		struct fix *f = *state;          \
                                                 \
		muispd_fix_close(f->md, f->dir); \
		free(f);                         \
		return 0;                        \
	}

#endif
