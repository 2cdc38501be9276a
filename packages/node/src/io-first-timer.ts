import { performance } from 'node:perf_hooks';

/**
 * How late a timer may fire before it lets pending I/O go first. Under load
 * timers run a few ms late; a process that was stopped (SIGSTOP, a long GC
 * pause, a stuck VM) runs them seconds late.
 */
export const lateTimerMs = 20;

/**
 * setTimeout for the node's clock (request and connect timeouts, periodic
 * rounds): a timer that fires late runs its callback only after
 * the I/O that is already waiting, rather than before it. libuv runs due
 * timers before it polls sockets, so a process waking from a pause would
 * otherwise time out every call whose answer sat in its socket the whole
 * time (running-timeout.ts gives such calls their time back); deferred by setImmediate, the callback runs
 * after this loop turn's poll, by which time those answers are handled. A
 * timer on time runs at once, as setTimeout's would. Unref'd: it never
 * keeps the process alive on its own. Returns a cancel.
 */
export function setIoFirstTimer(fn: () => void, ms: number): () => void {
  const due = performance.now() + ms;
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    if (performance.now() - due <= lateTimerMs) {
      fn();
      return;
    }
    immediate = setImmediate(fn);
    immediate.unref();
  }, ms);
  timer.unref();
  return () => {
    clearTimeout(timer);
    if (immediate !== undefined) clearImmediate(immediate);
  };
}
