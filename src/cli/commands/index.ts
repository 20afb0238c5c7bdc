import type { Command } from 'commander';
import { registerAdd } from './add.js';
import { registerCache } from './cache.js';
import { registerCheckout } from './checkout.js';
import { registerCommit } from './commit.js';
import { registerDag } from './dag.js';
import { registerFreeze } from './freeze.js';
import { registerConfig } from './config.js';
import { registerGc } from './gc.js';
import { registerInit } from './init.js';
import { registerMove } from './move.js';
import { registerRemove } from './remove.js';
import { registerRepro } from './repro.js';
import { registerRoot } from './root.js';
import { registerRun } from './run.js';
import { registerStage } from './stage.js';
import { registerStatus } from './status.js';
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
  registerFreeze,
  registerRemove,
  registerMove,
  registerGc,
  registerUnprotect,
  registerCache,
  registerConfig,
  registerRoot,
  registerVersion,
];
