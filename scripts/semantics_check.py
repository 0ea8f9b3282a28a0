#!/usr/bin/env python3
"""Check the semantics tables in testdata/semantics/*.yml.

Three checks per case:
  1. shape: name (unique snake_case), event (a JSON object), match (bool), exactly one of
     selection/detection, optional placeholders/note, no other keys;
  2. pySigma accepts the detection (built into a minimal rule) -- reported, not fatal, because a few
     cases deliberately follow DESIGN.md or the spec where pySigma differs (their `note` says so);
  3. a small reference evaluator written from DESIGN.md section 2 agrees with `match`.

The reference evaluator exists only to keep the tables self-consistent (it catches hand-computed
base64 fragments, typos in events, ...). It is not the product: Sigil's evaluator is in Rust.

Usage: python3 scripts/semantics_check.py [testdata/semantics/*.yml] [--no-pysigma]
"""

from __future__ import annotations

import base64
import datetime as dt
import glob
import ipaddress
import itertools
import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALLOWED_KEYS = {"name", "selection", "detection", "placeholders", "event", "match", "note"}
NAME_RE = re.compile(r"^[a-z0-9_]+$")
JSON_NUMBER_RE = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$")

# ---------------------------------------------------------------------------------------------
# Case folding: Unicode lowercase mapping, but a non-ASCII character whose lowercase contains
# ASCII (Kelvin sign U+212A -> 'k', U+0130 -> 'i' + U+0307) is left as it is, so that a non-ASCII
# character never equals an ASCII one. Every mapping kept is one character to one character.


def fold_char(c: str) -> str:
    if c.isascii():
        return c.lower()
    low = c.lower()
    if len(low) != 1 or low.isascii():
        return c
    return low


def fold(s: str) -> str:
    return "".join(fold_char(c) for c in s)


# ---------------------------------------------------------------------------------------------
# Sigma strings: list of parts, each a str (plain) or "*" / "?" wildcard tokens.
STAR, QMARK = object(), object()


def parse_sigma_string(s: str) -> list:
    parts: list = []
    acc = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "\\":
            nxt = s[i + 1] if i + 1 < len(s) else None
            if nxt in ("*", "?", "\\"):
                acc.append(nxt)
                i += 2
                continue
            acc.append("\\")  # lone backslash before an ordinary character stays literal
            i += 1
            continue
        if c == "*" or c == "?":
            if acc:
                parts.append("".join(acc))
                acc = []
            parts.append(STAR if c == "*" else QMARK)
        else:
            acc.append(c)
        i += 1
    if acc:
        parts.append("".join(acc))
    return parts


def plain_text(parts: list) -> str | None:
    if all(isinstance(p, str) for p in parts):
        return "".join(parts)
    return None


class StrPattern:
    """Anchored wildcard pattern over one string value."""

    def __init__(self, parts: list, cased: bool):
        self.parts = parts
        self.cased = cased
        rx = []
        for p in parts:
            if p is STAR:
                rx.append(".*")
            elif p is QMARK:
                rx.append(".")
            else:
                rx.append(re.escape(p if cased else fold(p)))
        self.rx = re.compile("".join(rx), re.S)

    def test_str(self, s: str) -> bool:
        return self.rx.fullmatch(s if self.cased else fold(s)) is not None


def contains_parts(parts: list) -> list:
    parts = list(parts)
    if not parts or parts[0] is not STAR:
        parts.insert(0, STAR)
    if parts[-1] is not STAR:
        parts.append(STAR)
    return parts


# ---------------------------------------------------------------------------------------------
# Value matchers. Each has .kind:
#   "str"  -- applies to string leaves (descends into objects and arrays)
#   "num"  -- numeric (JSON number, or numeric string)
#   other kinds handled at the item level (null, exists, fieldref, time parts)


class M:
    def __init__(self, kind, fn):
        self.kind = kind
        self.fn = fn


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def num_of_str(s: str):
    if JSON_NUMBER_RE.match(s):
        return float(s)
    return None


def leaf_values(node):
    """All leaves below node (node itself if it is a leaf)."""
    if isinstance(node, list):
        for x in node:
            yield from leaf_values(x)
    elif isinstance(node, dict):
        for x in node.values():
            yield from leaf_values(x)
    else:
        yield node


