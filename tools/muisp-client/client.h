/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What muisp-client's commands share with its purchasing agent (agent.c,
 * `muisp-agent`): the channel to the router, the state directory's
 * current contract and its holder key.  All end the run with a message
 * on failure (cli_die).
 */
#ifndef MUISP_CLIENT_CLIENT_H
#define MUISP_CLIENT_CLIENT_H

#include <stdint.h>

#include <openssl/evp.h>

#include "proto.h"

/* Connect (TLS) to the router, if not yet. */
void connect_channel(void);
void send_msg(struct mp_msg *m);
/* One message; 1 ok, 0 nothing in timeout_ms, -1 the channel closed. */
int recv_msg(struct mp_msg *m, int timeout_ms);
/* Send req (its serial set here) and wait for its reply; its type. */
int transact(struct mp_msg *req, struct mp_msg *rep);
/* A warning: shown and answered. */
void handle_async(const struct mp_msg *m);
/* The contract in use (-c, else STATEDIR/current). */
uint64_t current_serial(void);
/* STATEDIR/holder.key (made if create and missing), NULL if none. */
EVP_PKEY *holder_key(int create);

/* agent.c: `muisp-client agent` and `muisp-agent`: exit status. */
int cmd_agent(int argc, char **argv);

#endif
