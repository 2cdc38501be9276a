import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChaosRandom } from './chaos-random.js';

/**
 * Skewed and jumping clocks for real node processes. Every node is started
 * with `--clock-offset-file <dir>/<id>.clock-offset-ms` (a test-only node flag:
 * the node adds the integer in that file to its application clock and re-reads
 * it at most every 100 ms). At the start each node gets its own random skew
 * within ±maxSkewMs/2; the `clock` fault then makes one node's clock jump
 * forward or backward by maxSkewMs/2..maxSkewMs while it runs (an NTP step),
 * and jump back to its base skew when the fault ends.
 *
 * Versions are dotted version vectors, not timestamps, so with the siblings
 * policy no acknowledged write may be lost however the clocks disagree; the
 * clocks only drive failure detection, timeouts and (with LWW) who wins.
 */
export class ClockSkewer {
  private readonly base: number[];
  private readonly now: number[];

  constructor(
    private readonly dir: string,
    private readonly ids: readonly string[],
    private readonly random: ChaosRandom,
    private readonly maxSkewMs: number,
  ) {
    const half = Math.floor(maxSkewMs / 2);
    this.base = ids.map(() => (half === 0 ? 0 : this.random.int(2 * half + 1) - half));
    this.now = [...this.base];
  }

  /** The offset file of node `id` (pass it with --clock-offset-file). */
  fileOf(id: string): string {
    return join(this.dir, `${id}.clock-offset-ms`);
  }

  /** Writes every node's base skew; call before the nodes start. */
  async setUp(): Promise<void> {
    await Promise.all(this.ids.map((_, i) => this.write(i, this.base[i] ?? 0)));
  }

  /** The offsets in force now, by node id (for the report). */
  offsets(): Record<string, number> {
    return Object.fromEntries(this.ids.map((id, i) => [id, this.now[i] ?? 0]));
  }

  /** Jumps node `i`'s clock by a random ±(maxSkew/2..maxSkew); returns the offsets before and after. */
  async jump(i: number): Promise<{ readonly fromMs: number; readonly toMs: number }> {
    const half = Math.floor(this.maxSkewMs / 2);
    const size = half + this.random.int(this.maxSkewMs - half + 1);
    const sign = this.random.int(2) === 0 ? -1 : 1;
    const fromMs = this.now[i] ?? 0;
    const toMs = (this.base[i] ?? 0) + sign * size;
    await this.write(i, toMs);
    return { fromMs, toMs };
  }

  /** Node `i`'s clock jumps back to its base skew. */
  async reset(i: number): Promise<{ readonly fromMs: number; readonly toMs: number }> {
    const fromMs = this.now[i] ?? 0;
    const toMs = this.base[i] ?? 0;
    await this.write(i, toMs);
    return { fromMs, toMs };
  }

  private async write(i: number, offsetMs: number): Promise<void> {
    const file = this.fileOf(this.ids[i] ?? `n${i + 1}`);
    // Written beside and renamed over: the node never reads half a number.
    await writeFile(`${file}.tmp`, `${offsetMs}\n`);
    await rename(`${file}.tmp`, file);
    this.now[i] = offsetMs;
  }
}
