import { freePort, HOST, makeTempDir, removeDir, startProcess } from './common.js';

export interface PlainHttpServer {
  /** `http://127.0.0.1:PORT`: a request for `/NAME` answers the file `NAME` of `root`. */
  url: string;
  /** The folder served, on disk: change a file here and the server answers the new bytes. */
  root: string;
  stop(): Promise<void>;
}

// A child process, not a server in the test's own process: the tests run DVC and Sluice with
// spawnSync, which blocks the test's event loop.
const SERVER = `
const { createServer } = require('node:http');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const [root, port, etag] = process.argv.slice(1);
createServer((req, res) => {
  let body;
  let mtime;
  try {
    const file = join(root, decodeURIComponent(new URL(req.url, 'http://h').pathname));
    body = readFileSync(file);
    mtime = require('node:fs').statSync(file).mtime;
  } catch {
    res.writeHead(404).end();
    return;
  }
  const headers = {
    'Content-Length': String(body.length),
    'Content-Type': 'text/plain; charset=utf-8',
    'Last-Modified': mtime.toUTCString(),
  };
  if (etag === 'etag') headers.ETag = '"' + require('node:crypto').createHash('md5').update(body).digest('hex') + '"';
  res.writeHead(200, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}).listen(Number(port), '127.0.0.1');
`;

/**
 * A bare HTTP file server on a free loopback port: `Content-Length`, `Content-Type` and
 * `Last-Modified`, and an `ETag` only when asked, like the many servers that send none
 * (import-url then records the checksum DVC computes from those facts).
 */
export async function startPlainHttp(options: { etag: boolean }): Promise<PlainHttpServer> {
  const root = makeTempDir('http');
  const port = await freePort();
  const running = await startProcess(
    'http server',
    process.execPath,
    ['-e', SERVER, root, String(port), options.etag ? 'etag' : 'none'],
    port,
  );
  return {
    url: `http://${HOST}:${port}`,
    root,
    async stop() {
      await running.stop();
      removeDir(root);
    },
  };
}
