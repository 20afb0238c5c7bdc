"""Stage 3: measure the model's accuracy on the test set (Python variant of code/eval.mjs).

Reads  data/processed_test_data.npy, data/model.pkl
Writes metrics/eval.json
"""

import json
import os
import pickle

import numpy as np
from sklearn.metrics import accuracy_score

data = np.load("data/processed_test_data.npy")
labels, features = data[:, 0].astype(int), data[:, 1:]

with open("data/model.pkl", "rb") as f:
    model = pickle.load(f)

accuracy = accuracy_score(labels, model.predict(features))
os.makedirs("metrics", exist_ok=True)
with open("metrics/eval.json", "w") as f:
    json.dump({"accuracy": accuracy}, f)
    f.write("\n")
print(f"accuracy: {accuracy:.4f}")
