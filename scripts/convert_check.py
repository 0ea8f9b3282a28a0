#!/usr/bin/env python3
"""Runs the queries of `sigil convert` and compares their answers with `sigil hunt`'s.

Usage:
  convert_check.py --target duckdb --ddl VIEWS.sql --queries Q.jsonl --hunt H.jsonl [--report R.json]
  convert_check.py --target spark  --ddl VIEWS.sql --queries Q.jsonl --hunt H.jsonl [--report R.json]
  convert_check.py --target athena --ddl TABLES.sql --data SERVICE=FILES ... --queries Q.jsonl --hunt H.jsonl
  (--queries and --hunt may be repeated; --kind and --services narrow what is compared)

Q.jsonl is `sigil convert --format jsonl` (one object per rule: a query or the reason it was
refused); H.jsonl is `sigil hunt --format jsonl` over the same files.

- duckdb: VIEWS.sql (`sigil convert --target duckdb --ddl ...`) is run in DuckDB, then each
  query.
- spark: VIEWS.sql (`--target spark --ddl`) and each query run in a local Spark session
  (pyspark, local mode, one core).
- athena: no Athena here. TABLES.sql (`--target athena --ddl`) gives each table's columns and
  SerDe; this script builds, for each SERVICE=FILES, a DuckDB table of those columns the way
  the SerDe reads the files (emulate_serde below: structs matched case-insensitively, JSON
  held as text, OpenX lowercasing nested keys, RegexSerDe's full match, skipped header lines),
  then parses each query with sqlglot as Trino, writes it as DuckDB, and runs that.

For each rule the multiset of records its query returns (by a key per log source: CloudTrail's
eventID, CloudFront's request id...) must equal the records Sigil matched. Correlation queries
return (group, window start, window end, value, events) rows, compared with Sigil's correlation
matches. Prints one line per rule and a summary; writes the details to --report; exits 1 when
any answer differs.
"""

import argparse
import collections
import gzip
import json
import re
import sys
import time

# Per log source: the key of a record as SQL over the table's columns, and as a function of
# Sigil's event (the record Sigil matched, with Sigil's field names).
KEYS = {
    "cloudtrail": (["eventid"], lambda e: [e.get("eventID")]),
    "guardduty": (["id", "updatedat"], lambda e: [e.get("id"), e.get("updatedAt")]),
    "waf": (["httprequest.requestid"], lambda e: [e.get("httpRequest", {}).get("requestId")]),
    "vpcflow": (["interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "start",
                 "packets", "bytes"],
                lambda e: [e.get(k) for k in ("interface-id", "srcaddr", "dstaddr", "srcport",
                                              "dstport", "start", "packets", "bytes")]),
    "alb": (["trace_id", "time"], lambda e: [e.get("trace_id"), e.get("time")]),
    "cloudfront": (["request_id"], lambda e: [e.get("x-edge-request-id")]),
}


