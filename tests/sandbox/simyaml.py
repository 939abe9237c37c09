"""A small YAML reader (standard library only) for the block-style YAML that controller-gen
writes (CRDs) and for the HyperShift CRD test suites.

Supported: block mappings and sequences (including `- key: value` items and sequences at the
same indent as their key), plain / single-quoted / double-quoted scalars spanning several lines,
literal and folded block scalars (`|`, `|-`, `|+`, `>`, `>-`), flow collections (`[a, b]`,
`{a: b}`), comments, and `---` document separators. Not supported: anchors, aliases, tags,
complex keys. Good enough for what the sandbox reads; not a general YAML parser.
"""

import json
import re

__all__ = ["load", "load_all", "YAMLError"]


class YAMLError(ValueError):
    pass


_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def _plain(s):
    if s in ("", "~", "null", "Null", "NULL"):
        return None
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if _INT.match(s):
        return int(s)
    if _FLOAT.match(s) and any(c.isdigit() for c in s):
        return float(s)
    if s in (".inf", ".Inf", "+.inf"):
        return float("inf")
    if s in ("-.inf", "-.Inf"):
        return float("-inf")
    return s


def _strip_comment(s):
    """Removes a trailing ` # comment` outside quotes."""
    q = None
    for i, c in enumerate(s):
        if q:
            if c == q:
                q = None
            elif c == "\\" and q == '"':
                continue
        elif c in "'\"" and (i == 0 or s[i - 1] in " \t:[{,-"):
            q = c
        elif c == "#" and (i == 0 or s[i - 1] in " \t"):
            return s[:i].rstrip()
    return s


def _dq_decode(body):
    out = []
    i = 0
    esc = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "/": "/",
           " ": " ", "b": "\b", "f": "\f", "e": "\x1b", "a": "\a", "v": "\v", "\t": "\t",
           "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            n = body[i + 1]
            if n in esc:
                out.append(esc[n])
                i += 2
            elif n in "xuU":
                w = {"x": 2, "u": 4, "U": 8}[n]
                out.append(chr(int(body[i + 2:i + 2 + w], 16)))
                i += 2 + w
            else:
                out.append(n)
                i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _fold_lines(lines):
    """Folds the lines of a multi-line flow scalar: single breaks become spaces, empty lines newlines."""
    out = ""
    pending_nl = 0
    for k, ln in enumerate(lines):
        t = ln.strip() if k else ln.rstrip()
        if k and t == "":
            pending_nl += 1
            continue
        if k:
            out += "\n" * pending_nl if pending_nl else " "
        pending_nl = 0
        out += t
    return out


