"""Native CSV parse speed: Kiln's engine vs pandas, pyarrow and polars, in the same run on the
same machine and the same files.

Kiln is timed inside `engine/examples/parse_speed.rs` (`data::parse` with default options:
delimiter/header detection, reading, type inference; then `profile::profile` with `y` as
the target). Each peer runs in its own Python process and is timed around its read call
only (imports and file reading from the page cache excluded on both sides: Kiln parses
bytes already in memory, the peers read a file that was just read, so it is cached).
Everything is the best of 3 runs after one warm-up. MB are 10^6 bytes.

For context, the "summary" column times each library's own one-call summary of the parsed
table (Kiln: the full profile with histograms, correlations and target relations; pandas
and polars: `describe()`); they do different amounts of work.

Usage: python3 bench/parse.py PARSE_SPEED_BINARY FILE.csv [FILE.csv ...]
"""

import json
import os
import platform
import subprocess
import sys

RUNS = 3

PEER = r'''
import json, os, sys, time
kind, path = sys.argv[1], sys.argv[2]
RUNS = int(sys.argv[3])
if kind.startswith("pandas"):
    import pandas as pd
    read = lambda: pd.read_csv(path)
    summary = lambda df: df.describe()
elif kind.startswith("pyarrow"):
    import pyarrow.csv as pc
    opts = pc.ReadOptions(use_threads=(kind == "pyarrow"))
    read = lambda: pc.read_csv(path, read_options=opts)
    summary = None
elif kind.startswith("polars"):
    import polars as pl
    read = lambda: pl.read_csv(path)
    summary = lambda df: df.describe()
else:
    raise SystemExit("unknown peer " + kind)

def best(f, *a):
    f(*a)
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        out = f(*a)
        times.append(time.perf_counter() - t)
    return min(times), times, out

parse_s, runs, df = best(read)
summary_s = best(summary, df)[0] if summary else None
print(json.dumps({"parse_s": parse_s, "parse_runs_s": runs, "rows": len(df), "summary_s": summary_s}))
'''

# (label, kind, env, threads)
PEERS = [
    ("pandas `read_csv` (C engine)", "pandas", {}, "1"),
    ("pyarrow `csv.read_csv`, 1 thread", "pyarrow1", {}, "1"),
    ("pyarrow `csv.read_csv`", "pyarrow", {}, "2"),
    ("polars `read_csv`, 1 thread", "polars1", {"POLARS_MAX_THREADS": "1"}, "1"),
    ("polars `read_csv`", "polars", {}, "2"),
]


def version(module):
    try:
        out = subprocess.run(
            [sys.executable, "-c", f"import {module}; print({module}.__version__)"],
            check=True, capture_output=True, text=True,
        )
        return out.stdout.strip()
    except subprocess.CalledProcessError:
        return None


def main():
    binary, files = sys.argv[1], sys.argv[2:]
    versions = {m: version(m) for m in ("pandas", "pyarrow", "polars")}
    cpus = os.cpu_count()
    print(f"Machine: {platform.machine()}, {cpus} cores, {platform.platform()}; "
          f"Python {platform.python_version()}, "
          + ", ".join(f"{m} {v}" for m, v in versions.items() if v)
          + f"; best of {RUNS} runs after a warm-up; MB = 10^6 bytes.")
    print()
    print("| file | reader | threads | parse s | MB/s | rows/s | summary s |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    raw = []
    for path in files:
        size = os.path.getsize(path)
        kiln = json.loads(subprocess.run([binary, path], check=True, capture_output=True, text=True).stdout)
        rows = kiln["rows"]
        label = f"{rows // 1000}k x {kiln['columns']}, {size / 1e6:.1f} MB"
        if rows >= 1_000_000:
            label = f"{rows // 1_000_000}M x {kiln['columns']}, {size / 1e6:.1f} MB"
        raw.append({"file": path, "kiln": kiln})
        print(f"| {label} | **Kiln** `data::parse` | 1 | {kiln['parse_s']:.3f} | {kiln['parse_mb_per_s']:.0f} | "
              f"{kiln['parse_rows_per_s']:,.0f} | {kiln['profile_s']:.3f} (profile) |")
        for name, kind, env, threads in PEERS:
            if not versions[kind.rstrip("1")]:
                continue
            out = subprocess.run([sys.executable, "-c", PEER, kind, path, str(RUNS)], check=True,
                                 capture_output=True, text=True, env={**os.environ, **env}).stdout
            r = json.loads(out)
            if r["rows"] != rows:
                raise SystemExit(f"{name} read {r['rows']} rows, Kiln {rows}")
            raw[-1][kind] = r
            summary = f"{r['summary_s']:.3f} (`describe`)" if r["summary_s"] is not None else "—"
            print(f"| {label} | {name} | {threads} | {r['parse_s']:.3f} | {size / 1e6 / r['parse_s']:.0f} | "
                  f"{rows / r['parse_s']:,.0f} | {summary} |")
    print()
    print("Raw: " + json.dumps(raw))


if __name__ == "__main__":
    main()
