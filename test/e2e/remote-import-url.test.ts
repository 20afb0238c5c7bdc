import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, makeRepo, read, sluice, sluiceOk, tempDir } from '../helpers/sandbox.js';
import { gitHint } from '../helpers/gitHint.js';

// The server runs in its own process: the tests call the CLI synchronously, which would block
// a server living in this process's event loop.
let server: ChildProcess;
let base = '';
let bodyFile = '';

const SERVER = `
const { createServer } = require('node:http');
const { readFileSync } = require('node:fs');
const file = process.argv[1];
const server = createServer((req, res) => {
  if (req.url !== '/data.txt') { res.writeHead(404).end(); return; }
  const body = readFileSync(file, 'utf8');
  res.writeHead(200, { ETag: '"etag-' + body + '"', 'Content-Length': String(body.length) });
  res.end(req.method === 'HEAD' ? undefined : body);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

beforeAll(async () => {
  bodyFile = join(tempDir('sluice-http-'), 'body');
  writeFileSync(bodyFile, 'hello');
  server = spawn(process.execPath, ['-e', SERVER, bodyFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((r) =>
    server.stdout?.once('data', (d: Buffer) => r(d.toString().trim())),
  );
  base = `http://127.0.0.1:${port}`;
});

afterAll(() => {
  server.kill();
  cleanupSandboxes();
});

describe('import-url', () => {
  it('imports a local folder with the exact text DVC writes (scenario 20 shape)', () => {
    const src = tempDir('sluice-src-');
    mkdirSync(join(src, 'dir', 'subdir'), { recursive: true });
    writeFileSync(join(src, 'dir', 'file'), 'file');
    writeFileSync(join(src, 'dir', 'subdir', 'subfile'), 'subfile');
    writeFileSync(join(src, 'hello.txt'), 'hello');
    const repo = makeRepo('sluice');
    const imported = sluiceOk(repo, 'import-url', join(src, 'dir'));
    expect(imported.stdout).toBe(
      `Importing '${join(src, 'dir')}' -> 'dir'\n${gitHint('dir.dvc .gitignore')}`,
    );
    const text = read(repo, 'dir.dvc');
    expect(text).toContain(
      'deps:\n- md5: b6dcab6ccd17ca0a8bf4a215a37d14cc.dir\n  size: 11\n  nfiles: 2\n  hash: md5\n',
    );
    expect(text).toContain(
      'outs:\n- md5: b6dcab6ccd17ca0a8bf4a215a37d14cc.dir\n  size: 11\n  nfiles: 2\n  hash: md5\n  path: dir\n',
    );
    expect(text).toMatch(/^md5: [0-9a-f]{32}\nfrozen: true\n/);
    expect(read(repo, 'dir/subdir/subfile')).toBe('subfile');
    expect(read(repo, '.gitignore')).toContain('/dir');

    sluiceOk(repo, 'import-url', '--no-exec', join(src, 'hello.txt'), 'h.txt');
    expect(read(repo, 'h.txt.dvc')).toMatch(
      /^frozen: true\ndeps:\n- hash: md5\n {2}path: .*hello.txt\nouts:\n- hash: md5\n {2}path: h.txt\n$/,
    );
    sluiceOk(repo, 'import-url', join(src, 'hello.txt'), 'hello.txt');
    expect(read(repo, 'hello.txt')).toBe('hello');
    writeFileSync(join(src, 'hello.txt'), 'world');
    sluiceOk(repo, 'update', 'hello.txt.dvc');
    expect(read(repo, 'hello.txt')).toBe('world');
    expect(read(repo, 'hello.txt.dvc')).toContain('md5: 7d793037a0760186574b0282f2f435e7');
  });

  it("keeps a signed URL's query and a URL's password out of its errors", () => {
    const repo = makeRepo('sluice');
    const signed = `${base}/gone.txt?X-Amz-Signature=SIGsecret1&token=TOKsecret2`;
    const withPassword = `${base.replace('://', '://user:PWsecret3@')}/data.txt`;
    for (const url of [signed, withPassword]) {
      const result = sluice(repo, 'import-url', url, 'out.txt');
      expect(result.code).not.toBe(0);
      const printed = result.stdout + result.stderr;
      expect(printed).toContain('127.0.0.1');
      for (const secret of ['SIGsecret1', 'TOKsecret2', 'PWsecret3']) {
        expect(printed).not.toContain(secret);
      }
    }
  });

  it('imports over http from a server on 127.0.0.1 and updates when the ETag changes', () => {
    const repo = makeRepo('sluice');
    sluiceOk(repo, 'import-url', `${base}/data.txt`);
    expect(read(repo, 'data.txt')).toBe('hello');
    const text = read(repo, 'data.txt.dvc');
    expect(text).toContain(
      `deps:\n- checksum: '"etag-hello"'\n  size: 5\n  hash: md5\n  path: ${base}/data.txt\n`,
    );
    expect(text).toContain(
      'outs:\n- md5: 5d41402abc4b2a76b9719d911017c592\n  size: 5\n  hash: md5\n',
    );
    sluiceOk(repo, 'update', 'data.txt.dvc');
    expect(read(repo, 'data.txt')).toBe('hello');
    writeFileSync(bodyFile, 'world');
    sluiceOk(repo, 'update', 'data.txt.dvc');
    expect(read(repo, 'data.txt')).toBe('world');
    sluiceOk(repo, 'import-url', '--no-download', `${base}/data.txt`, 'nd.txt');
    expect(read(repo, 'nd.txt.dvc')).toContain('outs:\n- hash: md5\n  path: nd.txt\n');
  });
});
