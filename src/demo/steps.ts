/**
 * The demo's script: the classic DVC tutorial, step by step, as data. Each step is printed as the
 * shell command a user would type, then run for real, so the list reads like the tutorial itself
 * and can be reordered without touching the runner.
 */

/** What the demo needs to know to write its commands. */
export interface DemoSettings {
  /** URL of the local HTTP server that serves the two CSV files, without a trailing slash. */
  dataUrl: string;
  /** Folder of the example project (examples/digits). */
  exampleDir: string;
  /** The local-folder remote that push/pull use. */
  remoteDir: string;
  /** Use the Python (pandas + scikit-learn) stages instead of the Node ones. */
  python: boolean;
  /** Git needs an identity to commit; set a repo-local one when the machine has none. */
  needsGitIdentity: boolean;
}

export type Step =
  /** Prints a heading that explains the next commands. */
  | { kind: 'say'; text: string }
  /** Runs the real `sluice` CLI. */
  | { kind: 'sluice'; args: string[] }
  /** Runs git. */
  | { kind: 'git'; args: string[] }
  /** Copies files from the example project (printed as `cp`). */
  | { kind: 'copy'; from: string; to: string }
  /** Replaces one line of a file (printed as the equivalent `sed -i`). */
  | { kind: 'edit'; file: string; search: string; replace: string }
  /** Deletes files or folders (printed as `rm -rf`). */
  | { kind: 'remove'; paths: string[] }
  /** Checks the accuracy in metrics/eval.json and remembers it under `label`. */
  | { kind: 'checkAccuracy'; label: string }
  /** Checks that these files exist again (after the pull). */
  | { kind: 'checkFiles'; paths: string[] };

/** The hyper-parameter the demo changes on its branch, per variant. */
export interface Experiment {
  branch: string;
  search: string;
  replace: string;
  what: string;
}

export function experimentOf(python: boolean): Experiment {
  return python
    ? {
        branch: 'smaller-c',
        search: '  C: 1.0',
        replace: '  C: 0.01',
        what: "the SVM's regularisation C from 1.0 to 0.01",
      }
    : {
        branch: 'more-epochs',
        search: '  epochs: 10',
        replace: '  epochs: 20',
        what: 'the number of training epochs from 10 to 20',
      };
}

/** The outputs the pipeline produces (deleted with the cache to show that pull restores them). */
export const PIPELINE_OUTPUTS = [
  'data/norm_params.json',
  'data/processed_train_data.npy',
  'data/processed_test_data.npy',
  'data/model.pkl',
];

