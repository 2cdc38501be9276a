import type { Clock } from '@ringkv/core';

/**
 * A background job that runs one round at a time, waits, and runs again,
 * on the node's Clock (so the simulator drives it). `stop` cancels the next
 * round and waits for the current one; a round's failure is reported and the
 * loop goes on.
 */
export class PeriodicTask {
  private cancel: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private stoppedFlag = false;

  constructor(
    private readonly clock: Clock,
    /** pause before each round (read every time, so it can change) */
    private readonly delayMs: () => number,
    private readonly round: () => Promise<unknown>,
    private readonly onError: (err: unknown) => void,
  ) {}

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  start(firstDelayMs = this.delayMs()): void {
    this.schedule(firstDelayMs);
  }

  async stop(): Promise<void> {
    this.stoppedFlag = true;
    this.cancel?.();
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stoppedFlag) return;
    this.cancel = this.clock.setTimer(delayMs, () => {
      this.running = this.round()
        .then(() => undefined, this.onError)
        .finally(() => {
          this.running = undefined;
          this.schedule(this.delayMs());
        });
    });
  }
}
