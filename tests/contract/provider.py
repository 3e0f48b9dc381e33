#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Test payment provider for muispd's online plug-in (HTTP(S)/JSON).

usage: provider.py PORTFILE [CERT KEY [ADDR PORT]]
Listens on 127.0.0.1 (ephemeral port), or on ADDR:PORT.  With CERT and KEY
(PEM) the port speaks HTTPS, and a second, plain-HTTP port on 127.0.0.1
serves the same requests for the test harness; PORTFILE gets "PORT" or
"PORT CONTROLPORT".
Accounts: tok-good (1000), tok-poor (5), tok-slow, tok-void, tok-hang,
tok-ca (100).

POST /authorize holds an amount and answers with its id, the amount and
the reference; POST /capture takes the charge and releases the rest; POST
/void {"reference": R[, "id": ID]} releases every uncaptured hold of R and
declines any later authorisation of R (a void is final for a reference);
GET /ledger dumps state.
POST /fail-captures {"count": N} makes the next N captures fail (HTTP 503),
so a settlement's refund fails and muispd keeps the contract in settlement.
POST /hold makes every /authorize wait (GET /ledger counts them in
"waiting") until POST /release: a slow (or hanging) provider, for as long
as the test wants.  POST /mode {"authorize": "ok" | "wrong-amount" |
"not-authorized"}: how /authorize answers from now on (the two last with
a 200 whose body does not authorise what was asked, after holding the
money).  Requests are served each on its own thread.
"""
import json
import os
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

accounts = {"tok-good": 1000, "tok-poor": 5, "tok-slow": 100,
            "tok-void": 100, "tok-hang": 100, "tok-ca": 100}
holds = {}      # id -> {token, amount, captured, reference, voided}
voided = []     # references voided, in order
seq = [0]
fail_captures = [0]
mode = ["ok"]
lock = threading.Lock()         # the state above
gate = threading.Event()        # clear: /authorize waits
gate.set()
waiting = [0]


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/ledger":
            with lock:
                self.reply(200, {"accounts": accounts, "holds": holds,
                                 "waiting": waiting[0], "voided": voided})
        else:
            self.reply(404, {"status": "error"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        try:
            req = json.loads(self.rfile.read(n))
        except ValueError:
            return self.reply(400, {"status": "error", "reason": "bad json"})
        if self.path == "/hold":
            gate.clear()
            return self.reply(200, {"status": "ok"})
        if self.path == "/release":
            gate.set()
            return self.reply(200, {"status": "ok"})
        if self.path == "/authorize" and not gate.is_set():
            with lock:
                waiting[0] += 1
            gate.wait()
            with lock:
                waiting[0] -= 1
        with lock:
            return self.post(req)

    def post(self, req):
        if self.path == "/authorize":
            tok, amt = req.get("token"), req.get("amount")
            ref = req.get("reference")
            if ref in voided:
                return self.reply(402, {"status": "declined",
                                        "reason": "voided"})
            if tok not in accounts or not isinstance(amt, int) or amt < 0:
                return self.reply(402, {"status": "declined",
                                        "reason": "unknown account"})
            if accounts[tok] < amt:
                return self.reply(402, {"status": "declined",
                                        "reason": "insufficient funds"})
            accounts[tok] -= amt
            seq[0] += 1
            tid = "tx-%d" % seq[0]
            holds[tid] = {"token": tok, "amount": amt, "captured": None,
                          "reference": ref, "voided": False}
            ans = {"status": "authorized", "id": tid, "amount": amt,
                   "reference": ref}
            if mode[0] == "wrong-amount":
                ans["amount"] = amt + 1
            elif mode[0] == "not-authorized":
                ans["status"] = "pending"
            return self.reply(200, ans)
        if self.path == "/mode":
            m = req.get("authorize")
            if m not in ("ok", "wrong-amount", "not-authorized"):
                return self.reply(400, {"status": "error"})
            mode[0] = m
            return self.reply(200, {"status": "ok"})
        if self.path == "/fail-captures":
            n = req.get("count")
            if not isinstance(n, int) or n < 0:
                return self.reply(400, {"status": "error"})
            fail_captures[0] = n
            return self.reply(200, {"status": "ok"})
        if self.path == "/capture":
            if fail_captures[0] > 0:
                fail_captures[0] -= 1
                return self.reply(503, {"status": "error",
                                        "reason": "unavailable"})
            h = holds.get(req.get("id"))
            amt = req.get("amount")
            if not h or h["captured"] is not None or h["voided"] or \
                    not isinstance(amt, int) or not 0 <= amt <= h["amount"]:
                return self.reply(409, {"status": "error"})
            h["captured"] = amt
            accounts[h["token"]] += h["amount"] - amt
            return self.reply(200, {"status": "captured", "id": req["id"],
                                    "amount": amt,
                                    "released": h["amount"] - amt})
        if self.path == "/void":
            ref = req.get("reference")
            if not isinstance(ref, str):
                return self.reply(400, {"status": "error"})
            for h in holds.values():
                if h["reference"] == ref and h["captured"] is None and \
                        not h["voided"]:
                    h["voided"] = True
                    accounts[h["token"]] += h["amount"]
            if ref not in voided:
                voided.append(ref)
            return self.reply(200, {"status": "voided", "reference": ref})
        self.reply(404, {"status": "error"})


bind = (sys.argv[4], int(sys.argv[5])) if len(sys.argv) == 6 else \
    ("127.0.0.1", 0)
class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A held /authorize answered after muispd gave up on it (the
        # hanging-provider test): the peer is gone, which is the point.
        if isinstance(sys.exc_info()[1], (BrokenPipeError,
                                          ConnectionResetError,
                                          ssl.SSLEOFError)):
            return
        super().handle_error(request, client_address)


srv = Server(bind, H)
ports = "%d" % srv.server_address[1]
if len(sys.argv) >= 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    ctl = Server(("127.0.0.1", 0), H)
    threading.Thread(target=ctl.serve_forever, daemon=True).start()
    ports += " %d" % ctl.server_address[1]
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(ports + "\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
