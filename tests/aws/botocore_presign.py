#!/usr/bin/env python3
"""Presigns S3 URLs with botocore at a fixed time, for ferry's comparison test.

Reads a JSON list of cases from the file named by argv[1] (access_key, secret_key, token,
region, endpoint_url, addressing_style, bucket, key, method, expires, unix_time) and prints a
JSON list of the URLs botocore makes for them, in the same order.
"""
import datetime
import json
import sys
from unittest import mock

import botocore.auth
import botocore.session
from botocore.config import Config

_SESSION = botocore.session.get_session()


_clients = {}


def client_for(case):
    """One client per distinct setup: making one is what takes the time."""
    setup = tuple(case.get(k) for k in ("region", "endpoint_url", "access_key", "secret_key", "token",
                                         "addressing_style"))
    if setup not in _clients:
        _clients[setup] = _SESSION.create_client(
            "s3",
            region_name=case["region"],
            endpoint_url=case.get("endpoint_url") or None,
            aws_access_key_id=case["access_key"],
            aws_secret_access_key=case["secret_key"],
            aws_session_token=case.get("token") or None,
            config=Config(signature_version="s3v4", s3={"addressing_style": case["addressing_style"]}),
        )
    return _clients[setup]


def presign(case):
    fixed = datetime.datetime.fromtimestamp(case["unix_time"], datetime.timezone.utc).replace(tzinfo=None)
    client = client_for(case)
    operation = {"GET": "get_object", "PUT": "put_object"}[case["method"]]
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=fixed):
        return client.generate_presigned_url(
            operation, Params={"Bucket": case["bucket"], "Key": case["key"]}, ExpiresIn=case["expires"])


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    print(json.dumps([presign(c) for c in cases]))


if __name__ == "__main__":
    main()
