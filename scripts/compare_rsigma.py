#!/usr/bin/env python3
"""Compare Sigil's matches with rsigma's on the same rules and the same NDJSON events.

Usage: compare_rsigma.py RSIGMA_BIN SIGIL_BIN RULES EVENTS.jsonl

rsigma (timescale/rsigma, `cargo install rsigma --version 0.23.0 --locked
--no-default-features --features rsigma-runtime,daachorse-index`) reads NDJSON only and reports
the event, not its line, so events are matched back to their line by canonical JSON. Prints the
(rule, line) pairs found by one engine and not the other; exits 1 when they differ.
"""
import collections
import json
import subprocess
import sys


def main():
    rsigma, sigil, rules, events = sys.argv[1:5]
    lines = collections.defaultdict(list)
    with open(events) as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                lines[json.dumps(json.loads(line), sort_keys=True)].append(number)
    out = subprocess.run(
        [rsigma, "engine", "eval", "-r", rules, "-e", "@" + events, "--output-format", "ndjson", "--include-event"],
        check=True, capture_output=True, text=True).stdout
    theirs = set()
    for line in out.splitlines():
        match = json.loads(line)
        for number in lines[json.dumps(match["event"], sort_keys=True)]:
            theirs.add((match["rule_title"], number))
    out = subprocess.run([sigil, "hunt", "-r", rules, events, "--format", "jsonl"],
                         capture_output=True, text=True).stdout
    ours = {(m["rule"]["title"], m["source"]["record"]) for m in map(json.loads, out.splitlines())}
    print(f"rsigma: {len(theirs)} (rule, event) matches; sigil: {len(ours)}; both: {len(ours & theirs)}")
    for name, only in (("only rsigma", theirs - ours), ("only sigil", ours - theirs)):
        for rule, number in sorted(only):
            print(f"{name}: {rule} @ line {number}")
    sys.exit(0 if ours == theirs else 1)


if __name__ == "__main__":
    main()
