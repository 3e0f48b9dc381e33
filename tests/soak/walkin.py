#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The soak's walk-ins' DHCP (tests/soak/run.sh): COUNT clients, each with
its own MAC (02:5a:WW:00:HH:LL, WW = WAVE, HH:LL = its index) used as
both chaddr and Ethernet source, as COUNT distinct machines would, get
a lease on IFACE through one packet socket: DISCOVER, OFFER, REQUEST,
ACK, with the broadcast flag (the replies come to ff:ff:ff:ff:ff:ff).
At most WINDOW clients are in flight at once; a client that has had no
answer for a second sends its message again, a NAK starts it over.

usage: walkin.py IFACE WAVE COUNT [WINDOW [SECONDS]]

Prints "ADDR MAC" for each client that got its ACK, then on stderr
"walkin: leased=N/COUNT discovers=D requests=R naks=K retries=T
seconds=S".  Exit 0 when every client got a lease within SECONDS
(default 120), 1 otherwise.
"""
import os
import select
import socket
import struct
import sys
import time

COOKIE = b"\x63\x82\x53\x63"
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK = 1, 2, 3, 4, 5, 6


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frame(src_mac, dst_mac, src_ip, dst_ip, bootp):
    """Ethernet + IPv4 + UDP 68 -> 67 around a BOOTP payload."""
    udp = struct.pack("!HHHH", 68, 67, 8 + len(bootp), 0) + bootp
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                     0, socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def bootp(xid, mac, mtype, ciaddr="0.0.0.0", opts=b"", flags=0x8000):
    """A BOOTREQUEST of DHCP message type MTYPE from chaddr MAC."""
    head = struct.pack("!BBBBIHH4s4s4s4s16s", 1, 1, 6, 0, xid, 0, flags,
                       socket.inet_aton(ciaddr), bytes(4), bytes(4),
                       bytes(4), mac + bytes(10))
    return (head + bytes(192) + COOKIE + bytes([53, 1, mtype]) + opts +
            b"\xff")


def parse_reply(pkt):
    """(xid, yiaddr, message type, server id) of a BOOTREPLY, or None."""
    if len(pkt) < 14 + 20 + 8 + 240 or pkt[12:14] != b"\x08\x00":
        return None
    ihl = (pkt[14] & 15) * 4
    if pkt[23] != 17:
        return None
    udp = 14 + ihl
    if struct.unpack("!H", pkt[udp + 2:udp + 4])[0] != 68:
        return None
    b = pkt[udp + 8:]
    if len(b) < 240 or b[0] != 2 or b[236:240] != COOKIE:
        return None
    xid = struct.unpack("!I", b[4:8])[0]
    yiaddr = socket.inet_ntoa(b[16:20])
    mtype = sid = None
    i = 240
    while i < len(b) and b[i] != 255:
        if b[i] == 0:
            i += 1
            continue
        if i + 1 >= len(b):
            break
        code, n = b[i], b[i + 1]
        val = b[i + 2:i + 2 + n]
        if code == 53 and n == 1:
            mtype = val[0]
        elif code == 54 and n == 4:
            sid = val
        i += 2 + n
    return xid, yiaddr, mtype, sid


class Client:
    def __init__(self, wave, i):
        self.mac = bytes([2, 0x5A, wave, 0, i >> 8, i & 255])
        self.xid = (wave << 24 | i << 8 | 1) & 0xFFFFFFFF
        self.state = DISCOVER
        self.addr = None
        self.sid = None
        self.sent = 0.0

    def mac_str(self):
        return ":".join("%02x" % x for x in self.mac)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    iface, wave, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    window = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    secs = float(sys.argv[5]) if len(sys.argv) > 5 else 120
    if not 0 <= wave <= 255 or not 0 < count <= 65536:
        sys.exit("walkin.py: WAVE 0..255, COUNT 1..65536")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    bcast = b"\xff" * 6
    clients = [Client(wave, i) for i in range(count)]
    by_xid = {c.xid: c for c in clients}
    todo = list(reversed(clients))
    flying = set()
    stats = dict(discovers=0, requests=0, naks=0, retries=0)

    def send(c):
        if c.state == DISCOVER:
            msg = bootp(c.xid, c.mac, DISCOVER)
            stats["discovers"] += 1
        else:
            opts = (bytes([50, 4]) + socket.inet_aton(c.addr) +
                    bytes([54, 4]) + c.sid)
            msg = bootp(c.xid, c.mac, REQUEST, opts=opts)
            stats["requests"] += 1
        s.send(frame(c.mac, bcast, "0.0.0.0", "255.255.255.255", msg))
        c.sent = time.monotonic()

    t0 = time.monotonic()
    done = []
    while len(done) < count and time.monotonic() - t0 < secs:
        while todo and len(flying) < window:
            c = todo.pop()
            flying.add(c)
            send(c)
        now = time.monotonic()
        for c in flying:
            if now - c.sent >= 1.0:
                stats["retries"] += 1
                send(c)
        r, _, _ = select.select([s], [], [], 0.05)
        while r:
            try:
                pkt = s.recv(2048, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            rep = parse_reply(pkt)
            if not rep or rep[0] not in by_xid:
                continue
            xid, yiaddr, mtype, sid = rep
            c = by_xid[xid]
            if c not in flying:
                continue
            if c.state == DISCOVER and mtype == OFFER and sid:
                c.state, c.addr, c.sid = REQUEST, yiaddr, sid
                send(c)
            elif c.state == REQUEST and mtype == ACK and yiaddr == c.addr:
                flying.discard(c)
                done.append(c)
                print(c.addr, c.mac_str(), flush=True)
            elif c.state == REQUEST and mtype == NAK:
                stats["naks"] += 1
                c.state, c.addr, c.sid = DISCOVER, None, None
                send(c)
    print("walkin: leased=%d/%d %s seconds=%.1f" %
          (len(done), count, " ".join("%s=%d" % kv for kv in stats.items()),
           time.monotonic() - t0), file=sys.stderr)
    os._exit(0 if len(done) == count else 1)


if __name__ == "__main__":
    main()
