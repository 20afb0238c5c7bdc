// Stage 2: train a one-vs-rest logistic-regression classifier with stochastic gradient descent.
// Reads  data/processed_train_data.npy, params.yaml (section `train`, optional)
// Writes data/model.pkl (JSON despite the name, which the tutorial keeps), metrics/train_metric.json
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readNpy } from './npy.mjs';

const DEFAULTS = { epochs: 10, learning_rate: 0.01, l2: 0.0001, seed: 42 };

/**
 * Reads the `train:` section of params.yaml. Only the subset the example needs is understood:
 * top-level `section:` lines followed by indented `key: value` lines, and `#` comments.
 */
function readParams(path) {
  const sections = {};
  if (!existsSync(path)) return sections;
  let current;
  for (const raw of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, '').replace(/^#.*$/, '');
    const m = /^(\s*)([\w.-]+):\s*(.*?)\s*$/.exec(line);
    if (m == null) continue;
    const [, indent, key, value] = m;
    if (indent === '') {
      current = sections[key] = {};
    } else if (current !== undefined) {
      const num = Number(value);
      current[key] = value !== '' && !Number.isNaN(num) ? num : value.replace(/^['"]|['"]$/g, '');
    }
  }
  return sections;
}

/** mulberry32: a small seeded PRNG, so that the shuffling order (and the model) is reproducible. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Only the keys this script uses: `train.C` in the same file is for the Python variant.
const given = readParams('params.yaml').train ?? {};
const params = Object.fromEntries(
  Object.entries(DEFAULTS).map(([key, value]) => [key, given[key] ?? value]),
);
const { data, shape } = readNpy('data/processed_train_data.npy');
const [rows, width] = shape;
const features = width - 1;
const labels = Array.from({ length: rows }, (_, i) => data[i * width]);
const classes = [...new Set(labels)].sort((a, b) => a - b);
const x = (i, j) => data[i * width + 1 + j];

// One binary classifier per class ("is it this digit or not?"), all starting at zero.
const weights = classes.map(() => new Array(features).fill(0));
const bias = classes.map(() => 0);
const random = prng(params.seed);
const order = Array.from({ length: rows }, (_, i) => i);
const lr = params.learning_rate;

for (let epoch = 0; epoch < params.epochs; epoch++) {
  // Fisher-Yates shuffle with the seeded generator.
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  for (const i of order) {
    classes.forEach((cls, k) => {
      const w = weights[k];
      let z = bias[k];
      for (let j = 0; j < features; j++) z += w[j] * x(i, j);
      // Gradient of the log loss: sigmoid(z) - target.
      const g = 1 / (1 + Math.exp(-z)) - (labels[i] === cls ? 1 : 0);
      for (let j = 0; j < features; j++) w[j] -= lr * (g * x(i, j) + params.l2 * w[j]);
      bias[k] -= lr * g;
    });
  }
}

let correct = 0;
for (let i = 0; i < rows; i++) {
  let best = 0;
  let bestScore = -Infinity;
  classes.forEach((_, k) => {
    let z = bias[k];
    for (let j = 0; j < features; j++) z += weights[k][j] * x(i, j);
    if (z > bestScore) [best, bestScore] = [k, z];
  });
  if (classes[best] === labels[i]) correct++;
}
const accuracy = correct / rows;

const model = { kind: 'one-vs-rest-logistic-regression', params, classes, weights, bias };
writeFileSync('data/model.pkl', JSON.stringify(model) + '\n');
mkdirSync('metrics', { recursive: true });
writeFileSync('metrics/train_metric.json', `{"accuracy": ${accuracy}}\n`);
