"""Validation of objects against a CRD's structural OpenAPI v3 schema, the way the API server does:
types, required, enum, min/max items/length/value, pattern, unknown fields (pruned, or reported
under fieldValidation=Strict), x-kubernetes-preserve-unknown-fields, defaults, and CEL
`x-kubernetes-validations` rules (with transition rules against the old object on update).

Errors are (field path, reason, message) triples whose message text matches what the real API
server prints (k8s.io/apimachinery field.Error), e.g.
  ("spec.replicas", "FieldValueTypeInvalid",
   'Invalid value: "string": spec.replicas in body must be of type integer: "string"').
"""

import json
import re

import simcel

__all__ = ["validate", "apply_defaults"]

_ABSENT = simcel.ABSENT


def _go_quote(v):
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def _type_name(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def _type_ok(t, v):
    if t == "object":
        return isinstance(v, dict)
    if t == "array":
        return isinstance(v, list)
    if t == "string":
        return isinstance(v, str)
    if t == "boolean":
        return isinstance(v, bool)
    if t == "integer":
        return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return True


def _int_or_string(s):
    return s.get("x-kubernetes-int-or-string")


class _Ctx:
    def __init__(self):
        self.errors = []
        self.unknown = []

    def err(self, path, reason, message):
        self.errors.append((path, reason, message))


def _join(path, key):
    if not path:
        return key
    return path + "." + key


def _walk(ctx, schema, v, old, path, meta_root=False):
    """Validates value v (which is present) at `path`; prunes unknown fields in place."""
    if v is None:
        if schema.get("nullable"):
            return
        # the server drops nulls for non-nullable fields during pruning/defaulting: a null
        # where an object/array/string is expected is a type error
        t = schema.get("type")
        if t:
            ctx.err(path, "FieldValueTypeInvalid",
                    'Invalid value: "null": %s in body must be of type %s: "null"' % (path, t))
        return
    t = schema.get("type")
    if _int_or_string(schema):
        if not (isinstance(v, str) or _type_ok("integer", v)):
            ctx.err(path, "FieldValueTypeInvalid",
                    'Invalid value: "%s": %s in body must be of type integer,string: "%s"'
                    % (_type_name(v), path, _type_name(v)))
            return
    elif t and not _type_ok(t, v):
        ctx.err(path, "FieldValueTypeInvalid", 'Invalid value: "%s": %s in body must be of type %s: "%s"'
                % (_type_name(v), path, t, _type_name(v)))
        return
    if "enum" in schema and not any(v == e and type(v) is type(e) or v == e for e in schema["enum"]):
        ctx.err(path, "FieldValueNotSupported", "Unsupported value: %s: supported values: %s"
                % (_go_quote(v), ", ".join(_go_quote(e) for e in schema["enum"])))
    if isinstance(v, str):
        if "maxLength" in schema and len(v) > schema["maxLength"]:
            ctx.err(path, "FieldValueTooLong", "Too long: may not be more than %d bytes" % schema["maxLength"])
        if "minLength" in schema and len(v) < schema["minLength"]:
            ctx.err(path, "FieldValueInvalid", "Invalid value: %s: %s in body should be at least %d chars long"
                    % (_go_quote(v), path, schema["minLength"]))
        if "pattern" in schema:
            try:
                ok = re.search(schema["pattern"], v) is not None
            except re.error:
                ok = True
            if not ok:
                ctx.err(path, "FieldValueInvalid", "Invalid value: %s: %s in body should match '%s'"
                        % (_go_quote(v), path, schema["pattern"]))
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "maximum" in schema and v > schema["maximum"]:
            ctx.err(path, "FieldValueInvalid", "Invalid value: %s: %s in body should be less than or equal to %s"
                    % (_go_quote(v), path, schema["maximum"]))
        if "minimum" in schema and v < schema["minimum"]:
            ctx.err(path, "FieldValueInvalid", "Invalid value: %s: %s in body should be greater than or equal to %s"
                    % (_go_quote(v), path, schema["minimum"]))
    if isinstance(v, list):
        if "maxItems" in schema and len(v) > schema["maxItems"]:
            ctx.err(path, "FieldValueTooMany", "Too many: %d: must have at most %d items"
                    % (len(v), schema["maxItems"]))
        if "minItems" in schema and len(v) < schema["minItems"]:
            ctx.err(path, "FieldValueInvalid", "Invalid value: %d: %s in body should have at least %d items"
                    % (len(v), path, schema["minItems"]))
        items = schema.get("items") or {}
        lt = schema.get("x-kubernetes-list-type")
        keys = schema.get("x-kubernetes-list-map-keys") or []
        old_by_key = {}
        if lt == "map" and isinstance(old, list):
            for o in old:
                if isinstance(o, dict):
                    old_by_key[tuple(json.dumps(o.get(k)) for k in keys)] = o
        if lt == "set":
            seen = []
            for i, x in enumerate(v):
                if x in seen:
                    ctx.err("%s[%d]" % (path, i), "FieldValueDuplicate", "Duplicate value: %s" % _go_quote(x))
                seen.append(x)
        for i, x in enumerate(v):
            o = _ABSENT
            if lt == "map" and isinstance(x, dict):
                o = old_by_key.get(tuple(json.dumps(x.get(k)) for k in keys), _ABSENT)
            _walk(ctx, items, x, o, "%s[%d]" % (path, i))
    if isinstance(v, dict):
        props = schema.get("properties")
        addl = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields")
        if meta_root:
            pass
        elif props is not None or addl is not None or t == "object":
            for r in schema.get("required") or []:
                if r not in v:
                    ctx.err(_join(path, r), "FieldValueRequired", "Required value")
            for k in list(v.keys()):
                sub = None
                if props and k in props:
                    sub = props[k]
                elif isinstance(addl, dict):
                    sub = addl
                elif addl is True or preserve:
                    continue
                if sub is None:
                    ctx.unknown.append(_join(path, k))
                    del v[k]
                    continue
                o = old.get(k, _ABSENT) if isinstance(old, dict) else _ABSENT
                if k == "metadata" and path == "":
                    continue
                _walk(ctx, sub, v[k], o, _join(path, k))
    _rules(ctx, schema, v, old, path)


def _rules(ctx, schema, v, old, path):
    for rule in schema.get("x-kubernetes-validations") or []:
        src = rule.get("rule", "")
        try:
            r = simcel.compile_rule(src)
        except simcel.Unsupported:
            continue
        if r.uses_old and old is _ABSENT:
            continue  # transition rules only run on update when the old value exists
        try:
            ok = r.eval(v, old if r.uses_old else _ABSENT)
        except (simcel.EvalError, simcel.Unsupported, re.error, RecursionError):
            continue
        if ok is True:
            continue
        msg = rule.get("message") or ("failed rule: %s" % src)
        p = path
        if rule.get("fieldPath"):
            p = path + rule["fieldPath"] if rule["fieldPath"].startswith("[") else _join(path, rule["fieldPath"].lstrip("."))
        reason = rule.get("reason") or "FieldValueInvalid"
        if reason == "FieldValueForbidden":
            ctx.err(p, reason, "Forbidden: " + msg)
        elif reason == "FieldValueRequired":
            ctx.err(p, reason, "Required value: " + msg)
        elif reason == "FieldValueDuplicate":
            ctx.err(p, reason, "Duplicate value: " + msg)
        else:
            ctx.err(p, "FieldValueInvalid", 'Invalid value: "%s": %s' % (schema.get("type") or _type_name(v), msg))


def apply_defaults(schema, v):
    """Sets `default` values for absent object properties, recursively (as the server does)."""
    if isinstance(v, dict):
        props = schema.get("properties") or {}
        for k, sub in props.items():
            if k not in v and "default" in sub:
                v[k] = json.loads(json.dumps(sub["default"]))
            if k in v:
                apply_defaults(sub, v[k])
        addl = schema.get("additionalProperties")
        if isinstance(addl, dict):
            for k in v:
                if k not in props:
                    apply_defaults(addl, v[k])
    elif isinstance(v, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for x in v:
                apply_defaults(items, x)


def validate(schema, obj, old=None):
    """Validates `obj` (pruned in place of unknown fields) against the version's openAPIV3Schema.

    Returns (errors, unknown_field_paths)."""
    ctx = _Ctx()
    _walk(ctx, schema, obj, old if old is not None else _ABSENT, "")
    return ctx.errors, ctx.unknown
