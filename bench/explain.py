"""The peer of the explanation benchmark: shap's TreeExplainer on a scikit-learn random forest
of 100 trees fitted on the same rows Kiln's forest was, explaining the same 1,000 rows.

Usage: python bench/explain.py DATA.csv ROWS
Prints one JSON object: seconds to explain, rows, trees, total nodes, versions.
"""

import json
import sys
import time

import numpy as np
import shap
import sklearn
from sklearn.ensemble import RandomForestClassifier


def main():
    path, rows = sys.argv[1], int(sys.argv[2])
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    x, y = data[:, :-1], data[:, -1]
    model = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=1).fit(x, y)
    explainer = shap.TreeExplainer(model)
    started = time.perf_counter()
    values = explainer.shap_values(x[:rows])
    seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds,
        "rows": rows,
        "trees": len(model.estimators_),
        "nodes": int(sum(t.tree_.node_count for t in model.estimators_)),
        "shape": list(np.shape(values)),
        "shap": shap.__version__,
        "sklearn": sklearn.__version__,
    }))


if __name__ == "__main__":
    main()
