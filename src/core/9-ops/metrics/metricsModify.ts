import { SluiceError } from '../../1-base/errors.js';
import type { Repo } from '../../6-repo/repo.js';
import { saveDvcFile } from '../../7-metafiles/dvcFile.js';
import { StageIndex } from '../../7-metafiles/stageIndex.js';

export const METRIC_TYPES = ['raw', 'json', 'csv', 'tsv', 'hcsv', 'htsv'] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

/**
 * The tutorial's `metrics modify FILE -t TYPE -x XPATH`: stores `metric: {type, xpath}` on the
 * output in its single-stage file, so `metrics show` shows just that value.
 */
export async function modifyMetric(
  repo: Repo,
  path: string,
  cwd: string,
  options: { type?: string; xpath?: string },
): Promise<string> {
  if (options.type !== undefined && !(METRIC_TYPES as readonly string[]).includes(options.type)) {
    throw new SluiceError('BAD_ARGUMENTS', `unknown metric type '${options.type}'`, {
      hint: `use one of ${METRIC_TYPES.join(', ')}`,
    });
  }
  const index = StageIndex.load(repo);
  const repoPath = repo.rel(path, cwd);
  const out = index.outputAt(repoPath);
  if (out === undefined) {
    throw new SluiceError('NOT_FOUND', `'${path}' is not an output of any stage`, {
      hint: 'declare it with `-M` (or `-m`) when defining the stage',
    });
  }
  const dvcFile = index.dvcFiles.get(out.stage.file);
  if (dvcFile === undefined) {
    throw new SluiceError('FAILED', `'${path}' is declared in '${out.stage.file}'`, {
      hint: 'metrics modify works on single-stage files; in dvc.yaml, list the file under `metrics:`',
    });
  }
  const entry = dvcFile.outEntries[dvcFile.stage.outs.indexOf(out)];
  if (entry === undefined)
    throw new SluiceError('FAILED', `cannot find '${path}' in '${out.stage.file}'`);
  const previous =
    typeof entry.metric === 'object' && entry.metric !== null
      ? (entry.metric as Record<string, unknown>)
      : {};
  const metric: Record<string, unknown> = { ...previous };
  if (options.type !== undefined) metric.type = options.type;
  if (options.xpath !== undefined) metric.xpath = options.xpath;
  entry.metric = Object.keys(metric).length === 0 ? true : metric;
  await saveDvcFile(repo, out.stage.file, dvcFile.data, dvcFile.text);
  return out.stage.file;
}
