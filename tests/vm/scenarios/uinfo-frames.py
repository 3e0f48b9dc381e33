# SPDX-License-Identifier: GPL-2.0
"""Frames for uinfo-meter.sh and uinfo-users.sh: UDP packets carrying a User
Information option (kmod/uinfo_core.h), each pcap one case.  The option and
its seal are built here from the wire format and RFC 4106's AES-GCM as
Python's cryptography computes it, apart from the module's code, so the
scenarios check the two against each other.

    uinfo-frames.py meter|users DIR KEYHEX SRCMAC DSTMAC SRC4 DST4 SRC6 DST6
                    OTHER4

KEYHEX: the agent's 16-byte key and 4-byte salt (as `muispctl agent set`
reads them).  OTHER4: a host that is no agent.  Every UDP payload is
PAYLOAD bytes to PORT (the scenario's receiver); a case meant to be dropped
goes to port PORT + 1, so nothing of it can be mistaken for a pass.
"""
import ipaddress
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PORT = 9100
PAYLOAD = 100
USER = 1001
AF_INET, AF_INET6 = 2, 10
UDP = 17
V4_TYPE, V6_TYPE = 0x9E, 0x3E
MT_UI, F_E = 1, 0x8000


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Agent:
    def __init__(self, keyhex):
        raw = bytes.fromhex(keyhex)
        self.aead, self.salt = AESGCM(raw[:16]), raw[16:20]

    def seal(self, seq, family, proto, ident, saddr, daddr, l4, user=USER):
        """The sealed part of a UI message: seq, Accounting ID, 12-byte ICV."""
        flags = F_E | MT_UI
        aad = struct.pack("!BBBHB2xI16s16s8s16s", family, proto,
                          8 if l4 else 0, flags, 0, ident, saddr, daddr,
                          l4 or b"", b"")
        nonce = self.salt + struct.pack("!Q", seq)
        out = self.aead.encrypt(nonce, struct.pack("!I", user), aad)
        return struct.pack("!HQ", flags, seq) + out[:4] + out[4:16]


def unsealed(user=USER):
    return struct.pack("!HI", MT_UI, user)


def opt4(body):
    return bytes([V4_TYPE, len(body) + 2]) + body


def dstopts(nexthdr, body, more=b""):
    """A Destination Options header: our option, MORE, PadN to 8."""
    tlvs = bytes([V6_TYPE, len(body)]) + body + more
    pad = -(2 + len(tlvs)) % 8
    if pad == 1:
        tlvs += b"\0"
    elif pad:
        tlvs += bytes([1, pad - 2]) + bytes(pad - 2)
    return bytes([nexthdr, (2 + len(tlvs)) // 8 - 1]) + tlvs


def udp(src, dst, sport, dport, payload, v6):
    length = 8 + len(payload)
    if v6:
        pseudo = src + dst + struct.pack("!IxxxB", length, UDP)
    else:
        pseudo = src + dst + struct.pack("!xBH", UDP, length)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, length, c) + payload


def ip4(src, dst, ident, opts, data, frag=0):
    opts += bytes(-len(opts) % 4)
    ihl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(data),
                    ident, frag, 64, UDP, 0, src, dst) + opts
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + data


def ip6(src, dst, nexthdr, data):
    return struct.pack("!IHBB16s16s", 6 << 28, len(data), nexthdr, 64,
                       src, dst) + data


def frame(smac, dmac, pkt):
    etype = 0x0800 if pkt[0] >> 4 == 4 else 0x86DD
    return dmac + smac + struct.pack("!H", etype) + pkt


def pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 0, i, len(fr), len(fr)) + fr)


def users(d, ag, smac, dmac, src4, dst4, src6, dst6, other4):
    """uinfo-users.sh: two users of one host, each on a port of their own
    (one socket, one flow), numbered on from 1 as the agent seals them."""
    def pkt(seq, user, sport, src=src4):
        u = udp(src, dst4, sport, PORT, pay(seq), False)
        if user is None:
            return ip4(src, dst4, 0x400 + seq, b"", u)
        body = ag.seal(seq, AF_INET, UDP, 0x400 + seq, src + bytes(12),
                       dst4 + bytes(12), u[:8], user)
        return ip4(src, dst4, 0x400 + seq, opt4(body), u)

    def out(name, pkts):
        pcap("%s/%s.pcap" % (d, name), [frame(smac, dmac, p) for p in pkts])

    # user 1001 from port 21001 (3), user 1002 from 21002 (2), and the
    # host's own packet, untagged, from 21003
    out("users4", [pkt(1, 1001, 21001), pkt(2, 1001, 21001),
                   pkt(3, 1001, 21001), pkt(4, 1002, 21002),
                   pkt(5, 1002, 21002), pkt(0, None, 21003)])
    # the flow method: an untagged packet of user 1001's flow
    out("cont4", [pkt(0, None, 21001)])
    # user 1002 past their hard limit, user 1001 still in
    out("cut4", [pkt(6, 1002, 21002), pkt(7, 1001, 21001)])
    # user 1001 once unbound, user 1002 once rebound
    out("after4", [pkt(8, 1001, 21001)])
    out("rebound4", [pkt(9, 1002, 21002)])
    # another host's unsealed option claiming user 1001: only taken out
    u = udp(other4, dst4, 21004, PORT, pay(0), False)
    out("claim4", [ip4(other4, dst4, 0x500, opt4(unsealed(1001)), u)])
    # user 1001 over IPv6 (the IPv6 address is an agent of its own)
    u = udp(src6, dst6, 21001, PORT, pay(1), True)
    body = ag.seal(1, AF_INET6, UDP, 0, src6, dst6, u[:8], 1001)
    out("users6", [ip6(src6, dst6, 60, dstopts(UDP, body) + u)])