class _Flow:
    """Parses a flow collection or scalar from a string."""

    def __init__(self, s):
        self.s = s
        self.i = 0

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t\n":
            self.i += 1

    def value(self):
        self.ws()
        c = self.s[self.i] if self.i < len(self.s) else ""
        if c == "[":
            self.i += 1
            out = []
            while True:
                self.ws()
                if self.s[self.i] == "]":
                    self.i += 1
                    return out
                out.append(self.value())
                self.ws()
                if self.s[self.i] == ",":
                    self.i += 1
        if c == "{":
            self.i += 1
            out = {}
            while True:
                self.ws()
                if self.s[self.i] == "}":
                    self.i += 1
                    return out
                k = self.value()
                self.ws()
                if self.s[self.i] == ":":
                    self.i += 1
                    v = self.value()
                else:
                    v = None
                out[k] = v
                self.ws()
                if self.s[self.i] == ",":
                    self.i += 1
        if c == '"':
            j = self.i + 1
            while self.s[j] != '"':
                j += 2 if self.s[j] == "\\" else 1
            v = _dq_decode(self.s[self.i + 1:j])
            self.i = j + 1
            return v
        if c == "'":
            j = self.i + 1
            while True:
                if self.s[j] == "'":
                    if j + 1 < len(self.s) and self.s[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            v = self.s[self.i + 1:j].replace("''", "'")
            self.i = j + 1
            return v
        j = self.i
        while j < len(self.s) and self.s[j] not in ",]}" and not (
                self.s[j] == ":" and (j + 1 == len(self.s) or self.s[j + 1] in " ,]}")):
            j += 1
        v = _plain(self.s[self.i:j].strip())
        self.i = j
        return v


def _scalar_text(text):
    """Decodes a complete (already joined) flow scalar or collection."""
    t = text.strip()
    if not t:
        return None
    if t[0] in "[{\"'":
        f = _Flow(t)
        v = f.value()
        return v
    return _plain(t)


class _Parser:
    def __init__(self, text):
        self.lines = []
        for raw in text.split("\n"):
            self.lines.append(raw.rstrip("\r"))
        self.n = len(self.lines)
        self.pos = 0

    @staticmethod
    def indent(line):
        return len(line) - len(line.lstrip(" "))

    def blank(self, line):
        s = line.strip()
        return s == "" or s.startswith("#")

    def skip_blank(self):
        while self.pos < self.n and self.blank(self.lines[self.pos]):
            self.pos += 1

    def at_doc_marker(self):
        return self.pos < self.n and (self.lines[self.pos].startswith("---")
                                      or self.lines[self.pos].startswith("..."))

    def parse_node(self, min_indent):
        """Parses the node starting at the next non-blank line whose indent is >= min_indent."""
        self.skip_blank()
        if self.pos >= self.n or self.at_doc_marker():
            return None
        line = self.lines[self.pos]
        ind = self.indent(line)
        if ind < min_indent:
            return None
        body = line[ind:]
        if body == "-" or body.startswith("- "):
            return self.parse_seq(ind)
        if self.key_of(body) is not None:
            return self.parse_map(ind)
        return self.parse_flow_scalar(ind - 1)

    def key_of(self, body):
        """Returns (key, rest) if `body` starts a mapping entry, else None."""
        if body[:1] in ('"', "'"):
            q = body[0]
            j = 1
            while j < len(body):
                if body[j] == "\\" and q == '"':
                    j += 2
                    continue
                if body[j] == q:
                    if q == "'" and j + 1 < len(body) and body[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            rest = body[j + 1:]
            if rest.startswith(":") and (len(rest) == 1 or rest[1] in " \t"):
                return _scalar_text(body[:j + 1]), rest[1:].strip()
            return None
        if body[:1] in "[{":
            return None
        m = re.match(r"^([^#][^:]*?)\s*:(\s|$)", body)
        if not m:
            return None
        return m.group(1), body[m.end():].strip() if m.end() <= len(body) else ""

    def parse_map(self, ind):
        out = {}
        while True:
            self.skip_blank()
            if self.pos >= self.n or self.at_doc_marker():
                break
            line = self.lines[self.pos]
            li = self.indent(line)
            if li < ind:
                break
            if li > ind:
                raise YAMLError("bad indentation at line %d: %r" % (self.pos + 1, line))
            body = line[ind:]
            kv = self.key_of(body)
            if kv is None:
                if body.startswith("- "):
                    break
                raise YAMLError("expected a mapping key at line %d: %r" % (self.pos + 1, line))
            key, rest = kv
            rest = _strip_comment(rest)
            self.pos += 1
            out[key] = self.parse_value(rest, ind)
        return out

    def parse_value(self, rest, ind):
        """The value after `key:` (rest of line) for a key at indent `ind`."""
        if rest == "":
            self.skip_blank()
            if self.pos < self.n and not self.at_doc_marker():
                nl = self.lines[self.pos]
                ni = self.indent(nl)
                nb = nl[ni:]
                if ni > ind:
                    return self.parse_node(ind + 1)
                if ni == ind and (nb == "-" or nb.startswith("- ")):
                    return self.parse_seq(ind)
            return None
        if rest[0] in "|>":
            return self.parse_block_scalar(rest, ind)
        return self.parse_inline(rest, ind)

    def parse_inline(self, first, ind):
        """A flow scalar/collection that starts on the current key's line and may continue on
        more-indented lines."""
        parts = [first]
        if first[0] in "\"'":
            q = first[0]
            while not self._closed_quote(" ".join(parts), q) and self.pos < self.n:
                parts.append(self.lines[self.pos])
                self.pos += 1
            if q == '"':
                joined = self._join_dq(parts)
                return _dq_decode(joined[1:joined.rindex('"')])
            joined = _fold_lines(parts)
            return joined[1:joined.rindex("'")].replace("''", "'")
        if first[0] in "[{":
            depth_text = first
            while not self._balanced(depth_text) and self.pos < self.n:
                depth_text += " " + self.lines[self.pos].strip()
                self.pos += 1
            return _scalar_text(depth_text)
        # plain multi-line scalar: continuation lines are more indented than the key
        while self.pos < self.n:
            nl = self.lines[self.pos]
            if self.blank(nl) and nl.strip() == "":
                # blank line inside a plain scalar only if followed by a continuation
                k = self.pos
                while k < self.n and self.lines[k].strip() == "":
                    k += 1
                if k < self.n and self.indent(self.lines[k]) > ind and not self._structural(self.lines[k]):
                    parts.extend([""] * (k - self.pos))
                    self.pos = k
                    continue
                break
            if self.indent(nl) <= ind or self._structural(nl) or nl.strip().startswith("#"):
                break
            parts.append(_strip_comment(nl))
            self.pos += 1
        if len(parts) == 1:
            return _plain(first)
        return _fold_lines(parts)

    def _structural(self, line):
        b = line.strip()
        return b == "-" or b.startswith("- ") or self.key_of(b) is not None

    @staticmethod
    def _balanced(t):
        d = 0
        q = None
        for c in t:
            if q:
                if c == q:
                    q = None
            elif c in "\"'":
                q = c
            elif c in "[{":
                d += 1
            elif c in "]}":
                d -= 1
        return d == 0

    @staticmethod
    def _closed_quote(t, q):
        i = 1
        while i < len(t):
            c = t[i]
            if q == '"' and c == "\\":
                i += 2
                continue
            if c == q:
                if q == "'" and i + 1 < len(t) and t[i + 1] == "'":
                    i += 2
                    continue
                return True
            i += 1
        return False

    @staticmethod
    def _join_dq(parts):
        out = parts[0].rstrip()
        pending = 0
        for p in parts[1:]:
            t = p.strip()
            if t == "":
                pending += 1
                continue
            if out.endswith("\\") and not out.endswith("\\\\"):
                out = out[:-1] + t
            elif pending:
                out += "\\n" * pending + t
            else:
                out += " " + t
            pending = 0
        return out

    def parse_block_scalar(self, header, ind):
        chomp = "clip"
        if "-" in header:
            chomp = "strip"
        elif "+" in header:
            chomp = "keep"
        folded = header[0] == ">"
        m = re.search(r"[1-9]", header)
        lines = []
        block_ind = None
        if m:
            block_ind = ind + int(m.group(0))
        while self.pos < self.n:
            ln = self.lines[self.pos]
            if ln.strip() == "":
                lines.append("")
                self.pos += 1
                continue
            li = self.indent(ln)
            if block_ind is None:
                if li <= ind:
                    break
                block_ind = li
            if li < block_ind:
                break
            lines.append(ln[block_ind:])
            self.pos += 1
        # trailing blank lines belong to chomping
        trailing = 0
        while lines and lines[-1] == "":
            lines.pop()
            trailing += 1
        if folded:
            text = ""
            prev_more = False
            for k, ln in enumerate(lines):
                more = ln.startswith(" ") or ln.startswith("\t")
                if k == 0:
                    text = ln
                elif ln == "":
                    text += "\n"
                elif text.endswith("\n") or more or prev_more:
                    text += ("" if text.endswith("\n") and not (more or prev_more) else "\n") + ln
                else:
                    text += " " + ln
                prev_more = more
        else:
            text = "\n".join(lines)
        if not lines:
            return "" if chomp != "keep" else "\n" * trailing
        if chomp == "strip":
            return text
        if chomp == "clip":
            return text + "\n"
        return text + "\n" + "\n" * trailing

    def parse_seq(self, ind):
        out = []
        while True:
            self.skip_blank()
            if self.pos >= self.n or self.at_doc_marker():
                break
            line = self.lines[self.pos]
            li = self.indent(line)
            body = line[li:]
            if li != ind or not (body == "-" or body.startswith("- ")):
                break
            rest = body[1:].strip()
            rest = _strip_comment(rest)
            if rest == "":
                self.pos += 1
                out.append(self.parse_node(ind + 1))
                continue
            # re-read the item as a node indented past the dash
            item_ind = ind + 1 + (len(body) - 1 - len(body[1:].lstrip(" ")))
            if self.key_of(rest) is not None or rest == "-" or rest.startswith("- "):
                self.lines[self.pos] = " " * item_ind + rest
                out.append(self.parse_node(item_ind))
            elif rest[0] in "|>":
                self.pos += 1
                out.append(self.parse_block_scalar(rest, ind))
            else:
                self.pos += 1
                out.append(self.parse_inline(rest, ind))
        return out

    def parse_flow_scalar(self, ind):
        line = self.lines[self.pos]
        self.pos += 1
        return self.parse_inline(_strip_comment(line.strip()), ind)

    def documents(self):
        docs = []
        while True:
            self.skip_blank()
            if self.pos >= self.n:
                break
            if self.at_doc_marker():
                rest = self.lines[self.pos][3:].strip()
                self.pos += 1
                if rest:
                    docs.append(_scalar_text(rest))
                continue
            docs.append(self.parse_node(0))
        return docs


def load_all(text):
    return [d for d in _Parser(text).documents() if d is not None]


def load(text):
    docs = _Parser(text).documents()
    return docs[0] if docs else None


if __name__ == "__main__":
    import sys
    for path in sys.argv[1:]:
        with open(path) as f:
            print(json.dumps(load(f.read()), indent=1)[:2000])
