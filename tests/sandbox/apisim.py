#!/usr/bin/env python3
"""apisim: a Kubernetes API server simulator that the real kubectl talks to (Python 3 stdlib only).

One process is one cluster: HTTPS with a self-signed CA (made with the openssl CLI in the state
dir), bearer-token auth, legacy discovery, a stub /openapi/v3, CRUD + watch for built-in kinds and
for the custom kinds loaded from real CRD files (validated against their OpenAPI schemas and CEL
rules), merge / JSON / strategic-merge / server-side-apply patches, the scale and status
subresources, finalizers and namespace deletion, Table output, and pods/exec over WebSocket
(v5.channel.k8s.io) running the command as a real local process in the pod's own directory.

    python3 apisim.py --state-dir DIR [--fixture F.json] [--crds DIR ...] [--port 0] [--ready-file F]
                      [--name NAME] [--token TOKEN]

Once it listens, it writes its kubeconfig to DIR/kubeconfig and prints (and writes to the ready
file) one JSON line: {"name", "url", "port", "kubeconfig", "token", "ca", "pid", "state_dir"}.
SIGTERM or SIGINT stops it cleanly (exec'd processes are killed).
See docs/kube.md, "The sandbox".
"""

import argparse
import base64
import copy
import datetime
import glob
import hashlib
import http.server
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Run as a script this module is __main__; the controller models import it as `apisim`: one module
# object either way, so they see the same classes (an ApiError raised here is the one they catch).
sys.modules.setdefault("apisim", sys.modules[__name__])
import controllers  # noqa: E402
import simetcd  # noqa: E402
import simproto  # noqa: E402
import simschema  # noqa: E402
import simyaml  # noqa: E402

SERVER_VERSION = {
    "major": "1", "minor": "32", "gitVersion": "v1.32.5", "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean", "buildDate": "2025-05-15T00:00:00Z", "goVersion": "go1.23.8",
    "compiler": "gc", "platform": "linux/amd64",
}

