/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The owner of a TCP connection's or a UDP flow's local end, from the
 * kernel's own socket table (NETLINK_SOCK_DIAG): muisp-uinfod answers the
 * router's UINFO_OWNER_GET with it (Edell's "useridd", through
 * sock_diag).
 */
#ifndef MUISP_SOCKOWNER_H
#define MUISP_SOCKOWNER_H

#include <stdint.h>
#include <sys/types.h>

/* How long the kernel may take to answer, in ms. */
#define SOCK_OWNER_TIMEOUT_MS 1000

/*
 * The uid owning the socket of proto (IPPROTO_TCP or IPPROTO_UDP) whose
 * 4-tuple is laddr:lport (this host's end) and raddr:rport (the remote
 * end), in the caller's network namespace: for TCP exactly that
 * connection; for UDP the socket a datagram from raddr:rport to
 * laddr:lport would reach (connected to it, or bound to lport).  family
 * is AF_INET (4-byte addresses) or AF_INET6 (16 bytes), addresses in
 * network order, ports in host order.  A dual-stack (AF_INET6) socket
 * talking IPv4 is found by its AF_INET tuple too.
 *
 * 0 with *uid; -ENOENT if there is no such socket, or it has no owner any
 * more (closed: TIME_WAIT, orphaned, or a request not yet accepted);
 * another -errno on failure (-EAFNOSUPPORT for another family,
 * -EPROTONOSUPPORT for another protocol, -ETIMEDOUT if the kernel did not
 * answer within SOCK_OWNER_TIMEOUT_MS).  One request, one reply; it blocks
 * at most that long.
 */
int sock_owner(int proto, int family, const void *laddr, uint16_t lport,
	       const void *raddr, uint16_t rport, uid_t *uid);

#endif
