import { SluiceError } from '../core/1-base/errors.js';

/** Global flags every command accepts. */
export interface GlobalOptions {
  verbose?: boolean;
  quiet?: boolean;
  cd?: string;
  wait?: string;
}

/**
 * The only place that writes to the terminal. Results go to stdout, messages to stderr (as DVC
 * does), and `-q` silences everything but errors.
 */
export class Ui {
  constructor(
    readonly verbose: boolean,
    readonly quiet: boolean,
  ) {}

  get isTTY(): boolean {
    return process.stderr.isTTY && !this.quiet;
  }

  /** A result line on stdout. */
  out(text: string): void {
    if (this.quiet) return;
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Raw result text on stdout, printed even with -q (JSON, tables asked for). */
  data(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** An informational message on stderr. */
  info(text: string): void {
    if (this.quiet) return;
    process.stderr.write(`${text}\n`);
  }

  warn(text: string): void {
    if (this.quiet) return;
    process.stderr.write(`WARNING: ${text}\n`);
  }

  debug(text: string): void {
    if (this.verbose) process.stderr.write(`DEBUG: ${text}\n`);
  }

  /** One clear line (plus a hint); the stack only with -v. */
  error(error: unknown): void {
    if (error instanceof SluiceError) {
      process.stderr.write(`ERROR: ${error.message}\n`);
      if (error.hint !== undefined) process.stderr.write(`${error.hint}\n`);
      if (this.verbose && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`ERROR: unexpected error - ${message}\n`);
    if (this.verbose && error instanceof Error && error.stack !== undefined) {
      process.stderr.write(`${error.stack}\n`);
    } else {
      process.stderr.write('Rerun with -v to see the details.\n');
    }
  }
}

/** Shell-quotes a path for a copy-pastable hint. */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