def text(value):
    """A key part as text: None stays None, numbers lose a trailing .0."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def key_of(parts):
    return tuple(text(p) for p in parts)


def rule_key(rule):
    return rule.get("id") or rule.get("title")


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def sigil_answers(hunt, services):
    """Per rule: the multiset of record keys Sigil matched, or of correlation rows."""
    answers = collections.defaultdict(collections.Counter)
    for m in hunt:
        rule = rule_key(m["rule"])
        if "window" in m:
            answers[rule][correlation_row(m)] += 1
        elif rule in services:
            answers[rule][key_of(KEYS[services[rule]][1](m["event"]))] += 1
    return answers


def correlation_row(m):
    """A correlation match as (group values..., window start, end, value, event count)."""
    group = tuple(text(v) for v in m["group"].values())
    return group + (m["window"]["start"], m["window"]["end"], text(m["aggregate"]["value"]),
                    text(m["events"]["count"]))


def iso(micros):
    """Microseconds since the epoch as Sigil writes window times (RFC 3339, Z)."""
    seconds, rest = divmod(int(micros), 1_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    if rest:
        stamp += ("." + f"{rest:06d}").rstrip("0")
    return stamp + "Z"


def sql_rows(rows, correlation):
    """Query rows as comparable tuples."""
    out = collections.Counter()
    for row in rows:
        if correlation:
            *group, start, end, value, events = row
            out[tuple(text(g) for g in group) + (iso(start), iso(end), text(value), text(events))] += 1
        else:
            out[key_of(row)] += 1
    return out


def wrap(sql, service, correlation, text_type):
    """The query, selecting only what is compared."""
    if correlation:
        return sql
    keys = ", ".join(f"CAST(q.{k} AS {text_type})" for k in KEYS[service][0])
    return f"SELECT {keys} FROM ({sql}) q"


def split_statements(text_sql):
    return [s.strip() for s in text_sql.split(";\n") if s.strip() and not s.strip().startswith("--")]


# --- engines ---------------------------------------------------------------------------

class DuckDbEngine:
    text_type = "VARCHAR"
    batches = True

    def __init__(self, ddl):
        import duckdb
        self.db = duckdb.connect()
        for statement in split_statements(ddl):
            self.db.execute(statement)
        # Each view's files are read once: the view is kept as a table of the same name.
        for view in re.findall(r"CREATE OR REPLACE VIEW (\w+) AS", ddl):
            self.db.execute(f"ALTER VIEW {view} RENAME TO {view}_files")
            self.db.execute(f"CREATE TABLE {view} AS SELECT * FROM {view}_files")

    def rows(self, sql):
        return self.db.execute(sql).fetchall()


class AthenaEngine(DuckDbEngine):
    """Athena's tables emulated in DuckDB; queries transpiled from Trino by sqlglot."""

    def __init__(self, ddl, data):
        import duckdb
        import sqlglot
        self.sqlglot = sqlglot
        self.db = duckdb.connect()
        # Trino's fail(message), which sqlglot leaves as it is: stops the query with the message.
        self.db.execute("CREATE MACRO fail(message) AS error(message)")
        for statement in split_statements(ddl):
            table = parse_athena_table(sqlglot, statement)
            if table["service"] in data:
                load_athena_table(self.db, table, data[table["service"]])

    def rows(self, sql):
        duck = self.sqlglot.transpile(sql, read="trino", write="duckdb")[0]
        return self.db.execute(duck).fetchall()


class SparkEngine:
    text_type = "STRING"
    batches = False

    def __init__(self, ddl):
        from pyspark.sql import SparkSession
        self.spark = (SparkSession.builder.master("local[1]").appName("sigil-convert-check")
                      .config("spark.ui.enabled", "false")
                      .config("spark.sql.shuffle.partitions", "1")
                      .config("spark.driver.host", "127.0.0.1")
                      .config("spark.driver.bindAddress", "127.0.0.1")
                      .config("spark.ui.showConsoleProgress", "false")
                      # The queries' long expressions exceed what whole-stage code generation
                      # compiles; without it Spark interprets them at once instead of failing
                      # and retrying.
                      .config("spark.sql.codegen.wholeStage", "false")
                      .getOrCreate())
        self.spark.sparkContext.setLogLevel("ERROR")
        for statement in split_statements(ddl):
            self.spark.sql(statement)
        # Each table is read and parsed once, not once per query.
        for view in re.findall(r"CREATE OR REPLACE TEMPORARY VIEW (\w+) AS", ddl):
            self.spark.sql(f"CACHE TABLE {view}")

    def rows(self, sql):
        return [tuple(r) for r in self.spark.sql(sql).collect()]


# --- Athena's SerDes, emulated -----------------------------------------------------------

SERVICES_BY_SERDE = {}


