#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Test payment provider for muispd's online plug-in (HTTP/JSON).

usage: provider.py PORTFILE
Listens on 127.0.0.1 (ephemeral port, written to PORTFILE), accounts:
tok-good (1000), tok-poor (5).  POST /authorize holds an amount, POST
/capture takes the charge and releases the rest, GET /ledger dumps state.
POST /fail-captures {"count": N} makes the next N captures fail (HTTP 503),
so a settlement's refund fails and muispd keeps the contract in settlement.
POST /hold makes every /authorize wait (GET /ledger counts them in
"waiting") until POST /release: a slow provider, for as long as the test
wants.  Requests are served each on its own thread.
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

accounts = {"tok-good": 1000, "tok-poor": 5, "tok-slow": 100}
holds = {}      # id -> {token, amount, captured, reference}
seq = [0]
fail_captures = [0]
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
                                 "waiting": waiting[0]})
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
                          "reference": req.get("reference")}
            return self.reply(200, {"status": "authorized", "id": tid})
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
            if not h or h["captured"] is not None or \
                    not isinstance(amt, int) or not 0 <= amt <= h["amount"]:
                return self.reply(409, {"status": "error"})
            h["captured"] = amt
            accounts[h["token"]] += h["amount"] - amt
            return self.reply(200, {"status": "captured", "id": req["id"],
                                    "released": h["amount"] - amt})
        self.reply(404, {"status": "error"})


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % srv.server_address[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
