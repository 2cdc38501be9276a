import type { Logger } from './logger.js';
/**
 * Reports the saves of one piece of cluster state: the first failure at
 * error level, then nothing until a save succeeds again (said at info). A
 * full disk fails every save, and ring and member changes come in bursts (a
 * simulated run logged 34 identical errors); one line tells the operator,
 * and the state is saved whole again by the next change once there is room.
 */
export function saveReporter(logger: Logger, what: string): (save: Promise<void>) => void {
  let failing = false;
  return (save) =>
    void save.then(
      () => {
        if (!failing) return;
        failing = false;
        logger.info({}, `the ${what} is persisted again`);
      },
      (err: unknown) => {
        if (failing) return;
        failing = true;
        logger.error({ err: String(err) }, `could not persist the ${what} (further failures are not logged until a save succeeds)`);
      },
    );
}
