#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Small independent IPFIX (RFC 7011) decoder for the tests.

Written from the RFC's message format, not from lib/ipfix.c, so the host
suites check muisp-ipfixd's datagrams with something besides pmacct
(tshark is not installed).  Templates (set 2), options templates (set 3)
and data sets; enterprise fields; templates are kept across messages per
observation domain, like a collector on one UDP session.

Usage:
  decode.py FILE...             messages back to back (each message says
                                its own length), e.g. ipfix-encode output
  decode.py --udp ADDR:PORT [--count N] [--timeout S] [--save FILE]
                                receive datagrams until N messages or S
                                seconds without one (default 5); --save
                                appends each datagram to FILE
Output: JSON lines.  One per message
  {"type": "message", "msg": I, "length": .., "export_time": ..,
   "seq": .., "domain": .., "records": N, "templates": [IDS]}
then one per data record
  {"type": "record", "msg": I, "domain": .., "template": ID,
   "<element name>": value, ...}
(unsigned values as numbers, addresses as text, anything else as hex).
A data set whose template is unknown yields {"type": "unknown_set", ...}.
Exit 0, or 1 with "decode: ..." on stderr at the first malformed message
(bad version, lengths that do not add up, a set running past the message,
a template with field count 0 or a reserved id, non-zero padding) and at
a variable-length field (RFC 7011 §7; muisp sends none).
"""
import ipaddress
import json
import socket
import struct
import sys

MUISP_PEN = 32473

# (pen, id) -> (name, kind); kind: u = unsigned, 4 = IPv4, 6 = IPv6
NAMES = {
    (0, 1): ("octetDeltaCount", "u"),
    (0, 2): ("packetDeltaCount", "u"),
    (0, 4): ("protocolIdentifier", "u"),
    (0, 6): ("tcpControlBits", "u"),
    (0, 7): ("sourceTransportPort", "u"),
    (0, 8): ("sourceIPv4Address", "4"),
    (0, 11): ("destinationTransportPort", "u"),
    (0, 12): ("destinationIPv4Address", "4"),
    (0, 27): ("sourceIPv6Address", "6"),
    (0, 28): ("destinationIPv6Address", "6"),
    (0, 61): ("flowDirection", "u"),
    (0, 136): ("flowEndReason", "u"),
    (0, 144): ("exportingProcessId", "u"),
    (0, 149): ("observationDomainId", "u"),
    (0, 152): ("flowStartMilliseconds", "u"),
    (0, 153): ("flowEndMilliseconds", "u"),
    (0, 166): ("notSentFlowTotalCount", "u"),
    (0, 167): ("notSentPacketTotalCount", "u"),
    (0, 168): ("notSentOctetTotalCount", "u"),
    (29305, 1): ("reverseOctetDeltaCount", "u"),
    (29305, 2): ("reversePacketDeltaCount", "u"),
    (MUISP_PEN, 1001): ("muispContractId", "u"),
    (MUISP_PEN, 1002): ("muispClientIPv4Address", "4"),
    (MUISP_PEN, 1003): ("muispClientIPv6Address", "6"),
    (MUISP_PEN, 1004): ("muispFlowId", "u"),
}


class Malformed(Exception):
    pass


def value(kind, raw):
    if kind == "4" and len(raw) == 4:
        return str(ipaddress.IPv4Address(raw))
    if kind == "6" and len(raw) == 16:
        return str(ipaddress.IPv6Address(raw))
    if kind == "u" and 1 <= len(raw) <= 8:
        return int.from_bytes(raw, "big")
    return raw.hex()


def parse_fields(body, off, end, count):
    fields = []
    for _ in range(count):
        if off + 4 > end:
            raise Malformed("field specifier past the set")
        fid, flen = struct.unpack_from("!HH", body, off)
        off += 4
        pen = 0
        if fid & 0x8000:
            if off + 4 > end:
                raise Malformed("enterprise number past the set")
            (pen,) = struct.unpack_from("!I", body, off)
            off += 4
            fid &= 0x7FFF
        if flen == 0:
            raise Malformed("field %d length 0" % fid)
        if flen == 0xFFFF:
            raise Malformed("field %d: variable length (not supported)"
                            % fid)
        fields.append((pen, fid, flen))
    return fields, off


class Decoder:
    def __init__(self, out):
        self.out = out
        self.templates = {}  # (domain, id) -> [(pen, id, len)]
        self.nmsg = 0

    def emit(self, obj):
        self.out.write(json.dumps(obj, sort_keys=False) + "\n")

    def message(self, msg):
        """Decode one message (bytes, exactly its length)."""
        if len(msg) < 16:
            raise Malformed("message shorter than its header")
        version, length, etime, seq, domain = struct.unpack_from("!HHIII", msg)
        if version != 10:
            raise Malformed("version %d" % version)
        if length != len(msg):
            raise Malformed("length %d, datagram %d" % (length, len(msg)))
        i = self.nmsg
        off, records, tids, lines = 16, 0, [], []
        while off < length:
            if off + 4 > length:
                raise Malformed("set header past the message")
            sid, slen = struct.unpack_from("!HH", msg, off)
            if slen < 4 or off + slen > length:
                raise Malformed("set %d length %d at %d" % (sid, slen, off))
            end = off + slen
            p = off + 4
            if sid in (2, 3):
                while end - p >= 4:
                    tid, count = struct.unpack_from("!HH", msg, p)
                    p += 4
                    scope = 0
                    if sid == 3:
                        if end - p < 2:
                            raise Malformed("options template header")
                        (scope,) = struct.unpack_from("!H", msg, p)
                        p += 2
                        if scope == 0 or scope > count:
                            raise Malformed("scope count %d" % scope)
                    if tid < 256:
                        raise Malformed("template id %d" % tid)
                    if count == 0:
                        raise Malformed("template withdrawal %d" % tid)
                    fields, p = parse_fields(msg, p, end, count)
                    self.templates[(domain, tid)] = fields
                    tids.append(tid)
            elif sid >= 256:
                fields = self.templates.get((domain, sid))
                if fields is None:
                    lines.append({"type": "unknown_set", "msg": i,
                                  "domain": domain, "set": sid,
                                  "length": slen})
                else:
                    rlen = sum(f[2] for f in fields)
                    # what is left shorter than a record is padding
                    while end - p >= rlen:
                        rec = {"type": "record", "msg": i,
                               "domain": domain, "template": sid}
                        for pen, fid, flen in fields:
                            name, kind = NAMES.get(
                                (pen, fid),
                                ("ie%d" % fid if not pen
                                 else "e%d_%d" % (pen, fid), "x"))
                            rec[name] = value(kind, msg[p:p + flen])
                            p += flen
                        lines.append(rec)
                        records += 1
                    if any(msg[p:end]):
                        raise Malformed("non-zero padding in set %d" % sid)
            else:
                raise Malformed("reserved set id %d" % sid)
            off = end
        self.emit({"type": "message", "msg": i, "length": length,
                   "export_time": etime, "seq": seq, "domain": domain,
                   "records": records, "templates": tids})
        for line in lines:
            self.emit(line)
        self.nmsg += 1

    def stream(self, data):
        """Messages back to back, each with its own length."""
        off = 0
        while off < len(data):
            if len(data) - off < 4:
                raise Malformed("trailing %d bytes" % (len(data) - off))
            (length,) = struct.unpack_from("!H", data, off + 2)
            if length < 16 or off + length > len(data):
                raise Malformed("message length %d at %d" % (length, off))
            self.message(data[off:off + length])
            off += length


def main(argv):
    args = argv[1:]
    dec = Decoder(sys.stdout)
    try:
        if args and args[0] == "--udp":
            host, _, port = args[1].rpartition(":")
            count, timeout, save = 0, 5.0, None
            rest = args[2:]
            while rest:
                opt, val, rest = rest[0], rest[1], rest[2:]
                if opt == "--count":
                    count = int(val)
                elif opt == "--timeout":
                    timeout = float(val)
                elif opt == "--save":
                    save = val
                else:
                    raise SystemExit("decode: unknown option " + opt)
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.bind((host.strip("[]"), int(port)))
            s.settimeout(timeout)
            n = 0
            while not count or n < count:
                try:
                    data = s.recv(65535)
                except socket.timeout:
                    break
                if save:
                    with open(save, "ab") as f:
                        f.write(data)
                dec.message(data)
                sys.stdout.flush()
                n += 1
        else:
            for name in args:
                with open(name, "rb") as f:
                    dec.stream(f.read())
    except Malformed as e:
        sys.stdout.flush()
        print("decode: message %d: %s" % (dec.nmsg, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
