import type { Command } from 'commander';
import { registerAdd } from './add.js';
import { registerCache } from './cache.js';
import { registerCheckout } from './checkout.js';
import { registerCommit } from './commit.js';
import { registerDag } from './dag.js';
import { registerDiff } from './diff.js';
import { registerDemo } from './demo.js';
import { registerFreeze } from './freeze.js';
import { registerFsck } from './fsck.js';
import { registerConfig } from './config.js';
import { registerGc } from './gc.js';
import { registerImportUrl } from './importUrl.js';
import { registerImport } from './import.js';
import { registerGet } from './get.js';
import { registerUpdate } from './update.js';
import { registerFetch } from './fetch.js';
import { registerPull } from './pull.js';
import { registerPush } from './push.js';
import { registerRemote } from './remote.js';
import { registerInit } from './init.js';
import { registerMetrics } from './metrics.js';
import { registerMove } from './move.js';
import { registerParams } from './params.js';
import { registerPlots } from './plots.js';
import { registerRemove } from './remove.js';
import { registerRepro } from './repro.js';
import { registerRoot } from './root.js';
import { registerRun } from './run.js';
import { registerStage } from './stage.js';
import { registerStatus } from './status.js';
import { registerUi } from './ui.js';
import { registerUnprotect } from './unprotect.js';
import { registerVersion } from './version.js';

/** Every command, in the order `sluice --help` lists them. */
export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerInit,
  registerAdd,
  registerStatus,
  registerCheckout,
  registerCommit,
  registerStage,
  registerRun,
  registerRepro,
  registerDag,
  registerUi,
  registerFreeze,
  registerMetrics,
  registerParams,
  registerPlots,
  registerDiff,
  registerRemove,
  registerMove,
  registerGc,
  registerFsck,
  registerRemote,
  registerPush,
  registerPull,
  registerFetch,
  registerImportUrl,
  registerImport,
  registerGet,
  registerUpdate,
  registerUnprotect,
  registerCache,
  registerConfig,
  registerRoot,
  registerVersion,
  registerDemo,
];
