"""Logistic regression, Kiln vs scikit-learn, in the same run on the same machine.

Both sides do the same work on the same CSV: parse it, hold out a stratified 20%, standardise
the features on the training part, fit a multinomial logistic regression, score the holdout.
Kiln is timed as its whole `kiln train` process; scikit-learn is timed twice: the whole
process (interpreter and imports included) and the in-process work alone.

Usage: python3 bench/linear.py KILN_BINARY OUT.md
"""

import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

REPEATS = 5
SIZES = [(150, "iris (bundled)"), (20_000, "synthetic 20k x 20, 3 classes"), (100_000, "synthetic 100k x 20, 3 classes")]

SKLEARN_SIDE = r'''
import csv, sys, time, json
t0 = time.perf_counter()
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import accuracy_score, f1_score
t1 = time.perf_counter()
with open(sys.argv[1]) as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
X = np.array([[float(v) for v in r[:-1]] for r in rows])
y = np.array([r[-1] for r in rows])
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2, stratify=y, random_state=42)
scaler = StandardScaler().fit(Xtr)
model = LogisticRegression(max_iter=300).fit(scaler.transform(Xtr), ytr)
pred = model.predict(scaler.transform(Xte))
t2 = time.perf_counter()
print(json.dumps({"accuracy": accuracy_score(yte, pred), "macro_f1": f1_score(yte, pred, average="macro"),
                  "imports_s": t1 - t0, "work_s": t2 - t1}))
'''


def synthetic(path, n):
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=20, n_informative=10, n_classes=3, random_state=0)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"x{i}" for i in range(20)] + ["label"])
        for row, label in zip(X, y):
            w.writerow([f"{v:.6f}" for v in row] + [f"c{label}"])


def timed(cmd):
    start = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return time.perf_counter() - start, out


def main():
    kiln, out_md = sys.argv[1], sys.argv[2]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    import sklearn

    lines = [
        "# Logistic regression: Kiln vs scikit-learn",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.platform()}; "
        f"Python {platform.python_version()}, scikit-learn {sklearn.__version__}; "
        f"median of {REPEATS} runs, seconds.",
        "",
        "| data | Kiln `kiln train` process | scikit-learn process | scikit-learn work only | Kiln accuracy | scikit-learn accuracy |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for n, label in SIZES:
            if n == 150:
                path, target = os.path.join(root, "static/samples/iris.csv"), "species"
            else:
                path, target = os.path.join(tmp, f"synthetic-{n}.csv"), "label"
                synthetic(path, n)
            kiln_times, sk_times, sk_work = [], [], []
            for _ in range(REPEATS):
                t, out = timed([kiln, "train", "--data", path, "--target", target, "--model", "logistic", "--json"])
                kiln_times.append(t)
                kiln_report = json.loads(out)
                t, out = timed([sys.executable, "-c", SKLEARN_SIDE, path])
                sk_times.append(t)
                sk_report = json.loads(out)
                sk_work.append(sk_report["work_s"])
            row = (
                f"| {label} | {statistics.median(kiln_times):.3f} | {statistics.median(sk_times):.3f} | "
                f"{statistics.median(sk_work):.3f} | {kiln_report['metrics']['accuracy']:.3f} | "
                f"{sk_report['accuracy']:.3f} |"
            )
            print(row, flush=True)
            lines.append(row)
    lines += [
        "",
        "Kiln fits by 300 full-batch gradient-descent steps (step size from the data's curvature);",
        "scikit-learn uses L-BFGS with up to 300 iterations. Both hold out a stratified 20%; the",
        "splits differ (different random generators), so accuracies are comparable, not identical.",
    ]
    with open(out_md, "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
