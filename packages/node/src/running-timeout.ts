import type { Clock } from '@ringkv/core';
import { lateTimerMs } from './io-first-timer.js';

/**
 * A timeout that counts only time this process was running: when it fires
 * late — the process was stopped (SIGSTOP, a long GC pause, a stuck VM) or
 * its clock jumped — it waits once more for the time it lost (at most its
 * own length) before giving up. A request in flight when the process stopped
 * has often not even been sent yet (frames go out once per event-loop turn),
 * and its replicas answer within milliseconds of its waking; without this it
 * failed with QUORUM_NOT_MET the moment the process woke (a real cluster: up
 * to 3 of ≈ 1 600 requests per 3 s stop, cluster-local-pause.test.ts), as
 * the failure detector would have judged its peers by the same silence
 * (core/running-time.ts). Returns a cancel.
 */
export function setRunningTimeout(clock: Clock, ms: number, fn: () => void): () => void {
  const due = clock.now() + ms;
  let cancel = clock.setTimer(ms, () => {
    const late = clock.now() - due;
    if (late <= lateTimerMs) fn();
    else cancel = clock.setTimer(Math.min(late, ms), fn);
  });
  return () => cancel();
}
