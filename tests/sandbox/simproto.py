"""Decodes the Kubernetes protobuf envelope for the few built-in kinds kubectl's typed generators
send as protobuf (`kubectl create namespace|configmap|secret`), into the JSON form.

Wire format: the 4 magic bytes "k8s\\0", then a runtime.Unknown message {1: TypeMeta{1: apiVersion,
2: kind}, 2: raw (the object's own protobuf), 3: contentEncoding, 4: contentType}. Field numbers
below come from k8s.io/api's generated.proto.
"""

import base64

MAGIC = b"k8s\x00"


class ProtoError(ValueError):
    pass


def _varint(b, i):
    shift = 0
    out = 0
    while True:
        if i >= len(b):
            raise ProtoError("truncated varint")
        c = b[i]
        i += 1
        out |= (c & 0x7F) << shift
        if not c & 0x80:
            return out, i
        shift += 7


def fields(b):
    """Yields (field number, wire type, value) of one message."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 2:
            n, i = _varint(b, i)
            v = b[i:i + n]
            i += n
        elif wt == 1:
            v = b[i:i + 8]
            i += 8
        elif wt == 5:
            v = b[i:i + 4]
            i += 4
        else:
            raise ProtoError("unsupported wire type %d" % wt)
        yield num, wt, v


def _map_entry(b):
    k = v = None
    for num, _, val in fields(b):
        if num == 1:
            k = val.decode()
        elif num == 2:
            v = val
    return k, v if v is not None else b""


def _time(b):
    secs = 0
    for num, _, v in fields(b):
        if num == 1:
            secs = v
    import datetime
    return datetime.datetime.fromtimestamp(secs, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def object_meta(b):
    md = {}
    for num, wt, v in fields(b):
        if num == 1:
            md["name"] = v.decode()
        elif num == 2:
            if v:
                md["generateName"] = v.decode()
        elif num == 3:
            md["namespace"] = v.decode()
        elif num == 5:
            md["uid"] = v.decode()
        elif num == 6:
            md["resourceVersion"] = v.decode()
        elif num == 7:
            md["generation"] = v
        elif num == 8:
            t = _time(v)
            if not t.startswith("1970"):
                md["creationTimestamp"] = t
        elif num == 11:
            k, val = _map_entry(v)
            md.setdefault("labels", {})[k] = val.decode()
        elif num == 12:
            k, val = _map_entry(v)
            md.setdefault("annotations", {})[k] = val.decode()
        elif num == 14:
            md.setdefault("finalizers", []).append(v.decode())
    return md


def _namespace(raw):
    o = {"apiVersion": "v1", "kind": "Namespace"}
    for num, _, v in fields(raw):
        if num == 1:
            o["metadata"] = object_meta(v)
        elif num == 2:
            fin = [x.decode() for n, _, x in fields(v) if n == 1]
            if fin:
                o["spec"] = {"finalizers": fin}
    return o


def _configmap(raw):
    o = {"apiVersion": "v1", "kind": "ConfigMap"}
    for num, _, v in fields(raw):
        if num == 1:
            o["metadata"] = object_meta(v)
        elif num == 2:
            k, val = _map_entry(v)
            o.setdefault("data", {})[k] = val.decode()
        elif num == 3:
            k, val = _map_entry(v)
            o.setdefault("binaryData", {})[k] = base64.b64encode(val).decode()
        elif num == 4:
            o["immutable"] = bool(v)
    return o


def _secret(raw):
    o = {"apiVersion": "v1", "kind": "Secret"}
    for num, _, v in fields(raw):
        if num == 1:
            o["metadata"] = object_meta(v)
        elif num == 2:
            k, val = _map_entry(v)
            o.setdefault("data", {})[k] = base64.b64encode(val).decode()
        elif num == 3:
            if v:
                o["type"] = v.decode()
        elif num == 4:
            k, val = _map_entry(v)
            o.setdefault("stringData", {})[k] = val.decode()
        elif num == 5:
            o["immutable"] = bool(v)
    return o


DECODERS = {("v1", "Namespace"): _namespace, ("v1", "ConfigMap"): _configmap, ("v1", "Secret"): _secret}


def decode(body):
    """Returns the JSON-form object, or raises ProtoError for kinds it does not know."""
    if not body.startswith(MAGIC):
        raise ProtoError("missing k8s protobuf magic")
    api_version = kind = ""
    raw = b""
    for num, _, v in fields(body[4:]):
        if num == 1:
            for n2, _, v2 in fields(v):
                if n2 == 1:
                    api_version = v2.decode()
                elif n2 == 2:
                    kind = v2.decode()
        elif num == 2:
            raw = v
    dec = DECODERS.get((api_version, kind))
    if dec is None:
        raise ProtoError("no protobuf decoder for %s %s" % (api_version, kind))
    return dec(raw)
