"""A small evaluator for the CEL subset used by CRD `x-kubernetes-validations` rules.

Supports literals (int, double, string, bool, null, lists, maps), `self`/`oldSelf`, field access
(and `.?` optional access with `orValue`), indexing, `has()`, the operators `! - * / % + < <= > >=
== != in && || ?:`, the macros `all exists exists_one filter map`, and the functions and methods
the HyperShift / Cluster API CRDs use (`size matches startsWith endsWith contains split lowerAscii
find int string duration isURL url isIP isCIDR cidr`). Anything else raises `Unsupported`, and a
rule that cannot be compiled or evaluated is skipped by the caller (treated as passing), so a gap
here never rejects a valid object.
"""

import ipaddress
import re
import urllib.parse

__all__ = ["compile_rule", "Unsupported", "EvalError"]


class Unsupported(Exception):
    pass


class EvalError(Exception):
    pass


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>\d+\.\d+(?:[eE][-+]?\d+)?|0x[0-9a-fA-F]+|\d+u?)
  | (?P<str>[rR]?(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'))
  | (?P<op>\.\?|==|!=|<=|>=|&&|\|\||[-+*/%!<>?:.,()\[\]{}])
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
""", re.X)

_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b",
        "f": "\f", "v": "\v", "?": "?", "`": "`"}


def _unquote(tok):
    raw = tok[0] in "rR"
    body = tok[2:-1] if raw else tok[1:-1]
    if raw:
        return body
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            if n in _ESC:
                out.append(_ESC[n])
                i += 2
                continue
            raise Unsupported("escape \\" + n)
        out.append(c)
        i += 1
    return "".join(out)


def _tokenize(src):
    pos = 0
    out = []
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m:
            raise Unsupported("cannot tokenize at %r" % src[pos:pos + 10])
        pos = m.end()
        kind = m.lastgroup
        if kind == "ws":
            continue
        out.append((kind, m.group(kind)))
    out.append(("eof", ""))
    return out


class _Absent:
    """The value of an optional field that is not set (`self.?x`)."""


_ABSENT = _Absent()

# AST nodes are tuples: (kind, ...)


class _Parser:
    def __init__(self, src):
        self.t = _tokenize(src)
        self.i = 0

    def peek(self):
        return self.t[self.i]

    def take(self, val=None):
        tok = self.t[self.i]
        if val is not None and tok[1] != val:
            raise Unsupported("expected %r, got %r" % (val, tok[1]))
        self.i += 1
        return tok

    def parse(self):
        e = self.expr()
        if self.peek()[0] != "eof":
            raise Unsupported("trailing tokens")
        return e

    def expr(self):
        c = self.or_()
        if self.peek()[1] == "?":
            self.take()
            a = self.expr()
            self.take(":")
            b = self.expr()
            return ("cond", c, a, b)
        return c

    def or_(self):
        e = self.and_()
        while self.peek()[1] == "||":
            self.take()
            e = ("or", e, self.and_())
        return e

    def and_(self):
        e = self.rel()
        while self.peek()[1] == "&&":
            self.take()
            e = ("and", e, self.rel())
        return e

    def rel(self):
        e = self.add()
        while self.peek()[1] in ("==", "!=", "<", "<=", ">", ">=") or self.peek() == ("id", "in"):
            op = self.take()[1]
            e = ("bin", op, e, self.add())
        return e

    def add(self):
        e = self.mul()
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            op = self.take()[1]
            e = ("bin", op, e, self.mul())
        return e

    def mul(self):
        e = self.unary()
        while self.peek()[1] in ("*", "/", "%") and self.peek()[0] == "op":
            op = self.take()[1]
            e = ("bin", op, e, self.unary())
        return e

    def unary(self):
        if self.peek()[1] == "!":
            self.take()
            return ("not", self.unary())
        if self.peek()[1] == "-" and self.peek()[0] == "op":
            self.take()
            return ("neg", self.unary())
        return self.member()

    def args(self):
        self.take("(")
        out = []
        while self.peek()[1] != ")":
            out.append(self.expr())
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        return out

    def member(self):
        e = self.primary()
        while True:
            p = self.peek()[1]
            if p in (".", ".?"):
                self.take()
                name = self.take()[1]
                if p == "." and self.peek()[1] == "(":
                    e = ("call", name, e, self.args())
                else:
                    e = ("sel", e, name, p == ".?")
            elif p == "[":
                self.take()
                idx = self.expr()
                self.take("]")
                e = ("index", e, idx)
            else:
                return e

    def primary(self):
        kind, val = self.take()
        if kind == "num":
            if "." in val or "e" in val.lower() and not val.startswith("0x"):
                return ("lit", float(val))
            return ("lit", int(val.rstrip("u"), 0))
        if kind == "str":
            return ("lit", _unquote(val))
        if kind == "id":
            if val == "true":
                return ("lit", True)
            if val == "false":
                return ("lit", False)
            if val == "null":
                return ("lit", None)
            if self.peek()[1] == "(":
                if val == "has":
                    self.take("(")
                    arg = self.member()
                    self.take(")")
                    if arg[0] != "sel":
                        raise Unsupported("has() needs a field selection")
                    return ("has", arg)
                return ("call", val, None, self.args())
            return ("var", val)
        if val == "(":
            e = self.expr()
            self.take(")")
            return e
        if val == "[":
            items = []
            while self.peek()[1] != "]":
                items.append(self.expr())
                if self.peek()[1] == ",":
                    self.take()
            self.take("]")
            return ("list", items)
        if val == "{":
            items = []
            while self.peek()[1] != "}":
                k = self.expr()
                self.take(":")
                items.append((k, self.expr()))
                if self.peek()[1] == ",":
                    self.take()
            self.take("}")
            return ("map", items)
        raise Unsupported("unexpected token %r" % val)


_MACROS = {"all", "exists", "exists_one", "filter", "map"}


def _eq(a, b):
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


def _size(v):
    if isinstance(v, (str, list, dict)):
        return len(v)
    raise EvalError("size of %r" % type(v).__name__)


def _parse_duration(s):
    m = re.fullmatch(r"(?:(\d+(?:\.\d+)?)(h|ms|us|ns|m|s))+", s)
    if not m:
        raise EvalError("bad duration")
    total = 0.0
    for num, unit in re.findall(r"(\d+(?:\.\d+)?)(h|ms|us|ns|m|s)", s):
        total += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[unit]
    return total


class _Dur(float):
    pass


class _URL:
    def __init__(self, s):
        self.u = urllib.parse.urlsplit(s)


def _is_url(s):
    try:
        u = urllib.parse.urlsplit(s)
    except ValueError:
        return False
    return bool(u.scheme) and (bool(u.netloc) or s.startswith(u.scheme + ":/"))


class _Rule:
    def __init__(self, src):
        self.src = src
        self.ast = _Parser(src).parse()
        self.uses_old = "oldSelf" in src

    def eval(self, self_val, old_val=_ABSENT):
        env = {"self": self_val}
        if old_val is not _ABSENT:
            env["oldSelf"] = old_val
        return self._ev(self.ast, env)

    def _ev(self, n, env):
        k = n[0]
        if k == "lit":
            return n[1]
        if k == "var":
            if n[1] not in env:
                raise EvalError("undeclared " + n[1])
            return env[n[1]]
        if k == "list":
            return [self._ev(x, env) for x in n[1]]
        if k == "map":
            return {self._ev(a, env): self._ev(b, env) for a, b in n[1]}
        if k == "cond":
            return self._ev(n[2], env) if self._bool(self._ev(n[1], env)) else self._ev(n[3], env)
        if k == "or":
            try:
                a = self._bool(self._ev(n[1], env))
            except EvalError:
                if self._bool(self._ev(n[2], env)):
                    return True
                raise
            return True if a else self._bool(self._ev(n[2], env))
        if k == "and":
            try:
                a = self._bool(self._ev(n[1], env))
            except EvalError:
                if not self._bool(self._ev(n[2], env)):
                    return False
                raise
            return False if not a else self._bool(self._ev(n[2], env))
        if k == "not":
            return not self._bool(self._ev(n[1], env))
        if k == "neg":
            return -self._ev(n[1], env)
        if k == "sel":
            base = self._ev(n[1], env)
            if n[3] or base is _ABSENT:
                if base is _ABSENT or not isinstance(base, dict) or n[2] not in base:
                    return _ABSENT
                return base[n[2]]
            if isinstance(base, dict):
                if n[2] not in base:
                    raise EvalError("no such key: " + n[2])
                return base[n[2]]
            raise EvalError("select on non-map")
        if k == "has":
            base = self._ev(n[1][1], env)
            return isinstance(base, dict) and n[1][2] in base
        if k == "index":
            base = self._ev(n[1], env)
            idx = self._ev(n[2], env)
            try:
                return base[idx]
            except (IndexError, KeyError, TypeError):
                raise EvalError("index out of range")
        if k == "bin":
            return self._bin(n[1], self._ev(n[2], env), self._ev(n[3], env))
        if k == "call":
            return self._call(n, env)
        raise Unsupported(k)

    @staticmethod
    def _bool(v):
        if not isinstance(v, bool):
            raise EvalError("not a bool")
        return v

    def _bin(self, op, a, b):
        if op == "==":
            return _eq(a, b)
        if op == "!=":
            return not _eq(a, b)
        if op == "in":
            if isinstance(b, list):
                return any(_eq(a, x) for x in b)
            if isinstance(b, dict):
                return a in b
            raise EvalError("in")
        try:
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a // b if isinstance(a, int) and isinstance(b, int) else a / b
            if op == "%":
                return a % b
            if op == "<":
                return a < b
            if op == "<=":
                return a <= b
            if op == ">":
                return a > b
            if op == ">=":
                return a >= b
        except (TypeError, ZeroDivisionError):
            raise EvalError("bad operands for " + op)
        raise Unsupported(op)

    def _call(self, n, env):
        _, name, target, args = n
        if target is not None and name in _MACROS:
            coll = self._ev(target, env)
            if len(args) != 2 or args[0][0] != "var":
                raise Unsupported("macro form")
            var = args[0][1]
            items = list(coll.keys()) if isinstance(coll, dict) else coll
            if not isinstance(items, list):
                raise EvalError("macro on non-list")

            def f(x):
                e2 = dict(env)
                e2[var] = x
                return self._ev(args[1], e2)
            if name == "all":
                return all(self._bool(f(x)) for x in items)
            if name == "exists":
                return any(self._bool(f(x)) for x in items)
            if name == "exists_one":
                return sum(1 for x in items if self._bool(f(x))) == 1
            if name == "filter":
                return [x for x in items if self._bool(f(x))]
            return [f(x) for x in items]
        vals = [self._ev(a, env) for a in args]
        if target is not None:
            t = self._ev(target, env)
            if name == "orValue":
                return vals[0] if t is _ABSENT else t
            if t is _ABSENT:
                raise EvalError("absent value")
            return self._method(name, t, vals)
        return self._func(name, vals)

    def _method(self, name, t, a):
        if name == "size":
            return _size(t)
        if isinstance(t, str):
            if name == "matches":
                return re.search(a[0], t) is not None
            if name == "startsWith":
                return t.startswith(a[0])
            if name == "endsWith":
                return t.endswith(a[0])
            if name == "contains":
                return a[0] in t
            if name == "lowerAscii":
                return t.lower()
            if name == "find":
                m = re.search(a[0], t)
                return m.group(0) if m else ""
            if name == "split":
                if len(a) == 2:
                    return t.split(a[0], a[1] - 1) if a[1] > 0 else ([] if a[1] == 0 else t.split(a[0]))
                return t.split(a[0])
        if isinstance(t, _Dur) and name == "getSeconds":
            return int(t)
        if isinstance(t, _URL):
            if name == "getScheme":
                return t.u.scheme
            if name == "getQuery":
                return urllib.parse.parse_qs(t.u.query)
            if name == "getHost":
                return t.u.netloc
        if isinstance(t, ipaddress.IPv4Network) or isinstance(t, ipaddress.IPv6Network):
            if name == "prefixLength":
                return t.prefixlen
            if name == "ip":
                return t.network_address
        if isinstance(t, (ipaddress.IPv4Address, ipaddress.IPv6Address)) and name == "family":
            return t.version
        raise Unsupported("method " + name)

    def _func(self, name, a):
        if name == "size":
            return _size(a[0])
        if name == "int":
            try:
                return int(a[0])
            except (TypeError, ValueError):
                raise EvalError("int()")
        if name == "string":
            return str(a[0])
        if name == "duration":
            return _Dur(_parse_duration(a[0]))
        if name == "isURL":
            return _is_url(a[0])
        if name == "url":
            if not _is_url(a[0]):
                raise EvalError("not a URL")
            return _URL(a[0])
        if name == "isIP":
            try:
                ipaddress.ip_address(a[0])
                return True
            except ValueError:
                return False
        if name == "isCIDR":
            try:
                ipaddress.ip_network(a[0], strict=False)
                return "/" in a[0]
            except ValueError:
                return False
        if name == "cidr":
            try:
                return ipaddress.ip_network(a[0], strict=False)
            except ValueError:
                raise EvalError("cidr")
        raise Unsupported("function " + name)


_cache = {}


def compile_rule(src):
    """Returns a compiled rule, or raises Unsupported. Cached by source text."""
    r = _cache.get(src)
    if r is None:
        try:
            r = _Rule(src)
        except Unsupported as e:
            r = e
        except (IndexError, ValueError) as e:
            r = Unsupported(str(e))
        _cache[src] = r
    if isinstance(r, Exception):
        raise r
    return r


ABSENT = _ABSENT
