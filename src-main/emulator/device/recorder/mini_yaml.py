"""The YAML subset config.yml uses, for machines without PyYAML (python3-yaml).

Block mappings by indentation, flow mappings `{ k: v, ... }`, flow lists `[a, b]`, plain and quoted scalars,
`#` comments. Plain scalars become int, float, bool or null where YAML 1.1 would say so, else str.
"""

import re

_INT = re.compile(r"^[-+]?\d+$")
_FLOAT = re.compile(r"^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$")


def scalar(text):
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'":
        body = t[1:-1]
        return body.replace('\\"', '"').replace("\\\\", "\\") if t[0] == '"' else body.replace("''", "'")
    if t in ("", "~", "null", "Null", "NULL"):
        return None
    if t in ("true", "True", "TRUE", "yes", "on"):
        return True
    if t in ("false", "False", "FALSE", "no", "off"):
        return False
    if _INT.match(t):
        return int(t)
    if _FLOAT.match(t):
        return float(t)
    return t


def strip_comment(line):
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i]
    return line


class _Flow:
    def __init__(self, text):
        self.text = text
        self.i = 0

    def ws(self):
        while self.i < len(self.text) and self.text[self.i] in " \t\n":
            self.i += 1

    def peek(self):
        self.ws()
        return self.text[self.i] if self.i < len(self.text) else ""

    def value(self):
        c = self.peek()
        if c == "{":
            return self.mapping()
        if c == "[":
            return self.sequence()
        return scalar(self.token(stop=",}]"))

    def token(self, stop):
        self.ws()
        start = self.i
        if self.i < len(self.text) and self.text[self.i] in "\"'":
            q = self.text[self.i]
            self.i += 1
            while self.i < len(self.text):
                c = self.text[self.i]
                if c == "\\" and q == '"':
                    self.i += 2
                elif c == q and q == "'" and self.text[self.i + 1 : self.i + 2] == "'":
                    self.i += 2
                elif c == q:
                    break
                else:
                    self.i += 1
            self.i += 1
            return self.text[start : self.i]
        while self.i < len(self.text):
            c = self.text[self.i]
            if c in stop:
                break
            if c == ":" and ":" in stop and (self.i + 1 == len(self.text) or self.text[self.i + 1] in " ,}]"):
                break
            self.i += 1
        return self.text[start : self.i]

    def mapping(self):
        out = {}
        self.i += 1
        while self.peek() not in ("}", ""):
            key = scalar(self.token(stop=":,}"))
            value = None
            if self.peek() == ":":
                self.i += 1
                value = self.value()
            out[key] = value
            if self.peek() == ",":
                self.i += 1
        self.i += 1
        return out

    def sequence(self):
        out = []
        self.i += 1
        while self.peek() not in ("]", ""):
            out.append(self.value())
            if self.peek() == ",":
                self.i += 1
        self.i += 1
        return out


def _split_key(content):
    """`key: value` at block level -> (key, value text)."""
    flow = _Flow(content)
    key = flow.token(stop=":")
    rest = content[flow.i :]
    if not rest.startswith(":"):
        raise ValueError("expected 'key: value' in %r" % content)
    return scalar(key), rest[1:].strip()


def loads(text):
    lines = []
    for raw in text.splitlines():
        line = strip_comment(raw).rstrip()
        if line.strip() and line.strip() != "---":
            lines.append((len(line) - len(line.lstrip(" ")), line.strip()))

    def block(start, indent):
        out = {}
        i = start
        while i < len(lines):
            level, content = lines[i]
            if level < indent:
                break
            key, rest = _split_key(content)
            i += 1
            if rest:
                out[key] = _Flow(rest).value()
            elif i < len(lines) and lines[i][0] > level:
                out[key], i = block(i, lines[i][0])
            else:
                out[key] = None
        return out, i

    result, _ = block(0, 0)
    return result
