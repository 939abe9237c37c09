#!/usr/bin/env python3
"""A stand-in for Route53's ListResourceRecordSets that really verifies SigV4 (with botocore).

It serves one hosted zone whose records under the test domain disappear over time, as ExternalDNS
removes them once the Routes are deleted: after every `--drain-every` listings that start at the
domain, one more record goes, until `--keep` remain. Pages hold `maxitems` records (default 2 here,
to exercise pagination), continued with NextRecordName/NextRecordType. A request whose signature
does not verify gets 403 SignatureDoesNotMatch. It prints its port on stdout, then serves until
killed.

usage: fake_route53.py ZONE_ID DOMAIN RECORDS --keep N --drain-every K [--secret S]
"""
import argparse
import datetime
import http.server
import os
import threading
import urllib.parse
from unittest import mock

import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest

STATE = {"lock": threading.Lock(), "listings": 0}


def reversed_labels(name):
    return name.rstrip(".").lower().split(".")[::-1]


def verify(handler, secret):
    auth = handler.headers.get("Authorization", "")
    try:
        access_key = auth.split("Credential=")[1].split("/")[0]
        sent = auth.split("Signature=")[1]
        amz_date = handler.headers["X-Amz-Date"]
    except (IndexError, KeyError):
        return False
    url = f"http://{handler.headers['Host']}{handler.path}"
    req = AWSRequest(method=handler.command, url=url, headers={"Host": handler.headers["Host"]})
    when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    signer = botocore.auth.SigV4Auth(botocore.credentials.Credentials(access_key, secret), "route53", "us-east-1")
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        signer.add_auth(req)
    return req.headers["Authorization"].split("Signature=")[1] == sent


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        cfg = self.server.cfg
        if not verify(self, cfg.secret):
            return self.reply(403, "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
                                   "<Message>The request signature we calculated does not match</Message></Error>"
                                   "<RequestId>fake</RequestId></ErrorResponse>")
        parsed = urllib.parse.urlsplit(self.path)
        if parsed.path != f"/2013-04-01/hostedzone/{cfg.zone}/rrset":
            return self.reply(404, "<ErrorResponse><Error><Code>NoSuchHostedZone</Code>"
                                   f"<Message>No hosted zone found with ID: {parsed.path}</Message></Error>"
                                   "</ErrorResponse>")
        q = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        start = q.get("name", "")
        start_type = q.get("type", "")
        maxitems = int(q.get("maxitems", "2"))
        with STATE["lock"]:
            if start.rstrip(".").lower() == cfg.domain and not start_type:
                STATE["listings"] += 1
            drained = max(0, STATE["listings"] - 1) // cfg.drain_every  # the first listing sees them all
            under = [r for r in cfg.records if r[0].endswith(cfg.domain)]
            others = [r for r in cfg.records if not r[0].endswith(cfg.domain)]
            keep = max(cfg.keep, len(under) - drained)
            live = sorted(under[:keep] + others, key=lambda r: (reversed_labels(r[0]), r[1]))
        key = (reversed_labels(start), start_type)
        rest = [r for r in live if (reversed_labels(r[0]), r[1] if start_type else "") >= key]
        page, more = rest[:maxitems], rest[maxitems:]
        items = "".join(f"<ResourceRecordSet><Name>{n.replace('*', chr(92) + '052')}.</Name><Type>{t}</Type>"
                        "<TTL>300</TTL></ResourceRecordSet>" for n, t in page)
        tail = "<IsTruncated>false</IsTruncated>"
        if more:
            tail = (f"<IsTruncated>true</IsTruncated><NextRecordName>{more[0][0]}.</NextRecordName>"
                    f"<NextRecordType>{more[0][1]}</NextRecordType>")
        self.reply(200, '<?xml version="1.0"?>\n<ListResourceRecordSetsResponse '
                        'xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
                        f"<ResourceRecordSets>{items}</ResourceRecordSets>{tail}<MaxItems>{maxitems}</MaxItems>"
                        "</ListResourceRecordSetsResponse>")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("zone")
    ap.add_argument("domain")
    ap.add_argument("records", help="comma-separated name/TYPE, e.g. api.d/A,*.apps.d/CNAME")
    ap.add_argument("--keep", type=int, default=2)
    ap.add_argument("--drain-every", type=int, default=1)
    ap.add_argument("--secret", default="route53-test-secret")
    cfg = ap.parse_args()
    cfg.domain = cfg.domain.rstrip(".").lower()
    cfg.records = [tuple(r.split("/")) for r in cfg.records.split(",")]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.cfg = cfg
    # One write, then stdout is closed: the test reads the port and stops listening.
    os.write(1, f"{server.server_address[1]}\n".encode())
    os.close(1)
    server.serve_forever()


if __name__ == "__main__":
    main()
