// Loaded into sluice (`node --import`) by the kill-point tests only. It counts the calls that
// change the filesystem and SIGKILLs the process group right before the N-th one
// (SLUICE_KILL_AT_WRITE), or records how many there were (SLUICE_KILL_COUNT_FILE), so a kill can
// land in the middle of the work whatever the speed of the machine.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

const killAt = Number(process.env.SLUICE_KILL_AT_WRITE ?? '0');
const countFile = process.env.SLUICE_KILL_COUNT_FILE;
// stage commands started by sluice must not inherit the hook
delete process.env.SLUICE_KILL_AT_WRITE;
delete process.env.SLUICE_KILL_COUNT_FILE;
delete process.env.NODE_OPTIONS;

const writeFileSync = fs.writeFileSync;
let writes = 0;

function step() {
  writes += 1;
  if (writes !== killAt) return;
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    // not a group leader: kill this process alone
  }
  process.kill(process.pid, 'SIGKILL');
}

const changing = [
  'appendFile',
  'chmod',
  'copyFile',
  'cp',
  'link',
  'mkdir',
  'rename',
  'rm',
  'rmdir',
  'symlink',
  'truncate',
  'unlink',
  'utimes',
  'writeFile',
];

function writesFlags(flags) {
  if (typeof flags === 'string') return /[wa+]/.test(flags);
  if (typeof flags === 'number') {
    const { O_WRONLY, O_RDWR, O_CREAT } = fs.constants;
    return (flags & (O_WRONLY | O_RDWR | O_CREAT)) !== 0;
  }
  return false;
}

function wrap(target, name, counts) {
  const original = target[name];
  if (typeof original !== 'function') return;
  target[name] = function counted(...args) {
    if (counts(args)) step();
    return original.apply(this, args);
  };
}

for (const name of changing) {
  wrap(fs, name, () => true);
  wrap(fs, `${name}Sync`, () => true);
  wrap(fsp, name, () => true);
}
for (const name of ['write', 'writeSync', 'ftruncate', 'ftruncateSync']) wrap(fs, name, () => true);
wrap(fs, 'open', (args) => writesFlags(args[1]));
wrap(fs, 'openSync', (args) => writesFlags(args[1]));
wrap(fsp, 'open', (args) => writesFlags(args[1]));
syncBuiltinESMExports();

if (countFile !== undefined) {
  process.on('exit', () => writeFileSync(countFile, String(writes)));
}