export function demoSteps(s: DemoSettings): Step[] {
  const ext = s.python ? 'py' : 'mjs';
  const interpreter = s.python ? 'python3' : 'node';
  // The Node stages share a small .npy reader/writer, which is a dependency of each of them.
  const helper = s.python ? [] : ['-d', 'code/npy.mjs'];
  const code = (name: string): string => `code/${name}.${ext}`;
  const exp = experimentOf(s.python);

  return [
    { kind: 'say', text: 'Create a git repository and make it a Sluice (DVC) project' },
    { kind: 'git', args: ['init', '-q', '-b', 'main'] },
    ...(s.needsGitIdentity
      ? ([
          { kind: 'git', args: ['config', 'user.name', 'Sluice demo'] },
          { kind: 'git', args: ['config', 'user.email', 'demo@sluice.invalid'] },
        ] as Step[])
      : []),
    { kind: 'sluice', args: ['init'] },
    // Stages git add their own metafiles, so the demo's output stays on what matters.
    { kind: 'sluice', args: ['config', 'core.autostage', 'true'] },
    { kind: 'git', args: ['commit', '-q', '-m', 'Initialize Sluice'] },

    { kind: 'say', text: 'Download the data sets (a local web server stands in for the internet)' },
    { kind: 'sluice', args: ['import-url', `${s.dataUrl}/train_data.csv`, 'data/train_data.csv'] },
    { kind: 'sluice', args: ['import-url', `${s.dataUrl}/test_data.csv`, 'data/test_data.csv'] },

    { kind: 'say', text: 'Get the code of the stages and their parameters' },
    { kind: 'copy', from: s.python ? 'code-python' : 'code', to: 'code' },
    { kind: 'copy', from: 'params.yaml', to: 'params.yaml' },
    { kind: 'git', args: ['add', 'code', 'params.yaml'] },

    { kind: 'say', text: 'Define the pipeline, one stage at a time; each runs as it is defined' },
    {
      kind: 'sluice',
      args: [
        'run',
        ...['-d', 'data/train_data.csv', '-d', 'data/test_data.csv', '-d', code('featurization')],
        ...helper,
        ...['-o', 'data/norm_params.json'],
        ...['-o', 'data/processed_train_data.npy', '-o', 'data/processed_test_data.npy'],
        ...['-f', 'featurization.dvc', interpreter, code('featurization')],
      ],
    },
    {
      kind: 'sluice',
      args: [
        'run',
        ...['-d', 'data/processed_train_data.npy', '-d', code('train_model')],
        ...helper,
        // A file dependency, as in the tutorial's era: single-stage files predate `-p`.
        ...['-d', 'params.yaml', '-M', 'metrics/train_metric.json', '-o', 'data/model.pkl'],
        ...['-f', 'training.dvc', interpreter, code('train_model')],
      ],
    },
    {
      kind: 'sluice',
      args: [
        'run',
        ...['-d', 'data/processed_test_data.npy', '-d', 'data/model.pkl', '-d', code('eval')],
        ...helper,
        ...['-M', 'metrics/eval.json', '-f', 'Dvcfile', interpreter, code('eval')],
      ],
    },
    { kind: 'checkAccuracy', label: 'main' },
    { kind: 'git', args: ['add', '-A'] },
    { kind: 'git', args: ['commit', '-q', '-m', 'Digits pipeline: featurization, training, eval'] },
    { kind: 'sluice', args: ['metrics', 'show'] },

    { kind: 'say', text: 'Nothing changed, so there is nothing to reproduce' },
    { kind: 'sluice', args: ['repro'] },

    { kind: 'say', text: `Try an idea on a branch: change ${exp.what}` },
    { kind: 'git', args: ['checkout', '-q', '-b', exp.branch] },
    { kind: 'edit', file: 'params.yaml', search: exp.search, replace: exp.replace },
    { kind: 'sluice', args: ['status'] },
    { kind: 'sluice', args: ['repro'] },
    { kind: 'checkAccuracy', label: exp.branch },
    { kind: 'git', args: ['add', '-A'] },
    { kind: 'git', args: ['commit', '-q', '-m', `Try ${exp.what}`] },

    { kind: 'say', text: 'Compare the experiments' },
    { kind: 'sluice', args: ['metrics', 'show', '-a'] },
    { kind: 'sluice', args: ['metrics', 'diff', 'main'] },

    { kind: 'say', text: 'Share the data: push the cache to a remote (here a local folder)' },
    { kind: 'sluice', args: ['remote', 'add', '-d', 'myremote', s.remoteDir] },
    { kind: 'git', args: ['commit', '-q', '-am', 'Add the default remote'] },
    { kind: 'sluice', args: ['push'] },

    { kind: 'say', text: 'Lose the cache and the outputs, then get them back from the remote' },
    { kind: 'remove', paths: ['.dvc/cache', ...PIPELINE_OUTPUTS] },
    { kind: 'sluice', args: ['status'] },
    { kind: 'sluice', args: ['pull'] },
    { kind: 'checkFiles', paths: PIPELINE_OUTPUTS },
    { kind: 'sluice', args: ['status'] },
  ];
}

/** The commands (with subcommands) the steps use, e.g. `import-url` or `remote add`. */
export function commandsUsed(steps: Step[]): string[][] {
  const seen = new Map<string, string[]>();
  for (const step of steps) {
    if (step.kind !== 'sluice') continue;
    const words = step.args.slice(0, 2).filter((w) => !w.startsWith('-'));
    const path = ['metrics', 'remote', 'stage', 'cache'].includes(words[0] ?? '')
      ? words
      : words.slice(0, 1);
    seen.set(path.join(' '), path);
  }
  return [...seen.values()];
}