TABLE_COLUMN_AGE = {"name": "Age", "type": "string", "format": "", "priority": 0,
                    "description": "CreationTimestamp is a timestamp representing the server time when this object was created."}
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
DEFAULT_ROOTED_PATHS = ["/var/lib/data", "/etc/etcd/tls"]


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    try:
        return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def human_duration(seconds):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < 0:
        return "<invalid>"
    if s < 60 * 2:
        return "%ds" % s
    m = s // 60
    if m < 10:
        return "%dm%ds" % (m, s % 60) if s % 60 else "%dm" % m
    if m < 60 * 3:
        return "%dm" % m
    h = s // 3600
    if h < 8:
        return "%dh%dm" % (h, m % 60) if m % 60 else "%dh" % h
    if h < 48:
        return "%dh" % h
    if h < 24 * 8:
        return "%dd%dh" % (h // 24, h % 24) if h % 24 else "%dd" % (h // 24)
    if h < 24 * 365 * 2:
        return "%dd" % (h // 24)
    if h < 24 * 365 * 8:
        return "%dy%dd" % (h // 24 // 365, (h // 24) % 365)
    return "%dy" % (h // 24 // 365)


# --------------------------------------------------------------------------------------------
# Errors


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": self.message, "reason": self.reason, "code": self.code}
        if self.details is not None:
            st["details"] = self.details
        return st


def _gr(rt):
    return rt.plural + ("." + rt.group if rt.group else "")


def err_not_found(rt, name):
    return ApiError(404, "NotFound", '%s "%s" not found' % (_gr(rt), name),
                    {"name": name, "group": rt.group, "kind": rt.plural})


def err_already_exists(rt, name):
    return ApiError(409, "AlreadyExists", '%s "%s" already exists' % (_gr(rt), name),
                    {"name": name, "group": rt.group, "kind": rt.plural})


def err_conflict(rt, name):
    return ApiError(409, "Conflict",
                    'Operation cannot be fulfilled on %s "%s": the object has been modified; please apply your '
                    "changes to the latest version and try again" % (_gr(rt), name),
                    {"name": name, "group": rt.group, "kind": rt.plural})


def err_invalid(rt, name, field_errors):
    """field_errors: list of (field, reason, body). Message as apierrors.NewInvalid."""
    seen = []
    for f, r, b in field_errors:
        s = "%s: %s" % (f, b)
        if s not in seen:
            seen.append(s)
    agg = seen[0] if len(seen) == 1 else "[" + ", ".join(seen) + "]"
    gk = rt.kind + ("." + rt.group if rt.group else "")
    return ApiError(422, "Invalid", '%s "%s" is invalid: %s' % (gk, name, agg),
                    {"name": name, "group": rt.group, "kind": rt.kind,
                     "causes": [{"reason": r, "message": b, "field": f} for f, r, b in field_errors]})


def err_bad_request(message):
    return ApiError(400, "BadRequest", message)


def err_method_not_allowed():
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def err_unsupported_patch():
    return ApiError(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: "
                    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")


# --------------------------------------------------------------------------------------------
# Resource types


class ResourceType:
    def __init__(self, group, versions, kind, plural, singular, namespaced, short_names=(),
                 status=False, scale=None, schemas=None, printer_columns=None, categories=(),
                 extra_subresources=(), storage_version=None):
        self.group = group
        self.versions = list(versions)          # served versions, preferred first
        self.kind = kind
        self.plural = plural
        self.singular = singular
        self.namespaced = namespaced
        self.short_names = list(short_names)
        self.status = status
        self.scale = scale                      # {specReplicasPath, statusReplicasPath, labelSelectorPath}
        self.schemas = schemas or {}            # version -> openAPIV3Schema
        self.printer_columns = printer_columns or {}  # version -> list
        self.categories = list(categories)
        self.extra_subresources = list(extra_subresources)
        self.storage_version = storage_version or self.versions[0]
        self.custom = bool(schemas)

    @property
    def key(self):
        return (self.group, self.plural)

    def api_version(self, version):
        return "%s/%s" % (self.group, version) if self.group else version


METADATA_FIELDS = {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
                   "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
                   "ownerReferences", "finalizers", "managedFields"}

# top-level fields of the built-in kinds (besides apiVersion, kind, metadata), for unknown-field checks
BUILTIN_FIELDS = {
    "namespaces": {"spec", "status"}, "configmaps": {"data", "binaryData", "immutable"},
    "secrets": {"data", "stringData", "type", "immutable"}, "pods": {"spec", "status"},
    "nodes": {"spec", "status"}, "services": {"spec", "status"}, "deployments": {"spec", "status"},
    "statefulsets": {"spec", "status"}, "routes": {"spec", "status"},
    "serviceaccounts": {"secrets", "imagePullSecrets", "automountServiceAccountToken"},
    "events": {"action", "count", "eventTime", "firstTimestamp", "involvedObject", "lastTimestamp", "message",
               "reason", "related", "reportingComponent", "reportingInstance", "series", "source", "type"},
    "clusterversions": {"spec", "status"}, "leases": {"spec"},
}


# coordination/v1 LeaseSpec: its fields and their Go types, for the decoder's rules.
LEASE_SPEC_FIELDS = {"holderIdentity": "string", "leaseDurationSeconds": "int32", "acquireTime": "MicroTime",
                     "renewTime": "MicroTime", "leaseTransitions": "int32", "strategy": "string",
                     "preferredHolder": "string"}
# metav1.RFC3339Micro: MicroTime.UnmarshalJSON takes exactly this (six fraction digits, any zone);
# MarshalJSON writes it back in UTC.
MICRO_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{6})(Z|[+-]\d{2}:\d{2})$")


def go_json_kind(v, numeric_field=False):
    """How encoding/json's UnmarshalTypeError names a JSON value: "number 1.5" for a number that
    does not fit a numeric field, plain "number" in a field of another type."""
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number %s" % json.dumps(v) if numeric_field else "number"
    return {str: "string", list: "array", dict: "object"}.get(type(v), "value")


def lease_spec_problems(obj):
    """A Lease's spec as the API server reads and validates it (apimachinery's MicroTime,
    pkg/apis/coordination/validation ValidateLeaseSpec). Raises 400 for what cannot be decoded;
    returns (unknown fields, field errors) and normalizes the times to UTC in place."""
    spec = obj.get("spec")
    if spec is None:
        return [], []
    if not isinstance(spec, dict):
        raise err_bad_request('Lease in version "v1" cannot be handled as a Lease: json: cannot unmarshal %s into '
                              "Go struct field Lease.spec of type v1.LeaseSpec" % simschema._type_name(spec))
    unknown = []
    for k in list(spec):
        go_type = LEASE_SPEC_FIELDS.get(k)
        v = spec[k]
        if go_type is None:
            unknown.append("spec." + k)
            del spec[k]
        elif v is None:
            del spec[k]         # every LeaseSpec field is a pointer with omitempty
        elif go_type == "int32" and (not isinstance(v, int) or isinstance(v, bool) or not -2**31 <= v < 2**31):
            raise err_bad_request('Lease in version "v1" cannot be handled as a Lease: json: cannot unmarshal %s '
                                  "into Go struct field LeaseSpec.spec.%s of type int32" % (go_json_kind(v, True), k))
        elif go_type in ("string", "MicroTime") and not isinstance(v, str):
            raise err_bad_request('Lease in version "v1" cannot be handled as a Lease: json: cannot unmarshal %s '
                                  "into Go struct field LeaseSpec.spec.%s of type %s"
                                  % (go_json_kind(v), k, "string" if go_type == "string" else "v1.MicroTime"))
        elif go_type == "MicroTime":
            m = MICRO_TIME.match(v)
            try:
                when = datetime.datetime.fromisoformat(v.replace("Z", "+00:00")) if m else None
            except ValueError:
                when = None
            if when is None:
                raise err_bad_request('Lease in version "v1" cannot be handled as a Lease: parsing time "%s" as '
                                      '"2006-01-02T15:04:05.000000Z07:00": cannot parse "%s" as ".000000"'
                                      % (v, v[19:]))
            spec[k] = when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    # strategy and preferredHolder belong to the CoordinatedLeaderElection feature gate, off by
    # default in 1.32: the server drops them on write (dropDisabledFields)
    spec.pop("strategy", None)
    spec.pop("preferredHolder", None)
    errs = []
    if spec.get("leaseDurationSeconds", 1) <= 0:
        errs.append(("spec.leaseDurationSeconds", "FieldValueInvalid",
                     "Invalid value: %d: must be greater than 0" % spec["leaseDurationSeconds"]))
    if spec.get("leaseTransitions", 0) < 0:
        errs.append(("spec.leaseTransitions", "FieldValueInvalid",
                     "Invalid value: %d: must be greater than or equal to 0" % spec["leaseTransitions"]))
    return unknown, errs


REVIEWS = {
    "selfsubjectaccessreviews": {"allowed": True, "reason": "apisim: one token, all rights"},
    "selfsubjectreviews": {"userInfo": {"username": "system:admin", "groups": ["system:masters",
                                                                              "system:authenticated"]}},
}


def obj_version(t, obj, default):
    """The version an object is written in: its own apiVersion when the type serves it (custom
    kinds keep the version they were written in: the simulator does no conversion)."""
    av = obj.get("apiVersion", "") if isinstance(obj, dict) else ""
    g, _, v = av.rpartition("/")
    if g == t.group and v in t.versions:
        return v
    return default


def builtin_types():
    T = ResourceType
    return [
        T("", ["v1"], "Namespace", "namespaces", "namespace", False, ["ns"], status=True),
        T("", ["v1"], "Secret", "secrets", "secret", True),
        T("", ["v1"], "ConfigMap", "configmaps", "configmap", True, ["cm"]),
        T("", ["v1"], "Pod", "pods", "pod", True, ["po"], status=True, categories=["all"],
          extra_subresources=["exec", "log"]),
        T("", ["v1"], "Node", "nodes", "node", False, ["no"], status=True),
        T("", ["v1"], "Service", "services", "service", True, ["svc"], status=True, categories=["all"]),
        T("", ["v1"], "ServiceAccount", "serviceaccounts", "serviceaccount", True, ["sa"]),
        T("apps", ["v1"], "Deployment", "deployments", "deployment", True, ["deploy"], status=True,
          scale={"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                 "labelSelectorPath": ".status.selector"}, categories=["all"]),
        T("apps", ["v1"], "StatefulSet", "statefulsets", "statefulset", True, ["sts"], status=True,
          scale={"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas",
                 "labelSelectorPath": ".status.selector"}, categories=["all"]),
        T("route.openshift.io", ["v1"], "Route", "routes", "route", True, status=True),
        T("coordination.k8s.io", ["v1"], "Lease", "leases", "lease", True),
        T("", ["v1"], "Event", "events", "event", True, ["ev"]),
        T("authorization.k8s.io", ["v1"], "SelfSubjectAccessReview", "selfsubjectaccessreviews",
          "selfsubjectaccessreview", False),
        T("authentication.k8s.io", ["v1"], "SelfSubjectReview", "selfsubjectreviews", "selfsubjectreview", False),
        T("config.openshift.io", ["v1"], "ClusterVersion", "clusterversions", "clusterversion", False,
          status=True),
        T("apiextensions.k8s.io", ["v1"], "CustomResourceDefinition", "customresourcedefinitions",
          "customresourcedefinition", False, ["crd", "crds"], status=True),
    ]


def _version_priority(v):
    m = re.match(r"^v(\d+)(?:(alpha|beta)(\d+))?$", v)
    if not m:
        return (0, 0, 0, v)
    major = int(m.group(1))
    stab = {"alpha": 1, "beta": 2, None: 3}[m.group(2)]
    return (stab, major, int(m.group(3) or 0), v)


def _parsed_crd_files(crd_dir):
    """[(path, [documents])] for the CRD files; parsed YAML is cached as JSON by content hash in
    $APISIM_CACHE_DIR (default ~/.cache/ferry-apisim), since parsing takes ~0.5 s per start."""
    paths = sorted(glob.glob(os.path.join(crd_dir, "*.yaml")) + glob.glob(os.path.join(crd_dir, "*.yml"))
                   + glob.glob(os.path.join(crd_dir, "*.json")))
    texts = []
    for path in paths:
        with open(path) as f:
            texts.append(f.read())
    with open(simyaml.__file__, "rb") as f:
        parser = f.read()    # a change to the parser invalidates the cache
    digest = hashlib.sha256(parser + ("\0".join(os.path.basename(p) for p in paths) + "\0" + "\0".join(texts))
                            .encode()).hexdigest()[:32]
    cache_dir = os.environ.get("APISIM_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "ferry-apisim")
    cache = os.path.join(cache_dir, "crds-%s.json" % digest)
    try:
        with open(cache) as f:
            return json.load(f)
    except (OSError, ValueError):
        pass
    out = [(p, [json.loads(t)] if p.endswith(".json") else simyaml.load_all(t)) for p, t in zip(paths, texts)]
    try:
        os.makedirs(cache_dir, exist_ok=True)
        tmp = "%s.%d.tmp" % (cache, os.getpid())
        with open(tmp, "w") as f:
            json.dump(out, f)
        os.replace(tmp, cache)
    except OSError:
        pass
    return out


def load_crds(crd_dir):
    types, docs = [], []
    for path, parsed in _parsed_crd_files(crd_dir):
        for crd in parsed:
            if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
                continue
            docs.append(crd)
            s = crd["spec"]
            names = s["names"]
            served = [v for v in s["versions"] if v.get("served", True)]
            served.sort(key=lambda v: _version_priority(v["name"]), reverse=True)
            storage = next((v["name"] for v in s["versions"] if v.get("storage")), served[0]["name"])
            subres = {}
            for v in served:
                subres.update(v.get("subresources") or {})
            types.append(ResourceType(
                s["group"], [v["name"] for v in served], names["kind"], names["plural"],
                names.get("singular", names["kind"].lower()), s.get("scope", "Namespaced") == "Namespaced",
                names.get("shortNames") or [], status="status" in subres, scale=subres.get("scale"),
                schemas={v["name"]: (v.get("schema") or {}).get("openAPIV3Schema") or {"type": "object",
                         "x-kubernetes-preserve-unknown-fields": True} for v in served},
                printer_columns={v["name"]: v.get("additionalPrinterColumns") for v in served},
                categories=names.get("categories") or [], storage_version=storage))
    return types, docs


# --------------------------------------------------------------------------------------------
# Small helpers: JSONPath for printer columns and scale paths, selectors, patches


def jsonpath_get(obj, path):
    """Evaluates the simple JSONPath used by printer columns: .a.b, [N], [*], [?(@.k=="v")]."""
    tokens = re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+|\*|\?\(@\.[A-Za-z0-9_.]+\s*(?:==|!=)\s*(?:\"[^\"]*\"|'[^']*'|[^)]*)\))\]",
                        path)
    vals = [obj]
    for name, idx in tokens:
        nxt = []
        for v in vals:
            if name:
                if isinstance(v, dict) and name in v:
                    nxt.append(v[name])
            elif idx == "*":
                if isinstance(v, list):
                    nxt.extend(v)
            elif idx.isdigit():
                if isinstance(v, list) and int(idx) < len(v):
                    nxt.append(v[int(idx)])
            else:
                m = re.match(r"\?\(@\.([A-Za-z0-9_.]+)\s*(==|!=)\s*(.*)\)$", idx)
                key, op, lit = m.group(1), m.group(2), m.group(3).strip().strip("\"'")
                if isinstance(v, list):
                    for it in v:
                        cur = it
                        for part in key.split("."):
                            cur = cur.get(part) if isinstance(cur, dict) else None
                        val = "" if cur is None else (cur if isinstance(cur, str) else json.dumps(cur))
                        if (val == lit) == (op == "=="):
                            nxt.append(it)
        vals = nxt
    return vals


def dotted_get(obj, path):
    cur = obj
    for p in [x for x in path.split(".") if x]:
        if not isinstance(cur, dict) or p not in cur:
            return None
        cur = cur[p]
    return cur


def dotted_set(obj, path, value):
    parts = [x for x in path.split(".") if x]
    cur = obj
    for p in parts[:-1]:
        if not isinstance(cur.get(p), dict):
            cur[p] = {}
        cur = cur[p]
    cur[parts[-1]] = value


def parse_label_selector(sel):
    reqs = []
    if not sel:
        return reqs
    parts, depth, cur = [], 0, ""
    for c in sel:
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    parts.append(cur)
    for p in parts:
        p = p.strip()
        if not p:
            continue
        m = re.match(r"^([A-Za-z0-9_./-]+)\s+(in|notin)\s+\((.*)\)$", p)
        if m:
            reqs.append((m.group(1), m.group(2), [x.strip() for x in m.group(3).split(",") if x.strip()]))
            continue
        m = re.match(r"^([A-Za-z0-9_./-]+)\s*(==|=|!=)\s*([A-Za-z0-9_.-]*)$", p)
        if m:
            reqs.append((m.group(1), "!=" if m.group(2) == "!=" else "=", [m.group(3)]))
            continue
        m = re.match(r"^(!?)([A-Za-z0-9_./-]+)$", p)
        if m:
            reqs.append((m.group(2), "!" if m.group(1) else "exists", []))
            continue
        raise err_bad_request('unable to parse requirement: found \'%s\', expected: identifier' % p)
    return reqs


def labels_match(labels, reqs):
    labels = labels or {}
    for key, op, vals in reqs:
        has = key in labels
        v = labels.get(key)
        if op == "=" and v != vals[0]:
            return False
        if op == "!=" and has and v == vals[0]:
            return False
        if op == "in" and (not has or v not in vals):
            return False
        if op == "notin" and has and v in vals:
            return False
        if op == "exists" and not has:
            return False
        if op == "!" and has:
            return False
    return True


def parse_field_selector(sel):
    reqs = []
    if not sel:
        return reqs
    for p in sel.split(","):
        p = p.strip()
        if not p:
            continue
        m = re.match(r"^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$", p)
        if not m:
            raise err_bad_request("invalid selector: '%s'; can't understand '%s'" % (sel, p))
        reqs.append((m.group(1), m.group(2) != "!=", m.group(3)))
    return reqs


def fields_match(obj, reqs):
    for path, eq, val in reqs:
        cur = dotted_get(obj, path)
        s = "" if cur is None else (cur if isinstance(cur, str) else json.dumps(cur))
        if (s == val) != eq:
            return False
    return True


def merge_patch(target, patch):
    """RFC 7386."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


# patchMergeKey of the built-in kinds' lists (k8s.io/api struct tags), by field name
SMP_MERGE_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
                  "volumes": "name", "env": "name", "imagePullSecrets": "name", "volumeMounts": "mountPath",
                  "volumeDevices": "devicePath", "ports": "containerPort", "conditions": "type",
                  "ownerReferences": "uid", "hostAliases": "ip", "topologySpreadConstraints": "topologyKey"}
SMP_MERGED_PRIMITIVE_LISTS = {"finalizers"}


def strategic_merge_patch(target, patch):
    """Strategic merge for the built-in kinds: lists with a merge key are merged by it, `finalizers`
    is a set, `$patch: replace|delete`, `$deleteFromPrimitiveList/`, `$retainKeys` and
    `$setElementOrder/` directives are understood."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k in ("$patch", "$retainKeys"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(out.get(field), list):
                out[field] = [x for x in out[field] if x not in (v or [])]
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list) and k in SMP_MERGE_KEYS and isinstance(out.get(k), list):
            key = SMP_MERGE_KEYS[k]
            merged = [copy.deepcopy(x) for x in out[k]]
            for item in v:
                if not isinstance(item, dict):
                    merged.append(copy.deepcopy(item))
                    continue
                idx = next((i for i, x in enumerate(merged) if isinstance(x, dict) and x.get(key) == item.get(key)),
                           None)
                if item.get("$patch") == "delete":
                    if idx is not None:
                        merged.pop(idx)
                elif idx is None:
                    merged.append({a: b for a, b in item.items() if not a.startswith("$")})
                else:
                    merged[idx] = strategic_merge_patch(merged[idx], item)
            out[k] = merged
        elif isinstance(v, list) and k in SMP_MERGED_PRIMITIVE_LISTS and isinstance(out.get(k), list):
            out[k] = out[k] + [x for x in v if x not in out[k]]
        elif isinstance(v, dict):
            merged = strategic_merge_patch(out.get(k), v)
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
        else:
            out[k] = copy.deepcopy(v)
    if "$retainKeys" in patch:
        out = {k: x for k, x in out.items() if k in patch["$retainKeys"]}
    return out


class JsonPatchError(Exception):
    pass


def _ptr_parts(ptr):
    if ptr == "":
        return []
    if not ptr.startswith("/"):
        raise JsonPatchError('invalid JSON pointer "%s"' % ptr)
    return [p.replace("~1", "/").replace("~0", "~") for p in ptr[1:].split("/")]


def _ptr_parent(doc, parts, op, path):
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise JsonPatchError('%s operation does not apply: doc is missing path: "%s": missing value' % (op, path))
    return cur


def json_patch(doc, ops):
    """RFC 6902, with the error texts of evanphx/json-patch as the API server reports them."""
    doc = copy.deepcopy(doc)
    if not isinstance(ops, list):
        raise err_bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    for op in ops:
        kind = op.get("op")
        path = op.get("path", "")
        parts = _ptr_parts(path)

        def get(ptr_parts, opname, p):
            cur = doc
            for q in ptr_parts:
                if isinstance(cur, dict) and q in cur:
                    cur = cur[q]
                elif isinstance(cur, list) and q.isdigit() and int(q) < len(cur):
                    cur = cur[int(q)]
                else:
                    raise JsonPatchError('%s operation does not apply: doc is missing path: "%s": missing value' % (opname, p))
            return cur

        def add(ptr_parts, value, p, opname="add"):
            nonlocal doc
            if not ptr_parts:
                doc = value
                return
            parent = _ptr_parent(doc, ptr_parts, opname, p)
            last = ptr_parts[-1]
            if isinstance(parent, dict):
                parent[last] = value
            elif isinstance(parent, list):
                if last == "-":
                    parent.append(value)
                elif last.isdigit() and int(last) <= len(parent):
                    parent.insert(int(last), value)
                else:
                    raise JsonPatchError('%s operation does not apply: doc is missing path: "%s": missing value' % (opname, p))
            else:
                raise JsonPatchError('%s operation does not apply: doc is missing path: "%s": missing value' % (opname, p))

        def remove(ptr_parts, p, opname="remove"):
            parent = _ptr_parent(doc, ptr_parts, opname, p)
            last = ptr_parts[-1] if ptr_parts else ""
            if isinstance(parent, dict) and last in parent:
                return parent.pop(last)
            if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
                return parent.pop(int(last))
            raise JsonPatchError('%s operation does not apply: doc is missing path: "%s": missing value' % (opname, p))

        if kind == "add":
            add(parts, copy.deepcopy(op.get("value")), path)
        elif kind == "remove":
            remove(parts, path)
        elif kind == "replace":
            if not parts:
                doc = copy.deepcopy(op.get("value"))
                continue
            get(parts, "replace", path)
            parent = _ptr_parent(doc, parts, "replace", path)
            last = parts[-1]
            if isinstance(parent, list):
                parent[int(last)] = copy.deepcopy(op.get("value"))
            else:
                parent[last] = copy.deepcopy(op.get("value"))
        elif kind == "move":
            frm = op.get("from", "")
            v = remove(_ptr_parts(frm), frm, "move")
            add(parts, v, path, "move")
        elif kind == "copy":
            frm = op.get("from", "")
            add(parts, copy.deepcopy(get(_ptr_parts(frm), "copy", frm)), path, "copy")
        elif kind == "test":
            cur = get(parts, "test", path)
            if cur != op.get("value"):
                raise JsonPatchError('testing value %s failed: test failed' % path)
        else:
            raise err_bad_request("Unexpected kind: %s" % kind)
    return doc


def _remove_dropped(obj, prev, cur):
    """Removes from obj the map keys present in prev (the last applied config) but not in cur."""
    if not isinstance(obj, dict) or not isinstance(prev, dict):
        return
    for k, pv in prev.items():
        if k in ("apiVersion", "kind") or (k == "name" and "uid" in obj):
            continue
        if not isinstance(cur, dict) or k not in cur:
            obj.pop(k, None)
        elif isinstance(pv, dict) and isinstance(cur.get(k), dict):
            _remove_dropped(obj.get(k), pv, cur[k])


def strip_for_compare(obj):
    o = copy.deepcopy(obj)
    md = o.get("metadata", {})
    for k in ("resourceVersion", "managedFields", "generation"):
        md.pop(k, None)
    return o


# --------------------------------------------------------------------------------------------
# The cluster state


class Cluster:
    def __init__(self, name, types, crd_docs, state_dir):
        self.name = name
        self.types = types
        self.crd_docs = crd_docs
        self.state_dir = state_dir
        self.cond = threading.Condition()
        self.rv = 1000
        self.objects = {t.key: {} for t in types}
        self.applied = {}   # (type key, namespace, name, field manager) -> last applied body
        self.events = {t.key: [] for t in types}
        self.by_gv = {}
        for t in types:
            for v in t.versions:
                self.by_gv.setdefault((t.group, v), []).append(t)
        self.crd_type = next(t for t in types if t.plural == "customresourcedefinitions")
        # Set by a controller model: called as gate(method, path) before each API request, it
        # raises ApiError to refuse it (a hosted cluster whose control plane is down).
        self.request_gate = None
        # What apisim's main sets for the controller models: the shared dir, the etcd manager, ...
        self.sandbox = {}
        with self.cond:
            for crd in crd_docs:
                self._store_new(self.crd_type, copy.deepcopy(crd), "v1")
            for ns in ("default", "kube-system", "kube-public"):
                    self._store_new(self.type_for("", "namespaces"), {"apiVersion": "v1", "kind": "Namespace",
                                                                    "metadata": {"name": ns}}, "v1")

    # ---- lookup
    def type_for(self, group, plural):
        for t in self.types:
            if t.group == group and t.plural == plural:
                return t
        return None

    def type_for_kind(self, api_version, kind):
        group, _, version = api_version.rpartition("/")
        for t in self.types:
            if t.group == group and t.kind == kind and version in t.versions:
                return t, version
        return None, None

    def next_rv(self):
        self.rv += 1
        return self.rv

    def _record(self, t, typ, obj):
        self.events[t.key].append((int(obj["metadata"]["resourceVersion"]), typ, copy.deepcopy(obj)))
        self.cond.notify_all()

    def _store_new(self, t, obj, version, manager="kubectl-create", keep_uid=False):
        md = obj.setdefault("metadata", {})
        # A fixture may name its objects' UIDs, so its ownerReferences can point at them.
        md["uid"] = md["uid"] if keep_uid and md.get("uid") else str(uuid.uuid4())
        md["creationTimestamp"] = now_rfc3339()
        md["resourceVersion"] = str(self.next_rv())
        if t.custom or t.group == "apps":
            md["generation"] = 1
        md["managedFields"] = [{"manager": manager, "operation": "Update", "apiVersion": t.api_version(version),
                                "time": md["creationTimestamp"], "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}}]
        obj["apiVersion"] = t.api_version(obj_version(t, obj, version))
        obj["kind"] = t.kind
        if t.plural == "namespaces":
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            obj["status"] = {"phase": "Active"}
        if t.plural == "pods":
            obj.setdefault("status", {}).setdefault("phase", "Running")
        if t.plural == "secrets":
            obj.setdefault("type", "Opaque")
        self.objects[t.key][(md.get("namespace", ""), md["name"])] = obj
        self._record(t, "ADDED", obj)
        self._simulate_controllers(t, obj)
        return obj

    @staticmethod
    def builtin_defaults(t, obj):
        """The API server's defaults for workload specs (what `rollout status` looks at)."""
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        if t.plural in ("deployments", "statefulsets"):
            spec.setdefault("replicas", 1)
            spec.setdefault("revisionHistoryLimit", 10)
        if t.plural == "deployments":
            spec.setdefault("strategy", {"type": "RollingUpdate",
                                         "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
            spec.setdefault("progressDeadlineSeconds", 600)
        if t.plural == "statefulsets":
            spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
            spec.setdefault("podManagementPolicy", "OrderedReady")

    def _simulate_controllers(self, t, obj):
        """Deployments and StatefulSets: status follows spec.replicas at once (a new event)."""
        if t.plural not in ("deployments", "statefulsets") or obj["metadata"].get("deletionTimestamp"):
            return
        if self.sandbox.get("workloads"):    # the `workloads` controller model owns their status
            return
        spec_r = (obj.get("spec") or {}).get("replicas", 1)
        st = obj.setdefault("status", {})
        want = {"replicas": spec_r, "readyReplicas": spec_r, "availableReplicas": spec_r,
                "updatedReplicas": spec_r, "observedGeneration": obj["metadata"].get("generation", 1)}
        if t.plural == "statefulsets":
            rev = "%s-%s" % (obj["metadata"]["name"], hashlib.sha256(json.dumps(
                (obj.get("spec") or {}).get("template"), sort_keys=True).encode()).hexdigest()[:10])
            want.update({"currentReplicas": spec_r, "availableReplicas": spec_r, "currentRevision": rev,
                         "updateRevision": rev})
        sel = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels")
        if sel:
            want["selector"] = ",".join("%s=%s" % kv for kv in sorted(sel.items()))
        if spec_r == 0:
            for k in ("readyReplicas", "availableReplicas", "updatedReplicas", "currentReplicas"):
                want.pop(k, None)
        if t.plural == "deployments":
            want["conditions"] = [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                                   "message": "Deployment has minimum availability.",
                                   "lastTransitionTime": obj["metadata"]["creationTimestamp"],
                                   "lastUpdateTime": obj["metadata"]["creationTimestamp"]}]
        new_st = {k: v for k, v in st.items() if k not in ("replicas", "readyReplicas", "availableReplicas",
                                                         "updatedReplicas", "currentReplicas", "currentRevision",
                                                         "updateRevision")}
        new_st.update(want)
        if new_st != st:
            obj["status"] = new_st
            obj["metadata"]["resourceVersion"] = str(self.next_rv())
            self._record(t, "MODIFIED", obj)

    # ---- validation
    def validate(self, t, version, obj, old, strict_mode, warnings):
        name = obj.get("metadata", {}).get("name", "")
        errs = []
        if not name and not obj.get("metadata", {}).get("generateName"):
            errs.append(("metadata.name", "FieldValueRequired", "Required value: name or generateName is required"))
        elif t.plural == "namespaces" and not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name):
            errs.append(("metadata.name", "FieldValueInvalid",
                         'Invalid value: "%s": a lowercase RFC 1123 label must consist of lower case alphanumeric '
                         "characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
                         "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')" % name))
        elif name and not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", name):
            errs.append(("metadata.name", "FieldValueInvalid",
                         'Invalid value: "%s": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric '
                         "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                         "'example.com', regex used for validation is "
                         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" % name))
        schema = t.schemas.get(version)
        unknown = [("metadata." + k) for k in list(obj.get("metadata", {})) if k not in METADATA_FIELDS]
        for u in unknown:
            obj["metadata"].pop(u.split(".", 1)[1])
        ferrs = []
        if schema:
            simschema.apply_defaults(schema, obj)
            ferrs, more = simschema.validate(schema, obj, old)
            unknown += more
        elif t.plural in BUILTIN_FIELDS:
            self.builtin_defaults(t, obj)
            for k in list(obj):
                if k not in BUILTIN_FIELDS[t.plural] and k not in ("apiVersion", "kind", "metadata"):
                    unknown.append(k)
                    del obj[k]
            if t.plural == "leases":
                spec_unknown, spec_errs = lease_spec_problems(obj)
                unknown += spec_unknown
                errs.extend(spec_errs)
        if unknown:
            if strict_mode == "Strict":
                raise err_bad_request('%s in version "%s" cannot be handled as a %s: strict decoding error: %s'
                                      % (t.kind, version, t.kind,
                                         ", ".join('unknown field "%s"' % u for u in unknown)))
            if strict_mode == "Warn":
                warnings.extend('unknown field "%s"' % u for u in unknown)
        errs.extend(ferrs)
        if t.plural == "secrets":
            for k, v in (obj.get("data") or {}).items():
                try:
                    base64.b64decode(v, validate=True)
                except (ValueError, TypeError):
                    raise err_bad_request('Secret in version "v1" cannot be handled as a Secret: illegal base64 data '
                                          "at input byte 0")
            for k, v in (obj.pop("stringData", None) or {}).items():
                obj.setdefault("data", {})[k] = base64.b64encode(str(v).encode()).decode()
        elif t.plural in ("deployments", "statefulsets"):
            r = (obj.get("spec") or {}).get("replicas")
            if r is not None and (not isinstance(r, int) or isinstance(r, bool)):
                raise err_bad_request('%s in version "%s" cannot be handled as a %s: json: cannot unmarshal %s into '
                                      'Go struct field %sSpec.spec.replicas of type int32'
                                      % (t.kind, version, t.kind, simschema._type_name(r), t.kind))
            if isinstance(r, int) and r < 0:
                errs.append(("spec.replicas", "FieldValueInvalid",
                             "Invalid value: %d: must be greater than or equal to 0" % r))
        if errs:
            raise err_invalid(t, name, errs)


    # ---- writes: the API server's rules, shared by the HTTP handler and the controller models
    def check_namespace(self, t, ns, creating=True):
        if not t.namespaced:
            return
        c = self
        nst = c.type_for("", "namespaces")
        nso = c.objects[nst.key].get(("", ns))
        if nso is None:
            raise err_not_found(nst, ns)
        if creating and nso["metadata"].get("deletionTimestamp"):
            raise ApiError(403, "Forbidden", 'unable to create new content in namespace %s because it is being '
                           "terminated" % ns, {"name": t.plural and ns, "kind": t.plural, "group": t.group,
                                               "causes": [{"reason": "NamespaceTerminating",
                                                           "message": 'namespace %s is being terminated' % ns,
                                                           "field": "metadata.namespace"}]})

    def prepare_write(self, t, version, ns, new, old, sub, field_validation="Strict", warnings=None):
        """Applies subresource rules (status vs spec), then validates. Returns the object to store."""
        if t.status and old is not None:
            if sub == "status":
                st = new.get("status")
                new = copy.deepcopy(old)
                if st is None:
                    new.pop("status", None)
                else:
                    new["status"] = st
            elif "status" in old or "status" in new:
                if "status" in old:
                    new["status"] = copy.deepcopy(old["status"])
                else:
                    new.pop("status", None)
        md = new.setdefault("metadata", {})
        if t.namespaced:
            md["namespace"] = ns
        else:
            md.pop("namespace", None)
        c = self
        if old is not None and old["metadata"].get("deletionTimestamp"):
            added = [f for f in md.get("finalizers") or [] if f not in (old["metadata"].get("finalizers") or [])]
            if added:
                raise err_invalid(t, old["metadata"]["name"], [(
                    "metadata.finalizers", "FieldValueForbidden",
                    "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers "
                    "[]string{%s}" % ", ".join(json.dumps(f) for f in added))])
        version = obj_version(t, new, version)
        new["apiVersion"] = t.api_version(version)
        if t.plural != "customresourcedefinitions":
            c.validate(t, version, new, old, field_validation, [] if warnings is None else warnings)
        return new

    def commit_update(self, t, version, old, new, manager, operation="Update", dry_run=False):
        """Stores `new` in place of `old` (or returns old unchanged for a no-op). Caller holds the lock."""
        c = self
        md = new.setdefault("metadata", {})
        for k in ("uid", "creationTimestamp", "namespace", "name"):
            if k in old["metadata"]:
                md[k] = old["metadata"][k]
        if "deletionTimestamp" in old["metadata"]:
            md["deletionTimestamp"] = old["metadata"]["deletionTimestamp"]
            md["deletionGracePeriodSeconds"] = old["metadata"].get("deletionGracePeriodSeconds", 0)
        elif "deletionTimestamp" in md:
            md.pop("deletionTimestamp")
            md.pop("deletionGracePeriodSeconds", None)
        md["managedFields"] = old["metadata"].get("managedFields", [])
        new["apiVersion"] = t.api_version(obj_version(t, new, version))
        new["kind"] = t.kind
        if strip_for_compare(new) == strip_for_compare(old):
            return old, False
        if "generation" in old["metadata"]:
            a = {k: v for k, v in new.items() if k not in ("metadata", "status", "apiVersion", "kind")}
            b = {k: v for k, v in old.items() if k not in ("metadata", "status", "apiVersion", "kind")}
            md["generation"] = old["metadata"]["generation"] + (1 if a != b else 0)
        if manager:
            mf = [m for m in md["managedFields"] if not (m.get("manager") == manager and m.get("operation") == operation)]
            mf.append({"manager": manager, "operation": operation, "apiVersion": t.api_version(version),
                       "time": now_rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {}}})
            md["managedFields"] = mf
        if dry_run:
            md["resourceVersion"] = old["metadata"]["resourceVersion"]
            return new, True
        md["resourceVersion"] = str(c.next_rv())
        key = (md.get("namespace", ""), md["name"])
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            del c.objects[t.key][key]
            c._record(t, "DELETED", new)
            c.cond.notify_all()
            self.reconcile_namespaces()
            return new, True
        c.objects[t.key][key] = new
        c._record(t, "MODIFIED", new)
        c._simulate_controllers(t, new)
        self.reconcile_namespaces()
        return new, True

    def delete_obj(self, t, obj, reconcile=True):
        """Deletes or marks for deletion. Caller holds the lock. Returns the object as the response shows it."""
        c = self
        md = obj["metadata"]
        key = (md.get("namespace", ""), md["name"])
        if key not in c.objects[t.key]:
            return obj
        if t.plural == "namespaces":
            if not md.get("deletionTimestamp"):
                new = copy.deepcopy(obj)
                new["metadata"]["deletionTimestamp"] = now_rfc3339()
                new["status"] = {"phase": "Terminating"}
                new["metadata"]["resourceVersion"] = str(c.next_rv())
                c.objects[t.key][key] = new
                c._record(t, "MODIFIED", new)
                self.reconcile_namespaces()
                return c.objects[t.key].get(key, new)
            return obj
        if md.get("finalizers"):
            if md.get("deletionTimestamp"):
                return obj
            new = copy.deepcopy(obj)
            new["metadata"]["deletionTimestamp"] = now_rfc3339()
            new["metadata"]["deletionGracePeriodSeconds"] = 0
            if "generation" in new["metadata"]:
                new["metadata"]["generation"] += 1
            new["metadata"]["resourceVersion"] = str(c.next_rv())
            c.objects[t.key][key] = new
            c._record(t, "MODIFIED", new)
            return new
        del c.objects[t.key][key]
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = str(c.next_rv())
        c._record(t, "DELETED", gone)
        if reconcile:
            self.reconcile_namespaces()
        return gone

    def reconcile_namespaces(self):
        """The namespace controller: empties terminating namespaces, removes them once empty."""
        c = self
        nst = c.type_for("", "namespaces")
        for key, nso in list(c.objects[nst.key].items()):
            if not nso["metadata"].get("deletionTimestamp"):
                continue
            ns = key[1]
            for t in c.types:
                if not t.namespaced:
                    continue
                for (ons, _), obj in list(c.objects[t.key].items()):
                    if ons != ns:
                        continue
                    if not obj["metadata"].get("deletionTimestamp"):
                        self.delete_obj(t, obj, reconcile=False)
            still = sum(1 for t in c.types if t.namespaced for (ons, _) in c.objects[t.key] if ons == ns)
            if still == 0 and key in c.objects[nst.key]:
                gone = c.objects[nst.key].pop(key)
                gone = copy.deepcopy(gone)
                gone["metadata"]["resourceVersion"] = str(c.next_rv())
                c._record(nst, "DELETED", gone)


# --------------------------------------------------------------------------------------------
# HTTP


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, handler, cluster, token, ssl_ctx):
        super().__init__(addr, handler)
        self.cluster = cluster
        self.token = token
        self.ssl_ctx = ssl_ctx
        self.stopping = threading.Event()
        self.procs = set()
        self.procs_lock = threading.Lock()
        self.faults = []
        self.watches = {}     # resource plural -> open watch requests (GET /apisim/watches)

    def get_request(self):
        sock, addr = super().get_request()
        # no Nagle: a response goes out as headers then body, and the second write must not wait
        # for the client's delayed ACK of the first (40 ms per request otherwise)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.ssl_ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, BrokenPipeError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "apisim"
    sys_version = ""

    def log_message(self, fmt, *args):
        if os.environ.get("APISIM_LOG"):
            sys.stderr.write("apisim %s: %s\n" % (self.server.cluster.name, fmt % args))

    def setup(self):
        super().setup()
        try:
            self.connection.do_handshake()
        except (ssl.SSLError, OSError):
            self.close_connection = True
            raise ConnectionError("handshake failed")

    # ---- plumbing
    def send_json(self, code, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_status(self, e):
        self.send_json(e.code, e.status())

    def read_body(self):
        self.body_read = True
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            return self.rfile.read(n)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def json_body(self):
        raw = self.read_body()
        if not raw.strip():
            return None
        if self.headers.get("Content-Type", "").startswith("application/vnd.kubernetes.protobuf"):
            try:
                return simproto.decode(raw)
            except (simproto.ProtoError, UnicodeDecodeError, IndexError) as e:
                raise ApiError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - "
                               "accepted media types include: application/json, application/yaml (%s)" % e)
        try:
            return json.loads(raw)
        except ValueError:
            # kubectl sends JSON; a YAML body (from curl) is read with simyaml
            try:
                return simyaml.load(raw.decode())
            except Exception:
                raise err_bad_request("the object provided is unrecognized (must be of type JSON or YAML)")

    def authorized(self):
        auth = self.headers.get("Authorization", "")
        return secrets.compare_digest(auth, "Bearer " + self.server.token)

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_HEAD(self):
        self.dispatch("GET")

    def dispatch(self, method):
        u = urllib.parse.urlsplit(self.path)
        self.query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        self.warnings = []
        self.body_read = False
        try:
            if not self.authorized():
                if self.command in ("POST", "PUT", "PATCH", "DELETE"):
                    self.read_body()
                raise ApiError(401, "Unauthorized", "Unauthorized")
            path = u.path.rstrip("/") or "/"
            if path.startswith("/apisim/"):
                return self.admin(path)
            gate = self.server.cluster.request_gate
            if gate is not None:
                gate(self.command, path)    # a controller model may refuse the API (it raises ApiError)
            self.inject_fault(path)
            self.route(method, path)
        except ApiError as e:
            # As a real API server does, an error answers the request and keeps the connection
            # (kubectl sends its next request on it): the body is read first if nothing read it.
            if self.command in ("POST", "PUT", "PATCH", "DELETE") and not self.body_read:
                self.read_body()
            self.send_json(e.code, e.status(), getattr(e, "headers", None))
        except (ConnectionError, BrokenPipeError, ssl.SSLError):
            self.close_connection = True
        except Exception as e:  # a bug in the simulator: answer like an API server would, and log it
            import traceback
            traceback.print_exc()
            self.close_connection = True
            try:
                self.send_status(ApiError(500, "InternalError", "Internal error occurred: %s" % e))
            except OSError:
                pass

    # ---- fault injection, for tests of retries and error handling
    def admin(self, path):
        """`/apisim/faults`: POST {"method", "path" (a regex on the URL path), "code", "reason",
        "message", "count", "retryAfter", "delay"} adds a fault; GET lists them; DELETE clears them.
        With "delay" and no "code" the request is only slowed down."""
        srv = self.server
        if path == "/apisim/watches":
            with srv.cluster.cond:
                return self.send_json(200, {"watches": dict(srv.watches)})
        if path != "/apisim/faults":
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        with srv.cluster.cond:
            if self.command == "POST":
                f = self.json_body() or {}
                try:
                    re.compile(f.get("path", ""))
                except re.error as e:
                    raise err_bad_request("bad path regex: %s" % e)
                f.setdefault("count", 1)
                if "delay" not in f:
                    f.setdefault("code", 500)
                srv.faults.append(f)
            elif self.command == "DELETE":
                srv.faults.clear()
            self.send_json(200, {"faults": srv.faults})

    def inject_fault(self, path):
        srv = self.server
        with srv.cluster.cond:
            for f in srv.faults:
                if f.get("method") and f["method"].upper() != self.command:
                    continue
                if not re.search(f.get("path", ""), path):
                    continue
                f["count"] -= 1
                if f["count"] <= 0:
                    srv.faults.remove(f)
                break
            else:
                return
        if f.get("delay"):
            time.sleep(float(f["delay"]))
        if "code" not in f:
            return          # a delay only: then the request is served
        if self.command in ("POST", "PUT", "PATCH", "DELETE"):
            self.read_body()
        code = int(f["code"])
        reasons = {400: "BadRequest", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 410: "Expired",
                   422: "Invalid", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
                   504: "Timeout"}
        e = ApiError(code, f.get("reason") or reasons.get(code, "Unknown"),
                     f.get("message") or "apisim: injected fault")
        if f.get("retryAfter") is not None:
            e.headers = {"Retry-After": str(f["retryAfter"])}
            e.details = {"retryAfterSeconds": int(f["retryAfter"])}
        raise e

    def q(self, name, default=None):
        v = self.query.get(name)
        return v[0] if v else default

    # ---- routing
    def route(self, method, path):
        c = self.server.cluster
        if path == "/version":
            return self.send_json(200, SERVER_VERSION)
        if path in ("/healthz", "/readyz", "/livez"):
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if path == "/api":
            if "as=APIGroupDiscoveryList" in self.headers.get("Accept", "") and "application/json," not in \
                    self.headers.get("Accept", "") + "," and not self.headers.get("Accept", "").endswith("application/json"):
                raise ApiError(406, "NotAcceptable", "only the following media types are accepted: application/json")
            return self.send_json(200, {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % self.server.server_address[1]}]})
        if path == "/apis":
            return self.send_json(200, self.group_list())
        if path == "/openapi/v3":
            paths = {}
            for (g, v) in sorted(c.by_gv):
                key = "api/v1" if g == "" else "apis/%s/%s" % (g, v)
                paths[key] = {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (
                    key, hashlib.sha256(key.encode()).hexdigest()[:32].upper())}
            return self.send_json(200, {"paths": paths})
        if path.startswith("/openapi/v3/"):
            return self.send_json(200, self.openapi_gv(path[len("/openapi/v3/"):]))
        if path == "/openapi/v2":
            # An empty OpenAPI v2 document (gnostic openapi_v2.Document: swagger=1, info=2, paths=8):
            # kubectl reads it to validate a v1 List client-side, and skips kinds it has no schema for.
            if "protobuf" in self.headers.get("Accept", ""):
                info = b"\x0a\x0aKubernetes\x12\x07v1.32.5"
                body = b"\x0a\x032.0" + b"\x12" + bytes([len(info)]) + info + b"\x42\x00"
                self.send_response(200)
                self.send_header("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            return self.send_json(200, {"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.32.5"},
                                        "paths": {}})
        parts = path.strip("/").split("/")
        if parts[0] == "api":
            if len(parts) < 2 or parts[1] != "v1":
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            group, version, rest = "", "v1", parts[2:]
        elif parts[0] == "apis" and len(parts) >= 2:
            group = parts[1]
            if len(parts) == 2:
                g = self.group_entry(group)
                if not g:
                    raise ApiError(404, "NotFound", "the server could not find the requested resource")
                return self.send_json(200, dict(g, kind="APIGroup", apiVersion="v1"))
            version, rest = parts[2], parts[3:]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if (group, version) not in c.by_gv:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if not rest:
            return self.send_json(200, self.resource_list(group, version))
        ns = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            ns, rest = rest[1], rest[2:]
        plural, name, sub = rest[0], (rest[1] if len(rest) > 1 else None), (rest[2] if len(rest) > 2 else None)
        if len(rest) > 3:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        t = c.type_for(group, plural)
        if t is None or version not in t.versions:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if ns is not None and not t.namespaced:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if t.namespaced is False:
            ns = ""
        if sub == "exec" and t.plural == "pods":
            return self.exec_pod(t, ns, name)
        if sub == "log" and t.plural == "pods" and method == "GET":
            return self.pod_log(t, ns, name)
        if sub is not None and not ((sub == "status" and t.status) or (sub == "scale" and t.scale)):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if name is None:
            if method == "GET":
                if self.q("watch") in ("true", "1"):
                    return self.watch(t, version, ns)
                return self.list(t, version, ns)
            if method == "POST":
                return self.create(t, version, ns)
            if method == "DELETE":
                return self.delete_collection(t, version, ns)
            raise err_method_not_allowed()
        if method == "GET":
            return self.get(t, version, ns, name, sub)
        if method == "PUT":
            return self.update(t, version, ns, name, sub)
        if method == "PATCH":
            return self.patch(t, version, ns, name, sub)
        if method == "DELETE":
            if sub:
                raise err_method_not_allowed()
            return self.delete(t, version, ns, name)
        raise err_method_not_allowed()

    # ---- discovery
    def group_entry(self, group):
        c = self.server.cluster
        versions = []
        for t in c.types:
            if t.group == group:
                for v in t.versions:
                    if v not in versions:
                        versions.append(v)
        if not versions or group == "":
            return None
        versions.sort(key=_version_priority, reverse=True)
        gv = [{"groupVersion": "%s/%s" % (group, v), "version": v} for v in versions]
        return {"name": group, "versions": gv, "preferredVersion": gv[0]}

    def openapi_gv(self, key):
        """A stub OpenAPI v3 document for one group-version: for each kind, a PATCH operation tagged
        with its GVK that takes `fieldValidation`, which is what kubectl looks for before it leaves
        validation to the server (--validate=strict)."""
        c = self.server.cluster
        parts = key.split("/")
        if parts[0] == "api" and len(parts) == 2:
            group, version = "", parts[1]
        elif parts[0] == "apis" and len(parts) == 3:
            group, version = parts[1], parts[2]
        else:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if (group, version) not in c.by_gv:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        prefix = "/api/v1" if not group else "/apis/%s/%s" % (group, version)
        params = [{"name": n, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
                  for n in ("dryRun", "fieldManager", "fieldValidation", "force")]
        paths = {}
        for t in c.by_gv[(group, version)]:
            p = prefix + ("/namespaces/{namespace}/" if t.namespaced else "/") + t.plural + "/{name}"
            op = {"operationId": "patch" + t.kind, "parameters": params,
                  "x-kubernetes-action": "patch",
                  "x-kubernetes-group-version-kind": {"group": group, "version": version, "kind": t.kind},
                  "responses": {"200": {"description": "OK"}}}
            paths[p] = {"patch": op}
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.5"}, "paths": paths,
                "components": {"schemas": {}}}

    def group_list(self):
        c = self.server.cluster
        groups = []
        for g in sorted({t.group for t in c.types if t.group}):
            groups.append(self.group_entry(g))
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def resource_list(self, group, version):
        c = self.server.cluster
        res = []
        for t in c.by_gv[(group, version)]:
            verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
            e = {"name": t.plural, "singularName": t.singular, "namespaced": t.namespaced, "kind": t.kind,
                 "verbs": verbs, "storageVersionHash": base64.b64encode(hashlib.sha256(
                     ("%s/%s" % (group, t.plural)).encode()).digest()[:8]).decode()}
            if t.short_names:
                e["shortNames"] = t.short_names
            if t.categories:
                e["categories"] = t.categories
            res.append(e)
            if t.status:
                res.append({"name": t.plural + "/status", "singularName": "", "namespaced": t.namespaced,
                            "kind": t.kind, "verbs": ["get", "patch", "update"]})
            if t.scale:
                res.append({"name": t.plural + "/scale", "singularName": "", "namespaced": t.namespaced,
                            "group": "autoscaling", "version": "v1", "kind": "Scale",
                            "verbs": ["get", "patch", "update"]})
            for s in t.extra_subresources:
                res.append({"name": t.plural + "/" + s, "singularName": "", "namespaced": t.namespaced,
                            "kind": "PodExecOptions" if s == "exec" else "Pod", "verbs": ["create", "get"]})
        gv = "%s/%s" % (group, version) if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": res}

    # ---- helpers
    def out(self, t, version, obj):
        o = copy.deepcopy(obj)
        if not t.custom:
            o["apiVersion"] = t.api_version(version)
        return o

    def lookup(self, t, ns, name):
        c = self.server.cluster
        obj = c.objects[t.key].get((ns or "", name))
        if obj is None:
            raise err_not_found(t, name)
        return obj

    def wants_table(self):
        return "as=Table" in self.headers.get("Accept", "")

    # ---- read
    def get(self, t, version, ns, name, sub):
        c = self.server.cluster
        with c.cond:
            obj = self.lookup(t, ns, name)
            if sub == "scale":
                return self.send_json(200, self.scale_of(t, obj))
            if self.wants_table():
                return self.send_json(200, self.table(t, version, [obj], str(c.rv)))
            return self.send_json(200, self.out(t, version, obj))

    def selected(self, t, ns):
        c = self.server.cluster
        lsel = parse_label_selector(self.q("labelSelector"))
        fsel = self.field_selector(t)
        items = []
        for (ons, oname), obj in sorted(c.objects[t.key].items()):
            if ns and ons != ns:
                continue
            if labels_match(obj["metadata"].get("labels"), lsel) and fields_match(obj, fsel):
                items.append(obj)
        return items, lsel, fsel

    def field_selector(self, t):
        fsel = parse_field_selector(self.q("fieldSelector"))
        if t.custom:
            for path, _, _ in fsel:
                if path not in ("metadata.name", "metadata.namespace"):
                    raise err_bad_request('field label not supported: %s' % path)
        return fsel

    def list(self, t, version, ns):
        c = self.server.cluster
        with c.cond:
            items, _, _ = self.selected(t, ns)
            rv = str(c.rv)
            if self.wants_table():
                return self.send_json(200, self.table(t, version, items, rv))
            self.send_json(200, {"kind": t.kind + "List", "apiVersion": t.api_version(version),
                                 "metadata": {"resourceVersion": rv},
                                 "items": [self.out(t, version, o) for o in items]})

    def table(self, t, version, items, rv):
        cols, cells = self.table_columns(t, version)
        include = self.q("includeObject", "PartialObjectMetadata")
        rows = []
        for o in items:
            row = {"cells": [f(o) for f in cells]}
            if include == "Object":
                row["object"] = self.out(t, version, o)
            elif include != "None":
                row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                 "metadata": copy.deepcopy(o["metadata"])}
            rows.append(row)
        return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": rv},
                "columnDefinitions": cols, "rows": rows}

    def table_columns(self, t, version):
        def col(name, typ="string", fmt="", prio=0, desc=""):
            return {"name": name, "type": typ, "format": fmt, "description": desc or name, "priority": prio}

        def age(o):
            ts = parse_time(o["metadata"].get("creationTimestamp"))
            if not ts:
                return "<unknown>"
            return human_duration((datetime.datetime.now(datetime.timezone.utc) - ts).total_seconds())

        name_col = col("Name", fmt="name", desc="Name must be unique within a namespace.")
        name = lambda o: o["metadata"]["name"]  # noqa: E731
        spec = lambda o, k, d=None: (o.get("spec") or {}).get(k, d)  # noqa: E731
        st = lambda o, k, d=None: (o.get("status") or {}).get(k, d)  # noqa: E731
        p = t.plural
        if t.custom:
            pcs = t.printer_columns.get(version)
            if not pcs:
                return [name_col, TABLE_COLUMN_AGE], [name, age]
            cols, fns = [name_col], [name]
            for pc in pcs:
                cols.append(col(pc["name"], pc.get("type", "string"), pc.get("format", ""), pc.get("priority", 0),
                                pc.get("description", "")))

                def f(o, jp=pc["jsonPath"], typ=pc.get("type")):
                    vals = jsonpath_get(o, jp)
                    if not vals:
                        return None
                    v = vals[0]
                    if typ == "date":
                        ts = parse_time(v)
                        return human_duration((datetime.datetime.now(datetime.timezone.utc) - ts).total_seconds()) \
                            if ts else v
                    if isinstance(v, (dict, list)):
                        return json.dumps(v)
                    return v
                fns.append(f)
            return cols, fns
        if p == "namespaces":
            return [name_col, col("Status"), TABLE_COLUMN_AGE], [name, lambda o: st(o, "phase", ""), age]
        if p == "secrets":
            return [name_col, col("Type"), col("Data", "string"), TABLE_COLUMN_AGE], [
                name, lambda o: o.get("type", "Opaque"),
                lambda o: len(o.get("data") or {}) + len(o.get("stringData") or {}), age]
        if p == "configmaps":
            return [name_col, col("Data", "string"), TABLE_COLUMN_AGE], [
                name, lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}), age]
        if p == "pods":
            def ready(o):
                n = len(spec(o, "containers", []) or [])
                r = sum(1 for cs in st(o, "containerStatuses", []) or [] if cs.get("ready"))
                if st(o, "phase") == "Running" and not st(o, "containerStatuses"):
                    r = n
                return "%d/%d" % (r, n)

            def status(o):
                if o["metadata"].get("deletionTimestamp"):
                    return "Terminating"
                return st(o, "phase", "Pending")
            return [name_col, col("Ready"), col("Status"), col("Restarts", "string"), TABLE_COLUMN_AGE], [
                name, ready, status, lambda o: "0", age]
        if p == "deployments":
            return [name_col, col("Ready"), col("Up-to-date", "integer"), col("Available", "integer"),
                    TABLE_COLUMN_AGE], [
                name, lambda o: "%d/%d" % (st(o, "readyReplicas", 0), spec(o, "replicas", 1)),
                lambda o: st(o, "updatedReplicas", 0), lambda o: st(o, "availableReplicas", 0), age]
        if p == "statefulsets":
            return [name_col, col("Ready"), TABLE_COLUMN_AGE], [
                name, lambda o: "%d/%d" % (st(o, "readyReplicas", 0), spec(o, "replicas", 1)), age]
        if p == "nodes":
            def nstatus(o):
                for cnd in st(o, "conditions", []) or []:
                    if cnd.get("type") == "Ready":
                        return "Ready" if cnd.get("status") == "True" else "NotReady"
                return "Unknown"

            def roles(o):
                r = sorted(k.split("/", 1)[1] for k in (o["metadata"].get("labels") or {})
                           if k.startswith("node-role.kubernetes.io/"))
                return ",".join(r) or "<none>"
            return [name_col, col("Status"), col("Roles"), TABLE_COLUMN_AGE, col("Version")], [
                name, nstatus, roles, age, lambda o: (st(o, "nodeInfo", {}) or {}).get("kubeletVersion", "")]
        if p == "clusterversions":
            def cond(o, typ):
                for cnd in st(o, "conditions", []) or []:
                    if cnd.get("type") == typ:
                        return cnd.get("status", "")
                return ""
            return [name_col, col("Version"), col("Available"), col("Progressing"), col("Since"), col("Status")], [
                name, lambda o: (st(o, "desired", {}) or {}).get("version", ""), lambda o: cond(o, "Available"),
                lambda o: cond(o, "Progressing"), age,
                lambda o: next((c.get("message", "") for c in st(o, "conditions", []) or []
                                if c.get("type") == "Progressing"), "")]
        if p == "routes":
            return [name_col, col("Host/Port"), col("Path"), col("Services"), TABLE_COLUMN_AGE], [
                name, lambda o: spec(o, "host", ""), lambda o: spec(o, "path", ""),
                lambda o: (spec(o, "to", {}) or {}).get("name", ""), age]
        if p == "leases":
            # pkg/printers/internalversion printLease: the holder as written, whatever it is
            return [name_col, col("Holder", desc="holderIdentity contains the identity of the holder of a current "
                                                 "lease."), TABLE_COLUMN_AGE], [
                name, lambda o: spec(o, "holderIdentity", ""), age]
        return [name_col, TABLE_COLUMN_AGE], [name, age]

    def watch(self, t, version, ns):
        c = self.server.cluster
        lsel = parse_label_selector(self.q("labelSelector"))
        fsel = self.field_selector(t)
        timeout = float(self.q("timeoutSeconds") or 1800)
        deadline = time.time() + timeout
        rv_param = self.q("resourceVersion", "")
        name_filter = None

        def visible(obj):
            md = obj["metadata"]
            if ns and md.get("namespace", "") != ns:
                return False
            if name_filter and md.get("name") != name_filter:
                return False
            return labels_match(md.get("labels"), lsel) and fields_match(obj, fsel)

        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()

        as_table = self.wants_table()
        first = [True]

        def emit(typ, obj):
            o = self.out(t, version, obj)
            if as_table:
                # as a real server does: a one-row Table per event, column definitions on the first only
                o = self.table(t, version, [obj], obj["metadata"]["resourceVersion"])
                if not first[0]:
                    o["columnDefinitions"] = []
                first[0] = False
            data = json.dumps({"type": typ, "object": o}).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        with c.cond:
            self.server.watches[t.plural] = self.server.watches.get(t.plural, 0) + 1
            log = c.events[t.key]
            if rv_param in ("", "0"):
                pending = [("ADDED", copy.deepcopy(o)) for o in self.selected(t, ns)[0]]
                pos = len(log)
            else:
                since = int(rv_param)
                pos = 0
                while pos < len(log) and log[pos][0] <= since:
                    pos += 1
                pending = []
        try:
            while True:
                for typ, obj in pending:
                    if visible(obj):
                        emit(typ, obj)
                pending = []
                with c.cond:
                    while pos >= len(log) and not self.server.stopping.is_set():
                        left = deadline - time.time()
                        if left <= 0 or self.client_gone():
                            break
                        c.cond.wait(min(left, 0.5))
                    if pos >= len(log):
                        break
                    pending = [(typ, obj) for _, typ, obj in log[pos:]]
                    pos = len(log)
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (ConnectionError, BrokenPipeError, ssl.SSLError, OSError):
            pass
        finally:
            with c.cond:
                self.server.watches[t.plural] -= 1
        self.close_connection = True

    def client_gone(self):
        """True once the client closed a long-lived (watch) connection: it sends nothing more."""
        import select
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
            if not r:
                return False
            self.connection.setblocking(False)
            try:
                return self.connection.recv(1) == b""
            finally:
                self.connection.setblocking(True)
        except ssl.SSLWantReadError:
            return False
        except (OSError, ValueError, ssl.SSLError):
            return True

    # ---- write helpers
    def field_validation(self):
        fv = self.q("fieldValidation", "")
        if fv and fv not in ("Strict", "Warn", "Ignore"):
            raise err_bad_request('fieldValidation parameter unsupported: "%s"' % fv)
        return fv or "Warn"

    def respond_write(self, code, t, version, obj):
        headers = {}
        if self.warnings:
            headers["Warning"] = ", ".join('299 - "%s"' % w.replace('"', '\\"') for w in self.warnings)
        self.send_json(code, self.out(t, version, obj), headers)

    def dry_run(self):
        return self.q("dryRun") == "All"

    def prepare_write(self, t, version, ns, new, old, sub):
        return self.server.cluster.prepare_write(t, version, ns, new, old, sub, self.field_validation(), self.warnings)

    def _commit_update(self, t, version, old, new, manager, operation="Update"):
        return self.server.cluster.commit_update(t, version, old, new, manager, operation, self.dry_run())

    # ---- create
    def create(self, t, version, ns):
        c = self.server.cluster
        if t.plural in REVIEWS:
            # one token, all rights: every access review is allowed (`kubectl auth can-i` says yes).
            # kubectl sends these as protobuf; their content does not matter here.
            raw = self.read_body()
            try:
                body = json.loads(raw)
            except ValueError:
                body = {}
            body.update({"apiVersion": t.api_version(version), "kind": t.kind, "status": REVIEWS[t.plural]})
            body.setdefault("metadata", {})["creationTimestamp"] = None
            return self.send_json(201, body)
        body = self.json_body()
        if not isinstance(body, dict):
            raise err_bad_request("the object provided is unrecognized (must be of type JSON or YAML)")
        self.create_obj(t, version, ns, body, self.q("fieldManager") or "kubectl-create")

    def create_obj(self, t, version, ns, body, manager, code=201):
        c = self.server.cluster
        md = body.setdefault("metadata", {})
        body_ns = md.get("namespace")
        if t.namespaced and body_ns and body_ns != ns:
            raise err_bad_request("the namespace of the provided object does not match the namespace sent on the "
                                  "request")
        if body.get("kind") and body["kind"] != t.kind:
            raise err_bad_request('%s in version "%s" cannot be handled as a %s: no kind "%s" is registered for '
                                  'version "%s" in scheme' % (t.kind, version, t.kind, body["kind"],
                                                             body.get("apiVersion", "")))
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + secrets.token_hex(3)[:5]
        for k in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "generation", "managedFields"):
            md.pop(k, None)
        if t.status:
            body.pop("status", None)   # with a status subresource, create resets status (PrepareForCreate)
        with c.cond:
            c.check_namespace(t, ns)
            obj = self.prepare_write(t, version, ns, body, None, None)
            key = (ns if t.namespaced else "", obj["metadata"]["name"])
            if key in c.objects[t.key]:
                raise err_already_exists(t, obj["metadata"]["name"])
            if self.dry_run():
                obj["apiVersion"] = t.api_version(version)
                obj["kind"] = t.kind
                return self.respond_write(code, t, version, obj)
            obj = c._store_new(t, obj, version, manager)
            self.respond_write(code, t, version, obj)

    # ---- update
    def update(self, t, version, ns, name, sub):
        c = self.server.cluster
        body = self.json_body()
        if not isinstance(body, dict):
            raise err_bad_request("the object provided is unrecognized (must be of type JSON or YAML)")
        with c.cond:
            old = self.lookup(t, ns, name)
            if sub == "scale":
                return self.update_scale(t, version, old, body)
            bname = body.get("metadata", {}).get("name")
            if bname and bname != name:
                raise err_bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                                      % (bname, name))
            rv = body.get("metadata", {}).get("resourceVersion")
            if not rv and t.custom:
                raise err_invalid(t, name, [("metadata.resourceVersion", "FieldValueInvalid",
                                             'Invalid value: 0x0: must be specified for an update')])
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise err_conflict(t, name)
            new = self.prepare_write(t, version, ns, copy.deepcopy(body), old, sub)
            obj, _ = self._commit_update(t, version, old, new, self.q("fieldManager") or "kubectl-edit")
            self.respond_write(200, t, version, obj)

    # ---- scale subresource
    def scale_of(self, t, obj):
        sp = t.scale
        spec_r = dotted_get(obj, sp["specReplicasPath"])
        st_r = dotted_get(obj, sp["statusReplicasPath"])
        scale = {"kind": "Scale", "apiVersion": "autoscaling/v1",
                 "metadata": {k: obj["metadata"][k] for k in ("name", "namespace", "uid", "resourceVersion",
                                                              "creationTimestamp") if k in obj["metadata"]},
                 "spec": {}, "status": {"replicas": st_r or 0}}
        if spec_r is not None:
            scale["spec"]["replicas"] = spec_r
        if sp.get("labelSelectorPath"):
            sel = dotted_get(obj, sp["labelSelectorPath"])
            if sel:
                scale["status"]["selector"] = sel
        return scale

    def update_scale(self, t, version, old, scale):
        name = old["metadata"]["name"]
        rv = (scale.get("metadata") or {}).get("resourceVersion")
        if rv and rv != old["metadata"]["resourceVersion"]:
            raise err_conflict(t, name)
        r = (scale.get("spec") or {}).get("replicas", 0)
        if not isinstance(r, int) or isinstance(r, bool):
            raise err_bad_request('Scale in version "v1" cannot be handled as a Scale: json: cannot unmarshal %s '
                                  'into Go struct field ScaleSpec.spec.replicas of type int32'
                                  % simschema._type_name(r))
        if r < 0:
            raise ApiError(422, "Invalid", 'Scale.autoscaling "%s" is invalid: spec.replicas: Invalid value: %d: '
                           "must be greater than or equal to 0" % (name, r),
                           {"name": name, "group": "autoscaling", "kind": "Scale",
                            "causes": [{"reason": "FieldValueInvalid", "field": "spec.replicas",
                                        "message": "Invalid value: %d: must be greater than or equal to 0" % r}]})
        new = copy.deepcopy(old)
        dotted_set(new, t.scale["specReplicasPath"], r)
        new = self.prepare_write(t, version, old["metadata"].get("namespace", ""), new, old, None)
        obj, _ = self._commit_update(t, version, old, new, self.q("fieldManager") or "kubectl-scale")
        self.send_json(200, self.scale_of(t, obj))

    # ---- patch
    def patch(self, t, version, ns, name, sub):
        c = self.server.cluster
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        raw = self.read_body()
        try:
            patch = json.loads(raw) if raw.strip() else None
        except ValueError:
            try:
                patch = simyaml.load(raw.decode())
            except Exception:
                raise err_bad_request("error decoding patch: invalid JSON")
        if ctype == "application/apply-patch+yaml":
            return self.server_side_apply(t, version, ns, name, sub, patch)
        if ctype not in ("application/merge-patch+json", "application/json-patch+json",
                         "application/strategic-merge-patch+json"):
            raise err_unsupported_patch()
        if ctype == "application/strategic-merge-patch+json" and t.custom:
            raise err_unsupported_patch()
        with c.cond:
            old = self.lookup(t, ns, name)
            base = self.scale_of(t, old) if sub == "scale" else self.out(t, version, old)
            try:
                if ctype == "application/json-patch+json":
                    new = json_patch(base, patch)
                elif not isinstance(patch, dict):
                    raise err_bad_request("json: cannot unmarshal %s into Go value of type map[string]interface {}"
                                          % simschema._type_name(patch))
                elif ctype == "application/strategic-merge-patch+json":
                    new = strategic_merge_patch(base, patch)
                else:
                    new = merge_patch(base, patch)
            except JsonPatchError as e:
                # apierrors.NewGenericServerResponse(422, ...): the json-patch text is not passed on, and
                # kubectl prints "The request is invalid"
                raise ApiError(422, "Invalid", "the server rejected our request due to an error in our request", {})
            if not isinstance(new, dict):
                raise err_bad_request("the patch produced a non-object")
            if sub == "scale":
                return self.update_scale(t, version, old, new)
            rv = (new.get("metadata") or {}).get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise err_conflict(t, name)
            new.setdefault("metadata", {})["name"] = name
            new = self.prepare_write(t, version, ns, new, old, sub)
            obj, _ = self._commit_update(t, version, old, new, self.q("fieldManager") or "kubectl-patch")
            self.respond_write(200, t, version, obj)

    def server_side_apply(self, t, version, ns, name, sub, body):
        c = self.server.cluster
        manager = self.q("fieldManager")
        if not manager:
            raise err_bad_request("PATCH requests of type application/apply-patch+yaml must specify a fieldManager")
        if not isinstance(body, dict):
            raise err_bad_request("error decoding YAML: the apply patch must be an object")
        if body.get("kind") and body["kind"] != t.kind or not body.get("apiVersion"):
            raise err_bad_request("invalid object type: %s, %s" % (body.get("apiVersion", ""), body.get("kind", "")))
        bmd = body.setdefault("metadata", {})
        if bmd.get("name", name) != name:
            raise err_bad_request("the name of the object (%s) does not match the name on the URL (%s)"
                                  % (bmd.get("name"), name))
        bmd["name"] = name
        with c.cond:
            old = c.objects[t.key].get((ns or "", name))
            if old is None:
                if sub:
                    raise err_not_found(t, name)
                self.create_obj(t, version, ns, copy.deepcopy(body), manager, code=201)
                c.applied[(t.key, ns or "", name, manager)] = self._drop_nulls(copy.deepcopy(body))
                return
            rv = bmd.get("resourceVersion")
            if rv and rv != old["metadata"]["resourceVersion"]:
                raise err_conflict(t, name)
            base = self.out(t, version, old)
            body = self._drop_nulls(body)
            new = merge_patch(base, body)
            # fields this manager applied before and no longer applies are removed (server-side
            # apply's ownership, for the single-manager case)
            akey = (t.key, ns or "", name, manager)
            prev = c.applied.get(akey)
            if prev is not None:
                _remove_dropped(new, prev, body)
            new = self.prepare_write(t, version, ns, new, old, sub)
            obj, _ = self._commit_update(t, version, old, new, manager, "Apply")
            c.applied[akey] = copy.deepcopy(body)
            self.respond_write(200, t, version, obj)

    def _drop_nulls(self, v):
        if isinstance(v, dict):
            return {k: self._drop_nulls(x) for k, x in v.items() if x is not None}
        if isinstance(v, list):
            return [self._drop_nulls(x) for x in v]
        return v

    # ---- delete
    def delete(self, t, version, ns, name):
        c = self.server.cluster
        opts = self.json_body() or {}
        with c.cond:
            obj = self.lookup(t, ns, name)
            pre = (opts.get("preconditions") or {})
            if pre.get("uid") and pre["uid"] != obj["metadata"]["uid"]:
                raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": Precondition failed: '
                               "UID in precondition: %s, UID in object meta: %s"
                               % (_gr(t), name, pre["uid"], obj["metadata"]["uid"]))
            if pre.get("resourceVersion") and pre["resourceVersion"] != obj["metadata"]["resourceVersion"]:
                raise err_conflict(t, name)
            if self.dry_run():
                return self.send_json(200, self.out(t, version, obj))
            if t.plural == "namespaces" and name in ("default", "kube-system", "kube-public"):
                raise ApiError(403, "Forbidden", 'namespaces "%s" is forbidden: this namespace may not be deleted'
                               % name, {"name": name, "kind": "namespaces"})
            result = c.delete_obj(t, obj)
            if result is None:
                return self.send_json(200, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                            "status": "Success", "details": {"name": name, "group": t.group,
                                                                              "kind": t.plural,
                                                                              "uid": obj["metadata"]["uid"]}})
            self.send_json(200, self.out(t, version, result))

    def delete_collection(self, t, version, ns):
        c = self.server.cluster
        self.json_body()
        with c.cond:
            items, _, _ = self.selected(t, ns)
            out = []
            for obj in items:
                if not self.dry_run():
                    r = c.delete_obj(t, obj)
                    out.append(self.out(t, version, r))
            self.send_json(200, {"kind": t.kind + "List", "apiVersion": t.api_version(version),
                                 "metadata": {"resourceVersion": str(c.rv)}, "items": out})

    def pod_log(self, t, ns, name):
        """The text of STATE/pods/NS/POD/<container>.log (empty if there is none)."""
        c = self.server.cluster
        with c.cond:
            pod = copy.deepcopy(self.lookup(t, ns, name))
        containers = [x.get("name") for x in (pod.get("spec") or {}).get("containers") or []]
        container = self.q("container") or (containers[0] if len(containers) == 1 else "")
        if not container:
            raise err_bad_request("a container name must be specified for pod %s, choose one of: [%s]"
                                  % (name, " ".join(containers)))
        if container not in containers:
            raise err_bad_request("container %s is not valid for pod %s" % (container, name))
        path = os.path.join(c.state_dir, "pods", ns, name, container + ".log")
        body = b""
        if os.path.exists(path):
            with open(path, "rb") as f:
                body = f.read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    # ---- exec over WebSocket (v5.channel.k8s.io / v4.channel.k8s.io)
    def exec_pod(self, t, ns, name):
        c = self.server.cluster
        with c.cond:
            pod = copy.deepcopy(self.lookup(t, ns, name))
        command = self.query.get("command", [])
        containers = [x.get("name") for x in (pod.get("spec") or {}).get("containers") or []]
        container = self.q("container") or (containers[0] if containers else "")
        if containers and container not in containers:
            raise err_bad_request("container %s is not valid for pod %s" % (container, name))
        if (pod.get("status") or {}).get("phase", "Running") != "Running":
            raise err_bad_request("pod %s is not running" % name)
        if not command:
            raise err_bad_request("you must specify at least 1 command")
        upgrade = self.headers.get("Upgrade", "").lower()
        protos = [p.strip() for p in self.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        if upgrade != "websocket":
            # kubectl falls back to SPDY when the WebSocket upgrade is refused; we only speak WebSocket
            raise ApiError(400, "BadRequest", "Upgrade request required")
        proto = next((p for p in ("v5.channel.k8s.io", "v4.channel.k8s.io") if p in protos), None)
        if proto is None:
            raise err_bad_request("unable to upgrade: no supported WebSocket subprotocol in %s" % protos)
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101, "Switching Protocols")
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.send_header("Sec-WebSocket-Protocol", proto)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        ExecSession(self, pod, container, command, proto).run()


