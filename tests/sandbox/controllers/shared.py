"""What the simulated clusters of one sandbox share: a directory beside their state dirs.

The source and destination management clusters are two apisim processes, but a migration's
world has things both of them see: the AWS account (the fake cloud's instances, load balancers,
DNS records and OIDC documents, `cloud.py`) and the hosted cluster's API endpoint, which kubelets
and clients reach through one fixed hostname whichever management cluster serves it. These live
as JSON files in the shared directory, read and written under an exclusive flock so the
processes never see half a write.
"""

import contextlib
import fcntl
import json
import os
import time


class Shared:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        os.makedirs(self.path, mode=0o700, exist_ok=True)

    def file(self, name):
        return os.path.join(self.path, name)

    @contextlib.contextmanager
    def locked(self, name, default=None):
        """Read-modify-write of JSON file `name`: yields its content (or `default`), and writes
        back what the block left in it, all under one exclusive lock."""
        path = self.file(name)
        with open(path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                try:
                    with open(path) as f:
                        data = json.load(f)
                except FileNotFoundError:
                    data = {} if default is None else default
                yield data
                tmp = path + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(data, f, indent=1, sort_keys=True)
                os.replace(tmp, path)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def read(self, name, default=None):
        with self.locked(name, default) as data:
            return json.loads(json.dumps(data))

    def append(self, name, record):
        """Appends one JSON line (a ledger entry) with the time it happened."""
        record = dict(record, t=round(time.time(), 3))
        with open(self.file(name) + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with open(self.file(name), "a") as f:
                    f.write(json.dumps(record, sort_keys=True) + "\n")
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def lines(self, name):
        try:
            with open(self.file(name)) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []
