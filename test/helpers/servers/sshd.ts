import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  HOST,
  makeTempDir,
  removeDir,
  requireBinary,
  runOk,
  startProcess,
} from './common.js';

export interface SshServer {
  host: string;
  port: number;
  user: string;
  /** The client's private key (authorized on the server). */
  keyFile: string;
  /** A second private key the server does not accept. */
  wrongKeyFile: string;
  /** A folder on the server the tests may write to. */
  root: string;
  stop(): Promise<void>;
}

/**
 * Debian's OpenSSH server as the current user, on a free loopback port, with a generated host key
 * and a generated client key authorized through a temp authorized_keys file.
 */
export async function startSshd(): Promise<SshServer> {
  const sshd = requireBinary('/usr/sbin/sshd');
  const dir = makeTempDir('sshd');
  chmodSync(dir, 0o755);
  const hostKey = join(dir, 'host_ed25519');
  const keyFile = join(dir, 'client_ed25519');
  const wrongKeyFile = join(dir, 'wrong_ed25519');
  for (const key of [hostKey, keyFile, wrongKeyFile]) {
    runOk('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'sluice-tests', '-f', key]);
  }
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${keyFile}.pub`));
  chmodSync(authorizedKeys, 0o600);
  const root = join(dir, 'remote');
  mkdirSync(root);
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress ${HOST}`,
      `Port ${port}`,
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'UsePAM no',
      'StrictModes no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'MaxSessions 32',
      'MaxStartups 64',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  // sshd insists on its privilege-separation folder even in the foreground.
  mkdirSync('/run/sshd', { recursive: true });
  const server = await startProcess('sshd', sshd, ['-f', config, '-D', '-e'], port);
  return {
    host: HOST,
    port,
    user: userInfo().username,
    keyFile,
    wrongKeyFile,
    root,
    async stop() {
      await server.stop();
      removeDir(dir);
    },
  };
}
