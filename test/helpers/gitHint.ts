/**
 * The hint DVC and Sluice print on stdout after a command that writes files git should track
 * (without core.autostage): `files` as the command names them, space-separated.
 */
export function gitHint(files: string): string {
  return (
    `\nTo track the changes with git, run:\n\n\tgit add ${files}\n\n` +
    'To enable auto staging, run:\n\n\tsluice config core.autostage true\n'
  );
}
