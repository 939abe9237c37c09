#!/usr/bin/env python3
"""An HTTP proxy in front of the test S3 server that fails requests at random.

Faults, each before the request reaches the server unless noted: 500 InternalError, 503 SlowDown,
400 RequestTimeout, a connection reset while the request body is still arriving, and a reset
after the server answered (except CompleteMultipartUpload: s3rver crashes when a completion is
repeated for parts it already consumed). The Host header is passed through unchanged, so SigV4
signatures made for the proxy's address verify at the server.

Control (not proxied): POST /__proxy/faults?rate=0.3 sets the fault rate; GET /__proxy/log
returns one line per proxied request ("METHOD PATH?QUERY -> STATUS|fault"); DELETE /__proxy/log
clears it.

usage: fault_proxy.py LISTEN_PORT UPSTREAM_PORT [--rate R] [--seed N]
"""
import argparse
import http.client
import http.server
import random
import socket
import struct
import threading
import urllib.parse

STATE = {"rate": 0.0, "log": [], "lock": threading.Lock(), "rng": random.Random(0), "upstream": 0}

ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "SlowDown", "Please reduce your request rate."),
    "400": (400, "RequestTimeout", "Your socket connection to the server was not read from or written to "
                                   "within the timeout period."),
}


def log(line):
    with STATE["lock"]:
        STATE["log"].append(line)


def pick_fault(method, is_completion):
    with STATE["lock"]:
        if STATE["rng"].random() >= STATE["rate"]:
            return None
        faults = ["500", "503", "reset_during_body"]
        if method != "HEAD":  # a HEAD answer has no body to carry RequestTimeout's code
            faults.append("400")
        if not is_completion:
            faults.append("reset_after_answer")
        return STATE["rng"].choice(faults)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the request log is the test's record
        pass

    def reset(self):
        """Closes the connection with a TCP RST, as a broken network does."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def read_body(self, limit=None):
        n = int(self.headers.get("Content-Length") or 0)
        if limit is not None:
            n = min(n, limit)
        return self.rfile.read(n) if n else b""

    def send_plain(self, status, body, content_type="text/plain"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def control(self, parsed):
        if parsed.path == "/__proxy/faults":
            rate = float(urllib.parse.parse_qs(parsed.query).get("rate", ["0"])[0])
            with STATE["lock"]:
                STATE["rate"] = rate
            self.read_body()
            self.send_plain(200, b"ok\n")
        elif parsed.path == "/__proxy/log" and self.command == "GET":
            with STATE["lock"]:
                body = ("\n".join(STATE["log"]) + "\n").encode()
            self.send_plain(200, body)
        elif parsed.path == "/__proxy/log" and self.command == "DELETE":
            with STATE["lock"]:
                STATE["log"].clear()
            self.send_plain(200, b"ok\n")
        else:
            self.send_plain(404, b"unknown control path\n")

    def handle_any(self):
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path.startswith("/__proxy/"):
            return self.control(parsed)
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        is_completion = self.command == "POST" and "uploadId" in query
        what = f"{self.command} {self.path}"
        fault = pick_fault(self.command, is_completion)
        if fault == "reset_during_body":
            self.read_body(limit=1024)
            log(f"{what} -> fault:reset")
            return self.reset()
        body = self.read_body()
        if fault in ERRORS:
            status, code, message = ERRORS[fault]
            log(f"{what} -> fault:{status} {code}")
            xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                   f"<Message>{message}</Message><RequestId>proxy</RequestId></Error>").encode()
            return self.send_plain(status, xml, "application/xml")
        upstream = http.client.HTTPConnection("127.0.0.1", STATE["upstream"], timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in headers.items():
            upstream.putheader(k, v)
        upstream.endheaders(body if body else None)
        resp = upstream.getresponse()
        data = resp.read()
        upstream.close()
        if fault == "reset_after_answer":
            log(f"{what} -> {resp.status} then fault:reset")
            return self.reset()
        log(f"{what} -> {resp.status}")
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "keep-alive"):
                self.send_header(k, v)
        self.send_header("Content-Length", resp.getheader("Content-Length") if self.command == "HEAD"
                         else str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen_port", type=int)
    ap.add_argument("upstream_port", type=int)
    ap.add_argument("--rate", type=float, default=0.0)
    ap.add_argument("--seed", type=int, default=None, help="for a reproducible run (default: random)")
    args = ap.parse_args()
    STATE["rate"] = args.rate
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    print(f"fault_proxy: seed {seed}", flush=True)
    STATE["rng"] = random.Random(seed)
    STATE["upstream"] = args.upstream_port
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.listen_port), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
