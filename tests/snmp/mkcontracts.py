# SPDX-License-Identifier: GPL-2.0
"""Create many offline contracts in muispd quickly (tests/snmp/walk10k.sh).

usage: mkcontracts.py SOCKET N
    N MP_T_OP_CONTRACT_CREATE requests (bytes, cash, soft 1000000 + i,
    hard 2000000 + i) on one connection to muispd's operator socket, up
    to 128 in flight; prints "created N" or exits 1 at the first error.
The frames follow docs/PROTOCOL.md section 2 (only what this needs).
"""
import socket
import struct
import sys

A_METRIC, A_METHOD, A_SOFT, A_HARD = 5, 6, 8, 9
T_OP_CONTRACT_CREATE, T_ERROR = 131, 69
METRIC_BYTES, METHOD_CASH = 3, 3
WINDOW = 128


def attr(t, v, size):
    v = v.to_bytes(size, "big")
    return struct.pack(">HH", t, len(v)) + v + b"\0" * ((4 - len(v) % 4) % 4)


def frame(typ, serial, body):
    return struct.pack(">HBBHHII", 0x4D55, 1, typ, 0, 0, len(body),
                       serial) + body


def create(i):
    body = (attr(A_METRIC, METRIC_BYTES, 1) + attr(A_METHOD, METHOD_CASH, 1)
            + attr(A_SOFT, 1000000 + i, 8) + attr(A_HARD, 2000000 + i, 8))
    return frame(T_OP_CONTRACT_CREATE, i + 1, body)


def main():
    path, n = sys.argv[1], int(sys.argv[2])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    buf = b""
    sent = done = 0
    while done < n:
        if sent < n and sent - done < WINDOW:
            k = min(n - sent, WINDOW - (sent - done))
            s.sendall(b"".join(create(sent + j) for j in range(k)))
            sent += k
        b = s.recv(1 << 20)
        if not b:
            sys.exit("mkcontracts: muispd closed the connection")
        buf += b
        while len(buf) >= 16:
            typ, ln = buf[3], struct.unpack(">I", buf[8:12])[0]
            if len(buf) < 16 + ln:
                break
            if typ == T_ERROR:
                sys.exit("mkcontracts: error reply after %d" % done)
            buf = buf[16 + ln:]
            done += 1
    print("created %d" % done)


main()
