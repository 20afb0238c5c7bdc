// Stage 3: measure the model's accuracy on the held-out test set.
// Reads  data/processed_test_data.npy, data/model.pkl
// Writes metrics/eval.json
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { stdout } from 'node:process';
import { readNpy } from './npy.mjs';

const model = JSON.parse(readFileSync('data/model.pkl', 'utf8'));
const { data, shape } = readNpy('data/processed_test_data.npy');
const [rows, width] = shape;

let correct = 0;
for (let i = 0; i < rows; i++) {
  const row = data.subarray(i * width, (i + 1) * width);
  // The predicted class is the one whose binary classifier is the most confident.
  let best = 0;
  let bestScore = -Infinity;
  model.classes.forEach((_, k) => {
    let z = model.bias[k];
    for (let j = 1; j < width; j++) z += model.weights[k][j - 1] * row[j];
    if (z > bestScore) [best, bestScore] = [k, z];
  });
  if (model.classes[best] === row[0]) correct++;
}
const accuracy = correct / rows;

mkdirSync('metrics', { recursive: true });
writeFileSync('metrics/eval.json', `{"accuracy": ${accuracy}}\n`);
stdout.write(`accuracy: ${accuracy.toFixed(4)}\n`);
