import type { Logger } from '@ringkv/node';

/** Read once: trace() runs on every info/warn line of every simulated node. */
const tracing = process.env['RINGKV_SIM_LOG'] === '1';

/**
 * A logger for simulated nodes that keeps error-level entries: a node logging
 * an error (a broken invariant, a failed repair) fails the simulated run.
 */
export class CaptureLogger implements Logger {
  readonly errors: { readonly node: string; readonly msg: string; readonly detail: string }[] = [];

  /** `now`: the node's clock, for `RINGKV_SIM_LOG=1` traces (info and warn lines on stderr, for replaying one seed) */
  constructor(
    private readonly node: string,
    private readonly now: () => number = () => 0,
  ) {}

  debug(): void {}
  info(obj: object, msg?: string): void {
    this.trace('info', obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.trace('warn', obj, msg);
  }
  private trace(level: string, obj: object, msg?: string): void {
    if (!tracing) return;
    process.stderr.write(`${this.now()} ${this.node} ${level} ${msg ?? ''} ${JSON.stringify(obj).slice(0, 300)}\n`);
  }
  error(obj: object, msg?: string): void {
    this.errors.push({ node: this.node, msg: msg ?? '', detail: JSON.stringify(obj).slice(0, 500) });
  }
}
