#!/usr/bin/env python3
"""What pySigma makes of Sigma filters, as matches: rules and filters converted to SQLite by
pySigma (as `sigma convert -t sqlite --filter FILTER RULES` does), run over the same events.

Usage: pysigma_filters.py EVENTS.jsonl RULE_OR_FILTER_FILE...

Every event of EVENTS.jsonl (flat JSON objects, each with a unique `eventID`) becomes a row of
the table `logs` the backend's queries read, one column per key. The files are loaded as one
collection, which is how pySigma applies the filters among them to the rules they name. Prints
one JSON array of [rule id, eventID] pairs, sorted: every event each rule's query selects.

Needs `pip install pysigma pysigma-backend-sqlite`.
"""

import json
import sqlite3
import sys

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection


def load_events(path):
    events = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    columns = sorted({key for event in events for key in event})
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE logs ({})".format(", ".join(f'"{c}"' for c in columns)))
    for event in events:
        db.execute(
            "INSERT INTO logs ({}) VALUES ({})".format(
                ", ".join(f'"{c}"' for c in event), ", ".join("?" for _ in event)
            ),
            list(event.values()),
        )
    return db


def main():
    events, files = sys.argv[1], sys.argv[2:]
    db = load_events(events)
    collection = SigmaCollection.load_ruleset(files)
    backend = sqliteBackend()
    pairs = []
    for rule in collection.rules:
        for query in backend.convert_rule(rule):
            select = query.replace("SELECT *", 'SELECT "eventID"', 1)
            pairs.extend([str(rule.id), row[0]] for row in db.execute(select))
    print(json.dumps(sorted(pairs)))


if __name__ == "__main__":
    main()
