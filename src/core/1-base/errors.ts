/**
 * Errors raised by the core library. The CLI maps `exitCode` to the process exit code and prints
 * `message` (plus `hint`) on one line; the stack is shown only with `-v`.
 */

export type SluiceErrorCode =
  | 'CONFIG'
  | 'NOT_A_REPO'
  | 'BAD_ARGUMENTS'
  | 'BAD_DVCFILE'
  | 'BAD_PATH'
  | 'OUTPUT_OVERLAP'
  | 'CYCLE'
  | 'STAGE_FAILED'
  | 'STAGE_NOT_FOUND'
  | 'LOCKED'
  | 'CORRUPT_OBJECT'
  | 'MISSING_CACHE'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'SCM'
  | 'REMOTE'
  | 'NO_SPACE'
  | 'UNSAVED'
  | 'FAILED';

/** Exit codes as DVC uses them (dvc/cli/__init__.py). */
export const EXIT = {
  ok: 0,
  failure: 1,
  config: 251,
  interrupted: 252,
  notARepo: 253,
  badArguments: 254,
  unexpected: 255,
} as const;

export interface SluiceErrorOptions {
  hint?: string;
  cause?: unknown;
  exitCode?: number;
}

export class SluiceError extends Error {
  /** What kind of failure this is. */
  readonly code: SluiceErrorCode;
  /** How to fix it, when there is something to say. */
  readonly hint: string | undefined;
  /** The exit code the CLI ends with (DVC's). */
  readonly exitCode: number;

  constructor(code: SluiceErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? defaultExitCode(code);
  }

  /** The error as `--json` outputs show it. */
  toJSON(): { code: SluiceErrorCode; message: string; hint?: string } {
    return this.hint === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, hint: this.hint };
  }
}

function defaultExitCode(code: SluiceErrorCode): number {
  switch (code) {
    case 'CONFIG':
      return EXIT.config;
    case 'NOT_A_REPO':
      return EXIT.notARepo;
    case 'BAD_ARGUMENTS':
      return EXIT.badArguments;
    // DVC's exit code for a checkout that refuses to remove unsaved files.
    case 'UNSAVED':
      return EXIT.unexpected;
    default:
      return EXIT.failure;
  }
}

/** A dvc.yaml / .dvc / dvc.lock file that cannot be read. `line`/`column` are 1-based. */
export class DvcFileError extends SluiceError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(file: string, reason: string, position?: { line: number; column?: number }) {
    const where =
      position === undefined
        ? file
        : position.column === undefined
          ? `${file}:${position.line}`
          : `${file}:${position.line}:${position.column}`;
    super('BAD_DVCFILE', `'${where}' is invalid: ${reason}`);
    this.file = file;
    this.line = position?.line;
    this.column = position?.column;
  }
}

export function isNodeError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}

export function errnoCode(error: unknown): string | undefined {
  return isNodeError(error) ? error.code : undefined;
}

/**
 * An operating-system error that reached the CLI untranslated, as a SluiceError when it has a
 * clear meaning for users (a full disk can strike any write, not only the ones the core wraps).
 */
export function translateSystemError(error: unknown): unknown {
  if (error instanceof SluiceError || !isNodeError(error)) return error;
  if (error.code === 'ENOSPC' || error.code === 'EDQUOT') {
    const where = typeof error.path === 'string' ? ` while writing '${error.path}'` : '';
    return new SluiceError('NO_SPACE', `no space left on device${where}`, {
      hint: 'free some space and run the command again',
      cause: error,
    });
  }
  if (error.code === 'ENAMETOOLONG') {
    const path = typeof error.path === 'string' ? error.path : '';
    const shown = path.length > 120 ? `${path.slice(0, 60)}…${path.slice(-40)}` : path;
    return new SluiceError('BAD_PATH', `file name too long: '${shown}'`, {
      hint: 'most file systems allow 255 bytes per name; rename it, or fix the metafile that names it',
      cause: error,
    });
  }
  return error;
}
