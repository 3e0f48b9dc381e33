// SPDX-License-Identifier: GPL-2.0
/*
 * The purchasing agent (Edell, McKeown and Varaiya, "Billing users for
 * TCP": the Purchasing Agent; muisp-agent(1), PROTOCOL.md §10): while it
 * runs, the router asks it about each new connection of the user's
 * contract billed per connection, with the price, and it answers by the
 * user's policy: accepted below a price, to listed ports or peers, else
 * asked of the person at the terminal (with a desktop notification where
 * there is one), else refused.  Each answer is signed with the contract's
 * holder key (the one its receipt commits to), over the router's
 * question and challenge, so that only this user's agent can answer for
 * the contract.  The router's CONN_COST messages are the online feedback:
 * each connection's running cost, and its total when it ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cli.h"
#include "client.h"
#include "muisp_nl.h"
#include "parse.h"

#define AGENT_MAX_RULES 32
/* the person's answer must come before the router's conn-hold-timeout
 * (5 s by default) */
#define ASK_TIMEOUT_MS 4000

struct policy {
	int has_below;
	uint64_t below; /* accept at most this PRICE per UNIT */
	uint16_t ports[AGENT_MAX_RULES];
	unsigned nports;
	struct muisp_nl_ip peers[AGENT_MAX_RULES];
	uint8_t plen[AGENT_MAX_RULES];
	unsigned npeers;
	int ask; /* ask the person at the terminal */
};

static int parse_policy(int argc, char **argv, struct policy *p)
{
	const char *why;
	uint64_t v;

	memset(p, 0, sizeof(*p));
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i];

		if (!strcmp(k, "ask")) {
			p->ask = 1;
			continue;
		}
		if (i + 1 >= argc)
			return cli_usage("%s needs a value", k);
		if (!strcmp(k, "accept-below")) {
			if (parse_uint(argv[i + 1], UINT64_MAX, &v, &why) < 0)
				return cli_badarg(k, argv[i + 1], why);
			p->has_below = 1;
			p->below = v;
		} else if (!strcmp(k, "accept-port")) {
			if (p->nports == AGENT_MAX_RULES)
				return cli_usage("at most %d ports",
						 AGENT_MAX_RULES);
			if (parse_uint(argv[i + 1], 65535, &v, &why) < 0 || !v)
				return cli_badarg(k, argv[i + 1],
						  v ? why : "1 to 65535");
			p->ports[p->nports++] = (uint16_t)v;
		} else if (!strcmp(k, "accept-peer")) {
			if (p->npeers == AGENT_MAX_RULES)
				return cli_usage("at most %d peers",
						 AGENT_MAX_RULES);
			if (parse_prefix(argv[i + 1], &p->peers[p->npeers],
					 &p->plen[p->npeers], &why) < 0)
				return cli_badarg(k, argv[i + 1], why);
			p->npeers++;
		} else {
			return cli_usage("unknown agent rule '%s'", k);
		}
		i++;
	}
	return CLI_EXIT_OK;
}

static void conn_str(const struct mp_msg *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s %.64s:%llu -> %.64s:%llu",
		 m->u[MP_A_PROTO] == 17 ? "udp" : "tcp", m->s[MP_A_ADDR],
		 (unsigned long long)m->u[MP_A_SPORT], m->s[MP_A_PEER],
		 (unsigned long long)m->u[MP_A_DPORT]);
}

/* A desktop notification, where there is a desktop: never waited for. */
static void notify(const char *text)
{
	pid_t pid;

	if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
		return;
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("notify-send", "notify-send", "-a", "muisp-agent",
		       "muisp: a connection to pay for", text, (char *)NULL);
		_exit(127);
	}
}

/* The person at the terminal: y accepts; nothing in time refuses. */
static int ask_person(const char *question)
{
	struct pollfd pfd;
	char line[16] = "";
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	FILE *tty;

	notify(question);
	if (fd < 0)
		return 0;
	tty = fdopen(fd, "r+");
	if (!tty) {
		close(fd);
		return 0;
	}
	fprintf(tty, "%s  pay? [y/N] ", question);
	fflush(tty);
	pfd.fd = fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ASK_TIMEOUT_MS) == 1 &&
	    fgets(line, sizeof(line), tty))
		;
	else
		fprintf(tty, "(no answer: refused)\n");
	fclose(tty);
	return line[0] == 'y' || line[0] == 'Y';
}