def parse_athena_table(sqlglot, statement):
    """Columns (name, sqlglot type), SerDe and options of a CREATE EXTERNAL TABLE."""
    from sqlglot import exp
    tree = sqlglot.parse_one(statement, read="athena")
    schema = tree.this
    name = schema.this.name
    columns = [(c.name, c.args["kind"]) for c in schema.expressions
               if isinstance(c, exp.ColumnDef)]
    serde = re.search(r"SERDE '([^']+)'", statement)
    regex = re.search(r"'input.regex' = '(.*)'\n", statement)
    delimiter = re.search(r"FIELDS TERMINATED BY '([^']*)'", statement)
    skip = re.search(r"'skip.header.line.count' = '(\d+)'", statement)
    partitions = re.search(r"PARTITIONED BY \(([^)]*)\)", statement)
    return {
        "name": name,
        "service": name,
        "columns": columns,
        "serde": serde.group(1) if serde else "delimited",
        "regex": regex.group(1) if regex else None,
        "delimiter": {"\\t": "\t"}.get(delimiter.group(1), delimiter.group(1)) if delimiter else None,
        "skip": int(skip.group(1)) if skip else 0,
        "partitioned": bool(partitions),
    }


def open_text(path):
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def json_records(path, envelope):
    """The records of a JSON log file: envelopes unnested, arrays split, NDJSON lines."""
    with open_text(path) as f:
        content = f.read()
    decoder = json.JSONDecoder()
    at, out = 0, []
    while True:
        while at < len(content) and content[at].isspace():
            at += 1
        if at >= len(content):
            break
        value, at = decoder.raw_decode(content, at)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if envelope and isinstance(v, dict) and isinstance(v.get("Records"), list):
                out.extend(v["Records"])
            else:
                out.append(v)
    return out


