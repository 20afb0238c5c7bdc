import { spawn } from 'node:child_process';
import { basename } from 'node:path';

export interface CommandOutput {
  /** Called with each complete line of output when the output is captured (parallel runs). */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface CommandFailure {
  command: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** The shell DVC would use: $SHELL without rc files, else /bin/sh. */
function shellFor(): { shell: string; args: string[] } {
  const shell = process.env.SHELL;
  if (shell === undefined || shell === '') return { shell: '/bin/sh', args: [] };
  const name = basename(shell);
  if (name === 'bash') return { shell, args: ['--noprofile', '--norc'] };
  if (name === 'zsh') return { shell, args: ['--no-rcs'] };
  if (name === 'fish') return { shell, args: ['--no-config'] };
  return { shell, args: [] };
}

/** The command lines of a stage: a list runs item by item, a multi-line string line by line. */
export function commandLines(cmd: string | string[]): string[] {
  if (Array.isArray(cmd)) return cmd;
  return cmd.includes('\n') ? cmd.split('\n').filter((l) => l.trim().length > 0) : [cmd];
}

/**
 * Runs one command line through the shell in `cwd`. Output goes straight to the terminal unless
 * `output.onLine` captures it. Resolves with undefined on success, or the failure.
 */
export function runShellCommand(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  output: CommandOutput = {},
): Promise<CommandFailure | undefined> {
  const { shell, args } = shellFor();
  const capture = output.onLine !== undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(shell, [...args, '-c', command], {
      cwd,
      env,
      stdio: capture ? ['inherit', 'pipe', 'pipe'] : 'inherit',
    });
    if (capture) {
      for (const stream of ['stdout', 'stderr'] as const) {
        let pending = '';
        const source = child[stream];
        source?.setEncoding('utf8');
        source?.on('data', (chunk: string) => {
          pending += chunk;
          let nl = pending.indexOf('\n');
          while (nl !== -1) {
            output.onLine?.(stream, pending.slice(0, nl));
            pending = pending.slice(nl + 1);
            nl = pending.indexOf('\n');
          }
        });
        source?.on('end', () => {
          if (pending.length > 0) output.onLine?.(stream, pending);
        });
      }
    }
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve(code === 0 ? undefined : { command, exitCode: code, signal });
    });
  });
}
