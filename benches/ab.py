#!/usr/bin/env python3
"""Interleaved A/B rounds with CPU time and page faults, for runs too short for `ab.sh`.

    benches/ab.py ROUNDS OLD_BINARY NEW_BINARY -- hunt -r rules /tmp/ct200 --threads 1
    benches/ab.py ROUNDS BINARY NAME=VALUE -- hunt ...    (A without the variable, B with it)

With AB_EVICT=PATH[:PATH...], those files (and the files below those folders) are dropped
from the page cache before each run (posix_fadvise DONTNEED), so that every run reads its
input from disk, as a hunt over an archive does.

Rounds alternate A and B. Each run's wall time (perf_counter), user + system CPU time, minor
page faults and peak RSS (os.wait4) are taken; medians and minimums are reported, with B/A.
Output goes to /dev/null, and a run that fails stops the script.
"""
import os
import statistics
import subprocess
import sys
import time


def evict(paths):
    """Drops each of the `:`-separated files, and every file below each folder, from the page
    cache."""
    for path in filter(None, paths.split(":")):
        files = [path] if os.path.isfile(path) else (
            os.path.join(folder, name) for folder, _, names in os.walk(path) for name in names)
        for file in files:
            fd = os.open(file, os.O_RDONLY)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            os.close(fd)


def main():
    rounds, first, second = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    args = sys.argv[5:] if sys.argv[4] == "--" else sys.argv[4:]
    if "=" in second and not os.path.exists(second):
        name, value = second.split("=", 1)
        runs = {"A": (first, {}), "B": (first, {name: value})}
    else:
        runs = {"A": (first, {}), "B": (second, {})}
    taken = {"A": [], "B": []}
    for i in range(rounds):
        for label in ("A", "B") if i % 2 == 0 else ("B", "A"):
            binary, extra = runs[label]
            evict(os.environ.get("AB_EVICT", ""))
            start = time.perf_counter()
            child = subprocess.Popen(
                [binary, *args],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **extra},
            )
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - start
            if status != 0:
                sys.exit(f"{label} failed with status {status}")
            cpu = usage.ru_utime + usage.ru_stime
            taken[label].append((wall, cpu, usage.ru_minflt, usage.ru_maxrss))
    for column, name in ((0, "wall"), (1, "cpu")):
        a = [run[column] for run in taken["A"]]
        b = [run[column] for run in taken["B"]]
        print(
            f"{name}: A median {statistics.median(a):.4f} min {min(a):.4f}"
            f" | B median {statistics.median(b):.4f} min {min(b):.4f}"
            f" | B/A median {statistics.median(b) / statistics.median(a):.3f}"
            f" min {min(b) / min(a):.3f}"
        )
    for label in ("A", "B"):
        faults = statistics.median(run[2] for run in taken[label])
        rss = max(run[3] for run in taken[label])
        print(f"{label}: minor faults median {faults:.0f}, peak RSS {rss} KB")
    print("load", open("/proc/loadavg").read().split()[0])


if __name__ == "__main__":
    main()
