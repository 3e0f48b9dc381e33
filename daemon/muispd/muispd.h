/* SPDX-License-Identifier: GPL-2.0 */
/*
 * muispd: the contract daemon.  One process, one thread, one poll loop
 * (server.c); configuration (config.c); codec (proto.c); state machines
 * (contract.c); receipts (receipt.c); SQLite (store.c); payment methods
 * (payment.c); kernel binding (kernel.c).
 */
#ifndef MUISPD_H
#define MUISPD_H

#include <stdint.h>

#include "contract.h"
#include "kernel.h"
#include "payment.h"
#include "proto.h"
#include "receipt.h"
#include "store.h"

#define MUISPD_CONF		"/etc/muisp/muispd.conf"
#define MUISPD_MAX_PRICES	16
#define MUISPD_VICI_DEFAULT	"unix:///var/run/charon.vici"

struct price {
	uint8_t metric, method, privacy;
	uint64_t price, unit;
};

struct muispd_conf {
	char listen[64];
	uint16_t port;
	char socket[108];
	char database[256];
	char cert[256], key[256];
	int use_kernel;
	int allow_plain;		/* plain TCP without checking ESP */
	int tls;			/* 0: no TLS at all (tests only) */
	uint32_t checkpoint_s;
	char currency[8];
	uint32_t offer_ttl_s;
	uint32_t lifetime_s;		/* contract expiry after issue */
	uint32_t warn_interval_s;
	uint32_t warn_tries;
	uint32_t load_capacity;		/* contracts at 100 % load */
	uint32_t load_surcharge_pct;	/* added at >= 80 % load */
	uint64_t max_hard[__MP_METRIC_LAST];
	char vici[128];			/* charon's VICI socket, "" = none */
	char provider_host[64];		/* online payment provider */
	uint16_t provider_port;
	unsigned nprices;
	struct price prices[MUISPD_MAX_PRICES];
};

int conf_load(const char *path, struct muispd_conf *c);
void conf_defaults(struct muispd_conf *c);

/* server.c */
int server_init(const struct muispd_conf *conf);
int server_run(void);		/* until SIGTERM/SIGINT */
void server_shutdown(void);

#endif
