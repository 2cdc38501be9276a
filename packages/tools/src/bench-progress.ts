/**
 * The live progress line on stderr: rewritten in place on a terminal, one line
 * a second otherwise (a log file then shows the run's course).
 */
export class ProgressLine {
  #shown = false;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(text: string): void {
    if (this.stream.isTTY) {
      this.stream.write(`\r${text.padEnd(100).slice(0, Math.max(100, text.length))}`);
      this.#shown = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Ends the line being rewritten and prints `text` (if any) on its own line. */
  done(text?: string): void {
    if (this.#shown) this.stream.write('\n');
    this.#shown = false;
    if (text !== undefined) this.stream.write(`${text}\n`);
  }
}

/** "1:05" for 65 s. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}
