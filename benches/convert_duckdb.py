#!/usr/bin/env python3
"""SigmaHQ's AWS rules run by DuckDB (as `sigil convert --target duckdb` writes them) against
`sigil hunt`, on the same generated CloudTrail, in interleaved rounds.

Run through benches/convert_duckdb.sh (builds the release binaries first):

    benches/convert_duckdb.sh                # ~200 MB of CloudTrail NDJSON, 3 rounds, medians
    MB=50 ROUNDS=1 benches/convert_duckdb.sh # quicker

Every command writes its matching records as JSON lines to /dev/null, as a user exporting them
would:

- sigil hunt:            `sigil hunt -r RULES FILE --format jsonl > /dev/null` (all cores)
- DuckDB, files, 1/rule: each rule's query over the view on the NDJSON file (`--ddl`), one
                         after the other: DuckDB reads and parses the file once per rule
- DuckDB, files, UNION:  all the rules' queries as one UNION ALL over the view read once
                         (a MATERIALIZED common table expression: a UNION ALL over the view
                         itself would read the file once per rule)
- DuckDB, load:          the view copied into a DuckDB table (the file parsed once)
- DuckDB, table, 1/rule and UNION: the same queries over that table
- one rule: `sigil hunt` with one rule (SigmaHQ's aws_cloudtrail_disable_logging) against
  that rule's query over the loaded table: an analyst's question once the data sits in DuckDB

Each round runs every command once, in that order; the table is loaded once per round. The
figures are medians over the rounds; the matches per rule of the UNION are checked against
Sigil's. DuckDB uses every core (its default).
"""

import argparse
import collections
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
SIGIL = ROOT / "target/release/sigil"
CORPUS = ROOT / "target/release/sigil-corpus"
AWS_RULES = ROOT / "../shared/data/sigmahq-rules/rules/cloud/aws"


def sigil(*args):
    return subprocess.run([str(SIGIL), *args], check=True, capture_output=True, text=True).stdout


def timed(action):
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=int(os.environ.get("MB", 200)))
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("ROUNDS", 3)))
    parser.add_argument("--data", default=os.environ.get("DATA", "/tmp/sigil-bench"))
    args = parser.parse_args()

    folder = Path(args.data) / f"flat-{args.mb}"
    if not folder.exists():
        subprocess.run([str(CORPUS), "generate", "--seed", "7", "--sources", "cloudtrail",
                        "--mb", str(args.mb), "--layout", "flat", "--out", str(folder)], check=True)
    ndjson = folder / "cloudtrail.jsonl"
    size_mb = ndjson.stat().st_size / 1e6
    events = sum(1 for _ in open(ndjson, "rb"))

    queries = [json.loads(line) for line in
               sigil("convert", "--target", "duckdb", "-r", str(AWS_RULES), "--format", "jsonl")
               .splitlines()]
    converted = [q for q in queries if "query" in q]
    view = sigil("convert", "--target", "duckdb", "--ddl", str(ndjson), "--logsource", "aws/cloudtrail")
    def over(table, query):
        return query["query"].replace("FROM cloudtrail", f"FROM {table}", 1)

    def union_over(table):
        return "\nUNION ALL\n".join(
            f"SELECT '{q['rule']['id']}' AS rule_id, * FROM ({over(table, q)})" for q in converted)

    files_union = (f"WITH records AS MATERIALIZED (SELECT * FROM cloudtrail)\n"
                   f"{union_over('records')}")

    db = duckdb.connect()
    db.execute(view)

    def export(sql):
        # The matching records as JSON lines, thrown away (as `sigil hunt > /dev/null`).
        db.execute(f"COPY ({sql}) TO '/dev/null' (FORMAT JSON)")

    def per_rule(table):
        for q in converted:
            export(over(table, q))

    def hunt(rules=AWS_RULES):
        with open(os.devnull, "w") as null:
            subprocess.run([str(SIGIL), "hunt", "-r", str(rules), str(ndjson), "--format",
                            "jsonl"], check=True, stdout=null, stderr=subprocess.DEVNULL)

    one_rule = AWS_RULES / "cloudtrail/aws_cloudtrail_disable_logging.yml"
    one_query = next(q for q in converted if q["rule"]["path"].endswith(one_rule.name))

    times = collections.defaultdict(list)
    for round_ in range(args.rounds):
        times["sigil hunt"].append(timed(hunt)[0])
        times["DuckDB, files, one query per rule"].append(timed(lambda: per_rule("cloudtrail"))[0])
        times["DuckDB, files, all rules as one UNION ALL"].append(timed(lambda: export(files_union))[0])
        db.execute("DROP TABLE IF EXISTS loaded")
        times["DuckDB, load the file into a table"].append(
            timed(lambda: db.execute("CREATE TABLE loaded AS SELECT * FROM cloudtrail"))[0])
        times["DuckDB, table, one query per rule"].append(timed(lambda: per_rule("loaded"))[0])
        times["DuckDB, table, all rules as one UNION ALL"].append(
            timed(lambda: export(union_over("loaded")))[0])
        times["sigil hunt, one rule"].append(timed(lambda: hunt(one_rule))[0])
        times["DuckDB, table, one rule"].append(timed(lambda: export(over("loaded", one_query)))[0])
        print(f"round {round_ + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in times.items()),
              flush=True)

    # The answers are Sigil's: matches per rule.
    ours = collections.Counter(row[0] for row in db.execute(
        f"SELECT rule_id FROM ({union_over('loaded')})").fetchall())
    theirs = collections.Counter(json.loads(line)["rule"]["id"] for line in
                                 sigil("hunt", "-r", str(AWS_RULES), str(ndjson), "--format",
                                       "jsonl").splitlines())
    assert ours == theirs, (ours, theirs)

    hunt_median = statistics.median(times["sigil hunt"])
    print(f"\n{size_mb:.0f} MB of CloudTrail NDJSON, {events} events, {len(converted)} rules "
          f"(of {len(queries)}), {sum(theirs.values())} matches (the same in DuckDB and Sigil), "
          f"{os.cpu_count()} cores, {args.rounds} interleaved rounds, medians\n")
    print("| command | seconds | MB/s | vs sigil hunt |")
    print("|---|---:|---:|---:|")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {size_mb / median:.0f} | {median / hunt_median:.1f}x |")


if __name__ == "__main__":
    main()
