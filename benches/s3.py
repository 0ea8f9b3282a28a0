#!/usr/bin/env python3
"""Hunting S3 in place against the alternatives, in one run (see benches/RESULTS.md).

Generates CloudTrail in its S3 layout with sigil-corpus (gzipped, digests included), serves it
from a moto S3 server on 127.0.0.1, and times, in interleaved rounds:

  s3        sigil hunt -r rules s3://bench/                     (list, fetch and scan at once)
  local     sigil hunt -r rules DIR                             (the same files on local disk)
  sync      aws s3 sync s3://bench/ TMP && sigil hunt -r rules TMP
  fetch     the S3 reading alone: sigil hunt with a rule set that nothing matches, on --threads 1

Every command must print the same matches (paths aside). Medians of --runs rounds.

    python3 -m pip install 'moto[server]' awscli
    cargo build --release -p sigil -p sigil-corpus
    python3 benches/s3.py --mb 200 --runs 3
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIGIL = ROOT / "target/release/sigil"
CORPUS = ROOT / "target/release/sigil-corpus"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto(port):
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
            return moto
        except OSError:
            time.sleep(0.2)
    moto.kill()
    sys.exit("moto did not start")


def run(command, env, cwd=ROOT):
    started = time.perf_counter()
    result = subprocess.run(command, shell=True, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 2):
        sys.exit(f"{command}: exit {result.returncode}\n{result.stderr}")
    return elapsed, result.stdout, result.stderr


def matches(output, prefix):
    return sorted(line.replace(prefix, "") for line in output.splitlines())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rules", default="rules")
    args = parser.parse_args()

    data = ROOT / "target/bench-data" / f"s3-{args.mb}"
    if not data.exists():
        subprocess.run([str(CORPUS), "generate", "--sources", "cloudtrail", "--mb", str(args.mb),
                        "--layout", "s3", "--out", str(data)], check=True)
    files = [p for p in data.rglob("*") if p.is_file()]
    stored = sum(p.stat().st_size for p in files)
    print(f"corpus: {len(files)} files, {stored / 1e6:.1f} MB stored ({data})")

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
               AWS_EC2_METADATA_DISABLED="true", AWS_ENDPOINT_URL=endpoint,
               AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
    moto = start_moto(port)
    try:
        aws = f"aws --endpoint-url {endpoint}"
        run(f"{aws} s3 mb s3://bench", env)
        upload, _, _ = run(f"{aws} s3 sync --quiet {data} s3://bench/", env)
        print(f"upload (aws s3 sync to moto): {upload:.1f} s")
        nothing = Path(tempfile.mkdtemp()) / "nothing.yml"
        nothing.write_text("title: nothing\nlogsource: {product: aws, service: cloudtrail}\n"
                           "detection:\n  sel: {eventName: sigil-bench-no-such-event}\n"
                           "  condition: sel\n")
        sync_dir = Path(tempfile.mkdtemp())
        hunt = f"{SIGIL} hunt -r {args.rules} --format jsonl"
        commands = {
            "s3": f"{hunt} s3://bench/ --stats",
            "local": f"{hunt} {data} --stats",
            "sync": f"rm -rf {sync_dir}/* && {aws} s3 sync --quiet s3://bench/ {sync_dir} "
                    f"&& {hunt} {sync_dir}",
            "fetch": f"{SIGIL} hunt -r {nothing} s3://bench/ --threads 1 --stats",
        }
        prefixes = {"s3": "s3://bench/", "local": f"{data}/", "sync": f"{sync_dir}/"}
        times = {name: [] for name in commands}
        outputs = {}
        stats = {}
        for round_ in range(args.runs):
            for name, command in commands.items():
                elapsed, out, err = run(command, env)
                times[name].append(elapsed)
                if name in prefixes:
                    outputs[name] = matches(out, prefixes[name])
                stats[name] = err
            print(f"round {round_ + 1}: " +
                  ", ".join(f"{n} {t[-1]:.2f} s" for n, t in times.items()))
        assert outputs["s3"] == outputs["local"] == outputs["sync"], "outputs differ"
        print(f"\n{len(outputs['s3'])} matches, identical in s3, local and sync\n")
        local = statistics.median(times["local"])
        print("| command | median s | vs local |")
        print("|---|---|---|")
        for name, values in times.items():
            median = statistics.median(values)
            print(f"| {name}: {commands[name]} | {median:.2f} | {median / local:.2f}x |")
        for name in ("s3", "fetch"):
            print(f"\n{name} --stats:")
            for line in stats[name].splitlines():
                if line.startswith(("files:", "speed:", "s3:")):
                    print("  " + line)
        shutil.rmtree(sync_dir, ignore_errors=True)
    finally:
        moto.kill()
        moto.wait()


if __name__ == "__main__":
    main()
