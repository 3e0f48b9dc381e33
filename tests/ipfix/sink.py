#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A counting IPFIX collector for tests/ipfix/bench.sh: receives on
ADDR:PORT (32 MiB SO_RCVBUFFORCE as root) until SECONDS pass without a
datagram, then prints "messages N bytes B" (messages that are IPFIX
version 10 with their own length in the header; others are counted as
"bad")."""
import socket
import struct
import sys

host, _, port = sys.argv[1].rpartition(":")
idle = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.setsockopt(socket.SOL_SOCKET, 33, 32 << 20)  # SO_RCVBUFFORCE
except OSError:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
s.bind((host, int(port)))
s.settimeout(idle)
n = b = bad = 0
while True:
    try:
        d = s.recv(65535)
    except socket.timeout:
        break
    if len(d) >= 16 and struct.unpack_from("!HH", d) == (10, len(d)):
        n += 1
        b += len(d)
    else:
        bad += 1
print("messages %d bytes %d bad %d" % (n, b, bad), flush=True)
