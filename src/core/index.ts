/**
 * Sluice as a library: `import { openRepo } from 'sluice'`. Only what this module exports is
 * the public surface; the modules beside it may change without notice.
 *
 * @packageDocumentation
 */

export {
  initRepo,
  openRepo,
  SluiceRepo,
  type AddOptions,
  type AddResult,
  type FileProgress,
  type InitRepoOptions,
  type MetricsFile,
  type MetricsRevision,
  type MetricsShowOptions,
  type OpenRepoOptions,
  type OperationOptions,
  type PushOptions,
  type PushResult,
  type ReproOptions,
  type ReproResult,
  type StatusOptions,
  type StatusResult,
} from './sluiceRepo.js';

/** {@link SluiceRepo} by its short name: `import { Repo } from 'sluice'; await Repo.open(dir)`. */
export { SluiceRepo as Repo } from './sluiceRepo.js';

/**
 * The error every operation throws for a user's mistake or a failed step: `code` says which,
 * `message` is one line, `hint` (when set) says how to fix it.
 */
export { SluiceError } from './1-base/errors.js';

/** The kinds of {@link SluiceError}. */
export type { SluiceErrorCode } from './1-base/errors.js';

/** One item of a stage's status, in the shape of `dvc status --json`. */
export type { StatusItem } from './9-ops/pipeline/stageStatus.js';

/** How a dependency or output changed, as `dvc status` words it. */
export type { ChangeWord } from './9-ops/pipeline/stageStatus.js';

/** A stage's state during `repro`. */
export type { StageState } from './9-ops/pipeline/repro.js';

/** An object that could not be transferred: its output path, hash and why. */
export type { ObjectProblem } from './9-ops/remote/transfer.js';

/** Why a metrics file could not be read: the error's type and message. */
export type { FileError } from './9-ops/metrics/collectMetrics.js';
