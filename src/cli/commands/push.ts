import type { Command } from 'commander';
import { addTransferFlags, runTransfer, type TransferFlags } from './transferFlags.js';

export function registerPush(program: Command): void {
  const command = program
    .command('push')
    .description('Upload tracked data to remote storage')
    .argument('[targets...]', '.dvc files, stages or outputs (default: everything)');
  addTransferFlags(command, 'push to').action(
    (targets: string[], flags: TransferFlags, cmd: Command) =>
      runTransfer(cmd, targets, flags, {
        action: 'push',
        label: 'Pushing',
        counted: 'pushed',
        transfer: async () => (await import('../../core/9-ops/remote/push.js')).push,
      }),
  );
}