def string_matcher(parts: list, cased: bool) -> M:
    pat = StrPattern(parts, cased)
    text = plain_text(parts)
    numval = num_of_str(text) if text is not None else None
    boolval = None
    if text is not None and text.lower() in ("true", "false"):
        boolval = text.lower() == "true"

    def fn(leaf):
        if isinstance(leaf, str):
            return pat.test_str(leaf)
        if isinstance(leaf, bool):
            return boolval is not None and leaf == boolval
        if is_num(leaf):
            return numval is not None and float(leaf) == numval
        return False

    return M("str", fn)


def number_matcher(n, op="eq") -> M:
    n = float(n)
    ops = {
        "eq": lambda a: a == n,
        "lt": lambda a: a < n,
        "lte": lambda a: a <= n,
        "gt": lambda a: a > n,
        "gte": lambda a: a >= n,
    }
    f = ops[op]

    def fn(leaf):
        if is_num(leaf):
            return f(float(leaf))
        if isinstance(leaf, str):
            v = num_of_str(leaf)
            return v is not None and f(v)
        return False

    return M("num", fn)


def bool_matcher(b: bool) -> M:
    def fn(leaf):
        if isinstance(leaf, bool):
            return leaf == b
        if isinstance(leaf, str):
            return leaf.lower() == ("true" if b else "false")
        return False

    return M("num", fn)


def regex_matcher(pattern: str, flags: set) -> M:
    f = 0
    if "i" in flags:
        f |= re.I
    if "m" in flags:
        f |= re.M
    if "s" in flags:
        f |= re.S
    rx = re.compile(pattern, f)
    return M("str", lambda leaf: isinstance(leaf, str) and rx.search(leaf) is not None)


def cidr_matcher(net: str) -> M:
    network = ipaddress.ip_network(net, strict=False)

    def fn(leaf):
        if not isinstance(leaf, str):
            return False
        try:
            ip = ipaddress.ip_address(leaf)
        except ValueError:
            return False
        return ip.version == network.version and ip in network

    return M("str", fn)


# ---------------------------------------------------------------------------------------------
# Encodings

DASHES = ["-", "/", "\u2013", "\u2014", "\u2015"]


def windash_variants(s: str) -> list[str]:
    idx = [i for i, c in enumerate(s) if c in DASHES]
    out = []
    for combo in itertools.product(DASHES, repeat=len(idx)):
        chars = list(s)
        for i, d in zip(idx, combo):
            chars[i] = d
        out.append("".join(chars))
    return out


def encode_utf16(text: str, mode: str) -> bytes:
    if mode in ("utf16le", "wide"):
        return text.encode("utf-16le")
    if mode == "utf16be":
        return text.encode("utf-16be")
    if mode == "utf16":
        return b"\xff\xfe" + text.encode("utf-16le")
    raise ValueError(mode)


def base64offset_variants(data: bytes) -> list[str]:
    starts = (0, 2, 3)
    ends = (None, -3, -2)
    return [
        base64.b64encode(i * b" " + data)[starts[i] : ends[(len(data) + i) % 3]].decode()
        for i in range(3)
    ]


# ---------------------------------------------------------------------------------------------
# Field access


def resolve(event, path: str):
    """Return (present, nodes). Arrays met on the way fan out; a literal dotted key wins."""
    if isinstance(event, dict) and path in event:
        return True, [event[path]]
    parts = path.split(".")
    nodes = [event]
    for p in parts:
        nxt = []
        for n in nodes:
            for m in (n if isinstance(n, list) else [n]):
                if isinstance(m, dict) and p in m:
                    nxt.append(m[p])
        nodes = nxt
    return (len(nodes) > 0), nodes


def node_matches(node, m: M) -> bool:
    if isinstance(node, list):
        return any(node_matches(x, m) for x in node)
    if isinstance(node, dict):
        if m.kind == "str":
            return any(m.fn(x) for x in leaf_values(node) if isinstance(x, str))
        return False
    return m.fn(node)


def all_strings(node):
    for x in leaf_values(node):
        if isinstance(x, str):
            yield x


# ---------------------------------------------------------------------------------------------
# Detection items

