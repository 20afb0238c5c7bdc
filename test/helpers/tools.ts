import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where scripts/ensure-tools.sh installs the tools the tests need (real DVC, servers). */
export const toolsDir = process.env.SLUICE_TOOLS_DIR ?? join(homedir(), '.cache', 'sluice-tools');

export const dvcBinary = join(toolsDir, 'dvc-venv', 'bin', 'dvc');

/** Fails (never skips) when a tool the tests need is missing. */
export function requireTool(path: string, installHint: string): string {
  if (!existsSync(path)) {
    throw new Error(`test tool missing: ${path} (run ${installHint})`);
  }
  return path;
}
