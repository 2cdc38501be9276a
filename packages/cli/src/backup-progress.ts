import type { CliIo } from './cli-io.js';

/**
 * The progress line of `ringkv backup` and `ringkv restore`, on stderr so
 * that stdout stays the summary (and `--json` stays parseable). On a terminal
 * it redraws one line; in a log it writes a line at most every few seconds.
 */
export class ProgressLine {
  private readonly tty: boolean;
  private lastDrawn = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly enabled: boolean,
    private readonly now: () => number = Date.now,
    private readonly logIntervalMs = 5000,
  ) {
    this.tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  }

  /** `fraction` in 0..1 draws a bar; undefined draws the text alone. */
  update(fraction: number | undefined, text: string): void {
    if (!this.enabled) return;
    const t = this.now();
    if (!this.tty && t - this.lastDrawn < this.logIntervalMs) return;
    if (this.tty && t - this.lastDrawn < 100) return;
    this.lastDrawn = t;
    this.write(`${fraction === undefined ? '' : `${progressBar(fraction)} `}${text}`);
  }

  /** The last state, always shown, and the line ended. */
  done(text: string): void {
    if (!this.enabled) return;
    this.write(text);
    if (this.tty) this.io.stderr.write('\n');
    this.drawn = false;
  }

  private write(line: string): void {
    this.io.stderr.write(this.tty ? `\r\x1b[K${line}` : `${line}\n`);
    this.drawn = this.tty;
  }

  /** Ends a half-drawn line (before an error message). */
  end(): void {
    if (this.drawn) this.io.stderr.write('\n');
    this.drawn = false;
  }
}

export function progressBar(fraction: number, width = 24): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
