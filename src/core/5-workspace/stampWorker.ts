/**
 * The helper thread of folderStamp.ts: stats units of a folder's listing beside the thread that
 * lists it. Loads only the walk code.
 */
import { parentPort } from 'node:worker_threads';
import { helpWithJob, runEarlyJob, type StampJobStart } from './folderStamp.js';

parentPort?.on('message', (start: StampJobStart) => {
  if (start.early === undefined) helpWithJob(start);
  else runEarlyJob(start);
});
