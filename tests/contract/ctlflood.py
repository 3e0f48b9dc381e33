# SPDX-License-Identifier: GPL-2.0
"""Control-channel attacks on muispd for tests/contract/run.sh (loopback).

usage: ctlflood.py [HOST:]PORT CA idle N FIRST [NADDR [JUNK]]
    open N TCP connections to HOST:PORT (127.0.0.1), from NADDR (N)
    source addresses counting up from FIRST (e.g. 127.0.2.1), N / NADDR
    from each in a row,
    send nothing (every JUNK-th connection a junk TLS record); print
    "idle K" (K connected), then "closed C" each time muispd closes one
    (C so far), and hold them until stdin closes.
usage: ctlflood.py PORT CA flood CODE N
    alice (127.0.3.100) gets a quote (bytes, voucher); then mallory floods
    from 32 addresses (127.0.3.1..32), each on one TLS channel: N
    REQUESTs in one write; then alice pays her quote with voucher CODE.
    Prints "mallory quotes Q refused R" (R: PERM errors, the rate) and "alice receipt SERIAL" (or
    "alice error CODE MESSAGE").

The frames follow docs/PROTOCOL.md §2 (only what these attacks need).
"""
import ipaddress
import selectors
import socket
import ssl
import struct
import sys

A_SERIAL, A_OFFER_SERIAL, A_METRIC, A_METHOD = 1, 2, 5, 6
A_SOFT, A_HARD, A_PAYMENT, A_ERROR, A_MESSAGE = 8, 9, 12, 17, 18
T_OFFER_GET, T_REQUEST, T_DEPOSIT = 1, 2, 3
T_QUOTE, T_RECEIPT, T_ERROR = 65, 66, 69
U64 = {A_SERIAL, A_OFFER_SERIAL, A_SOFT, A_HARD}
U8 = {A_METRIC, A_METHOD}


def attr(t, v):
    if t in U64:
        v = struct.pack(">Q", v)
    elif t in U8:
        v = struct.pack(">B", v)
    elif isinstance(v, str):
        v = v.encode()
    pad = (4 - len(v) % 4) % 4
    return struct.pack(">HH", t, len(v)) + v + b"\0" * pad


def frame(typ, serial, attrs):
    body = b"".join(attr(t, v) for t, v in attrs)
    return struct.pack(">HBBHHII", 0x4D55, 1, typ, 0, 0, len(body),
                       serial) + body


def read_frame(s):
    hdr = b""
    while len(hdr) < 16:
        b = s.recv(16 - len(hdr))
        if not b:
            return None, {}
        hdr += b
    _, _, typ, _, _, ln, _ = struct.unpack(">HBBHHII", hdr)
    body = b""
    while len(body) < ln:
        b = s.recv(ln - len(body))
        if not b:
            return None, {}
        body += b
    attrs, off = {}, 0
    while off + 4 <= ln:
        t, vl = struct.unpack(">HH", body[off:off + 4])
        v = body[off + 4:off + 4 + vl]
        if vl == 8:
            v = struct.unpack(">Q", v)[0]
        elif vl == 4:
            v = struct.unpack(">I", v)[0]
        elif vl == 1:
            v = v[0]
        attrs[t] = v
        off += 4 + vl + (4 - vl % 4) % 4
    return typ, attrs


def channel(port, ca, src):
    ctx = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection((HOST, port), timeout=30,
                                   source_address=(src, 0))
    return ctx.wrap_socket(raw, server_hostname="router.muisp.test")


HOST = "127.0.0.1"


def idle(port, n, first, naddr, junk):
    import resource
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    base = ipaddress.IPv4Address(first)
    held = []
    for i in range(n):
        s = socket.socket()
        s.bind((str(base + i * naddr // n), 0))
        if junk and i % junk == junk - 1:
            try:
                s.connect((HOST, port))
                s.sendall(b"\x16\x03\x01\x00\x05hello")
            except OSError:
                pass  # refused already: counted as closed below
            s.setblocking(False)
        else:
            s.setblocking(False)
            s.connect_ex((HOST, port))
        held.append(s)
    print("idle %d" % len(held), flush=True)
    sel = selectors.DefaultSelector()
    sel.register(sys.stdin, selectors.EVENT_READ)
    for s in held:
        sel.register(s, selectors.EVENT_READ)
    closed = 0
    while True:
        for key, _ in sel.select():
            if key.fileobj is sys.stdin:
                return
            try:
                data = key.fileobj.recv(1)
            except OSError:
                data = b""
            if not data:
                sel.unregister(key.fileobj)
                closed += 1
                print("closed %d" % closed, flush=True)


def request(s, serial, offer):
    return frame(T_REQUEST, serial, [(A_OFFER_SERIAL, offer), (A_METRIC, 3),
                                     (A_SOFT, 1000000), (A_HARD, 2000000),
                                     (A_METHOD, 1)])


def quote(s, serial):
    s.sendall(frame(T_OFFER_GET, serial, []))
    typ, a = read_frame(s)
    assert typ == 64, typ
    s.sendall(request(s, serial + 1, a[A_OFFER_SERIAL]))
    typ, a = read_frame(s)
    assert typ == T_QUOTE, (typ, a)
    return a[A_SERIAL], a


def flood(port, ca, code, n):
    alice = channel(port, ca, "127.0.3.100")
    aserial, _ = quote(alice, 1)
    quotes = refused = 0
    for i in range(32):
        m = channel(port, ca, "127.0.3.%d" % (1 + i))
        m.sendall(frame(T_OFFER_GET, 2, []))
        typ, a = read_frame(m)
        offer = a[A_OFFER_SERIAL]
        m.sendall(b"".join(request(m, 3 + k, offer) for k in range(n)))
        while True:
            try:
                typ, a = read_frame(m)
            except (ConnectionError, ssl.SSLError):
                break
            if typ is None:
                break
            if typ == T_QUOTE:
                quotes += 1
            elif typ == T_ERROR and a.get(A_ERROR) == 12:
                refused += 1  # PERM: over the message rate
        m.close()
    print("mallory quotes %d refused %d" % (quotes, refused), flush=True)
    alice.sendall(frame(T_DEPOSIT, 9, [(A_SERIAL, aserial), (A_METHOD, 1),
                                        (A_PAYMENT, code)]))
    typ, a = read_frame(alice)
    if typ == T_RECEIPT:
        print("alice receipt %d" % a[A_SERIAL])
    else:
        print("alice error %s %s" % (a.get(A_ERROR), a.get(A_MESSAGE)))


def main():
    global HOST
    port, ca, what = sys.argv[1], sys.argv[2], sys.argv[3]
    if ":" in port:
        HOST, port = port.rsplit(":", 1)
    port = int(port)
    if what == "idle":
        n = int(sys.argv[4])
        naddr = int(sys.argv[6]) if len(sys.argv) > 6 else n
        junk = int(sys.argv[7]) if len(sys.argv) > 7 else 0
        idle(port, n, sys.argv[5], naddr, junk)
    elif what == "flood":
        flood(port, ca, sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit("usage: ctlflood.py [HOST:]PORT CA idle N FIRST [NADDR "
                 "[JUNK]] | flood CODE N")


main()
