import { resolve } from 'node:path';
import { writeFileAtomicSync } from '../core/2-fs/atomicWrite.js';
import type { Repo } from '../core/6-repo/repo.js';
import { buildGraph } from './model.js';
import { UiApp } from './server.js';
import { renderStaticHtml } from './staticHtml.js';
import type { StaticData } from './types.js';

/** `sluice dag --html FILE`: the workspace graph, status and metrics in one HTML file. */
export async function writeDagHtml(repo: Repo, cwd: string, file: string): Promise<string> {
  const graph = await buildGraph(repo, 'workspace');
  const app = new UiApp(repo);
  const revs = ['workspace'];
  if (repo.git !== null && (await repo.git.hasCommits())) revs.push('HEAD');
  const data: StaticData = {
    graph,
    metrics: await app.metrics(revs),
    generatedAt: new Date().toISOString(),
  };
  const html = renderStaticHtml(data);
  const target = resolve(cwd, file);
  writeFileAtomicSync(target, html);
  await repo.git?.close();
  return target;
}