TIME_PARTS = ("minute", "hour", "day", "week", "month", "year")


def time_part(leaf, part):
    t = None
    if isinstance(leaf, str):
        try:
            t = dt.datetime.fromisoformat(leaf.replace("Z", "+00:00"))
        except ValueError:
            return None
        if t.tzinfo is None:
            t = t.replace(tzinfo=dt.timezone.utc)
        t = t.astimezone(dt.timezone.utc)
    elif is_num(leaf):
        secs = leaf / 1000 if abs(leaf) >= 1e12 else leaf
        t = dt.datetime.fromtimestamp(secs, dt.timezone.utc)
    else:
        return None
    return {
        "minute": t.minute,
        "hour": t.hour,
        "day": t.day,
        "week": t.isocalendar()[1],
        "month": t.month,
        "year": t.year,
    }[part]


def expand_value(raw: str, placeholders: dict) -> list[str]:
    """Spec: %name% is a placeholder, \\% is a plain percent. Returns raw Sigma strings."""
    i = 0
    out_parts: list = []  # sequence of ("lit", text) / ("ph", name)
    lit = []
    while i < len(raw):
        c = raw[i]
        if c == "\\" and i + 1 < len(raw) and raw[i + 1] == "%":
            lit.append("%")
            i += 2
            continue
        if c == "\\" and i + 1 < len(raw) and raw[i + 1] in "\\*?":
            lit.append(raw[i : i + 2])  # a Sigma escape, resolved later by parse_sigma_string
            i += 2
            continue
        if c == "%":
            end = raw.find("%", i + 1)
            if end > i + 1:
                if lit:
                    out_parts.append(("lit", "".join(lit)))
                    lit = []
                out_parts.append(("ph", raw[i + 1 : end]))
                i = end + 1
                continue
        lit.append(c)
        i += 1
    if lit:
        out_parts.append(("lit", "".join(lit)))
    choices = []
    for kind, text in out_parts:
        if kind == "lit":
            choices.append([text])
        else:
            vals = placeholders[text]
            choices.append([str(v) for v in (vals if isinstance(vals, list) else [vals])])
    return ["".join(c) for c in itertools.product(*choices)]


