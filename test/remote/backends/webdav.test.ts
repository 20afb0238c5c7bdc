import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../../src/core/4-storage/registry.js';
import { freePort } from '../../helpers/servers/common.js';
import { startApacheDav, type WebdavServer } from '../../helpers/servers/apache.js';
import { describeConformance } from './conformance.js';

let server: WebdavServer;
let roots = 0;

beforeAll(async () => {
  server = await startApacheDav();
});

afterAll(async () => {
  await server?.stop();
});

function webdavUrl(path: string): string {
  return `${server.url.replace(/^http:/, 'webdav:')}/${path}`;
}

describeConformance('WebDAV (Apache mod_dav)', () => ({
  open: () =>
    openStorage(webdavUrl(`root-${++roots}`), { user: server.user, password: server.password }),
  openWithWrongCredentials: () =>
    openStorage(webdavUrl('wrong'), { user: server.user, password: 'wrong-password-1234' }),
  secrets: [server.password, 'wrong-password-1234'],
  manyKeys: 150,
}));

/**
 * Plain HTTP has no MKCOL: like any upload server, Apache needs the folders to exist, so the
 * folders the conformance suite writes to are made on disk first (world-writable, as Apache
 * runs as www-data).
 */
function makeHttpFolders(name: string): string {
  const folders = ['files/md5/ab', 'files/md5/d4', 'big', 'dir with space', 'over', 'del'];
  folders.push('atomic', 'parallel/0', 'parallel/1', 'parallel/2', 'auth', 'verify');
  for (const folder of folders) {
    let path = join(server.root, name);
    for (const part of ['', ...folder.split('/')]) {
      path = join(path, part);
      mkdirSync(path, { recursive: true });
      chmodSync(path, 0o777);
    }
  }
  return `${server.url}/${name}`;
}

describeConformance('HTTP (Apache, PUT)', () => ({
  open: () =>
    openStorage(makeHttpFolders(`http-${++roots}`), {
      auth: 'basic',
      user: server.user,
      password: server.password,
      method: 'PUT',
    }),
  openWithWrongCredentials: () =>
    openStorage(`${server.url}/http-wrong`, {
      auth: 'basic',
      user: server.user,
      password: 'wrong-password-1234',
      method: 'PUT',
    }),
  secrets: [server.password, 'wrong-password-1234'],
  manyKeys: 0,
}));

describe('WebDAV backend specifics', () => {
  it('accepts the password in the URL and masks it in messages', async () => {
    const withPassword = server.url.replace(
      /^http:\/\//,
      `webdav://${server.user}:${server.password}@`,
    );
    const storage = await openStorage(`${withPassword}/in-url`, {});
    expect(storage.displayUrl).not.toContain(server.password);
    expect(await storage.exists('x')).toBe(false);
    await storage.close();
  });

  it('reports an unreachable server clearly', async () => {
    // Port 9 would be refused by fetch itself (a "bad port"); take a free one nobody listens on.
    const port = await freePort();
    const storage = await openStorage(`webdav://127.0.0.1:${port}/dav/x`, {
      user: 'u',
      password: 'p',
    });
    await expect(storage.exists('a')).rejects.toThrow(/cannot connect to remote/);
    await storage.close();
  });

  it('stores objects at the path DVC uses', async () => {
    const storage = await openStorage(webdavUrl('layout'), {
      user: server.user,
      password: server.password,
    });
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const local = join(mkdtempSync(join(tmpdir(), 'sluice-dav-')), 'f');
    writeFileSync(local, 'layout');
    await storage.upload(local, 'files/md5/ab/cdef');
    expect(existsSync(join(server.root, 'layout', 'files', 'md5', 'ab', 'cdef'))).toBe(true);
    await storage.close();
  });
});
