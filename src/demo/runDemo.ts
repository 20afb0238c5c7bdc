import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../core/1-base/errors.js';
import { writeFileAtomicSync } from '../core/2-fs/atomicWrite.js';
import { startDataServer } from './dataServer.js';
import { commandsUsed, demoSteps, type Step } from './steps.js';

/** The repository root: this file is src/demo/ (or dist/demo/) two levels below it. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SLUICE_BIN = join(PROJECT_ROOT, 'bin', 'sluice');
export const EXAMPLE_DIR = join(PROJECT_ROOT, 'examples', 'digits');

/** The demo fails below this accuracy on the bundled test set. */
export const MIN_ACCURACY = 0.9;

export interface DemoOptions {
  dir: string;
  python: boolean;
  /** Which commands this build of the CLI has, e.g. [['import-url'], ['remote', 'add']]. */
  hasCommand: (path: string[]) => boolean;
  /** Where the demo writes (the commands' own output goes straight to the terminal). */
  print: (text: string) => void;
}

export interface DemoResult {
  dir: string;
  /** Accuracy on the test set, by label (`main`, then the branch). */
  accuracy: Map<string, number>;
}

/**
 * Runs the tutorial: every step prints the command it stands for, then runs it for real (the
 * `sluice` CLI of this installation, git, or a file operation).
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const dir = resolve(options.dir);
  const { print } = options;
  checkTarget(dir);
  if (options.python) checkPython();
  // Planned with a placeholder URL first, so that missing commands are reported before anything
  // is created.
  const planned = demoSteps(settingsFor(dir, 'http://127.0.0.1:0', options.python));
  // The demo ends with `sluice ui` (served, or printed for the user to run).
  const needed = [...commandsUsed(planned), ['ui']];
  const missing = needed.filter((path) => !options.hasCommand(path));
  if (missing.length > 0) {
    const names = missing.map((p) => `\`sluice ${p.join(' ')}\``).join(', ');
    throw new SluiceError(
      'FAILED',
      `the demo needs ${names}, which this build of Sluice does not have yet`,
      { hint: 'Update Sluice (git pull && npm run build), then run the demo again.' },
    );
  }

  mkdirSync(dir, { recursive: true });
  const server = await startDataServer(join(EXAMPLE_DIR, 'data'), [
    'train_data.csv',
    'test_data.csv',
  ]);
  const accuracy = new Map<string, number>();
  try {
    const steps = demoSteps(settingsFor(dir, server.url, options.python));
    print(`$ mkdir ${quote(dir)} && cd ${quote(dir)}`);
    for (const step of steps) await runStep(step, dir, accuracy, print);
  } finally {
    await server.close();
  }

  const summary = [...accuracy].map(([label, value]) => `${label} ${value.toFixed(4)}`);
  print(`\nAccuracy on the test set: ${summary.join(', ')}`);
  return { dir, accuracy };
}

function settingsFor(dir: string, dataUrl: string, python: boolean) {
  return {
    dataUrl,
    exampleDir: EXAMPLE_DIR,
    remoteDir: `${dir}-remote`,
    python,
    needsGitIdentity: !hasGitIdentity(dir),
  };
}

function checkTarget(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) {
    throw new SluiceError('ALREADY_EXISTS', `'${dir}' exists and is not a folder`, {
      hint: 'Give the demo a new folder: sluice demo <dir>',
    });
  }
  if (readdirSync(dir).length > 0) {
    throw new SluiceError('ALREADY_EXISTS', `'${dir}' is not empty`, {
      hint: 'Give the demo a new or empty folder: sluice demo <dir>',
    });
  }
  if (existsSync(`${dir}-remote`)) {
    throw new SluiceError('ALREADY_EXISTS', `the demo's remote '${dir}-remote' already exists`, {
      hint: 'Remove it or give the demo another folder.',
    });
  }
}

function checkPython(): void {
  const probe = spawnSync('python3', ['-c', 'import numpy, pandas, sklearn'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new SluiceError(
      'FAILED',
      '--python needs python3 with numpy, pandas and scikit-learn, which are not installed',
      {
        hint: 'Install them (pip install numpy pandas scikit-learn) or run the demo without --python.',
      },
    );
  }
}

function hasGitIdentity(cwd: string): boolean {
  const probe = spawnSync('git', ['config', 'user.email'], {
    cwd: existsSync(cwd) ? cwd : undefined,
    encoding: 'utf8',
  });
  const env = process.env;
  return (
    (probe.status === 0 && probe.stdout.trim() !== '') ||
    (env.GIT_AUTHOR_EMAIL !== undefined && env.GIT_COMMITTER_EMAIL !== undefined)
  );
}

async function runStep(
  step: Step,
  dir: string,
  accuracy: Map<string, number>,
  print: (text: string) => void,
): Promise<void> {
  switch (step.kind) {
    case 'say':
      print(`\n# ${step.text}`);
      return;
    case 'sluice':
      print(`$ ${commandLine(['sluice', ...step.args])}`);
      await runChild(process.execPath, [SLUICE_BIN, ...step.args], dir, `sluice ${step.args[0]}`);
      return;
    case 'git':
      print(`$ ${commandLine(['git', ...step.args])}`);
      await runChild('git', step.args, dir, `git ${step.args[0]}`);
      return;
    case 'copy': {
      const from = join(EXAMPLE_DIR, step.from);
      const flag = statSync(from).isDirectory() ? '-r ' : '';
      print(`$ cp ${flag}${quote(from)} ${quote(step.to)}`);
      cpSync(from, join(dir, step.to), { recursive: true });
      return;
    }
    case 'edit': {
      print(`$ sed -i 's/${step.search.trim()}/${step.replace.trim()}/' ${step.file}`);
      const path = join(dir, step.file);
      const text = readFileSync(path, 'utf8');
      if (!text.includes(step.search)) {
        throw new SluiceError('FAILED', `${step.file} has no line '${step.search.trim()}'`);
      }
      writeFileAtomicSync(path, text.replace(step.search, step.replace));
      return;
    }
    case 'remove':
      print(`$ rm -rf ${step.paths.map(quote).join(' ')}`);
      for (const p of step.paths) rmSync(join(dir, p), { recursive: true, force: true });
      return;
    case 'checkAccuracy': {
      const value = readAccuracy(dir);
      accuracy.set(step.label, value);
      if (!(value >= MIN_ACCURACY)) {
        throw new SluiceError(
          'FAILED',
          `the model's accuracy is ${value}, below the expected ${MIN_ACCURACY}`,
        );
      }
      return;
    }
    case 'checkFiles': {
      const missing = step.paths.filter((p) => !existsSync(join(dir, p)));
      if (missing.length > 0) {
        throw new SluiceError('FAILED', `the pull did not restore ${missing.join(', ')}`);
      }
      return;
    }
  }
}

function readAccuracy(dir: string): number {
  const path = join(dir, 'metrics', 'eval.json');
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const value = (parsed as { accuracy?: unknown }).accuracy;
  if (typeof value !== 'number') {
    throw new SluiceError('FAILED', 'metrics/eval.json has no numeric "accuracy"');
  }
  return value;
}

/**
 * Runs a command with the terminal as its output, asynchronously: the demo's own HTTP server
 * must keep answering while `import-url` downloads from it.
 */
function runChild(command: string, args: string[], cwd: string, label: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (error) =>
      reject(new SluiceError('FAILED', `cannot run ${label}: ${error.message}`, { cause: error })),
    );
    child.once('exit', (code, signal) => {
      if (code === 0) resolvePromise();
      else
        reject(
          new SluiceError(
            'FAILED',
            `the demo stopped: \`${label}\` failed (${signal ?? `exit code ${code}`})`,
          ),
        );
    });
  });
}

/** Serves `sluice ui` on the demo's result until the user stops it (Ctrl-C). */
export function serveUi(dir: string, port: number | undefined): Promise<void> {
  const args = ['ui', ...(port === undefined ? [] : ['--port', String(port)])];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [SLUICE_BIN, ...args], { cwd: dir, stdio: 'inherit' });
    // Ctrl-C reaches the child too; the demo just waits for it to finish.
    const ignore = (): void => undefined;
    process.on('SIGINT', ignore);
    child.once('error', reject);
    child.once('exit', () => {
      process.off('SIGINT', ignore);
      resolvePromise();
    });
  });
}

function commandLine(words: string[]): string {
  return words.map(quote).join(' ');
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