def eval_item(key: str | None, value, event, placeholders) -> bool:
    if key is None:
        field, mods = None, []
    else:
        field, *mods = key.split("|")
        if field == "":
            field = None
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and len(value) == 0:
        values = [None]
    link_all = "all" in mods
    negate = "neq" in mods
    cased = "cased" in mods
    ops = [m for m in mods if m in ("lt", "lte", "gt", "gte")]
    tparts = [m for m in mods if m in TIME_PARTS]

    if field is None:  # keywords
        strings = list(all_strings(event))
        results = []
        for v in values:
            if "re" in mods:
                flags = {m for m in mods if m in ("i", "m", "s")}
                rx = regex_matcher(v, flags)
                results.append(any(rx.fn(s) for s in strings))
                continue
            pat = StrPattern(contains_parts(parse_sigma_string(str(v))), cased)
            results.append(any(pat.test_str(s) for s in strings))
        r = all(results) if link_all else any(results)
        return not r if negate else r

    present, nodes = resolve(event, field)

    if "exists" in mods:
        want = values[0]
        assert isinstance(want, bool)
        return present == want

    if "fieldref" in mods:
        res = []
        for v in values:
            rp, rnodes = resolve(event, v)
            ok = False
            if rp and present:
                for rn in rnodes:
                    if isinstance(rn, str):
                        parts = [rn]
                        if "contains" in mods:
                            parts = contains_parts(parts)
                        elif "startswith" in mods:
                            parts = parts + [STAR]
                        elif "endswith" in mods:
                            parts = [STAR] + parts
                        m = string_matcher(parts, cased)
                        # literal text: the referenced value is not a pattern
                        ok = ok or any(node_matches(n, m) for n in nodes)
                    elif is_num(rn):
                        ok = ok or any(node_matches(n, number_matcher(rn)) for n in nodes)
                    elif isinstance(rn, bool):
                        ok = ok or any(node_matches(n, bool_matcher(rn)) for n in nodes)
            res.append(ok)
        r = all(res) if link_all else any(res)
        return not r if negate else r

    matchers: list = []  # each entry: list of M (OR) or the string "null"
    for v in values:
        if v is None:
            matchers.append("null")
            continue
        if tparts:
            part = tparts[0]
            op = ops[0] if ops else "eq"
            nm = number_matcher(v, op)
            matchers.append([M("num", lambda leaf, part=part, nm=nm: (lambda x: x is not None and nm.fn(x))(time_part(leaf, part)))])
            continue
        if ops:
            matchers.append([number_matcher(v, ops[0])])
            continue
        if isinstance(v, bool):
            matchers.append([bool_matcher(v)])
            continue
        if is_num(v):
            matchers.append([number_matcher(v)])
            continue
        if "re" in mods:
            flags = {m for m in mods if m in ("i", "m", "s")}
            matchers.append([regex_matcher(v, flags)])
            continue
        if "cidr" in mods:
            matchers.append([cidr_matcher(v)])
            continue
        raws = [v]
        if "expand" in mods:
            raws = expand_value(v, placeholders or {})
        alts: list = []
        for raw in raws:
            texts_parts: list = []
            enc = [m for m in mods if m in ("utf16le", "utf16be", "utf16", "wide")]
            if "base64" in mods or "base64offset" in mods:
                data = encode_utf16(raw, enc[0]) if enc else raw.encode()
                if "base64offset" in mods:
                    texts_parts = [[t] for t in base64offset_variants(data)]
                else:
                    texts_parts = [[base64.b64encode(data).decode()]]
            elif enc:  # the value as UTF-16 code units in a string (ASCII values only)
                if enc[0] == "utf16be":
                    text = "".join("\x00" + ch for ch in raw)
                else:
                    text = "".join(ch + "\x00" for ch in raw)
                    if enc[0] == "utf16":
                        text = "\ufeff" + text
                texts_parts = [[text]]
            elif "windash" in mods:
                texts_parts = [parse_sigma_string(w) for w in windash_variants(raw)]
            else:
                texts_parts = [parse_sigma_string(raw)]
            for parts in texts_parts:
                if "contains" in mods:
                    parts = contains_parts(parts)
                elif "startswith" in mods:
                    parts = parts + [STAR] if (not parts or parts[-1] is not STAR) else parts
                elif "endswith" in mods:
                    parts = [STAR] + parts if (not parts or parts[0] is not STAR) else parts
                alts.append(string_matcher(parts, cased))
        matchers.append(alts)

    def one(ms) -> bool:
        if ms == "null":
            return (not present) or any(n is None for n in nodes)
        return any(node_matches(n, m) for n in nodes for m in ms)

    res = [one(ms) for ms in matchers]
    r = all(res) if link_all else any(res)
    return not r if negate else r


def eval_search(defn, event, placeholders) -> bool:
    if isinstance(defn, dict):
        return all(eval_item(k, v, event, placeholders) for k, v in defn.items())
    if isinstance(defn, list):
        if defn and all(isinstance(x, dict) for x in defn):
            return any(eval_search(x, event, placeholders) for x in defn)
        return eval_item(None, defn, event, placeholders)
    return eval_item(None, defn, event, placeholders)


# ---------------------------------------------------------------------------------------------
# Conditions: tiny recursive-descent parser (or < and < not < x of < parens)

TOKEN_RE = re.compile(r"\s*(\(|\)|[A-Za-z0-9_*\-]+)")


def eval_condition(cond: str, searches: dict, event, placeholders) -> bool:
    toks = TOKEN_RE.findall(cond)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else None

    def take():
        nonlocal pos
        t = toks[pos]
        pos += 1
        return t

    def ident_val(name):
        return eval_search(searches[name], event, placeholders)

    def expand_pattern(pat):
        if pat == "them":
            names = [n for n in searches if not n.startswith("_")]
        else:
            rx = re.compile(pat.replace("*", ".*"))
            names = [n for n in searches if rx.fullmatch(n) and (pat.startswith("_") or not n.startswith("_"))]
        assert names, f"pattern {pat} matches nothing"
        return names

    def atom():
        t = take()
        if t == "(":
            v = expr()
            assert take() == ")"
            return v
        if t.lower() == "not":
            return not atom()
        if t in ("1", "all", "any") and peek() == "of":
            take()
            names = expand_pattern(take())
            vals = [ident_val(n) for n in names]
            return all(vals) if t == "all" else any(vals)
        return ident_val(t)

    def conj():
        v = atom()
        while peek() == "and":
            take()
            w = atom()
            v = v and w
        return v

    def expr():
        v = conj()
        while peek() == "or":
            take()
            w = conj()
            v = v or w
        return v

    r = expr()
    assert pos == len(toks), f"trailing tokens in {cond!r}"
    return r


