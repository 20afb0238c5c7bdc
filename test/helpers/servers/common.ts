import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolsDir } from '../tools.js';

/**
 * Shared plumbing of the real test servers (MinIO, sshd, Apache WebDAV, Azurite,
 * fake-gcs-server): free loopback ports, temp folders, and starting a process that must be
 * listening within a deadline, or the test fails with the server's own output.
 */

// Cloud SDKs must never look for the instance-metadata service from a test.
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.METADATA_SERVER_DETECTION = 'none';
process.env.GCE_METADATA_HOST = '127.0.0.1:9';
// The helpers' own S3 client would print the SDK's "Node 20 support ends" notice.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export const HOST = '127.0.0.1';

/** Where scripts/ensure-servers.sh puts the server binaries it builds. */
export const toolsBinDir = join(toolsDir, 'bin');

/** The path of a server binary, or a loud failure naming the install script. */
export function requireBinary(path: string): string {
  if (!existsSync(path)) {
    throw new Error(`test server binary missing: ${path} (run scripts/ensure-servers.sh)`);
  }
  return path;
}

/** A port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function makeTempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sluice-${prefix}-`));
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface RunningProcess {
  process: ChildProcess;
  /** Everything the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `command` and waits until it accepts connections on `port`. Throws with the server's
 * output if it exits first or is not listening after `timeoutMs`.
 */
export async function startProcess(
  name: string,
  command: string,
  args: readonly string[],
  port: number,
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RunningProcess> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (chunk: Buffer): void => {
    log += chunk.toString('utf8');
    if (log.length > 20_000) log = log.slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited: string | undefined;
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));
  const exitedPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = `exited with ${code ?? signal ?? '?'}`;
      resolve();
    });
  });
  const running: RunningProcess = {
    process: child,
    output: () => log,
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (spawnError !== undefined) {
      throw new Error(`${name} could not be started (${command}): ${spawnError.message}`);
    }
    if (exited !== undefined) {
      throw new Error(`${name} ${exited} before listening on ${HOST}:${port}:\n${log}`);
    }
    if (await canConnect(port)) return running;
    if (Date.now() > deadline) {
      await running.stop();
      throw new Error(`${name} is not listening on ${HOST}:${port} after start-up:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs a setup command (ssh-keygen, htpasswd…) that must succeed. */
export function runOk(command: string, args: readonly string[]): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error !== undefined) {
    throw new Error(
      `${command} could not run: ${result.error.message} (run scripts/ensure-servers.sh)`,
    );
  }
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
