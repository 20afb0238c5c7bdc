import type { Command } from 'commander';
import type { OutDecl } from '../../core/7-metafiles/dvcYaml.js';

/** The flags `stage add` and `run` share, as DVC names them. */
export interface StageFlags {
  deps: string[];
  outs: string[];
  outsNoCache: string[];
  outsPersist: string[];
  outsPersistNoCache: string[];
  metrics: string[];
  metricsNoCache: string[];
  plots: string[];
  plotsNoCache: string[];
  params: string[];
  wdir?: string;
  alwaysChanged?: boolean;
  desc?: string;
  force?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function addStageOptions(command: Command): Command {
  return command
    .option('-d, --deps <path>', 'a dependency (repeatable)', collect, [])
    .option('-o, --outs <path>', 'an output, cached (repeatable)', collect, [])
    .option('-O, --outs-no-cache <path>', 'an output kept in git, not cached', collect, [])
    .option(
      '--outs-persist <path>',
      'a cached output not removed before the command runs',
      collect,
      [],
    )
    .option(
      '--outs-persist-no-cache <path>',
      'an uncached output not removed before the command runs',
      collect,
      [],
    )
    .option('-m, --metrics <path>', 'a metrics file, cached', collect, [])
    .option('-M, --metrics-no-cache <path>', 'a metrics file kept in git', collect, [])
    .option('--plots <path>', 'a plots file, cached', collect, [])
    .option('--plots-no-cache <path>', 'a plots file kept in git', collect, [])
    .option(
      '-p, --params <[file:]keys>',
      'params to depend on, e.g. train.lr or params2.yaml:lr,epochs',
      collect,
      [],
    )
    .option('-w, --wdir <dir>', 'folder the command runs in; paths are relative to it')
    .option('--always-changed', 'always consider this stage changed')
    .option('--desc <text>', 'a description of the stage');
}

/** The outputs of the flags, in DVC's order of kinds. */
export function outputsFromFlags(flags: StageFlags): OutDecl[] {
  const make = (
    path: string,
    kind: OutDecl['kind'],
    cache: boolean,
    persist: boolean,
  ): OutDecl => ({
    path,
    kind,
    cache,
    persist,
    push: true,
  });
  return [
    ...flags.outs.map((p) => make(p, 'out', true, false)),
    ...flags.outsNoCache.map((p) => make(p, 'out', false, false)),
    ...flags.outsPersist.map((p) => make(p, 'out', true, true)),
    ...flags.outsPersistNoCache.map((p) => make(p, 'out', false, true)),
    ...flags.metrics.map((p) => make(p, 'metric', true, false)),
    ...flags.metricsNoCache.map((p) => make(p, 'metric', false, false)),
    ...flags.plots.map((p) => make(p, 'plot', true, false)),
    ...flags.plotsNoCache.map((p) => make(p, 'plot', false, false)),
  ];
}

/** Joins the command words the way a shell user typed them. */
export function joinCommand(words: string[]): string {
  return words.length === 1
    ? (words[0] ?? '')
    : words
        .map((w) => (/[\s'"$`\\|&;<>()*?[\]{}]/.test(w) ? `'${w.replace(/'/g, `'\\''`)}'` : w))
        .join(' ');
}
