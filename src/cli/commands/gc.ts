import type { Command } from 'commander';
import { contextOf, openRepo } from '../context.js';
import { withRepoLock } from '../../core/9-ops/withRepoLock.js';

interface GcFlags {
  workspace?: boolean;
  allBranches?: boolean;
  allTags?: boolean;
  allCommits?: boolean;
  force?: boolean;
  cloud?: boolean;
  remote?: string;
  jobs?: string;
}

export function registerGc(program: Command): void {
  program
    .command('gc')
    .description('Delete cache objects that nothing in the chosen scope uses')
    .option('-w, --workspace', 'keep what the workspace uses')
    .option('-a, --all-branches', 'keep what the tips of all branches use')
    .option('-T, --all-tags', 'keep what all tags use')
    .option('-A, --all-commits', 'keep what every commit uses')
    .option('-f, --force', 'do not ask for confirmation')
    .option('-c, --cloud', 'also remove unused objects from the remote')
    .option('-r, --remote <name>', 'with -c: the remote to clean (default: core.remote)')
    .option('-j, --jobs <n>', 'with -c: number of parallel deletions')
    .action(async (flags: GcFlags, command: Command) => {
      const ctx = contextOf(command);
      const repo = await openRepo(ctx, command);
      if (flags.remote !== undefined && flags.cloud !== true) {
        const { SluiceError } = await import('../../core/1-base/errors.js');
        throw new SluiceError('BAD_ARGUMENTS', '`-r|--remote` requires `-c|--cloud`', {
          hint: 'e.g. sluice gc -w -c -r myremote',
        });
      }
      const { gc } = await import('../../core/9-ops/data/gc.js');
      const { usedAtRevisions } = await import('../../core/8-revisions/revisionObjects.js');
      if (flags.force !== true && process.stdin.isTTY) {
        const { confirm } = await import('../prompt.js');
        const ok = await confirm(
          'This will remove all cache except items used in the chosen scope of the current repo. Are you sure you want to proceed?',
        );
        if (!ok) return;
      }
      const result = await withRepoLock(
        repo,
        async () => {
          const extra = await usedAtRevisions(repo, {
            allBranches: flags.allBranches === true,
            allTags: flags.allTags === true,
            allCommits: flags.allCommits === true,
          });
          const local = gc(repo, flags, extra);
          if (flags.cloud !== true)
            return { ...local, remoteRemoved: undefined, remoteReclaimed: undefined };
          const { gcCloud } = await import('../../core/9-ops/remote/gcCloud.js');
          const remote = await gcCloud(repo, extra, flags.remote, Number(flags.jobs));
          return { ...local, remoteRemoved: remote.removed, remoteReclaimed: remote.reclaimed };
        },
        { sweep: 'all' },
      );
      ctx.ui.out(
        result.removed === 0
          ? "No unused 'local' cache to remove."
          : `Removed ${result.removed} objects from repo cache.`,
      );
      if (repo.reclaimed.files > 0) ctx.ui.out(reclaimedLine(repo.reclaimed, ''));
      if (result.remoteRemoved !== undefined) {
        ctx.ui.out(
          result.remoteRemoved === 0
            ? 'No unused cache to remove from remote.'
            : `Removed ${result.remoteRemoved} objects from remote.`,
        );
      }
      if (result.remoteReclaimed !== undefined && result.remoteReclaimed.files > 0) {
        ctx.ui.out(reclaimedLine(result.remoteReclaimed, ' from remote'));
      }
    });
}

/** `Removed 2 temporary files (1.5 MB) left by interrupted commands.` */
function reclaimedLine(reclaimed: { files: number; bytes: number }, where: string): string {
  const files = reclaimed.files === 1 ? '1 temporary file' : `${reclaimed.files} temporary files`;
  const mb = reclaimed.bytes / 1e6;
  const size = mb >= 10 ? mb.toFixed(0) : mb >= 0.1 || mb === 0 ? mb.toFixed(1) : mb.toFixed(3);
  return `Removed ${files} (${size} MB)${where} left by interrupted commands.`;
}
