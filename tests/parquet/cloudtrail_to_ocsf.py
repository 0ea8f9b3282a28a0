"""CloudTrail records (NDJSON) to OCSF API Activity records in Parquet, for tests/parquet.rs.

Each CloudTrail field goes where the built-in pipeline `cloudtrail-ocsf` looks for it (see
docs/pipelines.md): the mapped fields to their OCSF names, every other field under `unmapped`.
DuckDB writes the Parquet file (zstd, small row groups, so that a file has several), inferring
the columns' types from all records (strings that look like UUIDs become UUIDs; dates and times
stay strings, but `time`, which becomes a timestamp as in Security Lake). A field a record lacks
is null in its column, which Sigil leaves out again when it reads the row. OUT.parquet.jsonl
gets the records as Sigil should read them back: as written, `time` in epoch milliseconds.

usage: cloudtrail_to_ocsf.py IN.jsonl OUT.parquet ROWS_PER_GROUP
"""

import json
import sys
from datetime import datetime

import duckdb

# CloudTrail field (dotted) -> OCSF field (dotted); the inverse of ocsf-cloudtrail.
MAPPING = {
    "eventName": "api.operation",
    "eventSource": "api.service.name",
    "apiVersion": "api.version",
    "requestID": "api.request.uid",
    "requestParameters": "api.request.data",
    "responseElements": "api.response.data",
    "errorCode": "api.response.error",
    "errorMessage": "api.response.message",
    "sourceIPAddress": "src_endpoint.ip",
    "vpcEndpointId": "src_endpoint.uid",
    "userAgent": "http_request.user_agent",
    "userIdentity.type": "actor.user.type",
    "userIdentity.userName": "actor.user.name",
    "userIdentity.principalId": "actor.user.uid",
    "userIdentity.arn": "actor.user.uuid",
    "userIdentity.accountId": "actor.user.account.uid",
    "userIdentity.accessKeyId": "actor.user.credential_uid",
    "userIdentity.invokedBy": "actor.invoked_by",
    "awsRegion": "cloud.region",
    "recipientAccountId": "cloud.account.uid",
    "eventID": "metadata.uid",
    "eventVersion": "metadata.product.version",
    "eventCategory": "metadata.product.feature.name",
}


def put(target, path, value):
    *parents, last = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value


def ocsf(record):
    event = {
        "class_uid": 6003,
        "category_uid": 6,
        "time": record["eventTime"],
        "metadata": {"version": "1.1.0", "product": {"name": "CloudTrail"}},
    }
    identity = record.get("userIdentity", {})
    flat = {k: v for k, v in record.items() if k != "userIdentity"}
    flat.update({"userIdentity." + k: v for k, v in identity.items()})
    for field, value in flat.items():
        if field in MAPPING:
            put(event, MAPPING[field], value)
        elif field != "eventTime":
            # CloudTrail's own name, under `unmapped`.
            put(event.setdefault("unmapped", {}), field, value)
    return event


def main():
    source, target, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    written = target + ".in.jsonl"
    with open(source) as lines, open(written, "w") as out, open(target + ".jsonl", "w") as back:
        for line in lines:
            event = ocsf(json.loads(line))
            out.write(json.dumps(event) + "\n")
            when = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
            event["time"] = int(when.timestamp() * 1000)
            back.write(json.dumps(event) + "\n")
    duckdb.sql("SET threads = 1")
    duckdb.sql(
        f"""COPY (SELECT * REPLACE (CAST(time AS TIMESTAMPTZ) AS time)
                  FROM read_json('{written}', format = 'newline_delimited', sample_size = -1,
                                 map_inference_threshold = -1, dateformat = 'no %Y',
                                 timestampformat = 'no %Y'))
            TO '{target}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {rows})"""
    )


main()
