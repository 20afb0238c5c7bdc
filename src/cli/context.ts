import type { Command } from 'commander';
import type { Repo } from '../core/6-repo/repo.js';
import { type GlobalOptions, shellQuote, Ui } from './ui.js';
import { runObserver } from './answer-memo/answerRecorder.js';

export interface CommandContext {
  ui: Ui;
  /** The working directory, after `--cd`. */
  cwd: string;
  global: GlobalOptions;
}

/** The global options of a command (they may be given before or after the subcommand). */
export function contextOf(command: Command): CommandContext {
  const global = command.optsWithGlobals<GlobalOptions>();
  const ui = new Ui(global.verbose === true, global.quiet === true);
  const cwd = global.cd === undefined ? process.cwd() : global.cd;
  return { ui, cwd, global };
}

/** Opens the repo around `cwd`, with the lock options from the command line. */
export async function openRepo(ctx: CommandContext, command: Command): Promise<Repo> {
  const { Repo } = await import('../core/6-repo/repo.js');
  const wait = ctx.global.wait === undefined ? undefined : Number(ctx.global.wait);
  // The answer memo's recorder, when this run's answer may be remembered (answerRecorder.ts).
  const observer = runObserver();
  return Repo.open(ctx.cwd, {
    ...(observer === undefined ? {} : { observer }),
    ...(wait === undefined || Number.isNaN(wait) ? {} : { waitSeconds: wait }),
    command: ['sluice', ...commandPath(command), ...command.args].join(' '),
  });
}

function commandPath(command: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent != null; c = c.parent) names.unshift(c.name());
  return names;
}

/**
 * After files git should track changed: stage them when core.autostage is on, otherwise print
 * the `git add` hint as DVC does.
 */
export async function gitHint(ctx: CommandContext, repo: Repo, files: string[]): Promise<void> {
  if (files.length === 0 || repo.git === null) return;
  const autostage = repo.config.get('core', 'autostage');
  if (typeof autostage === 'string' && autostage.toLowerCase() === 'true') {
    await repo.git.add(files);
    return;
  }
  const relative = await import('node:path').then((p) =>
    files.map((f) => p.relative(ctx.cwd, repo.abs(f)) || '.'),
  );
  // On stdout, as DVC prints it.
  ctx.ui.out(
    `\nTo track the changes with git, run:\n\n\tgit add ${relative.map(shellQuote).join(' ')}\n\nTo enable auto staging, run:\n\n\tsluice config core.autostage true`,
  );
}
