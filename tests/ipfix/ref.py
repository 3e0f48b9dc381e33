#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# The messages tests/unit/test_ipfix.c expects (MSG_V4, MSG_V6), built
# with struct from the template table in docs/DESIGN.md "IPFIX message
# format", independently of lib/ipfix.c (the way a hand-made exporter, send.py, built
# the message nfacctd decoded).  Prints them as C arrays:
#   python3 tests/ipfix/ref.py
import socket
import struct

PEN = 32473


def ie(eid, length, pen=0):
    """A field specifier; with a PEN: enterprise bit and number."""
    if pen:
        return struct.pack("!HHI", eid | 0x8000, length, pen)
    return struct.pack("!HH", eid, length)


def flow_fields(src, dst, alen, client_ie):
    return [ie(src, alen), ie(dst, alen), ie(7, 2), ie(11, 2), ie(4, 1),
            ie(6, 1), ie(1, 8), ie(2, 8), ie(152, 8), ie(153, 8),
            ie(136, 1), ie(61, 1), ie(1001, 8, PEN), ie(client_ie, alen, PEN),
            ie(1004, 8, PEN)]


F4 = flow_fields(8, 12, 4, 1002)
F6 = flow_fields(27, 28, 16, 1003)
TMPL = (struct.pack("!HH", 256, len(F4)) + b"".join(F4) +
        struct.pack("!HH", 257, len(F6)) + b"".join(F6))
TSET = struct.pack("!HH", 2, 4 + len(TMPL)) + TMPL
OPT = struct.pack("!HHH", 258, 2, 1) + ie(144, 4) + ie(166, 8)
OSET = struct.pack("!HH", 3, 4 + len(OPT)) + OPT


def record(flow, direction, v6):
    """flow: client, peer, cport, pport, proto, flags, up bytes/packets,
    down bytes/packets, first, last, flowEndReason, contract, flow id."""
    (client, peer, cport, pport, proto, flags, ub, up, db, dp, first, last,
     reason, contract, fid) = flow
    addr = ((lambda a: socket.inet_pton(socket.AF_INET6, a)) if v6
            else socket.inet_aton)
    if direction == 0:
        src, dst, sport, dport, octets, packets = client, peer, cport, pport, ub, up
    else:
        src, dst, sport, dport, octets, packets = peer, client, pport, cport, db, dp
    return (addr(src) + addr(dst) +
            struct.pack("!HHBBQQQQBBQ", sport, dport, proto, flags, octets,
                        packets, first, last, reason, direction, contract) +
            addr(client) + struct.pack("!Q", fid))


def data_set(tid, records):
    body = b"".join(records)
    return struct.pack("!HH", tid, 4 + len(body)) + body


def message(sets, seq, domain, export_time):
    body = b"".join(sets)
    return struct.pack("!HHIII", 10, 16 + len(body), export_time, seq,
                       domain) + body


def c_array(name, data):
    print("static const uint8_t %s[%d] = {" % (name, len(data)))
    for i in range(0, len(data), 12):
        print("\t" + " ".join("0x%02x," % b for b in data[i:i + 12]))
    print("};")


FIRST, LAST = 1764680000000, 1764680005308
V4 = ("10.0.0.2", "192.0.2.1", 40000, 443, 6, 0x1b, 1500, 3, 90000, 60,
      FIRST, LAST, 3, 1 << 40, 7)
V6 = ("2001:db8::2", "2001:db8:1::1", 40001, 53, 17, 0, 120, 1, 0, 0,
      FIRST, LAST, 1, 42, 8)
MSG_V4 = message([TSET, OSET,
                  data_set(256, [record(V4, 0, False), record(V4, 1, False)])],
                 0, 7, 1764680006)
MSG_V6 = message([data_set(257, [record(V6, 0, True)])], 2, 7, 1764680007)
c_array("MSG_V4", MSG_V4)
c_array("MSG_V6", MSG_V6)