def case_detection(case) -> dict:
    if "selection" in case:
        return {"sel": case["selection"], "condition": "sel"}
    return case["detection"]


def evaluate(case) -> bool:
    det = case_detection(case)
    searches = {k: v for k, v in det.items() if k != "condition"}
    conds = det["condition"]
    if not isinstance(conds, list):
        conds = [conds]
    return any(eval_condition(c, searches, case["event"], case.get("placeholders")) for c in conds)


# ---------------------------------------------------------------------------------------------


def check_pysigma(case) -> str | None:
    try:
        from sigma.rule import SigmaRule
    except ImportError:
        return None
    det = case_detection(case)
    rule = {
        "title": case["name"],
        "logsource": {"product": "aws", "service": "cloudtrail"},
        "detection": det,
    }
    try:
        r = SigmaRule.from_dict(rule)
        for c in r.detection.parsed_condition:
            c.parse()
        if case.get("placeholders"):
            from sigma.processing.pipeline import ProcessingPipeline

            pipe = ProcessingPipeline.from_dict(
                {
                    "name": "ph",
                    "vars": case["placeholders"],
                    "transformations": [{"type": "value_placeholders"}],
                }
            )
            pipe.apply(r)
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
    return None


def main(argv):
    use_pysigma = "--no-pysigma" not in argv
    files = [a for a in argv if not a.startswith("--")] or sorted(
        glob.glob(os.path.join(ROOT, "testdata/semantics/*.yml"))
    )
    errors = 0
    total = 0
    pys_refused = []
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                doc = yaml.safe_load(fh)
        except yaml.YAMLError as e:
            print(f"{f}: YAML error: {e}")
            errors += 1
            continue
        cases = doc.get("cases") if isinstance(doc, dict) else None
        if not isinstance(cases, list) or set(doc) != {"cases"}:
            print(f"{f}: top level must be a mapping with only `cases`")
            errors += 1
            continue
        names = set()
        for i, case in enumerate(cases):
            total += 1
            where = f"{os.path.relpath(f, ROOT)}[{i}] {case.get('name')}"
            extra = set(case) - ALLOWED_KEYS
            if extra:
                print(f"{where}: unknown keys {extra}")
                errors += 1
            if not isinstance(case.get("name"), str) or not NAME_RE.match(case["name"]):
                print(f"{where}: bad name")
                errors += 1
            elif case["name"] in names:
                print(f"{where}: duplicate name")
                errors += 1
            names.add(case.get("name"))
            if ("selection" in case) == ("detection" in case):
                print(f"{where}: need exactly one of selection/detection")
                errors += 1
                continue
            if not isinstance(case.get("event"), dict):
                print(f"{where}: event must be a mapping")
                errors += 1
            if not isinstance(case.get("match"), bool):
                print(f"{where}: match must be a boolean")
                errors += 1
            if "detection" in case and "condition" not in case["detection"]:
                print(f"{where}: detection without condition")
                errors += 1
            try:
                json.dumps(case.get("event"))
            except TypeError as e:
                print(f"{where}: event not JSON-serialisable: {e}")
                errors += 1
            try:
                got = evaluate(case)
            except Exception as e:  # noqa: BLE001
                print(f"{where}: reference evaluator failed: {type(e).__name__}: {e}")
                errors += 1
                continue
            if got != case.get("match"):
                print(f"{where}: reference evaluator says {got}, table says {case.get('match')}")
                errors += 1
            if use_pysigma:
                msg = check_pysigma(case)
                if msg:
                    pys_refused.append((where, msg))
    for where, msg in pys_refused:
        print(f"pySigma refuses {where}: {msg}")
    print(f"{total} cases in {len(files)} files, {errors} errors, {len(pys_refused)} refused by pySigma")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
