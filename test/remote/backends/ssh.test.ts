import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SluiceError } from '../../../src/core/1-base/errors.js';
import { openStorage } from '../../../src/core/4-storage/registry.js';
import { startSshd, type SshServer } from '../../helpers/servers/sshd.js';
import { describeConformance } from './conformance.js';

let server: SshServer;
let roots = 0;

beforeAll(async () => {
  server = await startSshd();
});

afterAll(async () => {
  await server?.stop();
});

function url(path: string): string {
  return `ssh://${server.user}@${server.host}:${server.port}${join(server.root, path)}`;
}

describeConformance('SSH (OpenSSH sftp)', () => ({
  open: () =>
    openStorage(url(`root-${++roots}`), { keyfile: server.keyFile, allow_agent: 'false' }),
  openWithWrongCredentials: () =>
    openStorage(url('wrong'), {
      keyfile: server.wrongKeyFile,
      allow_agent: 'false',
      password: 'wrong-password-1234',
    }),
  secrets: ['wrong-password-1234'],
  manyKeys: 150,
}));

describe('SSH backend specifics', () => {
  it('takes the port and user from the config over the URL', async () => {
    const storage = await openStorage(`ssh://nobody@${server.host}:1${join(server.root, 'cfg')}`, {
      keyfile: server.keyFile,
      allow_agent: 'false',
      port: String(server.port),
      user: server.user,
    });
    expect(await storage.exists('x')).toBe(false);
    await storage.close();
  });

  it('writes through a temporary name and leaves the files where DVC expects them', async () => {
    const storage = await openStorage(url('layout'), {
      keyfile: server.keyFile,
      allow_agent: 'false',
    });
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const local = join(mkdtempSync(join(tmpdir(), 'sluice-ssh-')), 'f');
    writeFileSync(local, 'layout');
    await storage.upload(local, 'files/md5/ab/cdef');
    expect(existsSync(join(server.root, 'layout', 'files', 'md5', 'ab', 'cdef'))).toBe(true);
    await storage.close();
  });

  it('refuses ask_password when it cannot prompt', async () => {
    await expect(
      openStorage(url('ask'), { ask_password: 'true', keyfile: server.keyFile }),
    ).rejects.toThrow(/asks for a password/);
  });

  it('reports an unreachable host clearly', async () => {
    const error = await openStorage(`ssh://${server.host}:9/x`, {
      keyfile: server.keyFile,
      allow_agent: 'false',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SluiceError);
    expect((error as SluiceError).message).toMatch(/cannot connect to remote/);
  });
});