/* The policy's verdict on ask m, and which rule said so. */
static int decide(const struct policy *p, const struct mp_msg *m,
		  const char **why)
{
	struct muisp_nl_ip peer;
	const char *err;
	char q[200], c[160];

	if (p->has_below && m->u[MP_A_PRICE] <= p->below) {
		*why = "accept-below";
		return 1;
	}
	for (unsigned i = 0; i < p->nports; i++)
		if (p->ports[i] == m->u[MP_A_DPORT]) {
			*why = "accept-port";
			return 1;
		}
	if (parse_ip(m->s[MP_A_PEER], &peer, &err) == 0)
		for (unsigned i = 0; i < p->npeers; i++)
			if (prefix_contains(&p->peers[i], p->plen[i], &peer)) {
				*why = "accept-peer";
				return 1;
			}
	if (p->ask) {
		conn_str(m, c, sizeof(c));
		snprintf(q, sizeof(q), "%s at %llu %.8s per %llu %s", c,
			 (unsigned long long)m->u[MP_A_PRICE],
			 m->s[MP_A_CURRENCY],
			 (unsigned long long)m->u[MP_A_UNIT],
			 mp_metric_name((int)m->u[MP_A_METRIC]));
		*why = "asked";
		return ask_person(q);
	}
	*why = "no rule";
	return 0;
}

/* Answer the router's ask with the verdict, signed by the holder key. */
static void answer(const struct mp_msg *ask, int verdict, const char *why,
		   EVP_PKEY *k)
{
	uint8_t msg[MP_CONN_MSG_MAX], sig[64];
	size_t n, slen = sizeof(sig);
	struct mp_msg rep;
	EVP_MD_CTX *ctx;

	n = mp_conn_message(ask, verdict, msg, sizeof(msg));
	ctx = EVP_MD_CTX_new();
	if (!n || !ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) != 1 ||
	    EVP_DigestSign(ctx, sig, &slen, msg, n) != 1 || slen != sizeof(sig))
		cli_die("cannot sign with the holder key");
	EVP_MD_CTX_free(ctx);
	mp_init(&rep, MP_T_CONN_VERDICT, MP_F_REPLY, ask->serial);
	mp_set_u(&rep, MP_A_VERDICT, verdict ? 1 : 0);
	mp_set_fix(&rep, MP_A_SIGNATURE, sig, sizeof(sig));
	mp_set_s(&rep, MP_A_MESSAGE, why);
	send_msg(&rep);
}

static void show_cost(const struct mp_msg *m)
{
	char c[160];

	conn_str(m, c, sizeof(c));
	printf("cost %s: up %llu bytes, down %llu bytes, %llu%s\n", c,
	       (unsigned long long)m->u[MP_A_SENT_BYTES],
	       (unsigned long long)m->u[MP_A_RECV_BYTES],
	       (unsigned long long)m->u[MP_A_CHARGE],
	       mp_has(m, MP_A_END) ? " (ended)" : "");
	fflush(stdout);
}

int cmd_agent(int argc, char **argv)
{
	struct mp_msg req, m;
	struct policy p;
	EVP_PKEY *k;
	uint64_t serial;
	int rc = parse_policy(argc, argv, &p);

	if (rc != CLI_EXIT_OK)
		return rc;
	serial = current_serial();
	k = holder_key(0);
	if (!k)
		cli_die("no holder key in the state directory: buy first");
	connect_channel();
	mp_init(&req, MP_T_CONN_AGENT_HELLO, 0, 0);
	mp_set_u(&req, MP_A_SERIAL, serial);
	if (transact(&req, &m) != MP_T_STATUS)
		cli_die("the router refused the agent for contract %llu: %s",
			(unsigned long long)serial,
			m.type == MP_T_ERROR && mp_has(&m, MP_A_MESSAGE) ?
				m.s[MP_A_MESSAGE] :
				mp_type_name(m.type));
	printf("purchasing agent for contract %llu\n",
	       (unsigned long long)serial);
	fflush(stdout);
	for (;;) {
		const char *why;
		char c[160];
		int v;

		rc = recv_msg(&m, 1000);
		if (rc < 0) {
			fprintf(stderr, "muisp-agent: the router closed the "
					"channel\n");
			EVP_PKEY_free(k);
			return 1;
		}
		if (!rc)
			continue;
		if (m.type == MP_T_CONN_COST) {
			show_cost(&m);
			continue;
		}
		if (m.flags & MP_F_ASYNC) {
			handle_async(&m);
			continue;
		}
		if (m.type != MP_T_CONN_ASK || m.u[MP_A_SERIAL] != serial)
			continue;
		v = decide(&p, &m, &why);
		conn_str(&m, c, sizeof(c));
		printf("%s %s at %llu per %llu (%s)\n", v ? "accept" : "refuse",
		       c, (unsigned long long)m.u[MP_A_PRICE],
		       (unsigned long long)m.u[MP_A_UNIT], why);
		fflush(stdout);
		answer(&m, v, why, k);
	}
}
