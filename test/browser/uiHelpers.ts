import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { git, makeRepo, projectRoot, sluiceBin, sluiceOk } from '../helpers/sandbox.js';

/** Debian's chromium, installed by scripts/ensure-browser.sh; never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(projectRoot, 'test-artifacts');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: run scripts/ensure-browser.sh (or scripts/ensure-tools.sh)`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * The tutorial pipeline (examples/digits): two tracked data files, a single-stage
 * `featurize.dvc` (`run -f`), `train` and `evaluate` in dvc.yaml; tagged v1 (10 epochs) and
 * v2 (1 epoch), so the accuracy differs between them.
 */
export function makeDigitsRepo(): string {
  const dir = makeRepo('sluice');
  cpSync(join(projectRoot, 'examples', 'digits'), dir, { recursive: true });
  sluiceOk(dir, 'add', 'data/train_data.csv', 'data/test_data.csv');
  sluiceOk(
    dir,
    'run',
    '-f',
    'featurize.dvc',
    '-d',
    'code/featurization.mjs',
    '-d',
    'code/npy.mjs',
    '-d',
    'data/train_data.csv',
    '-d',
    'data/test_data.csv',
    '-o',
    'data/norm_params.json',
    '-o',
    'data/processed_train_data.npy',
    '-o',
    'data/processed_test_data.npy',
    'node',
    'code/featurization.mjs',
  );
  sluiceOk(
    dir,
    'stage',
    'add',
    '-n',
    'train',
    '-d',
    'code/train_model.mjs',
    '-d',
    'code/npy.mjs',
    '-d',
    'data/processed_train_data.npy',
    '-p',
    'train.epochs,train.learning_rate,train.l2,train.seed',
    '-o',
    'data/model.pkl',
    '-M',
    'metrics/train_metric.json',
    'node',
    'code/train_model.mjs',
  );
  sluiceOk(
    dir,
    'stage',
    'add',
    '-n',
    'evaluate',
    '-d',
    'code/eval.mjs',
    '-d',
    'code/npy.mjs',
    '-d',
    'data/processed_test_data.npy',
    '-d',
    'data/model.pkl',
    '-M',
    'metrics/eval.json',
    'node',
    'code/eval.mjs',
  );
  sluiceOk(dir, 'repro');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'v1: 10 epochs');
  git(dir, 'tag', 'v1');
  setEpochs(dir, 1);
  sluiceOk(dir, 'repro');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'v2: 1 epoch');
  git(dir, 'tag', 'v2');
  return dir;
}

export function setEpochs(dir: string, epochs: number): void {
  const path = join(dir, 'params.yaml');
  writeFileSync(path, readFileSync(path, 'utf8').replace(/epochs: \d+/, `epochs: ${epochs}`));
}

export interface RunningUi {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** `sluice ui --port 0` as a user runs it; resolves with the printed address. */
export function startUi(cwd: string, ...args: string[]): Promise<RunningUi> {
  const child = spawn(process.execPath, [sluiceBin, 'ui', '--port', '0', ...args], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`sluice ui did not start: ${out} ${err}`)),
      20_000,
    );
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          child,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sluice ui exited with ${code}: ${out} ${err}`));
    });
  });
}
