import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import type { Clock } from '@ringkv/core';
import { describe, expect, it } from 'vitest';
import { setIoFirstTimer } from './io-first-timer.js';
import { setRunningTimeout } from './running-timeout.js';

/** A manual clock: timers fire when `advance` passes them; `jump` moves the reading without firing anything (a stopped process). */
function manualClock(): Clock & { advance(ms: number): void; jump(ms: number): void } {
  let now = 0;
  let offset = 0;
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  return {
    now: () => now + offset,
    setTimer(ms, fn) {
      const t = { at: now + ms, fn, live: true };
      timers.push(t);
      return () => void (t.live = false);
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.live && t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (next === undefined) break;
        next.live = false;
        now = next.at;
        next.fn();
      }
      now = until;
    },
    // the process was stopped: its clock went on, but its timers fire only when it runs again
    jump(ms) {
      offset += ms;
    },
  };
}

describe('setRunningTimeout (a timeout counts only time the process ran)', () => {
  it('fires on time when the process was running', () => {
    const clock = manualClock();
    let fired = 0;
    setRunningTimeout(clock, 1000, () => fired++);
    clock.advance(999);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
  });

  it('fired late, waits once more for the time it lost, at most its own length', () => {
    const clock = manualClock();
    let fired = 0;
    setRunningTimeout(clock, 1000, () => fired++);
    clock.advance(100);
    clock.jump(300); // stopped for 300 ms: the timer fires 300 ms late
    clock.advance(900);
    expect(fired).toBe(0);
    clock.advance(299);
    expect(fired).toBe(0);
    clock.advance(1);
    expect(fired).toBe(1);
    // a 60 s stop extends it by its own length only
    const long = manualClock();
    let longFired = 0;
    setRunningTimeout(long, 1000, () => longFired++);
    long.jump(60_000);
    long.advance(1999);
    expect(longFired).toBe(0);
    long.advance(1);
    expect(longFired).toBe(1);
  });

  it('cancelled, never fires, before or after it re-armed', () => {
    const clock = manualClock();
    let fired = 0;
    setRunningTimeout(clock, 1000, () => fired++)();
    const late = setRunningTimeout(clock, 1000, () => fired++);
    clock.jump(500);
    clock.advance(1000); // re-armed for 500 ms
    late();
    clock.advance(5000);
    expect(fired).toBe(0);
  });
});

describe('setIoFirstTimer (a late timer lets waiting I/O go first)', () => {
  /** A connected socket pair on 127.0.0.1. */
  async function socketPair(): Promise<{ a: Socket; b: Socket; close(): void }> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const accepted = once(server, 'connection');
    const a = connect(port, '127.0.0.1');
    await once(a, 'connect');
    const [b] = (await accepted) as [Socket];
    return { a, b, close: () => (a.destroy(), b.destroy(), server.close()) };
  }

  const blockFor = (ms: number): void => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      // the event loop is stuck, as in a long GC pause
    }
  };

  for (const [name, arm] of [
    ['setIoFirstTimer', (fn: () => void, ms: number) => setIoFirstTimer(fn, ms)],
    ['setTimeout (the control: libuv runs due timers before it polls)', (fn: () => void, ms: number) => void setTimeout(fn, ms)],
  ] as const) {
    it(`${name}: data that arrived while the loop was stuck is handled ${name === 'setIoFirstTimer' ? 'before' : 'after'} the late timer`, async () => {
      const pair = await socketPair();
      try {
        const order: string[] = [];
        const done = new Promise<void>((resolve) => {
          pair.b.on('data', () => void order.push('data'));
          arm(() => {
            order.push('timer');
            setTimeout(resolve, 50);
          }, 20);
        });
        pair.a.write('answer');
        blockFor(200); // the answer arrives and the timer falls due while nothing runs
        await done;
        expect(order).toEqual(name === 'setIoFirstTimer' ? ['data', 'timer'] : ['timer', 'data']);
      } finally {
        pair.close();
      }
    });
  }
});