def pay(i):
    return (b"%04d" % i) * (PAYLOAD // 4)


def main():
    (which, d, keyhex, smac, dmac, src4, dst4, src6, dst6,
     other4) = sys.argv[1:]
    smac, dmac = (bytes.fromhex(m.replace(":", "")) for m in (smac, dmac))
    src4, dst4, other4 = (ipaddress.IPv4Address(a).packed
                          for a in (src4, dst4, other4))
    src6, dst6 = (ipaddress.IPv6Address(a).packed for a in (src6, dst6))
    ag = Agent(keyhex)
    if which == "users":
        users(d, ag, smac, dmac, src4, dst4, src6, dst6, other4)
        return

    def tagged4(seq, ident, dport=PORT, src=src4, body=None, alter=None):
        u = udp(src, dst4, 20000 + seq, dport, pay(seq), False)
        if body is None:
            body = ag.seal(seq, AF_INET, UDP, ident, src + bytes(12),
                           dst4 + bytes(12), u[:8])
        if alter:
            u = udp(src, dst4, 20000 + seq, alter, pay(seq), False)
        return ip4(src, dst4, ident, opt4(body), u)

    def tagged6(seq, dport=PORT, more=b""):
        u = udp(src6, dst6, 20000 + seq, dport, pay(seq), True)
        body = ag.seal(seq, AF_INET6, UDP, 0, src6, dst6, u[:8])
        return ip6(src6, dst6, 60, dstopts(UDP, body, more) + u)

    def out(name, pkts):
        pcap("%s/%s.pcap" % (d, name), [frame(smac, dmac, p) for p in pkts])

    # 10 sealed IPv4 packets, numbers 1..10
    out("good4", [tagged4(s, 0x100 + s) for s in range(1, 11)])
    # ICV changed, unsealed (E = 0), a field the seal binds changed after
    # sealing (the destination port), sealed under another key
    bad = []
    for s in range(11, 14):
        u = udp(src4, dst4, 20000 + s, PORT + 1, pay(s), False)
        body = bytearray(ag.seal(s, AF_INET, UDP, 0x100 + s,
                                 src4 + bytes(12), dst4 + bytes(12), u[:8]))
        body[-1] ^= 0x80        # the ICV's last byte
        bad.append(ip4(src4, dst4, 0x100 + s, opt4(bytes(body)), u))
    bad.append(tagged4(14, 0x10E, dport=PORT + 1, body=unsealed()))
    bad.append(tagged4(15, 0x10F, alter=PORT + 1))
    other = Agent("ff" * 20)
    u = udp(src4, dst4, 20016, PORT + 1, pay(16), False)
    bad.append(ip4(src4, dst4, 0x110, opt4(other.seal(
        16, AF_INET, UDP, 0x110, src4 + bytes(12), dst4 + bytes(12), u[:8])),
        u))
    out("forged4", bad)
    # a datagram in two fragments, both with the option (copied bit)
    u = udp(src4, dst4, 20020, PORT, pay(20) * 3, False)
    body = ag.seal(20, AF_INET, UDP, 0x200, src4 + bytes(12),
                   dst4 + bytes(12), None)
    out("frag4", [ip4(src4, dst4, 0x200, opt4(body), u[:152], 0x2000),
                  ip4(src4, dst4, 0x200, opt4(body), u[152:], 152 // 8)])
    # another, for a router that reassembles (conntrack)
    u = udp(src4, dst4, 20022, PORT, pay(22) * 3, False)
    body = ag.seal(22, AF_INET, UDP, 0x202, src4 + bytes(12),
                   dst4 + bytes(12), None)
    out("frag4ct", [ip4(src4, dst4, 0x202, opt4(body), u[:152], 0x2000),
                    ip4(src4, dst4, 0x202, opt4(body), u[152:], 152 // 8)])
    # the same over IPv6: the header before the fragment header, so every
    # fragment carries it; an IPv6 fragment binds no id (module's bind)
    u = udp(src6, dst6, 20021, PORT, pay(21) * 3, True)
    dh = dstopts(44, ag.seal(21, AF_INET6, UDP, 0, src6, dst6, None))

    def fh(off, more):
        return struct.pack("!BxHI", UDP, off | more, 0x201)

    out("frag6", [ip6(src6, dst6, 60, dh + fh(0, 1) + u[:152]),
                  ip6(src6, dst6, 60, dh + fh(152, 0) + u[152:])])
    # 5 sealed IPv6 packets, numbers 30..34; the last with another option
    # beside ours, so its header stays (padding where ours was)
    out("good6", [tagged6(s) for s in range(30, 34)] +
        [tagged6(34, more=bytes([0x1E, 2, 0xAB, 0xCD]))])
    # a host that is no agent: its option (unsealed, claiming USER) is only
    # taken out; ours twice, or beside record route: dropped
    u = udp(other4, dst4, 20040, PORT, pay(40), False)
    u2 = udp(other4, dst4, 20041, PORT + 1, pay(41), False)
    rr = bytes([7, 7, 4, 0, 0, 0, 0])
    out("other4", [ip4(other4, dst4, 0x300, opt4(unsealed()), u)])
    out("twice4", [ip4(other4, dst4, 0x301,
                       opt4(unsealed()) + opt4(unsealed(7)), u2),
                   ip4(other4, dst4, 0x302, opt4(unsealed()) + rr, u2)])


if __name__ == "__main__":
    main()
