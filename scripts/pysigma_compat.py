#!/usr/bin/env python3
"""Which SigmaHQ rule files does pySigma accept?

Walks ../shared/data/sigmahq-rules (every folder, every .yml), loads each file with pySigma the way
sigma-cli does (SigmaCollection.from_yaml), then forces the lazy parts: every rule's parsed
conditions are parsed (`parsed_condition[i].parse()`, which also resolves `1 of x*` selectors and
builds the detection items with their modifiers), correlation rules resolve their rule references
within the file, and rules with `|expand` placeholders are run through a value_placeholders
pipeline with a dummy value for each placeholder name (so a placeholder is "accepted" when pySigma
can expand it). A file is refused when any of that raises, or when pySigma collected errors while
loading it (collect_errors=True).

Writes compiler/tests/data/pysigma_refused.txt: a header comment, then one line per refused file,
`<path relative to sigmahq-rules>\t<ErrorClass: first line of message>`, sorted by path. Prints a
summary of refusal reasons by category.

Usage: python3 scripts/pysigma_compat.py [--rules DIR] [--out FILE]
Needs: pip install pysigma (the version used is recorded in the output header).
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
from importlib.metadata import version

from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.processing.pipeline import ProcessingPipeline
from sigma.rule import SigmaRule
from sigma.types import Placeholder, SigmaString

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_RULES = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "sigmahq-rules"))
DEFAULT_OUT = os.path.join(ROOT, "compiler", "tests", "data", "pysigma_refused.txt")


def rules_commit(rules_dir: str) -> str:
    sources = os.path.join(os.path.dirname(rules_dir), "SOURCES.md")
    try:
        text = open(sources, encoding="utf-8").read()
    except OSError:
        return "unknown"
    section = text.split("## sigmahq-rules/", 1)[-1]
    m = re.search(r"Commit \| `([0-9a-f]{40})`", section)
    return m.group(1) if m else "unknown"


def placeholder_names(rule: SigmaRule) -> set[str]:
    names: set[str] = set()

    def walk(det):
        for item in getattr(det, "detection_items", []):
            if hasattr(item, "detection_items"):
                walk(item)
                continue
            for v in item.value:
                for part in getattr(v, "s", []) if isinstance(v, SigmaString) else []:
                    if isinstance(part, Placeholder):
                        names.add(part.name)

    for det in rule.detection.detections.values():
        walk(det)
    return names


def first_line(e: BaseException) -> str:
    msg = str(e).strip().splitlines()
    return f"{type(e).__name__}: {msg[0] if msg else ''}".strip()


def check_file(path: str) -> tuple[str | None, bool]:
    """Return (error or None, uses_placeholders)."""
    text = open(path, encoding="utf-8").read()
    uses_placeholders = False
    try:
        coll = SigmaCollection.from_yaml(text, collect_errors=True)
        if coll.errors:
            return first_line(coll.errors[0]), uses_placeholders
        for r in coll.rules:
            errs = getattr(r, "errors", None)
            if errs:
                return first_line(errs[0]), uses_placeholders
        coll.resolve_rule_references()
        for r in coll.rules:
            if isinstance(r, SigmaRule):
                for cond in r.detection.parsed_condition:
                    cond.parse()
                names = placeholder_names(r)
                if names:
                    uses_placeholders = True
                    pipe = ProcessingPipeline.from_dict(
                        {
                            "name": "dummy placeholders",
                            "vars": {n: ["dummy_value"] for n in sorted(names)},
                            "transformations": [{"type": "value_placeholders"}],
                        }
                    )
                    pipe.apply(r)
            elif isinstance(r, SigmaCorrelationRule):
                for ref in r.rules:
                    if ref.rule is None:
                        raise SigmaError(f"unresolved rule reference {ref.reference}")
    except (SigmaError, Exception) as e:  # noqa: BLE001 - pySigma raises plain errors too
        return first_line(e), uses_placeholders
    return None, uses_placeholders


def category(msg: str) -> str:
    cls, _, rest = msg.partition(": ")
    rest = re.sub(r"'[^']*'", "'…'", rest)
    rest = re.sub(r"\d+", "N", rest)
    return f"{cls}: {rest[:90]}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", default=DEFAULT_RULES)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()

    files = []
    for dirpath, dirnames, filenames in os.walk(args.rules):
        dirnames.sort()
        for f in filenames:
            if f.endswith(".yml"):
                files.append(os.path.join(dirpath, f))
    files.sort()

    refused: list[tuple[str, str]] = []
    with_placeholders = 0
    for path in files:
        err, ph = check_file(path)
        rel = os.path.relpath(path, args.rules)
        if ph and err is None:
            with_placeholders += 1
        if err is not None:
            refused.append((rel, err))

    pysigma_version = version("pysigma")
    accepted = len(files) - len(refused)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as out:
        out.write(
            f"# pySigma {pysigma_version}; sigmahq-rules commit {rules_commit(args.rules)}; "
            f"files {len(files)}, accepted {accepted} (of which {with_placeholders} with "
            f"placeholders, expanded with dummy values), refused {len(refused)}. "
            f"Generated by scripts/pysigma_compat.py.\n"
        )
        for rel, err in sorted(refused):
            out.write(f"{rel}\t{err}\n")

    print(f"pySigma {pysigma_version}: {len(files)} files, {accepted} accepted "
          f"({with_placeholders} with placeholders), {len(refused)} refused")
    by_cat = collections.Counter(category(err) for _, err in refused)
    by_dir = collections.Counter(rel.split(os.sep, 1)[0] for rel, _ in refused)
    print("\nrefusals by top-level folder:")
    for d, n in by_dir.most_common():
        print(f"  {n:5d}  {d}")
    print("\nrefusals by reason:")
    for c, n in by_cat.most_common():
        print(f"  {n:5d}  {c}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
