import type { Logger } from '@ringkv/node';

/**
 * A logger for simulated nodes that keeps error-level entries: a node logging
 * an error (a broken invariant, a failed repair) fails the simulated run.
 */
export class CaptureLogger implements Logger {
  readonly errors: { readonly node: string; readonly msg: string; readonly detail: string }[] = [];

  constructor(private readonly node: string) {}

  debug(): void {}
  info(): void {}
  warn(): void {}
  error(obj: object, msg?: string): void {
    this.errors.push({ node: this.node, msg: msg ?? '', detail: JSON.stringify(obj).slice(0, 500) });
  }
}