def lower_keys(value):
    if isinstance(value, dict):
        return {k.lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def shape(value, kind, lowercase):
    """A JSON value as a column of sqlglot type `kind` holds it (Hive JSON SerDes)."""
    from sqlglot import exp
    t = kind.this
    if value is None:
        return None
    if t == exp.DataType.Type.STRUCT:
        if not isinstance(value, dict):
            return None
        by_lower = {k.lower(): v for k, v in value.items()}
        return {f.name: shape(by_lower.get(f.name.lower()), f.args["kind"], lowercase)
                for f in kind.expressions}
    if t == exp.DataType.Type.ARRAY:
        if not isinstance(value, list):
            return None
        return [shape(v, kind.expressions[0], lowercase) for v in value]
    if t == exp.DataType.Type.MAP:
        return {str(k): text(v) for k, v in value.items()} if isinstance(value, dict) else None
    if t in NUMBERS:
        return number(value, t)
    # STRING: strings as they are, other scalars as text, objects and arrays as JSON text.
    if isinstance(value, (dict, list)):
        return json.dumps(lower_keys(value) if lowercase else value, separators=(",", ":"),
                          ensure_ascii=False)
    return text(value)


def _numbers():
    from sqlglot import exp
    T = exp.DataType.Type
    return (T.INT, T.BIGINT, T.DOUBLE, T.FLOAT)


NUMBERS = _numbers()


def number(value, t):
    from sqlglot import exp
    try:
        n = float(value)
    except (TypeError, ValueError):
        return None
    if t in (exp.DataType.Type.INT, exp.DataType.Type.BIGINT):
        return int(n) if n.is_integer() else None
    return n


def text_fields(table, path):
    """The rows of a text log file, cut as Athena's SerDe cuts them."""
    from sqlglot import exp
    with open_text(path) as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = lines[table["skip"]:]
    regex = re.compile(table["regex"]) if table["regex"] else None
    for line in lines:
        if regex:
            m = regex.fullmatch(line)
            fields = list(m.groups()) if m else [None] * len(table["columns"])
        else:
            fields = line.split(table["delimiter"])
        row = {}
        for i, (name, kind) in enumerate(table["columns"]):
            value = fields[i] if i < len(fields) else None
            if value is not None and kind.this in NUMBERS:
                value = number(value, kind.this)
            elif value is not None and kind.this == exp.DataType.Type.DATE:
                value = value if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
            row[name] = value
        yield row


def partition_values(path):
    """log_account, log_region and day from an AWSLogs/<account>/<service>/<region>/Y/M/D path."""
    m = re.search(r"AWSLogs/(?:o-[^/]+/)?(\d+)/[^/]+/([^/]+)/(\d{4})/(\d{2})/(\d{2})/", path)
    if not m:
        return {"log_account": None, "log_region": None, "day": None}
    return {"log_account": m.group(1), "log_region": m.group(2),
            "day": f"{m.group(3)}/{m.group(4)}/{m.group(5)}"}


def load_athena_table(db, table, files):
    """Creates the table in DuckDB from the files, as Athena would read them."""
    import glob
    import os
    import tempfile
    paths = sorted(p for pattern in files for p in glob.glob(pattern, recursive=True)
                   if os.path.isfile(p))
    lowercase = "openx" in table["serde"]
    rows = []
    for path in paths:
        if table["serde"].endswith("JsonSerDe"):
            records = json_records(path, envelope=True)
            produced = [{name: shape(r.get(name) if name in r else
                                     {k.lower(): v for k, v in r.items()}.get(name), kind, lowercase)
                         for name, kind in table["columns"]} for r in records if isinstance(r, dict)]
        else:
            produced = list(text_fields(table, path))
        if table["partitioned"]:
            extra = partition_values(path)
            for r in produced:
                r.update(extra)
        rows.extend(produced)
    columns = [(n, k.sql("duckdb")) for n, k in table["columns"]]
    if table["partitioned"]:
        columns += [("log_account", "VARCHAR"), ("log_region", "VARCHAR"), ("day", "VARCHAR")]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
        name = f.name
    spec = "{" + ", ".join(f"'{n}': '{t}'" for n, t in columns) + "}"
    db.execute(f'CREATE TABLE "{table["name"]}" AS SELECT * FROM read_json(\'{name}\', '
               f"format = 'newline_delimited', columns = {spec})")
    os.unlink(name)


def run_all(engine, queries):
    """Each query's rows (as comparable tuples) and error. Detection queries of one log source
    run as one UNION ALL (one scan of the table instead of one per rule); if that fails, one
    by one, so that each error is reported with its rule."""
    answers = {}
    batches = collections.defaultdict(list)
    for q in queries:
        if q.get("kind") == "correlation" or not engine.batches:
            answers[id(q)] = run_one(engine, q)
        else:
            batches[q["services"][0]].append(q)
    for service, batch in batches.items():
        keys = ", ".join(f"CAST(q.{k} AS {engine.text_type})" for k in KEYS[service][0])
        union = "\nUNION ALL\n".join(f"SELECT {i} AS rule_index, {keys} FROM ({q['query']}) q"
                                      for i, q in enumerate(batch))
        try:
            rows = engine.rows(union)
        except Exception:
            for q in batch:
                answers[id(q)] = run_one(engine, q)
            continue
        per_rule = collections.defaultdict(list)
        for row in rows:
            per_rule[row[0]].append(row[1:])
        for i, q in enumerate(batch):
            answers[id(q)] = (sql_rows(per_rule[i], False), None)
    return answers


def same_as_reference(engine, q, ours, sql):
    """Whether a rule's answer is a reference query's (see --reference), and both answers."""
    rows = engine.rows(sql)
    if q.get("kind") == "correlation":
        peaks = {}
        for row, n in ours.items():
            group, value = row[:-4], float(row[-2])
            peaks[group] = max(peaks.get(group, value), value)
        theirs = {tuple(text(g) for g in row[:-1]): float(row[-1]) for row in rows}
        return peaks == theirs, {"ours": sorted(peaks.items()), "reference": sorted(theirs.items())}
    theirs = collections.Counter(key_of(row) for row in rows)
    return ours == theirs, {"ours": sum(ours.values()), "reference": sum(theirs.values())}


def run_one(engine, q):
    correlation = q.get("kind") == "correlation"
    try:
        sql = wrap(q["query"], q["services"][0], correlation, engine.text_type)
        return sql_rows(engine.rows(sql), correlation), None
    except Exception as e:  # a query the engine rejects is a failure, reported as such
        return collections.Counter(), str(e).splitlines()[0][:500]


# --- main ----------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True, choices=["duckdb", "spark", "athena"])
    parser.add_argument("--ddl", required=True)
    parser.add_argument("--queries", required=True, action="append")
    parser.add_argument("--hunt", required=True, action="append")
    parser.add_argument("--data", action="append", default=[])
    parser.add_argument("--report")
    parser.add_argument("--kind", choices=["detection", "correlation"],
                        help="compare only the queries of this kind")
    parser.add_argument("--services",
                        help="compare only the queries of these log sources (comma-separated)")
    parser.add_argument("--reference", action="append", default=[], metavar="RULE_ID=SQL",
                        help="also compare the rule's answer with this query's: record keys for "
                             "a detection, (group..., value) rows with each group's peak for a "
                             "correlation")
    args = parser.parse_args()

    with open(args.ddl, encoding="utf-8") as f:
        ddl = f.read()
    only = set(args.services.split(",")) if args.services else None
    queries = [q for path in args.queries for q in load_jsonl(path)
               if (not args.kind or q.get("kind", args.kind) == args.kind)
               and (only is None or "error" in q or set(q["services"]) <= only)]
    services = {rule_key(q["rule"]): q["services"][0] for q in queries if q.get("services")}
    started = time.time()
    if args.target == "duckdb":
        engine = DuckDbEngine(ddl)
    elif args.target == "spark":
        engine = SparkEngine(ddl)
    else:
        data = collections.defaultdict(list)
        for item in args.data:
            service, files = item.split("=", 1)
            data[service].append(files)
        engine = AthenaEngine(ddl, data)
    setup = time.time() - started

    expected = sigil_answers([m for path in args.hunt for m in load_jsonl(path)], services)
    answers = run_all(engine, [q for q in queries if "error" not in q])
    results, differing, refused = [], 0, 0
    for i, q in enumerate(queries):
        rule = rule_key(q["rule"])
        if "error" in q:
            refused += 1
            results.append({"rule": rule, "title": q["rule"]["title"], "refused": q["error"]})
            continue
        got, error = answers[id(q)]
        want = expected.get(rule, collections.Counter())
        same = error is None and got == want
        differing += not same
        results.append({
            "rule": rule, "title": q["rule"]["title"], "sql": sum(got.values()),
            "sigil": sum(want.values()), "same": same, "error": error,
            "missing": [list(k) for k in list((want - got).keys())[:5]],
            "extra": [list(k) for k in list((got - want).keys())[:5]],
        })
        mark = "ok  " if same else "DIFF"
        print(f"{mark} {sum(got.values()):6} {sum(want.values()):6}  {q['rule']['title']}"
              + (f"  ERROR {error}" if error else ""))
    for item in args.reference:
        rule_id, sql = item.split("=", 1)
        q = next(q for q in queries if rule_key(q["rule"]) == rule_id and "error" not in q)
        ours, _ = answers[id(q)]
        same, shown = same_as_reference(engine, q, ours, sql)
        differing += not same
        print(f"{'ok  ' if same else 'DIFF'} reference {q['rule']['title']}: {shown}")
        results.append({"rule": rule_id, "reference": sql, "same": same, "shown": shown})
    compared = len(results) - refused
    print(f"{args.target}: {compared} queries compared, {compared - differing} same answers, "
          f"{differing} different, {refused} rules refused; setup {setup:.1f}s, "
          f"total {time.time() - started:.1f}s")
    if args.report:
        with open(args.report, "w", encoding="utf-8") as f:
            json.dump({"target": args.target, "compared": compared, "differing": differing,
                       "refused": refused, "rules": results}, f, indent=1)
    sys.exit(1 if differing else 0)


if __name__ == "__main__":
    main()
