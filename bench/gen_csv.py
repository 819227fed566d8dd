"""Writes a deterministic numeric CSV for the data-loading benchmarks.

A header `x0,...,x19,y`, then N rows of 20 float features (10 significant digits, on a few
scales, some negative) and a 0/1 target `y` drawn from a logistic model of the features.
The same N always gives the same bytes (Python's Mersenne Twister with a fixed seed and
`random()` only, whose output is stable across Python versions). About 262 bytes a row:
100k rows are about 26 MB, 1M rows about 262 MB (250 MiB, under the engine's 256 MiB limit;
12 significant digits would put the 1M-row file over it).

Usage: python3 bench/gen_csv.py ROWS OUT.csv
"""

import math
import random
import sys

FEATURES = 20
SEED = 20261123
DIGITS = 10
# Feature i is drawn on scale SCALES[i % len(SCALES)]: values like -0.1234567891,
# 1.234567891, -123.4567891, so the text is not one fixed width.
SCALES = [1.0, 10.0, 100.0, 1.0, 0.1]


def main():
    rows, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(SEED)
    weights = [rng.uniform(-1.0, 1.0) for _ in range(FEATURES)]
    header = ",".join([f"x{i}" for i in range(FEATURES)] + ["y"]) + "\n"
    with open(out, "w", newline="") as f:
        f.write(header)
        buf = []
        for _ in range(rows):
            xs = [(rng.random() * 2.0 - 1.0) * 1.7 * SCALES[i % len(SCALES)] for i in range(FEATURES)]
            z = sum(w * x / SCALES[i % len(SCALES)] for i, (w, x) in enumerate(zip(weights, xs)))
            y = 1 if rng.random() < 1.0 / (1.0 + math.exp(-z)) else 0
            buf.append(",".join(f"{x:.{DIGITS}g}" for x in xs) + f",{y}\n")
            if len(buf) >= 10_000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))


if __name__ == "__main__":
    main()
