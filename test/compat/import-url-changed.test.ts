import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupSandboxes, dvcOk, makeRepo, read, sluiceOk, tempDir } from '../helpers/sandbox.js';
import { startPlainHttp, type PlainHttpServer } from '../helpers/servers/plainHttp.js';

/**
 * An import-url stage that was unfrozen follows its source: `status` reports the dependency
 * modified and `repro` imports it again (issue 17, item 2).
 */

type Tool = 'sluice' | 'dvc';
const servers: Record<'etag' | 'none', PlainHttpServer | undefined> = {
  etag: undefined,
  none: undefined,
};

beforeAll(async () => {
  servers.etag = await startPlainHttp({ etag: true });
  servers.none = await startPlainHttp({ etag: false });
});

afterAll(async () => {
  await servers.etag?.stop();
  await servers.none?.stop();
  cleanupSandboxes();
});

function runOk(tool: Tool, cwd: string, ...args: string[]): string {
  return (tool === 'sluice' ? sluiceOk : dvcOk)(cwd, ...args).stdout;
}

const json = (text: string): unknown => JSON.parse(text);

/** The same steps with one tool; the source is reset first, so both tools see the same bytes. */
function followSource(tool: Tool, source: string, sourceFile: string): Record<string, unknown> {
  // Fixed times: the server's Last-Modified goes into the checksum DVC computes.
  writeFileSync(sourceFile, 'a,b\n');
  utimesSync(sourceFile, 1_700_000_000, 1_700_000_000);
  const repo = makeRepo(tool);
  runOk(tool, repo, 'import-url', source, 'f.csv');
  const imported = read(repo, 'f.csv.dvc');
  runOk(tool, repo, 'unfreeze', 'f.csv.dvc');
  const unfrozen = read(repo, 'f.csv.dvc');
  const before = json(runOk(tool, repo, 'status', '--json'));
  writeFileSync(sourceFile, 'a,b\nc,d\n');
  utimesSync(sourceFile, 1_700_000_100, 1_700_000_100);
  const changed = json(runOk(tool, repo, 'status', '--json'));
  const repro = runOk(tool, repo, 'repro', 'f.csv.dvc');
  return {
    reproSays: repro.split('\n')[0],
    again: runOk(tool, repo, 'repro', 'f.csv.dvc').split('\n')[0],
    imported,
    unfrozen,
    before,
    changed,
    after: json(runOk(tool, repo, 'status', '--json')),
    dvcFile: read(repo, 'f.csv.dvc'),
    data: read(repo, 'f.csv'),
  };
}

describe('an unfrozen import-url', () => {
  it('of a local file: status and repro follow the source as DVC', () => {
    const sourceFile = join(tempDir('sluice-src-'), 'f.csv');
    const [expected, actual] = (['dvc', 'sluice'] as const).map((tool) =>
      followSource(tool, sourceFile, sourceFile),
    );
    expect(expected.changed).toEqual({
      'f.csv.dvc': [{ 'changed deps': { [sourceFile]: 'modified' } }],
    });
    expect(expected.data).toBe('a,b\nc,d\n');
    expect(expected.reproSays).toBe(`Importing '${sourceFile}' -> 'f.csv'`);
    expect(expected.again).toBe("'f.csv.dvc' didn't change, skipping");
    expect(actual).toEqual(expected);
  });

  it.each(['etag', 'none'] as const)(
    'over HTTP (ETag: %s): status and repro follow the source, the .dvc file as DVC writes it',
    (kind) => {
      const server = servers[kind] as PlainHttpServer;
      const source = `${server.url}/f.csv`;
      const [expected, actual] = (['dvc', 'sluice'] as const).map((tool) =>
        followSource(tool, source, join(server.root, 'f.csv')),
      );
      expect(expected.imported).toContain(kind === 'etag' ? 'checksum: \'"' : "checksum: '");
      expect(expected.changed).toEqual({
        'f.csv.dvc': [{ 'changed deps': { [source]: 'modified' } }],
      });
      expect(actual).toEqual(expected);
    },
  );

  it('update keeps the checksum DVC recorded for a server without ETag', () => {
    const server = servers.none as PlainHttpServer;
    writeFileSync(join(server.root, 'g.csv'), 'x\n');
    const repo = makeRepo('dvc');
    dvcOk(repo, 'import-url', `${server.url}/g.csv`);
    const written = read(repo, 'g.csv.dvc');
    sluiceOk(repo, 'update', 'g.csv.dvc');
    expect(read(repo, 'g.csv.dvc')).toBe(written);
    expect(json(sluiceOk(repo, 'status', '--json').stdout)).toEqual({});
  });
});