class ExecSession:
    """Runs the command as a local process in the pod's directory and relays its streams as
    WebSocket binary frames `[channel][data]` (0 stdin, 1 stdout, 2 stderr, 3 status, 255 close)."""

    def __init__(self, handler, pod, container, command, proto):
        self.h = handler
        self.sock = handler.connection
        self.pod = pod
        self.container = container
        self.command = command
        self.v5 = proto.startswith("v5")
        self.wlock = threading.Lock()
        self.want_stdin = handler.q("stdin") in ("true", "1")
        self.want_stdout = handler.q("stdout", "true") in ("true", "1")
        self.want_stderr = handler.q("stderr", "true") in ("true", "1")
        self.rooted = []

    def pod_dir(self):
        md = self.pod["metadata"]
        d = os.path.join(self.h.server.cluster.state_dir, "pods", md.get("namespace", ""), md["name"])
        os.makedirs(d, exist_ok=True)
        return d

    def send_frame(self, opcode, payload):
        hdr = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            hdr += bytes([n])
        elif n < 65536:
            hdr += bytes([126]) + struct.pack(">H", n)
        else:
            hdr += bytes([127]) + struct.pack(">Q", n)
        with self.wlock:
            self.sock.sendall(hdr + payload)

    def send_data(self, channel, data):
        for i in range(0, len(data), 1 << 20):
            self.send_frame(2, bytes([channel]) + data[i:i + (1 << 20)])

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.h.rfile.read(n - len(buf))
            if not chunk:
                raise ConnectionError("closed")
            buf += chunk
        return buf

    def recv_frame(self):
        b0, b1 = self.recv_exact(2)
        opcode = b0 & 0x0F
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack(">H", self.recv_exact(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", self.recv_exact(8))[0]
        mask = self.recv_exact(4) if b1 & 0x80 else None
        data = self.recv_exact(n) if n else b""
        if mask:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data)) if n < 4096 else _unmask(data, mask)
        return opcode, data

    def argv(self):
        md = self.pod["metadata"]
        rooted = (md.get("annotations") or {}).get("apisim.ferry.dev/rooted-paths")
        rooted = [p for p in rooted.split(",") if p] if rooted is not None else DEFAULT_ROOTED_PATHS
        try:
            rewrites = json.loads((md.get("annotations") or {}).get("apisim.ferry.dev/arg-rewrites") or "{}")
        except ValueError:
            rewrites = {}
        pdir = self.pod_dir()
        self.rooted = rooted
        out = []
        for a in self.command:
            for r in rooted:
                a = re.sub(r"(^|[\s=:'\"])" + re.escape(r) + r"(?=[/\s'\";]|$)", lambda m: m.group(1) + pdir + r, a)
            for frm, to in rewrites.items():
                a = a.replace(frm, to)
            out.append(a)
        if out and os.path.basename(out[0]) == "tar" and out != self.command:
            # keep the member names a real pod's tar writes (`kubectl cp` checks them)
            out.append("--transform=s|^%s/||" % pdir.lstrip("/"))
        return out

    def unroot(self, data):
        """Maps the pod dir back out of what the command prints (`Snapshot saved at /var/lib/data/...`).
        Only text is touched: binary output (a snapshot, a tar stream) passes as it is."""
        if b"\0" in data:
            return data
        try:
            data.decode()
        except UnicodeDecodeError:
            return data
        for r in self.rooted:
            data = data.replace((self.pod_dir() + r).encode(), r.encode())
        return data

    def env(self):
        env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "HOME": self.pod_dir(),
               "HOSTNAME": self.pod["metadata"]["name"], "LANG": "C.UTF-8"}
        # The CA bundle curl trusts, as the sandbox was started with: a pod reaching the local S3
        # server over HTTPS (an in-pod upload) trusts its CA as a real pod trusts AWS's.
        if os.environ.get("CURL_CA_BUNDLE"):
            env["CURL_CA_BUNDLE"] = os.environ["CURL_CA_BUNDLE"]
        for ctr in (self.pod.get("spec") or {}).get("containers") or []:
            if ctr.get("name") == self.container:
                for e in ctr.get("env") or []:
                    if "value" in e:
                        env[e["name"]] = str(e["value"])
        return env

    def run(self):
        srv = self.h.server
        pdir = self.pod_dir()
        for r in DEFAULT_ROOTED_PATHS:
            os.makedirs(pdir + r, exist_ok=True)
        try:
            proc = subprocess.Popen(self.argv(), cwd=pdir, env=self.env(),
                                    stdin=subprocess.PIPE if self.want_stdin else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        except OSError as e:
            msg = ('Internal error occurred: error executing command in container: failed to exec in container: '
                   'failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: '
                   'exec: "%s": %s: unknown' % (self.command[0], "executable file not found in $PATH"
                                                if isinstance(e, FileNotFoundError) else e.strerror))
            self.finish({"metadata": {}, "status": "Failure", "message": msg, "reason": "InternalError",
                         "details": {"causes": [{"message": msg}]}, "code": 500})
            return
        with srv.procs_lock:
            srv.procs.add(proc)
        readers = []
        for stream, ch, want in ((proc.stdout, 1, self.want_stdout), (proc.stderr, 2, self.want_stderr)):
            th = threading.Thread(target=self.pump, args=(stream, ch, want), daemon=True)
            th.start()
            readers.append(th)
        threading.Thread(target=self.read_client, args=(proc,), daemon=True).start()
        for th in readers:
            th.join()
        code = proc.wait()
        with srv.procs_lock:
            srv.procs.discard(proc)
        if code == 0:
            st = {"metadata": {}, "status": "Success"}
        else:
            if code < 0:
                code = 128 - code
            st = {"metadata": {}, "status": "Failure",
                  "message": "command terminated with non-zero exit code: error executing command %s, exit code %d"
                             % ("[" + " ".join(self.command) + "]", code),
                  "reason": "NonZeroExitCode",
                  "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]}}
        self.finish(st)

    def finish(self, status):
        try:
            self.send_data(3, json.dumps(status).encode())
            self.send_frame(8, struct.pack(">H", 1000))
            # wait briefly for the client's close frame, then drop the connection
            self.sock.settimeout(2)
            try:
                for _ in range(100):
                    op, _ = self.recv_frame()
                    if op == 8:
                        break
            except (ConnectionError, OSError, ValueError, ssl.SSLError):
                pass
        except (ConnectionError, OSError, ssl.SSLError):
            pass

    def pump(self, stream, ch, want):
        try:
            while True:
                data = stream.read1(1 << 16)
                if not data:
                    break
                if want:
                    self.send_data(ch, self.unroot(data) if self.rooted else data)
        except (ConnectionError, OSError, ssl.SSLError):
            pass

    def read_client(self, proc):
        try:
            while True:
                op, data = self.recv_frame()
                if op == 8:
                    break
                if op == 9:
                    self.send_frame(10, data)
                    continue
                if op not in (1, 2) or not data:
                    continue
                ch, payload = data[0], data[1:]
                if ch == 0 and proc.stdin:
                    proc.stdin.write(payload)
                    proc.stdin.flush()
                elif ch == 255 and payload[:1] == b"\x00" and proc.stdin:
                    proc.stdin.close()
        except (ConnectionError, OSError, ValueError, ssl.SSLError):
            pass
        finally:
            if proc.stdin and not proc.stdin.closed:
                try:
                    proc.stdin.close()
                except OSError:
                    pass


def _unmask(data, mask):
    n = len(data)
    m = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(m, "big")).to_bytes(n, "big")


# --------------------------------------------------------------------------------------------
# Startup


def make_certs(state_dir):
    tls = os.path.join(state_dir, "tls")
    os.makedirs(tls, exist_ok=True)
    ca_key, ca_crt = os.path.join(tls, "ca.key"), os.path.join(tls, "ca.crt")
    key, csr, crt = os.path.join(tls, "server.key"), os.path.join(tls, "server.csr"), os.path.join(tls, "server.crt")
    ext = os.path.join(tls, "server.ext")
    if all(os.path.exists(p) for p in (ca_crt, key, crt)):
        return ca_crt, crt, key

    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650",
        "-keyout", ca_key, "-out", ca_crt, "-subj", "/CN=apisim-ca")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr,
        "-subj", "/CN=apisim")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
                "keyUsage=digitalSignature,keyEncipherment\n")
    run("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-out", crt, "-days",
        "3650", "-extfile", ext)
    for p in (ca_key, key):
        os.chmod(p, 0o600)
    return ca_crt, crt, key


