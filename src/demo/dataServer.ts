import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface DataServer {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the named files of `dir` over HTTP on 127.0.0.1 (a free port), so that the demo's
 * `import-url` downloads them the way the tutorial downloads its data from the web. Only the
 * listed names are served: nothing else of the machine is exposed.
 */
export async function startDataServer(dir: string, names: string[]): Promise<DataServer> {
  const allowed = new Set(names);
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname.slice(1));
    if (!allowed.has(name) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const path = join(dir, name);
    const stat = statSync(path);
    // ETag and Last-Modified let import-url record a checksum of the remote file, as with a
    // real web server.
    res.writeHead(200, {
      'content-type': 'text/csv',
      'content-length': String(stat.size),
      etag: `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`,
      'last-modified': stat.mtime.toUTCString(),
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(path).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
