import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The CLI's core chunk (scripts/bundle-cli.mjs) holds every backend's declaration, which the
// registry, the config and `sluice version` read, and none of their SDKs, which load only when a
// remote of their kind is opened.

const CLI_DIR = join(import.meta.dirname, '../../dist/cli');

function coreChunk(): string {
  const name = readdirSync(CLI_DIR).find((n) => /^sluice-core-.+\.mjs$/.test(n));
  if (name === undefined) throw new Error('no core chunk: run `npm run build` first');
  return readFileSync(join(CLI_DIR, name), 'utf8');
}

describe('backends in the CLI bundle', () => {
  it('the core chunk declares every backend and imports no SDK', () => {
    const core = coreChunk();
    for (const scheme of ['webdavs', 'azure', 'gs', 's3', 'ssh']) {
      expect(core).toContain(`"${scheme}"`);
    }
    const imported = [...core.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((m) => m[1]);
    const sdks = imported.filter((id) =>
      /^(@aws-sdk|@smithy|@azure|@google-cloud|ssh2|ssh2-sftp-client|webdav|aws4)(\/|$)/.test(id),
    );
    expect(sdks).toEqual([]);
  });
});