def write_kubeconfig(path, name, url, ca, token):
    kc = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": url, "certificate-authority": ca}}],
        "users": [{"name": name + "-admin", "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name + "-admin", "namespace": "default"}}],
        "current-context": name,
    }
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(kc, f, indent=2)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def seed(cluster, fixture_path):
    with open(fixture_path) as f:
        data = json.load(f)
    objs = data.get("objects", []) if isinstance(data, dict) else data
    # namespaces first, then everything else in file order
    objs = sorted(objs, key=lambda o: 0 if o.get("kind") == "Namespace" else 1)
    for o in objs:
        t, version = cluster.type_for_kind(o.get("apiVersion", ""), o.get("kind", ""))
        if t is None:
            raise SystemExit("apisim: fixture %s: unknown kind %s %s" % (fixture_path, o.get("apiVersion"),
                                                                        o.get("kind")))
        o = copy.deepcopy(o)
        ns = o.get("metadata", {}).get("namespace", "default") if t.namespaced else ""
        if t.namespaced:
            o["metadata"]["namespace"] = ns
            if ("", ns) not in cluster.objects[("", "namespaces")]:
                raise SystemExit("apisim: fixture %s: %s/%s is in namespace %s, which the fixture does not create"
                                 % (fixture_path, t.kind, o["metadata"].get("name"), ns))
        warnings = []
        try:
            cluster.validate(t, version, o, None, "Strict", warnings)
        except ApiError as e:
            raise SystemExit("apisim: fixture %s: %s" % (fixture_path, e.message))
        with cluster.cond:
            cluster._store_new(t, o, version, "apisim-fixture", keep_uid=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Kubernetes API simulator for kubectl (ferry's sandbox)")
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--fixture", action="append", default=[], help="JSON fixture to seed (repeatable)")
    ap.add_argument("--crds", action="append", default=[],
                    help="directory of CRD YAML files (e.g. ../shared/testdata/crds); repeatable: "
                         "tests/sandbox/crds holds those the shared testdata lacks (a CRD already "
                         "loaded from an earlier directory wins)")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready-file")
    ap.add_argument("--name", default="apisim")
    ap.add_argument("--token", help="bearer token to accept (default: random)")
    ap.add_argument("--etcd", action="store_true",
                    help="back the fixtures' etcd pods (label app=etcd) with a real TLS etcd")
    ap.add_argument("--hypershift-restore", action="store_true",
                    help="simulate HyperShift restoring etcd from a HostedCluster's restoreSnapshotURL")
    ap.add_argument("--ca-bundle", help="CA file for the https snapshot downloads of --hypershift-restore")
    ap.add_argument("--controllers", default="none",
                    help="controller models to run: all, none (default) or a comma list (docs/kube.md)")
    ap.add_argument("--cluster-role", choices=("management", "hosted"), default="management",
                    help="which controllers 'all' means: a management cluster's or a hosted cluster's")
    ap.add_argument("--hosted-cluster", metavar="NAMESPACE/NAME",
                    help="with --cluster-role hosted: the HostedCluster this instance is the API of (its entry in "
                         "the shared dir's hosted-api.json; default clusters/jdoe-hosted, the fixtures' first)")
    ap.add_argument("--latency", action="append", default=[], metavar="[NAME=]SECONDS",
                    help="reconcile latency of one controller model (NAME=S) or of all (S); repeatable")
    ap.add_argument("--shared-dir", help="directory the clusters of one sandbox share (the fake cloud, "
                                         "the hosted cluster's API endpoint)")
    args = ap.parse_args(argv)

    state = os.path.abspath(args.state_dir)
    os.makedirs(state, exist_ok=True)
    types = builtin_types()
    docs = []
    for crd_dir in args.crds:
        ct, cd = load_crds(crd_dir)
        if not ct:
            raise SystemExit("apisim: no CustomResourceDefinition found in %s" % crd_dir)
        have = {(t.group, t.plural) for t in types}
        for t, d in zip(ct, cd):
            if (t.group, t.plural) in have:
                print("apisim: %s.%s from %s ignored: already loaded" % (t.plural, t.group, crd_dir), flush=True)
                continue
            types.append(t)
            docs.append(d)
    cluster = Cluster(args.name, types, docs, state)
    for f in args.fixture:
        seed(cluster, f)
    etcd_manager = None
    etcd_info = None
    if args.etcd or args.hypershift_restore:
        if args.hypershift_restore and not any(t.kind == "HostedCluster" for t in types):
            raise SystemExit("apisim: --hypershift-restore needs the HostedCluster CRD (--crds)")
        etcd_manager = simetcd.EtcdManager(state)
    etcds = {}
    if args.etcd:
        t = etcd_manager.tls
        for ns, port in simetcd.back_fixture_pods(cluster, etcd_manager).items():
            etcds[ns] = {"endpoint": "https://localhost:%d" % port, "ca": os.path.join(t, "ca.crt"),
                         "cert": os.path.join(t, "client.crt"), "key": os.path.join(t, "client.key")}
        # `etcd`: the first hosted cluster's (sandbox.sh's SOURCE_ETCDCTL_ARGS); `etcds`: each
        # control-plane namespace's, when the fixture holds several hosted clusters
        etcd_info = next(iter(etcds.values()), None)

    ca, crt, key = make_certs(state)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    ctx.set_alpn_protocols(["http/1.1"])
    token = args.token or secrets.token_hex(24)
    srv = Server(("127.0.0.1", args.port), Handler, cluster, token, ctx)
    port = srv.server_address[1]
    url = "https://127.0.0.1:%d" % port
    kubeconfig = os.path.join(state, "kubeconfig")
    write_kubeconfig(kubeconfig, args.name, url, ca, token)

    def stop(signum, frame):
        srv.stopping.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    # The control-plane-operator model restores etcd itself (controllers/cpo.py): with it,
    # --hypershift-restore is a no-op, so one snapshot is never restored twice.
    cpo_model = "control-plane-operator" in args.controllers.split(",") or (
        args.controllers == "all" and args.cluster_role == "management")
    if args.hypershift_restore and not cpo_model:
        simetcd.RestoreController(cluster, etcd_manager, srv.stopping, args.ca_bundle).start()
    shared = controllers.shared.Shared(args.shared_dir) if args.shared_dir else None
    cluster.sandbox = {"shared": shared, "etcd": etcd_manager, "ca_bundle": args.ca_bundle,
                       "role": args.cluster_role, "hosted_cluster": args.hosted_cluster}
    controllers.start(cluster, srv.stopping, args.controllers, args.latency, shared, args.cluster_role)
    info = {"name": args.name, "url": url, "port": port, "kubeconfig": kubeconfig, "token": token, "ca": ca,
            "pid": os.getpid(), "state_dir": state}
    if etcd_info:
        info["etcd"] = etcd_info
    if len(etcds) > 1:
        info["etcds"] = etcds
    line = json.dumps(info)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(line + "\n")
        os.replace(tmp, args.ready_file)
    print(line, flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.stopping.set()
        with cluster.cond:
            cluster.cond.notify_all()
        with srv.procs_lock:
            for p in list(srv.procs):
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except OSError:
                    pass
        if etcd_manager:
            etcd_manager.stop_all()
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
