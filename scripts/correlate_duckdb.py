#!/usr/bin/env python3
"""The runbook's Athena queries, run in DuckDB over tables written as JSON lines.

Usage: correlate_duckdb.py DIR

DIR holds one JSONL file per table (cloudtrail, vpcflow, guardduty, alb, cloudfront), with the
columns the queries name; `ts_us` is the event time in epoch microseconds. Prints one JSON object:
query name -> rows, each row the group values followed by the aggregate, sorted.

The queries are the runbook's, adapted only in table and column names:
- `*_total` aggregate over the whole table (plain GROUP BY ... HAVING), as written for Athena;
- `*_sliding` are the same aggregates over sliding windows ending at every event (the window
  holds the rows of the same group with ts_us in [ts_us - span, ts_us], peers included), and keep
  the largest value per group: the semantics of a Sigma correlation with that timespan.
"""

import json
import sys

import duckdb

TABLES = {
    "cloudtrail": {"eventID": "VARCHAR", "user_type": "VARCHAR", "invoked_by": "VARCHAR",
                   "event_type": "VARCHAR"},
    "vpcflow": {"interface_id": "VARCHAR", "srcaddr": "VARCHAR", "dstaddr": "VARCHAR",
                "bytes": "BIGINT", "ts_us": "BIGINT"},
    "guardduty": {"type": "VARCHAR", "ts_us": "BIGINT"},
    "alb": {"client_ip": "VARCHAR", "request_url": "VARCHAR", "elb_status_code": "BIGINT",
            "ts_us": "BIGINT"},
    "cloudfront": {"c_ip": "VARCHAR", "cs_uri_stem": "VARCHAR", "sc_status": "BIGINT",
                   "ts_us": "BIGINT"},
}

FORBIDDEN = """
    SELECT client_ip AS client, request_url AS uri, ts_us FROM alb WHERE elb_status_code = 403
    UNION ALL
    SELECT c_ip, cs_uri_stem, ts_us FROM cloudfront WHERE sc_status = 403
"""

QUERIES = {
    # (a) root account activity
    "root_activity": """
        SELECT eventID FROM cloudtrail
        WHERE user_type = 'Root' AND invoked_by IS NULL
          AND (event_type IS NULL OR event_type <> 'AwsServiceEvent')
        ORDER BY eventID
    """,
    # (b) interface/source/destination with more than 1,000,000 bytes
    "vpc_total": """
        SELECT interface_id, srcaddr, dstaddr, SUM(bytes) AS total FROM vpcflow
        WHERE bytes IS NOT NULL
        GROUP BY interface_id, srcaddr, dstaddr HAVING SUM(bytes) > 1000000
    """,
    "vpc_sliding": """
        SELECT interface_id, srcaddr, dstaddr, MAX(total) FROM (
            SELECT interface_id, srcaddr, dstaddr, SUM(bytes) OVER (
                PARTITION BY interface_id, srcaddr, dstaddr ORDER BY ts_us
                RANGE BETWEEN 600000000 PRECEDING AND CURRENT ROW) AS total
            FROM vpcflow WHERE bytes IS NOT NULL)
        WHERE total > 1000000 GROUP BY interface_id, srcaddr, dstaddr
    """,
    # (c) GuardDuty findings counted by type
    "guardduty_by_type": """
        SELECT type, COUNT(*) FROM guardduty GROUP BY type HAVING COUNT(*) >= 1
    """,
    # (d) IP/URI pairs with many 403s
    "forbidden_total": f"""
        SELECT client, uri, COUNT(*) FROM ({FORBIDDEN})
        GROUP BY client, uri HAVING COUNT(*) >= 20
    """,
    "forbidden_sliding": f"""
        SELECT client, uri, MAX(n) FROM (
            SELECT client, uri, COUNT(*) OVER (
                PARTITION BY client, uri ORDER BY ts_us
                RANGE BETWEEN 300000000 PRECEDING AND CURRENT ROW) AS n
            FROM ({FORBIDDEN}))
        WHERE n >= 20 GROUP BY client, uri
    """,
}


def main() -> None:
    folder = sys.argv[1]
    db = duckdb.connect()
    for table, columns in TABLES.items():
        spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
        db.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_json('{folder}/{table}.jsonl', "
            f"format = 'newline_delimited', columns = {spec})"
        )
    out = {}
    for name, sql in QUERIES.items():
        rows = [list(row) for row in db.execute(sql).fetchall()]
        rows.sort(key=lambda row: [("" if v is None else str(v)) for v in row])
        out[name] = rows
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
