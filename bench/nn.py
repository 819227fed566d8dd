"""Kiln's multilayer perceptron against scikit-learn's MLPClassifier, on the same files and split.

For digits and breast cancer, the script writes one CSV per split with an `is_test` column
(train_test_split, stratified, 20 % test, random_state = the split seed 0..4, as bench/models.py
does for small tables), runs `kiln train --model mlp --split predefined --split-column is_test
--json` and fits `make_pipeline(StandardScaler(), MLPClassifier(...))` on the same rows, with the
same settings on both sides:

    one hidden layer of 100 relu units, Adam with learning rate 0.001, batch size
    min(200, rows), L2 penalty 0.0001, at most 200 epochs, early stopping on 10 % of the
    training rows with patience 10 and tolerance 1e-4, standardised features.

Each case runs twice: with early stopping as above (each library's own rule), and for a fixed
200 epochs on all training rows (no early stopping on either side), which compares the training
itself. It prints one markdown table: accuracy each side, the difference in points, epochs run,
fit seconds each side, the Kiln / scikit-learn fit-time ratio and ms per epoch, each a mean over
the 5 splits, then the per-split figures.
Both sides are single-threaded (OMP_NUM_THREADS=1). Kiln's fit time is the network's training
alone (parsing and the recipe excluded); scikit-learn's includes its StandardScaler.

Usage: python bench/nn.py KILN_BINARY OUT.md [--splits N]
       python bench/nn.py --export CASE OUT.csv   (a case for bench/browser/nn.mjs: digits,
                                                   breast_cancer or wide_class_25k)
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import datetime
import sys
import tempfile
import time
import warnings

import numpy as np
import sklearn
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

sys.path.insert(0, os.path.dirname(__file__))
import models  # noqa: E402  (write_csv, kiln, timed_fit, machine, scaled)

CASES = ["digits", "breast_cancer"]
SPLITS = 5

# The shared settings, in each library's words.
HIDDEN = 100
LEARNING_RATE = 0.001
ALPHA = 0.0001
MAX_EPOCHS = 200
VALIDATION_FRACTION = 0.1
PATIENCE = 10
TOL = 1e-4

# Two ways of ending training, the same on both sides:
#   "early stopping": the settings above (each library's own rule: scikit-learn watches the
#       validation accuracy, Kiln the validation loss);
#   "fixed 200 epochs": no early stopping, no validation rows, all 200 epochs (scikit-learn's
#       training-loss rule is switched off with n_iter_no_change = max_iter).
MODES = ["early stopping", "fixed 200 epochs"]


def kiln_params(mode):
    params = [
        f"hidden={HIDDEN}",
        "activation=relu",
        "optimizer=adam",
        f"learning_rate={LEARNING_RATE}",
        "batch_size=auto",  # min(200, rows)
        f"weight_decay={ALPHA}",
        f"epochs={MAX_EPOCHS}",
    ]
    if mode == "early stopping":
        return params + [
            "early_stopping=true",
            f"validation_fraction={VALIDATION_FRACTION}",
            f"patience={PATIENCE}",
        ]
    return params + ["early_stopping=false", "validation_fraction=0"]


def sklearn_mlp(mode, seed):
    early = mode == "early stopping"
    return models.scaled(
        MLPClassifier(
            hidden_layer_sizes=(HIDDEN,),
            activation="relu",
            solver="adam",
            learning_rate_init=LEARNING_RATE,
            batch_size="auto",  # min(200, rows)
            alpha=ALPHA,
            max_iter=MAX_EPOCHS,
            early_stopping=early,
            validation_fraction=VALIDATION_FRACTION,
            n_iter_no_change=PATIENCE if early else MAX_EPOCHS,
            tol=TOL,
            random_state=seed,
        )
    )


def load(name):
    """(X, y) of a case."""
    if name in ("digits", "breast_cancer"):
        d = getattr(datasets, f"load_{name}")()
        return d.data, d.target
    if name == "wide_class_25k":
        # The browser benchmark's larger case: 25,000 rows (20,000 to train) x 50 features.
        return datasets.make_classification(
            n_samples=25_000, n_features=50, n_informative=20, n_redundant=10,
            n_classes=2, random_state=0,
        )
    raise ValueError(name)


def split(y, seed):
    idx = np.arange(len(y))
    train, test = train_test_split(idx, test_size=0.2, random_state=seed, stratify=y)
    mask = np.zeros(len(y), dtype=bool)
    mask[test] = True
    return train, test, mask


def run_case(binary, name, mode, tmp, seed):
    X, y = load(name)
    train, test, mask = split(y, seed)
    path = os.path.join(tmp, f"{name}-{seed}.csv")
    X = models.write_csv(path, X, y, mask)
    report = models.kiln(binary, path, "mlp", "classification", kiln_params(mode))
    model = sklearn_mlp(mode, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        secs = models.timed_fit(model, X[train], y[train])
    theirs = accuracy_score(y[test], model.predict(X[test]))
    history = report["history"]
    return {
        "rows": len(train),
        "kiln_acc": report["metrics"]["accuracy"],
        "sk_acc": theirs,
        "kiln_s": report["fit_seconds"],
        "sk_s": secs,
        "kiln_epochs": len(history["epochs"]),
        "sk_epochs": model[-1].n_iter_,
        "kiln_ms_epoch": report["fit_seconds"] * 1000 / len(history["epochs"]),
        "sk_ms_epoch": secs * 1000 / model[-1].n_iter_,
    }


def export(name, out):
    X, y = load(name)
    _, _, mask = split(y, 0)
    models.write_csv(out, X, y, mask)


def main():
    if sys.argv[1] == "--export":
        export(sys.argv[2], sys.argv[3])
        return
    binary, out = sys.argv[1], sys.argv[2]
    splits = SPLITS
    if "--splits" in sys.argv:
        splits = int(sys.argv[sys.argv.index("--splits") + 1])
    rows, raw = [], []
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_TMP")) as tmp:
        for mode in MODES:
            for name in CASES:
                results = [run_case(binary, name, mode, tmp, s) for s in range(splits)]
                for s, r in enumerate(results):
                    raw.append(
                        f"| {mode} | {name} | {s} | {r['kiln_acc']:.4f} | {r['sk_acc']:.4f} | "
                        f"{r['kiln_epochs']} | {r['sk_epochs']} | {r['kiln_s']:.3f} | {r['sk_s']:.3f} |"
                    )
                    print(raw[-1], flush=True)
                m = {k: float(np.mean([r[k] for r in results])) for k in results[0]}
                diff = (m["kiln_acc"] - m["sk_acc"]) * 100
                ratio = m["kiln_s"] / m["sk_s"]
                met = "yes" if round(abs(diff), 2) <= 1.0 else ("no (Kiln higher)" if diff > 0 else "no (Kiln lower)")
                rows.append(
                    f"| {mode} | {name} | {int(m['rows'])} | {m['kiln_acc']:.4f} | {m['sk_acc']:.4f} | "
                    f"{diff:+.2f} pt | {met} | {m['kiln_epochs']:.1f} | {m['sk_epochs']:.1f} | "
                    f"{m['kiln_s']:.3f} | {m['sk_s']:.3f} | {ratio:.2f} | "
                    f"{m['kiln_ms_epoch']:.2f} | {m['sk_ms_epoch']:.2f} |"
                )
                print(rows[-1], flush=True)
    header = [
        f"# Neural networks: Kiln's MLP vs scikit-learn's MLPClassifier ({datetime.date.today()})",
        "",
        f"Machine: {models.machine()}. Both single-threaded. Same rows, same split "
        f"(`--split predefined`, stratified 80/20), mean of {splits} splits (random_state 0..{splits - 1}). "
        "Same settings on both sides: one hidden layer of 100 relu units, Adam (learning rate "
        "0.001), batch min(200, rows), L2 0.0001, at most 200 epochs, standardised features "
        "(Kiln's default recipe; a StandardScaler for scikit-learn). \"early stopping\": on 10 % "
        "of the training rows, patience 10, tolerance 1e-4 (each library's own rule); \"fixed 200 "
        "epochs\": no early stopping, no validation rows, 200 epochs on both sides. Fit seconds: "
        "the network's training alone for Kiln (`fit_seconds`; parsing and the recipe excluded), "
        "the scaler + MLPClassifier fit for scikit-learn; ms/epoch = fit time / epochs run. Goal: "
        "Kiln within 1 accuracy point of scikit-learn.",
        "",
        "| ending | data | train rows | Kiln accuracy | sklearn accuracy | difference | within 1 pt | Kiln epochs | sklearn epochs | Kiln fit s | sklearn fit s | ratio | Kiln ms/epoch | sklearn ms/epoch |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    per_split = [
        "",
        "Per split:",
        "",
        "| ending | data | split seed | Kiln accuracy | sklearn accuracy | Kiln epochs | sklearn epochs | Kiln fit s | sklearn fit s |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    with open(out, "w") as f:
        f.write("\n".join(header + rows + per_split + raw) + "\n")


if __name__ == "__main__":
    main()
