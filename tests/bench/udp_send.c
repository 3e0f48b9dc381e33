// SPDX-License-Identifier: GPL-2.0
/*
 * udp-send ADDR PORT SIZE COUNT: COUNT datagrams of SIZE payload bytes to
 * ADDR:PORT from one socket, back to back, as the calling user (the agent
 * benchmark, tests/vm/bench/uinfo.sh: the agent tags by socket owner).
 * A send the stack refuses is retried after a yield (a full queue), so
 * every datagram leaves; prints nothing, exits 1 on any other error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[65507];
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t slen;
	long size, count;
	int fd, port;

	if (argc != 5) {
		fprintf(stderr, "usage: udp-send ADDR PORT SIZE COUNT\n");
		return 2;
	}
	port = atoi(argv[2]);
	size = atol(argv[3]);
	count = atol(argv[4]);
	if (port <= 0 || port > 65535 || size < 0 || size > (long)sizeof(buf) ||
	    count < 0) {
		fprintf(stderr, "udp-send: bad PORT, SIZE or COUNT\n");
		return 2;
	}
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, argv[1], &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		slen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, argv[1], &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		slen = sizeof(*s6);
	} else {
		fprintf(stderr, "udp-send: %s: not an address\n", argv[1]);
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, slen) < 0) {
		perror("udp-send");
		return 1;
	}
	for (long i = 0; i < count;) {
		if (send(fd, buf, (size_t)size, 0) == size) {
			i++;
		} else if (errno == ENOBUFS || errno == EAGAIN) {
			sched_yield();
		} else {
			perror("udp-send: send");
			return 1;
		}
	}
	close(fd);
	return 0;
}
