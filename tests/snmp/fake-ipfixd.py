#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A stand-in for muisp-ipfixd's operator socket (tests/snmp/agentx.sh):
answers every MP_T_OP_STATS with one MP_T_OP_COUNTERS frame (lib/proto.h:
16-byte header, attributes type|len|value padded to 4) holding the
counters of COUNTERS_FILE ("name value" lines, read at each request).

Usage: fake-ipfixd.py SOCKET COUNTERS_FILE
"""
import os
import socket
import struct
import sys

MAGIC, VERSION = 0x4D55, 1
T_OP_STATS, T_OP_COUNTERS = 162, 161
F_REPLY = 1
A_COUNTER, A_NAME, A_VALUE = 43, 44, 45


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def counters(path):
    out = b""
    with open(path) as f:
        for line in f:
            if line.split():
                name, value = line.split()
                out += attr(A_COUNTER, attr(A_NAME, name.encode()) +
                            attr(A_VALUE, struct.pack("!Q", int(value))))
    return out


def recv_all(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            return None
        b += d
    return b


def serve(c, path):
    while True:
        h = recv_all(c, 16)
        if h is None:
            return
        magic, ver, typ, flags, _, length, serial = struct.unpack(
            "!HBBHHII", h)
        if magic != MAGIC or ver != VERSION or length > 8192:
            return
        if length and recv_all(c, length) is None:
            return
        if typ != T_OP_STATS:
            return
        body = counters(path)
        c.sendall(struct.pack("!HBBHHII", MAGIC, VERSION, T_OP_COUNTERS,
                              F_REPLY, 0, len(body), serial) + body)


def main():
    sock, path = sys.argv[1], sys.argv[2]
    if os.path.exists(sock):
        os.unlink(sock)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock)
    s.listen(4)
    while True:
        c, _ = s.accept()
        with c:
            try:
                serve(c, path)
            except OSError:
                pass


if __name__ == "__main__":
    main()
