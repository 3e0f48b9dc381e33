#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Malformed DHCP datagrams for muisp-dhcpd, built with scapy.

Every datagram breaks exactly one rule of daemon/dhcpd/packet.c's parser
(see packet.h), so the server drops it and counts it under one reason in
its `stats` table (drop_truncated, drop_bad_magic, ...).  scapy's BOOTP and
DHCP layers build the well-formed parts; raw bytes carry the faults scapy
will not encode (a length byte that lies, a cut-off datagram).

Outputs, any combination, in this order, in one process (Python and the
scapy import are slow in the VM):
  --send HOST[:PORT]  each datagram on a UDP socket (port 67 by default);
                      the sender's kernel fragments the large ones
  --iface IFNAME      each datagram as an Ethernet broadcast from 0.0.0.0:68
                      to 255.255.255.255:67 on an AF_PACKET socket,
                      IP-fragmented where it exceeds 1500 bytes
  --pcap FILE         the same frames written to FILE, for tcpreplay
  --list              print the set: reason, length, description

On success it prints one summary line: the number of datagrams and the
count per reason, e.g. "malformed: 27 datagrams: drop_bad_magic=3 ...".
"""
import argparse
import socket
import sys

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP, fragment
from scapy.layers.l2 import Ether
from scapy.packet import Raw
from scapy.utils import wrpcap

MAGIC = b"\x63\x82\x53\x63"
MAX_PACKET = 4096          # DHCP_MAX_PACKET: larger is "oversized"
FIXED_LEN = 236            # op .. file; the cookie follows
CHADDR = bytes.fromhex("020000000066")


def bootp(**kw):
    kw.setdefault("xid", 0x6d616c66)
    kw.setdefault("chaddr", CHADDR)
    return BOOTP(**kw)


def discover(*extra):
    """A well-formed DHCPDISCOVER, extra options before the end."""
    return bootp() / DHCP(options=[("message-type", "discover")] +
                          list(extra) + ["end"])


def opts_then_raw(raw, head=(("message-type", "discover"),), **kw):
    """BOOTP + cookie + well-formed options from scapy, then raw bytes
    (where the fault is)."""
    return bytes(bootp(**kw) / DHCP(options=list(head)) / Raw(raw))


def padded_to(total):
    """A DISCOVER padded with PAD options to exactly `total` bytes."""
    b = bytes(discover())
    return b + b"\0" * (total - len(b))


def fill_whole_datagram():
    """Options from the cookie to the last byte of a maximum-size (not
    oversized) datagram: a message type, 14 vendor options of 255 bytes,
    then one claiming 255 bytes of which 253 are left."""
    area = MAX_PACKET - FIXED_LEN - 4                # 3856
    opts = [("message-type", "discover")] + \
        [("vendor_specific", b"v" * 255)] * 14       # 3 + 14 * 257
    left = area - 3 - 14 * 257                       # 255
    b = bytes(bootp() / DHCP(options=opts) /
              Raw(b"\x2b\xff" + b"x" * (left - 2)))
    assert len(b) == MAX_PACKET, len(b)
    return b


def cases():
    """[(reason, description, datagram)]"""
    d = bytes(discover())
    c = []

    def add(reason, what, data):
        c.append((reason, what, bytes(data)))

    # -- truncated: shorter than the fixed header + cookie (240 bytes)
    for n in (0, 1, 100, FIXED_LEN, FIXED_LEN + 3):
        add("drop_truncated", "first %d bytes of a DISCOVER" % n, d[:n])
    # -- oversized: longer than DHCP_MAX_PACKET
    add("drop_oversized", "DISCOVER padded to 4097 bytes",
        padded_to(MAX_PACKET + 1))
    add("drop_oversized", "DISCOVER padded to 5000 bytes", padded_to(5000))
    # -- bad magic cookie
    for cookie in (b"\x63\x82\x53\x64", b"\0\0\0\0", MAGIC[::-1]):
        add("drop_bad_magic", "cookie %s" % cookie.hex(),
            bootp(options=cookie) /
            DHCP(options=[("message-type", "discover"), "end"]))
    # -- op other than BOOTREQUEST, a BOOTREPLY (a rogue server's OFFER)
    for op in (0, 3):
        add("drop_bad_op", "op %d" % op,
            bootp(op=op) / DHCP(options=[("message-type", "discover"),
                                         "end"]))
    add("drop_bad_op", "BOOTREPLY: an OFFER from another server",
        bootp(op=2, yiaddr="192.0.2.200") /
        DHCP(options=[("message-type", "offer"),
                      ("server_id", "192.0.2.254"),
                      ("lease_time", 3600), "end"]))
    # -- hardware address length above 16
    add("drop_bad_hlen", "hlen 17",
        bootp(hlen=17) / DHCP(options=[("message-type", "discover"),
                                       "end"]))
    # -- option overflow: a length past the end of its area
    add("drop_option_overflow", "hostname claims 200 bytes, 3 follow",
        opts_then_raw(b"\x0c\xc8abc"))
    add("drop_option_overflow", "option code as the last byte, no length",
        opts_then_raw(b"\x0c"))
    add("drop_option_overflow",
        "overloaded file field: an option running past its 128 bytes",
        bootp(file=b"\x0c\x7f" + b"h" * 126) /
        DHCP(options=[("message-type", "discover"),
                      ("dhcp-option-overload", 1), "end"]))
    add("drop_option_overflow",
        "options fill a 4096-byte datagram, the last runs 2 bytes past",
        fill_whole_datagram())
    # -- option overload (52) malformed or misplaced
    add("drop_bad_overload", "overload value 7",
        discover(("dhcp-option-overload", 7)))
    add("drop_bad_overload", "overload of length 2",
        opts_then_raw(b"\x34\x02\x01\x01\xff"))
    add("drop_bad_overload", "overload inside the overloaded file field",
        bootp(file=b"\x34\x01\x02\xff") /
        DHCP(options=[("message-type", "discover"),
                      ("dhcp-option-overload", 1), "end"]))
    add("drop_bad_overload", "overload twice",
        discover(("dhcp-option-overload", 1),
                 ("dhcp-option-overload", 2)))
    # -- message type (53) missing, unknown or of the wrong length
    add("drop_bad_msg_type", "no message type",
        bootp() / DHCP(options=[("hostname", b"nobody"), "end"]))
    add("drop_bad_msg_type", "message type 9",
        bootp() / DHCP(options=[("message-type", 9), "end"]))
    add("drop_bad_msg_type", "message type of length 2",
        opts_then_raw(b"\x35\x02\x01\x01\xff", head=()))
    # -- fixed-length options of the wrong length
    add("drop_bad_option_length", "requested address of 3 bytes",
        opts_then_raw(b"\x32\x03\xc0\x00\x02\xff"))
    add("drop_bad_option_length", "client identifier of 1 byte",
        discover(("client_id", b"\x01")))
    return c


def frames(c, src_mac):
    """Ethernet frames of every datagram (fragments for the large ones)."""
    out = []
    for i, (_, _, data) in enumerate(c):
        ip = (IP(src="0.0.0.0", dst="255.255.255.255", id=0x4d00 + i) /
              UDP(sport=68, dport=67) / Raw(data))
        parts = fragment(ip, fragsize=1480) if len(data) > 1472 else [ip]
        for p in parts:
            out.append(Ether(src=src_mac, dst="ff:ff:ff:ff:ff:ff") / p)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--send", metavar="HOST[:PORT]")
    ap.add_argument("--iface", metavar="IFNAME")
    ap.add_argument("--pcap", metavar="FILE")
    ap.add_argument("--src-mac", default="02:00:00:00:00:66",
                    help="source MAC of the frames (--iface, --pcap)")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if not (a.send or a.iface or a.pcap or a.list):
        ap.error("nothing to do: --send, --iface, --pcap or --list")

    c = cases()
    if a.list:
        for reason, what, data in c:
            print("%-24s %5d  %s" % (reason, len(data), what))
    if a.send:
        host, _, port = a.send.partition(":")
        dst = (host, int(port or 67))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _, _, data in c:
                s.sendto(data, dst)
    if a.iface or a.pcap:
        fr = frames(c, a.src_mac)
        if a.iface:
            with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
                s.bind((a.iface, 0))
                for f in fr:
                    s.send(bytes(f))
        if a.pcap:
            wrpcap(a.pcap, fr)
    counts = {}
    for reason, _, _ in c:
        counts[reason] = counts.get(reason, 0) + 1
    print("malformed: %d datagrams: %s" % (
        len(c), " ".join("%s=%d" % kv for kv in sorted(counts.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
