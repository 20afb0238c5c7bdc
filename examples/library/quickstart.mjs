// Sluice as a library, on a new repository in a temporary folder: track a data file, define a
// one-stage pipeline, reproduce it, read its metrics, and push the data to a folder remote.
//
//   npm run build && node examples/library/quickstart.mjs
//
// (Inside this checkout `sluice` resolves to the package itself; elsewhere, `npm install sluice`.)
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initRepo, SluiceError } from 'sluice';

const dir = mkdtempSync(join(tmpdir(), 'sluice-library-'));
try {
  execFileSync('git', ['init', '-q'], { cwd: dir });
  const repo = await initRepo(dir);

  writeFileSync(join(dir, 'data.csv'), 'x\n1\n2\n3\n4\n');
  const added = await repo.add('data.csv', {
    onPath: ({ path, phase }) => console.log(`add: ${path} ${phase}`),
  });
  console.log('written:', added.dvcFiles);

  // A stage: sum the column into metrics.json.
  writeFileSync(
    join(dir, 'sum.mjs'),
    "import { readFileSync, writeFileSync } from 'node:fs';\n" +
      "const rows = readFileSync('data.csv', 'utf8').trim().split('\\n').slice(1);\n" +
      "writeFileSync('metrics.json', JSON.stringify({ sum: rows.reduce((a, r) => a + Number(r), 0) }));\n",
  );
  writeFileSync(
    join(dir, 'dvc.yaml'),
    'stages:\n  sum:\n    cmd: node sum.mjs\n    deps: [data.csv, sum.mjs]\n' +
      '    metrics:\n    - metrics.json:\n        cache: false\n',
  );
  console.log('before repro:', JSON.stringify((await repo.status()).changes));

  const ran = await repo.repro({
    onMessage: (line) => console.log(`repro: ${line}`),
    onStageState: (stage, state) => console.log(`stage ${stage}: ${state}`),
  });
  console.log('reproduced:', ran.reproduced, 'git should track:', ran.changedFiles);
  console.log('clean after repro:', (await repo.status()).clean);

  for (const { revision, files } of await repo.metricsShow()) {
    console.log(revision, JSON.stringify(files));
  }

  // A folder on this machine as the default remote (as `sluice remote add -d storage <dir>`).
  const remote = `${dir}-remote`;
  appendFileSync(
    join(dir, '.dvc', 'config'),
    `[core]\n    remote = storage\n['remote "storage"']\n    url = ${remote}\n`,
  );
  const pushed = await repo.push({ onProgress: { total: (n) => console.log(`pushing ${n}`) } });
  console.log(`pushed ${pushed.transferred} to ${pushed.remotes.join(', ')}`);
  rmSync(remote, { recursive: true, force: true });

  try {
    await repo.add('no-such-file');
  } catch (error) {
    if (!(error instanceof SluiceError)) throw error;
    console.log(`expected error: ${error.code}: ${error.message}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
