#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of tests/ipfix/run.sh (muisp-ipfixd).

  ipfixd_check.py stats SOCKET
      MP_T_OP_STATS on muisp-ipfixd's operator socket (lib/proto frames,
      docs/PROTOCOL.md); prints the counters as one JSON object.
  ipfixd_check.py compare SPEC FORMAT FILE
      the records in FILE (FORMAT decode: tests/ipfix/decode.py's JSON
      lines; nfacctd: tests/ipfix/nf.sh's) against the flows of SPEC (an
      ipfix-gen spec of "flow" lines): per 5-tuple and direction the
      bytes, packets, contract id and client address; prints each
      difference and "N records match"; exit 1 on any difference.
  ipfixd_check.py restart DECODED NFACCTD
      after a collector restart: DECODED (decode.py's view of every
      message sent) and NFACCTD (what the restarted collector printed).
      The records nfacctd lacks must be whole messages in one run, the
      message after the run must carry the templates, and every record
      from there on must be there.  Prints "lost N records in M messages
      (I..J), resumed at template message K"; exit 1 otherwise.
"""
import json
import socket
import struct
import sys

PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "ipv6-icmp": 58, "icmpv6": 58}


def stats(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(struct.pack(">HBBHHII", 0x4D55, 1, 162, 0, 0, 0, 7))
    out = {}
    while True:
        hdr = b""
        while len(hdr) < 16:
            hdr += s.recv(16 - len(hdr))
        _, _, typ, flags, _, length, _ = struct.unpack(">HBBHHII", hdr)
        body = b""
        while len(body) < length:
            body += s.recv(length - len(body))
        if typ != 161:
            sys.exit("stats: reply type %d" % typ)
        off = 0
        while off < len(body):
            t, ln = struct.unpack(">HH", body[off:off + 4])
            v = body[off + 4:off + 4 + ln]
            off += 4 + (ln + 3) // 4 * 4
            if t != 43:
                continue
            name, val, o = None, None, 0
            while o < len(v):
                t2, l2 = struct.unpack(">HH", v[o:o + 4])
                x = v[o + 4:o + 4 + l2]
                o += 4 + (l2 + 3) // 4 * 4
                if t2 == 44:
                    name = x.decode()
                elif t2 == 45:
                    val = int.from_bytes(x, "big")
            out[name] = val
        if not flags & 2:
            break
    print(json.dumps(out, sort_keys=True))


def spec_records(path):
    want = {}
    for line in open(path):
        w = line.split("#")[0].split()
        if not w or w[0] != "flow":
            continue
        c, cp, p, pp, proto = w[1], int(w[2]), w[3], int(w[4]), w[5]
        proto = PROTO.get(proto, None) or int(proto)
        ub, up, db, dp, ctr = (int(x) for x in w[6:11])
        if up:
            want[(c, p, cp, pp, proto)] = (ub, up, ctr, c)
        if dp:
            want[(p, c, pp, cp, proto)] = (db, dp, ctr, c)
    return want


def got_records(fmt, path):
    got = {}
    for line in open(path):
        r = json.loads(line)
        if fmt == "decode":
            if r.get("type") != "record" or r.get("template") not in (256, 257):
                continue
            v6 = r["template"] == 257
            src = r["sourceIPv6Address" if v6 else "sourceIPv4Address"]
            dst = r["destinationIPv6Address" if v6 else "destinationIPv4Address"]
            key = (src, dst, r["sourceTransportPort"],
                   r["destinationTransportPort"], r["protocolIdentifier"])
            client = r["muispClientIPv6Address" if v6 else "muispClientIPv4Address"]
            val = (r["octetDeltaCount"], r["packetDeltaCount"],
                   r["muispContractId"], client)
        else:
            proto = r["ip_proto"]
            proto = PROTO.get(proto, None) or int(proto)
            key = (r["ip_src"], r["ip_dst"], r["port_src"], r["port_dst"], proto)
            client = r["muisp_client_ipv4"]
            if client == "0.0.0.0":
                client = r["muisp_client_ipv6"]
            val = (r["bytes"], r["packets"], int(r["muisp_contract_id"]), client)
        if key in got:
            got[key] = ("duplicate",) + got[key]
        else:
            got[key] = val
    return got


def compare(spec, fmt, path):
    want, got, bad = spec_records(spec), got_records(fmt, path), 0
    for k, v in sorted(want.items(), key=str):
        if got.get(k) != v:
            print("%s: want %s, got %s" % (k, v, got.get(k)))
            bad += 1
    for k in got:
        if k not in want:
            print("%s: not in the input: %s" % (k, got[k]))
            bad += 1
    print("%d records match" % (len(want) - bad if bad < len(want) else 0))
    sys.exit(1 if bad else 0)


def restart(decoded, nfacctd):
    msgs, recs = {}, []
    for line in open(decoded):
        r = json.loads(line)
        if r["type"] == "message":
            msgs[r["msg"]] = r
        elif r["type"] == "record" and r.get("template") in (256, 257):
            recs.append((r["msg"], r["muispFlowId"], r["flowDirection"]))
    seen = set()
    for line in open(nfacctd):
        r = json.loads(line)
        seen.add((int(r["muisp_flow_id"]), int(r["flow_direction"])))
    lost_msgs = sorted({m for m, f, d in recs if (f, d) not in seen})
    lost = [x for x in recs if (x[1], x[2]) not in seen]
    if not lost_msgs:
        sys.exit("restart: nothing lost: the collector never missed a message")
    a, b = lost_msgs[0], lost_msgs[-1]
    err = []
    if lost_msgs != list(range(a, b + 1)):
        err.append("lost messages not one run: %s" % lost_msgs)
    for m, f, d in recs:
        if a <= m <= b and (f, d) in seen:
            err.append("message %d only partly lost" % m)
            break
    if b + 1 not in msgs:
        err.append("no message after the loss")
    elif not msgs[b + 1]["templates"]:
        err.append("message %d after the loss has no templates" % (b + 1))
    after = [x for x in recs if x[0] > b]
    if not after:
        err.append("no data after the loss")
    for e in err:
        print("restart: " + e)
    print("lost %d records in %d messages (%d..%d), resumed at template "
          "message %d with %d records after it" % (len(lost), b - a + 1, a, b,
                                                   b + 1, len(after)))
    sys.exit(1 if err else 0)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "stats":
        stats(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 4 and sys.argv[1] == "restart":
        restart(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
