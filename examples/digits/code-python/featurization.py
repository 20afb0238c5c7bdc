"""Stage 1: standardise the pixel features (Python variant of code/featurization.mjs).

Reads  data/train_data.csv, data/test_data.csv  (no header; label, then 64 pixel values 0..16)
Writes data/norm_params.json, data/processed_train_data.npy, data/processed_test_data.npy
Each .npy holds a float32 matrix of shape (n, 1 + features) with the label in column 0.
"""

import json

import numpy as np
import pandas as pd

train = pd.read_csv("data/train_data.csv", header=None)
test = pd.read_csv("data/test_data.csv", header=None)

# Statistics come from the training set only, so nothing about the test set leaks into the model.
pixels = train.iloc[:, 1:]
mean = pixels.mean()
std = pixels.std(ddof=0)
std[std == 0] = 1  # border pixels that are always blank have no spread: leave them unscaled

with open("data/norm_params.json", "w") as f:
    json.dump({"mean": mean.tolist(), "std": std.tolist()}, f, indent=2)
    f.write("\n")


def normalise(frame, path):
    out = frame.astype("float64")
    out.iloc[:, 1:] = (out.iloc[:, 1:] - mean.values) / std.values
    # C order, so that code/npy.mjs (which reads only C-ordered arrays) can load the files too.
    np.save(path, np.ascontiguousarray(out.to_numpy(dtype="float32")))


normalise(train, "data/processed_train_data.npy")
normalise(test, "data/processed_test_data.npy")
