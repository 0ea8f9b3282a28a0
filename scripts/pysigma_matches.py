#!/usr/bin/env python3
"""What pySigma makes of Sigma rules, as matches: rules (with their filters, and processing
pipelines if given) converted to SQLite by pySigma, as `sigma convert -t sqlite [-p PIPELINE]
[--filter FILTER] RULES` does, run over the same events.

Usage: pysigma_matches.py EVENTS.jsonl [-p PIPELINE]... RULE_OR_FILTER_FILE...

Every event of EVENTS.jsonl (JSON objects, each with a unique `eventID`) becomes a row of the
table `logs` the backend's queries read: nested objects are flattened into dotted columns
(`userIdentity.userName`; names differing only in case are one column), an object also keeps its JSON text under its own name (so `contains`
on it searches its values), arrays are stored as JSON text. Columns compare without ASCII case
(`COLLATE NOCASE`), as Sigma strings do. A column a query names but no event has is added, empty.
The files are loaded as one collection, which is how pySigma applies the filters among them to
the rules they name; pipelines are resolved as `sigma convert` resolves them (by priority).
Prints one JSON array of [rule id, eventID] pairs, sorted: every event each rule's query selects.

Needs `pip install pysigma pysigma-backend-sqlite`.
"""

import json
import re
import sqlite3
import sys

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection
from sigma.processing.resolver import ProcessingPipelineResolver


def flatten(value, prefix, row):
    if isinstance(value, dict):
        if prefix:
            row[prefix] = json.dumps(value)
        for key, inner in value.items():
            flatten(inner, f"{prefix}.{key}" if prefix else key, row)
    elif isinstance(value, list):
        row[prefix] = json.dumps(value)
    else:
        row[prefix] = value


def load_events(path):
    rows = []
    for line in open(path, encoding="utf-8"):
        if line.strip():
            flat = {}
            flatten(json.loads(line), "", flat)
            # SQLite's column names ignore case: the first spelling of a name is kept.
            row = {}
            for key, value in flat.items():
                if key.lower() not in {k.lower() for k in row}:
                    row[key] = value
            rows.append(row)
    columns = list({key.lower(): key for row in rows for key in reversed(list(row))}.values())
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE logs ({})".format(", ".join(f'"{c}" COLLATE NOCASE' for c in columns))
    )
    for row in rows:
        db.execute(
            "INSERT INTO logs ({}) VALUES ({})".format(
                ", ".join(f'"{c}"' for c in row), ", ".join("?" for _ in row)
            ),
            list(row.values()),
        )
    return db


def select(db, query):
    while True:
        try:
            return list(db.execute(query))
        except sqlite3.OperationalError as error:
            missing = re.match(r"no such column: (.+)", str(error))
            if not missing:
                raise
            db.execute(f'ALTER TABLE logs ADD COLUMN "{missing.group(1)}" COLLATE NOCASE')


def main():
    events, args = sys.argv[1], sys.argv[2:]
    pipelines, files = [], []
    while args:
        arg = args.pop(0)
        if arg == "-p":
            pipelines.append(args.pop(0))
        else:
            files.append(arg)
    db = load_events(events)
    collection = SigmaCollection.load_ruleset(files)
    pipeline = ProcessingPipelineResolver().resolve(pipelines) if pipelines else None
    backend = sqliteBackend(pipeline)
    pairs = []
    for rule in collection.rules:
        for query in backend.convert_rule(rule):
            query = query.replace("SELECT *", 'SELECT "eventID"', 1)
            pairs.extend([str(rule.id), row[0]] for row in select(db, query))
    print(json.dumps(sorted(pairs)))


if __name__ == "__main__":
    main()
