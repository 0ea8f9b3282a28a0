#!/usr/bin/env python3
"""The measuring half of benches/compare.sh (which installs and builds what this needs).

Generates CloudTrail with sigil-corpus (NDJSON, and the same events in the S3 layout as
`.json.gz`), then times every command RUNS times on the same files, in one run, and prints a
table: median seconds, MB/s, events/s, peak RSS and match counts, with ratios to the fastest peer
and to the limits (`cat`, `rg -c`, `zcat`), the prefilter's gain and the share of records it
lets through to the parser. Match counts are compared between engines.
"""
import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIGIL = ROOT / "target/release/sigil"
CORPUS = ROOT / "target/release/sigil-corpus"
SHARED = ROOT.parent / "shared/data"
AWS_RULES = SHARED / "sigmahq-rules/rules/cloud/aws/cloudtrail"
# Where the commands that report matches write them: memory where there is a tmpfs, so that
# writing costs every engine the same copy, and no `| wc -l` shares the cores with the engine.
OUT = Path("/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()) / "sigil-compare.out"


def run(cmd):
    """Runs a shell command under GNU time, its stdout discarded; returns (seconds, peak RSS
    in MB)."""
    out = subprocess.run(["/usr/bin/time", "-f", "%e %M", "sh", "-c", cmd],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    last = out.stderr.strip().splitlines()[-1].split()
    return float(last[0]), int(last[1]) / 1024


def measure(name, cmd, runs, count=None):
    """Median of `runs` timings; `count()` gives the match count of the run just made."""
    times, rss, matches = [], [], None
    for _ in range(runs):
        seconds, peak = run(cmd)
        times.append(seconds)
        rss.append(peak)
        if count:
            matches = count()
    return {"name": name, "seconds": statistics.median(times), "rss": max(rss), "matches": matches, "cmd": cmd}


def counted():
    """The commands that report matches write them to OUT, one line per match: counted after
    the timed run, and removed."""
    with open(OUT, "rb") as out:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 20), b""))
    OUT.unlink()
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=int(os.environ.get("MB", 1024)))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", 3)))
    parser.add_argument("--data", default=os.environ.get("DATA", "/tmp/sigil-bench"))
    parser.add_argument("--rsigma")
    parser.add_argument("--sigma-rust")
    args = parser.parse_args()
    data = Path(args.data)
    flat, s3 = data / f"flat-{args.mb}", data / f"s3-{args.mb}"
    for layout, folder in (("flat", flat), ("s3", s3)):
        if not folder.exists():
            subprocess.run([str(CORPUS), "generate", "--seed", "7", "--sources", "cloudtrail",
                            "--mb", str(args.mb), "--layout", layout, "--out", str(folder)], check=True)
    ndjson = flat / "cloudtrail.jsonl"
    size_mb = ndjson.stat().st_size / 1e6
    events = sum(1 for _ in open(ndjson, "rb"))
    bundled = ROOT / "rules"
    threads = os.cpu_count()

    rows = []
    limit = lambda name, cmd: rows.append(measure(name, cmd, args.runs))
    limit("cat > /dev/null", f"cat {ndjson} > /dev/null")
    limit("rg -c ConsoleLogin", f"rg -c ConsoleLogin {ndjson} > /dev/null")
    limit("zcat (gz form) > /dev/null",
          f"find {s3} -name '*.json.gz' -not -path '*Digest*' -print0 | xargs -0 zcat > /dev/null")

    rule_sets = [("SigmaHQ AWS", f"-r {AWS_RULES}")]
    if bundled.is_dir() and any(bundled.rglob("*.yml")):
        rule_sets.append(("SigmaHQ AWS + bundled", f"-r {AWS_RULES} -r {bundled}"))
    # Every other SigmaHQ rule too, run on CloudTrail whatever its logsource: the many-rules case.
    # Without the prefilter it takes many minutes per run, so only the prefiltered runs are timed.
    many = ("all SigmaHQ rules on CloudTrail", f"-r {AWS_RULES} -r {bundled} -r {SHARED / 'sigmahq-rules/rules'} --any-logsource")
    rule_sets.append(many)
    for label, rules in rule_sets:
        for t in (1, threads):
            for prefilter in ("",) if (label, rules) == many else ("", " --no-prefilter"):
                name = f"sigil {label}, {t} thread{'s' if t > 1 else ''}{', no prefilter' if prefilter else ''}"
                rows.append(measure(name, f"{SIGIL} hunt {rules} {ndjson} --threads {t}{prefilter} --format jsonl > {OUT}", args.runs, counted))
        rows.append(measure(f"sigil {label}, gz S3 layout, {threads} threads",
                            f"{SIGIL} hunt {rules} {s3} --threads {threads} --format jsonl > {OUT}", args.runs, counted))
    if args.rsigma:
        rows.append(measure("rsigma 0.23 SigmaHQ AWS (1 thread)",
                            f"{args.rsigma} engine eval -r {AWS_RULES} -e @{ndjson} --output-format ndjson 2>/dev/null > {OUT}",
                            args.runs, counted))
    if args.sigma_rust:
        rows.append(measure("sigma-rust 0.7 SigmaHQ AWS (1 thread)",
                            f"{args.sigma_rust} {AWS_RULES} {ndjson} 2>/dev/null > {OUT}", args.runs, counted))

    # The share of records the prefilter lets through to the parser (from one `--stats` run).
    parsed = {}
    for label, rules in rule_sets:
        out = subprocess.run(f"{SIGIL} hunt {rules} {ndjson} --threads 1 --stats -o /dev/null",
                             shell=True, capture_output=True, text=True)
        line = next((l for l in out.stderr.splitlines() if l.startswith("prefilter:")), "")
        parsed[label] = line.removeprefix("prefilter:").strip()

    print(f"# {events} events, {size_mb:.0f} MB NDJSON; {platform.node()}, {threads} cores; median of {args.runs}")
    print(f"| command | s | MB/s | events/s | peak RSS MB | matches |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        mbps = size_mb / row["seconds"] if row["seconds"] else float("inf")
        eps = events / row["seconds"] if row["seconds"] else float("inf")
        print(f"| {row['name']} | {row['seconds']:.2f} | {mbps:.0f} | {eps:,.0f} | {row['rss']:.0f} | {row['matches'] if row['matches'] is not None else '-'} |")
    by_name = {row["name"]: row for row in rows}
    def ratio(a, b):
        return by_name[b]["seconds"] / by_name[a]["seconds"] if a in by_name and b in by_name else None
    sigil1 = "sigil SigmaHQ AWS, 1 thread"
    print()
    for peer in ("rsigma 0.23 SigmaHQ AWS (1 thread)", "sigma-rust 0.7 SigmaHQ AWS (1 thread)", "rg -c ConsoleLogin", "cat > /dev/null"):
        r = ratio(sigil1, peer)
        if r:
            print(f"- {sigil1} vs {peer}: sigil is {r:.2f}x its speed")
    for label, _ in rule_sets:
        on, off = f"sigil {label}, 1 thread", f"sigil {label}, 1 thread, no prefilter"
        r = ratio(on, off)
        if r:
            print(f"- {label}: prefilter on vs off, 1 thread: {r:.2f}x")
        many_threads = f"sigil {label}, {threads} threads"
        r = ratio(many_threads, on)
        if r:
            print(f"- {label}: 1 -> {threads} threads: {r:.2f}x")
        print(f"- {label}: {parsed[label]}")
    r = ratio("sigil SigmaHQ AWS + bundled, 1 thread", f"sigil {many[0]}, 1 thread")
    if r:
        print(f"- {many[0]} against SigmaHQ AWS + bundled, 1 thread: {r:.2f}x the time")
    peer_counts = {row["name"]: row["matches"] for row in rows if "SigmaHQ AWS" in row["name"] and "bundled" not in row["name"]}
    distinct = set(v for v in peer_counts.values() if v is not None)
    print(f"- match counts with the SigmaHQ AWS rules: {peer_counts}")
    print("- counts agree" if len(distinct) <= 1 else "- COUNTS DIFFER: see scripts/compare_rsigma.py for the pairs")


if __name__ == "__main__":
    main()
