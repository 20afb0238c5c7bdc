/**
 * A minimal single-line progress bar on stderr, shown only on a terminal and only once work
 * has lasted over a second, redrawn at most 10 times a second.
 */
export class ProgressBar {
  private done = 0;
  private bytes = 0;
  private readonly started = Date.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly total: number | undefined,
    private readonly enabled: boolean,
  ) {}

  tick(count = 1, bytes = 0): void {
    this.done += count;
    this.bytes += bytes;
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.started < 1000 || now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.draw();
  }

  private draw(): void {
    const mib = (this.bytes / 1024 / 1024).toFixed(1);
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? (this.bytes / 1024 / 1024 / secs).toFixed(1) : '0';
    let text: string;
    if (this.total !== undefined && this.total > 0) {
      const share = Math.min(1, this.done / this.total);
      const width = 24;
      const filled = Math.round(share * width);
      text = `${this.label} |${'█'.repeat(filled)}${' '.repeat(width - filled)}| ${this.done}/${this.total} files ${mib} MiB ${rate} MiB/s`;
    } else {
      text = `${this.label} ${this.done} files ${mib} MiB ${rate} MiB/s`;
    }
    process.stderr.write(`\r${text}\x1b[K`);
    this.drawn = true;
  }

  finish(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}

/**
 * A bar fed by the repo's per-file events (files hashed, cached or checked out, and their
 * bytes): a 100k-file `add` or a first `status` shows it moving.
 */
export function fileProgress(
  repo: { onFileDone: ((files: number, bytes: number) => void) | undefined },
  label: string,
  enabled: boolean,
): ProgressBar {
  const bar = new ProgressBar(label, undefined, enabled);
  repo.onFileDone = (files, bytes) => bar.tick(files, bytes);
  return bar;
}
