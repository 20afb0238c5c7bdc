// Stage 1: standardise the pixel features.
// Reads  data/train_data.csv, data/test_data.csv  (no header; label, then 64 pixel values 0..16)
// Writes data/norm_params.json, data/processed_train_data.npy, data/processed_test_data.npy
// Each .npy holds a float32 matrix of shape (n, 1 + features) with the label in column 0.
import { readFileSync, writeFileSync } from 'node:fs';
import { writeNpy } from './npy.mjs';

function readCsv(path) {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(',').map(Number));
}

const train = readCsv('data/train_data.csv');
const test = readCsv('data/test_data.csv');
const features = train[0].length - 1;

// Mean and (population) standard deviation of each pixel, computed on the training set only so
// that nothing about the test set leaks into the model.
const mean = new Array(features).fill(0);
const std = new Array(features).fill(0);
for (const row of train) for (let j = 0; j < features; j++) mean[j] += row[j + 1];
for (let j = 0; j < features; j++) mean[j] /= train.length;
for (const row of train) for (let j = 0; j < features; j++) std[j] += (row[j + 1] - mean[j]) ** 2;
for (let j = 0; j < features; j++) {
  std[j] = Math.sqrt(std[j] / train.length);
  // Border pixels that are always blank have no spread: leave them unscaled.
  if (std[j] === 0) std[j] = 1;
}

function normalise(rows, path) {
  const width = features + 1;
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    out[i * width] = row[0];
    for (let j = 0; j < features; j++) out[i * width + j + 1] = (row[j + 1] - mean[j]) / std[j];
  });
  writeNpy(path, out, [rows.length, width]);
}

writeFileSync('data/norm_params.json', JSON.stringify({ mean, std }, null, 2) + '\n');
normalise(train, 'data/processed_train_data.npy');
normalise(test, 'data/processed_test_data.npy');
