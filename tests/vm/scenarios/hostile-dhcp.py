#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Mallory's frames for hostile-dhcp.sh, as pcaps for tcpreplay.

  hostile-dhcp.py DIR

writes into DIR (addresses and MACs of tests/vm/lib.sh; the pool of the
scenario is 192.0.2.100-163, alice holds .100):

  forge.pcap   RELEASE and DECLINE of alice's lease (her chaddr, .100):
               each once from mallory's MAC, once from alice's (spoofed)
  offer.pcap   10 DISCOVERs from mallory's MAC (chaddrs 02:66:00:00:00:01..
               0a), then DECLINEs of the 4 offers held for her (.101-.104)
  burst.pcap   100 DISCOVERs from mallory's MAC (chaddrs 02:66:00:00:01:xx)
  ack.pcap     20 REQUESTs (SELECTING) of never-used .140-.159, each from
               its own MAC (02:51:00:00:00:xx = chaddr)
  decline.pcap the 20 DECLINEs of those ACKed addresses, same MACs
  flood.pcap   1200 DISCOVERs, each from its own MAC (02:77:00:00:hi:lo)
  relay.pcap   a DISCOVER with giaddr 192.0.2.66 (mallory's address, on
               the subnet) unicast from 192.0.2.66:67 to the server

Plain struct, no scapy: Python starts slowly enough in the guest.
"""
import socket
import struct
import sys

BCAST_MAC = b"\xff" * 6
ROUTER_MAC = bytes.fromhex("020000000001")
ALICE_MAC = bytes.fromhex("020000000010")
MALLORY_MAC = bytes.fromhex("020000000066")
SERVER = "192.0.2.1"
ALICE_ADDR = "192.0.2.100"
DISCOVER, REQUEST, DECLINE, RELEASE = 1, 3, 4, 7


def ip4(a):
    return socket.inet_aton(a)


def pool(n):
    return "192.0.2.%d" % n


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def dhcp(mtype, chaddr, xid, ciaddr="0.0.0.0", giaddr="0.0.0.0", req=None,
         sid=None):
    b = struct.pack("!BBBBIHH4s4s4s4s16s64s128sI", 1, 1, 6, 0, xid, 0,
                    0x8000, ip4(ciaddr), ip4("0.0.0.0"), ip4("0.0.0.0"),
                    ip4(giaddr), chaddr, b"", b"", 0x63825363)
    b += bytes([53, 1, mtype])
    if req:
        b += bytes([50, 4]) + ip4(req)
    if sid:
        b += bytes([54, 4]) + ip4(sid)
    b += b"\xff"
    return b + b"\0" * (300 - len(b))


def frame(src_mac, payload, saddr="0.0.0.0", daddr="255.255.255.255",
          dst_mac=BCAST_MAC, sport=68):
    udp = struct.pack("!HHHH", sport, 67, 8 + len(payload), 0) + payload
    iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17,
                      0, ip4(saddr), ip4(daddr))
    iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
    return dst_mac + src_mac + b"\x08\x00" + iph + udp


def pcap(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for fr in frames:
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)


def mac(prefix, n):
    return bytes.fromhex(prefix) + struct.pack("!H", n)


def main():
    d = sys.argv[1]
    forge = []
    for src in (MALLORY_MAC, ALICE_MAC):
        forge.append(frame(src, dhcp(RELEASE, ALICE_MAC, 0x66000001,
                                     ciaddr=ALICE_ADDR, sid=SERVER)))
    for src in (MALLORY_MAC, ALICE_MAC):
        forge.append(frame(src, dhcp(DECLINE, ALICE_MAC, 0x66000002,
                                     req=ALICE_ADDR, sid=SERVER)))
    pcap(d + "/forge.pcap", forge)

    offer = [frame(MALLORY_MAC, dhcp(DISCOVER, mac("02660000", k), k))
             for k in range(1, 11)]
    offer += [frame(MALLORY_MAC, dhcp(DECLINE, mac("02660000", k), k,
                                      req=pool(100 + k), sid=SERVER))
              for k in range(1, 5)]
    pcap(d + "/offer.pcap", offer)

    pcap(d + "/burst.pcap",
         [frame(MALLORY_MAC, dhcp(DISCOVER, mac("02660000", 0x100 + k), k))
          for k in range(100)])

    macs = [mac("02510000", k) for k in range(20)]
    pcap(d + "/ack.pcap",
         [frame(m, dhcp(REQUEST, m, k, req=pool(140 + k), sid=SERVER))
          for k, m in enumerate(macs)])
    pcap(d + "/decline.pcap",
         [frame(m, dhcp(DECLINE, m, k, req=pool(140 + k), sid=SERVER))
          for k, m in enumerate(macs)])

    flood = []
    for k in range(1200):
        m = mac("02770000", k)
        flood.append(frame(m, dhcp(DISCOVER, m, 0x77000000 + k)))
    pcap(d + "/flood.pcap", flood)

    pcap(d + "/relay.pcap",
         [frame(MALLORY_MAC, dhcp(DISCOVER, mac("02660000", 0x200), 0x200,
                                  giaddr="192.0.2.66"),
                saddr="192.0.2.66", daddr=SERVER, dst_mac=ROUTER_MAC,
                sport=67)])


if __name__ == "__main__":
    main()
