/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A blocking client of a muisp daemon's operator socket (muispd's
 * /run/muisp/muispd.sock, muisp-ipfixd's /run/muisp/ipfixd.sock): connect,
 * one request, its reply or the rows of a list (MP_F_MORE), with a reply
 * time-out.  Frames go through lib/proto (the daemons' own codec), so a
 * client accepts exactly what a daemon would send.  Used by muispctl,
 * muisp-agentx and lib/stats_cat; nothing here prints: a failure leaves
 * errno and a one-line reason in o->err ("muispd closed the connection",
 * "bad reply from muispd: bad magic"; the daemon is o->name).
 */
#ifndef MUISP_OPCLIENT_H
#define MUISP_OPCLIENT_H

#include <stdint.h>

#include "proto.h"

struct opclient {
	int fd;		/* -1: not connected */
	uint32_t seq;	/* serial of the last request */
	int timeout_ms; /* per read of a reply */
	int replied;	/* the daemon sent at least one frame */
	int closed;	/* the last failure was the daemon closing */
	char path[108];
	char name[32]; /* the daemon in o->err: PATH's file name less
			* ".sock" ("muispd"); the caller may change it */
	char err[192]; /* why the last call failed */
};

/* Set up o for PATH (not connected yet; fd = -1).  timeout_ms <= 0: wait
 * for ever.  The time-out also bounds connect() and send(). */
void opc_init(struct opclient *o, const char *path, int timeout_ms);
/* Connect unless connected.  0, or -1 with errno and o->err (a PATH too
 * long for a socket address: ENAMETOOLONG). */
int opc_open(struct opclient *o);
void opc_close(struct opclient *o);
/* Send req (its serial is set here) and read its reply into rep.  0, or
 * -1 with errno and o->err (connection lost, bad frame, time-out
 * ETIMEDOUT); the connection is then closed so the next call reconnects
 * (o->closed: the daemon ended it; o->replied: it had answered on it).  A
 * request that cannot be encoded: EINVAL, nothing sent, still connected. */
int opc_call(struct opclient *o, struct mp_msg *req, struct mp_msg *rep);
/* The next reply of a list (after a reply flagged MP_F_MORE). */
int opc_next(struct opclient *o, struct mp_msg *rep);
/* Counters: request TYPE (MP_T_OP_STATS, MP_T_OP_RADIUS_STATS), every
 * MP_T_OP_COUNTERS reply's counters in one malloc'd array.  0, or -1
 * (errno; an ERROR reply: EPROTO and its text in o->err). */
int opc_counters(struct opclient *o, uint8_t type, struct mp_counter **out,
		 unsigned *n);

#endif
