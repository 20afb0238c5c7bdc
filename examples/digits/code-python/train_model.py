"""Stage 2: train a one-vs-rest linear SVM (Python variant of code/train_model.mjs).

Reads  data/processed_train_data.npy, params.yaml (section `train`, optional; `C` and `seed` apply)
Writes data/model.pkl (a pickled scikit-learn estimator), metrics/train_metric.json
"""

import json
import os
import pickle
import re

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import SVC


def read_params(path, section):
    """Reads one section of params.yaml: `section:` then indented `key: value` lines."""
    params, current = {}, None
    if not os.path.exists(path):
        return params
    with open(path) as f:
        for raw in f:
            line = re.sub(r"(^|\s+)#.*$", "", raw.rstrip("\n"))
            m = re.match(r"^(\s*)([\w.-]+):\s*(.*?)\s*$", line)
            if not m:
                continue
            indent, key, value = m.groups()
            if indent == "":
                current = key
            elif current == section:
                try:
                    params[key] = float(value) if "." in value or "e" in value else int(value)
                except ValueError:
                    params[key] = value.strip("'\"")
    return params


params = {"seed": 42, "C": 1.0, **read_params("params.yaml", "train")}
data = np.load("data/processed_train_data.npy")
labels, features = data[:, 0].astype(int), data[:, 1:]

model = OneVsRestClassifier(SVC(kernel="linear", C=float(params["C"]), random_state=params["seed"]))
model.fit(features, labels)

with open("data/model.pkl", "wb") as f:
    pickle.dump(model, f)

os.makedirs("metrics", exist_ok=True)
with open("metrics/train_metric.json", "w") as f:
    json.dump({"accuracy": accuracy_score(labels, model.predict(features))}, f)
    f.write("\n")
