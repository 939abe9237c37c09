"""The controller models of the sandbox (docs/kube.md, "The controllers").

Each module here models one real controller and lists its classes in `CONTROLLERS`; `start`
runs the ones an apisim instance was asked for (`--controllers`). base.py is the reconcile
loop they share, shared.py what the clusters of one sandbox share (the cloud, the hosted API).
"""

import importlib
import os
import pkgutil

from . import shared  # noqa: F401  (apisim reaches Shared as controllers.shared.Shared)

_SKIP = {"base", "shared"}


def registry():
    """name -> Controller class, over every module of this package."""
    out = {}
    for m in pkgutil.iter_modules([os.path.dirname(__file__)]):
        if m.name in _SKIP or m.name.startswith("test"):
            continue
        mod = importlib.import_module(__name__ + "." + m.name)
        for cls in getattr(mod, "CONTROLLERS", ()):
            out[cls.name] = cls
    return out


def parse_latencies(items):
    """["hypershift=1.5", "capi=0.2", "0.3"] -> ({"hypershift": 1.5, "capi": 0.2}, 0.3 or None)."""
    per, default = {}, None
    for item in items or ():
        name, eq, value = item.rpartition("=")
        try:
            seconds = float(value)
        except ValueError:
            raise SystemExit("apisim: --latency %s: not a number of seconds" % item)
        if eq:
            per[name] = seconds
        else:
            default = seconds
    return per, default


def start(cluster, stopping, names, latencies=(), shared_dir=None, role="management"):
    """Starts the controllers named in `names`: "none", a comma list, or "all" (every model whose
    `role` is this cluster's: a management cluster's or a hosted cluster's). Returns them."""
    reg = registry()
    if names in (None, "", "none"):
        return []
    wanted = sorted(n for n, c in reg.items() if c.role == role) if names == "all" else \
        [n for n in names.split(",") if n]
    unknown = [n for n in wanted if n not in reg]
    if unknown:
        raise SystemExit("apisim: --controllers: unknown %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(reg))))
    per, default = parse_latencies(latencies)
    # Every NAME=S, also those that name a model's option rather than a model (e.g.
    # control-plane-operator.etcd-pre-9048=1, cpo.py): a model reads its own there.
    cluster.sandbox.setdefault("settings", dict(per))
    started = []
    for n in wanted:
        ctl = reg[n](cluster, stopping, per.get(n, default), shared_dir)
        ctl.start()
        started.append(ctl)
    return started
