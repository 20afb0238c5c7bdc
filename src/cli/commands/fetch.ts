import type { Command } from 'commander';
import { addTransferFlags, runTransfer, type TransferFlags } from './transferFlags.js';

export function registerFetch(program: Command): void {
  const command = program
    .command('fetch')
    .description('Download tracked data from remote storage into the cache')
    .argument('[targets...]', '.dvc files, stages or outputs (default: everything)');
  addTransferFlags(command, 'fetch from').action(
    (targets: string[], flags: TransferFlags, cmd: Command) =>
      runTransfer(cmd, targets, flags, {
        action: 'fetch',
        label: 'Fetching',
        counted: 'fetched',
        transfer: async () => (await import('../../core/9-ops/remote/fetch.js')).fetch,
      }),
  );
}
